"""The run's record, results/manifest.json: what ran, with which parameters, inputs, versions and commit.

Its stage entries are what `fingerprint.stage_status` compares against to skip unchanged stages.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata

from fedlocal import __version__, paths, registry
from fedlocal.paths import Layout
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


def header(run: Run, stages: list[Stage], started: str) -> dict:
    """The run-level facts, refreshed every time the manifest is written."""
    names = sorted({n for s in stages for n in s.inputs})
    return {
        "run_name": run.name,
        "canonical": run.root is None,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "params_file": paths.relative_to_root(run.params_file),
        "params_sha256": registry.sha256(run.params_file),
        "overrides": list(run.overrides),
        "params": run.values,
        "ncvs_source": run.values["ncvs_source"],
        "inputs": {n: registry.entry(n)["sha256"] for n in names},
        "versions": versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "started": started,
    }
