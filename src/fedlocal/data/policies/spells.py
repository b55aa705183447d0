"""What a policy spell is, and the day arithmetic every user of spells shares.

A spell is one county x program x contiguous period in force: fips, program, start, end (both days
inclusive; an empty end means still in force) and weight, the share of the county's population the policy
covers (1 unless a city's policy is weighted by its population share, city_policies='population_share'). The builders write spells as text (SPELL_COLUMNS, the
data/policy-spells.csv table); `normalise_spells` reads any spells table back into timestamps with
touching or overlapping spells merged, and `days_in_force` counts the days a program was in force
within given periods. The county x month panel and the exposure of NCVS reference periods both count
days through `days_in_force`, so a month and an interview period are measured by the same rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal import FedlocalError
from fedlocal.vocab import POLICIES

SPELL_COLUMNS = ["fips", "program", "start", "end", "date_precision", "sources", "confidence", "rule", "weight"]
OPEN_END = pd.Timestamp("2262-01-01")  # stands in for an empty end date: later than any period asked about


class PolicyError(FedlocalError):
    """A coding option or an input that the policy builder cannot use."""


class SpellError(PolicyError):
    """Policy spells that cannot be used (missing columns, unreadable dates, end before start)."""


def check_option(name: str, value, allowed) -> None:
    """Refuse a coding choice outside its allowed values (the tuples of fedlocal.vocab)."""
    if value not in allowed:
        raise PolicyError(f"policy coding: {name}={value!r} is not allowed; use one of {', '.join(allowed)}.")


def iso_date(ts) -> str:
    """A spell date as text: 'YYYY-MM-DD', or '' for a missing or open end."""
    return "" if ts is None or pd.isna(ts) or ts >= OPEN_END else pd.Timestamp(ts).date().isoformat()


def spell_blocks(fips, program, start, end) -> np.ndarray:
    """Block number of each spell: spells of one county and program that overlap or touch (the next starts
    at most a day after the running end) share a block. Numbers rise with (fips, program, start)."""
    s = pd.DataFrame({"key": pd.Series(fips).astype(str).to_numpy() + "|" + pd.Series(program).astype(str).to_numpy(),
                      "start": pd.to_datetime(pd.Series(start)).to_numpy(),
                      "end": pd.to_datetime(pd.Series(end)).to_numpy()})
    order = s.sort_values(["key", "start"], kind="stable").index
    s = s.loc[order]
    run_end = s.groupby("key", sort=False)["end"].cummax()
    prev_end = run_end.groupby(s["key"].to_numpy(), sort=False).shift(1)
    new_block = prev_end.isna() | (s["start"] > prev_end + pd.Timedelta(days=1))
    blocks = np.empty(len(s), dtype=np.int64)
    blocks[order.to_numpy()] = new_block.cumsum().to_numpy()
    return blocks


def _weighted_pieces(s: pd.DataFrame) -> pd.DataFrame:
    """Non-overlapping pieces of one county-program's weighted spells: on each piece the weight is the sum of the
    weights in force (a city inside a county whose sheriff also has the policy: capped at 1); touching pieces of
    equal weight are joined."""
    day = pd.Timedelta(days=1)
    cuts = sorted(set(s["start"]) | {e + day for e in s["end"]})
    pieces = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        w = min(1.0, float(s.loc[(s["start"] <= a) & (s["end"] >= a), "weight"].sum()))
        if w <= 0:
            continue
        if pieces and pieces[-1][3] == w and pieces[-1][2] + day == a:
            pieces[-1] = (pieces[-1][0], pieces[-1][1], b - day, w)
        else:
            pieces.append((a, None, b - day, w))
    f, prog = s["fips"].iloc[0], s["program"].iloc[0]
    return pd.DataFrame([(f, prog, a, e, w) for a, _, e, w in pieces], columns=["fips", "program", "start", "end", "weight"])


def normalise_spells(spells: pd.DataFrame, programs=POLICIES) -> pd.DataFrame:
    """Spells as (fips, program, start, end, weight) with overlapping or touching spells merged (spells without a
    weight column weigh 1; where weights below 1 occur, overlapping weights add up to at most 1)."""
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
    weight = pd.to_numeric(spells["weight"], errors="coerce") if "weight" in spells.columns else pd.Series(1.0, index=spells.index)
    s["weight"] = weight.reindex(s.index).fillna(1.0).clip(0, 1).to_numpy()
    s = s[s["weight"] > 0].sort_values(["fips", "program", "start"]).reset_index(drop=True)
    partial = s.groupby(["fips", "program"])["weight"].transform("min") < 1
    whole = s[~partial]
    block = spell_blocks(whole["fips"], whole["program"], whole["start"], whole["end"])
    merged = whole.groupby(block).agg(fips=("fips", "first"), program=("program", "first"),
                                      start=("start", "min"), end=("end", "max")).assign(weight=1.0)
    if partial.any():
        pieces = [_weighted_pieces(g) for _, g in s[partial].groupby(["fips", "program"], sort=True)]
        merged = pd.concat([merged, *pieces], ignore_index=True).sort_values(["fips", "program", "start"])
    return merged.reset_index(drop=True)


def _day_numbers(dates) -> np.ndarray:
    return pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]").astype(np.int64)


def days_in_force(spells: pd.DataFrame, fips, first, last, programs=POLICIES) -> np.ndarray:
    """Days each program was in force in each county's period [first, last] (both days inclusive).

    spells: as returned by `normalise_spells` (no two spells of a county and program overlap, so the days
    of several spells add up). fips, first, last: one entry per period. Returns an int64 array with one
    row per period and one column per program; a county without spells has zeros. Spells with weights
    below 1 give weighted days (float): a day on which a city covering 40% of the county is on counts 0.4.
    """
    weighted = "weight" in spells.columns and (spells["weight"] < 1).any()
    days = np.zeros((len(fips), len(programs)), dtype=np.float64 if weighted else np.int64)
    sp = spells[spells["program"].isin(programs)]
    periods = pd.DataFrame({"fips": np.asarray(fips, dtype=object), "row": np.arange(len(fips))})
    m = periods.merge(sp[["fips", "program", "start", "end"] + (["weight"] if weighted else [])], on="fips", how="inner")
    if len(m):
        row = m["row"].to_numpy()
        lo, hi = _day_numbers(first)[row], _day_numbers(last)[row]
        overlap = np.minimum(_day_numbers(m["end"]), hi) - np.maximum(_day_numbers(m["start"]), lo) + 1
        overlap = np.clip(overlap, 0, None)
        if weighted:
            overlap = overlap * m["weight"].to_numpy()
        np.add.at(days, (row, pd.Index(programs).get_indexer(m["program"])), overlap)
    return days
