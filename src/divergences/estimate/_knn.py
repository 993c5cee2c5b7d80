"""k-nearest-neighbour estimators: Kozachenko-Leonenko entropy, Wang-Kulkarni-Verdu KL, k-NN JS,
and their bias-cancelling weighted ensembles over k = 1, ..., K (:mod:`._ensemble`).

Each turns neighbour distances into a local density estimate, ``p(x_i) ~ k / (n c_d rho^d)``;
the digamma terms make the log of that estimate unbiased in the limit. Inputs are validated
float64 arrays without repeated points (see ``_samples.resolve_ties``); results are in nats.
"""

from __future__ import annotations

import math

import numpy as np

from .._exceptions import InvalidInputError
from ._ensemble import knn_weights
from ._neighbours import count_within, kth_distances, shared_trees
from ._samples import check_k

__all__ = ["entropy", "entropy_weighted", "js", "kl", "kl_adaptive", "kl_weighted", "spacing_entropy"]


def _log_unit_ball(d: int) -> float:
    return 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)


def _nonzero(dist: np.ndarray, what: str) -> np.ndarray:
    """Distances that may be logged: a zero means a point of x repeats in the other sample."""
    zero = int(np.count_nonzero(dist == 0))
    if zero:
        raise InvalidInputError(
            f"{zero} point(s) of x also occur in {what} (k or more times): the k-NN estimate "
            "is -inf there. Pass ties='dequantise' for rounded data, or remove the shared points"
        )
    return dist


def entropy(x: np.ndarray, k: int) -> float:
    r""":math:`\psi(n) - \psi(k) + \log c_d + \frac{d}{n}\sum_i \log \rho_k(i)` (Euclidean balls)."""
    from scipy.special import digamma

    n, d = x.shape
    rho = kth_distances(x, x, k, exclude_self=True)
    return float(digamma(n) - digamma(k) + _log_unit_ball(d) + d * np.mean(np.log(rho)))


def entropy_weighted(x: np.ndarray, k: int) -> float:
    r"""Berrett, Samworth and Yuan (2019) weighted Kozachenko-Leonenko entropy over 1, ..., k neighbours.

    :math:`\sum_j w_j \hat H_j`, :math:`\hat H_j` the estimate of :func:`entropy` with j
    neighbours, the weights those of :func:`._ensemble.knn_weights`: they sum to 1 and price
    the bias terms :math:`\Gamma(j + 2l/d)/\Gamma(j)\, n^{-2l/d}` against the noise (the
    relaxed form of Berrett et al.'s exact constraints, which blow the weights up in high
    dimension). One search for the k nearest neighbours gives every j.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(2000, 20))
    >>> truth = 10 * np.log(2 * np.pi * np.e)  # N(0, I_20): 28.38
    >>> bool(abs(entropy_weighted(x, 32) - truth) < abs(entropy(x, 1) - truth))
    True
    """
    from scipy.special import digamma

    n, d = x.shape
    ks = np.arange(1, check_k(k, n, "x") + 1)  # here too for the bootstrap's subsamples
    rho = kth_distances(x, x, ks.tolist(), exclude_self=True)  # (n, k): column j - 1 is rho_j
    each = digamma(n) - digamma(ks) + _log_unit_ball(d) + d * np.mean(np.log(rho), axis=0)
    return float(each @ knn_weights(k, d, n))


def spacing_entropy(x: np.ndarray) -> float:
    r"""Ebrahimi, Pflughoeft and Soofi (1994) m-spacing entropy of a one-dimensional sample.

    :math:`rac1n \sum_i \log rac{n}{c_i m}(x_{(i+m)} - x_{(i-m)})` over the sorted sample,
    ends clamped, :math:`c_i` correcting the clamped windows at the ends, :math:`m = \lfloor\sqrt n + 1/2
floor`
    (``scipy.stats.differential_entropy(x, method="ebrahimi")``). In one dimension the
    spacings see the whole sample's order, not only the nearest point: RMSE measured over
    20 seeds, n = 1000 and 10^4, is 2-5x below k = 1 Kozachenko-Leonenko on U(0, 1), N(0, 1),
    Exp(1) and Beta(2, 5) (0.009 against 0.045 on U(0, 1) at n = 1000).
    """
    from scipy.stats import differential_entropy

    if x.shape[1] != 1:
        raise InvalidInputError(f"method='spacing' is for one-dimensional samples, got {x.shape[1]} dimensions")
    if x.shape[0] < 3:
        raise InvalidInputError(f"method='spacing' needs at least 3 points, got {x.shape[0]}")
    return float(differential_entropy(x[:, 0], method="ebrahimi"))


def kl(x: np.ndarray, y: np.ndarray, k: int) -> float:
    r"""Wang, Kulkarni & Verdu (2009): :math:`\frac{d}{n}\sum_i \log\frac{\nu_k(i)}{\rho_k(i)} + \log\frac{m}{n-1}`."""
    (n, d), m = x.shape, y.shape[0]
    with shared_trees(x, y):
        rho = kth_distances(x, x, k, exclude_self=True)
        nu = _nonzero(kth_distances(y, x, k, exclude_self=False), "y")
    return float(d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1)))


def kl_weighted(x: np.ndarray, y: np.ndarray, k: int) -> float:
    r"""Weighted ensemble of WKV estimates over 1, ..., k neighbours (Moon, Sricharan, Greenewald and Hero 2018).

    :math:`\sum_j w_j \hat D_j`, :math:`\hat D_j` the estimate of :func:`kl` with j
    neighbours in both samples. Both of its log-distance terms have the bias expansion of a
    k-NN entropy, so the weights of :func:`entropy_weighted` (for the smaller sample's size)
    cancel its leading terms as well. One search per sample for the k nearest neighbours
    gives every j.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(2000, 10)), rng.normal(0.5, 1.5, size=(2000, 10))
    >>> truth = 5 * (1 / 2.25 + 0.25 / 2.25 - 1 + np.log(2.25))  # 1.83
    >>> round(kl_weighted(x, y, 32), 2), round(kl(x, y, 1), 2)
    (2.0, 2.23)
    """
    (n, d), m = x.shape, y.shape[0]
    ks = list(range(1, check_k(k, min(n, m), "x and y") + 1))  # here too for the bootstrap's subsamples
    with shared_trees(x, y):
        rho = kth_distances(x, x, ks, exclude_self=True)
        nu = _nonzero(kth_distances(y, x, ks, exclude_self=False), "y")
    each = d * np.mean(np.log(nu / rho), axis=0) + math.log(m / (n - 1))
    return float(each @ knn_weights(k, d, min(n, m)))


def _kth_each(points: np.ndarray, queries: np.ndarray, ks: np.ndarray, *, offset: int) -> np.ndarray:
    """Distance from query i to its ``ks[i] + offset``-th nearest point, one search per distinct k."""
    out = np.empty(len(queries))
    for value in np.unique(ks):
        rows = ks == value
        out[rows] = kth_distances(points, queries[rows], int(value) + offset, exclude_self=False)
    return out


def kl_adaptive(x: np.ndarray, y: np.ndarray, k: int) -> float:
    r"""WKV (2009) with adaptive neighbour counts, less biased when P and Q differ in scale.

    :math:`\varepsilon_i = \max(\rho_k(i), \nu_k(i))`; :math:`l_i` and :math:`k_i` count the
    points of x (other than :math:`x_i`) and of y within :math:`\varepsilon_i`, and

    .. math:: \hat D = \frac{d}{n}\sum_i \log\frac{\nu_{k_i}(i)}{\rho_{l_i}(i)}
              + \frac{1}{n}\sum_i [\psi(l_i) - \psi(k_i)] + \log\frac{m}{n-1}.

    Both balls then reach the same radius, so the two local density estimates see the same
    neighbourhood and their biases cancel.
    """
    from scipy.special import digamma

    (n, d), m = x.shape, y.shape[0]
    with shared_trees(x, y):
        rho_k = kth_distances(x, x, k, exclude_self=True)
        nu_k = _nonzero(kth_distances(y, x, k, exclude_self=False), "y")
        eps = np.maximum(rho_k, nu_k)
        # A point at exactly eps is inside the ball (it defines it): count with <= .
        l_i = count_within(x, x, eps, strict=False, exclude_self=True)
        k_i = count_within(y, x, eps, strict=False, exclude_self=False)
        # Rounding in the ball count can differ from the k-NN search by one ulp; the defining
        # neighbour is always inside.
        l_i, k_i = np.maximum(l_i, k), np.maximum(k_i, k)
        # x_i is its own nearest point in x, so its l-th neighbour other than itself is the (l+1)-th.
        rho = _kth_each(x, x, l_i, offset=1)
        nu = _kth_each(y, x, k_i, offset=0)
    return float(
        d * np.mean(np.log(nu / rho)) + np.mean(digamma(l_i) - digamma(k_i)) + math.log(m / (n - 1))
    )


def js(x: np.ndarray, y: np.ndarray, k: int, rng: np.random.Generator) -> float:
    r"""Jensen-Shannon divergence as :math:`H(M) - \frac12 H(P) - \frac12 H(Q)`, each by Kozachenko-Leonenko.

    The pooled samples are a sample of :math:`M = \frac12 (P + Q)` when n = m; otherwise the
    larger sample is subsampled at random (``rng``) to the smaller size for the H(M) term
    only, so the weights stay 1/2 whatever n and m. Plugging k-NN density ratios into
    :math:`\log\frac{2p}{p+q}` instead is biased by Jensen's inequality (measured: -0.13 at
    k = 1 against the true 0.128 for N(0, 1) and N(1, 4)); the entropy biases cancel instead.
    """
    n, m = x.shape[0], y.shape[0]
    if n > m:
        x_m = x[rng.choice(n, size=m, replace=False)]
        pooled = np.concatenate([x_m, y])
    elif m > n:
        pooled = np.concatenate([x, y[rng.choice(m, size=n, replace=False)]])
    else:
        pooled = np.concatenate([x, y])
    shared = len(pooled) - len(np.unique(pooled, axis=0))
    if shared:
        raise InvalidInputError(
            f"{shared} point(s) occur in both x and y: the k-NN entropy of the pooled sample "
            "is -inf. Pass ties='dequantise' for rounded data, or remove the shared points"
        )
    with shared_trees(pooled, x, y):
        return entropy(pooled, k) - 0.5 * entropy(x, k) - 0.5 * entropy(y, k)
