"""The one-measure commands (``divergences kl P Q``, one per measure of the table) and ``list``;
with the measure's keywords from its flags, which ``pairwise`` shares."""

from __future__ import annotations

import argparse
import ast
import inspect
import math
import operator
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .._evaluate import evaluate
from .._exceptions import InvalidInputError
from .._io import STDIN, read_distributions
from .._metadata import DIVERGENCES, Divergence
from ._format import JSON_NOTE, digits, format_value, json_text, unit

__all__ = ["DISTRIBUTIONS_HELP", "add_parsers", "measure_options", "one_stdin", "print_list", "run"]

DISTRIBUTIONS_HELP = "a .csv/.npy/.npz/.parquet file with one distribution per row, or - (standard input, CSV)"
STDIN_NOTE = ("- in place of a file reads CSV text from standard input (one distribution per row, "
              "# starting a comment); only one input can be -.")


def add_parsers(sub: Any) -> None:
    """One subcommand per measure of the table, ``metric`` set to its name."""
    for name, d in DIVERGENCES.items():
        p = sub.add_parser(name, help=d.formula, description=f"{name}: {d.formula}", epilog=f"{STDIN_NOTE} {JSON_NOTE}")
        p.add_argument("P", help=f"comma-separated numbers such as 0.1,0.4,0.5, or {DISTRIBUTIONS_HELP}")
        p.add_argument("Q", nargs="?", help="the second distribution(s), same forms as P")
        add_option_flags(p)
        add_own_flags(p, [d])
        p.add_argument("--json", action="store_true", help="print JSON with full precision (inf and nan as strings)")
        p.add_argument("--digits", type=digits, default=3, help="decimals to print, 0 to 17 (default 3)")
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
    "f": "the generator as an expression in t, e.g. 't*log(t)': numbers, + - * / ** and "
         "log, log1p, exp, expm1, sqrt, abs, maximum(a, b), minimum(a, b)",
    "slope_at_infinity": "lim f(t)/t as t -> inf (default: estimated from f)",
}


def _own_options(d: Divergence) -> list[inspect.Parameter]:
    return list(inspect.signature(d.options).parameters.values())


# What an --f expression may use: t, numbers, these operators and NumPy functions (with their
# number of arguments). Every number is a float, and operations on numbers alone are done
# once, when the expression is read: so no integer power (9**9**9) can run for ever, and a
# number that overflows is refused with the part of the expression that made it.
_F_FUNCTIONS = {"log": 1, "log1p": 1, "exp": 1, "expm1": 1, "sqrt": 1, "abs": 1, "maximum": 2, "minimum": 2}
_F_OPERATORS: dict[type, Callable[[float, float], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_F_MAX_LENGTH = 1000  # characters of an --f expression
_F_ALLOWED = f"t, numbers, + - * / ** and {', '.join(_F_FUNCTIONS)}"


def _f_from_expression(expr: str) -> Callable[[Any], Any]:
    """``f`` for ``f_divergence`` from an expression in ``t`` using NumPy functions (see ``_F_FUNCTIONS``).

    Examples
    --------
    >>> _f_from_expression("t*log(t) - 2**-1*(t - 1)")(np.array([1.0, 2.0]))
    array([0.        , 0.88629436])
    >>> _f_from_expression("9**9**9")
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: --f: 9**9**9 overflows a float64 (at most about 1.8e308)
    """
    if len(expr) > _F_MAX_LENGTH:
        raise InvalidInputError(f"--f is {len(expr)} characters long; at most {_F_MAX_LENGTH}")
    try:
        source = expr.strip()
        tree = ast.parse(source, "<--f>", mode="eval")
        body = _f_node(tree.body, source)
        code = compile(ast.fix_missing_locations(ast.Expression(body)), "<--f>", "eval")
    except InvalidInputError:
        raise
    except SyntaxError as exc:
        raise InvalidInputError(f"--f is not an expression in t ({exc.msg}): {expr!r}") from None
    except (RecursionError, MemoryError, ValueError):  # nested too deeply, or a null byte
        raise InvalidInputError(f"--f is not an expression in t that can be read: {expr[:60]!r}") from None
    functions = {n: getattr(np, n) for n in _F_FUNCTIONS}
    return lambda t: eval(code, {"__builtins__": {}}, {**functions, "t": t})  # noqa: S307 (every node checked)


def _f_node(node: ast.expr, source: str) -> ast.expr:
    """``node`` of an --f expression checked, its numbers as floats and operations on numbers alone done."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise InvalidInputError(f"--f may use {_F_ALLOWED}; {_f_text(node, source)} is not allowed")
        return _f_number(node.value, node, source)
    if isinstance(node, ast.Name):
        if node.id == "t":
            return node
        hint = f" (a function: write {node.id}(...))" if node.id in _F_FUNCTIONS else ""
        raise InvalidInputError(f"--f may use {_F_ALLOWED}; {node.id!r} is not allowed{hint}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _f_node(node.operand, source)
        if isinstance(operand, ast.Constant):
            value = cast(float, operand.value)  # every constant left is a float
            return _f_number(-value if isinstance(node.op, ast.USub) else value, node, source)
        return ast.UnaryOp(node.op, operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _F_OPERATORS:
        left, right = _f_node(node.left, source), _f_node(node.right, source)
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
            try:
                value = _F_OPERATORS[type(node.op)](cast(float, left.value), cast(float, right.value))
            except OverflowError:
                value = math.inf
            except ZeroDivisionError:
                raise InvalidInputError(f"--f: {_f_text(node, source)} divides by zero") from None
            return _f_number(value, node, source)
        return ast.BinOp(left, node.op, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _F_FUNCTIONS:
        name, wanted = node.func.id, _F_FUNCTIONS[node.func.id]
        if node.keywords or len(node.args) != wanted or any(isinstance(a, ast.Starred) for a in node.args):
            raise InvalidInputError(f"--f: {name} takes {wanted} argument{'s' if wanted > 1 else ''}: "
                                    f"{_f_text(node, source)} is not allowed")
        return ast.Call(ast.Name(name, ast.Load()), [_f_node(a, source) for a in node.args], [])
    what = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else _f_text(node, source)
    raise InvalidInputError(f"--f may use {_F_ALLOWED}; {what!r} is not allowed")


def _f_number(value: Any, node: ast.expr, source: str) -> ast.Constant:
    """A number of an --f expression as a float constant, refused if it is not a finite real number."""
    if isinstance(value, complex):
        raise InvalidInputError(f"--f: {_f_text(node, source)} is not a real number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InvalidInputError(f"--f: {_f_text(node, source)} overflows a float64 (at most about 1.8e308)")
    return ast.Constant(number)


def _f_text(node: ast.expr, source: str) -> str:
    """The part of the --f expression that ``node`` was read from, as the user wrote it."""
    return ast.get_source_segment(source, node) or ast.unparse(node)


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


def one_stdin(**inputs: str | None) -> None:
    """Refuse ``-`` (standard input) for more than one of ``inputs`` (name -> the argument given)."""
    given = [name for name, value in inputs.items() if value == STDIN]
    if len(given) > 1:
        raise InvalidInputError(
            f"{' and '.join(given)} are both - (standard input), which can be read once: give all but one as files"
        )


def _compute(args: argparse.Namespace) -> dict[str, Any]:
    info = DIVERGENCES[args.metric]
    one_stdin(P=args.P, Q=args.Q)
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
        print(json_text(out))
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
