"""Estimators on discrete samples: entropies with bias corrections, plug-in KL/JS, mutual information.

References: each formula recomputed in mpmath from its paper on small count vectors (the
Grassberger G(n) through its recurrence, NSB by adaptive quadrature over beta), exact
expectations of the plug-in and Miller-Madow estimators under a uniform multinomial, the
library's own ``dv.kl``/``dv.js`` on the count vectors, and scikit-learn's ``mutual_info_score``.
"""

from __future__ import annotations

import importlib
import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import mutual_info_score

import divergences as dv
from divergences.estimate._discrete import entropy, entropy_from_counts, js, kl, mutual_information

_discrete = importlib.import_module("divergences.estimate._discrete")

COUNTS = [[3, 1, 1], [1, 1, 1, 1], [5], [2, 2, 1, 7, 1, 1], [10, 1, 3, 3, 1, 1, 1, 40]]


def _symbols(counts: list[int]) -> np.ndarray:
    """A sample in which symbol i occurs counts[i] times, shuffled."""
    x = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(len(x)).permutation(x)


# ---------------------------------------------------------------------------------------------
# Reference formulas in mpmath


def _mp_plugin(counts):
    n = mp.mpf(sum(counts))
    return -mp.fsum(c / n * mp.log(c / n) for c in counts)


def _mp_chao_shen(counts):
    n = mp.mpf(sum(counts))
    f1 = sum(1 for c in counts if c == 1)
    f1 = n - 1 if f1 == n else f1
    coverage = 1 - f1 / n
    terms = []
    for c in counts:
        pa = coverage * c / n
        terms.append(-pa * mp.log(pa) / (1 - (1 - pa) ** n))
    return mp.fsum(terms)


def _mp_grassberger_g(m: int):
    """Grassberger's G(n) from its recurrence: G(1) = -gamma - log 2, G(2) = 2 - gamma - log 2,
    G(2j+1) = G(2j), G(2j+2) = G(2j) + 2/(2j+1)."""
    if m == 1:
        return -mp.euler - mp.log(2)
    g, even = 2 - mp.euler - mp.log(2), 2  # G(2); G(m) = G(largest even <= m)
    while even + 2 <= m:
        g += mp.mpf(2) / (even + 1)
        even += 2
    return g


def _mp_grassberger(counts):
    n = mp.mpf(sum(counts))
    return mp.log(n) - mp.fsum(c * _mp_grassberger_g(c) for c in counts) / n


def _mp_posterior_mean_entropy(counts, size, beta):
    """E[H | n, beta] under the Dirichlet(n + beta) posterior (Wolpert & Wolf 1995), all K bins."""
    a = sum(counts) + size * beta
    seen = mp.fsum((c + beta) * mp.psi(0, c + beta + 1) for c in counts)
    return mp.psi(0, a + 1) - (seen + (size - len(counts)) * beta * mp.psi(0, beta + 1)) / a


def _mp_nsb(counts, size):
    """NSB posterior mean: integral over beta in (0, inf) of p(n|beta) dxi/dbeta E[H|n,beta], normalised."""
    n = sum(counts)

    def log_like(beta):
        return (
            mp.loggamma(size * beta)
            - mp.loggamma(n + size * beta)
            + mp.fsum(mp.loggamma(c + beta) - mp.loggamma(beta) for c in counts)
        )

    def weight(beta):
        return mp.exp(log_like(beta) - shift) * (size * mp.psi(1, size * beta + 1) - mp.psi(1, beta + 1))

    shift = log_like(mp.mpf(1))
    cuts = [0, mp.mpf(1) / size, n, mp.inf]
    norm = mp.quad(weight, cuts)
    first = mp.quad(lambda b: weight(b) * _mp_posterior_mean_entropy(counts, size, b), cuts)
    return first / norm


# ---------------------------------------------------------------------------------------------
# Entropy: exact formulas


@pytest.mark.parametrize("counts", COUNTS)
def test_entropies_match_their_formulas(counts):
    x = _symbols(counts)
    n, observed = sum(counts), len(counts)
    with mp.workdps(30):
        plugin = _mp_plugin(counts)
        assert entropy(x, "plugin") == pytest.approx(float(plugin), rel=1e-13, abs=1e-15)
        assert entropy(x, "miller_madow") == pytest.approx(float(plugin + mp.mpf(observed - 1) / (2 * n)), rel=1e-13, abs=1e-15)
        assert entropy(x, "chao_shen") == pytest.approx(float(_mp_chao_shen(counts)), rel=1e-12, abs=1e-15)
        assert entropy(x, "grassberger") == pytest.approx(float(_mp_grassberger(counts)), rel=1e-12, abs=1e-14)


def test_chao_shen_by_hand_when_every_symbol_is_a_singleton():
    # f1 = N = 2 is replaced by N - 1: coverage 1/2, pa = 1/4, P(seen) = 1 - (3/4)^2 = 7/16.
    assert entropy([0, 1], "chao_shen") == pytest.approx(2 * (0.25 * math.log(4)) / (7 / 16), rel=1e-14)


def test_grassberger_g_reference_agrees_with_the_digamma_form():
    # The recurrence (reference) and the closed digamma form (implementation) are two routes to G(n).
    for m in range(1, 12):
        closed = mp.psi(0, m) + mp.mpf(-1) ** m / 2 * (mp.psi(0, mp.mpf(m + 1) / 2) - mp.psi(0, mp.mpf(m) / 2))
        assert float(_mp_grassberger_g(m)) == pytest.approx(float(closed), rel=1e-14, abs=1e-15)


def test_posterior_mean_entropy_reference_against_a_beta_integral():
    # Two symbols: the posterior is Beta(n1 + b, n2 + b); integrate the entropy against it.
    for beta in (mp.mpf("0.01"), mp.mpf(1), mp.mpf(50)):
        a, b = 3 + beta, 1 + beta

        def h(p, a=a, b=b):
            return -(p * mp.log(p) + (1 - p) * mp.log(1 - p)) * p ** (a - 1) * (1 - p) ** (b - 1) / mp.beta(a, b)

        assert float(_mp_posterior_mean_entropy([3, 1], 2, beta)) == pytest.approx(float(mp.quad(h, [0, 1])), rel=1e-10)


@pytest.mark.parametrize(
    ("counts", "size"),
    [([3, 1], 2), ([3, 1, 1], 10), ([1, 1, 1, 1], 4), ([2, 2, 1, 7, 1, 1], 200), ([50, 50, 50, 50], 4)],
)
def test_nsb_matches_quadrature_over_beta(counts, size):
    with mp.workdps(15):
        exact = float(_mp_nsb(counts, size))
    assert entropy_from_counts(np.array(counts), "nsb", alphabet_size=size) == pytest.approx(exact, rel=1e-9)
    assert 0.0 <= exact <= math.log(size)


def test_nsb_alphabet_defaults_to_the_observed_symbols():
    x = _symbols([3, 1, 1])
    assert entropy(x, "nsb") == entropy(x, "nsb", alphabet_size=3)
    assert entropy([4, 4, 4], "nsb") == 0.0  # one symbol: nothing uncertain
    assert entropy([4, 4, 4], "nsb", alphabet_size=5) > 0.0


def test_nsb_prior_slope_at_large_beta():
    # The series branch of d xi / d beta (beta > 1e3) against mpmath, and continuity at the switch.
    for size in (2, 50, 10**6):
        betas = np.array([999.0, 1001.0, 1e5, 1e12])
        with mp.workdps(50):  # the two terms cancel to 1/beta^2: mpmath needs the digits too
            exact = [float(size * mp.psi(1, size * mp.mpf(b) + 1) - mp.psi(1, mp.mpf(b) + 1)) for b in betas]
        np.testing.assert_allclose(_discrete._dxi(betas, size), exact, rtol=1e-11)


# ---------------------------------------------------------------------------------------------
# Entropy: behaviour on simulated data (uniform over K = 50 symbols, N = 60 draws)


def test_bias_of_the_entropy_estimators_on_an_undersampled_uniform():
    size, n, reps = 50, 60, 200
    rng = np.random.default_rng(2024)
    samples = [rng.integers(0, size, n) for _ in range(reps)]
    mean = {m: np.mean([entropy(x, m) for x in samples]) for m in ("plugin", "miller_madow", "chao_shen", "grassberger")}
    mean["nsb"] = np.mean([entropy(x, "nsb", alphabet_size=size) for x in samples])
    mean["nsb_observed"] = np.mean([entropy(x, "nsb") for x in samples])
    bias = {m: v - math.log(size) for m, v in mean.items()}

    # Exact expectations: each count is Binomial(N, 1/K), and E[K_observed] = K (1 - (1 - 1/K)^N).
    j = np.arange(1, n + 1)
    e_nlogn = np.sum(stats.binom.pmf(j, n, 1 / size) * j * np.log(j))
    e_plugin = math.log(n) - size * e_nlogn / n
    e_observed = size * (1 - (1 - 1 / size) ** n)
    # sd over seeds 0.07-0.09 (sd of the mean 0.006): four standard errors.
    assert mean["plugin"] == pytest.approx(e_plugin, abs=0.025)
    assert mean["miller_madow"] == pytest.approx(e_plugin + (e_observed - 1) / (2 * n), abs=0.025)

    # Bias -0.48 (plug-in), -0.19 (MM); Chao-Shen +0.06, Grassberger -0.02, NSB with K known -0.09.
    assert abs(bias["miller_madow"]) < abs(bias["plugin"])
    for m in ("chao_shen", "grassberger", "nsb"):
        assert abs(bias[m]) < abs(bias["miller_madow"]), m
    # NSB needs the alphabet: with K = the ~35 symbols seen it is nearly as biased as plug-in.
    assert bias["nsb_observed"] < bias["miller_madow"]


# ---------------------------------------------------------------------------------------------
# KL and JS of two samples on the union alphabet


def test_kl_and_js_match_the_divergences_of_the_counts():
    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefg"))
    x = letters[rng.integers(0, 5, 300)]  # a..e
    y = letters[rng.integers(0, 7, 400)]  # a..g: symbols x never shows
    union = sorted(set(x) | set(y))
    cx = np.array([np.sum(x == s) for s in union], dtype=float)
    cy = np.array([np.sum(y == s) for s in union], dtype=float)
    assert kl(x, y) == pytest.approx(float(dv.kl(cx, cy, normalize=True)), rel=1e-13)
    assert js(x, y) == pytest.approx(float(dv.js(cx, cy, normalize=True)), rel=1e-13)
    assert kl(y, x) == math.inf  # f and g never occur in x
    assert kl(y, x, smoothing=0.5) == pytest.approx(float(dv.kl(cy + 0.5, cx + 0.5, normalize=True)), rel=1e-13)
    assert js(y, x, smoothing=1) == pytest.approx(float(dv.js(cy + 1, cx + 1, normalize=True)), rel=1e-13)


def test_rows_are_symbols():
    x = np.array([[0, 1], [0, 1], [1, 0], [1, 1]])
    y = np.array([[1, 0], [0, 1], [1, 1], [1, 1]])
    # pmfs on (0,1), (1,0), (1,1): x = (1/2, 1/4, 1/4), y = (1/4, 1/4, 1/2)
    assert kl(x, y) == pytest.approx(0.5 * math.log(2) + 0.25 * math.log(0.5), rel=1e-14)
    # (n,) and (n, 1) are the same symbols
    assert kl([1, 2, 2], np.array([[1], [2], [3]])) == pytest.approx(kl([1, 2, 2], [1, 2, 3]), rel=1e-15)
    with pytest.raises(dv.InvalidInputError, match="same shape"):
        kl(x, np.zeros((4, 3)))


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "a", True])
def test_smoothing_is_checked(bad):
    with pytest.raises(dv.InvalidInputError, match="smoothing"):
        kl([0, 1], [0, 1], smoothing=bad)


# ---------------------------------------------------------------------------------------------
# Mutual information


def test_plugin_mutual_information_matches_sklearn():
    rng = np.random.default_rng(11)
    x = rng.integers(0, 6, 1000)
    y = (x + rng.integers(0, 3, 1000)) % 5
    assert mutual_information(x, y) == pytest.approx(mutual_info_score(x, y), rel=1e-12)
    labels = np.array(["u", "v", "w"])[y % 3]
    assert mutual_information(x, labels) == pytest.approx(mutual_info_score(x, labels), rel=1e-12)


def test_miller_madow_mutual_information_is_the_sum_of_corrected_entropies():
    rng = np.random.default_rng(12)
    x = rng.integers(0, 4, 200)
    y = rng.integers(0, 3, 200)
    pairs = np.stack([x, y], axis=1)
    expected = entropy(x, "miller_madow") + entropy(y, "miller_madow") - entropy(pairs, "miller_madow")
    assert mutual_information(x, y, "miller_madow") == pytest.approx(expected, abs=1e-13)


def test_errors():
    with pytest.raises(dv.InvalidInputError, match="same number of samples"):
        mutual_information([0, 1, 1], [0, 1])
    with pytest.raises(dv.InvalidInputError, match="method"):
        mutual_information([0, 1], [0, 1], "nsb")
    with pytest.raises(dv.InvalidInputError, match="method"):
        entropy([0, 1], "knn")
    with pytest.raises(dv.InvalidInputError, match="alphabet_size"):
        entropy([0, 1, 2], "nsb", alphabet_size=2)
    with pytest.raises(dv.InvalidInputError, match="alphabet_size"):
        entropy([0, 1, 2], "plugin", alphabet_size=5)
    with pytest.raises(dv.InvalidInputError, match="x"):
        entropy([])


# ---------------------------------------------------------------------------------------------
# Properties

symbol_lists = st.lists(st.integers(0, 6), min_size=1, max_size=60)


@given(symbol_lists, st.sampled_from(_discrete.ENTROPY_METHODS))
def test_entropy_ignores_the_names_of_the_symbols(x, method):
    renamed = [f"s{7 * v + 3}" for v in x]
    assert entropy(renamed, method) == pytest.approx(entropy(x, method), rel=1e-12, abs=1e-14)


@given(symbol_lists)
def test_entropy_bounds(x):
    observed = len(set(x))
    plugin = entropy(x)
    assert 0.0 <= plugin <= math.log(observed) + 1e-12
    assert entropy(x, "miller_madow") >= plugin
    assert 0.0 <= entropy(x, "nsb", alphabet_size=8) <= math.log(8) + 1e-12


@given(st.data())
def test_mutual_information_properties(data):
    n = data.draw(st.integers(1, 50))
    x = data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    y = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    mi = mutual_information(x, y)
    assert mi == pytest.approx(mutual_information(y, x), abs=1e-13)
    assert -1e-13 <= mi <= min(entropy(x), entropy(y)) + 1e-12
    assert mutual_information(x, x) == pytest.approx(entropy(x), abs=1e-12)
    assert mutual_information(x, [1] * n) == 0.0
    assert mutual_information(x, [1] * n, "miller_madow") == 0.0


@given(symbol_lists, symbol_lists)
def test_kl_and_js_properties(x, y):
    assert kl(x, x) == 0.0 and js(x, x) == 0.0
    assert kl(x, y) >= 0.0
    assert 0.0 <= js(x, y) <= math.log(2) + 1e-12
    assert js(x, y) == pytest.approx(js(y, x), abs=1e-13)
    assert kl(x, y, smoothing=1.0) < math.inf
