"""The logarithmic moments of a uniform law, kept exact where its interval is narrow or near [0, 1].

A uniform law against a Beta, Gamma, Pareto or continuous Bernoulli law needs ``log(high -
low)``, ``E[log X]`` and, for large shapes, the Jensen gap ``log E[X] - E[log X]``: each of the
order of the interval's relative width, which the rounding of ``high - low``, of the mean or
of a difference of logarithms would swamp.
"""

from __future__ import annotations

from typing import Any

from .._double_double import two_sum
from .._special import _horner, log1pmx, substitute, where0

__all__ = ["jensen_gap", "log_width", "mean_log_uniform"]

Array = Any


def _xlogx(x: Array, xp: Any) -> Array:
    """``x log x`` with the limit 0 at ``x = 0``."""
    pos = x > 0
    xs = substitute(pos, x, 1.0, xp)
    return where0(pos, xs * xp.log(xs), xp)


def log_width(low: Array, high: Array, xp: Any) -> Array:
    """``log(high - low)`` of the exact width (TwoSum): an interval near ``[0, 1]``, as
    ``Uniform(1e-11, 1)``, has a log width of the order of its offsets, which the rounding of
    ``high - low`` (eps) would swamp."""
    width, rounding = two_sum(high, -low)  # high - low = width + rounding exactly
    near_one = (width >= 0.5) & (width <= 2.0)
    near, wide = substitute(near_one, width, 1.0, xp), substitute(~near_one, width, 1.0, xp)
    return xp.where(near_one, xp.log1p((near - 1.0) + where0(near_one, rounding, xp)), xp.log(wide) + rounding / wide)


def mean_log_uniform(low: Array, high: Array, xp: Any, log_high: Array | None = None,
                     width: Array | None = None) -> Array:
    """``E[log X]`` for ``X ~ Uniform(low, high)``, ``0 <= low < high``; ``E[log(X / s)]`` where
    ``log_high`` is ``log(high / s)``; ``width`` is ``high - low`` where the caller has it more
    exactly (the ends of ``1 - X`` are rounded).

    With ``r = low / high`` and ``t = 1 - r`` it is ``log high - 1 - r log r / t``; for
    ``t <= 1/2`` the same as ``log high + (t log1p(-t) - log1pmx(-t)) / t``, which has no
    cancellation as the interval narrows.
    """
    t = (high - low if width is None else width) / high
    narrow = t <= 0.5
    tn = substitute(narrow, t, 0.5, xp)
    g_narrow = (tn * xp.log1p(-tn) - log1pmx(-tn, xp)) / tn
    tw = substitute(~narrow, t, 1.0, xp)
    g_wide = -1.0 - _xlogx(1.0 - tw, xp) / tw
    return (xp.log(high) if log_high is None else log_high) + xp.where(narrow, g_narrow, g_wide)


# 1 / (2j (2j + 1)), j = 1, 2, ...: the Jensen gap of a uniform law in its relative half-width
# (below 1/4: round-off in 14 terms).
_GAP = tuple(1.0 / (2 * j * (2 * j + 1)) for j in range(1, 15))


def jensen_gap(low: Array, high: Array, xp: Any, width: Array | None = None) -> Array:
    """``log E[X] - E[log X]`` (>= 0) for ``X ~ Uniform(low, high)``, ``0 <= low < high``: with
    the relative half-width ``e = (high - low) / (high + low)``, ``sum_j e^2j / (2j (2j + 1))``
    up to ``e = 1/4``, ``1 - ((1 + e) log1p(e) - (1 - e) log1p(-e)) / (2e)`` beyond (no
    logarithm of the ends, whose rounding would be most of a gap near ``1e-2``); ``width`` as
    in :func:`mean_log_uniform`."""
    e = (high - low if width is None else width) / (high + low)
    narrow = e <= 0.25
    en = where0(narrow, e, xp)
    series = en * en * _horner(_GAP, en * en)
    ew = substitute(~narrow, e, 0.5, xp)
    inside = ew < 1.0  # (low = 0: e = 1, and (1 - e) log1p(-e) is 0)
    lower = where0(inside, (1.0 - ew) * xp.log1p(-substitute(inside, ew, 0.5, xp)), xp)
    return xp.where(narrow, series, 1.0 - ((1.0 + ew) * xp.log1p(ew) - lower) / (2.0 * ew))
