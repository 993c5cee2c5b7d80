"""``Phi(z) - Phi(w)``, the standard normal probability of an interval, to the relative
accuracy its end points allow: the total variation of two normal laws is a sum of two such
differences, and between nearly equal laws each is tiny against the ``Phi`` values it is the
difference of (``2 Phi(d / 2) - 1`` gave 0 for 4e-18; a scale step of 1e-11, 3e-5 relative)."""

from __future__ import annotations

import math
from typing import Any

from .._array_api import Array
from .._special import erf, ndtr, substitute

__all__ = ["normal_interval"]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# |h| max(1, |m|) up to this, the series below within an ulp after _SERIES_ORDER / 2 terms
_SERIES_REACH = 0.125
_SERIES_ORDER = 14


def normal_interval(z: Array, w: Array, diff: Array, xp: Any) -> Array:
    """``Phi(z) - Phi(w)``, given ``diff = z - w`` formed without the rounding of ``z`` and
    ``w`` (from the parameters' own differences), by whichever form has no cancellation:

    * end points close (``|h| max(1, |m|) <= 1/8``, ``m`` the midpoint, ``h = diff / 2``):
      ``phi(m) diff sum_k He_2k(m) h^2k / (2k + 1)!``, the integral of ``phi`` over the
      interval expanded about its midpoint (``He`` the probabilists' Hermite polynomials);
    * end points on either side of 0, or both within 1 of it: ``(erf(z / sqrt 2) - erf(w /
      sqrt 2)) / 2``, whose terms have opposite signs or are small;
    * both in one tail: the difference of the tail probabilities.
    """
    m = 0.5 * (z + w)
    h = 0.5 * diff
    close = xp.abs(h) * xp.maximum(xp.abs(m), xp.ones_like(m)) <= _SERIES_REACH
    central = ((z <= 0) != (w <= 0)) | (xp.maximum(xp.abs(z), xp.abs(w)) < 1.0)
    upper = m > 0
    tails = xp.where(upper, ndtr(-w, xp) - ndtr(-z, xp), ndtr(z, xp) - ndtr(w, xp))
    central_mass = erf(z * _SQRT_HALF, xp) - erf(w * _SQRT_HALF, xp)
    plain = xp.where(central, 0.5 * central_mass, tails)
    ms, hs = substitute(close, m, 0.0, xp), substitute(close, h, 0.0, xp)
    return xp.where(close, _midpoint_series(ms, hs, xp) * diff, plain)


def _midpoint_series(m: Array, h: Array, xp: Any) -> Array:
    """``phi(m) sum_k He_2k(m) h^2k / (2k + 1)!``: the interval's probability over its length."""
    h2 = h * h
    previous, current = xp.ones_like(m), m  # He_0, He_1
    total, power, factorial = xp.ones_like(m), xp.ones_like(m), 1.0
    for n in range(1, _SERIES_ORDER):
        previous, current = current, m * current - n * previous  # He_{n+1}
        if n % 2:  # He_{n+1} is even
            power = power * h2
            factorial *= (n + 1) * (n + 2)
            total = total + current * power / factorial
    return _INV_SQRT_2PI * xp.exp(-0.5 * m * m) * total
