"""The drift report as one self-contained HTML page: a summary, a sortable table, a chart per column.

:func:`render` lays out every chart in Python (inline SVG: coordinates, not data for a
script) and fills ``report.html.j2`` with Jinja2, autoescaping on, so every user string
(column names, categories, file names) is escaped once, by the engine. Nothing is fetched:
no script, font or style from a network; the page's size grows with columns, bins and
windows, never with rows (the rows are not in it). The few lines of inline script sort and
filter the table from the DOM, so no user string ever sits inside a script.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidInputError

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["render", "summary_html"]

DRIFT_EXTRA = "divergences[drift]"
_TEMPLATE = "report.html.j2"
# Chart geometry (px)
_W, _H, _LEFT, _RIGHT, _BOTTOM, _TOP = 560, 250, 48, 30, 84, 22


@dataclass
class Bar:
    x: float
    width: float
    y_ref: float
    h_ref: float
    y_cur: float
    h_cur: float
    label: str
    label_x: float
    ref: str
    cur: str


@dataclass
class Line:
    points: str
    dots: list[dict[str, Any]]
    threshold_y: float
    labels: list[dict[str, Any]]
    ticks: list[dict[str, Any]]
    metric: str
    threshold: str


@dataclass
class Column:
    name: str
    anchor: str
    kind: str
    drifted: bool
    severity: float
    cells: list[str]  # per metric: the worst window's value, then its p-value
    sort_keys: list[float]
    missing: str
    infinite: str
    unseen: str
    bars: list[Bar] = field(default_factory=list)
    yticks: list[dict[str, Any]] = field(default_factory=list)
    rotate: bool = False
    line: Line | None = None


def _environment() -> Any:
    try:
        import jinja2
    except ImportError:
        raise InvalidInputError(f"the HTML report needs jinja2: pip install {DRIFT_EXTRA}") from None
    return jinja2.Environment(loader=jinja2.PackageLoader("divergences.drift", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def _share(value: float) -> str:
    return "0" if value == 0 else f"{100 * value:.3g}%"


def _short_time(label: Any) -> str:
    text = str(label)
    return text[:10] if text.endswith("T00:00:00") else text.replace("T", " ")


def _bars(hist: dict[str, list[Any]]) -> tuple[list[Bar], list[dict[str, Any]], bool]:
    labels, ref, cur = hist["labels"], hist["reference"], hist["current"]
    top = max([*ref, *cur, 1e-12])
    top = _nice(top)
    n = max(len(labels), 1)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _BOTTOM - _TOP
    slot = plot_w / n
    width = max(1.0, slot * 0.38)
    bars = []
    for i, (label, r, c) in enumerate(zip(labels, ref, cur)):
        x0 = _LEFT + i * slot + slot * 0.1
        h_r, h_c = plot_h * r / top, plot_h * c / top
        bars.append(Bar(x=x0, width=width, y_ref=_TOP + plot_h - h_r, h_ref=h_r, y_cur=_TOP + plot_h - h_c, h_cur=h_c,
                        label=str(label) if len(str(label)) <= 20 else str(label)[:19] + "…",
                        label_x=_LEFT + (i + 0.5) * slot, ref=_share(r), cur=_share(c)))
    ticks = [{"y": _TOP + plot_h * (1 - f), "label": _share(top * f)} for f in (0.0, 0.5, 1.0)]
    return bars, ticks, n > 6 or any(len(str(label)) > 8 for label in labels)


def _nice(top: float) -> float:
    """A round upper bound of the value axis."""
    exponent = math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        bound = step * 10.0**exponent
        if bound >= top:
            return bound
    return top


def _line(records: list[dict[str, Any]], metric: str) -> Line:
    values = [r["value"] for r in records]
    threshold = records[0]["threshold"]
    finite = [v for v in values if math.isfinite(v)]
    top = _nice(max([*finite, threshold * 1.2, 1e-12]))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _BOTTOM - _TOP
    step = plot_w / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - min(v, top) / top) if math.isfinite(v) else _TOP

    xs = [_LEFT + i * step for i in range(len(values))]
    every = max(1, math.ceil(len(values) / 12))
    return Line(
        points=" ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(xs, values)),
        dots=[{"x": x, "y": y(v), "drifted": r["drifted"], "title": f"{_short_time(r['window_start'])}: {_fmt(v)}"}
              for x, v, r in zip(xs, values, records)],
        threshold_y=y(threshold),
        labels=[{"x": x, "text": _short_time(r["window_start"])} for i, (x, r) in enumerate(zip(xs, records))
                if i % every == 0],
        ticks=[{"y": _TOP + plot_h * (1 - f), "label": _fmt(top * f, 3)} for f in (0.0, 0.5, 1.0)],
        metric=metric, threshold=_fmt(threshold, 3),
    )


def _columns(report: Report, charts: bool) -> list[Column]:
    records = report.to_records()
    metrics = report.settings["metrics"]
    order = {c: i for i, c in enumerate(report.drifted_columns)}
    out = []
    for index, (name, counts) in enumerate(report._columns.items()):
        mine = [r for r in records if r["column"] == name]
        cells: list[str] = []
        keys: list[float] = []
        severity = 0.0
        for m in metrics:
            rows = [r for r in mine if r["metric"] == m]
            if not rows:
                cells += ["-", "-"]
                keys += [-1.0, 2.0]
                continue
            worst = max(rows, key=lambda r: r["value"])
            p = worst.get("pvalue_adjusted", worst["pvalue"])
            cells += [_fmt(worst["value"]), _fmt(p, 2)]
            keys += [worst["value"] if math.isfinite(worst["value"]) else 1e308, 2.0 if p is None else p]
            severity = max(severity, worst["value"] / worst["threshold"] if worst["threshold"] > 0 else math.inf)
        summary = counts.summary(report.windows)
        shares = summary["shares"]
        unseen = summary["unseen"]
        col = Column(
            name=name, anchor=f"col-{index}", kind=counts.col.kind, drifted=name in order,
            severity=severity if math.isfinite(severity) else 1e308, cells=cells, sort_keys=keys,
            missing=f"{_share(shares['missing']['reference'])} → {_share(shares['missing']['current'])}",
            infinite=" ".join(f"{k} {_share(v['reference'])} → {_share(v['current'])}" for k, v in shares.items()
                              if k != "missing" and (v["reference"] or v["current"])) or "-",
            unseen=", ".join(f"{k} ({v})" for k, v in list(unseen.items())[:8]) + (" …" if len(unseen) > 8 else ""),
        )
        if charts:
            col.bars, col.yticks, col.rotate = _bars(report.histogram(name))
        if charts and len(report.windows) > 1:
            first = [r for r in mine if r["metric"] == metrics[0]]
            if first:
                col.line = _line(first, metrics[0])
        out.append(col)
    out.sort(key=lambda c: (not c.drifted, -c.severity))
    return out


def _context(report: Report, title: str, full: bool) -> dict[str, Any]:
    st = report.settings
    records = report.to_records()
    n_ref = max((r["n_reference"] for r in records), default=0)
    n_cur = sum(r["n_current"] for r in records if r["column"] == records[0]["column"] and r["metric"] == records[0]["metric"]) \
        if records else 0
    windows = [(_short_time(s), _short_time(e)) for s, e in report.windows if s is not None]
    return {"title": title, "settings": st, "columns": _columns(report, charts=full), "metrics": st["metrics"],
            "drifted": report.drifted_columns, "n_columns": len(report._columns), "n_reference": n_ref,
            "n_current": n_cur, "windows": windows, "skipped": report.skipped, "W": _W, "H": _H, "LEFT": _LEFT, "RIGHT_EDGE": _W - _RIGHT,
            "TOP": _TOP, "BASE": _H - _BOTTOM, "version": _version(), "full": full}


def _version() -> str:
    from .. import __version__

    return __version__


def render(report: Report, title: str = "Drift report", full: bool = True) -> str:
    """The whole page; with ``full=False`` the summary and the table alone, for a notebook
    cell (``_repr_html_``), whose charts are then not laid out at all."""
    return str(_environment().get_template(_TEMPLATE).render(**_context(report, title, full)))


def summary_html(report: Report) -> str:
    """The summary and the table, for a notebook cell (``_repr_html_``)."""
    return render(report, full=False)


def write(report: Report, path: str | os.PathLike[str], title: str = "Drift report") -> Path:
    out = Path(path)
    if not out.parent.is_dir():
        raise InvalidInputError(f"to_html: no such directory {str(out.parent)!r}")
    out.write_text(render(report, title), encoding="utf-8")
    return out
