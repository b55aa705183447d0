"""Policy timelines: coding rules on hand-built spells, and facts the real sources must reproduce."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data import policies as P


def _spells(rows):
    return pd.DataFrame(rows, columns=["fips", "program", "start", "end"])


@pytest.fixture(scope="module")
def spells():
    return P.build_spells()


@pytest.fixture(scope="module")
def panel(spells):
    return P.build_panel(spells).set_index(["fips", "month"])


# ---- coding rules on small frames

def test_month_coding_rules_count_a_mid_month_start_differently():
    s = _spells([("01001", "sc", "2010-03-18", ""), ("01001", "jem", "2010-01-01", "2010-01-16")])
    any_ = P.build_panel(s, "any_day", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    maj = P.build_panel(s, "majority", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    full = P.build_panel(s, "full_month", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    assert any_["sc"].tolist() == [0, 0, 1, 1]
    assert maj["sc"].tolist() == [0, 0, 0, 1]  # 14 of 31 March days
    assert full["sc"].tolist() == [0, 0, 0, 1]
    assert maj["jem"].tolist() == [1, 0, 0, 0] and full["jem"].tolist() == [0, 0, 0, 0]  # 16 of 31 days


def test_panel_has_every_county_and_month():
    s = _spells([("01001", "sc", "2012-01-01", "")])
    p = P.build_panel(s)
    assert len(p) == 3143 * 120 and p["month"].iloc[0] == "2005-01" and p["month"].iloc[-1] == "2014-12"
    assert p[["sc", "jem", "tfm", "antidetainer"]].dtypes.eq("int8").all()


def test_active_days_counts_inclusive_overlap_and_open_ends():
    s = _spells([("06085", "sc", "2010-05-04", ""), ("04013", "tfm", "2009-01-01", "2009-01-10"),
                 ("04013", "tfm", "2009-01-20", "2009-02-05")])
    got = P.active_days(s, "tfm", ["04013", "4013", "06085"], ["2009-01-01", "2009-02-01", "2009-01-01"],
                        ["2009-01-31", "2009-06-30", "2009-12-31"])
    assert got.tolist() == [10 + 12, 5, 0]
    assert P.active_days(s, "sc", ["06085"], ["2010-05-01"], ["2010-05-31"]).tolist() == [28]
    with pytest.raises(P.PolicyError):
        P.active_days(s, "ice", ["06085"], ["2010-05-01"], ["2010-05-31"])


def test_model_segments_follow_the_latest_roster():
    t = pd.Timestamp
    obs = [(t("2009-02-01"), ("jem", "tfm")), (t("2009-10-28"), ("jem",))]
    assert P._model_segments(t("2007-02-07"), None, obs, "tfm") == [(t("2007-02-07"), t("2009-10-27"))]
    assert P._model_segments(t("2007-02-07"), t("2011-09-02"), obs, "jem") == [(t("2007-02-07"), t("2011-09-02"))]


def test_agreement_share_counts_only_disagreeing_months():
    a = pd.DataFrame({"fips": ["1"] * 4, "month": ["m1", "m2", "m3", "m4"], "jem": [0, 1, 1, 0], "tfm": [0, 0, 0, 0]})
    b = a.assign(jem=[0, 0, 1, 0], tfm=[0, 0, 0, 1])
    r = P.agreement(a, b).set_index("program")
    assert r.loc["jem", "agree_share"] == 0.75 and r.loc["jem", "agree_when_on_share"] == 0.5
    assert r.loc["tfm", "agree_when_on_share"] == 0.0 and r.loc["any_287g", "agree_share"] == 0.5
    d = P.disagreements(a, b)
    assert set(d["program"]) == {"jem", "tfm"} and d.set_index("program").loc["tfm", "kind"] == "only theirs"


def test_bad_options_are_refused():
    with pytest.raises(P.PolicyError, match="month_coding"):
        P.build_panel(_spells([]), "half")
    with pytest.raises(P.PolicyError, match="sc_end"):
        P.sc_spells("never")


# ---- facts from the real sources

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
    assert set(sc.loc[list(P.NYC), "start"]) == {"2012-05-15"}


def test_sc_end_option_ends_spells_at_the_suspension():
    assert set(P.sc_spells("suspension")["end"]) == {"2014-11-20"}
    assert set(P.sc_spells("window_end")["end"]) == {""}


def test_maricopa_hybrid_in_early_2009_and_jail_only_later(panel):
    mc = panel.loc["04013"]
    assert mc.loc["2009-03", "jem"] == 1 and mc.loc["2009-03", "tfm"] == 1
    assert mc.loc["2012-06", "jem"] == 1 and mc.loc["2012-06", "tfm"] == 0


def test_task_force_ends_by_the_cap(spells):
    tfm = spells[spells["program"] == "tfm"]
    assert (tfm["end"] != "").all() and tfm["end"].max() <= "2012-12-31"
    early = P.g287_spells(tfm_end_by="2010-06-30")
    assert early.loc[early["program"] == "tfm", "end"].max() <= "2010-06-30"


def test_cook_and_santa_clara_anti_detainer_dates(spells):
    ad = spells[spells["program"] == "antidetainer"].set_index("fips")
    assert ad.loc["17031", "start"] == "2011-09-07"
    assert ad.loc["06085", "start"] == "2011-10-18"
    p = P.build_panel(spells, "any_day", fips=["17031", "06085"]).set_index(["fips", "month"])
    assert p.loc[("17031", "2011-08"), "antidetainer"] == 0 and p.loc[("17031", "2011-09"), "antidetainer"] == 1
    assert p.loc[("06085", "2011-09"), "antidetainer"] == 0 and p.loc[("06085", "2011-10"), "antidetainer"] == 1


def test_trust_act_switches_every_california_county_on_2014_01_01(spells, panel):
    ca = [f for f in panel.index.get_level_values("fips").unique() if f.startswith("06")]
    assert len(ca) == 58
    assert panel.loc[[(f, "2014-01") for f in ca], "antidetainer"].all()
    ad = spells[(spells["program"] == "antidetainer") & spells["fips"].str.startswith("06")]
    assert (ad["start"] <= "2014-01-01").all()


def test_city_policies_switch_counties_only_when_asked():
    off = P.antidetainer_spells(antidetainer_city_policies=False).set_index("fips")
    on = P.antidetainer_spells(antidetainer_city_policies=True).set_index("fips")
    assert "34013" not in off.index and on.loc["34013", "start"] == "2013-07-24"  # Newark police only
    assert off.loc["36061", "start"] == "2011-11-22"  # NYC runs its own county jails


def test_bound_dates_use_in_place_by_or_the_midpoint():
    late = P.anti_detainer_events(antidetainer_bound_date="in_place_by").set_index("row_id")
    mid = P.anti_detainer_events(antidetainer_bound_date="midpoint").set_index("row_id")
    assert late.loc["AD043", "date_used"] == "2014-05-02"  # Baker County OR: not_before 2014-04-11
    assert mid.loc["AD043", "date_used"] == "2014-04-21"
    assert late.loc["AD181", "date_used"] == "2014-12-31" and mid.loc["AD181", "date_used"] == "2014-07-02"
    assert late.loc["AD064", "date_used"] == "" and late.loc["AD064", "switches_counties"] == 0


def test_spells_are_contiguous_and_ordered(spells):
    s = spells.copy()
    assert list(s.columns) == P.SPELL_COLUMNS
    end = s["end"].replace("", "2262-01-01")
    assert (end >= s["start"]).all()
    for (_, _), g in s.groupby(["fips", "program"]):
        if len(g) > 1:
            e = pd.to_datetime(g["end"].replace("", "2262-01-01")).to_numpy()[:-1]
            st = pd.to_datetime(g["start"]).to_numpy()[1:]
            assert (st > e + np.timedelta64(1, "D")).all()


def test_east_agreement_and_sc_file_agreement(panel):
    p = panel.reset_index()
    agree = P.agreement(p, P.east_panel()).set_index("program")
    assert agree.loc["any_287g", "agree_share"] > 0.99
    assert agree.loc["jem", "agree_when_on_share"] > 0.8
    sc = P.sc_source_agreement()
    assert sc["share_same_month"] >= 0.95 and sc["counties_both"] > 2900


def test_npr_declines_show_bulk_refusals_after_the_policies():
    cook = P.npr_declines("cook county jail", "IL").set_index("year")["declined"]
    assert cook[2014] > 100 and cook.get(2010, 0) < 10
    assert P.npr_declines("santa clara co", "CA").set_index("year")["declined"][2011] > 50
