"""Exact sums and products of doubles (error-free transformations), and products of pairs.

A sum or a product of two doubles is a double plus its rounding error, itself a double
(Knuth's TwoSum; Dekker's product by Veltkamp's splitting, no fused multiply-add needed);
carrying that error through a few more products keeps a quantity to about 2^-100 relative,
enough where the forms subtract two such quantities that agree to many digits (the
variance of a Beta law against a Normal's, nearly equal). Any array library, or Python floats.
"""

from __future__ import annotations

from typing import Any

__all__ = ["below_max", "product", "product_pair", "two_sum"]

Array = Any

_SPLIT = 134217729.0  # 2^27 + 1


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """``s`` and ``e`` with ``a + b = s + e`` exactly."""
    s = a + b
    part = s - a
    return s, (a - (s - part)) + (b - part)


def product(a: Array, b: Array) -> tuple[Array, Array]:
    """``p`` and ``e`` with ``a b = p + e`` exactly (magnitudes below 2^995)."""
    p = a * b
    sa, sb = _SPLIT * a, _SPLIT * b
    ah, bh = sa - (sa - a), sb - (sb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def product_pair(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
    """The product of two unevaluated sums ``a[0] + a[1]`` and ``b[0] + b[1]`` (each second
    part below an ulp of the first), as such a sum, to about 2^-100 relative."""
    p, e = product(a[0], b[0])
    e = e + (a[0] * b[1] + a[1] * b[0])
    high = p + e
    return high, e - (high - p)


def below_max(x: Array, value: float, xp: Any) -> float:
    """``value``, or the largest finite number of ``x``'s dtype where that is smaller (a range
    test of these products against 1e60 would overflow float32's cast)."""
    return min(value, float(xp.finfo(x.dtype).max))
