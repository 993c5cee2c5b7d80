"""numba kernels of :mod:`divergences._tally` (the ``fast`` extra): imported only by
``_tally.compiled()``, never at the package's import.

Each is one pass over the column in blocks of ``_BLOCK`` values, a block small enough to
stay in the first-level cache while every edge is compared with it, so memory is read once
however many edges there are; the inner loops have no branch and vectorise. Compiled once
per machine (``cache=True``: about 1.5 s the first time, then loaded from numba's cache in
about half a second per process). No ``fastmath``: comparisons and the fine-bin arithmetic
must round exactly as NumPy's do.
"""

from __future__ import annotations

import numba
import numpy as np

_BLOCK = 2048


@numba.njit(nogil=True, cache=True, boundscheck=False)
def above_counts(values, edges):  # type: ignore[no-untyped-def]  # numba infers the types
    """``#{v > e}`` for each edge ``e`` (NaN above none, +inf above all), and the counts of
    NaN, +inf and -inf."""
    k, n = edges.size, values.size
    above = np.zeros(k, dtype=np.int64)
    nan = posinf = neginf = 0
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        for j in range(k):
            edge = edges[j]
            c = 0
            for i in range(start, stop):
                c += values[i] > edge
            above[j] += c
        a = b = d = 0
        for i in range(start, stop):
            v = values[i]
            a += v != v
            b += v == np.inf
            d += v == -np.inf
        nan += a
        posinf += b
        neginf += d
    return above, nan, posinf, neginf


@numba.njit(nogil=True, cache=True, boundscheck=False)
def grouped_counts(values, edges, groups, n_groups):  # type: ignore[no-untyped-def]
    """The ``(n_groups, k + 4)`` counts of :func:`divergences._tally.tally` per group
    (``groups[i]`` the group of ``values[i]``): each block's codes from one comparison loop per
    edge, then one increment per value."""
    k, n = edges.size, values.size
    width = k + 4
    out = np.zeros(n_groups * width, dtype=np.int64)
    code = np.empty(_BLOCK, dtype=np.int64)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        m = stop - start
        for i in range(m):
            code[i] = 0
        for j in range(k):
            edge = edges[j]
            for i in range(m):
                code[i] += values[start + i] > edge
        for i in range(m):
            v = values[start + i]
            c = code[i]
            if not v - v == 0.0:  # NaN, +inf, -inf: their own entries after the bins
                c = k + 1 if v != v else (k + 2 if v > 0 else k + 3)
            out[groups[start + i] * width + c] += 1
    return out.reshape(n_groups, width)


@numba.njit(nogil=True, cache=True, boundscheck=False)
def describe(values):  # type: ignore[no-untyped-def]
    """The counts of NaN, +inf and -inf, and the min and max of the finite values (+inf and
    -inf where there is none), in one pass."""
    nan = posinf = neginf = 0
    lo, hi = np.inf, -np.inf
    for i in range(values.size):
        v = values[i]
        if v - v == 0.0:  # finite
            lo = min(lo, v)
            hi = max(hi, v)
        elif v != v:
            nan += 1
        elif v > 0:
            posinf += 1
        else:
            neginf += 1
    return nan, posinf, neginf, lo, hi


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _fine_bins(values, start, stop, lo, scale, last, out):  # type: ignore[no-untyped-def]
    """``out[i] = floor((values[start + i] - lo) * scale)`` clipped to ``[0, last]`` (in floats
    first, so that no value far outside converts out of range): a loop that vectorises."""
    top = float(last)
    for i in range(stop - start):
        out[i] = np.int32(min(max((values[start + i] - lo) * scale, 0.0), top))


@numba.njit(nogil=True, cache=True, boundscheck=False)
def histogram(values, lo, scale, n_bins):  # type: ignore[no-untyped-def]
    """Counts of the fine bins of ``_fine_bins`` (the outer ones take the values beyond), and
    each value's fine bin (uint16: ``n_bins`` is at most 2^16), which :func:`gather` reads
    instead of computing it again."""
    hist = np.zeros(n_bins, dtype=np.int64)
    bins = np.empty(values.size, dtype=np.uint16)
    fine = np.empty(_BLOCK, dtype=np.int32)
    for start in range(0, values.size, _BLOCK):
        stop = min(start + _BLOCK, values.size)
        _fine_bins(values, start, stop, lo, scale, n_bins - 1, fine)
        for i in range(stop - start):
            b = fine[i]
            hist[b] += 1
            bins[start + i] = b
    return hist, bins


@numba.njit(nogil=True, cache=True, boundscheck=False)
def gather(values, bins, starts, size):  # type: ignore[no-untyped-def]
    """The ``size`` values of the chosen fine bins (``bins`` each value's, from :func:`histogram`),
    grouped by bin: bin ``b``'s values from ``starts[b]`` on (``starts[b] < 0``: not chosen)."""
    picked = np.empty(size, dtype=np.float64)
    cursor = starts.copy()
    for i in range(values.size):
        b = bins[i]
        if cursor[b] >= 0:
            picked[cursor[b]] = values[i]
            cursor[b] += 1
    return picked
