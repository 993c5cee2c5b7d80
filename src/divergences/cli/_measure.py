"""The one-measure commands (``divergences kl P Q``, one per measure of the table) and ``list``;
with the measure's keywords from its flags, which ``pairwise`` shares."""

from __future__ import annotations

import argparse
import inspect
import json
from typing import Any

import numpy as np

from .._evaluate import evaluate
from .._exceptions import InvalidInputError
from .._io import read_distributions
from .._metadata import DIVERGENCES, Divergence
from ._format import format_value, unit

__all__ = ["add_parsers", "measure_options", "print_list", "run"]


def add_parsers(sub: Any) -> None:
    """One subcommand per measure of the table, ``metric`` set to its name."""
    for name, d in DIVERGENCES.items():
        p = sub.add_parser(name, help=d.formula, description=f"{name}: {d.formula}")
        p.add_argument("P", help="comma-separated numbers, or a .csv/.npy/.parquet file with one distribution per row")
        p.add_argument("Q", nargs="?", help="the second distribution(s), same forms as P")
        add_option_flags(p)
        add_own_flags(p, [d])
        p.add_argument("--json", action="store_true", help="print JSON with full precision")
        p.add_argument("--digits", type=int, default=3, help="decimals to print (default 3)")
        p.set_defaults(metric=name)


def number(text: str) -> int | float | str:
    """A flag's number, as Python would write it (``2`` an int, ``0.5`` a float); text that is
    none is passed on as it is, for the library to refuse with the message it gives on every
    route (``base must be a real number, got 'e'``)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def add_option_flags(p: argparse.ArgumentParser) -> None:
    """The flags of the options every measure shares, read as the library reads them."""
    p.add_argument("--base", type=number, help="logarithm base: 2 for bits (default: e, nats)")
    p.add_argument("--normalize", action="store_true", help="divide non-negative weights or counts by their sum")
    p.add_argument("--smoothing", type=number, help="pseudocount added to every event before normalising")


# The measure's own options, one flag each from its row's option parser (--alpha for renyi,
# --f and --slope-at-infinity for f_divergence): numbers, except f, an expression in t.
_OWN_HELP = {
    "alpha": "the order of the Renyi divergence",
    "f": "the generator as an expression in t, e.g. 't*log(t)'",
    "slope_at_infinity": "lim f(t)/t as t -> inf (default: estimated from f)",
}


def _own_options(d: Divergence) -> list[inspect.Parameter]:
    return list(inspect.signature(d.options).parameters.values())


def _f_from_expression(expr: str) -> Any:
    """``f`` for ``f_divergence`` from an expression in ``t`` using NumPy functions."""
    names = {n: getattr(np, n) for n in ("log", "log1p", "exp", "expm1", "sqrt", "abs", "maximum", "minimum")}
    code = compile(expr, "<--f>", "eval")
    for n in code.co_names:
        if n not in names and n != "t":
            raise InvalidInputError(f"--f may use t and {', '.join(sorted(names))}; {n!r} is not allowed")
    return lambda t: eval(code, {"__builtins__": {}}, {**names, "t": t})  # noqa: S307 (names checked above)


def add_own_flags(p: argparse.ArgumentParser, measures: list[Divergence]) -> None:
    """One flag per option of the ``measures`` themselves (``pairwise`` takes every measure's)."""
    for name in sorted({option.name for d in measures for option in _own_options(d)}):
        # f is read from its expression in measure_options (argparse would hide the message).
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=str if name == "f" else number,
                       help=_OWN_HELP.get(name))


def measure_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``args.metric`` from the flags, unchecked: the library checks them (one
    options path, the same messages as from Python). A missing flag of the measure's own
    required options is named here; an unknown metric is left for the library to name."""
    options: dict[str, Any] = {"normalize": args.normalize, "smoothing": args.smoothing, "base": args.base}
    for name in sorted({option.name for d in DIVERGENCES.values() for option in _own_options(d)}):
        value = getattr(args, name, None)  # any flag given goes on, for the library to accept or refuse
        if value is not None:
            options[name] = _f_from_expression(value) if name == "f" else value
    d = DIVERGENCES.get(args.metric)
    for option in _own_options(d) if d is not None else []:
        if d is not None and option.name not in options and option.default is option.empty:
            flag = option.name.replace("_", "-")
            raise InvalidInputError(f"{d.name} needs --{flag} ({_OWN_HELP.get(option.name, 'a value')})")
    return options


def _compute(args: argparse.Namespace) -> dict[str, Any]:
    info = DIVERGENCES[args.metric]
    dists = [read_distributions(args.P, "P")]
    if info.arity == 2:
        if args.Q is None:
            raise InvalidInputError(f"{args.metric} compares two distributions: give P and Q")
        dists.append(read_distributions(args.Q, "Q"))
    elif args.Q is not None:
        raise InvalidInputError(f"{args.metric} takes one distribution, got P and Q")
    # The pipeline itself, which takes every option for every measure (and refuses, say, a
    # base for Hellinger with the library's message).
    values = np.atleast_1d(np.asarray(evaluate(info, tuple(dists), **measure_options(args)), dtype=float))
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
