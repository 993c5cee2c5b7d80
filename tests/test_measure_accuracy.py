"""Renyi, Bhattacharyya and chi-square of Gamma-type laws far apart, against mpmath: the
mixture route's KL forms take each second law as given (the mixture plus a rounded offset
lost a parameter far below the mixture's, up to inf where the value is finite)."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

DIGITS = 60


@mp.workdps(DIGITS)
def _gamma_log_affinity(k1, r1, k2, r2, alpha) -> mp.mpf:
    """log of the integral of p^alpha q^(1 - alpha) for Gamma laws (shape, rate)."""
    k1, r1, k2, r2, alpha = (mp.mpf(v) for v in (k1, r1, k2, r2, alpha))

    def a(k, r):
        return mp.loggamma(k) - k * mp.log(r)

    return a(alpha * k1 + (1 - alpha) * k2, alpha * r1 + (1 - alpha) * r2) - alpha * a(k1, r1) - (1 - alpha) * a(k2, r2)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((1.0, 1e12), (1.0, 1e-3), 2.0),
    ((1.0, 1e12), (1.0, 1e-3), 0.5),
    ((0.37, 1e12), (0.37, 1e-6), 0.5),
    ((2.5, 1e-9), (2.5, 1e9), 0.3),
    ((3.0, 2.0), (3.5, 2.5), 0.7),
    ((1e12, 1e12), (2.5, 2.5), 10.0),  # large shapes through the mixture: 2.5e-3 relative off
    ((1e12, 1e12), (1e-6, 17.0), 0.5),
    ((1e6, 2.5), (999999.99999, 2.499999999975), 0.5),  # nearly equal, large shapes
    # nearly equal means at shape 1e12: the relative difference of the means from the
    # differences before their roundings (3.9e-10, 3.3e-10, 5.1e-11 off)
    ((1e12, 1e6), (1000000000010.0, 1000000.00001), 3.7),
    ((1e12, 0.37), (1000000000010.0, 0.3700000000037), 10.0),
    ((1e12, 17.0), (1000000000010.0, 17.00000000017), 0.5),
    # orders near 1 between laws far apart: the mixture's two KLs cancel (1.95e-10, 1.05e-10,
    # 3.75e-11 off); KL(p || q) + KL(p || m) / (alpha - 1) there
    ((17.0, 0.001), (17.0, 1000.0), 1.000001),
    ((17.0, 0.001), (1e6, 1000.0), 1.000001),
    ((1e12, 1e-6), (0.37, 1.0), 1.000001),
    ((17.0, 1000.0), (17.0, 0.001), 0.999999),
    ((1e-6, 1.0), (1e-6, 1e6), 1.000001),  # equal shapes (5.8e-12)
    ((1e-6, 0.001), (1e-6, 1000.0), 1.000001),
    # nearly equal laws at order 10 cancel too, but m's roundings are not far below its
    # offsets: the mixture route stands (the second-order terms in them: 1.3e-10)
    ((1e-6, 2.5), (1.00000000001e-6, 2.5), 10.0),
    ((17.0, 17.0), (16.99999999983, 17.0), 10.0),
])
def test_gamma_renyi_far_apart(p, q, alpha):
    with mp.workdps(DIGITS):
        exact = float(_gamma_log_affinity(*p, *q, alpha) / (mp.mpf(alpha) - 1))
    assert float(dv.renyi(dv.Gamma(*p), dv.Gamma(*q), alpha)) == pytest.approx(exact, rel=1e-13)


def test_exponential_chi2_and_bhattacharyya_far_apart():
    l1, l2 = 1e12, 1e-3
    with mp.workdps(DIGITS):
        a, b = mp.mpf(l1), mp.mpf(l2)
        chi2 = float(a * a / (b * (2 * a - b)) - 1)
        bhattacharyya = float(-mp.log(mp.sqrt(a * b) / ((a + b) / 2)))
    assert float(dv.chi2(dv.Exponential(l1), dv.Exponential(l2))) == pytest.approx(chi2, rel=1e-13)
    assert float(dv.bhattacharyya(dv.Exponential(l1), dv.Exponential(l2))) == pytest.approx(bhattacharyya, rel=1e-13)


@mp.workdps(DIGITS)
def _uniform_log_affinity(p, q, alpha):
    (l1, h1), (l2, h2) = ([mp.mpf(v) for v in x] for x in (p, q))
    overlap = min(h1, h2) - max(l1, l2)
    return mp.log(overlap) - alpha * mp.log(h1 - l1) - (1 - alpha) * mp.log(h2 - l2)


@pytest.mark.parametrize(("p", "q"), [
    ((-3.7, -0.40000000000000036), (-3.7, -0.40000000003300035)),  # was 1e-5 relative off
    ((0.0, 1e6), (1e-8, 1000000.00000001)),  # 1e-3
    ((0.0, 1e6), (1e-8, 1.0099999999999999e-06)),  # 8e-7: q's length far below p's
    ((1e-08, 3.3000000099999998), (0.0, 3.3)),
    ((0.2, 0.7), (0.1, 0.6)),
])
def test_uniform_measures_from_the_end_points(p, q):
    up, uq = dv.Uniform(*p), dv.Uniform(*q)
    with mp.workdps(DIGITS):
        (l1, h1), (l2, h2) = ([mp.mpf(v) for v in x] for x in (p, q))
        tv = float(1 - (min(h1, h2) - max(l1, l2)) / max(h1 - l1, h2 - l2))
        renyi = float(_uniform_log_affinity(p, q, mp.mpf(0.5)) / (mp.mpf(0.5) - 1))
        bhattacharyya = float(-_uniform_log_affinity(p, q, mp.mpf(0.5)))
    assert float(dv.total_variation(up, uq)) == pytest.approx(tv, rel=1e-13)
    assert float(dv.renyi(up, uq, 0.5)) == pytest.approx(renyi, rel=1e-13)
    assert float(dv.bhattacharyya(up, uq)) == pytest.approx(bhattacharyya, rel=1e-13)


@mp.workdps(DIGITS)
def _beta_log_affinity(p, q, alpha):
    (a1, b1), (a2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
    alpha = mp.mpf(alpha)
    am, bm = alpha * a1 + (1 - alpha) * a2, alpha * b1 + (1 - alpha) * b2
    return mp.log(mp.beta(am, bm)) - alpha * mp.log(mp.beta(a1, b1)) - (1 - alpha) * mp.log(mp.beta(a2, b2))


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((0.001, 1e6), (0.001, 1e12), 0.5),  # 2^-9 for 0.0124
    ((1e-6, 2.5), (1e12, 0.37), 0.5),  # inf
    ((2.0, 3.0), (2.5, 1.5), 2.0),
])
def test_beta_renyi_far_apart(p, q, alpha):
    with mp.workdps(DIGITS):
        exact = float(_beta_log_affinity(p, q, alpha) / (mp.mpf(alpha) - 1))
    assert float(dv.renyi(dv.Beta(*p), dv.Beta(*q), alpha)) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1e-6), (0.0, 1e12)), ((1.0, 2.0), (1.5, 2.5)), ((3.0, 1e-9), (0.0, 1e9))])
def test_gumbel_cross_entropy_with_scales_far_apart(p, q):
    # scales 1e18 apart put beta1 / beta2 - 1 at -1 in rounding: NaN before
    with mp.workdps(DIGITS):
        (m1, b1), (m2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(mp.log(b2) + (m1 + mp.euler * b1 - m2) / b2 + mp.exp((m2 - m1) / b2) * mp.gamma(1 + b1 / b2))
    assert float(dv.cross_entropy(dv.Gumbel(*p), dv.Gumbel(*q))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("p", "q"), [((1e12, 1e-3), (1e-6, 1.0)), ((1.5, 2.0), (2.5, 1.0))])
def test_weibull_cross_entropy_with_shapes_far_apart(p, q):
    with mp.workdps(DIGITS):
        (k1, l1), (k2, l2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(-mp.log(k2 / l2) - (k2 - 1) * (mp.log(l1) - mp.euler / k1 - mp.log(l2))
                      + (l1 / l2) ** k2 * mp.gamma(1 + k2 / k1))
    assert float(dv.cross_entropy(dv.Weibull(*p), dv.Weibull(*q))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("l1", "l2"), [(1e12, 1.0), (1e6, 1.0), (2.0, 3.0), (1e-3, 1e3)])
def test_exponential_cross_entropy(l1, l2):
    with mp.workdps(DIGITS):
        exact = float(mp.mpf(l2) / mp.mpf(l1) - mp.log(mp.mpf(l2)))
    assert float(dv.cross_entropy(dv.Exponential(l1), dv.Exponential(l2))) == pytest.approx(exact, rel=1e-14)


@mp.workdps(DIGITS)
def _normal_total_variation(m1, s1, m2, s2) -> float:
    """P(I) - Q(I) summed over the pieces between the crossings of the two densities."""
    m1, s1, m2, s2 = (mp.mpf(v) for v in (m1, s1, m2, s2))
    a = 1 / (2 * s2 * s2) - 1 / (2 * s1 * s1)  # log p - log q = a x^2 + b x + c
    b = m1 / (s1 * s1) - m2 / (s2 * s2)
    c = m2 * m2 / (2 * s2 * s2) - m1 * m1 / (2 * s1 * s1) - mp.log(s1 / s2)
    if a == 0:
        cuts = [-c / b]
    else:
        root = mp.sqrt(b * b - 4 * a * c)
        cuts = sorted([(-b - root) / (2 * a), (-b + root) / (2 * a)])
    cuts = [-mp.inf, *cuts, mp.inf]
    return float(sum(abs((mp.ncdf(hi, m1, s1) - mp.ncdf(lo, m1, s1)) - (mp.ncdf(hi, m2, s2) - mp.ncdf(lo, m2, s2)))
                     for lo, hi in zip(cuts[:-1], cuts[1:], strict=False)) / 2)


@pytest.mark.parametrize(("p", "q"), [
    ((0.0, 1e12), (1e-6, 1e12)),  # 2 Phi(d / 2s) - 1 gave 0 for 4e-19
    ((1e6, 1e12), (1e6 + 1e-5, 1e12)),
    ((0.0, 1.0), (0.0, 1.00000000001)),  # scales 1e-11 apart: 1.3e-5 relative off
    ((1e6, 0.37), (1e6, 0.3700000000037)),
    ((-3.7, 1e6), (-3.699999999963, 999999.99999)),
    ((1e6, 2.5), (1e6 + 1e-5, 2.499999999975)),
    ((1e6, 1e6), (1e6 + 1e-5, 1e6 + 1e-5)),
    ((0.0, 1.0), (0.3, 1.2)),
    ((0.0, 1.0), (40.0, 1.0)),
    ((0.0, 1.0), (1.0, 30.0)),
])
def test_normal_total_variation_between_nearly_equal_laws(p, q):
    exact = _normal_total_variation(*p, *q)
    for family in (dv.Normal, dv.LogNormal):
        assert float(dv.total_variation(family(*p), family(*q))) == pytest.approx(exact, rel=1e-14)
    batch = dv.total_variation(dv.Normal(*zip(p, p, strict=True)), dv.Normal(*zip(q, q, strict=True)))
    assert batch.tolist() == pytest.approx([exact, exact], rel=1e-14)
    if p[0] == q[0] == 0.0:
        assert float(dv.total_variation(dv.HalfNormal(p[1]), dv.HalfNormal(q[1]))) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize(("p", "q"), [
    ((-3.7, 1e-6), (1e6, 1e12)),  # inf: 1 + (r - 1) lost r = 1e-18
    ((1e-8, 1e-3), (1e6, 1e12)),  # 2.7e-5 relative off
    ((-3.7, 1e-6), (0.0, 1e6)),
    ((0.0, 1.0), (0.1, 1.2)),
    ((0.0, 1.0), (0.0, 1.00000000001)),
])
def test_moyal_kl_and_cross_entropy_with_scales_far_apart(p, q):
    with mp.workdps(DIGITS):
        (m1, s1), (m2, s2) = ([mp.mpf(v) for v in x] for x in (p, q))
        r = s1 / s2
        kl = 0.5 * (mp.exp(r * mp.log(2) + (m2 - m1) / s2 + mp.loggamma(0.5 + r) - mp.log(mp.pi) / 2)
                    + (m1 - m2) / s2 - 1 + (r - 1) * (mp.euler + mp.log(2)) - 2 * mp.log(r))
        entropy = 0.5 * (1 + mp.euler + mp.log(4 * mp.pi)) + mp.log(s1)
    assert float(dv.kl(dv.Moyal(*p), dv.Moyal(*q))) == pytest.approx(float(kl), rel=1e-14)
    assert float(dv.cross_entropy(dv.Moyal(*p), dv.Moyal(*q))) == pytest.approx(float(entropy + kl), rel=1e-14)


@pytest.mark.parametrize(("p", "q"), [
    ((2.5, 1e-6), (1e-6, 1e12)),  # inf: InverseGamma took the Gamma form without the second rate itself
    ((1e12, 1e-3), (1e-6, 1e6)),
    ((1e6, 2.5), (999999.99999, 2.499999999975)),
    ((3.0, 2.0), (3.5, 2.5)),
])
def test_inverse_gamma_measures_are_the_gammas(p, q):
    with mp.workdps(DIGITS):
        (a1, b1), (a2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
        cross = -a2 * mp.log(b2) + mp.loggamma(a2) + (a2 + 1) * (mp.log(b1) - mp.digamma(a1)) + b2 * a1 / b1
        renyi = float(_gamma_log_affinity(*p, *q, 0.5) / (mp.mpf(0.5) - 1))
    ip, iq = dv.InverseGamma(*p), dv.InverseGamma(*q)
    assert float(dv.cross_entropy(ip, iq)) == pytest.approx(float(cross), rel=1e-13)
    assert float(dv.renyi(ip, iq, 0.5)) == pytest.approx(renyi, rel=1e-13)
    assert float(dv.kl(ip, iq)) == float(dv.kl(dv.Gamma(*p), dv.Gamma(*q)))


@pytest.mark.parametrize(("a", "b"), [
    (0.999999999999, 0.3),  # 1 + (b - a) / (1 - b) lost (1 - a) / (1 - b): 9e-5 relative off
    (1e-12, 0.3),  # 3.8e-5
    (0.3, 1e-12),
    (0.999999, 0.999999000001),
    (0.2, 0.7),
])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.999999, 2.0, 10.0])
def test_bernoulli_renyi_at_the_ends(a, b, alpha):
    with mp.workdps(DIGITS):
        x, y, t = mp.mpf(a), mp.mpf(b), mp.mpf(alpha)
        exact = float(mp.log(x**t * y ** (1 - t) + (1 - x) ** t * (1 - y) ** (1 - t)) / (t - 1))
    assert float(dv.renyi(dv.Bernoulli(a), dv.Bernoulli(b), alpha)) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("l1", "l2"), [(1e12, 1e-6), (1e-6, 1e12), (1e-300, 1e300), (2.5, 2.5000000000250004), (1.0, 3.0)])
def test_exponential_total_variation_far_apart(l1, l2):
    with mp.workdps(DIGITS):
        a, b = mp.mpf(l1), mp.mpf(l2)
        x = mp.log(a / b) / (a - b)  # where the densities cross
        exact = float(abs(mp.exp(-b * x) - mp.exp(-a * x)))
    assert float(dv.total_variation(dv.Exponential(l1), dv.Exponential(l2))) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize(("p", "q"), [
    ((1e6, 1e-6), (-3.7, 1e6)),  # |d| / b1 = 1e12 cancelled in the second-order form: 2.8e-6 relative off
    ((1e6, 1e-3), (-3.7, 1e6)),
    ((0.0, 1.0), (0.0, 1.00000000001)),
    ((0.0, 1.0), (1e-11, 1.0)),
    ((0.0, 1.0), (0.5, 2.0)),
    ((0.0, 1.0), (3.0, 0.4)),
])
def test_laplace_kl_and_cross_entropy(p, q):
    with mp.workdps(DIGITS):
        (m1, b1), (m2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
        d = abs(m1 - m2)
        cross = mp.log(2 * b2) + (d + b1 * mp.exp(-d / b1)) / b2
        kl = cross - (1 + mp.log(2 * b1))
    assert float(dv.kl(dv.Laplace(*p), dv.Laplace(*q))) == pytest.approx(float(kl), rel=1e-14)
    assert float(dv.cross_entropy(dv.Laplace(*p), dv.Laplace(*q))) == pytest.approx(float(cross), rel=1e-14)


@pytest.mark.parametrize(("p", "q"), [
    ((0.37, 1e12), (0.37, 0.37)),  # H(p) + KL cancelled log m1 - log a1: 1.6e-3 relative off
    ((1000.0, 1e12), (1000.0, 1000.0)),
    ((17.0, 2.5), (1.0, 1e-3)),
    ((1e12, 1e-3), (1e-3, 1e6)),
])
def test_pareto_cross_entropy(p, q):
    with mp.workdps(DIGITS):
        (m1, a1), (m2, a2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(-mp.log(a2) - a2 * mp.log(m2) + (a2 + 1) * (mp.log(m1) + 1 / a1))
        reverse = float(-mp.log(a1) - a1 * mp.log(m1) + (a1 + 1) * (mp.log(m2) + 1 / a2)) if m2 >= m1 else math.inf
    assert float(dv.cross_entropy(dv.Pareto(*p), dv.Pareto(*q))) == pytest.approx(exact, rel=1e-14)
    assert float(dv.cross_entropy(dv.Pareto(*q), dv.Pareto(*p))) == pytest.approx(reverse, rel=1e-14)


def _bernoulli_js(a, b):
    x, y = mp.mpf(a), mp.mpf(b)
    m = (x + y) / 2

    def rel(u, v):
        return u * mp.log(u / v) if u > 0 else mp.mpf(0)

    return (rel(x, m) + rel(1 - x, 1 - m) + rel(y, m) + rel(1 - y, 1 - m)) / 2


@pytest.mark.parametrize(("a", "b"), [
    (0.999999999999, 0.999999999999001),  # 1 - m lost 1e-4 of itself: 5.5e-5 relative off
    (0.999999, 0.999998999),
    (1e-12, 0.999999999999),  # Bhattacharyya from 1 - BC at BC = 2e-6: 1e-11
    (0.3, 0.7),
])
def test_bernoulli_and_geometric_near_the_ends(a, b):
    with mp.workdps(DIGITS):
        x, y = mp.mpf(a), mp.mpf(b)
        js = float(_bernoulli_js(a, b))
        bhattacharyya = float(-mp.log(mp.sqrt(x * y) + mp.sqrt((1 - x) * (1 - y))))
        geometric = float(-mp.log(mp.sqrt(x * y) / (1 - mp.sqrt((1 - x) * (1 - y)))))
        # Geometric Renyi of order 1/2: -2 log sum_k sqrt(P_k Q_k) = the Bhattacharyya twice
    pair = (np.array([a, 0.5]), np.array([b, 0.25]))
    for p, q, index in ((a, b, ()), (*pair, 0)):
        assert float(dv.js(dv.Bernoulli(p), dv.Bernoulli(q))[index]) == pytest.approx(js, rel=1e-13)
        assert float(dv.bhattacharyya(dv.Bernoulli(p), dv.Bernoulli(q))[index]) == pytest.approx(bhattacharyya, rel=1e-14)
        assert float(dv.bhattacharyya(dv.Geometric(p), dv.Geometric(q))[index]) == pytest.approx(geometric, rel=1e-14)
        assert float(dv.renyi(dv.Geometric(p), dv.Geometric(q), 0.5)[index]) == pytest.approx(2 * geometric, rel=1e-13)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((17.0, 0.001), (17.00000000017, 0.00100000000001), 0.999999),  # the large-shape form took q's shape: 1e-6 off
    ((17.0, 0.001), (17.00000000017, 0.00100000000001), 0.5),
    ((1e12, 1e3), (1000000000010.0, 1000.00000001), 0.5),
    ((2.5, 1.5), (2.5000000001, 1.5), 1.000001),
])
def test_gamma_renyi_between_nearly_equal_laws(p, q, alpha):
    with mp.workdps(DIGITS):
        exact = float(_gamma_log_affinity(*p, *q, alpha) / (mp.mpf(alpha) - 1))
    assert float(dv.renyi(dv.Gamma(*p), dv.Gamma(*q), alpha)) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((1e-6, 1e12), (1e-6, 999999999990.0), 0.5),  # the mixture's rounded b lost the offsets: 0
    ((1e-6, 1e12), (1e-6, 999999000000.0), 2.0),
    ((0.001, 1e12), (0.001, 1000000999999.9999), 10.0),  # 2.5 relative off
    ((1.0, 1e12), (1.0, 1000999999999.9999), 0.5),
    ((17.0, 1e12), (16.999983, 999999000000.0), 2.0),
])
def test_beta_renyi_between_nearly_equal_laws_with_a_large_parameter(p, q, alpha):
    with mp.workdps(DIGITS):
        exact = float(_beta_log_affinity(p, q, alpha) / (mp.mpf(alpha) - 1))
    assert float(dv.renyi(dv.Beta(*p), dv.Beta(*q), alpha)) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ([2.5, 1e6], [2.4999975, 999999.0], 10.0),  # the difference form at 1e6: 3e-9 relative off
    ([0.001, 1e6], [0.001000001, 1000000.9999999999], 10.0),
    ([2.5, 1e6, 0.37, 2.5], [1e-6, 0.001, 1.0, 0.37], 0.5),
    ([1.5, 2.0, 3.0], [1.6, 2.1, 2.9], 2.0),
])
def test_dirichlet_renyi_with_large_parameters(p, q, alpha):
    with mp.workdps(DIGITS):
        a, b, t = [mp.mpf(v) for v in p], [mp.mpf(v) for v in q], mp.mpf(alpha)

        def log_b(x):
            return sum(mp.loggamma(v) for v in x) - mp.loggamma(sum(x))

        m = [t * u + (1 - t) * v for u, v in zip(a, b, strict=True)]
        exact = float((log_b(m) - t * log_b(a) - (1 - t) * log_b(b)) / (t - 1))
    assert float(dv.renyi(dv.Dirichlet(p), dv.Dirichlet(q), alpha)) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1e8), (0.0, 1e8)), ((0.0, 1e8), (-1e-11, 100000000.001)), ((1.3, 2.0), (0.0, 0.5)),
                                      ((0.3, 1e4), (0.2, 3.0))])
def test_vonmises_cross_entropy_at_large_concentration(p, q):
    with mp.workdps(DIGITS):
        (m1, k1), (m2, k2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(mp.log(2 * mp.pi * mp.besseli(0, k2)) - k2 * mp.besseli(1, k1) / mp.besseli(0, k1) * mp.cos(m1 - m2))
    assert float(dv.cross_entropy(dv.VonMises(*p), dv.VonMises(*q))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("low", "high"), [(1e-8, 1.00000001), (0.0, 1.0), (0.2, 0.5), (-1e6, 1e6)])
def test_uniform_entropy_of_the_exact_width(low, high):
    with mp.workdps(DIGITS):
        exact = float(mp.log(mp.mpf(high) - mp.mpf(low)))
    value = float(dv.entropy(dv.Uniform(low, high)))
    assert value == pytest.approx(exact, rel=1e-15) if exact else value == 0.0


@pytest.mark.parametrize(("p", "q"), [
    ((0.001, 1000.0), (1.0, 1.0)),  # H(p) + KL cancelled: 2.5e-9 relative off
    ((1e-6, 2.5), (1.0, 0.001)),
    ((0.37, 1e-6), (1e6, 17.0)),
    ((2.5, 1.5), (2.5000000001, 1.5)),
    ((1e12, 1e12), (1e12, 1e12 + 1.0)),
])
def test_gamma_cross_entropy(p, q):
    with mp.workdps(DIGITS):
        (a1, b1), (a2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(mp.loggamma(a2) - a2 * mp.log(b2) - (a2 - 1) * (mp.digamma(a1) - mp.log(b1)) + b2 * a1 / b1)
    assert float(dv.cross_entropy(dv.Gamma(*p), dv.Gamma(*q))) == pytest.approx(exact, rel=1e-13)


@mp.workdps(DIGITS)
def _cb_total_variation(a, b) -> float:
    """|F1(x*) - F2(x*)| at the single crossing x* of the two densities."""
    t1, t2 = (mp.log(mp.mpf(v) / (1 - mp.mpf(v))) for v in (a, b))

    def log_normaliser(t):
        return mp.log(mp.expm1(t) / t)

    cross = (log_normaliser(t1) - log_normaliser(t2)) / (t1 - t2)
    return float(abs(mp.expm1(t1 * cross) / mp.expm1(t1) - mp.expm1(t2 * cross) / mp.expm1(t2)))


@pytest.mark.parametrize(("a", "b"), [
    (1e-6, 9.999999999899999e-07),  # the two CDFs' difference lost 2.5e-4 of itself
    (0.99, 0.9900000000001),
    (0.01, 0.0100000000001),
    (0.3, 0.3000000003),
    (1e-12, 0.7),
    (0.2, 0.9),
])
def test_continuous_bernoulli_total_variation(a, b):
    exact = _cb_total_variation(a, b)
    assert float(dv.total_variation(dv.ContinuousBernoulli(a), dv.ContinuousBernoulli(b))) == pytest.approx(exact, rel=1e-13)
    batch = dv.total_variation(dv.ContinuousBernoulli(np.array([a, 0.4])), dv.ContinuousBernoulli(np.array([b, 0.45])))
    assert float(batch[0]) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("p", "q"), [((1000.0, 1e-6), (1.0, 1.0)), ((2.5, 1e6), (0.37, 1e-3)), ((1.5, 2.0), (1.5000001, 2.0))])
def test_weibull_cross_entropy_of_concentrated_laws(p, q):
    # H(p) + KL cancelled for shape 1000 at scale 1e-6 against Exponential(1): 3.3e-9 relative off
    with mp.workdps(DIGITS):
        (k1, l1), (k2, l2) = ([mp.mpf(v) for v in x] for x in (p, q))
        exact = float(mp.log(l2 / k2) - (k2 - 1) * (mp.log(l1 / l2) - mp.euler / k1) + (l1 / l2) ** k2 * mp.gamma(1 + k2 / k1))
    assert float(dv.cross_entropy(dv.Weibull(*p), dv.Weibull(*q))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("k1", "k2"), [(1e-6, 1.0), (1e-3, 17.0), (2.5, 2.5000001), (1e6, 3.0)])
def test_chi_cross_entropy(k1, k2):
    with mp.workdps(DIGITS):
        a, b = mp.mpf(k1), mp.mpf(k2)
        exact = float((b / 2 - 1) * mp.log(2) + mp.loggamma(b / 2) - (b - 1) * (mp.digamma(a / 2) + mp.log(2)) / 2 + a / 2)
    assert float(dv.cross_entropy(dv.Chi(k1), dv.Chi(k2))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.999999])
def test_binomial_renyi_where_p_underflows_on_q_support(alpha):
    # p's masses on q's support (k = 0, 1) underflow to 0: the AM-GM gaps there lost q's part
    # (order 0.1 came out 0.117 for 3067)
    with mp.workdps(DIGITS):
        t, x, y = mp.mpf(alpha), mp.mpf(0.999999999999), mp.mpf(0.3)
        pmf_p = [(1 - x) ** 1000, 1000 * x * (1 - x) ** 999]
        total = pmf_p[0] ** t * (1 - y) ** (1 - t) + pmf_p[1] ** t * y ** (1 - t)
        exact = float(mp.log(total) / (t - 1))
    value = float(dv.renyi(dv.Binomial(1000, 0.999999999999), dv.Binomial(1, 0.3), alpha))
    assert value == pytest.approx(exact, rel=1e-12)


@mp.workdps(DIGITS)
def _normal_renyi(m1, s1, m2, s2, alpha):
    m1, s1, m2, s2, alpha = (mp.mpf(v) for v in (m1, s1, m2, s2, alpha))
    var = alpha * s2**2 + (1 - alpha) * s1**2
    if var <= 0:
        return math.inf
    return float(alpha * (m1 - m2) ** 2 / (2 * var) - mp.log(var / (s1 ** (2 * (1 - alpha)) * s2 ** (2 * alpha))) / (2 * (alpha - 1)))


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((1e6, 0.001), (1e-8, 1e-6), 1.000001),  # the mixed variance 1e-6 of its terms: 6.6e-6 off
    ((1e6, 1000.0), (0.0, 1.0), 1.000001),  # 6.6e-6
    ((1e-8, 1.0), (-3.7, 0.001), 1.000001),  # 6.6e-6
    ((0.3, 1.41421356237), (0.0, 1.0), 2.0),  # var_alpha = 2 - 1.99999999998...
    ((0.0, 1.4142135), (0.0, 1.0), 2.0),
    ((0.0, 3.0), (1.0, 1.0), 1.125),  # var_alpha exactly 0: infinite
    ((0.0, 1.0), (0.0, 0.5), 1.3),
    ((1.0, 2.0), (0.0, 1.0), 0.5),
    ((0.0, 1.0), (0.0, 0.37), 0.999999),  # the log part's near form stands (4.3e-11 by the far one)
    ((0.0, 1.0), (0.0, 0.37), 1.000001),
    ((0.0, 1.0), (0.0, 0.9), 2.0),
    # q the narrower at alpha < 1: the mixed variance var1 (1 + x) with x near -1 (3.8e-11,
    # 2.9e-11, 2.5e-11 off)
    ((1e6, 2.5), (1e-8, 0.001), 0.999999),
    ((0.0, 17.0), (1e6, 0.001), 0.999999),
    ((0.0, 1.0), (1e6, 0.001), 0.999999),
])
def test_normal_renyi_at_the_edge_of_the_finite_domain(p, q, alpha):
    exact = _normal_renyi(*p, *q, alpha)
    value = float(dv.renyi(dv.Normal(*p), dv.Normal(*q), alpha))
    batch = dv.renyi(dv.Normal(np.full(3, p[0]), np.full(3, p[1])), dv.Normal(np.full(3, q[0]), np.full(3, q[1])), alpha)
    diagonal = dv.renyi(dv.DiagonalNormal([p[0], 0.0], [p[1], 1.0]), dv.DiagonalNormal([q[0], 0.0], [q[1], 1.0]), alpha)
    assert value == pytest.approx(exact, rel=1e-14)
    assert np.all(batch == value)
    assert float(diagonal) == pytest.approx(exact, rel=1e-14)
    assert float(dv.renyi(dv.LogNormal(*p), dv.LogNormal(*q), alpha)) == value


@mp.workdps(DIGITS)
def _dirichlet_cross_entropy(a, b) -> float:
    a, b = [mp.mpf(x) for x in a], [mp.mpf(x) for x in b]
    a0 = sum(a)
    log_beta = sum(mp.loggamma(y) for y in b) - mp.loggamma(sum(b))
    return float(log_beta - sum((y - 1) * (mp.digamma(x) - mp.digamma(a0)) for x, y in zip(a, b, strict=True)))


@pytest.mark.parametrize("a", [
    [1e6, 1e6, 0.37],  # 1.6e-10 relative off by the usual sum, whose terms of 1e7 cancel
    [1.0, 1.0, 1e6],  # 3.8e-11
    [1.0, 1.0, 1e3, 1e6],  # 2.1e-11
    [1e12, 1e12],
    [1.0, 1.0],  # entropy 0
    [1.5] * 10,
    [1e-6, 1e-6, 1e-6],
    [0.37, 2.5, 17.0],
])
def test_dirichlet_entropy(a):
    exact = _dirichlet_cross_entropy(a, a)
    value = float(dv.entropy(dv.Dirichlet(a)))
    assert value == pytest.approx(exact, rel=1e-14, abs=1e-300)
    assert dv.entropy(dv.Dirichlet(np.array([a, a])))[1] == pytest.approx(exact, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(("a", "b"), [
    ([11609.398292231912, 5049131.7893622685], [0.028201832286064824, 785570.1867461539]),  # log B(b) cancels
    ([0.012767044802030305, 1.1721053864766837], [0.0004610339578523011, 1719696.027464664]),
    ([1.5, 2.5, 3.0], [1.5000000001, 2.4999999999, 3.0]),
    ([1e-6, 1.0, 1e3], [17.0, 0.37, 1e12]),
    ([2.0, 3.0], [2.0, 3.0]),
])
def test_dirichlet_cross_entropy(a, b):
    exact = _dirichlet_cross_entropy(a, b)
    assert float(dv.cross_entropy(dv.Dirichlet(a), dv.Dirichlet(b))) == pytest.approx(exact, rel=5e-13)


@mp.workdps(DIGITS)
def _vonmises_renyi(p, q, alpha) -> float:
    (m1, k1), (m2, k2) = ([mp.mpf(v) for v in x] for x in (p, q))
    alpha = mp.mpf(alpha)
    mixed = abs(alpha * k1 * mp.expj(m1) + (1 - alpha) * k2 * mp.expj(m2))
    log_affinity = mp.log(mp.besseli(0, mixed)) - alpha * mp.log(mp.besseli(0, k1)) - (1 - alpha) * mp.log(mp.besseli(0, k2))
    return float(log_affinity / (alpha - 1))


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((0.0, 1e8), (1.3, 0.5), 10.0),  # the mixed law's KL lost the 0.5 to 1e9 + offset: 9.1e-9 off
    ((0.0, 1e8), (0.0, 1e-6), 10.0),  # 7.3e-9
    ((0.0, 1e8), (-3.0, 0.001), 2.0),  # chi-square 4.7e-8
    ((0.0, 1e8), (0.0, 0.5), 0.5),  # Bhattacharyya 6.3e-10
    ((0.2, 3.0), (0.5, 7.0), 0.5),
])
def test_vonmises_renyi_with_concentrations_far_apart(p, q, alpha):
    value = float(dv.renyi(dv.VonMises(*p), dv.VonMises(*q), alpha))
    assert value == pytest.approx(_vonmises_renyi(p, q, alpha), rel=1e-13)
    if alpha == 2.0:
        chi2 = math.expm1(_vonmises_renyi(p, q, alpha))
        assert float(dv.chi2(dv.VonMises(*p), dv.VonMises(*q))) == pytest.approx(chi2, rel=1e-13)


@mp.workdps(DIGITS)
def _dirichlet_kl(a, b) -> float:
    a, b = [mp.mpf(x) for x in a], [mp.mpf(x) for x in b]

    def log_beta(v):
        return sum(mp.loggamma(x) for x in v) - mp.loggamma(sum(v))

    a0 = sum(a)
    return float(log_beta(b) - log_beta(a) + sum((x - y) * (mp.digamma(x) - mp.digamma(a0)) for x, y in zip(a, b, strict=True)))


# One parameter holding nearly all of the concentration: its Bregman part of log Gamma and the
# sum's nearly cancel (the error before in brackets).
LOPSIDED = [
    ([2.5, 1e-6], [2.499999999975, 1e-6]),  # [2.9e-10]
    ([1.0, 1e-6], [1.000001, 1e-6]),  # [1.3e-10]
    ([1e-6, 1e6], [1e-6, 999999.99999]),  # [3.6e-11]
    ([1e12, 1e-6], [1e12 * (1 + 1e-9), 1e-6]),  # [4.4e-11]
    ([1.0, 1e-6], [1000.0, 1e-6]),  # [1.2e-9]: far, the integral in pieces
    ([2.5, 1e-6], [5.0, 1e-6]),  # [1.2e-9]
    ([1e6, 1e-6], [1e12, 1e-6]),  # [2.2e-11]
    ([1e6, 1e12], [999999.0, 999999000000.0]),  # moved in proportion: the stable form stands
    ([1e3, 2.0], [1e3 * (1 - 1e-6), 2.0 * (1 - 1e-6)]),
    ([3759207.3245694605, 6.486842854419383e-07, 36.80083950940508],
     [3758480.996133593, 6.486827043574091e-07, 36.77944694763161]),
    ([103372951.69650741, 0.002786129269353323, 6527.707603747603],
     [10171231.59140403, 0.002786129269353323, 6527.707603747603]),  # [1.2e-7]
    ([5.0, 0.2], [8.0, 0.25]),
    # an end below the largest parameter's rounding: the pieces from 1 + d / x spanned 2 where
    # 1.5 was meant (4e-9 off at 1e13), x + d rounded to 0 (3e-12 at 1e14)
    ([1e-6, 1e13], [1e-6, 1e-3]),
    ([1e-6, 1e14], [1e-6, 1e-3]),
    ([1e-6, 1e16], [1e-6, 1e-3]),
]


@pytest.mark.parametrize(("a", "b"), LOPSIDED)
def test_lopsided_beta_and_dirichlet_kl(a, b):
    exact = _dirichlet_kl(a, b)
    dirichlet = float(dv.kl(dv.Dirichlet(a), dv.Dirichlet(b)))
    batch = dv.kl(dv.Dirichlet(np.array([a, a[::-1]])), dv.Dirichlet(np.array([b, b[::-1]])))
    assert dirichlet == pytest.approx(exact, rel=5e-14)
    assert batch == pytest.approx([exact, exact], rel=5e-14)
    if len(a) == 2:
        beta = float(dv.kl(dv.Beta(*a), dv.Beta(*b)))
        beta_batch = dv.kl(dv.Beta(np.array(a), np.array(a[::-1])), dv.Beta(np.array(b), np.array(b[::-1])))
        assert beta == pytest.approx(exact, rel=5e-14)
        assert beta_batch == pytest.approx([exact, exact], rel=5e-14)


@pytest.mark.parametrize(("a", "b"), LOPSIDED[:4])
def test_lopsided_beta_renyi_and_torch_gradients(a, b):
    torch = pytest.importorskip("torch")
    exact = _dirichlet_kl(a, b)
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    value = dv.kl(dv.Beta(ta[0], ta[1]), dv.Beta(*b))
    assert float(value.detach()) == pytest.approx(exact, rel=5e-14)  # the array path, under autograd
    value.backward()
    assert torch.isfinite(ta.grad).all()
    renyi = float(dv.renyi(dv.Beta(*a), dv.Beta(*b), 0.5))
    assert renyi == pytest.approx(_beta_renyi_reference(a, b, 0.5), rel=1e-12)


@mp.workdps(DIGITS)
def _beta_renyi_reference(a, b, alpha) -> float:
    (a1, b1), (a2, b2) = ([mp.mpf(v) for v in x] for x in (a, b))
    alpha = mp.mpf(alpha)

    def log_beta(x, y):
        return mp.loggamma(x) + mp.loggamma(y) - mp.loggamma(x + y)

    c1, c2 = alpha * a1 + (1 - alpha) * a2, alpha * b1 + (1 - alpha) * b2
    return float((log_beta(c1, c2) - alpha * log_beta(a1, b1) - (1 - alpha) * log_beta(a2, b2)) / (alpha - 1))


@pytest.mark.parametrize(("p", "q"), [
    ((1e-6, 0.001), (1.0, 0.37)),  # H(p) + KL cancelled: 2.3e-10 relative off
    ((1e-6, 0.001), (1.0, 2.5)),  # 1.9e-10
    ((1e-6, 1.0), (1.0, 1e6)),  # 4.9e-11
    ((0.001, 17.0), (1.0, 1.0)),  # an exact 0 (was 1.1e-13)
    ((2.5, 3.5), (0.5, 0.7)),
    ((1e12, 1e12), (2.0, 3.0)),
])
def test_beta_cross_entropy(p, q):
    with mp.workdps(DIGITS):
        (a1, b1), (a2, b2) = ([mp.mpf(v) for v in x] for x in (p, q))
        log_beta = mp.loggamma(a2) + mp.loggamma(b2) - mp.loggamma(a2 + b2)
        total = mp.digamma(a1 + b1)
        exact = float(log_beta - (a2 - 1) * (mp.digamma(a1) - total) - (b2 - 1) * (mp.digamma(b1) - total))
    value = float(dv.cross_entropy(dv.Beta(*p), dv.Beta(*q)))
    assert value == pytest.approx(exact, rel=1e-13, abs=0.0 if exact else 1e-300)


@pytest.mark.parametrize("x", [1e-6, 0.37, 1.0, 2.5, 17.0, 1e3, 1e12])
@pytest.mark.parametrize("ratio", [1e-15, 1e-6, 0.01, 0.5, 3.0, 1e6])
def test_polygamma_differences_from_their_terms(x, ratio):
    from divergences._array_api import NUMPY
    from divergences.distributions._lopsided import digamma_difference, trigamma_difference

    h = x * ratio
    with mp.workdps(DIGITS):
        xm, hm = mp.mpf(x), mp.mpf(h)
        digamma = float(mp.digamma(xm + hm) - mp.digamma(xm))
        trigamma = float(mp.psi(1, xm) - mp.psi(1, xm + hm))
    assert float(digamma_difference(np.array(x), np.array(h), NUMPY)) == pytest.approx(digamma, rel=2e-15)
    assert float(trigamma_difference(np.array(x), np.array(h), NUMPY)) == pytest.approx(trigamma, rel=2e-15)


def test_an_unbatched_pair_out_of_the_forms_range_takes_the_batch_path():
    # The scalar path's array-API form gave NaN (its value a 0-d array, which the retry on a
    # batch of one did not catch); the batch path's guards give the finite value.
    import warnings

    a, b = (2.51264484e220, 1.80219897e-223), (3.48446116e219, 1.80219897e-223)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        scalar = float(dv.cross_entropy(dv.Beta(*a), dv.Beta(*b)))
        batch = dv.cross_entropy(dv.Beta(np.array([a[0]]), np.array([a[1]])), dv.Beta(np.array([b[0]]), np.array([b[1]])))
    assert math.isfinite(scalar)
    assert scalar == batch[0]


# Parameters at the ends of the range of doubles (the value before in brackets): the exact
# products of the stable form passed 2^995, and the lopsided form's reciprocal powers left the
# range; mpmath needs some 700 digits for lgamma's terms of 1e283 to cancel to the value.
EXTREME = [
    ([3.8e280, 2.0, 1e-5], [5.1e271, 3.0, 7.0]),  # [0 for 7.0e5; Bhattacharyya, Renyi NaN]
    ([1e300, 1e300], [1e299, 3e299]),  # [5e-13]
    ([3.8e280, 1e200], [5.1e271, 1e290]),
    ([2.51264484e220, 1.80219897e-223], [3.48446116e219, 1.80219897e-223]),  # [0 for 2.0e-223]
    ([1.1038221494782322e-39, 1.6509243961487859e223], [1.1038221495019001e-39, 3.6165630042011095e233]),  # [0]
    ([2.9507246051331393e-156, 9.982940442408813e-267, 6.759496319291764e-292],
     [1.0192099145953979e-156, 9.982940442408813e-267, 6.754926979232422e-292]),  # [5.6e-11]
]


def _log_beta(v):
    return sum(mp.loggamma(x) for x in v) - mp.loggamma(sum(v))


@pytest.mark.parametrize(("a", "b"), EXTREME)
def test_beta_and_dirichlet_at_the_ends_of_the_range(a, b):
    import warnings

    with mp.workdps(800):
        am, bm = [mp.mpf(x) for x in a], [mp.mpf(x) for x in b]
        kl = _log_beta(bm) - _log_beta(am) + sum((x - y) * (mp.digamma(x) - mp.digamma(sum(am)))
                                                  for x, y in zip(am, bm, strict=True))
        half = [(x + y) / 2 for x, y in zip(am, bm, strict=True)]
        bhattacharyya = (_log_beta(am) + _log_beta(bm)) / 2 - _log_beta(half)
    pairs = [(dv.Dirichlet(a), dv.Dirichlet(b)), (dv.Dirichlet(np.array([a, a])), dv.Dirichlet(np.array([b, b])))]
    if len(a) == 2:
        pairs.append((dv.Beta(*a), dv.Beta(*b)))
        pairs.append((dv.Beta(np.array([a[0]] * 2), np.array([a[1]] * 2)), dv.Beta(np.array([b[0]] * 2), np.array([b[1]] * 2))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        for p, q in pairs:
            assert np.asarray(dv.kl(p, q)) == pytest.approx(float(kl), rel=1e-13)
            assert np.asarray(dv.bhattacharyya(p, q)) == pytest.approx(float(bhattacharyya), rel=1e-13)


def test_scaled_trigamma_difference_beyond_the_range_of_its_powers():
    from divergences._array_api import NUMPY
    from divergences.distributions._lopsided import trigamma_difference

    for y, h, scale in [(1e250, 1e-200, 3e249), (1e-250, 3e-251, 2e-250), (2.5, 1e-6, 7.0)]:
        with mp.workdps(800):
            exact = float(mp.mpf(scale) ** 2 * (mp.psi(1, mp.mpf(y)) - mp.psi(1, mp.mpf(y) + mp.mpf(h))))
        value = float(trigamma_difference(np.array(y), np.array(h), NUMPY, np.array(scale)))
        assert value == pytest.approx(exact, rel=2e-15)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((1.0, 1e6), (1e6, 1e12), 1.000001),  # the mixture's KLs cancelled: 2.3e-10 off
    ((1e12, 1e-6), (17.0, 1.0), 1.000001),  # 1.3e-11
    ((2.5, 1e-6), (0.37, 1.0), 1.000001),  # 1.4e-11
    ((2.5, 1.0), (1e-6, 1e6), 0.999999),
    ((2.0, 3.0), (2.0000001, 3.0), 1.000001),  # near: the mixture route stands
    ((1e6, 1e6), (1e12, 1e12), 1.000001),  # m = Beta(1, 1): 3.1e-9 (log B at 1e12 cancelled too)
    # near, one parameter 1e15 of the other: m's rounding moved by a gradient whose digammas
    # of 27.6 each cancel to 1e-15 (6.8e-8 off with the difference of digammas)
    ((1e12, 0.001), (1000000999999.9999, 0.001000001), 10.0),
    ((1e-6, 1e12), (1e-6, 1e-3), 10.0),  # m = Beta(1e-6, 1e13), whose KL to q lost 4e-9 (stop 28)
    ((2.5, 1e12), (2.4999975, 1000000999999.9999), 10.0),
])
def test_beta_renyi_at_orders_near_one_far_apart(p, q, alpha):
    exact = _beta_renyi_reference(p, q, alpha)
    assert float(dv.renyi(dv.Beta(*p), dv.Beta(*q), alpha)) == pytest.approx(exact, rel=1e-13)
    batch = dv.renyi(dv.Beta(np.full(2, p[0]), np.full(2, p[1])), dv.Beta(np.full(2, q[0]), np.full(2, q[1])), alpha)
    assert batch == pytest.approx([exact, exact], rel=1e-13)


@pytest.mark.parametrize(("p", "q", "alpha"), [
    ((1e12, 0.001), (1e12, 1000.0), 1.000001),  # the mixed index cancelled: 1.85e-11 off
    ((1e6, 0.001), (2.5, 1000.0), 1.000001),
    ((2.0, 3.0), (1.0, 4.0), 0.5),
    ((2.0, 3.0), (1.0, 1.4), 2.0),
    # nearly equal laws: renyi_log_mean's near form stands (AM / GM near 1)
    ((0.001, 1000.0), (0.001, 1000.00000001), 2.0),
    ((1.0, 1e-6), (1.0, 1.00000000001e-6), 3.7),
    ((1.0, 1.0), (1.0, 1.05), 10.0),
])
def test_pareto_renyi_where_the_mixed_index_cancels(p, q, alpha):
    with mp.workdps(DIGITS):
        (m1, a1), (m2, a2), t = ([mp.mpf(v) for v in x] for x in (p, q, (alpha,)))
        t, m = t[0], max(m1, m2)
        am = t * a1 + (1 - t) * a2
        exact = float((mp.log(a1**t * a2 ** (1 - t) / am) + t * a1 * mp.log(m1) + (1 - t) * a2 * mp.log(m2)
                       - am * mp.log(m)) / (t - 1))
    assert float(dv.renyi(dv.Pareto(*p), dv.Pareto(*q), alpha)) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize(("a", "b", "alpha"), [
    ([0.001, 17.0], [1000.0, 2.5], 1.000001),  # the mixture's KLs cancelled: 1.2e-11 off
    ([1e6, 1e-6, 17.0], [17.0, 1.0, 1.0], 1.000001),  # 7.9e-12 (log B's lgamma(1e6) cancels)
    ([5.0, 5.0, 1e-3], [5.0, 5.0, 1e3], 1.000001),  # the largest parameter twice
    ([2.0, 3.0, 4.0], [1.5, 3.0, 4.0], 2.0),
])
def test_dirichlet_renyi_at_orders_near_one_far_apart(a, b, alpha):
    with mp.workdps(DIGITS):
        am, bm, t = [mp.mpf(x) for x in a], [mp.mpf(x) for x in b], mp.mpf(alpha)
        mixed = [t * x + (1 - t) * y for x, y in zip(am, bm, strict=True)]
        exact = float((_log_beta(mixed) - t * _log_beta(am) - (1 - t) * _log_beta(bm)) / (t - 1))
    assert float(dv.renyi(dv.Dirichlet(a), dv.Dirichlet(b), alpha)) == pytest.approx(exact, rel=1e-13)
    batch = dv.renyi(dv.Dirichlet(np.array([a, a])), dv.Dirichlet(np.array([b, b])), alpha)
    assert batch == pytest.approx([exact, exact], rel=1e-13)
