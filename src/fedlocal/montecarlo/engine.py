"""Run R Monte Carlo replications per world on an existing parallel engine, saving each as it finishes.

A replication is a call ``replicate(world, seed) -> pandas.DataFrame`` (one row per policy x group x
estimator: ``estimate``, ``se`` and whatever else the estimator reports). :func:`run` calls it for
every world and replication index, through

* ``engine="serial"``: in this process, one after another;
* ``engine="joblib"``: joblib's loky process pool on this machine (``workers`` processes);
* ``engine="dask"``: Dask distributed. ``scheduler=None`` starts a ``LocalCluster`` of ``workers``
  single-threaded processes on 127.0.0.1; a string ``"tcp://host:8786"`` joins a running scheduler;
  ``"slurm"``, ``"pbs"``, ``"sge"``, ``"lsf"``, ``"htcondor"`` or ``"oar"`` submits ``workers``
  single-core jobs through dask-jobqueue (queue, account, walltime from the user's
  ``~/.config/dask/jobqueue.yaml``, see :func:`jobqueue_cluster`); a ``distributed.Client`` or a
  cluster object (e.g. a ``dask_jobqueue.SLURMCluster`` the user built) is used as it is.

Guarantees
----------
* **Seeds.** Replication ``r`` of world ``w`` gets ``SeedSequence(base_seed, spawn_key=(key(w), r))``
  where ``key(w)`` is a stable 32-bit hash of the world's name. Results therefore depend neither on
  the order in which replications run, nor on the engine or the number of workers, nor on which
  other worlds are in the run. ``numpy.random.default_rng(seed)`` accepts the SeedSequence directly;
  ``seed.spawn_key[-1]`` is the replication index.
* **One BLAS thread per worker** (``blas_threads=1``, in every engine, the serial one included): set
  by environment variables when the engine starts its processes (joblib's ``inner_max_num_threads``,
  the Dask nanny's environment, the job-script prologue on PBS/SLURM) and enforced again inside each
  replication with threadpoolctl, which also works on a cluster whose environment we do not control.
  Two workers that each start 2 BLAS threads on 2 cores thrash (issue 18 measured a logit fit going
  from 3 s to 15-37 s); and a fixed thread count keeps floating-point sums in the same order, so the
  serial and parallel engines give identical numbers. What each worker actually ran with (the
  threadpoolctl view and the environment variables) is returned in the metadata.
* **Nothing is lost.** Each finished replication is written at once by this (the driving) process to
  ``run_dir/<world>/rep-<r>.parquet`` (temporary file + rename, so a file is either whole or absent).
  A crash, an exception in a replication or Ctrl-C keeps every finished replication; a rerun with
  the same configuration skips them. A file written under a different configuration (its hash is in
  the file's metadata) is refused with a message naming the folder.
* **A compact store.** With ``compact=True`` a run that finished without failures merges its world's
  replication files into one ``run_dir/<world>/replications.parquet`` (rows ordered by replication, no
  timings or process ids in it, so the same replications give the same bytes) and removes them: a
  study of thousands of replications is one small file per world that can be committed, and a rerun
  resumes from it like from the single files.
* **Configuration hash**, per world: the replicate function's qualified name (not its module, so a
  module move does not orphan a run), the world's name, parameters and planted truth, ``base_seed``
  and the free-form ``config`` mapping (put the estimator list or a code version there). Not in the
  hash: the number of replications (a rerun with more extends the run), the engine, the workers.

Dependencies (measured on the project's 2-core machine, Python 3.11)
--------------------------------------------------------------------
joblib (1.6, with its vendored loky and cloudpickle) was already in the lock through pyfixest and
differences. threadpoolctl is new and a core dependency: one pure-Python module (~140 kB), imported
in ~0.02 s. Dask is an optional extra, ``fedlocal[dask]`` = ``dask[distributed]`` + ``dask-jobqueue``:
it adds 14 packages (~15 MB installed, about 1.3 % of the 1.13 GB environment; dask-jobqueue alone
0.3 MB) and ``import dask.distributed`` costs 1.5-2 s, so it is imported only when ``engine="dask"``.
The lock includes the extra, so ``make env`` and CI have it and the Dask path is tested; a plain
``pip install fedlocal`` works without it and ``engine="dask"`` then says how to add it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ENGINES = ("serial", "joblib", "dask")
JOBQUEUE_KINDS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
                  "htcondor": "HTCondorCluster", "oar": "OARCluster"}
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS")
FORMAT = 1  # layout of a replication file; part of the configuration hash
META_KEY = b"fedlocal.montecarlo"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Replicate = Callable[["World", np.random.SeedSequence], pd.DataFrame]


class ConfigMismatchError(RuntimeError):
    """A run folder holds replications made under a different configuration."""


class ReplicationError(RuntimeError):
    """Some replications raised; the others finished and are saved (a rerun runs only the failed ones)."""


@dataclass(frozen=True)
class World:
    """One simulated world: a name (used as a folder name), the parameters handed to ``replicate``, and
    the planted truth per (policy, group) on the estimate's scale (log odds ratio for the logits)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    truth: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"world name {self.name!r}: use letters, digits, '.', '_' or '-' (it names a folder)")


@dataclass
class MonteCarloRun:
    """Stacked results (columns ``world``, ``replication``, then the replicate's columns; worlds in the
    order given, replications ascending) and the run's metadata (engine, workers, threads, timing)."""

    results: pd.DataFrame
    metadata: dict


@dataclass
class _Done:
    world: str
    index: int
    frame: pd.DataFrame
    seconds: float
    worker: dict
    error: str | None = None  # the traceback, when replicate raised


# --------------------------------------------------------------------------- seeds and hashes

def world_key(name: str) -> int:
    """A stable 32-bit key for a world name (the first spawn-key element of its replications)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def seed_for(base_seed: int, world: str, index: int) -> np.random.SeedSequence:
    """The seed of replication ``index`` of world ``world``: independent of order and of workers."""
    return np.random.SeedSequence(int(base_seed), spawn_key=(world_key(world), int(index)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, tuple) else "|".join(map(str, k)): _jsonable(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (Path, _dt.date)):
        return str(value)
    raise TypeError(f"cannot hash a {type(value).__name__} in a world's parameters or config: use plain "
                    "numbers, strings, lists and mappings (the hash must be the same in every session)")


def config_hash(replicate: Replicate, world: World, base_seed: int, config: Mapping | None = None) -> str:
    """The configuration hash stored in each of the world's replication files (16 hex digits)."""
    payload = {"format": FORMAT,
               "replicate": getattr(replicate, "__qualname__", type(replicate).__name__),
               "world": world.name, "params": _jsonable(world.params),
               "truth": sorted(_jsonable(dict(world.truth)).items()),
               "base_seed": int(base_seed), "config": _jsonable(config or {})}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- one replication (in a worker)

def _thread_env(blas_threads: int | None) -> dict[str, str]:
    return {} if blas_threads is None else {v: str(blas_threads) for v in THREAD_ENV}


_CONTROLLER: list = [None, -1]  # (threadpoolctl controller, len(sys.modules) when it scanned)


def _controller():
    """This process's threadpoolctl controller, rescanned when new modules (maybe a new BLAS) were imported.

    A scan of the loaded libraries costs ~5 ms; a cached controller limits threads in ~0.05 ms.
    """
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER[0] is None or _CONTROLLER[1] != len(sys.modules):
        _CONTROLLER[0] = ThreadpoolController()
        _CONTROLLER[1] = len(sys.modules)
    return _CONTROLLER[0]


def _execute(replicate: Replicate, world: World, index: int, seed: np.random.SeedSequence,
             blas_threads: int | None) -> _Done:
    """Run one replication where the engine put it; return its frame, time and the worker's threads."""
    started = time.perf_counter()
    controller = _controller()
    limits = nullcontext() if blas_threads is None else controller.limit(limits=blas_threads)
    worker = {"pid": os.getpid(), "threadpools": [],
              "env": {v: os.environ.get(v) for v in THREAD_ENV if os.environ.get(v) is not None}}
    try:
        with limits:
            worker["threadpools"] = sorted({f"{p['internal_api']}:{p['num_threads']}" for p in controller.info()})
            frame = replicate(world, seed)
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"replicate returned {type(frame).__name__}, not a pandas DataFrame")
    except Exception:  # noqa: BLE001 - reported by the driver after the other replications finish
        return _Done(world.name, index, pd.DataFrame(), time.perf_counter() - started, worker,
                     error=traceback.format_exc())
    return _Done(world.name, index, frame.reset_index(drop=True), time.perf_counter() - started, worker)


# --------------------------------------------------------------------------- engines

def _serial(tasks: list[tuple], workers: int, scheduler: Any, blas_threads: int | None) -> Iterator[_Done]:
    for task in tasks:
        yield _execute(*task)


def _joblib(tasks: list[tuple], workers: int, scheduler: Any, blas_threads: int | None) -> Iterator[_Done]:
    import joblib

    with joblib.parallel_config(backend="loky", n_jobs=workers, inner_max_num_threads=blas_threads):
        parallel = joblib.Parallel(return_as="generator_unordered", batch_size=1, pre_dispatch="2 * n_jobs")
        yield from parallel(joblib.delayed(_execute)(*task) for task in tasks)


def jobqueue_cluster(kind: str, *, blas_threads: int | None = 1, **kwargs):
    """A dask-jobqueue cluster of single-core workers for a batch scheduler (PBS, SLURM, ...).

    ``kind`` is one of slurm, pbs, sge, lsf, htcondor, oar. Keyword arguments go to the dask-jobqueue
    class (``queue``, ``account``, ``walltime``, ...); anything not given comes from the user's
    jobqueue configuration, and ``cores=1``, ``processes=1``, ``memory="4GB"`` when that has none
    (issue 16's budget: at most 4 GB per worker). The job script exports one BLAS thread per worker.
    Scale it with ``cluster.scale(n)`` (``run`` does this with ``workers``).
    """
    try:
        import dask
        import dask_jobqueue
    except ImportError as err:
        raise ImportError("engine='dask' with a batch scheduler needs dask-jobqueue: "
                          "pip install 'fedlocal[dask]' (or make env, whose lock includes it)") from err
    if kind not in JOBQUEUE_KINDS:
        raise ValueError(f"scheduler {kind!r}: expected one of {', '.join(JOBQUEUE_KINDS)} or a 'tcp://' address")
    for key, default in (("cores", 1), ("processes", 1), ("memory", "4GB")):
        if key not in kwargs and dask.config.get(f"jobqueue.{kind}.{key}", None) is None:
            kwargs[key] = default
    prologue = [f"export {k}={v}" for k, v in _thread_env(blas_threads).items()]
    kwargs["job_script_prologue"] = prologue + list(kwargs.get("job_script_prologue") or [])
    return getattr(dask_jobqueue, JOBQUEUE_KINDS[kind])(**kwargs)


def _dask_client(workers: int, scheduler: Any, blas_threads: int | None):
    """(client, things to close) for the scheduler parameter."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError("engine='dask' needs dask[distributed]: pip install 'fedlocal[dask]' "
                          "(or make env, whose lock includes it)") from err
    if isinstance(scheduler, Client):
        return scheduler, []
    if scheduler is None or scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, env=_thread_env(blas_threads))
        client = Client(cluster)
        return client, [client, cluster]
    if isinstance(scheduler, str) and scheduler in JOBQUEUE_KINDS:
        cluster = jobqueue_cluster(scheduler, blas_threads=blas_threads)
        cluster.scale(workers)
        client = Client(cluster)
        return client, [client, cluster]
    if isinstance(scheduler, str) and "://" not in scheduler:
        raise ValueError(f"scheduler {scheduler!r}: expected None/'local', a 'tcp://host:port' address, or one "
                         f"of {', '.join(JOBQUEUE_KINDS)}")
    client = Client(scheduler)  # an address or a cluster object
    return client, [client]


def _dask(tasks: list[tuple], workers: int, scheduler: Any, blas_threads: int | None) -> Iterator[_Done]:
    from dask.distributed import as_completed

    client, owned = _dask_client(workers, scheduler, blas_threads)
    futures = []
    try:
        for task in tasks:
            world, index = task[1], task[2]
            futures.append(client.submit(_execute, *task, pure=False,
                                         key=f"fedlocal-mc-{world.name}-{index}-{uuid.uuid4().hex[:8]}"))
        for future in as_completed(futures):
            done = future.result()
            future.release()
            yield done
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
        for thing in owned:
            thing.close()


_ENGINES = {"serial": _serial, "joblib": _joblib, "dask": _dask}


# --------------------------------------------------------------------------- the run folder

STORE = "replications.parquet"


def _rep_path(run_dir: Path, world: str, index: int) -> Path:
    return run_dir / world / f"rep-{index:05d}.parquet"


def _store_path(run_dir: Path, world: str) -> Path:
    return run_dir / world / STORE


def _write_atomic(data: bytes | pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            pq.write_table(data, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _file_meta(path: Path) -> dict:
    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[META_KEY])
    except Exception as err:  # any unreadable file gets the same message
        raise ConfigMismatchError(f"{path} is not a replication file of this engine ({err}); move it out of "
                                  f"{path.parent} or use another run folder") from err


def _existing(run_dir: Path, world: World, digest: str) -> set[int]:
    """Indexes already done for this world; refuse files from another configuration."""
    folder = run_dir / world.name
    if not folder.is_dir():
        return set()
    for stale in [*folder.glob(".rep-*.tmp-*"), *folder.glob(f".{STORE}.tmp-*")]:  # a writer that died between write and rename
        stale.unlink(missing_ok=True)
    done = set()
    store = _store_path(run_dir, world.name)
    for path in [store] * store.is_file() + sorted(folder.glob("rep-*.parquet")):
        meta = _file_meta(path)
        if meta.get("config_hash") != digest:
            raise ConfigMismatchError(
                f"run folder {folder} holds replications from a different configuration of world "
                f"{world.name!r} ({path.name}: hash {meta.get('config_hash')}, this run: {digest}). The world's "
                "parameters, truth, base seed, replicate function or config changed: use another run folder, "
                "or delete this one to start again.")
        if path == store:
            done.update(int(i) for i in pq.read_table(path, columns=["replication"]).column(0).to_pylist())
        else:
            done.add(int(meta["replication"]))
    return done


def _saved(run_dir: Path, world: str, indexes: Iterable[int]) -> dict[int, pa.Table]:
    """The saved replications ``indexes`` of a world (from its store and its single files), by index."""
    wanted, out = set(indexes), {}
    store = _store_path(run_dir, world)
    if wanted and store.is_file():
        table = pq.read_table(store).replace_schema_metadata(None)
        reps = table.column("replication").to_numpy()
        for i in sorted(wanted & set(reps.tolist())):
            out[int(i)] = table.filter(pa.array(reps == i))
    for i in sorted(wanted - set(out)):
        path = _rep_path(run_dir, world, i)
        if path.is_file():
            out[i] = pq.read_table(path)
    return out


def compact_world(run_dir: str | Path, world: str, digest: str) -> Path | None:
    """Merge a world's replication files (and its store, if any) into its store; remove the merged files.

    The store's metadata holds the configuration hash, the world and the format only (no timings or
    process ids), and its rows are ordered by replication, so the same replications give the same bytes.
    Returns the store's path, or None when the world has nothing saved.
    """
    run_dir = Path(run_dir)
    store = _store_path(run_dir, world)
    singles = sorted((run_dir / world).glob("rep-*.parquet"))
    if not singles:
        return store if store.is_file() else None
    for path in [store] * store.is_file() + singles:
        if _file_meta(path).get("config_hash") != digest:
            raise ConfigMismatchError(f"{path}: replications of another configuration of world {world!r}; "
                                      "they cannot be merged (delete the folder to start again)")
    tables = [pq.read_table(p).replace_schema_metadata(None) for p in [store] * store.is_file() + singles]
    merged = pa.concat_tables(tables, promote_options="default")
    reps = merged.column("replication").to_numpy()
    if len(np.unique(reps)) != sum(len(np.unique(t.column("replication").to_numpy())) for t in tables):
        raise ConfigMismatchError(f"{run_dir / world}: a replication is saved twice (in {STORE} and as a single "
                                  "file); delete one of them")
    merged = merged.take(pa.array(np.argsort(reps, kind="stable")))
    meta = {"config_hash": digest, "world": world, "format": FORMAT, "replications": int(len(np.unique(reps)))}
    _write_atomic(merged.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()}), store)
    for path in singles:
        path.unlink()
    return store


def _table(done: _Done, digest: str, seed: np.random.SeedSequence) -> pa.Table:
    """The replication as an Arrow table with world and replication columns and the file metadata."""
    frame = done.frame
    clash = {"world", "replication"} & set(frame.columns)
    if clash:
        raise ValueError(f"replicate returned reserved column(s) {sorted(clash)}; the engine adds them")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    n = table.num_rows
    table = table.add_column(0, "replication", pa.array(np.full(n, done.index, dtype=np.int64)))
    table = table.add_column(0, "world", pa.array([done.world] * n, type=pa.string()))
    meta = {"config_hash": digest, "world": done.world, "replication": done.index,
            "spawn_key": list(seed.spawn_key), "base_seed": int(seed.entropy), "seconds": round(done.seconds, 4),
            "worker": done.worker, "format": FORMAT}
    pandas_meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"pandas"}
    return table.replace_schema_metadata({**pandas_meta, META_KEY: json.dumps(meta).encode()})


def _to_pandas(tables: list[pa.Table]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame(columns=["world", "replication"])
    tables = [t.replace_schema_metadata(None) for t in tables]
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def load_results(run_dir: str | Path, worlds: Iterable[World | str] | None = None,
                 replications: Iterable[int] | None = None) -> pd.DataFrame:
    """Stack saved replications (all worlds of the folder, or those given; all indexes, or those given)."""
    run_dir = Path(run_dir)
    names = ([w.name if isinstance(w, World) else w for w in worlds] if worlds is not None
             else sorted(p.name for p in run_dir.iterdir() if p.is_dir()))
    tables = []
    for name in names:
        if replications is not None:
            wanted = set(replications)
        else:
            store = _store_path(run_dir, name)
            wanted = {int(p.stem.split("-")[1]) for p in (run_dir / name).glob("rep-*.parquet")}
            if store.is_file():
                wanted |= set(pq.read_table(store, columns=["replication"]).column(0).to_pylist())
        saved = _saved(run_dir, name, wanted)
        tables.extend(saved[i] for i in sorted(saved))
    return _to_pandas(tables)


# --------------------------------------------------------------------------- progress

def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the entry point

def run(replicate: Replicate, worlds: Iterable[World], replications: int | Iterable[int], run_dir: str | Path, *,
        engine: str = "serial", workers: int | None = None, scheduler: Any = None, base_seed: int = 20230417,
        config: Mapping | None = None, blas_threads: int | None = 1, progress_every: int = 10,
        log: Callable[[str], None] | None = _stderr, compact: bool = False) -> MonteCarloRun:
    """Run ``replications`` (a count R, meaning 0..R-1, or explicit indexes) of every world; resume a run.

    ``engine``: serial | joblib | dask; ``workers``: processes (default: 1 for serial, else the machine's
    cores); ``scheduler`` (dask only): None for a LocalCluster, an address, a jobqueue kind or a
    client/cluster object. ``blas_threads``: BLAS/OpenMP threads per worker (None leaves them alone).
    ``log`` receives a start line, a line every ``progress_every`` finished replications (rate, ETA)
    and an end line; pass None for silence. ``compact``: merge each world's files into its store at the end
    (see :func:`compact_world`; only when no replication failed). Returns the stacked results of the requested worlds and
    replications (newly run and resumed alike) and the metadata, also written to ``run_dir/run.json``.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if scheduler is not None and engine != "dask":
        raise ValueError(f"scheduler is for engine='dask' only (engine is {engine!r})")
    workers = (1 if engine == "serial" else os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if blas_threads is not None and blas_threads < 1:
        raise ValueError(f"blas_threads must be at least 1 or None (got {blas_threads})")
    worlds = list(worlds)
    if not worlds:
        raise ValueError("no worlds to run")
    names = [w.name for w in worlds]
    if len(set(names)) != len(names):
        raise ValueError(f"world names must be unique: {names}")
    indexes = list(range(replications)) if isinstance(replications, int) else sorted({int(i) for i in replications})
    if any(i < 0 for i in indexes):
        raise ValueError("replication indexes must be non-negative")
    say = log or (lambda line: None)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)

    digests = {w.name: config_hash(replicate, w, base_seed, config) for w in worlds}
    done_before = {w.name: _existing(run_dir, w, digests[w.name]) for w in worlds}
    tasks, seeds = [], {}
    for w in worlds:
        for i in indexes:
            if i not in done_before[w.name]:
                seeds[w.name, i] = seed_for(base_seed, w.name, i)
                tasks.append((replicate, w, i, seeds[w.name, i], blas_threads))
    total = len(worlds) * len(indexes)
    resumed = total - len(tasks)
    where = engine if engine == "serial" else f"{engine} x {workers} workers"
    say(f"montecarlo: {total} replications ({len(worlds)} worlds x {len(indexes)}) on {where}, "
        f"BLAS threads {blas_threads if blas_threads is not None else 'unset'}, in {run_dir}"
        + (f"; {resumed} already done" if resumed else ""))

    started = time.perf_counter()
    seconds, worker_info, finished, tables, failures = [], {}, 0, {}, []
    every = max(1, int(progress_every))
    try:
        if tasks:
            for done in _ENGINES[engine](tasks, workers, scheduler, blas_threads):
                if done.error is not None:
                    failures.append(done)
                    say(f"montecarlo: replication {done.index} of world {done.world!r} failed: "
                        f"{done.error.strip().splitlines()[-1]}")
                    continue
                table = _table(done, digests[done.world], seeds[done.world, done.index])
                _write_atomic(table, _rep_path(run_dir, done.world, done.index))
                tables[done.world, done.index] = table
                finished += 1
                seconds.append(done.seconds)
                worker_info.setdefault(done.worker["pid"], done.worker)
                if finished % every == 0 or finished + len(failures) == len(tasks):
                    elapsed = time.perf_counter() - started
                    rate = finished / elapsed if elapsed > 0 else float("inf")
                    eta = (len(tasks) - finished) / rate if rate > 0 else float("inf")
                    say(f"montecarlo: {finished + resumed}/{total} done ({finished} this run) - "
                        f"{rate * 60:.1f}/min, {_seconds(float(np.mean(seconds)))} each - elapsed {_clock(elapsed)}, "
                        f"ETA {_clock(eta)}")
    except BaseException as err:
        say(f"montecarlo: stopped by {type(err).__name__} after {finished} new replications; "
            f"{finished + resumed}/{total} are saved in {run_dir}: rerun to resume")
        raise
    elapsed = time.perf_counter() - started
    if failures:
        first = failures[0]
        listed = ", ".join(f"{d.world}/{d.index}" for d in failures[:10]) + (" ..." if len(failures) > 10 else "")
        raise ReplicationError(
            f"{len(failures)} of {len(tasks)} replications raised ({listed}); the other {finished} are saved in "
            f"{run_dir}, and a rerun runs only the failed ones. An estimator that fails to fit should return a row "
            f"with a missing estimate instead. First failure, {first.world}/{first.index}:\n{first.error}")

    metadata = {
        "engine": engine, "workers": workers,
        "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler_address", scheduler)),
        "blas_threads": blas_threads, "thread_env": _thread_env(blas_threads),
        "worker_threadpools": sorted({t for info in worker_info.values() for t in info["threadpools"]}),
        "worker_env": sorted({json.dumps(info["env"], sort_keys=True) for info in worker_info.values()}),
        "worker_processes": len(worker_info),
        "base_seed": int(base_seed), "config_hashes": digests,
        "worlds": names, "replications": len(indexes), "ran": finished, "resumed": resumed,
        "elapsed_s": round(elapsed, 3),
        "seconds_per_replication": round(float(np.mean(seconds)), 4) if seconds else None,
        "run_dir": str(run_dir),
    }
    metadata["worker_env"] = [json.loads(e) for e in metadata["worker_env"]]
    say(f"montecarlo: finished {total} replications in {run_dir} ({finished} run in {_clock(elapsed)}, "
        f"{resumed} resumed); worker BLAS {', '.join(metadata['worker_threadpools']) or 'not observed'}")
    _write_atomic((json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode(), run_dir / "run.json")
    # this run's replications from memory, resumed ones from their files; worlds in order, indexes ascending
    resumed_tables = {(w.name, i): t for w in worlds
                      for i, t in _saved(run_dir, w.name, [i for i in indexes if (w.name, i) not in tables]).items()}
    if compact:
        for w in worlds:
            compact_world(run_dir, w.name, digests[w.name])
    results = _to_pandas([tables[key] if key in tables else resumed_tables[key]
                          for key in ((w.name, i) for w in worlds for i in indexes)])
    return MonteCarloRun(results=results, metadata=metadata)
