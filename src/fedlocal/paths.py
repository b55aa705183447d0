"""Every place the project reads or writes, rooted at the project folder (never the working directory).

The project folder is the repository (pipeline.yaml, params/, data/, notebooks/, manuscript/). It is found
once, at import, in this order:

1. the environment variable FEDLOCAL_ROOT, when set;
2. the checkout this package lives in (`src/fedlocal/` of an editable install);
3. the working directory or its nearest parent holding pipeline.yaml (a regular `pip install .` run from
   inside the repository);
4. otherwise the working directory, and every command that needs the project says so (`require_project`).

The package itself (code, the restricted-file mapping, the agency table, the manuscript engines' assets)
travels with the install; only the project's inputs and outputs live in the project folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fedlocal import FedlocalError

ROOT_ENV = "FEDLOCAL_ROOT"
PROJECT_MARKER = "pipeline.yaml"


def find_root(env: dict | None = None, cwd: Path | None = None) -> Path:
    """The project folder, by the rules in this module's docstring."""
    env = os.environ if env is None else env
    if env.get(ROOT_ENV):
        return Path(env[ROOT_ENV]).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / PROJECT_MARKER).is_file():
        return checkout
    here = Path.cwd() if cwd is None else Path(cwd).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_MARKER).is_file():
            return folder
    return here


ROOT = find_root()
DATA = ROOT / "data"
REGISTRY_FILE = DATA / "registry.yaml"
RAW_CACHE = Path(os.environ.get("FEDLOCAL_RAW_CACHE", DATA / "raw"))
PARAMS = ROOT / "params"
NOTEBOOKS = ROOT / "notebooks"
PIPELINE_FILE = ROOT / "pipeline.yaml"
RESULTS = ROOT / "results"
RUNS = RESULTS / "runs"
SCRATCH = RESULTS / "scratch"  # where a notebook run by hand writes (git-ignored)
MANUSCRIPT = ROOT / "manuscript"

MIRROR_ENV = "FEDLOCAL_DATA_MIRROR"
RESTRICTED_ENV = "FEDLOCAL_NCVS_DIR"


class ProjectError(FedlocalError):
    """fedlocal runs outside a project folder."""


def require_project() -> Path:
    """The project folder, or one clear message saying how to point fedlocal at it."""
    if not PIPELINE_FILE.is_file():
        raise ProjectError(
            f"{ROOT} is not a fedlocal project folder (no {PROJECT_MARKER}). Run fedlocal inside the repository, "
            f"or set {ROOT_ENV} to the repository's folder.")
    return ROOT


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
    def canonical(cls) -> Layout:
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
    def at(cls, directory: str | os.PathLike) -> Layout:
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


def output_layout(directory: str | os.PathLike = "") -> Layout:
    """The layout a notebook writes to: the runner always passes its staging folder; a notebook run by hand
    (output_dir '') writes to results/scratch/, never over the canonical outputs, and says so."""
    if str(directory) == "":
        print(f"run by hand: this notebook writes its outputs to {relative_to_root(SCRATCH)}/ "
              f"(the canonical outputs are written only by `fedlocal run`)", flush=True)
        return Layout.at(SCRATCH)
    return layout(directory)


def relative_to_root(path: Path) -> str:
    """A path as written into notebooks and the manifest: relative to the repository when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    os.replace(tmp, path)
