"""Every discrete divergence again, from log-probabilities: the kernels of ``log=True``.

Contract as in ``_kernels``, but the inputs are clean log-probabilities ``lp``, ``lq``
(validated, normalised: ``logsumexp = 0`` along the last axis, ``-inf`` for an event of
probability 0). Nothing is formed as a probability that could underflow where the measure
needs it: a log ratio ``d = lp - lq`` is read directly, so logits of 200 give the exact
divergence where ``softmax`` would round a probability to 0 and the divergence to ``inf``.
Near ``p = q`` every form is a sum of terms that are each second order in ``d`` (or exact
first-order parts summed apart), as in ``_kernels``; zeros follow the same conventions, and
every branch is evaluated at safe substitutes, so gradients stay finite.

>>> import numpy as np
>>> from divergences._array_api import NUMPY
>>> lp, lq = np.log([0.5, 0.5]), np.array([0.0, -200.0])  # q puts e^-200 on the second event
>>> round(float(kl(lp, lq, xp=NUMPY)), 6)  # 0.5 log 0.5 + 0.5 (log 0.5 + 200)
99.306853
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._special import expm1mx, full_like, substitute, sum_compensated, where0

__all__ = [
    "bhattacharyya", "chi2", "cross_entropy", "entropy", "f_divergence", "hellinger_squared", "js", "kl", "psi",
    "renyi", "total_variation",
]

Array = Any
INF = math.inf
_LN2 = math.log(2.0)


class _Pair:
    """``lp`` and ``lq`` broadcast; the probabilities, where each is positive, where both are,
    and there the log ratio ``d`` and the logs themselves (0 elsewhere: safe substitutes)."""

    def __init__(self, lp: Array, lq: Array, xp: Any) -> None:
        self.lp, self.lq = xp.broadcast_arrays(lp, lq)
        self.p, self.q = xp.exp(self.lp), xp.exp(self.lq)
        self.pos_p, self.pos_q = self.lp > -INF, self.lq > -INF
        self.both = self.pos_p & self.pos_q
        self.lp_both = substitute(self.both, self.lp, 0.0, xp)
        self.lq_both = substitute(self.both, self.lq, 0.0, xp)
        self.d = self.lp_both - self.lq_both

    def one_sided(self, xp: Any, p_only: Array, q_only: Array) -> Array:
        """``p_only`` where only p is positive, ``q_only`` where only q is, 0 where neither."""
        return xp.where(self.pos_p, p_only, where0(self.pos_q, q_only, xp))


def _relative_entropy_terms(la: Array, lb: Array, xp: Any) -> Array:
    """``a log(a/b) - a + b >= 0`` per event from logs: ``a expm1mx(-d)`` (``d = la - lb``)
    where it is second order, ``a (d - 1) + b`` elsewhere; ``b`` where ``a = 0``, ``+inf``
    where ``b = 0 < a``."""
    e = _Pair(la, lb, xp)
    near = xp.abs(e.d) <= 0.5
    t = xp.where(near, e.p * expm1mx(-where0(near, e.d, xp), xp), e.p * (e.d - 1.0) + e.q)
    return xp.where(e.both, t, e.one_sided(xp, full_like(t, INF, xp), e.q))


def _mass_gap(e: _Pair, xp: Any) -> Array:
    """``sum (p - q)`` (compensated, as ``hi + lo``) from the log ratios: ``q expm1(d)`` where
    both are positive, so the difference of nearly equal probabilities is exact rather than
    the difference of two rounded ``exp``."""
    near = xp.abs(e.d) <= 0.5  # elsewhere p - q does not cancel
    gap = xp.where(near, e.q * xp.expm1(where0(near, e.d, xp)), e.p - e.q)
    gap = xp.where(e.both, gap, e.one_sided(xp, e.p, -e.q))
    hi, lo = sum_compensated(gap, xp)
    return hi + lo


def _logsumexp(x: Array, xp: Any) -> Array:
    """``log sum exp`` over the last axis, shifted by the largest term (``-inf`` for no mass)."""
    top = xp.max(x, axis=-1, keepdims=True)
    shift = substitute(xp.isfinite(top), top, 0.0, xp)
    total = xp.sum(xp.exp(x - shift), axis=-1)
    some = total > 0
    return xp.where(some, xp.log(substitute(some, total, 1.0, xp)) + shift[..., 0], full_like(total, -INF, xp))


def kl(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``sum p (lp - lq)`` as non-negative terms ``p log(p/q) - p + q`` plus ``sum (p - q)``."""
    terms = _relative_entropy_terms(lp, lq, xp)
    return xp.clip(xp.sum(terms, axis=-1) + _mass_gap(_Pair(lp, lq, xp), xp), 0.0, None)


def cross_entropy(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``-sum p lq``: ``+inf`` where ``q = 0 < p``."""
    e = _Pair(lp, lq, xp)
    t = xp.where(e.both, -e.p * e.lq_both, xp.zeros_like(e.p))
    return xp.sum(xp.where(e.pos_p & ~e.pos_q, full_like(t, INF, xp), t), axis=-1)


def entropy(lp: Array, *, xp: Any) -> Array:
    """``-sum p lp`` with ``0 log 0 = 0``; never ``-0.0``."""
    pos = lp > -INF
    return xp.sum(where0(pos, -xp.exp(lp) * substitute(pos, lp, 0.0, xp), xp), axis=-1) + 0.0


def js(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``KL(p||m)/2 + KL(q||m)/2`` with ``log m = log((p + q)/2)``, each half a sum of
    non-negative terms (the ``m - p`` and ``m - q`` they carry cancel in the total)."""
    e = _Pair(lp, lq, xp)
    # log m from the larger side: exactly that side's log where p = q (so JS is exactly 0).
    larger = xp.maximum(e.lp, e.lq)
    lm = larger + xp.where(e.both, xp.log1p(xp.expm1(-xp.abs(e.d)) / 2.0), full_like(larger, -_LN2, xp))
    total = _relative_entropy_terms(e.lp, lm, xp) + _relative_entropy_terms(e.lq, lm, xp)
    return xp.clip(xp.sum(total, axis=-1) / 2.0, 0.0, _LN2)


def hellinger_squared(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``1/2 sum (sqrt p - sqrt q)^2`` with ``sqrt p - sqrt q = sqrt q expm1(d / 2)``."""
    e = _Pair(lp, lq, xp)
    gap = xp.exp(e.lq_both / 2.0) * xp.expm1(e.d / 2.0)
    squared = xp.where(e.both, gap * gap, e.one_sided(xp, e.p, e.q))
    return xp.clip(xp.sum(squared, axis=-1) / 2.0, 0.0, 1.0)


def bhattacharyya(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``-log sum sqrt(p q)``: ``-log1p(-h^2)`` near ``p = q``, ``-logsumexp((lp + lq)/2)`` for
    a small overlap (which stays exact however small)."""
    h2 = hellinger_squared(lp, lq, xp=xp)
    close = h2 <= 0.5
    near = -xp.log1p(-substitute(close, h2, 0.0, xp))
    lp, lq = xp.broadcast_arrays(lp, lq)
    far = -_logsumexp((lp + lq) / 2.0, xp)  # -inf + -inf stays -inf: no mass, distance +inf
    return xp.where(close, near, far)


def total_variation(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``1/2 sum |p - q|`` with ``p - q = q expm1(d)``."""
    e = _Pair(lp, lq, xp)
    gap = xp.where(e.both, e.q * xp.abs(xp.expm1(e.d)), e.one_sided(xp, e.p, e.q))
    return xp.clip(xp.sum(gap, axis=-1) / 2.0, 0.0, 1.0)


def chi2(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``sum (p - q)^2 / q = sum q expm1(d)^2`` (``p^2/q - 2p + q`` for large ratios)."""
    e = _Pair(lp, lq, xp)
    small = e.d <= 1.0
    gap = xp.expm1(where0(small, e.d, xp))
    large = xp.exp(2.0 * e.lp_both - e.lq_both) - 2.0 * e.p + e.q
    t = xp.where(small, e.q * gap * gap, large)
    t = xp.where(e.both, t, e.one_sided(xp, full_like(t, INF, xp), e.q))
    return xp.clip(xp.sum(t, axis=-1), 0.0, None)


def psi(lp: Array, lq: Array, *, xp: Any) -> Array:
    """``sum (p - q) d`` with ``p - q = q expm1(d)`` (each term >= 0); ``+inf`` for a one-sided event."""
    e = _Pair(lp, lq, xp)
    near = xp.abs(e.d) <= 0.5
    t = xp.where(near, e.q * xp.expm1(where0(near, e.d, xp)) * e.d, (e.p - e.q) * e.d)
    t = xp.where(e.both, t, e.one_sided(xp, full_like(t, INF, xp), full_like(t, INF, xp)))
    return xp.sum(t, axis=-1)


def renyi(lp: Array, lq: Array, *, alpha: float, xp: Any) -> Array:
    """Renyi divergence of order ``alpha`` (0, 1 and inf included).

    With ``t = alpha - 1``, ``sum p^alpha q^(1-alpha) - 1`` is summed as the gaps
    ``p^alpha q^(1-alpha) - alpha p - (1-alpha) q = p (expm1mx(t d) + t expm1mx(-d))`` (each
    second order in ``d``, all of one sign) plus ``t sum(p - q)`` and the one-sided events:
    its ``log1p`` over ``t`` is exact near ``p = q`` and near ``alpha = 1``. Where ``t d`` or
    ``-d`` could overflow, or the sum is far below 1, it is formed in log space instead."""
    if alpha == 1.0:
        return kl(lp, lq, xp=xp)
    e = _Pair(lp, lq, xp)
    p_outside_q = xp.any(e.pos_p & ~e.pos_q, axis=-1)
    if alpha == 0.0:
        value = -_logsumexp(xp.where(e.pos_p, e.lq, full_like(e.lq, -INF, xp)), xp)
        return xp.clip(value, 0.0, None)
    if alpha == INF:
        top = xp.max(xp.where(e.both, e.d, full_like(e.d, -INF, xp)), axis=-1)
        return xp.where(p_outside_q, full_like(top, INF, xp), xp.clip(top, 0.0, None))
    t = alpha - 1.0
    scaled = t * e.d
    safe = e.both & (scaled < 600.0) & (-e.d < 600.0)
    largest = xp.max(xp.where(e.both & ~safe, full_like(scaled, INF, xp), where0(e.both, scaled, xp)), axis=-1)
    gaps = where0(safe, e.p * (expm1mx(where0(safe, scaled, xp), xp) + t * expm1mx(-where0(safe, e.d, xp), xp)), xp)
    one_sided = -alpha * where0(e.pos_p & ~e.pos_q, e.p, xp) + t * where0(e.pos_q & ~e.pos_p, e.q, xp)
    excess = xp.sum(gaps + one_sided, axis=-1) + t * _mass_gap(e, xp)
    moderate = (largest < 600.0) & (excess > -0.5)
    above = excess > -1.0
    log_near = xp.where(above, xp.log1p(substitute(above, excess, 0.0, xp)), full_like(excess, -INF, xp))
    log_far = _logsumexp(xp.where(e.both, e.lp_both + scaled, full_like(scaled, -INF, xp)), xp)
    value = xp.clip(xp.where(moderate, log_near, log_far) / t, 0.0, None)
    return xp.where(p_outside_q, full_like(value, INF, xp), value) if alpha > 1.0 else value


def f_divergence(
    lp: Array, lq: Array, *, f: Callable[[Array], Array], value_at_zero: float, slope_at_infinity: float, xp: Any,
) -> Array:
    """``sum q f(exp(d))``: ``q f(0+)`` where ``p = 0 < q``, ``p * lim f(t)/t`` where ``q = 0 < p``
    or the ratio overflows."""
    e = _Pair(lp, lq, xp)
    regular = e.both & (e.d < 700.0)
    inside = e.q * f(xp.exp(where0(regular, e.d, xp)))
    at_zero = where0(e.pos_q, e.q * value_at_zero if value_at_zero != INF else full_like(e.q, INF, xp), xp)
    at_infinity = where0(e.pos_p, e.p * slope_at_infinity if slope_at_infinity != INF else full_like(e.p, INF, xp), xp)
    beyond = e.pos_p & ~regular
    return xp.sum(xp.where(regular, inside, xp.where(beyond, at_infinity, at_zero)), axis=-1)
