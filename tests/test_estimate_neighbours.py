"""Nearest-neighbour queries against a plain NumPy reference, on every backend.

The reference is the definition: every distance ``np.linalg.norm`` of a coordinate difference
(or the largest absolute difference for the max-norm), sorted. The KD-tree and the blocked
brute force are each forced by patching the crossover table, and must agree with it (to a
few ulps: Euclidean sums in another order) and with each other, duplicates, ties and the
radius boundary included. One-dimensional data always take the sorted-line backend, checked
bit for bit against the reference and against cKDTree.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergences._exceptions import InvalidInputError
from divergences.estimate import _brute
from divergences.estimate import _neighbours as nb

BACKENDS = ["tree", "brute"]
RTOL = 1e-13  # Euclidean distances summed in another order differ by a few ulps


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    force(monkeypatch, request.param)
    return str(request.param)


def force(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Brute force from dimension 0 (every Euclidean query) or never."""
    dimension = 0 if backend == "brute" else 10**9
    monkeypatch.setattr(nb, "_CROSSOVER", ((math.inf, dimension, dimension),))


def reference_distances(points: np.ndarray, queries: np.ndarray, p: float, exclude_self: bool) -> np.ndarray:
    diff = queries[:, None, :] - points[None, :, :]
    dist = np.abs(diff).max(axis=2) if math.isinf(p) else np.linalg.norm(diff, axis=2)
    if exclude_self:
        dist[np.arange(len(queries)), np.arange(len(queries))] = np.inf  # by index, not by zero
    return dist


def reference_kth(points: np.ndarray, queries: np.ndarray, ks: list[int], p: float, exclude_self: bool) -> np.ndarray:
    dist = np.sort(reference_distances(points, queries, p, exclude_self), axis=1)
    return dist[:, np.asarray(ks) - 1]


def reference_count(points: np.ndarray, queries: np.ndarray, radius: np.ndarray, p: float, strict: bool,
                    exclude_self: bool) -> np.ndarray:
    """The documented rule: exact comparison for the max-norm, a band of ``nb._band(d)`` otherwise."""
    dist = reference_distances(points, queries, p, exclude_self)
    r = np.asarray(radius, dtype=np.float64)[:, None]
    if math.isinf(p):
        inside = dist < r if strict else dist <= r
    else:
        band = nb._band(points.shape[1])
        inside = (dist <= r * (1.0 - band)) & (r > 0) if strict else dist <= r * (1.0 + band)
    return inside.sum(axis=1)


def sample(n: int, d: int, seed: int, duplicates: int = 0) -> np.ndarray:
    """Normal points; rows 1, 2, 3 equal, then the first ``duplicates`` rows repeated at the end
    (so six equal rows and ``duplicates - 3`` pairs)."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    if duplicates:
        x[1] = x[2] = x[3]
        x[n - duplicates:] = x[:duplicates]
    return x


# --------------------------------------------------------------------------- kth_distances


@pytest.mark.parametrize("d", [1, 3, 12])
@pytest.mark.parametrize("p", [2.0, math.inf])
def test_kth_self_matches_reference_with_duplicates(backend: str, d: int, p: float) -> None:
    x = sample(400, d, seed=d, duplicates=40)
    ks = [1, 2, 5]
    got = nb.kth_distances(x, x, ks, exclude_self=True, p=p)
    expected = reference_kth(x, x, ks, p, exclude_self=True)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    # duplicates show distance exactly 0 (estimators detect ties by it), others do not
    np.testing.assert_array_equal(got[:, 0] == 0, expected[:, 0] == 0)
    assert np.count_nonzero(got[:, 0] == 0) == 2 * 40


@pytest.mark.parametrize("d", [2, 12])
@pytest.mark.parametrize("p", [2.0, math.inf])
def test_kth_other_queries_int_and_sequence(backend: str, d: int, p: float) -> None:
    points = sample(300, d, seed=1, duplicates=30)
    queries = sample(120, d, seed=2)
    queries[:10] = points[:10]  # queries on points: distance 0, kept (not a self-query)
    single = nb.kth_distances(points, queries, 3, exclude_self=False, p=p)
    several = nb.kth_distances(points, queries, (1, 3, 7), exclude_self=False, p=p)
    assert single.shape == (120,) and several.shape == (120, 3)
    np.testing.assert_allclose(single, reference_kth(points, queries, [3], p, False)[:, 0], rtol=RTOL, atol=0)
    np.testing.assert_allclose(several, reference_kth(points, queries, [1, 3, 7], p, False), rtol=RTOL, atol=0)
    assert np.all(several[:10, 0] == 0)
    np.testing.assert_array_equal(single, several[:, 1])


def test_backends_agree_to_ulps(monkeypatch: pytest.MonkeyPatch) -> None:
    x = sample(600, 8, seed=3, duplicates=20)
    results = {}
    for name in BACKENDS:
        force(monkeypatch, name)
        results[name] = nb.kth_distances(x, x, [1, 4], exclude_self=True)
    np.testing.assert_allclose(results["brute"], results["tree"], rtol=RTOL, atol=0)


def test_brute_force_distances_are_exact_differences(monkeypatch: pytest.MonkeyPatch) -> None:
    """Far from the origin with tiny separations, |a|^2 + |b|^2 - 2 a.b cancels completely
    (relative error ~ 1e-16 * 1e12 / 1e-6): the returned distances must still be the exact
    norms of the differences, identical points exactly 0, distinct ones never 0."""
    force(monkeypatch, "brute")
    rng = np.random.default_rng(4)
    x = 1e6 + 1e-3 * rng.normal(size=(300, 20))
    x[250:] = x[:50]
    got = nb.kth_distances(x, x, [1, 2], exclude_self=True)
    expected = reference_kth(x, x, [1, 2], 2.0, exclude_self=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert np.count_nonzero(got[:, 0] == 0) == 100 and np.all(got[:, 1] > 0)


def test_brute_force_across_blocks_and_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny blocks (many query blocks, self excluded by its index in each), a point count
    that is not a multiple of the filter's groups, exact recomputation in tiny chunks."""
    force(monkeypatch, "brute")
    monkeypatch.setattr(_brute, "_BLOCK_ELEMENTS_CPU", 997)
    monkeypatch.setattr(_brute, "_EXACT_ELEMENTS", 7)
    x = sample(331, 5, seed=5, duplicates=17)
    for ks in ([1], [2, 9], [330]):
        np.testing.assert_allclose(nb.kth_distances(x, x, ks, exclude_self=True),
                                   reference_kth(x, x, ks, 2.0, True), rtol=RTOL, atol=0)
    radius = nb.kth_distances(x, x, 4, exclude_self=True)
    for strict in (False, True):
        np.testing.assert_array_equal(nb.count_within(x, x, radius, strict=strict, exclude_self=True),
                                      reference_count(x, x, radius, 2.0, strict, exclude_self=True))


def test_all_identical_points(backend: str) -> None:
    x = np.ones((50, 12))
    assert np.all(nb.kth_distances(x, x, [1, 49], exclude_self=True) == 0)


def test_k_out_of_range_raises(backend: str) -> None:
    x = sample(10, 3, seed=6)
    for k in (0, 10):
        with pytest.raises(InvalidInputError, match="k must be between 1 and 9"):
            nb.kth_distances(x, x, k, exclude_self=True)
    assert nb.kth_distances(x, x[:2], 10, exclude_self=False).shape == (2,)


# --------------------------------------------------------------------------- count_within


@pytest.mark.parametrize("d", [1, 3, 12])
@pytest.mark.parametrize("p", [2.0, math.inf])
@pytest.mark.parametrize("strict", [False, True])
def test_counts_on_own_kth_radius(backend: str, d: int, p: float, strict: bool) -> None:
    """The KSG pattern: radii are the points' own k-th distances. Non-strict counts the k-th
    neighbour itself (at least k), strict excludes it (fewer than k)."""
    x = sample(400, d, seed=10 + d, duplicates=40)
    k = 3
    radius = nb.kth_distances(x, x, k, exclude_self=True, p=p)
    got = nb.count_within(x, x, radius, strict=strict, exclude_self=True, p=p)
    np.testing.assert_array_equal(got, reference_count(x, x, radius, p, strict, exclude_self=True))
    if strict:
        assert np.all(got < k)
    else:
        assert np.all(got >= k)
        # beyond k exactly where the next neighbour ties with the k-th (a duplicate)
        following = reference_kth(x, x, [k, k + 1], p, exclude_self=True)
        np.testing.assert_array_equal(got > k, following[:, 1] == following[:, 0])


@pytest.mark.parametrize("p", [2.0, math.inf])
def test_counts_match_across_backends_on_marginal_radii(monkeypatch: pytest.MonkeyPatch, p: float) -> None:
    """A radius from one backend's kth_distances counts the same on the other backend."""
    x = sample(500, 4, seed=20, duplicates=25)
    force(monkeypatch, "tree")
    radius = nb.kth_distances(x, x, 2, exclude_self=True, p=p)
    counts = {}
    for name in BACKENDS:
        force(monkeypatch, name)
        counts[name] = [nb.count_within(x, x, radius, strict=s, exclude_self=True, p=p) for s in (False, True)]
    for strict_index in (0, 1):
        np.testing.assert_array_equal(counts["brute"][strict_index], counts["tree"][strict_index])
    assert np.all(counts["tree"][0] >= 2) and np.all(counts["tree"][1] < 2)


def test_counts_other_queries_scalar_and_edge_radii(backend: str) -> None:
    points = sample(300, 12, seed=21, duplicates=30)
    queries = np.concatenate([points[:5], sample(50, 12, seed=22)])
    scalar = nb.count_within(points, queries, 4.5, strict=False, exclude_self=False)
    np.testing.assert_array_equal(scalar, reference_count(points, queries, np.full(55, 4.5), 2.0, False, False))
    assert 0 < scalar.mean() < 300
    zero = np.zeros(55)
    # radius 0: only exact copies, and nothing when strict; a negative radius counts nothing
    np.testing.assert_array_equal(nb.count_within(points, queries, zero, strict=False, exclude_self=False),
                                  [2, 6, 6, 6, 2] + [0] * 50)
    assert not nb.count_within(points, queries, zero, strict=True, exclude_self=False).any()
    assert not nb.count_within(points, queries, -1.0, strict=False, exclude_self=False).any()
    everything = nb.count_within(points, points, np.inf, strict=True, exclude_self=True)
    assert np.all(everything == 299)


def test_count_self_zero_radius_counts_duplicates_only(backend: str) -> None:
    x = sample(100, 12, seed=23, duplicates=10)
    got = nb.count_within(x, x, 0.0, strict=False, exclude_self=True)
    expected = reference_count(x, x, np.zeros(100), 2.0, False, exclude_self=True)
    np.testing.assert_array_equal(got, expected)
    assert got.sum() == 6 * 5 + 2 * 7  # six equal rows, seven pairs


def test_nan_radius_raises() -> None:
    x = sample(10, 2, seed=24)
    with pytest.raises(InvalidInputError, match="radius"):
        nb.count_within(x, x, np.full(10, np.nan), strict=False, exclude_self=True)


# --------------------------------------------------------------------------- one dimension


def test_line_matches_the_tree_exactly() -> None:
    """In one dimension every distance is |fl(a - b)|: the sorted-line search and cKDTree agree
    to the last bit, and counts at the radius follow the same exact rule."""
    from scipy.spatial import cKDTree

    x = np.round(np.random.default_rng(40).normal(size=(2000, 1)), 2)  # a 0.01 grid: many ties
    tree = cKDTree(x)
    for p in (2.0, math.inf):
        got = nb.kth_distances(x, x, [1, 4, 9], exclude_self=True, p=p)
        np.testing.assert_array_equal(got, tree.query(x, k=[2, 5, 10], p=p)[0])
        queries = np.linspace(-3, 3, 101)[:, None]
        np.testing.assert_array_equal(nb.kth_distances(x, queries, 3, exclude_self=False, p=p),
                                      tree.query(queries, k=[3], p=p)[0][:, 0])
    radius = nb.kth_distances(x, x, 5, exclude_self=True, p=math.inf)
    for strict in (False, True):
        expected = tree.query_ball_point(x, np.nextafter(radius, 0.0) if strict else radius, p=math.inf,
                                         return_length=True) - 1
        got = nb.count_within(x, x, radius, strict=strict, exclude_self=True, p=math.inf)
        np.testing.assert_array_equal(got, np.where(strict & (radius == 0), 0, expected))


def test_line_counts_where_rounding_decides() -> None:
    """Queries far from the origin with tiny radii, points a few ulps around the boundary,
    radius 0 and inf: the count follows |fl(s - q)| <= r bit for bit."""
    q = np.array([-1.0, 1e16, 0.0, 3.0, -0.0, 5.0])
    points = np.concatenate([
        [5e-15, 1e-300, 0.0, -0.0, 1e16 + 2.0, 1e16 - 2.0, 1e16 + 4.0, 3.0, 3.0],
        1.0 + np.arange(-4, 5) * np.spacing(1.0),
    ])
    radius = np.array([1.0 + 4 * np.spacing(1.0), 2.0, 1e-300, 0.0, np.spacing(1.0), np.inf])
    for strict in (False, True):
        got = nb.count_within(points[:, None], q[:, None], radius, strict=strict, exclude_self=False, p=math.inf)
        np.testing.assert_array_equal(got, reference_count(points[:, None], q[:, None], radius, math.inf, strict,
                                                           exclude_self=False))


@settings(max_examples=80, deadline=None)
@given(
    # (no magnitudes below 1e-100: the reference's norm squares them, and a square under 1e-308 is 0)
    values=st.lists(st.one_of(st.floats(-1e3, 1e3).filter(lambda v: v == 0 or abs(v) > 1e-100),
                              st.sampled_from([0.0, -0.0, 1.0, 1e-100, 1e12])), min_size=3, max_size=30),
    k=st.integers(min_value=1, max_value=2),
    strict=st.booleans(),
    p=st.sampled_from([2.0, math.inf]),
)
def test_property_line_matches_reference(values: list[float], k: int, strict: bool, p: float) -> None:
    """Wide-ranging floats with ties: k-th distances are the sorted reference's, and counts on
    radii read off them (and on every pairwise distance) follow the documented rule."""
    x = np.asarray(values)[:, None]
    got = nb.kth_distances(x, x, k, exclude_self=True, p=p)
    np.testing.assert_array_equal(got, reference_kth(x, x, [k], p, exclude_self=True)[:, 0])
    radii = [got, *np.abs(x[:, 0] - x[:3, 0][:, None])]  # own k-th distances; distances to x_0, x_1, x_2
    for radius in radii:
        counts = nb.count_within(x, x, radius, strict=strict, exclude_self=True, p=p)
        np.testing.assert_array_equal(counts, reference_count(x, x, radius, p, strict, exclude_self=True))


# --------------------------------------------------------------------------- choice and libraries


def test_crossover_picks_each_backend() -> None:
    line, low, high = np.zeros((5000, 1)), np.zeros((5000, 3)), np.zeros((5000, 40))
    assert nb._backend(line, 2.0) == nb._backend(line, math.inf) == "line"
    assert nb._backend(low, 2.0) == "tree"
    assert nb._backend(high, 2.0) == "brute"
    assert nb._backend(high, math.inf) == nb._backend(high, 1.0) == "tree"  # brute force is Euclidean only
    # the crossover dimension grows with the number of points
    assert nb._backend(np.zeros((1000, 8)), 2.0) == "brute"
    assert nb._backend(np.zeros((100_000, 8)), 2.0) == "tree"
    # and falls with the number of neighbours asked for (the tree's cost grows with k)
    assert nb._backend(np.zeros((10_000, 8)), 2.0, 1) == "tree"
    assert nb._backend(np.zeros((10_000, 8)), 2.0, 3) == "brute"
    assert nb._backend(np.zeros((100_000, 10)), 2.0, 1) == "tree"
    assert nb._backend(np.zeros((100_000, 10)), 2.0, 10) == "brute"
    assert nb._backend(np.zeros((100_000, 10)), math.inf, 10) == "tree"


def test_many_neighbours_take_the_brute_force_with_the_same_distances() -> None:
    x = sample(12_000, 8, seed=40, duplicates=30)
    y = sample(3_000, 8, seed=41)
    assert nb._backend(x, 2.0, 5) == "brute" and nb._backend(x, 2.0, 1) == "tree"
    for points, queries, exclude in ((x, x[:200], False), (y, x[:200], False)):
        got = nb.kth_distances(points, queries, [1, 5], exclude_self=exclude)
        np.testing.assert_allclose(got, reference_kth(points, queries, [1, 5], 2.0, exclude), rtol=RTOL, atol=0)


def test_torch_tensors_match_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    force(monkeypatch, "brute")
    points, queries = sample(300, 6, seed=30, duplicates=20), sample(80, 6, seed=31)
    tp, tq = torch.from_numpy(points), torch.from_numpy(queries)
    got = nb.kth_distances(tp, tp, [1, 3], exclude_self=True)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_allclose(got, reference_kth(points, points, [1, 3], 2.0, True), rtol=RTOL, atol=0)
    radius = nb.kth_distances(tp, tq, 2, exclude_self=False)
    for strict in (False, True):
        np.testing.assert_array_equal(nb.count_within(tp, tq, torch.from_numpy(radius), strict=strict,
                                                      exclude_self=False),
                                      reference_count(points, queries, radius, 2.0, strict, False))
    # float32 tensors (requiring gradients: no graph is built): distances between the float32
    # values, computed in float64
    p32 = tp.float().requires_grad_()
    got32 = nb.kth_distances(p32, p32, 1, exclude_self=True)
    as64 = p32.detach().double().numpy()
    np.testing.assert_allclose(got32, reference_kth(as64, as64, [1], 2.0, True)[:, 0], rtol=RTOL, atol=0)
    # the max-norm goes to the tree through the host
    np.testing.assert_allclose(nb.kth_distances(tp, tq, 2, exclude_self=False, p=math.inf),
                               reference_kth(points, queries, [2], math.inf, False)[:, 0], rtol=0, atol=0)


# --------------------------------------------------------------------------- properties


points_and_k = st.integers(min_value=2, max_value=25).flatmap(lambda n: st.tuples(
    st.integers(min_value=1, max_value=5).flatmap(lambda d: st.lists(
        st.lists(st.sampled_from([-1.5, 0.0, 0.1, 0.3, 2.0, 1e-9, 7.25]), min_size=d, max_size=d),
        min_size=n, max_size=n)),
    st.integers(min_value=1, max_value=n - 1),
))


@settings(max_examples=60, deadline=None)
@given(data=points_and_k, p=st.sampled_from([2.0, math.inf]), strict=st.booleans())
def test_property_backends_match_reference(data: tuple[list[list[float]], int], p: float, strict: bool) -> None:
    """Small point sets on a coarse grid (many exact ties and duplicates): both backends give
    the reference's k-th distances, and counts within them follow the documented rule."""
    rows, k = data
    x = np.asarray(rows, dtype=np.float64)
    expected = reference_kth(x, x, [k], p, exclude_self=True)[:, 0]
    with pytest.MonkeyPatch.context() as mp:
        for name in BACKENDS:
            force(mp, name)
            got = nb.kth_distances(x, x, k, exclude_self=True, p=p)
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
            counts = nb.count_within(x, x, got, strict=strict, exclude_self=True, p=p)
            np.testing.assert_array_equal(counts, reference_count(x, x, got, p, strict, True))
            assert np.all(counts < k) if strict else np.all(counts >= k)


@settings(max_examples=60, deadline=None)
@given(data=points_and_k, scale=st.sampled_from([1e-140, 1e-40, 1.0, 3e38, 1e140]),
       offset=st.sampled_from([0.0, 1e6, -2.5e3]), strict=st.booleans())
def test_property_brute_force_at_any_scale(data: tuple[list[list[float]], int], scale: float, offset: float,
                                           strict: bool) -> None:
    """The brute force's float32 products choose candidates on coordinates scaled by a power
    of two: tiny, huge (beyond float32's range) and offset coordinates give the reference's
    k-th distances and counts (scales whose squares stay in float64's range, as the
    reference's own)."""
    rows, k = data
    x = (np.asarray(rows, dtype=np.float64) + offset) * scale
    expected = reference_kth(x, x, [k], 2.0, exclude_self=True)[:, 0]
    with pytest.MonkeyPatch.context() as mp:
        force(mp, "brute")
        got = nb.kth_distances(x, x, k, exclude_self=True, p=2.0)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
        counts = nb.count_within(x, x, got, strict=strict, exclude_self=True, p=2.0)
        np.testing.assert_array_equal(counts, reference_count(x, x, got, 2.0, strict, True))
