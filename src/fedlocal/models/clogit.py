"""Person fixed-effects (conditional) logit: the consistent within-person estimator.

Conditioning on the number of victimizations each person reports removes the person intercept, so
anything stable about a person (and the county they live in) cannot confound the estimate. Only
persons whose outcome varies across interviews carry information; within a person with T interviews
and k victimized ones, the likelihood is a choice among the C(T, k) subsets of interviews. NCVS
persons have at most 7 interviews, so the subsets are enumerated exactly (at most 35 per person) and
the fit is a vectorized Newton iteration. Checked against statsmodels' ConditionalLogit in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import special

from fedlocal.models.inference import Fit, cluster_codes, invert_information, mark_separated, sandwich
from fedlocal.models.logit import independent_columns, solve_step


@dataclass
class Informative:
    """Which persons carry information, and how many there were before each filter."""

    keep_rows: np.ndarray
    persons_total: int
    persons_outcome_varies: int
    persons_kept: int
    interviews_kept: int


def informative_rows(y: np.ndarray, person: np.ndarray, exposure: np.ndarray | None) -> Informative:
    """Keep persons whose outcome varies and (when `exposure` is given) at least one exposure column varies."""
    codes, n_p = cluster_codes(person)
    cnt = np.bincount(codes, minlength=n_p)
    s = np.bincount(codes, weights=y, minlength=n_p)
    y_var = (s > 0) & (s < cnt)
    keep_p = y_var.copy()
    if exposure is not None:
        exposure = np.asarray(exposure, dtype=float).reshape(len(y), -1)
        any_var = np.zeros(n_p, dtype=bool)
        for j in range(exposure.shape[1]):
            x = exposure[:, j]
            lo = np.full(n_p, np.inf)
            hi = np.full(n_p, -np.inf)
            np.minimum.at(lo, codes, x)
            np.maximum.at(hi, codes, x)
            any_var |= hi > lo
        keep_p &= any_var
    rows = keep_p[codes]
    return Informative(rows, n_p, int(y_var.sum()), int(keep_p.sum()), int(rows.sum()))


def _patterns(X: np.ndarray, y: np.ndarray, codes: np.ndarray):
    """Group persons by (T, k); for each pattern the subset sums Z (g, S, p), the observed sum and row owner."""
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, len(c)])
    ks = np.add.reduceat(y[order], starts).astype(int)
    out = []
    for T in np.unique(sizes):
        for k in np.unique(ks[sizes == T]):
            sel = np.flatnonzero((sizes == T) & (ks == k))
            rows = order[starts[sel][:, None] + np.arange(T)[None, :]]  # (g, T)
            Xg = X[rows]  # (g, T, p)
            M = np.zeros((len(list(combinations(range(T), k))), T))
            for s, sub in enumerate(combinations(range(T), k)):
                M[s, list(sub)] = 1.0
            Z = np.einsum("st,gtp->gsp", M, Xg)
            z_obs = np.einsum("gt,gtp->gp", y[rows], Xg)
            out.append((Z, z_obs, c[starts[sel]]))
    return out


def fit_conditional_logit(X: np.ndarray, y: np.ndarray, person, names: list[str], clusters=None,
                          max_iter: int = 50) -> Fit:
    """Conditional logit by Newton; persons without outcome variation are ignored (they add nothing).

    `clusters` (e.g. county of each row; constant within person) gives cluster-robust standard errors from
    the per-person scores; otherwise the inverse information. `nobs` counts the interviews of persons used.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    codes, _ = cluster_codes(person)
    info = informative_rows(y, codes, None)
    X, y = X[info.keep_rows], y[info.keep_rows]
    codes, _ = cluster_codes(codes[info.keep_rows])
    clus = None if clusters is None else np.asarray(clusters)[info.keep_rows]
    # drop columns that do not vary within person (they are absorbed) and collinear ones
    means = np.zeros((codes.max() + 1, X.shape[1]))
    np.add.at(means, codes, X)
    means /= np.bincount(codes)[:, None]
    Xw = X - means[codes]
    keep = independent_columns(Xw.T @ Xw)
    pats = _patterns(X[:, keep], y, codes)
    k = len(keep)
    b = np.zeros(k)
    converged = False

    def evaluate(beta):
        ll, grad, hess = 0.0, np.zeros(k), np.zeros((k, k))
        for Z, z_obs, _ in pats:
            u = Z @ beta
            lse = special.logsumexp(u, axis=1)
            P = np.exp(u - lse[:, None])
            zbar = np.einsum("gs,gsp->gp", P, Z)
            ll += float(np.sum(z_obs @ beta - lse))
            grad += (z_obs - zbar).sum(0)
            hess += np.einsum("gs,gsp,gsq->pq", P, Z, Z) - zbar.T @ zbar
        return ll, grad, hess

    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the number of steps taken is returned)
        ll, grad, hess = evaluate(b)
        step = solve_step(hess, grad)
        t = 1.0
        while evaluate(b + t * step)[0] < ll - 1e-9 and t > 1e-6:
            t /= 2
        b = b + t * step
        if np.max(np.abs(t * step)) < 1e-9:
            converged = True
            break
    ll, grad, hess = evaluate(b)
    hess_inv = invert_information(hess)
    n_groups = 0
    if clus is None:
        vc = hess_inv
    else:
        # per-person scores, then summed by cluster
        person_scores, person_ids = [], []
        for Z, z_obs, ids in pats:
            u = Z @ b
            P = special.softmax(u, axis=1)
            person_scores.append(z_obs - np.einsum("gs,gsp->gp", P, Z))
            person_ids.append(ids)
        scores = np.vstack(person_scores)
        ids = np.concatenate(person_ids)
        first = np.zeros(codes.max() + 1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        ccodes, n_groups = cluster_codes(clus[first[ids]])
        vc = sandwich(hess_inv, scores, ccodes, n_groups, len(ids))
    params = np.full(X.shape[1], np.nan)
    params[keep] = b
    vcov = np.full((X.shape[1],) * 2, np.nan)
    vcov[np.ix_(keep, keep)] = vc
    mark_separated(params, vcov)
    return Fit(list(names), params, vcov, int(len(y)), n_groups, ll, converged, it)
