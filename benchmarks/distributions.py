"""Speed of the closed forms on distribution objects: ``dv.kl`` of ten common pairs against
``torch.distributions.kl_divergence`` on the same torch tensors, against a plain NumPy formula
on NumPy arrays, and the per-call time of an unbatched pair given as Python numbers.

What is measured
----------------
Ten pairs (``p`` and ``q`` of one family): Normal, MultivariateNormal (d = 10, full
covariances), DiagonalNormal (d = 10; torch: ``Independent(Normal, 1)``), Gamma, Beta,
Exponential, Bernoulli, Categorical (K = 10), Dirichlet (K = 10) and Poisson. Their
parameters are drawn once with ``numpy.random.default_rng`` and a fixed seed (scales and
shapes log-uniform over two decades, probabilities uniform in (0.01, 0.99), probability
vectors and covariances random): a batch of ``--batch`` laws (10^5 by default) per side,
MultivariateNormal ``--mvn-batch`` (10^3), float64 throughout. Torch tensors are zero-copy
views of the NumPy arrays (``torch.from_numpy``), on the CPU.

* ``torch call``: ``dv.kl(p, q)`` on prebuilt ``dv`` objects with torch parameters against
  ``kl_divergence(tp, tq)`` on prebuilt ``torch.distributions`` objects (the call alone);
* ``torch build+call``: the same with both objects constructed inside the timed call (both
  libraries check the parameters on construction: torch's ``validate_args`` is on by default,
  as ours is);
* ``numpy call``: ``dv.kl(p, q)`` on prebuilt objects with NumPy parameters against the
  textbook formula written in NumPy (SciPy's ``gammaln``/``digamma`` where needed) in this
  script; ``numpy build+call`` constructs our objects inside the timed call (the formula
  has nothing to construct);
* ``nearly equal laws``: ``numpy call`` again, with every parameter of ``q`` moved from
  ``p``'s by a relative 1e-4 (the data of drift and of training: a model and its update), and
  the plain formula's largest relative error there (it subtracts terms of order 1 to get a
  value of order 1e-8; ours keeps every digit);
* ``scalar``: one unbatched pair given as Python floats (lists for the vector families),
  prebuilt: the per-call time of ``dv.kl``; ``kernel``, the time of the registered closed
  form called directly on the same objects (the arithmetic: for Dirichlet eleven exact near
  series of log Gamma on Python floats, for MultivariateNormal the factorisations); the
  difference, the Python overhead of the call (validation, dispatch, defaults: the issue's
  target is under 30 us); ``build+call`` adds the construction of both objects.

Torch runs on one intra-op thread by default (``--torch-threads``): on a small shared machine
its OpenMP threads spin-wait for each other and the times jump by tens of ms from run to run;
both sides run torch's kernels, so the ratio counts the work each does.

Every time is the best of ``--repeat`` samples, the two sides taking turns (a burst of load
from other jobs then hits both alike); a sample runs the call as many times as make it last
at least ``SAMPLE_S`` and is divided by that count. Ratios are our time over the peer's (at
most 1.2x is the issue's target; below 1x we are faster). Each row also gives the largest
relative difference between our values and the peer's (the peers are not exact where ``p``
and ``q`` nearly agree; on these random draws they are accurate).

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/distributions.py             # about a minute
    .venv/bin/python benchmarks/distributions.py --quick     # batch 10^4, a few seconds
    .venv/bin/python benchmarks/distributions.py --repeat 9  # best of 9 instead of 5

Importing torch changes how the C allocator serves NumPy's large temporaries (it raises
glibc's threshold for handing them back to the system), which makes NumPy code that allocates
freely up to 5x faster in that process. ``--no-torch`` times the NumPy columns in a process
without torch, as a NumPy user runs them; the default run imports it for the torch columns.

Quote the ratios, not the absolute times: the machines these run on are shared and noisy,
and the ratios, measured back to back on the same data, are what carries over.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import max_rel_diff, print_row, race, versions
from scipy.special import betaln, digamma, gammaln

import divergences as dv
from divergences.distributions._dispatch import _scalar_twin
from divergences.distributions._registry import REGISTRIES

try:
    if "--no-torch" in sys.argv:  # a NumPy user's process: see the module docstring
        raise ImportError
    import torch
    import torch.distributions as td
except ImportError:  # the torch columns are skipped
    torch = None

SEED = 20_240_917
SAMPLE_S = 0.02  # a timing sample repeats the call until it lasts this long
TARGET = 1.2  # our time over the peer's
SCALAR_TARGET_US = 30.0
DIM = 10  # MultivariateNormal and DiagonalNormal dimension, Categorical and Dirichlet categories

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Pair:
    name: str
    ours: Callable[..., Any]  # dv family, called with the parameters by keyword
    theirs: Callable[..., Any] | None  # torch family, from the same keywords
    formula: Callable[[Params, Params], np.ndarray]  # plain NumPy KL
    draw: Callable[[np.random.Generator, int], Params]
    scalar: Params  # an unbatched pair's parameters (Python numbers or lists)
    mvn: bool = False  # batch --mvn-batch instead of --batch


def _log_uniform(rng: np.random.Generator, n: int, low: float = 0.1, high: float = 10.0) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def _simplex(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.dirichlet(np.ones(DIM), size=n)


def _covariances(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.standard_normal((n, DIM, DIM))
    return a @ np.swapaxes(a, -1, -2) / DIM + 0.1 * np.eye(DIM)


# Plain NumPy formulas (torch's, term for term).
def _normal(p: Params, q: Params) -> np.ndarray:
    return np.log(q["scale"] / p["scale"]) + (p["scale"] ** 2 + (p["loc"] - q["loc"]) ** 2) / (2 * q["scale"] ** 2) - 0.5


def _mvn(p: Params, q: Params) -> np.ndarray:
    lp, lq = np.linalg.cholesky(p["cov"]), np.linalg.cholesky(q["cov"])
    m = np.linalg.solve(lq, lp)
    z = np.linalg.solve(lq, (q["mean"] - p["mean"])[..., None])[..., 0]
    half_logdet = np.log(np.diagonal(lq, axis1=-2, axis2=-1)).sum(-1) - np.log(np.diagonal(lp, axis1=-2, axis2=-1)).sum(-1)
    return 0.5 * ((m**2).sum((-2, -1)) + (z**2).sum(-1) - DIM) + half_logdet


def _diagonal(p: Params, q: Params) -> np.ndarray:
    return _normal({"loc": p["mean"], "scale": p["scale"]}, {"loc": q["mean"], "scale": q["scale"]}).sum(-1)


def _gamma(p: Params, q: Params) -> np.ndarray:
    a1, b1, a2, b2 = p["shape"], p["rate"], q["shape"], q["rate"]
    return a2 * np.log(b1 / b2) + gammaln(a2) - gammaln(a1) + (a1 - a2) * digamma(a1) + (b2 - b1) * a1 / b1


def _beta(p: Params, q: Params) -> np.ndarray:
    a1, b1, a2, b2 = p["a"], p["b"], q["a"], q["b"]
    return (betaln(a2, b2) - betaln(a1, b1) + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1)
            + (a2 - a1 + b2 - b1) * digamma(a1 + b1))


def _exponential(p: Params, q: Params) -> np.ndarray:
    ratio = q["rate"] / p["rate"]
    return ratio - np.log(ratio) - 1


def _bernoulli(p: Params, q: Params) -> np.ndarray:
    a, b = p["probs"], q["probs"]
    return a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))


def _categorical(p: Params, q: Params) -> np.ndarray:
    return (p["probs"] * np.log(p["probs"] / q["probs"])).sum(-1)


def _dirichlet(p: Params, q: Params) -> np.ndarray:
    a, b = p["alpha"], q["alpha"]
    a0, b0 = a.sum(-1), b.sum(-1)
    return (gammaln(a0) - gammaln(a).sum(-1) - gammaln(b0) + gammaln(b).sum(-1)
            + ((a - b) * (digamma(a) - digamma(a0)[..., None])).sum(-1))


def _poisson(p: Params, q: Params) -> np.ndarray:
    return p["rate"] * np.log(p["rate"] / q["rate"]) - p["rate"] + q["rate"]


def _torch_families() -> dict[str, Callable[..., Any] | None]:
    if torch is None:
        return {}
    return {
        "Normal": lambda loc, scale: td.Normal(loc, scale),
        "MultivariateNormal": lambda mean, cov: td.MultivariateNormal(mean, covariance_matrix=cov),
        "DiagonalNormal": lambda mean, scale: td.Independent(td.Normal(mean, scale), 1),
        "Gamma": lambda shape, rate: td.Gamma(shape, rate),
        "Beta": lambda a, b: td.Beta(a, b),
        "Exponential": lambda rate: td.Exponential(rate),
        "Bernoulli": lambda probs: td.Bernoulli(probs=probs),
        "Categorical": lambda probs: td.Categorical(probs=probs),
        "Dirichlet": lambda alpha: td.Dirichlet(alpha),
        "Poisson": lambda rate: td.Poisson(rate),
    }


def pairs() -> list[Pair]:
    theirs = _torch_families()
    vec = [0.05, 0.1, 0.15, 0.2, 0.1, 0.05, 0.1, 0.1, 0.1, 0.05]
    eye = np.eye(DIM).tolist()
    specs = [
        ("Normal", dv.Normal, _normal, lambda r, n: {"loc": r.normal(size=n), "scale": _log_uniform(r, n)},
         {"loc": 0.1, "scale": 1.2}),
        ("MultivariateNormal", dv.MultivariateNormal, _mvn,
         lambda r, n: {"mean": r.normal(size=(n, DIM)), "cov": _covariances(r, n)}, {"mean": [0.1] * DIM, "cov": eye}),
        ("DiagonalNormal", dv.DiagonalNormal, _diagonal,
         lambda r, n: {"mean": r.normal(size=(n, DIM)), "scale": _log_uniform(r, n * DIM).reshape(n, DIM)},
         {"mean": [0.1] * DIM, "scale": [1.2] * DIM}),
        ("Gamma", dv.Gamma, _gamma, lambda r, n: {"shape": _log_uniform(r, n), "rate": _log_uniform(r, n)},
         {"shape": 2.5, "rate": 1.5}),
        ("Beta", dv.Beta, _beta, lambda r, n: {"a": _log_uniform(r, n), "b": _log_uniform(r, n)}, {"a": 2.5, "b": 1.5}),
        ("Exponential", dv.Exponential, _exponential, lambda r, n: {"rate": _log_uniform(r, n)}, {"rate": 1.5}),
        ("Bernoulli", dv.Bernoulli, _bernoulli, lambda r, n: {"probs": r.uniform(0.01, 0.99, n)}, {"probs": 0.3}),
        ("Categorical", dv.Categorical, _categorical, lambda r, n: {"probs": _simplex(r, n)}, {"probs": vec}),
        ("Dirichlet", dv.Dirichlet, _dirichlet, lambda r, n: {"alpha": _log_uniform(r, n * DIM).reshape(n, DIM)},
         {"alpha": [1.5] * DIM}),
        ("Poisson", dv.Poisson, _poisson, lambda r, n: {"rate": _log_uniform(r, n)}, {"rate": 3.5}),
    ]
    return [Pair(name, ours, theirs.get(name), formula, draw, scalar, mvn=name == "MultivariateNormal")
            for name, ours, formula, draw, scalar in specs]


def _scalar_q(params: Params) -> Params:
    """The second law of the scalar pair: every parameter moved a little (vectors kept valid)."""
    out: Params = {}
    for k, v in params.items():
        if k == "probs" and isinstance(v, list):
            out[k] = v[::-1]  # a simplex vector reversed
        elif k == "cov":
            out[k] = [[x * 1.1 for x in row] for row in v]  # a covariance of its own (a factorisation each)
        elif isinstance(v, list):
            out[k] = [x * 1.1 for x in v]
        else:
            out[k] = v * 0.9 if k == "probs" else v * 1.1 + 0.05
    return out


NEAR_STEP = 1e-4  # the relative step between the nearly equal laws of the last table


def _near(params: Params, rng: np.random.Generator) -> Params:
    """Laws nearly equal to ``params``' (a model and its update, a reference and a drifted
    window): every parameter moved by a relative NEAR_STEP (covariances by NEAR_STEP times the
    identity, probability vectors renormalised)."""
    out: Params = {}
    for k, v in params.items():
        if k == "cov":
            out[k] = v + NEAR_STEP * np.eye(v.shape[-1])
        else:
            moved = v * (1.0 + NEAR_STEP * rng.standard_normal(v.shape))
            out[k] = moved / moved.sum(-1, keepdims=True) if k == "probs" and v.ndim == 2 else moved
    return out


def run_near(pair: Pair, batch: int, repeat: int, rows: list[tuple[str, float, float, float]]) -> None:
    """``dv.kl`` against the plain NumPy formula on nearly equal laws, and how far the plain
    formula's values are from ours (exact within a few ulps there, against mpmath in the tests)."""
    rng = np.random.default_rng(SEED)
    p_np = pair.draw(rng, batch)
    q_np = _near(p_np, rng)
    ours_p, ours_q = pair.ours(**p_np), pair.ours(**q_np)
    ours_s, peer_s = race([lambda: dv.kl(ours_p, ours_q), lambda: pair.formula(p_np, q_np)], repeat, SAMPLE_S)
    rows.append((pair.name, ours_s, peer_s, max_rel_diff(pair.formula(p_np, q_np), _values(dv.kl(ours_p, ours_q)))))


ROW = "{:<19}  {:<16}  {:>10}  {:>10}  {:>8}  {:>8}  {}"
COLUMNS = ["pair", "case", "dv", "peer", "dv/peer", "max rel", "note"]


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _row(pair: str, case: str, ours_s: float, peer_s: float, rel: float, results: list[tuple[str, str, float]]) -> None:
    ratio = ours_s / peer_s
    results.append((pair, case, ratio))
    note = "over target" if ratio > TARGET else ""
    print_row(ROW, [pair, case, _fmt(ours_s), _fmt(peer_s), f"{ratio:.2f}x", f"{rel:.0e}", note])


def _values(x: Any) -> np.ndarray:
    return np.asarray(x.detach().numpy() if hasattr(x, "detach") else x, dtype=np.float64)


def run_pair(pair: Pair, batch: int, repeat: int, results: list[tuple[str, str, float]],
             scalars: list[tuple[str, float, float, float]]) -> None:
    rng = np.random.default_rng(SEED)
    p_np, q_np = pair.draw(rng, batch), pair.draw(rng, batch)
    exact = pair.formula(p_np, q_np)
    make = pair.ours
    if torch is not None and pair.theirs is not None:
        theirs = pair.theirs
        p_t = {k: torch.from_numpy(v) for k, v in p_np.items()}
        q_t = {k: torch.from_numpy(v) for k, v in q_np.items()}
        ours_p, ours_q = make(**p_t), make(**q_t)
        their_p, their_q = theirs(**p_t), theirs(**q_t)
        ours_s, peer_s = race([lambda: dv.kl(ours_p, ours_q), lambda: td.kl_divergence(their_p, their_q)], repeat, SAMPLE_S)
        rel = max_rel_diff(_values(dv.kl(ours_p, ours_q)), _values(td.kl_divergence(their_p, their_q)))
        _row(pair.name, "torch call", ours_s, peer_s, rel, results)
        ours_s, peer_s = race([lambda: dv.kl(make(**p_t), make(**q_t)),
                               lambda: td.kl_divergence(theirs(**p_t), theirs(**q_t))], repeat, SAMPLE_S)
        _row(pair.name, "torch build+call", ours_s, peer_s, rel, results)
    ours_p, ours_q = make(**p_np), make(**q_np)
    ours_s, peer_s = race([lambda: dv.kl(ours_p, ours_q), lambda: pair.formula(p_np, q_np)], repeat, SAMPLE_S)
    _row(pair.name, "numpy call", ours_s, peer_s, max_rel_diff(_values(dv.kl(ours_p, ours_q)), exact), results)
    ours_s, peer_s = race([lambda: dv.kl(make(**p_np), make(**q_np)), lambda: pair.formula(p_np, q_np)], repeat, SAMPLE_S)
    _row(pair.name, "numpy build+call", ours_s, peer_s, max_rel_diff(_values(dv.kl(ours_p, ours_q)), exact), results)
    sp, sq = pair.scalar, _scalar_q(pair.scalar)
    scalar_p, scalar_q = make(**sp), make(**sq)
    found = REGISTRIES["kl"].lookup(type(scalar_p), type(scalar_q))
    assert found is not None and not found[1], pair.name  # a same-family form, not swapped
    kernel, twin_p, twin_q = found[0], _scalar_twin(scalar_p), _scalar_twin(scalar_q)  # what dv.kl hands the form
    call_s, kernel_s, build_s = race([lambda: dv.kl(scalar_p, scalar_q), lambda: kernel(twin_p, twin_q, xp=scalar_p.xp),
                                      lambda: dv.kl(make(**sp), make(**sq))], repeat, SAMPLE_S)
    scalars.append((pair.name, call_s, kernel_s, build_s))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 10^4 (MultivariateNormal 10^2), best of 3")
    parser.add_argument("--batch", type=int, default=100_000, help="laws per side (default 10^5)")
    parser.add_argument("--mvn-batch", type=int, default=1_000, help="MultivariateNormal laws per side (default 10^3)")
    parser.add_argument("--repeat", type=int, default=5, metavar="N", help="best of N samples (default 5)")
    parser.add_argument("--only", nargs="*", default=None, metavar="PAIR", help="run these pairs only (family names)")
    parser.add_argument("--no-torch", action="store_true", help="do not import torch (NumPy columns only)")
    parser.add_argument("--torch-threads", type=int, default=1, metavar="N",
                        help="torch's intra-op threads (default 1: steadier on a shared machine)")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    if args.quick:
        args.batch, args.mvn_batch, args.repeat = 10_000, 100, 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    print(versions(torch))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; batch {args.batch:_} "
          f"(MultivariateNormal {args.mvn_batch:_}), d = K = {DIM}, float64; best of {args.repeat}; seed {SEED}")
    if torch is None:
        print("torch is not imported (--no-torch) or not importable: its rows are skipped")
    print(f"\nKL, our time over the peer's (target <= {TARGET}x); max rel: our values against the peer's")
    print_row(ROW, COLUMNS)
    results: list[tuple[str, str, float]] = []
    scalars: list[tuple[str, float, float, float]] = []
    for pair in pairs():
        if args.only is None or pair.name in args.only:
            run_pair(pair, args.mvn_batch if pair.mvn else args.batch, args.repeat, results, scalars)

    print(f"\nUnbatched pair of Python numbers: time per dv.kl call, of its closed form alone (kernel), their "
          f"difference (the call's overhead: target < {SCALAR_TARGET_US:.0f} us), and with both objects built in the call")
    print_row("{:<19}  {:>10}  {:>10}  {:>10}  {:>12}", ["pair", "call", "kernel", "overhead", "build+call"])
    for name, call_s, kernel_s, build_s in scalars:
        print_row("{:<19}  {:>10}  {:>10}  {:>10}  {:>12}",
                  [name, _fmt(call_s), _fmt(kernel_s), _fmt(call_s - kernel_s), _fmt(build_s)])

    print(f"\nNearly equal laws (every parameter moved by a relative {NEAR_STEP:g}), NumPy: our time over the plain "
          "formula's, and the plain formula's largest relative error (ours: a few ulps)")
    print_row("{:<19}  {:>10}  {:>10}  {:>8}  {:>10}", ["pair", "dv", "formula", "dv/formula", "its error"])
    near_rows: list[tuple[str, float, float, float]] = []
    for pair in pairs():
        if args.only is None or pair.name in args.only:
            run_near(pair, args.mvn_batch if pair.mvn else args.batch, args.repeat, near_rows)
            name, ours_s, peer_s, error = near_rows[-1]
            print_row("{:<19}  {:>10}  {:>10}  {:>8}  {:>10}", [name, _fmt(ours_s), _fmt(peer_s), f"{ours_s / peer_s:.2f}x",
                                                                 f"{error:.0e}"])

    print("\nTargets")
    for case in ("torch call", "torch build+call", "numpy call", "numpy build+call"):
        ratios = [(name, r) for name, c, r in results if c == case]
        if ratios:
            worst = max(ratios, key=lambda nr: nr[1])
            over = [name for name, r in ratios if r > TARGET]
            verdict = "met" if not over else f"NOT met for {', '.join(over)}"
            print(f"  {case:<17} worst {worst[1]:.2f}x ({worst[0]}): {verdict}")
    if scalars:
        worst_scalar = max(scalars, key=lambda s: s[1] - s[2])
        over = [name for name, call_s, kernel_s, _ in scalars if (call_s - kernel_s) * 1e6 >= SCALAR_TARGET_US]
        verdict = "met" if not over else f"NOT met for {', '.join(over)}"
        print(f"  {'scalar overhead':<17} worst {(worst_scalar[1] - worst_scalar[2]) * 1e6:.1f} us "
              f"({worst_scalar[0]}): {verdict}")
        slowest = max(scalars, key=lambda s: s[1])
        print(f"  {'(scalar call':<17} slowest {slowest[1] * 1e6:.1f} us ({slowest[0]}), of which the kernel "
              f"{slowest[2] * 1e6:.1f} us)")


if __name__ == "__main__":
    main()
