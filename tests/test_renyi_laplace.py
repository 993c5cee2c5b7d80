"""Renyi divergence of Laplace laws of any two scales and centres (and the Bhattacharyya,
Hellinger and chi-square distances derived from it) against mpmath.

The reference is the integral of ``p^alpha q^(1 - alpha)`` as its three exponential pieces
(one per side of each centre), summed at several hundred digits so that nothing cancels;
it is itself checked against mpmath's quadrature of the defining integral, and, for equal
scales, against the published form of the Laplace mechanism's Renyi differential privacy
(Mironov 2017, Proposition 6).
"""

from __future__ import annotations

import itertools
import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import divergences as dv

INF = math.inf


def reference(m1: float, b1: float, m2: float, b2: float, alpha: float, dps: int = 400) -> mp.mpf:
    """``log(integral of p^alpha q^(1 - alpha)) / (alpha - 1)`` by its three pieces (in p's units)."""
    with mp.workdps(dps):
        m1, b1, m2, b2, a = (mp.mpf(v) for v in (m1, b1, m2, b2, alpha))
        m, r = abs(m2 - m1) / b1, b2 / b1
        if a == 1:
            return mp.log(r) + m / r + mp.exp(-m) / r - 1
        beta = (1 - a) / r
        if a + beta <= 0:
            return mp.inf
        between = m * mp.exp(-a * m) if beta == a else (mp.exp(-a * m) - mp.exp(-beta * m)) / (beta - a)
        outside = (mp.exp(-beta * m) + mp.exp(-a * m)) / (a + beta)
        return +(mp.log(r ** (a - 1) * (outside + between) / 2) / (a - 1))


def _quadrature(m1: float, b1: float, m2: float, b2: float, alpha: float) -> mp.mpf:
    with mp.workdps(40):
        def integrand(x: mp.mpf) -> mp.mpf:
            p = mp.exp(-abs(x - m1) / b1) / (2 * b1)
            q = mp.exp(-abs(x - m2) / b2) / (2 * b2)
            return p**alpha * q ** (1 - alpha)
        lo, hi = sorted((mp.mpf(m1), mp.mpf(m2)))
        return mp.log(mp.quad(integrand, [-mp.inf, lo, hi, mp.inf])) / (alpha - 1)


def _renyi(m1: float, b1: float, m2: float, b2: float, alpha: float) -> float:
    return float(dv.renyi(dv.Laplace(m1, b1), dv.Laplace(m2, b2), alpha, method="closed_form"))


@pytest.mark.parametrize("case", [(0.0, 1.0, 1.5, 2.0, 0.5), (0.0, 1.0, 1.5, 2.0, 2.0), (0.3, 0.7, -0.2, 1.1, 3.5),
                                  (0.0, 1.0, 2.0, 0.6, 0.3), (0.0, 2.0, 0.1, 0.5, 0.9), (1.0, 1.0, 1.0, 3.0, 7.0)])
def test_reference_is_the_defining_integral(case):
    assert float(reference(*case)) == pytest.approx(float(_quadrature(*case)), rel=1e-14)


@pytest.mark.parametrize("alpha", [1.5, 2.0, 5.0, 32.0])
@pytest.mark.parametrize("shift", [1e-9, 0.01, 1.0, 20.0])
def test_equal_scales_give_the_laplace_mechanism_form(alpha, shift):
    """Mironov (2017), Prop. 6: D_alpha(Lap(0, b) || Lap(mu, b)) = log(alpha / (2 alpha - 1)
    exp((alpha - 1) mu / b) + (alpha - 1) / (2 alpha - 1) exp(-alpha mu / b)) / (alpha - 1)."""
    b = 0.8
    with mp.workdps(200):
        a, m = mp.mpf(alpha), mp.mpf(shift) / mp.mpf(b)
        expected = mp.log(a / (2 * a - 1) * mp.exp((a - 1) * m) + (a - 1) / (2 * a - 1) * mp.exp(-a * m)) / (a - 1)
    assert _renyi(0.0, b, shift, b, alpha) == pytest.approx(float(expected), rel=4e-16)


ORDERS = [1e-17, 1e-8, 1e-3, 0.3, 0.5 - 1e-12, 0.5, 0.5 + 1e-9, 0.9, 1 - 1e-7, 1 + 1e-7, 1.5, 2.0, 3.5, 10.0, 1e6]


def _sweep() -> list:
    """Per order: generic laws, nearly equal ones (relative changes down to 1e-13), equal
    scales with shifts down to 1e-13 of the scale, and nearly one centre."""
    rng = np.random.default_rng(20261207)
    cases = []
    for alpha in ORDERS:
        for kind in range(4):
            for _ in range(6):
                b1 = float(np.exp(rng.uniform(-3, 3)))
                if kind == 0:
                    b2, d = float(np.exp(rng.uniform(-3, 3))), float(np.exp(rng.uniform(-5, 3))) * b1
                elif kind == 1:
                    b2 = b1 * (1 + float(np.exp(rng.uniform(-30, -2))) * float(rng.choice([-1, 1])))
                    d = float(np.exp(rng.uniform(-30, -2))) * b1
                elif kind == 2:
                    b2, d = b1, float(np.exp(rng.uniform(-30, 3))) * b1
                else:
                    b2, d = b1 * float(np.exp(rng.uniform(-2, 2))), float(np.exp(rng.uniform(-35, -10))) * b1
                m1 = float(rng.normal())
                cases.append((m1, b1, m1 + d, b2, alpha))
    return cases


@pytest.mark.parametrize("alpha", ORDERS)
def test_matches_mpmath_to_a_few_ulps(alpha):
    """Orders near 0, 1/2 and 1 and far above; laws nearly equal, with equal scales, with
    nearly one centre: within 8 ulps of the value (the shift's part is second order in the
    distance, nothing is divided by alpha - 1, and small orders take the swap of the laws)."""
    for case in (c for c in _sweep() if c[4] == alpha):
        expected = float(reference(*case))
        assert _renyi(*case) == pytest.approx(expected, rel=8 * 2.0**-52), case


def test_edge_of_the_finite_domain():
    """For alpha > 1 the integral is finite where alpha b2 > (alpha - 1) b1: exact up to it
    (the mixed scale an exact sum where it cancels), infinite on and beyond it."""
    for alpha, gap, d in itertools.product((1 + 1e-6, 1.5, 2.0, 10.0), (1e-3, 1e-8, 1e-13), (0.0, 0.3, 30.0)):
        b2 = (alpha - 1) / alpha * (1 + gap)
        assert _renyi(0.0, 1.0, d, b2, alpha) == pytest.approx(float(reference(0.0, 1.0, d, b2, alpha, 200)), rel=1e-15)
        assert _renyi(0.0, 1.0, d, (alpha - 1) / alpha * (1 - 1e-15), alpha) == INF


def test_extreme_parameters_are_finite_and_right():
    """Scales from 1e-300 to 1e300 against each other and distances 0 to 1e300: the reference's
    value (or inf where that exceeds the doubles), never NaN. The one regime left out: scales
    1e303 apart at order 1, the KL's (1e-13 relative)."""
    values = [1e-300, 1e-20, 1e-3, 1.0, 1e3, 1e20, 1e300]
    for b1, b2, d, alpha in itertools.product(values, values, [0.0, *values], (1e-6, 0.5, 0.7, 2.0, 50.0)):
        ours = _renyi(0.0, b1, d, b2, alpha)
        expected = reference(0.0, b1, d, b2, alpha, 1500)
        assert not math.isnan(ours), (b1, b2, d, alpha)
        if mp.isinf(expected) or float(expected) == 0.0 or abs(expected) > 1.7e308:
            assert ours == float(expected) or (ours == INF and expected > 0), (b1, b2, d, alpha, ours)
        else:
            assert ours == pytest.approx(float(expected), rel=1e-13, abs=1e-300), (b1, b2, d, alpha)


@pytest.mark.parametrize(("b1", "b2", "d"), [(1.0, 1.0, 0.7), (1.0, 2.0, 0.0), (1.0, 2.0, 3.0), (2.0, 1.0, 0.2)])
def test_infinite_and_zero_orders(b1, b2, d):
    """alpha = inf: log sup p/q = log(b2 / b1) + d / b2 where q is at least as wide, else inf;
    alpha = 0: -log q(p > 0) = 0."""
    expected = math.log(b2 / b1) + d / b2 if b2 >= b1 else INF
    assert _renyi(0.0, b1, d, b2, INF) == pytest.approx(expected, rel=1e-15)
    assert _renyi(0.0, b1, d, b2, 0.0) == 0.0


def test_derived_distances():
    """Bhattacharyya = D_(1/2) / 2 (for equal scales d / 2b - log(1 + d / 2b), to all digits at
    tiny shifts), Hellinger = sqrt(1 - exp(-Bhattacharyya)), chi-square = expm1(D_2)."""
    p, q = dv.Laplace(0.2, 1.3), dv.Laplace(-0.4, 0.7)
    half, two = float(dv.renyi(p, q, 0.5)), float(dv.renyi(p, q, 2.0))
    assert float(dv.bhattacharyya(p, q)) == pytest.approx(half / 2, rel=1e-15)
    assert float(dv.hellinger(p, q)) == pytest.approx(math.sqrt(-math.expm1(-half / 2)), rel=1e-15)
    assert float(dv.chi2(p, q)) == pytest.approx(math.expm1(two), rel=1e-15)
    for shift in (1e-12, 1e-3, 2.0):
        with mp.workdps(80):
            x = mp.mpf(shift) / 2
            expected = float(x - mp.log1p(x))
        assert float(dv.bhattacharyya(dv.Laplace(0.0, 1.0), dv.Laplace(shift, 1.0))) == pytest.approx(expected, rel=4e-16)


def test_batches_and_backends_agree():
    """A batch is its elements; torch (with finite gradients that match finite differences)
    and JAX give NumPy's values."""
    locs, scales = np.array([0.0, 0.3, -2.0, 1e-9]), np.array([1.0, 0.4, 0.9, 1.0 + 1e-12])
    for alpha in (0.3, 0.5, 2.0):
        batch = dv.renyi(dv.Laplace(locs, scales), dv.Laplace(0.1, 1.2), alpha)
        loop = [_renyi(m, b, 0.1, 1.2, alpha) for m, b in zip(locs, scales, strict=True)]
        np.testing.assert_allclose(batch, loop, rtol=1e-15)
    torch = pytest.importorskip("torch")
    loc = torch.tensor(locs, requires_grad=True)
    value = dv.renyi(dv.Laplace(loc, torch.tensor(scales)), dv.Laplace(0.1, 1.2), 2.0)
    np.testing.assert_allclose(value.detach().numpy(), dv.renyi(dv.Laplace(locs, scales), dv.Laplace(0.1, 1.2), 2.0),
                               rtol=1e-14)
    value.sum().backward()
    step = 1e-6
    for i in range(len(locs)):
        up, down = locs.copy(), locs.copy()
        up[i] += step
        down[i] -= step
        numeric = (_renyi(up[i], scales[i], 0.1, 1.2, 2.0) - _renyi(down[i], scales[i], 0.1, 1.2, 2.0)) / (2 * step)
        assert float(loc.grad[i]) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(-3, 3), st.floats(0.05, 20), st.floats(-3, 3), st.floats(0.05, 20))
def test_nondecreasing_in_the_order(m1, b1, m2, b2):
    """D_alpha is nondecreasing in alpha, 0 at alpha = 0, and alpha / (1 - alpha) D_(1 - alpha)(q || p)
    = D_alpha(p || q) for 0 < alpha < 1 (skew symmetry)."""
    orders = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.5, 2.0, 4.0, INF]
    values = [_renyi(m1, b1, m2, b2, a) for a in orders]
    assert values[0] == 0.0
    for low, high in itertools.pairwise(values):
        assert high >= low * (1 - 1e-14) - 1e-300
    for a in (0.1, 0.3, 0.7):
        swapped = _renyi(m2, b2, m1, b1, 1 - a) * a / (1 - a)
        assert swapped == pytest.approx(_renyi(m1, b1, m2, b2, a), rel=1e-13, abs=1e-300)
