"""The ``divergences`` command line: parse, call the public API, print. No mathematics here.

    divergences kl 0.1,0.4,0.5 0.8,0.15,0.05 --base 2      ->  1.927 bits
    divergences entropy counts.csv --normalize --json
    divergences pairwise docs.parquet --metric js --output D.npy   ->  the N x N matrix
    divergences pairwise queries.csv docs.npy --metric kl --nearest 5
    divergences estimate kl before.csv after.csv --ci 0.95 --test   ->  value, interval, p-value
    divergences list
    divergences demo
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import inspect
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import numpy as np

from . import discrete, estimate
from ._exceptions import DivergenceError, InvalidInputError
from ._metadata import DIVERGENCES
from .estimate import resampling_scheme
from .estimate._samples import TIES
from .estimate._uncertainty import bootstrap, check_ci, check_count, permutation_test
from .pairwise import nearest, pairwise

__all__ = ["main", "read_distributions", "unit"]

PRINT_LIMIT = 10_000  # entries `pairwise` prints to stdout; more must go to --output
PROGRESS_WORK = 5e7  # pairs x events above which a terminal gets a progress bar
PROGRESS_STEPS = 100  # redraws of a progress bar, at most
ESTIMATE_PROGRESS_SECONDS = 2.0  # expected seconds of resampling above which a terminal gets a progress bar


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr with exit status 2 (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def unit(base: float | None) -> str:
    """The name of the unit of a logarithmic quantity in ``base``."""
    if base is None or base == math.e:
        return "nats"
    return {2.0: "bits", 10.0: "hartleys"}.get(float(base), f"log-base-{base:g} units")


def read_distributions(text: str, name: str, *, rows: bool = False) -> np.ndarray:
    """Comma-separated numbers, or a .csv / .npy / .parquet file with one distribution per row.

    ``rows=True`` always returns distributions x events (2-D or more): a single distribution
    becomes one row, and a one-column CSV file is that many distributions of one event.
    """
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in {".csv", ".npy", ".txt", ".parquet"} or path.exists():
        if not path.is_file():
            raise InvalidInputError(f"{name}: no such file {text!r}")
        if suffix == ".parquet":
            return _read_parquet(path, name)
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


def _read_parquet(path: Path, name: str) -> np.ndarray:
    """Every column one event, every row one distribution (pyarrow, imported only here)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidInputError(f"{name}: reading .parquet files needs pyarrow: pip install divergences[parquet]") from None
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
    return np.column_stack(columns)


def _format(value: float, digits: int) -> str:
    if value == 0 or math.isinf(value) or math.isnan(value) or 10.0**-digits <= abs(value) < 1e6:
        return f"{value:.{digits}f}"
    return f"{value:.{digits + 1}g}"


def _f_from_expression(expr: str) -> Any:
    """``f`` for ``f_divergence`` from an expression in ``t`` using NumPy functions."""
    names = {n: getattr(np, n) for n in ("log", "log1p", "exp", "expm1", "sqrt", "abs", "maximum", "minimum")}
    code = compile(expr, "<--f>", "eval")
    for n in code.co_names:
        if n not in names and n != "t":
            raise InvalidInputError(f"--f may use t and {', '.join(sorted(names))}; {n!r} is not allowed")
    return lambda t: eval(code, {"__builtins__": {}}, {**names, "t": t})  # noqa: S307 (names checked above)


def _compute(args: argparse.Namespace) -> dict[str, Any]:
    info = DIVERGENCES[args.metric]
    func = getattr(discrete, args.metric)
    dists = [read_distributions(args.P, "P")]
    if info.arity == 2:
        if args.Q is None:
            raise InvalidInputError(f"{args.metric} compares two distributions: give P and Q")
        dists.append(read_distributions(args.Q, "Q"))
    elif args.Q is not None:
        raise InvalidInputError(f"{args.metric} takes one distribution, got P and Q")
    values = np.atleast_1d(np.asarray(func(*dists, **_measure_options(args)), dtype=float))
    result: dict[str, Any] = {"metric": args.metric, "values": values.tolist()}
    if info.logarithmic and info.transform is None:
        result["unit"] = unit(args.base)
    return result


def _print_result(result: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        out = dict(result)
        if len(out["values"]) == 1:
            out["value"] = out.pop("values")[0]
        print(json.dumps(out, allow_nan=True))
        return
    suffix = f" {result['unit']}" if "unit" in result else ""
    values = result["values"]
    for i, v in enumerate(values):
        prefix = f"{i}: " if len(values) > 1 else ""
        print(f"{prefix}{_format(v, args.digits)}{suffix}")


def _print_list() -> None:
    rows = [("name", "formula", "symmetric", "metric", "range", "unit")]
    for d in DIVERGENCES.values():
        rows.append((
            d.name, d.formula, "yes" if d.symmetric else "no", "yes" if d.metric else "no", d.bound,
            "nats/bits" if d.logarithmic and d.transform is None else "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


class _Progress:
    """A bar redrawn in place on stderr with carriage returns, about ``PROGRESS_STEPS`` times
    in all, from ``update(done, total)`` calls; cleared if the run fails."""

    def __init__(self, label: str) -> None:
        self.label, self.start, self.width, self.shown = label, time.perf_counter(), 0, -1

    def update(self, done: int, total: int) -> None:
        fraction = min(done / max(total, 1), 1.0)
        step = int(fraction * PROGRESS_STEPS)
        if step == self.shown and fraction < 1.0:
            return
        self.shown = step
        elapsed = time.perf_counter() - self.start
        left = f", {elapsed / fraction - elapsed:.0f} s left" if 0 < fraction < 1 else ""
        filled = round(30 * fraction)
        line = f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {100 * fraction:3.0f}% {elapsed:.1f} s{left}"
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(line))

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.width:  # keep the finished bar; wipe a broken one so that the error is the only line
            sys.stderr.write("\n" if kind is None else "\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _measure_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of ``args.metric`` from the flags the subcommands share: normalize,
    smoothing, base, and the measure's own option (--alpha for renyi, --f for f_divergence),
    with errors that name the flags. An unknown metric is left for the library to name."""
    info = DIVERGENCES.get(args.metric)
    options: dict[str, Any] = {"normalize": args.normalize, "smoothing": args.smoothing}
    if args.base is not None:
        if info is not None and not info.logarithmic:
            raise InvalidInputError(f"--base does not apply to {args.metric}: it involves no logarithm")
        options["base"] = args.base
    alpha, f = getattr(args, "alpha", None), getattr(args, "f", None)
    if alpha is not None:
        options["alpha"] = alpha
    elif args.metric == "renyi":
        raise InvalidInputError("renyi needs --alpha (the order, >= 0)")
    if f is not None:
        options["f"] = _f_from_expression(f)
    elif args.metric == "f_divergence":
        raise InvalidInputError("f_divergence needs --f, an expression in t such as 't*log(t)'")
    return options


def _pairwise_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keywords for ``pairwise`` / ``nearest``."""
    options = {"metric": args.metric, **_measure_options(args)}
    if args.block_size is not None:
        options["block_size"] = args.block_size
    return options


def _output_suffix(args: argparse.Namespace) -> str | None:
    if args.output is None:
        return None
    path = Path(args.output)
    allowed = (".npz", ".csv") if args.nearest is not None else (".npy", ".csv")
    if path.suffix.lower() not in allowed:
        what = "with --nearest" if args.nearest is not None else "for the matrix"
        raise InvalidInputError(f"--output {what} must end in {' or '.join(allowed)}, got {args.output!r}")
    if not path.parent.is_dir():
        raise InvalidInputError(f"--output: no such directory {str(path.parent)!r}")
    return path.suffix.lower()


def _run_pairwise(args: argparse.Namespace) -> None:
    suffix = _output_suffix(args)
    options = _pairwise_options(args)
    P = read_distributions(args.P, "P", rows=True)
    Q = None if args.Q is None else read_distributions(args.Q, "Q", rows=True)
    R = P if Q is None else Q
    n, m, k = P.shape[0], R.shape[0], args.nearest
    if P.ndim == 2 and R.ndim == 2:  # otherwise the library says what is wrong
        if k is not None:
            available = m - 1 if Q is None else m
            if not 1 <= k <= available:
                raise InvalidInputError(f"--nearest must be from 1 to {available} (the rows searched), got {k}")
        columns = m if k is None else k
        if suffix is None and n * columns > PRINT_LIMIT:
            files = "OUT.npy or OUT.csv" if k is None else "OUT.npz or OUT.csv"
            raise InvalidInputError(
                f"the result is {n} x {columns} = {n * columns} numbers, too many to print (at most {PRINT_LIMIT}); "
                f"write it with --output {files}"
            )
    forced = args.progress
    shown = forced or (forced is None and sys.stderr.isatty() and P.size * m > PROGRESS_WORK)
    label = f"{args.metric} {n} x {m}" if k is None else f"{args.metric} nearest {k} of {m}, {n} rows"
    try:
        with _Progress(label) if shown else contextlib.nullcontext() as bar:
            options["progress"] = None if bar is None else bar.update
            if k is None:
                D = np.asarray(pairwise(P, Q, **options))
            else:
                found = nearest(P, Q, k, **options)
                idx, val = np.asarray(found.indices), np.asarray(found.values)
    except MemoryError:
        raise InvalidInputError(
            f"not enough memory for the {n} x {m} matrix" + ("; --nearest K needs none" if k is None else "")
        ) from None
    info = DIVERGENCES[args.metric]
    if suffix is not None:
        try:
            if k is None and suffix == ".npy":
                np.save(args.output, D)
            elif k is None:
                np.savetxt(args.output, D, fmt="%.17g", delimiter=",")
            elif suffix == ".npz":
                np.savez(args.output, indices=idx, values=val)
            else:
                rows = np.repeat(np.arange(n), k)
                table = np.column_stack([rows, idx.ravel(), val.ravel().astype(float)])
                np.savetxt(args.output, table, fmt=["%d", "%d", "%.17g"], delimiter=",",
                           header="row,neighbour,value", comments="")
        except OSError as exc:
            raise InvalidInputError(f"--output: cannot write {args.output!r}: {exc.strerror or exc}") from None
    elif args.json:
        out: dict[str, Any] = {"metric": args.metric}
        if info.logarithmic and info.transform is None:
            out["unit"] = unit(args.base)
        if k is None:
            out["values"] = D.tolist()
        else:
            out.update(indices=idx.tolist(), values=val.tolist())
        print(json.dumps(out, allow_nan=True))
    elif k is None:
        for row in D.tolist():
            print(",".join(_format(v, args.digits) for v in row))
    else:
        print("row,neighbour,value")
        for i, (row_idx, row_val) in enumerate(zip(idx.tolist(), val.tolist())):
            for j, v in zip(row_idx, row_val):
                print(f"{i},{j},{_format(v, args.digits)}")


_PAIRWISE_EPILOG = f"""\
P and Q are .csv, .npy or .parquet files (every column numeric), one distribution per row;
without Q, P is compared with itself (the diagonal is exactly 0; with --nearest a row is
not its own neighbour).

output:
  no --output          the matrix, one row of P per line, comma-separated (--digits decimals);
                       with --nearest, "row,neighbour,value" lines, closest first; --json
                       prints {{"metric", "unit", "values"}} (and "indices" with --nearest).
                       Refused above {PRINT_LIMIT} numbers: use --output.
  --output OUT.npy     the N x M matrix (np.save)
  --output OUT.csv     the matrix, one row per line, full precision (%.17g)
  --nearest K --output OUT.npz
                       arrays "indices" and "values", each N x K, closest first, as
                       dv.nearest returns them: np.load("OUT.npz")["indices"]
  --nearest K --output OUT.csv
                       the header "row,neighbour,value", then K lines per row, closest first

progress: a bar on stderr when stderr is a terminal and N x M x events > {int(PROGRESS_WORK):,}
(drawn as the library finishes its blocks); --progress forces it, --no-progress hides it.
"""


def _add_pairwise(sub: Any) -> None:
    names = ", ".join(n for n, d in DIVERGENCES.items() if d.arity == 2)
    p = sub.add_parser(
        "pairwise", help="the matrix of a divergence between every row of P and every row of Q, or nearest rows",
        description="The matrix D[i, j] = metric(P[i], Q[j]) (dv.pairwise), or with --nearest K the K closest "
        "rows of Q for each row of P (dv.nearest).",
        epilog=_PAIRWISE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("P", help="a .csv/.npy/.parquet file with one distribution per row")
    p.add_argument("Q", nargs="?", help="the distributions compared with (default: P itself)")
    p.add_argument("--metric", default="kl", help=f"one of {names} (default kl)")
    p.add_argument("--base", type=float, help="logarithm base: 2 for bits (default: e, nats)")
    p.add_argument("--normalize", action="store_true", help="divide non-negative weights or counts by their sum")
    p.add_argument("--smoothing", type=float, help="pseudocount added to every event before normalising")
    p.add_argument("--alpha", type=float, help="the order, for --metric renyi")
    p.add_argument("--f", help="the generator for --metric f_divergence, an expression in t")
    p.add_argument("--nearest", type=int, metavar="K", help="the K rows of Q closest to each row of P instead of the matrix")
    p.add_argument("--block-size", type=int, metavar="N", help="rows per block in the library (default: automatic)")
    p.add_argument("--digits", type=int, default=3, help="decimals to print (default 3)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--output", metavar="OUT", help="write to OUT.npy or OUT.csv (OUT.npz or OUT.csv with --nearest)")
    where.add_argument("--json", action="store_true", help="print JSON with full precision")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_const", const=True, help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show it")


_ESTIMATE_METRICS = ("kl", "js", "entropy", "mutual_information")

_ESTIMATE_EPILOG = f"""\
X and Y are .csv files with a header row naming the columns (other columns, such as ids,
may hold anything) or .parquet files (every column numeric); one sample point per row.

which columns are the samples:
  entropy            X's columns (all, or --columns a,b)
  kl, js             samples of P from X and of Q from Y, matched by name (all of X's
                     columns, or --columns a,b); or both from one file: --x a --y b
                     (samples side by side; the same number of columns each)
  mutual_information the variables x and y: --x a,b --y c from one file (rows paired);
                     or X's columns (--x) against Y's (--y), files with the same rows

estimator options: --method, --k, --bins, --bandwidth, --evaluation, --smoothing,
--alphabet-size and --clip are those of dv.estimate (see its docs); one the chosen metric
and method do not take is an error, not ignored.

uncertainty:
  --ci 0.95          a 95% bootstrap interval: half-samples without replacement for k-NN
                     and KDE estimators (whose neighbours a repeated point would break),
                     the ordinary bootstrap for histogram and discrete ones
  --test             a permutation p-value: kl, js re-split the pooled rows of x and y
                     (null: one distribution); mutual_information shuffles y against x
                     (null: independence). p = (1 + #(permuted >= observed)) / (1 + N).

output: the value with its unit, then "95% CI: [low, high] unit" and "p-value: p" lines;
--json prints them as one object. A bar on stderr shows the resampling when stderr is a
terminal and it will take over {ESTIMATE_PROGRESS_SECONDS:g} s; --progress forces it, --no-progress hides it.
"""


def _add_estimate(sub: Any) -> None:
    p = sub.add_parser(
        "estimate", help="kl, js, entropy or mutual information estimated from samples in .csv/.parquet files",
        description="Estimate a divergence, entropy or mutual information from samples (dv.estimate),\n"
        "with a bootstrap interval (--ci) and a permutation test (--test).",
        epilog=_ESTIMATE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("metric", metavar="METRIC", choices=_ESTIMATE_METRICS, help=", ".join(_ESTIMATE_METRICS))
    p.add_argument("X", help="a .csv file with a header row, or a .parquet file: one sample point per row")
    p.add_argument("Y", nargs="?", help="the second sample (kl, js) or variable (mutual_information)")
    p.add_argument("--columns", metavar="A,B", help="the columns used, of X and of Y (default: all of X's)")
    p.add_argument("--x", metavar="A,B", help="the columns of the first sample or variable (from X)")
    p.add_argument("--y", metavar="C", help="the columns of the second (from Y if given, else from X)")
    p.add_argument("--method", help="the estimator: knn, kde, histogram, ksg, ... (default: the library's)")
    p.add_argument("--k", type=int, help="the neighbour used by k-NN estimators (default: the library's)")
    p.add_argument("--base", type=float, help="logarithm base: 2 for bits (default: e, nats)")
    p.add_argument("--ties", choices=TIES, help="how to treat repeated values (default auto)")
    p.add_argument("--bins", type=_count_or_name, help='histogram bins: fd, sturges, auto, quantiles or a count')
    p.add_argument("--bandwidth", type=_number_or_name, help="kde bandwidth: scott, silverman or a factor")
    p.add_argument("--evaluation", choices=("resubstitution", "integration"), help="how kde evaluates the integral")
    p.add_argument("--smoothing", type=float, help="pseudo-count added to every bin (histogram, discrete)")
    p.add_argument("--alphabet-size", type=int, metavar="N", help="nsb: the number of possible symbols")
    p.add_argument("--clip", action="store_true", help="report 0 for a negative estimate (and interval bounds)")
    p.add_argument("--ci", type=float, metavar="LEVEL", help="a bootstrap confidence interval at this level, e.g. 0.95")
    p.add_argument("--n-resamples", type=int, metavar="N", help="bootstrap resamples (default 200)")
    p.add_argument("--test", action="store_true", help="a permutation test: the p-value of no difference / independence")
    p.add_argument("--n-permutations", type=int, metavar="N", help="permutations of the test (default 200)")
    p.add_argument("--random-state", type=int, metavar="S", help="seed of the resampling (default: fresh)")
    p.add_argument("--digits", type=int, default=3, help="decimals to print (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON with full precision")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_const", const=True, help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show it")


def _column_names(value: str | None, option: str) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")]
    if not all(names):
        raise InvalidInputError(f"{option} must be comma-separated column names, e.g. a,b; got {value!r}")
    return names


def _read_columns(text: str, name: str, columns: list[str] | None) -> tuple[list[str], np.ndarray]:
    """The named columns (default: all) of a .csv file with a header row or of a .parquet file, as (n, d) floats."""
    path = Path(text)
    if not path.is_file():
        raise InvalidInputError(f"{name}: no such file {text!r}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # _read_parquet has said so if pyarrow is missing

        data = _read_parquet(path, name)
        header = list(pq.read_schema(path).names)
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
        if all(_is_number(cell) for cell in header):
            raise InvalidInputError(f"{name}: the first line of {text!r} must name the columns (a header such as a,b)")
    else:
        raise InvalidInputError(f"{name} must be a .csv file with a header row or a .parquet file, got {text!r}")
    wanted = header if columns is None else columns
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
            if not _is_number(cell):
                what = "a missing value" if not cell else f"{cell!r}, not a number"
                raise InvalidInputError(f"{name}: column {header[col]!r} of {text!r} has {what} in row {i + 1}")
            out[i, j] = float(cell)
    return wanted, out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _estimate_samples(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """The samples of ``args.metric`` from the files and column options (rules in ``_ESTIMATE_EPILOG``)."""
    columns = _column_names(args.columns, "--columns")
    x_names, y_names = _column_names(args.x, "--x"), _column_names(args.y, "--y")
    if columns is not None and (x_names is not None or y_names is not None):
        raise InvalidInputError("give --columns, or --x and --y, not both")
    if args.metric == "entropy":
        if args.Y is not None or y_names is not None:
            raise InvalidInputError("entropy takes one sample: no Y file or --y")
        return (_read_columns(args.X, "X", columns or x_names)[1],)
    if args.Y is None:
        if x_names is None or y_names is None:
            raise InvalidInputError(
                f"{args.metric} needs two samples: a second file Y, or --x and --y naming columns of X"
            )
        _, both = _read_columns(args.X, "X", x_names + y_names)  # one pass over the file
        (x_cols, x), (y_cols, y) = (x_names, both[:, : len(x_names)]), (y_names, both[:, len(x_names) :])
    else:
        x_cols, x = _read_columns(args.X, "X", columns or x_names)
        same = args.metric != "mutual_information"  # kl, js: Q's columns are P's, matched by name
        y_cols, y = _read_columns(args.Y, "Y", columns or y_names or (x_cols if same else None))
    if args.metric == "mutual_information":
        if x.shape[0] != y.shape[0]:
            raise InvalidInputError(
                f"x has {x.shape[0]} rows and y {y.shape[0]}: mutual information pairs the rows of the same points"
            )
    elif x.shape[1] != y.shape[1]:
        raise InvalidInputError(
            f"the samples must have the same columns: x has {', '.join(x_cols)} and y has {', '.join(y_cols)}"
        )
    return x, y


def _count_or_name(text: str) -> int | str:
    return int(text) if text.lstrip("+-").isdigit() else text


def _number_or_name(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _estimator_options(func: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's keywords from the command line; an option it lacks is an error, not ignored."""
    accepted = inspect.signature(func).parameters
    given = {
        "method": args.method, "k": args.k, "base": args.base, "ties": args.ties, "bins": args.bins,
        "bandwidth": args.bandwidth, "evaluation": args.evaluation, "smoothing": args.smoothing,
        "alphabet_size": args.alphabet_size, "clip": args.clip or None,
    }
    options = {name: value for name, value in given.items() if value is not None}
    for name in options:
        if name not in accepted:
            raise InvalidInputError(f"--{name.replace('_', '-')} is not an option of estimate {args.metric}")
    if args.random_state is not None and "random_state" in accepted:  # e.g. dequantisation noise
        options["random_state"] = args.random_state
    return options


@contextlib.contextmanager
def _resampling_bar(
    label: str, count: int, seconds: float, forced: bool | None
) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar, or None where no bar is wanted: shown when
    forced, or on a terminal when ``count`` evaluations of ``seconds`` each will take long."""
    if not (forced or (forced is None and sys.stderr.isatty() and seconds * count > ESTIMATE_PROGRESS_SECONDS)):
        yield None
        return
    with _Progress(label) as bar:
        yield bar.update


def _run_estimate(args: argparse.Namespace) -> None:
    if args.n_resamples is not None and args.ci is None:
        raise InvalidInputError("--n-resamples applies with --ci (the bootstrap interval)")
    if args.n_permutations is not None and not args.test:
        raise InvalidInputError("--n-permutations applies with --test")
    if args.test and args.metric == "entropy":
        raise InvalidInputError("--test applies to kl, js and mutual_information (a two-sample or independence test)")
    level = None if args.ci is None else check_ci(args.ci)
    n_resamples = check_count(200 if args.n_resamples is None else args.n_resamples, "--n-resamples")
    n_permutations = check_count(200 if args.n_permutations is None else args.n_permutations, "--n-permutations")
    func = getattr(estimate, args.metric)
    options = _estimator_options(func, args)
    samples = _estimate_samples(args)
    statistic = functools.partial(func, **options)

    start = time.perf_counter()
    value = float(statistic(*samples))  # errors in the data or options come here, before any bar
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {"metric": args.metric, "unit": unit(args.base), "value": value,
                              "n": [s.shape[0] for s in samples]}

    paired = args.metric == "mutual_information"
    if level is not None:
        method = options.get("method", inspect.signature(func).parameters["method"].default)
        scheme = resampling_scheme(args.metric, method)
        with _resampling_bar(f"{args.metric} bootstrap", n_resamples, seconds, args.progress) as progress:
            interval = bootstrap(statistic, samples, ci=level, n_resamples=n_resamples, random_state=args.random_state,
                                 paired=paired, scheme=scheme, progress=progress, value=value)
        result.update(ci=level, low=interval.low, high=interval.high, n_resamples=n_resamples, resampling=scheme)
    if args.test:
        with _resampling_bar(f"{args.metric} permutation test", n_permutations, seconds, args.progress) as progress:
            tested = permutation_test(statistic, *samples, paired=paired, n_permutations=n_permutations,
                                      random_state=args.random_state, progress=progress, value=value)
        result.update(pvalue=tested.pvalue, n_permutations=n_permutations)
    if args.json:
        print(json.dumps(result, allow_nan=True))
        return
    digits, suffix = args.digits, f" {result['unit']}"
    print(f"{_format(value, digits)}{suffix}")
    if level is not None:
        kind = "half-sample" if result["resampling"] == "subsample" else "bootstrap"
        print(f"{100 * level:g}% CI: [{_format(result['low'], digits)}, {_format(result['high'], digits)}]{suffix}"
              f" ({n_resamples} {kind} resamples)")
    if args.test:
        print(f"p-value: {_format(result['pvalue'], digits)} ({n_permutations} permutations)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="divergences", description="How far apart are two probability distributions?")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, d in DIVERGENCES.items():
        p = sub.add_parser(name, help=d.formula, description=f"{name}: {d.formula}")
        p.add_argument("P", help="comma-separated numbers, or a .csv/.npy/.parquet file with one distribution per row")
        p.add_argument("Q", nargs="?", help="the second distribution(s), same forms as P")
        p.add_argument("--base", type=float, help="logarithm base: 2 for bits (default: e, nats)")
        p.add_argument("--normalize", action="store_true", help="divide non-negative weights or counts by their sum")
        p.add_argument("--smoothing", type=float, help="pseudocount added to every event before normalising")
        p.add_argument("--json", action="store_true", help="print JSON with full precision")
        p.add_argument("--digits", type=int, default=3, help="decimals to print (default 3)")
        if name == "renyi":
            p.add_argument("--alpha", type=float, help="the order of the Renyi divergence")
        if name == "f_divergence":
            p.add_argument("--f", help="the generator as an expression in t, e.g. 't*log(t)'")
        p.set_defaults(metric=name)
    _add_pairwise(sub)
    _add_estimate(sub)
    sub.add_parser("list", help="the table of divergences and their properties")
    demo = sub.add_parser("demo", help="a guided tour on built-in examples")
    demo.add_argument("--plot", default="divergences-demo.png", help="where to write the bar chart (PNG)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            _print_list()
        elif args.command == "demo":
            from .demo import run_demo

            run_demo(plot_path=args.plot)
        elif args.command == "pairwise":
            _run_pairwise(args)
        elif args.command == "estimate":
            _run_estimate(args)
        else:
            _print_result(_compute(args), args)
    except (DivergenceError, ValueError, SyntaxError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"divergences: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("divergences: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
