"""The ``pairwise`` subcommand: the matrix of a divergence between rows of files (``dv.pairwise``),
or each row's nearest rows (``dv.nearest``), printed or written to .npy / .npz / .csv."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._io import read_distributions
from .._metadata import DIVERGENCES
from ..pairwise import nearest, pairwise
from ._format import JSON_NOTE, digits, format_value, json_text, unit
from ._measure import DISTRIBUTIONS_HELP, add_option_flags, add_own_flags, measure_options, one_stdin
from ._progress import progress_bar

__all__ = ["PRINT_LIMIT", "PROGRESS_WORK", "add_parser", "run"]

PRINT_LIMIT = 10_000  # entries `pairwise` prints to stdout; more must go to --output
PROGRESS_WORK = 5e7  # pairs x events above which a terminal gets a progress bar

_Result = np.ndarray | tuple[np.ndarray, np.ndarray]  # the matrix, or the nearest rows' indices and values

_EPILOG = f"""\
P and Q are .csv, .npy, .npz (one array) or .parquet files (every column numeric), one
distribution per row, or - for CSV text on standard input (one of them at most); without Q,
P is compared with itself (the diagonal is exactly 0; with --nearest a row is not its own
neighbour).

output:
  no --output          the matrix, one row of P per line, comma-separated (--digits decimals);
                       with --nearest, "row,neighbour,value" lines, closest first; --json
                       prints {{"metric", "unit", "values"}} (and "indices" with --nearest),
                       strict JSON (below). Refused above {PRINT_LIMIT} numbers: use --output.
  --output OUT.npy     the N x M matrix (np.save)
  --output OUT.csv     the matrix, one row per line, full precision (%.17g)
  --nearest K --output OUT.npz
                       arrays "indices" and "values", each N x K, closest first, as
                       dv.nearest returns them: np.load("OUT.npz")["indices"]
  --nearest K --output OUT.csv
                       the header "row,neighbour,value", then K lines per row, closest first

progress: a bar on stderr when stderr is a terminal and N x M x events > {int(PROGRESS_WORK):,}
(drawn as the library finishes its blocks); --progress forces it, --no-progress hides it.

{textwrap.fill(JSON_NOTE, 92)}
"""


def add_parser(sub: Any) -> None:
    """The ``pairwise`` subcommand and its flags."""
    names = ", ".join(n for n, d in DIVERGENCES.items() if d.arity == 2)
    p = sub.add_parser(
        "pairwise", help="the matrix of a divergence between every row of P and every row of Q, or nearest rows",
        description="The matrix D[i, j] = metric(P[i], Q[j]) (dv.pairwise), or with --nearest K the K closest "
        "rows of Q for each row of P (dv.nearest).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("P", help=DISTRIBUTIONS_HELP)
    p.add_argument("Q", nargs="?", help="the distributions compared with (default: P itself)")
    p.add_argument("--metric", default="kl", help=f"one of {names} (default kl)")
    add_option_flags(p)
    add_own_flags(p, list(DIVERGENCES.values()))
    p.add_argument("--nearest", type=int, metavar="K", help="the K rows of Q closest to each row of P instead of the matrix")
    p.add_argument("--block-size", type=int, metavar="N", help="rows per block in the library (default: automatic)")
    p.add_argument("--digits", type=digits, default=3, help="decimals to print, 0 to 17 (default 3)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--output", metavar="OUT", help="write to OUT.npy or OUT.csv (OUT.npz or OUT.csv with --nearest)")
    where.add_argument("--json", action="store_true", help="print JSON with full precision (inf and nan as strings)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_const", const=True, help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show it")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """Keywords for ``pairwise`` / ``nearest``."""
    options = {"metric": args.metric, **measure_options(args)}
    if args.block_size is not None:
        options["block_size"] = args.block_size
    return options


def _output_suffix(args: argparse.Namespace) -> str | None:
    """The ending of ``--output`` (None without it), refused before any work if it cannot be written."""
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


def run(args: argparse.Namespace) -> None:
    """``divergences pairwise P [Q]``: check the sizes, compute (with a bar), then write or print."""
    suffix = _output_suffix(args)
    options = _options(args)
    one_stdin(P=args.P, Q=args.Q)
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
    label = f"{args.metric} {n} x {m}" if k is None else f"{args.metric} nearest {k} of {m}, {n} rows"
    try:
        with progress_bar(label, args.progress, P.size * m > PROGRESS_WORK) as progress:
            options["progress"] = progress
            if k is None:
                result: _Result = np.asarray(pairwise(P, Q, **options))
            else:
                found = nearest(P, Q, k, **options)
                result = np.asarray(found.indices), np.asarray(found.values)
    except MemoryError:
        raise InvalidInputError(
            f"not enough memory for the {n} x {m} matrix" + ("; --nearest K needs none" if k is None else "")
        ) from None
    if suffix is not None:
        _save(args.output, suffix, result)
    else:
        _print(args, result)


def _save(output: str, suffix: str, result: _Result) -> None:
    """Write the matrix, or the nearest rows and their values, to ``output`` (ending in ``suffix``)."""
    try:
        if isinstance(result, np.ndarray):
            if suffix == ".npy":
                np.save(output, result)
            else:
                np.savetxt(output, result, fmt="%.17g", delimiter=",")
        elif suffix == ".npz":
            idx, val = result
            np.savez(output, indices=idx, values=val)
        else:
            idx, val = result
            n, k = idx.shape
            rows = np.repeat(np.arange(n), k)
            table = np.column_stack([rows, idx.ravel(), val.ravel().astype(float)])
            np.savetxt(output, table, fmt=["%d", "%d", "%.17g"], delimiter=",",
                       header="row,neighbour,value", comments="")
    except OSError as exc:
        raise InvalidInputError(f"--output: cannot write {output!r}: {exc.strerror or exc}") from None


def _print(args: argparse.Namespace, result: _Result) -> None:
    """Print the matrix (one row per line), or ``row,neighbour,value`` lines; or JSON with ``--json``."""
    if args.json:
        info = DIVERGENCES[args.metric]
        out: dict[str, Any] = {"metric": args.metric}
        if info.logarithmic and info.transform is None:
            out["unit"] = unit(args.base)
        if isinstance(result, np.ndarray):
            out["values"] = result.tolist()
        else:
            out.update(indices=result[0].tolist(), values=result[1].tolist())
        print(json_text(out))
    elif isinstance(result, np.ndarray):
        for row in result.tolist():
            print(",".join(format_value(v, args.digits) for v in row))
    else:
        print("row,neighbour,value")
        for i, (row_idx, row_val) in enumerate(zip(result[0].tolist(), result[1].tolist())):
            for j, v in zip(row_idx, row_val):
                print(f"{i},{j},{format_value(v, args.digits)}")
