"""KL(Beta || Gamma) with large parameters, where the direct form's terms cancel.

The direct form ``-H(Beta) + E[-log q]`` sums terms of the order of ``shape log(rate)`` to a
divergence that may be of the order of ``1/a`` or ``1/b^2``: from ``a = 12`` on it lost
1e-11 relative at ``a = 50``, 5e-9 at ``1e3`` and everything at ``1e8`` against the nearest
Gamma law, and from ``b = 1e3`` on near the Gamma law that the Beta tends to as ``b`` grows.
Both log densities are linear in ``log x`` and ``x``, so through any Gamma law ``G`` of the
Beta's mean, ``KL(P || Q) = KL(P || G) + KL(G || Q) - (shape - k_G) (E_P log X - E_G log
X)``. Two Gamma laws serve: ``G``, that of the Beta's mean and variance, and ``G0 = Gamma(a,
a + b)``, to which the Beta tends as ``b`` grows. With both parameters from 12 on
(:func:`_kl_beta_gamma_both`) ``KL(P || G)`` goes through ``G0`` in turn, its leading terms
combined analytically; with ``a`` alone (:func:`_kl_beta_gamma_normal`) through the
negentropies; with ``b`` alone through ``G0`` (:func:`_kl_beta_gamma_long`). Every term is
then of the order of the result or below, the cancelling leading parts taken from exact
products and exact sums: within 5e-13 of mpmath (``tests/test_beta_gamma.py``). Below 12
both, the direct form stays: within 2e-11 of mpmath there, its worst where ``a`` is small and
``Q`` near ``G0``.
"""

from __future__ import annotations

from typing import Any

from .._array_api import is_eager
from .._double_double import below_max, two_sum
from .._special import (
    _STIRLING,
    _TRIGAMMA_BERNOULLI,
    STIRLING_MIN,
    _horner,
    log1pmx,
    product_difference,
    stirling_bregman,
    substitute,
    where0,
)
from ._closed_univariate import (
    _any,
    _beta_negentropy,
    _constant_like,
    _gamma_kl,
    _gamma_kl_large_of,
    _gamma_negentropy,
    _stirling_shapes,
)

__all__ = ["beta_gamma_large"]

Array = Any


def beta_gamma_large(a: Array, b: Array, shape: Array, rate: Array, direct: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)): ``direct`` (the direct form's value) where the
    Beta's parameters are small, the decompositions of the module docstring elsewhere."""
    big = below_max(a, _MODERATE, xp)
    moderate = (a <= big) & (b >= 1.0 / big) & (b <= big) & (rate >= 1.0 / big) & (rate <= big) & (shape <= big)
    large_a, large_b = a >= STIRLING_MIN, b >= STIRLING_MIN
    value = direct
    for form, mask in ((_kl_beta_gamma_both, moderate & large_a & large_b),
                       (_kl_beta_gamma_normal, moderate & large_a & ~large_b),
                       (_kl_beta_gamma_long, moderate & ~large_a & large_b)):
        if not is_eager(xp) or _any(mask, xp):
            args = (substitute(mask, a, STIRLING_MIN, xp), substitute(mask, b, STIRLING_MIN, xp),
                    substitute(mask, shape, 1.0, xp), substitute(mask, rate, 1.0, xp))
            value = xp.where(mask, form(*args, xp), value)
    return value


# Parameters up to this size (and down to its inverse) keep the exact products of the forms
# below within the range of doubles.
_MODERATE = 1e60
# psi(z) = log z - 1/(2z) - 1/(12 z^2) - z^-4 sum_k _PSI_BEYOND[k] z^-2k, z >= STIRLING_MIN.
_PSI_BEYOND = tuple(bernoulli / (2 * k) for k, bernoulli in enumerate(_TRIGAMMA_BERNOULLI[1:], start=2))


def _psi_beyond(z: Array) -> Array:
    inverse2 = 1.0 / (z * z)
    return inverse2 * inverse2 * _horner(_PSI_BEYOND, inverse2)


def _series_apart(z: Array, t: Array) -> tuple[Array, Array]:
    """``S(z (1 + t)) - S(z)`` and ``P(z (1 + t)) - P(z)`` for ``z >= STIRLING_MIN`` (``S`` the
    remainder of Stirling's series for log Gamma, ``P`` that of psi, ``psi(z) = log z - 1/(2z)
    - P(z)``), term by term as ``(z (1 + t))^-n - z^-n = -z^-n t u sum_{i < n} u^i``, ``u = 1 /
    (1 + t)``: of the order of ``t / z^2`` however small ``t``."""
    u = 1.0 / (1.0 + t)
    inverse = 1.0 / z
    power, partial, u_power = 1.0 + 0.0 * u, 0.0 * u, 1.0 + 0.0 * u
    stirling, psi = 0.0 * u, 0.0 * u
    for n in range(1, 2 * len(_STIRLING) + 1):  # z^-n, sum_{i < n} u^i
        partial = partial + u_power
        u_power = u_power * u
        power = power * inverse
        if n % 2:
            stirling = stirling + _STIRLING[n // 2] * power * partial
        else:
            psi = psi + _TRIGAMMA_BERNOULLI[n // 2 - 1] / n * power * partial
    scale = -t * u
    return scale * stirling, scale * psi


def _moment_gamma(a: Array, b: Array, c: Array, e: Array) -> tuple[Array, Array, Array]:
    """The shape ``k = a (c + 1) / b`` (as rounded) of the Gamma law ``G`` of a Beta's mean and
    variance (rate ``k c / a`` exactly, the mean's), ``a c - b k`` (about ``-a``, from exact
    products) and ``delta = E_P[log X] - E_G[log X] = phi(a) - phi(c) - phi(k)``, ``phi(z) =
    psi(z) - log z = -1/(2z) - 1/(12 z^2) - ...``: its terms in ``1/z`` combined exactly."""
    k = a * (c + 1.0) / b
    ac_bk = product_difference(a, c, b, k) + a * e
    # 1/k^2 - 1/a^2 from k - a: k tends to a as b grows, and 1/c^2 to 0
    squares = 1.0 / (c * c) - ((k - a) / a) * ((k + a) / k) / (a * k)
    delta = ac_bk / (2.0 * a * c * k) + squares / 12.0 - (_psi_beyond(a) - _psi_beyond(c)) + _psi_beyond(k)
    return k, ac_bk, delta


def _gamma_kl_given(k: Array, shape: Array, ratio: Array, t: Array, u: Array, xp: Any) -> Array:
    """KL(Gamma(k, rho) || Gamma(shape, rho ratio)) from the ratio of the rates (``t = ratio -
    1`` and ``u``, the relative difference of the means, both as exact as the caller has
    them): ``_gamma_kl_of``'s forms, the large one where the shapes take it."""
    large = _stirling_shapes(k, shape)
    big = substitute(large, shape, STIRLING_MIN, xp)
    return xp.where(large, _gamma_kl_large_of(substitute(large, k, STIRLING_MIN, xp), big, ratio, where0(large, u, xp), xp),
                    _gamma_kl(k, _constant_like(k, 1.0, xp), shape - k, t, xp, b2=ratio, a2=shape))


def _moment_gamma_to(a: Array, c: Array, e: Array, k: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(G || Gamma(shape, rate)) for ``G = Gamma(k, k c / a)``: the ratio of the rates,
    ``rate a / (k c)``, and the relative difference of the means, ``(shape c - rate a) / (rate
    a)``, from exact products."""
    t = (product_difference(rate, a, k, c) - k * e) / (k * c)
    u = (product_difference(shape, c, rate, a) + shape * e) / (rate * a)
    return _gamma_kl_given(k, shape, rate * a / (k * c), t, u, xp)


def _kl_beta_gamma_long(a: Array, b: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)) for ``a < STIRLING_MIN <= b``, through ``G0 =
    Gamma(a, c)``, ``c = a + b``, to which ``P = Beta(a, b)`` tends as ``b`` grows (the means
    equal): ``KL = K + KL(G0 || Q) - (shape - a) (log c - psi(c))`` with

        K = KL(P || G0) = a - a log c + lgamma(c) - lgamma(b) - (b - 1) (psi(c) - psi(b))
          = (log1pmx(t) + t^2 u) / 2 + a / (2 b c) + [S(c) - S(b)] + (b - 1) [P(c) - P(b)]

    by Stirling's series at ``b`` and ``c`` (``t = a / b``, ``u = b / c``,
    :func:`_series_apart`): terms of the order of ``a / b^2`` (``K`` is about ``a (a + 1) / (4
    b^2)``)."""
    c, e = two_sum(a, b)
    t = a / b
    u = 1.0 / (1.0 + t)
    stirling, psi = _series_apart(b, t)
    k_part = 0.5 * (log1pmx(t, xp) + t * t * u) + a / (2.0 * b * c) + stirling + (b - 1.0) * psi
    delta = 1.0 / (2.0 * c) + 1.0 / (12.0 * c * c) + _psi_beyond(c)  # log c - psi(c)
    # G0 is the moment Gamma law of shape a: as _moment_gamma_to, with k = a
    return k_part + _moment_gamma_to(a, c, e, a, shape, rate, xp) - (shape - a) * delta


def _kl_beta_gamma_both(a: Array, b: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)) for ``a, b >= STIRLING_MIN``, through the Gamma law
    ``G`` of the Beta's mean and variance (:func:`_moment_gamma`): ``KL = KL(P || G) + KL(G ||
    Q) - (shape - k) delta``. ``KL(P || G)``, of the order of ``1 / a`` (``a / (3 b^2)`` for
    ``b >> a``), is ``KL(P || G0) + KL(G0 || G) - (k - a) (log c - psi(c))`` through ``G0 =
    Gamma(a, c)`` (:func:`_kl_beta_gamma_long`), whose leading terms, each of the order of
    ``t^2``, combine exactly into ``-log1pmx(h u) / 2`` with ``h = (k - a) / a - t`` (``h u``
    about ``1 / c``); ``KL(G0 || G)`` of equal means is ``-log1pmx(s) / 2 +
    stirling_bregman(a, s)``, ``s = (k - a) / a``."""
    c, e = two_sum(a, b)
    t = a / b
    stirling, psi = _series_apart(b, t)
    k, ac_bk, delta = _moment_gamma(a, b, c, e)
    gap = k - a
    to_g = (-0.5 * log1pmx(-ac_bk / (a * c), xp) + a / (2.0 * b * c) + stirling + (b - 1.0) * psi
            + stirling_bregman(a, gap / a) - gap * (1.0 / (12.0 * c * c) + _psi_beyond(c)))
    return to_g + _moment_gamma_to(a, c, e, k, shape, rate, xp) - (shape - k) * delta


def _kl_beta_gamma_normal(a: Array, b: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)) for ``b < STIRLING_MIN <= a``, through the Gamma
    law ``G`` of the Beta's mean and variance (:func:`_moment_gamma`):

        KL = J(P) - J(G) + log(var_G / var_P) / 2 + KL(G || Q) - (shape - 1) delta,

    ``J`` the negentropies of :func:`_beta_negentropy` and :func:`_gamma_negentropy` (``var_G /
    var_P = a (c + 1) / (b k)``, 1 but for ``k``'s rounding). Every term is of the order of
    the result or below: the Beta is far from any Gamma law (its skewness is negative)."""
    c, e = two_sum(a, b)
    k, ac_bk, delta = _moment_gamma(a, b, c, e)
    log_var = xp.log1p((ac_bk + a) / (b * k))
    return (_beta_negentropy(a, b, xp) - _gamma_negentropy(k, xp) + 0.5 * log_var
            + _moment_gamma_to(a, c, e, k, shape, rate, xp) - (shape - 1.0) * delta)
