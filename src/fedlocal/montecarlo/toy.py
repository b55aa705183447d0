"""Worlds whose answers are known, for the engine's tests and benchmark (and as examples of ``replicate``).

``normal_means``: for every (policy, group) of ``world.truth``, ``n`` draws from N(truth, sigma); two
estimators of the mean: ``known_se`` (the sample mean with its exact standard error sigma/sqrt(n):
a 95% interval covers 95% of the time) and ``half_se`` (the same mean with half that standard error:
covers P(|Z| < 0.98) = 67.3%, rejects too often; a broken estimator the summary must flag).

``logit``: one logistic regression fitted by Newton's method in numpy on ``rows`` x ``k`` simulated
data, about 1 s at 200,000 x 10 with one BLAS thread: a CPU-bound replication for the benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fedlocal.montecarlo.engine import World


def normal_means(world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(world.params.get("n", 50))
    sigma = float(world.params.get("sigma", 1.0))
    rows = []
    for (policy, group), mu in sorted(world.truth.items()):
        mean = rng.normal(mu, sigma, n).mean()
        se = sigma / np.sqrt(n)
        rows.append((policy, group, "known_se", mean, se))
        rows.append((policy, group, "half_se", mean, se / 2))
    return pd.DataFrame(rows, columns=["policy", "group", "estimator", "estimate", "se"])


def logit(world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, k = int(world.params.get("rows", 200_000)), int(world.params.get("k", 10))
    beta = float(world.params.get("beta", 0.2))
    x = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))])
    coef = np.zeros(k)
    coef[0], coef[1] = -2.0, beta
    y = (rng.random(n) < 1 / (1 + np.exp(-x @ coef))).astype(float)
    b = np.zeros(k)
    for _ in range(int(world.params.get("iterations", 8))):
        p = 1 / (1 + np.exp(-x @ b))
        w = p * (1 - p)
        info = x.T @ (x * w[:, None])
        b = b + np.linalg.solve(info, x.T @ (y - p))
    p = 1 / (1 + np.exp(-x @ b))
    cov = np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None]))
    return pd.DataFrame({"policy": ["x1"], "group": ["all"], "estimator": ["newton"],
                         "estimate": [b[1]], "se": [np.sqrt(cov[1, 1])]})


def fails_at(world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
    """``normal_means``, except that the replications listed in ``world.params["fail_at"]`` raise."""
    if seed.spawn_key[-1] in world.params.get("fail_at", ()):
        raise RuntimeError(f"replication {seed.spawn_key[-1]} of {world.name} failed on purpose")
    return normal_means(world, seed)


def panel_logit(world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
    """A tiny version of the paper's design, small enough for a Monte Carlo inside the test suite.

    ``counties`` x ``persons`` persons (per county) interviewed ``periods`` times; half the counties adopt
    a policy at a random period after the first, the others never. Victimization is logistic with a
    person intercept (SD ``person_sd``), a county intercept (``county_sd``), a common trend and the
    planted log odds ratio ``world.truth[("policy", "all")]``. Fitted with the project's own estimators:
    the between-within logit (``models.logit.fit_logit``, person-mean and within parts of the exposure,
    period effects, SEs clustered by county) and the conditional logit (``fit_conditional_logit``, same
    clustering). Returns one row per estimator.
    """
    from fedlocal.models.clogit import fit_conditional_logit
    from fedlocal.models.logit import fit_logit

    rng = np.random.default_rng(seed)
    p = world.params
    n_c, n_p, n_t = int(p.get("counties", 40)), int(p.get("persons", 25)), int(p.get("periods", 4))
    beta = float(world.truth.get(("policy", "all"), 0.0))
    adopt = np.where(rng.random(n_c) < 0.5, rng.integers(1, n_t, n_c), n_t + 1)
    county = np.repeat(np.arange(n_c), n_p * n_t)
    person = np.repeat(np.arange(n_c * n_p), n_t)
    period = np.tile(np.arange(n_t), n_c * n_p)
    x = (period >= adopt[county]).astype(float)
    eta = (float(p.get("intercept", -1.8)) + 0.1 * period
           + float(p.get("county_sd", 0.3)) * rng.standard_normal(n_c)[county]
           + float(p.get("person_sd", 0.8)) * rng.standard_normal(n_c * n_p)[person] + beta * x)
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta))).astype(float)
    x_mean = np.bincount(person, x)[person] / n_t
    dummies = (period[:, None] == np.arange(1, n_t)[None, :]).astype(float)
    names_t = [f"t{t}" for t in range(1, n_t)]
    hybrid = fit_logit(np.column_stack([np.ones_like(x), x_mean, x - x_mean, dummies]), y,
                       ["const", "x_between", "x_within", *names_t], clusters=county)
    conditional = fit_conditional_logit(np.column_stack([x, dummies]), y, person, ["x", *names_t], county)
    rows = [("hybrid_logit", *hybrid.coef("x_within")), ("conditional_logit", *conditional.coef("x"))]
    return pd.DataFrame([("policy", "all", e, b, s) for e, b, s in rows],
                        columns=["policy", "group", "estimator", "estimate", "se"])


def few_treated_logit(world: World, seed: np.random.SeedSequence) -> pd.DataFrame:
    """``panel_logit``'s world with only ``treated`` of the ``counties`` adopting: the clustered Wald test of
    the within coefficient, the wild cluster score bootstrap (``models.bootstrap``, ``draws`` draws, Webb
    weights by its rule) and, broken on purpose, the same bootstrap with no null imposed (the unrestricted
    fit's cluster scores as the bootstrap distribution of the Wald statistic, like MacKinnon-Webb's WCU,
    which over-rejects with few treated clusters). One row per test; ``p_value`` is the test's."""
    from scipy import special

    from fedlocal.models import bootstrap
    from fedlocal.models.inference import cluster_codes
    from fedlocal.models.logit import fit_logit

    rng = np.random.default_rng(seed)
    p = world.params
    n_c, n_p, n_t = int(p.get("counties", 40)), int(p.get("persons", 25)), int(p.get("periods", 4))
    n_treated, draws = int(p.get("treated", 5)), int(p.get("draws", 199))
    beta = float(world.truth.get(("policy", "all"), 0.0))
    adopt = np.full(n_c, n_t + 1)
    adopt[rng.choice(n_c, n_treated, replace=False)] = rng.integers(1, n_t, n_treated)
    county = np.repeat(np.arange(n_c), n_p * n_t)
    person = np.repeat(np.arange(n_c * n_p), n_t)
    period = np.tile(np.arange(n_t), n_c * n_p)
    x = (period >= adopt[county]).astype(float)
    eta = (float(p.get("intercept", -1.8)) + 0.1 * period
           + float(p.get("county_sd", 0.3)) * rng.standard_normal(n_c)[county]
           + float(p.get("county_trend_sd", 0.0)) * rng.standard_normal(n_c)[county] * period
           + float(p.get("person_sd", 0.8)) * rng.standard_normal(n_c * n_p)[person] + beta * x)
    y = (rng.random(len(eta)) < special.expit(eta)).astype(float)
    x_mean = np.bincount(person, x)[person] / n_t
    dummies = (period[:, None] == np.arange(1, n_t)[None, :]).astype(float)
    X = np.column_stack([np.ones_like(x), x_mean, x - x_mean, dummies])
    names = ["const", "x_between", "x_within", *[f"t{t}" for t in range(1, n_t)]]
    fit = fit_logit(X, y, names, clusters=county)
    est, se = fit.coef("x_within")
    wald_p = float(2 * stats_norm_sf(abs(est / se)))
    boot_seed = int(rng.integers(2 ** 63 - 1))
    boot = bootstrap.score_bootstrap(X, y, names, "x_within", county, draws=draws, seed=boot_seed,
                                     weights_kind="auto", start=fit.params)
    # broken: no null imposed. The unrestricted fit's residuals give the bootstrap scores, the observed
    # statistic is the Wald one (one-step numerator from the restricted scores over the unrestricted spread)
    codes, n_groups = cluster_codes(county)
    fitted = special.expit(X @ np.nan_to_num(fit.params))
    u_unrestricted, _ = bootstrap.partialled_scores(X, y - fitted, fitted * (1 - fitted), 2, codes, n_groups)
    w = bootstrap.draw_weights(boot.weights, draws, n_groups, np.random.default_rng(boot_seed))
    wu = w * u_unrestricted[None, :]
    boot_stats = wu.sum(axis=1) / np.sqrt(np.sum(wu ** 2, axis=1))
    broken_p = float(np.mean(np.abs(boot_stats) >= abs(est / se)))
    rows = [("cluster_wald", wald_p), ("score_bootstrap", boot.p_value), ("score_bootstrap_no_null", broken_p)]
    return pd.DataFrame([("policy", "all", e, est, se, pv, boot.effective_clusters) for e, pv in rows],
                        columns=["policy", "group", "estimator", "estimate", "se", "p_value", "effective_clusters"])


def stats_norm_sf(z: float) -> float:
    """Upper tail of the standard normal (scipy.special, without importing scipy.stats here)."""
    from scipy import special

    return float(special.ndtr(-z))
