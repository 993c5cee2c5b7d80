"""Histogram plug-in estimators: KL, JS and differential entropy from counts on common cells.

Both samples are counted on the same grid of cells (one set of bin edges per dimension, by
:func:`divergences._binning.edges`), so the divergence of the two count vectors estimates the
divergence of the two densities: the cell widths cancel in KL and JS. Only occupied cells are
stored (:func:`divergences._binning.occupied_counts`), so a grid of millions of cells costs
memory in proportion to the number of points, not cells.

Plug-in estimates are biased, on top of the discretisation bias of the bin width: entropy
low by about ``(K - 1) / (2 n)`` for K occupied cells (Miller-Madow), KL high by about
``(K - 1) / (2 n) + sum_j p_j / (2 m q_j)`` (about ``K / n`` for close P and Q, n = m), JS
high by a quarter of that. Keep the number of points well above the number of cells. A cell
with points of ``x`` and none of ``y`` makes the plug-in KL ``+inf``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from .._binning import BIN_RULES, MAX_CELLS, cell_codes, check_bins, edges, occupied_counts
from .._exceptions import InvalidInputError
from .._options import parse

# The binning lives in divergences._binning; edges, check_bins and the limits are re-exported
# here because they are part of what this module's estimators accept.
__all__ = ["BIAS_WARNING", "BIN_RULES", "MAX_CELLS", "check_bins", "edges", "entropy", "js", "kl"]


def _sum_over_cells(
    term: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray, y: np.ndarray, bins: object, smoothing: object,
) -> float:
    """``sum_j term(p_j, q_j)`` over the grid, with ``smoothing`` added to every cell's counts.

    The cells empty in both samples all have the same smoothed probabilities, so they are
    summed in one product instead of being stored.
    """
    alpha = parse(None, smoothing=smoothing).shift
    grid = edges(x, y, bins)
    cx, cy = occupied_counts(x, y, grid)
    _warn_of_bias(term, cx, cy, x.shape[1])
    n_cells = math.prod(len(e) - 1 for e in grid)
    px, qy = x.shape[0] + alpha * n_cells, y.shape[0] + alpha * n_cells
    total = math.fsum(term((cx + alpha) / px, (cy + alpha) / qy))
    empty = n_cells - cx.size
    if alpha > 0 and empty:
        total += empty * float(term(np.array([alpha / px]), np.array([alpha / qy]))[0])
    return total


#: Above this many nats of estimated plug-in bias, a histogram divergence says so.
BIAS_WARNING = 0.01


def _warn_of_bias(term: Callable[..., np.ndarray], cx: np.ndarray, cy: np.ndarray, d: int) -> None:
    """Warn when the cells are too many for the points: the plug-in's first-order bias (Miller-Madow).

    With K occupied cells and n points a plug-in entropy is low by about (K - 1) / (2 n);
    JS = H(M) - H(P)/2 - H(Q)/2 is then high by about (K_x - 1)/(4 n) + (K_y - 1)/(4 m) -
    (K - 1)/(2 (n + m)), KL by about (K_x - 1)/(2 n) + (K_x - 1)/(2 m) for close P and Q.
    """
    n, m = float(cx.sum()), float(cy.sum())
    kx, ky, k = int(np.count_nonzero(cx)), int(np.count_nonzero(cy)), int(np.count_nonzero(cx + cy))
    if term is _js_terms:
        bias, name = (kx - 1) / (4 * n) + (ky - 1) / (4 * m) - (k - 1) / (2 * (n + m)), "JS"
    else:
        bias, name = (kx - 1) / (2 * n) + (kx - 1) / (2 * m), "KL"
    if bias > BIAS_WARNING:
        warnings.warn(
            f"the histogram has {k} occupied cells for {int(n)} and {int(m)} points in {d} dimension(s): "
            f"the plug-in {name} is biased high by {bias:.3f} nats or more (the first-order term); use fewer bins or "
            "method='knn' (or 'kde') in more than one dimension",
            UserWarning,
            stacklevel=2,
        )


def _kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    from scipy.special import kl_div
    # p log(p/q) - p + q: each term >= 0 and the extra terms sum to 0, so the total cannot
    # come out negative through cancellation; q = 0 < p gives +inf.
    return kl_div(p, q)


def _js_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    from scipy.special import kl_div
    m = 0.5 * (p + q)
    return 0.5 * (kl_div(p, m) + kl_div(q, m))


def kl(x: np.ndarray, y: np.ndarray, bins: object = None, smoothing: object = None) -> float:
    r"""Plug-in :math:`KL(P \| Q) = \sum_j p_j \log(p_j / q_j)` of the cell frequencies of ``x`` and ``y``.

    ``bins`` is any choice of :func:`edges` (default ``"fd"`` on the pooled samples).

    ``smoothing`` ``None``: a cell holding points of ``x`` and none of ``y`` gives ``+inf``.
    That is the honest plug-in answer (the sample of Q put no mass where P has some), not a
    failure; pass ``smoothing`` (a pseudo-count such as 0.5, added to every cell of the grid
    for both samples) for a finite, biased value, or use coarser bins. With many cells the
    pseudo-counts carry real mass (``smoothing * cells`` against ``n`` points): keep it small.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.uniform(0, 1, (20000, 1)), rng.uniform(0, 2, (20000, 1))
    >>> round(kl(x, y, bins=np.linspace(0, 2, 21)), 2)  # log 2 = 0.693
    0.7
    >>> kl(y, x, bins=np.linspace(0, 2, 21))
    inf
    """
    return _sum_over_cells(_kl_terms, x, y, bins, smoothing)


def js(x: np.ndarray, y: np.ndarray, bins: object = None, smoothing: object = None) -> float:
    r"""Plug-in Jensen-Shannon divergence of the cell frequencies, in ``[0, log 2]``, equal weights.

    :math:`\frac12 KL(p \| m) + \frac12 KL(q \| m)` with :math:`m = (p + q) / 2`; always finite.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[0.1], [0.2]]), np.array([[0.8], [0.9]])
    >>> round(js(x, y, bins=np.array([0.0, 0.5, 1.0])), 6)  # disjoint: log 2
    0.693147
    """
    return _sum_over_cells(_js_terms, x, y, bins, smoothing)


def entropy(x: np.ndarray, bins: object = None, *, miller_madow: bool = False) -> float:
    r"""Differential entropy of the histogram density, :math:`-\sum_j p_j \log(p_j / v_j)`.

    :math:`p_j` is the fraction of points in cell j and :math:`v_j` its volume (width in one
    dimension). Biases: the plug-in sum is low by about ``(K - 1) / (2 n)`` nats for K
    occupied cells, which ``miller_madow=True`` adds back (Miller 1955); spreading each cell's
    mass evenly over the cell raises the entropy by about ``h^2 J / 24`` for width ``h`` and
    Fisher information ``J`` (small for the default rule). The bias left is of order
    ``K / n^2`` plus the discretisation term: keep ``n`` well above the number of cells.

    Raises
    ------
    InvalidInputError
        Invalid ``bins`` or a dimension in which every point has the same value (the
        differential entropy is then ``-inf`` and the histogram has no width to use).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(20000, 1))
    >>> round(entropy(x, miller_madow=True), 2)  # 0.5 log(2 pi e) = 1.419
    1.42
    """
    if not isinstance(miller_madow, (bool, np.bool_)):
        raise InvalidInputError(f"miller_madow must be True or False, got {miller_madow!r}")
    constant = [j for j in range(x.shape[1]) if np.ptp(x[:, j]) == 0]
    if constant and not isinstance(check_bins(bins, x.shape[1]), list):
        raise InvalidInputError(
            f"x takes a single value in dimension {constant[0]}: its differential entropy is -inf"
        )
    grid = edges(x, None, bins)
    cells, counts = np.unique(cell_codes(x, grid), return_counts=True)
    index = np.unravel_index(cells, tuple(len(e) - 1 for e in grid))
    log_volume = sum(np.log(np.diff(e))[i] for e, i in zip(grid, index))
    n = x.shape[0]
    p = counts / n
    value = math.fsum(-p * np.log(p) + p * log_volume)
    if miller_madow:
        value += (cells.size - 1) / (2.0 * n)
    return value
