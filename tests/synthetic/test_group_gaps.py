"""synthetic_group_gaps: the race gradient raked to each year's BJS rates reproduces them within binomial error."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.synthetic import calibration, outcomes
from fedlocal.synthetic.panel import SyntheticInputError

YEARS = range(2005, 2015)


def _interviews(n_per_year=200_000, seed=5):
    """Interviews of 2005-2014 with every calibrated factor drawn independently, and survey weights."""
    rng = np.random.default_rng(seed)
    n = n_per_year * len(YEARS)
    return pd.DataFrame({
        "year": np.repeat(np.array(YEARS), n_per_year),
        "race_eth": rng.choice(["white", "black", "latino", "other"], n, p=[0.62, 0.13, 0.17, 0.08]),
        "sex": rng.choice(["male", "female"], n), "age": rng.integers(12, 90, n),
        "marital": rng.choice(["never", "married", "widowed", "divorced_separated"], n, p=[0.35, 0.45, 0.08, 0.12]),
        "income_bracket": rng.integers(1, 15, n), "weight": rng.uniform(500, 1500, n)})


def _draw(df, group_gaps, seed=9):
    """The victimization of draw_outcomes without a panel: raked gradients, year baselines, one uniform per interview."""
    targets = calibration.prevalence_targets(2005, 2014)
    gradient, _ = outcomes._rake_gradients(df, np.zeros(len(df)), targets, group_gaps)
    u = np.random.default_rng(seed).random(len(df))
    threshold = np.log(u) - np.log1p(-u) - gradient
    baseline = outcomes._calibrate_baselines(threshold, df["weight"].to_numpy(), df["year"].to_numpy(), targets)
    return df.assign(violent=(threshold < baseline[df["year"].to_numpy() - 2005]).astype(int))


def _gap_z(drawn):
    """Per year x group (black, latino): z of log(prevalence ratio to white) against BJS's rate ratio that year."""
    bjs = calibration.race_relative_rates_by_year(2005, 2014)
    rows = []
    for (year, group), g in drawn.groupby(["year", "race_eth"]):
        rows.append({"year": year, "group": group, "victims": g["violent"].sum(),
                     "prevalence": np.average(g["violent"], weights=g["weight"])})
    t = pd.DataFrame(rows).set_index(["year", "group"])
    out = []
    for year in YEARS:
        for group in ("black", "latino"):
            ratio = t.loc[(year, group), "prevalence"] / t.loc[(year, "white"), "prevalence"]
            # binomial error of a log ratio of two proportions (weights uniform on a narrow range: counts suffice)
            se = np.sqrt(1 / t.loc[(year, group), "victims"] + 1 / t.loc[(year, "white"), "victims"])
            target = bjs[year][group] / bjs[year]["white"]
            out.append({"year": year, "group": group, "ratio": ratio, "bjs": target, "z": np.log(ratio / target) / se})
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def interviews():
    return _interviews()


def test_by_year_gaps_reproduce_bjs_rates_within_binomial_error(interviews):
    z = _gap_z(_draw(interviews, "bjs_by_year"))
    assert (z["z"].abs() < 3.5).all(), z.to_string()
    assert (z["z"] ** 2).sum() < 45.3  # chi-square, 20 df, 99.9%


def test_the_single_set_of_gaps_does_not_reproduce_each_years(interviews):
    """The same check fails on the default gradient (one set of gaps for every year): the test has power."""
    z = _gap_z(_draw(interviews, "bjs_2015_2017"))
    assert (z["z"] ** 2).sum() > 45.3


def test_race_relative_rates_by_year_come_from_one_years_table():
    rates = calibration.group_rates_by_year().set_index(["year", "group"])
    rr = calibration.race_relative_rates_by_year(2005, 2014)
    assert list(rr) == list(YEARS)
    y = rates.loc[2013]
    total = 1000 * y["victimizations"].sum() / (y["victimizations"] / y["violent_rate_per_1000_12plus"] * 1000).sum()
    assert rr[2013]["black"] == pytest.approx(25.1 / total)
    assert rr[2013]["latino"] / rr[2013]["white"] == pytest.approx(24.8 / 22.2)
    assert rr[2006]["black"] == pytest.approx((rr[2005]["black"] + rr[2007]["black"]) / 2)  # 2006: not comparable
    assert {g["other"] for g in rr.values()} == {1.0}


def test_a_year_without_bjs_rates_is_refused():
    with pytest.raises(SyntheticInputError, match="2003"):
        calibration.race_relative_rates_by_year(2003, 2014)


def test_an_unknown_group_gaps_choice_is_refused(interviews):
    targets = calibration.prevalence_targets(2005, 2014)
    with pytest.raises(SyntheticInputError, match="synthetic_group_gaps"):
        outcomes._rake_gradients(interviews.head(1000), np.zeros(1000), targets, "bjs_2013")
