"""montecarlo.replicate.run_study: one compact file per world, resumed in place or from the committed study."""

import pandas as pd
import pytest

from fedlocal.montecarlo import engine, replicate
from fedlocal.paths import layout


@pytest.fixture(scope="module")
def inputs():
    data = layout("").data
    return (pd.read_parquet(data / "county-covariates.parquet"),
            pd.read_csv(data / "policy-spells.csv", dtype=str, keep_default_na=False))


def test_a_run_folder_of_its_own_starts_from_the_committed_study(inputs, tmp_path):
    counties, spells = inputs
    worlds = replicate.study_worlds(["null"], None, [2.0], 0.02)
    committed = replicate.run_study(counties, spells, worlds, 2, tmp_path / "canonical", log=False)
    assert committed.metadata["ran"] == 2
    (folder,) = (tmp_path / "canonical").iterdir()
    assert sorted(p.name for p in (folder / "null").iterdir()) == [engine.STORE]
    elsewhere = replicate.run_study(counties, spells, worlds, 2, tmp_path / "variant", log=False,
                                    committed=tmp_path / "canonical")
    assert elsewhere.metadata["ran"] == 0 and elsewhere.metadata["resumed"] == 2
    pd.testing.assert_frame_equal(elsewhere.results, committed.results)
    other = replicate.study_worlds(["null"], None, [2.0], 0.02, county_sd=0.5)  # another world: no reuse
    changed = replicate.run_study(counties, spells, other, 1, tmp_path / "changed", log=False,
                                  committed=tmp_path / "canonical")
    assert changed.metadata["ran"] == 1 and replicate.study_key(replicate.study_config(counties, spells), other,
                                                                  20230417) != folder.name


def test_the_study_key_ignores_which_worlds_are_in_it_but_not_their_shared_options(inputs):
    counties, spells = inputs
    config = replicate.study_config(counties, spells)
    planted = {"sc": {"latino": 1.2}}
    both = replicate.study_worlds(["null", "planted"], planted, [2.0], 1.0)
    with_grid = replicate.study_worlds(["null", "planted", "grid"], planted, [2.0, 3.0], 1.0)
    assert replicate.study_key(config, both, 1) == replicate.study_key(config, with_grid, 1)
    assert replicate.study_key(config, both, 1) != replicate.study_key(config, both, 2)
    assert replicate.study_key(config, both, 1) != replicate.study_key(
        config, replicate.study_worlds(["null", "planted"], planted, [2.0], 0.5), 1)
    assert replicate.study_key(config, both, 1) != replicate.study_key(
        {**config, "simulation": config["simulation"] + 1}, both, 1)


def test_spell_differences_name_the_counties_whose_coding_changed():
    pinned = pd.DataFrame({"fips": ["01001", "01003", "01005"], "program": ["sc", "tfm", "sc"],
                           "start": ["2010-01-01", "2008-01-01", "2011-01-01"], "end": ["", "2012-12-31", ""]})
    current = pinned.copy()
    current.loc[1, "end"] = "2012-06-25"
    current = pd.concat([current, pd.DataFrame({"fips": ["01007"], "program": ["antidetainer"],
                                                "start": ["2014-01-01"], "end": [""]})], ignore_index=True)
    out = replicate.spell_differences(pinned, current)
    assert out.to_dict("records") == [{"fips": "01003", "programs": "tfm"}, {"fips": "01007", "programs": "antidetainer"}]
    assert replicate.spell_differences(pinned, pinned).empty
