"""The array logit against statsmodels, and against a planted answer."""

import numpy as np
import pytest
import statsmodels.api as sm

from fedlocal.models.logit import fit_logit, independent_columns


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n, g = 6000, 80
    cl = rng.integers(0, g, n)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.3, rng.normal(size=g)[cl]])
    beta = np.array([-1.5, 0.4, 0.7, -0.3])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta + rng.normal(0, 0.5, g)[cl])))).astype(float)
    w = np.exp(rng.normal(0, 0.4, n))
    return X.astype(float), y, cl, w, beta


def test_matches_statsmodels_cluster(data):
    X, y, cl, _, _ = data
    ours = fit_logit(X, y, ["c", "a", "b", "z"], clusters=cl)
    ref = sm.Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": cl})
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(ours.se, ref.bse, rtol=1e-6)
    assert ours.n_clusters == 80 and ours.converged


def test_model_based_and_weighted_match_statsmodels(data):
    X, y, cl, w, _ = data
    ours = fit_logit(X, y, list("cabz"))
    ref = sm.Logit(y, X).fit(disp=0)
    np.testing.assert_allclose(ours.se, ref.bse, rtol=1e-6)
    ours_w = fit_logit(X, y, list("cabz"), weights=w)
    ref_w = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w).fit()
    np.testing.assert_allclose(ours_w.params, ref_w.params, rtol=1e-8)


def test_weighted_cluster_sandwich_equals_duplicated_rows(data):
    """Integer weights = duplicated rows: same estimates; same sandwich up to the (N-1)/(N-K) factor."""
    X, y, cl, _, _ = data
    w = np.random.default_rng(2).integers(1, 4, len(y)).astype(float)
    ours = fit_logit(X, y, list("cabz"), weights=w, clusters=cl)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    ref = sm.Logit(y[rep], X[rep]).fit(disp=0, cov_type="cluster", cov_kwds={"groups": cl[rep]})
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-8)
    n, m, k = len(y), len(rep), X.shape[1]
    # ours rescales weights to mean 1: meat and bread scale alike, only the N in the factor differs
    ratio = ((n - 1) / (n - k)) / ((m - 1) / (m - k))
    np.testing.assert_allclose(ours.se ** 2, ref.bse ** 2 * ratio, rtol=1e-5)


def test_recovers_planted_coefficients():
    rng = np.random.default_rng(5)
    n = 60_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.5])
    beta = np.array([-2.0, 0.5, np.log(1.3)])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    fit = fit_logit(X, y, ["c", "x", "d"])
    assert np.all(np.abs(fit.params - beta) < 3.5 * fit.se)


def test_collinear_column_is_dropped_not_fatal(data):
    X, y, cl, _, _ = data
    X2 = np.column_stack([X, X[:, 1] * 2 + X[:, 2]])
    fit = fit_logit(X2, y, list("cabzd"), clusters=cl)
    assert np.isnan(fit.params[4]) and np.all(np.isfinite(fit.params[:4]))
    assert list(independent_columns(X2.T @ X2)) == [0, 1, 2, 3]


def test_contrast_and_wald(data):
    X, y, cl, _, _ = data
    fit = fit_logit(X, y, list("cabz"), clusters=cl)
    est, se = fit.contrast({"a": 1, "b": -1})
    v = fit.vcov
    assert est == pytest.approx(fit.params[1] - fit.params[2])
    assert se == pytest.approx(np.sqrt(v[1, 1] + v[2, 2] - 2 * v[1, 2]))
    chi2, df, p = fit.wald(["a"])
    assert df == 1 and chi2 == pytest.approx((fit.params[1] / fit.se[1]) ** 2)


def test_subsample_warm_start_gives_the_same_fit(data, monkeypatch):
    from fedlocal.models import logit

    X, y, cl, _, _ = data
    cold = fit_logit(X, y, list("cabz"), clusters=cl)
    monkeypatch.setattr(logit, "WARM_START_ROWS", 100)
    warm = fit_logit(X, y, list("cabz"), clusters=cl)
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-7)
    np.testing.assert_allclose(warm.se, cold.se, rtol=1e-5)


def test_large_fit_takes_at_most_three_full_data_products(monkeypatch):
    """Issue 18: the fit is X'WX products at heart; with a rare outcome and a few rare dummies (the NCVS case:
    about 2% violent victimization) it must need no more than three products on all rows plus a subsample's
    worth (the code before counted five and a bit: one for collinearity, four Newton steps)."""
    from fedlocal.models import logit

    rng = np.random.default_rng(3)
    n, g = 240_000, 300
    cl = rng.integers(0, g, n)
    year = rng.integers(0, 10, n)
    rare = rng.random(n) < 0.004
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.3, rare, rng.normal(size=g)[cl],
                         *(year == k for k in range(1, 10)), np.zeros(n)]).astype(float)  # last column: empty
    beta = np.array([-4.0, 0.3, 0.4, 0.8, -0.2, *np.linspace(-0.3, 0.3, 9), 0.0])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta)))).astype(float)
    names = [f"x{k}" for k in range(X.shape[1])]
    cold = fit_logit(X, y, names, clusters=cl)
    rows = []
    gram = logit._gram
    monkeypatch.setattr(logit, "_gram", lambda A, w: rows.append(A.shape[0]) or gram(A, w))
    monkeypatch.setattr(logit, "WARM_START_ROWS", 100_000)
    warm = fit_logit(X, y, names, clusters=cl)
    full = sum(r == n for r in rows)
    assert full <= 3, f"{full} products on all rows"
    assert sum(r for r in rows if r < n) <= 1.5 * n  # the subsample phase: cheaper than one and a half products
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-8, equal_nan=True)
    np.testing.assert_allclose(warm.se, cold.se, rtol=1e-5, equal_nan=True)
    assert np.isnan(warm.params[-1])
