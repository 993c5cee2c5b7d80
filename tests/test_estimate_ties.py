"""One policy for repeated values (ties="auto"), decided by the data: symbols, rounded measurements,
continuous data with an atom; the cases users met, against the truth of the unrounded laws."""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest

import divergences as dv

samples_module = importlib.import_module("divergences.estimate._samples")

KL_TRUTH = 0.125  # KL(N(0, 1) || N(0.5, 1))
JS_TRUTH = float(dv.js(dv.Normal(0.0, 1.0), dv.Normal(0.5, 1.0)))


def rounded_pair(seed, n, decimals, shift=0.5):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(size=n), decimals), np.round(rng.normal(shift, 1.0, size=n), decimals)


@pytest.mark.parametrize(
    "values, step",
    [
        ([0.1, 0.3, 0.4, 1.0], 0.1),
        ([-3.0, 2.0, 7.0], 5.0),
        ([0.01, 0.02, 0.05, 1.37], 0.01),
        ([0.0, 0.13, 1.0], None),  # 0.13 is not a whole number of steps of 0.13 from 0 to 1
        ([1.5], None),
    ],
)
def test_grid_step(values, step):
    found = samples_module.grid_step(np.array(values))
    assert found == (None if step is None else pytest.approx(step, rel=1e-12))


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda rng: rng.integers(0, 5, 400).astype(float), "symbols"),
        (lambda rng: rng.poisson(3.0, 400).astype(float), "symbols"),
        (lambda rng: rng.integers(0, 2, 400) * 7.5, "symbols"),
        (lambda rng: np.round(rng.normal(size=400), 1), "rounded"),
        (lambda rng: np.round(rng.normal(size=400), 2), "rounded"),
        (lambda rng: np.round(rng.exponential(size=400) * 100) / 100, "rounded"),  # prices in cents
        (lambda rng: np.where(rng.random(400) < 0.3, 0.0, rng.normal(size=400)), "other"),  # an atom at 0
    ],
)
def test_repeated_values_are_told_apart(make, kind):
    x = make(np.random.default_rng(11))[:, None]
    assert samples_module.repeated_values({"x": x}) == kind


@pytest.mark.parametrize("n, decimals", [(500, 1), (5000, 1), (500, 2)])
def test_rounded_kl_is_finite_and_near_the_truth(n, decimals):
    # Before: inf every time (one decimal: the plug-in of frequencies) or an error (two decimals, n = 500).
    values = []
    for seed in range(6):
        x, y = rounded_pair(seed, n, decimals)
        values.append(dv.estimate.kl(x, y, k=5, random_state=seed))
    assert np.all(np.isfinite(values))
    assert np.mean(values) == pytest.approx(KL_TRUTH, abs=0.05 if n == 500 else 0.02)
    kde = dv.estimate.kl(*rounded_pair(0, n, decimals), method="kde")
    assert kde == pytest.approx(KL_TRUTH, abs=0.05)


def test_rounded_js_estimates_the_continuous_divergence_not_the_plug_in():
    # The plug-in of frequencies gave 0.062 here, twice the truth 0.030.
    values = [dv.estimate.js(*rounded_pair(seed, 5000, 1), random_state=seed) for seed in range(4)]
    assert np.mean(values) == pytest.approx(JS_TRUTH, abs=0.012)


def test_rounded_mutual_information_on_both_sides():
    # r = 0.9, truth 0.830; the contingency plug-in gave 0.95-0.98.
    rng = np.random.default_rng(12)
    x = rng.normal(size=5000)
    y = 0.9 * x + math.sqrt(1 - 0.81) * rng.normal(size=5000)
    value = dv.estimate.mutual_information(np.round(x, 1), np.round(y, 1), random_state=0)
    assert value == pytest.approx(-0.5 * math.log(1 - 0.81), abs=0.05)
    # one side labels, the other rounded: the mixed estimator on the dequantised side
    labels = (x > 0).astype(int)
    mixed = dv.estimate.mutual_information(np.round(x, 1), labels, random_state=0)
    assert mixed == pytest.approx(math.log(2), abs=0.05)  # the sign of x carries one bit


@pytest.mark.parametrize("n", [100, 1000])
def test_integer_symbols_give_the_entropy_without_error_or_warning(n):
    # Zipf over 1000 symbols: raised at n = 100 and warned at n = 1000.
    pmf = np.arange(1, 1001) ** -1.1
    pmf /= pmf.sum()
    x = np.random.default_rng(n).choice(np.arange(1, 1001), size=n, p=pmf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = dv.estimate.entropy(x)
    assert 0 < value < float(dv.entropy(pmf)) + 0.5


def test_an_infinite_discrete_kl_warns_and_names_the_symbols():
    x, y = np.array([0, 1, 2, 2, 3] * 40), np.array([0, 1, 1, 0] * 50)
    with pytest.warns(UserWarning, match=r"120 of the 200 points of x are symbols that y never shows \(2, 3\)"):
        assert dv.estimate.kl(x, y) == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        smoothed = dv.estimate.kl(x, y, smoothing=0.5)
    assert math.isfinite(smoothed) and smoothed > 0


def test_smoothing_is_accepted_for_symbols_and_refused_for_continuous_data():
    x, y = np.array([0, 1, 2, 2, 3] * 40), np.array([0, 1, 1, 0] * 50)
    expected = dv.estimate.kl(x, y, method="discrete", smoothing=0.5)
    assert dv.estimate.kl(x, y, ties="discrete", smoothing=0.5) == expected  # method stays "knn"
    assert dv.estimate.kl(x, y, smoothing=0.5) == expected  # "auto" finds symbols
    assert dv.estimate.js(x, y, smoothing=0.5) == dv.estimate.js(x, y, method="discrete", smoothing=0.5)
    rng = np.random.default_rng(13)
    with pytest.raises(dv.InvalidInputError, match="smoothing applies to symbols .* estimated as continuous"):
        dv.estimate.kl(rng.normal(size=100), rng.normal(size=100), smoothing=0.5)
    with pytest.raises(dv.InvalidInputError, match="smoothing does not apply to method='knn'"):
        dv.estimate.kl(x, y, ties="dequantise", smoothing=0.5)


def test_the_test_on_rounded_data_is_decided_and_an_infinite_statistic_refused():
    # Before: statistic = inf and p = 1.0 for samples 2 standard deviations apart.
    x, y = rounded_pair(14, 500, 1, shift=2.0)
    result = dv.estimate.test(x, y, "kl", n_permutations=99, random_state=0)
    assert result.pvalue == 0.01 and math.isfinite(result.estimate) and result.estimate > 1
    symbols_x, symbols_y = np.array([0, 1, 2, 2, 3] * 40), np.array([0, 1, 1, 0] * 50)
    with pytest.warns(UserWarning), pytest.raises(dv.InvalidInputError, match="statistic is inf on the data"):
        dv.estimate.test(symbols_x, symbols_y, "kl", statistic="estimate", n_permutations=9, random_state=0)
    smoothed = dv.estimate.test(symbols_x, symbols_y, "kl", statistic="estimate", smoothing=0.5, n_permutations=9,
                                random_state=0)
    assert smoothed.statistic_name == "kl" and smoothed.pvalue == 0.1


def test_an_atom_in_continuous_data_is_still_an_error():
    rng = np.random.default_rng(15)
    x = np.where(rng.random(300) < 0.3, 0.0, rng.normal(size=300))
    with pytest.raises(dv.InvalidInputError, match="repeated values.*ties='dequantise'"):
        dv.estimate.entropy(x)
