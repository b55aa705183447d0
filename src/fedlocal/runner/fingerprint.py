"""What a stage's result depends on, and whether its last successful run is still up to date."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import fedlocal
from fedlocal import registry
from fedlocal.runner.plan import Run
from fedlocal.runner.stages import Stage

# Parts of the package that do not change what a stage computes: the runner, the command line and the
# manuscript engines. Named as modules or packages (everything below a package counts), so a file added to
# them is covered and a renamed one fails the test that every name here exists.
NOT_STAGE_CODE = ("fedlocal.runner", "fedlocal.manuscript", "fedlocal.cli", "fedlocal.__main__")

REASONS = {"notebook": "notebook changed", "code": "library code changed", "params": "parameters changed",
           "inputs": "raw inputs changed", "upstream": "outputs of an earlier stage changed"}


def module_name(file: Path, package: Path) -> str:
    """The dotted name a package file belongs to ('fedlocal.data.ncvs.restricted_mapping' for its YAML)."""
    rel = file.relative_to(package).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join((package.name, *parts))


def is_stage_code(name: str) -> bool:
    return not any(name == m or name.startswith(m + ".") for m in NOT_STAGE_CODE)


def code_hash(package: Path | None = None) -> str:
    """One hash of the library code and data files the stages run (any change reruns every stage: simple and safe)."""
    package = Path(package or Path(fedlocal.__file__).resolve().parent)
    h = hashlib.sha256()
    for f in sorted(package.rglob("*")):
        rel = f.relative_to(package)
        if (not f.is_file() or f.suffix in (".pyc", ".pyo")
                or any(p == "__pycache__" or p.startswith(".") for p in rel.parts)
                or not is_stage_code(module_name(f, package))):
            continue
        h.update(rel.as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def stage_fingerprint(stage: Stage, run: Run, code: str, by_name: dict[str, Stage]) -> dict[str, Any]:
    """Everything a stage's result depends on; equal fingerprints mean the stage need not rerun."""
    layout = run.layout
    upstream = {}
    for o in (o for n in stage.needs for o in by_name[n].outputs):
        p = layout.resolve(o)
        upstream[o] = registry.sha256(p) if p.is_file() else None
    return {
        "notebook": registry.sha256(stage.notebook_path),
        "code": code,
        "params": {k: run.values[k] for k in stage.params},
        "inputs": {n: registry.entry(n)["sha256"] for n in stage.inputs},
        "upstream": upstream,
    }


def stage_status(stage: Stage, run: Run, manifest: dict, code: str, by_name: dict[str, Stage]) -> tuple[str, str]:
    """('up to date' | 'out of date' | 'never run', reason)."""
    rec = manifest.get("stages", {}).get(stage.name)
    if not rec:
        return "never run", "no successful run recorded"
    fp = stage_fingerprint(stage, run, code, by_name)
    old = rec.get("fingerprint", {})
    for key in ("notebook", "code", "params", "inputs", "upstream"):
        if old.get(key) != fp[key]:
            return "out of date", REASONS[key]
    for o, digest in rec.get("outputs", {}).items():
        p = run.layout.resolve(o)
        if not p.is_file():
            return "out of date", f"output {o} is missing"
        if registry.sha256(p) != digest:
            return "out of date", f"output {o} was modified"
    if set(rec.get("outputs", {})) != set(stage.outputs):
        return "out of date", "declared outputs changed"
    return "up to date", ""
