"""The numerical route's first Gauss-Kronrod rule read in one vectorised call (``_kronrod``):
it must stop exactly where ``scipy.integrate.quad`` stops after its first rule (21 points),
with quad's value and error estimate, and hand every other integrand back to quad."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate

from divergences.distributions._kronrod import first_step

EPSABS, EPSREL = 1e-15, 1e-12

# (integrand, a, b): smooth ones that quad settles at once, and ones it must bisect (a kink, a
# singular end, an oscillation, a narrow peak), and ones settled by round-off.
CASES = [
    (np.exp, 0.0, 1.0),
    (np.cos, -0.5, 2.0),
    (lambda x: np.exp(-x * x / 2), -1.0, 1.5),
    (lambda x: np.exp(-x * x / 2), 3.0, 40.0),
    (lambda x: 1.0 / (1.0 + x * x), -0.3, 0.8),
    (lambda x: x ** 7 - 3 * x ** 2, 2.0, 5.0),
    (lambda x: np.zeros_like(x), 0.0, 1.0),
    (lambda x: np.log1p(x), 0.0, 1e-8),
    (lambda x: np.sqrt(np.abs(x)), -1.0, 1.0),
    (lambda x: np.abs(x - 0.3), 0.0, 1.0),
    (lambda x: np.log(x), 0.0, 1.0),
    (lambda x: np.sin(50 * x), 0.0, 3.0),
    (lambda x: np.exp(-1e4 * (x - 0.5) ** 2), 0.0, 1.0),
    (lambda x: 1e-300 * np.exp(x), 0.0, 1.0),
    (lambda x: 1.0 + 1e-17 * np.sin(1e6 * x), 0.0, 1.0),
    (lambda x: np.exp(x), 5.0, 5.0),
]


@pytest.mark.parametrize(("f", "a", "b"), CASES)
def test_the_first_step_is_quads_where_quad_stops_there(f, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = integrate.quad(lambda x: float(f(np.asarray([x]))[0]), a, b, epsabs=EPSABS, epsrel=EPSREL,
                             limit=200, full_output=1)
        value, error, info = out[:3]  # (and a message where quad warns)
        found = first_step(f, a, b, epsabs=EPSABS, epsrel=EPSREL)
    if info["neval"] > 21:  # quad bisected: the first step must not claim the integral
        assert found is None
        return
    assert found is not None, (value, error)
    ours, ours_error = found
    # The same rule and test; the sums in another order (a few ulps of the integral of |f|).
    scale = abs(b - a) * max(float(np.max(np.abs(f(np.linspace(a, b, 101))))), 1e-300)
    assert abs(ours - value) <= 8 * np.finfo(float).eps * scale
    assert ours_error == pytest.approx(error, rel=1e-6, abs=1e-300)


def test_non_finite_values_are_left_to_quad():
    assert first_step(lambda x: 1.0 / x, 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL) is None
    assert first_step(lambda x: np.full_like(x, math.nan), 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL) is None


def test_the_points_are_read_in_one_call():
    calls = []

    def f(x):
        calls.append(np.shape(x))
        return np.exp(x)

    first_step(f, 0.0, 1.0, epsabs=EPSABS, epsrel=EPSREL)
    assert calls == [(21,)]
