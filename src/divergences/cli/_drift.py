"""The ``drift`` subcommand: a reference (table or saved profile) against current data, per column and window.

    divergences drift reference.parquet current.csv
    divergences drift reference.csv --save-profile ref.json        (fit and save only)
    divergences drift ref.json today.parquet --json report.json --fail-on-drift
    divergences drift ref.json month.parquet --time-column ts --every 1d --html month.html
    divergences drift --example
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .._exceptions import InvalidInputError
from .._io import column_names
from .._metadata import DIVERGENCES
from .._tally import one_shot
from ..drift import Profile, compare, load, profile
from ..drift._example import example_paths
from ._format import JSON_NOTE
from ._measure import number
from ._progress import progress_bar

__all__ = ["DRIFT_STATUS", "add_parser", "run"]

DRIFT_STATUS = 3  # the exit status of --fail-on-drift when a column drifted

_EPILOG = f"""\
REFERENCE is a .csv or .parquet table, or a profile saved with --save-profile (.json);
CURRENT a .csv or .parquet table. Numeric columns are binned at the reference's quantiles
(open outer bins), the others by category; missing values and infinities have bins of their
own. A column drifts where a metric is at least its threshold AND its permutation p-value is
below --alpha: an effect both large and real.

exit status: 0 done (drift or not), {DRIFT_STATUS} with --fail-on-drift when any column drifted,
2 bad input (one line on stderr). {JSON_NOTE}
"""


def add_parser(sub: Any) -> None:
    """The ``drift`` subcommand and its flags."""
    names = ", ".join(n for n, d in DIVERGENCES.items() if d.arity == 2)
    p = sub.add_parser(
        "drift", help="has CURRENT drifted from REFERENCE, column by column (and window by window)?",
        description="Compare a table with a reference table or saved profile (dv.drift).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("REFERENCE", nargs="?", help="reference .csv / .parquet, or a saved profile .json")
    p.add_argument("CURRENT", nargs="?", help="current .csv / .parquet (omit with --save-profile to fit only)")
    p.add_argument("--example", action="store_true", help="run on the bundled example data (weekly windows)")
    p.add_argument("--metrics", default="js_distance,psi", help=f"comma-separated, any of {names} (default js_distance,psi)")
    p.add_argument("--base", type=number, help="logarithm base: 2 for bits (default: e, nats)")
    p.add_argument("--smoothing", type=number, default=0.5, help="pseudo-count per bin on both sides (default 0.5)")
    p.add_argument("--alpha", type=number, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--correction", choices=["holm", "bh"], help="adjust p-values across columns (default: none)")
    p.add_argument("--threshold", action="append", default=[], metavar="METRIC=VALUE",
                   help="the effect threshold of a metric (repeatable; defaults: see docs/drift.md)")
    p.add_argument("--n-permutations", type=int, default=1000, metavar="N", help="permutation draws (0: no test)")
    p.add_argument("--seed", type=int, help="seed of the permutation draws (same seed, same p-values)")
    p.add_argument("--time-column", metavar="C", help="a date/time column of CURRENT that cuts windows")
    p.add_argument("--every", metavar="DURATION", help="window length with --time-column: 1d, 6h, 30min, 1w")
    p.add_argument("--chunk-size", type=int, metavar="N", help="windows of N rows instead")
    p.add_argument("--columns", help="comma-separated columns to compare (default: all)")
    p.add_argument("--categorical", help="comma-separated columns to treat as categories")
    p.add_argument("--bins", type=int, default=10, help="bins per numeric column (default 10)")
    p.add_argument("--max-categories", type=int, default=50, help="categories kept per column (default 50)")
    p.add_argument("--save-profile", metavar="FILE", help="also save the reference's profile as JSON to FILE")
    p.add_argument("--json", metavar="FILE", help="write the whole report as strict JSON to FILE (- for stdout)")
    p.add_argument("--html", metavar="FILE", help="write the report as one self-contained HTML page to FILE")
    p.add_argument("--fail-on-drift", action="store_true", help=f"exit with status {DRIFT_STATUS} if any column drifted")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_const", const=True, help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show it")


def _thresholds(items: list[str]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInputError(f"--threshold must be METRIC=VALUE, got {item!r}")
        out[name.strip()] = number(value)
    return out or None


def _reference(args: argparse.Namespace) -> Profile:
    path = Path(args.REFERENCE)
    if path.suffix.lower() == ".json":
        if args.columns or args.categorical or args.bins != 10 or args.max_categories != 50:
            raise InvalidInputError("--columns, --categorical, --bins and --max-categories fit a reference table; "
                                    "a saved profile has its bins already")
        return load(path)
    return profile(path, columns=column_names(args.columns, "--columns"),
                   categorical=column_names(args.categorical, "--categorical"), bins=args.bins,
                   max_categories=args.max_categories)


def run(args: argparse.Namespace) -> int:
    """``divergences drift``: fit or load the reference, compare, print; the exit status."""
    if args.example:
        if args.REFERENCE or args.CURRENT:
            raise InvalidInputError("--example runs on the bundled data: give no REFERENCE or CURRENT")
        reference, current = example_paths()
        args.REFERENCE, args.CURRENT = str(reference), str(current)
        if args.time_column is None and args.chunk_size is None:
            args.time_column, args.every = "timestamp", args.every or "1w"
        args.seed = 0 if args.seed is None else args.seed  # the same p-values as docs/drift.md
        print(f"reference: {reference}\ncurrent:   {current} (windows of {args.every} by {args.time_column})\n")
    if args.REFERENCE is None:
        raise InvalidInputError("give REFERENCE and CURRENT (or --example)")
    if args.CURRENT is None and args.save_profile is None:
        raise InvalidInputError("give CURRENT to compare with, or --save-profile FILE to fit the reference only")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    one_shot()  # one job: numba's kernels only where they win back their loading
    ref = _reference(args)
    if args.save_profile:
        ref.save(args.save_profile)
        print(f"profile of {len(ref.columns)} columns, {ref.n_rows} rows, saved to {args.save_profile}", file=sys.stderr)
    if args.CURRENT is None:
        return 0
    with progress_bar("drift", args.progress, True) as progress:
        report = compare(ref, args.CURRENT, metrics=metrics, base=args.base, smoothing=args.smoothing,
                         thresholds=_thresholds(args.threshold), alpha=args.alpha, correction=args.correction,
                         n_permutations=args.n_permutations, time_column=args.time_column, every=args.every,
                         chunk_size=args.chunk_size, random_state=args.seed, progress=progress)
    if args.html:
        report.to_html(args.html)
    if args.json == "-":
        print(report.to_json())
    else:
        if args.json:
            Path(args.json).write_text(report.to_json() + "\n", encoding="utf-8")
        print(report)
    return DRIFT_STATUS if args.fail_on_drift and report.drifted_columns else 0
