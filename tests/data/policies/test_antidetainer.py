"""Anti-detainer policies: dates and counties the compiled events must give, and the two coding options."""

from fedlocal.data.policies.antidetainer import anti_detainer_events, antidetainer_spells
from fedlocal.data.policies.panel import build_panel
from fedlocal.vocab import YEAR_ONLY_DATES


def test_cook_and_santa_clara_anti_detainer_dates(spells):
    ad = spells[spells["program"] == "antidetainer"].set_index("fips")
    assert ad.loc["17031", "start"] == "2011-09-07"
    assert ad.loc["06085", "start"] == "2011-10-18"
    p = build_panel(spells, "any_day", fips=["17031", "06085"]).set_index(["fips", "month"])
    assert p.loc[("17031", "2011-08"), "antidetainer"] == 0 and p.loc[("17031", "2011-09"), "antidetainer"] == 1
    assert p.loc[("06085", "2011-09"), "antidetainer"] == 0 and p.loc[("06085", "2011-10"), "antidetainer"] == 1


def test_trust_act_switches_every_california_county_on_2014_01_01(spells, panel):
    ca = [f for f in panel.index.get_level_values("fips").unique() if f.startswith("06")]
    assert len(ca) == 58
    assert panel.loc[[(f, "2014-01") for f in ca], "antidetainer"].all()
    ad = spells[(spells["program"] == "antidetainer") & spells["fips"].str.startswith("06")]
    assert (ad["start"] <= "2014-01-01").all()


def test_city_policies_switch_counties_only_when_asked():
    off = antidetainer_spells(city_policies="ignore").set_index("fips")
    on = antidetainer_spells(city_policies="county").set_index("fips")
    assert "34013" not in off.index and on.loc["34013", "start"] == "2013-07-24"  # Newark police only
    assert off.loc["36061", "start"] == "2011-11-22" and off.loc["36061", "weight"] == 1.0  # NYC runs its jails
    share = antidetainer_spells(city_policies="population_share")
    newark = share[share["fips"] == "34013"]
    assert newark["start"].tolist() == ["2013-07-24"] and 0.3 < newark["weight"].iloc[0] < 0.4  # 280,379 of 783,969
    cook = share[share["fips"] == "17031"]
    assert cook["weight"].tolist() == [1.0]  # the county's own 2011 ordinance precedes Chicago's: no city spell


def test_bound_dates_use_in_place_by_or_the_midpoint():
    late = anti_detainer_events(antidetainer_bound_date="in_place_by").set_index("row_id")
    mid = anti_detainer_events(antidetainer_bound_date="midpoint").set_index("row_id")
    assert late.loc["AD043", "date_used"] == "2014-05-02"  # Baker County OR: not_before 2014-04-11
    assert mid.loc["AD043", "date_used"] == "2014-04-21"
    assert late.loc["AD064", "date_used"] == "" and late.loc["AD064", "switches_counties"] == 0


def test_year_only_dates_follow_their_parameter_inside_the_sources_window():
    got = {rule: anti_detainer_events(year_only_dates=rule).set_index("row_id") for rule in YEAR_ONLY_DATES}
    assert [got[r].loc["AD181", "date_used"] for r in YEAR_ONLY_DATES] == ["2014-07-01", "2014-01-01", "2014-12-31", ""]
    assert got["january_1"].loc["AD130", "date_used"] == "2014-03-04"  # Eddy NM: not before the Galarza ruling
    assert got["drop"].loc["AD181", "switches_counties"] == 0


def test_a_policy_the_jail_did_not_apply_switches_nothing():
    events = anti_detainer_events().set_index("row_id")
    assert events.loc["AD015", "implemented_by_jail"] == "no" and events.loc["AD015", "switches_counties"] == 0


def test_events_table_has_one_row_per_event_and_no_list_column():
    events = anti_detainer_events()
    assert len(events) == 200 and events["row_id"].is_unique
    assert "counties_switched" not in events.columns
