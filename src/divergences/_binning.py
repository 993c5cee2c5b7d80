"""Binning: bin edges by rule, quantile or hand, and the bin that holds each value, with counts.

Two kinds of bins, for two uses:

**Closed grids**, for the histogram estimators (:mod:`divergences.estimate._histogram`).
:func:`edges` gives one increasing edge array per dimension whose outer edges span the data
(pooled x and y), by a rule (``"fd"``, ``"sturges"``, ``"auto"``, ``"quantiles"``), a count of
equal-width bins, or explicit edges; :func:`cell_codes` puts every point in one cell of the
grid, numpy's convention: ``[e_i, e_{i+1})``, the last cell closed on both sides;
:func:`occupied_counts` counts two samples on the cells that hold any point. A point outside
explicit edges is an error, never dropped.

**Frozen open bins**, for drift monitoring (a reference sample binned once, later data
counted on the same bins). :func:`reference_edges` derives interior edges ``e_1 < ... < e_k``
from the reference sample alone: the bins are

    (-inf, e_1], (e_1, e_2], ..., (e_{k-1}, e_k], (e_k, +inf)

so every finite value, however far from the reference, lands in exactly one bin, the values
beyond the reference's range in the outer bins. :func:`bin_codes` and :func:`counts` bin
values on such edges; :func:`bin_labels` names the bins.

Policies of the frozen bins (what an honest drift monitor needs):

- **Ties.** Equal quantiles merge: edges are deduplicated, never repeated. A value that
  several quantiles share is an atom holding at least one bin's worth of the reference (the
  0 of a column that is mostly 0): it gets a bin of its own, ``(v-, v] = {v}`` with ``v-``
  the float just below ``v`` (``numpy.nextafter``), so that values just below it do not hide
  in its bin. A constant reference (one distinct value c) gets the edges ``[c-, c]``: three
  bins, below c / exactly c / above c, so any move away from the constant shows. ``bins=1``
  is always the single bin ``(-inf, +inf)``.
- **NaN and infinities.** There is no bin for them: :func:`reference_edges`,
  :func:`bin_codes` and :func:`counts` raise :class:`~divergences.InvalidInputError` naming
  the argument and counting the NaN, +inf and -inf values. Count them separately
  (``numpy.isnan``, ``numpy.isposinf``, ``numpy.isneginf``) and bin the finite rest, as the
  drift module does, so a jump in missing values is seen rather than silently dropped.
- Edges are float64 and finite, so they round-trip exactly through JSON.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ._exceptions import InvalidInputError

__all__ = [
    "BIN_RULES",
    "MAX_CELLS",
    "bin_codes",
    "bin_labels",
    "cell_codes",
    "check_bins",
    "check_cells",
    "counts",
    "edges",
    "occupied_counts",
    "reference_edges",
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


def _finite_values(values: object, name: str, *, one_dimensional: bool) -> np.ndarray:
    """``values`` as float64, refused with a count of each kind if any is NaN or infinite."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if one_dimensional and arr.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional (one column of values), got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.all():
        kinds = (("NaN", np.isnan(arr)), ("+inf", np.isposinf(arr)), ("-inf", np.isneginf(arr)))
        found = ", ".join(f"{int(mask.sum())} {kind}" for kind, mask in kinds if mask.any())
        raise InvalidInputError(
            f"{name} contains {found} of {arr.size} values, which have no bin: count missing and "
            "infinite values apart (np.isnan, np.isposinf, np.isneginf) and bin the finite rest"
        )
    return arr


def _check_open_edges(edges: object, name: str = "edges") -> np.ndarray:
    """Interior edges of open bins: a 1-D float64 array, finite and strictly increasing (maybe empty)."""
    try:
        arr = np.asarray(edges, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be interior bin edges (numbers), got {edges!r}") from exc
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise InvalidInputError(f"{name} must be a 1-D array of finite, strictly increasing edges, got {arr}")
    return arr


def _below(value: float) -> float:
    """The largest float64 below ``value``: ``(_below(v), v]`` holds ``v`` alone."""
    return float(np.nextafter(value, -np.inf))


def reference_edges(reference: object, bins: object = 10, *, name: str = "reference", presorted: bool = False) -> np.ndarray:
    """Interior edges of open bins fitted to a reference sample, frozen for later data.

    The bins are ``(-inf, e_1], (e_1, e_2], ..., (e_k, +inf)``: every finite value, however
    far outside the reference's range, lands in one of them (values beyond the reference in
    the outer bins), and :func:`bin_codes` / :func:`counts` bin later data on them.

    - ``bins`` an int ``k`` (default 10): ``k`` equal-mass bins, edges at the quantiles
      ``1/k, ..., (k-1)/k`` of the reference (``numpy.quantile``, linear interpolation).
      Equal quantiles merge (edges are deduplicated); a value that two or more quantiles
      share (an atom, such as the 0 of a column that is mostly 0) also gets a bin of its own,
      ``(v-, v] = {v}`` with ``v-`` the float just below ``v``. At most ``k`` bins (three
      for a constant reference, below, even at ``k = 2``).
    - ``"quantiles"``: as an int, with as many bins as ``"fd"`` gives (at least 2).
    - ``"fd"``, ``"sturges"``, ``"auto"``: equal-width bins over the reference's range by the
      rules of :func:`edges`; the first and last of them extend to -inf and +inf.
    - Explicit edges (a 1-D array of finite, strictly increasing numbers, possibly empty):
      the interior edges, as they are; the open outer bins are added around them.

    A reference with a single distinct value c gets the edges ``[c-, c]``: three bins, below /
    exactly / above c, whatever ``bins`` (but ``bins=1``, always the one bin (-inf, +inf)),
    so any move away from a constant is seen.

    Parameters
    ----------
    reference : array_like, shape (n,)
        The reference values: finite numbers (count NaN and infinities apart before).
    bins : int, str or array_like, default 10
        As above.
    name : str, default "reference"
        How errors name ``reference`` (a drift monitor passes the column's name).
    presorted : bool, default False
        ``reference`` is already in increasing order (it is then not sorted again).

    Returns
    -------
    numpy.ndarray
        float64 interior edges, finite and strictly increasing (empty for a single bin).

    Raises
    ------
    InvalidInputError
        An empty reference or one with NaN or infinite values (counted in the message), an
        unknown rule, a count below 1 or above :data:`MAX_CELLS`, or invalid explicit edges.

    Examples
    --------
    >>> import numpy as np
    >>> reference_edges(np.arange(1.0, 101.0), bins=4)  # quartiles of 1..100
    array([25.75, 50.5 , 75.25])
    >>> mostly_zero = reference_edges([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], bins=5)  # quantiles 0, 0, 0, 1.2
    >>> bin_labels(mostly_zero)  # the three equal quantiles merge; 0 gets a bin of its own
    ['(-inf, 0)', '{0}', '(0, 1.2]', '(1.2, inf)']
    >>> constant = reference_edges([7.0, 7.0, 7.0])
    >>> bin_labels(constant), bin_codes([-3.0, 6.99, 7.0, 7.01], constant).tolist()
    (['(-inf, 7)', '{7}', '(7, inf)'], [0, 0, 1, 2])
    >>> reference_edges([1.0, np.nan, 3.0], name="column 'age'")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: column 'age' contains 1 NaN of 3 values, which have no bin: count missing and infinite values apart (np.isnan, np.isposinf, np.isneginf) and bin the finite rest
    """
    values = _finite_values(reference, name, one_dimensional=True)
    if values.size == 0:
        raise InvalidInputError(f"{name} is empty: there are no values to place bin edges at")
    if bins is None or isinstance(bins, bool):
        raise InvalidInputError(f"bins must be a number of bins, one of {', '.join(map(repr, BIN_RULES))} "
                                f"or interior bin edges, got {bins!r}")
    if not isinstance(bins, (str, int, np.integer)):
        return _check_open_edges(bins, "bins")
    spec = check_bins(bins, 1)
    lo, hi = float(values.min()), float(values.max())
    if spec == 1:
        return np.empty(0)
    if lo == hi:
        return _finite_unique([_below(lo), lo])
    if isinstance(spec, int):
        count, by_quantile = spec, True
    elif spec == "quantiles":
        count, by_quantile = max(2, _count(values, hi - lo, "fd", 1)), True
    else:
        count, by_quantile = _count(values, hi - lo, str(spec), 1), False
    check_cells([count], advice="pass fewer bins")
    if count == 1:
        return np.empty(0)
    if not by_quantile:  # deduplicated: over a range of a few ulps, equal widths round to equal edges
        return _finite_unique(np.linspace(lo, hi, count + 1)[1:-1])
    quantiles = sorted_quantiles(values if presorted else np.sort(values), np.linspace(0.0, 1.0, count + 1)[1:-1])
    distinct, repeats = np.unique(quantiles, return_counts=True)
    atoms = [_below(v) for v in distinct[repeats > 1]]
    return _finite_unique([*distinct, *atoms])


def sorted_quantiles(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(s, q)`` (its default, linear interpolation), bit for bit, of an already
    sorted ``s``: numpy's own arithmetic, without the partition it would run again (a sort
    and this take 25 ms for 10^6 values where ``numpy.quantile`` takes 40)."""
    n = s.size
    virtual = (n - 1) * q  # numpy's virtual index of method 'linear'
    previous = np.floor(virtual)
    following = previous + 1.0
    above = virtual >= n - 1
    previous[above], following[above] = -1.0, -1.0
    below = virtual < 0
    previous[below], following[below] = 0.0, 0.0
    gamma = virtual - previous
    a, b = s[previous.astype(np.intp)], s[following.astype(np.intp)]
    diff = b - a
    out = a + diff * gamma  # numpy's _lerp
    np.subtract(b, diff * (1.0 - gamma), out=out, where=gamma >= 0.5)
    return out


def _finite_unique(values: list[float] | np.ndarray) -> np.ndarray:
    arr = np.unique(np.asarray(values, dtype=np.float64))
    return arr[np.isfinite(arr)]


_COMPARED_EDGES = 32  # up to this many edges bin_codes compares instead of searching


def bin_codes(values: object, edges: object, *, name: str = "values") -> np.ndarray:
    """The open bin of each value: ``i`` for ``e_{i-1} < v <= e_i`` (``e_0 = -inf``, ``e_{k+1} = +inf``).

    Bin 0 is ``(-inf, e_1]`` and bin ``k`` (for ``k`` edges) is ``(e_k, +inf)``, so every
    finite value has exactly one bin; a value equal to an edge belongs to the bin it closes.

    Parameters
    ----------
    values : array_like
        Finite numbers, any shape.
    edges : array_like, shape (k,)
        Interior edges, finite and strictly increasing, such as :func:`reference_edges` gives.
    name : str, default "values"
        How errors name ``values``.

    Returns
    -------
    numpy.ndarray of int, the shape of ``values``
        Codes in ``0 .. k``.

    Raises
    ------
    InvalidInputError
        NaN or infinite values (counted in the message: count them apart, they have no bin),
        values that are not numbers, or invalid edges.

    Examples
    --------
    >>> bin_codes([-1e300, 0.0, 0.5, 1.0, 1.5, 2.0, 1e300], [0.0, 1.0, 2.0])
    array([0, 0, 1, 1, 2, 2, 3])
    >>> bin_codes([0.0, 1.0], [])  # no edges: one bin
    array([0, 0])
    """
    grid = _check_open_edges(edges)
    arr = _finite_values(values, name, one_dimensional=False)
    if grid.size > _COMPARED_EDGES:
        return np.searchsorted(grid, arr, side="left")
    # A few edges: the bin is the count of edges below the value, one vectorised comparison
    # per edge (3x faster than searchsorted's branchy binary search for 10 bins).
    below = np.zeros(arr.shape, dtype=np.uint8)
    for edge in grid:
        below += arr > edge
    return below.astype(np.intp)


def counts(values: object, edges: object, *, name: str = "values") -> np.ndarray:
    """How many of ``values`` fall in each open bin of ``edges``: ``len(edges) + 1`` counts.

    The counts sum to the number of values; :func:`bin_codes` says which bin each one is in.

    Parameters
    ----------
    values : array_like
        Finite numbers, any shape.
    edges : array_like, shape (k,)
        Interior edges, finite and strictly increasing, such as :func:`reference_edges` gives.
    name : str, default "values"
        How errors name ``values``.

    Returns
    -------
    numpy.ndarray of int64, shape (k + 1,)

    Raises
    ------
    InvalidInputError
        As :func:`bin_codes`.

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.arange(100.0)
    >>> frozen = reference_edges(reference, bins=4)
    >>> counts(reference, frozen)  # equal mass on the reference
    array([25, 25, 25, 25])
    >>> counts([-50.0, 10.0, 1000.0, 2000.0], frozen)  # far outside: the outer bins
    array([2, 0, 0, 2])
    """
    grid = _check_open_edges(edges)
    codes = bin_codes(values, grid, name=name).reshape(-1)
    return np.bincount(codes, minlength=grid.size + 1).astype(np.int64)


def bin_labels(edges: object, *, digits: int = 6) -> list[str]:
    """Names of the open bins of ``edges`` for tables and reports, one per bin.

    ``(a, b]`` for an ordinary bin; a bin of a single value (``(v-, v]``, :func:`reference_edges`'
    atoms) is ``{v}`` and the bin just before it ``(a, v)``. Numbers are printed with
    ``digits`` significant digits.

    Parameters
    ----------
    edges : array_like, shape (k,)
        Interior edges, finite and strictly increasing.
    digits : int, default 6
        Significant digits of the numbers.

    Returns
    -------
    list of str
        ``k + 1`` labels.

    Raises
    ------
    InvalidInputError
        Invalid edges or ``digits`` not an integer >= 1.

    Examples
    --------
    >>> bin_labels([0.0, 1.5])
    ['(-inf, 0]', '(0, 1.5]', '(1.5, inf)']
    >>> bin_labels(reference_edges([0.0] * 6 + [1.0, 2.0, 3.0, 4.0], bins=4))  # quartiles 0, 0, 1.75
    ['(-inf, 0)', '{0}', '(0, 1.75]', '(1.75, inf)']
    """
    grid = _check_open_edges(edges)
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 1:
        raise InvalidInputError(f"digits must be an integer >= 1, got {digits!r}")

    def text(v: float) -> str:
        return f"{v:.{int(digits)}g}"

    bounds = [-math.inf, *map(float, grid), math.inf]
    # bin i is (bounds[i], bounds[i + 1]]; it holds one value where its lower bound is the float below it
    single = [math.isfinite(bounds[i + 1]) and bounds[i] == _below(bounds[i + 1]) for i in range(len(bounds) - 1)]
    labels = []
    for i in range(len(bounds) - 1):
        low, high = bounds[i], bounds[i + 1]
        if single[i]:
            labels.append(f"{{{text(high)}}}")
        elif i + 1 < len(single) and single[i + 1]:  # (low, v-] is (low, v)
            labels.append(f"({text(low)}, {text(bounds[i + 2])})")
        else:
            labels.append(f"({text(low)}, {text(high)}" + (")" if math.isinf(high) else "]"))
    return labels
