"""method="knn_weighted": bias-cancelling weighted ensembles of k-NN estimates over k = 1, ..., K.

Berrett, Samworth and Yuan (2019) for entropy, Moon, Sricharan, Greenewald and Hero (2018) for
KL. The weights are checked against their programs solved independently here (the normal
equations of the exact program, the KKT system of the relaxed one), the estimators against
their formulas written out term by term from all pairwise distances, and the bias against the
closed-form truths of Gaussians.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import digamma, gammaln

import divergences as dv
from divergences._exceptions import InvalidInputError
from divergences.estimate._ensemble import DEFAULT_K, bias_basis, bias_orders, knn_weights, weights
from divergences.estimate._knn import entropy_weighted, kl_weighted


def _psi(k: int, d: int, orders) -> np.ndarray:
    """Gamma(j + 2l/d) / Gamma(j), j = 1..k, written from the paper."""
    return np.array([[math.exp(math.lgamma(j + 2 * o / d) - math.lgamma(j)) for j in range(1, k + 1)] for o in orders])


def _relaxed(k: int, d: int, n: int) -> np.ndarray:
    """min |w|^2 + sum_l (n^(1/2 - 2l/d) sum_j w_j psi_l(j))^2 subject to sum w = 1, by its KKT system."""
    orders = range(1, max(1, d // 4) + 1)
    a = np.array([n ** (0.5 - 2 * o / d) for o in orders])[:, None] * _psi(k, d, orders)
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2 * (np.eye(k) + a.T @ a)
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    return np.linalg.solve(kkt, rhs)[:k]


@pytest.mark.parametrize("d,k", [(4, 10), (8, 20), (9, 32), (12, 40)])
def test_exact_weights_satisfy_berrett_samworth_yuan_constraints(d, k):
    orders = range(1, d // 4 + 1)
    w = weights(bias_basis(np.arange(1, k + 1), d, orders))
    g = np.vstack([np.ones(k), _psi(k, d, orders)])
    np.testing.assert_allclose(g @ w, np.eye(len(orders) + 1)[0], atol=1e-9)
    # the minimum-norm solution: G^T (G G^T)^-1 e_1, as BSY's L2OptW
    np.testing.assert_allclose(w, g.T @ np.linalg.solve(g @ g.T, np.eye(len(orders) + 1)[0]), rtol=1e-7, atol=1e-9)


def test_exact_weights_need_enough_members():
    with pytest.raises(InvalidInputError, match="give a larger k"):
        weights(bias_basis(np.arange(1, 3), 12, range(1, 4)))


@pytest.mark.parametrize("k,d,n", [(5, 1, 50), (32, 2, 1000), (32, 5, 1000), (32, 10, 10_000), (32, 20, 1000),
                                   (64, 20, 10**5), (16, 40, 500)])
def test_relaxed_weights_solve_their_program(k, d, n):
    w = knn_weights(k, d, n)
    np.testing.assert_allclose(w, _relaxed(k, d, n), rtol=1e-8, atol=1e-10)
    assert abs(w.sum() - 1) < 1e-12


def test_relaxed_weights_stay_small_where_the_exact_ones_blow_up():
    exact = weights(bias_basis(np.arange(1, 33), 20, bias_orders(20)))
    assert np.abs(exact).max() > 1e3  # the instability of the exact program at d = 20
    for d in (1, 2, 5, 10, 20, 40):
        for n in (100, 10**4, 10**6):
            w = knn_weights(32, d, n)
            # the optimum costs no more than w = e_1 (plain k = 1): |w|^2 <= 1 + sum_l (s_l psi_l(1))^2
            orders = bias_orders(d)
            bound = 1 + sum(n ** (1 - 4 * o / d) * math.gamma(1 + 2 * o / d) ** 2 for o in orders)
            assert w @ w <= bound and abs(w.sum() - 1) < 1e-12, (d, n)
            if n <= 10**4 and d <= 20:  # the table's cells
                assert np.abs(w).max() < 10, (d, n)


def test_relaxed_weights_between_equal_weights_and_the_exact_program():
    basis = bias_basis(np.arange(1, 21), 8, range(1, 3))
    np.testing.assert_allclose(weights(basis, np.zeros(2)), np.full(20, 0.05), rtol=1e-12)
    np.testing.assert_allclose(weights(basis, np.full(2, 1e7)), weights(basis), atol=1e-5)
    # a larger price on the bias leaves less of it
    small, large = weights(basis, np.full(2, 1.0)), weights(basis, np.full(2, 100.0))
    assert np.linalg.norm(basis @ large) < np.linalg.norm(basis @ small)


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


def test_weighted_entropy_is_the_formula_term_by_term():
    rng = np.random.default_rng(3)
    n, d, k = 70, 6, 7
    x = rng.normal(size=(n, d))
    dist = _pairwise(x, x)
    np.fill_diagonal(dist, np.inf)
    rho = np.sort(dist, axis=1)[:, :k]
    log_ball = d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1)
    w = _relaxed(k, d, n)
    expected = sum(
        w[j - 1] * (digamma(n) - digamma(j) + log_ball + d / n * sum(math.log(rho[i, j - 1]) for i in range(n)))
        for j in range(1, k + 1)
    )
    assert entropy_weighted(x, k) == pytest.approx(expected, rel=1e-12)
    assert dv.estimate.entropy(x, method="knn_weighted", k=k) == pytest.approx(expected, rel=1e-12)


def test_weighted_kl_is_the_formula_term_by_term():
    rng = np.random.default_rng(4)
    n, m, d, k = 60, 45, 5, 6
    x, y = rng.normal(size=(n, d)), rng.normal(0.3, 1.4, size=(m, d))
    within = _pairwise(x, x)
    np.fill_diagonal(within, np.inf)
    rho, nu = np.sort(within, axis=1)[:, :k], np.sort(_pairwise(x, y), axis=1)[:, :k]
    w = _relaxed(k, d, min(n, m))
    expected = sum(
        w[j - 1] * (d / n * sum(math.log(nu[i, j - 1] / rho[i, j - 1]) for i in range(n)) + math.log(m / (n - 1)))
        for j in range(1, k + 1)
    )
    assert kl_weighted(x, y, k) == pytest.approx(expected, rel=1e-12)
    assert dv.estimate.kl(x, y, method="knn_weighted", k=k) == pytest.approx(expected, rel=1e-12)


def test_one_neighbour_is_the_plain_estimate_and_the_default_k_is_documented():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 3)), rng.normal(1, 1, size=(200, 3))
    assert dv.estimate.entropy(x, method="knn_weighted", k=1) == pytest.approx(dv.estimate.entropy(x), rel=1e-12)
    assert dv.estimate.kl(x, y, method="knn_weighted", k=1) == pytest.approx(dv.estimate.kl(x, y), rel=1e-12)
    assert dv.estimate.entropy(x, method="knn_weighted") == entropy_weighted(x, DEFAULT_K)
    assert dv.estimate.kl(x, y, method="knn_weighted") == kl_weighted(x, y, DEFAULT_K)


def _kl_truth(d: int) -> float:
    s2 = 2.25
    return 0.5 * d * (1 / s2 + 0.25 / s2 - 1 + math.log(s2))


@pytest.mark.parametrize("metric,d", [("entropy", 20), ("kl", 10)])
def test_less_bias_than_plain_knn_on_gaussians(metric, d):
    """N(0, I_d) (and N(0.5, 1.5^2 I_d)), n = 2000, mean error over 3 seeds: 0.1 nats below k = 1's
    (measured: entropy d = 20 -0.80 against +0.16; KL d = 10 +0.40 against +0.23)."""
    weighted, plain = [], []
    for seed in range(3):
        rng = np.random.default_rng([seed, d])
        x = rng.normal(size=(2000, d))
        if metric == "entropy":
            truth = 0.5 * d * math.log(2 * math.pi * math.e)
            weighted.append(dv.estimate.entropy(x, method="knn_weighted") - truth)
            plain.append(dv.estimate.entropy(x) - truth)
        else:
            y = rng.normal(0.5, 1.5, size=(2000, d))
            weighted.append(dv.estimate.kl(x, y, method="knn_weighted") - _kl_truth(d))
            plain.append(dv.estimate.kl(x, y) - _kl_truth(d))
    assert abs(np.mean(weighted)) < abs(np.mean(plain)) - 0.1, (weighted, plain)


def test_errors_name_the_argument():
    x = np.random.default_rng(6).normal(size=(20, 2))
    with pytest.raises(InvalidInputError, match=r"x needs more than k = 32 points, got 20"):
        dv.estimate.entropy(x, method="knn_weighted")
    with pytest.raises(InvalidInputError, match=r"x and y needs more than k = 25 points"):
        dv.estimate.kl(x, x + 1, method="knn_weighted", k=25)
    with pytest.raises(InvalidInputError, match=r"k must be an integer >= 1, got 0"):
        dv.estimate.kl(x, x + 1, method="knn_weighted", k=0)
    with pytest.raises(InvalidInputError, match=r"k must be >= 1"):
        knn_weights(0, 3, 100)
    # a bootstrap subsample (half the points) too small for k is named as such
    fifty = np.random.default_rng(7).normal(size=(50, 2))
    with pytest.raises(InvalidInputError, match=r"subsample.*x needs more than k = 32 points, got 25"):
        dv.estimate.entropy(fifty, method="knn_weighted", ci=0.9, n_resamples=5, random_state=0)


def test_bias_basis_is_the_gamma_ratio():
    ks = np.arange(1, 9)
    np.testing.assert_allclose(bias_basis(ks, 7, range(1, 3)), np.exp([gammaln(ks + 2 * o / 7) - gammaln(ks)
                                                                       for o in (1, 2)]), rtol=1e-14)
    assert list(bias_orders(3)) == [1] and list(bias_orders(12)) == [1, 2, 3]
