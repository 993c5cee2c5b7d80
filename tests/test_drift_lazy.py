"""Drift on lazy engines: Polars LazyFrame, DuckDB, Dask (a LocalCluster of two worker processes) and
PySpark in local mode count on the engine, and give exactly what the same data give as a pandas frame."""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("narwhals")

import divergences as dv  # noqa: E402


def _frames(n: int = 4000, seed: int = 0):
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame({
        "x": rng.normal(size=n), "i": rng.integers(0, 5, n), "big": rng.integers(0, 1000, n),
        "s": rng.choice(["a", "b", "c"], n), "flag": rng.random(n) < 0.3,
        "ts": pd.date_range("2026-01-05", periods=n, freq="min"),
    })
    reference.loc[3, "x"], reference.loc[4, "x"], reference.loc[5, "x"] = np.nan, np.inf, -np.inf
    current = reference.copy()
    current["x"] = current["x"] + 0.3
    current.loc[10:20, "s"] = "new"  # a category the reference never saw
    current.loc[30:40, "s"] = None  # missing labels
    current.loc[50:60, "x"] = np.nan
    return reference, current


def _records(report):
    return [(r["column"], r["window_start"], r["metric"], r["value"], r["pvalue"], r["n_current"])
            for r in report.to_records()]


ALL_WINDOWS = ({}, {"time_column": "ts", "every": "1d"}, {"time_column": "ts", "every": "6h"})


def _check_engine(make, reference: pd.DataFrame, current: pd.DataFrame, windows=ALL_WINDOWS) -> None:
    """``make(pandas frame)`` gives the engine's lazy frame of the same rows."""
    ref = dv.drift.profile(reference)
    lazy_ref = dv.drift.profile(make(reference))
    for name, col in ref.columns.items():  # the engine's own profile counts exactly the same
        other = lazy_ref.columns[name]
        assert (other.kind, other.missing, other.posinf, other.neginf) == (col.kind, col.missing, col.posinf, col.neginf)
        if col.kind == "categorical":
            assert other.categories == col.categories and other.counts == col.counts
        else:
            assert sum(other.counts) == sum(col.counts)
            if lazy_ref.quantiles == "exact":
                np.testing.assert_allclose(other.edges, col.edges, rtol=1e-15)
    for options in windows:
        eager = dv.drift.compare(ref, current, random_state=3, **options)
        lazy = dv.drift.compare(ref, make(current), random_state=3, **options)
        assert _records(lazy) == _records(eager)  # same counts, so the same values and p-values, bit for bit
        assert lazy.unseen("s") == eager.unseen("s") == {"new": 11}
    batch = dv.drift.profile(make(current), like=ref)
    assert batch == dv.drift.profile(current, like=ref)


def test_polars_lazy():
    pl = pytest.importorskip("polars")
    reference, current = _frames()
    _check_engine(lambda df: pl.from_pandas(df).lazy(), reference, current)


def test_duckdb():
    duckdb = pytest.importorskip("duckdb")
    reference, current = _frames()
    connection = duckdb.connect()
    _check_engine(lambda df: connection.from_df(df), reference, current)


def test_dask_on_a_local_cluster_of_two_processes():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    reference, current = _frames()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        _check_engine(lambda df: dd.from_pandas(df, npartitions=4), reference, current, ALL_WINDOWS[1:2])


def test_dask_partitions_counted_where_they_lie_with_gaps_in_time():
    """Dask partitions are counted by the eager counter (one task each): every window choice,
    and time units so far apart that a partition's units are found by ``unique``, not by offset."""
    dd = pytest.importorskip("dask.dataframe")
    reference, current = _frames(n=1200)
    current.loc[::3, "ts"] = current.loc[::3, "ts"] + pd.Timedelta(days=3650)
    current.loc[1::3, "ts"] = current.loc[1::3, "ts"].dt.tz_localize(None) - pd.Timedelta(days=400)
    _check_engine(lambda df: dd.from_pandas(df, npartitions=3), reference, current)


def test_pyspark_local():
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark (apt-get install default-jre-headless; make test does it as root)")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("divergences-tests").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        reference, current = _frames(n=2000)
        _check_engine(lambda df: spark.createDataFrame(df), reference, current, ALL_WINDOWS[1:2])
    finally:
        spark.stop()


def test_lazy_frames_refuse_row_windows_and_name_missing_columns():
    pl = pytest.importorskip("polars")
    reference, current = _frames(n=200)
    ref = dv.drift.profile(reference)
    with pytest.raises(dv.InvalidInputError, match="chunk_size needs rows in order"):
        dv.drift.compare(ref, pl.from_pandas(current).lazy(), chunk_size=50)
    with pytest.raises(dv.InvalidInputError, match="column 'x' of the reference is missing from current"):
        dv.drift.compare(ref, pl.from_pandas(current.drop(columns="x")).lazy())
    with pytest.raises(dv.InvalidInputError, match="time_column 'x' must hold dates"):
        dv.drift.compare(ref, pl.from_pandas(current).lazy(), time_column="x", every="1d")
