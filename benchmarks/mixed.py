"""Benchmark: the random-intercept (person) logit by adaptive quadrature beside the pooled between-within logit.

Usage: python benchmarks/mixed.py [--rows 100000 250000 1000000] [--n-quad 7] [--group all]
Both models get the same between-within design (all persons unless --group) of the simulated panel the other
benchmarks use (person SD 0.8, county SD 0.25), with county-clustered standard errors. Per size it prints
wall and CPU seconds per fit (the random-intercept fit includes its pooled start, as in the pipeline), the
ratio random-intercept/pooled in the same run, the optimizer's iterations and likelihood evaluations, the
fitted person SD, and the process's peak resident memory after the pooled fit and after the random-intercept
fit (the high-water mark, so the second shows what the random-intercept fit added). Timings depend on what
else runs on the machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np

from fedlocal import paths
from fedlocal.models import design
from fedlocal.models.logit import fit_logit
from fedlocal.models.mixed import fit_random_intercept

sys.path.insert(0, str(paths.ROOT / "tests"))  # the test simulator lives with the tests
from fixtures.simulate import simulate  # noqa: E402


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def timed(fn):
    """(result, wall s, CPU s, peak resident GB of the process so far)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c, peak_gb()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 250_000, 1_000_000])
    ap.add_argument("--n-quad", type=int, default=7)
    ap.add_argument("--group", default="all")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    group = None if args.group == "all" else args.group
    print(f"group {args.group}; {args.n_quad} quadrature nodes")
    print(f"{'rows':>9s} {'persons':>8s} {'K':>3s} | {'pooled wall':>11s} {'CPU':>6s} {'GB':>5s} | "
          f"{'RI wall':>8s} {'CPU':>6s} {'GB':>5s} {'iter':>4s} {'eval':>4s} {'sd':>5s} | {'ratio':>6s}")
    for rows in args.rows:
        s = simulate(int(rows / 4.75), max(200, min(1500, rows // 700)),
                     {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1, person_sd=0.8, county_sd=0.25,
                     base_logit=-4.0)
        frame = design.prepare(s.interviews, s.covariates)
        del s
        d = design.hybrid_design(frame, group=group)
        del frame
        cl = d.clusters("county")
        pooled, pw, pc, pm = timed(lambda: fit_logit(d.X, d.y, d.names, clusters=cl))  # noqa: B023
        ri, rw, rc, rm = timed(lambda: fit_random_intercept(d.X, d.y, d.person, d.names, clusters=cl,  # noqa: B023
                                                             n_quad=args.n_quad))
        print(f"{len(d.y):9,d} {ri.persons:8,d} {len(d.names):3d} | {pw:11.1f} {pc:6.1f} {pm:5.2f} | "
              f"{rw:8.1f} {rc:6.1f} {rm:5.2f} {ri.iterations:4d} {ri.evaluations:4d} {ri.sd:5.2f} | "
              f"{rw / pw:6.1f}", flush=True)
        within = [i for i, n in enumerate(d.names) if n.endswith("_within") and n.split("_")[0] in ("sc", "tfm")]
        print("          within log-odds pooled / random intercept: "
              + ", ".join(f"{d.names[i]} {pooled.params[i]:+.3f} / {ri.params[i]:+.3f}" for i in within)
              + f"; converged {ri.converged}; max |delta| pooled vs RI {np.nanmax(np.abs(pooled.params - ri.params)):.2f}")


if __name__ == "__main__":
    main()
