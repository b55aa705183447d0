"""The committed stress study (stage 07's second study) is the one params/default.yaml asks for.

Like test_canonical_store.py for the first study: the default run must find the committed stress replications
(data/derived/montecarlo-replications/<study>/<world>/replications.parquet) instead of fitting them again. It
fails when params/default.yaml (stress worlds, their size, the seed), the pinned inputs (policy spells, the
stress calibration in data/derived/montecarlo-inputs/) or the code change what those replications would be;
the second test recomputes one committed replication of the 'harder' world.
"""

import pytest
from threadpoolctl import threadpool_limits

from fedlocal import params, paths
from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout
from fedlocal.synthetic import stress
from fixtures.committed_stores import assert_recomputed, check_store, pinned_inputs, world_options

FIX = ("rerun the stress study (fedlocal run, stage montecarlo; about 30 min on one core at its default size) and "
       "commit data/derived/montecarlo-replications/ and data/derived/montecarlo-inputs/stress-calibration.json")


@pytest.fixture(scope="module")
def stress_study():
    values = params.load(paths.PARAMS / "default.yaml")
    assert values["montecarlo_pinned_spells"], "the committed stress study is read with pinned inputs"
    data = layout("").data
    counties, spells = pinned_inputs(data)
    sizes = {**stress.read_calibration(data / "montecarlo-inputs" / "stress-calibration.json"),
             "time_in_sample_per_interview": values["synthetic_time_in_sample"]}
    worlds = replicate.study_worlds(values["montecarlo_stress_worlds"], values["planted_odds_ratios"],
                                    values["montecarlo_or_grid"], values["montecarlo_stress_scale"],
                                    stress=sizes, **world_options(values))
    config = replicate.study_config(counties, spells)
    folder = data / "montecarlo-replications" / replicate.study_key(config, worlds, values["seed"])
    return values, counties, spells, worlds, config, folder


def test_the_default_run_points_at_the_committed_stress_store(stress_study):
    values, counties, spells, worlds, config, folder = stress_study
    assert "harder" in values["montecarlo_stress_worlds"]
    assert folder.is_dir(), f"no committed stress study in {folder} for params/default.yaml: {FIX}"
    rep = replicate.NcvsReplication(counties, spells)
    for w in worlds:
        check_store(folder / w.name / engine.STORE, rep, w, values["seed"], config,
                    values["montecarlo_stress_replications"], FIX)


def test_a_committed_harder_replication_is_what_todays_code_computes(stress_study):
    values, counties, spells, worlds, config, folder = stress_study
    harder = next(w for w in worlds if w.name == "harder")
    stored = engine.load_results(folder, [harder], [0]).drop(columns=["world", "replication"])
    with threadpool_limits(1):
        again = replicate.NcvsReplication(counties, spells)(harder, engine.seed_for(values["seed"], "harder", 0))
    assert_recomputed(again, stored, "replication 0 of the harder world", FIX)
