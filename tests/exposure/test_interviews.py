"""Exposure of reference periods to policy spells, on hand-built spells with answers worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from fedlocal import FedlocalError
from fedlocal.data.ncvs.schema import reference_period
from fedlocal.data.policies.spells import SpellError
from fedlocal.exposure.interviews import link_exposure

SPELLS = pd.DataFrame([
    # county A: SC from 2010-03-15, open
    ("01001", "sc", "2010-03-15", ""),
    # county A: TFM on 2009-01-01..2009-12-31, two overlapping spells that must not be double counted
    ("01001", "tfm", "2009-01-01", "2009-09-30"),
    ("01001", "tfm", "2009-06-01", "2009-12-31"),
    # county B: anti-detainer for exactly one day
    ("02013", "antidetainer", "2011-02-10", "2011-02-10"),
    ("02013", "jem", "2008-01-01", None),
    ("02013", "unknown_program", "2008-01-01", "2009-01-01"),
], columns=["fips", "program", "start", "end"])

INTERVIEWS = pd.DataFrame({
    "county_fips": ["01001", "01001", "01001", "01001", "02013", "02013", "02013", "99999"],
    "interview_month": ["2010-03", "2010-07", "2010-10", "2010-01", "2011-03", "2011-02", "2011-09", "2010-07"],
})


def test_reference_period_is_six_months_before_interview_month():
    start, end = reference_period(pd.Series(["2010-07", "2012-03"]))
    assert list(start.dt.strftime("%Y-%m-%d")) == ["2010-01-01", "2011-09-01"]
    assert list(end.dt.strftime("%Y-%m-%d")) == ["2010-06-30", "2012-02-29"]


def test_rule_any():
    e = link_exposure(INTERVIEWS, SPELLS, "any")
    # 2010-03 covers 2009-09..2010-02: SC not yet (starts 2010-03-15); TFM yes (to 2009-12-31)
    assert e.loc[0, "sc"] == 0 and e.loc[0, "tfm"] == 1
    # 2010-07 covers 2010-01..2010-06: SC from 03-15 -> any; TFM ended -> 0
    assert e.loc[1, "sc"] == 1 and e.loc[1, "tfm"] == 0
    assert e.loc[3, "tfm"] == 1  # 2010-01 covers 2009-07..2009-12
    assert e.loc[4, "antidetainer"] == 1 and e.loc[6, "antidetainer"] == 0  # 2011-02-10 is in 2011-03 (2010-09..2011-02), not in 2011-09 (2011-03..2011-08)
    assert e.loc[5, "antidetainer"] == 0  # interview month 2011-02 covers 2010-08..2011-01
    assert e.loc[7].sum() == 0  # county without spells
    assert list(e.columns) == ["sc", "jem", "tfm", "antidetainer"] and e.dtypes.eq("float64").all()


def test_rule_all_and_share():
    a = link_exposure(INTERVIEWS, SPELLS, "all")
    s = link_exposure(INTERVIEWS, SPELLS, "share")
    assert a.loc[1, "sc"] == 0 and a.loc[2, "sc"] == 1  # 2010-10 covers 2010-04..2010-09, all after 03-15
    # 2010-07: SC active 2010-03-15..2010-06-30 = 17+30+31+30 = 108 of 181 days (Jan 31+Feb 28+Mar 31+Apr 30+May 31+Jun 30)
    assert s.loc[1, "sc"] == pytest.approx(108 / 181)
    # 2010-01: TFM merged spell 2009-01-01..2009-12-31 covers all of 2009-07..2009-12 exactly once (share 1, not 2)
    assert s.loc[3, "tfm"] == pytest.approx(1.0) and a.loc[3, "tfm"] == 1
    # 2011-03: one day of 2010-09-01..2011-02-28 (181 days)
    assert s.loc[4, "antidetainer"] == pytest.approx(1 / 181)
    assert a.loc[4, "jem"] == 1  # open JEM spell
    assert ((s >= 0) & (s <= 1)).all().all()


def test_rule_at_interview():
    e = link_exposure(INTERVIEWS, SPELLS, "at_interview")
    assert e.loc[0, "sc"] == 1  # SC starts in the interview month 2010-03
    assert e.loc[0, "tfm"] == 0  # TFM ended before 2010-03
    assert e.loc[5, "antidetainer"] == 1 and e.loc[4, "antidetainer"] == 0


def test_many_rows_match_row_by_row_answer():
    rng = np.random.default_rng(1)
    n = 20_000
    months = pd.period_range("2005-01", "2014-12", freq="M").astype(str)
    iv = pd.DataFrame({"county_fips": rng.choice(["01001", "02013", "04005"], n), "interview_month": rng.choice(months, n)})
    e = link_exposure(iv, SPELLS, "share")
    for row in iv.drop_duplicates().itertuples():
        start, end = reference_period(pd.Series([row.interview_month]))
        days = pd.date_range(start[0], end[0])
        sp = SPELLS[(SPELLS.fips == row.county_fips) & (SPELLS.program == "sc")]
        active = np.zeros(len(days), bool)
        for s in sp.itertuples():
            active |= (days >= s.start) & ((days <= s.end) if s.end else True)
        got = e.loc[(iv.county_fips == row.county_fips) & (iv.interview_month == row.interview_month), "sc"]
        assert np.allclose(got, active.mean())


def test_bad_spells_are_refused_with_a_clear_message():
    with pytest.raises(SpellError, match="missing column"):
        link_exposure(INTERVIEWS, SPELLS.drop(columns="end"))
    bad = SPELLS.copy()
    bad.loc[0, "end"] = "2009-01-01"
    with pytest.raises(SpellError, match="end before they start"):
        link_exposure(INTERVIEWS, bad)


def test_an_unknown_rule_is_refused():
    with pytest.raises(FedlocalError, match="exposure_rule 'most'"):
        link_exposure(INTERVIEWS, SPELLS, "most")
