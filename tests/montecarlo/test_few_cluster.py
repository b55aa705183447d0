"""Few-cluster inference in the Monte Carlo: a size check that can fail, the size summary, the default rule.

A tiny panel world (``toy.few_treated_logit``: 40 counties, 4 of them adopting, nothing planted) replicated
600 times. With 600 replications the Wilson 95% interval of a 5% rejection rate is about 3.5%-7%, so a test
whose true size is 10% or more is caught, and one of 5% passes. The score bootstrap must not over-reject;
its copy with no null imposed (broken on purpose) and the clustered Wald test must, in the same replications.
"""

import numpy as np
import pandas as pd
import pytest

from fedlocal.montecarlo import engine, replicate, summary, toy

REPLICATIONS = 600


@pytest.fixture(scope="module")
def few_treated(tmp_path_factory):
    world = engine.World("few-treated", {"counties": 40, "persons": 25, "periods": 4, "treated": 4, "draws": 199},
                         {("policy", "all"): 0.0})
    run = engine.run(toy.few_treated_logit, [world], REPLICATIONS, tmp_path_factory.mktemp("few"), log=None)
    return summary.summarize(run.results, [world]).set_index("estimator")


def test_the_score_bootstrap_keeps_its_size_with_four_treated_counties(few_treated):
    row = few_treated.loc["score_bootstrap"]
    assert row["n_fits"] == REPLICATIONS
    assert row["rejection_low"] < 0.05 and row["rejection_high"] < 0.10, row[["rejection_rate", "rejection_high"]]


@pytest.mark.parametrize("broken", ["score_bootstrap_no_null", "cluster_wald"])
def test_the_bootstrap_without_the_null_and_the_clustered_wald_test_over_reject(few_treated, broken):
    row = few_treated.loc[broken]
    assert row["rejection_low"] > 0.10, row[["rejection_rate", "rejection_low"]]


def _null_rows(rejections: dict, n: int) -> pd.DataFrame:
    """Null-world rows of the size study with a given number of rejections per (estimator, policy, group)."""
    rows = []
    for (estimator, policy, group), k in rejections.items():
        p = np.r_[np.full(k, 0.01), np.full(n - k, 0.5)]
        rows.append(pd.DataFrame({"world": "null", "replication": np.arange(n), "policy": policy, "group": group,
                                  "estimator": estimator, "estimate": 0.1, "se": 0.2, "p_value": p,
                                  "effective_clusters": 3.0, "treated_counties": 8}))
    return pd.concat(rows, ignore_index=True)


def test_few_cluster_size_and_its_wilson_interval_by_hand():
    results = _null_rows({("hybrid_logit", "jem", "latino"): 30, ("hybrid_logit_score_bootstrap", "jem", "latino"): 12},
                         200)
    size = summary.few_cluster_size(results).set_index("method")
    # Wilson interval for 30/200 by hand: centre (p + z^2/2n) / (1 + z^2/n), half z sqrt(p q / n + z^2/4n^2) / (1 + z^2/n)
    z, n, p = 1.959963984540054, 200, 0.15
    centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / (1 + z ** 2 / n)
    assert size.loc["cluster", "size"] == pytest.approx(0.15)
    assert size.loc["cluster", "size_low"] == pytest.approx(centre - half, abs=1e-12)
    assert size.loc["cluster", "size_high"] == pytest.approx(centre + half, abs=1e-12)
    assert size.loc["cluster", "size_low"] == pytest.approx(0.1071, abs=1e-4)  # the textbook value
    assert size.loc["score_bootstrap", "size"] == pytest.approx(0.06)
    assert size.loc["score_bootstrap", "treated_counties"] == 8


def test_the_default_rule_prefers_the_test_that_does_not_over_reject():
    results = _null_rows({("hybrid_logit", "jem", "latino"): 30, ("hybrid_logit_score_bootstrap", "jem", "latino"): 12,
                          ("hybrid_logit", "sc", "latino"): 10, ("hybrid_logit_score_bootstrap", "sc", "latino"): 9},
                         200)
    chosen, table = summary.choose_inference(summary.few_cluster_size(results))
    assert chosen == "score_bootstrap"
    assert table.set_index("method").loc["cluster", "cells_over"] == 1
    # neither over-rejects: the one closer to 5% on average (here the clustered test)
    results = _null_rows({("hybrid_logit", "jem", "latino"): 10, ("hybrid_logit_score_bootstrap", "jem", "latino"): 3},
                         200)
    assert summary.choose_inference(summary.few_cluster_size(results))[0] == "cluster"


def test_the_default_study_keeps_its_configuration_and_the_size_study_has_its_own():
    counties = pd.DataFrame({"fips": ["01001"], "year": [2005]})
    spells = pd.DataFrame({"fips": ["01001"], "program": ["sc"]})
    default = replicate.study_config(counties, spells)
    assert set(default) == {"estimators", "inputs", "simulation"}  # the committed canonical study's hash inputs
    assert default["estimators"] == ["hybrid_logit", "conditional_logit"]
    few = replicate.study_config(counties, spells, replicate.FEW_CLUSTER_ESTIMATORS, 399)
    assert few["bootstrap_draws"] == 399 and few["estimators"] != default["estimators"]
