"""Counting into open bins and selecting order statistics (``_tally``): both engines (numba's
kernels and NumPy) against the plain references, a sort and ``searchsorted``.

The selection's recursion is exercised on small arrays by shrinking its constants (pieces
sorted from 16 values, 8 fine bins per level, a sample of 64), so that a hypothesis example
goes through several levels, heavy tails, atoms and ranges the fine grid cannot cut."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from divergences import _tally
from divergences._open_bins import exact_quantiles, fit_open_bins, reference_edges, sorted_quantiles

ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(_tally.compiled() is None, reason="no compiled kernels (numba not installed, or DIVERGENCES_NUMBA=0)"))]


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Run with one engine, the compiled one from the first value, the selection's constants shrunk."""
    if request.param == "numpy":
        monkeypatch.setattr(_tally, "compiled", lambda: None)
    monkeypatch.setattr(_tally, "_MIN_COMPILED", 0)
    monkeypatch.setattr(_tally, "_SORTED", 16)
    monkeypatch.setattr(_tally, "_FINE", 8)
    monkeypatch.setattr(_tally, "_SAMPLE", 64)
    monkeypatch.setattr(_tally, "_MARGIN", 2)
    return request.param


finite = st.floats(allow_nan=False, allow_infinity=False)
columns = st.one_of(
    hnp.arrays(np.float64, st.integers(1, 300), elements=finite),
    hnp.arrays(np.float64, st.integers(1, 300), elements=st.sampled_from([0.0, 1.0, 2.5, -3.0, 1e300, -1e-300])),
    hnp.arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e-3, 1e-3) | st.sampled_from([1e200, -1e200])),
)


def _numeric_equal(a, b):  # -0.0 and 0.0 are the same order statistic; their order in a sort is arbitrary
    return np.array_equal(np.asarray(a), np.asarray(b))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=columns, data=st.data())
def test_order_statistics_equal_a_sort(engine, values, data):
    ranks = np.array(data.draw(st.lists(st.integers(0, values.size - 1), min_size=1, max_size=12)))
    assert _numeric_equal(_tally.order_statistics(values, ranks), np.sort(values)[ranks])


@pytest.mark.parametrize("draw", ["normal", "lognormal", "cauchy", "atoms", "sorted", "tiny range"])
def test_order_statistics_on_columns_users_have(engine, draw):
    rng = np.random.default_rng(5)
    n = 20_000
    values = {"normal": rng.normal(size=n), "lognormal": rng.lognormal(0, 3, size=n),
              "cauchy": rng.standard_cauchy(size=n), "atoms": np.where(rng.random(n) < 0.7, 0.0, rng.exponential(size=n)),
              "sorted": np.sort(rng.normal(size=n)), "tiny range": 1.0 + 1e-14 * rng.integers(0, 9, size=n)}[draw]
    ranks = np.arange(0, n, 997)
    assert _numeric_equal(_tally.order_statistics(values, ranks), np.sort(values)[ranks])
    q = np.linspace(0, 1, 11)[1:-1]
    assert _numeric_equal(exact_quantiles(values, q), np.quantile(values, q))  # numpy's own lerp, bit for bit


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=columns, q=st.lists(st.floats(0, 1), min_size=1, max_size=9))
def test_exact_quantiles_equal_numpy(engine, values, q):
    q = np.array(q)
    assert _numeric_equal(exact_quantiles(values, q), np.quantile(values, q))
    assert _numeric_equal(sorted_quantiles(np.sort(values), q), np.quantile(values, q))


specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0, 5e-324, 1e308])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=hnp.arrays(np.float64, st.integers(0, 5000), elements=st.floats() | specials),
       edges=st.lists(st.floats(-10, 10), max_size=40, unique=True))
def test_tally_counts_bins_and_specials(engine, values, edges):
    grid = np.sort(np.array(edges, dtype=np.float64))
    got = _tally.tally(values, grid)
    finite = values[np.isfinite(values)]
    inside = np.bincount(np.searchsorted(grid, finite, side="left"), minlength=grid.size + 1)
    expected = [*inside, np.isnan(values).sum(), np.isposinf(values).sum(), np.isneginf(values).sum()]
    assert got.dtype == np.int64 and got.tolist() == [int(c) for c in expected]


def test_reference_edges_do_not_depend_on_the_engine(engine):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(size=30_000), np.zeros(10_000)])
    rng.shuffle(values)
    assert _numeric_equal(reference_edges(values, 10), reference_edges(np.sort(values), 10, presorted=True))


def test_numba_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("DIVERGENCES_NUMBA", "0")
    _tally.compiled.cache_clear()
    try:
        assert _tally.compiled() is None
    finally:
        monkeypatch.delenv("DIVERGENCES_NUMBA")
        _tally.compiled.cache_clear()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=hnp.arrays(np.float64, st.integers(0, 3000), elements=st.floats() | specials))
def test_describe_counts_specials_and_finds_the_finite_range(engine, values):
    finite = values[np.isfinite(values)]
    expected = (int(np.isnan(values).sum()), int(np.isposinf(values).sum()), int(np.isneginf(values).sum()),
                float(finite.min()) if finite.size else np.inf, float(finite.max()) if finite.size else -np.inf)
    assert _tally.describe(values) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=columns, bins=st.integers(1, 40))
def test_fitted_bins_count_the_reference_as_a_second_count_does(engine, values, bins):
    edges, counts = fit_open_bins(values, bins)
    assert _numeric_equal(edges, reference_edges(values, bins))
    expected = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1).tolist() + [0, 0, 0]
    assert counts.tolist() == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=hnp.arrays(np.float64, st.integers(1, 400), elements=st.floats() | specials), bins=st.integers(1, 12))
def test_fitted_bins_count_missing_and_infinite_values_apart(engine, values, bins):
    finite = values[np.isfinite(values)]
    edges, counts = fit_open_bins(values, bins)
    if finite.size:
        assert _numeric_equal(edges, reference_edges(finite, bins))
    assert counts.tolist() == _tally.tally(values, edges).tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=hnp.arrays(np.float64, st.integers(0, 3000), elements=st.floats() | specials),
       edges=st.lists(st.floats(-10, 10), max_size=40, unique=True), n_groups=st.integers(1, 5), data=st.data())
def test_grouped_tally_is_the_tally_of_each_group(engine, values, edges, n_groups, data):
    grid = np.sort(np.array(edges, dtype=np.float64))
    groups = data.draw(hnp.arrays(np.int64, values.size, elements=st.integers(0, n_groups - 1)))
    table = _tally.tally(values, grid, groups, n_groups)
    assert table.shape == (n_groups, grid.size + 4)
    for g in range(n_groups):
        assert table[g].tolist() == _tally.tally(values[groups == g], grid).tolist()


@pytest.mark.skipif(_tally.compiled() is None, reason="no compiled kernels (numba not installed, or DIVERGENCES_NUMBA=0)")
def test_drift_gives_the_same_profile_and_records_with_either_engine(monkeypatch):
    """A frame large enough for the compiled kernels (2^16 rows and more): the profile and
    every record equal those NumPy gives, windows, NaN, infinities, atoms and heavy tails included."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("narwhals")
    import divergences as dv

    rng = np.random.default_rng(11)
    n = 80_000
    frame = pd.DataFrame({"normal": rng.normal(size=n), "cauchy": rng.standard_cauchy(size=n),
                          "zeros": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(size=n)),
                          "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 5 * 86_400, n), unit="s")})
    frame.loc[::97, "normal"] = np.nan
    frame.loc[::1013, "cauchy"] = np.inf
    current = frame.assign(normal=frame["normal"] * 1.1, zeros=frame["zeros"] + 0.01)

    def run():
        ref = dv.drift.profile(frame.drop(columns="ts"))
        rep = dv.drift.compare(ref, current, time_column="ts", every="1d", random_state=2)
        return ref, rep.to_records()

    compiled_ref, compiled_records = run()
    monkeypatch.setattr(_tally, "compiled", lambda: None)
    numpy_ref, numpy_records = run()
    assert compiled_ref == numpy_ref
    assert compiled_records == numpy_records


def test_a_one_shot_process_loads_the_kernels_only_for_long_columns(monkeypatch):
    monkeypatch.setattr(_tally, "_MIN_COMPILED", 1 << 16)
    loaded = []
    monkeypatch.setattr(_tally, "compiled", lambda: loaded.append(True))
    _tally.one_shot()
    assert _tally._MIN_COMPILED == _tally._ONE_SHOT
    _tally.tally(np.zeros(1 << 20), np.array([0.5]))  # 10^6 values: NumPy
    assert not loaded
