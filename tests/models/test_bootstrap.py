"""Wild cluster score bootstrap and effective number of clusters: linear case against a brute-force WCR bootstrap."""

import tracemalloc

import numpy as np
import pytest
from scipy import special

from fedlocal import FedlocalError
from fedlocal.models import bootstrap


def _panel(n_groups=30, per=40, effect=0.0, seed=0, treated=None):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per)
    treated = n_groups // 2 if treated is None else treated
    d = (g < treated).astype(float) * (rng.random(len(g)) < 0.7)
    x = rng.normal(size=len(g))
    X = np.column_stack([d, np.ones(len(g)), x])
    shock = rng.normal(0, 0.5, n_groups)[g]
    return X, g, d, x, shock, rng


def test_linear_score_numerator_equals_the_wild_restricted_bootstrap_coefficient():
    X, g, d, x, shock, rng = _panel()
    y = 1 + 0.5 * x + shock + rng.normal(size=len(g))
    # restricted fit (H0: coefficient of d = 0) and the WCR bootstrap by brute force: refit OLS on each draw
    Xr = X[:, 1:]
    b0 = np.linalg.lstsq(Xr, y, rcond=None)[0]
    resid = y - Xr @ b0
    codes = g
    u, _ = bootstrap.partialled_scores(X, resid, np.ones(len(y)), 0, codes, 30)
    w = bootstrap.draw_weights("rademacher", 20, 30, np.random.default_rng(1))
    for wd in w:
        ystar = Xr @ b0 + wd[codes] * resid
        bstar = np.linalg.lstsq(X, ystar, rcond=None)[0][0]
        assert abs(bstar - wd @ u) < 1e-10
    # and with no bootstrap weights, the numerator is the unrestricted OLS coefficient
    assert abs(u.sum() - np.linalg.lstsq(X, y, rcond=None)[0][0]) < 1e-10


def test_logit_score_bootstrap_detects_a_large_effect_and_not_a_null():
    X, g, d, x, shock, rng = _panel(n_groups=40, per=150)
    names = ["d", "const", "x"]
    y1 = (rng.random(len(g)) < special.expit(-1 + 1.0 * d + 0.3 * x + shock)).astype(float)
    strong = bootstrap.score_bootstrap(X, y1, names, "d", g, draws=999, seed=2)
    assert strong.p_value < 0.01 and strong.statistic > 0 and strong.draws == 999
    assert strong.clusters == 40 and 1 < strong.effective_clusters < 40
    webb = bootstrap.score_bootstrap(X, y1, names, "d", g, draws=999, seed=2, weights_kind="webb")
    assert webb.p_value < 0.01
    with pytest.raises(FedlocalError, match="no column"):
        bootstrap.score_bootstrap(X, y1, names, "sc", g)
    with pytest.raises(FedlocalError, match="weights"):
        bootstrap.score_bootstrap(X, y1, names, "d", g, weights_kind="normal")


def test_effective_clusters_fall_when_few_clusters_carry_the_variance():
    assert bootstrap.effective_clusters(np.ones(50)) == pytest.approx(50)
    skewed = np.r_[np.full(5, 100.0), np.full(45, 1.0)]
    assert bootstrap.effective_clusters(skewed) < 10
    # few treated clusters: G* of the policy coefficient far below G
    X, g, d, x, shock, rng = _panel(n_groups=40, per=50, treated=3)
    y = 1 + shock + rng.normal(size=len(g))
    few = bootstrap.score_bootstrap(X, y, ["d", "const", "x"], "d", g, draws=99, link="identity")
    many = bootstrap.score_bootstrap(*_panel(n_groups=40, per=50, treated=20)[:1], y, ["d", "const", "x"], "d", g,
                                     draws=99, link="identity")
    assert few.effective_clusters < many.effective_clusters / 2


def test_a_start_from_the_unrestricted_fit_gives_the_same_bootstrap():
    from fedlocal.models.logit import fit_logit

    X, g, d, x, shock, rng = _panel(n_groups=40, per=150)
    names = ["d", "const", "x"]
    y = (rng.random(len(g)) < special.expit(-1 + 0.2 * d + 0.3 * x + shock)).astype(float)
    full = fit_logit(X, y, names, clusters=g)
    cold = bootstrap.score_bootstrap(X, y, names, "d", g, draws=199, seed=4)
    warm = bootstrap.score_bootstrap(X, y, names, "d", g, draws=199, seed=4, start=full.params)
    assert warm.statistic == pytest.approx(cold.statistic, abs=1e-7) and warm.p_value == cold.p_value
    assert warm.effective_clusters == pytest.approx(cold.effective_clusters, rel=1e-6)


def test_webb_weights_where_few_clusters_are_treated():
    assert bootstrap.weights_rule(bootstrap.WEBB_MAX_TREATED) == "webb"
    assert bootstrap.weights_rule(bootstrap.WEBB_MAX_TREATED + 1) == "rademacher"
    X, g, d, x, shock, rng = _panel(n_groups=40, per=50, treated=5)
    y = (rng.random(len(g)) < special.expit(-1 + shock)).astype(float)
    few = bootstrap.score_bootstrap(X, y, ["d", "const", "x"], "d", g, draws=99, weights_kind="auto")
    assert few.treated_clusters == 5 and few.weights == "webb"
    X, g, d, x, shock, rng = _panel(n_groups=40, per=50, treated=20)
    many = bootstrap.score_bootstrap(X, y, ["d", "const", "x"], "d", g, draws=99, weights_kind="auto")
    assert many.treated_clusters == 20 and many.weights == "rademacher"


def test_logit_bootstrap_works_on_the_design_in_place():
    """The restricted fit and the partialled scores use X itself: copies of X (without the tested column, scaled by
    the variance, the estimable columns) were the models stage's peak at a million rows. What the bootstrap
    allocates stays below X's own size (row blocks of the information matrix and vectors); the copies took twice."""
    rng = np.random.default_rng(5)
    n, k = 300_000, 30
    g = rng.integers(0, 60, n)
    X = np.asfortranarray(np.column_stack([(g < 20) * (rng.random(n) < 0.5), np.ones(n), rng.normal(size=(n, k - 2))]))
    y = (rng.random(n) < special.expit(-1.5 + 0.3 * X[:, 2])).astype(float)
    tracemalloc.start()
    boot = bootstrap.score_bootstrap(X, y, [f"x{j}" for j in range(k)], "x0", g, draws=99, seed=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert 0 <= boot.p_value <= 1 and boot.clusters == 60
    assert peak < X.nbytes
