"""The ``divergences`` command line: the parser, the dispatch to a subcommand, the exit statuses.

Parse, call the public API, print; no mathematics here. Each subcommand is a module with its
flags and its run: ``_measure`` (one command per measure, and ``list``), ``_pairwise``,
``_estimate``; files are read by ``divergences._io``.

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
import sys
from collections.abc import Sequence
from typing import NoReturn

from .._exceptions import DivergenceError
from .._io import read_distributions
from . import _estimate, _measure, _pairwise
from ._format import unit

__all__ = ["main", "read_distributions", "unit"]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr with exit status 2 (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="divergences", description="How far apart are two probability distributions?")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _measure.add_parsers(sub)
    _pairwise.add_parser(sub)
    _estimate.add_parser(sub)
    sub.add_parser("list", help="the table of divergences and their properties")
    demo = sub.add_parser("demo", help="a guided tour on built-in examples")
    demo.add_argument("--plot", default="divergences-demo.png", help="where to write the bar chart (PNG)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted)."""
    args = _parser().parse_args(argv)
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
        else:
            _measure.run(args)
    except (DivergenceError, ValueError, SyntaxError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"divergences: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("divergences: interrupted\n")
        return 130
    return 0
