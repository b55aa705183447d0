"""The spells table and the county x month panel: month coding on hand-built spells, and the whole build."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.policies.panel import (
    build_panel,
    build_spells,
    counties_on,
    coverage_by_month,
    coverage_by_year,
    first_full_month,
    peak_month,
    program_starts,
    spell_counts,
)
from fedlocal.data.policies.spells import SPELL_COLUMNS, PolicyError
from fixtures.policies import spell_table

TOY_PANEL = pd.DataFrame({
    "fips": ["a", "a", "a", "b", "b", "b"], "month": ["2010-01", "2010-02", "2010-03"] * 2,
    "sc": [0, 1, 1, 0, 0, 1], "jem": [1, 1, 0, 0, 1, 0], "tfm": [0, 0, 0, 0, 1, 1], "antidetainer": [0] * 6,
})


def test_month_coding_rules_count_a_mid_month_start_differently():
    s = spell_table([("01001", "sc", "2010-03-18", ""), ("01001", "jem", "2010-01-01", "2010-01-16")])
    any_ = build_panel(s, "any_day", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    maj = build_panel(s, "majority", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    full = build_panel(s, "full_month", fips=["01001"], first="2010-01", last="2010-04").set_index("month")
    assert any_["sc"].tolist() == [0, 0, 1, 1]
    assert maj["sc"].tolist() == [0, 0, 0, 1]  # 14 of 31 March days
    assert full["sc"].tolist() == [0, 0, 0, 1]
    assert maj["jem"].tolist() == [1, 0, 0, 0] and full["jem"].tolist() == [0, 0, 0, 0]  # 16 of 31 days


def test_overlapping_spells_count_each_day_once():
    s = spell_table([("01001", "jem", "2010-01-01", "2010-01-10"), ("01001", "jem", "2010-01-05", "2010-01-12")])
    got = build_panel(s, "majority", fips=["01001"], first="2010-01", last="2010-01")
    assert got["jem"].tolist() == [0]  # 12 distinct days of 31, not 10 + 8


def test_panel_has_every_county_and_month():
    s = spell_table([("01001", "sc", "2012-01-01", "")])
    p = build_panel(s)
    assert len(p) == 3143 * 120 and p["month"].iloc[0] == "2005-01" and p["month"].iloc[-1] == "2014-12"
    assert p[["sc", "jem", "tfm", "antidetainer"]].dtypes.eq("int8").all()


def test_an_unknown_month_coding_is_refused():
    with pytest.raises(PolicyError, match="month_coding"):
        build_panel(spell_table([]), "half")


def test_spells_are_contiguous_and_ordered(spells):
    s = spells.copy()
    assert list(s.columns) == SPELL_COLUMNS
    end = s["end"].replace("", "2262-01-01")
    assert (end >= s["start"]).all()
    for (_, _), g in s.groupby(["fips", "program"]):
        if len(g) > 1:
            e = pd.to_datetime(g["end"].replace("", "2262-01-01")).to_numpy()[:-1]
            st = pd.to_datetime(g["start"]).to_numpy()[1:]
            assert (st > e + np.timedelta64(1, "D")).all()


def test_spell_counts_list_every_program_in_order():
    s = spell_table([("01001", "jem", "2008-01-01", "2008-12-31"), ("01001", "jem", "2010-01-01", ""),
                     ("01003", "jem", "2009-01-01", ""), ("01001", "sc", "2009-01-01", "")])
    got = spell_counts(s)
    assert list(got.index) == ["sc", "jem", "tfm", "antidetainer"]
    assert got.loc["jem"].tolist() == [3, 2] and got.loc["sc"].tolist() == [1, 1] and got.loc["tfm"].isna().all()


def test_program_starts_take_each_countys_first_start():
    s = spell_table([("01001", "jem", "2010-01-01", ""), ("01001", "jem", "2008-01-01", "2008-12-31"),
                     ("01003", "jem", "2009-01-01", ""), ("01005", "sc", "2009-01-01", "")])
    assert program_starts(s, "jem").to_dict() == {"01001": "2008-01-01", "01003": "2009-01-01"}


def test_panel_summaries_on_a_toy_panel():
    assert first_full_month(TOY_PANEL, "sc") == "2010-03"
    assert pd.isna(first_full_month(TOY_PANEL, "antidetainer"))
    assert counties_on(TOY_PANEL, "sc", "2010-02") == 1 and counties_on(TOY_PANEL, "sc", "2010-03", fips=["b"]) == 1
    assert peak_month(TOY_PANEL, ("jem", "tfm")) == ("2010-02", 2)  # b has jem and tfm in 2010-02: one county


def test_coverage_is_a_population_share(panel):
    p = panel.reset_index()
    by_month = coverage_by_month(p)
    assert list(by_month.columns) == ["sc", "jem", "tfm", "antidetainer"] and len(by_month) == 120
    assert by_month.loc["2014-12", "sc"] == pytest.approx(1.0) and by_month.loc["2005-01", "sc"] == 0
    by_year = coverage_by_year(p).set_index(["program", "year"])
    assert by_year.loc[("sc", 2014), "counties_december"] == 3143
    assert by_year.loc[("sc", 2014), "population_share_december"] == pytest.approx(by_month.loc["2014-12", "sc"])


def test_spells_of_one_coding_are_the_same_after_a_caller_changed_an_earlier_copy():
    before = build_spells(sc_end="suspension")
    changed = build_spells(sc_end="suspension")
    changed.loc[:, "start"] = "1999-01-01"
    pd.testing.assert_frame_equal(build_spells(sc_end="suspension"), before)
