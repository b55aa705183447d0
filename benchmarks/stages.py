"""Benchmark (issue 18): single pipeline stages of this tree against another tree (`--before`), in one run.

Usage: python benchmarks/stages.py --before DIR [--run RUN] [--stages models robustness] [--repeats 1]

DIR is a worktree of the code to compare with (e.g. `git worktree add ../before main`, with its own `.venv` from
`make env`). RUN is a finished `fedlocal run --out RUN` at the scale to measure (default: the paper's scale;
without --run the before tree makes one with params/default.yaml first). Each tree gets its own copy of RUN, and
each stage runs as a fresh `fedlocal run --only STAGE --force --jobs 1` process of each tree in turn (before,
after, before, ... so that both see the same machine load), --repeats times. Per stage it prints the median wall
seconds, CPU seconds (user + system of the process tree: the kernel included) and peak memory (the resident
memory of the tree, summed, sampled every 0.1 s), with the ratios before/after, then compares the stage's outputs
(pipeline.yaml) of the two trees: byte-identical, or for tables the largest relative difference of any number.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from measure import run_measured  # benchmarks/, the scripts' folder, is on sys.path

ROOT = Path(__file__).resolve().parent.parent


def run_stage(tree: Path, run: Path, stages: list[str]) -> dict:
    """`fedlocal run --only STAGES --force` of `tree` into `run`: wall and CPU seconds, peak memory of the tree."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    r = run_measured([str(tree / ".venv" / "bin" / "fedlocal"), "run", "--force", "--no-progress", "--jobs", "1",
                      "--out", str(run), "--only", *stages], tree, env, interval=0.1)
    if r["returncode"] != 0:
        raise SystemExit(f"{tree}: fedlocal run --only {' '.join(stages)} failed (exit {r['returncode']}):\n{r['log']}")
    return {"wall": r["wall"], "cpu": r["cpu"], "peak_gb": r["peak_gb"]}


def compare_outputs(a: Path, b: Path, outputs: list[str]) -> list[str]:
    """One line per output file: identical, or how the two runs' versions differ."""
    lines = []
    for rel in outputs:
        fa, fb = a / rel, b / rel
        if fa.read_bytes() == fb.read_bytes():
            lines.append(f"  {rel}: identical")
            continue
        if rel.endswith(".csv"):
            da, db = pd.read_csv(fa), pd.read_csv(fb)
            if list(da.columns) != list(db.columns) or len(da) != len(db):
                lines.append(f"  {rel}: DIFFERENT shape or columns")
                continue
            num = da.select_dtypes("number").columns
            other = [c for c in da.columns if c not in num]
            same_text = da[other].astype(str).equals(db[other].astype(str))
            x, y = da[num].to_numpy(float), db[num].to_numpy(float)
            both = np.isfinite(x) & np.isfinite(y)
            rel_diff = float(np.max(np.abs(x - y)[both] / np.maximum(np.abs(x)[both], 1e-300), initial=0.0))
            same_nan = bool(np.array_equal(np.isnan(x), np.isnan(y)))
            lines.append(f"  {rel}: numbers differ by at most {rel_diff:.1e} relative"
                         + ("" if same_text and same_nan else "; TEXT OR MISSING VALUES DIFFER"))
        else:
            lines.append(f"  {rel}: DIFFERENT bytes")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="worktree of the code to compare with")
    ap.add_argument("--run", type=Path, help="a finished `fedlocal run --out` folder (default: made by --before)")
    ap.add_argument("--stages", nargs="+", default=["models", "robustness"])
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    pipeline = {s["name"]: s for s in yaml.safe_load((ROOT / "pipeline.yaml").read_text())["stages"]}
    with tempfile.TemporaryDirectory(prefix="fedlocal-stages-bench-") as tmp:
        base = args.run
        if base is None:
            base = Path(tmp) / "base"
            run_stage(trees["before"], base, list(pipeline))
        runs = {}
        for name in trees:
            runs[name] = Path(tmp) / name
            shutil.copytree(base, runs[name])
        results = {(s, name): [] for s in args.stages for name in trees}
        for _ in range(args.repeats):
            for stage in args.stages:
                for name, tree in trees.items():
                    results[stage, name].append(run_stage(tree, runs[name], [stage]))
                    r = results[stage, name][-1]
                    print(f"{stage:<12s} {name:<7s} {r['wall']:6.1f} s wall {r['cpu']:6.1f} s CPU "
                          f"{r['peak_gb']:5.2f} GB peak", flush=True)
        print(f"\nmedians of {args.repeats} run(s) per tree, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f} at the end; before = {trees['before']}")
        print(f"{'stage':<12s}{'':>10s}{'before':>10s}{'after':>10s}{'before/after':>14s}")
        for stage in args.stages:
            for key, label in (("wall", "wall s"), ("cpu", "CPU s"), ("peak_gb", "peak GB")):
                b, a = (statistics.median(r[key] for r in results[stage, n]) for n in ("before", "after"))
                print(f"{stage:<12s}{label:>10s}{b:10.2f}{a:10.2f}{b / a:13.2f}x")
        for stage in args.stages:
            print(f"outputs of {stage} (before against after):")
            print("\n".join(compare_outputs(runs["before"], runs["after"], pipeline[stage]["outputs"])))


if __name__ == "__main__":
    main()
