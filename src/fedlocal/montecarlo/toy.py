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
