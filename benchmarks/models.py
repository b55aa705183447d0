"""Benchmark: every model of notebooks 04 and 05 at the paper's scale, beside a statsmodels formula-API logit.

Usage: python benchmarks/models.py [--rows 1000000] [--interviews DIR]
Without --interviews, a simulated panel of about --rows interviews in the NCVS schema is used
(tests/fixtures/simulate.py); with it, the run directory's data/ncvs-interviews.parquet,
data/county-covariates.parquet and data/policy-panel.parquet (stages 01-03). Prints wall time per fit,
the ratio to the formula-API baseline (statsmodels smf.logit with county-clustered errors on the same
design), and peak resident memory. Timings depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fedlocal import paths
from fedlocal.models import estimate, eventtime, staggered
from fedlocal.models.design import hybrid_design, prepare
from fedlocal.vocab import GROUPS, POLICIES

sys.path.insert(0, str(paths.ROOT / "tests"))  # the test simulator lives with the tests
from fixtures.simulate import simulate  # noqa: E402


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def timed(label, fn, results):
    t = time.perf_counter()
    out = fn()
    results.append((label, time.perf_counter() - t))
    print(f"  {label:<48s} {results[-1][1]:7.1f} s   peak {peak_gb():.2f} GB", flush=True)
    return out


def formula_baseline(frame: pd.DataFrame, group: str | None) -> float:
    """statsmodels formula API on the same between-within design, clustered by county: the reference cost.

    Timed like ours: from the analysis frame (design built by the same code) to the clustered fit.
    """
    import statsmodels.formula.api as smf

    fit = estimate.fit_hybrid(frame, group)[0]  # to drop exactly collinear columns as our fit does
    t = time.perf_counter()
    d = hybrid_design(frame, group=group)
    safe = [f"x{i}" for i in range(len(d.names))]
    df = pd.DataFrame(d.X, columns=safe).assign(y=d.y)
    cols = [s for s, p in zip(safe, fit.params) if np.isfinite(p)]
    groups = np.unique(d.county, return_inverse=True)[1]
    smf.logit("y ~ 0 + " + " + ".join(cols), data=df).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--interviews", type=Path, default=None, help="a run directory holding stages 01-03 outputs")
    args = ap.parse_args()
    if args.interviews is None:
        persons = int(args.rows / 4.75)
        s = simulate(persons, 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1, person_sd=0.8,
                     county_sd=0.25, base_logit=-4.0)
        interviews, covariates, panel = s.interviews, s.covariates, s.panel
        what = "simulated (tests/fixtures/simulate.py)"
    else:
        data = args.interviews / "data"
        interviews = pd.read_parquet(data / "ncvs-interviews.parquet")
        covariates = pd.read_parquet(data / "county-covariates.parquet")
        panel = pd.read_parquet(data / "policy-panel.parquet")
        what = str(args.interviews)
    frame = prepare(interviews, covariates)
    del interviews
    print(f"data: {what}; {len(frame):,} interviews, {frame['person_id'].nunique():,} persons, "
          f"{frame['county_fips'].nunique():,} counties; peak so far {peak_gb():.2f} GB")
    warnings.simplefilter("ignore")
    ours: list[tuple[str, float]] = []
    print("our models (notebook 04, then 05):")
    for g in (None,) + GROUPS:
        timed(f"hybrid logit, {g or 'all'}", lambda g=g: estimate.fit_hybrid(frame, g), ours)
    timed("conditional logit, all + 3 groups", lambda: estimate.conditional_estimates(frame), ours)
    for p in POLICIES:
        timed(f"event time ({p}), conditional logit", lambda p=p: eventtime.event_time(frame, panel, p, 6), ours)
    for g in (None,) + GROUPS:
        timed(f"LPM TWFE, {g or 'all'}", lambda g=g: staggered.lpm_twfe(frame, group=g), ours)
    for g in (None,) + GROUPS:
        timed(f"cells TWFE + Callaway-Sant'Anna (sc), {g or 'all'}",
              lambda g=g: staggered.staggered_comparison(frame, panel, "sc", g), ours)
    timed("pooled hybrid logit with policy x group terms", lambda: estimate.group_differences(frame), ours)
    total = sum(t for _, t in ours)
    ours_peak = peak_gb()
    print(f"all models of notebooks 04 and 05: {total:.1f} s; peak memory {ours_peak:.2f} GB")
    print("baseline: statsmodels formula-API logit, county-clustered, same between-within design:")
    base = {}
    for g in (None,) + GROUPS:
        base[g or "all"] = formula_baseline(frame, g)
        print(f"  formula-API logit, {g or 'all':<8s} {base[g or 'all']:7.1f} s   peak {peak_gb():.2f} GB", flush=True)
    print("\nfit                                                 ours (s)  baseline (s)  ratio")
    for label, t in ours:
        key = next((g for g in ("latino", "black", "white") if label.endswith(g)), "all")
        print(f"{label:<52s} {t:8.1f}  {base[key]:12.1f}  {t / base[key]:5.2f}")
    print(f"{'all models of both notebooks':<52s} {total:8.1f}")
    print(f"peak memory: {ours_peak:.2f} GB (our models), {peak_gb():.2f} GB (with the baseline)")


if __name__ == "__main__":
    main()
