"""Every place the project reads or writes, rooted at the repository (never the working directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
REGISTRY_FILE = DATA / "registry.yaml"
RAW_CACHE = Path(os.environ.get("FEDLOCAL_RAW_CACHE", DATA / "raw"))
PARAMS = ROOT / "params"
NOTEBOOKS = ROOT / "notebooks"
PIPELINE_FILE = ROOT / "pipeline.yaml"
RESULTS = ROOT / "results"
RUNS = RESULTS / "runs"
MANUSCRIPT = ROOT / "manuscript"

MIRROR_ENV = "FEDLOCAL_DATA_MIRROR"
RESTRICTED_ENV = "FEDLOCAL_NCVS_DIR"


@dataclass(frozen=True)
class Layout:
    """Where one run's outputs live: the canonical run at the repository root, a variant in one folder."""

    figures: Path
    tables: Path
    data: Path
    notebooks: Path
    variables: Path
    variables_file: Path
    manifest: Path

    @classmethod
    def canonical(cls) -> "Layout":
        return cls(
            figures=ROOT / "figures",
            tables=ROOT / "tables",
            data=DATA / "derived",
            notebooks=RESULTS / "notebooks",
            variables=RESULTS / "variables",
            variables_file=ROOT / "_variables.yml",
            manifest=RESULTS / "manifest.json",
        )

    @classmethod
    def at(cls, directory: str | os.PathLike) -> "Layout":
        d = Path(directory)
        return cls(
            figures=d / "figures",
            tables=d / "tables",
            data=d / "data",
            notebooks=d / "notebooks",
            variables=d / "variables",
            variables_file=d / "_variables.yml",
            manifest=d / "manifest.json",
        )

    def resolve(self, output: str) -> Path:
        """Map a declared output such as 'figures/x.png' or 'data/y.parquet' to its file."""
        kind, _, rest = output.partition("/")
        base = {"figures": self.figures, "tables": self.tables, "data": self.data, "variables": self.variables}
        if kind not in base or not rest:
            raise ValueError(f"declared output {output!r} must start with figures/, tables/, data/ or variables/")
        return base[kind] / rest


def layout(directory: str | os.PathLike = "") -> Layout:
    """The layout a notebook reads from or writes to.

    '' is the canonical repository layout; a relative path is taken from the repository root (so executed
    notebooks carry no machine-specific paths), an absolute one as it is.
    """
    if str(directory) == "":
        return Layout.canonical()
    d = Path(directory)
    return Layout.at(d if d.is_absolute() else ROOT / d)


def relative_to_root(path: Path) -> str:
    """A path as written into notebooks and the manifest: relative to the repository when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)
