"""Nearest-neighbour queries, the inner loop of every k-NN estimator.

Two questions are asked of a point set: how far is each query's k-th nearest point, and how
many points lie within a radius of each query. ``exclude_self`` means the queries are the
points themselves (the same array, row for row) and each must not count as its own
neighbour; it is dropped by its index, so a true duplicate of a query still shows at
distance 0 (the estimators detect ties by exact zeros).

Three backends answer them:

- on a line (one dimension, where every norm is ``|a - b|``), sorting: the k nearest of a
  query are among the k sorted points on each side of it, and a count within a radius is two
  binary searches, so KSG's marginal counts and 1-D entropies need no tree;
- a KD-tree (SciPy's ``cKDTree``, every core), fast in low dimension and for any norm;
- blocked brute force for the Euclidean norm in high dimension, where KD-trees degrade to a
  slow scan: one matrix product per block of queries gives ``|p|^2 - 2 q.p`` (the query's
  own ``|q|^2`` does not change which points are nearest), then a cheap two-level filter
  keeps the candidates (see :func:`_brute_kth`), and their distances are recomputed from
  coordinate differences. A product cancels: identical points come out at a distance of
  1e-8 and distinct close points at 0. The returned distances are therefore always exact
  differences, and the filter keeps every point the product's rounding could confuse with
  a true neighbour (a rigorous error bound, not a guess at a margin).

The backend is chosen by a measured crossover (:func:`_backend`). Tensors of another array
library (torch) run the brute force in that library, on its device (GPU included); results
are NumPy arrays.

Boundaries: a radius taken from :func:`kth_distances` must count the k-th neighbour itself
when ``strict=False`` and exclude it when ``strict=True``, whichever backend answers each
call. Euclidean distances computed in a different order differ by a few ulps, so for finite
``p`` a point counts as *at* the radius when its distance is within a relative ``_band(d)``
(a few dozen ulps) of it: ``strict=False`` counts distances ``<= radius * (1 + band)``,
``strict=True`` those ``<= radius * (1 - band)``. The max-norm (``p = inf``) needs no band: a
coordinate difference is rounded the same way everywhere, so counts are exact, ``<= radius``
and ``< radius``. A radius of 0 counts only exact duplicates (non-strict) or nothing
(strict); a negative radius counts nothing.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._array_api import _is_array, is_numpy, is_torch_array, namespace
from .._exceptions import InvalidInputError

__all__ = ["count_within", "kth_distances", "shared_trees"]

_EPS = float(np.finfo(np.float64).eps)
_EPS32 = float(np.finfo(np.float32).eps)
_TINY = float(np.finfo(np.float64).smallest_subnormal)
_HUGE = float(np.finfo(np.float64).max) / 16  # larger radii count everything: no overflow

# Crossover: brute force for p = 2 from dimension d_min(n), n the number of points.
# Measured on the project's shared 2-core AMD EPYC VM (OpenBLAS 0.3.31, 2 threads), self-
# queries of n standard normal points, k = 1, best of 3-15 runs alternating the two, at
# quiet moments and under load (other jobs: load average 4-6 on the 2 cores):
#   n       KD-tree ms by d                                          brute force ms, any d
#   1_000   d=4 0.8-6, d=5 2-18, d=6 2-10, d=8 2-18                    1.6-2.5 quiet, 17 loaded
#   3_000   d=5 9-22, d=6 9-32, d=8 20-72, d=10 70-95, d=12 52-194      17 quiet, 70-90 loaded
#   10_000  d=6 50-120, d=8 137-393, d=10 141-560, d=12 358-1506, d=14 1090-1510
#                                                                    120-130 quiet, 630-690 loaded
#   30_000  d=8 583-728, d=10 1557-2512, d=12 4056-5310, d=14 3485     1500 quiet, 5200-7400 loaded
# The brute force costs 1.2-1.6 ns per pair on the quiet machine, but OpenBLAS's two threads
# lose 4-10x of that when the cores are oversubscribed (each call waits for a descheduled
# thread; one thread, OPENBLAS_NUM_THREADS=1, stays near 1-4 ns), the tree only 1-3x. So the
# thresholds sit between the quiet crossover (d = 5, 6, 8, 10 at the four n) and the loaded
# one (d > 8, 10, 12, 12). d_min grows slowly with n: the tree's cost per query grows like
# log n in low dimension, the brute force's like n.
# The max-norm (KSG) stays on the tree: a blocked NumPy brute force (|a - b| per coordinate,
# running maximum, partition) took 3.1 s and 5.1 s against the tree's 0.46 s and 2.3 s at
# n = 10^4, d = 10 and 20 (no product to hand to BLAS).
# Not measured on a GPU (none was available): there the brute force runs from
# d = _DEVICE_MIN_DIMENSION (KD-trees win in 1-3 dimensions at any size).
# With the products in float32 (2026-12-06, same VM, loaded: load average 2.3-3), dv.estimate.kl
# of two samples of n points, tree / brute time: n = 3000: d = 6 0.65, d = 8 1.34; n = 10^4:
# d = 6 0.32, d = 8 0.78, d = 10 1.9; n = 3 x 10^4: d = 8 0.45, d = 10 1.19; n = 10^5: d = 10
# 0.88, d = 12 2.12.
_CROSSOVER: tuple[tuple[float, int], ...] = ((2_000, 6), (5_000, 8), (60_000, 10), (math.inf, 12))
_DEVICE_MIN_DIMENSION = 4
_SINGLE_MAX_DIMENSION = 64  # float32 products up to here (beyond, distances concentrate and the band of candidates widens)

# One block's product: 32 MiB of float64. Quiet, 2^19-2^20 elements (in cache) are best,
# 1.2 ns per pair against 1.9 at 2^22; loaded, 2^22 is 2-7x faster than 2^19-2^20 (fewer
# calls, each waiting for OpenBLAS's threads): 4.5 against 9-32 ns per pair at n = 3 x 10^4.
_BLOCK_ELEMENTS_CPU = 1 << 22
_BLOCK_ELEMENTS_DEVICE = 1 << 26  # 512 MiB on a GPU, where launches, not memory, limit
_GROUPS_PER_SQRT = 2  # groups of the first filter per sqrt(k n)
_EXACT_ELEMENTS = 1 << 20  # coordinate differences recomputed at a time


_LOCAL = threading.local()  # the trees of the estimate running in this thread
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """The threads that build trees and run brute-force blocks side by side, one per core."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="divergences-neighbours")
    return _POOL


@contextlib.contextmanager
def shared_trees(*arrays: Any, p: float = 2.0) -> Iterator[None]:
    """Within the block, queries against any of ``arrays`` reuse one KD-tree each, built at once.

    An estimator asks several questions of the same point sets (WKV: x against x and against
    y; the adaptive estimator and JS, more): one tree per set instead of one per question, and
    the trees are built side by side (``cKDTree`` releases the GIL while it builds), which is
    what puts the public estimators ahead of a plain KD-tree estimator. Arrays that another
    backend answers (a line, the brute force, a tensor) get no tree.
    """
    from scipy.spatial import cKDTree

    wanted = [a for a in arrays if isinstance(a, np.ndarray) and a.ndim == 2 and _backend(a, p) == "tree"]
    wanted = [a for i, a in enumerate(wanted) if all(a is not b for b in wanted[:i])]
    if len(wanted) > 1:
        trees = list(_pool().map(cKDTree, wanted))
    else:
        trees = [cKDTree(a) for a in wanted]
    previous = getattr(_LOCAL, "trees", None)
    _LOCAL.trees = [*zip(wanted, trees, strict=True), *(previous or [])]
    try:
        yield
    finally:
        _LOCAL.trees = previous


def _tree(points: np.ndarray) -> Any:
    """The shared tree of ``points`` (:func:`shared_trees`), or a new one."""
    for array, tree in getattr(_LOCAL, "trees", None) or ():
        if array is points:
            return tree
    from scipy.spatial import cKDTree

    return cKDTree(points)


def kth_distances(
    points: Any,
    queries: Any,
    k: int | Sequence[int],
    *,
    exclude_self: bool,
    p: float = 2.0,
) -> np.ndarray:
    """Distance (Minkowski ``p``, ``inf`` for the max-norm) from each query to its k-th nearest point.

    ``k`` an int gives shape ``(n_queries,)``; a sequence of ints gives ``(n_queries, len(k))``.
    ``points`` and ``queries`` are ``(n, d)`` float arrays, NumPy or both torch tensors; the
    result is a float64 NumPy array.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [3.0], [3.0]])
    >>> kth_distances(x, x, 1, exclude_self=True)
    array([1., 1., 0., 0.])
    >>> kth_distances(x, np.array([[0.5]]), [1, 3], exclude_self=False)
    array([[0.5, 2.5]])
    """
    scalar = isinstance(k, (int, np.integer))
    ks = [int(k)] if isinstance(k, (int, np.integer)) else [int(j) for j in k]
    points, queries = _inputs(points, queries)
    available = points.shape[0] - 1 if exclude_self else points.shape[0]
    if not ks or min(ks) < 1 or max(ks) > available:
        raise InvalidInputError(f"k must be between 1 and {available} (the points available), got {k!r}")
    backend = _backend(points, p)
    if backend == "line":
        dist = _line_kth(_host(points)[:, 0], _host(queries)[:, 0], ks, exclude_self)
    elif backend == "brute":
        dist = _brute_kth(points, queries, ks, exclude_self)
    else:
        shift = 1 if exclude_self else 0
        # With exclude_self the query itself is among its nearest at distance 0: asking for one
        # more neighbour and dropping one zero is dropping it, duplicates or not.
        found, _ = _tree(points).query(_host(queries), k=[j + shift for j in ks], p=p, workers=-1)
        dist = np.asarray(found, dtype=np.float64)
    return dist[:, 0] if scalar else dist


def count_within(
    points: Any,
    queries: Any,
    radius: Any,
    *,
    strict: bool,
    exclude_self: bool,
    p: float = 2.0,
) -> np.ndarray:
    """Number of points at distance ``< radius`` (``strict``) or ``<= radius`` from each query.

    ``radius`` is one number or one per query. For finite ``p`` the boundary is a relative
    band of a few dozen ulps (module docstring), so a radius read off :func:`kth_distances`
    counts the k-th neighbour itself when ``strict=False`` and not when ``strict=True``,
    whichever backend answers. For ``p = inf`` the comparison is exact.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [3.0], [3.0]])
    >>> r = kth_distances(x, x, 1, exclude_self=True)
    >>> count_within(x, x, r, strict=False, exclude_self=True)
    array([1, 1, 1, 1])
    >>> count_within(x, x, r, strict=True, exclude_self=True)
    array([0, 0, 0, 0])
    """
    points, queries = _inputs(points, queries)
    n_queries, d = queries.shape[0], queries.shape[1]
    r = np.broadcast_to(_host(radius), (n_queries,))
    if np.isnan(r).any():
        raise InvalidInputError("radius contains NaN")
    r_eff = _effective_radius(r, strict, d, p)
    backend = _backend(points, p)
    if backend == "line":
        return _line_count(_host(points)[:, 0], _host(queries)[:, 0], r_eff, exclude_self)
    if backend == "brute":
        return _brute_count(points, queries, r_eff, exclude_self)
    inside = r_eff >= 0
    counts = np.zeros(n_queries, dtype=np.int64)
    if inside.any():
        found = _tree(points).query_ball_point(
            _host(queries)[inside], r_eff[inside], p=p, return_length=True, workers=-1
        )
        # With exclude_self the query itself (distance 0 <= r_eff) was counted.
        counts[inside] = np.asarray(found, dtype=np.int64) - (1 if exclude_self else 0)
    return counts


# --------------------------------------------------------------------------- choices


def _band(d: int) -> float:
    """Relative width of the radius boundary for finite ``p``: Euclidean distances summed in
    another order (KD-tree, NumPy, a GPU) differ by at most about ``(d + 2) eps``."""
    return 8.0 * (d + 2) * _EPS


def _effective_radius(r: np.ndarray, strict: bool, d: int, p: float) -> np.ndarray:
    """The radius ``r_eff`` of the rule "count distances ``<= r_eff``" (-1: count none)."""
    if math.isinf(p):
        eff = np.where(r > 0, np.nextafter(r, 0.0), -1.0) if strict else np.array(r, dtype=np.float64)
    else:
        band = _band(d)
        eff = np.where(r > 0, r * (1.0 - band), -1.0) if strict else r * (1.0 + band)
    eff[eff < 0] = -1.0
    return eff


def _backend(points: Any, p: float) -> str:
    """``"line"`` in one dimension (sorting; any norm); ``"brute"`` for Euclidean queries in
    high dimension or on a GPU; else ``"tree"``."""
    n, d = points.shape
    if d == 1:
        return "line"
    if p != 2.0:
        return "tree"
    if not isinstance(points, np.ndarray) and str(points.device) != "cpu":
        return "brute" if d >= _DEVICE_MIN_DIMENSION else "tree"
    return "brute" if d >= next(dim for limit, dim in _CROSSOVER if n <= limit) else "tree"


def _inputs(points: Any, queries: Any) -> tuple[Any, Any]:
    """Both as torch tensors (the brute force runs in torch, on their device) or both as
    float64 NumPy arrays (any other array library is copied to the host)."""
    if is_torch_array(points) and is_torch_array(queries):
        return points.detach(), queries.detach()  # no autograd graph through the products
    return _host(points), _host(queries)


def _host(x: Any) -> np.ndarray:
    """A float64 NumPy view or copy of ``x`` (tensors of other libraries are copied)."""
    return np.asarray(_numpy(x), dtype=np.float64)


def _numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array of its own dtype (tensors are copied to the host)."""
    if isinstance(x, np.ndarray):
        return x
    from .._array_api import to_numpy

    return to_numpy(x) if _is_array(x) else np.asarray(x)


# --------------------------------------------------------------------------- one dimension


def _line_kth(points: np.ndarray, queries: np.ndarray, ks: list[int], exclude_self: bool) -> np.ndarray:
    """k-th neighbour distances on a line: the c = max(k) nearest of a query lie among the c
    sorted points on each side of it (|fl(s - q)| grows monotonically away from q, rounding
    included), so a window of 2c candidates per query replaces the tree. Every norm is
    ``|a - b|`` in one dimension, and ``sqrt(fl(x * x)) == |x|`` exactly."""
    c = max(ks)
    order = np.argsort(points, kind="stable")
    padded = np.concatenate([np.full(c, -np.inf), points[order], np.full(c, np.inf)])
    if exclude_self:  # the query's own sorted position, left out of its window
        rank = np.empty(len(points), dtype=np.intp)
        rank[order] = np.arange(len(points))
        window = rank[:, None] + c + np.concatenate([np.arange(-c, 0), np.arange(1, c + 1)])
    else:
        window = np.searchsorted(padded, queries)[:, None] + np.arange(-c, c)
    dist = np.abs(padded[window] - queries[:, None])
    dist.sort(axis=1)
    return dist[:, np.asarray(ks) - 1]


def _line_count(points: np.ndarray, queries: np.ndarray, r_eff: np.ndarray, exclude_self: bool) -> np.ndarray:
    """Counts of ``|fl(s - q)| <= r_eff`` on a line: the points with ``fl(s - q) <= r`` minus
    those with ``fl(s - q) < -r``, each a prefix of the sorted points."""
    s = np.sort(points)
    inside = r_eff >= 0
    r = np.where(inside, np.minimum(r_eff, _HUGE), 0.0)
    counts = _sorted_prefix(s, queries, r, np.less_equal) - _sorted_prefix(s, queries, -r, np.less)
    return np.where(inside, counts - (1 if exclude_self else 0), 0).astype(np.int64)


def _sorted_prefix(s: np.ndarray, q: np.ndarray, edge: np.ndarray, keep: Any) -> np.ndarray:
    """Length of the prefix of sorted ``s`` where ``keep(fl(s - q), edge)`` holds (a predicate
    that, ``fl`` being monotone, holds on a prefix). A binary search below ``q + edge`` by
    ``slack`` (a bound on the rounding of ``s - q`` and ``q + edge``) settles every point
    before it; from there on the points are tested directly, one distinct value at a time
    (equal values pass or fail together), until one fails: a step or two, as only values
    within the slack of the boundary can pass."""
    slack = 4.0 * _EPS * (np.abs(q) + np.abs(edge)) + _TINY
    counts = np.searchsorted(s, q + edge - slack, "left").astype(np.int64)
    active = np.flatnonzero(counts < len(s))
    while active.size:
        passed = keep(s[counts[active]] - q[active], edge[active])
        active = active[passed]
        counts[active] = np.searchsorted(s, s[counts[active]], "right")
        active = active[counts[active] < len(s)]
    return counts


# --------------------------------------------------------------------------- brute force


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
        self.sq_queries = _host(sq_queries)
        max_sq = float(_host(xp.max(sq_points)))
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
        for future in [_pool().submit(work, start, min(start + block, n_queries)) for start in starts]:
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


def _brute_kth(points: Any, queries: Any, ks: list[int], exclude_self: bool) -> np.ndarray:
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
    host_points, host_queries = _host(points), _host(queries)
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
        hits = _numpy(xp.reshape(members, (-1,))[_flat_nonzero(xp, scanned <= xp.take(threshold, g_rows)[:, None])])
        rows, cols = hits // width, hits % width
        dist = _exact(host_points, host_queries, rows + start, cols)
        order = np.lexsort((dist, rows))
        counts = np.bincount(rows, minlength=rows_n)
        first = np.cumsum(counts) - counts
        out[start:stop] = dist[order][first[:, None] + offsets[None, :]]

    _over_blocks(host_queries.shape[0], prod.block, isinstance(points, np.ndarray), work)
    return out


def _brute_count(points: Any, queries: Any, r_eff: np.ndarray, exclude_self: bool) -> np.ndarray:
    """Counts of ``exact distance <= r_eff`` by blocked products: ``h`` decides every pair
    farther than ``tol`` from the boundary, the others are recomputed from differences."""
    n = points.shape[0]
    prod = _Products(points, queries, n)
    xp = prod.xp
    host_points, host_queries = _host(points), _host(queries)
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
        near = _numpy(_flat_nonzero(xp, (h >= lo) & (h <= hi)))
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
    return _numpy(xp.sum(xp.astype(mask, xp.int64), axis=1)).astype(np.int64)
