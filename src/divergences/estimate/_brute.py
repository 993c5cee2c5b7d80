"""The brute-force backend of the neighbour queries: blocked matrix products for the
Euclidean norm in high dimension (or on a GPU), where KD-trees degrade to a slow scan.

One matrix product per block of queries gives ``|p|^2 - 2 q.p`` (the query's own ``|q|^2``
does not change which points are nearest); a cheap two-level filter keeps the candidates
(:func:`brute_kth`), and their distances are recomputed from coordinate differences. A
product cancels: identical points come out at a distance of 1e-8 and distinct close points
at 0. The returned distances are therefore always exact differences, and the filter keeps
every point the product's rounding could confuse with a true neighbour (a rigorous error
bound, not a guess at a margin). A point set's neighbours among its own points
(``exclude_self``) take square tiles of the symmetric matrix of squared distances instead,
each tile serving its rows and its columns (:func:`_self_kth`): half the products.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._array_api import _is_array, is_numpy, namespace, to_numpy

__all__ = ["as_host", "as_numpy", "brute_count", "brute_kth", "pool"]

_EPS = float(np.finfo(np.float64).eps)
_EPS32 = float(np.finfo(np.float32).eps)

_SINGLE_MAX_DIMENSION = 64  # float32 products up to here (beyond, distances concentrate and the band of candidates widens)

# One block's product: 32 MiB of float64. Quiet, 2^19-2^20 elements (in cache) are best,
# 1.2 ns per pair against 1.9 at 2^22; loaded, 2^22 is 2-7x faster than 2^19-2^20 (fewer
# calls, each waiting for OpenBLAS's threads): 4.5 against 9-32 ns per pair at n = 3 x 10^4.
_BLOCK_ELEMENTS_CPU = 1 << 22
_BLOCK_ELEMENTS_DEVICE = 1 << 26  # 512 MiB on a GPU, where launches, not memory, limit
_GROUPS_PER_SQRT = 2  # groups of the first filter per sqrt(k n)
_EXACT_ELEMENTS = 1 << 20  # coordinate differences recomputed at a time
# Self-queries: square tiles of about this side (a tile's product is 2^22 float32 elements,
# as a block's), and each tile's rows and columns dealt into this many groups (as many
# cheap minima as the filter needs; at most _SELF_MAX_K - 1 neighbours are asked for this way).
_SELF_TILE = 2048
_SELF_GROUPS = 256
_SELF_MAX_K = 32


_POOL: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The threads that build trees and run brute-force blocks side by side, one per core."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="divergences-neighbours")
    return _POOL


def as_host(x: Any) -> np.ndarray:
    """A float64 NumPy view or copy of ``x`` (tensors of other libraries are copied)."""
    return np.asarray(as_numpy(x), dtype=np.float64)


def as_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array of its own dtype (tensors are copied to the host)."""
    if isinstance(x, np.ndarray):
        return x
    return to_numpy(x) if _is_array(x) else np.asarray(x)


class _Products:
    """The matrix products of the brute force, in the points' array library.

    Coordinates are centred on the points' mean (smaller norms, less cancellation), and the
    product ``[q, 1] . [-2 p, |p|^2]`` gives ``h = |p|^2 - 2 q.p`` in one GEMM. ``tol`` bounds
    ``|h + |q|^2 - D|``, where ``D`` is the squared distance recomputed from differences, in
    the worst case: with ``S = |q|^2 + max |p|^2`` (centred), the product's dot products of
    ``d + 1`` terms are off by at most ``2 (d + 1) eps S``, the squared norms by ``d eps S``,
    ``D`` by ``2 (d + 2) eps S`` and centring by ``4 eps S``: in all ``(5 d + 12) eps S``,
    and ``tol = 8 (d + 4) eps S`` (typical errors are ``sqrt(d)`` times smaller).

    On NumPy in up to ``_SINGLE_MAX_DIMENSION`` dimensions the products run in float32 (BLAS's
    sgemm: 2.5x dgemm here, and half the memory to scan), with ``eps`` float32's: ``h`` only
    chooses candidates, whose distances are recomputed in float64, and rounding the centred
    coordinates to float32 adds at most ``4 eps S`` more, inside the same bound. The
    coordinates are first scaled by a power of two (exact) to a largest magnitude near 1, so
    that float32 neither overflows nor flushes them; ``h``, ``tol`` and ``sq_queries`` are
    in those units (a distance times ``unit`` is one in them).
    """

    def __init__(self, points: Any, queries: Any, pad_to: int) -> None:
        xp = namespace(points, queries)
        self.xp = xp
        pts = xp.astype(points, xp.float64) if points.dtype != xp.float64 else points
        qrs = xp.astype(queries, xp.float64) if queries.dtype != xp.float64 else queries
        centre = xp.mean(pts, axis=0)
        pts, qrs = pts - centre, qrs - centre
        n, d = pts.shape[0], pts.shape[1]
        single = is_numpy(xp) and d <= _SINGLE_MAX_DIMENSION
        self.unit = 1.0
        if single:
            top = max(float(np.max(np.abs(pts), initial=0.0)), float(np.max(np.abs(qrs), initial=0.0)))
            self.unit = math.ldexp(1.0, -max(-1000, math.frexp(top)[1])) if 0.0 < top < math.inf else 1.0
            pts, qrs = pts * self.unit, qrs * self.unit
        sq_points = xp.sum(pts * pts, axis=1)
        sq_queries = xp.sum(qrs * qrs, axis=1)
        right = xp.concat([-2.0 * pts, sq_points[:, None]], axis=1)
        if pad_to > n:  # padding points at infinity: h = inf, never a candidate
            pad = xp.zeros((pad_to - n, d + 1), dtype=xp.float64, device=_device(pts))
            pad[:, d] = math.inf
            right = xp.concat([right, pad], axis=0)
        self.right_t = xp.permute_dims(right, (1, 0))
        ones = xp.ones((qrs.shape[0], 1), dtype=xp.float64, device=_device(qrs))
        self.left = xp.concat([qrs, ones], axis=1)
        if single:
            self.right_t, self.left = self.right_t.astype(np.float32), self.left.astype(np.float32)
        self.sq_queries = as_host(sq_queries)
        max_sq = float(as_host(xp.max(sq_points)))
        eps = _EPS32 if single else _EPS
        self.tol = 8.0 * (d + 4) * eps * (self.sq_queries + max_sq)
        self.block = max(1, _block_elements(points) // max(pad_to, 1))

    def h(self, start: int, stop: int, exclude_self: bool, fill: float) -> Any:
        """``|p|^2 - 2 q.p`` for queries ``start:stop``; with ``exclude_self`` each query's own
        column is set to ``fill``."""
        xp = self.xp
        block = self.left[start:stop, :] @ self.right_t
        if exclude_self:
            rows = xp.arange(stop - start, device=_device(block))
            block[rows, rows + start] = fill
        return block


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, or None where it is not installed.

    The blocks of the brute force run on the cores in our own threads, one product each with
    one BLAS thread: OpenBLAS's own threads wait for each other and lose 2-10x on a shared,
    loaded machine (measured: d = 10, n = 10^4 self-queries 1.56 s with two BLAS threads,
    0.71 s with one, while another job ran), where independent blocks do not. Without
    threadpoolctl (scikit-learn brings it; the ``fast`` extra) the blocks run one after the
    other on BLAS's threads.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _over_blocks(n_queries: int, block: int, on_host: bool, work: Any) -> None:
    """``work(start, stop)`` over blocks of queries: on every core, one BLAS thread each, for
    NumPy input with threadpoolctl installed; otherwise in order."""
    workers = os.cpu_count() or 1
    controller = _blas_controller() if on_host and workers > 1 and n_queries > 1 else None
    if controller is not None:
        block = max(1, min(block, -(-n_queries // (2 * workers))))  # at least two blocks per core
    starts = range(0, n_queries, block)
    if controller is None or len(starts) < 2:
        for start in starts:
            work(start, min(start + block, n_queries))
        return
    with controller.limit(limits=1, user_api="blas"):
        for future in [pool().submit(work, start, min(start + block, n_queries)) for start in starts]:
            future.result()


def _device(x: Any) -> Any:
    return getattr(x, "device", None) if not isinstance(x, np.ndarray) else "cpu"


def _block_elements(x: Any) -> int:
    return _BLOCK_ELEMENTS_CPU if isinstance(x, np.ndarray) or str(_device(x)) == "cpu" else _BLOCK_ELEMENTS_DEVICE


def _exact(points: np.ndarray, queries: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Euclidean distances of the pairs ``(queries[rows], points[cols])`` from coordinate
    differences, in chunks of pairs (ties can make every pair of a block a candidate)."""
    out = np.empty(len(rows))
    step = max(1, _EXACT_ELEMENTS // points.shape[1])
    for i in range(0, len(rows), step):
        diff = queries[rows[i:i + step]] - points[cols[i:i + step]]
        out[i:i + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def brute_kth(points: Any, queries: Any, ks: list[int], exclude_self: bool) -> np.ndarray:
    """k-th neighbour distances by blocked products, a two-level filter and exact recomputation.

    The columns of a block of ``h`` (one row per query) are dealt into ``groups`` groups
    (column ``j`` to group ``j mod groups``). The minimum of each group is a point, so the
    ``c``-th smallest group minimum ``tau`` (``c`` the largest k) bounds the ``c``-th smallest
    ``h`` from above. Every point with ``h <= tau + 2 tol`` is a candidate: at least ``c``
    candidates have ``D <= tau + |q|^2 + tol`` and every other point has
    ``D > tau + |q|^2 + tol``, so the k nearest by exact distance are all candidates,
    duplicates and near-ties included. Only the few groups whose minimum passes the
    threshold are scanned: beyond the product, a block costs one pass (the minima).
    """
    n = points.shape[0]
    c = max(ks)
    # Groups balance sorting the minima (~groups per row) against scanning the c groups
    # that pass (~c n / groups per row). A group of one real point can hold only the query
    # itself, so at least c + 1 groups.
    groups = min(n, max(c + 1, _GROUPS_PER_SQRT * math.isqrt(c * n)))
    length = -(-n // groups)
    width = groups * length
    prod = _Products(points, queries, width)
    xp = prod.xp
    host_points, host_queries = as_host(points), as_host(queries)
    offsets = np.asarray(ks) - 1
    out = np.empty((host_queries.shape[0], len(ks)))

    def work(start: int, stop: int) -> None:
        rows_n = stop - start
        h = prod.h(start, stop, exclude_self, math.inf)
        minima = xp.min(xp.reshape(h, (rows_n, length, groups)), axis=1)
        threshold = _kth_smallest(xp, minima, c) + xp.asarray(2.0 * prod.tol[start:stop], device=_device(h))
        passing = _flat_nonzero(xp, minima <= threshold[:, None])
        g_rows, g_cols = passing // groups, passing % groups
        # the members of each passing group, as flat indices into h
        members = (g_rows * width + g_cols)[:, None] + xp.arange(0, width, groups, device=_device(h))[None, :]
        scanned = xp.reshape(xp.take(xp.reshape(h, (-1,)), xp.reshape(members, (-1,))), members.shape)
        hits = as_numpy(xp.reshape(members, (-1,))[_flat_nonzero(xp, scanned <= xp.take(threshold, g_rows)[:, None])])
        rows, cols = hits // width, hits % width
        dist = _exact(host_points, host_queries, rows + start, cols)
        order = np.lexsort((dist, rows))
        counts = np.bincount(rows, minlength=rows_n)
        first = np.cumsum(counts) - counts
        out[start:stop] = dist[order][first[:, None] + offsets[None, :]]

    _over_blocks(host_queries.shape[0], prod.block, isinstance(points, np.ndarray), work)
    return out


def brute_count(points: Any, queries: Any, r_eff: np.ndarray, exclude_self: bool) -> np.ndarray:
    """Counts of ``exact distance <= r_eff`` by blocked products: ``h`` decides every pair
    farther than ``tol`` from the boundary, the others are recomputed from differences."""
    n = points.shape[0]
    prod = _Products(points, queries, n)
    xp = prod.xp
    host_points, host_queries = as_host(points), as_host(queries)
    inside = r_eff >= 0
    scaled = r_eff * prod.unit
    sq = np.where(inside, scaled * scaled, -np.inf) - prod.sq_queries
    low, high = sq - prod.tol, sq + prod.tol
    counts = np.zeros(host_queries.shape[0], dtype=np.int64)

    def work(start: int, stop: int) -> None:
        h = prod.h(start, stop, exclude_self, math.nan)  # NaN: in no comparison
        lo = xp.asarray(low[start:stop, None], device=_device(h))
        hi = xp.asarray(high[start:stop, None], device=_device(h))
        counts[start:stop] += _count_rows(xp, h < lo)
        near = as_numpy(_flat_nonzero(xp, (h >= lo) & (h <= hi)))
        rows, cols = near // n, near % n
        dist = _exact(host_points, host_queries, rows + start, cols)
        counts[start:stop] += np.bincount(rows[dist <= r_eff[rows + start]], minlength=stop - start)

    _over_blocks(host_queries.shape[0], prod.block, isinstance(points, np.ndarray), work)
    return counts


def _kth_smallest(xp: Any, a: Any, c: int) -> Any:
    """The ``c``-th smallest entry of each row."""
    if c == 1:  # a reduction: a tenth of a partition's time
        return xp.min(a, axis=1)
    if is_numpy(xp):
        return np.partition(a, c - 1, axis=1)[:, c - 1]
    return xp.sort(a, axis=1)[:, c - 1]


def _flat_nonzero(xp: Any, mask: Any) -> Any:
    """Flat indices of the true entries (NumPy's 1-D search is ten times its 2-D one)."""
    return xp.nonzero(xp.reshape(mask, (-1,)))[0]


def _count_rows(xp: Any, mask: Any) -> np.ndarray:
    if is_numpy(xp):
        return np.count_nonzero(mask, axis=1)
    return as_numpy(xp.sum(xp.astype(mask, xp.int64), axis=1)).astype(np.int64)
