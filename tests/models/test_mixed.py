"""The random-intercept logit (AGHQ) against lme4's published cbpp fits, its quadrature and its recovery of a planted SD.

lme4's reference values (tests/models/data/README.md says where they are printed):
Laplace, tests/testthat/test-glmer.R; nAGQ = 25, tests/glmer-1.R.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from fedlocal import FedlocalError
from fedlocal.models.logit import fit_logit, newton_fit
from fedlocal.models.mixed import _Problem, fit_random_intercept

CBPP = Path(__file__).parent / "data" / "cbpp.csv"
NAMES = ["(Intercept)", "period2", "period3", "period4"]
LME4_LAPLACE_FIXEF = [-1.39854982537216, -0.992335519118859, -1.12867532780426, -1.58030423764517]
LME4_LAPLACE_VAR = 0.41245527438386
LME4_LAPLACE_AIC = 194.052674598026  # 5 parameters
LME4_AGQ25_FIXEF = [-1.39922533406847, -0.991407294757321, -1.12782184600404, -1.57946627431248]
LME4_AGQ25_DEVIANCE = 100.010030538022  # lme4's -2 logLik for nAGQ > 1: relative to the saturated binomial model


@pytest.fixture(scope="module")
def cbpp():
    """The 56 herd-period binomial counts expanded to 842 Bernoulli rows (same likelihood up to a constant)."""
    d = pd.read_csv(CBPP)
    rows = d.loc[d.index.repeat(d["size"])]
    y = np.concatenate([np.r_[np.ones(i), np.zeros(s - i)] for i, s in zip(d["incidence"], d["size"])])
    X = np.column_stack([np.ones(len(rows))] + [(rows["period"] == k).to_numpy(float) for k in (2, 3, 4)])
    n, k = d["size"].to_numpy(float), d["incidence"].to_numpy(float)
    log_choose = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    saturated = special.xlogy(k, k / n) + special.xlogy(n - k, 1 - k / n)  # without the binomial coefficients
    return X, y, rows["herd"].to_numpy(), float(log_choose.sum()), float(saturated.sum())


def test_laplace_matches_lme4(cbpp):
    X, y, herd, log_choose, _ = cbpp
    fit = fit_random_intercept(X, y, herd, NAMES, n_quad=1)
    assert fit.converged and fit.persons == 15 and fit.n_quad == 1
    np.testing.assert_allclose(fit.params, LME4_LAPLACE_FIXEF, rtol=1e-4)
    np.testing.assert_allclose(fit.sd ** 2, LME4_LAPLACE_VAR, rtol=5e-4)  # lme4's own test: 6e-4
    minus2ll = -2 * (fit.loglik + log_choose)  # binomial log-likelihood, as lme4 reports it for Laplace
    assert minus2ll == pytest.approx(LME4_LAPLACE_AIC - 10, abs=1e-3)
    assert minus2ll <= LME4_LAPLACE_AIC - 10 + 1e-6  # at least as high a likelihood as lme4 reached


def test_adaptive_quadrature_matches_lme4_nagq25(cbpp):
    X, y, herd, _, saturated = cbpp
    fit = fit_random_intercept(X, y, herd, NAMES, n_quad=25)
    np.testing.assert_allclose(fit.params, LME4_AGQ25_FIXEF, rtol=1e-5)
    # lme4's nAGQ > 1 value is -2 (logLik - saturated logLik) of the binomial counts; the binomial coefficients cancel
    assert -2 * (fit.loglik - saturated) == pytest.approx(LME4_AGQ25_DEVIANCE, rel=1e-9)


def test_quadrature_converges_in_nodes(cbpp):
    X, y, herd, _, _ = cbpp
    fits = {q: fit_random_intercept(X, y, herd, NAMES, n_quad=q) for q in (1, 15, 30)}
    np.testing.assert_allclose(fits[15].params, fits[30].params, atol=1e-6)
    assert fits[15].sd == pytest.approx(fits[30].sd, abs=1e-6)
    assert fits[15].loglik == pytest.approx(fits[30].loglik, abs=1e-8)
    # ... while the Laplace approximation is visibly different on these small herds
    assert np.max(np.abs(fits[1].params - fits[30].params)) > 1e-4


@pytest.mark.parametrize("n_quad", [1, 5])
def test_gradient_is_exact(cbpp, n_quad):
    """The analytic gradient (modes and curvatures moving with the parameters) against central differences."""
    X, y, herd, _, _ = cbpp
    problem = _Problem(X, y, pd.factorize(herd)[0], 15, n_quad)
    theta = np.array([-1.3, -1.0, -1.1, -1.5, np.log(0.7)])
    grad = problem.evaluate(theta[:-1], theta[-1])[1]
    numeric = []
    for j in range(len(theta)):
        e = np.zeros(len(theta))
        e[j] = 1e-6
        up = problem.evaluate((theta + e)[:-1], (theta + e)[-1], gradient=False)[0]
        down = problem.evaluate((theta - e)[:-1], (theta - e)[-1], gradient=False)[0]
        numeric.append((up - down) / 2e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def simulate_persons(seed: int, persons: int = 1500, interviews: int = 5, sd: float = 1.0):
    """Persons with a planted random intercept of SD `sd`, a row covariate and a person covariate."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(persons), interviews)
    x = rng.normal(size=len(person))
    z = (rng.random(persons) < 0.4).astype(float)[person]
    eta = -1.5 + 0.5 * x + 0.3 * z + sd * rng.normal(size=persons)[person]
    y = (rng.random(len(person)) < special.expit(eta)).astype(float)
    return np.column_stack([np.ones(len(person)), x, z]), y, person


def test_recovers_planted_sd_over_seeds():
    """Mean of the fitted SD over 8 simulated panels within 3 Monte Carlo SEs of the planted 1.0; slope too.

    And the model-based SE of the SD is the right size: its mean within 40% of the SD across seeds.
    """
    fits = [fit_random_intercept(*simulate_persons(seed), ["const", "x", "z"], n_quad=9) for seed in range(8)]
    sds = np.array([f.sd for f in fits])
    mc_se = sds.std(ddof=1) / np.sqrt(len(sds))
    assert abs(sds.mean() - 1.0) < 3 * mc_se + 0.01
    slopes = np.array([f.params[1] for f in fits])
    assert abs(slopes.mean() - 0.5) < 3 * slopes.std(ddof=1) / np.sqrt(len(slopes)) + 0.01
    assert 0.6 < np.mean([f.sd_se for f in fits]) / sds.std(ddof=1) < 1.4
    # the pooled logit on the same data attenuates the slope (marginal, not conditional): the model matters
    X, y, person = simulate_persons(0)
    assert fit_logit(X, y, ["const", "x", "z"]).params[1] < fits[0].params[1] - 0.03


def test_cluster_robust_close_to_model_based_when_the_model_holds():
    X, y, person = simulate_persons(3)
    county = person // 15  # 100 clusters of 15 persons
    fit = fit_random_intercept(X, y, person, ["const", "x", "z"], clusters=county)
    assert fit.n_clusters == 100
    ratio = fit.se / np.sqrt(np.diag(fit.vcov_model))
    assert np.all((ratio > 0.7) & (ratio < 1.3))
    assert not np.allclose(ratio, 1.0)  # a sandwich, not the model-based covariance again


def test_collinear_column_is_missing_and_bad_nodes_rejected():
    X, y, person = simulate_persons(1, persons=400)
    X2 = np.column_stack([X, 2 * X[:, 1]])
    fit = fit_random_intercept(X2, y, person, ["const", "x", "z", "x2"], n_quad=3)
    assert np.isnan(fit.params[3]) and np.isfinite(fit.params[:3]).all()
    with pytest.raises(FedlocalError, match="n_quad"):
        fit_random_intercept(X, y, person, ["const", "x", "z"], n_quad=0)


def test_overwrite_and_pooled_start_change_nothing_but_the_memory():
    """A collinear column in the middle, X compacted in place (overwrite_X) and the pooled Newton fit handed in: the
    fit is bit for bit the one that copies the estimable columns and fits the pooled start itself."""
    X, y, person = simulate_persons(2, persons=400)
    X2 = np.asfortranarray(np.column_stack([X[:, :2], 2 * X[:, 1], X[:, 2]]))
    names = ["const", "x", "x2", "z"]
    copied = fit_random_intercept(X2.copy(order="F"), y, person, names, clusters=person // 10, n_quad=3)
    work = X2.copy(order="F")
    inplace = fit_random_intercept(work, y, person, names, clusters=person // 10, n_quad=3, overwrite_X=True,
                                   pooled=newton_fit(work, y, np.ones(len(y))))
    assert np.isnan(inplace.params[2]) and np.isfinite(inplace.params[[0, 1, 3]]).all()
    np.testing.assert_array_equal(inplace.params, copied.params)
    np.testing.assert_array_equal(inplace.vcov, copied.vcov)
    assert (inplace.sd, inplace.loglik, inplace.evaluations) == (copied.sd, copied.loglik, copied.evaluations)
    np.testing.assert_array_equal(work[:, 2], X2[:, 3])  # z moved into the dropped column's place: no copy was made


def test_no_person_variation_gives_the_pooled_logit_even_with_a_large_coefficient():
    """With no planted person SD the likelihood is maximal near sigma = 0, where the model is the pooled logit: same
    log-likelihood and coefficients. A column on a small scale (coefficient 40, which fit_logit reports as missing
    but keeps in its model) must stay in the random-intercept model too."""
    X, y, person = simulate_persons(2, persons=2000, sd=0.0)
    rng = np.random.default_rng(102)
    small = 0.01 * rng.normal(size=len(y))
    y = (rng.random(len(y)) < special.expit(X @ [-1.5, 0.5, 0.3] + 40 * small)).astype(float)
    X = np.column_stack([X, small])
    pooled = fit_logit(X, y, ["const", "x", "z", "small"])
    assert np.isnan(pooled.params[3])  # masked by fit_logit (|b| > 10), though estimated
    fit = fit_random_intercept(X, y, person, ["const", "x", "z", "small"], n_quad=5)
    assert fit.sd < 0.3
    assert fit.loglik >= pooled.loglik - 1e-6
    np.testing.assert_allclose(fit.params[:3], pooled.params[:3], atol=0.02)
