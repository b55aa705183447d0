"""`fedlocal reproduce` (rebuild everything from the raw inputs and give a verdict) and `fedlocal diff`.

What counts as "the same" for each kind of output is in fedlocal.runner.compare.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from fedlocal import FedlocalError, paths
from fedlocal.paths import Layout
from fedlocal.runner import compare
from fedlocal.runner import manifest as manifests
from fedlocal.runner.plan import plan_run
from fedlocal.runner.run import _say, run_pipeline
from fedlocal.runner.slots import check_jobs
from fedlocal.runner.stages import load_stages

REPRODUCE_DIR = paths.RESULTS / "reproduce"  # git-ignored scratch run
CANONICAL = "canonical"
MAX_CELLS = 8  # per table in `fedlocal diff`; the rest is counted


class RunFolderError(FedlocalError):
    """A run named on the command line does not exist or is not a run folder."""


def git_ignored(layout: Layout, outputs: list[str]) -> set[str]:
    """The outputs git does not track in this layout (the large intermediates a clone lacks)."""
    files = {str(layout.resolve(o)): o for o in outputs}
    listed = manifests.git("check-ignore", *files) or ""
    return {files[line] for line in listed.splitlines() if line in files}


def reproduce(params_file: str | Path | None = None, out: str | Path | None = None,
              against: str | Path | None = None, rebuild: bool = True, pipeline_file: str | Path | None = None,
              say: Callable[[str], None] = _say, jobs: int | str | None = None) -> bool:
    """Rebuild every stage from the raw inputs into a scratch folder and compare it with the reference run.

    reference: the canonical outputs (default) or a run folder; returns True when every output is the same.
    rebuild=False compares an earlier rebuild in `out` again (e.g. against another reference).
    """
    out = Path(out).resolve() if out else REPRODUCE_DIR
    reference = Layout.canonical() if against is None else Layout.at(Path(against).resolve())
    stages = load_stages(pipeline_file)
    fresh = Layout.at(out)
    if rebuild:
        jobs = check_jobs(jobs)
        plan_run(params_file, (), out)  # parameters valid and the folder allowed, before anything is deleted
        if out.exists() and any(out.iterdir()) and not fresh.manifest.is_file():
            raise RunFolderError(f"reproduce --out {out} is a folder with files but no run in it; give an empty "
                                 f"or new folder (it is emptied before the rebuild)")
        shutil.rmtree(out, ignore_errors=True)
        run_pipeline(params_file, out=out, force=True, pipeline_file=pipeline_file, reuse_from=None,
                     progress=False, say=say, jobs=jobs)
    elif not fresh.manifest.is_file():
        raise RunFolderError(f"no earlier rebuild in {out}; run `fedlocal reproduce` without --no-rebuild first")
    ref_name = "the canonical outputs" if against is None else paths.relative_to_root(Path(against))
    say(f"reproduce: comparing the rebuild in {paths.relative_to_root(out)}/ with {ref_name} "
        f"(tables and _variables.yml exactly, CSV numbers within rtol {compare.RTOL:g}, parquet as frames, "
        f"figures by the data behind them)")
    ignored = git_ignored(reference, [o for s in stages for o in s.outputs]) if against is None else set()
    results = list(compare.verdicts(fresh, reference, stages, ignored))
    for v in results:
        say(f"  {'same   ' if v.same else 'DIFFERS'}  {v.output}: {v.how}")
    bad = [v.output for v in results if not v.same]
    if bad:
        say(f"verdict: NOT reproduced: {len(bad)} of {len(results)} outputs differ: {', '.join(bad)}")
    else:
        say(f"verdict: reproduced: all {len(results)} outputs are the same")
    return not bad


def resolve_run(name: str | None) -> tuple[Layout, str]:
    """A run named on the command line: 'canonical' (or nothing), a folder, or a folder name under results/runs/."""
    if name in (None, CANONICAL):
        return Layout.canonical(), CANONICAL
    for folder in (Path(name), paths.RUNS / name):
        if (folder / "manifest.json").is_file():
            return Layout.at(folder.resolve()), paths.relative_to_root(folder)
    raise RunFolderError(f"{name}: no run there (no manifest.json in {name} or results/runs/{name}); name a run "
                         f"folder, a folder under results/runs/, or 'canonical'")


def diff(a: str, b: str | None = None, say: Callable[[str], None] = _say) -> bool:
    """Print the parameters, _variables.yml values and table cells that differ; True when nothing differs."""
    (la, na), (lb, nb) = resolve_run(a), resolve_run(b)
    say(f"fedlocal diff: {na} (left) vs {nb} (right)")
    found = False
    params = compare.mapping_differences(compare.run_params(la), compare.run_params(lb))
    say(f"parameters: {len(params)} differ" if params else "parameters: the same")
    for key, x, y in params:
        say(f"  {key}: {x} | {y}")
    variables = compare.mapping_differences(compare.read_variables(la), compare.read_variables(lb))
    say(f"_variables.yml: {len(variables)} values differ" if variables else "_variables.yml: the same")
    for key, x, y in variables:
        say(f"  {key}: {x} | {y}")
    tables = sorted(compare.table_files(la) | compare.table_files(lb))
    changed = []
    for t in tables:
        fa, fb = la.resolve(t), lb.resolve(t)
        if not fa.is_file() or not fb.is_file():
            changed.append((t, [f"only in {'left' if fa.is_file() else 'right'}"]))
            continue
        cells = compare.csv_differences(fa, fb, sep=" | ")
        if cells:
            changed.append((t, cells))
    say(f"tables: {len(changed)} of {len(tables)} differ" if changed else f"tables: all {len(tables)} the same")
    for t, cells in changed:
        say(f"  {t}: {len(cells)} difference(s) (left | right)")
        for c in cells[:MAX_CELLS]:
            say("    " + c)
        if len(cells) > MAX_CELLS:
            say(f"    ... and {len(cells) - MAX_CELLS} more")
    found = bool(params or variables or changed)
    return not found
