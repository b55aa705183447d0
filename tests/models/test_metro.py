"""Metro-area panel estimators recover effects planted in simulated MSA x year data."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from fedlocal.models import metro


def simulated(effect=-0.1, n=120, years=range(2003, 2015), seed=1, pretrend=0.0):
    rng = np.random.default_rng(seed)
    cohorts = rng.choice([2009, 2010, 2011, 2012, 0], size=n)
    rows = []
    for i, g in enumerate(cohorts):
        a = rng.normal(6, 0.5)
        for t in years:
            treated = g and t >= g
            trend = pretrend * (t - 2003) * (g in (2009, 2010))
            y = a + 0.02 * (t - 2003) + effect * treated + trend + rng.normal(0, 0.05)
            rows.append({"msa_id": f"m{i}", "year": t, "y": y, "x": float(treated), "g": int(g)})
    return pd.DataFrame(rows)


def test_twfe_recovers_a_constant_effect():
    d = simulated()
    est = metro.twfe(d, "y", ["x"]).iloc[0]
    assert abs(est.estimate + 0.1) < 3 * est.se and est.se < 0.02
    assert est.n_units == 120 and est.n_obs == 120 * 12


def test_twfe_refuses_a_constant_exposure():
    d = simulated().assign(x=0.0)
    with pytest.raises(metro.MetroModelError, match="does not vary"):
        metro.twfe(d, "y", ["x"])


def test_callaway_santanna_effect_event_study_and_pretest():
    r = metro.callaway_santanna(simulated(), "y", "g", control_group="not_yet_treated")
    assert r["overall"]["ci_low"] < -0.1 < r["overall"]["ci_high"]
    ev = r["event"].set_index("event_time")
    assert abs(ev.loc[-2, "estimate"]) < 0.03 and ev.loc[1, "estimate"] == pytest.approx(-0.1, abs=0.03)
    assert r["pretest"]["p_value"] > 0.001 and r["pretest"]["df"] > 0
    bad = metro.callaway_santanna(simulated(pretrend=0.03), "y", "g", control_group="never_treated")
    assert bad["pretest"]["p_value"] < 0.001


def test_callaway_santanna_drops_small_cohorts_and_needs_treated_units():
    d = simulated()
    d.loc[d.msa_id == "m0", "g"] = 2006
    r = metro.callaway_santanna(d, "y", "g", min_cohort_size=5)
    assert 2006 not in r["cohorts"].index
    with pytest.raises(metro.MetroModelError):
        metro.callaway_santanna(d.assign(g=0), "y", "g")


def test_minimum_detectable_effect():
    assert metro.minimum_detectable_effect(1.0) == pytest.approx(1.959964 + 0.841621, rel=1e-5)


def test_percent_change_of_log_points():
    assert metro.percent_change(0.0) == 0.0
    assert metro.percent_change(np.log(1.5)) == pytest.approx(50.0)
    assert metro.percent_change(-0.1) == pytest.approx(-9.516, abs=1e-3)


def test_normal_p_value():
    assert metro.normal_p_value(1.959964, 1.0) == pytest.approx(0.05, rel=1e-5)
    assert metro.normal_p_value(-2.0, 1.0) == metro.normal_p_value(2.0, 1.0)
    assert metro.normal_p_value(0.0, 0.3) == 1.0
    assert metro.normal_p_value(-10.0, 1.0) == pytest.approx(1.523971e-23, rel=1e-5)  # no cancellation in the tail


def test_callaway_santanna_row():
    result = {"overall": {"estimate": -0.2, "se": 0.1, "ci_low": -0.396, "ci_high": -0.004}, "years": (2004, 2014),
              "n_units": 150, "n_treated": 40, "pretest": {"W": 3.0, "df": 4, "p_value": 0.56}}
    row = metro.callaway_santanna_row(result)
    assert row["n_obs"] == 150 * 11 and row["n_units"] == 150 and row["n_treated_units"] == 40
    assert row["pretest_p"] == 0.56 and row["estimate"] == -0.2 and row["ci_high"] == -0.004
    assert row["p_value"] == metro.normal_p_value(-0.2, 0.1)
    assert row["mde"] == metro.minimum_detectable_effect(0.1)


def test_twfe_equals_pyfixest_with_both_effects_absorbed():
    import pyfixest as pf

    d = simulated().assign(z=lambda f: np.random.default_rng(2).normal(size=len(f)))
    est = metro.twfe(d, "y", ["x", "z"]).set_index("term")
    ref = pf.feols("y ~ x + z | msa_id + year", data=d, vcov={"CRV1": "msa_id"}, fixef_tol=1e-12)
    np.testing.assert_allclose(est.estimate.to_numpy(), ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(est.se.to_numpy(), ref.se().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(est.p_value.to_numpy(), ref.pvalue().to_numpy(), rtol=1e-6)


def test_twfe_does_not_depend_on_the_hash_seed(tmp_path):
    """pyfixest orders two absorbed effects by a Python set; with one absorbed, the result is the same in every process."""
    data = tmp_path / "panel.parquet"
    simulated().assign(z=lambda f: np.random.default_rng(2).normal(size=len(f))).to_parquet(data)
    code = ("import sys, pandas as pd; from fedlocal.models import metro; "
            f"print(metro.twfe(pd.read_parquet({str(data)!r}), 'y', ['x', 'z'])[['estimate', 'se']].values.tolist())")
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("0", "1")]
    outputs = [run.communicate()[0] for run in runs]
    assert all(run.returncode == 0 for run in runs) and outputs[0] == outputs[1] and outputs[0].startswith("[[")


def partly_treated_panel(effect=-0.2, n=60, years=range(2004, 2015)):
    """MSAs adopting in 2009-2012 whose covered share grows 0 -> 0.4 -> 1 (the year before adoption is 40% covered,
    as when a county holding 40% of the population adopts a year ahead of the rest) in odd-numbered MSAs, 0 -> 1 in
    even ones; a sixth never adopts. The outcome moves by `effect` times the covered share, without noise."""
    rows = []
    for i in range(n):
        g = 0 if i % 6 == 5 else 2009 + i % 4
        for t in years:
            share = 0.0 if not g else 1.0 if t >= g else 0.4 if (t == g - 1 and i % 2) else 0.0
            rows.append({"msa_id": f"m{i:02d}", "year": t, "g": g, "share": share,
                         "y": 0.1 * i + 0.03 * (t - 2004) + effect * share, "pop": 1000.0 * (1 + i)})
    return pd.DataFrame(rows)


def test_partly_treated_base_years_are_counted_as_treated_or_dropped():
    """A base year 40% covered shrinks the comparison by 40% of the effect in the MSAs that have one. Counting it as
    treated gives event time 0 = 0.4 x effect and the full effect afterwards; dropping it gives the effect exactly."""
    d = partly_treated_panel()
    kept = metro.callaway_santanna(d, "y", "g", control_group="never_treated")  # partly covered years as untreated
    assert kept["overall"]["estimate"] > -0.2 + 0.02  # biased towards zero
    dropped = metro.callaway_santanna(d, "y", "g", control_group="never_treated", exposure="share", partly_treated="drop")
    assert dropped["overall"]["estimate"] == pytest.approx(-0.2, abs=1e-9)
    assert dropped["n_obs"] == len(d) - 20 and dropped["n_units"] == 60
    treated = metro.callaway_santanna(d, "y", "g", control_group="never_treated", exposure="share", partly_treated="treated")
    sample = treated["sample"].drop_duplicates("msa_id").set_index("msa_id")["g"]
    assert sample["m01"] == 2009 and sample["m00"] == 2009 and sample["m03"] == 2011  # m01 adopts 2010, 40% in 2009
    ev = treated["event"].set_index("event_time")["estimate"]
    assert (ev.loc[ev.index < 0].abs() < 1e-9).all() and ev.loc[2:].to_numpy() == pytest.approx(-0.2, abs=1e-9)
    with pytest.raises(metro.MetroModelError, match="msa_partly_treated"):
        metro.callaway_santanna(d, "y", "g", exposure="share", partly_treated="ignore")


def test_population_weights_and_the_same_sample_twfe():
    """With one effect for everyone, weighting by (time-invariant) population and switching estimator on the same
    unit-years change nothing; the TWFE uses exactly the Callaway-Sant'Anna sample."""
    d = partly_treated_panel()
    for w in (None, "pop"):
        r = metro.callaway_santanna(d, "y", "g", control_group="never_treated", exposure="share", partly_treated="drop",
                                    weights=w)
        assert r["overall"]["estimate"] == pytest.approx(-0.2, abs=1e-9)
        same = metro.same_sample_twfe(d, r, "y", "g", weights=w).iloc[0]
        assert same["estimate"] == pytest.approx(-0.2, abs=1e-9) and same["n_obs"] == r["n_obs"]
    heavy = d.assign(y=d["y"] + np.where(d["msa_id"] == "m00", -0.5, 0.0) * (d["year"] >= 2009))
    unweighted, weighted = (metro.callaway_santanna(heavy, "y", "g", control_group="never_treated", exposure="share",
                                                    partly_treated="drop", weights=w)["overall"]["estimate"]
                            for w in (None, "pop"))
    assert unweighted != pytest.approx(weighted, abs=1e-6)


def few_treated_panel(effect, treated=3, n=24, years=range(2003, 2013), seed=5):
    """MSAs with their own level, a common year shock and MSA-level noise; `treated` of them adopt in 2008 (some
    in steps: half exposure the first year)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        a, adopt = rng.normal(0, 0.3), i < treated
        for t in years:
            x = 0.0 if not adopt or t < 2008 else 0.5 if (t == 2008 and i % 2) else 1.0
            z = float(rng.random() < 0.3)
            rows.append({"msa_id": f"m{i:02d}", "year": t, "x": x, "z": z,
                         "y": a + 0.05 * (t - 2003) + effect * x + 0.1 * z + rng.normal(0, 0.1)})
    panel = pd.DataFrame(rows)
    return panel, panel[["msa_id", "year", "x"]]


def test_randomization_statistic_is_the_clustered_t_of_twfe():
    panel, paths = few_treated_panel(-0.2)
    panel = pd.concat([panel, pd.DataFrame([{"msa_id": "single", "year": 2005, "x": 0.0, "z": 0.0, "y": 1.0}])])
    paths = pd.concat([paths, pd.DataFrame({"msa_id": "single", "year": list(range(2003, 2013)), "x": 0.0})])
    ref = metro.twfe_fit(panel, "y", ["x", "z"], "msa_id", "year", "msa_id").tstat()["x"]
    assert metro.randomization_p(panel, "y", ["x", "z"], "x", paths, reps=10)["t"] == pytest.approx(ref, rel=1e-10)


def test_randomization_p_value_with_one_treated_msa_is_its_rank():
    """With one adopter a permutation only decides which MSA gets its path: the exact p-value is the share of the 24
    MSAs whose t-statistic, given the path, is at least as large as the observed one."""
    panel, paths = few_treated_panel(0.0, treated=1)
    observed = metro.randomization_p(panel, "y", ["x", "z"], "x", paths, reps=1)["t"]
    path = paths.loc[paths.msa_id == "m00"].set_index("year")["x"]
    stats = []
    for donor in sorted(panel.msa_id.unique()):
        moved = panel.assign(x=np.where(panel.msa_id == donor, panel.year.map(path), 0.0))
        stats.append(metro.twfe_fit(moved, "y", ["x", "z"], "msa_id", "year", "msa_id").tstat()["x"])
    exact = np.mean(np.abs(stats) >= abs(observed) - 1e-12)
    assert metro.randomization_p(panel, "y", ["x", "z"], "x", paths, reps=4000, seed=1)["p_value"] == pytest.approx(exact, abs=0.03)


def test_wild_bootstrap_and_randomization_find_a_large_effect_and_not_a_null_one():
    for effect, small in ((-0.5, True), (0.0, False)):
        panel, paths = few_treated_panel(effect, treated=6)
        table = metro.few_cluster_inference(panel, "y", ["x", "z"], ["x"], paths, bootstrap_reps=999, permutations=999)
        row = table.iloc[0]
        assert row["term"] == "x" and (row["wild_bootstrap_p"] < 0.01) == small and (row["randomization_p"] < 0.01) == small


def test_relative_magnitudes_identified_set_matches_the_hand_computed_bound():
    """Event times -3..1, reference -1. Pre-adoption moves of the trend difference: 0.02 -> -0.01 -> 0 (largest 0.03).
    With M-bar = 1 each post-adoption move is at most 0.03, so the bias of the average of the two post effects is at
    most 0.03 x (1 + 2) / 2 = 0.045: the identified set is -0.15 -/+ 0.045. Under parallel trends (M-bar = 0) it is
    the point -0.15; the robust interval includes zero from the breakdown value on."""
    event = pd.DataFrame({"event_time": [-3, -2, -1, 0, 1], "estimate": [0.02, -0.01, 0.0, -0.1, -0.2],
                          "se": [0.01, 0.01, np.nan, 0.01, 0.01]})
    vcov = np.diag(np.nan_to_num(event["se"].to_numpy()) ** 2)
    result = {"event": event, "event_vcov": vcov, "overall": {"estimate": -0.15, "se": 0.01, "ci_low": -0.17, "ci_high": -0.13},
              "n_obs": 500, "n_treated": 20, "n_units": 50}
    table = metro.honest_sensitivity(result, m_bars=(1.0,)).set_index("m_bar")
    assert table.loc[0.0, "lb"] == pytest.approx(-0.15) and table.loc[0.0, "ub"] == pytest.approx(-0.15)
    assert table.loc[1.0, "lb"] == pytest.approx(-0.195) and table.loc[1.0, "ub"] == pytest.approx(-0.105)
    assert table.loc[1.0, "ci_low"] < -0.195 and table.loc[1.0, "ci_high"] > -0.105
    breakdown = table["breakdown_m_bar"].iloc[0]
    assert 1.0 < breakdown < 0.15 / 0.045  # the set reaches zero at M-bar = 3.33; the interval a little earlier
    assert table.loc[1.0, "ci_high"] < 0


def test_universal_base_event_study_and_its_covariance():
    r = metro.callaway_santanna(simulated(), "y", "g", control_group="never_treated", base_period="universal")
    ev = r["event"].set_index("event_time")
    assert ev.loc[-1, "estimate"] == 0.0 and r["event_vcov"].shape == (len(ev), len(ev))
    np.testing.assert_allclose(np.sqrt(np.diag(r["event_vcov"]))[ev.index != -1], ev.loc[ev.index != -1, "se"], rtol=1e-8)
