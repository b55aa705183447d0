"""Disclosure rules for output built from the restricted NCVS, as a Census Bureau research data center applies them.

The rules are those the Census Bureau Disclosure Review Board (DRB) states for statistics produced from
confidential data (cited in `data/README.md`):

- unweighted counts: fewer than 15 is shown as "<15"; 15-99 rounded to the nearest 10; 100-999 to the
  nearest 50; 1,000-9,999 to the nearest 100; 10,000-99,999 to the nearest 500; 100,000-999,999 to the
  nearest 1,000; 1,000,000 or more to four significant digits;
- every other number (estimates, weighted counts, coefficients, standard errors): at most four
  significant digits;
- ties round half to even (1000.5 -> 1000, 1001.5 -> 1002), applied here to the exact value held.

Two further rules are this project's, not quoted from the DRB (the stored guidance gives no number for
them): an estimate with fewer than `MIN_COUNT` (15) unweighted observations behind it is suppressed, the
same threshold as for counts; and the implicit-sample check flags any two released cells whose unweighted
samples differ by a nonzero number of observations below `MIN_COUNT`, since subtracting them would
describe that small group. The final word is the reviewer's: the review bundle lists every released cell,
the exact N behind it and the rule applied, and is itself confidential.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from fedlocal.paths import write_atomic

MIN_COUNT = 15
SIG_DIGITS = 4
BELOW_MIN = f"<{MIN_COUNT}"

# (lower bound inclusive, upper bound exclusive, rounding base) for unweighted counts below one million
COUNT_SCHEDULE: tuple[tuple[int, int, int], ...] = (
    (15, 100, 10),
    (100, 1_000, 50),
    (1_000, 10_000, 100),
    (10_000, 100_000, 500),
    (100_000, 1_000_000, 1_000),
)

RULE_ESTIMATE = "estimate: 4 significant digits"
RULE_BELOW_MIN = f"count below {MIN_COUNT}: shown as {BELOW_MIN}"
RULE_MISSING = "missing: left empty"
CELL_COLUMNS = ["output", "row", "column", "kind", "original", "released", "withheld", "n_unweighted", "rule"]

CITATION = (
    "U.S. Census Bureau Disclosure Review Board rounding rules as stated in S. L. Garfinkel, "
    "'DRB Rounding Tools' (U.S. Census Bureau, September 2019), https://github.com/simsong/drb_rounder"
)


class DisclosureError(ValueError):
    """A value that cannot be released under the rules (or is not what its column was declared to be)."""


def _is_missing(x) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and math.isnan(x))


def _half_even(n: int, base: int) -> int:
    q, r = divmod(n, base)
    if 2 * r > base or (2 * r == base and q % 2 == 1):
        q += 1
    return q * base


def round_sig(x: float, digits: int = SIG_DIGITS) -> float:
    """`x` rounded to `digits` significant digits, ties to even, on the exact binary value of `x`.

    0, NaN and infinities are returned unchanged. 1000.5 -> 1000.0, 1001.5 -> 1002.0, 0.000123456 -> 0.0001235.
    """
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return x
    d = Decimal(x)
    exponent = d.adjusted() - (digits - 1)
    return float(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN))


def _as_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Real) or not math.isfinite(float(n)):
        raise DisclosureError(f"{n!r} is not an unweighted count (a whole number >= 0)")
    if float(n) != int(n) or n < 0:
        raise DisclosureError(f"{n!r} is not an unweighted count (a whole number >= 0); "
                              "declare weighted counts and other non-integers as estimates")
    return int(n)


def count_rule(n) -> str:
    """The rule that applies to unweighted count `n`, as written in the review bundle."""
    n = _as_count(n)
    if n < MIN_COUNT:
        return RULE_BELOW_MIN
    for lo, hi, base in COUNT_SCHEDULE:
        if lo <= n < hi:
            return f"count {lo:,}-{hi - 1:,}: nearest {base:,}"
    return "count 1,000,000 or more: 4 significant digits"


def round_count(n) -> int:
    """Unweighted count `n` rounded on the DRB schedule; a count below 15 cannot be released (DisclosureError)."""
    n = _as_count(n)
    if n < MIN_COUNT:
        raise DisclosureError(f"an unweighted count below {MIN_COUNT} is not released (shown as {BELOW_MIN})")
    for lo, hi, base in COUNT_SCHEDULE:
        if lo <= n < hi:
            return _half_even(n, base)
    return _half_even(n, 10 ** (len(str(n)) - SIG_DIGITS))


def suppression_reason(n, min_n: int = MIN_COUNT) -> str | None:
    """Why a cell with `n` unweighted observations behind it is suppressed, or None when it may be shown."""
    if _is_missing(n):
        return "suppressed: the number of unweighted observations behind the cell is unknown"
    n = _as_count(n)
    return None if n >= min_n else f"suppressed: fewer than {min_n} unweighted observations behind the cell"


@dataclass(frozen=True)
class Released:
    """One cell as released: its rounded value (None when withheld or missing), what is shown, the rule applied."""

    value: float | int | None
    shown: object
    rule: str
    withheld: bool = False


def suppressed_text(min_n: int = MIN_COUNT) -> str:
    """What a suppressed estimate cell shows."""
    return f"suppressed (N<{min_n})"


def release_count(n) -> Released:
    if _is_missing(n):
        return Released(None, np.nan, RULE_MISSING)
    rule = count_rule(n)
    if rule == RULE_BELOW_MIN:
        return Released(None, BELOW_MIN, rule, withheld=True)
    value = round_count(n)
    return Released(value, value, rule)


def release_estimate(x, n, min_n: int = MIN_COUNT) -> Released:
    if _is_missing(x):
        return Released(None, np.nan, RULE_MISSING)
    reason = suppression_reason(n, min_n)
    if reason is not None:
        return Released(None, suppressed_text(min_n), "estimate " + reason, withheld=True)
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise DisclosureError(f"{x!r} is not a number; only numeric columns can be declared estimates")
    value = round_sig(x)
    return Released(value, value, RULE_ESTIMATE)


@dataclass(frozen=True)
class Protected:
    """A table made releasable: `table` is what may be shown; `cells` records every statistic in it.

    `cells` has one row per statistic: output, row (the row's labels), column, kind (estimate or count),
    original (exact, confidential), released (what is shown), withheld (True when not shown),
    n_unweighted (the exact N behind the cell), rule.
    """

    name: str
    table: pd.DataFrame
    cells: pd.DataFrame

    def samples(self) -> pd.DataFrame:
        """The unweighted samples behind the cells actually shown: output, cell, n (one row per row and N)."""
        c = self.cells
        shown = c[~c["withheld"].astype(bool) & c["released"].notna()].dropna(subset=["n_unweighted"])
        shown = shown.drop_duplicates(subset=["row", "n_unweighted"], keep="first")
        return pd.DataFrame({"output": shown["output"], "cell": shown["row"] + " / " + shown["column"],
                             "n": shown["n_unweighted"].astype("int64")}).reset_index(drop=True)


def _n_mapping(n: str | Mapping[str, str] | None, estimates: Sequence[str]) -> dict[str, str]:
    if not estimates:
        return {}
    if n is None:
        raise DisclosureError("estimates need the unweighted N behind each row: pass n=<count column> "
                              "(or a mapping from each estimate column to its count column)")
    if isinstance(n, str):
        return {c: n for c in estimates}
    missing = [c for c in estimates if c not in n]
    if missing:
        raise DisclosureError(f"no unweighted N column given for estimate column(s) {missing}")
    return {c: n[c] for c in estimates}


def _row_label(row: pd.Series, label_cols: Sequence[str], index) -> str:
    if not label_cols:
        return f"row {index}"
    return "; ".join(f"{c}={row[c]}" for c in label_cols)


def protect_table(df: pd.DataFrame, *, name: str, estimates: Sequence[str] = (), counts: Sequence[str] = (),
                  n: str | Mapping[str, str] | None = None, labels: Sequence[str] = (), keep_n: bool = True,
                  min_n: int = MIN_COUNT) -> Protected:
    """Apply the rules to a table: estimates to 4 significant digits (suppressed when their N < `min_n`),
    unweighted counts on the DRB schedule (<15 shown as "<15").

    `n` names the unweighted-count column behind each row (or maps each estimate column to its own);
    those columns are released as counts unless `keep_n=False` drops them. Every numeric column must be
    declared as an estimate, a count, an N or a label (an identifier such as the year, not a statistic),
    so nothing numeric leaves unrounded by omission.
    """
    estimates, counts, labels = list(estimates), list(counts), list(labels)
    n_of = _n_mapping(n, estimates)
    n_cols = list(dict.fromkeys(n_of.values()))
    if isinstance(n, str) and n not in n_cols:
        n_cols.append(n)
    unknown = [c for c in [*estimates, *counts, *labels, *n_cols] if c not in df.columns]
    if unknown:
        raise DisclosureError(f"{name}: column(s) {unknown} not in the table (columns: {list(df.columns)})")
    twice = set(estimates) & (set(counts) | set(n_cols) | set(labels))
    if twice:
        raise DisclosureError(f"{name}: column(s) {sorted(twice)} declared both as estimates and as counts/labels")
    released_counts = list(dict.fromkeys([*counts, *(n_cols if keep_n else [])]))
    declared = set(estimates) | set(counts) | set(n_cols) | set(labels)
    undeclared = [c for c in df.columns if c not in declared and pd.api.types.is_numeric_dtype(df[c])
                  and not pd.api.types.is_bool_dtype(df[c])]
    if undeclared:
        raise DisclosureError(f"{name}: numeric column(s) {undeclared} are not declared; pass each one as an "
                              "estimate, a count, the N, or a label (an identifier, not a statistic)")
    label_cols = [c for c in df.columns if c not in declared] + [c for c in labels if c in df.columns]
    label_cols = list(dict.fromkeys(label_cols))

    table = df.copy()
    for c in [*estimates, *released_counts]:
        table[c] = table[c].astype(object)
    records = []
    for pos, (idx, row) in enumerate(df.iterrows()):
        label = _row_label(row, label_cols, idx)
        for c in released_counts:
            rel = release_count(row[c])
            table.iat[pos, table.columns.get_loc(c)] = rel.shown
            records.append((name, label, c, "count", row[c], rel.shown, rel.withheld, row[c], rel.rule))
        for c in estimates:
            rel = release_estimate(row[c], row[n_of[c]], min_n)
            table.iat[pos, table.columns.get_loc(c)] = rel.shown
            records.append((name, label, c, "estimate", row[c], rel.shown, rel.withheld, row[n_of[c]], rel.rule))
    if not keep_n:
        table = table.drop(columns=[c for c in n_cols if c not in counts])
    cells = pd.DataFrame.from_records(records, columns=CELL_COLUMNS)
    return Protected(name=name, table=table, cells=cells)


def implicit_samples(samples: pd.DataFrame, min_n: int = MIN_COUNT) -> pd.DataFrame:
    """Pairs of released cells whose unweighted samples differ by 1 to `min_n - 1` observations.

    `samples` has columns output, cell, n (e.g. `samples_of(...)`). Subtracting two such cells would
    describe a group smaller than the minimum when one sample contains the other; the check cannot know
    nesting, so it lists every such pair (within and across outputs) for the reviewer to clear.
    Returns output_a, cell_a, n_a, output_b, cell_b, n_b, difference, sorted by difference.
    """
    cols = ["output_a", "cell_a", "n_a", "output_b", "cell_b", "n_b", "difference"]
    s = samples.loc[:, ["output", "cell", "n"]].dropna(subset=["n"]).astype({"n": "int64"})
    s = s.sort_values(["n", "output", "cell"], kind="mergesort").reset_index(drop=True)
    ns = s["n"].to_numpy()
    pairs = []
    for i in range(len(s)):
        j = i + 1
        while j < len(s) and ns[j] - ns[i] < min_n:
            d = int(ns[j] - ns[i])
            if d > 0:
                a, b = s.iloc[i], s.iloc[j]
                pairs.append((a["output"], a["cell"], int(a["n"]), b["output"], b["cell"], int(b["n"]), d))
            j += 1
    out = pd.DataFrame.from_records(pairs, columns=cols)
    return out.sort_values(["difference", "n_a", "output_a", "cell_a"], kind="mergesort").reset_index(drop=True)


def samples_of(outputs: Iterable[Protected]) -> pd.DataFrame:
    frames = [p.samples() for p in outputs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["output", "cell", "n"])


def _md_cell(v) -> str:
    if _is_missing(v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    return str(v).replace("|", "\\|")


def markdown_table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "|".join("---" for _ in df.columns) + "|"]
    lines += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def write_review_bundle(path: str | Path, outputs: Sequence[Protected], min_n: int = MIN_COUNT) -> tuple[Path, Path]:
    """Write the disclosure-review bundle: `path` (.md, for the reviewer) and the same cells as `.csv` beside it.

    It lists each released output, every released cell with the exact unweighted N behind it and the rule
    applied, and the implicit-sample check. It holds exact counts, so it is confidential: it stays in the
    data centre with the reviewer and is never released itself.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [p.name for p in outputs]
    if len(set(names)) != len(names):
        raise DisclosureError(f"two released outputs share a name: {sorted({n for n in names if names.count(n) > 1})}")
    flagged = implicit_samples(samples_of(outputs), min_n)
    cells = (pd.concat([p.cells for p in outputs], ignore_index=True) if outputs
             else pd.DataFrame(columns=CELL_COLUMNS))
    parts = [
        "# Disclosure review bundle\n",
        "CONFIDENTIAL: this file shows exact unweighted counts and unrounded values. It is for the disclosure "
        "reviewer inside the research data center and is not itself released.\n",
        "## Rules applied\n",
        f"- Unweighted counts: below {MIN_COUNT} shown as `{BELOW_MIN}`; "
        + "; ".join(f"{lo:,}-{hi - 1:,} to the nearest {b:,}" for lo, hi, b in COUNT_SCHEDULE)
        + "; 1,000,000 or more to 4 significant digits. Ties to even.",
        "- Estimates (weighted counts, rates, coefficients, standard errors): 4 significant digits, ties to even.",
        f"- Estimates with fewer than {min_n} unweighted observations behind them: suppressed, shown as "
        f"`{suppressed_text(min_n)}` (project rule).",
        f"- Implicit samples: every pair of released cells whose unweighted N differ by 1 to {min_n - 1} is "
        "listed below (project rule; the check cannot tell nested samples from unrelated ones).",
        f"- Source: {CITATION}; see data/README.md.\n",
        "## Released outputs\n",
    ]
    for p in outputs:
        c = p.cells
        parts.append(f"### {p.name}\n")
        parts.append(f"{len(c)} cells, {int(c['withheld'].sum())} withheld.\n")
        parts.append(markdown_table(c.drop(columns=["output"])))
    parts.append("## Implicit-sample check\n")
    if flagged.empty:
        parts.append(f"No two released cells have unweighted samples that differ by 1 to {min_n - 1} observations.\n")
    else:
        parts.append(f"{len(flagged)} pair(s) of released cells whose unweighted samples differ by fewer than "
                     f"{min_n} observations; the reviewer decides whether one sample contains the other.\n")
        parts.append(markdown_table(flagged))
    write_atomic(path, "\n".join(parts))
    csv_path = path.with_suffix(".csv")
    flagged_rows = flagged.assign(record="implicit-sample")
    body = pd.concat([cells.assign(record="cell"), flagged_rows], ignore_index=True)
    body = body[["record", *[c for c in body.columns if c != "record"]]]
    write_atomic(csv_path, body.to_csv(index=False, lineterminator="\n"))
    return path, csv_path
