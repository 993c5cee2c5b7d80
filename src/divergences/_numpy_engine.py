"""The NumPy fast path: cache-sized blocks, fused validation, all cores, full accuracy near p = q.

Each block of rows (of events, for a row longer than a block) is checked (minimum and sum),
scaled (``normalize``/``smoothing``) and reduced to per-row partial sums while in cache: the
data are read once, a row's partial sums are added, and extra memory is a few blocks per
thread however many and however long the rows. Blocks run on a thread pool (NumPy releases
the GIL); no BLAS call is made in the threads (OpenBLAS serialises them).

A ``log`` costs some 9 ns per element here, other ufuncs under one (SciPy's ``rel_entr``: 20
ns), so near ``p = q`` (drift, training) none is taken. With ``s = p + q``, ``w = (p - q)/s``,
a block whose every ``|w| <= 1/2`` takes the *near* path: each event's term is a series in
``w^2`` (as many terms as the block's largest ``|w|`` needs: five at 1% apart, one or two at
1e-6), all ``>= 0``, so their sum keeps full relative accuracy: KL's ``p log(p/q) - p + q =
(p - q) w (1 + (w + w^2) B(w^2))`` with ``sum(p - q)`` added exactly apart, JS's ``s w^2
J(w^2) / 4``, PSI's ``2 (p - q) w A(w^2)``. Other blocks take the *cheap* logarithmic form
(absolute error a few ulps of the scale): a row value above the table's ``trusted_above``
is kept, the others are recomputed on the *accurate* path, which chooses per event
(``np.where``) the series or the accurate logarithmic form with the zero conventions. Every
path measures a few ulps against mpmath. A thread first tries its previous block's path.
Hellinger and the (cross) entropy have one form, accurate as it is. No value is -0.0.

``scratch`` scopes hand out each thread's reusable memory for temporaries (pairwise
products use it), so that repeated calls do not pay for fresh pages.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._array_api import NUMPY
from ._special import sum_compensated

BLOCK_ELEMENTS = 1 << 18  # per operand: 2 MiB of float64 (finish_in_place's slabs)
# Events per block of the fast kernels (about eight temporaries): measured best of 2^13..2^17,
# where smaller blocks pay some 40 NumPy calls per block and larger ones leave the cache.
FAST_BLOCK_ELEMENTS = 1 << 16
KERNEL_BLOCK_ELEMENTS = 1 << 16  # the array-API kernels (some ten temporaries): blocks kept in cache
_PARALLEL_ELEMENTS = 1 << 17
_SHORT_ROWS = 32  # up to this row length einsum sums rows (no per-row cost)
SCRATCH_BYTES = 1 << 26  # reusable memory for temporaries kept per thread (see scratch)
_LOG2 = math.log(2.0)
_NEAR = 0.25  # the series run where w^2 <= 1/4
_TAIL = 2.0**-54  # relative truncation error of a series
_PROBE = 16  # a thread on the cheap path tries the near path again every _PROBE chunks of long rows
_POOL: ThreadPoolExecutor | None = None
# Reductions as ufunc methods: microseconds less per call than ``a.max()``, at ~40 calls a block.
_max, _min, _add = np.maximum.reduce, np.minimum.reduce, np.add.reduce


class _Arena(threading.local):
    """A thread's reusable float64 memory for temporaries, handed out as a stack."""

    def __init__(self) -> None:
        self.buffer = np.empty(0)
        self.used = 0  # elements handed out by the open scopes (may exceed the buffer)
        self.peak = 0  # the most handed out at once since the outermost scope opened
        self.depth = 0  # open scopes


_ARENA = _Arena()


class scratch:  # noqa: N801 (used as a function: ``with scratch():``)
    """A scope in which ``scratch_array`` hands out this thread's reusable memory.

    Fresh memory is expensive here: every 4 KiB page faults on first touch (some 3 ns per
    float64 on a virtual machine) and glibc gives large freed blocks back to the system, so
    a call allocating MiB of temporaries pays that every time (measured: 1.7 ms of 4 for a
    500 x 500 x 256 pairwise KL). Arrays taken in a scope are released when it closes, inner
    scopes first; the memory stays for the next call, up to ``SCRATCH_BYTES`` per thread. An
    array that outlives its scope must never be taken from here. (A class, not a generator:
    entered several times per call, it must cost little.)"""

    __slots__ = ("mark",)

    def __enter__(self) -> None:
        arena = _ARENA
        self.mark = arena.used
        arena.depth += 1

    def __exit__(self, *exc: object) -> None:
        arena = _ARENA
        arena.depth -= 1
        # The first scope to ask for more than the buffer holds sizes it for the next.
        if arena.depth == 0:
            if arena.buffer.size < arena.peak <= SCRATCH_BYTES // 8:
                arena.buffer = np.empty(arena.peak)
            arena.peak = 0
        arena.used = self.mark


def scratch_array(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """An uninitialised array of ``shape`` (float64, or a ``dtype`` of at most 8 bytes), from
    this thread's arena inside a ``scratch`` scope (new memory outside one, or where the
    arena is too small)."""
    arena = _ARENA
    if arena.depth == 0:
        return np.empty(shape, dtype=dtype)
    count = math.prod(shape)
    size = count if dtype is np.float64 else -(-count * np.dtype(dtype).itemsize // 8)  # float64 slots
    start = arena.used
    arena.used += size
    arena.peak = max(arena.peak, arena.used)
    if arena.used > arena.buffer.size:
        return np.empty(shape, dtype=dtype)
    return arena.buffer[start : arena.used].view(dtype)[:count].reshape(shape)


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="divergences")
    return _POOL


def parallel(work: Callable[[int, int], None], n: int, elements: int, grain: int = 1, balance: bool = False) -> None:
    """``work(start, stop)`` over ``range(n)`` split into one task per core (whole multiples
    of ``grain``), or in the calling thread when ``elements`` is too small to be worth it;
    ``balance``: one task per item, taken by whichever core is free (items of unequal cost)."""
    n_tasks = min(os.cpu_count() or 1, -(-n // grain)) if elements >= _PARALLEL_ELEMENTS else 1
    if n_tasks <= 1:
        work(0, n)
        return
    per_task = 1 if balance else -(-n // n_tasks)
    futures = [_pool().submit(work, s, min(s + per_task, n)) for s in range(0, n, per_task)]
    for f in futures:
        f.result()


def row_sums(a: np.ndarray) -> np.ndarray:
    """Sums over the last axis where their order does not matter. ``einsum`` is 2-10x faster
    than ``sum(axis=-1)`` (which pays per row); BLAS serialises calls from threads."""
    return np.einsum("...i->...", a)


def _sum(terms: np.ndarray) -> np.ndarray:
    """Row sums of terms, pairwise (error growing with log K); by ``einsum`` up to ``_SHORT_ROWS``."""
    return np.einsum("ij->i", terms) if terms.shape[-1] <= _SHORT_ROWS else _add(terms, axis=-1)


def weighted_row_sums(w: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """``sum(w * terms, axis=-1)``, overwriting ``terms``, where a zero weight makes its term
    exactly zero, so that ``0 * log 0`` counts as 0."""
    np.multiply(terms, w, out=terms)
    v = _sum(terms)
    nan_rows = np.flatnonzero(np.isnan(v))
    if nan_rows.size:
        # 0 * -inf is NaN: redo the rows that have one with the zero-weight terms dropped.
        v[nan_rows] = np.where((w[nan_rows] if w.shape[0] > 1 else w) == 0, 0.0, terms[nan_rows]).sum(axis=-1)
    return v


def _series(x2: np.ndarray, coefs: tuple[float, ...], n: int, out: np.ndarray) -> np.ndarray:
    """``sum_{k < n} coefs[k] x2^k`` by Horner's rule, into ``out``."""
    if n == 1:
        out.fill(coefs[0])
        return out
    np.multiply(x2, coefs[n - 1], out=out)
    out += coefs[n - 2]
    for c in reversed(coefs[: n - 2]):
        out *= x2
        out += c
    return out


def _log_ratio(p: np.ndarray, q: np.ndarray, both: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``log(p/q)`` into ``out`` where ``both`` (p, q > 0), accurate for a ratio far from 1:
    the quotient's log, or ``log p - log q`` where the quotient over- or underflows."""
    np.divide(p, q, out=out)
    bad = both & ~((out >= 2.2250738585072014e-308) & (out <= 4.4e307))
    np.log(out, out=out)
    if bad.any():
        out[bad] = np.log(np.broadcast_to(p, out.shape)[bad]) - np.log(np.broadcast_to(q, out.shape)[bad])
    return out


class Fast:
    """A fast kernel: ``partials(blocks, out, mode, mass)`` writes ``parts`` partial sums per row
    of a block of events into ``out`` (additive over a row's blocks), names the path taken (on
    ``"cheap"`` the last part is 1); ``mode``: ``"near"`` (series first), ``"far"`` (cheap) or
    ``"accurate"``; ``mass`` bounds ``sum(p) + sum(q)``. ``finish``: the values of totals."""

    parts = 1
    compensated = False  # parts 0 and 1 are terms and the exact high part of sum(p - q) (KL)
    nan_if_negative = False  # a negative entry makes the value NaN: no pass for the minimum
    partials: Callable[[list[np.ndarray], np.ndarray, str, float | None], str]

    def finish(self, totals: np.ndarray) -> np.ndarray:
        return totals[:, 0] + 0.0  # never -0.0

    def __call__(self, *blocks: np.ndarray) -> np.ndarray:
        """The values of the rows of 2-D float64 ``blocks`` (whole rows), accurate path."""
        part = np.empty((max(b.shape[0] for b in blocks), self.parts))
        with np.errstate(all="ignore"), scratch():
            self.partials(list(blocks), part, "accurate", None)
        return self.finish(part)


class _Series(Fast):
    """Pairs with a near path (``near``: the terms over ``scale`` from ``n`` terms of a series in
    ``w^2``), a cheap logarithmic one (``cheap``: row values) and an accurate choice per event
    (``far``: the accurate logarithmic terms over ``scale``, with the zero conventions)."""

    parts = 2
    coefs: tuple[float, ...] = ()  # the n-th is 1/(the n-th term's denominator) in each
    scale = 1.0
    near: Callable[..., np.ndarray]  # (s, x, w, x2, n, out); may overwrite x2
    cheap: Callable[[np.ndarray, np.ndarray, tuple[int, int]], np.ndarray]
    far: Callable[..., None]  # (p, q, s, x, out)

    def terms(self, x2max: float) -> int:
        """The terms that reach _TAIL where ``w^2 <= x2max`` (at most 25): the rest is below
        ``coefs[n] w^2n / (1 - w^2)`` of a term (KL's: times ``w + w^2`` over at least 0.9)."""
        w = math.sqrt(x2max)
        factor = (w + w * w) / (0.9 * (1.0 - w * w)) if self.compensated else 1.0 / (1.0 - w * w)
        return next(n for n in range(1, 60) if factor * self.coefs[n] * w ** (2 * n) <= _TAIL)

    def store(self, out: np.ndarray, terms: np.ndarray, s: np.ndarray, x: np.ndarray, w2: np.ndarray,
              mass: float | None) -> None:
        """The row sums of the terms into ``out`` (KL: with ``sum(p - q)``, by ``w2 = sum w^2``)."""
        out[:, 0] = _sum(terms) * self.scale

    def partials(self, blocks: list[np.ndarray], out: np.ndarray, mode: str, mass: float | None) -> str:
        p, q = blocks
        shape = (out.shape[0], p.shape[1])
        out[:, 1:] = 0.0
        if mode == "far":
            return self._cheap(p, q, shape, out)
        s, x, w, x2, t = list(scratch_array((5, *shape)))
        np.add(p, q, out=s)
        np.subtract(p, q, out=x)
        np.divide(x, s, out=w)
        x2max = _max(np.multiply(w, w, out=x2), axis=None)
        if x2max != x2max:  # NaN: p = q = 0 somewhere (there w is 0), or a NaN input
            np.maximum(s, 5e-324, out=s)
            np.divide(x, s, out=w)
            x2max = _max(np.multiply(w, w, out=x2), axis=None)
        w2 = row_sums(x2) if self.compensated else x2
        if x2max <= _NEAR:
            self.store(out, self.near(s, x, w, x2, self.terms(x2max), t), s, x, w2, mass)
            return "near"
        if mode != "accurate":
            return self._cheap(p, q, shape, out)
        near = np.less_equal(x2, _NEAR, out=scratch_array(shape, np.bool_))
        n = self.terms(_max(x2, axis=None, where=near, initial=0.0))
        np.copyto(w, 0.0, where=~near)
        self.far(p, q, s, x, far := scratch_array(shape))
        terms = self.near(s, x, w, np.multiply(w, w, out=x2), n, t)
        np.copyto(terms, far, where=~near)
        self.store(out, terms, s, x, w2, mass)
        return "accurate"

    def _cheap(self, p: np.ndarray, q: np.ndarray, shape: tuple[int, int], out: np.ndarray) -> str:
        out[:, 0] = self.cheap(p, q, shape)
        out[:, -1] = 1.0
        return "cheap"


class _KL(_Series):
    """Parts: terms ``p log(p/q) - p + q`` + low parts of ``p - q``, exact sum of the high parts, flag."""

    parts = 3
    compensated = True
    coefs = tuple(1.0 / (2 * k + 3) for k in range(60))  # B(y) = (atanh(sqrt y)/sqrt y - 1)/y

    def near(self, s: np.ndarray, x: np.ndarray, w: np.ndarray, x2: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
        b = _series(x2, self.coefs, n, out)  # (p - q) w (1 + (w + w^2) B(w^2))
        b *= np.add(w, x2, out=x2)
        b *= w
        b += w
        b *= x
        return b

    def store(self, out: np.ndarray, terms: np.ndarray, s: np.ndarray, x: np.ndarray, w2: np.ndarray,
              mass: float | None) -> None:
        # In a row every partial sum of x is at most sum|x| = sum |w| s <= sqrt(sum w^2) sum(s)
        # <= sigma / 2, so the parts of x above ulp(sigma)/2, (sigma + x) - sigma, add up exactly
        # in any order; the rest (below the ulp of the row's own sigma) goes with the terms.
        bound = np.sqrt(w2, out=w2)
        bound *= 2.0 * mass if mass is not None else 2.0 * row_sums(s)
        sigma = np.exp2(np.ceil(np.log2(bound, out=bound), out=bound), out=bound)[:, None]
        high = np.add(x, sigma, out=s)
        high -= sigma
        out[:, 1] = row_sums(high)
        terms += np.subtract(x, high, out=high)
        out[:, 0] = _sum(terms)

    def cheap(self, p: np.ndarray, q: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        r = np.divide(p, q, out=scratch_array(shape))
        return weighted_row_sums(np.broadcast_to(p, shape), np.log(r, out=r))

    def far(self, p: np.ndarray, q: np.ndarray, s: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        both = (p > 0) & (q > 0)
        _log_ratio(p, q, both, out)
        out *= p
        out -= x
        # p = 0 < q contributes q here (and -q to sum(p - q)); q = 0 < p makes it infinite.
        np.copyto(out, np.where(p > 0, math.inf, q), where=~both)

    def finish(self, totals: np.ndarray) -> np.ndarray:
        return _nonnegative(totals[:, 0] + totals[:, 1])


class _JS(_Series):
    coefs = tuple(1.0 / ((k + 1) * (2 * k + 1)) for k in range(60))  # (1+w)log(1+w) + (1-w)log(1-w) = w^2 J(w^2)
    scale = 0.25

    def near(self, s: np.ndarray, x: np.ndarray, w: np.ndarray, x2: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
        j = _series(x2, self.coefs, n, out)
        j *= x2
        j *= s
        return j

    def cheap(self, p: np.ndarray, q: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        # 2p/s = 1 + w, 2q/s = 1 - w: an event gives [p log1p(w) + q log1p(-w)] / 2, the halves
        # summed apart (a zero p or q makes only its own 0 * -inf).
        s, w, u, v = list(scratch_array((4, *shape)))
        np.subtract(p, q, out=w)
        w /= np.add(p, q, out=s)
        _log1p(w, True, u, s)
        _log1p(w, False, v, s)
        return (weighted_row_sums(np.broadcast_to(p, shape), u) + weighted_row_sums(np.broadcast_to(q, shape), v)) / 2.0

    def far(self, p: np.ndarray, q: np.ndarray, s: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        # 2p/s, not p/(s/2): halving a subnormal s would round it away.
        half = scratch_array(out.shape)
        for a, dest in ((p, out), (q, half)):
            np.multiply(a, 2.0, out=dest)
            dest /= s
            np.log(dest, out=dest)
            dest *= a
            np.copyto(dest, 0.0, where=np.broadcast_to(a, dest.shape) <= 0)
        out += half
        out *= 2.0  # [p log(2p/s) + q log(2q/s)] / 2 over the scale 1/4

    def finish(self, totals: np.ndarray) -> np.ndarray:
        return np.minimum(_nonnegative(totals[:, 0]), _LOG2)


class _PSI(_Series):
    coefs = tuple(1.0 / (2 * k + 1) for k in range(60))  # atanh(w) = w A(w^2)
    scale = 2.0

    def near(self, s: np.ndarray, x: np.ndarray, w: np.ndarray, x2: np.ndarray, n: int, out: np.ndarray) -> np.ndarray:
        a = _series(x2, self.coefs, n, out)
        a *= w
        a *= x
        return a

    def cheap(self, p: np.ndarray, q: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        r, x = list(scratch_array((2, *shape)))
        subnormal = np.fmin.reduce(np.divide(p, q, out=r), axis=None) < 2.2250738585072014e-308  # inexact log
        v = weighted_row_sums(np.subtract(p, q, out=x), np.log(r, out=r))
        return v + math.nan if subnormal else v  # NaN: recomputed on the accurate path

    def far(self, p: np.ndarray, q: np.ndarray, s: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        both = (p > 0) & (q > 0)
        _log_ratio(p, q, both, out)
        out *= x
        out /= 2.0  # over the scale 2
        np.copyto(out, np.where((p > 0) | (q > 0), math.inf, 0.0), where=~both)


class _Hellinger(Fast):
    """``1/2 sum d^2``, ``d = (p - q) / (sqrt p + sqrt q)`` (``sqrt p - sqrt q`` without its
    cancellation), as the accurate kernel: terms >= 0. The root sum is shifted by 1e-300 (d =
    0 where p = q = 0; a positive root sum is above 1e-162). The root of an entry < 0 is NaN."""

    nan_if_negative = True

    def partials(self, blocks: list[np.ndarray], out: np.ndarray, mode: str, mass: float | None) -> str:
        p, q = blocks
        roots, d = scratch_array((2, out.shape[0], p.shape[1]))
        np.sqrt(q, out=roots)
        roots += np.sqrt(p, out=d)
        roots += 1e-300
        np.subtract(p, q, out=d)
        d /= roots
        d *= d
        # Summed in the kernel's order (NumPy's pairwise sum): disjoint supports give exactly 1.
        out[:, 0] = _add(d, axis=-1)
        return "near"

    def finish(self, totals: np.ndarray) -> np.ndarray:
        return np.minimum(_nonnegative(totals[:, 0] / 2.0), 1.0)


class _CrossEntropy(Fast):
    """``-sum p log q`` (``log p`` for the entropy): terms of one sign, accurate as they are."""

    def partials(self, blocks: list[np.ndarray], out: np.ndarray, mode: str, mass: float | None) -> str:
        p, q = blocks[0], blocks[-1]
        shape = (out.shape[0], p.shape[1])
        logs = np.log(np.broadcast_to(q, shape), out=scratch_array(shape))
        out[:, 0] = weighted_row_sums(np.broadcast_to(p, shape), logs)
        return "near"

    def finish(self, totals: np.ndarray) -> np.ndarray:
        return 0.0 - totals[:, 0]  # never -0.0


def _log1p(w: np.ndarray, plus: bool, out: np.ndarray, c: np.ndarray) -> None:
    """``log1p(+-w)`` into ``out`` as ``log(u)``, ``u = 1 +- w`` rounded, plus that rounding error
    (exact: ``u - 1`` is) over ``u``: as accurate as ``log1p``, at the cost of ``log`` (half)."""
    (np.add if plus else np.subtract)(1.0, w, out=out)
    np.subtract(out, 1.0, out=c)
    (np.subtract if plus else np.add)(w, c, out=c)  # +-(w - (u - 1))
    c /= out
    np.log(out, out=out)
    (np.add if plus else np.subtract)(out, c, out=out)


def _nonnegative(v: np.ndarray) -> np.ndarray:
    """``max(v, 0)`` in place, as +0.0 where it is 0 (NaN stays)."""
    np.maximum(v, 0.0, out=v)
    v += 0.0  # -0.0 + 0.0 is +0.0
    return v


fast_kl = _KL()
fast_js = _JS()
fast_psi = _PSI()
fast_hellinger_squared = _Hellinger()
fast_cross_entropy = fast_entropy = _CrossEntropy()


def finish_in_place(values: np.ndarray, log_base: float | None, transform: Callable[..., Any] | None) -> None:
    """Divide ``values`` by ``log_base`` and apply ``transform`` (which takes ``out``), in
    place, a slab of the leading axis at a time on all cores: no temporaries."""
    if values.ndim == 0 or (log_base is None and transform is None):
        if log_base is not None:
            values /= log_base
        if transform is not None:
            values[...] = transform(values, NUMPY)
        return
    step = max(1, BLOCK_ELEMENTS // max(1, values[0].size))

    def work(lo: int, hi: int) -> None:
        for start in range(lo, hi, step):
            chunk = values[start : min(start + step, hi)]
            if log_base is not None:
                chunk /= log_base
            if transform is not None:
                transform(chunk, NUMPY, out=chunk)

    parallel(work, values.shape[0], values.size, grain=step)


class _Prepare:
    """Blocks made ready for a kernel: checked (as ``_validation.valid_mask``), shifted by the
    smoothing pseudocount, divided by their row sums with ``normalize``, in float64. ``mass``
    bounds ``sum(p) + sum(q)`` of a prepared row (None: unknown)."""

    def __init__(self, n_events: int, shift: float, normalize: bool, tolerance: float | None, skip_min: bool) -> None:
        self.n_events, self.shift, self.normalize, self.tolerance, self.skip_min = (
            n_events, shift, normalize, tolerance, skip_min)
        self.mass = None if tolerance is None and not normalize else 2.0 * (1.0 + (tolerance or 0.0)) + 1e-9

    def sums(self, a: np.ndarray) -> np.ndarray | None:
        """The row sums of ``a`` (shifted), or None for an entry < 0 or NaN, a sum not finite and
        positive (``normalize``) or not within the tolerance of 1."""
        sums = row_sums(a)
        if self.shift:
            sums += self.n_events * self.shift
        if self.tolerance is None or not (self.skip_min or _min(a, axis=None) >= 0):
            return sums if self.tolerance is None else None
        lo, hi = _min(sums), _max(sums)
        ok = (lo > 0 and hi < math.inf) if self.normalize else (lo >= 1.0 - self.tolerance and hi <= 1.0 + self.tolerance)
        return sums if ok else None

    def __call__(self, a: np.ndarray, sums: np.ndarray | None = None) -> np.ndarray | None:
        """The block (whole rows, checked here; or parts of rows whose ``sums`` are known)."""
        if sums is None and (self.tolerance is not None or self.normalize):
            sums = self.sums(a)
            if sums is None:
                return None
        a = np.asarray(a, dtype=np.float64)
        if self.shift:
            a = a + self.shift
        return a / sums[:, None] if self.normalize and sums is not None else a


def evaluate(
    kernel: Callable[..., Any],
    fast: Callable[..., Any] | None,
    trusted_above: float,
    arrays: Sequence[np.ndarray],
    *,
    params: Mapping[str, Any],
    shift: float,
    normalize: bool,
    tolerance: float | None,
    nan_if_negative: bool = False,
) -> np.ndarray | None:
    """One value per row of the 2-D ``arrays`` (each ``(R, K)`` or ``(1, K)``), in float64.

    ``shift`` (the smoothing pseudocount) is added to every entry and, with ``normalize``,
    each row is divided by its sum. With a ``tolerance`` every row is validated on the way
    (as in ``valid_mask``): the answer is ``None`` when any row is invalid, and the caller
    then locates the problem for its error message. ``nan_if_negative``: ``fast`` returns NaN
    for a row with a negative entry (no pass for the minimum). Without a ``Fast`` kernel,
    ``kernel`` (array API) runs on blocks of whole rows. Nothing of size R is allocated but
    the result."""
    if not isinstance(fast, Fast):
        prepare = _Prepare(arrays[0].shape[1], shift, normalize, tolerance, False)
        return _whole_rows(lambda *blocks: kernel(*blocks, xp=NUMPY, **params) + 0.0, arrays, prepare, -math.inf)
    prepare = _Prepare(arrays[0].shape[1], shift, normalize, tolerance, nan_if_negative or fast.nan_if_negative)
    if prepare.n_events <= FAST_BLOCK_ELEMENTS:
        return _whole_rows(fast, arrays, prepare, trusted_above)
    return _long_rows(fast, arrays, prepare, trusted_above)


def _whole_rows(fast: Callable[..., Any], arrays: Sequence[np.ndarray], prepare: _Prepare,
                trusted_above: float) -> np.ndarray | None:
    """Blocks of whole rows (``fast`` a ``Fast``, or a function of the blocks giving values, + 0.0
    so that never -0.0); rows of the cheap path below ``trusted_above`` recomputed accurately."""
    n_rows = max(a.shape[0] for a in arrays)
    per_block = max(1, (FAST_BLOCK_ELEMENTS if isinstance(fast, Fast) else KERNEL_BLOCK_ELEMENTS) // prepare.n_events)
    out = np.empty(n_rows)
    invalid: list[bool] = []  # list.append is atomic
    redo: list[np.ndarray] = []

    def block(index: slice | np.ndarray, mode: str) -> tuple[np.ndarray, str] | None:
        with scratch():  # the buffers in this thread's reused memory
            blocks = [prepare(a[index] if a.shape[0] > 1 else a) for a in arrays]
            if any(b is None for b in blocks):
                return None
            if not isinstance(fast, Fast):
                v, path = fast(*blocks), "exact"
            else:
                part = np.empty((max(b.shape[0] for b in blocks), fast.parts))  # type: ignore[union-attr]
                path = fast.partials(blocks, part, mode, prepare.mass)  # type: ignore[arg-type]
                v = fast.finish(part)
        out[index] = v
        return v, path

    def work(start: int, stop: int) -> None:
        mode = "near"
        with np.errstate(all="ignore"):
            for lo in range(start, stop, per_block):
                done = block(slice(lo, min(lo + per_block, stop)), mode)
                if done is None or (prepare.skip_min and prepare.tolerance is not None and np.isnan(done[0]).any()):
                    invalid.append(True)
                    return
                v, path = done
                cheap = path == "cheap"
                untrusted = ~((v >= trusted_above) & (v < math.inf)) if cheap else v < -math.inf
                redo.append(lo + np.flatnonzero(untrusted))
                mode = "far" if cheap and not untrusted.all() else "near"

    parallel(work, n_rows, n_rows * prepare.n_events, per_block)
    if invalid:
        return None
    rows = np.concatenate(redo) if redo else np.zeros(0, dtype=np.intp)
    if rows.size:  # rows the cheap form could not vouch for, on the accurate path

        def work_redo(start: int, stop: int) -> None:
            with np.errstate(all="ignore"):
                for lo in range(start, stop, per_block):
                    block(rows[lo : min(lo + per_block, stop)], "accurate")

        parallel(work_redo, rows.size, rows.size * prepare.n_events, per_block)
    return out


def _long_rows(fast: Fast, arrays: Sequence[np.ndarray], prepare: _Prepare, trusted_above: float) -> np.ndarray | None:
    """Rows longer than a block, cut into blocks of events (chunks) whose partial sums are
    totalled per row (``_totalled``): extra memory a few blocks per thread, however long."""
    n_rows, n_events = max(a.shape[0] for a in arrays), prepare.n_events
    n_chunks = -(-n_events // FAST_BLOCK_ELEMENTS)
    edges = [n_events * c // n_chunks for c in range(n_chunks + 1)]
    checked = prepare.tolerance is not None or prepare.normalize  # sums first: one read, no temporaries
    sums = [prepare.sums(a) if checked else None for a in arrays]
    if checked and any(s is None for s in sums):
        return None
    totals = np.zeros((n_rows, n_chunks, fast.parts))

    def run(items: np.ndarray | range, accurate: bool) -> Callable[[int, int], None]:
        def work(start: int, stop: int) -> None:
            mode = "accurate" if accurate else "near"
            with np.errstate(all="ignore"):
                for i in range(start, stop):
                    row, c = divmod(int(items[i]), n_chunks)
                    with scratch():
                        blocks = [prepare(a[r : r + 1, edges[c] : edges[c + 1]], None if s is None else s[r : r + 1])
                                  for a, s in zip(arrays, sums) for r in [row if a.shape[0] > 1 else 0]]
                        path = fast.partials(blocks, totals[row : row + 1, c], mode, prepare.mass)  # type: ignore[arg-type]
                    if not accurate:  # back to the near path after a cheap one every _PROBE chunks
                        mode = "far" if path == "cheap" and (i + 1) % _PROBE else "near"

        return work

    parallel(run(range(n_rows * n_chunks), False), n_rows * n_chunks, n_rows * n_events)
    values = _totalled(fast, totals)
    if prepare.skip_min and prepare.tolerance is not None and np.isnan(values).any():
        return None
    untrusted = np.flatnonzero((totals[:, :, -1].max(axis=1) > 0) & ~((values >= trusted_above) & (values < math.inf)))
    if fast.parts > 1 and untrusted.size:
        redo = (untrusted[:, None] * n_chunks + np.arange(n_chunks)).ravel()
        parallel(run(redo, True), redo.size, untrusted.size * n_events)
        values[untrusted] = _totalled(fast, totals[untrusted])
    return values


def _totalled(fast: Fast, totals: np.ndarray) -> np.ndarray:
    """The values of rows from the partial sums of their chunks, ``(rows, chunks, parts)``; the
    exact high parts of KL's ``sum(p - q)`` totalled exactly."""
    combined = totals.sum(axis=1)
    if fast.compensated:
        high, low = sum_compensated(totals[:, :, 1], NUMPY)
        combined[:, 0] += low
        combined[:, 1] = high
    return fast.finish(combined)
