"""Closed grids of bins for the histogram estimators: edges by rule, count or hand, each point's cell, counts.

:func:`edges` gives one increasing edge array per dimension whose outer edges span the data
(pooled x and y), by a rule (``"fd"``, ``"sturges"``, ``"auto"``, ``"quantiles"``), a count of
equal-width bins, or explicit edges; :func:`cell_codes` puts every point in one cell of the
grid, numpy's convention: ``[e_i, e_{i+1})``, the last cell closed on both sides;
:func:`occupied_counts` counts two samples on the cells that hold any point. A point outside
explicit edges is an error, never dropped. (Bins frozen from a reference, with open outer
bins, for drift: :mod:`divergences._open_bins`.)
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ._exceptions import InvalidInputError

__all__ = [
    "BIN_RULES",
    "rule_count",
    "MAX_CELLS",
    "cell_codes",
    "check_bins",
    "check_cells",
    "edges",
    "occupied_counts",
]

BIN_RULES = ("fd", "sturges", "auto", "quantiles")
#: The most cells (bins, or their product over dimensions) any rule or count may ask for.
MAX_CELLS = 10**7

Rule = Literal["fd", "sturges", "auto", "quantiles"]
Bins = Rule | int | list[np.ndarray]

_ESTIMATOR_ADVICE = "too many for a histogram estimate from samples. Pass fewer bins (an int) or use the k-NN estimator"


# ---------------------------------------------------------------------------------------------
# Closed grids: the histogram estimators
# ---------------------------------------------------------------------------------------------


def check_bins(bins: object, d: int) -> Bins:
    """``bins`` as a rule name, a bin count, or one increasing edge array per dimension.

    ``None`` is ``"fd"``. A single 1-D array of numbers is the edges of every dimension; a
    2-D array or a sequence of ``d`` 1-D arrays gives each dimension its own edges.

    Parameters
    ----------
    bins : None, str, int or array_like
        The choice to check.
    d : int
        The number of dimensions of the data.

    Returns
    -------
    str, int or list of numpy.ndarray
        The rule name, the count, or ``d`` float64 edge arrays.

    Raises
    ------
    InvalidInputError
        An unknown rule, a count below 1, edges that are not at least 2 finite strictly
        increasing numbers, or edges for another number of dimensions.

    Examples
    --------
    >>> check_bins(None, 1), check_bins(8, 1)
    ('fd', 8)
    >>> check_bins([0, 1, 2], 2)
    [array([0., 1., 2.]), array([0., 1., 2.])]
    >>> check_bins([0.0, 1.0, 1.0], 1)
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: bin edges must be at least 2 finite, strictly increasing numbers, got [0. 1. 1.]
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
        arrays = [_floats(b, "bins") for b in bins]
    else:
        whole = _floats(bins, "bins")
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


def _floats(value: object, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a rule name, an int or arrays of bin edges, got {value!r}") from exc


def check_cells(counts: list[int], advice: str = _ESTIMATOR_ADVICE) -> None:
    """Refuse a grid of more than :data:`MAX_CELLS` cells (``counts`` bins per dimension).

    Called with the counts before any edge is allocated, so a heavy tail that asks a width
    rule for billions of bins fails at once. ``advice`` ends the message.

    Raises
    ------
    InvalidInputError
        The product of ``counts`` exceeds :data:`MAX_CELLS`.

    Examples
    --------
    >>> check_cells([1000, 1000])  # 10**6 cells: fine
    >>> check_cells([10**4, 10**4])
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: bins gives 10000 x 10000 = 100000000 cells, more than 10000000: too many for a histogram estimate from samples. Pass fewer bins (an int) or use the k-NN estimator
    """
    cells = math.prod(counts)
    if cells > MAX_CELLS:
        raise InvalidInputError(
            f"bins gives {' x '.join(map(str, counts))} = {cells} cells, more than {MAX_CELLS}: {advice}"
        )


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
    them is an error, since dropping it would silently change the distribution. A dimension
    in which the pooled sample takes a single value gets one unit-width cell around it, as numpy.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, d)
        Finite samples (the reference sample of ``"quantiles"``).
    y : numpy.ndarray, shape (m, d), optional
        Finite samples binned on the same grid.
    bins : None, str, int or array_like
        As :func:`check_bins`.

    Returns
    -------
    list of numpy.ndarray
        ``d`` strictly increasing float64 edge arrays.

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
        check_cells([len(e) - 1 for e in spec])
        for name, sample in (("x", x), ("y", y)):
            if sample is not None:
                _check_inside(sample, spec, name)
        return spec
    # count first: a heavy tail can ask for billions of bins, which must fail before allocating
    counts = [_rule_count(pooled[:, j], x[:, j], spec, d) for j in range(d)]
    check_cells(counts)
    return [_rule_edges(pooled[:, j], x[:, j], spec, k) for j, k in enumerate(counts)]


def _rule_count(pooled: np.ndarray, ref: np.ndarray, rule: str | int, d: int) -> int:
    """Number of bins in one dimension (for quantiles, before repeated edges are dropped)."""
    if isinstance(rule, int):
        return rule
    if rule == "quantiles":
        return max(2, rule_count(ref, float(ref.max() - ref.min()), "fd", d))
    return rule_count(pooled, float(pooled.max() - pooled.min()), rule, d)


def _rule_edges(pooled: np.ndarray, ref: np.ndarray, rule: str | int, count: int) -> np.ndarray:
    lo, hi = float(pooled.min()), float(pooled.max())
    if lo == hi:  # one value: a unit-width cell around it, as numpy
        return np.array([lo - 0.5, hi + 0.5])
    if rule == "quantiles":
        inner = np.quantile(ref, np.linspace(0.0, 1.0, count + 1))
        inner[0], inner[-1] = lo, hi
        return np.unique(inner)
    return np.linspace(lo, hi, count + 1)


def rule_count(v: np.ndarray, span: float, rule: str, d: int) -> int:
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
    ratio = span / width
    if not math.isfinite(ratio):  # an interquartile range of 1e-300 beside a range of 1e8
        raise InvalidInputError(
            f"bins={rule!r} gives bins of width {width:.3g} over a range of {span:.3g}: more than {MAX_CELLS} "
            "cells. Pass a number of bins"
        )
    return max(1, math.ceil(ratio))


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


def cell_codes(points: np.ndarray, grid: list[np.ndarray]) -> np.ndarray:
    """The flat index of the grid cell holding each point (numpy's histogram convention).

    Cell ``i`` of a dimension is ``[e_i, e_{i+1})``, the last one ``[e_{k-1}, e_k]``; flat
    indices are C order over the cells of all dimensions (``numpy.ravel_multi_index``). The
    points must lie within the grid, as :func:`edges` ensures.

    Parameters
    ----------
    points : numpy.ndarray, shape (n, d)
        Finite points inside the grid.
    grid : list of numpy.ndarray
        ``d`` strictly increasing edge arrays.

    Returns
    -------
    numpy.ndarray of int, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> grid = [np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0])]  # 2 x 1 cells
    >>> cell_codes(np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 10.0]]), grid)
    array([0, 1, 1])
    """
    index = [
        np.minimum(np.searchsorted(e, points[:, j], side="right") - 1, len(e) - 2)
        for j, e in enumerate(grid)
    ]
    return np.ravel_multi_index(index, tuple(len(e) - 1 for e in grid))


def occupied_counts(x: np.ndarray, y: np.ndarray, grid: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``x`` and of ``y`` on the cells that hold a point of either, in cell order.

    Only occupied cells are listed, so a grid of millions of cells costs memory in proportion
    to the points. The cells empty in both samples are the rest of the grid.

    Parameters
    ----------
    x, y : numpy.ndarray, shapes (n, d) and (m, d)
        Finite points inside the grid.
    grid : list of numpy.ndarray
        ``d`` strictly increasing edge arrays.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Two integer arrays of the same length, summing to n and m.

    Examples
    --------
    >>> import numpy as np
    >>> grid = [np.array([0.0, 1.0, 2.0, 3.0])]
    >>> occupied_counts(np.array([[0.5], [0.7], [2.5]]), np.array([[2.9]]), grid)  # cell 1 is empty
    (array([2, 1]), array([0, 1]))
    """
    codes = np.concatenate([cell_codes(x, grid), cell_codes(y, grid)])
    _, cell = np.unique(codes, return_inverse=True)
    cell = cell.reshape(-1)
    size = int(cell.max()) + 1
    n = x.shape[0]
    return np.bincount(cell[:n], minlength=size), np.bincount(cell[n:], minlength=size)


# ---------------------------------------------------------------------------------------------
# Frozen open bins: edges from a reference sample, for drift
# ---------------------------------------------------------------------------------------------
