"""The numerical route's adaptive Gauss-Kronrod quadrature, each round's points read in one
vectorised call (``_kronrod``): it must stop where ``scipy.integrate.quad`` stops after its
first rule (21 points), with quad's value and error estimate; beyond, agree with quad within
the error it reports (an honest one: against the exact integral too); and hand back to quad
what it cannot settle."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate

from divergences.distributions._kronrod import integrate as kronrod

EPSABS, EPSREL = 1e-15, 1e-12

# (integrand, a, b): smooth ones that quad settles at once, and ones it must bisect (a kink, a
# singular end, an oscillation, a narrow peak), and ones settled by round-off.
CASES = [
    (np.exp, 0.0, 1.0, math.e - 1),
    (np.cos, -0.5, 2.0, math.sin(2.0) + math.sin(0.5)),
    (lambda x: np.exp(-x * x / 2), -1.0, 1.5, math.sqrt(math.pi / 2) * (math.erf(1.5 / math.sqrt(2)) + math.erf(1 / math.sqrt(2)))),
    (lambda x: np.exp(-x * x / 2), 3.0, 40.0, math.sqrt(math.pi / 2) * math.erfc(3 / math.sqrt(2))),
    (lambda x: 1.0 / (1.0 + x * x), -0.3, 0.8, math.atan(0.8) + math.atan(0.3)),
    (lambda x: x ** 7 - 3 * x ** 2, 2.0, 5.0, (5.0 ** 8 - 2.0 ** 8) / 8 - (5.0 ** 3 - 2.0 ** 3)),
    (lambda x: np.zeros_like(x), 0.0, 1.0, 0.0),
    (lambda x: np.log1p(x), 0.0, 1e-8, 1e-16 / 2 - 1e-24 / 6),  # (1 + h) log1p(h) - h
    (lambda x: np.sqrt(np.abs(x)), -1.0, 1.0, 4.0 / 3.0),
    (lambda x: np.abs(x - 0.3), 0.0, 1.0, 0.29),
    (lambda x: np.abs(np.sin(7 * x)), 0.0, 2.0, None),
    (lambda x: np.log(x), 0.0, 1.0, -1.0),
    (lambda x: np.sin(50 * x), 0.0, 3.0, (1 - math.cos(150.0)) / 50),
    (lambda x: np.exp(-1e4 * (x - 0.5) ** 2), 0.0, 1.0, math.sqrt(math.pi) / 100 * math.erf(50.0)),
    (lambda x: 1e-300 * np.exp(x), 0.0, 1.0, 1e-300 * (math.e - 1)),
    (lambda x: 1.0 + 1e-17 * np.sin(1e6 * x), 0.0, 1.0, 1.0),
    (lambda x: np.exp(x), 5.0, 5.0, 0.0),
]


def _quad(f, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = integrate.quad(lambda x: float(f(np.asarray([x]))[0]), a, b, epsabs=EPSABS, epsrel=EPSREL,
                             limit=200, full_output=1)
    return out[0], out[1], out[2]["neval"]  # (and a message where quad warns)


@pytest.mark.parametrize(("f", "a", "b", "exact"), CASES)
def test_quads_sum_where_quad_stops_at_its_first_rule(f, a, b, exact):
    value, error, evaluations = _quad(f, a, b)
    if evaluations > 21:
        return
    found = kronrod(f, a, b, epsabs=EPSABS, epsrel=EPSREL, limit=200)
    assert found is not None, (value, error)
    ours, ours_error = found
    # The same rule and test; the sums in another order (a few ulps of the integral of |f|).
    scale = abs(b - a) * max(float(np.max(np.abs(f(np.linspace(a, b, 101))))), 1e-300)
    assert abs(ours - value) <= 8 * np.finfo(float).eps * scale
    assert ours_error == pytest.approx(error, rel=1e-6, abs=1e-300)


@pytest.mark.parametrize(("f", "a", "b", "exact"), CASES)
def test_bisection_agrees_with_quad_and_the_exact_integral_within_its_error(f, a, b, exact):
    found = kronrod(f, a, b, epsabs=EPSABS, epsrel=EPSREL, limit=200)
    if found is None:  # handed back to quad: only an integrand it cannot read to the tolerance
        assert exact is not None and not math.isfinite(f(np.asarray([a, b])).sum()) or _quad(f, a, b)[2] > 21
        return
    ours, ours_error = found
    value, error, _ = _quad(f, a, b)
    assert abs(ours - value) <= ours_error + error + 4 * np.finfo(float).eps * abs(value)
    if exact is not None:
        assert abs(ours - exact) <= ours_error + 4 * np.finfo(float).eps * abs(exact)
    assert ours_error <= max(EPSABS, EPSREL * abs(ours)) or ours_error <= 1e-13 * abs(b - a)


def test_non_finite_values_are_left_to_quad():
    assert kronrod(lambda x: 1.0 / x, 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL, limit=200) is None
    assert kronrod(lambda x: np.full_like(x, math.nan), 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL, limit=200) is None


def test_each_round_reads_its_points_in_one_call():
    calls = []

    def f(x):
        calls.append(np.shape(x))
        return np.abs(x - 0.3)

    value, _ = kronrod(f, 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL, limit=200)
    assert value == pytest.approx(0.29, rel=1e-14)
    assert calls[0] == (21,) and all(shape[0] % 42 == 0 for shape in calls[1:])
    assert len(calls) < 60  # one interval bisected a round: the kink's depth


def test_the_limit_hands_the_integral_back():
    assert kronrod(lambda x: np.abs(x - 0.3), 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL, limit=3) is None
