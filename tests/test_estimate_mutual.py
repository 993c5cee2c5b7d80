"""k-NN mutual information: KSG algorithms 1 and 2, and Ross's continuous-discrete estimator.

References: scikit-learn's ``mutual_info_regression`` / ``mutual_info_classif`` on the data
they actually see (their scaling and 1e-10 noise replayed with the same seed), an O(n^2)
brute-force evaluation of each formula, and Gaussian closed forms / 1-D quadrature of the true
MI at fixed seeds (tolerances: the spread of scikit-learn 1.9.1, NPEET and infomeasure 0.6.3
in the same settings, quoted next to the tests, and the spread over the seeds used).
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as sst
from scipy.special import digamma
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.preprocessing import scale

import divergences as dv
from divergences.estimate._mutual import ksg, mixed

_mutual = importlib.import_module("divergences.estimate._mutual")


def _gaussian_pair(rng: np.random.Generator, n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 1))
    return x, rho * x + math.sqrt(1 - rho**2) * rng.normal(size=(n, 1))


def _as_sklearn_sees(x: np.ndarray, y: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The feature (and a continuous target) after sklearn's scaling and noise, ``random_state=seed``.

    ``_estimate_mi`` scales each continuous column to unit variance (no centring) and adds
    ``1e-10 * max(1, mean|x|)`` Gaussian noise, features first and then the target, from one
    ``RandomState``; replaying the same draws gives the exact arrays its estimator runs on.
    """
    rs = np.random.RandomState(seed)
    x = scale(x, with_mean=False)
    x = x + 1e-10 * np.maximum(1, np.mean(np.abs(x), axis=0)) * rs.standard_normal(size=x.shape)
    if y is None:
        return x, None
    y = scale(y[:, 0], with_mean=False)
    y = y + 1e-10 * max(1.0, float(np.mean(np.abs(y)))) * rs.standard_normal(size=y.shape[0])
    return x, y[:, None]


def _brute_ksg(x: np.ndarray, y: np.ndarray, k: int, algorithm: int) -> float:
    """KSG from full max-norm distance matrices, straight from Kraskov et al. (2004), eqs. 8 and 9."""
    n = x.shape[0]
    dx = np.max(np.abs(x[:, None, :] - x[None, :, :]), axis=2)
    dy = np.max(np.abs(y[:, None, :] - y[None, :, :]), axis=2)
    dz = np.maximum(dx, dy)
    others = ~np.eye(n, dtype=bool)
    dz[~others] = np.inf
    order = np.argsort(dz, axis=1, kind="stable")[:, :k]
    if algorithm == 1:
        eps = np.take_along_axis(dz, order[:, -1:], axis=1)
        nx = np.sum((dx < eps) & others, axis=1)
        ny = np.sum((dy < eps) & others, axis=1)
        return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))
    eps_x = np.max(np.take_along_axis(dx, order, axis=1), axis=1, keepdims=True)
    eps_y = np.max(np.take_along_axis(dy, order, axis=1), axis=1, keepdims=True)
    nx = np.sum((dx <= eps_x) & others, axis=1)
    ny = np.sum((dy <= eps_y) & others, axis=1)
    return float(digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny)))


def _brute_mixed(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Ross (2014), eq. 2, from the full distance matrix; labels seen once are dropped."""
    keep = np.array([np.sum(labels == v) > 1 for v in labels])
    x, labels = x[keep], labels[keep]
    n = x.shape[0]
    d = np.max(np.abs(x[:, None, :] - x[None, :, :]), axis=2)
    total = 0.0
    for i in range(n):
        same = (labels == labels[i]) & (np.arange(n) != i)
        k_i = min(k, int(same.sum()))
        radius = np.sort(d[i, same])[k_i - 1]
        m_i = int(np.sum((d[i] <= radius) & (np.arange(n) != i)))  # every class, the k-th neighbour included
        total += digamma(k_i) - digamma(int(same.sum()) + 1) - digamma(m_i)
    return float(digamma(n) + total / n)


# ---------------------------------------------------------------------------------------------
# Against scikit-learn


def test_algorithm_1_is_sklearn_on_the_data_sklearn_sees():
    rng = np.random.default_rng(4000)
    for seed, rho in [(0, 0.9), (1, 0.5), (2, 0.0), (3, 0.0), (4, -0.7)]:
        x, y = _gaussian_pair(rng, 2000 if rho else 500, rho)
        reference = mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=seed)[0]
        xs, ys = _as_sklearn_sees(x, y, seed)
        # sklearn clips at 0; our estimate keeps its sign.
        assert max(ksg(xs, ys, 3, 1), 0.0) == pytest.approx(reference, abs=1e-10)
    x, y = _gaussian_pair(rng, 1000, 0.6)
    for k in (1, 5):
        reference = mutual_info_regression(x, y[:, 0], n_neighbors=k, random_state=9)[0]
        xs, ys = _as_sklearn_sees(x, y, 9)
        assert ksg(xs, ys, k, 1) == pytest.approx(reference, abs=1e-10)


def test_mixed_is_sklearn_on_the_data_sklearn_sees():
    rng = np.random.default_rng(4001)
    labels = rng.integers(0, 3, 1500)
    labels[:3] = [7, 8, 9]  # three labels seen once: both drop those points
    # A class of 20. (Classes of at most 2k points sklearn searches by brute force, whose
    # Euclidean distances via the Gram matrix are off by an ulp or two, enough to move a point
    # across a radius: the cut k_i = N_y - 1 is checked by the brute-force test below instead.)
    labels[3:23] = 5
    x = rng.normal(loc=0.8 * labels, size=1500)[:, None]
    for k in (1, 3, 6):
        reference = mutual_info_classif(x, labels, n_neighbors=k, random_state=k)[0]
        xs, _ = _as_sklearn_sees(x, None, k)
        assert mixed(xs, labels, k) == pytest.approx(reference, abs=1e-10)


# ---------------------------------------------------------------------------------------------
# Against a brute-force evaluation of the formulas


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_ksg_equals_the_brute_force_formula(algorithm, k):
    rng = np.random.default_rng(4002 + k)
    z = rng.multivariate_normal(np.zeros(3), [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]], size=300)
    assert ksg(z[:, :2], z[:, 2:], k, algorithm) == pytest.approx(_brute_ksg(z[:, :2], z[:, 2:], k, algorithm), abs=1e-12)


def test_repeated_marginal_values_are_counted():
    # Pairs distinct, x taking 4 values: counts include the ties, nothing is -inf or NaN.
    rng = np.random.default_rng(4003)
    x = rng.integers(0, 4, size=(400, 1)).astype(float)
    y = x + rng.normal(size=(400, 1))
    for algorithm in (1, 2):
        value = ksg(x, y, 3, algorithm)
        assert math.isfinite(value)
    assert ksg(x, y, 3, 1) == pytest.approx(_brute_ksg(x, y, 3, 1), abs=1e-12)
    # Even repeated pairs (which the public layer resolves first) give a finite number.
    assert all(math.isfinite(ksg(np.vstack([x, x[:50]]), np.vstack([y, y[:50]]), 3, a)) for a in (1, 2))


def test_mixed_equals_the_brute_force_formula():
    rng = np.random.default_rng(4004)
    labels = rng.integers(0, 4, 300)
    labels[:2] = [10, 11]  # dropped
    labels[2:4] = 12  # a class of two: k is cut to 1 there
    x = rng.normal(loc=labels[:, None] * 0.5, size=(300, 2))
    for k in (1, 3):
        assert mixed(x, labels, k) == pytest.approx(_brute_mixed(x, labels, k), abs=1e-12)


def test_mixed_with_repeated_values_stays_finite():
    # Rounded x: many points share a value, within and across classes (radius 0 included).
    rng = np.random.default_rng(4009)
    labels = rng.integers(0, 3, 500)
    x = np.round(rng.normal(loc=labels, size=500), 1)[:, None]
    for k in (1, 3):
        value = mixed(x, labels, k)
        assert math.isfinite(value)
        assert value == pytest.approx(_brute_mixed(x, labels, k), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Against the true mutual information


@pytest.mark.parametrize("algorithm", [1, 2])
def test_ksg_on_a_bivariate_normal(algorithm):
    rng = np.random.default_rng(4005)
    exact = -0.5 * math.log(1 - 0.9**2)  # 0.8304
    values = [ksg(*_gaussian_pair(rng, 2000, 0.9), 3, algorithm) for _ in range(10)]
    # sd 0.023-0.031 per sample (scikit-learn 1.9.1's KSG estimate, k = 3, 20 seeds:
    # 0.8301 +- 0.031); mean of 10 within 0.03.
    assert np.mean(values) == pytest.approx(exact, abs=0.03)


@pytest.mark.parametrize("algorithm", [1, 2])
def test_ksg_on_independent_data_is_near_zero_and_may_be_negative(algorithm):
    rng = np.random.default_rng(4006)
    values = [ksg(rng.normal(size=(500, 1)), rng.normal(size=(500, 1)), 3, algorithm) for _ in range(20)]
    # NPEET (gregversteeg/NPEET 8b0d948) and infomeasure 0.6.3, k = 3, 20 seeds: 0.0042 +- 0.038
    # at n = 500 (sd of a mean of 20: 0.009).
    assert abs(np.mean(values)) < 0.03
    assert min(values) < 0.0  # not clipped


@pytest.mark.parametrize("algorithm", [1, 2])
def test_ksg_with_a_two_dimensional_x(algorithm):
    cov = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    exact = 0.5 * math.log(np.linalg.det(cov[:2, :2]) * cov[2, 2] / np.linalg.det(cov))  # 0.2231
    rng = np.random.default_rng(4007)
    values = []
    for _ in range(8):
        z = rng.multivariate_normal(np.zeros(3), cov, size=3000)
        values.append(ksg(z[:, :2], z[:, 2:], 3, algorithm))
    # sd over seeds 0.02 (sd of the mean 0.007), bias ~ +0.01: within 0.03.
    assert np.mean(values) == pytest.approx(exact, abs=0.03)


def test_mixed_on_two_gaussian_classes():
    # y ~ Bernoulli(1/2), x | y ~ N(y, 1): I = h(x) - h(x | y), h(x) of the mixture by quadrature.
    def mixture(t):
        return 0.5 * sst.norm.pdf(t) + 0.5 * sst.norm.pdf(t, 1.0)

    h = integrate.quad(lambda t: -mixture(t) * math.log(mixture(t)), -15, 16, limit=200)[0]
    exact = h - 0.5 * math.log(2 * math.pi * math.e)  # 0.1114
    rng = np.random.default_rng(4008)
    values = []
    for _ in range(6):
        y = rng.integers(0, 2, 4000)
        values.append(mixed(rng.normal(loc=1.0 * y)[:, None], y, 3))
    # sd over seeds 0.010: the mean of 6 within 0.015.
    assert np.mean(values) == pytest.approx(exact, abs=0.015)


# ---------------------------------------------------------------------------------------------
# Errors


def test_errors():
    x = np.random.default_rng(0).normal(size=(10, 1))
    with pytest.raises(dv.InvalidInputError, match="algorithm"):
        ksg(x, x + 1, 3, 3)
    with pytest.raises(dv.InvalidInputError, match="same number of samples"):
        ksg(x, x[:5], 3, 1)
    with pytest.raises(dv.InvalidInputError, match="k"):
        ksg(x, x + 1, 10, 1)
    with pytest.raises(dv.InvalidInputError, match="k must be an integer"):
        ksg(x, x + 1, 0, 1)
    with pytest.raises(dv.InvalidInputError, match="same number of samples"):
        mixed(x, [0, 1], 3)
    with pytest.raises(dv.InvalidInputError, match="every label is unique"):
        mixed(x, np.arange(10), 3)


# ---------------------------------------------------------------------------------------------
# Properties


@st.composite
def paired_samples(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(12, 60))
    dx, dy = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    x = rng.normal(size=(n, dx))
    y = draw(st.floats(-2, 2)) * x[:, :1] + rng.normal(size=(n, dy))
    return x, y, draw(st.integers(1, 5)), draw(st.sampled_from([1, 2]))


@settings(max_examples=50)
@given(paired_samples(), st.randoms(use_true_random=False), st.integers(-8, 8))
def test_ksg_invariances(sample, random, power):
    x, y, k, algorithm = sample
    value = ksg(x, y, k, algorithm)
    order = np.array(random.sample(range(x.shape[0]), x.shape[0]))
    assert ksg(x[order], y[order], k, algorithm) == pytest.approx(value, abs=1e-12)
    assert ksg(y, x, k, algorithm) == pytest.approx(value, abs=1e-12)
    # A common power-of-two scale is exact in floating point and scales every distance alike.
    assert ksg(x * 2.0**power, y * 2.0**power, k, algorithm) == pytest.approx(value, abs=1e-12)


@settings(max_examples=50)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.randoms(use_true_random=False))
def test_mixed_invariances(seed, k, random):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, 40)
    x = rng.normal(loc=labels, size=40)[:, None]
    value = mixed(x, labels, k)
    order = np.array(random.sample(range(40), 40))
    assert mixed(x[order], labels[order], k) == pytest.approx(value, abs=1e-12)
    assert mixed(x, np.array(["c", "a", "b"])[labels], k) == pytest.approx(value, abs=1e-12)


# --- LNC (Gao, Ver Steeg and Galstyan 2015) ---------------------------------------------------

mutual = importlib.import_module("divergences.estimate._mutual")


def lnc_by_loop(x, y, k, log_alpha):
    """NPEET_LNC's correction written point by point (max-norm neighbours by brute force,
    numpy.linalg.eig of the neighbours' second moments about the point), added to KSG 2."""
    joint = np.hstack([x, y])
    n = len(joint)
    correction = 0.0
    for i in range(n):
        distances = np.max(np.abs(joint - joint[i]), axis=1)
        distances[i] = np.inf
        offsets = joint[np.argsort(distances, kind="stable")[:k]] - joint[i]
        _, axes = np.linalg.eig(offsets.T @ offsets / k)
        principal = np.sum(np.log(np.max(np.abs(offsets @ axes), axis=0)))
        aligned = np.sum(np.log(np.max(np.abs(offsets), axis=0)))
        if principal - aligned < log_alpha:
            correction += (aligned - principal) / n
    return ksg(x, y, k, 2) + correction


def test_lnc_is_ksg2_plus_the_correction_written_point_by_point():
    rng = np.random.default_rng(30)
    x = rng.normal(size=(300, 2))
    y = x @ np.array([[0.9, 0.2], [0.1, 0.95]]) + 0.2 * rng.normal(size=(300, 2))
    k = 6
    expected = lnc_by_loop(x, y, k, mutual._log_alpha(4, k))
    assert mutual.lnc(x, y, k) == pytest.approx(expected, rel=1e-10)
    assert mutual.lnc(x, y, k) > ksg(x, y, k, 2) + 0.1  # strongly dependent: the correction is large


def test_lnc_threshold_corrects_one_percent_of_locally_uniform_neighbourhoods():
    # Uniform points in the middle of a large cube: the neighbourhoods are locally uniform.
    rng = np.random.default_rng(31)
    joint = rng.uniform(size=(40_000, 3))
    inner = np.all(np.abs(joint - 0.5) < 0.4, axis=1)
    k = 7
    from scipy.spatial import cKDTree

    _, idx = cKDTree(joint).query(joint[inner], k + 1, p=np.inf)
    ratios = mutual._log_volume_ratios(joint[idx[:, 1:]] - joint[inner][:, None, :])
    assert np.mean(ratios < mutual._log_alpha(3, k)) == pytest.approx(mutual.LNC_QUANTILE, abs=0.004)


def test_lnc_removes_most_of_the_bias_of_strong_dependence_in_ten_dimensions():
    # Five coordinate pairs of correlation 0.9, n = 1000: truth 5 x 0.830 = 4.152.
    truth = -2.5 * math.log(1 - 0.81)
    rng = np.random.default_rng(32)
    x = rng.normal(size=(1000, 5))
    y = 0.9 * x + math.sqrt(1 - 0.81) * rng.normal(size=(1000, 5))
    lnc_value = dv.estimate.mutual_information(x, y, method="lnc")
    assert abs(lnc_value - truth) < 0.35
    assert dv.estimate.mutual_information(x, y) < truth - 1.0  # KSG, k = 3


def test_lnc_leaves_independent_and_weakly_dependent_data_almost_alone():
    rng = np.random.default_rng(33)
    x, y = rng.normal(size=(2, 1000, 1))
    assert dv.estimate.mutual_information(x, y, method="lnc") == pytest.approx(
        dv.estimate.mutual_information(x, y, method="ksg2", k=5), abs=0.02)


def test_lnc_needs_more_neighbours_than_dimensions():
    x, y = np.random.default_rng(34).normal(size=(2, 100, 3))
    with pytest.raises(dv.InvalidInputError, match="k greater than the joint dimension 6 .* got k = 6"):
        dv.estimate.mutual_information(x, y, method="lnc", k=6)
