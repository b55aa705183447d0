"""Secure Communities: activation dates the real sources must reproduce, and the end-date option."""

import pytest

from fedlocal.data.policies.sc import NYC, sc_spells
from fedlocal.data.policies.spells import PolicyError


def test_harris_county_sc_on_2008_10_27(spells):
    harris = spells[(spells["fips"] == "48201") & (spells["program"] == "sc")]
    assert harris["start"].tolist() == ["2008-10-27"] and harris["date_precision"].iloc[0] == "day"


def test_every_county_has_sc_by_january_2013(spells, panel):
    sc = spells[spells["program"] == "sc"]
    assert sc["fips"].nunique() == 3143 and sc["start"].max() <= "2013-01-31"
    assert panel.xs("2013-01", level="month")["sc"].all()
    assert not panel.xs("2008-09", level="month")["sc"].any()


def test_nyc_boroughs_share_whites_single_row(spells):
    sc = spells[spells["program"] == "sc"].set_index("fips")
    assert set(sc.loc[list(NYC), "start"]) == {"2012-05-15"}


def test_sc_end_option_ends_spells_at_the_suspension():
    assert set(sc_spells("suspension")["end"]) == {"2014-11-20"}
    assert set(sc_spells("window_end")["end"]) == {""}


def test_an_unknown_sc_end_is_refused():
    with pytest.raises(PolicyError, match="sc_end"):
        sc_spells("never")
