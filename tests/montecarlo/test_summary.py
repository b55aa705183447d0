"""The Monte Carlo summary: known answers on a normal-means world, Wilson intervals, the MDE."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from fedlocal.montecarlo import engine, summary, toy
from fedlocal.montecarlo.engine import World


@pytest.fixture(scope="module")
def normal_world(tmp_path_factory):
    world = World("null", {"n": 25, "sigma": 2.0}, {("sc", "all"): 0.0, ("tfm", "latino"): 0.5})
    run = engine.run(toy.normal_means, [world], 400, tmp_path_factory.mktemp("mc"), log=None)
    return summary.summarize(run.results, [world])


def cell(frame, group, estimator):
    return frame[(frame.group == group) & (frame.estimator == estimator)].iloc[0]


def test_a_right_standard_error_covers_95_percent_within_binomial_error(normal_world):
    for group in ("all", "latino"):
        row = cell(normal_world, group, "known_se")
        assert row.n_replications == 400 and row.n_failed == 0
        assert row.coverage_low <= 0.95 <= row.coverage_high
        assert abs(row.bias) < 4 * row.bias_mcse
        assert 0.85 < row.sd_se_ratio < 1.15
        assert row.mean_se == pytest.approx(2.0 / 5)
    null = cell(normal_world, "all", "known_se")
    assert null.test == "size" and null.rejection_low <= 0.05 <= null.rejection_high
    assert cell(normal_world, "latino", "known_se").test == "power"


def test_a_standard_error_half_as_large_is_caught(normal_world):
    row = cell(normal_world, "all", "half_se")
    assert row.sd_se_ratio == pytest.approx(2, rel=0.15)
    assert row.coverage_high < 0.80  # 67% in theory
    assert row.rejection_low > 0.2  # a "5%" test that rejects a third of the time


def test_failed_fits_are_counted_and_left_out_of_rates():
    results = pd.DataFrame({"world": "w", "policy": "sc", "group": "all", "estimator": "e",
                            "estimate": [0.1, -0.1, np.nan, 3.0, 0.2], "se": [0.1, 0.1, 0.1, 0.0, 0.1]})
    out = summary.summarize(results, pd.DataFrame({"world": ["w"], "policy": ["sc"], "group": ["all"],
                                                   "truth": [0.0]})).iloc[0]
    assert (out.n_replications, out.n_failed, out.n_fits) == (5, 2, 3)
    # 0.1 and -0.1 cover 0; 0.2 +- 1.96 * 0.1 does not (and rejects)
    assert out.coverage == pytest.approx(2 / 3) and out.rejection_rate == pytest.approx(1 / 3)
    assert out.mean_estimate == pytest.approx(0.2 / 3)


def test_supplied_intervals_and_p_values_are_used():
    results = pd.DataFrame({"world": "w", "policy": "sc", "group": "all", "estimator": "t",
                            "estimate": [0.0, 0.0], "se": [0.1, 0.1], "ci_low": [-1.0, 0.5],
                            "ci_high": [1.0, 0.6], "p_value": [0.2, 0.01]})
    out = summary.summarize(results, pd.DataFrame({"world": ["w"], "policy": ["sc"], "group": ["all"],
                                                   "truth": [0.0]})).iloc[0]
    assert out.coverage == 0.5 and out.rejection_rate == 0.5


@pytest.mark.parametrize("k, n", [(0, 20), (1, 20), (19, 20), (20, 20), (190, 200), (37, 400), (0, 1)])
def test_wilson_interval_matches_statsmodels(k, n):
    low, high = summary.wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12) and high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_interval_is_vectorised_and_nan_without_trials():
    low, high = summary.wilson_interval([3, 0], [10, 0])
    assert np.isfinite(low[0]) and np.isnan(low[1]) and np.isnan(high[1])


def power_curve(powers, ors, se=0.1, n=200, estimator="e"):
    return pd.DataFrame({"world": [f"or-{o}" for o in ors], "policy": "sc", "group": "all",
                         "estimator": estimator, "truth": np.log(ors), "rejection_rate": powers,
                         "n_fits": n, "mean_se": se})


def test_mde_interpolates_on_the_log_odds_ratio_scale():
    ors = [1.0, 1.2, 1.5, 2.0, 3.0]
    out = summary.minimum_detectable(power_curve([0.05, 0.3, 0.7, 0.9, 1.0], ors)).iloc[0]
    expected = np.log(1.5) + (0.8 - 0.7) / (0.9 - 0.7) * (np.log(2.0) - np.log(1.5))
    assert out.reached and out.mde_log_or == pytest.approx(expected)
    assert out.mde_or == pytest.approx(np.exp(expected)) and out.mde == f"{np.exp(expected):.2f}"
    assert out.mde_or_analytic == pytest.approx(np.exp((1.959964 + 0.841621) * 0.1), rel=1e-5)
    assert (out.grid_min_or, out.grid_max_or, out.n_worlds) == pytest.approx((1.0, 3.0, 5))


def test_mde_makes_a_noisy_power_curve_monotone_first():
    ors = [1.0, 1.2, 1.5, 2.0]
    # 0.85 at 1.2 then 0.75 at 1.5: pooled to 0.8, reached at 1.2 (the first pooled point)
    out = summary.minimum_detectable(power_curve([0.05, 0.85, 0.75, 0.95], ors)).iloc[0]
    assert out.mde_or == pytest.approx(1.2)


def test_mde_beyond_the_grid_and_below_it():
    never = summary.minimum_detectable(power_curve([0.05, 0.2, 0.5], [1.0, 1.5, 2.5])).iloc[0]
    assert not never.reached and never.mde == "> 2.50" and np.isnan(never.mde_or)
    always = summary.minimum_detectable(power_curve([0.9, 1.0], [1.3, 2.0])).iloc[0]
    assert not always.reached and always.mde == "<= 1.30"


def test_mde_per_estimator_and_for_protective_effects():
    both = pd.concat([power_curve([0.05, 0.5, 0.9], [1.0, 1.5, 2.0], estimator="a"),
                      power_curve([0.05, 0.9, 1.0], [1.0, 1.5, 2.0], estimator="b")])
    out = summary.minimum_detectable(both).set_index("estimator")
    assert out.loc["a", "mde_or"] > out.loc["b", "mde_or"]
    protective = summary.minimum_detectable(power_curve([0.05, 0.5, 0.9], [1.0, 1 / 1.5, 0.5])).iloc[0]
    assert protective.mde_or < 1 and protective.mde_or == pytest.approx(1 / out.loc["a", "mde_or"])


def test_summary_feeds_the_mde_end_to_end(tmp_path):
    grid = [World(f"mu-{mu}", {"n": 25}, {("sc", "all"): mu}) for mu in (0.0, 0.2, 0.4, 0.6, 0.8)]
    run = engine.run(toy.normal_means, grid, 100, tmp_path, log=None)
    table = summary.summarize(run.results, grid)
    mde = summary.minimum_detectable(table[table.estimator == "known_se"]).iloc[0]
    # detectable shift at 80% power for SE 0.2: (1.96 + 0.84) * 0.2 = 0.56 on the log scale
    assert mde.reached and abs(mde.mde_log_or - 0.56) < 0.08
    assert mde.mde_or_analytic == pytest.approx(np.exp(0.5604), rel=1e-3)
