"""TWFE and Callaway-Sant'Anna on a linear-probability panel with a known effect."""

import warnings

import numpy as np
import pandas as pd
import pytest

from fedlocal.models import staggered
from fixtures.simulate import MONTHS


def lpm_panel(effect_pp, dynamic, seed=3, n_counties=120, per_cell=60):
    """County x month interviews; victimization probability 5% plus `effect_pp` (+ growth) after the start."""
    rng = np.random.default_rng(seed)
    fips = np.array([f"{i:05d}" for i in range(n_counties)])
    start = rng.integers(40, 97, n_counties)
    months = np.arange(len(MONTHS))
    c = np.repeat(np.arange(n_counties), len(months) * per_cell // 6)
    m = np.tile(np.repeat(months, per_cell // 6), n_counties)
    since = m - start[c]
    treated = since >= 1
    prob = 0.05 + 0.002 * (m / 12) + treated * (effect_pp + dynamic * np.clip(since, 0, None) / 12) / 100
    y = (rng.random(len(c)) < prob).astype(np.int8)
    frame = pd.DataFrame({"county_fips": fips[c], "interview_month": MONTHS.strftime("%Y-%m")[m], "violent": y,
                          "person_id": np.arange(len(c)), "weight": 1.0, "race_eth": "white",
                          "sc": treated.astype(float), "jem": 0.0, "tfm": 0.0, "antidetainer": 0.0})
    panel = pd.DataFrame({"fips": np.repeat(fips, len(months)), "month": np.tile(MONTHS.strftime("%Y-%m"), n_counties)})
    panel["sc"] = (np.tile(months, n_counties) >= np.repeat(start, len(months))).astype(np.int8)
    return frame, panel


def test_half_year_index():
    np.testing.assert_array_equal(staggered.half_year(["2005-01", "2005-06", "2005-07", "2014-12"]), [0, 0, 1, 19])


def test_cells_and_cohorts():
    frame, panel = lpm_panel(2.0, 0.0, n_counties=10, per_cell=6)
    cells = staggered.county_cells(frame, panel)
    assert cells.groupby("county").size().eq(20).all()
    start = panel.loc[panel["sc"] == 1].groupby("fips")["month"].min()
    one = cells.loc[cells["county"] == "00000"]
    m = int(start["00000"][:4]) * 12 + int(start["00000"][5:]) - 1 + 1
    assert one["cohort"].iloc[0] == m // 6 - 4010


def test_both_recover_a_constant_effect():
    frame, panel = lpm_panel(2.0, 0.0)
    est, ev = staggered.staggered_comparison(frame, panel)
    for model in ("cells_twfe", "callaway_santanna", "callaway_santanna_unweighted", "sun_abraham"):
        r = est.set_index("model").loc[model]
        assert abs(r["estimate"] - 2.0) < 3.5 * r["se"], model
    for model in ("callaway_santanna", "sun_abraham"):
        pre = ev.loc[(ev["model"] == model) & ev["event_time"].between(-10, -2)]
        assert len(pre) > 5 and (pre["estimate"].abs() < 3.5 * pre["se"]).mean() > 0.8, model


def _alternating_cell_sizes(frame, small=30):
    """Keep `small` of each county's 60 interviews in every other half-year (which ones alternates by county):
    cell sizes vary over time, but every county has the same average."""
    period = staggered.half_year(frame["interview_month"])
    county = frame["county_fips"].astype(int).to_numpy()
    rank = frame.groupby([frame["county_fips"], period]).cumcount().to_numpy()
    keep = ((period + county) % 2 == 0) | (rank < small)
    return frame.loc[keep].reset_index(drop=True)


def test_callaway_santanna_weights_do_not_vary_over_time():
    """Counties with the same average cell size get the same weight, so the weighted estimate equals the
    unweighted one even though each county's cell sizes swing between 30 and 60 from one half-year to the next;
    weighting by each period's own cell count (time-varying weights) would not."""
    frame, panel = lpm_panel(0.0, 3.0, per_cell=60)
    frame = _alternating_cell_sizes(frame)
    cells = staggered.county_cells(frame, panel)
    assert cells["n"].nunique() == 2 and cells.groupby("county")["n"].mean().nunique() == 1
    est, ev = staggered.staggered_comparison(frame, panel)
    r = est.set_index("model")
    assert r.loc["callaway_santanna", "estimate"] == pytest.approx(r.loc["callaway_santanna_unweighted", "estimate"],
                                                                  rel=1e-9)
    weighted, unweighted = (ev.loc[ev["model"] == m].set_index("event_time")["estimate"]
                            for m in ("callaway_santanna", "callaway_santanna_unweighted"))
    np.testing.assert_allclose(weighted.to_numpy(), unweighted.to_numpy(), rtol=1e-9)


def test_callaway_santanna_weights_are_average_cell_sizes():
    """Doubling one county's interviews doubles its weight: the weighted estimate moves, the unweighted does not."""
    frame, panel = lpm_panel(0.0, 3.0, n_counties=60, per_cell=60)
    cells = staggered.county_cells(frame, panel)
    base_w, base_u = (staggered.callaway_santanna_cells(cells, w)[0]["estimate"] for w in ("average", "none"))
    heavier = cells.assign(n=np.where(cells["county"] == cells["county"].iloc[0], 120, cells["n"]))
    w, u = (staggered.callaway_santanna_cells(heavier, w)[0]["estimate"] for w in ("average", "none"))
    assert u == pytest.approx(base_u, rel=1e-12) and w != pytest.approx(base_w, rel=1e-6)
    with pytest.raises(ValueError, match="weights='cells'"):
        staggered.callaway_santanna_cells(cells, "cells")


def test_sun_abraham_uses_the_last_cohort_as_control():
    """Without never-treated counties the last cohort is the control: no event time reaches its adoption period,
    and the estimate matches pyfixest's saturated event study run by hand on those rows."""
    import pyfixest as pf

    frame, panel = lpm_panel(2.0, 0.0, n_counties=80, per_cell=30)
    cells = staggered.county_cells(frame, panel)
    last = cells["cohort"].max()
    overall, ev = staggered.sun_abraham_cells(cells)
    first_cohort = cells.loc[cells["cohort"] > cells["period"].min(), "cohort"].min()
    assert ev["event_time"].max() == last - 1 - first_cohort
    d = cells.loc[(cells["period"] < last) & (cells["cohort"] > cells["period"].min())].copy()
    d["g"] = np.where(d["cohort"] == last, 0, d["cohort"] + 1).astype(int)
    d["t"] = (d["period"] + 1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.event_study(d, yname="rate", idname="county", tname="t", gname="g", cluster="county",
                             estimator="saturated").aggregate()
    np.testing.assert_allclose(ev["estimate"].to_numpy(), ref["Estimate"].to_numpy(float), rtol=1e-9)
    assert abs(overall["estimate"] - 2.0) < 3.5 * overall["se"]


def test_lpm_twfe_on_interviews():
    frame, _ = lpm_panel(2.0, 0.0, per_cell=30)
    r = staggered.lpm_twfe(frame, policies=("sc",)).iloc[0]
    assert r["scale"] == "percentage points"
    assert abs(r["estimate"] - 2.0) < 3.5 * r["se"]


def test_growing_effect_biases_twfe_not_callaway_santanna():
    """With effects that grow after adoption, already-treated controls pull TWFE below the average effect."""
    frame, panel = lpm_panel(0.0, 3.0, per_cell=120)
    est, _ = staggered.staggered_comparison(frame, panel)
    r = est.set_index("model")
    assert r.loc["cells_twfe", "estimate"] < r.loc["callaway_santanna", "estimate"]
    assert r.loc["callaway_santanna", "estimate"] > 2 * r.loc["callaway_santanna", "se"]


def test_twfe_effects_match_pyfixest_with_both_effects_absorbed():
    """Period dummies give the coefficients of the two-way absorbed model; standard errors follow the
    documented small-sample factor (N-1)/(N-K), K = regressors + period dummies (+ unit effects but one when
    units are not nested in the clusters), checked against pyfixest without its own K adjustment."""
    import pyfixest as pf

    frame, _ = lpm_panel(2.0, 0.0, n_counties=60, per_cell=12)
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"y": frame["violent"] * 100.0, "sc": frame["sc"], "x": rng.normal(size=len(frame)),
                      "county": frame["county_fips"], "period": staggered.half_year(frame["interview_month"]),
                      "w": rng.random(len(frame)) + 0.5, "person": np.arange(len(frame)) // 3})
    n, n_periods, n_counties = len(d), d["period"].nunique(), d["county"].nunique()
    for cluster, weights, k in (("county", None, 2 + n_periods - 1), ("county", "w", 2 + n_periods - 1),
                                ("person", None, 2 + n_periods - 1 + n_counties - 1)):
        ref = pf.feols("y ~ sc + x | county + period", data=d, vcov={"CRV1": cluster}, weights=weights,
                       ssc=pf.ssc(k_adj=False), fixef_rm="none", fixef_tol=1e-12)
        coef, se = staggered.twfe_effects(d, "y", ["sc", "x"], "county", "period", cluster, weights)
        np.testing.assert_allclose(coef.to_numpy(), ref.coef().to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(se.to_numpy(), ref.se().to_numpy() * np.sqrt((n - 1) / (n - k)), rtol=1e-6)


def test_twfe_effects_report_a_collinear_regressor_as_missing():
    frame, _ = lpm_panel(2.0, 0.0, n_counties=20, per_cell=6)
    d = pd.DataFrame({"y": frame["violent"] * 100.0, "sc": frame["sc"], "none": 0.0, "county": frame["county_fips"],
                      "period": staggered.half_year(frame["interview_month"])})
    coef, se = staggered.twfe_effects(d, "y", ["sc", "none"], "county", "period", "county")
    assert np.isfinite(coef["sc"]) and np.isnan(coef["none"]) and np.isnan(se["none"])


def test_an_event_time_effect_of_exactly_fitted_cells_is_not_estimable():
    """A CI-sized run's Sun-Abraham effect at event time 8 was -1.4e-13 (SE 9.9e-8) under one PYTHONHASHSEED and
    -1.2e-13 (SE 3.7e-7) under another: noise, reported as missing; real effects and SEs pass unchanged."""
    ev = pd.DataFrame({"event_time": [7, 8, 9], "estimate": [0.24, -1.4e-13, 0.0], "se": [0.2, 9.9e-8, 0.05]})
    out = staggered.not_estimable_where_degenerate(ev)
    assert out["estimate"].isna().tolist() == [False, True, False] and out["se"].isna().tolist() == [False, True, False]
    assert out.loc[[0, 2], ["estimate", "se"]].equals(ev.loc[[0, 2], ["estimate", "se"]])
