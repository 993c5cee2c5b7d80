"""Loader's forms of the Poisson and Binomial log mass functions.

``k log t - t - lgamma(k + 1)`` holds terms of the order of ``k log k`` that cancel to the
order of ``log k`` near the mean, so it loses ``k log k``'s rounding (1e-9 relative at ``k`` =
1e6). Loader's saddle-point form writes the mass function through non-negative deviances and
the remainder ``S`` of Stirling's series, terms that do not cancel:

    Poisson(t) at k:      -rel_entr(k, t) - log(2 pi k) / 2 - S(k),
    Binomial(m, t) at k:  -rel_entr(k, m t) - rel_entr(m - k, m (1 - t)) + S(m) - S(k) - S(m - k)
                          + log(m / (2 pi k (m - k))) / 2,

with ``S(k) = log Gamma(k) - (k - 1/2) log k + k - log(2 pi) / 2`` (C. Loader, "Fast and accurate computation of binomial probabilities", 2000), ``rel_entr(a,
b) = a log(a / b) - a + b``, each given ``d = k - m t`` as exactly as the caller has it.
"""

from __future__ import annotations

from typing import Any

from .._special import HALF_LOG_2PI, gammaln, stirling_remainder, substitute, where0
from ._rel_entr import rel_entr

__all__ = ["binomial_log_pmf", "poisson_log_pmf"]

Array = Any



def poisson_log_pmf(k: Array, t: Array, xp: Any, d: Array | None = None) -> Array:
    """``log(e^-t t^k / Gamma(k + 1))`` for ``k > -1`` and ``t > 0``: the Poisson mass of an
    integer ``k``, the Gamma(k + 1) density at ``t`` (Loader's form for ``k > 0``; ``d = k -
    t`` where the caller has it more exactly than their difference)."""
    positive = k > 0
    ks = substitute(positive, k, 1.0, xp)
    offset = ks - t if d is None else where0(positive, d, xp)
    loader = -rel_entr(ks, t, offset, xp) - (0.5 * xp.log(ks) + HALF_LOG_2PI) - stirling_remainder(ks, xp)
    below = where0(~positive, k, xp)  # (shapes below 1: terms of order 1, nothing to cancel)
    return xp.where(positive, loader, below * xp.log(t) - t - gammaln(below + 1.0, xp))


def binomial_log_pmf(k: Array, m: Array, t: Array, d: Array, xp: Any) -> Array:
    """``log(binom(m, k) t^k (1 - t)^(m - k))`` for integers ``0 <= k <= m`` and ``0 < t < 1``
    (``d = k - m t`` from the caller, more exactly than their difference): Loader's form
    inside, powers at the ends."""
    inner = (k > 0) & (k < m)
    ks, ms = substitute(inner, k, 1.0, xp), substitute(inner, m, 2.0, xp)
    rest = ms - ks
    d = where0(inner, d, xp)  # k - m t, and m (1 - t) - (m - k) its negative: the linear parts cancel exactly
    # the means m t and m (1 - t) from d where it is at most half of k (m - k), from t apart:
    # k - d had d's rounding, 1e-11 of a mean 7e-6 at k = 1 (3e-12 of the log-mass)
    ts = substitute(inner, t, 0.5, xp)
    mean = xp.where(xp.abs(d) <= 0.5 * ks, ks - d, ms * ts)
    complement = xp.where(xp.abs(d) <= 0.5 * rest, rest + d, ms * (1.0 - ts))
    loader = (-rel_entr(ks, mean, d, xp) - rel_entr(rest, complement, -d, xp)
              + (stirling_remainder(ms, xp) - stirling_remainder(ks, xp) - stirling_remainder(rest, xp))
              + 0.5 * (xp.log(ms) - xp.log(ks) - xp.log(rest)) - HALF_LOG_2PI)
    ends = xp.where(k == 0, m * xp.log1p(-t), m * xp.log(t))
    return xp.where(inner, loader, where0(m > 0, ends, xp))
