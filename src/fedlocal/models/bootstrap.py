"""Few-cluster inference for the logit models: the wild cluster score bootstrap and the effective number of clusters.

Why: with few treated counties the clustered (CR1) standard error of a policy coefficient rests on a handful
of clusters and is biased down; Wald tests then over-reject. The score bootstrap of Kline & Santos (2012)
needs only the model fitted under the null (the policy coefficient set to zero) and perturbs the clusters'
score contributions with random signs, so it costs one fit plus cheap matrix products per draw. The
`wildboottest` package and pyfixest's wild bootstrap cover linear models only, hence this code; on a linear
model the score statistic's numerator is the wild restricted (WCR) bootstrap's, which the tests check.

The effective number of clusters (Carter, Schnepel & Steigerwald 2017) says how many equal-sized clusters the
estimate is worth: G* = G / (1 + Γ), Γ the squared coefficient of variation of the clusters' contributions
γ_g to the coefficient's variance (here under perfect within-cluster correlation, the conservative case).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, special

from fedlocal import FedlocalError
from fedlocal.models.inference import cluster_codes
from fedlocal.models.logit import _gram, fit_logit, independent_columns

WEIGHT_KINDS = ("rademacher", "webb")
# Webb's six-point weights when this few clusters or fewer carry the tested column's variation (the treated
# counties): Rademacher signs on G clusters give only 2^(G-1) distinct absolute statistics, too coarse a
# grid for a 999-draw p-value below about 12 (Webb 2013; MacKinnon & Webb 2017 use the same threshold).
WEBB_MAX_TREATED = 12
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass
class ScoreBootstrap:
    """Score bootstrap of H0: coefficient `name` = 0; `p_value` is the share of draws at least as extreme."""

    name: str
    statistic: float
    p_value: float
    draws: int
    clusters: int
    effective_clusters: float
    treated_clusters: int = 0
    weights: str = "rademacher"


def weights_rule(treated: int) -> str:
    """The bootstrap weights for a coefficient whose variation lies in `treated` clusters (WEBB_MAX_TREATED)."""
    return "webb" if treated <= WEBB_MAX_TREATED else "rademacher"


def treated_clusters(column: np.ndarray, codes: np.ndarray, n_groups: int) -> int:
    """Clusters in which the column is not identically zero (for a within-person policy column: the counties
    where some person's exposure changes, i.e. the treated counties that identify the coefficient)."""
    return int(np.count_nonzero(np.bincount(codes, weights=np.abs(column), minlength=n_groups) > 0))


def draw_weights(kind: str, draws: int, n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster weights (draws x G): Rademacher signs, or Webb's six-point weights (better with under ~12 clusters)."""
    if kind not in WEIGHT_KINDS:
        raise FedlocalError(f"bootstrap weights {kind!r}: expected one of {', '.join(WEIGHT_KINDS)}.")
    if kind == "rademacher":
        return rng.integers(0, 2, size=(draws, n_groups)) * 2.0 - 1.0
    return _WEBB[rng.integers(0, 6, size=(draws, n_groups))]


def effective_clusters(contrib: np.ndarray) -> float:
    """Carter-Schnepel-Steigerwald G* from the clusters' variance contributions γ_g (non-negative)."""
    g = len(contrib)
    mean = contrib.mean()
    if g == 0 or mean <= 0:
        return float("nan")
    gamma = np.mean(((contrib - mean) / mean) ** 2)
    return float(g / (1 + gamma))


def partialled_scores(X: np.ndarray, resid: np.ndarray, var: np.ndarray, j: int, codes: np.ndarray,
                      n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster score for column j net of the other columns, and each cluster's variance contribution.

    `resid` = y - fitted under the null, `var` the model variance per row (p(1-p) for a logit, 1 for OLS).
    With H = X' diag(var) X, the contribution of cluster g is (H^-1 X_g' resid_g)_j: the one-step change in
    coefficient j that cluster g's scores produce. γ_g = (Σ_{i in g} (H^-1 x_i)_j sqrt(var_i))^2.
    H is formed once, in row blocks, and X is used in place: copies of X (the estimable columns, X scaled by
    var) were three more matrices of X's size at a million rows.
    """
    info = _gram(X, var)
    keep = independent_columns(info)
    if j not in keep:
        raise FedlocalError(f"column {j} is collinear with the others: nothing to test.")
    row = np.zeros(X.shape[1])
    row[keep] = linalg.solve(info[np.ix_(keep, keep)], np.eye(len(keep))[:, list(keep).index(j)],
                             assume_a="pos")  # row j of H^-1 (0 for collinear columns)
    a = X @ row  # (H^-1 x_i)_j for every row
    u = np.bincount(codes, weights=a * resid, minlength=n_groups)
    gamma = np.bincount(codes, weights=a * np.sqrt(var), minlength=n_groups) ** 2
    return u, gamma


def bootstrap_p(u: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Studentized score statistic and its bootstrap p-value (symmetric, two-sided) from cluster scores u."""
    stat = u.sum() / np.sqrt(np.sum(u ** 2))
    wu = weights * u[None, :]
    boot = wu.sum(axis=1) / np.sqrt(np.sum(wu ** 2, axis=1))
    return float(stat), float(np.mean(np.abs(boot) >= abs(stat) - 1e-12))


def score_bootstrap(X: np.ndarray, y: np.ndarray, names: list[str], name: str, clusters, draws: int = 999,
                    seed: int = 0, weights_kind: str = "rademacher", link: str = "logit",
                    start: np.ndarray | None = None) -> ScoreBootstrap:
    """Wild cluster score bootstrap (Kline-Santos) of H0: coefficient `name` = 0, for a logit or a linear model.

    `weights_kind` "auto" picks by `weights_rule` from the treated clusters. `start`: the unrestricted
    estimates (all columns); the restricted logit then starts from them less column `name`, which saves the
    subsample warm start (about a third of a fit at a million rows). The restricted logit is fitted on X with
    column `name` held at 0, not on a copy of X without it.
    """
    if name not in names:
        raise FedlocalError(f"score bootstrap: no column {name!r} in the design.")
    j = names.index(name)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rest = [k for k in range(X.shape[1]) if k != j]
    codes, n_groups = cluster_codes(clusters)
    treated = treated_clusters(X[:, j], codes, n_groups)
    if weights_kind == "auto":
        weights_kind = weights_rule(treated)
    if link == "logit":
        fit0 = fit_logit(X, y, names, start=None if start is None else np.asarray(start, dtype=np.float64),
                         exclude=[j])
        b0 = np.nan_to_num(fit0.params)  # 0 for column j
        p0 = special.expit(X @ b0)
        resid, var = y - p0, p0 * (1 - p0)
    elif link == "identity":
        keep = independent_columns(X[:, rest].T @ X[:, rest])
        Xr = X[:, rest][:, keep]
        resid = y - Xr @ linalg.lstsq(Xr, y)[0]
        var = np.ones(len(y))
    else:
        raise FedlocalError(f"score bootstrap link {link!r}: expected 'logit' or 'identity'.")
    u, gamma = partialled_scores(X, resid, var, j, codes, n_groups)
    w = draw_weights(weights_kind, draws, n_groups, np.random.default_rng(seed))
    stat, p = bootstrap_p(u, w)
    return ScoreBootstrap(name, stat, p, draws, n_groups, effective_clusters(gamma), treated, weights_kind)
