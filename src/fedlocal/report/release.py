"""Disclosure-safe release of the NCVS-derived stages' outputs (issue 17).

On whenever the run reads the restricted NCVS (`ncvs_source: restricted`), and forced on synthetic data by
the `disclosure` parameter so that CI exercises the same path. The runner calls `protect_stage` on a stage's
staging folder after its notebook finished and before anything moves into place, so the rules of
`report.disclosure` reach every table, every quoted number and the executed notebook without each notebook
having to remember them; a notebook cannot forget one.

Column roles follow the project's naming: `persons`, `interviews`, `counties` (and other names in
`COUNT_COLUMNS`) are unweighted counts; the N behind a row is its `persons` column (else `interviews`), or the
stage's whole sample for tables without one; text, booleans and `year` are labels; every other number is an
estimate. Figures are images: the stages' figures plot rates and odds ratios without printed counts, and
their data are the protected tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from fedlocal.paths import write_atomic
from fedlocal.report import disclosure

COUNT_COLUMNS = ("persons", "interviews", "counties", "informative_persons", "n")
N_COLUMNS = ("persons", "interviews")
LABEL_COLUMNS = ("year", "window", "event_time")
WITHHELD_OUTPUT = "[output withheld: disclosure-safe run; see the released tables]"
RANGE_DASH = "–"  # how report.formatting writes an interval
_NUMBER = re.compile(r"^-?[\d,]*\.?\d+(?:[eE][-+]?\d+)?$")


def active(values: Mapping) -> bool:
    """Whether a run's outputs must be disclosure-safe."""
    return bool(values.get("disclosure")) or values.get("ncvs_source") == "restricted"


def table_roles(df: pd.DataFrame) -> dict:
    """Estimates, counts, N and labels of a table, from its column names and types."""
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    labels = [c for c in numeric if c in LABEL_COLUMNS]
    n = next((c for c in N_COLUMNS if c in numeric), None)
    counts = [c for c in numeric if c in COUNT_COLUMNS and c != n]
    estimates = [c for c in numeric if c not in labels and c not in counts and c != n]
    return {"estimates": estimates, "counts": counts, "n": n, "labels": labels}


def protect_frame(df: pd.DataFrame, name: str, sample_n: int) -> disclosure.Protected:
    """One table under the rules; a table without an N column takes the stage's whole sample as its N."""
    roles = table_roles(df)
    if roles["n"] is None:
        df = df.assign(_sample_n=sample_n)
        roles["n"] = "_sample_n"
        return disclosure.protect_table(df, name=name, keep_n=False, **roles)
    return disclosure.protect_table(df, name=name, **roles)


def _variable_cells(values: dict, output: str, sample_n: int, prefix: str = "") -> tuple[dict, list[tuple]]:
    """Quoted numbers: counts (by key name) on the schedule, every other number to 4 significant digits."""
    out, records = {}, []
    for key, value in values.items():
        if isinstance(value, dict):
            inner, rec = _variable_cells(value, output, sample_n, f"{prefix}{key}.")
            out[key], records = inner, records + rec
            continue
        parts = str(value).split(RANGE_DASH)
        if isinstance(value, bool) or not all(_NUMBER.match(p.rstrip("%").strip()) for p in parts):
            out[key] = value
            continue
        is_count = any(key == c or key.endswith("_" + c) for c in COUNT_COLUMNS)
        shown_parts = []
        for part in parts:  # a confidence interval "0.65–1.27" is two estimates
            core = part.rstrip("%").strip()
            number = float(core.replace(",", ""))
            if is_count:
                kind, n, rel = "count", number, disclosure.release_count(number)
            else:
                kind, n, rel = "estimate", sample_n, disclosure.release_estimate(number, sample_n)
            shown = rel.shown if isinstance(rel.shown, str) else (f"{rel.shown:,}" if "," in core else f"{rel.shown:g}")
            shown_parts.append(shown + ("%" if part.endswith("%") and not rel.withheld else ""))
            records.append((output, prefix + key, key, kind, part, shown_parts[-1], rel.withheld, n, rel.rule))
        out[key] = RANGE_DASH.join(shown_parts)
    return out, records


def protect_variables(path: Path, sample_n: int) -> disclosure.Protected:
    values = yaml.safe_load(path.read_text()) or {}
    output = f"variables/{path.name}"
    released, records = _variable_cells(values, output, sample_n)
    write_atomic(path, yaml.safe_dump(released, sort_keys=True, allow_unicode=True))
    cells = pd.DataFrame.from_records(records, columns=disclosure.CELL_COLUMNS)
    return disclosure.Protected(name=output, table=pd.DataFrame(), cells=cells)


def scrub_notebook(path: Path) -> int:
    """Drop every printed output of an executed notebook (tables, counts, microdata); figures stay.

    Returns how many outputs were withheld.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    withheld = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.get("output_type") in ("display_data", "execute_result") and any(k.startswith("image/") for k in data):
                out["data"] = {k: v for k, v in data.items() if k.startswith("image/")}
                kept.append(out)
            elif out.get("output_type") == "error":
                kept.append(out)
            else:
                withheld += 1
        if withheld and len(kept) < len(cell.get("outputs", [])):
            kept.append(nbformat.v4.new_output("stream", name="stdout", text=WITHHELD_OUTPUT + "\n"))
        cell["outputs"] = kept
    write_atomic(path, nbformat.writes(nb))
    return withheld


def protect_stage(staging: Path, outputs: list[str], executed: Path, sample_n: int) -> list[disclosure.Protected]:
    """Apply the rules in place to a stage's staged tables, variables and executed notebook.

    Derived data (data/) stay exact: they are intermediate files that never leave the data centre.
    """
    released = []
    for output in outputs:
        path = staging / output
        if output.startswith("tables/") and path.suffix == ".csv":
            protected = protect_frame(pd.read_csv(path), output, sample_n)
            write_atomic(path, protected.table.to_csv(index=False))
            markdown = path.with_suffix(".md")
            if markdown.is_file():  # the display table is rebuilt from the released values
                write_atomic(markdown, disclosure.markdown_table(protected.table))
            released.append(protected)
        elif output.startswith("variables/"):
            released.append(protect_variables(path, sample_n))
    scrub_notebook(executed)
    return released


def sample_size(interviews: Path) -> int:
    """Unweighted persons in the stage's NCVS sample: the N of tables that have no N column of their own."""
    return int(pd.read_parquet(interviews, columns=["person_id"])["person_id"].nunique())


def record_stage(review_dir: Path, stage: str, released: list[disclosure.Protected]) -> Path:
    """Keep a stage's released cells and rewrite the run's one review bundle over every stage so far."""
    review_dir.mkdir(parents=True, exist_ok=True)
    cells = pd.concat([p.cells for p in released], ignore_index=True) if released else \
        pd.DataFrame(columns=disclosure.CELL_COLUMNS)
    write_atomic(review_dir / f"cells-{stage}.csv", cells.to_csv(index=False))
    outputs = []
    for path in sorted(review_dir.glob("cells-*.csv")):
        stage_cells = pd.read_csv(path)
        for name, group in stage_cells.groupby("output", sort=True):
            outputs.append(disclosure.Protected(name=name, table=pd.DataFrame(), cells=group.reset_index(drop=True)))
    bundle, _ = disclosure.write_review_bundle(review_dir / "review-bundle.md", outputs)
    return bundle
