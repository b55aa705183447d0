"""Where a run reads and writes, decided from its parameters before anything runs.

Only params/default.yaml as it is (no --set, no --out) writes the canonical outputs. Every other run goes to a
folder of its own, named by its run_name and a hash of its full parameters, so two different runs never share
a folder; an --out that would write over the canonical outputs is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedlocal import FedlocalError, params, paths
from fedlocal.paths import Layout

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class PlanError(FedlocalError):
    """A run would write where it must not (over the canonical outputs, or outside its own folder)."""


@dataclass
class Run:
    """Where a run reads and writes, decided from its parameters."""

    values: dict[str, Any]
    params_file: Path | None
    overrides: tuple[str, ...]
    root: Path | None  # None = canonical layout
    name: str

    @property
    def layout(self) -> Layout:
        return Layout.canonical() if self.root is None else Layout.at(self.root)

    @property
    def dir_param(self) -> str:
        """What notebooks get as input_dir: '' for canonical, else the run folder (relative to the repo if inside)."""
        return "" if self.root is None else paths.relative_to_root(self.root)

    @property
    def folder(self) -> Path:
        """The folder holding the run's lock, staging area and failed notebooks (results/ for the canonical run)."""
        return paths.RESULTS if self.root is None else self.root

    @property
    def staging(self) -> Path:
        return self.folder / ".staging"

    @property
    def failed(self) -> Path:
        """Where partially executed notebooks of failed stages go (git-ignored, never the run's notebooks/)."""
        return self.folder / ".failed"


def params_hash(values: dict[str, Any]) -> str:
    """A short hash of a run's full parameters: the part of a variant's folder name that keeps variants apart."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:8]


def canonical_folders() -> list[Path]:
    """The folders the canonical run writes into (a variant must be in none of them and must not be one)."""
    lay = Layout.canonical()
    return [lay.figures, lay.tables, lay.data, lay.notebooks, lay.variables]


def check_out(out: Path) -> None:
    """Refuse an --out whose layout would write over the canonical outputs or results/ (see module docstring)."""
    out = out.resolve()
    clobbers = (out in (paths.ROOT.resolve(), paths.RESULTS.resolve()) or (out / paths.PROJECT_MARKER).is_file()
                or any(out == f.resolve() or f.resolve() in out.parents for f in canonical_folders()))
    if clobbers:
        raise PlanError(f"--out {out} would write over the canonical outputs (figures/, tables/, data/derived/, "
                        f"_variables.yml, results/); give the run a folder of its own, e.g. --out results/runs/mine "
                        f"or a folder outside the repository.")


def plan_run(params_file: str | Path | None = None, overrides: tuple[str, ...] | list[str] = (),
             out: str | Path | None = None) -> Run:
    """Validate parameters and decide where the run goes: canonical only for params/default.yaml as is."""
    params_file = Path(params_file) if params_file else paths.PARAMS / "default.yaml"
    values = params.load(params_file, overrides)
    canonical_file = (paths.PARAMS / "default.yaml").resolve()
    is_canonical = params_file.resolve() == canonical_file and not overrides and out is None
    run_name = str(values["run_name"])
    if not RUN_NAME.fullmatch(run_name):
        raise PlanError(f"parameter 'run_name' = {run_name!r} in {params_file.name}"
                        f"{' or --set' if overrides else ''} is not a plain name: use letters, digits, '.', '-' and "
                        f"'_' (it names the run's folder under results/runs/).")
    if is_canonical:
        return Run(values, params_file, tuple(overrides), None, run_name)
    if run_name == "default" and params_file.resolve() != canonical_file:
        run_name = params_file.stem
    name = f"{run_name}-{params_hash(values)}"
    if out is not None:
        root = Path(out).resolve()
        check_out(root)
    else:
        root = paths.RUNS / name
    return Run(values, params_file, tuple(overrides), root, name)
