"""Counting a column into a few open bins, and its order statistics, in a pass or two over memory.

A drift profile needs, per column of ``n`` numbers, the values at a handful of ranks of the
sorted column (the reference's quantile edges) and the count of values in each open bin of
those edges, with the missing and infinite values counted apart. NumPy sorts the column
(22 ms for 10^6 values) and counts one comparison pass per edge (7 ms for 9 edges). With the
compiled kernels of numba (the ``fast`` extra, ``_tally_kernels``):

- :func:`tally` counts the bins, NaN, +inf and -inf in one pass (2.5 ms), each block of the
  column kept in cache while it is compared with every edge;
- :func:`order_statistics` selects exactly the values at given ranks without sorting the
  column (5-6 ms): a histogram of ``_FINE`` equal-width fine bins says which fine bins hold
  the ranks, only their values are gathered, and the selection recurses into them (over
  their own min and max) until a piece is small enough to sort. A fine bin is a monotone
  function of the value (``floor((v - lo) * scale)`` clipped to the grid, each operation
  rounding monotonically), so the fine bins' order is the values' order and the result is
  the exact order statistic. The top grid spans the range of a sorted sample around the
  ranks, not ``[min, max]``, so that a few far values do not squeeze the body of a heavy
  tail into one fine bin; a piece whose values share one fine bin still has its min below
  its max (or is constant), so every level splits it and the recursion ends.

Both engines give the same integers and the same order statistics. The compiled one runs from
``_MIN_COMPILED`` values on: loading it costs about a second once per process (a few seconds
the first time on a machine, to compile), which small columns would not win back; a process
that runs one job (the command line, :func:`one_shot`) loads it only for columns of 8 x 10^6
values and more. NumPy alone: ``DIVERGENCES_NUMBA=0``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

__all__ = ["codes", "compiled", "describe", "one_shot", "order_statistics", "tally"]

_MIN_COMPILED = 1 << 16  # values per column from which the compiled kernels pay for their loading
_MAX_COMPARED = 32  # edges up to which a pass compares each value with every edge
_SORTED = 1 << 13  # a piece of at most this many values is sorted
_FINE = 4096  # fine bins per level of the selection (at most 2^16: the kernels keep a value's bin in a uint16)
_SAMPLE = 1 << 14  # values of the sample that brackets the ranks
_MARGIN = 256  # ranks of the sample either side of the bracket (its rank error is at most sqrt(_SAMPLE) / 2)


@functools.cache
def compiled() -> Any:
    """The numba kernels (a namespace), or None where numba is not installed or
    ``DIVERGENCES_NUMBA=0`` asks for NumPy alone."""
    if os.environ.get("DIVERGENCES_NUMBA", "1") == "0":
        return None
    try:
        from . import _tally_kernels
    except ImportError:  # numba is absent
        return None
    return _tally_kernels


_ONE_SHOT = 1 << 23  # values per column from which a process that runs once wins back the load (about 1 s)


def one_shot() -> None:
    """This process runs one job (the command line): load the compiled kernels only for
    columns long enough to win back their loading in that job (8 x 10^6 values and more;
    at 10^6 values a column gains about 20 ms)."""
    global _MIN_COMPILED
    _MIN_COMPILED = max(_MIN_COMPILED, _ONE_SHOT)


def _engine(n: int) -> Any:
    return compiled() if n >= _MIN_COMPILED else None


def tally(values: np.ndarray, edges: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
    """Counts of the open bins ``(-inf, e_1], (e_1, e_2], ..., (e_k, +inf)`` of the finite
    ``values``, then of NaN, +inf and -inf: ``k + 4`` int64 counts that sum to ``values.size``;
    with ``groups`` (an int array like ``values``, each value's group in ``[0, n_groups)``),
    those counts per group, shape ``(n_groups, k + 4)``.

    ``values`` is a 1-D float64 array (any values); ``edges`` float64, finite, strictly
    increasing (maybe empty).
    """
    k = edges.size
    kernels = _engine(values.size)
    if kernels is not None and k <= _MAX_COMPARED:
        if groups is not None:
            return kernels.grouped_counts(values, edges, np.asarray(groups, dtype=np.int64), n_groups)
        above, nan, posinf, neginf = kernels.above_counts(values, edges)
        # +inf is above every edge, NaN and -inf above none: what remains is the finite values'
        finite = values.size - nan - posinf - neginf
        at_least = np.concatenate([[finite], above - posinf, [0]])
        return np.concatenate([-np.diff(at_least), [nan, posinf, neginf]]).astype(np.int64)
    if groups is not None:
        entries = codes(values, edges)
        return np.bincount(np.asarray(groups, dtype=np.int64) * (k + 4) + entries,
                           minlength=n_groups * (k + 4)).reshape(n_groups, k + 4)
    finite_values, specials = _finite_and_specials(values)
    inside: np.ndarray
    if k > _MAX_COMPARED:
        inside = np.bincount(np.searchsorted(edges, finite_values, side="left"), minlength=k + 1)
    else:  # #{v > e} per edge, one comparison pass each: no code per value, no bincount
        above = [finite_values.size] + [int(np.count_nonzero(finite_values > e)) for e in edges] + [0]
        inside = -np.diff(np.asarray(above, dtype=np.int64))
    return np.concatenate([inside, specials]).astype(np.int64)


def codes(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each value's entry of :func:`tally`'s counts: its bin, or ``k + 1``, ``k + 2``, ``k + 3``
    for NaN, +inf, -inf."""
    k = edges.size
    if k > _MAX_COMPARED:
        found = np.searchsorted(edges, values, side="left").astype(np.int64)  # NaN sorts last: k
    else:  # the count of edges below the value, one comparison per edge (+inf: k; NaN, -inf: 0)
        below = np.zeros(values.shape, dtype=np.uint8)
        for edge in edges:
            below += values > edge
        found = below.astype(np.int64)
    if not np.isfinite(values).all():
        found[np.isnan(values)] = k + 1
        found[np.isposinf(values)] = k + 2
        found[np.isneginf(values)] = k + 3
    return found


def describe(values: np.ndarray) -> tuple[int, int, int, float, float]:
    """How many of the 1-D float64 ``values`` are NaN, +inf and -inf, and the min and max of
    the finite ones (+inf and -inf where there is none): one pass compiled."""
    kernels = _engine(values.size)
    if kernels is not None:
        nan, posinf, neginf, lo, hi = kernels.describe(values)
        return int(nan), int(posinf), int(neginf), float(lo), float(hi)
    kept, (nan, posinf, neginf) = _finite_and_specials(values)
    lo, hi = (float(kept.min()), float(kept.max())) if kept.size else (np.inf, -np.inf)
    return nan, posinf, neginf, lo, hi


def _finite_and_specials(values: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """NumPy's way: the finite values (``values`` itself when all are) and the counts of NaN,
    +inf and -inf."""
    finite = np.isfinite(values)
    if finite.all():
        return values, [0, 0, 0]
    kept = values[finite]
    nan, posinf = int(np.count_nonzero(np.isnan(values))), int(np.count_nonzero(np.isposinf(values)))
    return kept, [nan, posinf, values.size - kept.size - nan - posinf]


def order_statistics(values: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """``numpy.sort(values)[ranks]``, exactly; without sorting ``values`` where the compiled
    kernels run.

    ``values`` is a 1-D float64 array of finite numbers; ``ranks`` int, in ``[0, n)``.
    """
    ranks = np.asarray(ranks, dtype=np.intp)
    kernels = _engine(values.size)
    if kernels is None:
        return np.sort(values)[ranks]
    wanted, where = np.unique(ranks.ravel(), return_inverse=True)
    found: np.ndarray = np.empty(wanted.size, dtype=np.float64)
    lo, hi = _bracket(values, wanted, kernels)
    _select(values, lo, hi, wanted, np.arange(wanted.size), found, kernels)
    return found[where.ravel()].reshape(ranks.shape)


def _bracket(values: np.ndarray, ranks: np.ndarray, kernels: Any) -> tuple[float, float]:
    """A range of values that likely holds the order statistics of ``ranks``: from a sorted
    sample of the column, a margin of twice the sample's rank error either side. The fine grid
    spans it, so a few far values do not squeeze the body into one fine bin (heavy tails); a
    rank outside it lands in an outer fine bin and is found there."""
    step = max(1, values.size // _SAMPLE)
    sample = np.sort(values[::step])
    m = sample.size
    position = ranks / values.size * m
    lo = sample[max(0, int(position[0]) - _MARGIN)]
    hi = sample[min(m - 1, int(position[-1]) + 1 + _MARGIN)]
    return (float(lo), float(hi)) if lo < hi else describe(values)[3:]


def _select(values: np.ndarray, lo: float, hi: float, ranks: np.ndarray, slots: np.ndarray,
            found: np.ndarray, kernels: Any) -> None:
    """``found[slots] = sorted(values)[ranks]``, with fine bins over ``[lo, hi]`` (``lo <= hi``;
    the outer bins take the values beyond)."""
    if lo == hi:  # ``lo < hi`` from a sample's bracket; equal only as a true min and max: constant
        found[slots] = lo
        return
    scale = _FINE / (hi - lo)
    if values.size <= _SORTED or not (np.isfinite(hi - lo) and np.isfinite(scale) and scale > 0.0):
        found[slots] = np.sort(values)[ranks]  # small, or a range that the fine grid cannot cut
        return
    hist, fine = kernels.histogram(values, lo, scale, _FINE)
    cum = np.cumsum(hist)
    bins = np.searchsorted(cum, ranks, side="right")  # the fine bin that holds each rank
    chosen = np.unique(bins)
    sizes = hist[chosen]
    starts = np.full(_FINE, -1, dtype=np.int64)
    starts[chosen] = np.cumsum(sizes) - sizes
    picked = kernels.gather(values, fine, starts, int(sizes.sum()))
    for b, start, size in zip(chosen, starts[chosen], sizes):
        here = bins == b
        piece = picked[start : start + size]
        first = int(cum[b] - hist[b])  # values in fine bins before b
        low, high = describe(piece)[3:]
        _select(piece, low, high, ranks[here] - first, slots[here], found, kernels)
