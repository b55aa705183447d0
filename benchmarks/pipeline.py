"""Benchmark (issue 18): `fedlocal run --force` with --jobs 1 and --jobs 2, side by side in one run.

Usage: python benchmarks/pipeline.py [--params params/default.yaml] [--jobs 1 2] [--before DIR]

Each run is a fresh `fedlocal run --force --out <temporary folder> --jobs N` process (the paper's scale with the
default parameters; the canonical outputs are not touched). `--before DIR` (a git worktree of the commit to compare
against, with its own `make env`) runs that tree's `fedlocal` too, right before this tree's for each --jobs, and
prints the two side by side with their ratio. Stage 08's variants are reused from a tree's canonical variant runs
(results/runs/specifications) when that tree has them with the same fingerprints: measure fresh worktrees (none
there) to time their rebuild. Prints, per stage, the seconds its manifest records (a
stage's own notebook execution; with several jobs, stages share the cores), then the whole run's wall seconds, its
CPU seconds (user + system of the whole process tree: the kernels too) and its peak memory (the resident memory of
the whole tree, summed, sampled every 0.2 s: what two kernels side by side need together), and the ratios to the
first --jobs. Finally checks that every stage's outputs have the same SHA-256 for every --jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from measure import run_measured  # benchmarks/, the scripts' folder, is on sys.path

ROOT = Path(__file__).resolve().parent.parent


def run_once(params: Path, jobs: int, out: Path, tree: Path = ROOT) -> dict:
    """One `fedlocal run --force` of `tree` into `out`: wall and CPU seconds, peak memory of the process tree and
    of its largest process, its manifest."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("FEDLOCAL_ROOT", None)
    command = tree / ".venv" / "bin" / "fedlocal" if tree != ROOT else Path(sys.executable).parent / "fedlocal"
    r = run_measured([str(command), "run", "--force", "--no-progress", "--params", str(tree / params.relative_to(ROOT)),
                      "--out", str(out), "--jobs", str(jobs)], tree, env)
    if r["returncode"] != 0:
        raise SystemExit(f"fedlocal run --jobs {jobs} failed (exit {r['returncode']}):\n{r['log']}")
    return {**r, "manifest": json.loads((out / "manifest.json").read_text())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=Path, default=ROOT / "params" / "default.yaml")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--before", type=Path, help="git worktree of the commit to compare against (with its .venv)")
    args = ap.parse_args()
    params = args.params.resolve()
    trees = ([("before", args.before.resolve())] if args.before else []) + [("now", ROOT)]
    runs = [(label, tree, jobs) for jobs in args.jobs for label, tree in trees]  # before and now next to each other
    with tempfile.TemporaryDirectory(prefix="fedlocal-pipeline-bench-") as tmp:
        results = {}
        for label, tree, jobs in runs:
            r = results[label, jobs] = run_once(params, jobs, Path(tmp) / f"{label}-jobs{jobs}", tree)
            print(f"{label} --jobs {jobs}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, peak {r['peak_gb']:.2f} GB "
                  f"(largest process {r['largest_gb']:.2f} GB)", flush=True)
    from fedlocal.runner import load_stages

    columns = [(label, jobs) for label, _, jobs in runs]
    names = {c: (f"{c[0]} j{c[1]}" if args.before else f"jobs {c[1]}") for c in columns}
    stages = [s.name for s in load_stages()]  # in run order
    print(f"\nfedlocal run --force ({args.params.name}), {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end; seconds per stage (manifest)")
    print(f"{'stage':<18s}" + "".join(f"{names[c]:>12s}" for c in columns))
    for s in stages:
        print(f"{s:<18s}" + "".join(f"{results[c]['manifest']['stages'].get(s, {}).get('seconds', float('nan')):12.1f}"
                                    for c in columns))
    for key, label in (("wall", "total wall s"), ("cpu", "CPU s (tree)"), ("peak_gb", "peak GB (tree)"),
                       ("largest_gb", "largest process GB")):
        ratios = [f"{names[(t, j)]}/{names[(t2, j2)]}: {results[t, j][key] / results[t2, j2][key]:.2f}x"
                  for (t, j), (t2, j2) in zip(columns, columns[1:]) if (j == j2 if args.before else t == t2)]
        print(f"{label:<18s}" + "".join(f"{results[c][key]:12.2f}" for c in columns) + "   " + ", ".join(ratios))
    now = [results[c] for c in columns if c[0] == "now"]
    print(f"targets: total wall <= 60 s on a quiet 2-core machine "
          f"({'met' if min(r['wall'] for r in now) <= 60 else 'MISSED'} now); peak memory <= 2 GB "
          f"({'met' if max(r['peak_gb'] for r in now) <= 2 else 'MISSED'} now for the tree, "
          f"{'met' if max(r['largest_gb'] for r in now) <= 2 else 'MISSED'} for the largest process)")
    ok = True
    for label, _ in trees:
        outputs = {j: {s: rec["outputs"] for s, rec in results[label, j]["manifest"]["stages"].items()} for j in args.jobs}
        same = all(outputs[j] == outputs[args.jobs[0]] for j in args.jobs)
        ok &= same
        print(f"outputs ({label}): " + ("every stage's outputs have the same SHA-256 for every --jobs" if same else
              "DIFFER between --jobs: " + ", ".join(s for s in stages if any(
                  outputs[j].get(s) != outputs[args.jobs[0]].get(s) for j in args.jobs))))
    if args.before:  # informational: a change may move outputs on purpose; the tests say which may
        j = args.jobs[0]
        moved = {s: sorted(k for k, v in rec["outputs"].items()
                           if results["before", j]["manifest"]["stages"].get(s, {}).get("outputs", {}).get(k) != v)
                 for s, rec in results["now", j]["manifest"]["stages"].items()}
        print("outputs now vs before: " + ("identical" if not any(moved.values()) else
              "; ".join(f"{s}: {', '.join(v)}" for s, v in moved.items() if v)))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
