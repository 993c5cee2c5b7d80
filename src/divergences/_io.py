"""Reading numbers from files and command-line text: probability vectors, rows, named columns.

Every reader of the package lives here, shared by the command line (and, next, the drift module):

- :func:`read_distributions`: comma-separated numbers, or a .csv / .txt / .npy / .parquet file
  with one distribution per row.
- :func:`read_columns`: the named columns of a .csv file with a header row, or of a .parquet file.
- :func:`read_parquet`: every column of a .parquet file, one event each.
- :func:`import_pyarrow`: pyarrow, imported only when a .parquet file is read, with an error
  naming the extra to install when it is absent.
- :func:`column_names`, :func:`is_number`: the small parsers the readers use.

Every failure raises :class:`~divergences.InvalidInputError` with a one-line message that starts
with ``name`` (what the caller calls the input, e.g. ``"P"``, or the option) and names the file.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from ._exceptions import InvalidInputError

__all__ = ["PARQUET_EXTRA", "column_names", "import_pyarrow", "is_number", "read_columns", "read_distributions",
           "read_parquet"]

PARQUET_EXTRA = "divergences[parquet]"  # what to install for .parquet files
FILE_SUFFIXES = frozenset({".csv", ".npy", ".txt", ".parquet"})  # text with these endings is a path, never numbers


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
    """Comma-separated numbers, or a .csv / .txt / .npy / .parquet file with one distribution per row.

    Text ending in .csv, .txt, .npy or .parquet, or naming an existing path, is a file: .npy is
    read with ``np.load`` (no pickles), .parquet with :func:`read_parquet`, anything else as
    comma-separated numbers, one distribution per line, ``#`` starting a comment. Other text is
    a list of numbers such as ``"0.1,0.4,0.5"``. The values are not checked here: the library
    says what is wrong with them (an empty file becomes an empty array).

    Parameters
    ----------
    text : str
        The numbers, or the path of the file.
    name : str
        What the caller calls the input, the start of every error message.
    rows : bool, default False
        Always return distributions x events (2-D or more): a single distribution becomes one
        row, and a one-column CSV file is that many distributions of one event.

    Returns
    -------
    numpy.ndarray
        As read: 1-D for a list of numbers or a one-line CSV file unless ``rows``.

    Raises
    ------
    InvalidInputError
        A missing or unreadable file, or text that is neither numbers nor a file.

    Examples
    --------
    >>> read_distributions("0.1,0.4,0.5", "P")
    array([0.1, 0.4, 0.5])
    >>> read_distributions("0.1,0.4,0.5", "P", rows=True)
    array([[0.1, 0.4, 0.5]])
    >>> read_distributions("0.1,a", "P")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: P must be comma-separated numbers (e.g. 0.1,0.4,0.5) or a .csv/.npy/.parquet file, got '0.1,a'

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
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in FILE_SUFFIXES or path.exists():
        if not path.is_file():
            raise InvalidInputError(f"{name}: no such file {text!r}")
        if suffix == ".parquet":
            return read_parquet(path, name)
        try:
            if suffix == ".npy":
                x = np.load(path, allow_pickle=False)
            else:
                with warnings.catch_warnings():  # an empty file: the library reports the shape
                    warnings.simplefilter("ignore")
                    x = np.loadtxt(path, delimiter=",", ndmin=2 if rows else 1, comments="#")
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"{name}: cannot read {text!r}: {exc}") from None
    else:
        try:
            x = np.array([float(v) for v in text.split(",") if v.strip()])
        except ValueError:
            raise InvalidInputError(
                f"{name} must be comma-separated numbers (e.g. 0.1,0.4,0.5) or a .csv/.npy/.parquet file, got {text!r}"
            ) from None
    return np.atleast_2d(x) if rows else x


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

    In a CSV file the columns not asked for may hold anything (ids, labels); the ones asked for
    must hold a number in every row. Every column of a .parquet file must be numeric.

    Parameters
    ----------
    path : str or path-like
        The file: .csv or .txt (comma-separated, the first line naming the columns) or .parquet.
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
        A missing, unreadable or empty file, another ending, a CSV file without a header or
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
    path = Path(text)
    if not path.is_file():
        raise InvalidInputError(f"{name}: no such file {text!r}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        header, data = _read_parquet(path, name)
        rows: list[list[str]] = []
    elif suffix in (".csv", ".txt"):
        try:
            with path.open(newline="") as f:
                rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInputError(f"{name}: cannot read {text!r}: {exc}") from None
        if not rows:
            raise InvalidInputError(f"{name}: {text!r} is empty")
        header = [cell.strip() for cell in rows[0]]
        if all(is_number(cell) for cell in header):
            raise InvalidInputError(f"{name}: the first line of {text!r} must name the columns (a header such as a,b)")
    else:
        raise InvalidInputError(f"{name} must be a .csv file with a header row or a .parquet file, got {text!r}")
    wanted = list(header if columns is None else columns)
    for column in wanted:
        if column not in header:
            raise InvalidInputError(f"{name}: no column {column!r} in {text!r} (its columns: {', '.join(header)})")
        if header.count(column) > 1:
            raise InvalidInputError(f"{name}: column {column!r} appears {header.count(column)} times in {text!r}")
    index = [header.index(column) for column in wanted]
    if suffix == ".parquet":
        return wanted, data[:, index].astype(np.float64)
    if len(rows) == 1:
        raise InvalidInputError(f"{name}: {text!r} has a header but no rows")
    out = np.empty((len(rows) - 1, len(index)))
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InvalidInputError(f"{name}: row {i + 1} of {text!r} has {len(row)} fields, the header {len(header)}")
        for j, col in enumerate(index):
            cell = row[col].strip()
            if not is_number(cell):
                what = "a missing value" if not cell else f"{cell!r}, not a number"
                raise InvalidInputError(f"{name}: column {header[col]!r} of {text!r} has {what} in row {i + 1}")
            out[i, j] = float(cell)
    return wanted, out


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
