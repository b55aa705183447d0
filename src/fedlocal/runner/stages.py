"""The stage table: pipeline.yaml read and checked before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from fedlocal import FedlocalError, params, paths, registry
from fedlocal.paths import Layout

STAGE_KEYS = ("name", "notebook", "params", "inputs", "needs", "outputs")


class PipelineError(FedlocalError):
    """The pipeline declaration is inconsistent."""


@dataclass(frozen=True)
class Stage:
    name: str
    notebook: str
    params: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    base: Path = paths.ROOT  # the notebook path is relative to the pipeline file's folder

    @property
    def notebook_path(self) -> Path:
        return self.base / self.notebook


def load_stages(path: Path | None = None) -> list[Stage]:
    """Read and check the stage table (names unique, needs earlier, params and inputs declared)."""
    path = Path(path or paths.PIPELINE_FILE)
    raw = yaml.safe_load(path.read_text()) or {}
    stages: list[Stage] = []
    seen: set[str] = set()
    for i, s in enumerate(raw.get("stages", [])):
        where = f"{path.name}: stage {i + 1} ({s.get('name', '?')})"
        unknown = set(s) - set(STAGE_KEYS)
        if unknown or "name" not in s or "notebook" not in s:
            raise PipelineError(f"{where}: needs 'name' and 'notebook'; unknown keys {sorted(unknown)}")
        stage = Stage(s["name"], s["notebook"], *(tuple(s.get(k) or ()) for k in STAGE_KEYS[2:]),
                      base=path.resolve().parent)
        if stage.name in seen:
            raise PipelineError(f"{where}: stage name {stage.name!r} is used twice")
        for k in stage.params:
            if k not in params.SCHEMA:
                raise PipelineError(f"{where}: parameter {k!r} is not declared in fedlocal.params.SCHEMA")
        for n in stage.needs:
            if n not in seen:
                raise PipelineError(f"{where}: needs {n!r}, which is not an earlier stage")
        for name in stage.inputs:
            registry.entry(name)
        for o in stage.outputs:
            Layout.at(".").resolve(o)  # checks the prefix
        seen.add(stage.name)
        stages.append(stage)
    return stages
