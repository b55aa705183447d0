"""Between-within design: decomposition, pooled interactions, joins and input errors."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from fedlocal import FedlocalError
from fedlocal.models.design import hybrid_design, prepare, within_design
from fixtures.simulate import simulate


@pytest.fixture(scope="module")
def sim():
    return simulate(3000, 40, seed=4)


@pytest.fixture(scope="module")
def frame(sim):
    return prepare(sim.interviews, sim.covariates)


def test_within_part_has_zero_person_mean_and_between_is_constant(frame):
    d = hybrid_design(frame)
    df = pd.DataFrame(d.X, columns=d.names).assign(person=d.person)
    g = df.groupby("person")
    assert g["sc_within"].mean().abs().max() < 1e-12
    assert g["sc_between"].nunique().max() == 1
    np.testing.assert_allclose(df["sc_within"] + df["sc_between"], frame["sc"].to_numpy())
    assert d.names[:4] == ["sc_within", "jem_within", "tfm_within", "antidetainer_within"]


def test_design_is_written_into_one_matrix_of_its_own_size(frame):
    """The columns go straight into the matrix (collecting them first held the design twice: 1.4 GB at a million
    rows), and the matrix has no unused columns. Column-major, so a column write is contiguous."""
    for kwargs in ({}, {"pooled": True}):
        tracemalloc.start()
        d = hybrid_design(frame, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert d.X.flags.f_contiguous and d.X.shape == (len(frame), len(d.names))
        base = d.X if d.X.base is None else d.X.base
        assert base.nbytes == d.X.nbytes
        assert peak < 1.4 * d.X.nbytes


def test_pooled_terms_add_up_to_the_overall_ones(frame):
    overall = hybrid_design(frame)
    pooled = hybrid_design(frame, pooled=True)
    P = pd.DataFrame(pooled.X, columns=pooled.names)
    total = P[[f"tfm_within:{g}" for g in ("latino", "black", "white", "other")]].sum(axis=1)
    np.testing.assert_allclose(total, overall.X[:, overall.names.index("tfm_within")], atol=1e-12)


def test_group_design_drops_race_dummies(frame):
    d = hybrid_design(frame, group="latino")
    assert not any(n.startswith("race=") for n in d.names)
    assert d.counts["interviews"] == int((frame["race_eth"] == "latino").sum())
    with pytest.raises(FedlocalError, match="group"):
        hybrid_design(frame, group="martian")


def test_within_design_uses_only_time_varying_columns(frame):
    d = within_design(frame)
    assert d.names[:4] == ["sc", "jem", "tfm", "antidetainer"]
    assert not any(n.startswith(("race", "region", "county_")) for n in d.names)


def test_prepare_drops_interviews_without_covariates_and_checks_columns(sim):
    cov = sim.covariates.loc[sim.covariates["year"] != 2010]
    f = prepare(sim.interviews, cov)
    assert f.attrs["dropped"] == int((sim.interviews["year"] == 2010).sum()) > 0
    with pytest.raises(FedlocalError, match="ncvs-interviews.parquet lacks columns.*'sc'"):
        prepare(sim.interviews.drop(columns="sc"), sim.covariates)
    with pytest.raises(FedlocalError, match="county-covariates.parquet lacks"):
        prepare(sim.interviews, sim.covariates.drop(columns="region"))


def test_within_design_on_informative_rows_equals_the_full_design_restricted(frame):
    """Building the conditional-logit design on a row subset gives exactly those rows of the full design."""
    from fedlocal.models.estimate import informative_subset

    full = within_design(frame, group="latino")
    info, rows = informative_subset(frame, frame[["sc", "jem", "tfm", "antidetainer"]].to_numpy(float), "latino")
    sub = within_design(frame, group="latino", rows=rows)
    assert sub.names == full.names  # the year dummies keep the group's full set of years
    assert 0 < len(sub.y) == info.interviews_kept < len(full.y)
    keep = rows[(frame["race_eth"] == "latino").to_numpy()]
    np.testing.assert_array_equal(sub.X, full.X[keep])
    np.testing.assert_array_equal(sub.person, full.person[keep])
    assert sub.counts == {"persons": info.persons_kept, "interviews": info.interviews_kept,
                          "counties": len(np.unique(full.county[keep]))}


def test_linear_hybrid_within_terms_equal_person_fixed_effects(frame):
    """Mundlak: with every time-varying regressor split, OLS within terms = feols with person FE (to 1e-8)."""
    import pyfixest as pf

    from fedlocal.models.design import COUNTY_FLAGS, COUNTY_NUMERIC
    from fedlocal.models.logit import independent_columns

    d = hybrid_design(frame)
    keep = independent_columns(d.X.T @ d.X)
    beta = np.full(d.X.shape[1], np.nan)
    beta[keep] = np.linalg.lstsq(d.X[:, keep], d.y, rcond=None)[0]
    varying = ["sc", "jem", "tfm", "antidetainer", "age", "employed", "income_bracket", "homeowner",
               "log_years_at_address", "interview_number", *COUNTY_NUMERIC, *COUNTY_FLAGS]
    fe = pf.feols("violent ~ " + " + ".join(varying) + " | person_id + year", data=frame, vcov="iid")
    fe_coef = fe.coef()
    compared = [v for v in varying[:10] if f"{v}_within" in d.names]  # the fixture's homeowner never changes
    assert {"sc", "jem", "tfm", "antidetainer", "interview_number"} <= set(compared)
    for v in compared:
        assert abs(beta[d.names.index(f"{v}_within")] - fe_coef[v]) < 1e-8, v
    # county covariates are standardized in the design: compare after rescaling
    for v in ("pct_latino", "poverty_rate"):
        sd = frame[v].std(ddof=0)
        assert abs(beta[d.names.index(f"county_{v}_within")] / sd - fe_coef[v]) < 1e-8, v


def test_every_time_varying_regressor_is_split_and_time_in_sample_is_a_control(frame):
    d = hybrid_design(frame)
    for v in ("interview_number", "county_pct_latino", "county_poverty_rate", "year=2010"):
        assert f"{v}_within" in d.names and f"{v}_between" in d.names, v
    assert "interview_number" in within_design(frame).names
