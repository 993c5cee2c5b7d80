"""The two parts of Renyi divergences that cancel as the order tends to 1: the gap of the
weighted AM-GM inequality (:func:`renyi_gap`, the term of a discrete sum and of the
Poisson, Bernoulli and Geometric forms) and the log of the weighted arithmetic over the
geometric mean (:func:`renyi_log_mean`, the Gaussian and Pareto forms), each to full
relative accuracy for every order."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_api import is_eager
from ._special import exp_cap, full_like, substitute, weighted_expm1mx, where0

__all__ = ["renyi_gap", "renyi_log_mean"]

Array = Any


def renyi_gap(p: Array, q: Array, log_ratio_pq: Array, alpha: float, xp: Any) -> Array:
    """``p^alpha q^(1-alpha) - alpha p - (1 - alpha) q`` for ``p, q >= 0`` and ``alpha > 0``
    (``log_ratio_pq = log(p/q)``, accurate and finite), to full relative accuracy for every
    ``alpha``, ``alpha -> 1`` included: the gap of the weighted AM-GM inequality, ``>= 0``
    for ``alpha > 1`` and ``<= 0`` for ``alpha < 1``, so sums of it do not cancel. Divided by
    ``alpha - 1`` it tends to ``p log(p/q) - p + q``, the KL term.

    With ``t = alpha - 1``, ``l = log(p/q)`` and ``E(w, x) = w (e^x - 1 - x)``
    (:func:`weighted_expm1mx`) it is ``E(p, t l) + t E(p, -l)`` (p-based: two terms of one
    sign for ``alpha > 1``; for ``alpha < 1`` a condition number at most about 3 where
    ``alpha (1 - alpha) l < 2 alpha - 1``) or else ``E(q, alpha l) - alpha E(q, l)`` (q-based,
    the same bound on the other side). Where ``p^alpha q^(1-alpha)`` overflows the value is
    capped just below the overflow: callers take such values from logarithms. Where ``p`` underflowed
    to 0, ``q (e^(alpha l) - (1 - alpha))`` (``p e^-l`` gave 0: 0.117 for 3067 for Binomials)."""
    t, lr = alpha - 1.0, log_ratio_pq
    with np.errstate(over="ignore"):  # a value beyond the range of doubles is its own overflow (see above)
        if alpha >= 1.0:
            value = weighted_expm1mx(p, t * lr, xp) + t * weighted_expm1mx(p, -lr, xp)
        else:
            # Either form is E(w, a l) + c E(w, s l) with (w, a, c, s) = (p, t, t, -1) or
            # (q, alpha, -alpha, 1): chosen per element, each E evaluated once.
            p_based = alpha * (1.0 - alpha) * lr < 2.0 * alpha - 1.0
            w = xp.where(p_based, p, q)
            a_l, s_l = xp.where(p_based, t * lr, alpha * lr), xp.where(p_based, -lr, lr)
            c = xp.where(p_based, full_like(lr, t, xp), full_like(lr, -alpha, xp))
            value = weighted_expm1mx(w, a_l, xp) + c * weighted_expm1mx(w, s_l, xp)
    zero = p == 0
    if is_eager(xp) and not bool(xp.any(zero)):  # as mostly: no pass of exp for the patch
        return value
    return xp.where(zero, q * (xp.exp(alpha * where0(zero, lr, xp)) - (1.0 - alpha)), value)


def renyi_log_mean(log_r: Array, alpha: float, xp: Any) -> Array:
    """``[log(alpha r + 1 - alpha) - alpha log r] / (alpha - 1)`` for ``r = exp(log_r)``
    (``alpha != 1``; ``<= 0``): the log of the weighted arithmetic over the geometric mean of
    ``r`` and 1, over ``alpha - 1``, the part of Renyi divergences of Gaussians (variances),
    Pareto laws (indices) and the like that cancels as ``alpha -> 1`` (where it tends to
    ``1 - 1/r - log r``) and as ``r -> 1``. Where the means are close it is
    ``log1p(-gap) / (alpha - 1)`` with the gap of :func:`renyi_gap` scaled by the geometric
    mean (full relative accuracy); elsewhere the difference of logarithms, which is then not
    small. Where ``alpha r + 1 - alpha <= 0`` (possible for ``alpha > 1``) the value is
    meaningless but finite: callers mark it infinite.
    """
    t = alpha - 1.0
    lr = log_r
    cap = exp_cap(lr.dtype, xp)
    bounded = (xp.abs(alpha * lr) < cap) & (xp.abs(t * lr) < cap)
    lb = where0(bounded, lr, xp)
    # AM / GM - 1 = -renyi_gap(r / GM, 1 / GM): neither argument overflows.
    y = -renyi_gap(xp.exp(-t * lb), xp.exp(-alpha * lb), lb, alpha, xp)
    near = bounded & (y > -0.5)
    log_near = xp.log1p(substitute(near, y, 0.0, xp))
    # log AM - alpha log r, factored by the larger of r and 1 so that nothing overflows.
    up = lr >= 0
    big = xp.where(up, alpha + (1.0 - alpha) * xp.exp(-substitute(up, lr, 0.0, xp)),
                   alpha * xp.exp(substitute(~up, lr, 0.0, xp)) + (1.0 - alpha))
    positive = big > 0
    log_far = xp.log(substitute(positive, big, 1.0, xp)) + xp.where(up, -t * lr, -alpha * lr)
    return xp.where(near, log_near, log_far) / t
