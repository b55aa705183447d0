"""Benchmark: a 999-draw wild cluster score bootstrap of one group's between-within logit, beside one fit.

Usage: python benchmarks/bootstrap.py [--rows 1000000] [--group latino] [--draws 999]
A simulated panel of about --rows interviews (tests/fixtures/simulate.py); prints the time of one clustered
fit of the group model, of the score bootstrap for each policy's within coefficient (null fit + draws), the
ratio between them, and peak resident memory. Target (issue 15): under 60 s on 2 cores per bootstrap.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

from fedlocal import paths
from fedlocal.models import bootstrap, design
from fedlocal.models.logit import fit_logit
from fedlocal.vocab import POLICIES

sys.path.insert(0, str(paths.ROOT / "tests"))  # the test simulator lives with the tests
from fixtures.simulate import simulate  # noqa: E402


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--group", default="latino")
    ap.add_argument("--draws", type=int, default=999)
    args = ap.parse_args()
    s = simulate(int(args.rows / 4.75), 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1,
                 person_sd=0.8, county_sd=0.25, base_logit=-4.0)
    frame = design.prepare(s.interviews, s.covariates)
    del s
    warnings.simplefilter("ignore")
    d = design.hybrid_design(frame, group=args.group)
    print(f"{len(frame):,} interviews; group {args.group}: {len(d.y):,} interviews, {len(d.names)} columns")
    t = time.perf_counter()
    fit_logit(d.X, d.y, d.names, clusters=d.clusters("county"))
    t_fit = time.perf_counter() - t
    print(f"one clustered fit: {t_fit:.1f} s", flush=True)
    for p in POLICIES:
        t = time.perf_counter()
        b = bootstrap.score_bootstrap(d.X, d.y, d.names, f"{p}_within", d.county, draws=args.draws, seed=1)
        dt = time.perf_counter() - t
        print(f"score bootstrap {p:<13s} {args.draws} draws: {dt:6.1f} s ({dt / t_fit:4.1f} fits)  p = {b.p_value:.3f}  "
              f"G = {b.clusters}, G* = {b.effective_clusters:.1f}", flush=True)
    print(f"peak memory {peak_gb():.2f} GB")


if __name__ == "__main__":
    main()
