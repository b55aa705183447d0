"""Checks against other sources: agreement arithmetic on toy panels, and what the real sources must show."""

import pandas as pd

from fedlocal.data.policies.crosscheck import (
    agreement,
    agreement_table,
    disagreement_kinds,
    disagreements,
    east_panel,
    known_facts,
    named_disagreements,
    npr_declines,
    npr_timing,
    sc_source_agreement,
)


def test_agreement_share_counts_only_disagreeing_months():
    a = pd.DataFrame({"fips": ["1"] * 4, "month": ["m1", "m2", "m3", "m4"], "jem": [0, 1, 1, 0], "tfm": [0, 0, 0, 0]})
    b = a.assign(jem=[0, 0, 1, 0], tfm=[0, 0, 0, 1])
    r = agreement(a, b).set_index("program")
    assert r.loc["jem", "agree_share"] == 0.75 and r.loc["jem", "agree_when_on_share"] == 0.5
    assert r.loc["tfm", "agree_when_on_share"] == 0.0 and r.loc["any_287g", "agree_share"] == 0.5
    d = disagreements(a, b)
    assert set(d["program"]) == {"jem", "tfm"} and d.set_index("program").loc["tfm", "kind"] == "only theirs"
    assert disagreement_kinds(d).to_dict() == {"start differ": 1, "only theirs": 1}


def test_agreement_table_appends_the_sc_file_comparison():
    agree = pd.DataFrame([{"program": "jem", "county_months": 10, "agree_share": 0.9, "on_either": 2,
                           "agree_when_on_share": 0.5, "counties_ours": 1, "counties_other": 1}])
    got = agreement_table(agree, {"counties_both": 3000, "share_same_month": 0.97})
    assert list(got.columns) == list(agree.columns) and len(got) == 2
    sc = got.iloc[1]
    assert sc["program"].startswith("sc ") and sc["county_months"] == sc["on_either"] == sc["counties_other"] == 3000
    assert sc["agree_share"] == sc["agree_when_on_share"] == 0.97


def test_east_agreement_and_sc_file_agreement(panel):
    p = panel.reset_index()
    east = east_panel()
    agree = agreement(p, east).set_index("program")
    assert agree.loc["any_287g", "agree_share"] > 0.99
    assert agree.loc["jem", "agree_when_on_share"] > 0.8
    sc = sc_source_agreement()
    assert sc["share_same_month"] >= 0.95 and sc["counties_both"] > 2900
    named = named_disagreements(p, east)
    assert {"county_name", "state"} <= set(named.columns) and named["months_differ"].is_monotonic_decreasing


def test_npr_declines_show_bulk_refusals_after_the_policies(spells):
    cook = npr_declines("cook county jail", "IL").set_index("year")["declined"]
    assert cook[2014] > 100 and cook.get(2010, 0) < 10
    assert npr_declines("santa clara co", "CA").set_index("year")["declined"][2011] > 50
    timing = npr_timing(spells).set_index("county")
    assert timing.loc["Cook IL", "policy_start"] == "2011-09-07"
    assert timing.loc["Cook IL", "first_year_20plus_declined"] >= 2011


def test_known_facts_are_the_ones_the_tests_assert(spells, panel):
    facts = known_facts(spells, panel.reset_index()).set_index("fact")["value"]
    assert facts["SC start, Harris County TX"] == "2008-10-27" == facts["first SC activation"]
    assert facts["first month with SC in every county"] == "2013-01"
    assert facts["Maricopa AZ jem/tfm, 2009-03"] == [1, 1] and facts["Maricopa AZ jem/tfm, 2011-11"] == [1, 0]
    assert facts["Maricopa AZ jem/tfm, 2012-06"] == [0, 0]  # jail agreement terminated 2011-12-15; Mesa is a city
    assert facts["anti-detainer start, San Francisco CA"] == "2011-06-01"
    assert facts["anti-detainer start, Cook IL"] == "2011-09-07"
    assert facts["California counties with anti-detainer in 2014-01"] == "58 of 58"
