"""County covariates: the annualization rule on hand-built anchors, the BLS parser, and facts the real panel must hold."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data import covariates as C
from fedlocal.data.counties import county_frame

# ---- the rule on small frames

def _anchors(rows):
    return pd.DataFrame(rows, columns=["fips", "at", "value"])


def test_annualize_interpolates_between_midpoints_and_is_flat_beyond():
    a = _anchors([("00001", 2008.0, 10.0), ("00001", 2011.0, 16.0)])  # ACS 2006-10 and 2009-13
    got = C.annualize(a).set_index("year")["value"]
    assert got.loc[[2005, 2006, 2007, 2008]].tolist() == [10.0] * 4
    assert got.loc[2009] == pytest.approx(12.0) and got.loc[2010] == pytest.approx(14.0)
    assert got.loc[[2011, 2012, 2013, 2014]].tolist() == [16.0] * 4


def test_annualize_uses_anchors_outside_the_window_and_skips_missing():
    a = _anchors([("00002", 2000.0, 100.0), ("00002", 2010.0, 200.0), ("00002", 2014.0, np.nan),
                  ("00003", 1999.0, 20.0), ("00003", 2014.0, 5.0)])
    got = C.annualize(a).set_index(["fips", "year"])["value"]
    assert got.loc[("00002", 2005)] == pytest.approx(150.0)
    assert got.loc[("00002", 2014)] == pytest.approx(200.0)  # missing 2014 anchor: flat after 2010
    assert got.loc[("00003", 2005)] == pytest.approx(20 - 15 * 6 / 15)
    assert len(got) == 20


def test_annualize_equals_np_interp_county_by_county():
    """The vectorized interpolation gives exactly np.interp's numbers, county by county."""
    rng = np.random.default_rng(3)
    rows = [(f"{c:05d}", float(t), float(rng.normal(50, 20)))
            for c in range(200) for t in rng.choice([1999.0, 2005.5, 2008.0, 2010.0, 2012.5, 2016.0],
                                                    size=rng.integers(1, 5), replace=False)]
    a = _anchors(rows).sample(frac=1, random_state=0)
    got = C.annualize(a)
    years = np.arange(2005, 2015, dtype=float)
    for fips, g in a.sort_values("at").groupby("fips"):
        expected = np.interp(years, g["at"].to_numpy(), g["value"].to_numpy())
        assert got.loc[got["fips"] == fips, "value"].tolist() == expected.tolist()
    assert got["fips"].tolist() == sorted(got["fips"]) and got["year"].tolist() == list(range(2005, 2015)) * 200


def test_annualize_refuses_two_values_at_one_position():
    with pytest.raises(ValueError, match="00004"):
        C.annualize(_anchors([("00004", 2008.0, 1.0), ("00004", 2008.0, 2.0)]))


def test_parse_laus_reads_values_and_missing_rows():
    text = (
        "                 State  County\n"
        "CN0603700000000   06     037   Los Angeles County, CA                            2005     4,781,604    4,525,223    256,381      5.4\n"
        "CN2207100000000   22     071   Orleans Parish, LA                                2005         N.A.         N.A.       N.A.\n"
    )
    got = C.parse_laus(text)
    assert got["fips"].tolist() == ["06037", "22071"]
    assert got.loc[0, "labor_force"] == 4_781_604 and got.loc[0, "unemployment_rate"] == 5.4
    assert got.loc[1].drop(["fips", "year"]).isna().all() and got.loc[1, "year"] == 2005
    with pytest.raises(ValueError, match="LAUS"):
        C.parse_laus("no county rows here\n")


def test_new_destination_rule():
    idx = ["a", "b", "c", "d", "e"]
    lat2000 = pd.Series([400, 400, 30_000, 400, 0], index=idx)
    lat2010 = pd.Series([1_200, 700, 90_000, 900, 1_500], index=idx)
    share2000 = pd.Series([2.0, 2.0, 25.0, 2.0, 0.0], index=idx)
    got = C.new_destination(lat2000, lat2010, share2000)
    # a: tripled; b: +75%; c: established gateway; d: under 1,000 in 2010; e: from none to 1,500
    assert got.tolist() == [True, False, False, False, True]


# ---- facts of the real panel

@pytest.fixture(scope="module")
def panel():
    return C.build_covariates().set_index(["fips", "year"])


def test_every_county_every_year(panel):
    frame = county_frame()
    assert len(panel) == len(frame) * 10 and panel.index.is_unique
    assert set(panel.index.get_level_values("fips")) == set(frame["fips"])
    assert set(panel.index.get_level_values("year")) == set(range(2005, 2015))
    assert list(panel.reset_index().columns) == C.COLUMNS


def test_population_equals_census_counts(panel):
    assert panel.loc[("06037", 2010), "population"] == 9_818_605
    assert panel.loc[("17031", 2010), "population"] == 5_194_675
    la = panel.loc["06037", "population"]
    assert 9_519_338 < la.loc[2005] < 9_818_605 and la.loc[2014] == 10_072_695  # interpolated; PEP 2014


def test_la_foreign_born_and_bls_unemployment(panel):
    assert panel.loc["06037", "pct_foreign_born"].between(35, 36).all()
    assert panel.loc[("06037", 2005), "unemployment_rate"] == 5.4
    assert panel.loc[("06037", 2014), "unemployment_rate"] == 8.3
    assert panel.loc[("17031", 2005), "unemployment_rate"] == 6.4  # BLS original vintage, not later revisions


def test_shares_within_0_100_and_gaps_only_where_documented(panel):
    shares = ["pct_latino", "pct_black", "pct_white_nh", "pct_foreign_born", "poverty_rate", "unemployment_rate",
              "pct_same_house", "pct_owner"]
    vals = panel[shares]
    assert ((vals >= 0) & (vals <= 100) | vals.isna()).all().all()
    missing = {c: set(panel.index[panel[c].isna()].get_level_values("fips")) for c in panel.columns}
    hurricane = {"22051", "22071", "22075", "22087", "22089", "22095", "22103"}  # BLS: N.A. 2005-2006
    assert missing["unemployment_rate"] == hurricane | {"15005"}  # Kalawao HI: BLS publishes no rate
    assert {c for c, m in missing.items() if m} == {"unemployment_rate", "pct_latino", "pct_black", "pct_white_nh"}
    assert missing["pct_latino"] == {"51515"}  # Bedford city VA: no race counts in the sources
    # the absent covariates stay absent
    assert not {"police_per_capita", "pct_recent_immigrants"} & set(panel.columns)


def test_fixed_attributes(panel):
    y = panel.xs(2010, level="year")
    assert y["border"].sum() == 22 and y.loc["48141", "border"] and not y.loc["06037", "border"]
    assert y.loc["06037", "urban_rural"] == 1 and y.loc["48301", "urban_rural"] == 6 and y.loc["48301", "metro"] == 0
    assert y.loc["17031", "region"] == "Midwest" and y.loc["36061", "region"] == "Northeast"
    assert set(y["region"]) == {"Northeast", "Midwest", "South", "West"}
    assert not y.loc["06037", "new_destination"]  # an established gateway
    # the fixed attributes do not vary by year
    assert (panel.groupby(level="fips")[["urban_rural", "border", "new_destination"]].nunique() == 1).all().all()
    # metro from NCHS agrees with county_complete's 2013 OMB flag
    cc = C.county_complete().set_index("fips")["metro_2013"].dropna()
    assert (y.loc[cc.index, "metro"].astype(int) == cc.astype(int)).mean() > 0.99


# ---- describing the panel, on a toy panel

TOY = pd.DataFrame({"fips": ["a", "a", "b", "b"], "year": [2010, 2011, 2010, 2011], "population": [100, 100, 300, 300],
                    "border": [True, True, False, False], "new_destination": [False, False, True, True],
                    "metro": [1, 1, 1, 1], "unemployment_rate": [5.0, np.nan, 9.0, 7.0], "pct_latino": [10.0, 20.0, 30.0, 40.0]})


def test_describe_counts_the_panel_and_its_fixed_attributes():
    assert C.describe(TOY) == {"counties": 2, "years": 2, "county_years": 4, "border_counties": 1,
                               "new_destination_counties": 1, "metro_counties": 2, "unemployment_missing_county_years": 1}


def test_value_at_and_weighted_means():
    assert C.value_at(TOY, "b", 2011, "unemployment_rate") == 7.0
    means = C.weighted_means(TOY, ["pct_latino", "unemployment_rate"])
    assert means.loc[2010, "pct_latino"] == pytest.approx((100 * 10 + 300 * 30) / 400)
    assert means.loc[2011, "unemployment_rate"] == pytest.approx(7.0)  # a's missing value is left out, not zero


def test_spot_checks_name_each_county():
    panel = pd.DataFrame({"fips": ["06037"], "year": [2010], "population": [9_818_605]})
    got = C.spot_checks(panel, [("06037", "population", 2010)])
    assert got.iloc[0].tolist() == ["06037", "Los Angeles, CA", "population", 2010, 9_818_605]
