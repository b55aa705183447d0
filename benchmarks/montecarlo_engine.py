"""Benchmark: the Monte Carlo engine's speed-up from 1 to 2 workers, for joblib and Dask, in one run.

Usage: python benchmarks/montecarlo_engine.py [--replications 8] [--rows 200000] [--columns 50] [--rounds 2]

Each replication is fedlocal.montecarlo.toy.logit: a numpy Newton logit on --rows x --columns
simulated data (about 1 s with one BLAS thread on the project's 2-core machine; 51 columns like the
paper's between-within design), CPU-bound like the real replications. Every configuration (serial; joblib with 1 and 2 workers; Dask LocalCluster with 1
and 2 worker processes) runs the same replications into a fresh run folder; the configurations
alternate over --rounds rounds and the medians are printed. "start" is the time to start the workers
(loky's pool, the Dask LocalCluster) and run 2 trivial replications on them; "run" is the timed
run on those warm workers; the speed-ups are given for "run" and for "start + run". The results of every configuration are checked to be identical.

Expected scaling: replications are independent and each worker uses one BLAS thread, so W workers on
C free cores approach min(W, C) x minus the start-up and the per-replication cost of shipping and
saving a result (milliseconds). On a 2-core machine that is at most 2x; other work on the machine
takes cores away from the workers and the ratio with it. On a cluster, add workers up to the number
of replications; each worker needs the memory of one replication (issue 16's budget: at most 4 GB).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_info

from fedlocal.montecarlo import engine, toy

CONFIGS = [("serial", 1), ("joblib", 1), ("joblib", 2), ("dask", 1), ("dask", 2)]


def timed_run(replicate, world, replications, kind, workers, root: Path, scheduler=None):
    folder = Path(tempfile.mkdtemp(dir=root))
    started = time.perf_counter()
    out = engine.run(replicate, [world], replications, folder, engine=kind, scheduler=scheduler,
                     workers=None if kind == "serial" else workers, log=None)
    return time.perf_counter() - started, out


BARE = """
import sys, time
from threadpoolctl import threadpool_limits
from fedlocal.montecarlo import engine, toy
rows, k, first, last = map(int, sys.argv[1:5])
world = engine.World("logit", {"rows": rows, "k": k})
with threadpool_limits(1):
    for i in range(first, last):
        toy.logit(world, engine.seed_for(20230417, "logit", i))
"""


def bare(replications: int, rows: int, k: int, processes: int) -> float:
    """The ceiling without any engine: `processes` plain Pythons splitting the replications (imports included)."""
    cut = [round(k * replications / processes) for k in range(processes + 1)]
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", BARE, str(rows), str(k), str(cut[j]), str(cut[j + 1])])
             for j in range(processes)]
    if any(p.wait() for p in procs):
        raise RuntimeError("a bare process failed")
    return time.perf_counter() - started


def start_workers(kind, workers, root: Path, trivial):
    """Start (and warm) the engine's workers; return (seconds, scheduler for run, things to close)."""
    started = time.perf_counter()
    if kind == "dask":  # the LocalCluster run() would start, kept for the timed run
        client, owned = engine._dask_client(workers, None, 1)
        timed_run(toy.normal_means, trivial, 2, kind, workers, root, scheduler=client)
        return time.perf_counter() - started, client, owned
    timed_run(toy.normal_means, trivial, 2, kind, workers, root)  # loky keeps its pool for the next run
    return time.perf_counter() - started, None, []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    try:
        import dask.distributed  # noqa: F401
        configs = CONFIGS
    except ImportError:
        print("dask[distributed] is not installed: Dask rows skipped (pip install 'fedlocal[dask]')")
        configs = [c for c in CONFIGS if c[0] != "dask"]

    world = engine.World("logit", {"rows": args.rows, "k": args.columns})
    trivial = engine.World("trivial", {"n": 5}, {("sc", "all"): 0.0})
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; BLAS in this process: "
          + ", ".join(f"{p['internal_api']} {p.get('architecture', '')} x{p['num_threads']}" for p in threadpool_info()))
    print(f"{args.replications} replications of a Newton logit on {args.rows:,} x {args.columns} rows, {args.rounds} round(s)\n")
    bare_walls = {1: [], 2: []}
    walls = {c: [] for c in configs}
    starts = {c: [] for c in configs}
    per_rep = {c: [] for c in configs}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for round_ in range(args.rounds):
            order = configs if round_ % 2 == 0 else configs[::-1]
            for processes in (1, 2) if round_ % 2 == 0 else (2, 1):
                bare_walls[processes].append(bare(args.replications, args.rows, args.columns, processes))
                print(f"  round {round_ + 1}: bare   x{processes}  run {bare_walls[processes][-1]:6.1f} s "
                      "(plain processes, imports included)", flush=True)
            for kind, workers in order:
                start, scheduler, owned = start_workers(kind, workers, root, trivial)
                try:
                    wall, out = timed_run(toy.logit, world, args.replications, kind, workers, root, scheduler)
                finally:
                    for thing in owned:
                        thing.close()
                walls[kind, workers].append(wall)
                starts[kind, workers].append(start)
                per_rep[kind, workers].append(out.metadata["seconds_per_replication"])
                if reference is None:
                    reference = out.results
                else:
                    pd.testing.assert_frame_equal(out.results, reference)
                print(f"  round {round_ + 1}: {kind:<6s} x{workers}  run {wall:6.1f} s  start {start:5.1f} s  "
                      f"{out.metadata['seconds_per_replication']:.2f} s per replication inside a worker; "
                      f"worker BLAS {out.metadata['worker_threadpools']}", flush=True)

    med = {c: statistics.median(v) for c, v in walls.items()}
    st = {c: statistics.median(v) for c, v in starts.items()}
    print("\nengine   workers   start s   run s   s/replication   speed-up 1 -> 2 workers: run (start + run)")
    for kind, workers in configs:
        line = (f"{kind:<8s} {workers:>7d} {st[kind, workers]:9.1f} {med[kind, workers]:7.1f} "
                f"{statistics.median(per_rep[kind, workers]):15.2f}")
        if workers == 2 and (kind, 1) in med:
            line += (f"   {med[kind, 1] / med[kind, 2]:.2f}x "
                     f"({(med[kind, 1] + st[kind, 1]) / (med[kind, 2] + st[kind, 2]):.2f}x)")
        print(line)
    b1, b2 = statistics.median(bare_walls[1]), statistics.median(bare_walls[2])
    print(f"bare     1 and 2 plain processes: {b1:.1f} s and {b2:.1f} s: {b1 / b2:.2f}x, the machine's ceiling now")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine lowers every ratio)")
    print("\nidentical results across every engine and worker count: yes")


if __name__ == "__main__":
    main()
