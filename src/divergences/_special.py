"""Elementwise helpers the array API standard lacks, written once for every backend.

Every function here is safe for automatic differentiation: a branch that is not taken is
evaluated at a harmless substitute value (the "double where" pattern), so no ``0 * inf`` or
``inf - inf`` ever reaches a value or a gradient.
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import numpy as np

from ._array_api import _library_of, device, is_eager, is_lazy, is_numpy, library, to_numpy
from ._double_double import product

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


def patch(out: Array, mask: Array, fn: Any, args: tuple[Array, ...], kind: str, *, owned: bool = False) -> Array:
    """``out`` with ``fn(*args)`` written where ``mask`` holds, ``fn`` evaluated there only
    (``kind``: the eager library, see ``is_eager``). ``out`` and ``mask`` have the full shape;
    ``args`` broadcast to it. On torch the write is differentiable (the values of ``out``
    under the mask get no gradient, those of ``fn`` do), and in place where the caller says
    it ``owned`` ``out`` (computed by the caller, not saved by the operation that made it for
    its backward pass: a sum or product of other terms, not ``exp``); on NumPy ``out`` is
    written in place when it owns its memory."""
    if kind == "numpy":
        if np.ndim(out) == 0:
            return fn(*args) if mask else out
        if not mask.any():
            return out
        if mask.all():
            return np.broadcast_to(fn(*args), out.shape) + 0.0
        if not (out.flags.writeable and out.flags.owndata):
            out = out.copy()
        # The indices once (a boolean index computes them again for every argument).
        index = np.nonzero(mask)
        out[index] = fn(*(np.broadcast_to(a, out.shape)[index] if np.ndim(a) else a for a in args))
        return out
    torch = sys.modules["torch"]
    count = int(torch.count_nonzero(mask))
    shape = out.shape
    if count == 0:
        return out
    if count == mask.numel():
        return fn(*args).expand(shape)
    # The indices once (a boolean index computes them again for every argument); on the CPU
    # by NumPy, some three times faster than torch.nonzero on one thread.
    if mask.device.type == "cpu":
        index = tuple(torch.from_numpy(i) for i in np.nonzero(mask.numpy()))
    else:
        index = torch.nonzero(mask, as_tuple=True)
    values = fn(*(a.expand(shape)[index] if getattr(a, "ndim", 0) else a for a in args))
    return out.index_put_(index, values) if owned else out.index_put(index, values)


# The eager helpers take the plain formula where its rounding costs at most a few tens of
# ulps and sum a short series elsewhere: for |x| <= 1/8 (u = x / (2 + x) within 1/15) these
# terms of atanh(u)/u - 1, and of (expm1(x) - x)/x^2, reach float64 round-off.
_EAGER_NEAR = 0.125
_ATANH_NEAR_TERMS = _ATANH_TERMS[:8]


def _log1pmx_series(x: Array) -> Array:
    """``log1p(x) - x`` for ``|x| <= 1/8`` (no branch)."""
    u = x / (2.0 + x)
    u2 = u * u
    poly = u2 * _ATANH_NEAR_TERMS[-1] + _ATANH_NEAR_TERMS[-2]
    for c in reversed(_ATANH_NEAR_TERMS[:-2]):
        poly = poly * u2 + c
    return 2.0 * u * u2 * poly - x * u


def log1pmx(x: Array, xp: Any) -> Array:
    """``log(1 + x) - x`` without cancellation, for ``x > -1``.

    Near zero, ``log1p(x) = 2 atanh(u)`` with ``u = x / (2 + x)`` gives
    ``log1p(x) - x = 2 (atanh(u) - u) - x u``, a sum of two terms of different order.
    """
    kind = is_eager(xp)
    if kind:  # the difference, relative error below 40 ulps for |x| > 1/8, the series within
        out = xp.log1p(x) - x
        return patch(out, xp.abs(x) <= _EAGER_NEAR, _log1pmx_series, (x,), kind)
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


def _expm1mx_series(x: Array) -> Array:
    """``expm1(x) - x`` for ``|x| <= 1/8`` (no branch): 11 terms reach float64 round-off."""
    series = x * _EXPM1MX_TERMS[10] + _EXPM1MX_TERMS[9]
    for c in reversed(_EXPM1MX_TERMS[:9]):
        series = series * x + c
    return x * x * series


def expm1mx(x: Array, xp: Any) -> Array:
    """``expm1(x) - x = e^x - 1 - x`` without cancellation near 0 (a series there)."""
    kind = is_eager(xp)
    if kind:  # the difference, relative error below 20 ulps for |x| > 1/8, the series within
        out = xp.expm1(x) - x
        out = patch(out, xp.abs(x) <= _EAGER_NEAR, _expm1mx_series, (x,), kind)
        return xp.where(x == math.inf, x, out)  # (inf - inf)
    small = xp.abs(x) <= 0.5
    xs = where0(small, x, xp)
    series = full_like(xs, _EXPM1MX_TERMS[-1], xp)
    for c in reversed(_EXPM1MX_TERMS[:-1]):
        series = series * xs + c
    xb = substitute(~small, x, 1.0, xp)
    return xp.where(small, xs * xs * series, xp.where(x == math.inf, x, xp.expm1(xb) - xb))


# Where |log r| exceeds this, the plain forms r - 1 - log r and (r^2 - 1)/2 - log r lose at most
# some 75 ulps to rounding; nearer 1 they are taken from the exact difference of the parameters.
RATIO_NEAR = 0.25


def ratio_form(plain: Array, log_r: Array, exact: Any, args: tuple[Array, ...], kind: str, xp: Any) -> Array:
    """``plain`` (a form in a ratio ``r``, ``log_r = log(r)``), replaced by ``exact(*args)``
    where ``r`` is near 1 and where ``r`` leaves the normal range (its logarithm is inexact
    there); for the eager libraries (``is_eager``). Forms that cancel only near ``r = 1``
    (``r - 1 - log r``, ``r log r - r + 1``, ...) lose at most some 75 ulps where ``|log r| >
    RATIO_NEAR``. One mask of both cases, one gather, ``exact`` on those elements only, one
    write, in place: ``plain`` is the caller's own (see ``patch``), and so is ``log_r``, which
    is overwritten where nothing differentiates it (``scratch``)."""
    return patch(plain, ratio_mask(log_r, kind, xp), exact, args, kind, owned=True)


def ratio_mask(log_r: Array, kind: str, xp: Any, mask: Array | None = None) -> Array:
    """Where ``|log_r| <= RATIO_NEAR`` or ``r`` is out of the normal range (``ratio_form``),
    or'ed into ``mask`` where given (in place); ``log_r`` overwritten where ``scratch``."""
    far = _log_normal_range(log_r.dtype, xp)
    if not scratch(log_r, kind):
        size = xp.abs(log_r)
    elif kind == "numpy":
        size = np.abs(log_r, out=log_r)
    else:
        size = log_r.abs_()
    if mask is None:
        mask = size <= RATIO_NEAR
    else:
        mask |= size <= RATIO_NEAR
    mask |= size > far
    return mask


def scratch(x: Array, kind: str) -> bool:
    """Whether ``x``, an array the caller has just computed (not a view of another), may be
    overwritten in place: a NumPy array (not a scalar), a torch tensor that nothing
    differentiates (``kind``: see ``is_eager``)."""
    if kind == "numpy":
        return isinstance(x, np.ndarray)
    return not x.requires_grad


# atanh(u)/u - 1 = u^2/3 + u^4/5 + ...: ten terms reach round-off for |u| <= 1/5, which is
# -1/3 <= x <= 1/2 (u = x / (2 + x)); |log r| <= RATIO_NEAR is well inside (r = 1 + x).
RATIO_SERIES_LOW, RATIO_SERIES_HIGH = -1.0 / 3.0, 0.5
_RATIO_ATANH = _ATANH_TERMS[:10]


def atanh_tail(x: Array) -> tuple[Array, Array]:
    """``u = x / (2 + x)`` and ``2 (atanh(u) - u)`` (so ``log1p(x) = 2 u + tail``), for
    ``RATIO_SERIES_LOW <= x <= RATIO_SERIES_HIGH`` (no branch): the exact near forms of
    ``ratio_form`` build on them (``x - log1p(x) = x u - tail``, ...)."""
    u = x / (2.0 + x)
    v = u * u
    poly = v * _RATIO_ATANH[-1] + _RATIO_ATANH[-2]
    for c in reversed(_RATIO_ATANH[:-2]):
        poly = poly * v + c
    return u, 2.0 * u * v * poly


_LOG_NORMAL_RANGE: dict[Any, float] = {}


def _log_normal_range(dtype: Any, xp: Any) -> float:
    """``-log`` of the smallest normal number of ``dtype``: ``|log r|`` beyond it puts ``r``
    (or ``1 / r``) out of the normal range."""
    value = _LOG_NORMAL_RANGE.get(dtype)
    if value is None:
        value = _LOG_NORMAL_RANGE[dtype] = -math.log(float(xp.finfo(dtype).smallest_normal))
    return value


def log_ratio(p: Array, q: Array, xp: Any) -> Array:
    """``log(p / q)`` to full relative accuracy for positive ``p`` and ``q``.

    ``log1p`` of the exact difference near ``p = q``; the quotient elsewhere, and the
    difference of logarithms where the quotient would overflow or lose precision.
    """
    kind = is_eager(xp)
    if kind:
        # log of the quotient, within a few ulps of |log(p/q)| > 1/8; log1p of the exact
        # difference nearer; the difference of logarithms where the quotient leaves the range.
        if kind == "numpy":
            with np.errstate(over="ignore", under="ignore", divide="ignore"):  # such quotients are replaced below
                r = p / q
                out = xp.log(r)
        else:
            r = p / q
            out = xp.log(r)
        out = patch(out, xp.abs(out) <= _EAGER_NEAR, lambda a, b: xp.log1p((a - b) / b), (p, q), kind)
        tiny = float(xp.finfo(r.dtype).smallest_normal)
        if np.ndim(r) == 0 and kind == "numpy":
            return out if tiny <= r <= 1.0 / tiny else np.log(p) - np.log(q)
        if bool(xp.min(r) < tiny) or bool(xp.max(r) > 1.0 / tiny):
            out = patch(out, (r < tiny) | (r > 1.0 / tiny), lambda a, b: xp.log(a) - xp.log(b), (p, q), kind)
        return out
    x = (p - q) / q
    near = xp.abs(x) <= 0.5
    log_near = xp.log1p(where0(near, x, xp))
    r = p / q
    tiny = xp.finfo(p.dtype).smallest_normal
    plain = (r >= tiny) & (r <= 1.0 / tiny)
    log_plain = xp.log(substitute(plain, r, 1.0, xp))
    log_split = xp.log(p) - xp.log(q)
    return xp.where(near, log_near, xp.where(plain, log_plain, log_split))


def log_quotient(x: Array, apart: Array, xp: Any) -> Array:
    """``log(1 + x)`` for a relative difference ``x`` within 1/2 of 0; ``apart``, the logarithms'
    difference, elsewhere (``1 + x`` loses a quotient far below 1: 1e-4 of it at 1e-12 / 0.3)."""
    near = xp.abs(x) <= 0.5
    return xp.where(near, xp.log1p(where0(near, x, xp)), apart)


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


@functools.cache
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
    if _library_of(xp) == "array_api_strict":
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


def erf(x: Array, xp: Any) -> Array:
    """The error function."""
    return _apply("erf", x, xp)


def erfc(x: Array, xp: Any) -> Array:
    """The complementary error function."""
    return _apply("erfc", x, xp)


def has_special(name: str, xp: Any) -> bool:
    """Whether the special-function module of ``xp``'s library has ``name`` (torch has no
    incomplete beta function, JAX no complement of it)."""
    return hasattr(_special_module(xp), name)


def incomplete(name: str, x: Array, xp: Any, *shapes: Array) -> Array:
    """A regularised incomplete gamma or beta function of ``x`` with the ``shapes`` before it
    (``gammainc(a, x)``, ``gammaincc(a, x)``, ``betainc(a, b, x)``, ``betaincc(a, b, x)``), in
    ``x``'s own library (see :func:`has_special`)."""
    return _apply(name, x, xp, *shapes)


def betaln(a: Array, b: Array, xp: Any) -> Array:
    """``log B(a, b)``."""
    return gammaln(a, xp) + gammaln(b, xp) - gammaln(a + b, xp)


def polygamma(n: int, x: Array, xp: Any) -> Array:
    """``psi^(n)(x)``, the n-th derivative of the digamma function."""
    if n == 1 and _library_of(xp) == "torch":
        return _trigamma(x, xp)  # torch's is 5e-10 relative (measured against mpmath): ours, 2e-16
    out = _apply("polygamma", x, xp, n)
    return xp.astype(out, x.dtype) if out.dtype != x.dtype else out  # SciPy's is float64 always


# psi'(z) ~ 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1): the Bernoulli numbers B_2 .. B_18.
_TRIGAMMA_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798)
_TRIGAMMA_SHIFT = 10  # psi'(x) = sum_{k < 10} 1 / (x + k)^2 + psi'(x + 10): the series at z >= 10


def _trigamma(x: Array, xp: Any) -> Array:
    """``psi'(x)`` for ``x > 0``: ten steps of the recurrence, then the asymptotic series at
    ``z = x + 10`` (its first omitted term is below 1e-17 of the value there). Every term is
    positive but the series' small alternating tail: full relative accuracy."""
    z = x + float(_TRIGAMMA_SHIFT)
    inv = 1.0 / z
    inv2 = inv * inv
    tail = xp.zeros_like(z)
    for b in reversed(_TRIGAMMA_BERNOULLI):
        tail = (tail + b) * inv2
    value = inv + 0.5 * inv2 + tail * inv  # 1/z + 1/(2 z^2) + sum B_2k z^-(2k+1)
    for k in range(_TRIGAMMA_SHIFT - 1, -1, -1):
        inv_k = 1.0 / (x + float(k))  # (the square of x + k overflows from 1e154 on)
        value = value + inv_k * inv_k
    return value


def series_terms(ratio: Array, most: int, xp: Any) -> int:
    """Terms of a series whose n-th term is about ``ratio^n`` that reach float64 round-off
    for the largest ``ratio`` given (at most ``most``; all of them where the values cannot be
    read, under a JAX trace): polygamma and Bessel terms are costly, and nearly equal
    parameters need few."""
    if type(ratio) is np.ndarray:  # the in-place forms' (no namespace's reduction)
        largest = float(ratio.max()) if ratio.size else 0.0
    elif is_lazy(ratio):
        return most
    else:
        largest = float(to_numpy(xp.max(ratio))) if ratio.size else 0.0  # a bound: no gradient
    if largest == 0.0:
        return 0
    return min(most, 1 + math.ceil(math.log(1e-17) / math.log(largest)))


# lgamma_bregman takes its near form where |d| <= x / 8.
_BREGMAN_NEAR = 0.125


def lgamma_bregman(x: Array, d: Array, xp: Any, end: Array | None = None) -> Array:
    """``log Gamma(x + d) - log Gamma(x) - d psi(x)`` (>= 0) for ``x, x + d > 0``, to full
    relative accuracy: the Bregman divergence of log Gamma, the part of KL divergences of
    Gamma, Beta and Dirichlet laws that cancels as ``d -> 0`` (pass ``d`` as the difference
    of the parameters, not their rounded sum). Where ``|d| <= x / 8`` it is
    ``_lgamma_bregman_near`` (the recurrence and Stirling's series, written as a sum of
    terms of one sign); elsewhere it is the difference, at ``end`` (the parameter ``x + d``
    itself where the caller has it: ``x + d`` rounds to 0 where ``x + d`` is below ``x``'s
    rounding, and log Gamma(0) is infinite).
    """
    near = xp.abs(d) <= _BREGMAN_NEAR * x
    kind = is_eager(xp)
    if kind:
        # The difference everywhere (finite, with finite gradients, at every x, x + d > 0),
        # the near form (some 150 operations) only where it is needed.
        direct = gammaln(x + d if end is None else end, xp) - gammaln(x, xp) - d * digamma(x, xp)
        return patch(direct, near, _lgamma_bregman_near, (x, d), kind)
    far_x, far_d = substitute(~near, x, 1.0, xp), substitute(~near, d, 1.0, xp)
    far_end = far_x + far_d if end is None else substitute(~near, end, 2.0, xp)
    direct = gammaln(far_end, xp) - gammaln(far_x, xp) - far_d * digamma(far_x, xp)
    return xp.where(near, _lgamma_bregman_near(substitute(near, x, 1.0, xp), where0(near, d, xp)), direct)


# Stirling's series log Gamma(z) = (z - 1/2) log z - z + log(2 pi) / 2 + sum_k C_k z^(1 - 2k),
# C_k = B_2k / (2k (2k - 1)); nine terms reach float64 round-off at z >= 12.
_STIRLING = tuple(b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_TRIGAMMA_BERNOULLI))
_STIRLING_SHIFT = 12
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)  # log sqrt(2 pi), shared by the Stirling and normal forms
#: The least argument from which Stirling's series (nine terms) reaches float64 round-off.
STIRLING_MIN = float(_STIRLING_SHIFT)


def stirling_sums(z: Array) -> tuple[Array, Array]:
    """``S(z) = sum_k C_k z^-m`` and ``M(z) = sum_k m C_k z^-m`` (``m = 2k - 1``), for ``z >=
    STIRLING_MIN``: the remainder of Stirling's series for log Gamma and, as ``-M(z) / z``,
    its derivative (the remainder of the series for psi)."""
    inverse = 1.0 / z
    square, power = inverse * inverse, inverse
    s, m = _STIRLING[0] * power, _STIRLING[0] * power
    for k, c in enumerate(_STIRLING[1:], start=1):
        power = power * square
        s, m = s + c * power, m + (2 * k + 1) * c * power
    return s, m


def stirling_remainder(z: Array, xp: Any) -> Array:
    """``S(z) = log Gamma(z) - (z - 1/2) log z + z - log(2 pi) / 2`` for ``z > 0``: Stirling's
    series from ``STIRLING_MIN`` on, below it directly (terms of at most some 700, which
    nothing cancels in its callers: they hold ``S`` beside terms of that order)."""
    large = z >= STIRLING_MIN
    series, _ = stirling_sums(substitute(large, z, STIRLING_MIN, xp))
    small = substitute(~large, z, 1.0, xp)
    direct = gammaln(small, xp) - (small - 0.5) * xp.log(small) + small - HALF_LOG_2PI
    return xp.where(large, series, direct)


def _lgamma_bregman_near(x: Array, d: Array) -> Array:
    """``log Gamma(x + d) - log Gamma(x) - d psi(x)`` for ``|d| <= x / 8`` (no branch, no
    special function): a sum of terms of one sign and small corrections, so few ulps.

    The recurrence of log Gamma and psi gives ``B(x, d) = B(z, d) - sum_{k < 12}
    log1pmx(d / (x + k))`` at ``z = x + 12``, where Stirling's series applies: with
    ``t = d / z`` and ``u = 1 / (1 + t)`` its leading part contributes ``z ((1 + t) log1p(t)
    - t) - log1pmx(t) / 2`` and each ``C_k z^-m``, ``m = 2k - 1``, the Bregman divergence of
    ``z^-m``, ``z^-m ((1 + t)^-m - 1 + m t) = z^-m t^2 u sum_{i < m} (m - i) u^i``. Every
    ``|t|`` here is at most 1/8, where ``_log1pmx_series`` holds."""
    value = -_log1pmx_series(d / x)
    for k in range(1, _STIRLING_SHIFT):
        value = value - _log1pmx_series(d / (x + float(k)))
    z = x + float(_STIRLING_SHIFT)
    t = d / z
    lt = _log1pmx_series(t)
    value = value + z * (t * t + (1.0 + t) * lt) - 0.5 * lt
    return value + stirling_bregman(z, t)


def stirling_bregman(z: Array, t: Array) -> Array:
    """The Bregman divergence of the remainder of Stirling's series, ``R(z (1 + t)) - R(z) -
    z t R'(z)`` with ``R(z) = sum_k C_k z^(1 - 2k)``, for ``z, z (1 + t) >= 12`` (where nine
    terms reach float64 round-off) and any such ``t``: each ``C_k z^-m``, ``m = 2k - 1``,
    contributes ``z^-m ((1 + t)^-m - 1 + m t) = z^-m t^2 u sum_{i < m} (m - i) u^i``, ``u = 1 /
    (1 + t)``, a sum of positive terms (``u / z = 1 / (z (1 + t))`` stays below 1/12)."""
    u = 1.0 / (1.0 + t)
    zinv = 1.0 / z
    zinv2 = zinv * zinv
    zpow = zinv
    power = 1.0 + 0.0 * u  # u^(m - 1)
    partial = power  # sum_{i < m} u^i
    poly = power  # sum_{i < m} (m - i) u^i
    corrections = _STIRLING[0] * zpow * poly
    for m in range(2, 2 * len(_STIRLING)):
        power = power * u
        partial = partial + power
        poly = poly + partial
        if m % 2:
            zpow = zpow * zinv2
            corrections = corrections + _STIRLING[m // 2] * zpow * poly
    return t * (t * u) * corrections  # (t u near 1 where t is large: t^2 overflowed beyond 1e154)


def product_difference(a: Array, b: Array, c: Array, e: Array) -> Array:
    """``a b - c e`` to a few ulps of the result however much the two products cancel
    (Dekker's exact products, by Veltkamp's splitting: no fused multiply-add is needed), for
    finite values below 2^995 in magnitude."""
    p, p_err = product(a, b)
    q, q_err = product(c, e)
    return (p - q) + (p_err - q_err)


# Taylor coefficients of (e^x - 1 - x) / x^2 = sum_k x^k / (k + 2)!: float64 round-off for |x| <= 1.
_EXPM1MX_WIDE_TERMS = tuple(1.0 / math.factorial(k) for k in range(2, 22))
# _EXPM1MX_WIDE_REACH[n - 1]: the largest |x| whose first n terms reach float64 round-off (the
# first omitted one, x^n / (n + 2)!, below 2^-57 of the leading 1/2).
_EXPM1MX_WIDE_REACH = tuple((2.0**-58 * math.factorial(n + 2)) ** (1.0 / n) for n in range(1, 21))


def _horner(coefficients: tuple[float, ...], x: Array) -> Array:
    """``sum_k coefficients[k] x^k``."""
    out = x * coefficients[-1] + coefficients[-2]
    for c in reversed(coefficients[:-2]):
        out = out * x + c
    return out


def _series_terms_for(x: np.ndarray) -> tuple[float, ...]:
    """The terms of ``(e^x - 1 - x) / x^2`` that the largest ``|x|`` (at most 1) needs, and one
    more: near ``alpha = 1`` a handful."""
    n = int(np.searchsorted(_EXPM1MX_WIDE_REACH, np.max(np.abs(x)))) + 2 if x.size else 2
    return _EXPM1MX_WIDE_TERMS[:n]


def weighted_expm1mx(w: Array, x: Array, xp: Any) -> Array:
    """``w (e^x - 1 - x)`` (>= 0) for ``w >= 0`` to full relative accuracy: a series for
    ``|x| <= 1``, ``w (expm1(x) - x)`` up to ``x = 30``, and beyond that ``exp(log w + x) -
    w (1 + x)``, which overflows only with the value itself (and is then capped just below the
    overflow: callers that can meet such values take them from logarithms). Every branch is
    evaluated at safe substitutes."""
    if is_numpy(xp):  # nothing differentiates NumPy: the series and the tail where needed only
        w, x = np.broadcast_arrays(w, x)
        small = np.abs(x) <= 1.0
        if small.all():
            return w * (x * x * _horner(_series_terms_for(x), x))
        capped = np.minimum(x, 30.0)
        out = np.asarray(np.expm1(capped))  # an array even for 0-d input, to write into
        out -= capped
        out *= w
        if small.any():
            xs = x[small]
            out[small] = w[small] * (xs * xs * _horner(_series_terms_for(xs), xs))
        big = (x > 30.0) & (w > 0)
        if big.any():
            wb, xb = w[big], x[big]
            out[big] = _exp_clipped(np.log(wb) + xb, xp) - wb * (1.0 + xb)
        return out if out.ndim else out[()]
    small = xp.abs(x) <= 1.0
    xs = where0(small, x, xp)
    series = _horner(_EXPM1MX_WIDE_TERMS, xs)
    big = (x > 30.0) & (w > 0)
    middle = ~small & ~big
    xm = substitute(middle, x, 2.0, xp)
    xb, wb = substitute(big, x, 31.0, xp), substitute(big, w, 1.0, xp)
    tail = _exp_clipped(xp.log(wb) + xb, xp) - wb * (1.0 + xb)
    return xp.where(small, w * (xs * xs * series), xp.where(big, tail, w * (xp.expm1(xm) - xm)))


def exp_cap(dtype: Any, xp: Any) -> float:
    """The largest exponent whose ``exp`` leaves room for sums below the overflow of ``dtype``
    (603 for float64, 75 for float32): beyond it the callers take a log-space route."""
    return 0.85 * math.log(float(xp.finfo(dtype).max))


def _exp_clipped(x: Array, xp: Any) -> Array:
    """``exp(x)``, finite: the exponent is capped just below the overflow of its dtype."""
    return xp.exp(xp.clip(x, None, 0.999 * math.log(float(xp.finfo(x.dtype).max))))
