"""Benchmark (issue 18): the early stages (01 policies, 02 counties, 03 ncvs, 06 crime) and one variant of each kind
that stage 08 runs, this tree against a before-tree, side by side in one run.

Usage: python benchmarks/early_stages.py --before DIR [--compiled-venv VENV] [--params params/default.yaml] [--repeats 3]

DIR is a worktree of the code to compare with (e.g. `git worktree add ../before <commit>` and `make env` in it); each
tree runs with its own .venv. With --compiled-venv, a third column runs this tree's code with the interpreter of VENV
(a copy of this tree's .venv after `make env VENV=...` compiled its bytecode: `python -m fedlocal`; the kernels use the
same interpreter), to show what the bytecode alone saves over this tree's uncompiled .venv. Every measurement is a fresh `fedlocal run --only <stage> --force --jobs 1` process into
a scratch folder of its tree (the stages in run order, so each finds the outputs of the stages it needs), the trees
alternating (before first in odd repetitions, after first in even ones). Then, per tree, the two kinds of variant
stage 08 runs: a policy coding (city_policies=county with bootstrap_draws=0, as specifications.VARIANT_CHANGES sets:
stages 01-04 rerun) and a model-only one (cluster=person, bootstrap_draws=0: only stage 04 reruns, on the scratch
folder's stages 01-03). Prints per stage and tree the medians of wall seconds, CPU seconds (user + system of the
process tree: the kernel too; the machine may be shared, so CPU is the steadier figure) and peak resident memory
(the largest single process: the kernel), the ratios after/before, and finally which outputs differ in SHA-256
between the trees' scratch runs (pipeline.yaml's outputs of each stage).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("policies", "counties", "ncvs", "crime")
VARIANTS = {"policy coding (city_policies=county)": (["city_policies=county", "bootstrap_draws=0"],
                                                      ["policies", "counties", "ncvs", "models"]),
            "model only (cluster=person)": (["cluster=person", "bootstrap_draws=0"], ["models"])}


def measure(tree: tuple[Path, list[str]], params: Path, out: Path, only: list[str], changes: list[str] = ()) -> dict:
    """One fresh `fedlocal run` of `tree` (its folder, its fedlocal command): wall and CPU seconds and peak RSS (GNU
    time: the largest process it reaped, the kernel)."""
    timing = out.parent / f"{out.name}.time"
    folder, fedlocal = tree
    command = ["/usr/bin/time", "-o", str(timing), "-f", "%e %U %S %M", *fedlocal, "run",
               "--params", str(params), "--out", str(out), "--only", *only, "--force", "--jobs", "1", "--no-progress",
               *[a for c in changes for a in ("--set", c)]]
    done = subprocess.run(command, cwd=folder, env={**os.environ, "MPLBACKEND": "Agg"}, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[5:])} failed in {folder}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    wall, user, system, kb = timing.read_text().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(system), "rss_gb": int(kb) / 1e6}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def stage_outputs(stage: str) -> list[str]:
    pipeline = yaml.safe_load((ROOT / "pipeline.yaml").read_text())
    return next(s["outputs"] for s in pipeline["stages"] if s["name"] == stage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="worktree of the code to compare with")
    parser.add_argument("--compiled-venv", type=Path, help="a copy of this tree's .venv with compiled bytecode")
    parser.add_argument("--params", type=Path, default=ROOT / "params/default.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    before = args.before.resolve()
    trees = {"before": (before, [str(before / ".venv/bin/fedlocal")]), "after": (ROOT, [str(ROOT / ".venv/bin/fedlocal")])}
    if args.compiled_venv:
        trees["after, compiled"] = (ROOT, [str(args.compiled_venv.resolve() / "bin/python"), "-m", "fedlocal"])
    params = args.params.resolve()
    rows: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="fedlocal-early-") as tmp:
        scratch = {name: Path(tmp) / name.replace(", ", "-") for name in trees}
        for r in range(args.repeats):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for stage in STAGES:
                for name in order:
                    rows.setdefault((stage, name), []).append(measure(trees[name], params, scratch[name], [stage]))
                    print(f"repeat {r + 1} {stage:9s} {name:15s} {rows[stage, name][-1]}", flush=True)
            for label, (changes, only) in VARIANTS.items():
                for name in order:
                    out = scratch[name] if only == ["models"] else scratch[name].with_name(scratch[name].name + "-variant")
                    rows.setdefault((label, name), []).append(measure(trees[name], params, out, only, changes))
                    print(f"repeat {r + 1} {label} {name:15s} {rows[label, name][-1]}", flush=True)
        print(f"\nmedians of {args.repeats} runs each: wall and CPU seconds, peak RSS GB; in brackets the ratio to before")
        print(f"{'stage':40s} " + " ".join(f"{name + ' wall':>22s} {'CPU':>14s} {'RSS':>5s}" for name in trees))
        for label in (*STAGES, *VARIANTS):
            med = {name: {k: statistics.median(m[k] for m in rows[label, name]) for k in ("wall", "cpu", "rss_gb")}
                   for name in trees}
            b = med["before"]
            print(f"{label:40s} " + " ".join(
                f"{m['wall']:14.1f} ({m['wall'] / b['wall']:4.2f}) {m['cpu']:6.1f} ({m['cpu'] / b['cpu']:4.2f}) {m['rss_gb']:5.2f}"
                for m in med.values()))
        print("\noutputs (SHA-256, the trees' scratch runs of the default parameters):")
        for name in list(trees)[1:]:
            for stage in STAGES:
                differ = [o for o in stage_outputs(stage) if sha256(scratch["before"] / o) != sha256(scratch[name] / o)]
                print(f"  {name} against before, {stage}: "
                      + (f"all {len(stage_outputs(stage))} identical" if not differ else "differ: " + ", ".join(differ)))


if __name__ == "__main__":
    main()
