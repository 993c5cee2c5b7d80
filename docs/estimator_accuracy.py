"""Bias and spread of the sample estimators against n and d, on distributions with known truth.

Run ``python docs/estimator_accuracy.py`` (a few minutes): it writes
``docs/estimator-accuracy.png`` and the table ``docs/estimator-accuracy.md`` that
``docs/estimators.md`` shows. Every cell is the mean and standard deviation of the estimate
minus the truth over ``SEEDS`` independent draws, so the bias and the noise read side by side.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

import divergences as dv

SEEDS = 10
SIZES = (250, 1000, 4000, 16000)
DIMENSIONS = (1, 2, 5, 10)
SHIFT = 0.5  # Q's mean is SHIFT in every coordinate: KL = d SHIFT^2 / 2
RHO = 0.6  # correlation of each (x_j, y_j) pair for mutual information: -d/2 log(1 - RHO^2)
HERE = Path(__file__).parent

Estimator = Callable[[np.random.Generator, int, int], float]


def kl_case(method: str, **options: object) -> tuple[Estimator, Callable[[int], float]]:
    def run(rng: np.random.Generator, n: int, d: int) -> float:
        x, y = rng.normal(size=(n, d)), rng.normal(SHIFT, 1.0, size=(n, d))
        return float(dv.estimate.kl(x, y, method=method, **options))

    return run, lambda d: d * SHIFT**2 / 2


def entropy_case(method: str, **options: object) -> tuple[Estimator, Callable[[int], float]]:
    def run(rng: np.random.Generator, n: int, d: int) -> float:
        return float(dv.estimate.entropy(rng.normal(size=(n, d)), method=method, **options))

    return run, lambda d: 0.5 * d * math.log(2 * math.pi * math.e)


def mi_case(method: str, **options: object) -> tuple[Estimator, Callable[[int], float]]:
    def run(rng: np.random.Generator, n: int, d: int) -> float:
        x = rng.normal(size=(n, d))
        y = RHO * x + math.sqrt(1 - RHO**2) * rng.normal(size=(n, d))
        return float(dv.estimate.mutual_information(x, y, method=method, **options))

    return run, lambda d: -0.5 * d * math.log(1 - RHO**2)


#: (panel, label, case, largest dimension it is run in)
CASES = [
    ("KL(N(0, I) || N(0.5, I))", "knn k=1", kl_case("knn", k=1), 10),
    ("KL(N(0, I) || N(0.5, I))", "knn k=5", kl_case("knn", k=5), 10),
    ("KL(N(0, I) || N(0.5, I))", "knn_adaptive k=3", kl_case("knn_adaptive", k=3), 10),
    ("KL(N(0, I) || N(0.5, I))", "kde", kl_case("kde"), 5),
    ("KL(N(0, I) || N(0.5, I))", "histogram", kl_case("histogram", smoothing=0.5), 2),
    ("entropy N(0, I)", "knn k=3", entropy_case("knn", k=3), 10),
    ("entropy N(0, I)", "kde", entropy_case("kde"), 5),
    ("entropy N(0, I)", "histogram", entropy_case("histogram"), 2),
    ("MI, d pairs with rho = 0.6", "ksg k=3", mi_case("ksg", k=3), 10),
    ("MI, d pairs with rho = 0.6", "ksg2 k=3", mi_case("ksg2", k=3), 10),
]


def measure() -> list[tuple[str, str, int, int, float, float, float]]:
    rows = []
    for panel, label, (run, truth), max_d in CASES:
        for d in (d for d in DIMENSIONS if d <= max_d):
            for n in SIZES:
                if label == "kde" and n > 4000:
                    continue  # O(n^2) kernel sums: minutes per cell on a laptop
                errors = [run(np.random.default_rng(seed), n, d) - truth(d) for seed in range(SEEDS)]
                rows.append((panel, label, d, n, truth(d), float(np.mean(errors)), float(np.std(errors))))
                print(f"{panel:30s} {label:18s} d={d:2d} n={n:6d} bias {rows[-1][5]:+.3f} sd {rows[-1][6]:.3f}", file=sys.stderr)
    return rows


def write_table(rows: list[tuple[str, str, int, int, float, float, float]]) -> None:
    lines = ["| quantity | method | d | truth | " + " | ".join(f"n = {n}" for n in SIZES) + " |"]
    lines.append("|---" * (4 + len(SIZES)) + "|")
    keys = dict.fromkeys((r[0], r[1], r[2]) for r in rows)
    for panel, label, d in keys:
        cells = {r[3]: f"{r[5]:+.3f} ± {r[6]:.3f}" for r in rows if r[:3] == (panel, label, d)}
        truth = next(r[4] for r in rows if r[:3] == (panel, label, d))
        lines.append(
            f"| {panel} | {label} | {d} | {truth:.3f} | " + " | ".join(cells.get(n, "") for n in SIZES) + " |"
        )
    (HERE / "estimator-accuracy.md").write_text("\n".join(lines) + "\n")


def plot(rows: list[tuple[str, str, int, int, float, float, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys(r[0] for r in rows))
    fig, axes = plt.subplots(len(panels), len(DIMENSIONS), figsize=(16, 3.4 * len(panels)), sharex=True)
    for i, panel in enumerate(panels):
        for j, d in enumerate(DIMENSIONS):
            ax = axes[i, j]
            ax.axhline(0.0, color="black", lw=0.8)
            for label in dict.fromkeys(r[1] for r in rows if r[0] == panel):
                cell = [r for r in rows if r[0] == panel and r[1] == label and r[2] == d]
                if cell:
                    n = [r[3] for r in cell]
                    ax.errorbar(n, [r[5] for r in cell], yerr=[r[6] for r in cell], marker="o", capsize=3, label=label)
            ax.set_xscale("log")
            ax.set_title(f"{panel}, d = {d}", fontsize=9)
            if j == 0:
                ax.set_ylabel("estimate - truth")
            if i == len(panels) - 1:
                ax.set_xlabel("n (samples per distribution)")
        axes[i, 0].legend(fontsize=8)
    fig.suptitle(f"Bias (points) and spread (bars: one standard deviation over {SEEDS} seeds), nats")
    fig.tight_layout()
    fig.savefig(HERE / "estimator-accuracy.png", dpi=90)


if __name__ == "__main__":
    warnings.simplefilter("error")
    results = measure()
    write_table(results)
    plot(results)
