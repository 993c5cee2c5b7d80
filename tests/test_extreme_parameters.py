"""Parameters at the ends of the range of doubles: scales whose squares leave it, ratios of
scales beyond it, locations far beyond the scale. Each value against mpmath (or against the
same pair in standard units, which every f-divergence of a location-scale pair is)."""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

DIGITS = 60


@mp.workdps(DIGITS)
def _normal_log_affinity(m1, s1, m2, s2, alpha):
    """log of the integral of p^alpha q^(1 - alpha) for two normal laws."""
    m1, s1, m2, s2, alpha = (mp.mpf(v) for v in (m1, s1, m2, s2, alpha))
    var = alpha * s2**2 + (1 - alpha) * s1**2
    return -alpha * (1 - alpha) * (m1 - m2) ** 2 / (2 * var) - mp.log(var / (s1 ** (2 * (1 - alpha)) * s2 ** (2 * alpha))) / 2


NORMAL_PAIRS = [
    ((2.34e-16, 5.386e225), (2.34e-16, 5.391e225)),  # squares overflow: entropy NaN
    ((0.0, 5.585e-179), (0.0, 5.5853e-179)),  # squares underflow: NaN
    ((6.3375e-110, 4.2677e-233), (6.3312e-110, 4.2634e-233)),
    ((1e200, 1e-200), (1e200, 2e-200)),
    ((2.8e15, 5.5e-141), (-7.9e14, 6.2e23)),  # the variance ratio overflows: Renyi NaN
    ((0.0, 1e300), (1.0, 1e-300)),
    ((0.0, 1.0), (1.0, 2.0)),
]


@pytest.mark.parametrize(("p", "q"), NORMAL_PAIRS)
def test_normal_forms_at_scales_whose_squares_leave_the_range(p, q):
    with mp.workdps(DIGITS):
        m1, s1, m2, s2 = (mp.mpf(v) for v in (*p, *q))
        cross_entropy = float(mp.log(2 * mp.pi) / 2 + mp.log(s2) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2))
        entropy = float(mp.log(2 * mp.pi * mp.e) / 2 + mp.log(s1))
    bhattacharyya = float(-_normal_log_affinity(*p, *q, 0.5))
    renyi = float(_normal_log_affinity(*p, *q, 0.3) / (0.3 - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P, Q = dv.Normal(*p), dv.Normal(*q)
        assert float(dv.entropy(P)) == pytest.approx(entropy, rel=1e-14)
        assert float(dv.cross_entropy(P, Q)) == pytest.approx(cross_entropy, rel=1e-14)
        assert float(dv.bhattacharyya(P, Q)) == pytest.approx(bhattacharyya, rel=1e-12)
        assert float(dv.renyi(P, Q, 0.3)) == pytest.approx(renyi, rel=1e-12)
        batch = dv.bhattacharyya(dv.Normal(np.full(2, p[0]), np.full(2, p[1])), dv.Normal(np.full(2, q[0]), np.full(2, q[1])))
        assert batch == pytest.approx([bhattacharyya] * 2, rel=1e-12)


@pytest.mark.parametrize(("p", "q"), [
    ((0.0, 1e-300), (1.0, 1e300)),  # chi2 overflows, the KL is 1380: inf before
    ((0.0, 1.0), (1e300, 1e-300)),
    ((1e200, 1e-200), (1e200, 2e-200)),
    ((0.0, 1.0), (0.0, 1e200)),
    ((1.0, 1.0), (2.0, 3.0)),
])
def test_cauchy_kl_where_chi2_leaves_the_range(p, q):
    with mp.workdps(DIGITS):
        m1, g1, m2, g2 = (mp.mpf(v) for v in (*p, *q))
        exact = float(mp.log(((g1 + g2) ** 2 + (m1 - m2) ** 2) / (4 * g1 * g2)))
    assert float(dv.kl(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(exact, rel=1e-14)
    batch = dv.kl(dv.Cauchy(np.full(2, p[0]), np.full(2, p[1])), dv.Cauchy(np.full(2, q[0]), np.full(2, q[1])))
    assert batch == pytest.approx([exact] * 2, rel=1e-14)
    entropy = math.log(4 * math.pi) + math.log(p[1])
    assert float(dv.cross_entropy(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(entropy + exact, rel=1e-14)


CAUCHY_RENYI_PAIRS = [
    ((0.0, 1e-300), (0.0, 1e300)),  # chi2 overflows: order 2 was log1p(chi2) = inf for 1381
    ((0.0, 1e300), (0.0, 1e-300)),
    ((0.0, 1.0), (0.0, 1e200)),
    ((0.0, 1.0), (1e150, 1.0)),  # the shift's square overflows
    ((1e200, 1e-200), (1e200, 2e-200)),
    ((0.3, 1.2), (-0.5, 0.7)),
    ((0.0, 1.0), (1e-8, 1.0)),  # nearly equal: log1p of the sum of positive terms
    ((0.0, 1.0), (0.0, 1.0 + 1e-9)),
]


@pytest.mark.parametrize("alpha", [2, 3, 5, 10, 64])
@pytest.mark.parametrize(("p", "q"), CAUCHY_RENYI_PAIRS)
def test_cauchy_renyi_at_integer_orders(p, q, alpha):
    # int p^alpha q^(1 - alpha) is the Legendre function P_(alpha - 1)(1 + chi2): mpmath's
    # legenp (the identity itself is checked against quadrature below)
    with mp.workdps(DIGITS):
        m1, g1, m2, g2 = (mp.mpf(v) for v in (*p, *q))
        chi2 = ((g1 - g2) ** 2 + (m1 - m2) ** 2) / (2 * g1 * g2)
        exact = float(mp.log(mp.legenp(alpha - 1, 0, 1 + chi2, type=3)) / (alpha - 1))
    assert float(dv.renyi(dv.Cauchy(*p), dv.Cauchy(*q), alpha=alpha)) == pytest.approx(exact, rel=1e-14)
    if p[0] == q[0] == 0.0:
        assert float(dv.renyi(dv.HalfCauchy(p[1]), dv.HalfCauchy(q[1]), alpha=alpha)) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize(("p", "q"), CAUCHY_RENYI_PAIRS)
def test_cauchy_bhattacharyya_by_the_arithmetic_geometric_mean(p, q):
    # the coefficient is P_(-1/2)(1 + chi2): mpmath's legenp (numerical route before, over 5 s
    # at these scales)
    with mp.workdps(DIGITS):
        m1, g1, m2, g2 = (mp.mpf(v) for v in (*p, *q))
        chi2 = ((g1 - g2) ** 2 + (m1 - m2) ** 2) / (2 * g1 * g2)
        coefficient = mp.legenp(-0.5, 0, 1 + chi2, type=3)
        exact, hellinger = float(-mp.log(coefficient)), float(mp.sqrt(1 - coefficient))
    assert float(dv.bhattacharyya(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(exact, rel=1e-15)
    assert float(dv.renyi(dv.Cauchy(*p), dv.Cauchy(*q), alpha=0.5)) == pytest.approx(2 * exact, rel=1e-15)
    assert float(dv.hellinger(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(hellinger, rel=1e-14)
    if p[0] == q[0] == 0.0:
        assert float(dv.bhattacharyya(dv.HalfCauchy(p[1]), dv.HalfCauchy(q[1]))) == pytest.approx(exact, rel=1e-15)


@pytest.mark.parametrize(("p", "q"), [*CAUCHY_RENYI_PAIRS, ((0.0, 1.0), (1e-6, 1.0)), ((0.0, 1.0), (0.0, 1.0 + 1e-9)),
                                      ((0.0, 1.0), (3.0, 0.5)), ((5.0, 1e-3), (-2.0, 40.0))])
def test_cauchy_js_as_a_function_of_chi2(p, q):
    # Nielsen & Okamura (2021): JS = log(2 r / (1 + r)), r = sqrt(1 + chi2 / 2): here against
    # mpmath's chi2, and (below) the formula itself against quadrature (numerical route before)
    with mp.workdps(DIGITS):
        m1, g1, m2, g2 = (mp.mpf(v) for v in (*p, *q))
        r = mp.sqrt(1 + ((g1 - g2) ** 2 + (m1 - m2) ** 2) / (4 * g1 * g2))
        exact = float(mp.log(2 * r / (1 + r)))
    assert float(dv.js(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(exact, rel=2e-15)
    if p[0] == q[0] == 0.0:
        assert float(dv.js(dv.HalfCauchy(p[1]), dv.HalfCauchy(q[1]))) == pytest.approx(exact, rel=2e-15)


def test_cauchy_js_never_beyond_log_2():
    # (log1p(s / (1 + r)^2) rounded one ulp beyond log 2 where s is large)
    p, q = dv.Cauchy(0.06511468353683884, 2.515787464545121e-66), dv.Cauchy(0.06517979822037567, 2.5157874670609085e-66)
    assert float(dv.js(p, q)) == math.log(2.0)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1.0), (1.0, 1.0)), ((0.0, 1.0), (3.0, 0.5)), ((5.0, 1e-3), (-2.0, 40.0))])
def test_cauchy_js_formula_against_quadrature(p, q):
    with mp.workdps(30):
        (l1, s1), (l2, s2) = ((mp.mpf(v) for v in law) for law in (p, q))

        def density(x, loc, scale):
            return scale / (mp.pi * ((x - loc) ** 2 + scale**2))

        def integrand(x):
            a, b = density(x, l1, s1), density(x, l2, s2)
            return (a * mp.log(2 * a / (a + b)) + b * mp.log(2 * b / (a + b))) / 2

        cuts = sorted({l1, l2, l1 - s1, l1 + s1, l2 - s2, l2 + s2})
        exact = float(mp.quad(integrand, [-mp.inf, *cuts, mp.inf]))
    assert float(dv.js(dv.Cauchy(*p), dv.Cauchy(*q))) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.5, 2, 3, 4])
def test_cauchy_renyi_legendre_identity_against_quadrature(alpha):
    with mp.workdps(30):
        def density(x, m, g):
            return g / (mp.pi * ((x - m) ** 2 + g**2))

        affinity = mp.quad(lambda x: density(x, 0.3, 1.2) ** alpha * density(x, -0.5, 0.7) ** (1 - alpha),
                           [-mp.inf, -0.5, 0.3, mp.inf])
        exact = float(mp.log(affinity) / (alpha - 1))
    assert float(dv.renyi(dv.Cauchy(0.3, 1.2), dv.Cauchy(-0.5, 0.7), alpha=alpha)) == pytest.approx(exact, rel=1e-14)
    # other orders: no closed form, the numerical route
    with pytest.raises(dv.NotRegisteredError):
        dv.renyi(dv.Cauchy(0.0, 1.0), dv.Cauchy(0.0, 2.0), alpha=2.5, method="closed_form")


@pytest.mark.parametrize("measure", ["hellinger", "bhattacharyya", "js"])
@pytest.mark.parametrize(("p", "q"), [
    (dv.Cauchy(1e200, 1e-200), dv.Cauchy(1e200, 2e-200)),  # Hellinger 0, Bhattacharyya inf before
    (dv.Normal(-1e150, 1e-150), dv.Laplace(-1e150, 3e-150)),
    (dv.Logistic(1e-250, 1e-250), dv.Gumbel(2e-250, 1e-250)),
])
def test_the_numerical_route_integrates_location_scale_pairs_in_standard_units(measure, p, q):
    unit, origin = float(p.scale), float(p.loc)
    standard = (type(p)(0.0, 1.0), type(q)((float(q.loc) - origin) / unit, float(q.scale) / unit))
    value = float(getattr(dv, measure)(p, q))
    assert value > 0
    assert value == pytest.approx(float(getattr(dv, measure)(*standard)), rel=1e-12)


def test_the_numerical_cross_entropy_moves_by_the_log_of_the_scale():
    p, q = dv.Logistic(1e200, 1e-200), dv.Moyal(1e200, 3e-200)
    standard = dv.cross_entropy(dv.Logistic(0.0, 1.0), dv.Moyal(0.0, 3.0))
    assert float(dv.cross_entropy(p, q)) == pytest.approx(float(standard) + math.log(1e-200), rel=1e-12)


@pytest.mark.parametrize("unit", [1e-200, 1e-150, 1.0, 1e150, 1e200])
def test_normal_total_variation_in_units_of_the_wider_scale(unit):
    # total variation is the same in any units (NaN where the squares of the scales left the range)
    standard = float(dv.total_variation(dv.Normal(0.0, 1.0), dv.Normal(1.0, 3.0)))
    value = dv.total_variation(dv.Normal(0.0, unit), dv.Normal(unit, 3.0 * unit))
    assert float(value) == pytest.approx(standard, rel=1e-14)
    assert float(dv.total_variation(dv.HalfNormal(unit), dv.HalfNormal(3.0 * unit))) == pytest.approx(
        float(dv.total_variation(dv.HalfNormal(1.0), dv.HalfNormal(3.0))), rel=1e-14)


@mp.workdps(700)
def _gamma_kl(k1, r1, k2, r2) -> float:
    k1, r1, k2, r2 = (mp.mpf(v) for v in (k1, r1, k2, r2))
    return float((k1 - k2) * mp.digamma(k1) - mp.loggamma(k1) + mp.loggamma(k2) + k2 * mp.log(r1 / r2) + k1 * (r2 - r1) / r1)


@pytest.mark.parametrize(("p", "q"), [
    ((1.4585039036889156e260, 1.7178919588838174e245), (2.747009983296088e29, 35357116690519.79)),  # [-2.6e246]
    ((1.2753935217824259e124, 15641376189902.28), (5.330488820604837e-13, 6.60589556372929e-289)),  # [2.2e110]
    ((1e12, 1e-200), (1e12 * (1 + 1e-9), 1e-200)),
    # the products leave the range (ratio of the means 1e293): from logarithms [-3.8e214, 234 batched]
    ((1.0927842624159993e228, 6.1440969888030424e230), (5.736632048725513e24, 1.6445463411772e-266)),
])
def test_gamma_kl_with_large_shapes_at_rates_far_apart(p, q):
    # rates far apart still cancel terms of the order of the shape: the large-shape form, its
    # products in units of the shape and the rate
    exact = _gamma_kl(*p, *q)
    assert float(dv.kl(dv.Gamma(*p), dv.Gamma(*q))) == pytest.approx(exact, rel=1e-13)
    batch = dv.kl(dv.Gamma(np.full(2, p[0]), np.full(2, p[1])), dv.Gamma(np.full(2, q[0]), np.full(2, q[1])))
    assert batch == pytest.approx([exact] * 2, rel=1e-13)
    assert float(dv.kl(dv.InverseGamma(*p), dv.InverseGamma(*q))) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 2.0, 3.7, 10.0])
def test_gamma_renyi_of_laws_whose_products_leave_the_range(alpha):
    # point masses 1e293 means apart: every order near the KL, 3.9e27 (Bhattacharyya 117, Renyi
    # of order 2 234, chi-square 3e101 before: the mixture's KLs through the same products).
    # Orders whose mixture rounds (0.3, 3.7, 10) take the means' offset from the two laws, not
    # from the rounded m, whose rounding the shape weighs.
    p, q = (1.0927842624159993e228, 6.1440969888030424e230), (5.736632048725513e24, 1.6445463411772e-266)
    with mp.workdps(700):
        a1, b1, a2, b2, a = (mp.mpf(v) for v in (*p, *q, alpha))
        am, bm = a * a1 + (1 - a) * a2, a * b1 + (1 - a) * b2

        def log_normaliser(k, r):
            return mp.loggamma(k) - k * mp.log(r)

        exact = float((log_normaliser(am, bm) - a * log_normaliser(a1, b1) - (1 - a) * log_normaliser(a2, b2)) / (a - 1))
    assert float(dv.renyi(dv.Gamma(*p), dv.Gamma(*q), alpha=alpha)) == pytest.approx(exact, rel=1e-13)
    if alpha == 2.0:
        assert float(dv.chi2(dv.Gamma(*p), dv.Gamma(*q))) == math.inf


@pytest.mark.parametrize("unit", [1e-183, 1.0, 1e183])
def test_laplace_kl_in_any_units(unit):
    # the product of the scales underflowed at 1e-183: NaN
    standard = float(dv.kl(dv.Laplace(0.0, 3.5734522538802693), dv.Laplace(0.2, 3.569878801626389)))
    value = float(dv.kl(dv.Laplace(0.0, 3.5734522538802693 * unit), dv.Laplace(0.2 * unit, 3.569878801626389 * unit)))
    assert value == pytest.approx(standard, rel=1e-13)


def test_laplace_kl_beyond_the_range_is_infinite():
    # the ratio of the scales overflows (1e358): inf; 0 * inf had given NaN at equal locations
    assert dv.kl(dv.Laplace(0.0, 4.886168306949291e276), dv.Laplace(0.0, 4.9665398217466256e-82)) == math.inf
    assert dv.kl(dv.Laplace(0.0, 4.886168306949291e276), dv.Laplace(1.0, 4.9665398217466256e-82)) == math.inf


def test_gumbel_kl_beyond_the_range_is_infinite():
    # exp of a location shift beyond the range: inf (inf - inf gave NaN)
    value = dv.kl(dv.Gumbel(-1.3e299, 1.05e-26), dv.Gumbel(-1.27e-19, 1.1e-206))
    assert value == math.inf


def test_a_poisson_too_wide_to_sum_says_so():
    # SciPy's median of Poisson(3.4e12) is NaN: it surfaced as NumPy's ValueError of arange
    with pytest.raises(dv.NotRegisteredError, match="too large to sum"):
        dv.entropy(dv.Poisson(3430648884777.418), method="summation")


def test_a_binomial_is_summed_where_its_mass_lies():
    # The finite support was summed whole: Binomial(2e7, 1/2) had "2e7 points, too large to
    # sum"; all but 1e-20 of its mass lies within 10 sd (some 45e3 points). The reference sums
    # 12 sd each side in mpmath.
    n, sd = 2 * 10**7, math.sqrt(5e6)
    with mp.workdps(25):
        top = n // 2 + int(12 * sd)
        masses = [mp.exp(mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1) - n * mp.log(2))
                  for k in range(n - top, top + 1)]
        exact = float(-mp.fsum(m * mp.log(m) for m in masses))
    value, error = dv.entropy(dv.Binomial(n, 0.5), method="summation", return_error=True)
    assert abs(float(value) - exact) <= error < 1e-5  # (SciPy's log-pmf: 2.2e-7 off, 1.5e-6 reported)


@pytest.mark.parametrize("rate", [1e5, 1e6])
def test_a_summed_entropy_reports_the_error_of_scipys_log_pmf(rate):
    # log k! and k log(rate) of SciPy's log-pmf err by ulps of k log k: Poisson(1e6)'s entropy
    # was 3.8e-9 off (4.6e-10 relative) with an error of 7e-15 reported; the reported error now covers it.
    with mp.workdps(DIGITS):
        lam = mp.mpf(rate)  # the asymptotic series: its next term is below 1e-20 here
        exact = mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2) - mp.mpf(19) / (360 * lam**3)
    value, error = dv.entropy(dv.Poisson(rate), method="summation", return_error=True)
    assert abs(float(value) - float(exact)) <= error < 1e-6


def _poisson_entropy(rate: float) -> float:
    """By its sum, within 60 standard deviations of the rate (the rest below 1e-700)."""
    with mp.workdps(40):
        lam, spread = mp.mpf(rate), 60 * math.sqrt(rate)
        total = mp.mpf(0)
        for k in range(max(0, int(rate - spread)), int(rate + spread) + 1):
            log_p = k * mp.log(lam) - lam - mp.loggamma(k + 1)
            total -= mp.exp(log_p) * log_p
        return float(total)


def test_the_poisson_entropy_from_its_asymptotic_series():
    # from rate 1e4 a closed form: Poisson(1e9) had none (too large to sum), Poisson(1e6)'s sum
    # was 3.8e-9 off (4.6e-10 relative)
    assert float(dv.entropy(dv.Poisson(1e4))) == pytest.approx(_poisson_entropy(1e4), rel=1e-15)
    with mp.workdps(40):
        series = [float(mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2))
                  for lam in (mp.mpf(1e9), mp.mpf(1e15))]
    assert dv.entropy(dv.Poisson(np.array([1e9, 1e15]))) == pytest.approx(series, rel=1e-15)
    # and the cross-entropy, H(p) + KL(p || q)
    with mp.workdps(40):
        lam, other = mp.mpf(1e6), mp.mpf(1.1e6)
        entropy = mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2) - mp.mpf(19) / (360 * lam**3)
        cross = float(entropy + lam * mp.log(lam / other) + other - lam)
    assert float(dv.cross_entropy(dv.Poisson(1e6), dv.Poisson(1.1e6))) == pytest.approx(cross, rel=1e-15)
    # below, a batch takes the numerical route whole
    small = dv.entropy(dv.Poisson(np.array([3.5, 1e5])))
    assert float(small[0]) == pytest.approx(_poisson_entropy(3.5), rel=1e-13)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1.0), (1e300, 1e-300)), ((-1e-26, 4.9e5), (-1.7e220, 1.1e13)),
                                      ((1.47e23, 6.1e-19), (-1.2e142, 5.2e6))])
def test_normal_total_variation_of_laws_beyond_the_range_apart_is_one(p, q):
    # the means' distance squared overflowed: NaN
    assert float(dv.total_variation(dv.Normal(*p), dv.Normal(*q))) == 1.0
    assert float(dv.total_variation(dv.LogNormal(*p), dv.LogNormal(*q))) == 1.0


@pytest.mark.parametrize("alpha", [0.5, 2.0, 10.0])
def test_vonmises_renyi_with_locations_far_beyond_the_period(alpha):
    # d - phi lost phi where d = 1.7e257: order 2 came out -2.7e-4 for 2.8e-4
    m1, k1, m2, k2 = -2.7583700708713086e-77, 0.0003105610183620298, 1.745805325851098e257, 0.023870537311460903
    with mp.workdps(DIGITS):
        big = [mp.mpf(v) for v in (m1, k1, m2, k2, alpha)]
        t = big[4]
        x = t * big[1] * mp.cos(big[0]) + (1 - t) * big[3] * mp.cos(big[2])
        y = t * big[1] * mp.sin(big[0]) + (1 - t) * big[3] * mp.sin(big[2])
        log_i0 = lambda k: mp.log(mp.besseli(0, k))  # noqa: E731
        exact = float((log_i0(mp.sqrt(x * x + y * y)) - t * log_i0(big[1]) - (1 - t) * log_i0(big[3])) / (t - 1))
    assert float(dv.renyi(dv.VonMises(m1, k1), dv.VonMises(m2, k2), alpha)) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("measure", ["kl", "bhattacharyya", "hellinger"])
def test_vonmises_beyond_concentrations_of_1e154(measure):
    # Laws of concentration k and 0.7 k at one location are the same for every large k (log I0
    # is t - log(2 pi t) / 2 + O(1/t)): d^2 and products of concentrations overflowed (NaN)
    values = [float(getattr(dv, measure)(dv.VonMises(0.0, k), dv.VonMises(0.0, 0.7 * k))) for k in (2.8e100, 2.8e200, 2.8e300)]
    exact = -0.5 * (math.log(0.7) + 0.3) if measure == "kl" else None
    assert values == pytest.approx([values[0]] * 3, rel=1e-13)
    if exact is not None:
        assert values[0] == pytest.approx(exact, rel=1e-13)


def test_vonmises_renyi_beyond_concentrations_of_1e154():
    # apart in location, the divergence grows as k: the same multiple of it at every large k
    ratios = [float(dv.renyi(dv.VonMises(0.0, k), dv.VonMises(-0.3, 0.7 * k), 0.5)) / k for k in (2.8e100, 2.8e277)]
    assert ratios[1] == pytest.approx(ratios[0], rel=1e-13)


@mp.workdps(400)  # the terms of order k1 log(l1) of 1e197 cancel
def _weibull_kl(k1, l1, k2, l2) -> float:
    k1, l1, k2, l2 = (mp.mpf(v) for v in (k1, l1, k2, l2))
    return float(mp.log(k1 / l1**k1) - mp.log(k2 / l2**k2) + (k1 - k2) * (mp.log(l1) - mp.euler / k1)
                 + (l1 / l2) ** k2 * mp.gamma(k2 / k1 + 1) - 1)


@pytest.mark.parametrize(("p", "q"), [
    ((8.781261630572866e197, 1.3941028033878426), (2.505643454680052e-205, 55402004941129.484)),  # NaN: r underflowed
    ((1e200, 2.0), (1e-200, 3.0)),
    ((1e20, 1.0), (1e-20, 1.0)),
])
def test_weibull_kl_at_shape_ratios_beyond_the_range(p, q):
    exact = _weibull_kl(*p, *q)
    assert float(dv.kl(dv.Weibull(*p), dv.Weibull(*q))) == pytest.approx(exact, rel=1e-13)


def test_gumbel_kl_at_a_ratio_of_scales_beyond_the_range_is_infinite():
    # Gamma(1 + r) at r = 1e600: the KL is beyond the range of doubles (inf - inf gave NaN)
    assert dv.kl(dv.Gumbel(0.0, 1e300), dv.Gumbel(0.0, 1e-300)) == math.inf
    assert math.isfinite(dv.kl(dv.Gumbel(0.0, 1e-300), dv.Gumbel(0.0, 1e300)))


def _beta_kl(a1, b1, a2, b2) -> mp.mpf:
    a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))

    def log_beta(a, b):
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    return (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize(("p", "q"), [
    ((2.3e-244, 2.3e277), (1e-293, 3.6e-266)), ((1e-200, 5e-150), (3e-180, 1e200)), ((4e150, 1e-250), (1e-120, 3.0)),
    ((1e-300, 0.5), (1e-300, 1e300)), ((1e-5, 3.0), (2e-5, 1e250)), ((1e-3, 1e-3), (1e-3, 1e300)),
    ((0.3, 2.0), (0.7, 1e100)), ((2.0, 3.0), (4e6, 5e6)),
])
def test_beta_kl_of_parameters_beyond_the_range_apart(p, q, batched):
    # Within one law the parameters are more than 2^1022 apart, so the exact products of the
    # means' form underflow: the leading parts' sum comes from logarithms (the first pair
    # gave 0 for 112.7, and NaN batched). Where q's parameters exceed p's by far more, the
    # remainders' parts d / x are taken apart (the fourth gave 0 for 4.93, the fifth was
    # 2.6e-8 off, the second NaN)
    with mp.workdps(1500):
        exact = _beta_kl(*p, *q)
    size = (2,) if batched else ()
    got = dv.kl(dv.Beta(*(np.full(size, v) for v in p)), dv.Beta(*(np.full(size, v) for v in q)))
    want = float(exact) if abs(exact) < mp.mpf(1e308) else math.inf
    assert np.all(got == pytest.approx(want, rel=1e-13)), (got, mp.nstr(exact, 17))


@pytest.mark.parametrize(("p", "q"), [((1e-293, 3.6e-266), (2.3e-244, 2.3e277)), ((1e-200, 1e-100), (1e150, 1e-100))])
def test_beta_kl_beyond_the_range_of_doubles_is_infinite(p, q):
    # q's parameter exceeds p's by 2^1024: the remainders' parts d / x overflow, and their
    # difference, the value (1.8e515 and 1e350), does too: inf, where it was NaN
    with mp.workdps(1500):
        assert _beta_kl(*p, *q) > 1e308
    assert dv.kl(dv.Beta(*p), dv.Beta(*q)) == math.inf
    assert np.all(dv.kl(dv.Beta(*(np.full(3, v) for v in p)), dv.Beta(*(np.full(3, v) for v in q))) == math.inf)


def test_dirichlet_kl_with_the_remainders_parts_apart():
    a, b = [1e-300, 0.5, 2.0], [1e-300, 1e300, 3.0]
    with mp.workdps(1500):
        x, y = [mp.mpf(v) for v in a], [mp.mpf(v) for v in b]
        cx, cy = mp.fsum(x), mp.fsum(y)
        exact = (mp.loggamma(cx) - mp.fsum(mp.loggamma(v) for v in x) - mp.loggamma(cy) + mp.fsum(mp.loggamma(v) for v in y)
                 + mp.fsum((u - v) * (mp.digamma(u) - mp.digamma(cx)) for u, v in zip(x, y, strict=True)))
    assert float(dv.kl(dv.Dirichlet(a), dv.Dirichlet(b))) == pytest.approx(float(exact), rel=1e-13)


def _log_normaliser_renyi(log_normaliser, p, q, alpha):
    with mp.workdps(1500):
        a1, b1, a2, b2, a = (mp.mpf(v) for v in (*p, *q, alpha))
        am, bm = a * a1 + (1 - a) * a2, a * b1 + (1 - a) * b2
        return float((log_normaliser(am, bm) - a * log_normaliser(a1, b1) - (1 - a) * log_normaliser(a2, b2)) / (a - 1))


@pytest.mark.parametrize("alpha", [0.3, 0.5, 2.0, 3.7, 10.0])
@pytest.mark.parametrize(("family", "p", "q"), [
    ("Gamma", (9.5e106, 26.9), (6.2e-164, 2.3e-138)),  # [6.6e73 for 497 at order 0.3]
    ("Gamma", (3e40, 2e30), (1e10, 5.0)),
    ("Beta", (4.783324140780849e234, 1.1461247861113298e214), (1.212851449375317e29, 3.09711036211232e-86)),  # [-1.4e181]
    ("Beta", (3e40, 2e30), (1e10, 5.0)),  # [2e-4 relative off at order 0.3]
])
def test_renyi_where_the_mixture_rounds_at_large_parameters(family, p, q, alpha):
    # The mixture m = alpha p + (1 - alpha) q rounds at non-dyadic orders; its mean's offset
    # from p or q, weighed by the concentration in the mixture's KLs, now comes from p and q
    # themselves: scale (a_q b_p - a_p b_q) for m anywhere on the line.
    def gamma(k, r):
        return mp.loggamma(k) - k * mp.log(r)

    def beta(a, b):
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    exact = _log_normaliser_renyi(gamma if family == "Gamma" else beta, p, q, alpha)
    law = getattr(dv, family)
    assert float(dv.renyi(law(*p), law(*q), alpha=alpha)) == pytest.approx(exact, rel=1e-14)
    batch = dv.renyi(law(*(np.full(2, v) for v in p)), law(*(np.full(2, v) for v in q)), alpha=alpha)
    assert batch == pytest.approx([exact] * 2, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.3, 2.0, 10.0])
@pytest.mark.parametrize(("p", "q"), [([4.8e234, 1.1e214, 3e220], [1.2e29, 3e-86, 5e30]),
                                      ([3e40, 2e30, 7e35], [1e10, 5.0, 2.0])])
def test_dirichlet_renyi_where_the_mixture_rounds_at_large_parameters(p, q, alpha):
    with mp.workdps(1500):
        x, y, a = [mp.mpf(v) for v in p], [mp.mpf(v) for v in q], mp.mpf(alpha)

        def log_beta(z):
            return mp.fsum(mp.loggamma(v) for v in z) - mp.loggamma(mp.fsum(z))

        m = [a * u + (1 - a) * v for u, v in zip(x, y, strict=True)]
        exact = float((log_beta(m) - a * log_beta(x) - (1 - a) * log_beta(y)) / (a - 1))
    assert float(dv.renyi(dv.Dirichlet(p), dv.Dirichlet(q), alpha=alpha)) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 1.0, 2.0, 3.7, 10.0])
@pytest.mark.parametrize("swap", [False, True])
def test_vonmises_at_concentrations_far_apart_beyond_2_500(alpha, swap):
    # log I0's Bregman divergence between two concentrations beyond 2^500 is -log1pmx(d / k) / 2;
    # d / k rounds to -1 where the end is 1e-21 of k: log1p from the ends' logarithms (KL
    # was inf, and the Renyi orders through it inf or -inf, for values of 5.5e207 and 5.6e185)
    p, q = (9.88740961414785e-239, 1.3232622938660497e186), (-7641.31129380774, 2.765468015323764e207)
    if swap:
        p, q = q, p
    with mp.workdps(60):
        (m1, k1), (m2, k2) = ((mp.mpf(v) for v in law) for law in (p, q))
        shift = m2 - m1

        def log_i0(k):  # beyond 1e150 the next term is below 1e-300 of these
            return k - mp.log(2 * mp.pi * k) / 2 + mp.log1p(1 / (8 * k))

        if alpha == 1.0:
            exact = log_i0(k2) - log_i0(k1) + (1 - 1 / (2 * k1)) * (k1 - k2 * mp.cos(shift))
        else:
            a = mp.mpf(alpha)
            radius = mp.sqrt((a * k1) ** 2 + ((1 - a) * k2) ** 2 + 2 * a * (1 - a) * k1 * k2 * mp.cos(shift))
            exact = (log_i0(radius) - a * log_i0(k1) - (1 - a) * log_i0(k2)) / (a - 1)
    got = dv.renyi(dv.VonMises(*p), dv.VonMises(*q), alpha=alpha)
    assert float(got) == pytest.approx(float(exact), rel=1e-13)


def _dirichlet_kl_exact(a, b) -> float:
    with mp.workdps(1500):
        x, y = [mp.mpf(v) for v in a], [mp.mpf(v) for v in b]
        cx, cy = mp.fsum(x), mp.fsum(y)
        return float(mp.loggamma(cx) - mp.fsum(mp.loggamma(v) for v in x) - mp.loggamma(cy)
                     + mp.fsum(mp.loggamma(v) for v in y) + mp.fsum((u - v) * (mp.digamma(u) - mp.digamma(cx))
                                                               for u, v in zip(x, y, strict=True)))


@pytest.mark.parametrize(("a", "b"), [
    # the means' term of a part at 6e36 (a log ratio of 1e-348) from logarithms took their
    # rounding: -6.9e23 for 3.5e-311 (NaN before the logarithms)
    ([2.412458660e222, 7.00660193e-126, 6.09258003e36, 3.10958679e-61],
     [4.824917325550586e222, 1.6773595622541767e-135, 1.2185160066603388e37, 6.219173578995951e-61]),
    # a part's Stirling remainder at t = d / x = 7e264 squared t (inf), and a_i / c1 underflowed
    # in a means' term of 1.5e123: KL 0 for 3.0e277
    ([2.476939494674418e-91, 7.904784853029472e296, 6440254279.917422, 1.2052928131012218e-49],
     [2.746576775606596e120, 1.197115150738696e-150, 4.4713834869281174e274, 2.0441172595376178e152]),
])
def test_dirichlet_kl_with_parts_beyond_the_range_apart(a, b):
    exact = _dirichlet_kl_exact(a, b)
    assert float(dv.kl(dv.Dirichlet(a), dv.Dirichlet(b))) == pytest.approx(exact, rel=1e-13)
    batch = dv.kl(dv.Dirichlet(np.stack([a, a])), dv.Dirichlet(np.stack([b, b])))
    assert batch == pytest.approx([exact] * 2, rel=1e-13)


def test_dirichlet_bhattacharyya_with_parts_beyond_the_range_apart():
    a = [9.441136092722717e-126, 1.401320385007407e-125, 3.0188305215459634e-126, 3.837269330927581e-125]
    b = [4.824917325550586e222, 1.6773595622541767e-135, 1.2185160066603388e37, 6.219173578995951e-61]
    with mp.workdps(1500):
        x, y = [mp.mpf(v) for v in a], [mp.mpf(v) for v in b]

        def log_beta(z):
            return mp.fsum(mp.loggamma(v) for v in z) - mp.loggamma(mp.fsum(z))

        m = [(u + v) / 2 for u, v in zip(x, y, strict=True)]
        exact = float(log_beta(x) / 2 + log_beta(y) / 2 - log_beta(m))  # [NaN, then -3.5e23]
    assert float(dv.bhattacharyya(dv.Dirichlet(a), dv.Dirichlet(b))) == pytest.approx(exact, rel=1e-13)



# q's covariance some 1e-12 of p's in every direction (a tight posterior against a wide prior)
_TIGHT_P_MEAN = [0.050336838224244014, 0.018495264947807583, -0.02597535424961721, 0.004954334778247911]
_TIGHT_P_COV = [[3718.777917783876, -810.107798970045, -217.95911462448925, 92.86092554976022], [-810.107798970045, 5233.315909264835, 587.5284344093434, 119.30818240800764], [-217.95911462448925, 587.5284344093434, 4245.101634724252, -53.49979066057819], [92.86092554976022, 119.30818240800764, -53.49979066057819, 6126.074126917171]]
_TIGHT_Q_MEAN = [-13330.628505546729, -760.3892208837876, -300.872104838744, -5351.571230977988]
_TIGHT_Q_COV = [[3.052258893382496e-09, -5.522504831902616e-10, -6.403109482381938e-10, -2.447964327893043e-10], [-5.522504831902616e-10, 2.543890618580511e-09, -6.835566657086377e-11, 1.1265891669492172e-10], [-6.403109482381938e-10, -6.835566657086377e-11, 2.1469316312275825e-09, -4.145166794307641e-11], [-2.447964327893043e-10, 1.1265891669492172e-10, -4.145166794307641e-11, 3.038898652530538e-09]]


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.999999, 1.000001, 2.0])
@pytest.mark.parametrize("swap", [False, True])
def test_gaussian_renyi_where_one_covariance_is_far_below_the_other(alpha, swap):
    # B = F^-1 (S_q - S_p) F^-T is -I plus 1e-12: I + B and I + a B lost q's covariance to
    # the rounding of 1 - 1 (Bhattacharyya 2e-8 relative off, order 1 - 1e-6 1.5e-11); both
    # now from F^-1 S_q F^-T formed apart
    p = (np.array(_TIGHT_P_MEAN), np.array(_TIGHT_P_COV))
    q = (np.array(_TIGHT_Q_MEAN), np.array(_TIGHT_Q_COV))
    if swap:
        p, q = q, p
    with mp.workdps(60):
        (m1, c1), (m2, c2) = ((mp.matrix(v.tolist()) for v in law) for law in (p, q))
        a = mp.mpf(alpha)
        mixed = (1 - a) * c1 + a * c2
        if min(mp.eig(mixed)[0], key=lambda z: mp.re(z)).real <= 0:
            exact = math.inf
        else:
            diff = m1 - m2
            exact = float(a / 2 * (diff.T * mp.inverse(mixed) * diff)[0]
                          - mp.log(mp.det(mixed) / (mp.det(c1) ** (1 - a) * mp.det(c2) ** a)) / (2 * (a - 1)))
    got = dv.renyi(dv.MultivariateNormal(*p), dv.MultivariateNormal(*q), alpha=alpha)
    assert float(got) == pytest.approx(exact, rel=1e-13)
    batch = dv.renyi(dv.MultivariateNormal(*(np.stack([v, v]) for v in p)),
                     dv.MultivariateNormal(*(np.stack([v, v]) for v in q)), alpha=alpha)
    assert batch == pytest.approx([exact] * 2, rel=1e-13)


@pytest.mark.parametrize(("n1", "n2", "ratio"), [(15911.5, 1.0003, 1e-9), (5258076.9, 1.0114, 1e-124), (3.5, 7.0, 1e-3),
                                                  (2.5, 2.5, 1e-300)])
def test_wishart_kl_where_one_scale_is_far_below_the_other(n1, n2, ratio):
    # X = L2^-1 (V1 - V2) L2^-T has eigenvalues near -1 where V1 is far below V2: log1p of
    # them lost V1 (NaN at 1e-124); from L2^-1 V1 L2^-T itself now. Where n2 is far below n1,
    # the dfs' Bregman part and n1 tr(X) / 2 cancelled terms of the order of n1 (3e-10 at n1 =
    # 5e6), and the Bregman part's end n1/2 + (n2 - n1)/2 lost n2 (7e-13 at n1 = 1.6e4).
    tolerance = 1e-13
    v2 = np.array([[9.2, 1.3], [1.3, 4.1]])
    v1 = ratio * np.array([[2.0, -0.7], [-0.7, 1.5]])
    with mp.workdps(80):
        m1, m2 = mp.matrix(v1.tolist()), mp.matrix(v2.tolist())
        a1, a2 = mp.mpf(n1) / 2, mp.mpf(n2) / 2
        product = mp.inverse(m2) * m1

        def log_gamma_d(a):
            return mp.log(mp.pi) / 2 + mp.loggamma(a) + mp.loggamma(a - mp.mpf(1) / 2)

        psi_d = mp.digamma(a1) + mp.digamma(a1 - mp.mpf(1) / 2)
        exact = float(-a2 * mp.log(mp.det(product)) + a1 * (product[0, 0] + product[1, 1] - 2)
                      + log_gamma_d(a2) - log_gamma_d(a1) + (a1 - a2) * psi_d)
    got = dv.kl(dv.Wishart(n1, v1), dv.Wishart(n2, v2))
    assert float(got) == pytest.approx(exact, rel=tolerance)
    batch = dv.kl(dv.Wishart(np.array([n1, n1]), np.stack([v1, v1])), dv.Wishart(np.array([n2, n2]), np.stack([v2, v2])))
    assert batch == pytest.approx([exact] * 2, rel=tolerance)
