"""The NumPy fast path: cache-sized row blocks, fused validation, all cores.

SciPy's ``rel_entr`` is a scalar loop (about 20 ns per element); NumPy's SIMD ``log`` is an
order of magnitude faster. Each block of rows is small enough to stay in cache while it is
checked (minimum and sum), scaled (``normalize``/``smoothing``) and reduced, so the data
are read from memory once and extra memory is bounded by a block, not by the number of
distributions. Blocks run on a thread pool (NumPy releases the GIL). No BLAS call is made
in the threads: OpenBLAS serialises calls from several threads (measured: a matrix-vector
product gains nothing from a second thread, ``einsum`` and ufuncs gain 1.9x).

Fast kernels sum ``p log(p/q)``-style terms directly. Their absolute error is a few ulps
of 1 (KL) or of the total variation (JS, summed as ``p log1p(x) + q log1p(-x)``), so results
small enough for that to matter (and any inf) are recomputed with the accurate array-API
kernel of ``_kernels``. Measured against mpmath: within 4 ulps above the thresholds of
``_metadata`` (KL 0.1, JS 0.01). Hellinger's fast kernel is the accurate formula itself
(a sum of non-negative terms) with the buffers reused: always trusted.

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
from ._validation import valid_mask

BLOCK_ELEMENTS = 1 << 18  # per operand: 2 MiB of float64 (L2 size); measured best of 2^13..2^19
# The accurate kernels make about ten temporaries of a block: smaller blocks keep them in cache.
KERNEL_BLOCK_ELEMENTS = 1 << 16
_PARALLEL_ELEMENTS = 1 << 17
_SHORT_ROWS = 32  # up to this row length einsum sums rows (no per-row cost)
SCRATCH_BYTES = 1 << 26  # reusable memory for temporaries kept per thread (see scratch)
_LOG2 = math.log(2.0)
_POOL: ThreadPoolExecutor | None = None


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

    Fresh memory is expensive here: every 4 KiB page faults on first touch (about a
    microsecond on a virtual machine, some 3 ns per float64), and glibc gives large freed
    blocks back to the system, so a call that allocates a few MiB of temporaries pays that
    on every call (measured: 1.7 ms of 4 for a 500 x 500 x 256 pairwise KL, whose matrix
    product takes 1.3). Arrays taken in a scope are released when it closes, inner scopes
    first; the memory stays for the next call, up to ``SCRATCH_BYTES`` per thread. An array
    that outlives its scope must never be taken from here. (A class rather than a
    generator: entered several times per call, it must cost little.)"""

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


def parallel(work: Callable[[int, int], None], n: int, elements: int, grain: int = 1) -> None:
    """``work(start, stop)`` over ``range(n)`` split into one task per core (whole multiples
    of ``grain``), or in the calling thread when ``elements`` is too small to be worth it."""
    n_tasks = min(os.cpu_count() or 1, -(-n // grain)) if elements >= _PARALLEL_ELEMENTS else 1
    if n_tasks <= 1:
        work(0, n)
        return
    per_task = -(-n // n_tasks)
    futures = [_pool().submit(work, s, min(s + per_task, n)) for s in range(0, n, per_task)]
    for f in futures:
        f.result()


def row_sums(a: np.ndarray) -> np.ndarray:
    """Sums over the last axis, for validation, where a tolerance of sqrt(eps) makes the
    summation order irrelevant. ``einsum`` is 2-10x faster than ``sum(axis=-1)`` (which pays
    per row); BLAS (``a @ ones``) is faster still on one thread but serialises when threads
    call it together."""
    return np.einsum("ij->i", a)


def weighted_row_sums(w: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """``sum(w * terms, axis=-1)``, overwriting ``terms``, where a zero weight makes its term
    exactly zero, so that ``0 * log 0`` counts as 0.

    Rows longer than ``_SHORT_ROWS`` keep NumPy's pairwise summation, whose error grows with
    log K; shorter ones are summed by ``einsum``, which does not pay per row."""
    np.multiply(terms, w, out=terms)
    v = np.einsum("ij->i", terms) if terms.shape[-1] <= _SHORT_ROWS else terms.sum(axis=-1)
    nan_rows = np.flatnonzero(np.isnan(v))
    if nan_rows.size:
        # 0 * -inf is NaN: redo the rows that have one with the zero-weight terms dropped.
        wr = w[nan_rows] if w.shape[0] > 1 else w
        v[nan_rows] = np.where(wr == 0, 0.0, terms[nan_rows]).sum(axis=-1)
    return v


def fast_kl(p: np.ndarray, q: np.ndarray, buf: np.ndarray) -> np.ndarray:
    np.divide(p, q, out=buf)
    np.log(buf, out=buf)
    return weighted_row_sums(np.broadcast_to(p, buf.shape), buf)


def fast_cross_entropy(p: np.ndarray, q: np.ndarray, buf: np.ndarray) -> np.ndarray:
    np.log(np.broadcast_to(q, buf.shape), out=buf)
    return -weighted_row_sums(np.broadcast_to(p, buf.shape), buf)


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


def fast_entropy(p: np.ndarray, buf: np.ndarray) -> np.ndarray:
    np.log(p, out=buf)
    return -weighted_row_sums(p, buf)


def fast_js(p: np.ndarray, q: np.ndarray, buf: np.ndarray) -> np.ndarray:
    # With x = (p - q)/(p + q): 2p/(p+q) = 1 + x and 2q/(p+q) = 1 - x, so an event
    # contributes [p log1p(x) + q log1p(-x)] / 2.
    p, q = np.broadcast_to(p, buf.shape), np.broadcast_to(q, buf.shape)
    tmp = np.add(p, q, out=scratch_array(buf.shape))
    np.subtract(p, q, out=buf)
    np.divide(buf, tmp, out=buf)
    np.log1p(buf, out=tmp)
    np.negative(buf, out=buf)
    np.log1p(buf, out=buf)
    # Summed apart: a zero p (or q) makes only its own half 0 * -inf.
    return np.clip((weighted_row_sums(p, tmp) + weighted_row_sums(q, buf)) / 2.0, 0.0, _LOG2)


def fast_hellinger_squared(p: np.ndarray, q: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """``1/2 sum d^2`` with ``d = (p - q) / (sqrt p + sqrt q)`` (``sqrt p - sqrt q`` without
    its cancellation), as the accurate kernel computes it; every term is >= 0, so the sum
    keeps its relative accuracy. Where p = q = 0 the root sum is shifted by 1e-300 (d = 0
    there); any positive root sum is above 1e-162, so the shift is below its rounding."""
    p, q = np.broadcast_to(p, buf.shape), np.broadcast_to(q, buf.shape)
    roots = np.sqrt(q, out=scratch_array(buf.shape))
    roots += np.sqrt(p, out=buf)
    roots += 1e-300
    np.subtract(p, q, out=buf)
    buf /= roots
    buf *= buf
    # Summed in the kernel's order (NumPy's pairwise sum): disjoint supports give exactly 1.
    return np.clip(buf.sum(axis=-1) / 2.0, 0.0, 1.0)


def evaluate(
    kernel: Callable[..., Any],
    fast: Callable[..., np.ndarray] | None,
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
    then locates the problem for its error message. ``nan_if_negative`` says that ``fast``
    returns NaN for a row with a negative entry, which saves the pass for the minimum.
    Nothing of size R is allocated but the result.
    """
    n_rows = max(a.shape[0] for a in arrays)
    n_events = arrays[0].shape[1]
    rows_per_block = max(1, (KERNEL_BLOCK_ELEMENTS if fast is None else BLOCK_ELEMENTS) // n_events)
    out = np.empty(n_rows)
    skip_min = nan_if_negative and fast is not None
    invalid: list[bool] = []
    redo: list[np.ndarray] = []

    def prepare(a: np.ndarray) -> np.ndarray | None:
        """The block ready for a kernel, or None when validation fails."""
        if tolerance is not None or normalize:
            sums = row_sums(a) + n_events * shift
            if tolerance is not None and not valid_mask(
                0.0 if skip_min else a.min(), sums, normalize=normalize, tol=tolerance, xp=np
            ).all():
                return None
        a = np.asarray(a, dtype=np.float64)
        if shift:
            a = a + shift
        if normalize:
            a = a / sums[:, None]
        return a

    def rows(a: np.ndarray, index: slice | np.ndarray) -> np.ndarray:
        return a[index] if a.shape[0] > 1 else a

    def work(start: int, stop: int) -> None:
        with np.errstate(all="ignore"), scratch():  # the buffers in this thread's reused memory
            buf = scratch_array((min(rows_per_block, stop - start), n_events))
            for lo in range(start, stop, rows_per_block):
                hi = min(lo + rows_per_block, stop)
                blocks = [prepare(rows(a, slice(lo, hi))) for a in arrays]
                if any(b is None for b in blocks):
                    invalid.append(True)  # list.append is atomic
                    return
                if fast is None:
                    out[lo:hi] = kernel(*blocks, xp=NUMPY, **params)
                    continue
                with scratch():  # what the fast kernel takes, for this block only
                    v = fast(*blocks, buf[: hi - lo])
                if skip_min and tolerance is not None and np.isnan(v).any():
                    invalid.append(True)
                    return
                out[lo:hi] = v
                untrusted = ~((v >= trusted_above) & (v < math.inf))
                if untrusted.any():
                    redo.append(lo + np.flatnonzero(untrusted))

    parallel(work, n_rows, n_rows * n_events, rows_per_block)
    if invalid:
        return None
    if redo:
        # Rows the fast kernel could not vouch for, recomputed together (few kernel calls).
        all_redo = np.concatenate(redo)
        kernel_rows = max(1, KERNEL_BLOCK_ELEMENTS // n_events)
        for start in range(0, all_redo.size, kernel_rows):
            idx = all_redo[start : start + kernel_rows]
            blocks = [prepare(rows(a, idx)) for a in arrays]
            with np.errstate(all="ignore"):
                out[idx] = kernel(*blocks, xp=NUMPY, **params)
    return out
