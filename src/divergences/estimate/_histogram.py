"""Histogram plug-in estimators: KL, JS and differential entropy from counts on common cells.

Both samples are counted on the same grid of cells (one set of bin edges per dimension), so
the divergence of the two count vectors estimates the divergence of the two densities: the
cell widths cancel in KL and JS. Only occupied cells are stored (unique cell codes), so a
grid of millions of cells costs memory in proportion to the number of points, not cells.

Plug-in estimates are biased, on top of the discretisation bias of the bin width: entropy
low by about ``(K - 1) / (2 n)`` for K occupied cells (Miller-Madow), KL high by about
``(K - 1) / (2 n) + sum_j p_j / (2 m q_j)`` (about ``K / n`` for close P and Q, n = m), JS
high by a quarter of that. Keep the number of points well above the number of cells. A cell
with points of ``x`` and none of ``y`` makes the plug-in KL ``+inf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from .._exceptions import InvalidInputError
from .._validation import check_smoothing

__all__ = ["BIN_RULES", "MAX_CELLS", "check_bins", "edges", "entropy", "js", "kl"]

BIN_RULES = ("fd", "sturges", "auto", "quantiles")
MAX_CELLS = 10**7

Rule = Literal["fd", "sturges", "auto", "quantiles"]
Bins = Rule | int | list[np.ndarray]


def check_bins(bins: object, d: int) -> Bins:
    """``bins`` as a rule name, a bin count, or one increasing edge array per dimension.

    ``None`` is ``"fd"``. A single 1-D array of numbers is the edges of every dimension; a
    2-D array or a sequence of ``d`` 1-D arrays gives each dimension its own edges.
    """
    if bins is None:
        return "fd"
    if isinstance(bins, str):
        if bins not in BIN_RULES:
            raise InvalidInputError(f"bins must be one of {', '.join(map(repr, BIN_RULES))}, "
                                    f"a number of bins or bin edges, got {bins!r}")
        return bins  # type: ignore[return-value]
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise InvalidInputError(f"bins must be at least 1, got {bins}")
        return int(bins)
    if isinstance(bins, (list, tuple)) and bins and all(np.ndim(b) == 1 for b in bins):
        arrays = [_floats(b) for b in bins]
    else:
        whole = _floats(bins)
        if whole.ndim not in (1, 2):
            raise InvalidInputError(f"bins must be a rule name, an int or arrays of bin edges, got shape {whole.shape}")
        arrays = [whole] * d if whole.ndim == 1 else list(whole)
    if len(arrays) != d:
        raise InvalidInputError(f"bins gives edges for {len(arrays)} dimensions but the data have {d}")
    for j, e in enumerate(arrays):
        where = f" (dimension {j})" if d > 1 else ""
        if e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise InvalidInputError(f"bin edges{where} must be at least 2 finite, strictly increasing numbers, got {e}")
    return arrays


def _floats(value: object) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"bins must be a rule name, an int or arrays of bin edges, got {value!r}") from exc


def edges(x: np.ndarray, y: np.ndarray | None = None, bins: object = None) -> list[np.ndarray]:
    """Bin edges shared by ``x`` and ``y``, one increasing array per dimension.

    Rules (``bins`` a string) see the pooled sample of ``x`` and ``y``, and their edges span
    its range, so every point of both falls in a cell:

    - ``"fd"`` (default): Freedman-Diaconis width ``2 IQR / N^(1/(d+2))`` for N pooled points
      in d dimensions (numpy's ``"fd"`` in one dimension; the exponent is the optimal rate in
      d dimensions). A dimension whose IQR is 0 falls back to Sturges.
    - ``"sturges"``: ``log2(N) + 1`` bins per dimension, as numpy.
    - ``"auto"``: numpy's ``"auto"``: the smaller width of Sturges and Freedman-Diaconis, the
      latter no smaller than half the ``sqrt(N)`` rule's.
    - ``"quantiles"``: equal-mass cells of the reference sample ``x``: edges at quantiles of
      ``x`` alone, as many as ``"fd"`` gives for ``x`` (at least 2), duplicates dropped, the
      outer edges moved out to the pooled range.

    An int is that many equal-width bins per dimension over the pooled range. Explicit edges
    (one array for all dimensions, or one per dimension) are used as they are; a point outside
    them is an error, since dropping it would silently change the distribution.

    Raises
    ------
    InvalidInputError
        Invalid ``bins``, points outside explicit edges, or more than ``MAX_CELLS`` cells.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.array([[0.0], [1.0], [2.0]]), np.array([[4.0]])
    >>> edges(x, y, 4)
    [array([0., 1., 2., 3., 4.])]
    """
    d = x.shape[1]
    if y is not None and y.shape[1] != d:
        raise InvalidInputError(f"x has {d} dimensions but y has {y.shape[1]}")
    spec = check_bins(bins, d)
    pooled = x if y is None else np.concatenate([x, y])
    if isinstance(spec, list):
        _check_cells([len(e) - 1 for e in spec])
        for name, sample in (("x", x), ("y", y)):
            if sample is not None:
                _check_inside(sample, spec, name)
        return spec
    # count first: a heavy tail can ask for billions of bins, which must fail before allocating
    counts = [_rule_count(pooled[:, j], x[:, j], spec, d) for j in range(d)]
    _check_cells(counts)
    return [_rule_edges(pooled[:, j], x[:, j], spec, k) for j, k in enumerate(counts)]


def _check_cells(counts: list[int]) -> None:
    cells = math.prod(counts)
    if cells > MAX_CELLS:
        raise InvalidInputError(
            f"bins gives {' x '.join(map(str, counts))} = {cells} cells, more than {MAX_CELLS}: too many "
            "for a histogram estimate from samples. Pass fewer bins (an int) or use the k-NN estimator"
        )


def _rule_count(pooled: np.ndarray, ref: np.ndarray, rule: str | int, d: int) -> int:
    """Number of bins in one dimension (for quantiles, before repeated edges are dropped)."""
    if isinstance(rule, int):
        return rule
    if rule == "quantiles":
        return max(2, _count(ref, float(ref.max() - ref.min()), "fd", d))
    return _count(pooled, float(pooled.max() - pooled.min()), rule, d)


def _rule_edges(pooled: np.ndarray, ref: np.ndarray, rule: str | int, count: int) -> np.ndarray:
    lo, hi = float(pooled.min()), float(pooled.max())
    if lo == hi:  # one value: a unit-width cell around it, as numpy
        return np.array([lo - 0.5, hi + 0.5])
    if rule == "quantiles":
        inner = np.quantile(ref, np.linspace(0.0, 1.0, count + 1))
        inner[0], inner[-1] = lo, hi
        return np.unique(inner)
    return np.linspace(lo, hi, count + 1)


def _count(v: np.ndarray, span: float, rule: str, d: int) -> int:
    """Number of equal-width bins over ``span`` by a width rule (numpy's conventions)."""
    if span == 0:
        return 1
    n = v.size
    sturges = span / (math.log2(n) + 1.0)
    q75, q25 = np.percentile(v, [75, 25])
    fd = 2.0 * float(q75 - q25) * n ** (-1.0 / (d + 2))
    if rule == "sturges" or fd == 0:
        width = sturges
    elif rule == "fd":
        width = fd
    else:  # auto
        width = min(max(fd, 0.5 * span / math.sqrt(n)), sturges)
    return max(1, math.ceil(span / width))


def _check_inside(sample: np.ndarray, grid: list[np.ndarray], name: str) -> None:
    lows = np.array([e[0] for e in grid])
    highs = np.array([e[-1] for e in grid])
    outside = np.any((sample < lows) | (sample > highs), axis=1)
    count = int(outside.sum())
    if count:
        raise InvalidInputError(
            f"{count} of the {sample.shape[0]} points of {name} fall outside the bin edges "
            "(every point must lie in a cell: dropping them would change the distribution). "
            "Widen the edges or pass a bin rule such as bins='fd'"
        )


def _cell_codes(sample: np.ndarray, grid: list[np.ndarray]) -> np.ndarray:
    """The flat index of the cell holding each point; the last edge belongs to the last cell."""
    index = [
        np.minimum(np.searchsorted(e, sample[:, j], side="right") - 1, len(e) - 2)
        for j, e in enumerate(grid)
    ]
    return np.ravel_multi_index(index, tuple(len(e) - 1 for e in grid))


def _counts(x: np.ndarray, y: np.ndarray, grid: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``x`` and of ``y`` on the cells that hold a point of either."""
    codes = np.concatenate([_cell_codes(x, grid), _cell_codes(y, grid)])
    _, cell = np.unique(codes, return_inverse=True)
    cell = cell.reshape(-1)
    size = int(cell.max()) + 1
    n = x.shape[0]
    return np.bincount(cell[:n], minlength=size), np.bincount(cell[n:], minlength=size)


def _sum_over_cells(
    term: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray, y: np.ndarray, bins: object, smoothing: object,
) -> float:
    """``sum_j term(p_j, q_j)`` over the grid, with ``smoothing`` added to every cell's counts.

    The cells empty in both samples all have the same smoothed probabilities, so they are
    summed in one product instead of being stored.
    """
    alpha = check_smoothing(smoothing) or 0.0
    grid = edges(x, y, bins)
    cx, cy = _counts(x, y, grid)
    n_cells = math.prod(len(e) - 1 for e in grid)
    px, qy = x.shape[0] + alpha * n_cells, y.shape[0] + alpha * n_cells
    total = math.fsum(term((cx + alpha) / px, (cy + alpha) / qy))
    empty = n_cells - cx.size
    if alpha > 0 and empty:
        total += empty * float(term(np.array([alpha / px]), np.array([alpha / qy]))[0])
    return total


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
    cells, counts = np.unique(_cell_codes(x, grid), return_counts=True)
    index = np.unravel_index(cells, tuple(len(e) - 1 for e in grid))
    log_volume = sum(np.log(np.diff(e))[i] for e, i in zip(grid, index))
    n = x.shape[0]
    p = counts / n
    value = math.fsum(-p * np.log(p) + p * log_volume)
    if miller_madow:
        value += (cells.size - 1) / (2.0 * n)
    return value
