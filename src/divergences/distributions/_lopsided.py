"""KL between Dirichlet (and Beta) laws where one parameter holds nearly all of the
concentration.

The KL is ``sum_i B(a_i, d_i) - B(a0, d0)``, ``B(x, d) = lgamma(x + d) - lgamma(x) - d psi(x)``
the Bregman divergence of log Gamma, ``a0`` the sum of the parameters and ``d`` the offsets to
q's. Where one parameter ``x = a_j`` leaves the others a share ``s`` far below it and the
laws are near each other, ``B(x, d_j)`` and ``B(x + s, d_j + e)`` (``e`` the others' offsets)
nearly cancel: Beta(2.5, 1e-6) against Beta(2.499999999975, 1e-6) came out 2.9e-10 relative
off, and every Renyi divergence through the mixed law with it. Their difference is

    int_0^1 (1 - u) [d_j^2 (psi'(y) - psi'(y + h)) - e (2 d_j + e) psi'(y + h)] du,

``y = x + u d_j``, ``h = s + u e``: the difference of trigammas from its terms, each of one
sign (:func:`trigamma_difference`), by 10-point Gauss-Legendre on pieces of the path whose
ends are geometric in ``y``, as many as the ratio of q's parameter to p's needs (laws apart:
Beta(1, 1e-6) against Beta(1000, 1e-6) was 1.2e-9 off, pairs with a parameter 1e-16 of the
other up to 2x). The callers (the Beta and Dirichlet KL, and the mixture route of their Renyi
divergences) hand over the rows whose value cancelled; where the others' part and the
difference cancel in turn (parameters moved in proportion, means equal) their value stands.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from .._array_api import device, is_eager
from .._special import _TRIGAMMA_BERNOULLI, _trigamma, lgamma_bregman, substitute, where0
from .._special import log_ratio as _log_ratio
from ._gauss_legendre import GL_UNIT

__all__ = ["LOST", "SHARE", "digamma_difference", "lopsided", "trigamma_difference"]

Array = Any

# The others' share of the concentration below which the form is taken: the difference form
# then loses at least four bits.
SHARE = 1.0 / 16.0
# The cancellation the form repairs: the caller's value below this fraction of the parts it
# cancelled (seven bits lost, a few 1e-14 relative; below that the form costs more than it
# gains: of 10^5 random pairs of Beta laws with parameters over two decades, 3 lose seven bits,
# 109 six, 2252 four, and their patch cost some 1, 2 and 13 ms on a form of 25).
LOST = 1.0 / 128.0
_SHIFT = 10  # the recurrence's steps before the asymptotic series (as _special._trigamma)


def trigamma_difference(y: Array, h: Array, xp: Any, scale: Array | float = 1.0) -> Array:
    """``scale^2 (psi'(y) - psi'(y + h))`` (``y``, ``y + h > 0``) to relative accuracy however
    small ``h``: ten steps of the recurrence, ``1/z^2 - 1/w^2 = h (z + w) / (z w)^2``, then the
    differences of the asymptotic series' terms at ``z = y + 10``, each ``z^-n - w^-n = -z^-n
    expm1(-n log1p(h / z))``. ``scale`` enters each term as ``scale / z``: the difference
    alone leaves the range of doubles for ``y`` beyond 2^+-480, where ``scale``, an offset of
    the order of ``y``, brings it back."""
    # (from the reciprocals: products of the arguments overflow from 1e154 on)
    total = xp.zeros_like(y + h)
    for k in range(_SHIFT):
        iz, iw = 1.0 / (y + float(k)), 1.0 / (y + float(k) + h)
        total = total + h * (iz + iw) * ((scale * iz) * (scale * iw))
    iz, iw = 1.0 / (y + float(_SHIFT)), 1.0 / (y + float(_SHIFT) + h)
    scaled = (scale * iz) * (scale * iw)
    total = total + h * scaled + 0.5 * h * (iz + iw) * scaled  # 1/z - 1/w, (1/z^2 - 1/w^2) / 2
    log_ratio = xp.log1p(h * iz)
    square = iz * iz
    power = (scale * iz) * (scale * iz) * iz
    for k, b in enumerate(_TRIGAMMA_BERNOULLI):
        total = total - b * power * xp.expm1(-(2 * k + 3) * log_ratio)
        power = power * square
    return total


def digamma_difference(x: Array, h: Array, xp: Any) -> Array:
    """``psi(x + h) - psi(x)`` (``x``, ``h > 0``) to relative accuracy however small ``h``:
    ``sum_k h / ((x + k)(x + k + h))`` for ten steps, then the asymptotic series' differences at
    ``z = x + 10``, ``log1p(h / z) + h / (2 z (z + h))`` and ``-B_2k / (2k) z^-2k expm1(-2k
    log1p(h / z))`` (a Beta law's ``E log X = -digamma_difference(a, b)``, which the difference
    of digammas cancelled where ``b`` is far below ``a``)."""
    total = xp.zeros_like(x + h)
    for k in range(_SHIFT):
        total = total + h / (x + float(k) + h) / (x + float(k))  # (h / x first overflowed)
    iz, iw = 1.0 / (x + float(_SHIFT)), 1.0 / (x + float(_SHIFT) + h)
    log_ratio = xp.log1p(h * iz)
    total = total + log_ratio + 0.5 * h * iz * iw
    power = iz * iz
    square = power
    for k, b in enumerate(_TRIGAMMA_BERNOULLI):
        total = total - (b / (2 * k + 2)) * power * xp.expm1(-(2 * k + 2) * log_ratio)
        power = power * square
    return total


def _bregman_difference(x: Array, d: Array, end: Array, s: Array, e: Array, xp: Any, pieces: int) -> Array:
    """``B(x, d) - B(x + s, d + e)`` by the integral of the module docstring (``end`` the point
    ``x + d`` itself), over ``pieces`` pieces whose ends are geometric in ``y`` (each spans a
    ratio of ``y`` of at most 1.5 where ``pieces`` is at least ``|log(end / x)| / log 1.5``: the
    poles of ``psi'`` stay beyond Gauss-Legendre's reach on each), every node of every piece at
    once on a trailing axis. Where one piece spans the path, the nodes are evenly spaced in
    ``u`` (``y = x + u d``, exact for a ``d`` far below ``x``); elsewhere placed in ``y`` itself
    (``u = (y - x) / d``, ``1 - u = (end - y) / d``): ``x + u d`` would lose a far end below
    ``x``'s rounding."""
    # log(end / x) from the end itself: 1 + d / x loses an end below x's rounding (x = 1e13 to
    # an end of 1e-3: the pieces spanned 2 where 1.5 was meant, 4e-9 relative off)
    log_ratio = _log_ratio(end, x, xp)[..., None]
    near = xp.abs(log_ratio) <= _PIECE
    shares = xp.asarray([k / pieces for k in range(pieces + 1)], dtype=x.dtype, device=device(x))
    bounds = x[..., None] * xp.exp(shares * log_ratio)
    bounds = xp.concat([bounds[..., :-1], end[..., None] + 0.0 * bounds[..., -1:]], axis=-1)
    nodes = xp.asarray([t for t, _ in GL_UNIT], dtype=x.dtype, device=device(x))
    weights = xp.asarray([w for _, w in GL_UNIT], dtype=x.dtype, device=device(x))
    shape = (*x.shape, pieces * len(GL_UNIT))
    low, span = bounds[..., :-1, None], bounds[..., 1:, None] - bounds[..., :-1, None]
    x, d, end, s, e = (v[..., None] for v in (x, d, end, s, e))
    ds = substitute(~near, d, 1.0, xp)
    even = xp.reshape(shares[:-1, None] + nodes / pieces + 0.0 * low, shape)  # u, evenly spaced
    placed = xp.reshape(low + nodes * span, shape)  # y, in geometric pieces
    u = xp.where(near, even, (placed - x) / ds)
    rest = xp.where(near, 1.0 - even, (end - placed) / ds)
    du = xp.where(near, xp.full_like(u, 1.0 / pieces), xp.reshape(span + 0.0 * nodes, shape) / ds)
    y = xp.where(near, x + even * d, placed)
    h = s + u * e
    # e (2 d + e) psi'(z), z = y + h, as (e / z)((2 d + e) / z) + e psi'(z + 1) (2 d + e): each
    # factor of the order of 1 for parameters of any size
    z = y + h
    part = (trigamma_difference(y, h, xp, d)
            - ((e / z) * ((2.0 * d + e) / z) + (e * _trigamma(z + 1.0, xp)) * (2.0 * d + e)))
    return xp.sum(xp.reshape(weights + 0.0 * span, shape) * du * rest * part, axis=-1)


# The ratio of ``y`` one piece of the integral spans at most; the most pieces one call takes
# (a ratio of e^60 between the laws' largest parameters: beyond, the value stands).
_PIECE = math.log(1.5)
_MOST_PIECES = 150


def lopsided(value: Array, a: Array, d: Array, b: Array, xp: Any, rows: Array | None = None) -> Array:
    """``value``, KL(Dirichlet(a) || Dirichlet(b)) over the last axis (``d`` the offsets ``b -
    a``, each of the batch shape of ``value`` plus the event axis), with the form of the module
    docstring where, in both laws, one parameter (the same) leaves the others less than
    ``SHARE`` of it (twice that in q) and ``value`` lost at least seven bits (``LOST``) to the
    cancellation. On NumPy and torch on those rows only (gathered), with as many pieces as
    their ratios need; elsewhere under ``where``, one piece, for laws within a ratio of 1.5.
    ``rows``, where the caller knows them, the rows that may need it (eager libraries)."""
    kind = is_eager(xp)
    if not kind:
        return _exact(value, a, d, b, _needed(value, a, d, b, xp, 1.0)[0], xp, 1)
    if rows is None:
        rows = xp.any(a >= (1.0 - SHARE) * xp.sum(a, axis=-1, keepdims=True), axis=-1)
    if not bool(xp.any(rows)):  # (no row may need it, as mostly)
        return value
    return _on_rows(value, rows, lambda v, a_, d_, b_: _on_needed(v, a_, d_, b_, xp, kind), (a, d, b), kind)


def _on_needed(value: Array, a: Array, d: Array, b: Array, xp: Any, kind: str) -> Array:
    """:func:`lopsided` on gathered rows: the form on the rows that need it, gathered again."""
    use, steps = _needed(value, a, d, b, xp, _MOST_PIECES)
    if not bool(xp.any(use)):
        return value
    most_steps = xp.max(where0(use, steps, xp))
    pieces = max(1, math.ceil(float(most_steps.detach() if hasattr(most_steps, "detach") else most_steps)))
    return _on_rows(value, use, lambda v, a_, d_, b_: _exact(v, a_, d_, b_, None, xp, pieces), (a, d, b), kind)


def _on_rows(value: Array, rows: Array, fn: Any, arrays: tuple[Array, ...], kind: str) -> Array:
    """``value`` with ``fn(value, *arrays)`` on the rows where ``rows`` holds, gathered (the
    arrays carry the event axis beyond ``value``'s shape); differentiable on torch."""
    if rows.ndim == 0:
        single = (value[None], *(x[None] for x in arrays))
        return fn(*single)[0] if bool(rows) else value
    if kind == "numpy":
        index = np.nonzero(rows)
        out = np.array(value, copy=True)
        out[index] = fn(value[index], *(x[index] for x in arrays))
        return out
    torch = sys.modules["torch"]
    index = torch.nonzero(rows, as_tuple=True)
    return value.index_put(index, fn(value[index], *(x[index] for x in arrays)))


def _parts(a: Array, d: Array, b: Array, xp: Any) -> tuple[Array, ...]:
    """The largest parameter ``x`` (where it is the only one), the others' sum ``s``, their
    offsets ``dj`` and ``e``, q's parameter ``end`` at ``x``'s place (itself: ``x + dj``
    rounds to 0 where it is below ``x``'s rounding), and where ``x`` is the only largest."""
    top = xp.max(a, axis=-1, keepdims=True)
    is_top = a == top
    single = xp.sum(xp.astype(is_top, a.dtype), axis=-1) == 1.0
    x, s = top[..., 0], xp.sum(where0(~is_top, a, xp), axis=-1)
    dj, e = xp.sum(where0(is_top, d, xp), axis=-1), xp.sum(where0(~is_top, d, xp), axis=-1)
    end = xp.sum(where0(is_top, b, xp), axis=-1)
    return is_top, single, x, s, dj, e, end


def _needed(value: Array, a: Array, d: Array, b: Array, xp: Any, most: float) -> tuple[Array, Array]:
    """Where the form applies and the caller's value lost seven bits or more (it is below
    ``LOST`` of the largest parameter's Bregman divergence, which it cancelled against the
    sum's), within ``most`` pieces; and the pieces each needs (from q's parameter itself)."""
    _, single, x, s, dj, e, end = _parts(a, d, b, xp)
    use = single & (s <= SHARE * x) & (s + e <= 2.0 * SHARE * end)
    xs, ds, end = substitute(use, x, 1.0, xp), where0(use, dj, xp), substitute(use, end, 1.0, xp)
    steps = xp.abs(_log_ratio(end, xs, xp)) / _PIECE
    return use & (steps <= most) & (value < LOST * lgamma_bregman(xs, ds, xp, end)), steps


def _exact(value: Array, a: Array, d: Array, b: Array, use: Array | None, xp: Any, pieces: int) -> Array:
    """The form of the module docstring where ``use`` holds (None: everywhere), ``value``
    elsewhere."""
    is_top, single, x, s, dj, e, end = _parts(a, d, b, xp)
    if use is None:
        use = single
    wide = use[..., None]
    others = lgamma_bregman(substitute(wide, a, 1.0, xp), where0(wide & ~is_top, d, xp), xp,
                            substitute(wide, b, 1.0, xp))
    others = xp.sum(where0(~is_top, others, xp), axis=-1)
    xs, ds = substitute(use, x, 1.0, xp), where0(use, dj, xp)
    end = substitute(use, end, 1.0, xp)
    difference = _bregman_difference(xs, ds, end, where0(use, s, xp), where0(use, e, xp), xp, pieces)
    exact = others + difference
    # Where the others' part and the difference cancel in turn (the parameters moved in
    # proportion: the means agree, and the caller's form, from them, is the exact one), or
    # where a term left the range of doubles (psi' of a parameter below 1e-154), the value
    # stands.
    keep = (4.0 * xp.abs(exact) >= xp.abs(others) + xp.abs(difference)) & (xp.abs(exact) < math.inf)
    return xp.where(use & keep, exact, value)
