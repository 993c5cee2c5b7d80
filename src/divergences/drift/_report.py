"""The result of ``compare``: records, the drifted columns, histograms, strict JSON and a frame.

Every number a reader needs to judge a drift is here: one record per (column, window,
metric) with the value, its p-value and the rule's verdict, and per column the bins, the
counts on both sides, the shares of missing and infinite values and the categories the
reference never saw. ``to_json`` writes all of it with every choice made (metrics, base,
smoothing, thresholds, alpha, correction, permutations, bins) as strict JSON: an infinite
value is the string ``"inf"``.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._io import json_text
from ._profile import ColumnProfile

__all__ = ["ColumnCounts", "Report"]

FORMAT = "divergences.drift.report"
VERSION = 1


class ColumnCounts:
    """A column's bins, the reference's counts and the current counts per window (``table``, W x bins)."""

    def __init__(self, col: ColumnProfile, unseen: Sequence[str], table: np.ndarray) -> None:
        self.col, self.unseen, self.table = col, list(unseen), table
        self.reference = col.vector(self.unseen)

    @functools.cached_property
    def labels(self) -> list[str]:
        """The bins' names (made when a report or histogram asks: formatting every edge costs
        more than comparing a column)."""
        return self.col.labels(self.unseen)

    def current(self, window: int | None) -> np.ndarray:
        return self.table.sum(axis=0) if window is None else self.table[window]

    def active(self, window: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The window's counts and the mask of the bins that hold a row on either side: the
        bins every value and histogram is computed on."""
        cur = self.current(window)
        return cur, (self.reference > 0) | (cur > 0)

    def pair(self, window: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The reference's and the window's counts on the bins that hold a row on either side."""
        cur, active = self.active(window)
        return self.reference[active], cur[active]

    def unseen_counts(self, window: int | None) -> dict[str, int]:
        """The window's categories the reference never saw, with their counts."""
        cur = self.current(window)
        return {u: int(c) for u, c in zip(self.unseen, cur[len(self.col.counts) + 3 :]) if c}

    def summary(self, bounds: list[tuple[Any, Any]]) -> dict[str, Any]:
        col, k = self.col, len(self.col.counts)
        cur = self.current(None)
        n_ref, n_cur = int(self.reference.sum()), int(cur.sum())
        shares = {label: {"reference": _share(self.reference[k + i], n_ref), "current": _share(cur[k + i], n_cur)}
                  for i, label in enumerate(("missing", "+inf", "-inf"))}
        out: dict[str, Any] = {"kind": col.kind, "labels": self.labels, "n_reference": n_ref, "n_current": n_cur}
        if col.kind == "numeric":
            out["edges"] = list(col.edges)
        else:
            out["categories"] = list(col.categories)
            out["pooled_as_other"] = col.pooled
        out.update(shares=shares, unseen=self.unseen_counts(None),
                   reference=self.reference.tolist(),
                   current=self.table.tolist() if len(bounds) > 1 else cur.tolist())
        return out


def _share(count: Any, n: int) -> float:
    return float(count) / n if n else 0.0


class Report:
    """What ``dv.drift.compare`` found: see :meth:`to_records`, :attr:`drifted_columns`,
    :meth:`histogram`, :meth:`to_json` and :meth:`to_frame`."""

    def __init__(self, records: list[dict[str, Any]], columns: dict[str, ColumnCounts], windows: list[tuple[Any, Any]],
                 settings: dict[str, Any], skipped: dict[str, str]) -> None:
        self._records, self._columns, self.windows, self.settings, self.skipped = (
            records, columns, windows, settings, skipped)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per (column, window, metric): column, window_start, window_end (None without
        windows), metric, value, pvalue (None without a test), threshold, drifted, n_reference,
        n_current, baseline (the value's mean over the permutation draws: what it would be with
        no drift at these sample sizes; None without a test), and pvalue_adjusted with a correction."""
        return [dict(r) for r in self._records]

    @property
    def drifted_columns(self) -> list[str]:
        """The columns drifted in any window and metric, most severe first (by value / threshold)."""
        severity: dict[str, float] = {}
        for r in self._records:
            if r["drifted"]:
                s = r["value"] / r["threshold"] if r["threshold"] > 0 else math.inf
                severity[r["column"]] = max(severity.get(r["column"], -math.inf), s)
        return sorted(severity, key=lambda c: -severity[c])

    def _column(self, column: str) -> ColumnCounts:
        if column not in self._columns:
            raise InvalidInputError(f"column {column!r} was not compared (compared: {', '.join(self._columns)})")
        return self._columns[column]

    def _window(self, window: object) -> int | None:
        if window is None:
            return None
        if isinstance(window, int) and not isinstance(window, bool) and -len(self.windows) <= window < len(self.windows):
            return window % len(self.windows)
        for i, (start, _) in enumerate(self.windows):
            if start is not None and start == window:
                return i
        raise InvalidInputError(f"window must be None, a window's index or its window_start; got {window!r}")

    def histogram(self, column: str, window: object = None) -> dict[str, list[Any]]:
        """The shares of each bin that holds a row on either side (no smoothing): ``labels``,
        ``reference``, ``current`` (all windows together when ``window`` is None)."""
        counts = self._column(column)
        cur, active = counts.active(self._window(window))
        ref_n, cur_n = counts.reference.sum(), cur.sum()
        return {"labels": [label for label, a in zip(counts.labels, active) if a],
                "reference": (counts.reference[active] / max(ref_n, 1)).tolist(),
                "current": (cur[active] / max(cur_n, 1)).tolist()}

    def unseen(self, column: str, window: object = None) -> dict[str, int]:
        """The categories of the current data the reference never saw, with their counts."""
        return self._column(column).unseen_counts(self._window(window))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "settings": self.settings,
                "windows": [{"start": s, "end": e} for s, e in self.windows],
                "drifted_columns": self.drifted_columns, "skipped": self.skipped,
                "columns": {name: c.summary(self.windows) for name, c in self._columns.items()},
                "records": self.to_records()}

    def to_json(self) -> str:
        """Everything, as strict JSON (RFC 8259; an infinite value is the string ``"inf"``)."""
        return json_text(self.to_dict())

    def to_frame(self) -> Any:
        """The records as a pandas data frame (a Polars one where pandas is not installed)."""
        records = self.to_records()
        try:
            import pandas as pd

            return pd.DataFrame.from_records(records)
        except ImportError:
            pass
        try:
            import polars as pl

            return pl.from_dicts(records, infer_schema_length=None)
        except ImportError:
            raise InvalidInputError("to_frame needs pandas or polars: pip install pandas") from None

    def to_html(self, path: str | os.PathLike[str], *, title: str = "Drift report") -> Path:
        """Write the report as one self-contained HTML file (a summary, a sortable and
        filterable table, per column the shares per bin and, with windows, the first metric
        over time); nothing is fetched, and its size does not grow with the rows. Returns the path."""
        from ._html import write

        return write(self, path, title)

    def _repr_html_(self) -> str:
        """The summary and the table, for notebooks."""
        from ._html import summary_html

        return summary_html(self)

    def plot(self, column: str, window: object = None) -> Any:
        """A matplotlib figure of ``column``'s shares per bin, reference beside current (and,
        with windows and no ``window``, the first metric over time with its threshold)."""
        from ..plot import drift_figure

        hist = self.histogram(column, window)
        records = [r for r in self._records if r["column"] == column and r["metric"] == self.settings["metrics"][0]]
        timeline = records if window is None and len(self.windows) > 1 else None
        return drift_figure(column, hist, timeline)

    def __str__(self) -> str:
        """A table: one line per column (and window), each metric's value and p-value, the
        verdict; drifted lines first, most severe first (value / threshold)."""
        metrics, windowed = self.settings["metrics"], any(r["window_start"] is not None for r in self._records)
        lines_of: dict[tuple[str, Any], dict[str, dict[str, Any]]] = {}
        for r in self._records:
            lines_of.setdefault((r["column"], r["window_start"]), {})[r["metric"]] = r

        def severity(line: dict[str, dict[str, Any]]) -> tuple[bool, float]:
            ratios = [r["value"] / r["threshold"] if r["threshold"] > 0 else math.inf for r in line.values()]
            return any(r["drifted"] for r in line.values()), max(ratios)

        head = ["column", *(["window"] if windowed else [])]
        for m in metrics:
            head += [f"{m} (>= {self.settings['thresholds'][m]:.3g})", "p"]
        head.append("drifted")
        body = []
        for (column, window), line in sorted(lines_of.items(), key=lambda kv: severity(kv[1]), reverse=True):
            cells = [str(column), *([str(window)] if windowed else [])]
            for m in metrics:
                r = line[m]
                p = r.get("pvalue_adjusted", r["pvalue"])
                cells += [f"{r['value']:.4g}", "-" if p is None else f"{p:.2g}"]
            cells.append("DRIFT" if severity(line)[0] else "no")
            body.append(cells)
        widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(head)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
        lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
        st = self.settings
        lines.append(f"{len(self.drifted_columns)} of {len(self._columns)} columns drifted. Values in {st['unit']} "
                     f"(where the metric has a logarithm), smoothing {st['smoothing']:g} per bin; {st['rule']}, "
                     f"alpha {st['alpha']:g}, {st['n_permutations']} permutations.")
        for name in self._columns:
            unseen = self.unseen(name)
            if unseen:
                listed = ", ".join(f"{k} ({v})" for k, v in list(unseen.items())[:10])
                lines.append(f"categories the reference never saw, in {name}: {listed}" + (" ..." if len(unseen) > 10 else ""))
        for name, reason in self.skipped.items():
            lines.append(f"not compared: {name} ({reason})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<drift Report: {len(self.drifted_columns)} of {len(self._columns)} columns drifted>"
