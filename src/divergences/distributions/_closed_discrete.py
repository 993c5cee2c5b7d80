"""Closed forms between discrete families: Bernoulli, Binomial, Geometric, Poisson (Categorical: `_closed_categorical`).

Conventions: ``0 log 0 = 0``, so a probability of exactly 0 or 1 is a valid parameter
(``KL(Bern(0) || Bern(1/2)) = log 2``, ``KL(Bern(1/2) || Bern(0)) = inf``). Infinite values
come from ``xp.where`` and every branch not taken is evaluated at a harmless substitute, so
gradients stay finite, also at ``p = q`` (where the square roots of the Bhattacharyya forms
have a zero gradient, as in ``divergences.discrete``).

Binomials with different ``total_count``: the registry cannot decline a pair element by
element, so the Binomial forms handle every element themselves. Equal counts use the closed
form; for KL and Renyi orders ``>= 1`` a ``p`` whose count exceeds ``q``'s (and whose
``probs > 0``) is ``inf``; the remaining elements with different counts are the exact finite
sum over ``k = 0 .. min(n_p, n_q)`` (Renyi orders ``< 1``: ``k = 0 .. n_p``, all of p's mass)
of the two probability mass functions, evaluated in the array library (so it broadcasts and
carries gradients). That sum costs ``O(max min(n_p, n_q))`` (``O(max n_p)``) per batch
element, and needs the counts' values: under ``jax.jit`` (where they cannot be read) those
elements are NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array_api import device, is_eager, is_lazy, to_numpy
from .._double_double import product
from .._renyi import renyi_gap
from .._special import (
    exp_cap,
    full_like,
    has_special,
    incomplete,
    log1pmx,
    log_quotient,
    log_ratio,
    sqrt_with_zero_gradient,
    substitute,
    where0,
)
from ._families import Bernoulli, Binomial, Geometric, Poisson
from ._host import host
from ._loader import binomial_log_pmf
from ._registry import register, register_kl
from ._rel_entr import bernoulli_kl_float, bernoulli_kl_host, rel_entr_host
from ._rel_entr import rel_entr as _rel_entr

Array = Any


# --------------------------------------------------------------------------------------
# Elementwise helpers
# --------------------------------------------------------------------------------------


def _inf(x: Array, xp: Any) -> Array:
    return full_like(x, math.inf, xp)


def _xlogx(x: Array, xp: Any) -> Array:
    """``x log x`` with ``0 log 0 = 0``."""
    pos = x > 0
    return where0(pos, x * xp.log(substitute(pos, x, 1.0, xp)), xp)


def _x1mlog1mx(x: Array, xp: Any) -> Array:
    """``(1 - x) log(1 - x)`` from ``log1p(-x)`` (``1 - x`` rounded would cost all the digits
    of a small ``x``), 0 at ``x = 1``."""
    below = x < 1
    return where0(below, (1.0 - x) * xp.log1p(-substitute(below, x, 0.0, xp)), xp)


def _hellinger_sq(p: Array, q: Array, xp: Any) -> Array:
    """Squared Hellinger distance ``1 - BC`` of two Bernoullis, from differences of square roots.

    ``sqrt(p) - sqrt(q) = (p - q) / (sqrt(p) + sqrt(q))`` is exact where the plain difference
    would cancel.
    """

    def root_diff(a: Array, b: Array, diff: Array) -> Array:
        den = sqrt_with_zero_gradient(a, xp) + sqrt_with_zero_gradient(b, xp)
        pos = den > 0
        return where0(pos, diff / substitute(pos, den, 1.0, xp), xp)

    d1 = root_diff(p, q, p - q)
    d2 = root_diff(1.0 - p, 1.0 - q, q - p)
    return 0.5 * (d1 * d1 + d2 * d2)


def _neg_log1m(h: Array, xp: Any) -> Array:
    """``-log(1 - h)`` for ``0 <= h <= 1`` (``inf`` at 1, finite gradient there)."""
    lt1 = h < 1
    return xp.where(lt1, -xp.log1p(-substitute(lt1, h, 0.0, xp)), _inf(h, xp))


def _logsumexp(x: Array, mask: Array, xp: Any) -> tuple[Array, Array]:
    """``log sum exp(x)`` over the last axis where ``mask`` holds; also whether nothing was summed.

    Where nothing is summed the value is 0 (not ``-inf``), so the caller decides what it means.
    """
    empty = ~xp.any(mask, axis=-1)
    m = xp.max(xp.where(mask, x, xp.full_like(x, -math.inf)), axis=-1, keepdims=True)
    m = xp.where(empty[..., None], xp.zeros_like(m), m)
    # Masked entries become m, so exp sees 0 there: no overflow to poison the gradient.
    xs = xp.where(mask, x, m)
    s = xp.sum(where0(mask, xp.exp(xs - m), xp), axis=-1)
    return m[..., 0] + xp.log(substitute(~empty, s, 1.0, xp)), empty


def _renyi_from_logs(
    lp: Array, p_pos: Array, lq: Array, q_pos: Array, alpha: float, xp: Any, q_missing: Array | None = None,
) -> Array:
    """Renyi divergence of order ``alpha`` from log-masses over the last axis.

    ``lp``, ``lq`` must be finite (any value) where ``p_pos``, ``q_pos`` are false. Also
    gives KL at ``alpha = 1`` and the limits at 0 and ``inf``. The events hold all of p's
    mass, and all of q's but ``q_missing`` (where given; 0 else), which lies where p has none.
    """
    lp, lq = where0(p_pos, lp, xp), where0(q_pos, lq, xp)
    both = p_pos & q_pos
    p_only = xp.any(p_pos & ~q_pos, axis=-1)
    if alpha == 1:
        value = xp.sum(where0(both, xp.exp(lp) * (lp - lq), xp), axis=-1)
        return xp.where(p_only, _inf(value, xp), value)
    if alpha == math.inf:
        ratios = xp.where(both, lp - lq, xp.full_like(lp, -math.inf))
        value = xp.max(ratios, axis=-1)
        return xp.where(p_only, _inf(value, xp), substitute(~p_only, value, 0.0, xp))
    if alpha == 0:
        mass = xp.sum(where0(both, xp.exp(lq), xp), axis=-1)
        pos = mass > 0
        return xp.where(pos, -xp.log(substitute(pos, mass, 1.0, xp)), _inf(mass, xp))
    # As the array kernel: log1p(S - 1), S = sum p^alpha q^(1-alpha), over alpha - 1, with
    # S - 1 the sum of the AM-GM gaps of the events (one sign, each exact: renyi_gap) less
    # alpha times p's mass where q is 0, less (1 - alpha) times q's where p is 0 (both
    # laws' masses sum to 1, ``q_missing`` being q's mass off these events): exact near p = q
    # and as alpha -> 1. log S itself (log-sum-exp) where it is far from 0 or could overflow.
    lse, empty = _logsumexp(alpha * lp + (1.0 - alpha) * lq, both, xp)
    d = where0(both, lp - lq, xp)
    p_mass, q_mass = where0(p_pos, xp.exp(lp), xp), where0(q_pos, xp.exp(lq), xp)
    gap = renyi_gap(substitute(both, p_mass, 1.0, xp), substitute(both, q_mass, 1.0, xp), d, alpha, xp)
    lone = xp.where(p_pos, -alpha * p_mass, -(1.0 - alpha) * q_mass)
    excess = xp.sum(xp.where(both, gap, lone), axis=-1)
    if q_missing is not None:
        excess = excess - (1.0 - alpha) * q_missing
    largest = xp.max(xp.where(both, alpha * d, xp.full_like(d, -math.inf)), axis=-1)
    near = (largest < exp_cap(d.dtype, xp)) & (excess > -0.5)
    value = xp.where(near, xp.log1p(substitute(near, excess, 0.0, xp)), lse) / (alpha - 1.0)
    infinite = empty | p_only if alpha > 1 else empty
    return xp.where(infinite, _inf(value, xp), value)


def _times_count(n: Array, value: Array, xp: Any) -> Array:
    """``n * value`` with ``0 * inf = 0`` (a Binomial with no trials is a point mass at 0)."""
    pos = n > 0
    return where0(pos, n * substitute(pos, value, 0.0, xp), xp)


# --------------------------------------------------------------------------------------
# Bernoulli
# --------------------------------------------------------------------------------------


def _bernoulli_logs(probs: Array, xp: Any) -> tuple[Array, Array]:
    """Log-masses of 1 and 0 (finite where the mass is 0) and where the masses are positive."""
    pos, lt1 = probs > 0, probs < 1
    log_p = xp.log(substitute(pos, probs, 1.0, xp))
    log_1mp = xp.log1p(-substitute(lt1, probs, 0.0, xp))
    return xp.stack(xp.broadcast_arrays(log_p, log_1mp), axis=-1), xp.stack(xp.broadcast_arrays(pos, lt1), axis=-1)


def _bernoulli_kl(p: Array, q: Array, xp: Any, d: Array | None = None) -> Array:
    """KL of Bernoulli(p) from Bernoulli(q); ``d = p - q`` where the caller has it exactly.
    The linear parts of the two relative-entropy terms cancel exactly: -d - (-d)."""
    if d is None:
        found = host(is_eager(xp), p, q, scalars=True)
        if found is not None:  # in place on NumPy views, or Python floats (_host, _rel_entr)
            (a, b), back = found
            if back is not np.float64:
                return back(bernoulli_kl_host(a, b, back))
            value = bernoulli_kl_float(a, b)
            if value is not None:
                return np.float64(value)
        d = p - q
    return _rel_entr(p, q, d, xp) + _rel_entr(1.0 - p, 1.0 - q, -d, xp)


def _bernoulli_renyi(p: Array, q: Array, alpha: float, xp: Any) -> Array:
    if alpha == 1:
        return _bernoulli_kl(p, q, xp)
    lp, p_pos = _bernoulli_logs(p, xp)
    lq, q_pos = _bernoulli_logs(q, xp)
    lp, lq = xp.broadcast_arrays(lp, lq)
    p_pos, q_pos = xp.broadcast_arrays(p_pos, q_pos)
    value = _renyi_from_logs(lp, p_pos, lq, q_pos, alpha, xp)
    if alpha == 0 or math.isinf(alpha):
        return value
    # Where both laws have both outcomes, log S (S = sum p^alpha q^(1 - alpha)) as log1p of
    # S - 1, the sum of the two outcomes' AM-GM gaps (one sign, each exact for every order:
    # renyi_gap), their log ratios from the exact differences of the probabilities.
    a, b = xp.broadcast_arrays(p, q)
    inside = (a > 0) & (a < 1) & (b > 0) & (b < 1)
    a, b = substitute(inside, a, 0.5, xp), substitute(inside, b, 0.5, xp)
    l1 = log_ratio(a, b, xp)
    l0 = log_quotient((b - a) / (1.0 - b), xp.log1p(-a) - xp.log1p(-b), xp)
    s_minus_1 = renyi_gap(a, b, l1, alpha, xp) + renyi_gap(1.0 - a, 1.0 - b, l0, alpha, xp)
    # log S from log-masses where a term could overflow or S is far below 1.
    near = inside & (alpha * xp.maximum(l1, l0) < exp_cap(l1.dtype, xp)) & (s_minus_1 > -0.5)
    return xp.where(near, xp.log1p(substitute(near, s_minus_1, 0.0, xp)) / (alpha - 1.0), value)


def _neg_log_affinity(h2: Array, bc: Array, xp: Any) -> Array:
    """``-log BC`` given ``h2 = 1 - BC`` exact near p = q and ``BC`` formed directly, which keeps
    its digits where it is small (1 - h2 lost them: 1e-11 relative off at BC = 2e-6)."""
    far = (h2 > 0.5) & (bc > 0)
    return xp.where(far, -xp.log(substitute(far, bc, 1.0, xp)), _neg_log1m(where0(~far, h2, xp), xp))


def _bernoulli_bhattacharyya(p: Array, q: Array, xp: Any) -> Array:
    def root(x: Array) -> Array:
        return sqrt_with_zero_gradient(x, xp)

    return _neg_log_affinity(_hellinger_sq(p, q, xp), root(p) * root(q) + root(1.0 - p) * root(1.0 - q), xp)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    return _bernoulli_kl(p.probs, q.probs, xp)


@register("cross_entropy", Bernoulli, Bernoulli)
def _cross_entropy_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    return _bernoulli_kl(p.probs, q.probs, xp) - _xlogx(p.probs, xp) - _x1mlog1mx(p.probs, xp)


@register("js", Bernoulli, Bernoulli)
def _js_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    a, b = p.probs, q.probs
    m, h = 0.5 * (a + b), 0.5 * (a - b)
    m0 = 0.5 * ((1.0 - a) + (1.0 - b))  # 1 - m from the exact 1 - a, 1 - b near 1 (1 - m lost 1e-4 of it)
    return 0.5 * (
        _rel_entr(a, m, h, xp) + _rel_entr(1.0 - a, m0, -h, xp)
        + _rel_entr(b, m, -h, xp) + _rel_entr(1.0 - b, m0, h, xp)
    )


@register("bhattacharyya", Bernoulli, Bernoulli)
def _bhattacharyya_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    return _bernoulli_bhattacharyya(p.probs, q.probs, xp)


@register("total_variation", Bernoulli, Bernoulli)
def _tv_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    return xp.abs(p.probs - q.probs)


@register("renyi", Bernoulli, Bernoulli)
def _renyi_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any, alpha: float) -> Array:
    return _bernoulli_renyi(p.probs, q.probs, alpha, xp)


@register("chi2", Bernoulli, Bernoulli)
def _chi2_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli, *, xp: Any) -> Array:
    # (p - q)^2 / (q (1 - q)); inf at q in {0, 1} unless p = q.
    a, b = xp.broadcast_arrays(p.probs, q.probs)
    den = b * (1.0 - b)
    pos = den > 0
    value = (a - b) ** 2 / substitute(pos, den, 1.0, xp)
    return xp.where(pos, value, xp.where(a == b, xp.zeros_like(a), _inf(a, xp)))


# --------------------------------------------------------------------------------------
# Binomial
# --------------------------------------------------------------------------------------


def _binomial_log_pmf(n: Array, probs: Array, k: Array, xp: Any) -> tuple[Array, Array]:
    """Log-mass at ``k`` (finite where the mass is 0) and where the mass is positive, by
    Loader's form (``_loader``: ``log binom(n, k)`` from log Gamma lost ``k log k``'s rounding,
    1e-12 of a Renyi divergence of Binomial(1000, 1e-6) against Binomial(1, 1e-6))."""
    valid = k <= n
    p_pos, p_lt1 = probs > 0, probs < 1
    pos = valid & (p_pos | (k == 0)) & (p_lt1 | (k == n))
    inner = p_pos & p_lt1  # (else one point carries all the mass: log 1 = 0 there)
    t = substitute(inner, probs, 0.5, xp)
    mean, error = product(n, t)
    value = binomial_log_pmf(where0(valid, k, xp), n, t, (k - mean) - error, xp)
    return where0(pos & inner, value, xp), pos


def _binomial(p: Binomial, q: Binomial, xp: Any, same_count: Array, alpha: float) -> Array:
    """Combine the equal-count value with ``inf`` and the finite sum (see the module docstring).

    ``alpha`` is the Renyi order whose sum is needed for different counts (1 for KL).
    """
    n_p, n_q, a, b = xp.broadcast_arrays(p.total_count, q.total_count, p.probs, q.probs)
    equal = n_p == n_q
    beyond = (n_p > n_q) & (a > 0) if alpha >= 1 else xp.zeros_like(equal)
    other = xp.full_like(a, math.nan)
    params = (p.total_count, q.total_count, p.probs, q.probs)
    if not any(is_lazy(x) for x in params):
        need = to_numpy(~equal & ~beyond)
        if need.any():
            # All of p's mass: for orders >= 1 the needed elements have n_p <= n_q or probs = 0.
            top = int(to_numpy(n_p if alpha < 1 else xp.minimum(n_p, n_q))[need].max())
            k = xp.arange(top + 1, dtype=a.dtype, device=device(a))
            lp, p_pos = _binomial_log_pmf(n_p[..., None], a[..., None], k, xp)
            lq, q_pos = _binomial_log_pmf(n_q[..., None], b[..., None], k, xp)
            lp, lq = xp.broadcast_arrays(lp, lq)
            p_pos, q_pos = xp.broadcast_arrays(p_pos, q_pos)
            # q's mass beyond the grid (where p has none) enters the Renyi sums only as the
            # total left off, which its absolute error serves (it is multiplied by 1 - alpha).
            # Elements that did not need the sum are replaced below.
            q_missing = None
            if alpha != 1:
                q_missing = xp.where(n_q > top, _binomial_beyond(n_q, b, top, q_pos, lq, xp), xp.zeros_like(b))
            other = _renyi_from_logs(lp, p_pos, lq, q_pos, alpha, xp, q_missing)
    same = _times_count(n_p, same_count, xp)
    return xp.where(equal, same, xp.where(beyond, _inf(a, xp), other))


def _binomial_beyond(n: Array, probs: Array, top: int, on: Array, log_mass: Array, xp: Any) -> Array:
    """A Binomial's mass beyond ``k = top``: ``I_probs(top + 1, n - top)``, the regularised
    incomplete beta function, where the array library has it; else 1 less the masses up to
    ``top`` (``log_mass``, ``on`` where positive), whose rounding, 1e-16, is all of a small
    tail's value (Binomial(1, 1e-6) against Binomial(7, 1e-6): Renyi 2.3e-11 relative off)."""
    if has_special("betainc", xp):
        first = xp.full_like(probs, float(top + 1))
        return incomplete("betainc", probs, xp, first, xp.maximum(n - float(top), 1.0))
    return xp.clip(1.0 - xp.sum(where0(on, xp.exp(log_mass), xp), axis=-1), 0.0, 1.0)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial, *, xp: Any) -> Array:
    return _binomial(p, q, xp, _bernoulli_kl(p.probs, q.probs, xp), 1.0)


@register("bhattacharyya", Binomial, Binomial)
def _bhattacharyya_binomial_binomial(p: Binomial, q: Binomial, *, xp: Any) -> Array:
    return 0.5 * _binomial(p, q, xp, 2.0 * _bernoulli_bhattacharyya(p.probs, q.probs, xp), 0.5)


@register("renyi", Binomial, Binomial)
def _renyi_binomial_binomial(p: Binomial, q: Binomial, *, xp: Any, alpha: float) -> Array:
    return _binomial(p, q, xp, _bernoulli_renyi(p.probs, q.probs, alpha, xp), alpha)


# --------------------------------------------------------------------------------------
# Geometric (failures before the first success: P(k) = p (1 - p)^k, k = 0, 1, ...)
# --------------------------------------------------------------------------------------


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric, *, xp: Any) -> Array:
    # log(p/q) + ((1-p)/p) log((1-p)/(1-q)) is the Bernoulli KL divided by p.
    return _bernoulli_kl(p.probs, q.probs, xp) / p.probs


@register("cross_entropy", Geometric, Geometric)
def _cross_entropy_geometric_geometric(p: Geometric, q: Geometric, *, xp: Any) -> Array:
    a, b = xp.broadcast_arrays(p.probs, q.probs)
    lt1 = b < 1
    log_1mq = xp.log1p(-substitute(lt1, b, 0.0, xp))
    failures = (1.0 - a) / a
    value = -xp.log(b) - failures * log_1mq
    return xp.where(lt1, value, xp.where(a < 1, _inf(a, xp), -xp.log(b)))


@register("bhattacharyya", Geometric, Geometric)
def _bhattacharyya_geometric_geometric(p: Geometric, q: Geometric, *, xp: Any) -> Array:
    # BC = sqrt(pq) / (1 - s), s = sqrt((1-p)(1-q)), so 1 - BC = H2 / (1 - s) with H2 the
    # Bernoulli 1 - (sqrt(pq) + s), and 1 - s = (p + q - pq) / (1 + s): no cancellation.
    a, b = p.probs, q.probs
    s = sqrt_with_zero_gradient((1.0 - a) * (1.0 - b), xp)
    one_minus_s = (a + b - a * b) / (1.0 + s)
    bc = sqrt_with_zero_gradient(a, xp) * sqrt_with_zero_gradient(b, xp) / one_minus_s
    return _neg_log_affinity(_hellinger_sq(a, b, xp) / one_minus_s, bc, xp)


@register("renyi", Geometric, Geometric)
def _renyi_geometric_geometric(p: Geometric, q: Geometric, *, xp: Any, alpha: float) -> Array:
    a, b = xp.broadcast_arrays(p.probs, q.probs)
    if alpha == 1:
        return _kl_geometric_geometric(p, q, xp=xp)
    p_lt1, q_lt1 = a < 1, b < 1
    log_1mp = xp.log1p(-substitute(p_lt1, a, 0.0, xp))
    log_1mq = xp.log1p(-substitute(q_lt1, b, 0.0, xp))
    if alpha == math.inf:
        # sup_k of log(p/q) + k log((1-p)/(1-q)): at k = 0 unless p < q.
        value = xp.log(a) - xp.log(b)
        return xp.where(a < b, _inf(a, xp), value)
    if alpha == 0:  # -log Q(support of P): 0 unless P is the point mass at 0
        return xp.where(p_lt1, xp.zeros_like(a), -xp.log(b))
    # sum_k P^alpha Q^(1-alpha) = p^alpha q^(1-alpha) / (1 - r), r = (1-p)^alpha (1-q)^(1-alpha),
    # the tail k >= 1 is absent when p = 1, and when q = 1 it is 0 (alpha < 1) or inf (alpha > 1).
    tail = p_lt1 & q_lt1
    log_r = alpha * log_1mp + (1.0 - alpha) * log_1mq
    converges = tail & (log_r < 0)
    log_r = substitute(converges, log_r, -1.0, xp)
    log_geometric = -xp.log(-xp.expm1(log_r))
    head = alpha * xp.log(a) + (1.0 - alpha) * xp.log(b)
    value = (head + where0(converges, log_geometric, xp)) / (alpha - 1.0)
    diverges = (tail & ~converges) | (p_lt1 & ~q_lt1) if alpha > 1 else tail & ~converges
    # Where the tail converges, the form above is a difference of first-order terms. As for
    # every exponential family, (1 - alpha) D = alpha KL(m || p) + (1 - alpha) KL(m || q) with
    # m the law of 1 - m = r; its offsets m - p = -(1-p) expm1((1-alpha) v) and m - q =
    # -(1-q) expm1(-alpha v), v = log((1-q)/(1-p)), come from the exact p - q.
    # Near 1 the complements 1 - m = r and 1 - p take their place (the Bernoulli KL is the
    # same; 1 - m from m lost 1e-4 of it at p = 1 - 1e-12).
    a_s, b_s = substitute(converges, a, 0.5, xp), substitute(converges, b, 0.5, xp)
    v = log_quotient((a_s - b_s) / (1.0 - a_s), where0(converges, log_1mq - log_1mp, xp), xp)
    m = -xp.expm1(log_r)
    r = xp.exp(log_r)

    def kl_from_m(c: Array, offset: Array) -> Array:  # KL(Bernoulli(m) || Bernoulli(c)), m - c = offset
        high = (m > 0.5) & (c > 0.5)
        return _bernoulli_kl(xp.where(high, r, m), xp.where(high, 1.0 - c, c), xp,
                             xp.where(high, -offset, offset)) / m

    to_p = kl_from_m(a_s, -(1.0 - a_s) * xp.expm1((1.0 - alpha) * v))
    to_q = kl_from_m(b_s, -(1.0 - b_s) * xp.expm1(-alpha * v))
    value = xp.where(converges, (alpha * to_p + (1.0 - alpha) * to_q) / (1.0 - alpha), value)
    return xp.where(diverges, _inf(a, xp), value)


# --------------------------------------------------------------------------------------
# Poisson
# --------------------------------------------------------------------------------------


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any) -> Array:
    found = host(is_eager(xp), p.rate, q.rate)
    if found is not None:  # in place on NumPy views (_host, _rel_entr)
        (a, b), back = found
        return back(rel_entr_host(a, b, None, back))
    return _rel_entr(p.rate, q.rate, p.rate - q.rate, xp)


@register("cross_entropy", Poisson, Poisson)
def _ce_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any) -> Array:
    # H(p) + KL(p || q), two terms of one sign: from p's rate 1e4 on, where its entropy has its
    # series (Poisson._entropy); below, NoClosedForm hands the pair to the numerical route.
    return p._entropy(xp) + _kl_poisson_poisson(p, q, xp=xp)


@register("bhattacharyya", Poisson, Poisson)
def _bhattacharyya_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any) -> Array:
    # (sqrt l1 - sqrt l2)^2 / 2 with the difference of roots written without cancellation.
    root_sum = xp.sqrt(p.rate) + xp.sqrt(q.rate)
    return 0.5 * ((p.rate - q.rate) / root_sum) ** 2


@register("renyi", Poisson, Poisson)
def _renyi_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any, alpha: float) -> Array:
    if alpha == 1:
        return _kl_poisson_poisson(p, q, xp=xp)
    l1, l2 = xp.broadcast_arrays(p.rate, q.rate)
    if alpha == math.inf:  # sup_k k log(l1/l2) + l2 - l1
        return xp.where(l1 > l2, _inf(l1, xp), l2 - l1)
    # (l1^a l2^(1-a) - a l1 - (1-a) l2) / (a - 1): the AM-GM gap of the rates, exact for
    # every order (the KL's l1 log(l1/l2) - l1 + l2 as a -> 1) and near l1 = l2.
    value = renyi_gap(l1, l2, log_ratio(l1, l2, xp), alpha, xp) / (alpha - 1.0)
    # l1^a l2^(1-a) beyond the float range: so is the divergence (the gap is capped there).
    overflow = alpha * xp.log(l1) + (1.0 - alpha) * xp.log(l2) > 0.999 * math.log(float(xp.finfo(l1.dtype).max))
    return xp.where(overflow, _inf(value, xp), value)


@register("chi2", Poisson, Poisson)
def _chi2_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any) -> Array:
    return xp.expm1((p.rate - q.rate) ** 2 / q.rate)


# --------------------------------------------------------------------------------------
# Cross-family
# --------------------------------------------------------------------------------------


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson, *, xp: Any) -> Array:
    # -H(p) - E_p[log q(k)] with q(0) = e^-l, q(1) = l e^-l: a log(a / l) - a + l, the Poisson
    # KL (exact as l -> a), plus (1 - a) log1p(-a) + a >= 0, as (1 - a) log1pmx(-a) + a^2 below
    # a = 1/2 (about a^2 / 2: the sum of the four terms as torch writes it cancelled to
    # 1.5e-9 relative at a = l = 1e-6 and 1.7e-3 at 1e-12).
    a = p.probs
    low = a <= 0.5
    small, large = where0(low, a, xp), substitute(~low, a, 1.0, xp)
    rest = xp.where(low, (1.0 - small) * log1pmx(-small, xp) + small * small, _x1mlog1mx(large, xp) + large)
    return _rel_entr(a, q.rate, a - q.rate, xp) + rest


def _infinite(p: Any, q: Any, *, xp: Any) -> Array:
    # A Poisson puts mass on every count; the other side stops at its total_count.
    first = next(iter(p.params().values()))
    shape = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    return xp.full(shape, math.inf, dtype=first.dtype, device=device(first))


register_kl(Poisson, Bernoulli)(_infinite)
register_kl(Poisson, Binomial)(_infinite)
