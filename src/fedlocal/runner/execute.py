"""One stage: its notebook executed by papermill into a staging folder, then its outputs moved into place.

Nothing reaches the run's layout until the notebook has finished and written exactly what the stage declares.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from fedlocal import FedlocalError, paths, registry
from fedlocal.paths import Layout
from fedlocal.report import release
from fedlocal.runner.plan import Run
from fedlocal.runner.stages import Stage

OUTPUT_FOLDERS = ("figures", "tables", "data", "variables")
THREADS_ENV = "FEDLOCAL_BLAS_THREADS"
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS")


def blas_threads() -> int:
    """BLAS threads for each stage's kernel: FEDLOCAL_BLAS_THREADS, else 1.

    One by default, chosen deliberately: on these shared 2-core machines two threads made the 1 M-row
    logit 15-37 s instead of 3 s under load, while one thread stayed near 3.6 s (issue 18); a quiet machine
    gains little from two. A fixed count also keeps BLAS sums in the same order whatever the machine.
    """
    value = os.environ.get(THREADS_ENV, "1")
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise FedlocalError(f"environment variable {THREADS_ENV}={value!r}: expected a whole number of threads >= 1.")
    return n


def thread_settings() -> dict[str, str]:
    """The environment the stage kernels get for their thread pools (recorded in the manifest)."""
    return {v: str(blas_threads()) for v in THREAD_ENV}


class StageError(FedlocalError):
    """A stage's notebook failed or did not produce what it declares."""


def kernel_manager_class(env: dict[str, str] | None = None, cwd: Path | None = None) -> type:
    """A kernel manager whose shutdown does not interrupt the kernel first, and whose kernel starts in `cwd` with
    `env` added to this process's environment.

    jupyter_client's `shutdown_kernel` sends SIGINT before its shutdown request. ipykernel ignores SIGINT while
    idle but turns it into KeyboardInterrupt while a message handler runs, and logs "ERROR | KeyboardInterrupt
    caught in kernel" when the signal lands there: a spurious error line after every cell had succeeded. Papermill
    shuts the kernel down only after the last cell has finished, so there is nothing to interrupt; the shutdown
    request alone stops the kernel (and one that ignores it is killed after jupyter_client's wait).

    The environment and folder go to the kernel's launch, not through os.environ and os.chdir (papermill's `cwd`):
    those belong to the whole process, and stages executed in threads side by side would undo each other's.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ShutdownWithoutInterrupt(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            if env is not None:
                kw["env"] = {**os.environ, **env}
            if cwd is not None:
                kw["cwd"] = str(cwd)
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return ShutdownWithoutInterrupt


def execute(stage: Stage, run: Run, staging: Path, progress: bool, kernel_env: dict[str, str] | None = None) -> Path:
    """Run the stage's notebook in a fresh kernel, writing into `staging`; returns the executed notebook.

    Safe in a worker thread beside other stages: it writes only into `staging` (and the run's disclosure review
    bundle, one stage at a time); kernel_env is added to the kernel's environment.
    """
    import jupytext
    import papermill as pm

    nb_path = stage.notebook_path
    executed = staging / "notebooks" / (nb_path.stem + ".ipynb")
    executed.parent.mkdir(parents=True, exist_ok=True)
    parameters = {"input_dir": run.dir_param, "output_dir": paths.relative_to_root(staging)}
    parameters.update({k: run.values[k] for k in stage.params})
    nb = jupytext.read(nb_path)
    settings = {"MPLBACKEND": "Agg", **thread_settings(), **(kernel_env or {})}
    try:
        pm.execute_notebook(nb, str(executed), parameters=parameters, kernel_name="python3",
                            progress_bar=progress, report_mode=False,
                            kernel_manager_class=kernel_manager_class(settings, paths.ROOT),
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no kernel start-up chatter
    except pm.PapermillExecutionError as err:
        failed = run.failed / executed.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, failed)
        raise StageError(
            f"stage {stage.name!r} failed in {stage.notebook}, cell {err.exec_count or err.cell_index}: "
            f"{err.ename}: {err.evalue}\n  partially executed notebook: {failed}\n"
            f"  previous outputs are untouched."
        ) from None
    make_portable(executed, stage, run)
    if "disclosure" in stage.params and release.active(run.values):
        with _REVIEW_BUNDLE:  # rewritten from every stage's cells: one stage at a time
            protect_outputs(stage, run, staging, executed)
    return executed


_REVIEW_BUNDLE = threading.Lock()


def protect_outputs(stage: Stage, run: Run, staging: Path, executed: Path) -> None:
    """NCVS-derived stages (those taking the `disclosure` parameter) of a restricted or disclosure run release only
    rounded, suppressed numbers; the exact cells go to the run's confidential review bundle."""
    interviews = staging / "data" / "ncvs-interviews.parquet"
    if not interviews.is_file():
        interviews = run.layout.data / "ncvs-interviews.parquet"
    released = release.protect_stage(staging, list(stage.outputs), executed, release.sample_size(interviews))
    release.record_stage(run.layout.manifest.parent / "disclosure", stage.name, released)


TIMING_KEYS = ("start_time", "end_time", "duration")  # papermill's clock readings (the manifest keeps the seconds)


def make_portable(executed: Path, stage: Stage, run: Run) -> None:
    """Executed notebooks are committed: record repository-relative paths, never this machine's, and nothing
    that changes when the same notebook runs again (random cell ids, clock readings), so an unchanged rerun
    leaves `git status` clean."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.get("papermill", {})
    meta["input_path"] = stage.notebook
    meta["output_path"] = paths.relative_to_root(run.layout.notebooks / executed.name)
    for key in TIMING_KEYS:
        meta.pop(key, None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.metadata.pop("execution", None)  # nbclient's iopub timestamps
        for key in TIMING_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
    text = nbformat.writes(nb).replace(str(paths.ROOT) + "/", "")
    executed.write_text(text)


def collect(stage: Stage, staging: Path) -> list[str]:
    """Check the staged outputs against the declaration: all present, nothing undeclared."""
    staged = Layout.at(staging)
    missing = [o for o in stage.outputs if not staged.resolve(o).is_file()]
    if missing:
        raise StageError(f"stage {stage.name!r} ({stage.notebook}) finished but did not write the declared "
                         f"output(s) {missing}; fix the notebook or pipeline.yaml. Previous outputs are untouched.")
    written = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()
               and p.relative_to(staging).parts[0] in OUTPUT_FOLDERS}
    extra = sorted(written - set(stage.outputs))
    if extra:
        raise StageError(f"stage {stage.name!r} ({stage.notebook}) wrote undeclared output(s) {extra}; declare them "
                         f"in pipeline.yaml so the manifest and the manuscript checks know them.")
    return list(stage.outputs)


def move_into_place(outputs: list[str], executed: Path, staging: Path, layout: Layout) -> dict[str, str]:
    """Move checked outputs and the executed notebook from staging into the run's layout; output -> SHA-256."""
    staged = Layout.at(staging)
    record = {}
    for o in outputs:
        target = layout.resolve(o)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.resolve(o), target)
        record[o] = registry.sha256(target)
    layout.notebooks.mkdir(parents=True, exist_ok=True)
    os.replace(executed, layout.notebooks / executed.name)
    shutil.rmtree(staging, ignore_errors=True)
    return record
