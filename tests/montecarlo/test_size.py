"""A Monte Carlo in the test suite: do the project's estimators keep the size of a 5% test?

One seed can never show that a test over-rejects; 200 replications of a tiny panel world with no effect
can. ``toy.panel_logit`` fits the between-within logit and the conditional logit (the project's own
``fit_logit`` and ``fit_conditional_logit``, SEs clustered by county, 40 counties) on each replication.

The check, per estimator, with the Wilson 95% interval of the rejection rate over the successful fits:
* its upper bound is at least 5% (the rate is consistent with, or above, the nominal size: an
  estimator whose SEs are far too large would fail here), and
* its lower bound is below CEILING = 8% (an estimator that truly rejects more than about 11% of the time
  fails: with 200 replications the lower bound of 22/200 is 7.2%, of 25/200 8.6%).
A broken estimator (the same estimates with half their standard error) must fail the second check, so
the check itself is shown able to fail.
"""

import numpy as np
import pytest

from fedlocal.montecarlo import engine, summary, toy

REPLICATIONS = 200
CEILING = 0.08


@pytest.fixture(scope="module")
def null_results(tmp_path_factory):
    world = engine.World("tiny-null", {"counties": 40, "persons": 25, "periods": 4}, {("policy", "all"): 0.0})
    run = engine.run(toy.panel_logit, [world], REPLICATIONS, tmp_path_factory.mktemp("size"), log=None)
    return run.results, world


def _size(results, world):
    return summary.summarize(results, [world]).set_index("estimator")


@pytest.mark.parametrize("estimator", ["hybrid_logit", "conditional_logit"])
def test_estimator_keeps_the_size_of_a_5pct_test(null_results, estimator):
    results, world = null_results
    row = _size(results, world).loc[estimator]
    assert row["n_fits"] >= 0.95 * REPLICATIONS, f"{estimator}: {row['n_failed']} failed fits"
    assert row["rejection_high"] >= 0.05, f"{estimator} rejects too rarely: {row['rejection_rate']:.3f}"
    assert row["rejection_low"] < CEILING, (f"{estimator} over-rejects: {row['rejection_rate']:.3f} "
                                            f"({row['rejection_low']:.3f}-{row['rejection_high']:.3f})")
    assert row["test"] == "size"


def test_an_estimator_with_too_small_standard_errors_fails_the_check(null_results):
    results, world = null_results
    broken = results.assign(se=results["se"] / 2)
    row = _size(broken, world).loc["hybrid_logit"]
    assert row["rejection_low"] >= CEILING
    assert np.isfinite(row["rejection_rate"])
