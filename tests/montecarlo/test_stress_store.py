"""The committed stress study (stage 07's second study) is the one params/default.yaml asks for.

Like test_canonical_store.py for the first study: the default run must find the committed stress replications
(data/derived/montecarlo-replications/<study>/<world>/replications.parquet) instead of fitting them again. It
fails when params/default.yaml (stress worlds, their size, the seed), the pinned inputs (policy spells, the
stress calibration in data/derived/montecarlo-inputs/) or the code change what those replications would be;
the second test recomputes one committed replication of the 'harder' world.
"""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from threadpoolctl import threadpool_limits

from fedlocal import params, paths
from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout
from fedlocal.synthetic import stress

FIX = ("rerun the stress study (fedlocal run, stage montecarlo; about 30 min on one core at its default size) and "
       "commit data/derived/montecarlo-replications/ and data/derived/montecarlo-inputs/stress-calibration.json")


@pytest.fixture(scope="module")
def stress_study():
    values = params.load(paths.PARAMS / "default.yaml")
    assert values["montecarlo_pinned_spells"], "the committed stress study is read with pinned inputs"
    data = layout("").data
    counties = pd.read_parquet(data / "county-covariates.parquet")
    spells = pd.read_csv(data / "montecarlo-inputs" / "policy-spells.csv", dtype=str, keep_default_na=False)
    sizes = {**stress.read_calibration(data / "montecarlo-inputs" / "stress-calibration.json"),
             "time_in_sample_per_interview": values["synthetic_time_in_sample"]}
    worlds = replicate.study_worlds(values["montecarlo_stress_worlds"], values["planted_odds_ratios"],
                                    values["montecarlo_or_grid"], values["montecarlo_stress_scale"],
                                    exposure_rule=values["exposure_rule"], county_sd=values["county_sd"],
                                    person_sd=values["person_sd"], first_year=values["first_year"],
                                    last_year=values["last_year"], cluster=values["cluster"], stress=sizes)
    config = replicate.study_config(counties, spells)
    folder = data / "montecarlo-replications" / replicate.study_key(config, worlds, values["seed"])
    return values, counties, spells, worlds, config, folder


def test_the_default_run_points_at_the_committed_stress_store(stress_study):
    values, counties, spells, worlds, config, folder = stress_study
    assert "harder" in values["montecarlo_stress_worlds"]
    assert folder.is_dir(), f"no committed stress study in {folder} for params/default.yaml: {FIX}"
    rep = replicate.NcvsReplication(counties, spells)
    for w in worlds:
        store = folder / w.name / engine.STORE
        assert store.is_file(), f"{store} is missing: {FIX}"
        meta = json.loads(pq.read_schema(store).metadata[engine.META_KEY])
        assert meta["config_hash"] == engine.config_hash(rep, w, values["seed"], config), f"{store}: {FIX}"
        indexes = set(pq.read_table(store, columns=["replication"]).column(0).to_pylist())
        assert indexes >= set(range(values["montecarlo_stress_replications"])), f"{store} holds {len(indexes)}: {FIX}"


def test_a_committed_harder_replication_is_what_todays_code_computes(stress_study):
    values, counties, spells, worlds, config, folder = stress_study
    harder = next(w for w in worlds if w.name == "harder")
    stored = engine.load_results(folder, [harder], [0]).drop(columns=["world", "replication"])
    with threadpool_limits(1):
        again = replicate.NcvsReplication(counties, spells)(harder, engine.seed_for(values["seed"], "harder", 0))
    # tolerances as in test_canonical_store.py: Newton's stopping point moves standard errors in the sixth digit
    for column, tolerance in (("estimate", {"rtol": 1e-6}), ("se", {"rtol": 1e-5}), ("p_value", {"atol": 1e-5})):
        np.testing.assert_allclose(again[column].to_numpy(float), stored[column].to_numpy(float), **tolerance,
                                   equal_nan=True, err_msg=f"{column} of replication 0 of the harder world: {FIX}")
