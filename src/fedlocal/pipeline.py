"""The pipeline runner: stages declared in pipeline.yaml, each a notebook executed by papermill.

Each stage runs in a fresh kernel with the run's parameters injected, writes into a staging folder,
and only when it has finished and every declared output exists are its outputs moved into place; so a
failing stage leaves the previous outputs untouched. A stage whose notebook, library code, parameters
and inputs are unchanged since its last successful run is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import yaml

from fedlocal import FedlocalError, __version__, params, paths, registry
from fedlocal.paths import Layout

PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels", "pyfixest", "differences", "matplotlib",
            "papermill", "jupytext", "ipykernel", "pooch", "xlrd", "pyreadstat", "pyreadr", "pypandoc_binary", "typst")
CODE_SUFFIXES = {".py", ".yaml", ".yml"}
NOT_STAGE_CODE = {"render.py", "cli.py", "pipeline.py", "__main__.py"}  # the runner, CLI and manuscript engine do not change stage results


class PipelineError(FedlocalError):
    """The pipeline declaration is inconsistent."""


class StageError(FedlocalError):
    """A stage's notebook failed or did not produce what it declares."""


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
        unknown = set(s) - {"name", "notebook", "params", "inputs", "needs", "outputs"}
        if unknown or "name" not in s or "notebook" not in s:
            raise PipelineError(f"{where}: needs 'name' and 'notebook'; unknown keys {sorted(unknown)}")
        st = Stage(s["name"], s["notebook"], *(tuple(s.get(k) or ()) for k in ("params", "inputs", "needs", "outputs")),
                   base=path.resolve().parent)
        if st.name in seen:
            raise PipelineError(f"{where}: stage name {st.name!r} is used twice")
        for k in st.params:
            if k not in params.SCHEMA:
                raise PipelineError(f"{where}: parameter {k!r} is not declared in fedlocal.params.SCHEMA")
        for n in st.needs:
            if n not in seen:
                raise PipelineError(f"{where}: needs {n!r}, which is not an earlier stage")
        for name in st.inputs:
            registry.entry(name)
        for o in st.outputs:
            Layout.at(".").resolve(o)  # checks the prefix
        seen.add(st.name)
        stages.append(st)
    return stages


def code_hash() -> str:
    """One hash of the library code the stages run (any change reruns every stage: simple and safe)."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for f in sorted(pkg.rglob("*")):
        if f.is_file() and f.suffix in CODE_SUFFIXES and "__pycache__" not in f.parts and f.name not in NOT_STAGE_CODE:
            h.update(f.relative_to(pkg).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "fedlocal": __version__}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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


def _read_manifest(layout: Layout) -> dict:
    try:
        return json.loads(layout.manifest.read_text())
    except (OSError, ValueError):
        return {}


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
            return "out of date", {"notebook": "notebook changed", "code": "library code changed",
                                   "params": "parameters changed", "inputs": "raw inputs changed",
                                   "upstream": "outputs of an earlier stage changed"}[key]
    for o, digest in rec.get("outputs", {}).items():
        p = run.layout.resolve(o)
        if not p.is_file():
            return "out of date", f"output {o} is missing"
        if registry.sha256(p) != digest:
            return "out of date", f"output {o} was modified"
    if set(rec.get("outputs", {})) != set(stage.outputs):
        return "out of date", "declared outputs changed"
    return "up to date", ""


def merge_variables(layout: Layout) -> Path:
    """_variables.yml = every stage's variables/<namespace>.yml, merged (what the manuscript quotes)."""
    merged: dict[str, Any] = {}
    for f in sorted(layout.variables.glob("*.yml")):
        merged.update(yaml.safe_load(f.read_text()) or {})
    header = "# Generated by the pipeline from results/variables/*.yml: every number the manuscript quotes.\n"
    _write_atomic(layout.variables_file, header + yaml.safe_dump(merged, sort_keys=True, allow_unicode=True))
    return layout.variables_file


def _say(msg: str) -> None:
    print(msg, flush=True)


def _execute(stage: Stage, run: Run, staging: Path, progress: bool) -> Path:
    import jupytext
    import papermill as pm

    nb_path = stage.notebook_path
    executed = staging / "notebooks" / (nb_path.stem + ".ipynb")
    executed.parent.mkdir(parents=True, exist_ok=True)
    parameters = {"input_dir": run.dir_param, "output_dir": paths.relative_to_root(staging)}
    parameters.update({k: run.values[k] for k in stage.params})
    nb = jupytext.read(nb_path)
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        pm.execute_notebook(nb, str(executed), parameters=parameters, kernel_name="python3",
                            progress_bar=progress, cwd=str(paths.ROOT), report_mode=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no kernel start-up chatter
    except pm.PapermillExecutionError as err:
        failed = run.layout.notebooks / "failed" / executed.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, failed)
        raise StageError(
            f"stage {stage.name!r} failed in {stage.notebook}, cell {err.exec_count or err.cell_index}: "
            f"{err.ename}: {err.evalue}\n  partially executed notebook: {failed}\n"
            f"  previous outputs are untouched."
        ) from None
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_before
    _portable(executed, stage, run)
    return executed


def _portable(executed: Path, stage: Stage, run: Run) -> None:
    """Executed notebooks are committed: record repository-relative paths, never this machine's."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = stage.notebook
    meta["output_path"] = paths.relative_to_root(run.layout.notebooks / executed.name)
    text = nbformat.writes(nb).replace(str(paths.ROOT) + "/", "")
    executed.write_text(text)


def _collect(stage: Stage, staging: Path) -> list[str]:
    """Check the staged outputs against the declaration: all present, nothing undeclared."""
    staged = Layout.at(staging)
    missing = [o for o in stage.outputs if not staged.resolve(o).is_file()]
    if missing:
        raise StageError(f"stage {stage.name!r} ({stage.notebook}) finished but did not write the declared "
                         f"output(s) {missing}; fix the notebook or pipeline.yaml. Previous outputs are untouched.")
    written = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
               and p.relative_to(staging).parts[0] in ("figures", "tables", "data", "variables")}
    extra = sorted(written - set(stage.outputs))
    if extra:
        raise StageError(f"stage {stage.name!r} ({stage.notebook}) wrote undeclared output(s) {extra}; declare them "
                         f"in pipeline.yaml so the manifest and the manuscript checks know them.")
    return list(stage.outputs)


def run_pipeline(params_file: str | Path | None = None, overrides: tuple[str, ...] | list[str] = (),
                 only: list[str] | None = None, out: str | Path | None = None, force: bool = False,
                 pipeline_file: str | Path | None = None, progress: bool = True,
                 say: Callable[[str], None] = _say) -> dict:
    """Run (or skip, when up to date) the pipeline's stages; returns the manifest written."""
    run = plan_run(params_file, overrides, out)
    stages = load_stages(pipeline_file)
    by_name = {s.name: s for s in stages}
    names = list(by_name)
    for n in only or []:
        if n not in names:
            raise PipelineError(f"--only {n!r}: no such stage; stages are {', '.join(names)}")
    selected = [s for s in stages if not only or s.name in only]
    layout = run.layout
    where = "canonical outputs (figures/, tables/, data/derived/, _variables.yml)" if run.root is None \
        else f"{paths.relative_to_root(run.root)}/"
    say(f"fedlocal run '{run.name}' -> {where}; parameters from {paths.relative_to_root(run.params_file)}"
        + (f" with {' '.join('--set ' + o for o in run.overrides)}" if run.overrides else ""))

    for s in selected:  # fetch and verify every raw input first: fail before any work
        for name in s.inputs:
            registry.fetch(name)
    manifest = _read_manifest(layout)
    for s in selected:
        for n in s.needs:
            if n in [x.name for x in selected]:
                continue
            if n not in manifest.get("stages", {}):
                raise StageError(f"stage {s.name!r} needs the outputs of {n!r}, which has not run for this run "
                                 f"({where}); run without --only, or add --only {n}.")
    code = code_hash()
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    manifest.setdefault("stages", {})
    t_all = time.monotonic()
    ran: set[str] = set()
    for i, stage in enumerate(selected, 1):
        status, reason = stage_status(stage, run, manifest, code, by_name)
        head = f"[{i}/{len(selected)}] {stage.name} ({stage.notebook})"
        if status == "up to date" and not force:
            say(f"{head}: up to date, skipped")
            continue
        say(f"{head}: running ({reason or 'forced'}) ...")
        fingerprint = stage_fingerprint(stage, run, code, by_name)
        staging = run.staging / stage.name
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        t0 = time.monotonic()
        executed = _execute(stage, run, staging, progress)
        outputs = _collect(stage, staging)
        staged = Layout.at(staging)
        record = {}
        for o in outputs:
            target = layout.resolve(o)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.resolve(o), target)
            record[o] = registry.sha256(target)
        layout.notebooks.mkdir(parents=True, exist_ok=True)
        os.replace(executed, layout.notebooks / executed.name)
        shutil.rmtree(staging, ignore_errors=True)
        seconds = round(time.monotonic() - t0, 1)
        manifest["stages"][stage.name] = {
            "notebook": stage.notebook,
            "executed_notebook": paths.relative_to_root(layout.notebooks / executed.name),
            "fingerprint": fingerprint,
            "outputs": record,
            "seconds": seconds,
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        merge_variables(layout)
        manifest.update(_manifest_header(run, stages, started))
        _write_atomic(layout.manifest, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        ran.add(stage.name)
        say(f"{head}: done in {seconds:.1f} s (elapsed {time.monotonic() - t_all:.0f} s)")
    try:
        run.staging.rmdir()
    except OSError:
        pass
    if all(stage.name not in ran for stage in selected) and layout.manifest.is_file():
        say(f"nothing to do: every stage is up to date ({time.monotonic() - t_all:.1f} s)")
        return manifest
    merge_variables(layout)
    manifest.update(_manifest_header(run, stages, started))
    manifest["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    _write_atomic(layout.manifest, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    say(f"finished in {time.monotonic() - t_all:.1f} s; manifest: {paths.relative_to_root(layout.manifest)}")
    return manifest


def _manifest_header(run: Run, stages: list[Stage], started: str) -> dict:
    names = sorted({n for s in stages for n in s.inputs})
    return {
        "run_name": run.name,
        "canonical": run.root is None,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "params_file": paths.relative_to_root(run.params_file),
        "params_sha256": registry.sha256(run.params_file),
        "overrides": list(run.overrides),
        "params": run.values,
        "ncvs_source": run.values["ncvs_source"],
        "inputs": {n: registry.entry(n)["sha256"] for n in names},
        "versions": _versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "started": started,
    }


def describe(params_file: str | Path | None = None, overrides=(), out=None,
             pipeline_file: str | Path | None = None) -> list[dict]:
    """Stages with inputs, outputs and whether each is up to date (for `fedlocal list`)."""
    run = plan_run(params_file, overrides, out)
    stages = load_stages(pipeline_file)
    by_name = {s.name: s for s in stages}
    manifest = _read_manifest(run.layout)
    code = code_hash()
    rows = []
    for s in stages:
        status, reason = stage_status(s, run, manifest, code, by_name)
        rows.append({"stage": s, "status": status, "reason": reason,
                     "seconds": manifest.get("stages", {}).get(s.name, {}).get("seconds")})
    return rows


def check(params_file: str | Path | None = None, overrides=(), pipeline_file: str | Path | None = None,
          say: Callable[[str], None] = _say) -> None:
    """Validate parameters and the pipeline, and verify every raw input's SHA-256; runs nothing."""
    run = plan_run(params_file, overrides)
    say(f"parameters: {paths.relative_to_root(run.params_file)} valid ({len(run.values)} keys)")
    stages = load_stages(pipeline_file)
    for s in stages:
        if not s.notebook_path.is_file():
            raise PipelineError(f"pipeline.yaml: stage {s.name!r} notebook {s.notebook} does not exist")
    say(f"pipeline: {len(stages)} stages declared, notebooks present")
    names = sorted({n for s in stages for n in s.inputs})
    registry.fetch_all(names)
    say(f"inputs: {len(names)} raw files verified (SHA-256)")
