"""Benchmark (issue 18): each speed target measured beside today's code in one run, as ratios.

Usage: python benchmarks/speed.py --before DIR [--rows 1000000] [--repeats 3] [--references] [--pipeline] [--only-logit]

DIR is a git worktree of the commit to compare against (`git worktree add ../fedlocal-before <commit>`);
its src/ is put first on sys.path in fresh subprocesses, so no old code is committed. Both sides run on
the same simulated panel (tests/fixtures/simulate.py, written once), alternating, one BLAS thread each;
each figure is the median of --repeats fresh processes, as CPU seconds (robust to a shared machine's
load) and wall seconds. `--references` adds statsmodels (arrays) and pyfixest feglm on the all-persons
fit (the >= 3x lead); `--pipeline` adds `fedlocal run --force` of both trees into temporary folders
(minutes each). Prints one line per target: before, now, ratio, and the target.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


# ---- the tasks, run in a subprocess against one source tree

def _frame(data: Path):
    import pandas as pd

    from fedlocal.models.design import prepare

    return prepare(pd.read_parquet(data / "interviews.parquet"), pd.read_parquet(data / "covariates.parquet"))


def task_logit(data: Path, out: Path) -> dict:
    """The all-persons between-within fit; counts X'WX products in units of one full-data product."""
    import numpy as np

    from fedlocal.models import logit
    from fedlocal.models.design import hybrid_design

    d = hybrid_design(_frame(data))
    rows = []
    gram = logit._gram
    logit._gram = lambda X, w: rows.append(X.shape[0]) or gram(X, w)
    t, c = time.perf_counter(), time.process_time()
    fit = logit.fit_logit(d.X, d.y, d.names, clusters=d.county)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    gram(d.X, np.ones(len(d.y)))
    one = time.perf_counter() - t
    np.save(out, fit.params)
    return {"wall": wall, "cpu": cpu, "products": sum(rows) / len(d.y), "one_product": one}


def task_conditional(data: Path, out: Path) -> dict:
    import pandas as pd

    from fedlocal.models import estimate, eventtime

    frame = _frame(data)
    panel = pd.read_parquet(data / "panel.parquet")
    t, c = time.perf_counter(), time.process_time()
    cond = estimate.conditional_estimates(frame)
    events = eventtime.event_time_by_policy(frame, panel, 6)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    out.write_bytes(pickle.dumps((cond, events)))
    return {"wall": wall, "cpu": cpu}


def task_counts(data: Path, out: Path) -> dict:
    from fedlocal.models.design import hybrid_design

    d = hybrid_design(_frame(data))
    t, c = time.perf_counter(), time.process_time()
    for _ in range(4):
        counts = d.counts
    out.write_text(json.dumps(counts))
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}


def task_annualize(data: Path, out: Path) -> dict:
    import pandas as pd

    from fedlocal.data.covariates import annualize

    anchors = pd.read_parquet(data / "anchors.parquet")
    t, c = time.perf_counter(), time.process_time()
    panel = [annualize(g) for _, g in anchors.groupby("variable")]
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    out.write_bytes(pickle.dumps(panel))
    return {"wall": wall, "cpu": cpu}


def task_imports(data: Path, out: Path) -> dict:
    """The library imports of the six notebooks, each in a fresh interpreter (what a stage kernel pays)."""
    total_wall = total_cpu = 0.0
    for nb in sorted((ROOT / "notebooks").glob("0*.py")):
        lines = [ln for ln in nb.read_text().splitlines() if ln.startswith(("import ", "from "))]
        code = "import time, resource\n" + "\n".join(lines) + \
            "\nr = resource.getrusage(resource.RUSAGE_SELF)\nprint(r.ru_utime + r.ru_stime)"
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
        total_wall += time.perf_counter() - t
        total_cpu += float(res.stdout.strip().splitlines()[-1])
    out.write_text("")
    return {"wall": total_wall, "cpu": total_cpu}


def task_statsmodels(data: Path, out: Path) -> dict:
    import numpy as np
    from statsmodels.discrete.discrete_model import Logit

    from fedlocal.models.design import hybrid_design
    from fedlocal.models.logit import _gram, independent_columns

    d = hybrid_design(_frame(data))
    X = d.X[:, independent_columns(_gram(d.X, np.ones(len(d.y))))]
    groups = np.unique(d.county, return_inverse=True)[1]
    t, c = time.perf_counter(), time.process_time()
    Logit(d.y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}


def task_pyfixest(data: Path, out: Path) -> dict:
    import numpy as np
    import pandas as pd
    import pyfixest as pf

    from fedlocal.models.design import hybrid_design
    from fedlocal.models.logit import _gram, independent_columns

    d = hybrid_design(_frame(data))
    keep = independent_columns(_gram(d.X, np.ones(len(d.y))))
    cols = [f"x{i}" for i in keep]
    df = pd.DataFrame(d.X[:, keep], columns=cols).assign(y=d.y, county=d.county)
    t, c = time.perf_counter(), time.process_time()
    pf.feglm("y ~ " + " + ".join(c_ for c_ in cols if c_ != "x" + str(d.names.index("const"))), data=df,
             family="logit", vcov={"CRV1": "county"})
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}


def task_pipeline(data: Path, out: Path) -> dict:
    from fedlocal.runner import run_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        t, c = time.perf_counter(), time.process_time()
        run_pipeline(None, out=Path(tmp) / "run", force=True, progress=False, say=lambda _: None)
        wall = time.perf_counter() - t
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": time.process_time() - c + children.ru_utime + children.ru_stime,
            "peak_gb": children.ru_maxrss / 1024 ** 2}


TASKS = {name[5:]: fn for name, fn in globals().items() if name.startswith("task_")}


# ---- the driver

def make_data(folder: Path, rows: int) -> None:
    """One simulated panel for both sides, and ~28,000 county x variable anchor groups for annualize."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures.simulate import simulate

    s = simulate(int(rows / 4.75), 1500, {"sc": {"latino": 1.2}, "tfm": {"latino": 1.2}}, seed=1, person_sd=0.8,
                 county_sd=0.25, base_logit=-4.0)
    s.interviews.to_parquet(folder / "interviews.parquet")
    s.covariates.to_parquet(folder / "covariates.parquet")
    s.panel.to_parquet(folder / "panel.parquet")
    rng = np.random.default_rng(0)
    parts = []
    for v in range(9):
        n = 3142 * 3
        parts.append(pd.DataFrame({"variable": f"v{v}", "fips": np.repeat([f"{c:05d}" for c in range(3142)], 3)[:n],
                                   "at": np.tile([2000.0, 2008.0, 2012.0], 3142)[:n] + rng.integers(0, 2, n) * 0.5,
                                   "value": rng.normal(50, 10, n)}))
    pd.concat(parts, ignore_index=True).to_parquet(folder / "anchors.parquet")


def run_task(src: Path, task: str, data: Path, out: Path) -> dict:
    env = {**os.environ, **THREADS, "PYTHONPATH": str(src), "FEDLOCAL_ROOT": str(src.parent)}
    res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", task, str(data), str(out)],
                         capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"task {task} failed with {src}:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def compare(task: str, before: Path, data: Path, repeats: int) -> tuple[dict, dict, Path, Path]:
    runs = {"before": [], "now": []}
    outs = {k: data / f"{task}-{k}.out" for k in runs}
    for _ in range(repeats):  # alternating, so that a change in the machine's load hits both sides
        runs["before"].append(run_task(before / "src", task, data, outs["before"]))
        runs["now"].append(run_task(ROOT / "src", task, data, outs["now"]))
    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in runs.items()}
    return med["before"], med["now"], outs["before"], outs["now"]


def line(label: str, before: dict, now: dict, target: str) -> None:
    print(f"{label:<44s} {before['cpu']:8.2f} {now['cpu']:8.2f} {before['cpu'] / now['cpu']:6.2f}x"
          f"   {before['wall']:8.2f} {now['wall']:8.2f} {before['wall'] / now['wall']:6.2f}x   {target}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="git worktree of the commit to compare against")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--references", action="store_true", help="also statsmodels and pyfixest feglm (slow)")
    ap.add_argument("--pipeline", action="store_true", help="also fedlocal run --force of both trees (minutes)")
    ap.add_argument("--only-logit", action="store_true", help="only the all-persons fit (and --references)")
    args = ap.parse_args()
    if not (args.before / "src" / "fedlocal").is_dir():
        raise SystemExit(f"--before {args.before}: no src/fedlocal there; make one with "
                         f"'git worktree add {args.before} <commit>'")
    import numpy as np
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        make_data(data, args.rows)
        print(f"{args.rows:,} simulated interviews; medians of {args.repeats} fresh processes, alternating, "
              f"1 BLAS thread; before = {args.before}")
        print(f"{'target':<44s} {'CPU s: before':>8s} {'now':>8s} {'ratio':>7s}   {'wall s: before':>8s} "
              f"{'now':>8s} {'ratio':>7s}   target")
        b, n, ob, on = compare("logit", args.before, data, args.repeats)
        pb, pn = np.load(ob.with_suffix(".out.npy")), np.load(on.with_suffix(".out.npy"))
        diff = float(np.nanmax(np.abs(pb - pn))) if pb.shape == pn.shape else float("nan")  # nan: other designs
        line("all-persons between-within fit", b, n, "<= ~1 s + 5 X'WX products")
        print(f"    X'WX products (full-data units): before {b['products']:.2f}, now {n['products']:.2f}; one product "
              f"{n['one_product']:.2f} s; the fit's wall time = {n['wall'] / n['one_product']:.1f} products (before "
              f"{b['wall'] / b['one_product']:.1f}; target 5); max |coefficient difference| "
              + (f"{diff:.1e} (target <= 1e-8)" if diff == diff else
                 f"not comparable: the design has {pn.size} columns now, {pb.size} before"))
        logit_now = n
        if not args.only_logit:
            b, n, ob, on = compare("conditional", args.before, data, args.repeats)
            cb, cn = pickle.loads(ob.read_bytes()), pickle.loads(on.read_bytes())
            pd.testing.assert_frame_equal(cb[0], cn[0], check_exact=True)
            for x, y in zip(cb[1], cn[1]):
                pd.testing.assert_frame_equal(x, y, check_exact=True)
            line("conditional logit + event time (3 policies)", b, n, "identical estimates (checked)")
            b, n, ob, on = compare("counts", args.before, data, args.repeats)
            assert ob.read_text() == on.read_text()
            line("Design.counts x 4", b, n, "pd.unique once (5 s -> 0.03 s in the run)")
            b, n, ob, on = compare("annualize", args.before, data, args.repeats)
            for x, y in zip(pickle.loads(ob.read_bytes()), pickle.loads(on.read_bytes())):
                pd.testing.assert_frame_equal(x, y, check_exact=True)
            line("covariates.annualize, 9 variables x 3142", b, n, "identical panel (checked); 8.6 s -> ~0.2 s")
            b, n, _, _ = compare("imports", args.before, data, args.repeats)
            line("import cells of the six notebooks", b, n, "import only what a stage uses")
        if args.references:
            for ref in ("statsmodels", "pyfixest"):
                b, n, _, _ = compare(ref, args.before, data, 1)
                print(f"{ref + ' (same fit, reference)':<44s} {n['cpu']:8.2f} CPU s, {n['wall']:8.2f} wall s: our fit is "
                      f"{n['cpu'] / logit_now['cpu']:.1f}x faster (CPU; target >= 3x)")
        if args.pipeline and not args.only_logit:
            b, n, _, _ = compare("pipeline", args.before, data, 1)
            line("fedlocal run --force (default params)", b, n, "<= 60 s on a quiet 2-core machine, <= 2 GB")
            print(f"    peak memory of a stage: before {b['peak_gb']:.2f} GB, now {n['peak_gb']:.2f} GB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        task, data, out = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(TASKS[task](data, out)))
    else:
        main()
