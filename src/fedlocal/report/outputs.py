"""Content-named outputs of a stage, written into the run's layout (the runner makes them atomic)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import pandas as pd
import yaml

from fedlocal.paths import Layout


def setup_matplotlib() -> None:
    """One look for every figure (seaborn's theme, colourblind palette), headless and byte-stable."""
    import seaborn as sns

    matplotlib.use("Agg")
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)
    matplotlib.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 150, "figure.figsize": (6.5, 3.6), "axes.titlesize": 9.5,
        "axes.spines.top": False, "axes.spines.right": False, "grid.color": "0.9", "legend.frameon": False,
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


def save_data(df: pd.DataFrame, layout: Layout, name: str) -> Path:
    """Save `data/<name>.csv`, an input of a later stage, at the precision tables keep."""
    layout.data.mkdir(parents=True, exist_ok=True)
    path = layout.data / f"{name}.csv"
    df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    return path


def save_table(df: pd.DataFrame, layout: Layout, name: str, display: pd.DataFrame | None = None,
               align: list[str] | None = None) -> Path:
    """Save `tables/<name>.csv` (full precision, for checks) and `tables/<name>.md` (formatted, for the paper).

    `display` is the formatted version for the manuscript (report.tables builds them, with their column
    alignment in `display.attrs["align"]`); without it the data frame is printed as is.
    """
    layout.tables.mkdir(parents=True, exist_ok=True)
    df.to_csv(layout.tables / f"{name}.csv", index=False, float_format="%.10g", lineterminator="\n")
    md = layout.tables / f"{name}.md"
    shown = df if display is None else display
    md.write_text(pipe_table(shown, align or shown.attrs.get("align")))
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
