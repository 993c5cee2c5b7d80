"""Elementwise helpers the array API standard lacks, written once for every backend.

Every function here is safe for automatic differentiation: a branch that is not taken is
evaluated at a harmless substitute value (the "double where" pattern), so no ``0 * inf`` or
``inf - inf`` ever reaches a value or a gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._array_api import device, is_lazy, is_numpy, library, to_numpy

Array = Any

# Taylor coefficients of atanh(u)/u - 1 = u^2/3 + u^4/5 + ...: enough terms for |u| <= 1/3
# (|x| <= 1/2 below) to reach float64 round-off.
_ATANH_TERMS = tuple(1.0 / (2 * k + 3) for k in range(17))


def full_like(x: Array, value: float, xp: Any) -> Array:
    """An array shaped like ``x`` filled with ``value`` (same dtype and device)."""
    return xp.full(x.shape, value, dtype=x.dtype, device=device(x))


def where0(cond: Array, x: Array, xp: Any) -> Array:
    """``x`` where ``cond`` holds, else 0."""
    return xp.where(cond, x, xp.zeros_like(x))


def substitute(cond: Array, x: Array, value: float, xp: Any) -> Array:
    """``x`` where ``cond`` holds, else ``value``: the safe input of a branch."""
    return xp.where(cond, x, full_like(x, value, xp))


def log1pmx(x: Array, xp: Any) -> Array:
    """``log(1 + x) - x`` without cancellation, for ``x > -1``.

    Near zero, ``log1p(x) = 2 atanh(u)`` with ``u = x / (2 + x)`` gives
    ``log1p(x) - x = 2 (atanh(u) - u) - x u``, a sum of two terms of different order.
    """
    small = xp.abs(x) <= 0.5
    xs = where0(small, x, xp)
    u = xs / (2.0 + xs)
    u2 = u * u
    poly = full_like(u, _ATANH_TERMS[-1], xp)
    for c in reversed(_ATANH_TERMS[:-1]):
        poly = poly * u2 + c
    series = 2.0 * u * u2 * poly - xs * u
    xb = substitute(~small, x, 1.0, xp)
    return xp.where(small, series, xp.log1p(xb) - xb)


# Taylor coefficients of (expm1(x) - x) / x^2 = 1/2! + x/3! + ...: float64 round-off for |x| <= 1/2.
_EXPM1MX_TERMS = tuple(1.0 / math.factorial(k) for k in range(2, 18))


def expm1mx(x: Array, xp: Any) -> Array:
    """``expm1(x) - x = e^x - 1 - x`` without cancellation near 0 (a series there)."""
    small = xp.abs(x) <= 0.5
    xs = where0(small, x, xp)
    series = full_like(xs, _EXPM1MX_TERMS[-1], xp)
    for c in reversed(_EXPM1MX_TERMS[:-1]):
        series = series * xs + c
    xb = substitute(~small, x, 1.0, xp)
    return xp.where(small, xs * xs * series, xp.expm1(xb) - xb)


def log_ratio(p: Array, q: Array, xp: Any) -> Array:
    """``log(p / q)`` to full relative accuracy for positive ``p`` and ``q``.

    ``log1p`` of the exact difference near ``p = q``; the quotient elsewhere, and the
    difference of logarithms where the quotient would overflow or lose precision.
    """
    x = (p - q) / q
    near = xp.abs(x) <= 0.5
    log_near = xp.log1p(where0(near, x, xp))
    r = p / q
    tiny = xp.finfo(p.dtype).smallest_normal
    plain = (r >= tiny) & (r <= 1.0 / tiny)
    log_plain = xp.log(substitute(plain, r, 1.0, xp))
    log_split = xp.log(p) - xp.log(q)
    return xp.where(near, log_near, xp.where(plain, log_plain, log_split))


def sum_compensated(x: Array, xp: Any) -> tuple[Array, Array]:
    """Sum over the last axis as an unevaluated pair ``hi + lo`` (about twice float precision).

    A pairwise cascade of error-free TwoSum steps; the rounding errors are collected in ``lo``.
    """
    lo = xp.sum(xp.zeros_like(x[..., :1]), axis=-1)
    while x.shape[-1] > 1:
        if x.shape[-1] % 2:
            x = xp.concat([x, xp.zeros_like(x[..., :1])], axis=-1)
        a, b = x[..., 0::2], x[..., 1::2]
        s = a + b
        bb = s - a
        lo = lo + xp.sum((a - (s - bb)) + (b - bb), axis=-1)
        x = s
    return x[..., 0], lo


def sqrt_with_zero_gradient(x: Array, xp: Any, out: Array | None = None) -> Array:
    """``sqrt(x)`` for ``x >= 0`` whose gradient at 0 is 0 (a subgradient), never NaN; on
    NumPy written into ``out`` where given (which may be ``x``)."""
    if is_numpy(xp):  # nothing differentiates NumPy: the plain root, a pass not six
        root = np.sqrt(x, out=out)
        return root + 0.0 if root.ndim == 0 else np.add(root, 0.0, out=root)  # -0.0 to +0.0
    pos = x > 0
    return where0(pos, xp.sqrt(substitute(pos, x, 1.0, xp)), xp)


def _special_module(xp: Any) -> Any:
    """``scipy.special`` or its counterpart in the library of ``xp`` (imported on first use)."""
    kind = library(xp)
    if kind == "torch":
        import torch

        return torch.special
    if kind == "jax":
        import jax.scipy.special

        return jax.scipy.special
    if kind == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special
    import scipy.special

    return scipy.special


def _apply(name: str, x: Array, xp: Any, *leading: Any) -> Array:
    """Special function ``name`` of ``x`` (after ``leading`` arguments, such as polygamma's
    order) in ``x``'s own library.

    SciPy answers array-api-strict input with NumPy arrays: those are handed back as arrays of
    the caller's library, so callers never need to convert.
    """
    out = getattr(_special_module(xp), name)(*leading, x)
    if library(xp) == "array_api_strict":
        return xp.asarray(out, device=device(x))
    return out


def gammaln(x: Array, xp: Any) -> Array:
    """``log |Gamma(x)|``."""
    return _apply("gammaln", x, xp)


def digamma(x: Array, xp: Any) -> Array:
    """``psi(x) = d/dx log Gamma(x)``."""
    return _apply("digamma", x, xp)


def i0e(x: Array, xp: Any) -> Array:
    """Exponentially scaled modified Bessel function ``exp(-|x|) I_0(x)``."""
    return _apply("i0e", x, xp)


def i1e(x: Array, xp: Any) -> Array:
    """Exponentially scaled modified Bessel function ``exp(-|x|) I_1(x)``."""
    return _apply("i1e", x, xp)


def ndtr(x: Array, xp: Any) -> Array:
    """The standard normal distribution function ``Phi(x)``."""
    return _apply("ndtr", x, xp)


def log_ndtr(x: Array, xp: Any) -> Array:
    """``log Phi(x)``, accurate far in the lower tail."""
    return _apply("log_ndtr", x, xp)


def erfc(x: Array, xp: Any) -> Array:
    """The complementary error function."""
    return _apply("erfc", x, xp)


def betaln(a: Array, b: Array, xp: Any) -> Array:
    """``log B(a, b)``."""
    return gammaln(a, xp) + gammaln(b, xp) - gammaln(a + b, xp)


def polygamma(n: int, x: Array, xp: Any) -> Array:
    """``psi^(n)(x)``, the n-th derivative of the digamma function."""
    out = _apply("polygamma", x, xp, n)
    return xp.astype(out, x.dtype) if out.dtype != x.dtype else out  # SciPy's is float64 always


def series_terms(ratio: Array, most: int, xp: Any) -> int:
    """Terms of a series whose n-th term is about ``ratio^n`` that reach float64 round-off
    for the largest ``ratio`` given (at most ``most``; all of them where the values cannot be
    read, under a JAX trace): polygamma and Bessel terms are costly, and nearly equal
    parameters need few."""
    if is_lazy(ratio):
        return most
    largest = float(to_numpy(xp.max(ratio))) if ratio.size else 0.0  # a bound: no gradient
    if largest == 0.0:
        return 0
    return min(most, 1 + math.ceil(math.log(1e-17) / math.log(largest)))


# The Taylor series of lgamma_bregman runs where |y - x| <= x / 8: its n-th term is about
# x (1/8)^n / n^2, so 18 terms reach float64 round-off.
_BREGMAN_NEAR = 0.125
_BREGMAN_TERMS = 18


def lgamma_bregman(x: Array, d: Array, xp: Any) -> Array:
    """``log Gamma(x + d) - log Gamma(x) - d psi(x)`` (>= 0) for ``x, x + d > 0``, to full
    relative accuracy: the Bregman divergence of log Gamma, the part of KL divergences of
    Gamma, Beta and Dirichlet laws that cancels as ``d -> 0`` (pass ``d`` as the difference
    of the parameters, not their rounded sum). Where ``|d| <= x / 8`` it is summed as
    ``sum_{n >= 2} psi^(n-1)(x) d^n / n!``; elsewhere it is the difference.
    """
    near = xp.abs(d) <= _BREGMAN_NEAR * x
    far_x, far_d = substitute(~near, x, 1.0, xp), substitute(~near, d, 1.0, xp)
    direct = gammaln(far_x + far_d, xp) - gammaln(far_x, xp) - far_d * digamma(far_x, xp)
    if is_numpy(xp):
        # The polygamma terms cost far more than the rest: NumPy sums them only where needed.
        x_b, d_b, near_b = np.broadcast_arrays(x, d, near)
        out = np.array(direct, dtype=direct.dtype, copy=True).reshape(near_b.shape)
        out[near_b] = _lgamma_series(x_b[near_b], d_b[near_b], xp)
        return out if out.ndim else out[()]
    return xp.where(near, _lgamma_series(substitute(near, x, 1.0, xp), where0(near, d, xp), xp), direct)


def _lgamma_series(x: Array, d: Array, xp: Any) -> Array:
    """``sum_{n >= 2} psi^(n-1)(x) d^n / n!`` for ``|d| <= x / 8``, as many terms as needed."""
    power = 0.5 * d * d  # d^n / n!
    series = xp.zeros_like(power)
    for n in range(2, series_terms(xp.abs(d) / x, _BREGMAN_TERMS, xp) + 2):
        series = series + polygamma(n - 1, x, xp) * power
        power = power * d / (n + 1)
    return series
