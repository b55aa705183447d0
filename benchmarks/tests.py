"""Benchmark (issue 18): the test suite of an earlier tree and of this one, side by side in one run.

Usage: python benchmarks/tests.py --before DIR [--repeat N] [-- PYTEST ARGS]

DIR is a git worktree of the commit to compare against (`git worktree add DIR <commit>`, then `make env` there).
Each measurement is a fresh `.venv/bin/python -m pytest -q` process of that tree, in that tree (its own
environment, its own pytest options from pyproject.toml: what `make test` runs there), before and this tree
alternating, --repeat times each. PYTEST ARGS (paths, -k ...) choose a subset, the same for both. Prints, per
tree, the wall seconds, the CPU seconds (user + system of the process and every descendant it waited for:
pytest workers and the notebook kernels), the passed/skipped/failed counts, and the ratios before/after of the
medians. Exits 1 when a run has a failure or an error; says so when the trees collect a different number
of tests (merged or split tests: then compare the assertions, not only the counts).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"(\d+) (passed|skipped|failed|errors?|deselected|xfailed|xpassed)")


def run_suite(tree: Path, pytest_args: list[str]) -> dict:
    """One pytest process of `tree`: wall and CPU seconds, outcome counts."""
    python = tree / ".venv" / "bin" / "python"
    if not python.is_file():
        sys.exit(f"error: {python} not found; run `make env` in {tree} first")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run([str(python), "-m", "pytest", "-q", *pytest_args], cwd=tree, env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = res.stdout.rstrip().splitlines()[-1] if res.stdout.strip() else ""
    counts = {"passed": 0, "skipped": 0, "failed": 0, "error": 0}
    for n, what in SUMMARY.findall(last):
        counts["error" if what.startswith("error") else what] = counts.get(what, 0) + int(n)
    if res.returncode not in (0, 1) or counts["failed"] or counts["error"]:
        print(res.stdout[-6000:], res.stderr[-3000:], sep="\n", file=sys.stderr)
    return {"wall": wall, "cpu": cpu, **counts, "code": res.returncode, "summary": last}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", required=True, type=Path, help="a worktree of the commit to compare against")
    parser.add_argument("--repeat", type=int, default=1, help="measurements of each tree (alternating)")
    parser.add_argument("pytest_args", nargs="*", help="after --: paths, -k EXPR ... (the same for both trees)")
    args = parser.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for i in range(args.repeat):
        for name, tree in trees.items():
            r = run_suite(tree, args.pytest_args)
            runs[name].append(r)
            print(f"[{i + 1}/{args.repeat}] {name:6s} {tree}: wall {r['wall']:7.1f} s  cpu {r['cpu']:7.1f} s  "
                  f"{r['summary']}", flush=True)
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")} for name, rs in runs.items()}
    print(f"\n{'tree':6s} {'wall s':>8s} {'cpu s':>8s} {'passed':>7s} {'skipped':>8s} {'failed':>7s}")
    for name, rs in runs.items():
        print(f"{name:6s} {med[name]['wall']:8.1f} {med[name]['cpu']:8.1f} {rs[-1]['passed']:7d} "
              f"{rs[-1]['skipped']:8d} {rs[-1]['failed'] + rs[-1]['error']:7d}")
    print(f"ratio before/after: wall {med['before']['wall'] / med['after']['wall']:.2f}x, "
          f"cpu {med['before']['cpu'] / med['after']['cpu']:.2f}x")
    bad = [r for rs in runs.values() for r in rs if r["failed"] or r["error"] or r["code"] not in (0, 5)]
    if bad:
        print("a run failed: the figures are not those of a passing suite", file=sys.stderr)
        return 1
    counts = {name: sorted({r["passed"] + r["skipped"] for r in rs}) for name, rs in runs.items()}
    if counts["before"] != counts["after"]:
        print(f"note: the trees collect a different number of tests ({counts['before']} before, {counts['after']} "
              f"after: merged or split tests), so compare their assertions, not only the counts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
