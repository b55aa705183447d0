"""Logistic regression on arrays with cluster-robust standard errors (Newton steps, chunked for memory).

Written for speed at the paper's scale (about one million interviews, ~50 regressors): statsmodels' array
API does the same job but allocates more and refits for the sandwich; this one forms X'WX in row blocks,
drops exactly collinear columns (e.g. a year dummy empty in a subgroup) and computes the CR1 sandwich
(models.inference) with the same small-sample factor as statsmodels and Stata. The tests check it
against statsmodels on small data.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, special

from fedlocal.models.inference import Fit, cluster_codes, cluster_sandwich, invert_information, mark_separated

CHUNK = 200_000
WARM_START_ROWS = 400_000


def solve_step(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Newton step; a pseudo-inverse when the information is singular (separation in small samples)."""
    try:
        return linalg.solve(hess, grad, assume_a="pos")
    except (linalg.LinAlgError, ValueError):
        return linalg.pinvh(hess) @ grad


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """X' diag(w) X in row blocks (keeps the temporary at CHUNK x K)."""
    k = X.shape[1]
    out = np.zeros((k, k))
    for s in range(0, X.shape[0], CHUNK):
        xb = X[s:s + CHUNK]
        out += xb.T @ (xb * w[s:s + CHUNK, None])
    return out


def independent_columns(xtx: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Greedy selection of linearly independent columns, in order (earlier columns are kept first)."""
    keep: list[int] = []
    for j in range(xtx.shape[0]):
        if xtx[j, j] <= 0:
            continue
        if keep:
            a = xtx[np.ix_(keep, keep)]
            v = xtx[keep, j]
            resid = xtx[j, j] - v @ linalg.solve(a, v, assume_a="pos")
        else:
            resid = xtx[j, j]
        if resid > tol * xtx[j, j]:
            keep.append(j)
    return np.array(keep, dtype=int)


def _newton(X, y, w, b, tol, max_iter, keep=None, exclude=()):
    """Newton-Raphson from b (zero outside `keep`); returns (b, eta, information, loglik, converged, iterations, keep).

    keep=None: the independent columns are read off the first information matrix X' diag(w p (1 - p)) X, whose
    null space is that of X'WX (p is strictly inside (0, 1)), which saves one X'WX product per fit; columns in
    `exclude` are never kept (their coefficients stay 0).
    """
    sel = None if keep is None else np.ix_(keep, keep)
    eta = X @ b
    ll_old = float(np.sum(w * (y * eta - np.logaddexp(0, eta))))
    converged = False
    it = 0
    hess = None
    for it in range(1, max_iter + 1):  # noqa: B007 (the number of steps taken is returned)
        p = special.expit(eta)
        info = _gram(X, w * p * (1 - p))
        if keep is None:
            candidates = np.setdiff1d(np.arange(len(b)), np.asarray(exclude, dtype=int))
            keep = candidates[independent_columns(info[np.ix_(candidates, candidates)])]
            sel = np.ix_(keep, keep)
            dropped = ~np.isin(np.arange(len(b)), keep)
            if np.any(b[dropped] != 0):  # a start with weight on a collinear column: restart without it
                b = np.where(dropped, 0.0, b)
                eta = X @ b
                ll_old = float(np.sum(w * (y * eta - np.logaddexp(0, eta))))
                p = special.expit(eta)
                info = _gram(X, w * p * (1 - p))
        grad = (X.T @ (w * (y - p)))[keep]
        hess = info[sel]
        step = np.zeros_like(b)
        step[keep] = solve_step(hess, grad)
        b_new = b + step
        eta_new = X @ b_new
        ll = float(np.sum(w * (y * eta_new - np.logaddexp(0, eta_new))))
        halvings = 0  # step halving if the likelihood falls (rare for logit, cheap insurance)
        while ll < ll_old - 1e-9 and halvings < 20:
            step /= 2
            b_new = b + step
            eta_new = X @ b_new
            ll = float(np.sum(w * (y * eta_new - np.logaddexp(0, eta_new))))
            halvings += 1
        b, eta = b_new, eta_new
        done = np.max(np.abs(step)) < 1e-8 or abs(ll - ll_old) < tol * (1 + abs(ll))
        ll_old = ll
        if done:
            converged = True
            break
    return b, eta, hess, ll_old, converged, it, keep


def newton_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, tol: float = 1e-10, max_iter: int = 50,
               start: np.ndarray | None = None, exclude=()):
    """The logit's Newton iterations with their start; (b, eta, information, loglik, converged, iterations, columns).

    Nothing is masked: a coefficient running off to infinity keeps its value (models.mixed starts from it).
    `start`: starting values (one per column, NaN read as 0), e.g. a nearby model's estimates; they replace
    the subsample warm start, so a fit that starts next to its optimum skips the subsample iterations.
    `exclude`: columns held at 0 (the model without them, fitted on X itself rather than on a copy without them).
    """
    n, k_all = X.shape
    b = np.zeros(k_all)
    ybar = float(np.average(y, weights=w))
    if k_all and np.all(X[:, 0] == 1.0) and 0 < ybar < 1:
        b[0] = np.log(ybar / (1 - ybar))  # intercept-only start: fewer steps for a rare outcome
    if start is not None:
        b = np.nan_to_num(np.asarray(start, dtype=np.float64))
    b[np.asarray(exclude, dtype=int)] = 0.0
    if start is None and n > WARM_START_ROWS:
        # Newton on a weighted subsample first: every row of the rarer outcome and every 8th of the other, the
        # latter weighted by 8 (a consistent estimator, Manski & Lerman 1977). The rarer outcome holds nearly
        # all the information, so this start is close enough that the full-data Newton steps need three passes
        # instead of four (every 8th row: start off by up to 1 in a rare dummy) or eight (from zero). The rows
        # are copied into one contiguous block: a strided view of a column-major X defeats BLAS.
        rare = (y != 0) if ybar < 0.5 else (y != 1)
        rows = np.flatnonzero(rare | (np.arange(n) % 8 == 0))
        ws = w[rows] * np.where(rare[rows], 1.0, 8.0)
        b = _newton(np.asfortranarray(X[rows]), y[rows], ws, b, 1e-6, max_iter, exclude=exclude)[0]
    return _newton(X, y, w, b, tol, max_iter, exclude=exclude)


def fit_logit(X: np.ndarray, y: np.ndarray, names: list[str], weights: np.ndarray | None = None,
              clusters=None, tol: float = 1e-10, max_iter: int = 50, start: np.ndarray | None = None,
              exclude=(), newton: tuple | None = None) -> Fit:
    """Maximum-likelihood logit by Newton-Raphson; cluster-robust covariance when `clusters` is given.

    Weights (survey weights) are rescaled to mean 1, which leaves estimates and sandwich unchanged but keeps
    the log-likelihood on the scale of the sample. Collinear columns get NaN coefficients. `start`: see
    `newton_fit` (the score bootstrap starts its restricted fit from the unrestricted estimates). `exclude`:
    columns left out of the model (NaN coefficients), e.g. the score bootstrap's restricted fit, without copying X.
    `newton`: what `newton_fit` returned for these X, y and weights, when the caller needed it too (the
    random-intercept fit starts from it), so that the iterations are not run twice.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, k_all = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64) / np.mean(weights)
    if newton is None:
        newton = newton_fit(X, y, w, tol, max_iter, start, exclude)
    b, eta, hess, ll_old, converged, it, keep = newton
    p = special.expit(eta)
    # the information at the start of the last Newton step, whose step was negligible (below 1e-8, or a change in
    # the log-likelihood under tol): the information at b to about 1e-6 relative
    hess_inv = invert_information(hess)
    if clusters is None:
        vc = hess_inv
        n_groups = 0
    else:
        codes, n_groups = cluster_codes(clusters)
        # scores summed by cluster column by column (no n x K score matrix in memory)
        resid = w * (y - p)
        sums = np.column_stack([np.bincount(codes, weights=X[:, j] * resid, minlength=n_groups) for j in keep])
        vc = cluster_sandwich(hess_inv, sums, n_groups, n)
    params = np.full(k_all, np.nan)
    params[keep] = b[keep]
    vcov = np.full((k_all, k_all), np.nan)
    vcov[np.ix_(keep, keep)] = vc
    mark_separated(params, vcov)
    return Fit(list(names), params, vcov, n, n_groups, ll_old, converged, it)
