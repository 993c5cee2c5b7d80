"""The ``estimate`` subcommand: a divergence, entropy or mutual information from samples in files
(``dv.estimate``), with a bootstrap interval (``--ci``) and a permutation test (``--test``)."""

from __future__ import annotations

import argparse
import functools
import inspect
import textwrap
import time
from typing import Any

import numpy as np

from .. import estimate
from .._exceptions import InvalidInputError
from .._io import column_names, read_columns
from ..estimate import resampling_scheme
from ..estimate._pipeline import resolve_auto
from ..estimate._samples import TIES
from ..estimate._uncertainty import bootstrap, check_ci, check_count, estimator_test
from ._format import JSON_NOTE, digits, format_value, json_text, unit
from ._measure import number, one_stdin
from ._progress import progress_bar

__all__ = ["ESTIMATE_PROGRESS_SECONDS", "METRICS", "add_parser", "run"]

ESTIMATE_PROGRESS_SECONDS = 2.0  # expected seconds of resampling above which a terminal gets a progress bar
METRICS = ("kl", "js", "entropy", "mutual_information")

_EPILOG = f"""\
X and Y are .csv files with a header row naming the columns (other columns, such as ids,
may hold anything) or .parquet files (every column numeric), one sample point per row; -
for either reads such CSV text from standard input (one of them at most).

which columns are the samples:
  entropy            X's columns (all, or --columns a,b)
  kl, js             samples of P from X and of Q from Y, matched by name (all of X's
                     columns, or --columns a,b); or both from one file: --x a --y b
                     (samples side by side; the same number of columns each)
  mutual_information the variables x and y: --x a,b --y c from one file (rows paired);
                     or X's columns (--x) against Y's (--y), files with the same rows

estimator options: --method, --k, --bins, --bandwidth, --evaluation, --support, --smoothing,
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

{textwrap.fill(JSON_NOTE, 92)}
"""


def _count_or_name(text: str) -> int | str:
    return int(text) if text.lstrip("+-").isdigit() else text


def _number_or_name(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _support(text: str) -> tuple[float | None, float | None]:
    """``LOW,HIGH`` with an end left empty where it is open (``0,`` for [0, inf))."""
    ends = text.split(",")
    if len(ends) != 2:
        raise argparse.ArgumentTypeError(f"support must be LOW,HIGH (an end empty where open), got {text!r}")
    try:
        return tuple(float(e) if e.strip() else None for e in ends)  # type: ignore[return-value]
    except ValueError:
        raise argparse.ArgumentTypeError(f"support must be LOW,HIGH numbers, got {text!r}") from None


def add_parser(sub: Any) -> None:
    """The ``estimate`` subcommand and its flags."""
    p = sub.add_parser(
        "estimate", help="kl, js, entropy or mutual information estimated from samples in .csv/.parquet files",
        description="Estimate a divergence, entropy or mutual information from samples (dv.estimate),\n"
        "with a bootstrap interval (--ci) and a permutation test (--test).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("metric", metavar="METRIC", choices=METRICS, help=", ".join(METRICS))
    p.add_argument("X", help="a .csv file with a header row, a .parquet file, or - (standard input, CSV): "
                   "one sample point per row")
    p.add_argument("Y", nargs="?", help="the second sample (kl, js) or variable (mutual_information)")
    p.add_argument("--columns", metavar="A,B", help="the columns used, of X and of Y (default: all of X's)")
    p.add_argument("--x", metavar="A,B", help="the columns of the first sample or variable (from X)")
    p.add_argument("--y", metavar="C", help="the columns of the second (from Y if given, else from X)")
    p.add_argument("--method", help="the estimator: knn, kde, histogram, ksg, ... (default: the library's)")
    p.add_argument("--k", type=int, help="the neighbour used by k-NN estimators (default: the library's)")
    p.add_argument("--base", type=number, help="logarithm base: 2 for bits (default: e, nats)")
    p.add_argument("--ties", choices=TIES, help="how to treat repeated values (default auto)")
    p.add_argument("--bins", type=_count_or_name, help='histogram bins: fd, sturges, auto, quantiles or a count')
    p.add_argument("--bandwidth", type=_number_or_name, help="kde bandwidth: scott, silverman or a factor")
    p.add_argument("--evaluation", choices=("resubstitution", "integration"), help="how kde evaluates the integral")
    p.add_argument("--support", type=_support, metavar="LOW,HIGH",
                   help="kde in 1-D: the interval the data live on, an end empty where open (e.g. 0,1 or 0,)")
    p.add_argument("--smoothing", type=number, help="pseudo-count added to every bin (histogram, discrete)")
    p.add_argument("--alphabet-size", type=int, metavar="N", help="nsb: the number of possible symbols")
    p.add_argument("--clip", action="store_true", help="report 0 for a negative estimate (and interval bounds)")
    p.add_argument("--ci", type=float, metavar="LEVEL", help="a bootstrap confidence interval at this level, e.g. 0.95")
    p.add_argument("--n-resamples", type=int, metavar="N", help="bootstrap resamples (default 200)")
    p.add_argument("--test", action="store_true", help="a permutation test: the p-value of no difference / independence")
    p.add_argument("--n-permutations", type=int, metavar="N", help="permutations of the test (default 200)")
    p.add_argument("--statistic", choices=("energy", "estimate"),
                   help="the test statistic: energy (energy distance / distance covariance, the default for "
                        "numbers) or estimate (the divergence estimate itself)")
    p.add_argument("--random-state", type=int, metavar="S", help="seed of the resampling (default: fresh)")
    p.add_argument("--digits", type=digits, default=3, help="decimals to print, 0 to 17 (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON with full precision (inf and nan as strings)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_const", const=True, help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show it")


def _samples(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """The samples of ``args.metric`` from the files and column options (rules in ``_EPILOG``)."""
    one_stdin(X=args.X, Y=args.Y)
    columns = column_names(args.columns, "--columns")
    x_names, y_names = column_names(args.x, "--x"), column_names(args.y, "--y")
    if columns is not None and (x_names is not None or y_names is not None):
        raise InvalidInputError("give --columns, or --x and --y, not both")
    if args.metric == "entropy":
        if args.Y is not None or y_names is not None:
            raise InvalidInputError("entropy takes one sample: no Y file or --y")
        return (read_columns(args.X, "X", columns or x_names)[1],)
    if args.Y is None:
        if x_names is None or y_names is None:
            raise InvalidInputError(
                f"{args.metric} needs two samples: a second file Y, or --x and --y naming columns of X"
            )
        _, both = read_columns(args.X, "X", x_names + y_names)  # one pass over the file
        (x_cols, x), (y_cols, y) = (x_names, both[:, : len(x_names)]), (y_names, both[:, len(x_names) :])
    else:
        x_cols, x = read_columns(args.X, "X", columns or x_names)
        same = args.metric != "mutual_information"  # kl, js: Q's columns are P's, matched by name
        y_cols, y = read_columns(args.Y, "Y", columns or y_names or (x_cols if same else None))
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


def _estimator_options(func: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's keywords from the command line; an option it lacks is an error, not ignored."""
    accepted = inspect.signature(func).parameters
    given = {
        "method": args.method, "k": args.k, "base": args.base, "ties": args.ties, "bins": args.bins,
        "bandwidth": args.bandwidth, "evaluation": args.evaluation, "support": args.support, "smoothing": args.smoothing,
        "alphabet_size": args.alphabet_size, "clip": args.clip or None,
    }
    options = {name: value for name, value in given.items() if value is not None}
    for name in options:
        if name not in accepted:
            raise InvalidInputError(f"--{name.replace('_', '-')} is not an option of estimate {args.metric}")
    if args.random_state is not None and "random_state" in accepted:  # e.g. dequantisation noise
        options["random_state"] = args.random_state
    return options


def run(args: argparse.Namespace) -> None:
    """``divergences estimate METRIC X [Y]``: the estimate, then its interval and p-value (with bars), printed."""
    if args.n_resamples is not None and args.ci is None:
        raise InvalidInputError("--n-resamples applies with --ci (the bootstrap interval)")
    for flag, given in (("--n-permutations", args.n_permutations), ("--statistic", args.statistic)):
        if given is not None and not args.test:
            raise InvalidInputError(f"{flag} applies with --test")
    if args.test and args.metric == "entropy":
        raise InvalidInputError("--test applies to kl, js and mutual_information (a two-sample or independence test)")
    level = None if args.ci is None else check_ci(args.ci)
    n_resamples = check_count(200 if args.n_resamples is None else args.n_resamples, "--n-resamples")
    n_permutations = check_count(200 if args.n_permutations is None else args.n_permutations, "--n-permutations")
    func = getattr(estimate, args.metric)
    options = _estimator_options(func, args)
    samples = _samples(args)
    statistic = functools.partial(func, **options)

    start = time.perf_counter()
    value = float(statistic(*samples))  # errors in the data or options come here, before any bar
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {"metric": args.metric, "unit": unit(args.base), "value": value,
                              "n": [s.shape[0] for s in samples]}

    paired = args.metric == "mutual_information"
    if level is not None:
        method = options.get("method", inspect.signature(func).parameters["method"].default)
        if method == "auto":  # the method it stands for on these samples
            method = resolve_auto(args.metric, samples[0], samples[1] if len(samples) > 1 else None, {})[0]
        scheme = resampling_scheme(args.metric, method)
        long = seconds * n_resamples > ESTIMATE_PROGRESS_SECONDS
        with progress_bar(f"{args.metric} bootstrap", args.progress, long) as progress:
            interval = bootstrap(statistic, samples, ci=level, n_resamples=n_resamples, random_state=args.random_state,
                                 paired=paired, scheme=scheme, progress=progress, value=value)
        result.update(ci=level, low=interval.low, high=interval.high, n_resamples=n_resamples, resampling=scheme)
    if args.test:
        long = seconds * n_permutations > ESTIMATE_PROGRESS_SECONDS
        with progress_bar(f"{args.metric} permutation test", args.progress, long) as progress:
            tested = estimator_test(func, *samples, name=args.metric, paired=paired, n_permutations=n_permutations,
                                    random_state=args.random_state, options=options, statistic=args.statistic,
                                    progress=progress)
        result.update(pvalue=tested.pvalue, n_permutations=n_permutations, statistic=tested.statistic_name,
                      statistic_value=tested.statistic)
    _print(result, args)


def _print(result: dict[str, Any], args: argparse.Namespace) -> None:
    """The value with its unit, then the interval and the p-value lines; or one JSON object."""
    if args.json:
        print(json_text(result))
        return
    digits, suffix = args.digits, f" {result['unit']}"
    print(f"{format_value(result['value'], digits)}{suffix}")
    if "ci" in result:
        kind = "half-sample" if result["resampling"] == "subsample" else "bootstrap"
        print(f"{100 * result['ci']:g}% CI: [{format_value(result['low'], digits)}, "
              f"{format_value(result['high'], digits)}]{suffix} ({result['n_resamples']} {kind} resamples)")
    if "pvalue" in result:
        by = result["statistic"] if result["statistic"] != args.metric else f"{args.metric} estimate"
        print(f"p-value: {format_value(result['pvalue'], digits)} ({by}, {result['n_permutations']} permutations)")
