"""What a spell is: reading spells back, merging touching ones, and counting days in force within periods."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.policies.spells import (
    OPEN_END,
    PolicyError,
    SpellError,
    check_option,
    days_in_force,
    iso_date,
    normalise_spells,
    spell_blocks,
)
from fixtures.policies import active_days, spell_table

SPELLS = spell_table([
    ("01001", "sc", "2010-03-15", ""),
    ("01001", "tfm", "2009-01-01", "2009-09-30"),
    ("01001", "tfm", "2009-06-01", "2009-12-31"),  # overlaps the one before
    ("1001", "tfm", "2010-01-01", "2010-02-01"),  # touches it (next day), FIPS without its leading zero
    ("02013", "jem", "2008-01-01", None),
    ("02013", "unknown_program", "2008-01-01", "2009-01-01"),
])


def test_normalise_merges_overlapping_and_touching_spells_and_drops_unknown_programs():
    s = normalise_spells(SPELLS)
    assert list(s.columns) == ["fips", "program", "start", "end", "weight"] and (s["weight"] == 1.0).all()
    assert s[["fips", "program"]].values.tolist() == [["01001", "sc"], ["01001", "tfm"], ["02013", "jem"]]
    tfm = s.iloc[1]
    assert tfm["start"] == pd.Timestamp("2009-01-01") and tfm["end"] == pd.Timestamp("2010-02-01")
    assert s.loc[s["program"] == "sc", "end"].iloc[0] == OPEN_END and s.loc[s["program"] == "jem", "end"].iloc[0] == OPEN_END


@pytest.mark.filterwarnings("ignore:Could not infer format")  # pandas says so before refusing "later"
def test_bad_spells_are_refused_with_a_clear_message():
    with pytest.raises(SpellError, match="missing column"):
        normalise_spells(SPELLS.drop(columns="end"))
    bad = SPELLS.copy()
    bad.loc[0, "end"] = "2009-01-01"
    with pytest.raises(SpellError, match="end before they start"):
        normalise_spells(bad)
    bad = SPELLS.copy()
    bad.loc[1, "start"] = "soon"
    with pytest.raises(SpellError, match="no readable start"):
        normalise_spells(bad)
    bad = SPELLS.copy()
    bad.loc[1, "end"] = "later"
    with pytest.raises(SpellError, match="cannot be read"):
        normalise_spells(bad)
    assert issubclass(SpellError, PolicyError)


def test_spell_blocks_join_touching_spells_of_one_county_and_program_only():
    t = pd.Timestamp
    fips = ["a", "a", "a", "a", "b"]
    program = ["jem", "jem", "jem", "tfm", "jem"]
    start = [t("2009-06-01"), t("2009-01-01"), t("2009-10-01"), t("2009-01-01"), t("2009-01-01")]
    end = [t("2009-09-30"), t("2009-05-31"), t("2009-12-31"), t("2009-12-31"), t("2009-12-31")]
    blocks = spell_blocks(fips, program, start, end)
    assert blocks[0] == blocks[1] == blocks[2]  # 01-01..05-31 touches 06-01..09-30, which touches 10-01
    assert len({blocks[0], blocks[3], blocks[4]}) == 3
    assert (np.diff([blocks[1], blocks[3], blocks[4]]) > 0).all()  # numbered in (fips, program, start) order


def test_days_in_force_counts_inclusive_overlap_per_program():
    s = normalise_spells(SPELLS)
    days = days_in_force(s, ["01001", "01001", "02013", "99999"],
                         pd.Series(pd.to_datetime(["2009-12-01", "2010-03-01", "2007-12-31", "2010-01-01"])),
                         pd.Series(pd.to_datetime(["2010-03-31", "2010-03-31", "2008-01-02", "2010-12-31"])),
                         ("sc", "tfm", "jem"))
    assert days.dtype == np.int64 and days.shape == (4, 3)
    # 01001 Dec 2009..Mar 2010: sc from 03-15 (17 days), merged tfm to 2010-02-01 (31 + 32 days)
    assert days[0].tolist() == [17, 63, 0]
    assert days[1].tolist() == [17, 0, 0]
    assert days[2].tolist() == [0, 0, 2]  # open jem from 2008-01-01: 2 of 3 days
    assert days[3].tolist() == [0, 0, 0]  # a county without spells


def test_days_in_force_with_no_spells_at_all_is_zero():
    empty = normalise_spells(spell_table([]))
    assert days_in_force(empty, ["01001"], pd.Series([pd.Timestamp("2010-01-01")]), pd.Series([pd.Timestamp("2010-01-31")])).tolist() == [[0, 0, 0, 0]]


def test_active_days_counts_inclusive_overlap_and_open_ends():
    s = spell_table([("06085", "sc", "2010-05-04", ""), ("04013", "tfm", "2009-01-01", "2009-01-10"),
                     ("04013", "tfm", "2009-01-20", "2009-02-05")])
    got = active_days(s, "tfm", ["04013", "4013", "06085"], ["2009-01-01", "2009-02-01", "2009-01-01"],
                      ["2009-01-31", "2009-06-30", "2009-12-31"])
    assert got.tolist() == [10 + 12, 5, 0]
    assert active_days(s, "sc", ["06085"], ["2010-05-01"], ["2010-05-31"]).tolist() == [28]
    with pytest.raises(PolicyError):
        active_days(s, "ice", ["06085"], ["2010-05-01"], ["2010-05-31"])


def test_iso_date_leaves_open_and_missing_ends_empty():
    assert iso_date(pd.Timestamp("2014-11-20")) == "2014-11-20"
    assert iso_date(None) == "" and iso_date(pd.NaT) == "" and iso_date(OPEN_END) == ""


def test_check_option_names_the_key_and_the_allowed_values():
    check_option("month_coding", "majority", ("any_day", "majority"))
    with pytest.raises(PolicyError, match="month_coding='half' is not allowed; use one of any_day, majority"):
        check_option("month_coding", "half", ("any_day", "majority"))


def test_weighted_spells_add_up_to_at_most_the_whole_county_and_weight_the_days():
    t = pd.Timestamp
    spells = spell_table([("01001", "tfm", "2009-01-01", "2009-01-10"), ("01001", "tfm", "2009-01-06", "2009-01-20"),
                          ("01001", "tfm", "2009-01-15", "2009-01-31")]).assign(weight=[0.25, 0.5, 1.0])
    s = normalise_spells(spells)
    assert s[["start", "end", "weight"]].values.tolist() == [
        [t("2009-01-01"), t("2009-01-05"), 0.25], [t("2009-01-06"), t("2009-01-10"), 0.75],
        [t("2009-01-11"), t("2009-01-14"), 0.5], [t("2009-01-15"), t("2009-01-31"), 1.0]]
    days = days_in_force(s, ["01001"], [t("2009-01-01")], [t("2009-01-31")], programs=("tfm",))
    assert days.dtype == np.float64 and days[0, 0] == 5 * 0.25 + 5 * 0.75 + 4 * 0.5 + 17
