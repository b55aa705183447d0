"""The test simulator produces the NCVS interview schema and the rotation design the models assume."""

import numpy as np

from fedlocal.models.simulate import simulate


def test_schema_and_design():
    s = simulate(2000, 30, seed=1)
    df = s.interviews
    assert list(df.columns[:20]) == ["person_id", "household_id", "county_fips", "interview_month", "year", "ref_start",
                                     "ref_end", "interview_number", "violent", "violent_count", "weight", "age", "sex",
                                     "race_eth", "marital", "education", "employed", "income_bracket", "homeowner",
                                     "years_at_address"]
    assert df.groupby("person_id").size().max() <= 7
    assert df["county_fips"].str.len().eq(5).all()
    assert set(df["race_eth"]) <= {"latino", "black", "white", "other"}
    gaps = df.groupby("person_id")["interview_number"].diff().dropna()
    assert (gaps >= 1).all()
    # reference period = the 6 months before the interview month
    assert (df["ref_end"] + np.timedelta64(1, "D")).dt.strftime("%Y-%m").eq(df["interview_month"]).all()
    assert len(s.panel) == 30 * 120 and s.covariates["year"].between(2005, 2014).all()


def test_exposure_matches_panel_rule_any():
    s = simulate(1000, 20, seed=2)
    df = s.interviews.iloc[:400]
    panel = s.panel.set_index(["fips", "month"])["sc"]
    for r in df.itertuples():
        months = [m.strftime("%Y-%m") for m in
                  __import__("pandas").period_range(r.ref_start, r.ref_end, freq="M") if m.year >= 2005]
        active = any(panel.get((r.county_fips, m), 0) for m in months)
        assert r.sc == float(active)


def test_planted_effect_raises_victimization_of_the_group():
    s = simulate(30_000, 50, {"sc": {"latino": 3.0}}, seed=3)
    df = s.interviews
    lat = df.loc[df["race_eth"] == "latino"]
    wh = df.loc[df["race_eth"] == "white"]
    assert lat.loc[lat.sc == 1, "violent"].mean() > 1.8 * lat.loc[lat.sc == 0, "violent"].mean()
    assert wh.loc[wh.sc == 1, "violent"].mean() < 1.5 * wh.loc[wh.sc == 0, "violent"].mean()
