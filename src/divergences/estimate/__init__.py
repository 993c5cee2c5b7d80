"""Divergences and entropies estimated from samples.

This release has the k-nearest-neighbour estimators that the samples-against-a-density case
needs: :func:`entropy` (Kozachenko-Leonenko) and :func:`kl`, whose ``y`` may be a second
sample (Wang-Kulkarni-Verdu) or a distribution object with a known density, the readers'
"my P is only known by Monte Carlo samples and Q is N(0, 1)".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._validation import check_base
from ..distributions._scipy import as_distribution, is_distribution

__all__ = ["entropy", "kl"]


def _samples(x: object, name: str) -> np.ndarray:
    """``x`` as a float64 array of shape ``(n, d)``; 1-D input is n points in one dimension."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} must have shape (n,) or (n, d), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{name} contains NaN or inf")
    return arr


def _check_k(k: object, n: int, name: str) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInputError(f"k must be an integer >= 1, got {k!r}")
    if n <= k:
        raise InvalidInputError(f"{name} needs more than k = {k} points, got {n}")
    return int(k)


def _neighbour_distances(points: np.ndarray, queries: np.ndarray, k: int, *, self_excluded: bool) -> np.ndarray:
    """Distance from each query to its k-th nearest point (skipping the query itself when it is one)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    kk = k + 1 if self_excluded else k
    dist, _ = tree.query(queries, k=[kk], workers=-1)
    return dist[:, 0]


def _no_ties(dist: np.ndarray, name: str) -> None:
    zero = int(np.count_nonzero(dist == 0))
    if zero:
        raise InvalidInputError(
            f"{zero} point(s) of {name} have a repeated neighbour at distance 0 (repeated values): "
            "k-NN estimators need continuous data. Add noise at the data's resolution "
            "(dequantise), raise k, or use a discrete estimator on counts"
        )


def _prepare(x: object, method: object, base: object) -> tuple[np.ndarray, float]:
    """The checks every estimator shares: the samples ``x`` as ``(n, d)`` and ``log(base)``."""
    if method != "knn":
        raise InvalidInputError(f"method must be 'knn', got {method!r}")
    checked_base = check_base(base)
    return _samples(x, "x"), 1.0 if checked_base is None else math.log(checked_base)


def _log_unit_ball(d: int) -> float:
    return 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)


def entropy(x: Any, *, method: str = "knn", k: int = 1, base: float | None = None) -> float:
    r"""Differential entropy from samples by the Kozachenko-Leonenko k-NN estimator.

    :math:`\hat H = \psi(n) - \psi(k) + \log c_d + \frac{d}{n} \sum_i \log \varepsilon_i`,
    with :math:`\varepsilon_i` the Euclidean distance from :math:`x_i` to its k-th nearest
    neighbour and :math:`c_d` the volume of the unit ball.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of a continuous distribution.
    method : {"knn"}
        The estimator.
    k : int, default 1
        Which neighbour.
    base : float or None
        Logarithm base (``None``: nats).

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        Repeated points (a zero neighbour distance), NaN or inf, too few points, bad options.

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> x = np.random.default_rng(0).normal(size=20000)
    >>> round(dv.estimate.entropy(x, k=3), 2)  # 0.5 log(2 pi e) = 1.419
    1.42
    """
    from scipy.special import digamma

    pts, log_base = _prepare(x, method, base)
    n, d = pts.shape
    k = _check_k(k, n, "x")
    eps = _neighbour_distances(pts, pts, k, self_excluded=True)
    _no_ties(eps, "x")
    value = float(digamma(n) - digamma(k) + _log_unit_ball(d) + d * np.mean(np.log(eps)))
    return value / log_base


def kl(x: Any, y: Any, *, method: str = "knn", k: int = 1, base: float | None = None) -> float:
    r"""KL divergence :math:`KL(P \| Q)` from samples ``x`` of P, with Q given by samples or by its density.

    - ``y`` a sample of Q (shape ``(m,)`` or ``(m, d)``): the Wang-Kulkarni-Verdu (2009)
      k-NN estimator :math:`\frac{d}{n} \sum_i \log \frac{\nu_k(i)}{\rho_k(i)} + \log \frac{m}{n-1}`.
    - ``y`` a distribution object (``dv.Normal(0, 1)``, ``scipy.stats.norm()``, ...): the
      cross-entropy term is exact in expectation, :math:`-\frac{1}{n} \sum_i \log q(x_i)`, and
      only the entropy of P is estimated (Kozachenko-Leonenko), which is much less noisy than
      estimating both sides.

    Estimates can be slightly negative when P and Q are close; they are returned as they are.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P.
    y : array_like or distribution
        Samples of Q, or Q itself.
    method : {"knn"}
        The estimator.
    k : int, default 1
        Which neighbour.
    base : float or None
        Logarithm base (``None``: nats).

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        Repeated points, mismatched dimensions, NaN or inf, too few points, bad options.

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> x = np.random.default_rng(0).normal(0.0, 1.0, size=20000)  # samples of N(0, 1)
    >>> round(dv.estimate.kl(x, dv.Normal(1.0, 2.0), k=3), 2)  # exact: 0.443
    0.44
    """
    pts, log_base = _prepare(x, method, base)
    n, d = pts.shape
    if is_distribution(y):
        q = as_distribution(y, "y")
        if q.batch_shape:
            raise InvalidInputError(f"y must be a single distribution, got batch shape {q.batch_shape}")
        log_q = np.asarray(q.log_prob(pts[:, 0] if q.event_ndim == 0 else pts), dtype=np.float64)
        if q.event_ndim == 0 and d != 1:
            raise InvalidInputError(f"x has {d} dimensions but y is a one-dimensional distribution")
        value = -entropy(pts, k=k) - float(np.mean(log_q))
    else:
        other = _samples(y, "y")
        if other.shape[1] != d:
            raise InvalidInputError(f"x has {d} dimensions but y has {other.shape[1]}")
        m = other.shape[0]
        k = _check_k(k, min(n, m + 1), "x and y")
        rho = _neighbour_distances(pts, pts, k, self_excluded=True)
        _no_ties(rho, "x")
        nu = _neighbour_distances(other, pts, k, self_excluded=False)
        _no_ties(nu, "y (as neighbours of x)")
        value = float(d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1)))
    return value / log_base
