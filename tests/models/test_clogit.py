"""Conditional logit against statsmodels, the informative-person filter, and a confounded known answer."""

import numpy as np
import pytest
from statsmodels.discrete.conditional_models import ConditionalLogit

from fedlocal.models.clogit import fit_conditional_logit, informative_rows
from fedlocal.models.logit import fit_logit


def panel(n_persons, seed, confound=0.0, beta=(0.5, -0.4)):
    rng = np.random.default_rng(seed)
    T = rng.integers(2, 8, n_persons)
    person = np.repeat(np.arange(n_persons), T)
    u = rng.normal(0, 1, n_persons)
    x1 = (rng.random(len(person)) < 1 / (1 + np.exp(-confound * u[person]))).astype(float)
    x2 = rng.normal(size=len(person))
    eta = -2 + u[person] * (1 + confound) + beta[0] * x1 + beta[1] * x2
    y = (rng.random(len(person)) < 1 / (1 + np.exp(-eta))).astype(float)
    return np.column_stack([x1, x2]), y, person


def test_matches_statsmodels():
    X, y, person = panel(1500, 1)
    ours = fit_conditional_logit(X, y, person, ["x1", "x2"])
    keep = informative_rows(y, person, None).keep_rows
    ref = ConditionalLogit(y[keep], X[keep], groups=person[keep]).fit(disp=0, method="newton", maxiter=100)
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-7)
    np.testing.assert_allclose(ours.se, ref.bse, rtol=1e-6)
    assert ours.loglik == pytest.approx(ref.llf, rel=1e-8)


def test_consistent_where_pooled_logit_is_confounded():
    X, y, person = panel(20_000, 2, confound=2.0, beta=(np.log(1.5), -0.4))
    ours = fit_conditional_logit(X, y, person, ["x1", "x2"], clusters=person)
    assert abs(ours.params[0] - np.log(1.5)) < 3 * ours.se[0]
    pooled = fit_logit(np.column_stack([np.ones(len(y)), X]), y, ["c", "x1", "x2"])
    assert pooled.params[1] - np.log(1.5) > 5 * pooled.se[1]  # the person effect leaks into x1


def test_informative_rows_counts():
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1, 0, 0], dtype=float)
    person = np.array([1, 1, 1, 2, 2, 3, 3, 4, 4, 4])
    x = np.array([0, 1, 1, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    # person 1: y and x vary; 2: y varies, x does not; 3: both vary; 4: y varies, x constant
    info = informative_rows(y, person, x)
    assert (info.persons_total, info.persons_outcome_varies, info.persons_kept, info.interviews_kept) == (4, 4, 2, 5)
    assert informative_rows(np.zeros(4), np.array([1, 1, 2, 2]), None).persons_kept == 0


def test_constant_within_person_column_is_dropped():
    X, y, person = panel(800, 3)
    Xc = np.column_stack([X, (person % 2).astype(float)])
    fit = fit_conditional_logit(Xc, y, person, ["x1", "x2", "fixed"])
    assert np.isnan(fit.params[2]) and np.all(np.isfinite(fit.params[:2]))


def test_separated_coefficient_is_reported_missing_not_fatal():
    X, y, person = panel(600, 4)
    # a column that is 1 exactly at a victimized interview of a few persons: quasi-complete separation
    sep = np.zeros(len(y))
    hit = np.flatnonzero(y == 1)[:5]
    sep[hit] = 1.0
    fit = fit_conditional_logit(np.column_stack([X, sep]), y, person, ["x1", "x2", "sep"], clusters=person)
    assert np.isnan(fit.params[2]) and np.all(np.isfinite(fit.params[:2])) and np.all(np.isfinite(fit.se[:2]))
