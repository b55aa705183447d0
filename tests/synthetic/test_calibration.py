"""Calibration: the synthetic sample meets its targets; any source's prevalence is set beside the BJS targets."""

import numpy as np
import pandas as pd
import pytest

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


def test_group_rates_by_year_are_bjs_figures():
    """Each year's four groups imply BJS's published total of that year, and 2015-2017 are table 8's rates."""
    from fedlocal.data import bjs
    rates = calibration.group_rates_by_year()
    assert sorted(rates["year"].unique()) == [2002, *range(2005, 2018)]
    assert all(sorted(g) == ["black", "hispanic", "other", "white"] for _, g in rates.groupby("year")["group"])
    assert rates["url"].str.startswith("https://ncvs.bjs.ojp.gov/").all() and rates["read_via"].str.len().gt(0).all()
    series = bjs.national_violent_rates().set_index("year")["violent_rate_per_1000_12plus"]
    population = rates["victimizations"] / rates["violent_rate_per_1000_12plus"] * 1000
    implied = 1000 * rates["victimizations"].groupby(rates["year"]).sum() / population.groupby(rates["year"]).sum()
    for year, total in implied.items():
        assert total == pytest.approx(series[year], abs=0.065), year
    table8 = calibration._read_table8().set_index("label")["rate"]  # the 2015-2017 mean the default is raked to
    ours = rates[rates["year"].between(2015, 2017)].groupby("group")["violent_rate_per_1000_12plus"].mean()
    for group, label in (("white", "White"), ("black", "Black"), ("hispanic", "Hispanic")):
        assert ours[group] == pytest.approx(table8[label], abs=0.04)


def test_heldout_years_are_not_calibration_years():
    held = calibration.heldout_group_rates()
    assert sorted(held["year"].unique()) == [2002, 2013]
    assert not set(held["year"]) & {2015, 2016, 2017}  # the default gradients are raked to 2015-2017


def _interviews_with_gaps(black_over_white, latino_over_white, n=400_000, seed=3):
    """Interviews in 2012-2013 whose weighted prevalence ratios to white are the given ones (in expectation)."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["white", "black", "latino"], n)
    p = 0.01 * np.select([race == "black", race == "latino"], [black_over_white, latino_over_white], 1.0)
    return pd.DataFrame({"year": rng.choice([2012, 2013], n), "race_eth": race, "weight": rng.uniform(500, 1500, n),
                         "violent": (rng.random(n) < p).astype(int)})


def test_group_gap_validation_finds_no_gap_in_a_panel_built_with_the_heldout_ratios():
    held = calibration.heldout_group_rates().pivot(index="year", columns="group", values="violent_rate_per_1000_12plus")
    black, latino = held.loc[2013, "black"] / held.loc[2013, "white"], held.loc[2013, "hispanic"] / held.loc[2013, "white"]
    got = calibration.group_gap_validation(_interviews_with_gaps(black, latino)).set_index(["year", "group"])
    assert got.loc[(2013, "black"), "bjs_heldout"] == pytest.approx(25.1 / 22.2)
    assert abs(got.loc[(2013, "black"), "gap"]) < 0.06 and abs(got.loc[(2013, "latino"), "gap"]) < 0.06
    assert np.isnan(got.loc[(2002, "black"), "panel_year"])  # outside the panel's years: the pooled ratio stands in
    row = got.loc[(2002, "black")]
    assert row["gap"] == pytest.approx(row["panel_all_years"] / row["bjs_heldout"] - 1)


def test_group_gap_validation_flags_a_panel_without_the_gaps():
    got = calibration.group_gap_validation(_interviews_with_gaps(0.7, 0.7)).set_index(["year", "group"])
    assert got.loc[(2013, "black"), "gap"] < -0.3 and got.loc[(2013, "latino"), "gap"] < -0.3


def test_group_gap_validation_says_which_years_were_raked_to():
    """With bjs_by_year, 2013 is a calibration year (its target is BJS's 2013 ratio), 2002 stays held out."""
    default = calibration.group_gap_validation(_interviews_with_gaps(1.1, 1.1)).set_index(["year", "group"])
    assert default["held_out"].all()
    got = calibration.group_gap_validation(_interviews_with_gaps(1.1, 1.1), "bjs_by_year").set_index(["year", "group"])
    assert not got.loc[(2013, "black"), "held_out"] and got.loc[(2002, "black"), "held_out"]
    assert got.loc[(2013, "latino"), "calibration"] == pytest.approx(got.loc[(2013, "latino"), "bjs_heldout"])
    assert np.isnan(got.loc[(2002, "latino"), "calibration"])


def test_group_gap_validation_of_an_extract_without_white_respondents_is_missing_not_an_error():
    """A small restricted extract (the research-data-center path's six-interview fixture has no white respondent):
    the ratios are missing and the table and variables still come out."""
    from fedlocal.report import tables, variables

    panel = _interviews_with_gaps(1.1, 1.1, n=2_000)
    got = calibration.group_gap_validation(panel[panel["race_eth"] != "white"])
    assert got["panel_all_years"].isna().all() and got["gap"].isna().all()
    tables.group_gap_validation(got, "restricted")
    variables.group_gap_validation(got)
