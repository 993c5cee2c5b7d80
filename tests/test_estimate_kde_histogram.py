"""Histogram and KDE plug-in estimators (``estimate._histogram``, ``estimate._kde``).

References: closed forms of KL and entropy (written out in this file), numpy's bin
rules, dense histograms through ``np.histogramdd`` and ``divergences.kl``/``js``, SciPy's
``gaussian_kde`` and ``scipy.integrate.quad``. Truth tolerances are about 3.5 standard
deviations of the estimator plus its bias, both measured over 20 seeds (1000..1019) at the
sizes used here and quoted next to each test; for comparison, the KDE estimator of the
``divergence`` package 1.1.0 (M. Nowotny) gave 0.4625 +- 0.008 (3 seeds) for
KL(N(0, 1) || N(1, 2^2)) = 0.4431 at n = m = 1000.
"""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import gaussian_kde, multivariate_normal

import divergences as dv

# the modules themselves (the package may expose lazy stand-ins under these names)
_histogram = importlib.import_module("divergences.estimate._histogram")
_kde = importlib.import_module("divergences.estimate._kde")

LOG2 = math.log(2.0)
KL_N01_N12 = math.log(2.0) + 2.0 / 8.0 - 0.5  # KL(N(0, 1) || N(1, 2^2)) = 0.4431
H_N01 = 0.5 * math.log(2 * math.pi * math.e)
COV2 = np.array([[1.0, 0.5], [0.5, 2.0]])
H_COV2 = 0.5 * math.log((2 * math.pi * math.e) ** 2 * np.linalg.det(COV2))


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def col(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).reshape(-1, 1)


# ----------------------------------------------------------------------------- bin edges


@pytest.mark.parametrize("rule", ["fd", "sturges", "auto"])
def test_rules_match_numpy_on_the_pooled_sample_in_one_dimension(rule):
    x, y = col(rng(1).normal(0, 1, 700)), col(rng(2).normal(1, 2, 500))
    (mine,) = _histogram.edges(x, y, rule)
    np.testing.assert_allclose(mine, np.histogram_bin_edges(np.concatenate([x, y])[:, 0], bins=rule), rtol=1e-13)


def test_default_rule_is_fd():
    x, y = col(rng(1).normal(size=300)), col(rng(2).normal(size=300))
    np.testing.assert_array_equal(_histogram.edges(x, y, None)[0], _histogram.edges(x, y, "fd")[0])


def test_fd_uses_the_d_dimensional_rate():
    x = rng(3).normal(size=(4000, 2))
    for j, e in enumerate(_histogram.edges(x, None, "fd")):
        q75, q25 = np.percentile(x[:, j], [75, 25])
        span = x[:, j].max() - x[:, j].min()
        assert len(e) - 1 == math.ceil(span / (2 * (q75 - q25) * 4000 ** (-1 / 4)))
        assert e[0] == x[:, j].min() and e[-1] == x[:, j].max()


def test_fd_falls_back_to_sturges_when_the_iqr_is_zero():
    x = col(np.concatenate([np.zeros(80), rng(4).normal(size=20)]))
    (fd,) = _histogram.edges(x, None, "fd")
    (sturges,) = _histogram.edges(x, None, "sturges")
    assert len(sturges) - 1 == math.ceil(math.log2(100) + 1)
    np.testing.assert_array_equal(fd, sturges)


def test_int_bins_are_equal_width_over_both_samples():
    x, y = col([0.0, 1.0, 2.0]), col([-2.0, 0.5])
    (e,) = _histogram.edges(x, y, 8)
    np.testing.assert_allclose(e, np.linspace(-2.0, 2.0, 9))


def test_quantile_edges_follow_x_and_span_both_samples():
    x, y = col(rng(5).exponential(size=2000)), col(rng(6).normal(0, 3, 1000))
    (e,) = _histogram.edges(x, y, "quantiles")
    q75, q25 = np.percentile(x, [75, 25])
    count = math.ceil(np.ptp(x) / (2 * (q75 - q25) * 2000 ** (-1 / 3)))
    inner = np.quantile(x[:, 0], np.linspace(0, 1, count + 1))[1:-1]
    np.testing.assert_allclose(e[1:-1], inner)
    assert e[0] == min(x.min(), y.min()) and e[-1] == max(x.max(), y.max())
    # equal-mass cells: every cell holds about n / count points of x
    counts = np.histogram(x[:, 0], e)[0]
    assert counts.max() - counts.min() <= 2


def test_quantile_edges_drop_repeats():
    x = col(np.concatenate([np.zeros(600), rng(7).normal(size=400)]))
    (e,) = _histogram.edges(x, None, "quantiles")
    assert np.all(np.diff(e) > 0)
    assert np.count_nonzero(e == 0.0) == 1


def test_explicit_edges_one_array_or_one_per_dimension():
    x, y = rng(8).uniform(0, 1, (50, 2)), rng(9).uniform(0, 1, (40, 2))
    common = [0.0, 0.5, 1.0]
    assert [list(e) for e in _histogram.edges(x, y, common)] == [common, common]
    per_dim = [np.linspace(0, 1, 3), np.linspace(0, 1, 5)]
    got = _histogram.edges(x, y, per_dim)
    assert [len(e) for e in got] == [3, 5]
    np.testing.assert_array_equal(_histogram.edges(x, y, np.array([common, common]))[1], common)


def test_points_outside_explicit_edges_are_counted_in_the_error():
    x, y = col([0.1, 0.2, 0.3]), col([0.5, 1.5, 2.5, -1.0])
    with pytest.raises(dv.InvalidInputError, match="3 of the 4 points of y fall outside"):
        _histogram.kl(x, y, bins=[0.0, 0.5, 1.0])
    # the last edge is inside (numpy's closed last bin)
    assert _histogram.kl(col([0.0, 1.0]), col([1.0, 0.0]), bins=[0.0, 0.5, 1.0]) == 0.0


MAX_CELLS = _histogram.MAX_CELLS


def test_too_many_cells_is_an_error():
    x = rng(10).normal(size=(100, 2))
    with pytest.raises(dv.InvalidInputError, match="16000000 cells"):
        _histogram.edges(x, None, 4000)
    with pytest.raises(dv.InvalidInputError, match="1000000000 cells"):  # fails before allocating
        _histogram.edges(x[:, :1], None, 10**9)
    with pytest.raises(dv.InvalidInputError, match="cells"):
        _histogram.kl(x, x, [np.linspace(0, 1, 5000)] * 2)
    heavy = col(rng(10).standard_cauchy(20000))  # fd on a heavy tail: many, but not too many, bins
    assert 1000 < len(_histogram.edges(heavy, None, "fd")[0]) < MAX_CELLS


@pytest.mark.parametrize(
    ("bins", "message"),
    [
        ("scott", "bins must be one of"),
        (0, "at least 1"),
        (True, "bins must"),
        ([0.0, 1.0, 1.0], "strictly increasing"),
        ([0.0, np.nan, 1.0], "finite"),
        ([1.0], "at least 2"),
        ([[0.0, 1.0]] * 3, "edges for 3 dimensions but the data have 2"),
        (np.zeros((2, 2, 2)), "shape"),
        (["a", "b"], "bins must"),
    ],
)
def test_invalid_bins(bins, message):
    with pytest.raises(dv.InvalidInputError, match=message):
        _histogram.check_bins(bins, 2)


# ----------------------------------------------------------------------------- histogram KL and JS

N_HIST = 20000


@pytest.mark.parametrize(
    ("rule", "tol"),
    # 20 seeds at n = m = 20000: fd 0.446 +- 0.008 (= auto), quantiles 0.435 +- 0.008,
    # sturges 0.421 +- 0.009 (its 16 wide bins smooth the densities: bias -0.02)
    [("fd", 0.03), ("auto", 0.03), ("quantiles", 0.04), ("sturges", 0.06)],
)
def test_histogram_kl_gaussians(rule, tol):
    x, y = rng(11).normal(0, 1, (N_HIST, 1)), rng(12).normal(1, 2, (N_HIST, 1))
    assert abs(_histogram.kl(x, y, rule) - KL_N01_N12) < tol


def test_histogram_kl_uniforms():
    # 20 seeds: 0.691 +- 0.007 (truth log 2)
    x, y = rng(13).uniform(0, 1, (N_HIST, 1)), rng(14).uniform(0, 2, (N_HIST, 1))
    assert abs(_histogram.kl(x, y) - LOG2) < 0.03
    assert abs(_histogram.kl(x, y, np.linspace(0, 2, 41)) - LOG2) < 0.03


def test_histogram_kl_exponentials():
    # KL(Exp(rate 2) || Exp(rate 0.5)) = log 4 + 1/4 - 1; 20 seeds: 0.637 +- 0.013
    truth = math.log(4.0) + 0.25 - 1.0
    x, y = rng(15).exponential(0.5, (N_HIST, 1)), rng(16).exponential(2.0, (N_HIST, 1))
    assert abs(_histogram.kl(x, y) - truth) < 0.05


def test_histogram_kl_two_dimensions_with_smoothing():
    # KL(N(0, I) || N(0.5 1, I)) = 0.25; corner cells of x without y make it inf unsmoothed;
    # smoothing 0.5: 20 seeds 0.269 +- 0.007 (plug-in and pseudo-count bias +0.02)
    x, y = rng(17).normal(0, 1, (N_HIST, 2)), rng(18).normal(0.5, 1, (N_HIST, 2))
    assert abs(_histogram.kl(x, y, smoothing=0.5) - 0.25) < 0.05


def test_smoothing_makes_an_empty_cell_of_y_finite():
    x, y = rng(19).exponential(2.0, (5000, 1)), rng(20).exponential(0.5, (5000, 1))
    assert _histogram.kl(x, y) == math.inf
    assert _histogram.kl(x, y, smoothing=0) == math.inf
    smoothed = _histogram.kl(x, y, smoothing=0.5)
    assert 0 < smoothed < math.inf


@pytest.mark.parametrize("smoothing", [None, 0.5, 3.0])
@pytest.mark.parametrize("d", [1, 2])
def test_agrees_with_divergences_on_dense_counts(d, smoothing):
    x, y = rng(21).normal(0, 1, (3000, d)), rng(22).normal(0.3, 1.5, (2000, d))
    grid = [np.linspace(-8, 8, 25)] * d
    cx = np.histogramdd(x, bins=grid)[0].ravel()
    cy = np.histogramdd(y, bins=grid)[0].ravel()
    for mine, theirs in ((_histogram.kl, dv.kl), (_histogram.js, dv.js)):
        expected = float(theirs(cx, cy, normalize=True, smoothing=smoothing))
        got = mine(x, y, grid, smoothing)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_infinite_kl_agrees_with_divergences():
    x, y = col([0.1, 0.6, 0.7]), col([0.2, 0.3])
    grid = [0.0, 0.5, 1.0]
    assert _histogram.kl(x, y, grid) == float(dv.kl(np.histogram(x, grid)[0], np.histogram(y, grid)[0],
                                                     normalize=True)) == math.inf


def test_js_of_disjoint_and_identical_samples():
    x, y = col([0.1, 0.2, 0.3]), col([0.7, 0.8])
    assert _histogram.js(x, y, [0.0, 0.5, 1.0]) == pytest.approx(LOG2, rel=1e-15)
    assert _histogram.js(x, x) == 0.0
    assert _histogram.kl(x, x) == 0.0


def test_histogram_js_gaussians():
    # JS(N(0, 1), N(1, 1)) = 0.1114214822 nats (no closed form: adaptive quadrature to ~1e-15);
    # plug-in bias ~ +K/(4n)
    x, y = rng(23).normal(0, 1, (N_HIST, 1)), rng(24).normal(1, 1, (N_HIST, 1))
    assert abs(_histogram.js(x, y) - 0.1114214822) < 0.02


def test_dimension_mismatch():
    with pytest.raises(dv.InvalidInputError, match="1 dimensions but y has 2"):
        _histogram.kl(col([1.0, 2.0]), np.ones((2, 2)))


def test_invalid_smoothing():
    with pytest.raises(dv.InvalidInputError, match="smoothing"):
        _histogram.kl(col([1.0, 2.0]), col([1.0, 2.0]), smoothing=-1)


samples = st.tuples(
    st.integers(0, 2**32 - 1), st.integers(5, 200), st.integers(5, 200), st.integers(1, 3),
    st.floats(-3, 3), st.floats(0.2, 5),
)


def draw(spec):
    seed, n, m, d, shift, scale = spec
    r = rng(seed)
    return r.normal(size=(n, d)), r.normal(shift, scale, (m, d))


@settings(max_examples=60)
@given(samples, st.sampled_from(["fd", "sturges", "auto", 7]), st.sampled_from([None, 0.1, 1.0]))
def test_histogram_properties(spec, bins, smoothing):
    x, y = draw(spec)
    forward = _histogram.js(x, y, bins, smoothing)
    assert forward == _histogram.js(y, x, bins, smoothing)
    assert -1e-15 <= forward <= LOG2 + 1e-15
    assert _histogram.kl(x, y, bins, smoothing) >= 0.0
    assert _histogram.kl(x, x, bins, smoothing) == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------------------- histogram entropy


def test_histogram_entropy_normal():
    # 20 seeds at n = 20000: 1.415 +- 0.005, Miller-Madow 1.417 +- 0.005 (truth 1.419)
    x = rng(25).normal(size=(N_HIST, 1))
    assert abs(_histogram.entropy(x) - H_N01) < 0.02
    assert abs(_histogram.entropy(x, miller_madow=True) - H_N01) < 0.02


def test_histogram_entropy_uniform():
    # 20 seeds: -0.0008 +- 0.0002, Miller-Madow -0.0001 +- 0.0002 (truth 0)
    x = rng(26).uniform(size=(N_HIST, 1))
    assert abs(_histogram.entropy(x)) < 0.002
    assert abs(_histogram.entropy(x, miller_madow=True)) < 0.001
    # scaling by 3 adds log 3 (cells scale with the data)
    assert _histogram.entropy(3 * x) == pytest.approx(_histogram.entropy(x) + math.log(3), abs=1e-12)


def test_histogram_entropy_two_dimensional_gaussian():
    # 20 seeds at n = 20000: 3.097 +- 0.007 (plug-in bias -(K-1)/2n = -0.017), Miller-Madow 3.114 +- 0.007
    x = rng(27).multivariate_normal([0, 0], COV2, N_HIST)
    assert abs(_histogram.entropy(x, miller_madow=True) - H_COV2) < 0.03
    plain = _histogram.entropy(x)
    assert abs(plain - H_COV2) < 0.05
    occupied = np.count_nonzero(np.histogramdd(x, bins=_histogram.edges(x, None, "fd"))[0])
    assert _histogram.entropy(x, miller_madow=True) - plain == pytest.approx((occupied - 1) / (2 * N_HIST))


@pytest.mark.parametrize("bins", ["fd", "sturges", "quantiles", 13, np.linspace(-6, 6, 31)])
def test_histogram_entropy_is_that_of_numpys_density(bins):
    x = rng(28).standard_t(5, size=(3000, 1))
    if not isinstance(bins, str) and np.ndim(bins):
        x = np.clip(x, -6, 6)
    density, e = np.histogram(x[:, 0], bins=_histogram.edges(x, None, bins)[0], density=True)
    mass = density * np.diff(e)
    keep = mass > 0
    expected = -np.sum(mass[keep] * np.log(density[keep]))
    assert _histogram.entropy(x, bins) == pytest.approx(expected, rel=1e-12)


def test_histogram_entropy_errors():
    with pytest.raises(dv.InvalidInputError, match="single value in dimension 1"):
        _histogram.entropy(np.column_stack([rng(29).normal(size=10), np.ones(10)]))
    with pytest.raises(dv.InvalidInputError, match="miller_madow"):
        _histogram.entropy(col([1.0, 2.0]), miller_madow="yes")


# ----------------------------------------------------------------------------- KDE density


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("bandwidth", ["scott", "silverman", 0.3])
def test_log_density_matches_gaussian_kde(d, bandwidth):
    r = rng(30 + d)
    x = r.normal(size=(400, d)) * np.arange(1, d + 1) + 5.0
    queries = r.normal(size=(250, d)) * 3.0
    expected = gaussian_kde(x.T, bw_method=bandwidth).logpdf(queries.T)
    got = _kde.log_density(_kde.fit(x, bandwidth), queries)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_log_density_blocks_give_the_same_answer(monkeypatch):
    x = rng(34).normal(size=(300, 2))
    whole = _kde.log_density(_kde.fit(x), x, leave_one_out=True)
    monkeypatch.setattr(_kde, "_BLOCK", 7 * 300)  # 7 rows per block, a ragged last block
    np.testing.assert_allclose(_kde.log_density(_kde.fit(x), x, leave_one_out=True), whole, rtol=1e-14)


def test_leave_one_out_uses_the_full_sample_bandwidth():
    x = rng(35).normal(size=(40, 2))
    cov = gaussian_kde(x.T).covariance
    expected = [
        math.log(np.mean(multivariate_normal(np.zeros(2), cov).pdf(np.delete(x, i, axis=0) - x[i])))
        for i in range(len(x))
    ]
    got = _kde.log_density(_kde.fit(x), x, leave_one_out=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("bandwidth", "message"),
    [(0, "positive"), (-1.0, "positive"), (math.inf, "positive"), (math.nan, "positive"),
     ("normal_reference", "scott"), (True, "scott"), ([0.3], "scott")],
)
def test_invalid_bandwidth(bandwidth, message):
    with pytest.raises(dv.InvalidInputError, match=message):
        _kde.check_bandwidth(bandwidth)


def test_bandwidth_and_evaluation_defaults():
    assert _kde.check_bandwidth(None) == "scott"
    assert _kde.check_bandwidth(np.float32(0.5)) == 0.5
    assert _kde.check_evaluation(None) == "resubstitution"
    with pytest.raises(dv.InvalidInputError, match="evaluation must be"):
        _kde.check_evaluation("quad")


def test_kde_input_errors():
    x = rng(36).normal(size=(50, 2))
    with pytest.raises(dv.InvalidInputError, match="one dimension only"):
        _kde.kl(x, x + 1, evaluation="integration")
    with pytest.raises(dv.InvalidInputError, match="covariance of y is singular"):
        _kde.kl(x, np.column_stack([x[:, 0], np.ones(50)]))
    with pytest.raises(dv.InvalidInputError, match="covariance of x is singular"):
        _kde.entropy(x[:2])
    with pytest.raises(dv.InvalidInputError, match="at least 2 points"):
        _kde.entropy(x[:1])
    with pytest.raises(dv.InvalidInputError, match="2 dimensions but y has 1"):
        _kde.js(x, x[:, :1])


# ----------------------------------------------------------------------------- KDE estimates

N_KDE = 2000


def test_kde_kl_gaussians():
    # 20 seeds at n = m = 3000: resubstitution 0.453 +- 0.017, integration 0.443 +- 0.017;
    # at n = 2000 the sd is about 0.021 (bias +0.01 from the kernels)
    x, y = rng(37).normal(0, 1, (N_KDE, 1)), rng(38).normal(1, 2, (N_KDE, 1))
    assert abs(_kde.kl(x, y) - KL_N01_N12) < 0.08
    assert abs(_kde.kl(x, y, evaluation="integration") - KL_N01_N12) < 0.08


def test_kde_kl_two_dimensions():
    # KL(N(0, I) || N(0.5 1, I)) = 0.25; 20 seeds at n = m = 2000: 0.249 +- 0.033
    x, y = rng(39).normal(0, 1, (N_KDE, 2)), rng(40).normal(0.5, 1, (N_KDE, 2))
    assert abs(_kde.kl(x, y) - 0.25) < 0.12


def test_kde_entropy():
    # 20 seeds: N(0, 1) at n = 3000 1.419 +- 0.011; 2-D at n = 2000 3.123 +- 0.017
    assert abs(_kde.entropy(rng(41).normal(size=(N_KDE, 1))) - H_N01) < 0.05
    assert abs(_kde.entropy(rng(42).multivariate_normal([0, 0], COV2, N_KDE)) - H_COV2) < 0.07


def test_kde_entropy_integration_is_that_of_the_smoothed_density():
    # the KDE of N(0, 1) data has variance about 1 + factor^2: entropy up to 0.5 log(1 + factor^2) higher
    x = rng(43).normal(size=(N_KDE, 1))
    factor = N_KDE ** (-0.2)
    value = _kde.entropy(x, evaluation="integration")
    assert abs(value - H_N01 - 0.5 * math.log(1 + factor**2)) < 0.04


def test_kde_js_gaussians():
    # JS(N(0, 1), N(1, 1)) = 0.1114; 20 seeds at n = 3000: 0.1115 +- 0.006 (resub), 0.109 +- 0.006 (integration)
    x, y = rng(44).normal(0, 1, (N_KDE, 1)), rng(45).normal(1, 1, (N_KDE, 1))
    for evaluation in ("resubstitution", "integration"):
        assert abs(_kde.js(x, y, evaluation=evaluation) - 0.1114214822) < 0.03


def test_leave_one_out_removes_the_upward_bias():
    # identical distributions in 4-D: KL 0. Keeping x_i in p_hat(x_i) adds its own kernel
    # peak K_h(0) / n, large against p_hat when n h^d is small.
    x, y = rng(46).normal(size=(500, 4)), rng(47).normal(size=(500, 4))
    p, q = _kde.fit(x), _kde.fit(y)
    with_self = float(np.mean(_kde.log_density(p, x) - _kde.log_density(q, x)))
    assert abs(_kde.kl(x, y)) < 0.05
    assert with_self > 0.3


def mixture_pdf(sample):
    """The 1-D Gaussian KDE written out: mean of normal densities at gaussian_kde's bandwidth."""
    h = math.sqrt(gaussian_kde(sample).covariance[0, 0])
    return lambda t: float(np.mean(np.exp(-0.5 * ((t - sample) / h) ** 2))) / (h * math.sqrt(2 * math.pi))


def test_integration_route_matches_quad_on_small_samples():
    x, y = rng(48).normal(0, 1, 8), rng(49).normal(0.7, 1.5, 6)
    p, q = mixture_pdf(x), mixture_pdf(y)
    lo, hi = min(x.min(), y.min()) - 15, max(x.max(), y.max()) + 15

    def quad(f):
        return integrate.quad(f, lo, hi, points=np.concatenate([x, y]), limit=500, epsabs=1e-12, epsrel=1e-10)[0]

    def plogp(a, b):  # a log(a / b), 0 where a underflows
        return a * math.log(a / b) if a > 0 else 0.0

    xs, ys = col(x), col(y)
    kl = quad(lambda t: plogp(p(t), q(t)))
    js = quad(lambda t: 0.5 * (plogp(p(t), 0.5 * (p(t) + q(t))) + plogp(q(t), 0.5 * (p(t) + q(t)))))
    h = -quad(lambda t: plogp(p(t), 1.0))
    assert _kde.kl(xs, ys, evaluation="integration") == pytest.approx(kl, abs=1e-8)
    assert _kde.js(xs, ys, evaluation="integration") == pytest.approx(js, abs=1e-8)
    assert _kde.entropy(xs, evaluation="integration") == pytest.approx(h, abs=1e-8)


kde_samples = st.tuples(
    st.integers(0, 2**32 - 1), st.integers(3, 40), st.integers(3, 40), st.floats(-4, 4), st.floats(0.2, 5),
    st.sampled_from(["scott", "silverman", 0.5]),
)


def draw_kde(spec, d):
    seed, n, m, shift, scale, bandwidth = spec
    r = rng(seed)
    return r.normal(size=(n, d)), r.normal(shift, scale, (m, d)), bandwidth


@settings(max_examples=25)
@given(kde_samples)
def test_kde_integration_properties(spec):
    x, y, bandwidth = draw_kde(spec, 1)
    forward = _kde.js(x, y, bandwidth, "integration")
    assert forward == pytest.approx(_kde.js(y, x, bandwidth, "integration"), abs=1e-8)
    assert -1e-9 <= forward <= LOG2 + 1e-9
    assert _kde.kl(x, y, bandwidth, "integration") >= -1e-9


@settings(max_examples=25)
@given(kde_samples, st.integers(1, 3))
def test_kde_resubstitution_properties(spec, d):
    x, y, bandwidth = draw_kde(spec, d)
    if min(len(x), len(y)) <= d:
        return
    forward = _kde.js(x, y, bandwidth)
    assert forward == pytest.approx(_kde.js(y, x, bandwidth), rel=1e-12, abs=1e-15)
    assert forward <= LOG2
    assert math.isfinite(_kde.kl(x, y, bandwidth)) and math.isfinite(_kde.entropy(x, bandwidth))


def test_a_histogram_with_too_many_cells_for_its_points_says_so():
    # 3-D, 1000 points per sample, one distribution: the plug-in JS is +0.15 where the truth is 0.
    rng = np.random.default_rng(50)
    x, y = rng.normal(size=(2, 1000, 3))
    with pytest.warns(UserWarning, match=r"occupied cells for 1000 and 1000 points in 3 dimension\(s\): the plug-in JS"):
        value = dv.estimate.js(x, y, method="histogram")
    assert value > 0.1
    big = rng.normal(size=(2, 100_000, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1-D, many points per cell: nothing to say
        assert dv.estimate.js(big[0], big[1], method="histogram") < 0.005
        # nor from every resample of an interval: said once, on the full sample
        dv.estimate.js(big[0][:5000], big[1][:5000], method="histogram", ci=0.9, n_resamples=20, random_state=0)


# --------------------------------------------------------------------------- bounded supports


def _reflected_entropy_reference(x: np.ndarray, low: float, high: float) -> float:
    """Leave-one-out resubstitution entropy of the reflected Gaussian KDE, written out term by term."""
    n = x.size
    h = x.std(ddof=1) * n ** (-1 / 5)  # Scott's factor times the standard deviation, in 1-D
    kernel = lambda t: np.exp(-0.5 * (t / h) ** 2) / (h * np.sqrt(2 * np.pi))  # noqa: E731
    dens = np.empty(n)
    for i in range(n):
        others = np.delete(x, i)
        copies = [others] + [2 * end - others for end in (low, high) if np.isfinite(end)]
        dens[i] = sum(kernel(x[i] - c).sum() for c in copies) / (n - 1)
    return float(-np.mean(np.log(dens)))


@pytest.mark.parametrize("support", [(0.0, 1.0), (0.0, None), (None, 1.0)])
def test_reflected_kde_is_the_reflected_estimator(support):
    x = np.random.default_rng(3).random(300)
    low = -np.inf if support[0] is None else support[0]
    high = np.inf if support[1] is None else support[1]
    got = dv.estimate.entropy(x, method="kde", support=support)
    assert got == pytest.approx(_reflected_entropy_reference(x, low, high), rel=1e-12)


def test_support_removes_the_boundary_bias_of_the_kde():
    rng = np.random.default_rng(4)
    plain, reflected, plain_exp, reflected_exp = [], [], [], []
    for _ in range(5):
        u, e = rng.random(4000), rng.exponential(size=4000)
        plain.append(dv.estimate.entropy(u, method="kde"))
        reflected.append(dv.estimate.entropy(u, method="kde", support=(0, 1)))
        plain_exp.append(dv.estimate.entropy(e, method="kde") - 1.0)
        reflected_exp.append(dv.estimate.entropy(e, method="kde", support=(0, None)) - 1.0)
    assert np.mean(plain) > 0.03 and abs(np.mean(reflected)) < 0.005  # truth 0
    assert np.mean(plain_exp) > 0.05 and abs(np.mean(reflected_exp)) < 0.03  # truth 1
    integrated = dv.estimate.entropy(rng.random(4000), method="kde", evaluation="integration", support=(0, 1))
    assert abs(integrated) < 0.005


def test_support_brings_kl_on_a_bounded_support_closer_to_the_truth():
    from scipy.integrate import quad

    # P = U(0, 1), Q = (U(0, 1) + Beta(2, 2)) / 2: both densities positive at the ends
    truth = quad(lambda t: -np.log(0.5 + 3.0 * t * (1.0 - t)), 0.0, 1.0)[0]
    rng = np.random.default_rng(5)
    errors = {"plain": [], "support": []}
    for _ in range(5):
        x = rng.random(3000)
        y = np.where(rng.random(3000) < 0.5, rng.random(3000), rng.beta(2.0, 2.0, 3000))
        errors["plain"].append(dv.estimate.kl(x, y, method="kde") - truth)
        errors["support"].append(dv.estimate.kl(x, y, method="kde", support=(0, 1)) - truth)
    assert np.sqrt(np.mean(np.square(errors["support"]))) < 0.6 * np.sqrt(np.mean(np.square(errors["plain"])))


@pytest.mark.parametrize("call,message", [
    (lambda u: dv.estimate.entropy(u, support=(0, 1)), "support does not apply to method='knn'"),
    (lambda u: dv.estimate.entropy(u, method="kde", support=(0.5, 1)), "lie outside support"),
    (lambda u: dv.estimate.entropy(u, method="kde", support=(1, 0)), "low < high"),
    (lambda u: dv.estimate.entropy(u, method="kde", support=(0,)), r"support must be \(low, high\)"),
    (lambda u: dv.estimate.entropy(np.c_[u, u[::-1]], method="kde", support=(0, 1)), "one-dimensional"),
])
def test_support_errors_name_the_problem(call, message):
    u = np.random.default_rng(6).random(200)
    with pytest.raises(dv.InvalidInputError, match=message):
        call(u)
