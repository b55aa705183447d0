"""Benchmark: one replication of stage 07 (synthetic NCVS panel + the main models), step by step, against
issue 16's target (at most 8-10 s at the paper's scale on a quiet 2-core machine), and the speed-up of
the real replication from 1 to 2 joblib workers.

Usage: python benchmarks/montecarlo_replication.py [--scale 1.0] [--replications 2] [--workers-replications 4]
                                                    [--workers-scale 0.1] [--baseline-rev d88cee4]

Part 1 times the steps of ``montecarlo.replicate.NcvsReplication`` (draw_panel, link_exposure,
draw_outcomes, prepare, three group fits of the between-within logit, the conditional logits) with one
BLAS thread, for --replications replications at --scale, and prints the median per step and in total.
Part 2 runs --workers-replications replications at --workers-scale through the engine with joblib x 1
and joblib x 2 workers (fresh run folders) and prints the ratio. Both print the load average before and
after: on a machine shared with other work the absolute times and the ratio mean little without it.
Part 0 (with --baseline-rev, default d88cee4, the code before the string and design speed-ups of issue 16)
times the whole replication side by side: the package as it was at that revision (``git archive`` into a
temporary folder) and as it is now, each in its own fresh Python process, alternating, --replications
times each at --scale, and prints the medians and the ratio old/new, and checks that both return the
same numbers. ``--baseline-rev none`` skips it.
Reads the canonical run's data/derived/county-covariates.parquet and policy-spells.csv (run the pipeline first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fedlocal.exposure.interviews import link_exposure
from fedlocal.models import estimate
from fedlocal.models.design import prepare
from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout
from fedlocal.synthetic import outcomes, panel
from fedlocal.vocab import GROUPS

PLANTED = {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}
ONE = """
import json, sys, time
import pandas as pd
from threadpoolctl import threadpool_limits
from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout
data = layout("").data
counties = pd.read_parquet(data / "county-covariates.parquet")
spells = pd.read_csv(data / "policy-spells.csv", dtype=str, keep_default_na=False)
world = replicate.world("planted", json.loads(sys.argv[2]), float(sys.argv[1]))
with threadpool_limits(1):
    started = time.perf_counter()
    out = replicate.NcvsReplication(counties, spells)(world, engine.seed_for(20230417, "planted", int(sys.argv[3])))
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "file": replicate.__file__, "estimate": out["estimate"].tolist()}))
"""


def source_at(rev: str, folder: Path) -> Path:
    """The package src/ tree as it was at git revision ``rev``, unpacked into ``folder``."""
    archive = subprocess.run(["git", "archive", rev, "src"], capture_output=True, check=True,
                             cwd=Path(__file__).resolve().parents[1]).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def one_replication(src: Path, scale: float, index: int) -> dict:
    """One replication in a fresh Python process that imports fedlocal from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", ONE, str(scale), json.dumps(PLANTED), str(index)], env=env,
                          capture_output=True, text=True, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["file"].startswith(str(src)):
        raise RuntimeError(f"the subprocess imported {out['file']}, not the tree in {src}")
    return out


def side_by_side(rev: str, scale: float, replications: int) -> None:
    """Part 0: the whole replication with the code at ``rev`` and with today's, alternating, ratio in one run."""
    today = Path(__file__).resolve().parents[1] / "src"
    times = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        old = source_at(rev, Path(tmp))
        for i in range(replications):
            order = (("old", old), ("new", today)) if i % 2 == 0 else (("new", today), ("old", old))
            results = {}
            for name, src in order:
                results[name] = one_replication(src, scale, i)
                times[name].append(results[name]["seconds"])
            a, b = (np.array(results[k]["estimate"], dtype=float) for k in ("old", "new"))
            diff = float(np.nanmax(np.abs(a - b))) if a.shape == b.shape else float("inf")
            print(f"  replication {i}: code at {rev} {results['old']['seconds']:.1f} s, today's "
                  f"{results['new']['seconds']:.1f} s; largest difference between the estimates {diff:.1e} "
                  f"({'same to 1e-6' if diff <= 1e-6 else 'DIFFERENT: the estimators changed in between'})", flush=True)
    old_s, new_s = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"one replication at scale {scale} (median of {replications}, one BLAS thread, fresh processes): "
          f"code at {rev} {old_s:.1f} s, today's {new_s:.1f} s, ratio old/new {old_s / new_s:.2f}x")


def inputs():
    data = layout("").data
    counties = pd.read_parquet(data / "county-covariates.parquet")
    spells = pd.read_csv(data / "policy-spells.csv", dtype=str, keep_default_na=False)
    return counties, spells


def steps(counties, spells, world, seed) -> dict[str, float]:
    """The replication of NcvsReplication, with a clock around each step."""
    p, t, out = world.params, time.perf_counter(), {}

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        out[name], t = now - t, now

    rng = np.random.default_rng(seed)
    drawn = panel.draw_panel(counties, p["scale"], rng, first_year=p["first_year"], last_year=p["last_year"])
    lap("draw_panel")
    interviews = drawn.interviews.join(link_exposure(drawn.interviews, spells, p["exposure_rule"]))
    lap("link_exposure")
    interviews, _ = outcomes.draw_outcomes(drawn, interviews, counties, rng, p["planted_odds_ratios"],
                                           county_sd=p["county_sd"], person_sd=p["person_sd"])
    lap("draw_outcomes")
    frame = prepare(interviews, counties)
    lap("prepare")
    estimate.hybrid_estimates(frame, cluster=p["cluster"], groups=GROUPS)
    lap("hybrid_logit x3")
    estimate.conditional_estimates(frame, cluster=p["cluster"], groups=GROUPS)
    lap("conditional_logit x3")
    out["total"] = sum(out.values())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--workers-replications", type=int, default=4)
    ap.add_argument("--workers-scale", type=float, default=0.1)
    ap.add_argument("--baseline-rev", default="d88cee4")
    args = ap.parse_args()
    counties, spells = inputs()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if args.baseline_rev != "none":
        print(f"\ntoday's code against the code at {args.baseline_rev}:")
        side_by_side(args.baseline_rev, args.scale, args.replications)

    world = replicate.world("planted", PLANTED, args.scale)
    times = []
    with threadpool_limits(1):
        for i in range(args.replications):
            times.append(steps(counties, spells, world, engine.seed_for(20230417, "planted", i)))
    print(f"\none replication at scale {args.scale} (median of {args.replications}, one BLAS thread):")
    for step in times[0]:
        print(f"  {step:22s} {statistics.median(t[step] for t in times):8.2f} s")
    total = statistics.median(t["total"] for t in times)
    print(f"  target: at most 8-10 s; this run: {total:.1f} s ({total / 8:.1f}x the 8 s target); "
          f"200 replications x 5 worlds on 2 workers would take about {1000 * total / 2 / 3600:.1f} h at this rate")

    wide = replicate.world("planted", PLANTED, args.workers_scale)
    replicate_fn = replicate.NcvsReplication(counties, spells)
    elapsed = {}
    with tempfile.TemporaryDirectory() as root:
        for workers in (1, 2):
            folder = Path(root) / f"w{workers}"
            started = time.perf_counter()
            engine.run(replicate_fn, [wide], args.workers_replications, folder, engine="joblib", workers=workers,
                       log=None)
            elapsed[workers] = time.perf_counter() - started
    print(f"\n{args.workers_replications} replications at scale {args.workers_scale} through joblib: "
          f"1 worker {elapsed[1]:.1f} s, 2 workers {elapsed[2]:.1f} s, speed-up {elapsed[1] / elapsed[2]:.2f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
