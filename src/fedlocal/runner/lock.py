"""One run at a time per folder: an exclusive lock on <run folder>/.lock, held for the whole run.

Without it a second run into the same folder deleted the first one's staging area and mixed their outputs.
The lock is the operating system's (flock), so it disappears with the process that held it: a killed run never
leaves a stale lock behind. The file itself stays; it only says who holds the lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fedlocal import FedlocalError, paths

LOCK_NAME = ".lock"


class RunLockedError(FedlocalError):
    """Another run is writing into the same folder."""


@contextmanager
def run_lock(folder: Path) -> Iterator[Path]:
    """Hold the folder's lock, or stop at once naming the process that holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / LOCK_NAME
    handle = open(lock_file, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"another fedlocal run ({holder}) is writing into {paths.relative_to_root(folder)}/; wait for it to "
                f"finish, or run into another folder (--out DIR). Nothing was changed.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n")
        handle.flush()
        yield lock_file
    finally:
        handle.close()  # closing releases the lock
