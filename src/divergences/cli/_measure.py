"""The one-measure commands (``divergences kl P Q``, one per measure of the table) and ``list``;
with the measure's keywords from its flags, which ``pairwise`` shares."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from .. import discrete
from .._exceptions import InvalidInputError
from .._io import read_distributions
from .._metadata import DIVERGENCES
from ._format import format_value, unit

__all__ = ["add_parsers", "measure_options", "print_list", "run"]


def add_parsers(sub: Any) -> None:
    """One subcommand per measure of the table, ``metric`` set to its name."""
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


def _f_from_expression(expr: str) -> Any:
    """``f`` for ``f_divergence`` from an expression in ``t`` using NumPy functions."""
    names = {n: getattr(np, n) for n in ("log", "log1p", "exp", "expm1", "sqrt", "abs", "maximum", "minimum")}
    code = compile(expr, "<--f>", "eval")
    for n in code.co_names:
        if n not in names and n != "t":
            raise InvalidInputError(f"--f may use t and {', '.join(sorted(names))}; {n!r} is not allowed")
    return lambda t: eval(code, {"__builtins__": {}}, {**names, "t": t})  # noqa: S307 (names checked above)


def measure_options(args: argparse.Namespace) -> dict[str, Any]:
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
    values = np.atleast_1d(np.asarray(func(*dists, **measure_options(args)), dtype=float))
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
        print(f"{prefix}{format_value(v, args.digits)}{suffix}")


def run(args: argparse.Namespace) -> None:
    """``divergences METRIC P [Q]``: the value for each distribution (row), with its unit."""
    _print_result(_compute(args), args)


def print_list() -> None:
    """``divergences list``: the table of measures and their properties."""
    rows = [("name", "formula", "symmetric", "metric", "range", "unit")]
    for d in DIVERGENCES.values():
        rows.append((
            d.name, d.formula, "yes" if d.symmetric else "no", "yes" if d.metric else "no", d.bound,
            "nats/bits" if d.logarithmic and d.transform is None else "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
