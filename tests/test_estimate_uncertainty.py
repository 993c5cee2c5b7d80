"""Bootstrap intervals and permutation tests: coverage against known truths, p-values uniform
under the null and small under clear alternatives, the +1 rule, reproducibility, errors."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays

import divergences as dv

unc = importlib.import_module("divergences.estimate._uncertainty")  # the module, whatever the package binds to the name

Z95 = st.norm.ppf(0.975)
KL_N01_N12 = float(dv.kl(dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0)))  # 0.4431


def interval(statistic, samples, *, ci=0.95, n_resamples=200, random_state=0, paired=False, scheme="subsample"):
    return unc.bootstrap(statistic, samples, ci=ci, n_resamples=n_resamples, random_state=random_state,
                         paired=paired, scheme=scheme)


def permutation(statistic, x, y, *, paired=False, n_permutations=99, random_state=0):
    return unc.permutation_test(statistic, x, y, paired=paired, n_permutations=n_permutations,
                                random_state=random_state)


def mean_gap(x, y):
    return abs(float(np.mean(x)) - float(np.mean(y)))


# --- bootstrap -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["subsample", "replacement"])
@pytest.mark.parametrize("n", [2000, 2001])
def test_interval_of_a_mean_is_the_textbook_one(n, scheme):
    # The half-sample spread rescaled by sqrt(m / (n - m)) must equal the standard error s / sqrt(n):
    # sqrt(m / n) instead would make the interval 1 / sqrt(2) = 0.71 times as wide. Over seeds the
    # width ratio is 0.98 +- 0.047 for one sample at B = 400, so +-15% is 3 sd, and the mean of 8
    # seeds is held to +-6%.
    ratios = []
    for seed in range(8):
        x = np.random.default_rng(seed).normal(3.0, 2.0, size=n)
        est = interval(np.mean, (x,), n_resamples=400, random_state=seed, scheme=scheme)
        se = x.std(ddof=1) / math.sqrt(n)
        assert est.value == np.mean(x)
        assert est.low < est.value < est.high
        ratios.append((est.high - est.low) / (2 * Z95 * se))
        assert abs((est.low + est.high) / 2 - est.value) < 0.25 * Z95 * se  # symmetric about the mean
    assert 0.85 < min(ratios) and max(ratios) < 1.15, ratios
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.06)


def test_coverage_of_a_mean_is_nominal():
    # 400 normal samples of n = 40: the 95% interval must cover the true mean 95% +- 3 binomial
    # sd (0.033) of the time; the uncorrected sqrt(m / n) scaling would cover 83%.
    seeds = range(400)
    hits = 0
    for seed in seeds:
        x = np.random.default_rng(seed).normal(1.0, 1.0, size=40)
        est = interval(np.mean, (x,), n_resamples=100, random_state=seed)
        hits += est.low <= 1.0 <= est.high
    assert hits / len(seeds) == pytest.approx(0.95, abs=3 * math.sqrt(0.95 * 0.05 / len(seeds)))


def test_coverage_of_knn_kl_against_a_density():
    # KL(N(0, 1) || N(1, 2)) = 0.4431 from n = 200 samples, k = 3, the half-sample bootstrap at 90%.
    # Over 200 seeds it covered 92.5%, slightly conservative as the module docstring explains;
    # here 30 seeds must cover at least 24 times (Binomial(30, 0.9): mean 27, sd 1.6) with
    # intervals about as wide as the spread of the estimates across seeds.
    q = dv.Normal(1.0, 2.0)

    def statistic(x):
        return dv.estimate.kl(x, q, k=3)

    hits, widths, values = 0, [], []
    for seed in range(30):
        x = np.random.default_rng(seed).normal(size=200)
        est = interval(statistic, (x,), ci=0.9, n_resamples=60, random_state=seed)
        hits += est.low <= KL_N01_N12 <= est.high
        widths.append(est.high - est.low)
        values.append(est.value)
    assert hits >= 24, hits
    spread = 2 * st.norm.ppf(0.95) * np.std(values, ddof=1)
    assert 0.8 < np.mean(widths) / spread < 1.5, (np.mean(widths), spread)


def test_two_sample_knn_kl_interval_covers_the_truth():
    # Samples of both sides, each halved on its own; 200 seeds covered 90.5% at 90% (n = 200 each).
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(400, 1)), rng.normal(1.0, 2.0, size=(400, 1))
    est = interval(lambda a, b: dv.estimate.kl(a, b, k=3), (x, y), n_resamples=100, random_state=1)
    assert est.value == dv.estimate.kl(x, y, k=3)
    assert est.low < KL_N01_N12 < est.high
    assert est.high - est.low < 0.5


def test_same_seed_same_interval():
    x = np.random.default_rng(0).normal(size=300)
    a = interval(np.median, (x,), random_state=5)
    assert a == interval(np.median, (x,), random_state=5)
    assert a == interval(np.median, (x,), random_state=np.random.default_rng(5))
    assert a != interval(np.median, (x,), random_state=6)
    assert isinstance(a, unc.Estimate) and a._fields == ("value", "low", "high")


def test_half_samples_are_distinct_points_and_replacement_samples_full_size():
    x, y = np.arange(11.0), np.arange(100.0, 120.0)
    seen = []

    def record(a, b):
        seen.append((a.copy(), b.copy()))
        return float(a.sum() + b.sum())

    interval(record, (x, y), n_resamples=20)
    for a, b in seen[1:]:  # seen[0] is the full sample
        assert (len(a), len(b)) == (5, 10)
        assert len(np.unique(a)) == 5 and len(np.unique(b)) == 10
        assert np.isin(a, x).all() and np.isin(b, y).all()
    seen.clear()
    interval(record, (x, y), n_resamples=20, scheme="replacement")
    assert all((len(a), len(b)) == (11, 20) for a, b in seen)
    assert any(len(np.unique(a)) < 11 for a, _ in seen[1:])


def test_paired_resampling_keeps_rows_together():
    # y = 2x: resampled rows jointly, the correlation stays exactly 1 and the interval collapses;
    # resampled separately, the halves are unrelated and their correlations scatter about 0.
    x = np.random.default_rng(1).normal(size=(60, 1))
    y = 2 * x

    def correlation(a, b):
        return float(np.corrcoef(a[:, 0], b[:, 0])[0, 1])

    est = interval(correlation, (x, y), paired=True, n_resamples=50)
    assert est.low == pytest.approx(1.0) and est.high == pytest.approx(1.0)
    unpaired = interval(correlation, (x, y), paired=False, n_resamples=50)
    assert unpaired.high - unpaired.low > 0.3


def test_resampling_with_replacement_breaks_knn_and_says_what_to_do():
    x = np.random.default_rng(2).normal(size=200)
    with pytest.raises(dv.InvalidInputError, match=r"resample 1 of 50 \(replacement\) failed: .*scheme='subsample'"):
        interval(lambda a: dv.estimate.entropy(a, k=3), (x,), n_resamples=50, scheme="replacement")


def test_non_finite_resamples_are_an_error_never_nan_bounds():
    x = np.arange(20.0)

    def inf_when_zero_missing(a):
        return 1.0 if 0.0 in a else math.inf

    with pytest.raises(dv.InvalidInputError, match=r"\d+ of 40 resamples gave a non-finite estimate \(e.g. inf\)"):
        interval(inf_when_zero_missing, (x,), n_resamples=40)
    with pytest.raises(dv.InvalidInputError, match="the estimate is inf on the full sample"):
        interval(lambda a: math.inf, (x,))
    with pytest.raises(dv.InvalidInputError, match="the estimate is nan on the full sample"):
        interval(lambda a: math.nan, (x,))


def test_a_failing_resample_is_named():
    def fails_on_small(a):
        if len(a) < 10:
            raise dv.InvalidInputError("x needs more than k = 9 points")
        return 0.0

    with pytest.raises(dv.InvalidInputError, match=r"resample 1 of 5 \(subsample\) failed: x needs more than k = 9"):
        interval(fails_on_small, (np.arange(12.0),), n_resamples=5)


def test_progress_is_called_after_each_resample():
    calls = []
    unc.bootstrap(np.mean, (np.arange(10.0),), ci=0.9, n_resamples=7, random_state=0, paired=False,
                  scheme="subsample", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 7) for i in range(1, 8)]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ci": 0.0}, "ci must be a confidence level strictly between 0 and 1"),
        ({"ci": 1}, "ci must be"),
        ({"ci": 95}, "ci must be"),
        ({"ci": True}, "ci must be"),
        ({"ci": "0.95"}, "ci must be"),
        ({"n_resamples": 0}, "n_resamples must be an integer >= 1, got 0"),
        ({"n_resamples": 10.0}, "n_resamples must be an integer"),
        ({"n_resamples": True}, "n_resamples must be"),
        ({"random_state": -1}, "random_state must be"),
        ({"random_state": "seed"}, "random_state must be"),
        ({"scheme": "jackknife"}, "scheme must be 'subsample' or 'replacement'"),
        ({"paired": True, "samples": (np.arange(5.0), np.arange(6.0))}, "same number of rows, got 5, 6"),
        ({"samples": (np.arange(1.0),)}, "at least 2 points per sample, got 1"),
        ({"samples": ()}, "at least one sample"),
    ],
)
def test_bootstrap_arguments_are_checked(kwargs, message):
    args = {"ci": 0.95, "n_resamples": 10, "random_state": 0, "paired": False, "scheme": "subsample",
            "samples": (np.arange(10.0),), **kwargs}
    samples = args.pop("samples")
    with pytest.raises(dv.InvalidInputError, match=message):
        unc.bootstrap(lambda *a: 0.0, samples, **args)


def test_check_ci_and_resampling_scheme():
    from divergences.estimate import resampling_scheme

    assert unc.check_ci(0.95) == 0.95 and unc.check_ci(np.float32(0.5)) == 0.5
    assert unc.check_count(np.int64(3), "n_permutations") == 3
    with pytest.raises(dv.InvalidInputError, match="n_permutations must be an integer >= 1, got -2"):
        unc.check_count(-2, "n_permutations")
    methods = [("kl", "knn"), ("kl", "kde"), ("mutual_information", "ksg"), ("js", "histogram"),
               ("entropy", "plugin"), ("kl", "discrete")]
    assert [resampling_scheme(metric, m) for metric, m in methods] == [
        "subsample", "subsample", "subsample", "replacement", "replacement", "replacement"
    ]


finite = hs.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, hs.integers(2, 30), elements=finite), hs.floats(0.01, 100.0), finite,
       hs.sampled_from(["subsample", "replacement"]), hs.integers(0, 2**32 - 1))
def test_interval_contains_the_value_and_moves_with_the_data(x, scale, shift, scheme, seed):
    # low <= value <= high always (the quantiles straddle their median); an affine map of the data
    # maps the interval of the mean the same way, since the resampled indices depend only on the seed.
    est = interval(np.mean, (x,), n_resamples=20, random_state=seed, scheme=scheme)
    assert est.low <= est.value <= est.high
    moved = interval(np.mean, (scale * x + shift,), n_resamples=20, random_state=seed, scheme=scheme)
    tol = 1e-9 * (scale * np.max(np.abs(x)) + abs(shift) + 1)
    np.testing.assert_allclose(moved, [scale * v + shift for v in est], rtol=1e-9, atol=tol)


# --- permutation tests -----------------------------------------------------------------------


def test_p_values_are_uniform_under_the_null():
    # Same distribution on both sides: with B = 19 permutations the rank of the data among the 20
    # values is uniform, so p takes each value j / 20 with probability 1/20 and P(p <= 0.05) = 0.05
    # exactly. 400 seeds: the fraction must be 0.05 +- 3 binomial sd (0.033) and the 20 values
    # pass a chi-square test of uniformity.
    pvalues = [
        permutation(mean_gap, *np.random.default_rng(seed).normal(size=(2, 30)), n_permutations=19,
                    random_state=seed).pvalue
        for seed in range(400)
    ]
    assert np.mean(np.array(pvalues) <= 0.05) == pytest.approx(0.05, abs=3 * math.sqrt(0.05 * 0.95 / 400))
    counts = np.bincount(np.rint(np.array(pvalues) * 20).astype(int), minlength=21)[1:]
    assert st.chisquare(counts).pvalue > 0.001


def test_knn_kl_p_values_are_not_small_under_the_null():
    # 40 seeds of two N(0, 1) samples, B = 19: p is uniform on {1/20, ..., 1}, mean 0.525 and sd of
    # the mean 0.046; at most 6 of 40 at p <= 0.05 (expected 2, Binomial P(>6) < 0.005).
    pvalues = []
    for seed in range(40):
        x, y = np.random.default_rng(seed).normal(size=(2, 100))
        pvalues.append(dv.estimate.test(x, y, "kl", statistic="estimate", k=3, n_permutations=19,
                                        random_state=seed).pvalue)
    assert np.mean(pvalues) == pytest.approx(0.525, abs=0.14)
    assert np.sum(np.array(pvalues) <= 0.05) <= 6


def test_p_value_is_small_under_a_clear_alternative():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.0, 1.0, size=300), rng.normal(1.0, 1.0, size=300)  # KL = 0.5
    result = dv.estimate.test(x, y, "kl", statistic="estimate", k=3, n_permutations=99, random_state=0)
    assert result == (dv.estimate.kl(x, y, k=3), 0.01, 99, dv.estimate.kl(x, y, k=3), "kl")
    assert isinstance(result, unc.TestResult)
    energy = dv.estimate.test(x, y, "kl", k=3, n_permutations=99, random_state=0)
    assert (energy.pvalue, energy.estimate, energy.statistic_name) == (0.01, result.estimate, "energy distance")


@settings(max_examples=40, deadline=None)
@given(hs.integers(1, 30), hs.integers(2, 20), hs.integers(2, 20), hs.booleans(), hs.integers(0, 2**32 - 1))
def test_p_value_is_a_rank_between_one_over_b_plus_one_and_one(b, n, m, paired, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n if paired else m)
    result = permutation(lambda a, c: float(np.mean(a) * np.mean(c[:2])), x, y, paired=paired, n_permutations=b,
                         random_state=seed)
    assert 1 / (b + 1) <= result.pvalue <= 1
    assert result.pvalue * (b + 1) == pytest.approx(round(result.pvalue * (b + 1)), abs=1e-9)


def test_public_test_is_reproducible_with_a_random_estimator():
    # JS of samples of unequal sizes draws a random subsample inside the estimator: random_state
    # must fix it too, or the same call gives different p-values.
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=120), rng.normal(0.3, 1.0, size=80)
    results = {dv.estimate.test(x, y, "js", n_permutations=19, random_state=2) for _ in range(3)}
    assert len(results) == 1
    assert results == {dv.estimate.test(x, y, "js", n_permutations=19, random_state=np.random.default_rng(2))}


def test_the_plus_one_rule():
    x, y = np.arange(10.0), np.arange(10.0, 20.0)
    # the data are the most extreme split: no permutation reaches them, yet p is 1 / (B + 1), not 0
    assert permutation(mean_gap, x, y, n_permutations=49).pvalue == 1 / 50
    # a statistic blind to the split: every permutation ties with the data, p = 1
    assert permutation(lambda a, b: 0.0, x, y, n_permutations=49) == (0.0, 1.0, 49, 0.0, "estimate")
    # ties count as at least as extreme (>=)
    assert permutation(lambda a, b: float(len(a)), x, y[:4], n_permutations=9).pvalue == 1.0


def test_two_sample_permutations_re_split_the_pooled_rows():
    x, y = np.arange(14.0).reshape(7, 2), -1 - np.arange(10.0).reshape(5, 2)
    seen = []

    def record(a, b):
        seen.append((a, b))
        return 0.0

    permutation(record, x, y, n_permutations=30)
    pooled = np.concatenate([x, y])
    for a, b in seen[1:]:
        assert (a.shape, b.shape) == ((7, 2), (5, 2))
        both = np.concatenate([a, b])
        assert np.array_equal(np.sort(both, axis=0), np.sort(pooled, axis=0))  # rows intact, all used
        assert np.array_equal(both[:, 1] - both[:, 0], np.where(both[:, 0] >= 0, 1.0, -1.0))
    assert any(not np.array_equal(a, x) for a, _ in seen[1:])


def test_independence_permutations_shuffle_y_against_x():
    x, y = np.arange(8.0), np.arange(16.0).reshape(8, 2)
    seen = []

    def record(a, b):
        seen.append((a, b))
        return 0.0

    permutation(record, x, y, paired=True, n_permutations=30)
    for a, b in seen[1:]:
        assert np.array_equal(a, x)
        assert np.array_equal(np.sort(b[:, 0]), y[:, 0]) and np.array_equal(b[:, 1] - b[:, 0], np.ones(8))
    assert any(not np.array_equal(b, y) for _, b in seen[1:])


def test_independence_test_detects_dependence_and_not_its_absence():
    def abs_correlation(a, b):
        return abs(float(np.corrcoef(a, b)[0, 1]))

    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    dependent = permutation(abs_correlation, x, x + rng.normal(size=200), paired=True, n_permutations=99)
    assert dependent.pvalue == 0.01
    independent = [
        permutation(abs_correlation, *np.random.default_rng(s).normal(size=(2, 50)), paired=True,
                    n_permutations=19, random_state=s).pvalue
        for s in range(100)
    ]
    assert np.mean(np.array(independent) <= 0.05) <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 100)


def test_permutation_progress_and_reproducibility():
    x, y = np.random.default_rng(5).normal(size=(2, 40))
    calls = []
    a = unc.permutation_test(mean_gap, x, y, paired=False, n_permutations=5, random_state=3,
                             progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 5) for i in range(1, 6)]
    assert a == permutation(mean_gap, x, y, n_permutations=5, random_state=3)
    assert a == permutation(mean_gap, x, y, n_permutations=5, random_state=np.random.default_rng(3))


@pytest.mark.parametrize(
    "statistic, kwargs, message",
    [
        (mean_gap, {"n_permutations": 0}, "n_permutations must be an integer >= 1"),
        (mean_gap, {"random_state": 1.5}, "random_state must be"),
        (mean_gap, {"paired": True, "y": np.arange(4.0)}, "same number of rows .* got 5 and 4"),
        (mean_gap, {"y": np.ones((5, 2))}, "same dimensions"),
        (lambda a, b: math.nan, {}, "NaN on the data"),
        (lambda a, b: 0.0 if a[0] == 0 else math.nan, {}, r"NaN on permutation \d+ of 9"),
    ],
)
def test_permutation_arguments_are_checked(statistic, kwargs, message):
    args = {"y": np.arange(5.0, 10.0), "paired": False, "n_permutations": 9, "random_state": 0, **kwargs}
    with pytest.raises(dv.InvalidInputError, match=message):
        unc.permutation_test(statistic, np.arange(5.0), **args)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {"metric": "hellinger"}, "metric must be one of 'kl', 'js', 'mutual_information', got 'hellinger'"),
        ((), {"kk": 3}, "kl takes no option 'kk'; its options are method, k"),
        ((), {"ci": 0.95}, "ci does not apply to a test"),
        ((), {"n_permutations": 0}, "n_permutations must be an integer >= 1"),
        ((), {"random_state": "x"}, "random_state must be"),
        ((dv.Normal(0.0, 1.0),), {}, "y must be samples"),
        ((np.ones((2, 2, 2)),), {}, r"y must have shape \(n,\) or \(n, d\)"),
        ((np.ones((50, 2)),), {}, "x and y must have the same dimensions"),
    ],
)
def test_public_test_checks_its_arguments(args, kwargs, message):
    x = np.random.default_rng(6).normal(size=50)
    y = args[0] if args else np.random.default_rng(7).normal(size=50)
    with pytest.raises(dv.InvalidInputError, match=message):
        dv.estimate.test(x, y, n_permutations=kwargs.pop("n_permutations", 5), **kwargs)
