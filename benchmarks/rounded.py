"""Rounded and integer data through ``ties="auto"``: the cases users meet, against the truth.

What is measured
----------------
Each row draws ``--seeds`` data sets and prints the mean and standard deviation of the
default estimate (``ties="auto"``, ``random_state`` = seed) and, where it applies, of the KDE
estimate, beside the truth of the unrounded laws:

* KL(N(0, 1) || N(0.5, 1)) = 0.125 and JS = 0.0303 from samples rounded to 0.1 or 0.01;
* the mutual information of a bivariate normal with r = 0.9 (0.830) with both sides rounded
  to 0.1;
* the entropy of integer symbols: a Zipf law (exponent 1.1) over 1000 symbols, n = 100 and 1000;
* the p-value of ``dv.estimate.test`` on rounded samples 2 standard deviations apart.

Before the tie policy decided by the data, ``auto`` sent rounded data to the plug-in of
frequencies (KL inf every time, JS twice the truth, MI 0.95-0.98) or raised.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/rounded.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np

import divergences as dv

KL_TRUTH = 0.125
JS_TRUTH = float(dv.js(dv.Normal(0.0, 1.0), dv.Normal(0.5, 1.0)))
MI_TRUTH = -0.5 * math.log(1 - 0.81)
ZIPF = np.arange(1, 1001) ** -1.1
ZIPF /= ZIPF.sum()
ZIPF_TRUTH = float(dv.entropy(ZIPF))


def row(label: str, truth: float, values: list[float]) -> None:
    v = np.asarray(values)
    finite = np.isfinite(v)
    shown = f"{v[finite].mean():8.4f} +- {v[finite].std():.4f}" if finite.any() else "     inf"
    print(f"{label:<44} {truth:8.4f}  {shown}  {'' if finite.all() else f'({(~finite).sum()} inf)'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    seeds = range(parser.parse_args().seeds)
    print(f"{'case (default ties=auto)':<44} {'truth':>8}  {'mean +- sd over seeds':>20}")
    for n, decimals in ((500, 1), (5000, 1), (500, 2)):
        pairs = []
        for s in seeds:
            rng = np.random.default_rng(s)
            pairs.append((np.round(rng.normal(size=n), decimals), np.round(rng.normal(0.5, 1.0, size=n), decimals)))
        row(f"KL, n = {n}, {decimals} decimal(s), k-NN", KL_TRUTH,
            [dv.estimate.kl(x, y, random_state=s) for s, (x, y) in zip(seeds, pairs)])
        row(f"KL, n = {n}, {decimals} decimal(s), k-NN k = 5", KL_TRUTH,
            [dv.estimate.kl(x, y, k=5, random_state=s) for s, (x, y) in zip(seeds, pairs)])
        row(f"KL, n = {n}, {decimals} decimal(s), KDE", KL_TRUTH,
            [dv.estimate.kl(x, y, method="kde") for x, y in pairs])
        row(f"JS, n = {n}, {decimals} decimal(s), k-NN", JS_TRUTH,
            [dv.estimate.js(x, y, random_state=s) for s, (x, y) in zip(seeds, pairs)])
    mi = []
    for s in seeds:
        rng = np.random.default_rng(s)
        x = rng.normal(size=5000)
        y = 0.9 * x + math.sqrt(1 - 0.81) * rng.normal(size=5000)
        mi.append(dv.estimate.mutual_information(np.round(x, 1), np.round(y, 1), random_state=s))
    row("MI, r = 0.9, n = 5000, both rounded to 0.1", MI_TRUTH, mi)
    for n in (100, 1000):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # integer symbols: no warning expected
            row(f"entropy, Zipf over 1000 symbols, n = {n}", ZIPF_TRUTH,
                [dv.estimate.entropy(np.random.default_rng(s).choice(np.arange(1, 1001), size=n, p=ZIPF))
                 for s in seeds])
    pvalues = []
    for s in list(seeds)[:5]:
        rng = np.random.default_rng(s)
        x, y = np.round(rng.normal(size=500), 1), np.round(rng.normal(2.0, 1.0, size=500), 1)
        pvalues.append(dv.estimate.test(x, y, "kl", random_state=s, n_permutations=99).pvalue)
    print(f"{'test p-value, rounded samples 2 sd apart':<44} {'':>8}  max {max(pvalues):.3f} over {len(pvalues)} seeds")


if __name__ == "__main__":
    main()
