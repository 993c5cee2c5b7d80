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
  slow scan (``_brute``): matrix products choose candidates under a rigorous bound on their
  rounding, and the distances returned are always recomputed from coordinate differences.

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
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._array_api import is_torch_array
from .._exceptions import InvalidInputError
from ._brute import as_host as _host
from ._brute import brute_count, brute_kth, pool

__all__ = ["count_within", "kth_distances", "shared_trees"]

_EPS = float(np.finfo(np.float64).eps)
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
# The tree's cost grows with k and the brute force's hardly does (2026-12-06, same VM, quiet:
# tree / brute force time of the two searches of a KL estimate, two samples of n points):
#   n        d = 8: k = 1, 3, 10     d = 10: k = 1, 3, 10     d = 12: k = 1, 3, 10
#   10_000   0.93  1.21  1.65        2.03  2.63  3.26         3.75  4.67  5.44
#   30_000   0.43  0.65  0.97        1.09  1.63  2.20         2.16  3.01  4.04
#   100_000  0.36  0.55  0.85        1.04  1.59  2.46         2.59
# (d = 5 and 6: the tree wins by 1.5-10x at every k.) So from _MANY_NEIGHBOURS neighbours
# on, the third column's d_min applies.
_CROSSOVER: tuple[tuple[float, int, int], ...] = (
    (2_000, 6, 6), (5_000, 8, 8), (15_000, 10, 8), (60_000, 10, 10), (math.inf, 12, 10))
_MANY_NEIGHBOURS = 3
_DEVICE_MIN_DIMENSION = 4
_LOCAL = threading.local()  # the trees of the estimate running in this thread


@contextlib.contextmanager
def shared_trees(*arrays: Any, p: float = 2.0) -> Iterator[None]:
    """Within the block, queries against any of ``arrays`` reuse one KD-tree each, built at once.

    An estimator asks several questions of the same point sets (WKV: x against x and against
    y; the adaptive estimator and JS, more): one tree per set instead of one per question, and
    the trees are built side by side (``cKDTree`` releases the GIL while it builds), which is
    what puts the public estimators ahead of a plain KD-tree estimator. Arrays that another
    backend answers (a line, the brute force, a tensor) get no tree; one whose searches for
    many neighbours go to the brute force keeps its tree for the counts and k = 1.
    """
    from scipy.spatial import cKDTree

    wanted = [a for a in arrays if isinstance(a, np.ndarray) and a.ndim == 2 and _backend(a, p) == "tree"]
    wanted = [a for i, a in enumerate(wanted) if all(a is not b for b in wanted[:i])]
    if len(wanted) > 1:
        trees = list(pool().map(cKDTree, wanted))
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
    backend = _backend(points, p, max(ks))
    if backend == "line":
        dist = _line_kth(_host(points)[:, 0], _host(queries)[:, 0], ks, exclude_self)
    elif backend == "brute":
        dist = brute_kth(points, queries, ks, exclude_self)
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
        return brute_count(points, queries, r_eff, exclude_self)
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


def _backend(points: Any, p: float, k: int = 1) -> str:
    """``"line"`` in one dimension (sorting; any norm); ``"brute"`` for Euclidean queries in
    high dimension or on a GPU (from a lower dimension for ``k >= _MANY_NEIGHBOURS``
    neighbours); else ``"tree"``."""
    n, d = points.shape
    if d == 1:
        return "line"
    if p != 2.0:
        return "tree"
    if not isinstance(points, np.ndarray) and str(points.device) != "cpu":
        return "brute" if d >= _DEVICE_MIN_DIMENSION else "tree"
    few, many = next((few, many) for limit, few, many in _CROSSOVER if n <= limit)
    return "brute" if d >= (many if k >= _MANY_NEIGHBOURS else few) else "tree"


def _inputs(points: Any, queries: Any) -> tuple[Any, Any]:
    """Both as torch tensors (the brute force runs in torch, on their device) or both as
    float64 NumPy arrays (any other array library is copied to the host)."""
    if is_torch_array(points) and is_torch_array(queries):
        return points.detach(), queries.detach()  # no autograd graph through the products
    return _host(points), _host(queries)


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
