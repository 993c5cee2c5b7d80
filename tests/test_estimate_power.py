"""The default two-sample and independence tests: energy statistics against independent
references, exact p-values, calibration under the null and power against the energy-distance test."""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest
import scipy.stats as st
from scipy.spatial.distance import cdist

import divergences as dv

energy = importlib.import_module("divergences.estimate._energy")

ALPHA = 0.05


def pooled_standardised(x, y):
    z = np.concatenate([x, y])
    return (z - z.mean(0)) / z.std(0)


def brute_energy(x, y):
    """2 mean|x - y| - mean|x - x'| - mean|y - y'| on the pooled-standardised rows, by cdist."""
    z = pooled_standardised(x, y)
    a, b = z[: len(x)], z[len(x):]
    return 2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean()


@pytest.mark.parametrize("d, n, m", [(1, 40, 40), (1, 31, 57), (2, 30, 45), (5, 60, 20)])
def test_energy_distance_is_the_mean_of_all_pairwise_distances(d, n, m):
    rng = np.random.default_rng(d * 100 + n)
    x, y = rng.normal(size=(n, d)), rng.normal(0.4, 1.5, size=(m, d)) ** 2
    value, nulls = energy.energy_distance(x, y, 7, np.random.default_rng(0))
    assert value == pytest.approx(brute_energy(x, y), rel=1e-12)
    assert nulls.shape == (7,) and np.all(nulls >= -1e-12)
    if d == 1:  # SciPy's energy_distance is the square root of the same V-statistic (times sqrt 2 / sqrt 2)
        z = pooled_standardised(x, y)[:, 0]
        assert value == pytest.approx(st.energy_distance(z[:n], z[n:]) ** 2, rel=1e-12)


def test_ties_and_a_constant_coordinate_are_counted_exactly():
    x = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    y = np.array([[1.0, 1.0], [1.0, 1.0], [3.0, 1.0]])
    value, _ = energy.energy_distance(x, y, 3, np.random.default_rng(0))
    z = np.concatenate([x, y])
    z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1.0)
    a, b = z[:4], z[4:]
    assert value == pytest.approx(2 * cdist(a, b).mean() - cdist(a, a).mean() - cdist(b, b).mean(), rel=1e-12)
    one_d, _ = energy.energy_distance(x[:, :1], y[:, :1], 3, np.random.default_rng(0))
    assert one_d == pytest.approx(value, rel=1e-12)


def test_sliced_energy_distance_converges_to_the_exact_one(monkeypatch):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(150, 3)), rng.normal(0.5, 1.0, size=(250, 3))
    exact, _ = energy.energy_distance(x, y, 3, np.random.default_rng(0))
    monkeypatch.setattr(energy, "EXACT_ROWS", 100)
    monkeypatch.setattr(energy, "DIRECTIONS", 4000)
    sliced, nulls = energy.energy_distance(x, y, 3, np.random.default_rng(0))
    assert sliced == pytest.approx(exact, rel=0.02)
    assert np.all(nulls < sliced)


def test_distance_covariance_matches_szekelys_three_sums():
    # dCov^2 = S1 + S2 - 2 S3 (Szekely, Rizzo and Bakirov 2007, eq. 2.18) from the raw distance matrices.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 2))
    y = np.column_stack([x[:, 0] ** 2 + rng.normal(size=60), rng.normal(size=60)])
    value, nulls, used = energy.distance_covariance(x, y, 5, np.random.default_rng(0))
    a, b = cdist(*(energy.standardise(x),) * 2), cdist(*(energy.standardise(y),) * 2)
    s1, s2, s3 = (a * b).mean(), a.mean() * b.mean(), (a.mean(1) * b.mean(1)).mean()
    assert value == pytest.approx(s1 + s2 - 2 * s3, rel=1e-12)
    assert used == 60 and nulls.shape == (5,)


def test_p_value_converges_to_the_exact_one_over_every_split():
    # 4 + 4 points: all 70 splits enumerated; the Monte Carlo p-value (with the +1 rule) tends to the
    # share of splits at least as extreme, the data's own and its mirror image (equal values) included.
    x, y = np.array([0.0, 0.3, 1.1, 2.0]), np.array([2.5, 3.0, 3.4, 4.5])
    z = np.concatenate([x, y])
    splits = [np.isin(np.arange(8), chosen) for chosen in itertools.combinations(range(8), 4)]
    values = np.array([brute_energy(z[s, None], z[~s, None]) for s in splits])
    observed = brute_energy(x[:, None], y[:, None])
    exact = np.mean(values >= observed - 1e-12)
    result = dv.estimate.test(x, y, n_permutations=20000, random_state=0, ties="dequantise")
    assert result.statistic == pytest.approx(observed, rel=1e-12)
    assert exact == pytest.approx(2 / 70)  # the data and its mirror image: a tie that must count
    assert result.pvalue == pytest.approx(exact, abs=0.006)


def rejection(pvalues):
    return float(np.mean(np.asarray(pvalues) <= ALPHA))


def null_band(pairs):
    """alpha +- 2 standard errors of a rejection rate over ``pairs`` tests."""
    se = math.sqrt(ALPHA * (1 - ALPHA) / pairs)
    return ALPHA - 2 * se, ALPHA + 2 * se


@pytest.mark.parametrize("d", [1, 3])
def test_two_sample_test_is_calibrated_under_the_null(d):
    pvalues = []
    for seed in range(200):
        x, y = np.random.default_rng(seed).normal(size=(2, 500, d))
        pvalues.append(dv.estimate.test(x, y, n_permutations=99, random_state=seed).pvalue)
    low, high = null_band(200)
    assert low <= rejection(pvalues) <= high
    assert st.kstest(pvalues, "uniform").pvalue > 0.001  # p-values on a grid of 1/100: close to uniform


def gemv_energy_test(x, y, n_permutations, seed):
    """An independent energy-distance permutation test: the pooled distance matrix, one split at a time."""
    z = pooled_standardised(x, y)
    distances, n = cdist(z, z), len(x)
    m = len(z) - n

    def statistic(mask):
        a, b = mask.astype(float), (~mask).astype(float)
        da, db = distances @ a, distances @ b
        return 2 * (a @ db) / (n * m) - (a @ da) / n**2 - (b @ db) / m**2

    rng = np.random.default_rng(seed)
    observed = statistic(np.arange(len(z)) < n)
    exceed = sum(statistic(np.isin(np.arange(len(z)), rng.choice(len(z), n, replace=False))) >= observed - 1e-12
                 for _ in range(n_permutations))
    return (1 + exceed) / (1 + n_permutations)


@pytest.mark.parametrize("d, shift, pairs", [(1, 0.2, 100), (3, 0.15, 30)])
def test_two_sample_test_has_the_power_of_the_energy_distance_test(d, shift, pairs):
    ours, reference, knn = [], [], []
    for seed in range(pairs):
        rng = np.random.default_rng(1000 + seed)
        x, y = rng.normal(size=(500, d)), rng.normal(shift, 1.0, size=(500, d))
        ours.append(dv.estimate.test(x, y, n_permutations=99, random_state=seed).pvalue)
        if d == 1:
            reference.append(st.permutation_test((x[:, 0], y[:, 0]), st.energy_distance, n_resamples=99,
                                                 alternative="greater", random_state=seed).pvalue)
        else:
            reference.append(gemv_energy_test(x, y, 39, seed))
        if d == 1 and seed < 20:  # the k = 1 KL estimate as the statistic, the old default: almost no power
            knn.append(dv.estimate.test(x, y, statistic="estimate", n_permutations=19, random_state=seed).pvalue)
    # Same test, different random permutations: level within two standard errors of the power.
    se = math.sqrt(rejection(reference) * (1 - rejection(reference)) / pairs) + 1 / pairs
    assert rejection(ours) >= rejection(reference) - 2 * se
    assert rejection(ours) >= 0.75
    assert not knn or rejection(knn) <= 0.35


def test_independence_test_uses_the_distance_covariance():
    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    y = x**2 + 0.5 * rng.normal(size=300)  # uncorrelated with x, yet dependent
    dependent = dv.estimate.test(x, y, "mutual_information", n_permutations=99, random_state=0)
    assert dependent.statistic_name == "distance covariance" and dependent.pvalue == 0.01
    assert dependent.estimate == dv.estimate.mutual_information(x, y)
    pvalues = [dv.estimate.test(*np.random.default_rng(s).normal(size=(2, 150)), "mutual_information",
                                n_permutations=19, random_state=s).pvalue for s in range(40)]
    assert rejection(pvalues) <= 0.2  # 40 null tests: 2 expected at 0.05, 8 would be very unlikely


def test_long_paired_samples_use_a_seeded_subset(monkeypatch):
    monkeypatch.setattr(energy, "PAIRED_ROWS", 100)
    rng = np.random.default_rng(6)
    x = rng.normal(size=400)
    y = x + rng.normal(size=400)
    first = dv.estimate.test(x, y, "mutual_information", n_permutations=19, random_state=1)
    assert first == dv.estimate.test(x, y, "mutual_information", n_permutations=19, random_state=1)
    assert first.pvalue == 0.05


def test_symbols_are_tested_with_the_estimate():
    rng = np.random.default_rng(7)
    x, y = rng.integers(0, 4, 300), rng.integers(0, 3, 300)
    result = dv.estimate.test(x, y, "kl", method="discrete", smoothing=0.5, n_permutations=19, random_state=0)
    assert result.statistic_name == "kl" and result.statistic == result.estimate and result.pvalue == 0.05
    labels = np.array(["a", "b"] * 50)
    with pytest.raises(dv.InvalidInputError, match="statistic='energy' needs numbers; x has dtype <U1"):
        dv.estimate.test(labels, labels, "js", method="discrete", statistic="energy", n_permutations=5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"statistic": "mmd"}, "statistic must be 'energy' or 'estimate', got 'mmd'"),
        ({"metric": "mutual_information", "y": np.zeros(7)}, "same length, got 8 and 7"),
    ],
)
def test_energy_arguments_are_checked(kwargs, message):
    args = {"x": np.arange(8.0), "y": np.arange(8.0) + 0.5, **kwargs}
    with pytest.raises(dv.InvalidInputError, match=message):
        dv.estimate.test(n_permutations=5, **args)
