"""The FBI MSA tables parser: hand-built layouts of each era plus facts from the real files."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.ucr import YEARS, UcrError, tables
from fedlocal.data.ucr.county_text import msa_counties
from fixtures.ucr import read_city_rows

NAN = np.nan


def sheet(rows, width):
    return pd.DataFrame([list(r) + [NAN] * (width - len(r)) for r in rows], dtype=object)


# 2000-2002 layout: labels in column 0, crime index columns before violent crime, "City of:" headings.
LAYOUT_2000 = sheet([
    ["Table 6"], ["Index of Crime"], ["by Metropolitan Statistical Area, 2000"],
    ["Metropolitan Statistical Area", "Population", "Crime Index total", "Modified Crime Index total1", "Violent crime2",
     "Property crime3", "Murder and non-negligent man-", "Forcible rape", "Robbery", "Aggravated assault"],
    ["Boise, ID M.S.A.", 421612, " ", " "],
    ["    (Includes Ada and Canyon Counties.)", " ", " "],
    ["        City of:"],
    ["            Boise", 174054, 8335, " ", 653, 7682, 1, 68, 62, 522],
    ["         Total area actually reporting", 0.95, 17152, " ", 1278, 15874, 4, 146, 98, 1030],
    ["         Estimated total", 1, 18000, " ", 1300, 16700, "-", 150, 100, 1050],
    ["         Rate per 100,000 inhabitants", 4068.2, " ", 303.1, 3765.1, 0.9, 34.6, 23.2, 244.3],
    ["Lowell, MA-NH M.S.A.4", 305570],
    ["    (Includes part of Middlesex County, MA and", " "],
    ["    Hillsborough County, NH.)"],
    ["         Total area actually reporting", 1, 6876, " ", 961, 5915, 6, 74, 153, 728],
    ["1 Although arson data are included in the trend tables, ..."],
], 15)

# 2005 layout: counties on the MSA row in the second label column, no 'Includes'.
LAYOUT_2005 = sheet([
    ["Table 6"], ["Crime in the United States"], ["by Metropolitan Statistical Area, 2005"],
    ["Metropolitan Statistical Area", "Counties/principal cities", "Population", "Violent crime",
     "Murder and nonnegligent manslaughter", "Forcible rape", "Robbery", "Aggravated assault", "Property crime"],
    ["Abilene, TX M.S.A.", "Callahan, Jones, and Taylor", 161123],
    [NAN, "City of Abilene", 116695, 576, 5, 78, 146, 347, 5504],
    [NAN, "Total area actually reporting", 1, 640, 7, 82, 156, 395, 6196],
    [NAN, "Rate per 100,000 inhabitants", NAN, 397.2, 4.3, 50.9, 96.8, 245.2, 3845.5],
], 15)

# 2006-2017 layout with Metropolitan Divisions and footnote markers (rape column 'Rape1' from 2013).
LAYOUT_2014 = sheet([
    ["Table 6"], ["Crime in the United States"], ["by Metropolitan Statistical Area, 2014"],
    ["Metropolitan Statistical Area", "Counties/principal cities", "Population", "Violent\ncrime",
     "Murder and\nnonnegligent\nmanslaughter", "Rape1", "Robbery", "Aggravated\nassault", "Property\ncrime"],
    ["Louisville/Jefferson County, KY-IN M.S.A.2, 3", NAN, 1268689],
    [NAN, "Includes Clark, Floyd,3 Harrison, and Washington Counties, IN and Bullitt, Henry, Jefferson, Meade, "
          "Nelson, Oldham, Shelby, Spencer, and Trimble Counties, KY"],
    [NAN, "City of Louisville Metro, KY2", 637428, 3734, 52, 229, 1603, 1850, 29551],
    [NAN, "Total area actually reporting", 0.958, 4911, 61, 331, 1923, 2596, 43264],
    [NAN, "Estimated total", 1, 5014, 62, 342, 1953, 2657, 44651],
    [NAN, "Rate per 100,000 inhabitants", NAN, 395.2, 4.9, 27, 153.9, 209.4, 3519.5],
    ["Los Angeles-Long Beach-Santa Ana, CA M.S.A.", NAN, 12912749],
    [NAN, "Includes the Metropolitan Divisions of Los Angeles-Long Beach-Glendale and Santa Ana-Anaheim-Irvine"],
    [NAN, "City of Los Angeles", 3841707, 21484, 293, 923, 10924, 9344, 89704],
    [NAN, "Total area actually reporting", 1, 57146, 684, 2520, 24470, 29472, 294026],
    [NAN, "Rate per 100,000 inhabitants", NAN, 442.6, 5.3, 19.5, 189.5, 228.2, 2277],
    ["Los Angeles-Long Beach-Glendale, CA M.D.", NAN, 9870891],
    [NAN, "Includes Los Angeles County"],
    [NAN, "Total area actually reporting", 1, 50239, 617, 2071, 21896, 25655, 233179],
    ["Santa Ana-Anaheim-Irvine, CA M.D.", NAN, 3041858],
    [NAN, "Includes Orange County"],
    [NAN, "Total area actually reporting", 1, 6907, 67, 449, 2574, 3817, 60847],
    ["Fargo, ND-MN M.S.A.", NAN, 200000],
    [NAN, "Includes Clay County, MN3and Cass County, ND"],
    [NAN, "Total area actually reporting", 0.9, 500, 2, 60, 40, 398, 5000],
    ["1 The rape figures in this table are an aggregate total ..."],
], 12)


def test_layout_2000_estimated_total_multirow_counties_and_zero_dash():
    m = tables.parse_msa_sheet(LAYOUT_2000, 2000)
    assert m.msa_name.tolist() == ["Boise, ID", "Lowell, MA-NH"]
    boise = m.iloc[0]
    assert (boise.population, boise.violent, boise.murder, boise.total_source) == (421612, 1300, 0, "estimated_total")
    assert boise.reporting_share == 0.95 and boise.violent_legacy_free == 1150
    lowell = m.iloc[1]
    assert lowell.states == "MA-NH" and "Hillsborough County, NH" in lowell.county_text
    c = msa_counties(m)
    assert c.counties.iloc[0] == ("16001", "16027")
    assert c.counties.iloc[1] == ("25017", "33011") and bool(c.partial_counties.iloc[1])


def test_layout_2005_counties_on_header_row():
    m = msa_counties(tables.parse_msa_sheet(LAYOUT_2005, 2005))
    row = m.iloc[0]
    assert (row.violent, row.total_source, row.counties) == (640, "total_area_reporting", ("48059", "48253", "48441"))


def test_layout_2014_divisions_footnotes_and_missing_total():
    m = msa_counties(tables.parse_msa_sheet(LAYOUT_2014, 2014))
    assert m.msa_name.tolist() == ["Louisville/Jefferson County, KY-IN", "Los Angeles-Long Beach-Santa Ana, CA", "Fargo, ND-MN"]
    lou, la, fargo = (m.iloc[i] for i in range(3))
    assert lou.violent == 5014 and len(lou.counties) == 13 and lou.unmatched == ()
    assert la.n_divisions == 2 and la.counties == ("06037", "06059") and la.violent == 57146
    assert fargo.counties == ("27027", "38017")
    assert np.isnan(fargo.violent) and fargo.total_source == "none"  # 90% reporting and no estimate


def test_layout_without_header_is_refused():
    with pytest.raises(UcrError, match="Population"):
        tables.parse_msa_sheet(sheet([["Table 6"], ["something else"]], 5), 2000)


def test_year_outside_the_tables_is_refused():
    with pytest.raises(UcrError, match="2000-2017"):
        tables.read_msa_year(1999)


def test_every_year_parses_with_counties_and_totals(all_years):
    m = all_years
    per_year = m.groupby("year").agg(n=("msa_name", "size"), total=("violent", lambda s: s.notna().mean()),
                                     counties=("counties", lambda s: (s.map(len) > 0).mean()))
    assert per_year.index.tolist() == list(YEARS)
    assert per_year.n.between(260, 370).all()
    assert (per_year.total > 0.94).all() and (per_year.counties > 0.95).all()
    assert sum(len(u) for u in m.unmatched) == 0
    la = m[(m.year == 2010) & m.msa_name.str.startswith("Los Angeles-Long Beach-Santa Ana")].iloc[0]
    assert la.population == 12_912_749 and la.violent == 57_146 and la.counties == ("06037", "06059")
    # 2010 MSA county lists cover about their FBI population (median ratio within 1%)
    y = m[(m.year == 2010) & (m.counties.map(len) > 0)]
    assert abs((y.county_pop2010 / y.population).median() - 1) < 0.01


def test_city_of_los_angeles_2010():
    cities = read_city_rows(2010)
    la = cities[cities.city == "Los Angeles"].iloc[0]
    assert (la.violent, la.murder, la.rape, la.robbery, la.agg_assault) == (21484, 293, 923, 10924, 9344)
