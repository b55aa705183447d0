"""Calibration: the synthetic sample meets its targets; any source's prevalence is set beside the BJS targets."""

import numpy as np
import pandas as pd

from fedlocal.synthetic import calibration


def test_calibration_targets_met(sample):
    df, panel, outcomes = sample
    checks = calibration.calibration_checks(df, panel, outcomes.targets, 0.03)
    assert checks["met"].all(), checks[~checks["met"]].to_string()
    assert list(checks.columns) == ["check", "target", "value", "gap", "tolerance", "kind", "met"]


def test_targets_halve_the_annual_rate_and_interpolate_2006():
    t = calibration.prevalence_targets(2005, 2014).set_index("year")
    assert not t.loc[2006, "comparable"]
    assert t.loc[2006, "target_rate"] == (t.loc[2005, "bjs_rate"] + t.loc[2007, "bjs_rate"]) / 2
    expected = t["target_rate"] / 1000 / 2 / calibration.MEAN_COUNT_PER_VICTIM
    np.testing.assert_allclose(t["target_prevalence"], expected)


def test_prevalence_checks_for_any_source():
    """Restricted data: every target year is listed; a year without interviews has no value, not an error."""
    interviews = pd.DataFrame({"year": [2010, 2010, 2011, 2011], "violent": [1, 0, 0, 0], "weight": [1.0, 3.0, 2.0, 2.0]})
    checks = calibration.prevalence_checks(interviews, 2010, 2012).set_index("check")
    assert list(checks.index) == ["weighted prevalence 2010", "weighted prevalence 2011", "weighted prevalence 2012"]
    assert checks.loc["weighted prevalence 2010", "value"] == 0.25
    assert checks.loc["weighted prevalence 2011", "value"] == 0.0
    assert np.isnan(checks.loc["weighted prevalence 2012", "value"])
    target = checks.loc["weighted prevalence 2010", "target"]
    assert checks.loc["weighted prevalence 2010", "gap"] == 0.25 / target - 1
