"""The Monte Carlo engine: seeds independent of order and workers, resume, refusal, Dask."""

import json

import pandas as pd
import pytest

from fedlocal.montecarlo import engine, toy
from fedlocal.montecarlo.engine import World

WORLDS = [World("null", {"n": 30}, {("sc", "all"): 0.0, ("tfm", "latino"): 0.0}),
          World("planted", {"n": 30}, {("sc", "all"): 0.18, ("tfm", "latino"): 0.0})]


def quiet(_line):
    pass


def test_serial_and_joblib_with_two_workers_agree(tmp_path):
    serial = engine.run(toy.normal_means, WORLDS, 12, tmp_path / "serial", log=quiet)
    joblib_run = engine.run(toy.normal_means, WORLDS, 12, tmp_path / "joblib", engine="joblib", workers=2, log=quiet)
    pd.testing.assert_frame_equal(serial.results, joblib_run.results)
    assert len(serial.results) == 2 * 12 * 4
    assert joblib_run.metadata["worker_threadpools"] == ["openblas:1"]
    assert all(env.get("OMP_NUM_THREADS") == "1" for env in joblib_run.metadata["worker_env"])


def test_results_do_not_depend_on_order_or_on_other_worlds(tmp_path):
    whole = engine.run(toy.normal_means, WORLDS, 6, tmp_path / "a", log=quiet).results
    part = engine.run(toy.normal_means, WORLDS[1:], [5, 3, 1], tmp_path / "b", log=quiet).results
    expected = whole[(whole.world == "planted") & whole.replication.isin([1, 3, 5])].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_seed_is_a_spawned_sequence():
    seed = engine.seed_for(7, "null", 3)
    assert seed.spawn_key == (engine.world_key("null"), 3) and seed.entropy == 7
    assert engine.seed_for(7, "null", 3).generate_state(2).tolist() == seed.generate_state(2).tolist()
    assert engine.seed_for(7, "null", 4).generate_state(2).tolist() != seed.generate_state(2).tolist()


class FailOnce:
    """A replicate that raises the first time it meets index `bad` (a crash in the middle of a run)."""

    def __init__(self, bad):
        self.bad, self.raised, self.calls = bad, False, []

    def __call__(self, world, seed):
        index = seed.spawn_key[-1]
        self.calls.append((world.name, index))
        if index == self.bad and not self.raised:
            self.raised = True
            raise KeyboardInterrupt("simulated interrupt")
        return toy.normal_means(world, seed)


def test_resume_after_an_interrupt_reruns_only_what_is_missing(tmp_path):
    lines = []
    flaky = FailOnce(bad=4)
    with pytest.raises(KeyboardInterrupt):
        engine.run(flaky, WORLDS[:1], 8, tmp_path, log=lines.append)
    saved = sorted(p.name for p in (tmp_path / "null").iterdir())
    assert saved == [f"rep-{i:05d}.parquet" for i in range(4)]  # finished ones kept, no temp files left
    assert "rerun to resume" in lines[-1]
    flaky.calls.clear()
    resumed = engine.run(flaky, WORLDS[:1], 8, tmp_path, log=lines.append)
    assert flaky.calls == [("null", i) for i in range(4, 8)]
    assert resumed.metadata["resumed"] == 4 and resumed.metadata["ran"] == 4
    fresh = engine.run(toy.normal_means, WORLDS[:1], 8, tmp_path / "fresh", log=quiet)
    pd.testing.assert_frame_equal(resumed.results, fresh.results)
    more = engine.run(flaky, WORLDS[:1], 10, tmp_path, log=quiet)  # more replications extend the run
    assert more.metadata["ran"] == 2 and len(more.results) == 10 * 4


@pytest.mark.parametrize("engine_name", ["serial", "joblib"])
def test_a_failing_replication_is_reported_after_the_others_are_saved(tmp_path, engine_name):
    world = World("w", {"n": 10, "fail_at": [5]}, {("sc", "all"): 0.0})
    with pytest.raises(engine.ReplicationError, match="(?s)1 of 8 replications raised \\(w/5\\).*failed on purpose"):
        engine.run(toy.fails_at, [world], 8, tmp_path, engine=engine_name, workers=2 if engine_name != "serial" else None,
                   log=quiet)
    saved = {int(p.stem.split("-")[1]) for p in (tmp_path / "w").glob("rep-*.parquet")}
    assert saved == {0, 1, 2, 3, 4, 6, 7}
    assert not list((tmp_path / "w").glob(".*tmp*"))


def test_a_run_folder_from_another_configuration_is_refused(tmp_path):
    engine.run(toy.normal_means, WORLDS[:1], 2, tmp_path, log=quiet)
    changed = World("null", {"n": 31}, WORLDS[0].truth)
    with pytest.raises(engine.ConfigMismatchError, match=str(tmp_path / "null")):
        engine.run(toy.normal_means, [changed], 2, tmp_path, log=quiet)
    with pytest.raises(engine.ConfigMismatchError, match="different configuration"):
        engine.run(toy.normal_means, WORLDS[:1], 2, tmp_path, base_seed=1, log=quiet)
    # engine, workers and the number of replications are not part of the configuration
    engine.run(toy.normal_means, WORLDS[:1], 3, tmp_path, log=quiet)


def test_progress_lines_and_metadata(tmp_path):
    lines = []
    out = engine.run(toy.normal_means, WORLDS, 5, tmp_path, progress_every=4, log=lines.append)
    assert lines[0].startswith("montecarlo: 10 replications (2 worlds x 5) on serial")
    assert [line.split()[1] for line in lines[1:-1]] == ["4/10", "8/10", "10/10"]
    assert all("ETA" in line and "/min" in line for line in lines[1:-1])
    assert lines[-1].startswith("montecarlo: finished 10 replications") and "openblas:1" in lines[-1]
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["blas_threads"] == 1 and saved["thread_env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert out.metadata["config_hashes"] == saved["config_hashes"]


@pytest.mark.parametrize("kwargs, message", [
    ({"engine": "threads"}, "engine 'threads'"),
    ({"workers": 0}, "workers must be at least 1"),
    ({"scheduler": "tcp://127.0.0.1:1"}, "scheduler is for engine='dask' only"),
])
def test_bad_arguments_get_one_clear_message(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        engine.run(toy.normal_means, WORLDS, 1, tmp_path, log=quiet, **kwargs)


def test_world_names_must_be_folder_names():
    with pytest.raises(ValueError, match="names a folder"):
        World("../up")


def test_unhashable_parameters_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot hash a object"):
        engine.run(toy.normal_means, [World("w", {"thing": object()})], 1, tmp_path, log=quiet)


def test_dask_local_cluster_with_two_processes(tmp_path):
    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (pip install 'fedlocal[dask]')")
    serial = engine.run(toy.normal_means, WORLDS, 6, tmp_path / "serial", log=quiet)
    dask_run = engine.run(toy.normal_means, WORLDS, 6, tmp_path / "dask", engine="dask", workers=2, log=quiet)
    pd.testing.assert_frame_equal(serial.results, dask_run.results)
    assert dask_run.metadata["worker_threadpools"] == ["openblas:1"]
    assert all(env.get("OPENBLAS_NUM_THREADS") == "1" for env in dask_run.metadata["worker_env"])


def test_jobqueue_job_script_asks_for_one_core_and_one_blas_thread():
    pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed (pip install 'fedlocal[dask]')")
    cluster = engine.jobqueue_cluster("slurm", walltime="01:00:00")
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "export OPENBLAS_NUM_THREADS=1" in script and "export OMP_NUM_THREADS=1" in script
    assert "--nthreads 1" in script or "--nworkers 1" in script
    assert "#SBATCH --mem=4G" in script or "#SBATCH --mem=3.7G" in script


def test_compact_store_is_one_file_per_world_and_resumes_like_single_files(tmp_path):
    fresh = engine.run(toy.normal_means, WORLDS, 6, tmp_path / "singles", log=quiet)
    first = engine.run(toy.normal_means, WORLDS, 4, tmp_path / "store", log=quiet, compact=True)
    for w in WORLDS:
        assert sorted(p.name for p in (tmp_path / "store" / w.name).iterdir()) == [engine.STORE]
    store = tmp_path / "store" / "planted" / engine.STORE
    before = store.read_bytes()
    calls = []

    def counted(world, seed):
        calls.append((world.name, seed.spawn_key[-1]))
        return toy.normal_means(world, seed)

    counted.__qualname__ = toy.normal_means.__qualname__  # the same replicate function, for the hash
    again = engine.run(counted, WORLDS, 4, tmp_path / "store", log=quiet, compact=True)
    assert calls == [] and again.metadata["resumed"] == 8
    pd.testing.assert_frame_equal(again.results, first.results)
    assert store.read_bytes() == before  # nothing new: the store is left as it was
    more = engine.run(counted, WORLDS, 6, tmp_path / "store", log=quiet, compact=True)
    assert sorted(calls) == sorted((w.name, i) for w in WORLDS for i in (4, 5))
    pd.testing.assert_frame_equal(more.results, fresh.results)
    assert sorted(p.name for p in (tmp_path / "store" / "planted").iterdir()) == [engine.STORE]
    pd.testing.assert_frame_equal(engine.load_results(tmp_path / "store", WORLDS), fresh.results)
    meta = json.loads(engine.pq.read_schema(store).metadata[engine.META_KEY])
    assert meta == {"config_hash": engine.config_hash(toy.normal_means, WORLDS[1], 20230417),
                    "world": "planted", "format": engine.FORMAT, "replications": 6}
    other = World("planted", {"n": 31}, WORLDS[1].truth)
    with pytest.raises(engine.ConfigMismatchError, match="different configuration"):
        engine.run(counted, [other], 6, tmp_path / "store", log=quiet)


def test_compacting_the_same_replications_gives_the_same_bytes(tmp_path):
    engine.run(toy.normal_means, WORLDS[:1], 5, tmp_path / "a", log=quiet, compact=True)
    engine.run(toy.normal_means, WORLDS[:1], range(3, 5), tmp_path / "b", engine="joblib", workers=2, log=quiet)
    engine.run(toy.normal_means, WORLDS[:1], 3, tmp_path / "b", log=quiet, compact=True)
    assert ((tmp_path / "a" / "null" / engine.STORE).read_bytes()
            == (tmp_path / "b" / "null" / engine.STORE).read_bytes())
