"""Eager data frames and files in, one column at a time out, through narwhals (lazy frames: ``_lazy``).

A user's table arrives as a pandas, Polars or PyArrow frame, or as a .csv / .parquet path
(read with pyarrow). :func:`frame` wraps it in a narwhals ``DataFrame``, so that one code
path serves every frame library and none of them is imported here; :func:`column_kind`
says how a column is compared and :func:`numbers` / :func:`labels` give its values in the
form the binning needs: float64 numbers (NaN for a missing value), or category labels as a
narwhals string ``Series`` with a mask of the missing ones.

Kinds (decided on the reference; later data follow the reference's decision):

- ``"numeric"``: floating-point columns, and integer columns with more than
  :data:`FEW_VALUES` distinct values;
- ``"categorical"``: strings, categoricals, booleans, integers with few distinct values, and
  any column named in ``categorical=``;
- ``"datetime"``: dates, datetimes and durations are not compared (time moves by design):
  they can be the ``time_column`` that cuts windows, and are otherwise left out and listed
  (``Profile.skipped``); naming one in ``columns=`` is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._io import import_pyarrow

__all__ = ["FEW_VALUES", "column_kind", "frame", "labels", "mask_series", "numbers", "time_values"]

DRIFT_EXTRA = "divergences[drift]"
FEW_VALUES = 20  # an integer column with at most this many distinct values is categorical


def _narwhals() -> Any:
    try:
        import narwhals.stable.v2 as nw
    except ImportError:
        raise InvalidInputError(f"dv.drift needs narwhals: pip install {DRIFT_EXTRA}") from None
    return nw


def frame(data: object, name: str) -> Any:
    """``data`` (a pandas / Polars / PyArrow frame, or a .csv / .parquet path) as a narwhals
    eager ``DataFrame`` with at least one row; ``name`` starts every error message."""
    nw = _narwhals()
    if isinstance(data, (str, os.PathLike)):
        data = _read(Path(data), name)
    try:
        df = nw.from_native(data, eager_only=True)
    except TypeError:  # (lazy frames are routed to _lazy before they get here)
        raise InvalidInputError(
            f"{name} must be a pandas, Polars or PyArrow data frame, or a .csv / .parquet path; "
            f"got {type(data).__name__}"
        ) from None
    if df.shape[0] == 0:
        raise InvalidInputError(f"{name} is empty (no rows)")
    if not all(isinstance(c, str) for c in df.columns):  # pandas' integer names: columns are named by text
        texts = [str(c) for c in df.columns]
        if len(set(texts)) != len(texts):
            raise InvalidInputError(f"{name} has column names that are the same as text: {texts}")
        df = df.rename({c: str(c) for c in df.columns})
    if df.shape[1] == 0:
        raise InvalidInputError(f"{name} has no columns")
    return df


def _read(path: Path, name: str) -> Any:
    """A .csv or .parquet file as a PyArrow table."""
    if not path.exists():
        raise InvalidInputError(f"{name}: no such file: {path}")
    if path.is_dir():
        raise InvalidInputError(f"{name}: {path} is a directory, not a .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InvalidInputError(f"{name}: {path} must be a .csv or .parquet file (or a saved profile .json)")
    pa, pq = import_pyarrow(name)
    try:
        if suffix == ".parquet":
            return pq.read_table(path)
        import pyarrow.csv as pacsv

        return pacsv.read_csv(path)
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInputError(f"{name}: cannot read {path}: {first}") from None


def column_kind(series: Any, forced_categorical: bool) -> str | None:
    """``"numeric"``, ``"categorical"``, ``"datetime"`` or None (a type that cannot be binned)."""
    nw = _narwhals()
    dtype = series.dtype
    if isinstance(dtype, (nw.Datetime, nw.Date, nw.Duration)) or dtype == nw.Date:
        return "datetime"
    if forced_categorical:
        return "categorical"
    if dtype.is_numeric() and not dtype == nw.Boolean:
        if dtype.is_float():
            return "numeric"
        return "categorical" if series.n_unique() - int(series.null_count() > 0) <= FEW_VALUES else "numeric"
    if dtype in (nw.String, nw.Categorical, nw.Enum, nw.Boolean) or isinstance(dtype, (nw.Categorical, nw.Enum)):
        return "categorical"
    if dtype in (nw.Object, nw.Unknown):  # pandas' object columns (strings, booleans with None); all-null columns
        return "categorical"
    return None


def numbers(series: Any, name: str) -> np.ndarray:
    """A numeric column as float64, NaN where a value is missing (null or NaN)."""
    nw = _narwhals()
    try:
        values = np.asarray(series.cast(nw.Float64).to_numpy(), dtype=np.float64)
    except Exception as exc:  # each frame library raises its own kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"column {name!r} must hold numbers, as in the reference; it has type "
                                f"{series.dtype} ({first})") from None
    if not _nan_is_null(series) and series.null_count():
        values = values.copy()
        values[np.asarray(series.is_null().to_numpy(), dtype=bool)] = np.nan
    return values


def _nan_is_null(series: Any) -> bool:
    """A pandas column of NumPy floats, whose missing values are NaN already (looking for
    nulls would cost a pass over it)."""
    dtype = getattr(series.to_native(), "dtype", None)
    return bool(series.implementation.is_pandas() and isinstance(dtype, np.dtype) and dtype.kind == "f")


def labels(series: Any) -> tuple[Any, np.ndarray]:
    """A categorical column as (a narwhals ``Series`` of string labels, a boolean mask of the
    missing values). Booleans read ``"true"`` / ``"false"`` and numbers their shortest form
    (``1`` whether the column holds integers or floats: a NaN in pandas makes integers
    floats), whatever the frame library."""
    nw = _narwhals()
    name = series.name
    try:
        missing = np.asarray(series.is_null().to_numpy(), dtype=bool)
        if series.dtype == nw.Unknown:  # the null type: nothing but missing values
            return _strings(np.full(len(missing), "", dtype=object), series), np.ones(len(missing), dtype=bool)
        if series.dtype == nw.Object:
            text = np.array([_label(v) for v in series.to_numpy()], dtype=object)
            missing = missing | np.array([v is None for v in text], dtype=bool)
            text[missing] = ""
            return _strings(text, series), missing
        if series.dtype.is_numeric() and series.dtype != nw.Boolean:
            values = np.asarray(series.cast(nw.Float64).to_numpy(), dtype=np.float64)
            missing = missing | np.isnan(values)
            return _strings(_number_labels(values, missing), series), missing
        strings = series.cast(nw.String)
    except InvalidInputError:
        raise
    except Exception as exc:  # each frame library raises its own kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"column {name!r} has type {series.dtype}, which cannot be read as categories "
                                f"({first})") from None
    if series.dtype == nw.Boolean:
        strings = strings.str.to_lowercase()
    return strings, missing


def _number_labels(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Each number's label: an integral value as an integer (``1``), any other in its shortest form."""
    out = np.full(values.shape, "", dtype=object)
    whole = ~missing & (np.abs(values) < 2.0**53) & (values == np.floor(values))
    out[whole] = values[whole].astype(np.int64).astype(str)
    rest = ~missing & ~whole
    out[rest] = [repr(float(v)) for v in values[rest]]
    return out


def _strings(text: np.ndarray, like: Any) -> Any:
    nw = _narwhals()
    return nw.new_series(like.name, text.astype(str), nw.String, backend=like.implementation)


def _label(value: object) -> str | None:
    """The label of one value of an object column (None: missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def time_values(series: Any, name: str) -> np.ndarray:
    """A time column as int64 nanoseconds since the epoch (UTC); refused unless dates/times with no gap."""
    nw = _narwhals()
    if not isinstance(series.dtype, (nw.Datetime, nw.Date)) and series.dtype != nw.Date:
        raise InvalidInputError(f"time_column {name!r} must hold dates or datetimes, got {series.dtype}")
    if series.null_count():
        raise InvalidInputError(f"time_column {name!r} has {series.null_count()} missing values: every row needs a time")
    values = np.asarray(series.to_numpy())
    if values.dtype.kind != "M":
        values = values.astype("datetime64[ns]")
    return values.astype("datetime64[ns]").view(np.int64)


def mask_series(mask: np.ndarray, like: Any) -> Any:
    """A boolean NumPy ``mask`` as a narwhals ``Series`` of ``like``'s frame library (for ``filter``)."""
    nw = _narwhals()
    return nw.new_series("mask", np.asarray(mask, dtype=bool), nw.Boolean, backend=like.implementation)
