"""``compare``: the current data against a reference profile, per column, window and metric.

The current data are counted on the reference's bins (``_profile.column_counts``: per column, a
count per window x bin), and each section-1 divergence is computed
by its public function on the counts (``smoothing`` a pseudo-count per bin on both sides,
``normalize=True``): there is no second implementation of a divergence here. Each window
is compared with the whole reference, on the bins that hold a row on either side (a bin
empty on both sides carries no information, and leaving it out keeps smoothing from
inventing mass there); ``_significance`` adds the permutation p-values: the tables of a batch
of columns drawn on all cores, then each metric evaluated once on all of them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._evaluate import evaluate
from .._exceptions import InvalidInputError
from .._options import measure, parse, unit
from .._validation import check_count
from . import _frames
from ._fit import profile
from ._lazy import lazy_counts, lazy_frame
from ._profile import Profile, column_counts, each_column
from ._report import ColumnCounts, Report
from ._significance import CORRECTIONS, adjust, check_level, permutation_summary, permutation_tables
from ._windows import windows

__all__ = ["DEFAULT_THRESHOLDS", "compare"]

# Default thresholds, in nats (converted to ``base``); a column drifts where the value is at
# least this AND the p-value is below alpha. PSI: the industry's bands (< 0.1 no significant
# change, 0.1-0.25 moderate, > 0.25 major); JS distance 0.1 (JS 0.01), Hellinger and total
# variation 0.1 (a tenth of their range [0, 1]); KL 0.1 (about PSI's band on one side);
# Bhattacharyya 0.01 (-ln(1 - h^2) ~ h^2: Hellinger's squared); any other metric 0.1.
DEFAULT_THRESHOLDS: Mapping[str, float] = {"psi": 0.1, "js_distance": 0.1, "js": 0.01, "hellinger": 0.1,
                                           "total_variation": 0.1, "kl": 0.1, "bhattacharyya": 0.01}
_FALLBACK_THRESHOLD = 0.1


def compare(
    reference: object,
    current: object,
    *,
    metrics: object = ("js_distance", "psi"),
    base: object = None,
    smoothing: object = 0.5,
    thresholds: Mapping[str, float] | None = None,
    alpha: object = 0.05,
    correction: object = None,
    n_permutations: object = 1000,
    time_column: object = None,
    every: object = None,
    chunk_size: object = None,
    random_state: Any = None,
    progress: Callable[[int, int], None] | None = None,
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Report:
    """Compare ``current`` with ``reference``, column by column (and window by window).

    Parameters
    ----------
    reference : Profile or data frame or path
        A profile (:func:`profile`, :func:`load`), or a table profiled here with the defaults.
    current : data frame or path or Profile
        The data to check: a pandas / Polars / PyArrow frame, a .csv / .parquet path, or a
        profile made with ``like=reference`` (no windows then).
    metrics : str or sequence of str, default ("js_distance", "psi")
        Any divergence of two distributions of section 1 (``dv.DIVERGENCES``), computed as
        ``metric(current, reference)``: ``kl`` is ``KL(current || reference)``.
    base : float, optional
        Logarithm base of the values of the metrics that have a logarithm (default: nats);
        their default thresholds follow it. Hellinger, total variation, ... are unaffected.
    smoothing : float, default 0.5
        A pseudo-count added to every bin's count on both sides (not a share: its weight
        shrinks as the data grow). 0 leaves the counts as they are: a category the reference
        never saw then makes ``kl``, ``psi`` and ``chi2`` infinite.
    thresholds : dict, optional
        metric -> threshold of the effect; the defaults are in ``DEFAULT_THRESHOLDS``.
    alpha : float, default 0.05
        Significance level: a column drifts where ``value >= threshold`` and ``pvalue < alpha``.
    correction : {None, "holm", "bh"}, default None
        Adjust the p-values of one metric across all columns and windows for being tested
        together: Holm (family-wise error) or Benjamini-Hochberg (false discovery rate). The
        records then carry ``pvalue_adjusted``, which the rule uses. With many tests, raise
        ``n_permutations``: no p-value is below ``1 / (1 + n_permutations)``.
    n_permutations : int, default 1000
        Draws of the permutation test (0: no test; ``pvalue`` is None and the rule is the
        threshold alone).
    time_column : str, optional
        A date/time column of ``current`` that cuts it into windows of ``every``.
    every : str, optional
        The windows' length: ``"1d"``, ``"6h"``, ``"30min"``, ``"1w"`` (calendar windows, UTC).
    chunk_size : int, optional
        Windows of this many rows instead (a short last one joins the one before).
    random_state : int or numpy.random.Generator, optional
        Seeds the permutation draws (the same seed gives the same p-values).
    progress : callable, optional
        Called as ``progress(done, total)`` after each column is compared (a progress bar).
    metric_options : dict, optional
        A metric's own options, e.g. ``{"renyi": {"alpha": 2.0}}`` or
        ``{"f_divergence": {"f": lambda t: (t - 1) ** 2}}``.

    Returns
    -------
    Report

    Examples
    --------
    >>> import pyarrow as pa, divergences as dv
    >>> ref = dv.drift.profile(pa.table({"color": ["red"] * 60 + ["blue"] * 40}))
    >>> rep = dv.drift.compare(ref, pa.table({"color": ["red"] * 30 + ["blue"] * 60 + ["green"] * 10}),
    ...                        metrics="psi", random_state=0)
    >>> record = rep.to_records()[0]
    >>> round(record["value"], 3), record["pvalue"] < 0.05, record["drifted"]
    (0.581, True, True)
    >>> rep.unseen("color")
    {'green': 10}
    """
    names = _metrics(metrics)
    rows = [measure(m, what="metrics", pairs=True) for m in names]
    shared = parse(None, base=base, smoothing=smoothing)  # checked once, whatever the metrics
    own = _metric_options(names, metric_options)
    opts = []
    for n, row in zip(names, rows):
        try:
            opts.append(parse(row, base=base if row.logarithmic else None, smoothing=smoothing, normalize=True,
                              **own.get(n, {})))
        except InvalidInputError as exc:
            if n in own or not row.required_options:
                raise
            raise InvalidInputError(f"{exc}: pass metric_options={{{n!r}: {{...}}}}") from None
    limits = _thresholds(names, thresholds, opts)
    level = check_level(alpha)
    if correction is not None and correction not in CORRECTIONS:
        raise InvalidInputError(f"correction must be None, 'holm' or 'bh'; got {correction!r}")
    draws = check_count(n_permutations, "n_permutations", 0)
    if every is not None and time_column is None:
        raise InvalidInputError("every needs time_column (the column whose times cut the windows)")
    if every is not None and chunk_size is not None:
        raise InvalidInputError("give every (time windows) or chunk_size (row windows), not both")
    if time_column is not None and every is None:
        raise InvalidInputError("time_column needs every (the length of a window, such as '1d')")
    ref = reference if isinstance(reference, Profile) else profile(reference)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    counted_names, count, frame_windows = _count_current(ref, current, time_column, every, chunk_size)
    functions = [_on_counts(row, o, own.get(n, {})) for n, row, o in zip(names, rows, opts)]
    if progress is not None and not callable(progress):
        raise InvalidInputError(f"progress must be a callable progress(done, total), got {progress!r}")
    # One random stream per column (spawned from random_state: the same seed, the same p-values),
    # so that the columns' tables are drawn on all cores.
    streams = dict(zip(counted_names, rng.spawn(len(counted_names))))
    records, columns = _tested(ref, counted_names, count, frame_windows.bounds, names, functions, limits, draws, streams,
                               progress)
    _decide(records, level, correction)
    settings = {"metrics": names, "base": shared.base, "unit": unit(shared.base), "smoothing": float(shared.smoothing or 0.0),
                "thresholds": limits, "alpha": level, "correction": correction, "n_permutations": draws,
                "rule": "drifted = value >= threshold and " + ("pvalue_adjusted" if correction else "pvalue") + " < alpha"
                        + (" (no test: n_permutations = 0)" if draws == 0 else ""),
                "time_column": time_column, "every": every, "chunk_size": chunk_size,
                "bins": ref.bins, "max_categories": ref.max_categories}
    return Report(records, columns, frame_windows.bounds, settings, dict(ref.skipped))


_BATCH = 1 << 21  # table entries evaluated in one call (16 MiB a side): memory stays small with many windows
_EVERY_CORE = 1 << 30  # a column's count and draws are always worth a task of their own


def _tested(ref: Profile, columns: list[str], count: Callable[[str], ColumnCounts], bounds: list[tuple[Any, Any]],
            names: list[str], functions: list[Callable[[np.ndarray, np.ndarray], np.ndarray]], limits: dict[str, float],
            draws: int, streams: dict[str, np.random.Generator],
            progress: Callable[[int, int], None] | None) -> tuple[list[dict[str, Any]], dict[str, ColumnCounts]]:
    """Every column and window's records, and the columns' counts: a batch of columns counted
    (``count``) and their observed and drawn tables made on all cores, one task per column,
    then each metric once on all the tables of one width (a call per batch, not per column
    and window: the metrics' per-call cost, which holds the GIL, is paid once)."""
    records: list[dict[str, Any]] = []
    counted: dict[str, ColumnCounts] = {}
    cost = {name: len(bounds) * (draws + 1) * (len(ref.columns[name].counts) + 3) for name in columns}
    done = 0
    while done < len(columns):
        batch: list[str] = []
        size = 0
        while done + len(batch) < len(columns) and (not batch or size + cost[columns[done + len(batch)]] <= _BATCH):
            size += cost[columns[done + len(batch)]]
            batch.append(columns[done + len(batch)])

        def draw(name: str) -> tuple[ColumnCounts, list[tuple[int, np.ndarray, np.ndarray]]]:
            counts, tables = count(name), []
            for w in range(len(bounds)):
                ref_v, cur_v = counts.pair(w)
                if cur_v.sum():
                    tables.append((w, *permutation_tables(ref_v, cur_v, draws, streams[name])))
            return counts, tables

        drawn = dict(zip(batch, each_column(batch, draw, _EVERY_CORE)))
        values = _evaluated([t for name in batch for t in drawn[name][1]], functions)
        for name in batch:
            counted[name] = drawn[name][0]
            for w, ref_t, cur_t in drawn[name][1]:
                start, end = bounds[w]
                for metric, v in zip(names, values[id(ref_t)]):
                    value, pvalue, baseline = permutation_summary(v)
                    records.append({"column": name, "window_start": start, "window_end": end, "metric": metric,
                                    "value": value, "pvalue": pvalue, "threshold": limits[metric], "drifted": False,
                                    "n_reference": int(ref_t[0].sum()), "n_current": int(cur_t[0].sum()),
                                    "baseline": baseline})
        done += len(batch)
        if progress is not None:
            progress(done, len(columns))
    return records, counted


def _evaluated(tables: list[tuple[int, np.ndarray, np.ndarray]],
               functions: list[Callable[[np.ndarray, np.ndarray], np.ndarray]]) -> dict[int, list[np.ndarray]]:
    """Each metric's values on each table (by the id of its reference counts), one call per
    metric on all the tables of one width stacked."""
    by_width: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for _, ref_t, cur_t in tables:
        by_width.setdefault(ref_t.shape[1], []).append((ref_t, cur_t))
    out: dict[int, list[np.ndarray]] = {}
    for group in by_width.values():
        cuts = np.cumsum([r.shape[0] for r, _ in group])[:-1]
        ref_all, cur_all = np.vstack([r for r, _ in group]), np.vstack([c for _, c in group])
        per_metric = [np.split(np.asarray(f(ref_all, cur_all), dtype=np.float64), cuts) for f in functions]
        for i, (ref_t, _) in enumerate(group):
            out[id(ref_t)] = [values[i] for values in per_metric]
    return out


def _metrics(metrics: object) -> list[str]:
    names = [metrics] if isinstance(metrics, str) else list(metrics) if isinstance(metrics, (list, tuple)) else None
    if not names:
        raise InvalidInputError(f"metrics must be a metric name or a non-empty list of them, got {metrics!r}")
    return list(dict.fromkeys(str(m) for m in names))


def _metric_options(names: list[str], given: object) -> dict[str, dict[str, Any]]:
    """Each metric's own options (checked by the metric's parser), named by metric."""
    if given is None:
        return {}
    if not isinstance(given, Mapping) or not all(isinstance(v, Mapping) for v in given.values()):
        raise InvalidInputError(f"metric_options must be a dict metric -> dict of options, got {given!r}")
    for key in given:
        if key not in names:
            raise InvalidInputError(f"metric_options names {key!r}, which is not among metrics {names}")
    return {str(k): dict(v) for k, v in given.items()}


def _thresholds(names: list[str], given: Mapping[str, float] | None, opts: list[Any]) -> dict[str, float]:
    if given is not None and not isinstance(given, Mapping):
        raise InvalidInputError(f"thresholds must be a dict metric -> threshold, got {given!r}")
    given = dict(given or {})
    for key in given:
        if key not in names:
            raise InvalidInputError(f"thresholds names {key!r}, which is not among metrics {names}")
    out = {}
    for name, o in zip(names, opts):
        if name in given:
            t = given[name]
            if isinstance(t, bool) or not isinstance(t, numbers.Real) or not (t >= 0 and math.isfinite(t)):
                raise InvalidInputError(f"thresholds[{name!r}] must be a finite number >= 0, got {t!r}")
            out[name] = float(t)
            continue
        t = DEFAULT_THRESHOLDS.get(name, _FALLBACK_THRESHOLD)
        if o.log_base is not None:  # the defaults are in nats
            t = t / math.sqrt(o.log_base) if name == "js_distance" else t / o.log_base
        out[name] = t
    return out


def _on_counts(row: Any, opts: Any, own: Mapping[str, Any]) -> Any:
    """The public function of ``row`` on batches of counts, with the checked options: the
    current data against the reference, ``metric(current, reference)`` (so KL is
    ``KL(current || reference)``, infinite where current has mass the reference never had)."""
    smoothing = opts.smoothing if opts.smoothing else None
    return lambda ref, cur: np.asarray(evaluate(row, (cur, ref), base=opts.base, smoothing=smoothing, normalize=True,
                                                **own))


def _count_current(ref: Profile, current: object, time_column: object, every: object,
                   chunk_size: object) -> tuple[list[str], Callable[[str], ColumnCounts], Any]:
    """The columns to compare, a function giving each one's counts per window of the current
    data beside the reference's (a data frame's column is counted when asked, on the core
    that tests it; profiles and lazy engines give all their counts at once), and the windows."""
    if isinstance(current, Profile):
        if time_column is not None or chunk_size is not None:
            raise InvalidInputError("windows need the current rows: pass a data frame, not a profile, with "
                                    "time_column / chunk_size")
        out = {}
        for name, col in ref.columns.items():
            other = current.columns.get(name)
            if other is None:
                raise InvalidInputError(f"column {name!r} of the reference is missing from current")
            if not col.same_bins(other):
                raise InvalidInputError(f"column {name!r}: the current profile has other bins: make it with like=the reference")
            unseen = list(other.unseen)
            out[name] = ColumnCounts(col, unseen, other.vector(unseen)[None, :])
        return list(out), out.__getitem__, windows(0, None, None, None)
    lazy = lazy_frame(current)
    if lazy is not None:
        engine_counts, engine_windows = lazy_counts(lazy, ref, time_column, every, chunk_size)
        return list(engine_counts), engine_counts.__getitem__, engine_windows
    df = _frames.frame(current, "current")
    present = set(df.columns)
    if time_column is not None:
        if not isinstance(time_column, str) or time_column not in present:
            raise InvalidInputError(f"time_column {time_column!r} is not a column of current")
    times = _frames.time_values(df[time_column], str(time_column)) if time_column is not None else None
    cuts = windows(int(df.shape[0]), times, every, chunk_size)
    names = [name for name in ref.columns if name != time_column]
    for name in names:
        if name not in present:
            raise InvalidInputError(f"column {name!r} of the reference is missing from current")

    def count(name: str) -> ColumnCounts:
        table, unseen = column_counts(df[name], ref.columns[name], cuts.index, len(cuts))
        return ColumnCounts(ref.columns[name], unseen, table.reshape(len(cuts), -1))

    return names, count, cuts


def _decide(records: list[dict[str, Any]], alpha: float, correction: object) -> None:
    """Set ``drifted`` (and, with a correction, ``pvalue_adjusted``) on every record."""
    if correction is not None:
        families: dict[tuple[Any, str], list[dict[str, Any]]] = {}
        for r in records:
            if r["pvalue"] is not None:
                families.setdefault(r["metric"], []).append(r)
        for family in families.values():
            for r, p in zip(family, adjust([r["pvalue"] for r in family], str(correction))):
                r["pvalue_adjusted"] = p
    for r in records:
        p = r.get("pvalue_adjusted", r["pvalue"])
        r["drifted"] = bool(r["value"] >= r["threshold"] and (p is None or p < alpha))
