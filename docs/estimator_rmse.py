"""RMSE of the sample estimators against the truth, ours beside every peer a user would pick.

Run ``python docs/estimator_rmse.py`` (about 20 minutes on 2 cores): it prints the tables and
writes ``docs/estimator-rmse.md``. ``--seeds 4 2`` (seeds at n = 10^3 and n = 10^4) makes a
quick run; ``--only kl`` (or ``entropy``, ``mi``) one quantity; ``--no-write`` leaves the file.

Every cell (quantity, d, n) draws ``seeds`` independent data sets and gives the same data to
every estimator; a method's RMSE is ``sqrt(mean((estimate - truth)^2))`` over them, in nats.
The truths are exact:

- KL(N(0, I_d) || N(0.5, 1.5^2 I_d)) = d/2 (1/s2 + mu^2/s2 - 1 + log s2), s2 = 2.25, mu = 0.5
  (checked against ``dv.kl`` of the two ``dv.MultivariateNormal`` at start);
- entropy of N(0, I_d) = d/2 log(2 pi e); in d = 1 also U(0, 1) (0) and Exp(1) (1);
- MI of d pairs (x_j, y_j) of correlation 0.9 each = -d/2 log(1 - 0.81); "d" is the number
  of pairs (the joint dimension is 2d).

The peers are written here in a few lines each, as their users write them, with their source
in a comment; NPEET's randomness (its 1e-10 jitter) is seeded per data set.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma
from scipy.stats import differential_entropy
from sklearn.feature_selection import mutual_info_regression
from sklearn.neighbors import BallTree, KDTree

import divergences as dv

HERE = Path(__file__).parent
SIZES = (1_000, 10_000)
SEEDS = {1_000: 20, 10_000: 10}  # data sets per cell; --seeds overrides
FEWER_SEEDS = {("kl", 20, 10_000): 4, ("mi", 10, 10_000): 4}  # the slowest cells (20-50 s, 70 s a data set)
DIMENSIONS = (1, 2, 5, 10, 20)
MI_PAIRS = (1, 2, 5, 10)  # 20 pairs (joint dimension 40): see PAIRS_SKIPPED
PAIRS_SKIPPED = "20 pairs (joint dimension 40) left out: KSG at n = 10^4 in 40 dimensions is brute force for every method, beyond the run's time budget"
MU, SIGMA = 0.5, 1.5  # Q = N(MU 1, SIGMA^2 I)
RHO = 0.9
TIE = 1e-6  # relative: the same estimator on the same data (ours k = 1 KL and the cKDTree WKV) is a tie

# ---------------------------------------------------------------------------------------------
# Peers


def ckdtree_wkv(x: np.ndarray, y: np.ndarray) -> float:
    """The 10-line Wang-Kulkarni-Verdu (2009) k = 1 estimator on scipy's cKDTree, as in
    Perez-Cruz (2008) and nhartland/KL-divergence-estimators (``scipy_estimator``), Euclidean."""
    n, d = x.shape
    m = y.shape[0]
    rho = cKDTree(x).query(x, k=2, workers=-1)[0][:, 1]  # nearest other point of x
    nu = cKDTree(y).query(x, k=1, workers=-1)[0]  # nearest point of y
    return float(d * np.mean(np.log(nu / rho)) + np.log(m / (n - 1)))


# NPEET (github.com/gregversteeg/NPEET, npeet/entropy_estimators.py, MIT licence): max-norm
# trees of scikit-learn (BallTree from 20 columns), base e here instead of its default base 2.
def _npeet_tree(points: np.ndarray) -> KDTree | BallTree:
    return BallTree(points, metric="chebyshev") if points.shape[1] >= 20 else KDTree(points, metric="chebyshev")


def _npeet_knn(tree: KDTree | BallTree, x: np.ndarray, k: int) -> np.ndarray:
    return tree.query(x, k=k + 1)[0][:, k]


def _npeet_noise(x: np.ndarray) -> np.ndarray:
    return x + 1e-10 * np.random.random_sample(x.shape)  # noqa: NPY002 (NPEET uses the global generator)


def npeet_kldiv(x: np.ndarray, xp: np.ndarray, k: int = 3) -> float:
    n, d = x.shape
    const = math.log(len(xp)) - math.log(n - 1)
    nn = _npeet_knn(_npeet_tree(x), x, k)
    nnp = _npeet_knn(_npeet_tree(xp), x, k - 1)
    return float(const + d * (np.log(nnp).mean() - np.log(nn).mean()))


def npeet_entropy(x: np.ndarray, k: int = 3) -> float:
    n, d = x.shape
    x = _npeet_noise(x)
    nn = _npeet_knn(_npeet_tree(x), x, k)
    return float(digamma(n) - digamma(k) + d * math.log(2) + d * np.log(nn).mean())


def npeet_mi(x: np.ndarray, y: np.ndarray, k: int = 3) -> float:
    x, y = _npeet_noise(x), _npeet_noise(y)
    points = np.hstack([x, y])
    dvec = _npeet_knn(_npeet_tree(points), points, k)

    def avgdigamma(marginal: np.ndarray) -> float:  # counts include the point itself
        counts = _npeet_tree(marginal).query_radius(marginal, dvec - 1e-15, count_only=True)
        return float(np.mean(digamma(counts)))

    return -avgdigamma(x) - avgdigamma(y) + float(digamma(k) + digamma(len(x)))


# NPEET_LNC (github.com/BiuBiuBiLL/NPEET_LNC, lnc/lnc.py ``MI.mi_LNC``; Gao, Ver Steeg and
# Galstyan 2015): the multi-information of all scalar columns by KSG 2 plus the PCA-box
# correction, alpha from its lnc/data/alpha.csv by (k, number of columns), 0.15 where the table
# has no row. Its loops are written here as array operations; same formula.
LNC_ALPHA_K5 = {6: 0.0239526191879, 7: 0.0670771913431, 8: 0.12334108827, 9: 0.180215310865,
                10: 0.239441779467, 11: 0.297637315473, 12: 0.351355337464, 13: 0.404193649384,
                14: 0.451739048113, 15: 0.498457905644, 16: 0.538888511595, 17: 0.578157850022,
                18: 0.614936802537, 19: 0.651597960681, 20: 0.679499742115}  # fmt: skip


def npeet_lnc_mi(x: np.ndarray, y: np.ndarray, k: int = 5) -> float:
    points = np.hstack([x, y])
    points = points + 1e-10 * np.random.rand(*points.shape)  # noqa: NPY002 (as NPEET_LNC)
    n, dims = points.shape
    alpha = LNC_ALPHA_K5.get(dims, 0.15) if k == 5 else 0.15
    knn = cKDTree(points).query(points, k + 1, p=np.inf)[1]
    local = points[knn] - points[knn[:, :1]]  # (n, k + 1, dims), the first row is the point
    dvec = np.abs(local).max(axis=1)  # per-column radius (KSG 2)
    ksg2 = digamma(k) - (dims - 1) / k + (dims - 1) * digamma(n)
    for j in range(dims):
        column = points[:, j : j + 1]
        counts = cKDTree(column).query_ball_point(column, dvec[:, j] - 1e-15, p=np.inf, return_length=True)
        ksg2 -= np.mean(digamma(counts))
    covariance = np.einsum("nia,nib->nab", local[:, 1:], local[:, 1:]) / k
    vectors = np.linalg.eig(covariance)[1].real
    log_rect = np.log(np.abs(np.einsum("nia,nab->nib", local, vectors)).max(axis=1)).sum(axis=1)
    log_box = np.log(dvec).sum(axis=1)
    log_rect = np.where(log_rect >= log_box + math.log(alpha), log_box, log_rect)
    correction = np.where(log_box - log_rect > 0, log_box - log_rect, 0.0).sum() / n
    return float(ksg2 + correction)


# ---------------------------------------------------------------------------------------------
# Cases and methods


@dataclass
class Method:
    name: str
    ours: bool
    run: Callable[..., float]  # (data, seed) -> estimate
    skip: Callable[[int, int, str], str | None] = lambda d, n, case: None  # reason, or None
    default: bool = False


@dataclass
class Quantity:
    key: str
    title: str
    cells: list[tuple[str, int, int, float]]  # (case, d, n, truth)
    draw: Callable[[np.random.Generator, str, int, int], tuple]
    methods: list[Method]
    notes: list[str] = field(default_factory=list)


def kl_truth(d: int) -> float:
    s2 = SIGMA**2
    return 0.5 * d * (1 / s2 + MU**2 / s2 - 1 + math.log(s2))


def draw_kl(rng: np.random.Generator, case: str, d: int, n: int) -> tuple:
    return rng.normal(size=(n, d)), rng.normal(MU, SIGMA, size=(n, d))


def draw_entropy(rng: np.random.Generator, case: str, d: int, n: int) -> tuple:
    if case == "U(0, 1)":
        return (rng.uniform(size=(n, 1)),)
    if case == "Exp(1)":
        return (rng.exponential(size=(n, 1)),)
    return (rng.normal(size=(n, d)),)


def draw_mi(rng: np.random.Generator, case: str, d: int, n: int) -> tuple:
    x = rng.normal(size=(n, d))
    return x, RHO * x + math.sqrt(1 - RHO**2) * rng.normal(size=(n, d))


def only_1d(d: int, n: int, case: str) -> str | None:
    return None if d == 1 else "one-dimensional samples only"


def kde_kl_skip(d: int, n: int, case: str) -> str | None:
    return None if d <= 5 else "KDE left out beyond d = 5 (the kernel density is not meant for it)"


def kde_entropy_skip(d: int, n: int, case: str) -> str | None:
    return kde_kl_skip(d, n, case)


def one_pair(d: int, n: int, case: str) -> str | None:
    return None if d == 1 else "scikit-learn's MI is per feature: one pair only"


QUANTITIES = [
    Quantity(
        "kl",
        "KL(N(0, I_d) || N(0.5, 1.5^2 I_d))",
        [("normal", d, n, kl_truth(d)) for d in DIMENSIONS for n in SIZES],
        draw_kl,
        [
            Method("knn k=1 (default)", True, lambda x, y, seed: dv.estimate.kl(x, y), default=True),
            Method("knn k=5", True, lambda x, y, seed: dv.estimate.kl(x, y, k=5)),
            Method("knn_adaptive k=3", True, lambda x, y, seed: dv.estimate.kl(x, y, method="knn_adaptive", k=3)),
            Method("knn_weighted", True, lambda x, y, seed: dv.estimate.kl(x, y, method="knn_weighted")),
            Method("kde", True, lambda x, y, seed: dv.estimate.kl(x, y, method="kde"), kde_kl_skip),
            Method("cKDTree WKV k=1", False, lambda x, y, seed: ckdtree_wkv(x, y)),
            Method("NPEET kldiv k=3", False, lambda x, y, seed: npeet_kldiv(x, y, k=3)),
        ],
        notes=["Our k = 1 estimate and the cKDTree WKV are one estimator: equal RMSE, a tie."],
    ),
    Quantity(
        "entropy",
        "Differential entropy",
        [(case, 1, n, truth) for case, truth in (("U(0, 1)", 0.0), ("Exp(1)", 1.0)) for n in SIZES]
        + [("normal", d, n, 0.5 * d * math.log(2 * math.pi * math.e)) for d in DIMENSIONS for n in SIZES],
        draw_entropy,
        [
            Method("knn k=1 (default)", True, lambda x, seed: dv.estimate.entropy(x), default=True),
            Method("knn k=5", True, lambda x, seed: dv.estimate.entropy(x, k=5)),
            Method("knn_weighted", True, lambda x, seed: dv.estimate.entropy(x, method="knn_weighted")),
            Method("spacing", True, lambda x, seed: dv.estimate.entropy(x, method="spacing"), only_1d),
            Method("kde", True, lambda x, seed: dv.estimate.entropy(x, method="kde"), kde_entropy_skip),
            Method("NPEET entropy k=3", False, lambda x, seed: npeet_entropy(x, k=3)),
            Method("SciPy differential_entropy", False, lambda x, seed: differential_entropy(x[:, 0]), only_1d),
        ],
        notes=[
            "Our spacing estimate is Ebrahimi's through SciPy's differential_entropy; SciPy's default "
            "(method='auto') picks Ebrahimi up to n = 1000 (the same number: a tie) and Vasicek beyond."
        ],
    ),
    Quantity(
        "mi",
        "Mutual information of d pairs of correlation 0.9",
        [("normal", d, n, -0.5 * d * math.log(1 - RHO**2)) for d in MI_PAIRS for n in SIZES],
        draw_mi,
        [
            Method("ksg k=3 (default)", True, lambda x, y, seed: dv.estimate.mutual_information(x, y), default=True),
            Method("ksg k=5", True, lambda x, y, seed: dv.estimate.mutual_information(x, y, k=5)),
            Method("ksg2 k=3", True, lambda x, y, seed: dv.estimate.mutual_information(x, y, method="ksg2")),
            Method("lnc", True, lambda x, y, seed: dv.estimate.mutual_information(x, y, method="lnc")),
            Method("NPEET mi k=3", False, lambda x, y, seed: npeet_mi(x, y, k=3)),
            Method(
                "sklearn mutual_info_regression k=3",
                False,
                lambda x, y, seed: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=seed)[0],
                one_pair,
            ),
            Method("NPEET_LNC mi_LNC k=5", False, lambda x, y, seed: npeet_lnc_mi(x, y, k=5)),
        ],
        notes=[
            PAIRS_SKIPPED + ".",
            "Our KSG and NPEET's mi (and scikit-learn's, for one pair) are one estimator up to their "
            "1e-10 jitter: equal RMSE, a tie.",
            "NPEET_LNC's `mi_LNC` estimates the multi-information of all 2d scalar columns; here it "
            "equals I(x; y) because the columns within x and within y are independent (it is not a "
            "peer for grouped x and y in general). Its alpha table has no row for k = 5 and 2 or 4 "
            "columns (1, 2 pairs): it falls back to alpha = 0.15 there, as its code does. With more "
            "columns than k = 5 (5, 10 pairs) the neighbours' covariance is singular and its "
            "correction is dominated by the null directions, as in the original.",
        ],
    ),
]


# ---------------------------------------------------------------------------------------------
# Measurement


@dataclass
class Cell:
    case: str
    d: int
    n: int
    truth: float
    seeds: int
    errors: dict[str, list[float]]
    skipped: dict[str, str]
    failed: dict[str, str]
    warned: dict[str, int]
    seconds: dict[str, float]

    def rmse(self, name: str) -> float | None:
        e = self.errors.get(name)
        return float(np.sqrt(np.mean(np.square(e)))) if e else None


def seeds_for(key: str, d: int, n: int, seeds: dict[int, int]) -> int:
    return min(seeds[n], FEWER_SEEDS.get((key, d, n), seeds[n]))


def measure(quantity: Quantity, seeds: dict[int, int]) -> list[Cell]:
    cells = []
    for number, (case, d, n, truth) in enumerate(quantity.cells):
        count = seeds_for(quantity.key, d, n, seeds)
        cell = Cell(case, d, n, truth, count, {}, {}, {}, {}, {})
        active = []
        for method in quantity.methods:
            reason = method.skip(d, n, case)
            if reason:
                cell.skipped[method.name] = reason
            else:
                active.append(method)
                cell.errors[method.name], cell.warned[method.name], cell.seconds[method.name] = [], 0, 0.0
        for seed in range(count):
            rng = np.random.default_rng([seed, number, d, n, len(quantity.key)])
            data = quantity.draw(rng, case, d, n)
            for method in active:
                if method.name in cell.failed:
                    continue
                np.random.seed(seed)  # noqa: NPY002 (seeds the peers' global jitter)
                start = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        value = float(method.run(*data, seed))
                    except Exception as error:  # a peer that breaks is reported, not hidden
                        cell.failed[method.name] = f"{type(error).__name__}: {error}"
                        cell.errors.pop(method.name)
                        continue
                cell.seconds[method.name] += time.perf_counter() - start
                cell.warned[method.name] += bool(caught)
                cell.errors[method.name].append(value - truth)
        line = " ".join(f"{m.name}={cell.rmse(m.name):.4f}" for m in active if cell.rmse(m.name) is not None)
        slow = max(cell.seconds, key=cell.seconds.get) if cell.seconds else ""
        print(
            f"[{quantity.key} {case} d={d} n={n} seeds={count}] {line}  "
            f"({sum(cell.seconds.values()):.1f} s, slowest {slow})",
            file=sys.stderr,
            flush=True,
        )
        cells.append(cell)
    return cells


# ---------------------------------------------------------------------------------------------
# Tables


def best(cell: Cell, methods: list[Method], ours: bool) -> tuple[str, float] | None:
    scored = [(cell.rmse(m.name), m.name) for m in methods if m.ours == ours and cell.rmse(m.name) is not None]
    return (min(scored)[1], min(scored)[0]) if scored else None


def cell_label(quantity: Quantity, cell: Cell) -> str:
    if quantity.key == "entropy" and cell.case != "normal":
        return f"{cell.case}, d = 1"
    if quantity.key == "mi":
        return f"{cell.d} pair{'s' if cell.d > 1 else ''} (joint {2 * cell.d})"
    return f"d = {cell.d}"


def fmt(value: float) -> str:
    return f"{value:.4f}" if value < 10 else f"{value:.3g}"


def table(quantity: Quantity, cells: list[Cell]) -> tuple[list[str], list[str], list[str]]:
    """The markdown table, the cells where our best loses, the cells where our default loses."""
    methods = quantity.methods
    footnotes: dict[str, int] = {}
    header = ["cell", "n", "seeds", "truth"] + [f"{m.name}{' (ours)' if m.ours else ''}" for m in methods]
    header += ["best peer", "ours best", "ours <= best peer"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    losses, default_losses = [], []
    for cell in cells:
        row = [cell_label(quantity, cell), f"{cell.n:,}", str(cell.seeds), f"{cell.truth:.4f}"]
        for m in methods:
            value = cell.rmse(m.name)
            if value is not None:
                mark = "†" if cell.warned.get(m.name) else ""
                row.append(fmt(value) + mark)
            else:
                reason = cell.skipped.get(m.name) or f"failed: {cell.failed.get(m.name)}"
                row.append(f"-[{footnotes.setdefault(reason, len(footnotes) + 1)}]")
        peer, ours = best(cell, methods, False), best(cell, methods, True)
        row.append(f"{fmt(peer[1])} ({peer[0]})" if peer else "-")
        row.append(f"{fmt(ours[1])} ({ours[0]})" if ours else "-")
        if peer and ours:
            wins = ours[1] <= peer[1] * (1 + TIE)
            row.append("yes" if wins else f"**no** ({ours[1] / peer[1]:.2f}x)")
            where = f"{cell_label(quantity, cell)}, n = {cell.n:,}"
            if not wins:
                losses.append(
                    f"{where}: ours {fmt(ours[1])} ({ours[0]}) against {fmt(peer[1])} ({peer[0]}), "
                    f"+{ours[1] - peer[1]:.4f} nats, {ours[1] / peer[1]:.2f}x"
                )
            default = next(m for m in methods if m.default)
            value = cell.rmse(default.name)
            if value is not None and value > peer[1] * (1 + TIE):
                default_losses.append(
                    f"{where}: {default.name} {fmt(value)} against {fmt(peer[1])} ({peer[0]}), "
                    f"+{value - peer[1]:.4f} nats, {value / peer[1]:.2f}x"
                )
        else:
            row.append("-")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for reason, number in footnotes.items():
        lines.append(f"[{number}] {reason}.  ")
    if any(any(c.warned.values()) for c in cells):
        lines.append("† the method warned on at least one seed of the cell (the estimate was kept).  ")
    for note in quantity.notes:
        lines.append(note + "  ")
    return lines, losses, default_losses


def revision() -> str:
    try:
        args = ["git", "describe", "--always", "--dirty"]
        return subprocess.run(args, cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(results: list[tuple[Quantity, list[Cell]]], seeds: dict[int, int], seconds: float, version: str) -> str:
    out = [
        "# RMSE of the sample estimators against every peer",
        "",
        "Generated by `python docs/estimator_rmse.py` (issue 18, section 2); do not edit by hand.",
        f"Seeds per cell: {seeds[1_000]} at n = 1,000 and {seeds[10_000]} at n = 10,000 "
        f'(fewer in the slowest cells: KL at d = 20 and MI of 10 pairs, n = 10,000; the column "seeds"), the '
        f"same data for every estimator of a cell; run time {seconds / 60:.1f} min on 2 shared cores; "
        f"library at `{version}` (the working tree when the run started).",
        "",
        "Each entry is the root mean squared error `sqrt(mean((estimate - truth)^2))` in nats. "
        '"best peer" and "ours best" are the smallest RMSE among the peers and among our methods; '
        '"ours <= best peer" compares the two (with the ratio where we lose). The peers are written '
        "in the script from their sources (a scipy cKDTree WKV, NPEET, NPEET_LNC, SciPy, scikit-learn).",
        "",
        "An RMSE over s seeds has a relative standard error of about 1 / sqrt(2 s) (16% at 20 seeds, 22% "
        "at 10): a ratio within that is a tie in all but name.",
        "",
    ]
    summary = []
    for quantity, cells in results:
        lines, losses, default_losses = table(quantity, cells)
        out += [f"## {quantity.title}", ""] + lines + [""]
        summary.append((quantity, losses, default_losses))
    out += ["## Where we lose", ""]
    for quantity, losses, default_losses in summary:
        out.append(f"**{quantity.title}**, our best method above the best peer:" + ("" if losses else " none."))
        out += [f"- {item}" for item in losses]
        out.append("")
        out.append(f"**{quantity.title}**, our default above the best peer:" + ("" if default_losses else " none."))
        out += [f"- {item}" for item in default_losses]
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs=2, type=int, metavar=("N1000", "N10000"))
    parser.add_argument("--only", choices=[q.key for q in QUANTITIES], action="append")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    seeds = dict(zip(SIZES, args.seeds)) if args.seeds else dict(SEEDS)

    for d in DIMENSIONS:  # the KL truth against the library's closed form
        p = dv.MultivariateNormal(np.zeros(d), np.eye(d))
        q = dv.MultivariateNormal(np.full(d, MU), SIGMA**2 * np.eye(d))
        assert abs(float(dv.kl(p, q)) - kl_truth(d)) < 1e-12, d

    version, start = revision(), time.perf_counter()
    results = [(q, measure(q, seeds)) for q in QUANTITIES if not args.only or q.key in args.only]
    text = report(results, seeds, time.perf_counter() - start, version)
    print(text)
    if not args.no_write:
        (HERE / "estimator-rmse.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
