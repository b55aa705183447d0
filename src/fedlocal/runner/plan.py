"""Where a run reads and writes, decided from its parameters before anything runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedlocal import params, paths
from fedlocal.paths import Layout


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
    def staging(self) -> Path:
        return (paths.RESULTS if self.root is None else self.root) / ".staging"


def plan_run(params_file: str | Path | None = None, overrides: tuple[str, ...] | list[str] = (),
             out: str | Path | None = None) -> Run:
    """Validate parameters and decide where the run goes: canonical only for params/default.yaml as is."""
    params_file = Path(params_file) if params_file else paths.PARAMS / "default.yaml"
    values = params.load(params_file, overrides)
    canonical_file = (paths.PARAMS / "default.yaml").resolve()
    is_canonical = params_file.resolve() == canonical_file and not overrides and out is None
    name = values["run_name"]
    if name == "default" and not is_canonical:
        name = params_file.stem if params_file.resolve() != canonical_file else "default"
        if overrides:
            name += "-set-" + hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
    if out is not None:
        root: Path | None = Path(out).resolve()
    elif is_canonical:
        root = None
    else:
        root = paths.RUNS / name
    return Run(values, params_file, tuple(overrides), root, name)
