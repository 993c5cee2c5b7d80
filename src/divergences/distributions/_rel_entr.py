"""The relative entropy ``a log(a/b) - a + b``, the term of the discrete families' KL divergences
(Poisson, Bernoulli, ...), exact near ``a = b``, and its in-place fast path (``_host``).

The fast path writes it as ``b phi(r)``, ``phi(r) = r log r - (r - 1)``, ``r = a / b``. Unlike
``a log r - (a - b)`` (which carries the rounding of ``r`` at first order through ``log r``:
some 1 / (log r)^2 ulps, 140 at ``|log r| = 0.1``), ``a log r - b (r - 1)`` is flat in ``r`` at
the exact ratio, so ``r``'s rounding cancels and what is left is the rounding of the logarithm
and of two products, some 2.2 / |log r| ulps (against mpmath, in units of 2^-52 of the value:
at most 26 where ``|log r| >= 0.08``, 22 where ``|log r| >= 0.1``, 10 beyond 0.2). The series
(``atanh_tail``) is taken where ``|log r| <= 0.1``, a band read off the value of ``phi`` (one
comparison, scale-free); ``phi`` is not finite exactly where ``r`` is 0 or infinite or ``r log
r`` overflowed (a zero or non-positive parameter included), where the array-API form decides.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from .._array_api import is_eager
from .._special import (
    RATIO_SERIES_HIGH,
    RATIO_SERIES_LOW,
    _horner,
    atanh_tail,
    full_like,
    log1pmx,
    ratio_form,
    scratch,
    substitute,
    where0,
)
from ._host import (
    NUMPY,
    Back,
    blockwise,
    blockwise_into,
    fill,
    heads,
    horner,
    host,
    near_everywhere,
    ratio_fill,
    within,
)
from ._host import atanh_tail as host_atanh_tail
from ._host import log as host_log

__all__ = ["bernoulli_kl_float", "bernoulli_kl_host", "rel_entr", "rel_entr_host"]

Array = Any

# phi(r) at log r = 0.1 (the larger of its values at +-0.1): at or below it, the series.
_REL_ENTR_NEAR_VALUE = math.exp(0.1) * 0.1 - math.expm1(0.1)
# The Bernoulli KL q phi(p / q) + (1 - q) phi((1 - p) / (1 - q)): each term errs by some
# ulps of |p - q| (its logarithm, and the roundings of 1 - p and 1 - q, on which it is not
# flat), the sum is (p - q)^2 / (2 q (1 - q)), so the sum errs by some 3.5 / max |log r|
# ulps (against mpmath, 1500 random pairs a band: at most 29 where the larger |log r| is
# at least 0.12, 14 beyond 0.2): the series only where both |log r| <= 0.12, read off both
# values of phi.
_BERNOULLI_NEAR_VALUE = math.exp(0.12) * 0.12 - math.expm1(0.12)


def rel_entr(a: Array, b: Array, d: Array, xp: Any) -> Array:
    """``a log(a/b) - a + b`` (>= 0) for ``a, b >= 0``, given ``d = a - b`` computed exactly.

    ``b`` at ``a = 0``, ``inf`` at ``a > 0 = b``. Near ``a = b`` it is
    ``b (x^2 + (1 + x) log1pmx(x))`` with ``x = d / b``: no cancellation, so a KL divergence
    built from these terms keeps its relative accuracy when the two distributions nearly agree.
    """
    kind = is_eager(xp)
    found = host(kind, a, b, d, scalars=True)
    if kind and found is not None and _all_positive(a, b, kind, xp):  # the same, in place on NumPy views
        (a, b, d), back = found
        if isinstance(a, np.ndarray):
            return back(rel_entr_host(a, b, d, back))
        log_r = host_log(a / b, back)  # Python floats: a log r - d, the series within RATIO_NEAR
        return back(ratio_fill(a * log_r - d, log_r, _rel_entr_series, _rel_entr_far, (a, b, d)))
    if kind and _all_positive(a, b, kind, xp):
        # a log r - d, r = a / b, cancels only near r = 1, where the series form is taken.
        r = a / b
        log_r = xp.log(r)
        if scratch(r, kind):  # r's memory for the plain form (one full-size temporary less)
            plain = np.multiply(a, log_r, out=r) if kind == "numpy" else sys.modules["torch"].mul(a, log_r, out=r)
            plain -= d
        else:
            plain = a * log_r - d
        return ratio_form(plain, log_r, lambda u, v, w: _rel_entr_near(u, v, w, xp), (a, b, d), kind, xp)
    return _rel_entr_any(a, b, d, xp)


def _rel_entr_any(a: Array, b: Array, d: Array, xp: Any) -> Array:
    """``rel_entr`` for every ``a, b >= 0`` (zeros included) in any array library."""
    a_pos = a > 0
    ok = a_pos & (b > 0)
    a_s, b_s, d_s = substitute(ok, a, 1.0, xp), substitute(ok, b, 1.0, xp), where0(ok, d, xp)
    x = d_s / b_s
    near = xp.abs(x) <= 0.5
    xn = where0(near, x, xp)
    series = b_s * (xn * xn + (1.0 + xn) * log1pmx(xn, xp))
    plain = a_s * (xp.log(a_s) - xp.log(b_s)) - d_s
    inner = xp.where(near, series, plain)
    return xp.where(ok, inner, xp.where(a_pos, full_like(a, math.inf, xp), b))


def _all_positive(a: Array, b: Array, kind: str, xp: Any) -> bool:
    if kind == "numpy" and np.ndim(a) == 0 and np.ndim(b) == 0:
        return bool(a > 0 and b > 0)
    return bool(xp.min(a) > 0) and bool(xp.min(b) > 0)


def _phi_into(out: np.ndarray, work: np.ndarray, a: np.ndarray, b: np.ndarray, back: Back) -> None:
    """:func:`_phi` into ``out`` with the scratch ``work`` (a block of ``_host.blockwise_into``)."""
    np.divide(a, b, out=work)
    host_log(work, back, out=out)
    out *= work
    work -= 1.0
    out -= work


def rel_entr_host(a: np.ndarray, b: np.ndarray, d: np.ndarray | None, back: Back) -> np.ndarray:
    """``rel_entr`` on NumPy arrays of one shape (``host``'s views; ``d = a - b`` where the
    caller has it, else taken from ``a`` and ``b``, exact where it matters): ``b phi(r)``,
    the series where ``|log r| <= 0.1`` and the array-API form where ``phi`` is not finite
    (see the module docstring); any ``a, b >= 0``."""
    with np.errstate(all="ignore"):
        x = near_everywhere(b, a, RATIO_SERIES_LOW, RATIO_SERIES_HIGH, d)
        if x is not None:  # a and b near each other throughout: the series alone, exact and cheaper
            return blockwise(_rel_entr_series_of, x, b)
        out = blockwise_into(lambda o, w, u, v: _phi_into(o, w, u, v, back), a, b)
        near = out <= _REL_ENTR_NEAR_VALUE
        far = None if out.max() < math.inf else ~(out < math.inf)  # NaN included
        out *= b
        if d is None:
            fill(out, near, _pair_of, (a, b), few=_pair_of)
            if far is not None:
                fill(out, far, lambda u, v: _rel_entr_any(u, v, u - v, NUMPY), (a, b))
        else:
            fill(out, near, _pair_with, (a, b, d), few=_pair_with)
            if far is not None:
                fill(out, far, lambda u, v, w: _rel_entr_any(u, v, w, NUMPY), (a, b, d))
    return out


def bernoulli_kl_host(p: np.ndarray, q: np.ndarray, back: Back) -> np.ndarray:
    """KL(Bernoulli(p) || Bernoulli(q)) on NumPy arrays of one shape (``host``'s views):
    ``q phi(p / q) + (1 - q) phi((1 - p) / (1 - q))``, the series where both ``|log r| <=
    0.12`` (``_BERNOULLI_NEAR_VALUE``), the array-API form where the sum is not finite (a
    probability 0 or 1, or outside [0, 1])."""
    near_value = _bernoulli_near_everywhere(p, q)
    if near_value is not None:
        return near_value
    with np.errstate(all="ignore"):
        # three full-size buffers (each further one a fresh allocation, whose pages fault in):
        # the second term first, then the first into the memory of 1 - q
        s = np.subtract(1.0, q)
        r = np.subtract(1.0, p)
        r /= s
        other = host_log(r, back)
        other *= r
        r -= 1.0
        other -= r
        near = other <= _BERNOULLI_NEAR_VALUE
        other *= s
        np.divide(p, q, out=r)
        out = host_log(r, back, out=s)
        out *= r
        r -= 1.0
        out -= r
        near &= out <= _BERNOULLI_NEAR_VALUE
        out *= q
        out += other
        fill(out, near, _bernoulli_kl_series, (p, q), few=_bernoulli_kl_series)
        if not out.max() < math.inf:
            fill(out, ~(out < math.inf), _bernoulli_kl_any, (p, q))
    return out


def bernoulli_kl_float(p: float, q: float) -> float | None:
    """:func:`bernoulli_kl_host` on Python floats (an unbatched pair), the same operations in
    the same order; None where it cannot say (a probability 0 or 1 or outside, an overflow),
    for the caller's array path."""
    if not (0.0 < p < 1.0 and 0.0 < q < 1.0):
        return None
    r = p / q
    phi = math.log(r) * r - (r - 1.0) if r > 0.0 else math.inf
    s = 1.0 - q
    r = (1.0 - p) / s
    other = math.log(r) * r - (r - 1.0) if r > 0.0 else math.inf
    if phi <= _BERNOULLI_NEAR_VALUE and other <= _BERNOULLI_NEAR_VALUE:
        return float(_bernoulli_kl_series(p, q))
    value = phi * q + other * s
    return value if value < math.inf else None


def _bernoulli_kl_series(p: Array, q: Array) -> Array:
    d = p - q
    return _rel_entr_pair(d, p + q) + _rel_entr_pair(-d, (1.0 - p) + (1.0 - q))


def _bernoulli_near_everywhere(p: np.ndarray, q: np.ndarray) -> np.ndarray | None:
    """:func:`_bernoulli_kl_series` where every pair is in its range (``|u| <= 0.065`` for
    both terms: probabilities near each other throughout, as between a model and its update),
    in place and with the operations in its order; None elsewhere (:func:`_host.heads` decide
    cheaply for probabilities apart)."""
    with np.errstate(all="ignore"):
        hp, hq = heads(p, q)
        hd = hp - hq
        if not (within(hd / (hp + hq), -_PAIR_U, _PAIR_U) and within(hd / ((1.0 - hp) + (1.0 - hq)), -_PAIR_U, _PAIR_U)):
            return None
        d = np.subtract(p, q)
        first = np.add(p, q)
        np.divide(d, first, out=first)
        if not within(first, -_PAIR_U, _PAIR_U):
            return None
        rest = np.subtract(1.0, p)
        second = np.subtract(1.0, q)
        second += rest
        np.divide(d, second, out=second)
        if not within(second, -_PAIR_U, _PAIR_U):
            return None
        np.negative(second, out=second)  # -d / s, the u of the second term
        out = _rel_entr_pair_of(first, d)
        np.negative(d, out=d)
        out += _rel_entr_pair_of(second, d)
        return out


def _bernoulli_kl_any(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    d = p - q
    return rel_entr(p, q, d, NUMPY) + rel_entr(1.0 - p, 1.0 - q, -d, NUMPY)


# S(v) = sum_k v^k / (2k + 3): six terms reach round-off for |u| <= 0.065 (|log r| <= 0.13).
_PAIR_TERMS = tuple(1.0 / (2 * k + 3) for k in range(6))
_PAIR_U = 0.065


def _rel_entr_pair(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``a log(a/b) - a + b`` from ``d = a - b`` and ``s = a + b``, for ``|d / s| <= 0.065``:
    with ``u = d / s`` (``a / b = (1 + u) / (1 - u)``) and ``log(a/b) = 2 atanh(u)`` it is
    ``d u (1 + u (1 + u) S(u^2))``, a product of factors each within an ulp or two."""
    return _rel_entr_pair_of(d / s, d)


def _pair_of(a: Any, b: Any) -> Any:
    """:func:`_rel_entr_pair` of ``a`` and ``b`` (``d`` taken as ``a - b``)."""
    return _rel_entr_pair(a - b, a + b)


def _pair_with(a: Any, b: Any, d: Any) -> Any:
    """:func:`_rel_entr_pair` of ``a`` and ``b`` with ``d = a - b`` given."""
    return _rel_entr_pair(d, a + b)


def _rel_entr_pair_of(u: Any, d: Any) -> Any:
    """:func:`_rel_entr_pair` of ``u = d / s`` itself; in place on NumPy arrays (``u``
    spent), with the terms of ``S`` the largest ``|u|`` needs (``_host.horner``)."""
    v = u * u
    if isinstance(v, np.ndarray):
        poly = horner(_PAIR_TERMS, v)
        w = np.add(u, 1.0, out=v)
    else:
        poly = _horner(_PAIR_TERMS, v)
        w = u + 1.0
    w *= u
    w *= poly
    w += 1.0
    w *= u
    w *= d
    return w


def _rel_entr_series(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``b (x u + (1 + x) 2 (atanh(u) - u))``, ``x = d / b`` in the series' range."""
    return _rel_entr_series_of(d / b, b)


def _rel_entr_series_of(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`_rel_entr_series` of ``x = d / b`` itself (spent), in place on NumPy arrays
    (``_host.atanh_tail``), the operations in the same order."""
    u, tail = host_atanh_tail(x)
    u *= x
    x += 1.0
    tail *= x
    u += tail
    u *= b
    return u


def _rel_entr_far(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``a log(a/b) - d`` with the logarithms apart (``a / b`` out of the normal range)."""
    return a * (np.log(a) - np.log(b)) - d


def _rel_entr_near(a: Array, b: Array, d: Array, xp: Any) -> Array:
    """``a log(a/b) - a + b`` for positive ``a``, ``b`` on the elements ``ratio_form`` hands
    over: ``b (x u + (1 + x) 2 (atanh(u) - u))``, ``x = d / b``, ``u = x / (2 + x)`` (the
    second term a third-order one) where ``x`` is in the series' range; ``a (log a - log b) -
    d`` beyond (``a / b`` out of the normal range)."""
    x = d / b
    near = (x >= RATIO_SERIES_LOW) & (x <= RATIO_SERIES_HIGH)
    if bool(near.all()):  # eager arrays only (the method: no dispatch)
        u, tail = atanh_tail(x)
        return b * (x * u + (1.0 + x) * tail)
    xs = where0(near, x, xp)
    u, tail = atanh_tail(xs)
    # Beyond, the logarithms apart (d / b overflows where b is subnormal).
    ab, bb, db = substitute(~near, a, 1.0, xp), substitute(~near, b, 1.0, xp), where0(~near, d, xp)
    return xp.where(near, b * (xs * u + (1.0 + xs) * tail), ab * (xp.log(ab) - xp.log(bb)) - db)
