"""Cluster-robust covariance: the CR1 factor, scores summed per cluster, codes for any labels, separation marked."""

import numpy as np
import pytest

from fedlocal.models.inference import Fit, cluster_codes, cluster_sandwich, invert_information, mark_separated, sandwich


def test_cluster_codes_for_any_labels():
    codes, n = cluster_codes(["b", "a", "b", "c"])
    assert n == 3 and codes.tolist() == [0, 1, 0, 2] and codes.dtype == np.int64


def test_sandwich_sums_scores_by_cluster_with_the_cr1_factor():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(12, 2))
    codes = np.repeat(np.arange(4), 3)
    bread = np.array([[2.0, 0.1], [0.1, 1.0]])
    sums = np.vstack([scores[codes == g].sum(axis=0) for g in range(4)])
    expected = 4 / 3 * 11 / 10 * bread @ sums.T @ sums @ bread
    np.testing.assert_allclose(sandwich(bread, scores, codes, 4, 12), expected)
    np.testing.assert_allclose(cluster_sandwich(bread, sums, 4, 12), expected)


def test_singular_information_falls_back_to_a_pseudo_inverse():
    inv = invert_information(np.array([[1.0, 1.0], [1.0, 1.0]]))
    np.testing.assert_allclose(inv, np.full((2, 2), 0.25))


def test_separated_coefficients_become_missing():
    params, vcov = np.array([0.5, 14.0]), np.eye(2)
    mark_separated(params, vcov)
    assert params[0] == 0.5 and np.isnan(params[1]) and np.isnan(vcov[1]).all() and vcov[0, 0] == 1.0


def test_fit_contrast_and_wald_skip_missing_terms():
    fit = Fit(["a", "b", "c"], np.array([0.2, np.nan, 0.1]), np.diag([0.01, np.nan, 0.04]), 100, 10, -5.0, True, 4)
    assert fit.contrast({"a": 1, "c": -1}) == pytest.approx((0.1, np.sqrt(0.05)))
    assert np.isnan(fit.contrast({"a": 1, "b": -1})[0])
    chi2, df, p = fit.wald(["a", "b"])
    assert df == 1 and chi2 == pytest.approx(4.0)
