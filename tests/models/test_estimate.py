"""Known answers on simulated panels: planted odds ratios recovered, group differences detected."""

import numpy as np
import pytest

from fedlocal import FedlocalError
from fedlocal.models import estimate
from fedlocal.models.design import prepare
from fixtures.simulate import simulate


@pytest.fixture(scope="module")
def frame():
    # no person or county heterogeneity: the hybrid within odds ratio is then the planted one exactly
    s = simulate(25_000, 150, {"sc": {"latino": 2.0}, "tfm": {"white": 1.8}}, seed=21)
    return prepare(s.interviews, s.covariates)


def test_hybrid_recovers_planted_odds_ratios(frame):
    est = estimate.hybrid_estimates(frame).set_index(["group", "policy"])
    for (g, p), truth in {("latino", "sc"): 2.0, ("white", "tfm"): 1.8, ("white", "sc"): 1.0, ("black", "sc"): 1.0,
                          ("latino", "jem"): 1.0}.items():
        r = est.loc[(g, p)]
        assert abs(r["estimate"] - np.log(truth)) < 3.5 * r["se"], (g, p, r["odds_ratio"])
    assert est.loc[("latino", "sc"), "p_value"] < 0.001
    assert est.loc[("all", "sc"), "persons"] == frame["person_id"].nunique()


def test_person_clustering_and_weights_run(frame):
    a = estimate.hybrid_estimates(frame, cluster="person", groups=(None,))
    b = estimate.hybrid_estimates(frame, cluster="county", groups=(None,))
    np.testing.assert_allclose(a["estimate"], b["estimate"])
    assert not np.allclose(a["se"], b["se"])
    w = estimate.hybrid_estimates(frame, survey_weights=True, groups=(None,))
    assert w["weighted"].all() and not np.allclose(w["estimate"], b["estimate"])


def test_conditional_logit_recovers_planted_and_reports_persons(frame):
    est = estimate.conditional_estimates(frame, groups=("latino",)).set_index("policy")
    r = est.loc["sc"]
    assert abs(r["estimate"] - np.log(2.0)) < 3.5 * r["se"]
    assert r["persons"] == r["persons_outcome_varies"] < r["persons_total"]


def test_conditional_logit_keeps_persons_whose_exposure_never_changes(frame):
    new = estimate.conditional_estimates(frame, groups=("latino",)).set_index("policy").loc["sc"]
    old = estimate.conditional_estimates(frame, groups=("latino",), sample="exposure_changes").set_index("policy").loc["sc"]
    assert old["persons"] < new["persons"] == new["persons_outcome_varies"]
    assert new["sample"] == "outcome_varies" and old["sample"] == "exposure_changes"
    assert new["se"] <= old["se"] * 1.05  # more persons: the year effects are better pinned down
    with pytest.raises(FedlocalError, match="sample"):
        estimate.conditional_estimates(frame, groups=("latino",), sample="everyone")


def test_group_differences_detect_a_latino_only_effect(frame):
    d = estimate.group_differences(frame).set_index(["policy", "comparison"])
    assert d.loc[("sc", "latino vs white"), "p_value"] < 0.001
    assert d.loc[("sc", "latino vs white"), "or_ratio"] == pytest.approx(2.0, rel=0.35)
    assert d.loc[("sc", "latino = black = white"), "p_value"] < 0.001


def test_random_intercept_beside_pooled_on_the_same_sampled_persons():
    s = simulate(3000, 60, {"tfm": {g: 2.0 for g in ("latino", "black", "white", "other")}}, seed=5, person_sd=1.0)
    frame = prepare(s.interviews, s.covariates)
    assert len(estimate.person_sample(frame, 0, 1)) == len(frame)
    sample = estimate.person_sample(frame, 1200, 1)
    assert sample["person_id"].nunique() == 1200
    assert sample.equals(estimate.person_sample(frame, 1200, 1))  # the seed decides the sample
    est, summary = estimate.random_intercept_comparison(frame, 1200, 5, seed=1, policies=("sc", "tfm"))
    assert set(est["model"]) == {"hybrid_logit", "random_intercept_logit"} and (est["persons"] == 1200).all()
    assert summary["persons"] == 1200 and summary["persons_total"] == frame["person_id"].nunique() > 1200 and summary["n_quad"] == 5
    assert summary["converged"] and 0.3 < summary["sd"] < 2.0
    assert summary["evaluations"] > summary["pooled_iterations"]
    by = est.set_index(["model", "policy"])["estimate"]
    assert by[("random_intercept_logit", "tfm")] != by[("hybrid_logit", "tfm")]


def test_few_cluster_columns_and_the_main_p_value_follow_the_parameter(frame):
    cluster = estimate.hybrid_estimates(frame, groups=(None, "latino"), bootstrap_draws=99, seed=5)
    boot = estimate.hybrid_estimates(frame, groups=(None, "latino"), bootstrap_draws=99, seed=5,
                                     inference="score_bootstrap")
    for column in estimate.FEW_CLUSTER_COLUMNS:
        assert column in cluster and column in boot
    np.testing.assert_array_equal(cluster["p_value"], cluster["p_cluster"])
    np.testing.assert_array_equal(boot["p_value"], boot["p_bootstrap"])
    np.testing.assert_array_equal(cluster["p_bootstrap"], boot["p_bootstrap"])  # seeded per cell from `seed`
    assert not np.allclose(boot["p_value"], cluster["p_value"])
    assert (cluster["inference"] == "cluster").all() and (boot["inference"] == "score_bootstrap").all()
    assert ((cluster["effective_clusters"] > 0) & (cluster["effective_clusters"] <= cluster["counties"])).all()
    assert ((cluster["treated_counties"] > 0) & (cluster["treated_counties"] <= cluster["counties"])).all()
    latino_sc = boot.set_index(["group", "policy"]).loc[("latino", "sc")]
    assert latino_sc["p_bootstrap"] < 0.05  # the planted 2.0 is found by the bootstrap too
    assert "p_bootstrap" not in estimate.hybrid_estimates(frame, groups=(None,))  # without draws: as before
    off = estimate.hybrid_estimates(frame, groups=(None, "latino"), bootstrap_draws=0, inference="score_bootstrap")
    assert "p_bootstrap" not in off  # bootstrap_draws=0 (stage 08's variants): the clustered p-value is the main one
    np.testing.assert_array_equal(off["p_value"], cluster["p_cluster"])
    with pytest.raises(FedlocalError, match="few_cluster_inference"):
        estimate.hybrid_estimates(frame, groups=(None,), bootstrap_draws=99, inference="wald")
