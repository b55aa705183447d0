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
