"""A command run while its process tree's memory is sampled: what benchmarks/pipeline.py and stages.py measure."""

from __future__ import annotations

import resource
import subprocess
import threading
import time

import psutil


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants, summed, and of the largest of them (those that vanish
    while read count 0)."""
    total = largest = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total, largest = total + rss, max(largest, rss)
    return total, largest


def run_measured(command: list[str], cwd, env: dict, interval: float = 0.2) -> dict:
    """Run `command` to its end: wall and CPU seconds (user + system of every process it waited for, kernels
    included), the peak of its tree's summed resident memory and of its largest process (GB, sampled every
    `interval` s), its exit code and its combined output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak, largest, stop = [0], [0], threading.Event()

    def sample() -> None:
        handle = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                total, one = tree_rss(handle)
            except psutil.Error:
                return
            peak[0], largest[0] = max(peak[0], total), max(largest[0], one)
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    log = proc.communicate()[0]
    wall = time.perf_counter() - t
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_gb": peak[0] / 1024 ** 3, "largest_gb": largest[0] / 1024 ** 3, "returncode": proc.returncode,
            "log": log}
