"""Inference for the fitted models: the fit object, model-based and cluster-robust (CR1) covariance, tests.

The CR1 sandwich uses the small-sample factor of statsmodels and Stata, G/(G-1) * (N-1)/(N-K); scores
can be summed by cluster before the sandwich, so no n x K score matrix is needed. Coefficients that run
off to infinity (separation) are reported as missing rather than as huge numbers with huge errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats


@dataclass
class Fit:
    """A fitted model: coefficients (NaN for dropped columns) and their covariance, with sample sizes."""

    names: list[str]
    params: np.ndarray
    vcov: np.ndarray
    nobs: int
    n_clusters: int
    loglik: float
    converged: bool
    iterations: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        return self.names.index(name)

    def coef(self, name: str) -> tuple[float, float]:
        i = self.index(name)
        return float(self.params[i]), float(self.se[i])

    def contrast(self, weights: dict[str, float]) -> tuple[float, float]:
        """Estimate and standard error of a linear combination of coefficients (e.g. a group difference)."""
        r = np.zeros(len(self.names))
        for k, v in weights.items():
            r[self.index(k)] = v
        ok = ~np.isnan(self.params)
        if np.any(r[~ok] != 0):
            return float("nan"), float("nan")
        est = float(r[ok] @ self.params[ok])
        var = float(r[ok] @ self.vcov[np.ix_(ok, ok)] @ r[ok])
        return est, float(np.sqrt(var))

    def wald(self, names: list[str]) -> tuple[float, int, float]:
        """Joint Wald test that the named coefficients are all zero: (chi2, df, p)."""
        idx = [self.index(n) for n in names if not np.isnan(self.params[self.index(n)])]
        if not idx:
            return float("nan"), 0, float("nan")
        b = self.params[idx]
        v = self.vcov[np.ix_(idx, idx)]
        chi2 = float(b @ linalg.solve(v, b, assume_a="pos"))
        return chi2, len(idx), float(stats.chi2.sf(chi2, len(idx)))


SEPARATED = 10.0  # |log-odds| beyond this: the likelihood has no finite maximum in that direction


def invert_information(hess: np.ndarray) -> np.ndarray:
    """Model-based covariance (and the sandwich's bread): the inverse information, a pseudo-inverse if singular."""
    try:
        inv = linalg.inv(hess)
    except (linalg.LinAlgError, ValueError):
        inv = linalg.pinvh(hess)
    return (inv + inv.T) / 2


def mark_separated(params: np.ndarray, vcov: np.ndarray) -> None:
    """Coefficients running off to infinity (complete or quasi-complete separation) are reported as NaN."""
    bad = ~np.isfinite(params) | (np.abs(np.nan_to_num(params)) > SEPARATED)
    params[bad] = np.nan
    vcov[bad, :] = np.nan
    vcov[:, bad] = np.nan


def cluster_codes(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for any cluster labels."""
    codes, uniques = pd.factorize(np.asarray(values))  # hash-based: no sort of a million labels
    return codes.astype(np.int64), len(uniques)


def sandwich(bread_inv: np.ndarray, scores: np.ndarray, codes: np.ndarray, n_groups: int, nobs: int) -> np.ndarray:
    """CR1 cluster-robust covariance from per-row (or per-person) scores."""
    sums = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=n_groups) for j in range(scores.shape[1])])
    return cluster_sandwich(bread_inv, sums, n_groups, nobs)


def cluster_sandwich(bread_inv: np.ndarray, sums: np.ndarray, n_groups: int, nobs: int) -> np.ndarray:
    """CR1 covariance from scores summed by cluster: G/(G-1) * (N-1)/(N-K) * B^-1 (S'S) B^-1 (as statsmodels, Stata)."""
    k = sums.shape[1]
    factor = n_groups / (n_groups - 1.0) * (nobs - 1.0) / (nobs - k)
    return factor * bread_inv @ (sums.T @ sums) @ bread_inv
