"""Adoption models: the risk set on hand-built frames, and the hazard logit recovering planted odds ratios."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.models import adoption as A
from fixtures.adoption import simulate_adoption


def _cov(fips, years):
    return pd.DataFrame([(f, y) for f in fips for y in years], columns=["fips", "year"])


def test_entry_years_take_the_first_start_of_any_listed_program():
    spells = pd.DataFrame({"fips": ["00001", "00001", "00002", "00003"], "program": ["tfm", "jem", "sc", "jem"],
                           "start": ["2008-03-01", "2007-11-30", "2009-01-01", "2012-06-15"]})
    got = A.entry_years(spells, ("jem", "tfm"))
    assert got.to_dict() == {"00001": 2007, "00003": 2012}


def test_risk_set_ends_at_entry_and_censors_the_rest():
    cov = _cov(["00001", "00002", "00003"], range(2005, 2011))
    entry = pd.Series({"00001": 2007, "00003": 2003})
    r = A.risk_set(cov, entry, 2005, 2010)
    assert r[r.fips == "00001"]["year"].tolist() == [2005, 2006, 2007]
    assert r[r.fips == "00001"]["event"].tolist() == [0, 0, 1]
    assert r[r.fips == "00002"]["event"].sum() == 0 and len(r[r.fips == "00002"]) == 6
    assert "00003" not in set(r.fips)  # entered before the window: never at risk
    r8 = A.risk_set(cov, entry, 2005, 2006)
    assert r8[r8.fips == "00001"]["event"].sum() == 0  # entry after the window: censored


def test_hazard_recovers_planted_odds_ratios():
    truth = {"pct_latino": 1.5, "border": 3.0}
    cov, entry = simulate_adoption(n_counties=6000, beta={k: np.log(v) for k, v in truth.items()}, seed=0)
    fit = A.fit_hazard(A.risk_set(cov, entry, 2005, 2014), terms=["pct_latino", "border", "pct_black", "unemployment_rate"])
    t = fit.table.set_index("term")
    for term, odds in truth.items():
        assert t.loc[term, "ci_low"] < odds < t.loc[term, "ci_high"]
        assert abs(np.log(t.loc[term, "odds_ratio"] / odds)) < 0.15
    for term in ["pct_black", "unemployment_rate"]:  # no effect planted
        assert abs(np.log(t.loc[term, "odds_ratio"])) < 0.1
    assert fit.n_events == int(entry.size) and fit.n_clusters == 50 and fit.years_dropped == []


def test_years_without_events_are_dropped_and_constant_terms_reported_missing():
    cov, entry = simulate_adoption(n_counties=2000, beta={"pct_latino": np.log(2.0)}, seed=3)
    gone = entry.index[entry == 2009]  # remove the counties that entered in 2009: no event that year
    cov, entry = cov[~cov.fips.isin(gone)].assign(border=False), entry.drop(gone)
    fit = A.fit_hazard(A.risk_set(cov, entry, 2005, 2014), terms=["pct_latino", "border"])
    assert 2009 in fit.years_dropped and 2009 not in fit.years_used
    t = fit.table.set_index("term")
    assert np.isnan(t.loc["border", "odds_ratio"]) and t.loc["pct_latino", "odds_ratio"] > 1.5


def test_balance_means_and_standardized_difference():
    base = pd.DataFrame({"fips": ["a", "b", "c", "d"], "x": [1.0, 3.0, 5.0, 7.0]})
    got = A.balance(base, {"p": pd.Series({"a": True, "b": True})}, ["x"]).set_index("covariate")
    assert got.loc["counties", "p: adopters"] == 2 and got.loc["counties", "p: others"] == 2
    assert got.loc["x", "all"] == 4.0 and got.loc["x", "p: adopters"] == 2.0 and got.loc["x", "p: others"] == 6.0
    assert got.loc["x", "p: smd"] == pytest.approx(-4 / np.sqrt(2.0))


SPELLS = pd.DataFrame({"fips": ["00001", "00001", "00002", "00002", "00003", "00004"],
                       "program": ["jem", "sc", "sc", "tfm", "sc", "antidetainer"],
                       "start": ["2006-05-01", "2009-01-15", "2012-03-01", "2008-07-01", "2010-12-31", "2014-01-01"]})


def test_entries_by_year_and_entered_by():
    entry = A.entry_years(SPELLS, ("sc",))
    assert A.entries_by_year(entry) == {2009: 1, 2010: 1, 2012: 1}
    assert A.entered_by(entry, 2010, ["00001", "00002", "00003", "00009"]) == 2


def test_adopter_groups_flag_ever_adopters_and_early_sc():
    groups = A.adopter_groups(SPELLS)
    assert list(groups) == list(A.ADOPTER_GROUPS)
    assert groups["287(g) jail"].to_dict() == {"00001": True}
    assert groups["287(g) task force"].to_dict() == {"00002": True}
    assert groups["SC by 2010"].to_dict() == {"00001": True, "00002": False, "00003": True}
    assert groups["anti-detainer"].to_dict() == {"00004": True}


def test_baseline_covariates_hold_the_balance_columns_for_one_year():
    cov = pd.DataFrame({"fips": ["a", "a", "b"], "year": [2005, 2006, 2005], "population": [2000, 2100, 500],
                        "region": ["South", "South", "West"], "metro": [1, 1, 0], "border": [True, True, False],
                        "new_destination": [False, False, True], "median_hh_income": [40000.0, 41000.0, 30000.0],
                        **{c: [1.0, 2.0, 3.0] for c in ["pct_latino", "pct_black", "pct_white_nh", "pct_foreign_born",
                                                        "poverty_rate", "unemployment_rate", "pct_same_house", "pct_owner"]}})
    base = A.baseline_covariates(cov)
    assert base["fips"].tolist() == ["a", "b"] and set(A.BALANCE_COVARIATES) <= set(base.columns)
    assert base["population_k"].tolist() == [2.0, 0.5] and base["income_k"].tolist() == [40.0, 30.0]
    assert base["south"].tolist() == [1.0, 0.0] and base["border"].tolist() == [1.0, 0.0]
    assert base["new_destination"].tolist() == [0.0, 1.0]


def test_fit_adoption_models_fits_each_model_on_its_own_window():
    cov, entry = simulate_adoption(n_counties=1500, beta={"pct_latino": np.log(2.0)}, seed=5)
    spells = pd.DataFrame({"fips": entry.index, "program": "jem", "start": [f"{y}-06-01" for y in entry]})
    sc = entry[entry >= 2008].head(300)
    spells = pd.concat([spells, pd.DataFrame({"fips": sc.index, "program": "sc", "start": [f"{y}-01-15" for y in sc]})])
    fits = A.fit_adoption_models(cov, spells, terms=["pct_latino"])
    assert list(fits) == list(A.HAZARD_MODELS)
    assert fits["287(g)"].n_events == len(entry)
    assert fits["Secure Communities"].years_used[0] >= 2008 and fits["Secure Communities"].years_used[-1] <= 2012
    summary = A.fit_summary(fits).set_index("model")
    assert summary.loc["287(g)", "entries"] == len(entry) and summary.loc["287(g)", "state_clusters"] == 50
