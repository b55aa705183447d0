"""The colophon quotes the run that made the outputs (commit, dates, parameters, data source).

Its `run.*` variables are derived here from the run's manifest.json and merged into the variables the
manuscript sees; the pipeline's _variables.yml stays free of dates, so identical runs still write identical
files.
"""

from __future__ import annotations

import datetime as dt
import json

import yaml

from fedlocal import paths
from fedlocal.manuscript.project import RenderError
from fedlocal.paths import Layout


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


def run_variables(layout: Layout) -> dict:
    """The pipeline's merged variables plus the `run` colophon namespace from the run's manifest."""
    if not layout.variables_file.is_file():
        raise RenderError(f"no variables file {paths.relative_to_root(layout.variables_file)}: run the pipeline "
                          f"first (`fedlocal run`), which writes every number the manuscript quotes.")
    variables = yaml.safe_load(layout.variables_file.read_text()) or {}
    if "run" not in variables:
        if not layout.manifest.is_file():
            raise RenderError(f"no run manifest {paths.relative_to_root(layout.manifest)} (the colophon quotes it): "
                              f"run the pipeline first (`fedlocal run`).")
        variables["run"] = colophon_variables(json.loads(layout.manifest.read_text()))
    return variables
