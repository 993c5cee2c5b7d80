"""Closed forms between Dirichlet laws: KL, Renyi, Bhattacharyya, cross-entropy and entropy.

Every form is built on ``log B(a) = sum lgamma(a_i) - lgamma(sum a_i)``: the KL is its
Bregman divergence (a sum of log Gamma's own, exact near p = q; where one parameter holds
nearly all of the concentration, :mod:`._lopsided`'s form of the two parts that cancel
there), the Renyi divergences go
through the mixed law (``_dirichlet_via_mixture``), and the entropy is written with the
``_entropy_part`` of each parameter, whose terms of the order of ``a log a`` cancel
analytically where a parameter is large."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array_api import NUMPY, is_eager
from .._numpy_engine import row_sums
from .._special import STIRLING_MIN, digamma, gammaln, lgamma_bregman, substitute, where0
from ._closed_multivariate import _FLOAT_COORDINATES, _inf_like
from ._closed_univariate import (
    _SQUARE_HIGH,
    MIXTURE_LOST,
    _cross_entropy_of,
    _entropy_part,
    _first_order,
    _mixed,
    dirichlet_kl_stable,
    dirichlet_kl_to,
    others_sum,
)
from ._families import Dirichlet
from ._host import bregman, bregman_float, fill_finite, host
from ._lopsided import LOST, digamma_difference, lopsided
from ._registry import register, register_kl

Array = Any


def _log_beta(a: Array, xp: Any) -> Array:
    """``log B(a) = sum log Gamma(a_i) - log Gamma(sum a_i)`` over the last axis."""
    return xp.sum(gammaln(a, xp), axis=-1) - gammaln(xp.sum(a, axis=-1), xp)


def _dirichlet_kl(a: Array, d: Array, xp: Any, b: Array | None = None) -> Array:
    """KL(Dirichlet(a) || Dirichlet(a + d)) over the last axis: the Bregman divergence of
    log B(a) = sum lgamma(a_i) - lgamma(sum a_i), so a sum of lgamma's own, with nothing
    left to cancel near p = q (``d`` is the difference of the parameters, exact there; ``b``
    the second law's parameters where the caller has them, see ``lgamma_bregman``)."""
    total = lgamma_bregman(xp.sum(a, axis=-1), xp.sum(d, axis=-1), xp, None if b is None else xp.sum(b, axis=-1))
    return xp.sum(lgamma_bregman(a, d, xp, b), axis=-1) - total


def _dirichlet_via_mixture(a: Array, b: Array, alpha: float, xp: Any) -> Array:
    """``(1 - alpha) D_alpha = alpha KL(m || p) + (1 - alpha) KL(m || q)`` with m the law at
    ``c = alpha a + (1 - alpha) b``, ``inf`` where some ``c_i <= 0``: as for the univariate
    exponential families, the form that keeps the KL's relative accuracy near p = q."""
    d = b - a
    c = a + (1.0 - alpha) * d
    ok = xp.all(c > 0, axis=-1)
    cs, ds = substitute(ok[..., None], c, 1.0, xp), where0(ok[..., None], d, xp)

    def kl_to(offset: Array, end: Array, scale: float) -> Array:  # KL(m || end), a harmless law where m does not exist
        end = xp.where(ok[..., None], end, cs)
        return dirichlet_kl_to(_dirichlet_kl(cs, offset, xp, end), cs, offset, end, xp, (a, b, scale))

    to_p, to_q = alpha * kl_to(-(1.0 - alpha) * ds, a, alpha - 1.0), (1.0 - alpha) * kl_to(alpha * ds, b, alpha)
    value = (to_p + to_q) / (1.0 - alpha)
    # Beyond order 1 the two KLs cancel between laws far apart (order 1 + 1e-6: 1.2e-11
    # relative off): there KL(p || q) + KL(p || m) / (alpha - 1), two positive terms, as
    # _renyi_via_mixture's _renyi_from_p.
    cancelled = ok & (xp.abs(to_p) + xp.abs(to_q) > MIXTURE_LOST * xp.abs(to_p + to_q)) \
        & xp.all(xp.maximum(a, b) < _SQUARE_HIGH, axis=-1)
    if alpha > 1.0 and (not is_eager(xp) or bool(xp.any(cancelled))):
        wide = cancelled[..., None]
        a, b = substitute(wide, a, 1.0, xp), substitute(wide, b, 1.0, xp)
        cm, err = _mixed(a, b, alpha)
        inside = xp.all(cm > 0, axis=-1)
        cm = substitute(inside[..., None], cm, 1.0, xp)
        to_m, whole = (dirichlet_kl_to(_dirichlet_kl(a, x - a, xp, x), a, x - a, x, xp) for x in (cm, b))
        # psi(c_i) - psi(c0) from its terms, with the others' sum itself (the difference of
        # digammas cancelled where one parameter holds nearly all of the concentration)
        gradient = [-digamma_difference(x, others_sum(x, xp), xp) for x in (cm, a)]
        rounding = xp.sum(err * (gradient[0] - gradient[1]), axis=-1)
        use = cancelled & inside & xp.all(_first_order(err, cm - a, xp, cm), axis=-1)
        value = xp.where(use, whole + (to_m + rounding) / (alpha - 1.0), value)
    return xp.where(ok, value, _inf_like(value, xp))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any) -> Array:
    # Where one parameter holds nearly all of the concentration, its Bregman part and the
    # sum's nearly cancel near p = q: _lopsided's form on those rows.
    kind = is_eager(xp)
    found = host(kind, p.alpha, q.alpha)
    if found is not None and type(p.alpha) is np.ndarray and type(q.alpha) is np.ndarray and p.alpha.ndim == 1 \
            and p.alpha.size <= _FLOAT_COORDINATES and p.alpha.dtype == np.float64 \
            and max(p.alpha.max(), q.alpha.max()) < STIRLING_MIN:
        # an unbatched pair: the same Bregman divergences on Python floats
        a, b = p.alpha.tolist(), q.alpha.tolist()
        d = [y - x for x, y in zip(a, b, strict=True)]
        parts = [bregman_float(x, e, y) for x, e, y in zip(a, d, b, strict=True)]
        of_sum = bregman_float(math.fsum(a), math.fsum(d), math.fsum(b))
        value = math.fsum(parts) - of_sum
        if not value < LOST * (math.fsum(parts) + of_sum):
            return np.float64(value)
        return lopsided(np.float64(value), p.alpha, q.alpha - p.alpha, q.alpha, xp)
    if found is not None and p.alpha.ndim > 1:  # the same Bregman divergences, in place on NumPy views
        (a, b), back = found
        d = b - a
        out = row_sums(bregman(a, d, back, b))  # (einsum: 4x a short row's sum)
        whole = bregman(row_sums(a), row_sums(d), back, row_sums(b))
        sizes = out + whole  # the parts' sum (each >= 0): out cancelled it where far below
        out -= whole
        if not max(a.max(), b.max()) < STIRLING_MIN:  # (two whole reductions: a maximum per short row costs 5x)
            large = np.maximum(a.max(axis=-1), b.max(axis=-1)) >= STIRLING_MIN
            out = fill_finite(out, large, lambda u, v: dirichlet_kl_stable(u, v, NUMPY), (a, b))
        return back(lopsided(out, a, d, b, NUMPY, out < LOST * sizes))
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    value = _dirichlet_kl(a, b - a, xp, b)
    large = xp.max(xp.maximum(a, b), axis=-1) >= STIRLING_MIN
    if not (kind and not bool(xp.any(large))):
        # (a where, not a patch: the parameters have an event axis the value has not)
        big_a, big_b = (substitute(large[..., None], v, STIRLING_MIN, xp) for v in (a, b))
        value = xp.where(large, dirichlet_kl_stable(big_a, big_b, xp), value)
    return lopsided(value, a, b - a, b, xp)


@register("bhattacharyya", Dirichlet, Dirichlet)
def _bhattacharyya_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any) -> Array:
    # -log BC = D_1/2 / 2, from the midpoint law.
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    return 0.5 * _dirichlet_via_mixture(a, b, 0.5, xp)


@register("renyi", Dirichlet, Dirichlet)
def _renyi_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any, alpha: float) -> Array:
    """``(log B(c) - t log B(a) - (1 - t) log B(b)) / (t - 1)``, ``c = t a + (1 - t) b``, t = ``alpha``.

    ``inf`` where some ``c_i <= 0`` (possible for ``alpha > 1``). Order ``inf``: the supremum
    of ``p / q = B(b) / B(a) prod x_i^(a_i - b_i)`` over the simplex, ``inf`` unless every
    ``a_i >= b_i``, attained at ``x_i = (a_i - b_i) / sum(a - b)``.
    """
    if alpha == 1:
        return _kl_dirichlet_dirichlet(p, q, xp=xp)
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    if alpha == 0:
        return xp.zeros_like(a[..., 0])
    if alpha == math.inf:
        c = a - b
        ok = xp.all(c >= 0, axis=-1)
        total = xp.sum(c, axis=-1, keepdims=True)
        pos = c > 0
        share = substitute(pos, c, 1.0, xp) / substitute(total > 0, total, 1.0, xp)
        peak = xp.sum(where0(pos, c * xp.log(share), xp), axis=-1)
        value = _log_beta(b, xp) - _log_beta(a, xp) + peak
        return xp.where(ok, value, _inf_like(value, xp))
    return _dirichlet_via_mixture(a, b, alpha, xp)


def _dirichlet_entropy(a: Array, xp: Any) -> Array:
    """``H = log B(a) + (a0 - K) psi(a0) - sum_i (a_i - 1) psi(a_i)`` as ``E(a0) - sum_i E(a_i)
    + (1 - K) psi(a0)``, ``E`` the ``_entropy_part`` (``(z - 1) psi(z) - lgamma(z) - z``): the
    terms linear in the parameters cancel exactly (``sum a_i = a0``), and each ``E`` is of the
    order of ``log z`` (1.6e-10 relative off with two parameters of 1e6, where the usual sum
    cancels terms of 1e7)."""
    a0 = xp.sum(a, axis=-1)
    return _entropy_part(a0, xp) - xp.sum(_entropy_part(a, xp), axis=-1) + (1.0 - a.shape[-1]) * digamma(a0, xp)


@register("cross_entropy", Dirichlet, Dirichlet)
def _ce_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any) -> Array:
    # -E log q(X) = log B(b) - sum_i (b_i - 1) (psi(a_i) - psi(a0)); or H(p) + KL where the
    # direct terms are the larger (they cancel for laws concentrated near a point).
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    log_mean = digamma(a, xp) - digamma(xp.sum(a, axis=-1), xp)[..., None]  # E log X_i
    log_gammas, log_gamma_total = gammaln(b, xp), gammaln(xp.sum(b, axis=-1), xp)  # log B(b), its terms' sizes
    direct = (xp.sum(log_gammas, axis=-1) - log_gamma_total) - xp.sum((b - 1.0) * log_mean, axis=-1)
    size = xp.sum(xp.abs(log_gammas) + xp.abs(b - 1.0) * xp.abs(log_mean), axis=-1) + xp.abs(log_gamma_total)
    return _cross_entropy_of(_dirichlet_entropy(a, xp), _kl_dirichlet_dirichlet(p, q, xp=xp), direct, size, xp)
