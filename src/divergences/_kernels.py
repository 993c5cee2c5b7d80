"""The mathematics of every discrete divergence, written once against the array API standard.

Contract: inputs are clean (validated, non-negative, normalised, broadcastable) arrays whose
last axis holds the events; each kernel returns one value per distribution, in nats where a
logarithm is involved. Zeros are handled exactly (``0 log 0 = 0``, ``p > 0 = q`` gives
``+inf``) and every branch is evaluated at safe substitutes, so values and gradients stay
free of NaN. Forms are chosen so that nearly identical ``p`` and ``q`` keep full relative
accuracy: sums of non-negative terms, with the exact first-order part added separately.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._renyi import renyi_gap
from ._special import (
    exp_cap,
    full_like,
    log1pmx,
    log_ratio,
    sqrt_with_zero_gradient,
    substitute,
    sum_compensated,
    where0,
)

Array = Any
INF = math.inf


def _positive_both(p: Array, q: Array, xp: Any) -> tuple[Array, Array, Array]:
    both = (p > 0) & (q > 0)
    return both, substitute(both, p, 1.0, xp), substitute(both, q, 1.0, xp)


def kl(p: Array, q: Array, *, xp: Any) -> Array:
    """``sum p log(p/q)`` as ``sum [p log(p/q) - p + q]`` (each term >= 0) plus ``sum (p - q)``."""
    p, q = xp.broadcast_arrays(p, q)
    both, ps, qs = _positive_both(p, q, xp)
    x = (qs - ps) / ps
    near = xp.abs(x) <= 0.5
    t_near = -ps * log1pmx(where0(near, x, xp), xp)
    t_far = ps * log_ratio(ps, qs, xp) - ps + qs
    t = xp.where(near, t_near, t_far)
    # p = 0 contributes q here and -q below; q = 0 < p makes the divergence infinite.
    t = xp.where(both, t, xp.where(p > 0, full_like(p, INF, xp), q))
    hi, lo = sum_compensated(p - q, xp)
    return xp.clip(xp.sum(t, axis=-1) + hi + lo, 0.0, None)


def cross_entropy(p: Array, q: Array, *, xp: Any) -> Array:
    """``-sum p log q``."""
    p, q = xp.broadcast_arrays(p, q)
    t = xp.where(q > 0, -p * xp.log(substitute(q > 0, q, 1.0, xp)), full_like(q, INF, xp))
    return xp.sum(where0(p > 0, t, xp), axis=-1)


def entropy(p: Array, *, xp: Any) -> Array:
    """``-sum p log p``."""
    pos = p > 0
    return xp.sum(where0(pos, -p * xp.log(substitute(pos, p, 1.0, xp)), xp), axis=-1)


def js(p: Array, q: Array, *, xp: Any) -> Array:
    """Jensen-Shannon divergence, summed from per-event terms that are each >= 0.

    With ``s = p + q`` and ``x = (p - q)/s`` an event contributes
    ``s/4 [(1+x) log(1+x) + (1-x) log(1-x)] = s/4 [2 x atanh(x) + log1p(-x^2)]``;
    the second form is used near ``x = 0`` where the first cancels.
    """
    p, q = xp.broadcast_arrays(p, q)
    s = p + q
    ss = substitute(s > 0, s, 1.0, xp)
    x = (p - q) / ss
    near = xp.abs(x) <= 0.5
    xn = where0(near, x, xp)
    t_near = ss / 4.0 * (2.0 * xn * xp.atanh(xn) + xp.log1p(-xn * xn))
    # 2p/s, not p/(s/2): halving a subnormal s would round it away.
    rp = substitute(p > 0, 2.0 * p / ss, 1.0, xp)
    rq = substitute(q > 0, 2.0 * q / ss, 1.0, xp)
    t_far = (where0(p > 0, p * xp.log(rp), xp) + where0(q > 0, q * xp.log(rq), xp)) / 2.0
    # Rounding may overshoot the bound log 2 (disjoint supports) by an ulp.
    return xp.clip(xp.sum(xp.where(near, t_near, t_far), axis=-1), 0.0, math.log(2.0))


def hellinger_squared(p: Array, q: Array, *, xp: Any) -> Array:
    """``1/2 sum (sqrt p - sqrt q)^2``, which is ``1 - sum sqrt(p q)`` for normalised inputs
    without its cancellation, and exactly 0 for ``p = q``."""
    p, q = xp.broadcast_arrays(p, q)
    root_sum = sqrt_with_zero_gradient(p, xp) + sqrt_with_zero_gradient(q, xp)
    pos = root_sum > 0
    d = where0(pos, (p - q) / substitute(pos, root_sum, 1.0, xp), xp)
    return xp.clip(xp.sum(d * d, axis=-1) / 2.0, 0.0, 1.0)


def bhattacharyya(p: Array, q: Array, *, xp: Any) -> Array:
    """``-log sum sqrt(p q)``: ``-log1p(-h^2)`` near ``p = q`` (exact there), the coefficient
    itself when the overlap is small (where ``1 - h^2`` would cancel)."""
    p, q = xp.broadcast_arrays(p, q)
    h2 = hellinger_squared(p, q, xp=xp)
    close = h2 <= 0.5
    near = -xp.log1p(-substitute(close, h2, 0.0, xp))
    overlap = xp.sum(sqrt_with_zero_gradient(p, xp) * sqrt_with_zero_gradient(q, xp), axis=-1)
    some = overlap > 0
    far = xp.where(some, -xp.log(substitute(some, overlap, 1.0, xp)), full_like(overlap, INF, xp))
    return xp.where(close, near, far)


def total_variation(p: Array, q: Array, *, xp: Any) -> Array:
    """``1/2 sum |p - q|``."""
    return xp.clip(xp.sum(xp.abs(p - q), axis=-1) / 2.0, 0.0, 1.0)


def chi2(p: Array, q: Array, *, xp: Any) -> Array:
    """Pearson ``sum (p - q)^2 / q``."""
    p, q = xp.broadcast_arrays(p, q)
    qpos = q > 0
    d = p - q
    t = xp.where(qpos, d * d / substitute(qpos, q, 1.0, xp), where0(p > 0, full_like(p, INF, xp), xp))
    return xp.sum(t, axis=-1)


def psi(p: Array, q: Array, *, xp: Any) -> Array:
    """``sum (p - q) log(p/q)``: each term >= 0, with an accurate log ratio."""
    p, q = xp.broadcast_arrays(p, q)
    both, ps, qs = _positive_both(p, q, xp)
    t = (ps - qs) * log_ratio(ps, qs, xp)
    one_sided = where0((p > 0) | (q > 0), full_like(p, INF, xp), xp)
    return xp.sum(xp.where(both, t, one_sided), axis=-1)


def renyi(p: Array, q: Array, *, alpha: float, xp: Any) -> Array:
    """Renyi divergence of order ``alpha`` (0, 1 and inf included)."""
    p, q = xp.broadcast_arrays(p, q)
    if alpha == 1.0:
        return kl(p, q, xp=xp)
    if alpha == 0.0:
        mass = xp.sum(where0(p > 0, q, xp), axis=-1)
        pos = mass > 0
        value = xp.where(pos, -xp.log(substitute(pos, mass, 1.0, xp)), full_like(mass, INF, xp))
        return xp.clip(value, 0.0, None)
    both, ps, qs = _positive_both(p, q, xp)
    lr = log_ratio(ps, qs, xp)
    p_outside_q = xp.any((p > 0) & (q <= 0), axis=-1)
    if alpha == INF:
        lr_max = xp.max(xp.where(both, lr, full_like(lr, -INF, xp)), axis=-1)
        return xp.where(p_outside_q, full_like(lr_max, INF, xp), xp.clip(lr_max, 0.0, None))
    # log1p of S - sum p, S = sum p^alpha q^(1-alpha): with t = alpha - 1 that is the sum of
    # the per-event gaps p^alpha q^(1-alpha) - alpha p - (1 - alpha) q (all of one sign, each
    # to full relative accuracy: renyi_gap) plus t sum (p - q), compensated. An event with
    # p = 0 < q contributes t q, one with q = 0 < p (alpha < 1) -alpha p. Its log1p over t is
    # exact near p = q and near alpha = 1 on both sides (it tends to KL, formed as kl does).
    # Where alpha log(p/q) could overflow, or the sum is far below 1 (little overlap), log S
    # is formed in log space instead, shifted by its largest term.
    t = alpha - 1.0
    scaled = alpha * lr
    largest = xp.max(xp.where(both, scaled, full_like(lr, -INF, xp)), axis=-1)
    gap = renyi_gap(ps, qs, lr, alpha, xp)
    lone = xp.where(p > 0, -alpha * p, t * q)  # one side positive (alpha > 1 and q = 0 < p: inf below)
    terms = xp.where(both, gap, where0((p > 0) | (q > 0), lone, xp))
    hi, lo = sum_compensated(p - q, xp)
    excess = xp.sum(terms, axis=-1) + t * (hi + lo)
    moderate = (largest < exp_cap(lr.dtype, xp)) & (excess > -0.5)
    log_near = xp.log1p(substitute(moderate, excess, 0.0, xp))
    log_terms = xp.where(both, xp.log(qs) + scaled, full_like(lr, -INF, xp))
    shift = xp.max(log_terms, axis=-1, keepdims=True)
    shift = substitute(xp.isfinite(shift), shift, 0.0, xp)
    total = xp.sum(xp.exp(log_terms - shift), axis=-1)
    pos = total > 0
    log_far = xp.where(pos, xp.log(substitute(pos, total, 1.0, xp)) + shift[..., 0], full_like(total, -INF, xp))
    value = xp.clip(xp.where(moderate, log_near, log_far) / t, 0.0, None)
    if alpha > 1.0:
        value = xp.where(p_outside_q, full_like(value, INF, xp), value)
    return value


def f_divergence(
    p: Array,
    q: Array,
    *,
    f: Callable[[Array], Array],
    value_at_zero: float,
    slope_at_infinity: float,
    xp: Any,
) -> Array:
    """``sum q f(p/q)``: an event with ``p = 0 < q`` contributes ``q f(0+)``, one with
    ``q = 0 < p`` contributes ``p * lim f(t)/t``, and ``p = q = 0`` nothing."""
    p, q = xp.broadcast_arrays(p, q)
    ratio = p / substitute(q > 0, q, 1.0, xp)
    # A ratio that overflows is an event at infinity: q is negligible next to p there.
    regular = (p > 0) & (q > 0) & (ratio < INF)
    qs = substitute(regular, q, 1.0, xp)
    inside = qs * f(substitute(regular, ratio, 1.0, xp))
    at_zero = where0(q > 0, q * value_at_zero, xp) if value_at_zero != INF else where0(q > 0, full_like(q, INF, xp), xp)
    if slope_at_infinity == INF:
        at_infinity = where0(p > 0, full_like(p, INF, xp), xp)
    else:
        at_infinity = p * slope_at_infinity
    beyond = (p > 0) & ~regular
    return xp.sum(xp.where(regular, inside, xp.where(beyond, at_infinity, at_zero)), axis=-1)
