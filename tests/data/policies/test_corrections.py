"""Facts the public record gives that the coding before issue 13 got wrong: each test fails on that panel.

Sources are named beside each fact (data/curated/CHANGELOG.md and g287_documented_dates.csv hold the citations).
"""

import pytest

from fedlocal.data.policies.g287 import PUBLISHED_COUNTS, PUBLISHED_TOLERANCE, agreements, in_force, published_count_check
from fedlocal.data.policies.panel import build_panel, build_spells


def on(panel, fips, month, program):
    return float(panel.loc[(fips, month), program])


# class 1: task-force parts of hybrids run to the end of task forces, capped at the agreement's end
@pytest.mark.parametrize("fips", ["24021", "13139", "05007", "39017", "40143"])  # Frederick MD, Hall GA, Benton AR, Butler OH, Tulsa OK
def test_hybrid_task_forces_run_to_the_end_of_2012(panel, fips):
    assert on(panel, fips, "2012-06", "tfm") == 1 and on(panel, fips, "2012-12", "tfm") == 1
    assert on(panel, fips, "2013-01", "tfm") == 0


@pytest.mark.parametrize("fips", ["04019", "04025"])  # Pima, Yavapai AZ: DHS rescinded the AZ task forces 2012-06-25
def test_arizona_task_forces_end_with_the_2012_06_25_rescission(panel, fips):
    assert on(panel, fips, "2012-05", "tfm") == 1 and on(panel, fips, "2012-07", "tfm") == 0


def test_task_force_only_agreements_listed_in_october_2012_run_to_year_end(spells):
    tfm = spells[spells["program"] == "tfm"].set_index("fips")
    assert tfm.loc["51107", "end"] == "2012-12-31"  # Loudoun County SO VA, last listed 2012-10-16
    assert tfm.loc["45013", "end"] == "2012-12-31"  # Beaufort County SO SC


def test_hudson_county_nj_has_no_task_force(spells):
    assert not ((spells["program"] == "tfm") & (spells["fips"] == "34017")).any()  # MPI 'Hybrid' label vs OIG/FOIA


# class 2: city agreements do not switch whole counties on (default city_policies=ignore)
def test_carrollton_city_jail_does_not_put_three_texas_counties_in_the_jail_model(panel):
    for fips in ("48113", "48085", "48121"):
        assert on(panel, fips, "2010-06", "jem") == 0


def test_maricopa_jail_model_ends_with_the_december_2011_termination(panel):
    assert on(panel, "04013", "2011-11", "jem") == 1  # documented end 2011-12-15, not the 2011-09-02 listing
    assert on(panel, "04013", "2012-06", "jem") == 0  # Mesa's city agreement no longer keeps the county on


def test_city_policies_county_restores_whole_county_city_agreements():
    spells = build_spells(city_policies="county")
    jem = spells[spells["program"] == "jem"]
    assert {"48113", "48085", "48121"} <= set(jem["fips"])
    share = build_spells(city_policies="population_share")
    weights = share[(share["program"] == "jem") & (share["fips"] == "48085")]["weight"]
    assert len(weights) and 0.02 < weights.max() < 0.05  # Carrollton: 130,862 of 3.8 M in its three counties


# class 3: documented ends win; renames and addenda are continuity; no one-day spells
def test_riverside_ends_july_2013_and_san_bernardino_is_one_spell(spells):
    jem = spells[spells["program"] == "jem"]
    assert jem.loc[jem["fips"] == "06065", "end"].tolist() == ["2013-07-22"]
    sb = jem[jem["fips"] == "06071"]
    assert len(sb) == 1 and sb["end"].iloc[0] == "2014-05-15"  # SBCSD suspended 287(g): release of 2014-05-15


def test_rockingham_ends_when_its_agreement_expired_on_2012_10_17(spells):
    # Daily News-Record 2012-10-25: expired 2012-10-17, the Board declined ICE's extension to 2012-12-31
    for program in ("jem", "tfm"):
        rows = spells[(spells["program"] == program) & (spells["fips"] == "51165")]
        assert rows["end"].max() == "2012-10-17", program


def test_prince_william_manassas_regional_jail_is_continuous(spells):
    jem = spells[(spells["program"] == "jem") & (spells["fips"] == "51153")]
    assert len(jem) == 1 and jem["start"].iloc[0] <= "2007-07-09" and jem["end"].iloc[0] == ""


def test_davidson_ends_on_the_documented_2012_10_08(spells):
    jem = spells[(spells["program"] == "jem") & (spells["fips"] == "47037")]
    assert jem["end"].tolist() == ["2012-10-08"]


def test_no_one_day_spells(spells):
    assert not (spells["start"] == spells["end"]).any()


# class 4: year-only anti-detainer dates
def test_year_only_2014_policies_count_from_july_by_default(panel):
    assert on(panel, "36001", "2014-07", "antidetainer") == 1  # Albany NY, NYCLU list (2014)
    dec = build_spells(year_only_dates="december_31")
    ad = dec[(dec["program"] == "antidetainer") & (dec["fips"] == "36001")]
    assert ad["start"].tolist() == ["2014-12-31"]
    dropped = build_spells(year_only_dates="drop")
    assert "36001" not in set(dropped.loc[dropped["program"] == "antidetainer", "fips"])


# class 5: corrected anti-detainer facts (data/curated/CHANGELOG.md C01, C05)
def test_san_francisco_limited_detainers_from_june_2011(spells):
    ad = spells[(spells["program"] == "antidetainer") & (spells["fips"] == "06075")]
    assert ad["start"].tolist() == ["2011-06-01"]


def test_milwaukee_policy_was_not_implemented_by_the_jail(panel):
    for month in ("2012-07", "2013-06", "2014-12"):
        assert on(panel, "55079", month, "antidetainer") == 0


# class 6: start at signing or at first operation
def test_operation_start_uses_the_documented_day():
    ops = build_spells(agreement_start="operation")
    jem = ops[(ops["program"] == "jem") & (ops["fips"] == "24021")]
    assert jem["start"].min() == "2008-04-11"  # Frederick MD: signed 2008-02-06, operating 2008-04-11
    signed = build_spells(agreement_start="signing")
    assert signed[(signed["program"] == "jem") & (signed["fips"] == "24021")]["start"].min() == "2008-02-06"


# class 7: SC activations known only to the month (January 2013) follow month_coding
def test_january_2013_month_only_sc_activations_follow_month_coding():
    fips = "17001"  # Adams County IL: monthly file only, 2013-01
    for coding, expected in (("any_day", 1), ("majority", 1), ("full_month", 0)):
        spells = build_spells(month_coding=coding)
        panel = build_panel(spells, coding, fips=[fips]).set_index(["fips", "month"])
        assert panel.loc[(fips, "2013-01"), "sc"] == expected, coding
        assert panel.loc[(fips, "2012-12"), "sc"] == 0 and panel.loc[(fips, "2013-02"), "sc"] == 1


# published counts of agreements in force (statewide agencies included), within PUBLISHED_TOLERANCE (3)
@pytest.mark.parametrize("date,count,source,confirmed", PUBLISHED_COUNTS)
def test_agreements_in_force_match_published_counts(date, count, source, confirmed):
    coded = in_force(date)
    assert abs(coded - count) <= PUBLISHED_TOLERANCE, f"{date}: {coded} agreements coded vs {count} published ({source})"


def test_published_count_check_reports_every_count():
    check = published_count_check()
    assert len(check) == len(PUBLISHED_COUNTS) and check["within_tolerance"].all()
    assert check["confirmed"].sum() == 4  # 2012 and 2014 are checks, not confirmations


def test_agreements_have_one_row_per_agency():
    a = agreements(statewide_287g=True)
    assert a[["state", "key"]].duplicated().sum() == 0
    assert not a["key"].str.contains("addendum|adult detention").any()
