"""Run parameters: the metro-area analysis windows (stage `crime`), and values a person can type that used to slip
through or crash (each gets one clear ParamError)."""

import re

import pytest

from fedlocal import params

WINDOWS = [("msa_twfe_first_year", "msa_twfe_last_year"), ("msa_sc_staggered_first_year", "msa_sc_staggered_last_year"),
           ("msa_antidetainer_first_year", "msa_antidetainer_last_year")]


def test_metro_windows_default_to_the_published_analysis():
    values = params.load()
    assert [(values[first], values[last]) for first, last in WINDOWS] == [(2003, 2014), (2004, 2014), (2003, 2014)]


def test_anti_detainer_window_ends_with_the_policy_data():
    """The policy panel ends in December 2014; later years would count later adopters as never treated."""
    from fedlocal.data.policies.panel import LAST_MONTH

    last = int(LAST_MONTH[:4])
    assert params.load()["msa_antidetainer_last_year"] == last == params.SCHEMA["msa_antidetainer_last_year"].hi


@pytest.mark.parametrize("first,last", WINDOWS)
def test_every_allowed_metro_window_has_years_before_and_after_the_rollout(first, last):
    assert params.SCHEMA[first].hi < params.SCHEMA[last].lo


@pytest.mark.parametrize("override,key", [
    ("msa_twfe_last_year=2016", "msa_twfe_last_year"),  # SC is not coded after 2014
    ("msa_sc_staggered_first_year=2010", "msa_sc_staggered_first_year"),  # no years before the first adopters
    ("msa_antidetainer_last_year=2018", "msa_antidetainer_last_year"),  # no FBI table
    ("msa_antidetainer_last_year=2015", "msa_antidetainer_last_year"),  # no policy data
    ("msa_antidetainer_first_year=2003.5", "msa_antidetainer_first_year"),
])
def test_impossible_metro_windows_are_refused(override, key):
    with pytest.raises(params.ParamError, match=key):
        params.load(overrides=[override])


@pytest.mark.parametrize("override, named", [
    ("scale=.nan", "parameter 'scale' = nan is not valid (not a finite number)"),
    ("scale=.inf", "parameter 'scale' = inf is not valid (not a finite number)"),
    ("county_sd=-.inf", "parameter 'county_sd' = -inf is not valid (not a finite number)"),
    ("planted_odds_ratios={sc: {latino: .inf}}", "sc.latino must be a positive finite number"),
    ("planted_odds_ratios={sc: {latino: .nan}}", "sc.latino must be a positive finite number"),
    ("tfm_end_by=2012-02-30", "parameter 'tfm_end_by' = '2012-02-30' is not valid (no such day"),
    ("tfm_end_by=2012-2-3", "expected a date YYYY-MM-DD"),
])
def test_impossible_values_on_the_command_line_get_one_message(override, named):
    with pytest.raises(params.ParamError) as err:
        params.load(None, [override])
    assert named in str(err.value) and f"--set {override}" in str(err.value)


def test_an_impossible_date_in_a_file_gets_a_message_not_a_traceback(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("tfm_end_by: 2012-02-30\n")
    with pytest.raises(params.ParamError, match=r"p\.yaml: parameter 'tfm_end_by' = '2012-02-30' is not valid"):
        params.load(f)
    f.write_text("tfm_end_by: 2012-02-29\n")
    assert params.load(f)["tfm_end_by"] == "2012-02-29"


@pytest.mark.parametrize("text, value", [("5e-1", 0.5), ("5E-1", 0.5), ("2.5e-1", 0.25), ("1e0", 1.0), ("0.5", 0.5)])
def test_floats_in_exponent_notation_are_floats(text, value):
    assert params.load(None, [f"scale={text}"])["scale"] == value


def test_a_key_given_twice_in_a_file_is_refused(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("seed: 1\nscale: 0.5\nseed: 2\n")
    with pytest.raises(params.ParamError, match=r"p\.yaml: key 'seed' is given twice \(lines 1 and 3\)"):
        params.load(f)


def test_a_key_given_twice_inside_a_mapping_is_refused(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("planted_odds_ratios:\n  sc: {latino: 1.2}\n  sc: {latino: 1.5}\n")
    with pytest.raises(params.ParamError, match="key 'sc' is given twice"):
        params.load(f)


def test_monte_carlo_worlds_read_a_bare_yaml_null_as_the_null_world(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("montecarlo_worlds: [null, grid]\nmontecarlo_or_grid: [1.5, 3]\n")
    values = params.load(f)
    assert values["montecarlo_worlds"] == ["null", "grid"]
    assert values["montecarlo_or_grid"] == [1.5, 3.0]


@pytest.mark.parametrize("override, why", [
    ("montecarlo_worlds=[null, nowhere]", "unknown item 'nowhere'"),
    ("montecarlo_worlds=[grid, grid]", "expected a non-empty list of distinct items"),
    ("montecarlo_worlds=[]", "expected a non-empty list"),
    ("montecarlo_or_grid=[2.0, 1.5]", "increasing"),
    ("montecarlo_or_grid=[1.0, 2.0]", "increasing"),
    ("montecarlo_or_grid=[1.5, yes]", "numbers only"),
    ("montecarlo_engine=threads", "one of 'serial', 'joblib', 'dask'"),
    ("montecarlo_replications=0", "out of range"),
])
def test_bad_monte_carlo_parameters_get_one_message_naming_the_key(override, why):
    with pytest.raises(params.ParamError, match=rf"'{override.split('=')[0]}'.*{re.escape(why)}"):
        params.load(None, [override])
