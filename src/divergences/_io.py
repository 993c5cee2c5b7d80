"""Reading numbers from files and command-line text: probability vectors, rows, named columns.

Every reader of the package lives here, shared by the command line (and, next, the drift module):

- :func:`read_distributions`: comma-separated numbers, or a .csv / .txt / .npy / .npz / .parquet
  file with one distribution per row.
- :func:`read_columns`: the named columns of a .csv file with a header row, or of a .parquet file.
- :func:`read_parquet`: every column of a .parquet file, one event each.
- :func:`import_pyarrow`: pyarrow, imported only when a .parquet file is read, with an error
  naming the extra to install when it is absent.
- :func:`column_names`, :func:`is_number`: the small parsers the readers use.
- :func:`json_text`: the one writer, strict JSON (an infinite value is the string ``"inf"``).

``"-"`` (:data:`STDIN`) in place of a file name is standard input, read as CSV text.

Every failure raises :class:`~divergences.InvalidInputError` with a one-line message that starts
with ``name`` (what the caller calls the input, e.g. ``"P"``, or the option) and names the file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ._exceptions import InvalidInputError

__all__ = ["PARQUET_EXTRA", "STDIN", "column_names", "import_pyarrow", "is_number", "json_text", "read_columns", "read_distributions",
           "read_parquet"]

PARQUET_EXTRA = "divergences[parquet]"  # what to install for .parquet files
FILE_SUFFIXES = frozenset({".csv", ".npy", ".npz", ".txt", ".parquet"})  # text with these endings is a path, never numbers
STDIN = "-"  # the file name that means standard input (CSV text)
NUMBER_KINDS = "biuf"  # the dtype kinds of an array of numbers (bool, int, uint, float)


def import_pyarrow(name: str) -> tuple[ModuleType, ModuleType]:
    """``pyarrow`` and ``pyarrow.parquet``, imported on first use (pyarrow is an optional extra).

    Parameters
    ----------
    name : str
        What the caller calls the input, the start of the error message.

    Returns
    -------
    (pyarrow, pyarrow.parquet) : tuple of modules

    Raises
    ------
    InvalidInputError
        When pyarrow is not installed, naming the extra that installs it.

    Examples
    --------
    >>> import pyarrow  # the example needs it
    >>> pa, pq = import_pyarrow("P")
    >>> pq.__name__
    'pyarrow.parquet'

    Without pyarrow: ``InvalidInputError: P: reading .parquet files needs pyarrow: pip install
    divergences[parquet]``.
    """
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InvalidInputError(f"{name}: reading .parquet files needs pyarrow: pip install {PARQUET_EXTRA}") from None
    return pyarrow, pyarrow.parquet


def read_distributions(text: str, name: str, *, rows: bool = False) -> np.ndarray:
    """Comma-separated numbers, or a file with one distribution per row (``"-"``: standard input).

    Text ending in .csv, .txt, .npy, .npz or .parquet, or naming an existing path, is a file:
    .npy and .npz are read with ``np.load`` (no pickles; a .npz must hold one array),
    .parquet with :func:`read_parquet`, anything else as comma-separated numbers, one
    distribution per line, ``#`` starting a comment. ``"-"`` is standard input, read as such
    comma-separated text. Other text is a list of numbers such as ``"0.1,0.4,0.5"``. The
    values are not checked here (the library says what is wrong with them), but the shape
    is: at most 2 dimensions, and not empty.

    Parameters
    ----------
    text : str
        The numbers, the path of the file, or ``"-"``.
    name : str
        What the caller calls the input, the start of every error message.
    rows : bool, default False
        Always return distributions x events (2-D): a single distribution becomes one row,
        and a one-column CSV file is that many distributions of one event.

    Returns
    -------
    numpy.ndarray
        As read: 1-D for a list of numbers or a one-line CSV file unless ``rows``.

    Raises
    ------
    InvalidInputError
        A missing file, a directory, an unreadable, empty or invalid file (not text, not a
        .npy of numbers, a .npz of several arrays), an array of more than 2 dimensions, or
        text that is neither numbers nor a file (an empty field included).

    Examples
    --------
    >>> read_distributions("0.1,0.4,0.5", "P")
    array([0.1, 0.4, 0.5])
    >>> read_distributions("0.1,0.4,0.5", "P", rows=True)
    array([[0.1, 0.4, 0.5]])
    >>> read_distributions("0.1,a", "P")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: P must be comma-separated numbers (e.g. 0.1,0.4,0.5) or a .csv/.npy/.npz/.parquet file, got '0.1,a'
    >>> read_distributions("0.5,,0.5", "P")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: P: field 2 of '0.5,,0.5' is empty; give comma-separated numbers such as 0.1,0.4,0.5

    A file, one distribution per line:

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "p.csv")
    ...     _ = path.write_text("# p, q\\n0.2,0.8\\n0.5,0.5\\n")
    ...     read_distributions(str(path), "P")
    array([[0.2, 0.8],
           [0.5, 0.5]])
    >>> read_distributions("missing.csv", "Q")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: Q: no such file 'missing.csv'
    """
    if text == STDIN:
        x = _parse_csv(io.StringIO(_read_stdin(name)), name, "standard input", rows)
        return _check_shape(x, name, "standard input", rows)
    if not text.strip():
        raise InvalidInputError(f"{name} is empty: give comma-separated numbers such as 0.1,0.4,0.5, or a file")
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES or path.exists():
        _check_file(path, text, name)
        if suffix == ".parquet":
            x = read_parquet(path, name)
        elif suffix in (".npy", ".npz"):
            x = _load_numpy(path, text, name)
        else:
            x = _parse_csv(path, name, repr(text), rows)
        return _check_shape(x, name, repr(text), rows)
    fields = text.split(",")
    for i, field in enumerate(fields):
        if not field.strip():
            raise InvalidInputError(
                f"{name}: field {i + 1} of {text!r} is empty; give comma-separated numbers such as 0.1,0.4,0.5"
            )
    try:
        x = np.array([float(v) for v in fields])
    except ValueError:
        raise InvalidInputError(
            f"{name} must be comma-separated numbers (e.g. 0.1,0.4,0.5) or a .csv/.npy/.npz/.parquet file, got {text!r}"
        ) from None
    return np.atleast_2d(x) if rows else x


def _check_file(path: Path, text: str, name: str) -> None:
    """Refuse a path that is missing or a directory (a pipe or a device such as /dev/stdin is read)."""
    if path.is_dir():
        raise InvalidInputError(f"{name}: {text!r} is a directory, not a file")
    if not path.exists():
        raise InvalidInputError(f"{name}: no such file {text!r}")


def _read_stdin(name: str) -> str:
    """All of standard input, as UTF-8 text (without a byte-order mark)."""
    try:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes behind it (as in tests)
            return sys.stdin.read().removeprefix("\ufeff")
        return stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{name}: standard input is not UTF-8 text") from None
    except (OSError, AttributeError, ValueError) as exc:  # closed or absent (None) standard input
        raise InvalidInputError(f"{name}: cannot read standard input: {exc}") from None


# np.loadtxt's messages, rewritten for someone who wrote the file (its rows counted from 0 in
# the first, from 1 in the second; both count the rows of numbers, after comments and blank lines).
_NOT_A_NUMBER = re.compile(r"could not convert string '(.*)' to \w+ at row (\d+), column (\d+)")
_RAGGED = re.compile(r"the number of columns changed from (\d+) to (\d+) at row (\d+)")


def _parse_csv(source: Path | io.StringIO, name: str, where: str, rows: bool) -> np.ndarray:
    """Comma-separated numbers, one distribution per line, ``#`` starting a comment."""
    try:
        with warnings.catch_warnings():  # an empty file: refused by _check_shape, with its own message
            warnings.simplefilter("ignore")
            return np.loadtxt(source, delimiter=",", ndmin=2 if rows else 1, comments="#", encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{name}: {where} is not a text file of comma-separated numbers") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot read {where}: {exc.strerror or exc}") from None
    except ValueError as exc:
        message = str(exc)
        if match := _NOT_A_NUMBER.search(message):
            cell, row, column = match.group(1), int(match.group(2)) + 1, match.group(3)
            what = "an empty field" if not cell.strip() else f"{cell.strip()!r}, not a number,"
            hint = " (a header line must start with #)" if row == 1 and cell.strip() else ""
            raise InvalidInputError(f"{name}: row {row} of {where} has {what} in column {column}{hint}") from None
        if match := _RAGGED.search(message):
            before, now, line = match.groups()
            raise InvalidInputError(
                f"{name}: row {line} of {where} has {now} number{'s' if now != '1' else ''}, the rows before it {before}: "
                "every distribution needs the same events"
            ) from None
        raise InvalidInputError(f"{name}: cannot read {where}: {message.splitlines()[0]}") from None


def _load_numpy(path: Path, text: str, name: str) -> np.ndarray:
    """The array of a .npy file, or the one array of a .npz file (never a pickle)."""
    kind = path.suffix.lower()
    invalid = f"{name}: {text!r} is not a valid {kind} file of numbers"
    names: list[str] = []
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                names = list(loaded.files)
                x = loaded[names[0]] if len(names) == 1 else None
        else:
            x = loaded
    except OSError as exc:
        if not exc.strerror:
            raise InvalidInputError(invalid) from None
        raise InvalidInputError(f"{name}: cannot read {text!r}: {exc.strerror}") from None
    except (ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):  # not NumPy's format, or pickled
        raise InvalidInputError(invalid) from None
    if x is None:
        held = f"{len(names)} arrays ({', '.join(names)})" if names else "no arrays"
        raise InvalidInputError(f"{name}: {text!r} holds {held}; give a .npz of one array, or that array as .npy")
    if not isinstance(x, np.ndarray) or x.dtype.kind not in NUMBER_KINDS:
        what = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise InvalidInputError(f"{invalid} (it holds {what} values)")
    return x


def _check_shape(x: np.ndarray, name: str, where: str, rows: bool) -> np.ndarray:
    """``x`` as distributions (1-D, or 2-D with ``rows``), refused when empty or of more than 2 dimensions."""
    if x.ndim > 2:
        raise InvalidInputError(
            f"{name}: {where} has {x.ndim} dimensions, shape {x.shape}; give one distribution per row (at most 2)"
        )
    if x.size == 0:
        raise InvalidInputError(f"{name}: {where} is empty (" + (f"shape {x.shape})" if x.ndim > 1 else "no numbers)"))
    return np.atleast_2d(x) if rows else np.atleast_1d(x)


def read_parquet(path: str | os.PathLike[str], name: str) -> np.ndarray:
    """Every column of a .parquet file one event, every row one distribution.

    Parameters
    ----------
    path : str or path-like
        The .parquet file.
    name : str
        What the caller calls the input, the start of every error message.

    Returns
    -------
    numpy.ndarray
        rows x columns, of the columns' common NumPy type.

    Raises
    ------
    InvalidInputError
        pyarrow missing (naming the extra to install), an unreadable file, no columns, a column
        that is not integer or floating point, or one with missing values.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pyarrow as pa, pyarrow.parquet as pq  # the example needs them
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "p.parquet")
    ...     pq.write_table(pa.table({"a": [0.2, 0.5], "b": [0.8, 0.5]}), path)
    ...     read_parquet(path, "P")
    array([[0.2, 0.8],
           [0.5, 0.5]])
    """
    return _read_parquet(Path(path), name)[1]


def _read_parquet(path: Path, name: str) -> tuple[list[str], np.ndarray]:
    """The column names and the numbers of a .parquet file (see :func:`read_parquet`)."""
    pa, pq = import_pyarrow(name)
    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InvalidInputError(f"{name}: cannot read {str(path)!r}: {exc}") from None
    columns = []
    for field, column in zip(table.schema, table.columns):
        if not (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)):
            raise InvalidInputError(
                f"{name}: column {field.name!r} of {str(path)!r} is {field.type}; every column must be numeric (one event)"
            )
        if column.null_count:
            raise InvalidInputError(f"{name}: column {field.name!r} of {str(path)!r} has {column.null_count} missing values")
        columns.append(column.to_numpy())
    if not columns:
        raise InvalidInputError(f"{name}: {str(path)!r} has no columns")
    return list(table.schema.names), np.column_stack(columns)


def read_columns(
    path: str | os.PathLike[str], name: str, columns: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """The named columns of a .csv (or .txt) file with a header row, or of a .parquet file, as floats.

    ``"-"`` is standard input, read as such a CSV file.

    In a CSV file the columns not asked for may hold anything (ids, labels); the ones asked for
    must hold a number in every row. Every column of a .parquet file must be numeric.

    Parameters
    ----------
    path : str or path-like
        The file: .csv or .txt (comma-separated, the first line naming the columns), .parquet,
        or ``"-"`` (standard input, CSV).
    name : str
        What the caller calls the input, the start of every error message.
    columns : sequence of str, optional
        The columns wanted, in this order. Default: all of them, in the file's order.

    Returns
    -------
    (names, values) : tuple of list of str and numpy.ndarray
        The columns' names and their values, rows x columns, float64.

    Raises
    ------
    InvalidInputError
        A missing, unreadable or empty file, a directory, another ending, a CSV file without a header or
        rows, an unknown or repeated column, a row of the wrong length, a missing value or
        text in a column asked for.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "samples.csv")
    ...     _ = path.write_text("id,a,b\\nx1,0.5,2\\nx2,1.5,-1\\n")
    ...     read_columns(path, "X", ["b", "a"])
    (['b', 'a'], array([[ 2. ,  0.5],
           [-1. ,  1.5]]))
    """
    text = os.fspath(path)
    where = "standard input" if text == STDIN else repr(text)
    path = Path(text)
    suffix = "" if text == STDIN else path.suffix.lower()
    if text != STDIN:
        _check_file(path, text, name)
    if suffix == ".parquet":
        header, data = _read_parquet(path, name)
        rows: list[list[str]] = []
    elif suffix in (".csv", ".txt") or text == STDIN:
        try:
            if text == STDIN:
                rows = _csv_rows(io.StringIO(_read_stdin(name), newline=""))
            else:
                with path.open(newline="", encoding="utf-8-sig") as f:
                    rows = _csv_rows(f)
        except UnicodeDecodeError:
            raise InvalidInputError(f"{name}: {where} is not a text file of comma-separated values") from None
        except (OSError, csv.Error) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise InvalidInputError(f"{name}: cannot read {where}: {detail}") from None
        if not rows:
            raise InvalidInputError(f"{name}: {where} is empty")
        header = [cell.strip() for cell in rows[0]]
        if all(is_number(cell) for cell in header):
            raise InvalidInputError(f"{name}: the first line of {where} must name the columns (a header such as a,b)")
    else:
        raise InvalidInputError(
            f"{name} must be a .csv file with a header row or a .parquet file (or - for standard input), got {text!r}"
        )
    wanted = list(header if columns is None else columns)
    for column in wanted:
        if column not in header:
            raise InvalidInputError(f"{name}: no column {column!r} in {where} (its columns: {', '.join(header)})")
        if header.count(column) > 1:
            raise InvalidInputError(f"{name}: column {column!r} appears {header.count(column)} times in {where}")
    index = [header.index(column) for column in wanted]
    if suffix == ".parquet":
        return wanted, data[:, index].astype(np.float64)
    if len(rows) == 1:
        raise InvalidInputError(f"{name}: {where} has a header but no rows")
    out = np.empty((len(rows) - 1, len(index)))
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InvalidInputError(f"{name}: row {i + 1} of {where} has {len(row)} fields, the header {len(header)}")
        for j, col in enumerate(index):
            cell = row[col].strip()
            if not is_number(cell):
                what = "a missing value" if not cell else f"{cell!r}, not a number"
                raise InvalidInputError(f"{name}: column {header[col]!r} of {where} has {what} in row {i + 1}")
            out[i, j] = float(cell)
    return wanted, out


def _csv_rows(lines: Iterable[str]) -> list[list[str]]:
    """The rows of CSV text that hold anything but blanks."""
    return [r for r in csv.reader(lines) if any(cell.strip() for cell in r)]


def column_names(value: str | None, option: str) -> list[str] | None:
    """The column names in a comma-separated list such as ``"a,b"`` (None stays None).

    Parameters
    ----------
    value : str or None
        The list, as given on the command line.
    option : str
        Where it was given (e.g. ``"--columns"``), the start of the error message.

    Examples
    --------
    >>> column_names(" a, b", "--columns")
    ['a', 'b']
    >>> column_names("a,,b", "--x")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: --x must be comma-separated column names, e.g. a,b; got 'a,,b'
    """
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")]
    if not all(names):
        raise InvalidInputError(f"{option} must be comma-separated column names, e.g. a,b; got {value!r}")
    return names


def is_number(text: str) -> bool:
    """Whether ``float`` reads ``text`` (so ``"nan"`` and ``"-inf"`` are numbers, ``""`` is not).

    Examples
    --------
    >>> is_number("1e-3"), is_number("inf"), is_number(""), is_number("a")
    (True, True, False, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


def _strict(value: Any) -> Any:
    """``value`` with every non-finite float, however deep in lists and dicts, as ``"inf"``, ``"-inf"`` or ``"nan"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _strict(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def json_text(result: Any) -> str:
    """``result`` as strict JSON, RFC 8259 (what strict parsers accept): a non-finite number is the string "inf", "-inf" or "nan".

    Examples
    --------
    >>> json_text({"value": float("inf"), "values": [0.5, float("nan"), -float("inf")]})
    '{"value": "inf", "values": [0.5, "nan", "-inf"]}'
    """
    return json.dumps(_strict(result), allow_nan=False)
