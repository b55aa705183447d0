"""Benchmark (issue 18): `fedlocal run --force` with --jobs 1 and --jobs 2, side by side in one run.

Usage: python benchmarks/pipeline.py [--params params/default.yaml] [--jobs 1 2]

Each run is a fresh `fedlocal run --force --out <temporary folder> --jobs N` process (the paper's scale with the
default parameters; the canonical outputs are not touched). Prints, per stage, the seconds its manifest records (a
stage's own notebook execution; with several jobs, stages share the cores), then the whole run's wall seconds, its
CPU seconds (user + system of the whole process tree: the kernels too) and its peak memory (the resident memory of
the whole tree, summed, sampled every 0.2 s: what two kernels side by side need together), and the ratios to the
first --jobs. Finally checks that every stage's outputs have the same SHA-256 for every --jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (those that vanish while read count 0)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_once(params: Path, jobs: int, out: Path) -> dict:
    """One `fedlocal run --force` into `out`: wall and CPU seconds, peak memory of the tree, its manifest."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "fedlocal"), "run", "--force", "--no-progress",
                             "--params", str(params), "--out", str(out), "--jobs", str(jobs)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        handle = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], tree_rss(handle))
            except psutil.Error:
                return
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    log = proc.communicate()[0]
    wall = time.perf_counter() - t
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"fedlocal run --jobs {jobs} failed (exit {proc.returncode}):\n{log}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_gb": peak[0] / 1024 ** 3,
            "manifest": json.loads((out / "manifest.json").read_text()), "log": log}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=Path, default=ROOT / "params" / "default.yaml")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fedlocal-pipeline-bench-") as tmp:
        results = {}
        for jobs in args.jobs:
            results[jobs] = run_once(args.params, jobs, Path(tmp) / f"jobs{jobs}")
            r = results[jobs]
            print(f"--jobs {jobs}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, peak {r['peak_gb']:.2f} GB", flush=True)
    from fedlocal.runner import load_stages

    first = args.jobs[0]
    stages = [s.name for s in load_stages() if s.name in results[first]["manifest"]["stages"]]  # in run order
    print(f"\nfedlocal run --force ({args.params.name}), {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end; seconds per stage (manifest)")
    print(f"{'stage':<16s}" + "".join(f"{'jobs ' + str(j):>10s}" for j in args.jobs))
    for s in stages:
        print(f"{s:<16s}" + "".join(f"{results[j]['manifest']['stages'].get(s, {}).get('seconds', float('nan')):10.1f}"
                                    for j in args.jobs))
    for key, label in (("wall", "total wall s"), ("cpu", "CPU s (tree)"), ("peak_gb", "peak GB (tree)")):
        print(f"{label:<16s}" + "".join(f"{results[j][key]:10.2f}" for j in args.jobs)
              + "".join(f"   ratio {first}/{j}: {results[first][key] / results[j][key]:.2f}x" for j in args.jobs[1:]))
    print(f"targets: total wall <= 60 s on a quiet 2-core machine; peak memory <= 2 GB "
          f"({'met' if max(r['peak_gb'] for r in results.values()) <= 2 else 'MISSED'} here)")
    outputs = {j: {s: rec["outputs"] for s, rec in results[j]["manifest"]["stages"].items()} for j in args.jobs}
    same = all(outputs[j] == outputs[first] for j in args.jobs)
    print("outputs: every stage's outputs have the same SHA-256 for every --jobs" if same else
          "outputs: DIFFER between --jobs: " + ", ".join(f"{s}" for s in stages if any(
              outputs[j].get(s) != outputs[first].get(s) for j in args.jobs)))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
