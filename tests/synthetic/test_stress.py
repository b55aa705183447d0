"""synthetic.stress: calibration to metro crime rates, county x year shocks, pre-trends before activation."""

import numpy as np
import pandas as pd
import pytest

from fedlocal import FedlocalError
from fedlocal.montecarlo import engine, replicate
from fedlocal.synthetic import stress


def _metros(sd=0.1, pretrend=0.05, n=60, seed=1):
    """A metro panel with metro and year effects, normal noise and a known pre-activation slope."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n):
        level = rng.normal(6, 0.5)
        adoption = [0, 2009, 2010, 2011, 2012][m % 5]
        for year in range(2005, 2015):
            lead = min(year - adoption, 0) if adoption else 0
            after = 0.02 * (adoption > 0 and year >= adoption)
            rows.append((f"m{m}", year, level - 0.03 * (year - 2005) + pretrend * lead + after + rng.normal(0, sd),
                         adoption))
    return pd.DataFrame(rows, columns=["msa_id", "year", stress.RATE_COLUMN, "sc_adoption_year"])


def test_calibration_recovers_the_spread_and_the_pretrend_it_was_built_with():
    got = stress.calibrate(_metros(sd=0.1, pretrend=0.05))
    assert got["county_year_sd"] == pytest.approx(0.1, rel=0.1)
    assert got["pretrend_per_year"] == pytest.approx(0.05, abs=0.01)
    flat = stress.calibrate(_metros(sd=0.1, pretrend=0.0))
    assert abs(flat["pretrend_per_year"]) < 0.01
    assert got["metros"] == 60 and got["metro_years"] == 600


def test_calibration_of_the_committed_metro_data_is_a_plausible_size():
    from fedlocal.paths import layout
    got = stress.calibrate(pd.read_csv(layout("").data / "msa-crime.csv"))
    assert 0.03 < got["county_year_sd"] < 0.5 and abs(got["pretrend_per_year"]) < 0.2 and got["metros"] > 100


def test_calibration_refuses_a_file_without_the_columns():
    with pytest.raises(FedlocalError, match="msa-crime.csv lacks columns"):
        stress.calibrate(pd.DataFrame({"msa_id": ["a"], "year": [2005]}))


def test_pretrend_is_linear_before_activation_and_zero_after_and_without_one():
    spells = pd.DataFrame({"fips": ["01001", "01001", "01003"], "program": ["sc", "sc", "tfm"],
                           "start": ["2010-01-01", "2012-01-01", "2008-01-01"]})
    effect = stress.pretrend_effects(["01001", "01001", "01001", "01003"], ["2008-01", "2010-01", "2013-06", "2008-01"],
                                     spells, 0.05)
    assert effect[0] == pytest.approx(-0.05 * 731 / 365.25) and effect[1] == 0 and effect[2] == 0 and effect[3] == 0


def test_county_year_shocks_are_shared_within_a_county_year():
    fips = np.array(["a", "a", "b", "a"] * 5000)
    year = np.array([2005, 2005, 2005, 2006] * 5000)
    shocks = stress.county_year_effects(fips, year, 0.2, np.random.default_rng(3))
    assert shocks[0] == shocks[1] == shocks[4] and shocks[0] != shocks[2] and shocks[0] != shocks[3]
    many = stress.county_year_effects(np.arange(20000), np.zeros(20000), 0.2, np.random.default_rng(3))
    assert np.std(many) == pytest.approx(0.2, rel=0.05)


def test_stress_worlds_leave_the_null_and_planted_worlds_as_they_were():
    calibration = {"county_year_sd": 0.15, "pretrend_per_year": 0.05}
    plain = replicate.study_worlds(["null", "planted"], {"sc": {"latino": 1.2}}, [2.0], 1.0)
    stressed = replicate.study_worlds(["null", "planted", "shocks", "pretrend"], {"sc": {"latino": 1.2}}, [2.0], 1.0,
                                      stress=calibration)
    assert [engine.config_hash(replicate.NcvsReplication, w, 1) for w in plain] == \
        [engine.config_hash(replicate.NcvsReplication, w, 1) for w in stressed[:2]]
    shocks, pretrend = stressed[2:]
    assert shocks.params["stress"] == {"county_year_sd": 0.15} and shocks.truth == stressed[1].truth
    assert pretrend.params["stress"] == {"pretrend_per_year": 0.05} and set(pretrend.truth.values()) == {0.0}
    with pytest.raises(ValueError, match="need the stress calibration"):
        replicate.study_worlds(["pretrend"], None, [2.0], 1.0)


@pytest.mark.parametrize("kind", ["shocks", "pretrend"])
def test_a_stress_world_replication_runs_and_differs_from_the_plain_one(kind):
    from fedlocal.paths import layout
    data = layout("").data
    counties = pd.read_parquet(data / "county-covariates.parquet")
    spells = pd.read_csv(data / "policy-spells.csv", dtype=str, keep_default_na=False)
    calibration = {"county_year_sd": 0.5, "pretrend_per_year": 0.3}  # large, so one small panel shows it
    plain_kind = "planted" if kind == "shocks" else "null"
    plain, stressed = replicate.study_worlds([plain_kind, kind], {"sc": {"latino": 1.2}}, [2.0], 0.02,
                                             stress=calibration)
    rep = replicate.NcvsReplication(counties, spells, ["hybrid_logit"])
    seed = engine.seed_for(1, "x", 0)
    a, b = rep(plain, seed), rep(stressed, seed)
    assert len(a) == len(b) == 12 and not np.allclose(a["estimate"], b["estimate"], equal_nan=True)


def _logit_slope_by_interview(interviews):
    """Weighted least squares of the logit of prevalence on interview number, with binomial weights: (slope, se)."""
    g = interviews.groupby("interview_number")["violent"].agg(["sum", "count"])
    p = g["sum"] / g["count"]
    w = (g["count"] * p * (1 - p)).to_numpy()  # 1 / var(logit p)
    x, y = g.index.to_numpy(float), np.log(p / (1 - p)).to_numpy()
    xm = np.sum(w * x) / w.sum()
    slope = np.sum(w * (x - xm) * y) / np.sum(w * (x - xm) ** 2)
    return slope, 1 / np.sqrt(np.sum(w * (x - xm) ** 2))


def test_time_in_sample_decline_shows_in_generated_data_within_binomial_error(counties, spells):
    from fedlocal.exposure.interviews import link_exposure
    from fedlocal.synthetic.outcomes import draw_outcomes
    from fedlocal.synthetic.panel import draw_panel
    from fixtures.synthetic_ncvs import SMALL_DESIGN

    def draw(per_interview):
        rng = np.random.default_rng(5)
        panel = draw_panel(counties, 0.15, rng, design=SMALL_DESIGN)
        interviews = panel.interviews.join(link_exposure(panel.interviews, spells, "any"))
        extra = stress.time_in_sample_effects(interviews["interview_number"], per_interview)
        out, _ = draw_outcomes(panel, interviews, counties, rng, None, county_sd=0.0, person_sd=0.0, extra_log_odds=extra)
        return out

    declining, plain = draw(0.3), draw(0.0)
    slope, se = _logit_slope_by_interview(declining)
    assert abs(slope + 0.3) < 3 * se + 0.03, (slope, se)  # 0.03: attenuation by the other gradients
    slope0, se0 = _logit_slope_by_interview(plain)
    assert abs(slope0) < 3 * se0, (slope0, se0)
    # the decline moves reports between interviews, not the year's prevalence (the intercepts are recalibrated)
    assert declining["violent"].mean() == pytest.approx(plain["violent"].mean(), rel=0.05)


def test_time_in_sample_effects_are_zero_at_the_first_interview_and_refuse_interview_zero():
    np.testing.assert_allclose(stress.time_in_sample_effects([1, 2, 7], 0.1), [0.0, -0.1, -0.6])
    with pytest.raises(FedlocalError, match="interview_number"):
        stress.time_in_sample_effects([0, 1], 0.1)


def test_the_harder_world_has_every_stressor_and_time_in_sample_only_when_set():
    calibration = {"county_year_sd": 0.15, "pretrend_per_year": 0.05, "metros": 300}
    planted = {"sc": {"latino": 1.2}}
    off, = replicate.study_worlds(["harder"], planted, [2.0], 0.25, stress={**calibration, "time_in_sample_per_interview": 0.0})
    on, = replicate.study_worlds(["harder"], planted, [2.0], 0.25, stress={**calibration, "time_in_sample_per_interview": 0.02})
    assert off.params["stress"] == {"county_year_sd": 0.15, "pretrend_per_year": 0.05}
    assert on.params["stress"] == {"county_year_sd": 0.15, "pretrend_per_year": 0.05, "time_in_sample_per_interview": 0.02}
    plain, = replicate.study_worlds(["planted"], planted, [2.0], 0.25)
    assert off.truth == plain.truth and engine.config_hash(replicate.NcvsReplication, off, 1) != \
        engine.config_hash(replicate.NcvsReplication, on, 1)
    with pytest.raises(ValueError, match="need the stress calibration"):
        replicate.study_worlds(["harder"], planted, [2.0], 0.25)


def test_a_pinned_calibration_round_trips_exactly(tmp_path):
    calibration = {"county_year_sd": 0.14877759147070843, "pretrend_per_year": 0.048734429305779925, "metros": 3}
    path = stress.write_calibration(calibration, tmp_path / "c.json")
    assert stress.read_calibration(path) == calibration
    (tmp_path / "bad.json").write_text('{"metros": 3}')
    with pytest.raises(FedlocalError, match="lacks"):
        stress.read_calibration(tmp_path / "bad.json")
    with pytest.raises(FedlocalError, match="not found"):
        stress.read_calibration(tmp_path / "none.json")
