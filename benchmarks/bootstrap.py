"""Benchmark (issue 15): a 999-draw wild cluster score bootstrap of one group's between-within logit, all four
policies, beside one clustered fit; the restricted fits started cold and from the unrestricted estimates.

Usage: python benchmarks/bootstrap.py [--rows 1000000] [--groups all latino] [--draws 999] [--threads 2]

A simulated panel of about --rows interviews (tests/fixtures/simulate.py). Per group ("all" = every person,
the 1 M-row model): the clustered fit, then the score bootstrap of each policy's within coefficient (its
restricted fit + the draws) as notebook 04 runs it (started from the unrestricted estimates) and, side by
side in the same run, started cold (the subsample warm start of models.logit). Wall and CPU seconds (the
machine is shared: CPU seconds are the steadier figure), same p-values checked, and peak resident memory.
Target (issue 15): the 999-draw bootstrap of one group model under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

from threadpoolctl import threadpool_limits

from fedlocal import paths
from fedlocal.models import bootstrap, design
from fedlocal.models.logit import fit_logit
from fedlocal.vocab import POLICIES

sys.path.insert(0, str(paths.ROOT / "tests"))  # the test simulator lives with the tests
from fixtures.simulate import simulate  # noqa: E402

TARGET_S = 60.0


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def timed(fn, *args, **kwargs):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--groups", nargs="+", default=["all", "latino"])
    ap.add_argument("--draws", type=int, default=999)
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads (the target is on 2 cores)")
    args = ap.parse_args()
    s = simulate(int(args.rows / 4.75), 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1,
                 person_sd=0.8, county_sd=0.25, base_logit=-4.0)
    frame = design.prepare(s.interviews, s.covariates)
    del s
    warnings.simplefilter("ignore")
    print(f"{len(frame):,} interviews; {args.draws} draws; {args.threads} BLAS threads")
    with threadpool_limits(args.threads):
        for group in args.groups:
            d = design.hybrid_design(frame, group=None if group == "all" else group)
            fit, fit_wall, fit_cpu = timed(fit_logit, d.X, d.y, d.names, clusters=d.clusters("county"))
            print(f"\ngroup {group}: {len(d.y):,} interviews, {len(d.names)} columns; one clustered fit "
                  f"{fit_wall:.1f} s wall, {fit_cpu:.1f} s CPU", flush=True)
            print(f"{'policy':<13s} {'warm wall':>9s} {'CPU':>6s} {'cold wall':>9s} {'CPU':>6s} {'cold/warm':>9s}  "
                  f"p (warm = cold)  G*  treated  weights")
            totals = {"warm": [0.0, 0.0], "cold": [0.0, 0.0]}
            for p in POLICIES:
                name = f"{p}_within"
                runs = {}
                for kind, start in (("warm", fit.params), ("cold", None)):
                    runs[kind] = timed(bootstrap.score_bootstrap, d.X, d.y, d.names, name, d.county,
                                       draws=args.draws, seed=1, weights_kind="auto", start=start)
                    totals[kind][0] += runs[kind][1]
                    totals[kind][1] += runs[kind][2]
                w, c = runs["warm"], runs["cold"]
                same = "yes" if w[0].p_value == c[0].p_value else f"NO ({c[0].p_value:.3f})"
                print(f"{p:<13s} {w[1]:9.1f} {w[2]:6.1f} {c[1]:9.1f} {c[2]:6.1f} {c[2] / w[2]:9.2f}  "
                      f"{w[0].p_value:.3f} {same:<5s} {w[0].effective_clusters:5.1f} {w[0].treated_clusters:6d}  "
                      f"{w[0].weights}", flush=True)
            (ww, wc), (cw, cc) = totals["warm"], totals["cold"]
            print(f"{'4 policies':<13s} {ww:9.1f} {wc:6.1f} {cw:9.1f} {cc:6.1f} {cc / wc:9.2f}   target: the group's "
                  f"bootstrap (4 policies, warm) under {TARGET_S:.0f} s wall: {'met' if ww < TARGET_S else 'NOT met'}")
    print(f"\npeak memory {peak_gb():.2f} GB")


if __name__ == "__main__":
    main()
