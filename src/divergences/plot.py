"""Pictures of distributions: a matplotlib bar chart (optional extra ``plot``) or text bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["bar_chart", "text_bars"]


def bar_chart(
    distributions: Mapping[str, Sequence[float]], path: str | Path, *, title: str = "", events: Sequence[str] = ()
) -> Path:
    """Draw the distributions side by side as grouped bars and save a PNG to ``path``.

    Raises ``ImportError`` when matplotlib is not installed (``pip install divergences[plot]``).

    Examples
    --------
    >>> from divergences.plot import bar_chart
    >>> bar_chart({"P": [0.1, 0.4, 0.5], "Q": [0.8, 0.15, 0.05]}, "pq.png")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(distributions)
    k = len(next(iter(distributions.values())))
    labels = list(events) or [f"event {i}" for i in range(k)]
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    x = np.arange(k)
    for j, name in enumerate(names):
        ax.bar(x + (j - (len(names) - 1) / 2) * width, distributions[name], width, label=name)
    ax.set_xticks(x, labels)
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out


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
