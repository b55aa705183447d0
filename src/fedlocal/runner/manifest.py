"""The run's record, results/manifest.json: what ran, with which parameters, inputs, versions and commit.

Its stage entries are what `fingerprint.stage_status` compares against to skip unchanged stages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata

from fedlocal import __version__, paths, registry
from fedlocal.paths import Layout
from fedlocal.runner.execute import blas_threads
from fedlocal.runner.plan import Run
from fedlocal.runner.stages import Stage

PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels", "pyfixest", "differences", "matplotlib",
            "papermill", "jupytext", "ipykernel", "pooch", "xlrd", "pyreadstat", "pyreadr", "pypandoc_binary", "typst")


def git(*args: str) -> str | None:
    """A git command's output in the project folder; None outside a checkout or without git."""
    try:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "fedlocal": __version__}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def read(layout: Layout) -> dict:
    """The run's manifest, or {} when there is none yet (or it is unreadable: every stage then reruns)."""
    try:
        return json.loads(layout.manifest.read_text())
    except (OSError, ValueError):
        return {}


def write(layout: Layout, manifest: dict) -> None:
    paths.write_atomic(layout.manifest, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


LOCK_FILE = "requirements.lock"


def source_state() -> dict:
    """The commit, whether the tracked files differ from it, and the lock file's hash: taken once, before the run
    writes anything (its own outputs are tracked files, so asking afterwards would always find changes)."""
    commit = git("rev-parse", "HEAD")
    lock = paths.ROOT / LOCK_FILE
    return {
        "git_commit": commit,
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")) if commit else None,
        "lock_file": LOCK_FILE if lock.is_file() else None,
        "lock_sha256": registry.sha256(lock) if lock.is_file() else None,
    }


def header(run: Run, stages: list[Stage], started: str, source: dict | None = None, jobs: int = 1) -> dict:
    """The run-level facts, refreshed every time the manifest is written; `source` from source_state() at the start."""
    names = sorted({n for s in stages for n in s.inputs})
    return {
        "run_name": run.name,
        "canonical": run.root is None,
        **(source_state() if source is None else source),
        "params_file": paths.relative_to_root(run.params_file),
        "params_sha256": registry.sha256(run.params_file),
        "overrides": list(run.overrides),
        "params": run.values,
        "ncvs_source": run.values["ncvs_source"],
        "inputs": {n: registry.entry(n)["sha256"] for n in names},
        "versions": versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "blas_threads": blas_threads(),  # per stage kernel; FEDLOCAL_BLAS_THREADS
        "jobs": jobs,  # stage kernels computing at once (--jobs): at most jobs x blas_threads threads
        "started": started,
    }


def _stamp(iso: str | None) -> str:
    if not iso:
        return "unknown"
    try:
        t = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    except ValueError:
        return str(iso)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def colophon_variables(manifest: dict) -> dict[str, str]:
    """The `run` namespace quoted by the colophon, from a run's manifest.json (all strings)."""
    p = manifest.get("params") or {}
    source = manifest.get("ncvs_source") or p.get("ncvs_source") or "unknown"
    commit = manifest.get("git_commit")
    planted = p.get("planted_odds_ratios") or {}
    planted_text = "; ".join(f"{pol} x {grp}: {odds:g}" for pol, row in sorted(planted.items())
                             for grp, odds in sorted(row.items())) or "none (all 1.0)"
    if source != "synthetic":  # the planted_odds_ratios parameter only shapes the simulation
        planted_text = "none (real survey data: nothing is planted)"
    if source == "synthetic":
        data_source = (f"synthetic NCVS person-interview panel simulated by the pipeline (seed {p.get('seed')}, "
                       f"scale {p.get('scale')}); all other inputs are real public data")
    elif source == "restricted":
        data_source = "restricted county-identified NCVS file (Census Federal Statistical Research Data Center)"
    else:
        data_source = str(source)
    versions = manifest.get("versions") or {}
    stages = manifest.get("stages") or {}
    # Each stage's own date: an up-to-date stage is not rerun, so one interval would misdate the older ones.
    stage_runs = "; ".join(f"{name} {_stamp(rec.get('finished'))}" for name, rec in
                           sorted(stages.items(), key=lambda kv: (kv[1].get("finished") or "", kv[0])))
    return {
        "run_name": str(manifest.get("run_name", "unknown")),
        "commit": commit[:12] if commit else "unknown (not run from a git checkout)",
        "tree": "with uncommitted changes" if manifest.get("git_dirty") else "clean",
        "params_file": str(manifest.get("params_file", "unknown")),
        "params_sha256": str(manifest.get("params_sha256", "unknown"))[:12],
        "overrides": ", ".join(manifest.get("overrides") or []) or "none",
        "started": _stamp(manifest.get("started")),
        "finished": _stamp(manifest.get("finished")),
        "stage_runs": stage_runs or "unknown",
        "lock_sha256": str(manifest.get("lock_sha256") or "unknown")[:12],
        "ncvs_source": str(source),
        "data_source": data_source,
        "seed": str(p.get("seed", "unknown")),
        "scale": str(p.get("scale", "unknown")),
        "exposure_rule": str(p.get("exposure_rule", "unknown")),
        "planted": planted_text,
        "python": str(versions.get("python", "unknown")),
        "platform": str(manifest.get("platform", "unknown")),
    }
