"""The committed canonical Monte Carlo study (data/derived/montecarlo-replications/) belongs to today's code.

Stage 07 reads the committed replications instead of fitting 400 panels again. That is only right while
they are what today's parameters and code would compute: the first test fails when params/default.yaml
(the worlds, their options, the seed, the estimators) or the shared inputs no longer lead to the committed
study's folder and configuration hashes; the second recomputes one committed replication at the paper's
scale (10-20 s) and fails when the simulation or the estimators now give other numbers. Either failure
means: bump SIMULATION_VERSION in montecarlo/replicate.py if the code changed on purpose, and rerun the
canonical study (`fedlocal run`; about an hour on 2 cores) and commit its replications.
"""

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from fedlocal import params, paths
from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout
from fixtures.committed_stores import assert_recomputed, check_store, world_options

FIX = ("rerun the canonical study (fedlocal run, about an hour on 2 cores) and commit "
       "data/derived/montecarlo-replications/; bump SIMULATION_VERSION if the simulation or the estimators changed")


@pytest.fixture(scope="module")
def canonical():
    values = params.load(paths.PARAMS / "default.yaml")
    data = layout("").data
    counties = pd.read_parquet(data / "county-covariates.parquet")
    pinned = data / "montecarlo-inputs" / "policy-spells.csv"
    spells = pd.read_csv(pinned if values["montecarlo_pinned_spells"] else data / "policy-spells.csv", dtype=str,
                         keep_default_na=False)
    worlds = replicate.study_worlds(values["montecarlo_worlds"], values["planted_odds_ratios"],
                                    values["montecarlo_or_grid"], values["montecarlo_scale"], **world_options(values))
    config = replicate.study_config(counties, spells)
    folder = data / "montecarlo-replications" / replicate.study_key(config, worlds, values["seed"])
    return values, counties, spells, worlds, config, folder


def test_the_committed_store_is_the_default_parameters_study(canonical):
    values, counties, spells, worlds, config, folder = canonical
    assert folder.is_dir(), f"no committed study in {folder} for params/default.yaml: {FIX}"
    rep = replicate.NcvsReplication(counties, spells)
    for w in worlds:
        store = folder / w.name / engine.STORE
        check_store(store, rep, w, values["seed"], config, values["montecarlo_replications"], FIX)
        assert store.stat().st_size < 2_000_000  # compact: one small file per world


def test_a_committed_replication_is_what_todays_code_computes(canonical):
    values, counties, spells, worlds, config, folder = canonical
    null = next(w for w in worlds if w.name == "null")
    stored = engine.load_results(folder, [null], [0]).drop(columns=["world", "replication"])
    with threadpool_limits(1):  # as in the engine's workers
        again = replicate.NcvsReplication(counties, spells)(null, engine.seed_for(values["seed"], "null", 0))
    assert list(again.columns) == list(stored.columns)
    pd.testing.assert_frame_equal(again[["policy", "group", "estimator", "persons", "interviews"]],
                                  stored[["policy", "group", "estimator", "persons", "interviews"]],
                                  check_dtype=False, obj=f"replication 0 of the null world ({FIX})")
    assert_recomputed(again, stored, "replication 0 of the null world", FIX)
