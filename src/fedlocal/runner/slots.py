"""How many stage kernels compute at once, across every process of one run: `--jobs N` slots, a jobserver like make's.

A run executes a stage only while it holds a slot. The top-level run owns one slot itself and creates N - 1 more as
files in a temporary folder, whose path its stage kernels inherit (FEDLOCAL_JOB_SLOTS). A stage that starts runs of
its own (stage 08's variant runs, inside its kernel) shares those slots: its process owns one slot too, the one its
own stage holds while it waits for the variants, so nesting never deadlocks and never exceeds N. Each slot file is
taken with an exclusive flock, which the operating system releases when the holder dies: a killed stage never keeps
a slot. File locks and not a multiprocessing semaphore because the kernels are started by jupyter_client, not by
this process's multiprocessing, and inherit nothing but their environment.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fedlocal import FedlocalError

SLOTS_ENV = "FEDLOCAL_JOB_SLOTS"  # the folder of slot files of the run a kernel belongs to
JOBS_ENV = "FEDLOCAL_JOBS"  # that run's --jobs (what stage 08 offers its variant runs)
OWN = "own"  # the token of the slot a process owns itself


class JobsError(FedlocalError):
    """A bad --jobs value."""


def default_jobs() -> int:
    """The usable cores, at most 2: the stages of one run are at most three wide, each stage kernel uses one BLAS
    thread and up to about 1 GB at scale 1.0, so 2 keeps the measured peak memory whatever the machine; pass
    --jobs to use more cores (and memory)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cpus))


def check_jobs(jobs: int | str | None) -> int:
    """--jobs as a whole number >= 1 (None: default_jobs()), or one clear error."""
    if jobs is None:
        return default_jobs()
    try:
        n = int(jobs)
        ok = n >= 1 and str(jobs).strip().lstrip("+").isdigit()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise JobsError(f"--jobs {jobs!r}: expected a whole number of stages to run at once, >= 1 "
                        f"(default {default_jobs()}, this machine's usable cores up to 2).")
    return n


class Slots:
    """The slots this process may take: its own one (shared by its threads) and the run's slot files."""

    def __init__(self, folder: Path, jobs: int):
        self.folder = folder
        self.jobs = jobs
        self._own = threading.Lock()
        self._files = sorted(folder.glob("slot-*"))

    def try_acquire(self) -> object | None:
        """A slot's token, or None when every slot is taken (the caller waits for a running stage and tries again)."""
        if self._own.acquire(blocking=False):
            return OWN
        for f in self._files:
            handle = open(f, "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None

    def release(self, token: object) -> None:
        if token is OWN:
            self._own.release()
        else:
            token.close()  # closing releases the flock

    def environment(self) -> dict[str, str]:
        """What a stage kernel inherits so that runs it starts share these slots."""
        return {SLOTS_ENV: str(self.folder), JOBS_ENV: str(self.jobs)}


_inherited: Slots | None = None
_inherited_guard = threading.Lock()


@contextmanager
def run_slots(jobs: int) -> Iterator[Slots]:
    """The slots of a run: those of the run this process belongs to (inside a stage kernel), else jobs new ones."""
    global _inherited
    folder = os.environ.get(SLOTS_ENV)
    if folder and Path(folder).is_dir():
        with _inherited_guard:  # one set per process, so its threads (stage 08's variants) share its own slot
            if _inherited is None or _inherited.folder != Path(folder):
                _inherited = Slots(Path(folder), int(os.environ.get(JOBS_ENV, "1") or 1))
        yield _inherited
        return
    with tempfile.TemporaryDirectory(prefix="fedlocal-slots-") as tmp:
        for k in range(jobs - 1):
            (Path(tmp) / f"slot-{k}").touch()
        yield Slots(Path(tmp), jobs)
