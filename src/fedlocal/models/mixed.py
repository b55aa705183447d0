"""Random-intercept logit (a person intercept) by maximum likelihood with adaptive Gauss-Hermite quadrature.

    logit P(y_ij = 1 | u_i) = x_ij'b + sigma * u_i,   u_i ~ N(0, 1) independently over persons i

The marginal likelihood of each person is a one-dimensional integral over u_i. Adaptive quadrature
(Pinheiro and Bates 1995; lme4's `nAGQ`) centres Q Gauss-Hermite nodes on the person's conditional mode
and scales them by the curvature there; Q = 1 is the Laplace approximation. Everything is vectorised over
persons with numpy: the modes by Newton steps (warm-started from the previous evaluation), then Q passes over
the rows. The gradient is analytic, including how the modes and curvatures move with the parameters, so
that it is the exact gradient of the approximated likelihood (Laplace included, which lme4 maximises);
scipy's L-BFGS-B does the maximisation in coordinates whitened by the pooled logit's covariance, so it
needs few iterations. Standard errors: model-based from a finite-difference Hessian of the analytic
gradient (forward differences), and CR1 cluster-robust (by county) from the per-person scores summed by cluster.

Why own code. statsmodels' BinomialBayesMixedGLM is variational Bayes (a posterior approximation, not
maximum likelihood; it also failed to converge at 100k rows here, see DESIGN.md) and statsmodels has no
ML GLMM by quadrature. The PyPI packages that advertise an lme4-style glmer with adaptive quadrature
(mixedlm, glmm) are young compiled (Rust) builds; they were not tried, because each would add a compiled
dependency to the lock for one robustness table, and a county-clustered sandwich would have to be built on
their output anyway. The estimator here is short and is validated directly against lme4's own published
fits of the cbpp data (Laplace and nAGQ = 25; tests/models/test_mixed.py).

Two levels (persons within counties) are not offered: the county integral wraps every person's integral,
so a nested fit needs Q_county x Q_person row passes and modes that move jointly within a county -- about
Q_county times the person-level cost, which is already far above the pooled fit's at 1 M rows
(benchmarks/mixed.py). County-level dependence is handled as in the pooled model: county covariates (split
into between and within parts) and county-clustered standard errors.
Survey weights are not used (the weighted multilevel pseudo-likelihood needs weights at each level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special

from fedlocal import FedlocalError
from fedlocal.models.inference import Fit, cluster_sandwich, invert_information, mark_separated
from fedlocal.models.logit import newton_fit

LOG_SD_BOUNDS = (np.log(1e-4), np.log(50.0))  # sigma at the lower bound: no person variation detectable
MODE_TOL = 1e-10
MAX_MODE_STEP = 3.0  # Newton steps for a person's mode capped (in SD units) so that a far start cannot overshoot


@dataclass
class RandomInterceptFit(Fit):
    """Fixed effects (`params`, `vcov`: cluster-robust when clusters were given) plus the intercept's SD."""

    sd: float  # SD of the person intercept on the log-odds scale
    sd_se: float  # model-based (delta method from log sd)
    vcov_model: np.ndarray  # model-based covariance of the fixed effects
    n_quad: int
    persons: int
    evaluations: int


class _Problem:
    """Data, quadrature rule and the warm-started modes shared by the evaluations of one fit."""

    def __init__(self, X, y, person_codes, n_persons, n_quad):
        self.X, self.y, self.codes, self.P = X, y, person_codes, n_persons
        z, w = np.polynomial.hermite.hermgauss(n_quad)
        self.z = z
        self.log_w = np.log(w) + z ** 2  # weights for integrating exp(-z^2) * (integrand * exp(z^2))
        self.modes = np.zeros(n_persons)
        self.evaluations = 0

    def _sum(self, values):
        return np.bincount(self.codes, weights=values, minlength=self.P)

    def _mode(self, eta, sigma):
        """Each person's mode of log f(y_i | u) + log phi(u) by Newton steps, with p, sum p(1-p), curvature there."""
        u = self.modes.copy()
        for _ in range(100):
            p = special.expit(eta + sigma * u[self.codes])
            W = self._sum(p * (1 - p))
            H = sigma ** 2 * W + 1.0
            step = np.clip((sigma * self._sum(self.y - p) - u) / H, -MAX_MODE_STEP, MAX_MODE_STEP)
            u += step
            if np.max(np.abs(step)) < MODE_TOL:
                break
        p = special.expit(eta + sigma * u[self.codes])
        pw = p * (1 - p)
        W = self._sum(pw)
        self.modes = u
        return u, p, pw, W, sigma ** 2 * W + 1.0

    def evaluate(self, beta, log_sd, gradient=True):
        """Log-likelihood (AGHQ), its gradient in (beta, log sd), and the per-person scores' pieces."""
        self.evaluations += 1
        sigma = float(np.exp(log_sd))
        X, y, codes = self.X, self.y, self.codes
        eta = X @ beta
        u, p, pw, W, H = self._mode(eta, sigma)
        s = H ** -0.5
        Q = len(self.z)
        log_terms = np.empty((Q, self.P))
        p_nodes = []
        u_nodes = []
        for k in range(Q):
            uk = u + np.sqrt(2.0) * s * self.z[k]
            ek = eta + sigma * uk[codes]
            log_terms[k] = self.log_w[k] + self._sum(y * ek - np.logaddexp(0.0, ek)) - uk ** 2 / 2
            if gradient:
                p_nodes.append(special.expit(ek))
                u_nodes.append(uk)
        norm = special.logsumexp(log_terms, axis=0)
        person_ll = norm + np.log(np.sqrt(2.0) * s) - 0.5 * np.log(2 * np.pi)
        ll = float(person_ll.sum())
        if not gradient:
            return ll, None, None, None
        pi = np.exp(log_terms - norm)  # Q x P posterior weights of the nodes
        # d/d theta of the nodes u_k = u_hat + sqrt(2) s z_k, by implicit differentiation of the mode equation
        A = np.zeros(self.P)
        B = np.zeros(self.P)
        r = np.zeros(len(y))
        t = np.zeros(self.P)
        for k in range(Q):
            resid = y - p_nodes[k]
            S = self._sum(resid)
            g1 = sigma * S - u_nodes[k]  # d/du of the integrand's log at the node
            A += pi[k] * g1
            B += pi[k] * g1 * np.sqrt(2.0) * self.z[k]
            r += pi[k][codes] * resid
            t += pi[k] * sigma * u_nodes[k] * S
        C = -0.5 / H - 0.5 * B * s / H
        D = sigma ** 3 * self._sum(pw * (1 - 2 * p))
        r += (C[codes] * sigma ** 2 * (1 - 2 * p) - ((A + C * D) / H)[codes] * sigma) * pw
        du_dtau = u * (1 - sigma ** 2 * W) / H
        dH_dtau = 2 * sigma ** 2 * W + D * (u + du_dtau)
        t += A * du_dtau + C * dH_dtau
        grad = np.append(X.T @ r, t.sum())
        return ll, grad, r, t


def pooled_start(X: np.ndarray, y: np.ndarray, newton: tuple | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled logit's estimable columns, coefficients and inverse information, none masked.

    fit_logit reports a coefficient running off to infinity as missing, but it stays in the model; the
    random-intercept fit needs the same columns with their actual values to start from. `newton`: the
    unweighted `newton_fit` of X and y when the caller already has it.
    """
    b, _, hess, _, _, _, keep = newton_fit(X, y, np.ones(len(y))) if newton is None else newton
    return keep, b[keep], invert_information(hess)


def fit_random_intercept(X: np.ndarray, y: np.ndarray, person, names: list[str], clusters=None,
                         n_quad: int = 9, max_iter: int = 500, pooled: tuple | None = None,
                         overwrite_X: bool = False) -> RandomInterceptFit:
    """Maximum-likelihood random-intercept logit by adaptive Gauss-Hermite quadrature with `n_quad` nodes.

    `person` labels the rows' persons (the random intercept's groups); `clusters` (row labels, e.g. county,
    constant within person: each person's first row counts) adds the CR1 sandwich. The pooled logit on the
    same X gives the starting values, the whitening and which columns are estimable (exactly collinear
    ones get NaN, as in fit_logit). Coefficients are conditional (person-specific) log-odds. `pooled`: the
    unweighted `logit.newton_fit` of X and y, when the caller has fitted the pooled model already.
    `overwrite_X`: X (column-major) is not needed afterwards, so the estimable columns are moved to its front
    in place rather than copied when some are dropped (a second matrix of X's size at the paper's scale).
    """
    if n_quad < 1:
        raise FedlocalError(f"random-intercept model: n_quad = {n_quad}; use at least 1 node (1 = Laplace).")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, k_all = X.shape
    codes, persons = pd.factorize(np.asarray(person))
    P = len(persons)
    keep, b0, V = pooled_start(X, y, pooled)
    if len(keep) == k_all:
        Xk = X
    elif overwrite_X and X.flags.f_contiguous:
        for i, j in enumerate(keep):  # keep is increasing, so column j >= i is read before it is overwritten
            if i != j:
                X[:, i] = X[:, j]
        Xk = X[:, :len(keep)]
    else:
        Xk = np.asfortranarray(X[:, keep])
    prob = _Problem(Xk, y, codes, P, n_quad)
    # whiten with the pooled covariance: theta = theta0 + T gamma; the random-intercept coefficients are larger
    # (conditional, not marginal) but their covariance has nearly the pooled shape
    try:
        T = linalg.block_diag(linalg.cholesky(V + 1e-12 * np.eye(len(keep)) * np.mean(np.diag(V)), lower=True), 1.0)
    except (linalg.LinAlgError, ValueError):  # not positive definite or not finite: unwhitened (slower, same optimum)
        T = np.eye(len(keep) + 1)
    theta0 = np.append(b0, np.log(0.5))

    def fun(gamma):
        theta = theta0 + T @ gamma
        ll, grad, _, _ = prob.evaluate(theta[:-1], theta[-1])
        return -ll, -(T.T @ grad)

    lo, hi = LOG_SD_BOUNDS
    off = np.log(0.5)
    bounds = [(None, None)] * len(keep) + [(lo - off, hi - off)]
    res = optimize.minimize(fun, np.zeros(len(keep) + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": max_iter, "gtol": 1e-5, "ftol": 1e-15, "maxcor": 20})
    theta = theta0 + T @ res.x
    ll, grad, r, t = prob.evaluate(theta[:-1], theta[-1])
    # Hessian by forward differences of the analytic gradient in the whitened coordinates (steps of 1e-4 SE;
    # central differences would double the cost, the dominant one at scale, for digits the SEs do not need)
    m = len(theta)
    hess = np.empty((m, m))
    h = 1e-4
    for j in range(m):
        e = T[:, j] * h
        hess[:, j] = -(T.T @ (prob.evaluate((theta + e)[:-1], (theta + e)[-1])[1] - grad)) / h
    hess = (hess + hess.T) / 2
    cov_gamma = invert_information(hess)
    cov_model = T @ cov_gamma @ T.T
    prob.evaluate(theta[:-1], theta[-1])  # leave the modes at the optimum
    vcov = cov_model
    n_clusters = 0
    if clusters is not None:
        cl_codes, cl_labels = pd.factorize(np.asarray(clusters))
        n_clusters = len(cl_labels)
        first = np.zeros(P, dtype=np.int64)
        first[codes[::-1]] = np.arange(n)[::-1]  # each person's first row
        person_cluster = cl_codes[first]
        sums = np.column_stack([np.bincount(person_cluster, weights=np.bincount(codes, weights=Xk[:, j] * r,
                                                                                   minlength=P),
                                            minlength=n_clusters) for j in range(Xk.shape[1])]
                               + [np.bincount(person_cluster, weights=t, minlength=n_clusters)])
        vcov = cluster_sandwich(cov_model, sums, n_clusters, n)
    params = np.full(k_all, np.nan)
    params[keep] = theta[:-1]
    out_v = np.full((k_all, k_all), np.nan)
    out_v[np.ix_(keep, keep)] = vcov[:-1, :-1]
    out_m = np.full((k_all, k_all), np.nan)
    out_m[np.ix_(keep, keep)] = cov_model[:-1, :-1]
    mark_separated(params, out_v)
    sd = float(np.exp(theta[-1]))
    return RandomInterceptFit(list(names), params, out_v, n, n_clusters, ll, bool(res.success), int(res.nit),
                              sd=sd, sd_se=sd * float(np.sqrt(cov_model[-1, -1])), vcov_model=out_m,
                              n_quad=n_quad, persons=P, evaluations=prob.evaluations)
