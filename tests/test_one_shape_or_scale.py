"""Closed forms for laws of one shape or one scale, against mpmath.

- Renyi divergences (and the Bhattacharyya, Hellinger and chi-square distances derived from
  them) of Weibull laws of one shape and of Gumbel and Moyal laws of one scale, and the total
  variation of Moyal laws of one scale: images of Gamma laws of one shape under one map for
  both.
- KL, cross-entropy and Renyi divergences of Logistic laws of one scale: the integral of
  ``p^alpha q^(1 - alpha)`` is elementary (``L((2 alpha - 1) d) - L(d)``, ``L(y) = log(sinh(y/2)
  / (y/2))``).

References: mpmath's quadrature of the defining integral (30 digits) over the range that holds
all but 1e-30 of the mass, and for nearly equal laws, where that quadrature's error is of the
value's order, the closed forms at 50 digits (which the quadrature confirms on the other cases).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

INF = math.inf


def _gumbel(x: mp.mpf, m: float, s: float) -> mp.mpf:
    z = (x - m) / s
    return mp.exp(-(z + mp.exp(-z))) / s


def _moyal(x: mp.mpf, m: float, s: float) -> mp.mpf:
    z = (x - m) / s
    return mp.exp(-(z + mp.exp(-z)) / 2) / (s * mp.sqrt(2 * mp.pi))


def _weibull(x: mp.mpf, k: float, scale: float) -> mp.mpf:
    return (k / scale) * (x / scale) ** (k - 1) * mp.exp(-((x / scale) ** k))


# family, density, p's parameters, q's, the integration range and its breakpoints
LOCATION = [(0.0, 0.7, 1.3), (1.0, -0.5, 0.4), (-2.0, 3.0, 0.9)]
CASES = (
    [(name, cls, pdf, (m1, s), (m2, s), (min(m1, m2) - 7 * s, max(m1, m2) + 170 * s),
      sorted({m1 + j * s for j in range(-6, 40, 2)} | {m2}))
     for name, cls, pdf in (("Gumbel", dv.Gumbel, _gumbel), ("Moyal", dv.Moyal, _moyal)) for m1, m2, s in LOCATION]
    + [("Weibull", dv.Weibull, _weibull, (k, l1), (k, l2), (0.0, max(l1, l2) * 300 ** (1 / k)),
        sorted(t * scale for t in (0.01, 0.1, 0.5, 1, 2, 4) for scale in (l1, l2)))
       for k, l1, l2 in [(1.5, 1.0, 2.0), (0.7, 2.0, 1.1), (4.0, 1.0, 0.8)]]
)


def _quad(f, span: tuple[float, float], points: list[float]) -> mp.mpf:
    lo, hi = span
    with mp.workdps(30):
        return mp.quad(f, [lo, *(t for t in points if lo < t < hi), hi])


def _renyi_reference(pdf, pa, qa, alpha: float, span, points) -> float:
    with mp.workdps(30):
        if math.isinf(alpha):  # log sup p/q over a grid, and next to the support's ends
            grid = [span[0] + (span[1] - span[0]) * mp.mpf(i) / 4000 for i in range(1, 4000)]
            grid += [span[0] + mp.mpf(10) ** -30, span[1]]
            return float(max(mp.log(pdf(x, *pa) / pdf(x, *qa)) for x in grid))
        total = _quad(lambda x: pdf(x, *pa) ** alpha * pdf(x, *qa) ** (1 - alpha), span, points)
        return float(mp.log(total) / (alpha - 1))


def _finite(name: str, pa, qa, alpha: float) -> bool:
    """Whether the integral converges (alpha e^L > alpha - 1; alpha = inf: L >= 0)."""
    log_rates = pa[0] * math.log(qa[1] / pa[1]) if name == "Weibull" else (pa[0] - qa[0]) / pa[1]
    if math.isinf(alpha):
        return log_rates >= 0
    return alpha * math.exp(log_rates) > alpha - 1


@pytest.mark.parametrize("alpha", [0.3, 0.5, 2.0, 3.5, INF])
@pytest.mark.parametrize(("name", "cls", "pdf", "pa", "qa", "span", "points"), CASES,
                         ids=[f"{c[0]}-{i % 3}" for i, c in enumerate(CASES)])
def test_renyi_matches_the_defining_integral(name, cls, pdf, pa, qa, span, points, alpha):
    value = float(dv.renyi(cls(*pa), cls(*qa), alpha, method="closed_form"))
    if not _finite(name, pa, qa, alpha):
        assert value == INF  # (the integral diverges: the truncated quadrature would not say so)
        return
    expected = _renyi_reference(pdf, pa, qa, alpha, span, points)
    assert value == pytest.approx(expected, rel=1e-6 if math.isinf(alpha) else 1e-13)


def _exact(log_rates: float, alpha: float, shape: float) -> float:
    with mp.workdps(50):
        big_l, a = mp.mpf(log_rates), mp.mpf(alpha)
        return float(-shape * (mp.log(a * mp.exp(big_l) + 1 - a) - a * big_l) / (a - 1))


@pytest.mark.parametrize("alpha", [1e-9, 0.3, 0.5, 1 - 1e-9, 1 + 1e-9, 2.0, 40.0])
@pytest.mark.parametrize("step", [1e-13, 1e-8, 1e-3])
def test_nearly_equal_laws_keep_relative_accuracy(alpha, step):
    """Locations ``step`` scales apart (Gumbel, Moyal), scales ``1 + step`` apart (Weibull):
    the value is of the order of step^2 and keeps its digits (renyi_log_mean's near form)."""
    loc, scale, shape = 0.3, 1.7, 2.5
    gumbel = float(dv.renyi(dv.Gumbel(loc, scale), dv.Gumbel(loc + step * scale, scale), alpha))
    moyal = float(dv.renyi(dv.Moyal(loc, scale), dv.Moyal(loc + step * scale, scale), alpha))
    weibull = float(dv.renyi(dv.Weibull(shape, scale), dv.Weibull(shape, scale * (1 + step)), alpha))
    # the laws' own parameters as doubles: L from them in mpmath
    with mp.workdps(50):
        l_loc = float((mp.mpf(loc) - mp.mpf(loc + step * scale)) / mp.mpf(scale))
        l_weibull = float(shape * mp.log(mp.mpf(scale * (1 + step)) / mp.mpf(scale)))
    assert gumbel == pytest.approx(_exact(l_loc, alpha, 1.0), rel=1e-14)
    assert moyal == pytest.approx(_exact(l_loc, alpha, 0.5), rel=1e-14)
    assert weibull == pytest.approx(_exact(l_weibull, alpha, 1.0), rel=1e-14)


def test_derived_distances_and_order_one():
    """Bhattacharyya = D_(1/2) / 2, Hellinger from it, chi-square = expm1(D_2); order 1 is the
    KL (which has its closed form for two scales too); order 0 is 0."""
    for p, q in [(dv.Gumbel(0.1, 0.8), dv.Gumbel(-0.4, 0.8)), (dv.Moyal(0.1, 0.8), dv.Moyal(0.9, 0.8)),
                 (dv.Weibull(1.7, 1.0), dv.Weibull(1.7, 1.6))]:
        half, two = float(dv.renyi(p, q, 0.5)), float(dv.renyi(p, q, 2.0))
        assert float(dv.bhattacharyya(p, q, method="closed_form")) == pytest.approx(half / 2, rel=1e-15)
        assert float(dv.hellinger(p, q, method="closed_form")) == pytest.approx(math.sqrt(-math.expm1(-half / 2)), rel=1e-15)
        assert float(dv.chi2(p, q, method="closed_form")) == pytest.approx(math.expm1(two), rel=1e-15)
        assert float(dv.renyi(p, q, 1.0)) == float(dv.kl(p, q))
        assert float(dv.renyi(p, q, 0.0, method="closed_form")) == 0.0


def test_two_scales_or_shapes_take_the_numerical_route():
    """Laws of two scales (two shapes) have no closed form: ``closed_form`` says so, and the
    default answers numerically, in agreement with the quadrature above."""
    p, q = dv.Gumbel(0.0, 1.0), dv.Gumbel(0.5, 2.0)
    with pytest.raises(dv.NotRegisteredError):
        dv.renyi(p, q, 0.5, method="closed_form")
    value, error = dv.renyi(p, q, 0.5, return_error=True)
    expected = _renyi_reference(_gumbel, (0.0, 1.0), (0.5, 2.0), 0.5, (-7.0, 340.0), list(range(-6, 40, 2)))
    assert float(value) == pytest.approx(expected, rel=1e-12)
    assert 0 < float(error) < 1e-10
    # a batch with one shared scale and one not: each element its own route
    mixed = dv.renyi(dv.Weibull(2.0, np.array([1.0, 1.0])), dv.Weibull(np.array([2.0, 3.0]), 1.5), 0.5)
    assert float(mixed[0]) == pytest.approx(_exact(2.0 * math.log(1.5), 0.5, 1.0), rel=1e-12)
    assert np.isfinite(mixed[1])


@pytest.mark.parametrize(("m1", "m2", "s"), [*LOCATION, (0.2, 0.2001, 2.0)])
def test_moyal_total_variation(m1, m2, s):
    """One crossing: the Gamma(1/2) law's mass between the two rate-1 images of it."""
    value = float(dv.total_variation(dv.Moyal(m1, s), dv.Moyal(m2, s), method="closed_form"))
    with mp.workdps(30):
        crossing = mp.findroot(lambda x: _moyal(x, m1, s) - _moyal(x, m2, s), (m1 + m2) / 2 + s / 2)
        span = (min(m1, m2) - 7 * s, max(m1, m2) + 170 * s)
        points = sorted({m1 + j * s for j in range(-6, 40, 2)} | {crossing})
        expected = float(_quad(lambda x: abs(_moyal(x, m1, s) - _moyal(x, m2, s)), span, points) / 2)
    assert value == pytest.approx(expected, rel=1e-13)
    with pytest.raises(dv.NotRegisteredError):
        dv.total_variation(dv.Moyal(m1, s), dv.Moyal(m2, 2 * s), method="closed_form")


def test_torch_gradients():
    torch = pytest.importorskip("torch")
    loc = torch.tensor([0.2, -1.0], dtype=torch.float64, requires_grad=True)
    value = dv.renyi(dv.Gumbel(loc, 1.3), dv.Gumbel(0.0, 1.3), 0.5) + dv.total_variation(dv.Moyal(loc, 1.3),
                                                                                        dv.Moyal(0.0, 1.3))
    value.sum().backward()
    step = 1e-6
    for i, x in enumerate((0.2, -1.0)):
        def f(t: float) -> float:
            return float(dv.renyi(dv.Gumbel(t, 1.3), dv.Gumbel(0.0, 1.3), 0.5)) + float(
                dv.total_variation(dv.Moyal(t, 1.3), dv.Moyal(0.0, 1.3)))
        assert float(loc.grad[i]) == pytest.approx((f(x + step) - f(x - step)) / (2 * step), rel=1e-6)


# --------------------------------------------------------------------------------------
# Logistic laws of one scale
# --------------------------------------------------------------------------------------


def _logistic(x: mp.mpf, m: float, s: float) -> mp.mpf:
    z = (x - m) / s
    return mp.exp(-abs(z)) / (s * (1 + mp.exp(-abs(z))) ** 2)


def _log_sinhc_half(y: mp.mpf) -> mp.mpf:
    return mp.log(mp.sinh(y / 2) / (y / 2)) if y != 0 else mp.mpf(0)


def _logistic_exact(m1: float, m2: float, s: float, alpha: float) -> float:
    with mp.workdps(120):
        d, a = abs(mp.mpf(m2) - mp.mpf(m1)) / mp.mpf(s), mp.mpf(alpha)
        if alpha == 1:
            return float(d / mp.tanh(d / 2) - 2)
        return float((_log_sinhc_half((2 * a - 1) * d) - _log_sinhc_half(d)) / (a - 1))


LOGISTIC = [(0.0, 0.7, 1.3), (1.0, -2.0, 0.5), (0.3, 30.0, 2.0)]


@pytest.mark.parametrize("alpha", [1e-3, 0.2, 0.5, 0.9, 1.0, 1.1, 2.0, 7.0, INF])
@pytest.mark.parametrize(("m1", "m2", "s"), LOGISTIC)
def test_logistic_matches_the_defining_integral(m1, m2, s, alpha):
    p, q = dv.Logistic(m1, s), dv.Logistic(m2, s)
    span = (min(m1, m2) - 80 * s, max(m1, m2) + 80 * s)
    points = sorted({m1, m2} | {m1 + j * s for j in range(-70, 71, 5)})
    value = float(dv.renyi(p, q, alpha, method="closed_form"))
    if math.isinf(alpha):
        assert value == pytest.approx(abs(m1 - m2) / s, rel=1e-15)  # sup p/q = e^d, in a tail
        return
    with mp.workdps(30):
        if alpha == 1.0:
            expected = float(_quad(lambda x: _logistic(x, m1, s) * mp.log(_logistic(x, m1, s) / _logistic(x, m2, s)),
                                   span, points))
        else:
            expected = float(mp.log(_quad(lambda x: _logistic(x, m1, s) ** alpha * _logistic(x, m2, s) ** (1 - alpha),
                                          span, points)) / (alpha - 1))
    assert value == pytest.approx(expected, rel=1e-13)
    if alpha == 1.0:
        assert float(dv.kl(p, q, method="closed_form")) == value
        with mp.workdps(30):
            cross = float(_quad(lambda x: -_logistic(x, m1, s) * mp.log(_logistic(x, m2, s)), span, points))
        assert float(dv.cross_entropy(p, q, method="closed_form")) == pytest.approx(cross, rel=1e-14)


@pytest.mark.parametrize("alpha", [0.0, 1e-12, 1e-3, 0.2499, 0.25, 0.5, 0.75, 0.76, 1 - 1e-9, 1.0, 1 + 1e-9, 1.2499,
                                   1.25, 2.0, 1e6])
def test_logistic_keeps_relative_accuracy(alpha):
    """Locations 1e-15 to 600 scales apart, at orders near 0, 1/4, 3/4, 1 and 5/4 (where the
    form changes from the difference of two L to the mean of L' between them): within 8 ulps."""
    for step in (1e-15, 1e-8, 1e-3, 0.3, 2.0, 40.0, 600.0):
        m1, s = 0.4, 1.7
        m2 = m1 + step * s
        value = float(dv.renyi(dv.Logistic(m1, s), dv.Logistic(m2, s), alpha))
        if alpha == 0.0:
            assert value == 0.0
            continue
        assert value == pytest.approx(_logistic_exact(m1, m2, s, alpha), rel=8 * 2.0**-52), step


def test_logistic_derived_distances_and_limits():
    """Bhattacharyya = L(d) (the coefficient is (d/2) / sinh(d/2)); two scales: no closed form;
    distances beyond the doubles: inf, never NaN."""
    p, q = dv.Logistic(0.0, 1.0), dv.Logistic(1.0, 1.0)
    assert float(dv.bhattacharyya(p, q)) == pytest.approx(-math.log(0.5 / math.sinh(0.5)), rel=1e-15)
    assert float(dv.chi2(p, q)) == pytest.approx(math.expm1(float(dv.renyi(p, q, 2.0))), rel=1e-15)
    with pytest.raises(dv.NotRegisteredError):
        dv.kl(p, dv.Logistic(0.0, 2.0), method="closed_form")
    far = dv.renyi(dv.Logistic(-1e308, 1.0), dv.Logistic(1e308, 1.0), 0.5)
    assert float(far) == INF
    torch = pytest.importorskip("torch")
    loc = torch.tensor([0.3, 0.0], dtype=torch.float64, requires_grad=True)
    value = dv.renyi(dv.Logistic(loc, 1.0), dv.Logistic(0.0, 1.0), 0.8)
    value.sum().backward()
    step = 1e-6
    numeric = (float(dv.renyi(dv.Logistic(0.3 + step, 1.0), dv.Logistic(0.0, 1.0), 0.8))
               - float(dv.renyi(dv.Logistic(0.3 - step, 1.0), dv.Logistic(0.0, 1.0), 0.8))) / (2 * step)
    assert float(loc.grad[0]) == pytest.approx(numeric, rel=1e-7)
    assert float(loc.grad[1]) == 0.0  # p = q: the minimum


def test_a_batch_mixing_one_scale_and_two():
    """Elements of one scale take the closed forms; those of two the numerical route, alone (the
    batch is its elements), derived measures (Bhattacharyya, Hellinger, PSI) included; on torch
    the closed elements keep their gradients."""
    locs_p, scales_p = np.array([0.0, 0.0, 1.0]), np.array([1.0, 1.0, 2.0])
    locs_q, scales_q = np.array([0.5, 0.5, 0.0]), np.array([1.0, 2.0, 1.0])
    p, q = dv.Logistic(locs_p, scales_p), dv.Logistic(locs_q, scales_q)
    for name, call in [("kl", dv.kl), ("total_variation", dv.total_variation), ("bhattacharyya", dv.bhattacharyya),
                       ("hellinger", dv.hellinger), ("psi", dv.psi), ("renyi", lambda a, b, **k: dv.renyi(a, b, 0.7, **k))]:
        value, error = call(p, q, return_error=True)
        assert float(error[0]) == 0.0 and (error[1:] > 0).all(), name
        for i in range(3):
            one, two = dv.Logistic(locs_p[i], scales_p[i]), dv.Logistic(locs_q[i], scales_q[i])
            assert float(value[i]) == float(call(one, two)), (name, i)
        with pytest.raises(dv.NotRegisteredError, match="needs one scale"):
            call(p, q, method="closed_form")
    gumbel = dv.renyi(dv.Gumbel(0.0, np.array([1.0, 1.0])), dv.Gumbel(0.4, np.array([1.0, 1.5])), 2.0, return_error=True)
    assert float(gumbel[1][0]) == 0.0 and float(gumbel[1][1]) > 0.0
    binomial = dv.total_variation(dv.Binomial(np.array([10, 10]), 0.3), dv.Binomial(np.array([10, 12]), 0.35))
    assert float(binomial[1]) == float(dv.total_variation(dv.Binomial(10, 0.3), dv.Binomial(12, 0.35)))
    torch = pytest.importorskip("torch")
    loc = torch.tensor(locs_p, requires_grad=True)
    value = dv.kl(dv.Logistic(loc, torch.tensor(scales_p)), dv.Logistic(torch.tensor(locs_q), torch.tensor(scales_q)))
    value.sum().backward()
    assert float(loc.grad[0]) != 0.0 and torch.isfinite(loc.grad).all()
    np.testing.assert_allclose(value.detach().numpy(), dv.kl(p, q), rtol=1e-14)
