"""Drift on lazy frames (Polars LazyFrame, DuckDB, Dask, PySpark): the engine bins and counts, only counts come back.

One narwhals code path for every lazy engine. Every numeric column is counted in one scan:
per column and time unit, the sums of flags ``e_j < x < inf`` for each edge and of finite,
+inf and -inf values, from which the bins' counts follow by differences (one aggregation of
expressions; on engines that aggregate only plain columns, Dask, 1-byte flag columns first).
A categorical column's label is a string expression, counted by ``group_by([time unit,]
label).agg(len)``. A few numbers per bin and time unit come back, never the data. Windows are cut from the
engine's counts per calendar unit (day, hour, minute or second: ``truncate`` to one unit is
what every engine offers), aggregated here into windows of ``every``, aligned as in
``_windows``. Fitting a reference: quantiles by the engine (exact on Polars and DuckDB;
Dask and Spark have approximate quantiles only, so their profiles say ``"approximate"``).
Row windows (``chunk_size``) need a row order, which lazy engines do not have: refused.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._open_bins import reference_edges
from .._tally import tally
from . import _frames
from ._profile import MAX_POOLED_NAMES, ColumnProfile, Profile
from ._report import ColumnCounts
from ._windows import Windows, parse_every, windows_of

__all__ = ["lazy_frame", "lazy_counts", "lazy_profile"]

_UNITS = ((86_400 * 10**9, "1d"), (3600 * 10**9, "1h"), (60 * 10**9, "1m"), (10**9, "1s"))
_INF = float("inf")


def lazy_frame(data: object) -> Any:
    """``data`` as a narwhals ``LazyFrame`` if it is a lazy frame, else None."""
    nw = _frames._narwhals()
    try:
        nw.from_native(data, eager_only=True)
        return None
    except TypeError:
        pass
    try:
        frame = nw.from_native(data)
    except TypeError:
        return None
    return frame if isinstance(frame, nw.LazyFrame) else None


def _label(x: Any, dtype: Any, name: str) -> Any:
    """A categorical column's label as an engine expression (None where missing)."""
    nw = _frames._narwhals()
    if dtype == nw.Boolean:
        return x.cast(nw.String).str.to_lowercase()
    if dtype.is_numeric() and not dtype.is_integer():
        raise InvalidInputError(f"column {name!r}: a floating-point column as categories is not counted on lazy "
                                "frames; cast it to integers or strings in the engine first")
    return x.cast(nw.String)


def _unit_of(step: int) -> tuple[int, str]:
    for size, unit in _UNITS:
        if step % size == 0:
            return size, unit
    raise InvalidInputError("every on a lazy frame must be a whole number of seconds")


def _grouped(lf: Any, key: Any, time_column: str | None, unit: str | None,
             missing: Any = None) -> list[tuple[Any, ...]]:
    """``(time unit start, key, count)`` rows (or ``(key, count)``) computed by the engine; with
    ``missing`` (an expression), the key of a row where it holds is None (a string cast of a
    missing value is not missing on every engine: pandas writes "nan")."""
    nw = _frames._narwhals()
    keys = [key.alias("__key")] + ([missing.alias("__missing")] if missing is not None else [])
    if time_column is not None:
        keys.insert(0, nw.col(time_column).dt.truncate(unit).alias("__when"))
    rows = lf.group_by(*keys).agg(nw.len().alias("__n")).collect().iter_rows()
    if missing is None:
        return list(rows)
    out: dict[tuple[Any, ...], int] = {}
    for row in rows:
        *head, key_value, is_missing, n = row
        where = (*head, None if is_missing else key_value)
        out[where] = out.get(where, 0) + int(n)
    return [(*k, n) for k, n in out.items()]


def _ns(value: Any) -> int:
    """A time the engine returned (datetime, date, pandas Timestamp, numpy datetime64) in ns since the epoch, UTC."""
    if getattr(value, "tzinfo", None) is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return int(np.datetime64(value, "ns").astype(np.int64))


def _numeric_counts(lf: Any, edges: dict[str, tuple[float, ...]], time_column: str | None, unit: str | None,
                    units: set[int]) -> dict[str, dict[tuple[int, Any], int]]:
    """The counts vectors of numeric columns, ``{name: {(time unit, entry): count}}``, from one
    scan: per column, the sums of the flags ``e_j < x < inf`` for every edge and of finite, +inf
    and -inf values, aggregated as expressions, or as flag columns made first where an engine
    aggregates only plain columns."""
    nw = _frames._narwhals()
    flags: dict[str, Any] = {}
    for c, (name, cuts) in enumerate(edges.items()):
        x = nw.col(name)
        below_inf = x < _INF  # (NaN is above +inf in SQL engines and Polars: no comparison lets it in)
        flags[f"__{c}_finite"] = (x > -_INF) & below_inf
        flags[f"__{c}_pinf"], flags[f"__{c}_ninf"] = x == _INF, x == -_INF
        for j, e in enumerate(cuts):
            flags[f"__{c}_gt{j}"] = (x > e) & below_inf
    when = nw.col(time_column).dt.truncate(unit).alias("__when") if time_column is not None else None

    def aggregate(frame: Any, key: Any, sums: list[Any]) -> Any:
        return (frame.select(*sums) if key is None else frame.group_by(key).agg(*sums)).collect()

    try:  # the sums as aggregations of expressions: one pass, nothing materialised (Polars, DuckDB, Spark)
        # (sums of 1-byte integers: Spark sums no booleans; every engine widens the sum)
        table = aggregate(lf, when, [v.cast(nw.Int8).sum().alias(k) for k, v in flags.items()] + [nw.len().alias("__n")])
    except (ValueError, NotImplementedError, RuntimeError):  # engines that aggregate plain columns only (Dask)
        made = lf.with_columns(*([when] if when is not None else []),
                               *[v.fill_null(False).cast(nw.Int8).alias(k) for k, v in flags.items()])
        table = aggregate(made, None if when is None else "__when",
                          [nw.col(k).sum().alias(k) for k in flags] + [nw.len().alias("__n")])
    rows = [(0, *r) if when is None else (_ns(r[0]), *r[1:]) for r in table.iter_rows()]
    out: dict[str, dict[tuple[int, Any], int]] = {name: {} for name in edges}
    for stamp, *values in rows:
        units.add(stamp)
        got = dict(zip([*flags, "__n"], (int(v) for v in values)))
        for c, (name, cuts) in enumerate(edges.items()):
            finite, pinf, ninf = got[f"__{c}_finite"], got[f"__{c}_pinf"], got[f"__{c}_ninf"]
            above = [finite] + [got[f"__{c}_gt{j}"] for j in range(len(cuts))] + [0]
            k = len(cuts) + 1
            entries = {j: above[j] - above[j + 1] for j in range(k)}
            entries.update({k: got["__n"] - finite - pinf - ninf, k + 1: pinf, k + 2: ninf})
            for j, n in entries.items():
                out[name][(stamp, j)] = out[name].get((stamp, j), 0) + n
    return out


def _partition_counts(part: Any, edges: dict[str, tuple[float, ...]], time_column: str | None,
                      unit_ns: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One partition's counts (a pandas frame, on a Dask worker): the time units present, and
    per numeric column a ``(units, entries)`` table from ``_tally.tally``, as the eager path counts."""
    nw = _frames._narwhals()
    frame = nw.from_native(part, eager_only=True)
    if time_column is None:
        stamps, groups = np.zeros(1, dtype=np.int64), None
    else:
        units = _frames.time_values(frame[time_column], time_column) // unit_ns
        low = int(units.min()) if units.size else 0
        span = int(units.max()) - low + 1 if units.size else 1
        if span <= 4 * units.size + 1024:  # dense: the offset is the group
            groups = units - low
            stamps = (np.arange(span, dtype=np.int64) + low) * unit_ns
        else:
            present, groups = np.unique(units, return_inverse=True)
            stamps = present * unit_ns
    n_groups = stamps.size
    tables = {name: tally(_frames.numbers(frame[name], name), np.asarray(cuts, dtype=np.float64), groups,
                          n_groups).reshape(n_groups, -1) for name, cuts in edges.items()}
    return stamps, tables


def _dask_numeric_counts(lf: Any, edges: dict[str, tuple[float, ...]], time_column: str | None, unit: str | None,
                         units: set[int]) -> dict[str, dict[tuple[int, Any], int]]:
    """:func:`_numeric_counts` on Dask: each partition counted where it lies by the eager
    counter (``_partition_counts``, one task per partition on the frame's scheduler or cluster),
    only the tables coming back. Dask's aggregations of flag columns through narwhals run at
    half this speed."""
    import dask

    native = lf.to_native()
    unit_ns = {name: size for size, name in _UNITS}[unit] if unit is not None else 1
    columns = list(edges) + ([time_column] if time_column is not None else [])
    count = dask.delayed(_partition_counts, pure=True)
    parts = dask.compute(*[count(p, edges, time_column, unit_ns) for p in native[columns].to_delayed()])
    out: dict[str, dict[tuple[int, Any], int]] = {name: {} for name in edges}
    for stamps, tables in parts:
        # the units that hold rows (every row has an entry in every column); no time column: the one unit 0
        held = np.flatnonzero(next(iter(tables.values())).sum(axis=1)) if time_column is not None else [0]
        units.update(int(s) for s in stamps[held])
        for name, table in tables.items():
            counted = out[name]
            for g in held:
                for j in np.flatnonzero(table[g]):
                    key = (int(stamps[g]), int(j))
                    counted[key] = counted.get(key, 0) + int(table[g, j])
    return out


def lazy_counts(lf: Any, ref: Profile, time_column: object, every: object,
                chunk_size: object) -> tuple[dict[str, ColumnCounts], Windows]:
    """Each column's counts per window, counted by the engine."""
    if chunk_size is not None:
        raise InvalidInputError("chunk_size needs rows in order, which a lazy frame does not have: use "
                                "time_column and every")
    schema = dict(lf.collect_schema())
    if time_column is not None and (not isinstance(time_column, str) or time_column not in schema):
        raise InvalidInputError(f"time_column {time_column!r} is not a column of current")
    unit = None
    if every is not None:
        nw = _frames._narwhals()
        if not isinstance(schema[time_column], (nw.Datetime, nw.Date)):
            raise InvalidInputError(f"time_column {time_column!r} must hold dates or datetimes, got {schema[time_column]}")
        unit = _unit_of(parse_every(every))[1]
    names = [name for name in ref.columns if name != time_column]
    for name in names:
        if name not in schema:
            raise InvalidInputError(f"column {name!r} of the reference is missing from current")
    by_time = time_column if every is not None else None
    per_column: dict[str, dict[tuple[int, Any], int]] = {}
    units: set[int] = set()
    numeric = [name for name in names if ref.columns[name].kind == "numeric"]
    if numeric:  # one scan for every numeric column: sums of flags per time unit
        counter = _dask_numeric_counts if lf.implementation.is_dask() else _numeric_counts
        per_column.update(counter(lf, {n: ref.columns[n].edges for n in numeric}, by_time, unit, units))
    nw = _frames._narwhals()
    for name in names:
        if name in per_column:
            continue
        x = nw.col(name)  # a categorical column: its labels' counts, a group per label (and time unit)
        counted: dict[tuple[int, Any], int] = {}
        for row in _grouped(lf, _label(x, schema[name], name), by_time, unit, x.is_null()):
            when, key_value, n = (row if by_time is not None else (0, *row))
            stamp = _ns(when) if by_time is not None else 0
            units.add(stamp)
            counted[(stamp, key_value)] = counted.get((stamp, key_value), 0) + int(n)
        per_column[name] = counted
    stamps = np.array(sorted(units), dtype=np.int64)
    cuts = windows_of(stamps, every) if every is not None else Windows(None, [(None, None)])
    where = {0: 0} if cuts.index is None else {int(s): int(w) for s, w in zip(stamps, cuts.index)}
    out = {}
    for name in names:  # in the reference's order
        out[name] = _table(ref.columns[name], per_column[name], where, len(cuts))
    return out, cuts


def _table(col: ColumnProfile, counted: dict[tuple[int, Any], int], where: dict[int, int], n_windows: int) -> ColumnCounts:
    """The W x bins table of one column from the engine's (time unit, key) counts."""
    k = len(col.counts)
    unseen: list[str] = []
    if col.kind == "numeric":
        entries = {(stamp, int(code)): n for (stamp, code), n in counted.items()}
    else:
        index = {c: i for i, c in enumerate(col.categories)}
        others = set(col.others)
        strangers: dict[str, int] = {}
        for (_, label), n in counted.items():
            if label is not None and label not in index and label not in others and not (col.pooled and not col.others):
                strangers[str(label)] = strangers.get(str(label), 0) + n
        unseen = [u for u, _ in sorted(strangers.items(), key=lambda kv: (-kv[1], kv[0]))]
        slot = {u: k + 3 + i for i, u in enumerate(unseen)}
        entries = {}
        for (stamp, label), n in counted.items():
            if label is None or (isinstance(label, float) and math.isnan(label)):
                code = k
            elif label in index:
                code = index[label]
            elif label in slot:
                code = slot[label]
            else:
                code = k - 1  # pooled in "other"
            entries[(stamp, code)] = entries.get((stamp, code), 0) + n
    table = np.zeros((n_windows, k + 3 + len(unseen)), dtype=np.int64)
    for (stamp, code), n in entries.items():
        table[where[stamp], code] += n
    return ColumnCounts(col, unseen, table)


def lazy_profile(lf: Any, columns: list[str] | None, forced: set[str], bins: object, max_categories: int) -> Profile:
    """A reference profile fitted and counted by the engine."""
    nw = _frames._narwhals()
    schema = dict(lf.collect_schema())
    for name in [*(columns or ()), *forced]:
        if name not in schema:
            raise InvalidInputError(f"column {name!r} is not in the reference (its columns: {', '.join(schema)})")
    n_rows = int(lf.select(nw.len()).collect().item())
    if n_rows == 0:
        raise InvalidInputError("reference is empty (no rows)")
    profiles, skipped = {}, {}
    approximate = lf.implementation.name.lower() in ("dask", "pyspark", "pyspark_connect", "sqlframe")
    method = "approximate (the engine's)" if approximate else "exact"
    for name in columns or list(schema):
        dtype = schema[name]
        x = nw.col(name)
        if isinstance(dtype, (nw.Datetime, nw.Date, nw.Duration)) or dtype == nw.Date:
            reason = "dates and times are not compared (time moves by design): use it as time_column= to cut windows"
            if columns is not None:
                raise InvalidInputError(f"column {name!r}: {reason}")
            skipped[name] = reason
            continue
        numeric = dtype.is_numeric() and dtype != nw.Boolean and name not in forced
        if numeric and dtype.is_integer():
            distinct, nulls = lf.select(x.n_unique(), x.null_count().alias("nulls")).collect().rows()[0]
            numeric = int(distinct) - (int(nulls) > 0) > _frames.FEW_VALUES
        if numeric:
            edges = _lazy_edges(lf, name, bins)
            col = ColumnProfile(name=name, kind="numeric", counts=(0,) * (len(edges) + 1), edges=edges)
        elif dtype.is_numeric() or dtype in (nw.String, nw.Categorical, nw.Boolean) or isinstance(
                dtype, (nw.Categorical, nw.Enum)):
            pairs = sorted(((str(label), int(n)) for label, n in _grouped(lf, _label(x, dtype, name), None, None,
                                                                           x.is_null()) if label is not None),
                           key=lambda vc: (-vc[1], vc[0]))
            kept, rest = pairs[:max_categories], pairs[max_categories:]
            col = ColumnProfile(name=name, kind="categorical", counts=(0,) * (len(kept) + bool(rest)),
                                categories=tuple(v for v, _ in kept), pooled=bool(rest),
                                others=tuple(v for v, _ in rest) if len(rest) <= MAX_POOLED_NAMES else ())
        else:
            raise InvalidInputError(f"column {name!r} has type {dtype}, which cannot be binned: "
                                    "leave it out with columns=, or cast it")
        profiles[name] = col
    if not profiles:
        raise InvalidInputError("the reference has no column to compare")
    fitted = Profile(columns=profiles, n_rows=n_rows, bins=bins, max_categories=max_categories, skipped=skipped,
                     quantiles=method)
    counts, _ = lazy_counts(lf, fitted, None, None, None)
    return Profile(columns={n: c.col.counted(c.table[0], c.unseen) for n, c in counts.items()}, n_rows=n_rows,
                   bins=bins, max_categories=max_categories, skipped=skipped, quantiles=method)


def _lazy_edges(lf: Any, name: str, bins: object) -> tuple[float, ...]:
    """Interior edges at the reference's quantiles, taken by the engine."""
    nw = _frames._narwhals()
    if not isinstance(bins, int) or isinstance(bins, bool):
        if isinstance(bins, str):
            raise InvalidInputError("bins on a lazy frame must be a number of bins or explicit edges")
        return tuple(float(e) for e in reference_edges([0.0], bins, name=f"column {name!r}"))
    x = nw.col(name)
    finite = lf.filter((x > -_INF) & (x < _INF))
    levels = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    if lf.implementation.name.lower() == "dask":  # no quantile expression on partitions: Dask's own (approximate)
        native = finite.to_native()
        values = np.asarray(native[name].quantile(list(levels)).compute(), dtype=np.float64)
    else:
        row = finite.select(*[x.quantile(float(q), interpolation="linear").alias(f"q{i}") for i, q in enumerate(levels)],
                            x.min().alias("lo"), x.max().alias("hi")).collect().rows()[0]
        values = np.array([v for v in row[:-2]], dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return ()
    # As on an eager frame: equal quantiles merge, and a value two or more share gets a bin of its own.
    distinct, repeats = np.unique(values, return_counts=True)
    atoms = np.nextafter(distinct[repeats > 1], -np.inf)
    return tuple(float(e) for e in np.unique(np.concatenate([distinct, atoms])))
