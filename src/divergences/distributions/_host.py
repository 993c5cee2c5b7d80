"""The closed forms' fast path: NumPy arithmetic in place, on the parameters' own memory.

Where a form's inputs are NumPy arrays, or torch tensors on the CPU that nothing
differentiates, :func:`host` hands back NumPy views of them (no copy) and a function that
turns a NumPy result back into the caller's library (a zero-copy ``torch.from_numpy``). The
form then computes its cheap formula with in-place NumPy operations (no fresh full-size
array per operation: on a batch of 10^5 an allocation costs as much as the arithmetic),
takes logarithms through :func:`log` (torch's vectorised ``log`` for torch input, twice as
fast as NumPy's), and :func:`fill` recomputes the exact near form on the few elements that
need it: one index array, gathered and written back by NumPy, which on small subsets costs a
fraction of torch's per-operation overhead. Everything else (gradients, GPUs, JAX, Dask,
``torch.compile``) keeps the array-API path of each form, whose values are the same.

An unbatched pair given as float64 NumPy scalars may take a form's twin on Python floats
(:func:`host` with ``scalars``, :func:`log`, :func:`fill`, :func:`bregman_float`): the same
operations in the same order at a tenth of NumPy's per-call cost.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import NUMPY
from .._numpy_engine import row_sums
from .._special import (
    _ATANH_NEAR_TERMS,
    _BREGMAN_NEAR,
    _RATIO_ATANH,
    _STIRLING,
    _STIRLING_SHIFT,
    RATIO_NEAR,
    _lgamma_bregman_near,
    series_terms,
)
from .._special import atanh_tail as _atanh_tail_any

__all__ = [
    "NUMPY", "RATIO_NEAR", "atanh_tail", "blockwise", "blockwise_into", "bregman", "bregman_float", "bregman_near", "bregman_near_float",
    "fill", "fill_finite", "heads", "horner", "host", "log", "log_range", "near_everywhere", "ratio_fill", "special",
    "within",
]

Array = Any
Back = Callable[[np.ndarray], Array]


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def host(kind: str | None, *arrays: Array, scalars: bool = False) -> tuple[list[Any], Back] | None:
    """NumPy views of ``arrays`` of one shape and one dtype, and the way back to their library,
    or None where the fast path does not apply (see the module docstring; ``kind`` from
    ``is_eager``). Zero-dimensional arrays are left to the caller's own path, but for float64
    NumPy scalars (an unbatched pair, see ``_dispatch._scalar_twin``) where the caller takes
    ``scalars``: Python floats then, and ``np.float64`` the way back (:func:`log`,
    :func:`fill` and :func:`ratio_fill` take them)."""
    first = arrays[0]
    shape, dtype = first.shape, first.dtype
    if not shape:
        if scalars and kind == "numpy" and all(type(a) is np.float64 for a in arrays):
            return [float(a) for a in arrays], np.float64
        return None
    if any(a.shape != shape or a.dtype != dtype for a in arrays):
        return None
    if kind == "numpy":
        if all(type(a) is np.ndarray for a in arrays):
            return list(arrays), _identity
        return None
    if kind != "torch":
        return None
    if first.device.type != "cpu" or any(a.requires_grad for a in arrays):
        return None
    try:
        views = [a.numpy() for a in arrays]
    except (RuntimeError, TypeError):  # a conjugate or negative view, a dtype NumPy lacks
        return None
    return views, sys.modules["torch"].from_numpy


def log(x: Any, back: Back, out: np.ndarray | None = None) -> Any:
    """``log(x)`` into ``out`` (a new array where None); by torch where ``back`` leads to it."""
    if back is np.float64:  # a Python float
        return math.log(x) if x > 0.0 else -math.inf if x == 0.0 else math.nan
    if out is None:
        out = np.empty_like(x)
    if back is _identity:
        with np.errstate(divide="ignore"):
            return np.log(x, out=out)
    torch = sys.modules["torch"]
    torch.log(torch.from_numpy(x), out=torch.from_numpy(out))
    return out


def special(name: str, x: np.ndarray, back: Back, out: np.ndarray | None = None) -> np.ndarray:
    """The special function ``name`` (``gammaln``, ``digamma``) of ``x`` into ``out`` (a new
    array where None), by the caller's library: SciPy for NumPy input, ``torch.special``
    (written into the NumPy memory) for torch input, the values its own path would give."""
    if out is None:
        out = np.empty_like(x)
    if back is _identity:
        import scipy.special

        getattr(scipy.special, name)(x, out=out)
        return out
    torch = sys.modules["torch"]
    getattr(torch.special, name)(torch.from_numpy(x), out=torch.from_numpy(out))
    return out


# Elements of the head that near_everywhere looks at before it takes a pass over the whole.
_PROBE = 64


def near_everywhere(a: np.ndarray, b: np.ndarray, low: float, high: float, d: np.ndarray | None = None) -> np.ndarray | None:
    """``x = (b - a) / a`` (``d / a`` where ``d = b - a`` is given) into a new array where every
    ``x`` lies in ``[low, high]``, else None: laws near each other throughout (a model and its
    update, a reference and a drifted window), where a form's series holds for every element
    and needs no logarithm. The first ``_PROBE`` elements (:func:`heads`) decide cheaply where
    they already leave the band, as for laws apart."""
    with np.errstate(all="ignore"):
        if a.size > _PROBE:  # (a batch no larger than the probe is tested whole, once)
            head_a, head_other = heads(a, b if d is None else d)
            if not within((head_other - head_a if d is None else head_other) / head_a, low, high):
                return None
        x = np.divide(d, a) if d is not None else np.subtract(b, a)
        if d is None:
            x /= a
        return x if within(x, low, high) else None


def heads(*arrays: np.ndarray) -> list[np.ndarray]:
    """The first ``_PROBE`` elements of each array (flat views): a probe of a batch."""
    return [a.reshape(-1)[:_PROBE] for a in arrays]


def within(x: np.ndarray, low: float, high: float) -> bool:
    """Whether ``x`` is not empty and every element lies in ``[low, high]`` (no NaN)."""
    return bool(x.size and x.min() >= low and x.max() <= high)


def horner(terms: tuple[float, ...], v: np.ndarray, count: int | None = None) -> np.ndarray:
    """``sum_k terms[k] v^k`` into a new array, in place, with the leading terms that the
    largest ``v`` (``>= 0``, a square) needs to reach the round-off of all of ``terms`` at the
    edge of their range (``count`` of them where given): laws nearly equal (``v`` about 1e-8)
    need three or four, not ten or more. The same operations, in the same order, as
    ``_special``'s Horner loops."""
    terms = terms[: max(2, series_terms(v, len(terms), NUMPY) if count is None else count)]
    poly = np.multiply(v, terms[-1])
    poly += terms[-2]
    for c in reversed(terms[:-2]):
        poly *= v
        poly += c
    return poly


def atanh_tail(x: Any) -> tuple[Any, Any]:
    """``_special.atanh_tail`` (``u = x / (2 + x)`` and ``2 (atanh(u) - u)``) in place on a
    NumPy array: two new arrays (and one passing), ``x`` kept, the series' terms by
    :func:`horner`. Anything else: ``_special.atanh_tail``."""
    if not isinstance(x, np.ndarray):
        return _atanh_tail_any(x)
    return _tail(x, _RATIO_ATANH, [])


def _tail(x: np.ndarray, terms: tuple[float, ...], count: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``u = x / (2 + x)`` and ``2 u^3 sum_k terms[k] u^2k``, ``2 (atanh(u) - u)`` to the
    ``terms`` given, as new arrays in place: the series' length from the largest ``u^2`` where
    ``count`` is empty (which then keeps it for calls on smaller ``x``), else ``count[0]``."""
    u = np.add(x, 2.0)
    np.divide(x, u, out=u)
    v = np.multiply(u, u)
    if not count:
        count.append(max(2, series_terms(v, len(terms), NUMPY)))
    poly = horner(terms, v, count[0])
    v *= u  # ((2 u) v) poly as _special's: the doubling is exact
    v *= 2.0
    v *= poly
    return u, v


# Elements of a block (:func:`blockwise`): eight float64 temporaries of this size fit in
# a core's L2 cache and the L3 it shares (measured: log Gamma's Bregman near form, some 300
# passes, on 10^6 elements in blocks of 2^15: 147 ms, against 573 in one piece).
_BLOCK = 1 << 15


def last_axis_sum(x: Any, xp: Any) -> Any:
    """``xp.sum(x, axis=-1)``; by ``einsum`` on NumPy arrays (a short row's sum pays per row:
    4x slower for rows of 10)."""
    if type(x) is np.ndarray and x.ndim:
        return row_sums(x)
    return xp.sum(x, axis=-1)


def blockwise(fn: Callable[..., np.ndarray], *arrays: np.ndarray, scale: int = 1) -> np.ndarray:
    """``fn(*arrays)`` for an elementwise ``fn`` of NumPy arrays of one shape, computed on
    blocks of ``scale * _BLOCK`` elements (flat views) where there are more than two of them,
    so that the many passes of a long form stay in cache. A short form whose patches cost a
    call per block takes a larger ``scale`` (measured: the plain Normal form, 4 for 10^6)."""
    first, block = arrays[0], scale * _BLOCK
    if first.size <= 2 * block:
        return fn(*arrays)
    flat = [a.reshape(-1) for a in arrays]
    head = fn(*(a[:block] for a in flat))
    out = np.empty(first.size, dtype=head.dtype)
    out[:block] = head
    for start in range(block, first.size, block):
        out[start : start + block] = fn(*(a[start : start + block] for a in flat))
    return out.reshape(first.shape)


def blockwise_into(fn: Callable[..., None], *arrays: np.ndarray) -> np.ndarray:
    """``fn(out, work, *arrays)`` for an elementwise form written in place into ``out`` with
    one scratch buffer ``work``, on blocks of ``_BLOCK`` elements (flat views) reusing one
    output and one scratch buffer: in a process whose freed memory goes back to the system
    (NumPy without torch) a full-size temporary costs page faults, some 8 arithmetic passes,
    and the blocks stay in cache."""
    first = arrays[0]
    out = np.empty(first.shape, dtype=first.dtype)
    flat_out, flat = out.reshape(-1), [a.reshape(-1) for a in arrays]
    work = np.empty(min(first.size, _BLOCK), dtype=first.dtype)
    for start in range(0, first.size, _BLOCK):
        block = flat_out[start : start + _BLOCK]
        fn(block, work[: block.size], *(a[start : start + _BLOCK] for a in flat))
    return out


def bregman_near(x: Any, d: Any) -> Any:
    """``_special._lgamma_bregman_near`` (``|d| <= x / 8``) in place on NumPy arrays: the same
    operations in the same order, a few buffers at a time instead of one per operation, in
    cache-sized blocks (:func:`blockwise`), and the terms of the ``log1pmx`` series that the
    largest ``|d / x|`` of a block needs (:func:`horner`): three or four between nearly equal
    laws. Python floats: :func:`bregman_near_float`; anything else: ``_special``'s."""
    if isinstance(x, float):
        return bregman_near_float(x, d)
    if not isinstance(x, np.ndarray):
        return _lgamma_bregman_near(x, d)
    return blockwise(_bregman_near_block, x, d)


def _bregman_near_block(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        t = np.divide(d, x)
        count: list[int] = []  # the first (largest) ratio's count serves the smaller ones too
        value = _log1pmx_host(t, count)
        np.negative(value, out=value)
        for k in range(1, _STIRLING_SHIFT):
            np.add(x, float(k), out=t)
            np.divide(d, t, out=t)
            value -= _log1pmx_host(t, count)
        z = np.add(x, float(_STIRLING_SHIFT))
        np.divide(d, z, out=t)
        lt = _log1pmx_host(t, count)
        # value + z (t^2 + (1 + t) lt) - lt / 2
        lead = np.add(t, 1.0)
        lead *= lt
        square = np.multiply(t, t)
        square += lead
        square *= z
        value += square
        lt *= 0.5
        value -= lt
        value += _stirling_bregman_host(z, t)
        return value


def _log1pmx_host(t: np.ndarray, count: list[int]) -> np.ndarray:
    """``_special._log1pmx_series(t)`` into a new array, in place; ``count`` holds the series'
    number of terms once the first call has set it."""
    u, v = _tail(t, _ATANH_NEAR_TERMS, count)
    u *= t  # ((2 u) u^2) poly - t u, as _special's
    v -= u
    return v


def _stirling_bregman_host(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``_special.stirling_bregman`` in place on NumPy arrays: the same operations in the same order."""
    u = np.add(t, 1.0)
    np.divide(1.0, u, out=u)
    zinv = np.divide(1.0, z)
    zinv2 = np.multiply(zinv, zinv)
    zpow = zinv
    power = np.ones_like(u)  # u^(m - 1)
    partial = np.ones_like(u)  # sum_{i < m} u^i
    poly = np.ones_like(u)  # sum_{i < m} (m - i) u^i
    corrections = np.multiply(zpow, _STIRLING[0])
    corrections *= poly
    work = np.empty_like(u)
    for m in range(2, 2 * len(_STIRLING)):
        power *= u
        partial += power
        poly += partial
        if m % 2:
            zpow *= zinv2
            np.multiply(zpow, _STIRLING[m // 2], out=work)
            work *= poly
            corrections += work
    out = np.multiply(t, u)
    out *= t
    out *= corrections
    return out


def bregman(x: np.ndarray, d: np.ndarray, back: Back, end: np.ndarray) -> np.ndarray:
    """``_special.lgamma_bregman(x, d, end=end)`` into a new array, in place: the difference
    ``lgamma(end) - lgamma(x) - d psi(x)`` (``end`` the parameter ``x + d`` itself, which the
    rounded sum loses where it is below ``x``'s rounding) by the caller's library
    (:func:`special`), the near form on the elements where ``0 < |d| <= x / 8`` only (an
    exact 0 where ``d = 0``); the near form alone where every element is near."""
    if not d.any():  # equal parameters throughout (Gamma laws of one shape): exact zeros
        return np.zeros_like(x)
    if near_everywhere(x, x, -_BREGMAN_NEAR, _BREGMAN_NEAR, d) is not None:  # no special function at all
        return bregman_near(x, d)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        out = special("gammaln", end, back)  # (a new array, written in place below)
        work = special("gammaln", x, back)
        out -= work
        special("digamma", x, back, out=work)
        work *= d
        out -= work
        np.divide(d, x, out=work)
        np.abs(work, out=work)
        near = work <= _BREGMAN_NEAR
        near &= d != 0.0
        return fill(out, near, bregman_near, (x, d), few=bregman_near_float)


def bregman_float(x: float, d: float, end: float) -> float:
    """:func:`bregman` on Python floats (an unbatched pair): the same forms, SciPy's special
    functions (those of NumPy input)."""
    if d == 0.0:
        return 0.0
    if abs(d / x) <= _BREGMAN_NEAR:
        return bregman_near_float(x, d)
    import scipy.special

    return (float(scipy.special.gammaln(end)) - float(scipy.special.gammaln(x))) - float(scipy.special.digamma(x)) * d


_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7 = _ATANH_NEAR_TERMS
_NEGLIGIBLE = 2.0**-60  # a Stirling term this far below the sum of those before it


def bregman_near_float(x: float, d: float) -> float:
    """``_special._lgamma_bregman_near`` on Python floats (``|d| <= x / 8``), within a few ulps
    of it at half the cost (an unbatched Gamma, Beta or Dirichlet pair takes one to eleven):
    the recurrence only up to ``z = x + k >= 12`` (none from 12 on), the ``log1pmx`` series
    written out, and Stirling's terms while they count."""
    value = 0.0
    k = 0
    z = x
    while True:
        t = d / z
        u = t / (2.0 + t)
        u2 = u * u
        lt = 2.0 * u * u2 * (((((((_C7 * u2 + _C6) * u2 + _C5) * u2 + _C4) * u2 + _C3) * u2 + _C2) * u2 + _C1) * u2
                             + _C0) - t * u  # log1pmx(t)
        if z >= _STIRLING_SHIFT:
            break
        value -= lt
        k += 1
        z = x + k
    value += z * (t * t + (1.0 + t) * lt) - 0.5 * lt
    u = 1.0 / (1.0 + t)  # Stirling's remainder, as _special.stirling_bregman
    zinv = 1.0 / z
    zinv2 = zinv * zinv
    zpow = zinv
    power = partial = poly = 1.0
    corrections = _STIRLING[0] * zpow
    for m in range(3, 2 * len(_STIRLING), 2):
        power *= u
        partial += power
        poly += partial
        power *= u
        partial += power
        poly += partial
        zpow *= zinv2
        term = _STIRLING[m // 2] * zpow * poly
        corrections += term
        if abs(term) <= _NEGLIGIBLE * corrections:
            break
    return value + t * t * u * corrections


_LOG_RANGE: dict[Any, float] = {}


def log_range(dtype: Any) -> float:
    """``-log`` of the smallest normal number of ``dtype`` (``|log r|`` beyond it puts ``r`` or
    ``1 / r`` out of the normal range, where its logarithm is inexact)."""
    value = _LOG_RANGE.get(dtype)
    if value is None:
        value = _LOG_RANGE[dtype] = -math.log(float(np.finfo(dtype).smallest_normal))
    return value


# At most this many elements to patch are evaluated one by one on Python floats where the
# form has such a twin (a NumPy call costs some 1.5 us whatever its size; a near form makes
# 20 to 300 of them).
_FEW = 8


def fill(out: np.ndarray, mask: np.ndarray, fn: Callable[..., np.ndarray], args: tuple[np.ndarray, ...],
         few: Callable[..., Any] | None = None) -> np.ndarray:
    """``out`` with ``fn(*args)`` written where ``mask`` holds, ``fn`` evaluated on those
    elements only (gathered through one index array); ``args`` have ``out``'s shape. Up to
    ``_FEW`` elements go one by one through ``few`` on Python floats where it is given (its
    values those of ``fn``; a None from it hands them all back to ``fn``). On Python floats
    (``host``'s scalars), ``fn(*args)`` or ``out``."""
    if not isinstance(out, np.ndarray):
        return fn(*args) if mask else out
    index = np.flatnonzero(mask)
    if index.size == out.size:  # every element, as between nearly equal laws: no gathers
        out[...] = fn(*args)
    elif index.size:
        flat = out.reshape(-1)  # a view: ``out`` is the form's own contiguous result
        columns = [a.reshape(-1).take(index) for a in args]
        if few is not None and index.size <= _FEW:
            values = [few(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]
            if None not in values:
                flat[index] = values
                return out
        flat[index] = fn(*columns)
    return out


def fill_finite(out: np.ndarray, mask: np.ndarray, fn: Callable[..., np.ndarray],
                args: tuple[np.ndarray, ...]) -> np.ndarray:
    """:func:`fill`, keeping ``out``'s value where ``fn``'s is not finite (an exact form whose
    intermediate products leave the range of doubles) and ``out``'s is not NaN; ``args`` may
    carry trailing event axes beyond ``out``'s shape (gathered along the batch)."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if not isinstance(out, np.ndarray):
            if not mask:
                return out
            value = fn(*args)
            return value if math.isfinite(value) else out
        index = np.flatnonzero(mask)
        if index.size:
            flat = out.reshape(-1)
            value = fn(*(a.reshape(-1, *a.shape[out.ndim:]).take(index, axis=0) for a in args))
            kept = flat[index]
            flat[index] = np.where(np.isfinite(value) | np.isnan(kept), value, kept)
    return out


def ratio_fill(out: np.ndarray, log_r: np.ndarray, near: Callable[..., np.ndarray],
               far: Callable[..., np.ndarray], args: tuple[np.ndarray, ...]) -> np.ndarray:
    """``out``, a plain form in a ratio ``r`` (``log_r = log r``, overwritten), with
    ``near(*args)`` where ``|log r| <= RATIO_NEAR`` (where it may have cancelled) and
    ``far(*args)`` where ``r`` is out of the normal range (its logarithm inexact: ``far``
    takes the logarithms of the parameters apart); each on those elements only."""
    if not isinstance(out, np.ndarray):  # Python floats
        size = abs(log_r)
        return near(*args) if size <= RATIO_NEAR else far(*args) if size >= log_range(np.float64) else out
    size = np.abs(log_r, out=log_r)
    fill(out, size <= RATIO_NEAR, near, args)
    limit = log_range(out.dtype)
    if not size.max() < limit:  # one reduction where, as nearly always, no ratio is that extreme
        fill(out, size >= limit, far, args)
    return out
