"""Checks against other sources: agreement arithmetic on toy panels, and what the real sources must show."""

import pandas as pd

from fedlocal.data.policies import crosscheck
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


def test_agreement_takes_a_population_share_panel():
    """city_policies=population_share codes a program as the covered share of the county (a float): the
    comparison with East's 0/1 panel still runs, and only a fully covered county-month counts as on."""
    ours = pd.DataFrame({"fips": ["1"] * 3, "month": ["m1", "m2", "m3"], "jem": [0.0, 0.4, 1.0], "tfm": [0.0, 0.0, 0.0]})
    theirs = ours.assign(jem=[0, 1, 1], tfm=[0, 0, 0])
    r = agreement(ours, theirs).set_index("program")
    assert r.loc["any_287g", "on_either"] == 2 and r.loc["any_287g", "agree_when_on_share"] == 0.5
    assert r.loc["jem", "agree_share"] == r.loc["any_287g", "agree_share"] == 2 / 3


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


# NPR declined-detainer screen of the anti-detainer coding (issue 13, class 5)
def _facility_years(rows):
    return pd.DataFrame(rows, columns=["year", "facility", "city", "state", "declined", "other", "fips", "matched_by"])


def test_npr_facilities_are_matched_to_their_counties():
    fy = crosscheck.npr_facility_years()
    lea = fy[(fy["state"] == "NM") & fy["facility"].str.startswith("LEA COUNTY")]
    assert len(lea) and (lea["fips"] == "35025").all()
    hobbs = fy[fy["facility"] == "HOBBS CITY JAIL"]  # no county in the name: the city's county (Kaplan crosswalk)
    assert len(hobbs) and (hobbs["fips"] == "35025").all()
    rikers = fy[fy["facility"].str.contains("RIKERS", case=False)]
    assert len(rikers) and (rikers["fips"] == "36005").all()  # NYC borough rule (Rikers Island is in the Bronx)
    napa = fy[fy["facility"].str.contains("NAPA COUNTYY", case=False)]
    assert len(napa) and (napa["fips"] == "06055").all()  # county named in the facility, ICE's typo included
    placed = fy[~fy["facility"].str.contains("OTHER-OTHER")]  # ICE's catch-all row names no place
    assert placed.loc[placed["fips"] != "", "declined"].sum() >= 0.95 * placed["declined"].sum()


def test_npr_county_declines_sums_facilities_per_county_and_year():
    fy = _facility_years([(2014, "A JAIL", "X", "FL", 7, 0, "12011", "x"), (2014, "B JAIL", "Y", "FL", 5, 0, "12011", "x"),
                          (2013, "A JAIL", "X", "FL", 2, 0, "12011", "x"), (2015, "A JAIL", "X", "FL", 30, 0, "12011", "x"),
                          (2014, "C", "", "", 99, 0, "", "unmatched")])
    d = crosscheck.npr_county_declines(fy).set_index("fips")
    assert d.loc["12011", "declined_2014"] == 12 and d.loc["12011", "declined_2013"] == 2
    assert d.loc["12011", "declined_total"] == 44 and d.loc["12011", "max_declined_to_2014"] == 12  # 2015 not in the max
    assert "" not in d.index


def _tiny_panel(on_fips):
    months = ["2014-06", "2014-07"]
    rows = [{"fips": f, "month": m, "antidetainer": float(f in on_fips and m == "2014-07")}
            for f in ("12011", "12099", "35025", "36001") for m in months]
    return pd.DataFrame(rows)


def test_npr_listing_lists_coded_counties_without_declines_and_uncoded_ones_with_many():
    declines = pd.DataFrame({"fips": ["12011", "12099", "35025"], "declined_2014": [79, 22, 9],
                             "declined_total": [79, 22, 9], "max_declined_to_2014": [79, 22, 9]})
    spells = pd.DataFrame({"fips": ["12099", "36001"], "program": "antidetainer", "sources": ["anti_detainer_policies:AD194",
                           "anti_detainer_policies:AD181"], "confidence": ["medium", "low"],
                           "rule": ["antidetainer:earliest event; via county"] * 2})
    notes = pd.DataFrame({"fips": ["12011"], "note": ["record: policy in place by 2014-07-22"]})
    out = crosscheck.npr_listing(spells, _tiny_panel({"12099", "36001"}), declines, notes, threshold=10).set_index("fips")
    assert out.loc["12011", "listing"] == "not coded, declined many"  # 79 >= 10, not coded
    assert out.loc["12011", "note"] == "record: policy in place by 2014-07-22"
    assert out.loc["36001", "listing"] == "coded, none declined" and out.loc["36001", "coded_from"] == "2014-07"
    assert out.loc["36001", "coded_by"] == "AD181 (county, low)"
    assert "12099" not in out.index  # coded and declining: consistent
    assert "35025" not in out.index  # 9 < threshold
    assert "35025" in set(crosscheck.npr_listing(spells, _tiny_panel({"12099", "36001"}), declines, notes, threshold=9)["fips"])


def test_npr_listing_of_the_real_coding_has_no_uncoded_county_the_record_resolved(spells, panel):
    listing = crosscheck.npr_listing(spells, panel.reset_index())
    uncoded = set(listing.loc[listing["listing"] == "not coded, declined many", "fips"])
    # Broward, Franklin OH, Pinellas, Palm Beach: policies found in the record and curated (CHANGELOG C07)
    assert not {"12011", "39049", "12103", "12099"} & uncoded
    assert {"35025", "19161", "12057"} <= uncoded  # Lea (undated), Sac, Hillsborough (record silent or contrary)
    assert (listing.loc[listing["listing"] == "not coded, declined many", "note"] != "").all()  # every one searched
    assert "55079" not in set(listing["fips"])  # Milwaukee: not coded (jail did not apply the policy), no declines


def test_modal_county_takes_the_most_common_county_and_the_first_listed_on_a_tie():
    crosswalk = pd.DataFrame({"address_city": ["Springfield ", "SPRINGFIELD", "springfield", "Dover", "Dover", "Salem"],
                              "address_state": ["il", "IL", "IL", "DE", "DE", "OR"],
                              "fips_state_county_code": ["17167", "17031", "17167", "10003", "10001", None]})
    assert crosscheck.modal_county(crosswalk) == {("SPRINGFIELD", "IL"): "17167", ("DOVER", "DE"): "10003"}
