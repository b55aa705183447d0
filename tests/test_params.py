"""Run parameters: the analysis windows of the metro-area models (stage `crime`)."""

import pytest

from fedlocal import params

WINDOWS = [("msa_twfe_first_year", "msa_twfe_last_year"), ("msa_sc_staggered_first_year", "msa_sc_staggered_last_year"),
           ("msa_antidetainer_first_year", "msa_antidetainer_last_year")]


def test_metro_windows_default_to_the_published_analysis():
    values = params.load()
    assert [(values[first], values[last]) for first, last in WINDOWS] == [(2003, 2014), (2004, 2014), (2003, 2017)]


@pytest.mark.parametrize("first,last", WINDOWS)
def test_every_allowed_metro_window_has_years_before_and_after_the_rollout(first, last):
    assert params.SCHEMA[first].hi < params.SCHEMA[last].lo


@pytest.mark.parametrize("override,key", [
    ("msa_twfe_last_year=2016", "msa_twfe_last_year"),  # SC is not coded after 2014
    ("msa_sc_staggered_first_year=2010", "msa_sc_staggered_first_year"),  # no years before the first adopters
    ("msa_antidetainer_last_year=2018", "msa_antidetainer_last_year"),  # no FBI table
    ("msa_antidetainer_first_year=2003.5", "msa_antidetainer_first_year"),
])
def test_impossible_metro_windows_are_refused(override, key):
    with pytest.raises(params.ParamError, match=key):
        params.load(overrides=[override])
