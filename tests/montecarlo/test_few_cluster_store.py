"""The committed few-cluster size study (stage 07's third study) is the one params/default.yaml asks for.

Like test_canonical_store.py and test_stress_store.py: the default run must find the committed replications
(data/derived/montecarlo-few-cluster/<study>/null/replications.parquet) instead of fitting them again, and
the default of `few_cluster_inference` must be the method the committed study's rule chooses. The third test
recomputes a committed replication (the bootstrap p-values too) with today's code.
"""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from threadpoolctl import threadpool_limits

from fedlocal import params, paths
from fedlocal.montecarlo import engine, replicate, summary
from fedlocal.paths import layout

FIX = ("rerun the few-cluster size study (fedlocal run, stage montecarlo; about 5 s a panel at scale 0.25 on one "
       "core) and commit data/derived/montecarlo-few-cluster/")


@pytest.fixture(scope="module")
def few_cluster_study():
    values = params.load(paths.PARAMS / "default.yaml")
    assert values["montecarlo_pinned_spells"], "the committed size study is read with pinned inputs"
    data = layout("").data
    counties = pd.read_parquet(data / "county-covariates.parquet")
    spells = pd.read_csv(data / "montecarlo-inputs" / "policy-spells.csv", dtype=str, keep_default_na=False)
    null = replicate.world("null", None, values["montecarlo_few_cluster_scale"], exposure_rule=values["exposure_rule"],
                           county_sd=values["county_sd"], person_sd=values["person_sd"],
                           first_year=values["first_year"], last_year=values["last_year"], cluster=values["cluster"])
    config = replicate.study_config(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS, replicate.SIZE_STUDY_DRAWS)
    folder = data / replicate.FEW_CLUSTER_STORE / replicate.study_key(config, [null], values["seed"])
    return values, counties, spells, null, config, folder


def test_the_default_run_points_at_the_committed_size_study(few_cluster_study):
    values, counties, spells, null, config, folder = few_cluster_study
    store = folder / null.name / engine.STORE
    assert store.is_file(), f"no committed few-cluster size study at {store} for params/default.yaml: {FIX}"
    rep = replicate.NcvsReplication(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS, replicate.SIZE_STUDY_DRAWS)
    meta = json.loads(pq.read_schema(store).metadata[engine.META_KEY])
    assert meta["config_hash"] == engine.config_hash(rep, null, values["seed"], config), f"{store}: {FIX}"
    indexes = set(pq.read_table(store, columns=["replication"]).column(0).to_pylist())
    assert indexes >= set(range(values["montecarlo_few_cluster_replications"])), f"{store} holds {len(indexes)}: {FIX}"


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
    for column, tolerance in (("estimate", {"rtol": 1e-6}), ("se", {"rtol": 1e-5}), ("p_value", {"atol": 1e-5}),
                              ("effective_clusters", {"rtol": 1e-5})):
        np.testing.assert_allclose(again[column].to_numpy(float), stored[column].to_numpy(float), **tolerance,
                                   equal_nan=True, err_msg=f"{column} of replication 0 of the size study: {FIX}")
