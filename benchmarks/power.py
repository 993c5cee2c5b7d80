"""Power and calibration of ``dv.estimate.test`` against the tests a user would otherwise run.

What is measured
----------------
For each case, ``--pairs`` pairs of samples of ``n`` points (500 by default) are drawn with
their own seeds, and each test says "different" at alpha = 0.05. The share of pairs rejected
is the size (rows "null", where both samples come from N(0, I_d)) or the power (the others:
a shift of the mean in every coordinate, or a wider spread). On the same pairs:

* ``energy``: ``dv.estimate.test(x, y)``, the default (energy distance, 199 permutations);
* ``kNN KL``: ``dv.estimate.test(x, y, statistic="estimate")``, the k = 1 k-NN KL estimate as
  the statistic (the default before the energy statistic; 99 permutations, it is slow);
* ``SciPy energy`` (d = 1): ``scipy.stats.permutation_test`` of ``scipy.stats.energy_distance``
  (199 resamples), the same test written independently;
* ``KS`` (d = 1): ``scipy.stats.ks_2samp``.

A rejection rate over P pairs has a standard error of about sqrt(r (1 - r) / P) (0.015 at
r = 0.05, P = 200): the null rows should lie within alpha +- 2 standard errors.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/power.py [--pairs 200] [--n 500]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import scipy.stats as st

import divergences as dv

ALPHA = 0.05
CASES = [  # (dimension, label, shift of the mean, scale of y)
    (1, "null", 0.0, 1.0),
    (1, "shift 0.2", 0.2, 1.0),
    (1, "shift 0.3", 0.3, 1.0),
    (1, "scale 1.3", 0.0, 1.3),
    (3, "null", 0.0, 1.0),
    (3, "shift 0.15", 0.15, 1.0),
    (3, "scale 1.2", 0.0, 1.2),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--knn-pairs", type=int, default=100, help="pairs for the slow k-NN KL statistic")
    args = parser.parse_args()
    print(f"rejection rate at alpha = {ALPHA}, n = {args.n} per side, {args.pairs} pairs "
          f"({args.knn_pairs} for kNN KL); standard error at 0.05: {math.sqrt(ALPHA * (1 - ALPHA) / args.pairs):.3f}")
    print(f"{'d':>2} {'case':<11} {'energy':>7} {'kNN KL':>7} {'SciPy energy':>13} {'KS':>6}   energy s/test")
    for d, label, shift, scale in CASES:
        rejected: dict[str, list[bool]] = {"energy": [], "knn": [], "scipy": [], "ks": []}
        seconds = 0.0
        for seed in range(args.pairs):
            rng = np.random.default_rng(seed)
            x, y = rng.normal(size=(args.n, d)), rng.normal(shift, scale, size=(args.n, d))
            start = time.perf_counter()
            rejected["energy"].append(dv.estimate.test(x, y, n_permutations=199, random_state=seed).pvalue <= ALPHA)
            seconds += time.perf_counter() - start
            if seed < args.knn_pairs:
                rejected["knn"].append(dv.estimate.test(x, y, statistic="estimate", n_permutations=99,
                                                        random_state=seed).pvalue <= ALPHA)
            if d == 1:
                rejected["scipy"].append(st.permutation_test((x[:, 0], y[:, 0]), st.energy_distance, n_resamples=199,
                                                             alternative="greater", random_state=seed).pvalue <= ALPHA)
                rejected["ks"].append(st.ks_2samp(x[:, 0], y[:, 0]).pvalue <= ALPHA)
        rates = {k: (f"{np.mean(v):.3f}" if v else "-") for k, v in rejected.items()}
        print(f"{d:>2} {label:<11} {rates['energy']:>7} {rates['knn']:>7} {rates['scipy']:>13} {rates['ks']:>6}"
              f"   {seconds / args.pairs:.4f}")


if __name__ == "__main__":
    main()
