"""Benchmark: the full between-within logit (every time-varying regressor split, time in sample) beside the
partial split it replaced, for all persons and the three groups, at the paper's scale.

Usage: python benchmarks/hybrid.py [--rows 1000000] [--baseline-rev b08db18]
The replaced design is read from git at --baseline-rev (models/design.py as it was there) and fitted by the
current logit code, so the ratio isolates the cost of the design. Prints wall time per fit (design + fit),
the ratio new/old in the same run, and peak resident memory. Timings depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from fedlocal import paths
from fedlocal.models import design
from fedlocal.models.logit import fit_logit
from fedlocal.vocab import GROUPS

sys.path.insert(0, str(paths.ROOT / "tests"))  # the test simulator lives with the tests
from fixtures.simulate import simulate  # noqa: E402


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def design_at(rev: str):
    """models/design.py as it was at a git revision, imported as a module."""
    text = subprocess.run(["git", "-C", str(paths.ROOT), "show", f"{rev}:src/fedlocal/models/design.py"],
                          check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "design_baseline.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("design_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["design_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def fit_time(build, frame, group) -> tuple[float, int]:
    t = time.perf_counter()
    d = build(frame, group=group)
    fit_logit(d.X, d.y, d.names, clusters=d.clusters("county"))
    return time.perf_counter() - t, len(d.names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--baseline-rev", default="b08db18")
    args = ap.parse_args()
    s = simulate(int(args.rows / 4.75), 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1,
                 person_sd=0.8, county_sd=0.25, base_logit=-4.0)
    frame = design.prepare(s.interviews, s.covariates)
    del s
    old = design_at(args.baseline_rev)
    warnings.simplefilter("ignore")
    print(f"{len(frame):,} interviews; baseline design from {args.baseline_rev}")
    print(f"{'group':<8s} {'old (s)':>8s} {'K':>4s} {'new (s)':>8s} {'K':>4s} {'ratio':>6s}")
    tot_old = tot_new = 0.0
    for g in (None,) + GROUPS:
        t_old, k_old = fit_time(old.hybrid_design, frame, g)
        t_new, k_new = fit_time(design.hybrid_design, frame, g)
        tot_old, tot_new = tot_old + t_old, tot_new + t_new
        print(f"{g or 'all':<8s} {t_old:8.1f} {k_old:4d} {t_new:8.1f} {k_new:4d} {t_new / t_old:6.2f}", flush=True)
    print(f"{'total':<8s} {tot_old:8.1f}      {tot_new:8.1f}      {tot_new / tot_old:6.2f}")
    print(f"peak memory {peak_gb():.2f} GB")


if __name__ == "__main__":
    main()
