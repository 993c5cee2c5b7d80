"""Speed and accuracy of the k-NN estimators of ``dv.estimate`` against the code users run today.

What is measured
----------------
KL divergence between samples (Wang-Kulkarni-Verdu, k = 3): x from N(0, I_d) and y from
N(mu 1, I_d), n points each, mu chosen so that the truth |mu|^2 d / 2 is 0.625 nats in every
dimension (mu = 0.5 at d = 5, 0.25 at d = 20). On the same samples, in the same run:

* ``dv.estimate.kl(x, y, k=3)``, the public call;
* ours: the same estimator on ``divergences.estimate._neighbours.kth_distances``, the
  neighbour search every estimator calls (KD-tree in low dimension, blocked brute force
  through matrix products in high dimension). Ratios are taken against this row;
* a per-point Python loop in the style of universal-divergence: for each x_i the Euclidean
  distances to every point of x and of y with NumPy, sorted. It is timed on the first
  ``--loop-queries`` points and its time scaled linearly to n (the note says so); its
  distances are checked against ours on those points;
* NPEET-style: ``cKDTree`` with the max-norm, one ``query`` per sample, one thread (NPEET's
  ``kldiv`` builds a max-norm tree per sample and queries it once);
* a plain all-cores ``cKDTree`` WKV (Euclidean, ``workers=-1``).

Mutual information (KSG algorithm 1, k = 3) on a bivariate normal with rho = 0.9 (truth
-0.5 log(1 - rho^2) = 0.8304 nats), n = 10^4 and 10^5:
``dv.estimate.mutual_information(x, y, method="ksg", k=3)`` (printed as not available when
the public function does not exist yet), KSG written on ``_neighbours`` (max-norm
``kth_distances`` in the joint space, strict ``count_within`` in each marginal: the same
formula), and ``sklearn.feature_selection.mutual_info_regression(x[:, None], y,
n_neighbors=3)``. scikit-learn scales each feature to unit variance and adds 1e-10 noise
first, and clips at 0; its value differs from ours by that noise only.

Times are the best of ``--repeat`` wall-clock runs after one warm-up run; a call whose
warm-up takes over ``SLOW_S`` is timed by the best of the warm-up and one more run. Each
row gives the estimate and its error against the truth. ``ratio`` is that row's time over
ours: above 1x, ours is faster. At the end, the issue's targets are checked against these
ratios.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/estimators.py            # n = 10^4 at d = 5, 3 x 10^4 at d = 20
    .venv/bin/python benchmarks/estimators.py --n20 100000  # d = 20 at n = 10^5 (the tree takes minutes)
    .venv/bin/python benchmarks/estimators.py --quick    # small sizes, a few seconds

Quote the ratios, not the absolute times: the machines these run on are shared and noisy,
and ratios measured back to back on the same data are what carries over.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import print_row, shape_str, versions
from scipy.spatial import cKDTree
from scipy.special import digamma

import divergences as dv
from divergences.estimate import _neighbours

try:
    import torch
except ImportError:
    torch = None

SEED = 20_240_605
K_KL = 3
K_MI = 3
KL_TRUTH = 0.625
RHO = 0.9
SLOW_S = 1.0
ROW = "{:<34}  {:>10}  {:>8}  {:>9}  {:>9}  {}"
COLUMNS = ["method", "ms", "ratio", "estimate", "error", "note"]


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall-clock seconds over ``repeat`` runs after a warm-up run, and the result; a
    warm-up over ``SLOW_S`` counts, and one more run follows it."""
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    if first > SLOW_S:
        repeat, best = 1, first
    else:
        best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# --------------------------------------------------------------------------- KL


def wkv(rho: np.ndarray, nu: np.ndarray, d: int, n: int, m: int) -> float:
    return float(d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1)))


def kl_ours(x: np.ndarray, y: np.ndarray) -> float:
    rho = _neighbours.kth_distances(x, x, K_KL, exclude_self=True)
    nu = _neighbours.kth_distances(y, x, K_KL, exclude_self=False)
    return wkv(rho, nu, x.shape[1], len(x), len(y))


def kl_public(x: np.ndarray, y: np.ndarray) -> float:
    return float(dv.estimate.kl(x, y, k=K_KL))


def kl_tree_all_cores(x: np.ndarray, y: np.ndarray) -> float:
    rho = cKDTree(x).query(x, k=[K_KL + 1], workers=-1)[0][:, 0]
    nu = cKDTree(y).query(x, k=[K_KL], workers=-1)[0][:, 0]
    return wkv(rho, nu, x.shape[1], len(x), len(y))


def kl_npeet_style(x: np.ndarray, y: np.ndarray) -> float:
    """NPEET's kldiv: a max-norm tree per sample, one query each, one thread."""
    rho = cKDTree(x).query(x, k=K_KL + 1, p=np.inf)[0][:, K_KL]
    nu = cKDTree(y).query(x, k=K_KL, p=np.inf)[0][:, K_KL - 1]
    return wkv(rho, nu, x.shape[1], len(x), len(y))


def per_point_distances(x: np.ndarray, y: np.ndarray, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """universal-divergence style: a Python loop over the points, NumPy inside."""
    rho, nu = np.empty(queries), np.empty(queries)
    for i in range(queries):
        to_x = np.sort(np.linalg.norm(x - x[i], axis=1))
        to_y = np.sort(np.linalg.norm(y - x[i], axis=1))
        rho[i], nu[i] = to_x[K_KL], to_y[K_KL - 1]  # to_x[0] is the point itself
    return rho, nu


def kl_case(n: int, d: int, repeat: int, loop_queries: int) -> dict[str, float]:
    rng = np.random.default_rng(SEED + d)
    mu = math.sqrt(2.0 * KL_TRUTH / d)
    x, y = rng.normal(size=(n, d)), rng.normal(mu, 1.0, size=(n, d))
    backend = _neighbours._backend(x, 2.0)
    backend_name = {"brute": "brute force", "tree": "KD-tree", "line": "sorted line"}[backend]
    print(f"\nKL, k = {K_KL}, n = m = {n:_}, d = {d} (truth {KL_TRUTH}); ours uses the {backend_name}")
    print_row(ROW, COLUMNS)
    ours_s, ours = best_of(lambda: kl_ours(x, y), repeat)
    ratios = {}

    def row(name: str, seconds: float, value: float, note: str = "") -> None:
        ratios[name] = seconds / ours_s
        print_row(ROW, [name, f"{seconds * 1e3:.1f}", f"{seconds / ours_s:.2f}x", f"{value:.4f}",
                        f"{value - KL_TRUTH:+.4f}", note])

    row("ours (_neighbours)", ours_s, ours)
    public_s, public = best_of(lambda: kl_public(x, y), repeat)
    row("dv.estimate.kl", public_s, public, "public call as wired today")
    queries = min(n, loop_queries)
    loop_s, (rho, nu) = best_of(lambda: per_point_distances(x, y, queries), repeat)
    ours_rho = _neighbours.kth_distances(x, x[:queries], K_KL + 1, exclude_self=False)  # self at 0 counts
    ours_nu = _neighbours.kth_distances(y, x[:queries], K_KL, exclude_self=False)
    diff = max(np.max(np.abs(rho / ours_rho - 1)), np.max(np.abs(nu / ours_nu - 1)))
    subset_value = wkv(rho, nu, d, n, n)
    row("per-point loop (UD style)", loop_s * n / queries, subset_value,
        f"timed on {queries:_} of {n:_} points, x{n / queries:.4g}; estimate on those points; "
        f"distances vs ours: max rel diff {diff:.1e}")
    npeet_s, npeet = best_of(lambda: kl_npeet_style(x, y), repeat)
    row("NPEET style (max-norm tree, 1 thread)", npeet_s, npeet)
    tree_s, tree = best_of(lambda: kl_tree_all_cores(x, y), repeat)
    same = "; the very query ours makes (KD-tree backend): the ratio is run-to-run noise" if backend == "tree" else ""
    row("cKDTree Euclidean, all cores", tree_s, tree, f"agrees with ours to {abs(tree - ours):.1e}{same}")
    return ratios


# --------------------------------------------------------------------------- MI


def ksg_ours(x: np.ndarray, y: np.ndarray) -> float:
    """KSG algorithm 1 on the neighbour module: joint max-norm radius, strict marginal counts."""
    xs, ys = x[:, None], y[:, None]
    n = len(x)
    eps = _neighbours.kth_distances(np.hstack([xs, ys]), np.hstack([xs, ys]), K_MI, exclude_self=True, p=np.inf)
    nx = _neighbours.count_within(xs, xs, eps, strict=True, exclude_self=True, p=np.inf)
    ny = _neighbours.count_within(ys, ys, eps, strict=True, exclude_self=True, p=np.inf)
    return float(digamma(K_MI) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))


def mi_case(n: int, repeat: int) -> dict[str, float]:
    from sklearn.feature_selection import mutual_info_regression

    rng = np.random.default_rng(SEED + n)
    x = rng.normal(size=n)
    y = RHO * x + math.sqrt(1.0 - RHO**2) * rng.normal(size=n)
    truth = -0.5 * math.log(1.0 - RHO**2)
    print(f"\nMI (KSG algorithm 1, k = {K_MI}), bivariate normal rho = {RHO}, n = {n:_} (truth {truth:.4f})")
    print_row(ROW, COLUMNS)
    ratios: dict[str, float] = {}
    base_s = math.nan
    rows = []
    if hasattr(dv.estimate, "mutual_information"):
        public_s, public = best_of(lambda: dv.estimate.mutual_information(x, y, method="ksg", k=K_MI), repeat)
        rows.append(("dv.estimate.mutual_information", public_s, float(public), ""))
        base_s = public_s
    else:
        print_row(ROW, ["dv.estimate.mutual_information", "-", "-", "-", "-", "not available"])
    ours_s, ours = best_of(lambda: ksg_ours(x, y), repeat)
    rows.append(("KSG on _neighbours", ours_s, ours, ""))
    if math.isnan(base_s):
        base_s = ours_s
    sk_s, sk = best_of(lambda: mutual_info_regression(x[:, None], y, n_neighbors=K_MI, random_state=0)[0],
                       repeat)
    rows.append(("sklearn mutual_info_regression", sk_s, float(sk), "unit variance + 1e-10 noise, clipped >= 0"))
    for name, seconds, value, note in rows:
        ratios[name] = seconds / base_s
        print_row(ROW, [name, f"{seconds * 1e3:.1f}", f"{seconds / base_s:.2f}x", f"{value:.4f}",
                        f"{value - truth:+.4f}", note])
    return ratios


# --------------------------------------------------------------------------- main


def verdict(label: str, ratio: float, target: float) -> None:
    status = "met" if ratio >= target else "NOT met"
    print(f"  {label}: {ratio:.2f}x (target >= {target:g}x): {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run in seconds")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="best of N runs (default 3)")
    parser.add_argument("--n5", type=int, default=10_000, help="points per sample at d = 5 (default 10^4)")
    parser.add_argument("--n20", type=int, default=30_000, help="points per sample at d = 20 (default 3 x 10^4)")
    parser.add_argument("--loop-queries", type=int, default=300, help="points the per-point loop is timed on")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    n5, n20, mi_sizes = (2_000, 3_000, [2_000, 10_000]) if args.quick else (args.n5, args.n20, [10_000, 100_000])

    print(versions(torch))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; best of {args.repeat} "
          f"after a warm-up (calls over {SLOW_S:g} s: best of the warm-up and 1 run); seed {SEED}")
    print(f"KL at d = 5 on {shape_str((n5, 5))}, at d = 20 on {shape_str((n20, 20))} per sample; "
          "ratio = method time / ours (above 1x ours is faster)")
    low = kl_case(n5, 5, args.repeat, args.loop_queries)
    high = kl_case(n20, 20, args.repeat, args.loop_queries)
    mi = {n: mi_case(n, args.repeat) for n in mi_sizes}

    print("\nTargets (issue 5)")
    verdict(f"per-point loop / ours, d = 5, n = {n5:_}", low["per-point loop (UD style)"], 5.0)
    verdict(f"all-cores cKDTree / ours, d = 5, n = {n5:_}", low["cKDTree Euclidean, all cores"], 1.0)
    verdict(f"all-cores cKDTree / ours, d = 20, n = {n20:_}", high["cKDTree Euclidean, all cores"], 2.0)
    largest = mi[mi_sizes[-1]]
    ours_name = "dv.estimate.mutual_information" if "dv.estimate.mutual_information" in largest else "KSG on _neighbours"
    verdict(f"sklearn / {ours_name}, n = {mi_sizes[-1]:_}", largest["sklearn mutual_info_regression"], 1.0)


if __name__ == "__main__":
    main()
