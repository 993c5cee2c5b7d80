"""Pictures of distributions: matplotlib bar charts and drift figures (optional extra ``plot``), or text bars."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["bar_chart", "bars", "drift_figure", "text_bars"]


def _pyplot() -> Any:
    """pyplot, on the headless Agg backend unless a session (a notebook, a REPL) already chose one."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install divergences[plot]") from None
    if "matplotlib.pyplot" not in sys.modules and not (hasattr(sys, "ps1") or "ipykernel" in sys.modules):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bars(distributions: Mapping[str, Sequence[float]], *, events: Sequence[str] = (), title: str = "",
         ax: Any = None) -> Any:
    """Distributions side by side as grouped bars, one group per event: a matplotlib ``Axes``.

    Parameters
    ----------
    distributions : mapping of name -> probabilities
        Two or more distributions over the same events (e.g. ``{"P": p, "Q": q}``).
    events : sequence of str, optional
        The events' labels (default ``event 0``, ``event 1``, ...).
    title : str, optional
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import divergences as dv
    >>> ax = dv.plot.bars({"P": [0.1, 0.4, 0.5], "Q": [0.8, 0.15, 0.05]}, events=["a", "b", "c"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['a', 'b', 'c']
    """
    plt = _pyplot()
    names = list(distributions)
    k = len(next(iter(distributions.values())))
    labels = list(events) or [f"event {i}" for i in range(k)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    width = 0.8 / len(names)
    x = np.arange(k)
    for j, name in enumerate(names):
        ax.bar(x + (j - (len(names) - 1) / 2) * width, distributions[name], width, label=name)
    ax.set_xticks(x, labels, rotation=35 if k > 6 or any(len(str(e)) > 8 for e in labels) else 0,
                  ha="right" if k > 6 else "center")
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend()
    return ax


def bar_chart(
    distributions: Mapping[str, Sequence[float]], path: str | Path, *, title: str = "", events: Sequence[str] = ()
) -> Path:
    """Draw the distributions side by side as grouped bars (:func:`bars`) and save a PNG to ``path``.

    Raises ``ImportError`` when matplotlib is not installed (``pip install divergences[plot]``).

    Examples
    --------
    >>> from divergences.plot import bar_chart
    >>> bar_chart({"P": [0.1, 0.4, 0.5], "Q": [0.8, 0.15, 0.05]}, "pq.png")  # doctest: +SKIP
    """
    plt = _pyplot()
    ax = bars(distributions, events=events, title=title)
    ax.figure.tight_layout()
    out = Path(path)
    ax.figure.savefig(out)
    plt.close(ax.figure)
    return out


def drift_figure(column: str, histogram: Mapping[str, Sequence[Any]], timeline: Sequence[Mapping[str, Any]] | None = None) -> Any:
    """The picture of one column of a drift report (``Report.plot``): reference and current
    shares per bin and, given ``timeline`` (the records of one metric, one per window), the
    metric over the windows with its threshold, drifted windows in red. A matplotlib ``Figure``."""
    plt = _pyplot()
    panels = 2 if timeline else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 3.8), dpi=110, squeeze=False)
    bars({"reference": histogram["reference"], "current": histogram["current"]}, events=histogram["labels"],
         title=f"{column}: share of rows per bin", ax=axes[0][0])
    axes[0][0].set_ylabel("share of rows")
    if timeline:
        ax = axes[0][1]
        starts = [str(r["window_start"]) for r in timeline]
        values = [r["value"] for r in timeline]
        x = np.arange(len(values))
        ax.plot(x, values, marker="o", color="#0969da")
        drifted = [i for i, r in enumerate(timeline) if r["drifted"]]
        ax.scatter(x[drifted], np.asarray(values)[drifted], color="#d1242f", zorder=3, label="drifted")
        ax.axhline(timeline[0]["threshold"], color="#d1242f", linestyle="--", label="threshold")
        step = max(1, len(x) // 10)
        ax.set_xticks(x[::step], [s[:10] if s.endswith("T00:00:00") else s for s in starts][::step], rotation=35, ha="right")
        ax.set_title(f"{column}: {timeline[0]['metric']} per window")
        ax.legend()
    fig.tight_layout()
    return fig


def text_bars(distributions: Mapping[str, Sequence[float]], *, width: int = 40) -> str:
    """The distributions as rows of ``#`` characters, one line per event and distribution.

    Examples
    --------
    >>> from divergences.plot import text_bars
    >>> print(text_bars({"P": [0.25, 0.75]}, width=8))
    event 0  P  ##        0.250
    event 1  P  ######    0.750
    """
    lines = []
    k = len(next(iter(distributions.values())))
    pad = max(len(n) for n in distributions)
    for i in range(k):
        for name, values in distributions.items():
            v = float(values[i])
            bar = "#" * round(v * width)
            lines.append(f"event {i}  {name.ljust(pad)}  {bar.ljust(width)}  {v:.3f}")
    return "\n".join(lines)
