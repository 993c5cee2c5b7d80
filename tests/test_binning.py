"""Binning (``divergences._binning``): closed grids of the histogram estimators and frozen open
bins of drift monitoring.

References: ``np.histogram``, ``np.histogramdd``, ``np.histogram_bin_edges`` and
``np.quantile`` where their conventions agree with ours, and the definitions themselves
(a value v is in open bin i exactly when ``e_{i-1} < v <= e_i``).
"""

from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import divergences as dv

binning = importlib.import_module("divergences._binning")
open_bins = importlib.import_module("divergences._open_bins")
_histogram = importlib.import_module("divergences.estimate._histogram")

BELOW = {v: float(np.nextafter(v, -np.inf)) for v in (0.0, 1.0, 7.0)}

finite = st.floats(-1e100, 1e100, allow_nan=False, allow_infinity=False)
moderate = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
# values drawn partly from a few atoms, so that ties and equal quantiles are common
tied = st.one_of(st.sampled_from([0.0, 0.0, 1.0, -2.5, 1e-300]), finite)
samples = st.lists(tied, min_size=1, max_size=120)
edge_lists = st.lists(finite, max_size=12, unique=True).map(sorted)
bin_choices = st.one_of(st.integers(1, 25), st.sampled_from(binning.BIN_RULES))


def quantile_levels(k: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, k + 1)[1:-1]


# ----------------------------------------------------------------------------- one module


def test_the_histogram_estimators_use_this_binning_not_a_copy():
    for name in ("edges", "check_bins", "BIN_RULES", "MAX_CELLS"):
        assert getattr(_histogram, name) is getattr(binning, name), name
    assert not hasattr(_histogram, "_rule_edges") and not hasattr(_histogram, "_cell_codes")


# ----------------------------------------------------------------------------- closed grids


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(moderate, moderate), min_size=1, max_size=60),
    st.lists(st.tuples(moderate, moderate), min_size=1, max_size=60),
    st.one_of(st.integers(1, 12), st.sampled_from(binning.BIN_RULES)),
)
def test_grid_cells_are_numpy_histogramdd_cells(xs, ys, bins):
    x, y = np.array(xs), np.array(ys)
    try:
        grid = binning.edges(x, y, bins)
    except dv.InvalidInputError as exc:  # a width rule on a tiny IQR: refused, never allocated
        assert isinstance(bins, str) and "cells" in str(exc)
        return
    for e in grid:
        assert np.all(np.diff(e) > 0) and np.all(np.isfinite(e))
    # the outer edges span the pooled sample: every point has a cell
    pooled = np.concatenate([x, y])
    assert all(e[0] <= pooled[:, j].min() and pooled[:, j].max() <= e[-1] for j, e in enumerate(grid))
    shape = tuple(len(e) - 1 for e in grid)
    for sample in (x, y):
        codes = binning.cell_codes(sample, grid)
        assert codes.min() >= 0 and codes.max() < math.prod(shape)
        dense = np.bincount(codes, minlength=math.prod(shape)).reshape(shape)
        np.testing.assert_array_equal(dense, np.histogramdd(sample, bins=grid)[0])
    cx, cy = binning.occupied_counts(x, y, grid)
    assert cx.sum() == len(x) and cy.sum() == len(y) and np.all(cx + cy > 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(moderate, min_size=2, max_size=200), st.integers(1, 40))
def test_equal_width_grids_are_numpy_edges(values, count):
    x = np.array(values)[:, None]
    assume(np.ptp(x) > 0)
    (mine,) = binning.edges(x, None, count)
    np.testing.assert_array_equal(mine, np.histogram_bin_edges(x[:, 0], bins=count))
    (sturges,) = binning.edges(x, None, "sturges")
    np.testing.assert_allclose(sturges, np.histogram_bin_edges(x[:, 0], bins="sturges"), rtol=1e-12)


def test_quantile_grid_has_equal_mass_cells_of_x():
    x = np.random.default_rng(0).normal(size=(5000, 1))
    (grid,) = binning.edges(x, None, "quantiles")
    shares = np.bincount(binning.cell_codes(x, [grid])) / len(x)
    assert np.allclose(shares, 1 / len(shares), atol=2 / len(x))


def test_check_cells_fails_before_allocating():
    with pytest.raises(dv.InvalidInputError, match=r"100000 x 100000 = 10000000000 cells, more than 10000000"):
        binning.check_cells([10**5, 10**5])
    binning.check_cells([binning.MAX_CELLS])
    with pytest.raises(dv.InvalidInputError, match="cells"):
        open_bins.reference_edges([0.0, 1.0], bins=10**9)
    # a width rule whose bin count overflows a float (it was an OverflowError): refused as too many cells
    tiny_iqr = [0.0, 0.0, 0.0, 1e-300, 210259465.0]
    with pytest.raises(dv.InvalidInputError, match="more than 10000000 cells"):
        open_bins.reference_edges(tiny_iqr, "fd")
    with pytest.raises(dv.InvalidInputError, match="more than 10000000 cells"):
        binning.edges(np.array(tiny_iqr)[:, None], None, "fd")


# ----------------------------------------------------------------------------- frozen open bins


def open_bin(value: float, edges: np.ndarray) -> int:
    """The definition: the number of edges strictly below the value."""
    return int(sum(value > e for e in edges))


@settings(max_examples=150, deadline=None)
@given(st.lists(tied, max_size=80), edge_lists)
def test_every_value_lands_in_exactly_one_open_bin(values, edge_list):
    edges = np.array(edge_list, dtype=np.float64)
    codes = open_bins.bin_codes(values, edges)
    bounds = [-math.inf, *edges, math.inf]
    for v, c in zip(values, codes):
        assert c == open_bin(v, edges)
        holding = [i for i in range(len(bounds) - 1) if bounds[i] < v <= bounds[i + 1]]
        assert holding == [c]  # exactly one bin holds it, and it is the code
    counts = open_bins.counts(values, edges)
    assert counts.shape == (len(edges) + 1,) and counts.dtype == np.int64 and counts.sum() == len(values)
    np.testing.assert_array_equal(counts, np.bincount(np.asarray(codes, dtype=np.intp), minlength=len(edges) + 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=1, max_size=80), st.lists(finite, min_size=2, max_size=10, unique=True).map(sorted))
def test_inner_open_bins_agree_with_numpy_histogram_off_the_edges(values, edge_list):
    edges = np.array(edge_list)
    inside = [v for v in values if edges[0] < v < edges[-1] and v not in edge_list]
    assume(inside)
    # numpy's bins are [a, b); ours (a, b]: the same sets for values on no edge
    np.testing.assert_array_equal(open_bins.counts(inside, edges)[1:-1], np.histogram(inside, bins=edges)[0])


@settings(max_examples=200, deadline=None)
@given(samples, bin_choices, st.lists(finite, max_size=30))
def test_reference_edges_are_increasing_and_hold_everything(reference, bins, later):
    try:
        edges = open_bins.reference_edges(reference, bins)
    except dv.InvalidInputError as exc:  # a width rule on a tiny IQR: refused, never allocated
        assert isinstance(bins, str) and "cells" in str(exc)
        return
    assert edges.dtype == np.float64 and edges.ndim == 1
    assert np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)  # monotone, ties deduplicated
    assert open_bins.counts(reference, edges).sum() == len(reference)
    # values beyond the reference's range land in the outer bins, however far out
    lo, hi = min(reference), max(reference)
    below = [v for v in later if v < lo] + [-1e308]
    above = [v for v in later if v > hi] + [1e308]
    assert set(open_bins.bin_codes(below, edges).tolist()) == {0}
    assert set(open_bins.bin_codes(above, edges).tolist()) == {len(edges)}
    # frozen: later data never change the edges
    np.testing.assert_array_equal(open_bins.reference_edges(reference, bins), edges)


@settings(max_examples=200, deadline=None)
@given(samples, st.integers(1, 25))
def test_quantile_edges_are_numpys_quantiles_deduplicated_with_atoms_split(reference, k):
    edges = open_bins.reference_edges(reference, k)
    if k == 1:
        assert edges.size == 0
        return
    if min(reference) == max(reference):  # a constant: below / exactly / above
        c = reference[0]
        assert edges.tolist() == [float(np.nextafter(c, -np.inf)), c]
        return
    quantiles = np.quantile(np.array(reference), quantile_levels(k))
    distinct, repeats = np.unique(quantiles, return_counts=True)
    atoms = {float(np.nextafter(v, -np.inf)) for v in distinct[repeats > 1]}
    assert set(edges.tolist()) == set(distinct.tolist()) | atoms
    assert len(edges) + 1 <= k  # at most k bins: an atom's own bin uses a merged quantile
    for v in distinct[repeats > 1]:  # an atom's bin holds exactly its copies
        (i,) = np.flatnonzero(edges == v)
        assert open_bins.counts(reference, edges)[i] == reference.count(v)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=2, max_size=300, unique=True), st.integers(2, 20))
def test_distinct_quantiles_are_exactly_numpys_and_cut_equal_mass(reference, k):
    quantiles = np.quantile(np.array(reference), quantile_levels(k))
    assume(np.all(np.diff(quantiles) > 0))
    edges = open_bins.reference_edges(reference, k)
    np.testing.assert_array_equal(edges, quantiles)
    n = len(reference)
    assert np.all(np.abs(open_bins.counts(reference, edges) - n / k) <= 2)


@pytest.mark.parametrize("bins", [2, 3, 10, "fd", "sturges", "auto", "quantiles"])
@pytest.mark.parametrize("c", [0.0, 1.0, 7.0])
def test_a_constant_reference_separates_below_at_and_above(bins, c):
    edges = open_bins.reference_edges([c] * 50, bins)
    assert edges.tolist() == [BELOW[c], c]
    assert open_bins.bin_codes([c - 1e-9, c, c + 1e-9, -1e300, 1e300], edges).tolist() == [0, 1, 2, 0, 2]
    assert open_bins.bin_labels(edges) == [f"(-inf, {c:g})", f"{{{c:g}}}", f"({c:g}, inf)"]
    assert open_bins.reference_edges([c] * 50, 1).size == 0  # one bin was asked for


def test_a_mostly_zero_column_keeps_zero_apart_from_negatives():
    reference = np.r_[np.zeros(800), np.random.default_rng(0).exponential(size=200)]
    edges = open_bins.reference_edges(reference, 10)
    assert edges[:2].tolist() == [BELOW[0.0], 0.0]  # seven equal quantiles 0 merge into the bin {0}
    reference_counts = open_bins.counts(reference, edges)
    assert reference_counts[:2].tolist() == [0, 800]
    # a sign error in the current data moves mass into a bin the reference left empty
    assert open_bins.counts(-reference[800:], edges)[0] == 200
    assert len(edges) + 1 <= 10


def test_rule_edges_are_numpys_interior_edges():
    reference = np.random.default_rng(1).normal(size=2000)
    for rule in ("fd", "sturges", "auto"):
        np.testing.assert_allclose(
            open_bins.reference_edges(reference, rule), np.histogram_bin_edges(reference, bins=rule)[1:-1], rtol=1e-13
        )
    assert len(open_bins.reference_edges(reference, "quantiles")) + 1 == len(np.histogram_bin_edges(reference, "fd")) - 1


@pytest.mark.parametrize("bins", ["sturges", "auto", "fd", 3, 10])
def test_a_range_of_a_few_ulps_gives_increasing_edges(bins):
    reference = [1.0, float(np.nextafter(1.0, 2.0)), float(np.nextafter(np.nextafter(1.0, 2.0), 2.0))] * 5
    edges = open_bins.reference_edges(reference, bins)
    assert np.all(np.diff(edges) > 0) and open_bins.counts(reference, edges).sum() == 15


def test_explicit_edges_are_the_interior_edges():
    edges = open_bins.reference_edges([5.0, 6.0], [0.0, 1.0, 2.0])
    assert edges.tolist() == [0.0, 1.0, 2.0]
    assert open_bins.counts([5.0, 6.0, -3.0], edges).tolist() == [1, 0, 0, 2]  # outside: the open outer bins
    assert open_bins.reference_edges([5.0], []).size == 0


def test_edges_round_trip_through_json_exactly():
    edges = open_bins.reference_edges(np.r_[np.zeros(90), np.linspace(0.1, 3.3, 10)], 7)
    assert BELOW[0.0] in edges.tolist()  # a subnormal edge
    np.testing.assert_array_equal(np.array(json.loads(json.dumps(edges.tolist()))), edges)


def test_labels_name_every_bin():
    assert open_bins.bin_labels([]) == ["(-inf, inf)"]
    assert open_bins.bin_labels([0.5, 2.0]) == ["(-inf, 0.5]", "(0.5, 2]", "(2, inf)"]
    assert open_bins.bin_labels([1 / 3], digits=2) == ["(-inf, 0.33]", "(0.33, inf)"]
    with pytest.raises(dv.InvalidInputError, match="digits must be an integer >= 1"):
        open_bins.bin_labels([0.0], digits=0)


# ----------------------------------------------------------------------------- NaN, inf, bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: open_bins.reference_edges([1.0, np.nan, np.nan, 2.0]), r"^reference contains 2 NaN of 4 values"),
        (lambda: open_bins.reference_edges([1.0, np.inf], name="column 'age'"), r"^column 'age' contains 1 \+inf of 2"),
        (lambda: open_bins.bin_codes([np.nan, -np.inf, np.inf, 0.0], [0.0]), r"^values contains 1 NaN, 1 \+inf, 1 -inf of 4"),
        (lambda: open_bins.counts([np.nan], [0.0], name="current"), r"^current contains 1 NaN of 1 values, which have no bin"),
        (lambda: open_bins.reference_edges([]), "reference is empty"),
        (lambda: open_bins.reference_edges([[1.0, 2.0]]), "one-dimensional"),
        (lambda: open_bins.reference_edges(["a", "b"]), "reference must be numbers"),
        (lambda: open_bins.reference_edges([1.0, 2.0], bins=0), "at least 1"),
        (lambda: open_bins.reference_edges([1.0, 2.0], bins="scott"), "bins must be one of"),
        (lambda: open_bins.reference_edges([1.0, 2.0], bins=None), "bins must be a number of bins"),
        (lambda: open_bins.reference_edges([1.0, 2.0], bins=True), "bins must be a number of bins"),
        (lambda: open_bins.reference_edges([1.0, 2.0], bins=[1.0, 1.0]), "bins must be a 1-D array of finite, strictly"),
        (lambda: open_bins.bin_codes([1.0], [2.0, 1.0]), "edges must be a 1-D array of finite, strictly increasing"),
        (lambda: open_bins.bin_codes([1.0], [0.0, np.nan]), "edges must be"),
        (lambda: open_bins.bin_codes([1.0], [[0.0, 1.0]]), "edges must be"),
        (lambda: open_bins.counts(["x"], [0.0]), "values must be numbers"),
    ],
)
def test_nan_inf_and_bad_input_are_refused_by_name(call, message):
    with pytest.raises(dv.InvalidInputError, match=message):
        call()


def test_codes_keep_the_shape_of_the_values():
    codes = open_bins.bin_codes(np.array([[0.0, 3.0], [1.5, -1.0]]), [1.0, 2.0])
    assert codes.shape == (2, 2) and codes.tolist() == [[0, 2], [1, 0]]


@settings(deadline=None, max_examples=100)
@given(reference=st.lists(tied, min_size=1, max_size=200), later=st.lists(tied, min_size=0, max_size=300),
       bins=st.integers(1, 60))
def test_open_counts_are_the_counts_of_the_codes(reference, later, bins):
    """Counting by one comparison per edge (no codes) gives what binning every value gives."""
    edges = open_bins.reference_edges(reference, bins)
    values = np.array(later, dtype=np.float64)
    expected = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    np.testing.assert_array_equal(open_bins.open_counts(values, edges), expected)
    np.testing.assert_array_equal(open_bins.counts(values, edges) if values.size else expected, expected)
