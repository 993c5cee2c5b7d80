r"""Bias-cancelling weights for an ensemble of k-NN estimates over k = 1, ..., K.

The k-NN estimate of an entropy (Kozachenko-Leonenko) or of a KL divergence (Wang, Kulkarni
and Verdu) with ``k`` neighbours among ``n`` points has, for smooth densities, a bias

.. math:: \mathrm{bias}(k) \approx \sum_{l \ge 1} c_l \, \frac{\Gamma(k + 2l/d)}{\Gamma(k)} \, n^{-2l/d}

(Berrett, Samworth and Yuan 2019, Theorem 1), with constants :math:`c_l` that depend on the
unknown densities. A weighted average :math:`\sum_k w_k \hat H_k` with :math:`\sum_k w_k = 1`
and :math:`\sum_k w_k \Gamma(k + 2l/d) / \Gamma(k) = 0` removes the l-th term whatever
:math:`c_l`: the weighted estimators of Berrett, Samworth and Yuan for entropy and the
ensemble estimators of Sricharan, Wei and Hero (2013) and Moon, Sricharan, Greenewald and
Hero (2018) for divergences. One search for the K nearest neighbours gives every k's
distances, so the ensemble costs one k-NN estimate at k = K.

Solved exactly (:func:`weights` with ``scale=None``, Berrett et al.'s minimum-norm program)
the constraints are nearly collinear in high dimension, where :math:`2l/d` is small: at
d = 20 with the :math:`\lfloor d/4 \rfloor = 5` constraints the weights reach 1e3-1e5 and the
estimate's noise follows (RMSE 60-760 nats at n <= 10^4). :func:`knn_weights` solves the
relaxed program instead, in the spirit of Moon et al.'s: a bias term is not forced to 0 but
priced against the noise it would cost to remove,

.. math:: \min_w \; \|w\|_2^2 + \sum_l \big(\sqrt n \, n^{-2l/d} \sum_k w_k \psi_l(k)\big)^2
          \quad \text{subject to} \quad \sum_k w_k = 1,

:math:`\|w\|_2^2 / n` standing for the variance and the sum for the squared bias in units of
:math:`1/n`, with unit constants :math:`c_l` (Moon et al.'s :math:`\eta = 1`). A term far
below the noise (:math:`2l/d > 1/2`) costs nothing and is left; the leading ones are
cancelled up to the noise the weights add.
"""

from __future__ import annotations

import math

import numpy as np

from .._exceptions import InvalidInputError

__all__ = ["DEFAULT_K", "bias_basis", "bias_orders", "knn_weights", "weights"]

#: The default largest neighbour count K of the weighted estimators (measured in
#: ``docs/estimator-rmse.md``: K = 16-64 within the noise of each other at d <= 10, the
#: larger K better at d = 20).
DEFAULT_K = 32


def bias_orders(d: int) -> range:
    """The bias terms :math:`(k/n)^{2l/d}` the weights act on: l = 1, ..., max(1, floor(d/4)).

    Berrett et al. cancel the terms above the :math:`n^{-1/2}` noise, ``2l/d < 1/2``; in one to
    three dimensions the leading term is kept (it is below the noise and the relaxed program
    leaves it, so the weights spread over every k, which averages the noise).

    Examples
    --------
    >>> list(bias_orders(1)), list(bias_orders(10)), list(bias_orders(20))
    ([1], [1, 2], [1, 2, 3, 4, 5])
    """
    return range(1, max(1, d // 4) + 1)


def bias_basis(ks: np.ndarray, d: int, orders: range) -> np.ndarray:
    r"""The bias functions :math:`\psi_l(k) = \Gamma(k + 2l/d) / \Gamma(k)`, one row per order l.

    Examples
    --------
    >>> bias_basis(np.array([1, 2]), 2, range(1, 2))  # Gamma(k + 1) / Gamma(k) = k
    array([[1., 2.]])
    """
    from scipy.special import gammaln

    ks = np.asarray(ks, dtype=np.float64)
    return np.array([np.exp(gammaln(ks + 2 * order / d) - gammaln(ks)) for order in orders]).reshape(len(orders), len(ks))


def weights(basis: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    r"""Weights summing to 1 that cancel (``scale=None``) or price (``scale``) the bias functions.

    ``basis`` is ``(r, L)``: bias function i at ensemble member j. With ``scale=None`` the
    minimum-norm solution of :math:`\sum_j w_j = 1`, :math:`\sum_j w_j \psi_i(j) = 0`
    (Berrett, Samworth and Yuan's program); with ``scale`` (r non-negative numbers) the
    solution of :math:`\min \|w\|^2 + \sum_i (s_i \sum_j w_j \psi_i(j))^2` subject to
    :math:`\sum_j w_j = 1`, in closed form: :math:`w \propto (I + A^T A)^{-1} 1` with
    :math:`A = \mathrm{diag}(s)\,\psi`, computed through the r x r system of the Woodbury
    identity.

    Examples
    --------
    >>> basis = np.array([[1.0, 2.0, 3.0]])
    >>> w = weights(basis)
    >>> w.round(6).tolist(), bool(abs(w.sum() - 1) < 1e-12), bool(abs(basis @ w).max() < 1e-12)
    ([1.333333, 0.333333, -0.666667], True, True)
    >>> weights(basis, np.array([0.0])).round(6).tolist()  # no price on the bias: equal weights
    [0.333333, 0.333333, 0.333333]
    """
    basis = np.atleast_2d(np.asarray(basis, dtype=np.float64))
    r, size = basis.shape
    if scale is None:
        system = np.vstack([np.ones(size), basis])
        target = np.zeros(r + 1)
        target[0] = 1.0
        solution, _, rank, _ = np.linalg.lstsq(system, target, rcond=None)
        if rank < r + 1:
            raise InvalidInputError(
                f"the {r} bias constraints and the sum to one cannot all hold with {size} ensemble members: "
                "give a larger k"
            )
        return np.asarray(solution)
    a = np.asarray(scale, dtype=np.float64).reshape(r, 1) * basis
    ones = np.ones(size)
    u = ones - a.T @ np.linalg.solve(np.eye(r) + a @ a.T, a @ ones)
    return np.asarray(u / u.sum())


def knn_weights(k: int, d: int, n: int) -> np.ndarray:
    r"""The relaxed bias-cancelling weights of the k-NN estimates at 1, ..., ``k`` neighbours.

    ``d`` is the dimension and ``n`` the number of points (the smaller sample's for two
    samples); the bias term l is priced at :math:`s_l = n^{1/2 - 2l/d}`, its size against
    the :math:`n^{-1/2}` noise (see the module docstring). ``k = 1`` gives the single weight 1.

    Examples
    --------
    >>> w = knn_weights(32, 10, 1000)
    >>> round(float(w.sum()), 12), w.shape, bool(abs(w).max() < 5)
    (1.0, (32,), True)
    >>> knn_weights(1, 5, 100).tolist()
    [1.0]
    """
    if k < 1 or n < 2:
        raise InvalidInputError(f"k must be >= 1 with n >= 2 points, got k = {k}, n = {n}")
    orders = bias_orders(d)
    scale = np.array([math.exp((0.5 - 2 * order / d) * math.log(n)) for order in orders])
    return weights(bias_basis(np.arange(1, k + 1), d, orders), scale)
