"""Exposure under alternative codings: the measures on a toy panel, and the real alternatives against the run's."""

import pandas as pd
import pytest

from fedlocal.data.counties import county_frame
from fedlocal.data.policies.sensitivity import ALTERNATIVES, coding_sensitivity, exposure_measures
from fedlocal.report import figures, tables
from fedlocal.vocab import POLICIES


def test_exposure_measures_count_counties_months_and_weighted_person_months():
    frame = county_frame().set_index("fips")["pop2010"]
    a, b = frame.index[:2]
    panel = pd.DataFrame({"fips": [a, a, b, b], "month": ["2010-01", "2010-02"] * 2,
                          "sc": [1, 1, 0, 1], "jem": [0, 0, 0, 0], "tfm": [0.5, 0.5, 0, 0], "antidetainer": [0, 0, 0, 0]})
    m = exposure_measures(panel).set_index("program")
    assert list(m.index) == list(POLICIES)
    assert m.loc["sc", "counties"] == 2 and m.loc["sc", "county_months"] == 3
    assert m.loc["sc", "person_months"] == 2 * frame[a] + frame[b]
    assert m.loc["tfm", "county_months"] == 1.0 and m.loc["tfm", "person_months"] == frame[a]
    assert m.loc["jem", "counties"] == 0


def test_alternatives_are_compared_with_the_runs_coding():
    coding = {"sc_end": "window_end", "tfm_end_by": "2012-12-31", "city_policies": "ignore",
              "antidetainer_bound_date": "in_place_by", "year_only_dates": "july_1", "agreement_start": "signing",
              "month_coding": "majority"}
    got = coding_sensitivity(coding, alternatives=[a for a in ALTERNATIVES if a[1] in (
        {"city_policies": "county"}, {"city_policies": "ignore"}, {"year_only_dates": "december_31"})])
    assert list(dict.fromkeys(got["coding"])) == ["This run's coding", "City policies: whole county", "Year-only dates: 31 December"]
    ref = got[got["change"] == ""].set_index("program")
    assert (ref["person_months_change"] == 0).all()
    county = got[got["coding"] == "City policies: whole county"].set_index("program")
    assert county.loc["tfm", "person_months"] > ref.loc["tfm", "person_months"]  # city task forces add exposure
    assert county.loc["sc", "person_months_change"] == 0
    dec = got[got["coding"] == "Year-only dates: 31 December"].set_index("program")
    assert dec.loc["antidetainer", "person_months_change"] < 0 and dec.loc["antidetainer", "counties"] < ref.loc["antidetainer", "counties"]
    display = tables.coding_sensitivity(got)
    assert len(display) == 3 and display.attrs["align"] == ["l"] + ["r"] * 8
    assert "(+" in display.loc[1, "287(g) task force: person-months, M"]
    fig = figures.coding_sensitivity(got)
    assert len(fig.axes) == len(POLICIES)


@pytest.mark.parametrize("city_policies", ["ignore", "population_share"])
def test_the_tables_measures_from_the_panel_columns_equal_those_of_the_panel(city_policies):
    """coding_sensitivity sums panel_columns without building the panel frame: the same numbers, bit for bit (whole
    and population-share weighted codings)."""
    from fedlocal.data.policies.panel import build_panel, build_spells
    from fedlocal.data.policies.sensitivity import _coding_measures

    spells = build_spells(city_policies=city_policies)
    pd.testing.assert_frame_equal(_coding_measures(spells, "majority"), exposure_measures(build_panel(spells)),
                                  check_exact=True)
