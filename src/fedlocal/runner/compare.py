"""Two runs side by side: the verdict of `fedlocal reproduce` and the listing of `fedlocal diff`.

What "the same" means, output by output (the README states it too):
  tables/*.md, variables, _variables.yml   byte for byte (_variables.yml: value for value apart from run.*)
  tables/*.csv, data/*.csv                 same columns and rows; text cells equal, numeric cells equal within
                                           a relative tolerance of RTOL (absolute ATOL near zero): the CSVs are
                                           written at full precision, and this allows only floating-point noise
  data/*.parquet                           frame equality (columns, dtypes, index, values; floats within RTOL)
  figures/*.png                            by the data behind them: a figure is the same when its PNG bytes are,
                                           or when every table, data file and variable of the stage that drew
                                           it is the same (reported as "same data, pixels differ")
Executed notebooks, the manifest and the run.* namespace of _variables.yml (the colophon's copy of the manifest)
are not compared: they record times and places, not results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fedlocal import registry
from fedlocal.paths import Layout
from fedlocal.runner import manifest as manifests
from fedlocal.runner.stages import Stage

RTOL = 1e-9
ATOL = 1e-12
VARIABLES_FILE = "_variables.yml"


@dataclass(frozen=True)
class Verdict:
    output: str
    same: bool
    how: str


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def close(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Two cells are the same: equal text, both missing, or numbers within the tolerance."""
    if a == b:
        return True
    fa, fb = _number(a), _number(b)
    if fa is None or fb is None:
        return False
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    return math.isclose(fa, fb, rel_tol=rtol, abs_tol=atol)


def _cell(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def csv_differences(a: Path, b: Path, rtol: float = RTOL, sep: str = " vs ") -> list[str]:
    """What differs between two CSV files by value: columns, row count, then cell by cell ('row 3 (label), col')."""
    import pandas as pd

    fa, fb = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    if list(fa.columns) != list(fb.columns):
        return [f"columns differ: {list(fa.columns)}{sep}{list(fb.columns)}"]
    out = []
    if len(fa) != len(fb):
        out.append(f"{len(fa)} rows{sep}{len(fb)}")
    for i in range(min(len(fa), len(fb))):
        for col in fa.columns:
            x, y = fa.iat[i, fa.columns.get_loc(col)], fb.iat[i, fb.columns.get_loc(col)]
            if not close(x, y, rtol):
                label = fa.iat[i, 0]
                out.append(f"row {i + 1} ({fa.columns[0]}={label}), column {col!r}: {x}{sep}{y}")
    return out


def parquet_difference(a: Path, b: Path, rtol: float = RTOL) -> str | None:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b), check_exact=False, rtol=rtol, atol=ATOL)
    except AssertionError as err:
        return " ".join(str(err).split())[:300]
    return None


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """{'models': {'sc': {'or': 1.2}}} -> {'models.sc.or': 1.2} (the keys the manuscript quotes)."""
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: tree}


def mapping_differences(a: dict, b: dict) -> list[tuple[str, Any, Any]]:
    """(key, value in a, value in b) for every flattened key whose values differ (missing = None)."""
    fa, fb = flatten(a), flatten(b)
    return [(k, fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


RUN_NAMESPACE = "run"  # the colophon's commit, dates and platform, copied from the manifest


def read_variables(layout: Layout) -> dict:
    """A run's _variables.yml without its run.* namespace (when and where it ran, not what it found)."""
    try:
        variables = yaml.safe_load(layout.variables_file.read_text()) or {}
    except OSError:
        return {}
    variables.pop(RUN_NAMESPACE, None)
    return variables


def _output_verdict(o: str, fresh: Path, ref: Path) -> Verdict:
    if fresh.read_bytes() == ref.read_bytes():
        return Verdict(o, True, "identical file")
    if o.endswith(".csv"):
        diffs = csv_differences(fresh, ref)
        if not diffs:
            return Verdict(o, True, f"same values (numbers within rtol {RTOL:g})")
        more = f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""
        return Verdict(o, False, diffs[0] + more)
    if o.endswith(".parquet"):
        diff = parquet_difference(fresh, ref)
        return Verdict(o, diff is None, "same frame" if diff is None else diff)
    return Verdict(o, False, "file differs")


def verdicts(fresh: Layout, reference: Layout, stages: list[Stage],
             ignored: set[str] = frozenset()) -> Iterator[Verdict]:
    """One verdict per declared output and for _variables.yml; `ignored` are outputs the reference may lack
    (git-ignored large intermediates): their absence is reported, not counted as a difference."""
    for stage in stages:
        data_same = True
        figures = []
        for o in stage.outputs:
            if o.startswith("figures/"):
                figures.append(o)
                continue
            f, r = fresh.resolve(o), reference.resolve(o)
            if not f.is_file():
                v = Verdict(o, False, "missing in the rebuild")
            elif not r.is_file():
                v = Verdict(o, o in ignored, "not in the reference (git-ignored, rebuilt only)" if o in ignored
                            else "missing in the reference")
            else:
                v = _output_verdict(o, f, r)
            data_same &= v.same
            yield v
        for o in figures:
            f, r = fresh.resolve(o), reference.resolve(o)
            if not f.is_file() or not r.is_file():
                yield Verdict(o, False, "missing in the " + ("rebuild" if not f.is_file() else "reference"))
            elif registry.sha256(f) == registry.sha256(r):
                yield Verdict(o, True, "identical file")
            elif data_same:
                yield Verdict(o, True, f"same data (every table, data file and variable of stage {stage.name!r}), "
                                       f"pixels differ")
            else:
                yield Verdict(o, False, f"the data behind it differ (stage {stage.name!r})")
    f, r = fresh.variables_file, reference.variables_file
    if not r.is_file() or not f.is_file():
        yield Verdict(VARIABLES_FILE, False, "missing in the " + ("rebuild" if not f.is_file() else "reference"))
    elif f.read_bytes() == r.read_bytes():
        yield Verdict(VARIABLES_FILE, True, "identical file")
    else:
        diffs = mapping_differences(read_variables(fresh), read_variables(reference))
        if not diffs:
            yield Verdict(VARIABLES_FILE, True, f"same values ({RUN_NAMESPACE}.*, when and where it ran, not compared)")
        else:
            first = f"{diffs[0][0]}: {diffs[0][1]} vs {diffs[0][2]}"
            yield Verdict(VARIABLES_FILE, False, first + (f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""))


def table_files(layout: Layout) -> set[str]:
    return {f"tables/{p.name}" for p in layout.tables.glob("*.csv")} if layout.tables.is_dir() else set()


def run_params(layout: Layout) -> dict:
    return manifests.read(layout).get("params", {})
