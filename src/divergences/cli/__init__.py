"""The ``divergences`` command line: the parser, the dispatch to a subcommand, the exit statuses.

Parse, call the public API, print; no mathematics here. Each subcommand is a module with its
flags and its run: ``_measure`` (one command per measure, and ``list``), ``_pairwise``,
``_estimate``, ``_drift``; files are read by ``divergences._io``.

    divergences kl 0.1,0.4,0.5 0.8,0.15,0.05 --base 2      ->  1.927 bits
    divergences entropy counts.csv --normalize --json
    divergences pairwise docs.parquet --metric js --output D.npy   ->  the N x N matrix
    divergences pairwise queries.csv docs.npy --metric kl --nearest 5
    divergences estimate kl before.csv after.csv --ci 0.95 --test   ->  value, interval, p-value
    divergences drift reference.parquet today.csv --fail-on-drift  ->  per-column table, exit 3 on drift
    divergences list
    divergences demo
    divergences --version

Every error is one line on stderr and exit status 2: the library's errors and bad input as
they are, anything unexpected named by its type (never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from .._exceptions import DivergenceError
from .._io import read_distributions
from . import _drift, _estimate, _measure, _pairwise
from ._format import JSON_NOTE, unit

__all__ = ["main", "read_distributions", "unit"]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr with exit status 2 (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="divergences", description="How far apart are two probability distributions?",
        epilog=f"A file argument may be - for CSV text on standard input. {JSON_NOTE} Exit status: 0 done, "
        "2 bad input (one line on stderr), 3 drift found (drift --fail-on-drift), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"divergences {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _measure.add_parsers(sub)
    _pairwise.add_parser(sub)
    _estimate.add_parser(sub)
    _drift.add_parser(sub)
    sub.add_parser("list", help="the table of divergences and their properties")
    demo = sub.add_parser("demo", help="a guided tour on built-in examples")
    demo.add_argument("--plot", default="divergences-demo.png", help="where to write the bar chart (PNG)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted, 141
    stdout closed early, as by ``| head``). Every error is one line on stderr, never a traceback."""
    args = _parser().parse_args(argv)
    status = 0
    try:
        if args.command == "list":
            _measure.print_list()
        elif args.command == "demo":
            from ..demo import run_demo

            run_demo(plot_path=args.plot)
        elif args.command == "pairwise":
            _pairwise.run(args)
        elif args.command == "estimate":
            _estimate.run(args)
        elif args.command == "drift":
            status = _drift.run(args)
        else:
            _measure.run(args)
        sys.stdout.flush()  # a closed pipe fails here, not at exit
    except KeyboardInterrupt:
        sys.stderr.write("divergences: interrupted\n")
        return 130
    except BrokenPipeError:  # the reader of stdout is gone: nothing to say, and no traceback at exit
        _silence_stdout()
        return 141
    except (DivergenceError, ValueError, SyntaxError) as exc:
        _error(_first_line(exc))
        return 2
    except MemoryError:
        _error("not enough memory")
        return 2
    except OSError as exc:  # e.g. a file that cannot be written
        _error(_first_line(exc))
        return 2
    except Exception as exc:  # anything else is a bug, still reported in one line
        detail = f": {_first_line(exc)}" if str(exc).strip() else ""
        _error(f"unexpected {type(exc).__name__}{detail} (please report this)")
        return 2
    return status


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _error(message: str) -> None:
    sys.stderr.write(f"divergences: error: {message}\n")


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (captured in tests)
        pass
