"""Benchmark (issue 15): the between-within logit of all four groups (all persons, Latino, Black, white) with
today's code beside the code of earlier commits, in one run, as ratios.

Usage: python benchmarks/hybrid.py [--rows 1000000] [--repeats 3] [--baseline-rev 511840a d88cee4]

Each --baseline-rev is unpacked from git (`git archive <rev> src`) into a temporary folder and put first on
sys.path of a fresh subprocess, as benchmarks/speed.py and montecarlo_replication.py do: no old code is
committed. Default baselines: 511840a, the last commit with the partial split (policies and some individual
covariates split, county covariates and year indicators whole), the model when issue 15 set the target
"the hybrid logit for all four groups within 1.5x of today's time"; and d88cee4, the first full split before
issue 18's speed-ups. Every side fits `models.estimate.hybrid_estimates` (design + clustered fit, four groups)
on the same simulated panel (tests/fixtures/simulate.py, written once), one BLAS thread, alternating sides,
median of --repeats processes; CPU seconds as well as wall (the machine is shared), and peak memory.
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
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
TARGET = 1.5  # issue 15: today's all-groups hybrid within 1.5x of the partial split's time

WORKER = r"""
import json, resource, sys, time, warnings
import pandas as pd
from fedlocal.models import estimate
from fedlocal.models.design import prepare
warnings.simplefilter("ignore")
data = sys.argv[1]
frame = prepare(pd.read_parquet(data + "/interviews.parquet"), pd.read_parquet(data + "/covariates.parquet"))
t, c = time.perf_counter(), time.process_time()
est = estimate.hybrid_estimates(frame)
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"wall": wall, "cpu": cpu, "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
                  "file": estimate.__file__, "odds_ratio": est["odds_ratio"].tolist()}))
"""


def source_at(rev: str, folder: Path) -> Path:
    """The package's src/ tree at git revision ``rev``, unpacked into ``folder``."""
    archive = subprocess.run(["git", "archive", rev, "src"], capture_output=True, check=True, cwd=ROOT).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def make_data(folder: Path, rows: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures.simulate import simulate

    s = simulate(int(rows / 4.75), 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1, person_sd=0.8,
                 county_sd=0.25, base_logit=-4.0)
    s.interviews.to_parquet(folder / "interviews.parquet")
    s.covariates.to_parquet(folder / "covariates.parquet")


def fit_all_groups(src: Path, data: Path) -> dict:
    env = {**os.environ, **THREADS, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", WORKER, str(data)], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"the hybrid fits failed with {src}:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if not out["file"].startswith(str(src)):
        raise SystemExit(f"the subprocess imported {out['file']}, not the tree in {src}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-rev", nargs="+", default=["511840a", "d88cee4"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_data(tmp, args.rows)
        trees = {rev: source_at(rev, tmp / rev) for rev in args.baseline_rev}
        trees["today"] = ROOT / "src"
        runs: dict[str, list[dict]] = {k: [] for k in trees}
        for i in range(args.repeats):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))  # alternating: load hits every side
            for name in order:
                runs[name].append(fit_all_groups(trees[name], tmp))
                r = runs[name][-1]
                print(f"  repeat {i}: {name:<8s} CPU {r['cpu']:6.1f} s, wall {r['wall']:6.1f} s", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "peak_gb")} for k, v in runs.items()}
    now = med["today"]
    print(f"\n{args.rows:,} simulated interviews; hybrid logit for all persons + 3 groups (design + clustered fit); "
          f"medians of {args.repeats} fresh processes, 1 BLAS thread")
    print(f"{'code':<10s} {'CPU s':>7s} {'wall s':>7s} {'peak GB':>8s} {'today/this (CPU)':>17s} {'(wall)':>7s}")
    for name, m in med.items():
        print(f"{name:<10s} {m['cpu']:7.1f} {m['wall']:7.1f} {m['peak_gb']:8.2f} {now['cpu'] / m['cpu']:17.2f} "
              f"{now['wall'] / m['wall']:7.2f}")
    base = args.baseline_rev[0]
    ratio = now["cpu"] / med[base]["cpu"]
    print(f"target: today within {TARGET}x of {base} (the partial split): {ratio:.2f}x CPU -> "
          f"{'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
