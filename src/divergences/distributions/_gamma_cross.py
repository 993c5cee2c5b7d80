"""The cross-entropy of a Gamma law, ``-E_p[log q(X)]``, from ``p``'s ``E[X]`` and ``E[log X]``.

The direct sum ``lgamma(k) - k log(rate) - (k - 1) E[log X] + rate E[X]`` holds terms of the
order of ``k log k`` that cancel to the order of ``log k`` where ``q`` is near ``p``'s scale:
Uniform(1, 1.000001) against a Gamma of shape 1.2e13 came out 0.59 relative off, and 1e12 off
at shapes of 1e25. From ``k = 12`` on, Stirling's series for ``lgamma(k)`` cancels them
analytically: with ``m = E[X]``, ``l = E[log X]``, the Jensen gap ``g = log m - l >= 0`` and
``w = rate m / k - 1``,

    -E[log q(X)] = k g - k log1pmx(w) + l + log(2 pi / k) / 2 + S(k),

``S`` the remainder of Stirling's series: the first two terms are >= 0, and the caller gives
``g`` and ``w`` from its own exact forms (a series in the interval's relative width, an
exact product).
"""

from __future__ import annotations

import math
from typing import Any

from .._special import STIRLING_MIN, gammaln, log1pmx, substitute
from ._closed_univariate import _stirling_sums

__all__ = ["gamma_cross_entropy"]

Array = Any

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def gamma_cross_entropy(mean: Array, mean_log: Array, shape: Array, rate: Array, xp: Any,
                        gap: Array | None = None, excess: Array | None = None) -> Array:
    """``-E[log q(X)]`` for ``q = Gamma(shape, rate)`` and ``E[X] = mean``, ``E[log X] =
    mean_log``; from ``shape = 12`` on Stirling's form (see the module docstring) where the
    caller gives ``gap = log(mean) - mean_log`` and ``excess = rate mean / shape - 1``."""
    direct = gammaln(shape, xp) - shape * xp.log(rate) - (shape - 1.0) * mean_log + rate * mean
    if gap is None or excess is None:
        return direct
    large = shape >= STIRLING_MIN
    k = substitute(large, shape, STIRLING_MIN, xp)
    w = substitute(large, excess, 0.0, xp)
    # log1pmx(w) from the logarithms themselves where rate mean is far below the shape (w
    # rounds to -1 there; nothing cancels)
    far = w < -0.5
    log_ratio = xp.log(substitute(far, rate, 1.0, xp)) + xp.log(substitute(far, mean, 1.0, xp)) - xp.log(k)
    log1pmx_w = xp.where(far, log_ratio - w, log1pmx(substitute(~far, w, 0.0, xp), xp))
    remainder, _ = _stirling_sums(k)
    stirling = k * gap - k * log1pmx_w + mean_log + (_HALF_LOG_2PI - 0.5 * xp.log(k)) + remainder
    return xp.where(large, stirling, direct)
