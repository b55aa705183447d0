"""Content-named outputs of a stage, written into the run's layout (the runner makes them atomic)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pandas as pd
import yaml

from fedlocal.paths import Layout


def setup_matplotlib() -> None:
    """One look for every figure, headless and byte-stable."""
    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 150, "font.size": 9, "axes.spines.top": False,
        "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "figure.figsize": (6.5, 3.6),
        "svg.hashsalt": "fedlocal",
    })


def save_figure(fig, layout: Layout, name: str) -> Path:
    """Save `figures/<name>.png` (no timestamp metadata, so reruns are byte-identical)."""
    path = layout.figures / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    return path


def pipe_table(df: pd.DataFrame, align: list[str] | None = None) -> str:
    """A Markdown pipe table (pandoc and Quarto both read it); cells are printed as given."""
    cols = [str(c) for c in df.columns]
    rows = [["" if (isinstance(v, float) and math.isnan(v)) else str(v) for v in r] for r in df.itertuples(index=False)]
    align = align or ["l"] + ["r"] * (len(cols) - 1)
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(c) for c in cols) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def save_table(df: pd.DataFrame, layout: Layout, name: str, display: pd.DataFrame | None = None,
               align: list[str] | None = None) -> Path:
    """Save `tables/<name>.csv` (full precision, for checks) and `tables/<name>.md` (formatted, for the paper).

    `display` is the formatted version for the manuscript; without it the data frame is printed as is.
    """
    layout.tables.mkdir(parents=True, exist_ok=True)
    df.to_csv(layout.tables / f"{name}.csv", index=False, float_format="%.10g", lineterminator="\n")
    md = layout.tables / f"{name}.md"
    md.write_text(pipe_table(df if display is None else display, align))
    return md


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        raise TypeError("format floats as strings (fmt_num, fmt_pct) before saving them as manuscript variables")
    return value


def save_variables(layout: Layout, namespace: str, values: dict) -> Path:
    """Numbers quoted in the manuscript, as `{{< var namespace.key >}}`: already formatted strings or ints."""
    path = layout.variables / f"{namespace}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({namespace: _plain(values)}, sort_keys=True, allow_unicode=True))
    return path


def fmt_int(x) -> str:
    return f"{int(round(float(x))):,}"


def fmt_num(x, digits: int = 2) -> str:
    return f"{float(x):,.{digits}f}"


def fmt_pct(x, digits: int = 1) -> str:
    """A share (0-1) as a percentage string without the % sign."""
    return f"{100 * float(x):.{digits}f}"
