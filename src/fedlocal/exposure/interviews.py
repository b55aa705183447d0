"""Exposure of each interview's 6-month reference period to each county policy, from the policy spells.

The NCVS asks about the 6 months before the first day of the interview month, so an interview in
2010-07 covers 2010-01-01..2010-06-30. A county's policy history is a set of spells (fips, program,
start, end; an empty end means still on). The same code links both NCVS sources.

Rules (parameter `exposure_rule`):
- `any`: 1 if the policy was active on at least one day of the reference period;
- `all`: 1 only if it was active on every day of it;
- `share`: the share of the reference period's days on which it was active (0..1);
- `at_interview`: 1 if it was active on at least one day of the interview month itself.

Work is done once per distinct (county, interview month), not per row, so a million interviews
link in well under a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.data.ncvs.schema import month_start, reference_period
from fedlocal.vocab import EXPOSURE_RULES, POLICIES

RULES = EXPOSURE_RULES
OPEN_END = pd.Timestamp("2262-01-01")  # an open spell runs past any interview


class SpellError(FedlocalError):
    """Policy spells that cannot be used (missing columns, unreadable dates, end before start)."""


def normalise_spells(spells: pd.DataFrame, programs=POLICIES) -> pd.DataFrame:
    """Spells as (fips, program, start, end) timestamps with overlapping or touching spells merged."""
    need = ["fips", "program", "start", "end"]
    missing = [c for c in need if c not in spells.columns]
    if missing:
        raise SpellError(f"policy spells: missing column(s) {', '.join(missing)}; expected {need} (data/policy-spells.csv from stage 'policies').")
    s = spells[need].copy()
    s = s[s["program"].astype(str).isin(programs)]
    s["fips"] = s["fips"].astype(str).str.zfill(5)
    s["program"] = s["program"].astype(str)
    start = pd.to_datetime(s["start"], errors="coerce")
    end_text = s["end"].astype("object").where(s["end"].notna(), None)
    end_blank = end_text.isna() | (end_text.astype(str).str.strip() == "")
    end = pd.to_datetime(end_text.where(~end_blank), errors="coerce")
    if start.isna().any():
        bad = s.loc[start.isna().to_numpy()].iloc[0]
        raise SpellError(f"policy spells: {int(start.isna().sum())} spell(s) have no readable start date "
                         f"(e.g. fips {bad['fips']}, program {bad['program']}, start {bad['start']!r}).")
    unreadable = end.isna() & ~end_blank
    if unreadable.any():
        bad = s.loc[unreadable.to_numpy()].iloc[0]
        raise SpellError(f"policy spells: {int(unreadable.sum())} end date(s) cannot be read (e.g. {bad['end']!r} for fips {bad['fips']}); "
                         "use YYYY-MM-DD or leave it empty for a spell still in force.")
    end = end.where(~end_blank, OPEN_END)
    if (end < start).any():
        bad = s.loc[(end < start).to_numpy()].iloc[0]
        raise SpellError(f"policy spells: {int((end < start).sum())} spell(s) end before they start "
                         f"(e.g. fips {bad['fips']}, program {bad['program']}, {bad['start']}..{bad['end']}).")
    s["start"], s["end"] = start.to_numpy(), end.to_numpy()
    s = s.sort_values(["fips", "program", "start"]).reset_index(drop=True)
    # merge overlapping/touching spells within (fips, program): a new block starts when start > running max end + 1 day
    grp = s["fips"] + "|" + s["program"]
    run_end = s.groupby(grp.to_numpy())["end"].cummax()
    prev_end = run_end.groupby(grp.to_numpy()).shift(1)
    new_block = prev_end.isna() | (s["start"] > prev_end + pd.Timedelta(days=1))
    block = new_block.cumsum()
    merged = s.groupby(block.to_numpy()).agg(fips=("fips", "first"), program=("program", "first"),
                                               start=("start", "min"), end=("end", "max"))
    return merged.reset_index(drop=True)


def _days(ts) -> np.ndarray:
    return pd.to_datetime(ts).to_numpy(dtype="datetime64[D]").astype(np.int64)


def link_exposure(interviews: pd.DataFrame, spells: pd.DataFrame, rule: str = "any",
                  programs=POLICIES) -> pd.DataFrame:
    """Exposure columns (one float64 per program) aligned with `interviews` (needs county_fips, interview_month)."""
    if rule not in RULES:
        raise FedlocalError(f"exposure_rule {rule!r} is not one of {', '.join(RULES)}.")
    keys = pd.DataFrame({"county_fips": interviews["county_fips"].astype(str).to_numpy(),
                         "interview_month": interviews["interview_month"].astype(str).to_numpy()})
    combo_code, combos = pd.factorize(keys["county_fips"] + "|" + keys["interview_month"])
    combo = pd.DataFrame({"fips": combos.str[:5], "month": combos.str[6:]})
    first = month_start(combo["month"])
    ref_start, ref_end = reference_period(combo["month"])
    if rule == "at_interview":
        lo, hi = _days(first), _days(first + pd.offsets.MonthEnd(0))
    else:
        lo, hi = _days(ref_start), _days(ref_end)
    period = (hi - lo + 1).astype(float)
    sp = normalise_spells(spells, programs)
    out = np.zeros((len(combo), len(programs)))
    if len(sp):
        combo["i"] = np.arange(len(combo))
        m = combo[["fips", "i"]].merge(sp.assign(s=_days(sp["start"]), e=_days(sp["end"]))[["fips", "program", "s", "e"]],
                                       on="fips", how="inner")
        i = m["i"].to_numpy()
        overlap = np.minimum(m["e"].to_numpy(), hi[i]) - np.maximum(m["s"].to_numpy(), lo[i]) + 1
        overlap = np.clip(overlap, 0, None).astype(float)
        p_index = pd.Index(programs).get_indexer(m["program"])
        np.add.at(out, (i, p_index), overlap)
    if rule in ("any", "at_interview"):
        out = (out > 0).astype(float)
    elif rule == "all":
        out = (out >= period[:, None]).astype(float)
    else:
        out = np.minimum(out / period[:, None], 1.0)
    return pd.DataFrame(out[combo_code], columns=list(programs), index=interviews.index)
