"""KL(Beta || Gamma) with large parameters, where the direct form's terms cancel.

The direct form ``-H(Beta) + E[-log q]`` sums terms of the order of ``shape log(rate)`` to a
divergence that may be of the order of ``1/a`` or ``1/b^2``: from ``a = 12`` on it lost
1e-11 relative at ``a = 50``, 5e-9 at ``1e3`` and everything at ``1e8`` against the nearest
Gamma law, and from ``b = 1e3`` on near the Gamma law that the Beta tends to as ``b`` grows.
Both log densities are linear in ``log x`` and ``x``, so through any Gamma law ``G``,
``KL(P || Q) = [H(G) - H(P)] + KL(G || Q) - (shape - 1) (E_P log X - E_G log X) + rate
(E_P X - E_G X)``. Two choices of ``G`` leave every term of the order of the result or below,
their cancelling leading parts taken analytically from exact products:

* the Gamma law of the Beta's mean and variance, where the Beta is nearer a Normal law
  (:func:`_kl_beta_gamma_normal`);
* ``Gamma(a, a + b)``, where ``b^2 >= a^3`` and the Beta is nearer that one
  (:func:`_kl_beta_gamma_long`).

Between the two (both parameters large, ``b`` near ``a^1.5``) what is left cancels by a
factor of about ``a`` where ``Q`` is the nearest Gamma law: 2e-12 relative at ``a = 1e4``,
1e-10 at ``1e6``, 4e-8 at ``1e8``.
"""

from __future__ import annotations

from typing import Any

from .._array_api import is_eager
from .._special import (
    _STIRLING,
    _TRIGAMMA_BERNOULLI,
    STIRLING_MIN,
    _horner,
    log1pmx,
    product_difference,
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
    moderate = (a <= _MODERATE) & (b >= 1.0 / _MODERATE) & (b <= _MODERATE) & (rate >= 1.0 / _MODERATE) \
        & (rate <= _MODERATE) & (shape <= _MODERATE)
    long = (b >= STIRLING_MIN) & (b * b >= a * a * a)  # nearer a Gamma law than a Normal one
    value = direct
    for form, mask in ((_kl_beta_gamma_normal, moderate & (a >= STIRLING_MIN) & ~long),
                       (_kl_beta_gamma_long, moderate & long)):
        if not is_eager(xp) or _any(mask, xp):
            args = (substitute(mask, a, 1.0, xp), substitute(mask, b, STIRLING_MIN, xp),
                    substitute(mask, shape, 1.0, xp), substitute(mask, rate, 1.0, xp))
            value = xp.where(mask, form(*args, xp), value)
    return value


# Parameters up to this size (and down to its inverse) keep the exact products of
# _kl_beta_gamma_normal within the range of doubles.
_MODERATE = 1e60
# psi(z) = log z - 1/(2z) - 1/(12 z^2) - z^-4 sum_k _PSI_BEYOND[k] z^-2k, z >= STIRLING_MIN.
_PSI_BEYOND = tuple(bernoulli / (2 * k) for k, bernoulli in enumerate(_TRIGAMMA_BERNOULLI[1:], start=2))


def _psi_beyond(z: Array) -> Array:
    inverse2 = 1.0 / (z * z)
    return inverse2 * inverse2 * _horner(_PSI_BEYOND, inverse2)


def _kl_beta_gamma_long(a: Array, b: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)) for ``b >= STIRLING_MIN`` (and ``a`` below it),
    through ``G = Gamma(a, c)``, ``c = a + b``, to which ``P = Beta(a, b)`` tends as ``b``
    grows (the means equal): ``KL = K + KL(G || Q) - (shape - a) (log c - psi(c))`` with

        K = KL(P || G) = a - a log c + lgamma(c) - lgamma(b) - (b - 1) (psi(c) - psi(b))
          = (log1pmx(t) + t^2 / (1 + t)) / 2 + a / (2 b c) + [S(c) - S(b)] + (b - 1) [P(c) - P(b)]

    by Stirling's series at ``b`` and ``c`` (``t = a / b``; ``S`` its remainder for log
    Gamma, ``P`` that of psi, :func:`_kl_beta_gamma_normal`): terms of the order of ``a / b^2``
    (``K`` is about ``a (a + 1) / (4 b^2)``), the series' differences taken term by term as
    ``c^-n - b^-n = -b^-n t u sum_{i < n} u^i``, ``u = b / c``."""
    c = a + b
    part = c - a
    e = (a - (c - part)) + (b - part)  # a + b = c + e exactly (TwoSum)
    t = a / b
    u = 1.0 / (1.0 + t)
    inverse = 1.0 / b
    power, partial, u_power = 1.0 + 0.0 * u, 0.0 * u, 1.0 + 0.0 * u
    stirling, psi = 0.0 * u, 0.0 * u
    for n in range(1, 2 * len(_STIRLING) + 1):  # b^-n, sum_{i < n} u^i
        partial = partial + u_power
        u_power = u_power * u
        power = power * inverse
        if n % 2:
            stirling = stirling + _STIRLING[n // 2] * power * partial
        else:
            psi = psi + _TRIGAMMA_BERNOULLI[n // 2 - 1] / n * power * partial
    scale = -t * u
    k_part = 0.5 * (log1pmx(t, xp) + t * t * u) + a / (2.0 * b * c) + scale * stirling + (b - 1.0) * scale * psi
    delta = 1.0 / (2.0 * c) + 1.0 / (12.0 * c * c) + _psi_beyond(c)  # log c - psi(c)
    # G || Q from the ratio of the rates and the relative difference of the means, (shape c -
    # rate a) / (rate a), exact products both
    t_rate = ((rate - c) - e) / c
    u = (product_difference(shape, c, rate, a) + shape * e) / (rate * a)
    return k_part + _gamma_kl_given(a, shape, rate / c, t_rate, u, xp) - (shape - a) * delta


def _gamma_kl_given(k: Array, shape: Array, ratio: Array, t: Array, u: Array, xp: Any) -> Array:
    """KL(Gamma(k, rho) || Gamma(shape, rho ratio)) from the ratio of the rates (``t = ratio -
    1`` and ``u``, the relative difference of the means, both as exact as the caller has
    them): ``_gamma_kl_of``'s forms, the large one where the shapes take it."""
    large = _stirling_shapes(k, shape)
    big = substitute(large, shape, STIRLING_MIN, xp)
    return xp.where(large, _gamma_kl_large_of(substitute(large, k, STIRLING_MIN, xp), big, ratio, where0(large, u, xp), xp),
                    _gamma_kl(k, _constant_like(k, 1.0, xp), shape - k, t, xp, b2=ratio, a2=shape))


def _kl_beta_gamma_normal(a: Array, b: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Beta(a, b) || Gamma(shape, rate)) for ``a >= STIRLING_MIN``, through the Gamma law
    ``G`` of the Beta's mean ``a / c`` and variance, shape ``k = a (c + 1) / b`` (``c = a + b``)
    and rate ``k c / a``:

        KL = J(P) - J(G) + log(var_G / var_P) / 2 + KL(G || Q) - (shape - 1) delta,

    ``J`` the negentropies of :func:`_beta_negentropy` and :func:`_gamma_negentropy`,
    ``delta = E_P[log X] - E_G[log X] = phi(a) - phi(c) - phi(k)`` with ``phi(z) = psi(z) -
    log z``. Every term is of the order of the result or below, the cancelling leading
    parts taken analytically from exact products (``c`` as an exact sum): ``k`` is whatever
    its rounding made it, the variance ratio and the rate ratio of ``G`` and ``Q`` follow it."""
    c = a + b
    part = c - a
    e = (a - (c - part)) + (b - part)  # a + b = c + e exactly (TwoSum)
    k = a * (c + 1.0) / b
    ac_bk = product_difference(a, c, b, k) + a * e  # a (a + b) - b k, about -a
    log_var = xp.log1p((ac_bk + a) / (b * k))  # var_G / var_P = a (a + b + 1) / (b k)
    # G || Q from the ratio of the rates, rate a / (k c), and the relative difference of the
    # means, (shape c - rate a) / (rate a), exact products both
    t = (product_difference(rate, a, k, c) - k * e) / (k * c)
    u = (product_difference(shape, c, rate, a) + shape * e) / (rate * a)
    # phi(z) = -1/(2z) - 1/(12 z^2) - _psi_beyond(z): the terms in 1/z combined exactly
    inverse2 = (b / a) * ((a + c) / c) / (a * c)  # 1/a^2 - 1/(a + b)^2
    delta = (ac_bk / (2.0 * a * c * k) - inverse2 / 12.0 + 1.0 / (12.0 * k * k)
             - (_psi_beyond(a) - _psi_beyond(c)) + _psi_beyond(k))
    gamma_gamma = _gamma_kl_given(k, shape, rate * a / (k * c), t, u, xp)
    return (_beta_negentropy(a, b, xp) - _gamma_negentropy(k, xp) + 0.5 * log_var + gamma_gamma
            - (shape - 1.0) * delta)
