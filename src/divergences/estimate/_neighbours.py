"""Nearest-neighbour queries, the inner loop of every k-NN estimator.

Two questions are asked of a point set: how far is each query's k-th nearest point, and how
many points lie within a radius of each query. ``exclude_self`` means the queries are the
points themselves and each must not count as its own neighbour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["count_within", "kth_distances"]


def kth_distances(
    points: np.ndarray,
    queries: np.ndarray,
    k: int | Sequence[int],
    *,
    exclude_self: bool,
    p: float = 2.0,
) -> np.ndarray:
    """Distance (Minkowski ``p``, ``inf`` for the max-norm) from each query to its k-th nearest point.

    ``k`` an int gives shape ``(n_queries,)``; a sequence of ints gives ``(n_queries, len(k))``.
    """
    from scipy.spatial import cKDTree

    ks = [int(k)] if np.isscalar(k) else [int(j) for j in k]  # type: ignore[arg-type]
    shift = 1 if exclude_self else 0
    dist, _ = cKDTree(points).query(queries, k=[j + shift for j in ks], p=p, workers=-1)
    dist = np.asarray(dist, dtype=np.float64)
    return dist[:, 0] if np.isscalar(k) else dist


def count_within(
    points: np.ndarray,
    queries: np.ndarray,
    radius: np.ndarray,
    *,
    strict: bool,
    exclude_self: bool,
    p: float = 2.0,
) -> np.ndarray:
    """Number of points at distance ``< radius`` (``strict``) or ``<= radius`` from each query."""
    from scipy.spatial import cKDTree

    r = np.asarray(radius, dtype=np.float64)
    if strict:
        r = np.nextafter(r, 0.0)
    counts = cKDTree(points).query_ball_point(queries, r, p=p, return_length=True, workers=-1)
    counts = np.asarray(counts, dtype=np.int64)
    return counts - 1 if exclude_self else counts
