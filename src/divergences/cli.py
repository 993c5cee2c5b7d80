"""The ``divergences`` command line: parse, call the public API, print. No mathematics here.

    divergences kl 0.1,0.4,0.5 0.8,0.15,0.05 --base 2      ->  1.927 bits
    divergences entropy counts.csv --normalize --json
    divergences list
    divergences demo
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import discrete
from ._exceptions import DivergenceError, InvalidInputError
from ._metadata import DIVERGENCES

__all__ = ["main", "read_distributions", "unit"]


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


def read_distributions(text: str, name: str) -> np.ndarray:
    """Comma-separated numbers, or a .csv / .npy file with one distribution per row."""
    path = Path(text)
    if path.suffix.lower() in {".csv", ".npy", ".txt"} or path.exists():
        if not path.is_file():
            raise InvalidInputError(f"{name}: no such file {text!r}")
        try:
            if path.suffix.lower() == ".npy":
                return np.load(path, allow_pickle=False)
            return np.loadtxt(path, delimiter=",", ndmin=1, comments="#")
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"{name}: cannot read {text!r}: {exc}") from None
    try:
        return np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError:
        raise InvalidInputError(
            f"{name} must be comma-separated numbers (e.g. 0.1,0.4,0.5) or a .csv/.npy file, got {text!r}"
        ) from None


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
    kwargs: dict[str, Any] = {"normalize": args.normalize, "smoothing": args.smoothing}
    if args.base is not None:
        if not info.logarithmic:
            raise InvalidInputError(f"--base does not apply to {args.metric}: it involves no logarithm")
        kwargs["base"] = args.base
    if args.metric == "renyi":
        if args.alpha is None:
            raise InvalidInputError("renyi needs --alpha (the order, >= 0)")
        dists.append(args.alpha)
    if args.metric == "f_divergence":
        if args.f is None:
            raise InvalidInputError("f_divergence needs --f, an expression in t such as 't*log(t)'")
        dists.append(_f_from_expression(args.f))
    values = np.atleast_1d(np.asarray(func(*dists, **kwargs), dtype=float))
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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="divergences", description="How far apart are two probability distributions?")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, d in DIVERGENCES.items():
        p = sub.add_parser(name, help=d.formula, description=f"{name}: {d.formula}")
        p.add_argument("P", help="comma-separated numbers, or a .csv/.npy file with one distribution per row")
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
        else:
            _print_result(_compute(args), args)
    except (DivergenceError, ValueError, SyntaxError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"divergences: error: {message}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
