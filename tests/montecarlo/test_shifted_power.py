"""montecarlo.summary.shifted_power / shifted_mde / shift_check: power from a world without effects."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from fedlocal.montecarlo import summary


def _normal_null(n=4000, sd=0.1, se=0.1, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"policy": "sc", "group": "latino", "estimator": "hybrid_logit",
                         "estimate": rng.normal(0, sd, n), "se": se})


def test_shifted_power_matches_the_normal_power_when_the_standard_errors_are_right():
    null = _normal_null()
    out = summary.shifted_power(null, [1.0, 1.2, 1.5]).set_index("odds_ratio")
    for odds_ratio in (1.0, 1.2, 1.5):
        d = math.log(odds_ratio)
        exact = norm.cdf(d / 0.1 - 1.96) + norm.cdf(-d / 0.1 - 1.96)
        assert abs(out.loc[odds_ratio, "power_shift"] - exact) < 0.025
        assert abs(out.loc[odds_ratio, "power_normal"] - exact) < 0.01
        assert out.loc[odds_ratio, "power_shift_low"] <= out.loc[odds_ratio, "power_shift"] <= out.loc[odds_ratio, "power_shift_high"]


def test_too_small_standard_errors_inflate_the_shifted_power_but_not_the_normal_one():
    null = _normal_null(se=0.05)  # SEs half the true spread: the test over-rejects everywhere
    out = summary.shifted_power(null, [1.0]).iloc[0]
    assert out["power_shift"] > 0.25 and out["power_normal"] == pytest.approx(0.05, abs=0.01)


def test_shifted_mde_is_where_the_shifted_power_first_reaches_80_percent():
    null = _normal_null()
    mde = summary.shifted_mde(null).iloc[0]
    expected = math.exp((summary.Z975 + summary.Z80) * 0.1)
    assert mde["mde_or_shift"] == pytest.approx(expected, rel=0.02)
    assert mde["mde_or_normal"] == pytest.approx(expected, rel=0.01)
    power_at_mde = summary.shifted_power(null, [mde["mde_or_shift"]]).iloc[0]["power_shift"]
    below = summary.shifted_power(null, [mde["mde_or_shift"] / 1.002]).iloc[0]["power_shift"]
    assert power_at_mde >= 0.8 > below


def test_failed_fits_are_left_out_and_cells_kept_apart():
    null = pd.concat([_normal_null(n=100), _normal_null(n=100, sd=0.5).assign(group="black")], ignore_index=True)
    null.loc[0, "se"] = np.nan
    out = summary.shifted_power(null, [2.0]).set_index("group")
    assert out.loc["latino", "n_fits"] == 99 and out.loc["black", "n_fits"] == 100
    assert out.loc["latino", "power_shift"] > out.loc["black", "power_shift"]


def test_shift_check_sets_the_approximation_beside_the_simulated_power():
    null = _normal_null(n=2000)
    rng = np.random.default_rng(9)
    planted = pd.DataFrame({"world": "planted", "replication": range(2000), "policy": "sc", "group": "latino",
                            "estimator": "hybrid_logit", "estimate": rng.normal(math.log(1.3), 0.1, 2000), "se": 0.1})
    truth = pd.DataFrame({"world": ["planted"], "policy": ["sc"], "group": ["latino"], "truth": [math.log(1.3)]})
    summarized = summary.summarize(planted, truth)
    check = summary.shift_check(summarized, null).iloc[0]
    assert check["planted_or"] == pytest.approx(1.3)
    assert check["shift_within"] and abs(check["shift_minus_simulated"]) < 0.05
    attenuated = planted.assign(estimate=planted["estimate"] * 0.5)  # an estimator that finds half the effect
    check = summary.shift_check(summary.summarize(attenuated, truth), null).iloc[0]
    assert not check["shift_within"] and check["shift_minus_simulated"] > 0.3
