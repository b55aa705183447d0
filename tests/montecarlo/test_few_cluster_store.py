"""The committed few-cluster size study (stage 07's third study) is the one params/default.yaml asks for.

Like test_canonical_store.py and test_stress_store.py: the default run must find the committed replications
(data/derived/montecarlo-few-cluster/<study>/null/replications.parquet) instead of fitting them again, and
the default of `few_cluster_inference` must be the method the committed study's rule chooses. The third test
recomputes a committed replication (the bootstrap p-values too) with today's code.
"""

import pytest
from threadpoolctl import threadpool_limits

from fedlocal import params, paths
from fedlocal.montecarlo import engine, replicate, summary
from fedlocal.paths import layout
from fixtures.committed_stores import TOLERANCES, assert_recomputed, check_store, pinned_inputs, world_options

FIX = ("rerun the few-cluster size study (fedlocal run, stage montecarlo; about 5 s a panel at scale 0.25 on one "
       "core) and commit data/derived/montecarlo-few-cluster/")


@pytest.fixture(scope="module")
def few_cluster_study():
    values = params.load(paths.PARAMS / "default.yaml")
    assert values["montecarlo_pinned_spells"], "the committed size study is read with pinned inputs"
    data = layout("").data
    counties, spells = pinned_inputs(data)
    null = replicate.world("null", None, values["montecarlo_few_cluster_scale"], **world_options(values))
    config = replicate.study_config(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS, replicate.SIZE_STUDY_DRAWS)
    folder = data / replicate.FEW_CLUSTER_STORE / replicate.study_key(config, [null], values["seed"])
    return values, counties, spells, null, config, folder


def test_the_default_run_points_at_the_committed_size_study(few_cluster_study):
    values, counties, spells, null, config, folder = few_cluster_study
    store = folder / null.name / engine.STORE
    assert store.is_file(), f"no committed few-cluster size study at {store} for params/default.yaml: {FIX}"
    rep = replicate.NcvsReplication(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS, replicate.SIZE_STUDY_DRAWS)
    check_store(store, rep, null, values["seed"], config, values["montecarlo_few_cluster_replications"], FIX)


def test_the_default_inference_is_the_one_the_committed_study_chooses(few_cluster_study):
    values, counties, spells, null, config, folder = few_cluster_study
    results = engine.load_results(folder, [null], range(values["montecarlo_few_cluster_replications"]))
    chosen, _ = summary.choose_inference(summary.few_cluster_size(results))
    assert values["few_cluster_inference"] == chosen == params.SCHEMA["few_cluster_inference"].default


def test_a_committed_replication_is_what_todays_code_computes(few_cluster_study):
    values, counties, spells, null, config, folder = few_cluster_study
    stored = engine.load_results(folder, [null], [0]).drop(columns=["world", "replication"])
    with threadpool_limits(1):
        again = replicate.NcvsReplication(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS,
                                          replicate.SIZE_STUDY_DRAWS)(null, engine.seed_for(values["seed"], "null", 0))
    assert_recomputed(again, stored, "replication 0 of the size study", FIX,
                      (*TOLERANCES, ("effective_clusters", {"rtol": 1e-5})))
