"""Frozen open bins for drift: edges fitted once to a reference sample, later data counted on them.

:func:`reference_edges` derives interior edges ``e_1 < ... < e_k``
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
from collections.abc import Callable

import numpy as np

from ._binning import BIN_RULES, check_bins, check_cells, rule_count
from ._exceptions import InvalidInputError
from ._tally import codes, describe, order_statistics, tally

__all__ = ["bin_codes", "bin_labels", "counts", "exact_quantiles", "fit_open_bins", "open_counts", "reference_edges",
           "sorted_quantiles"]


def _finite_values(values: object, name: str, *, one_dimensional: bool) -> np.ndarray:
    """``values`` as float64, refused with a count of each kind if any is NaN or infinite."""
    return _described(values, name, one_dimensional=one_dimensional)[0]


def _described(values: object, name: str, *, one_dimensional: bool) -> tuple[np.ndarray, float, float]:
    """``values`` as float64 and their min and max, refused with a count of each kind if any
    is NaN or infinite (one pass over them)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numbers, got {type(values).__name__}") from exc
    if one_dimensional and arr.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional (one column of values), got shape {arr.shape}")
    nan, posinf, neginf, lo, hi = describe(arr.reshape(-1))
    if nan or posinf or neginf:
        found = ", ".join(f"{count} {kind}" for kind, count in (("NaN", nan), ("+inf", posinf), ("-inf", neginf)) if count)
        raise InvalidInputError(
            f"{name} contains {found} of {arr.size} values, which have no bin: count missing and "
            "infinite values apart (np.isnan, np.isposinf, np.isneginf) and bin the finite rest"
        )
    return arr, lo, hi


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
    values, lo, hi = _described(reference, name, one_dimensional=True)
    return _fit(values, lo, hi, bins, name, presorted)[0]


def fit_open_bins(reference: np.ndarray, bins: object = 10, *, name: str = "reference") -> tuple[np.ndarray, np.ndarray]:
    """:func:`reference_edges` of the finite values of a 1-D float64 ``reference`` (NaN and
    infinities allowed), and its counts: those of the bins, then of NaN, +inf and -inf, as
    :func:`~divergences._tally.tally` gives them.

    One pass finds the specials and the range; where every quantile edge falls strictly between
    two consecutive order statistics (continuous data: no ties at an edge), the count at most
    the edge is its rank, known from the selection of the edges, and the reference is not
    counted again.

    Examples
    --------
    >>> edges, counts = fit_open_bins(np.array([*range(1, 101), np.nan]), bins=4)
    >>> edges.tolist(), counts.tolist()  # four bins, one NaN, no infinity
    ([25.75, 50.5, 75.25], [25, 25, 25, 25, 1, 0, 0])
    """
    nan, posinf, neginf, lo, hi = describe(reference)
    values = reference[np.isfinite(reference)] if nan or posinf or neginf else reference
    if values.size == 0:
        return np.empty(0), np.array([0, nan, posinf, neginf], dtype=np.int64)
    edges, at_most = _fit(values, lo, hi, bins, name, False)
    if at_most is None:
        return edges, tally(reference, edges)
    inside = np.diff(np.concatenate([[0], at_most, [values.size]]))
    return edges, np.concatenate([inside, [nan, posinf, neginf]]).astype(np.int64)


def _fit(values: np.ndarray, lo: float, hi: float, bins: object, name: str,
         presorted: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The edges of :func:`reference_edges` of finite ``values`` (min ``lo``, max ``hi``), and
    how many values are at most each edge where the selection of the edges tells (else None)."""
    if values.size == 0:
        raise InvalidInputError(f"{name} is empty: there are no values to place bin edges at")
    if bins is None or isinstance(bins, bool):
        raise InvalidInputError(f"bins must be a number of bins, one of {', '.join(map(repr, BIN_RULES))} "
                                f"or interior bin edges, got {bins!r}")
    if not isinstance(bins, (str, int, np.integer)):
        return _check_open_edges(bins, "bins"), None
    spec = check_bins(bins, 1)
    if spec == 1:
        return np.empty(0), None
    if lo == hi:
        return _finite_unique([_below(lo), lo]), None
    if isinstance(spec, int):
        count, by_quantile = spec, True
    elif spec == "quantiles":
        count, by_quantile = max(2, rule_count(values, hi - lo, "fd", 1)), True
    else:
        count, by_quantile = rule_count(values, hi - lo, str(spec), 1), False
    check_cells([count], advice="pass fewer bins")
    if count == 1:
        return np.empty(0), None
    if not by_quantile:  # deduplicated: over a range of a few ulps, equal widths round to equal edges
        return _finite_unique(np.linspace(lo, hi, count + 1)[1:-1]), None
    take = (lambda ranks: values[ranks]) if presorted else (lambda ranks: order_statistics(values, ranks))
    quantiles, ranks, before, after = _linear_quantiles(values.size, np.linspace(0.0, 1.0, count + 1)[1:-1], take)
    if np.all(before <= quantiles) and np.all(quantiles < after) and np.all(np.diff(quantiles) > 0):
        # each edge between the order statistics of ranks k and k + 1, which differ: the values
        # at most it are those of ranks 0..k
        return quantiles, ranks + 1
    distinct, repeats = np.unique(quantiles, return_counts=True)
    atoms = [_below(v) for v in distinct[repeats > 1]]
    return _finite_unique([*distinct, *atoms]), None


def sorted_quantiles(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(s, q)`` (its default, linear interpolation), bit for bit, of an already
    sorted ``s``: numpy's own arithmetic, without the partition it would run again."""
    return _linear_quantiles(s.size, q, lambda ranks: s[ranks])[0]


def exact_quantiles(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(values, q)`` bit for bit, from the exact order statistics that
    :func:`~divergences._tally.order_statistics` selects (5 ms for 10^6 values with the
    compiled kernels, where ``numpy.quantile`` takes 40 and a sort 22)."""
    return _linear_quantiles(values.size, q, lambda ranks: order_statistics(values, ranks))[0]


def _linear_quantiles(n: int, q: np.ndarray, take: Callable[[np.ndarray], np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """numpy's method 'linear' for ``n`` sorted values, ``take(ranks)`` giving the values at
    ranks: the quantiles, and for each the rank ``k`` below it and the values of ranks ``k``
    and ``k + 1`` that it interpolates."""
    virtual = (n - 1) * q  # numpy's virtual index of method 'linear'
    previous = np.floor(virtual)
    following = previous + 1.0
    above = virtual >= n - 1
    previous[above], following[above] = n - 1.0, n - 1.0
    below = virtual < 0
    previous[below], following[below] = 0.0, 0.0
    gamma = virtual - previous
    both = take(np.concatenate([previous, following]).astype(np.intp))
    a, b = both[: q.size], both[q.size :]
    diff = b - a
    out = a + diff * gamma  # numpy's _lerp
    np.subtract(b, diff * (1.0 - gamma), out=out, where=gamma >= 0.5)
    return out, previous.astype(np.intp), a, b


def _finite_unique(values: list[float] | np.ndarray) -> np.ndarray:
    arr = np.unique(np.asarray(values, dtype=np.float64))
    return arr[np.isfinite(arr)]


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
    return codes(arr.reshape(-1), grid).reshape(arr.shape)


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
    return open_counts(_finite_values(values, name, one_dimensional=False).reshape(-1), grid)


def open_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """:func:`counts` of finite float64 ``values`` without a code per value
    (:func:`~divergences._tally.tally`: one pass with the compiled kernels, else one
    comparison per edge)."""
    grid = np.asarray(edges, dtype=np.float64)
    return tally(values.ravel(), grid)[: grid.size + 1]


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
