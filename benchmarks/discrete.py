"""Speed and memory of ``dv.kl``, ``dv.js`` and ``dv.entropy`` against the usual alternatives.

What is measured
----------------
Each case runs on float64 batches of probability vectors (events on the last axis, rows
drawn from Dirichlet(1) with ``numpy.random.default_rng`` and a fixed seed) of three
shapes: medium rows (10_000 x 1_000), long rows (1_000 x 100_000, 763 MiB per operand) and
very many short rows (1_000_000 x 10). On the same data, in the same run, our call with its
defaults (``validate=True``: every input is checked) is timed against the peer a user would
otherwise pick:

* KL: ``scipy.special.rel_entr(p, q).sum(-1)`` and, if torch is importable,
  ``torch.nn.functional.kl_div(torch.log(q), p, reduction="none").sum(-1)`` on CPU
  tensors made with ``torch.from_numpy`` (zero-copy);
* entropy: ``scipy.stats.entropy(p, axis=-1)``;
* JS: ``scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2`` (SciPy returns the
  distance; the square is the divergence). It is slow, so it is timed once.

Times are the best of ``--repeat`` wall-clock runs (``time.perf_counter``) after one warm-up
call; ``jensenshannon`` gets a single run. Each row also gives the largest relative
difference between our values and the peer's, to show that both compute the same quantity.
Our functions use a thread per core, SciPy one thread and torch its own intra-op threads:
the header prints these counts. On a small shared VM torch's OpenMP spin-waiting can add
tens of ms to every call; running with ``OMP_WAIT_POLICY=PASSIVE`` tells whether that is
what a torch time shows.

A second table gives the peak memory each call allocates beyond its inputs, measured with
``tracemalloc`` (NumPy reports its array buffers to it; torch does not, so torch is left
out), next to the size of one input and of the result. Ours processes rows in cache-sized
blocks, so its extra memory is a few MiB however long the rows are (it still grows with the
number of rows, like the result), while ``rel_entr`` materialises a temporary as large as
the input.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/discrete.py             # full run, a minute or two
    .venv/bin/python benchmarks/discrete.py --quick     # smaller shapes, a few seconds
    .venv/bin/python benchmarks/discrete.py --repeat 5  # best of 5 instead of 3

Quote the ratios (peer time / our time), not the absolute times: the machines these run
on are shared and noisy, and the ratios, measured back to back on the same data, are what
carries over from one machine to another.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import MIB, max_rel_diff, peak_mib, print_row, shape_str, versions
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

import divergences as dv

try:
    import torch
except ImportError:  # the torch column is skipped
    torch = None

SEED = 20_240_601
FULL_SHAPES = [(10_000, 1_000), (1_000, 100_000), (1_000_000, 10)]
QUICK_SHAPES = [(100, 1_000), (10, 100_000), (10_000, 10)]
MISMATCH_RTOL = 1e-9  # a larger relative difference is flagged as a mismatch

Fn = Callable[[np.ndarray, np.ndarray], Any]


@dataclass(frozen=True)
class Peer:
    name: str
    fn: Fn
    slow: bool = False  # timed once, whatever --repeat says
    traced: bool = True  # its allocations are visible to tracemalloc


@dataclass(frozen=True)
class Case:
    name: str
    ours: Fn
    peers: list[Peer]


def torch_kl(p: np.ndarray, q: np.ndarray) -> Any:
    p_t, q_t = torch.from_numpy(p), torch.from_numpy(q)  # zero-copy views
    return torch.nn.functional.kl_div(torch.log(q_t), p_t, reduction="none").sum(-1)


def cases() -> list[Case]:
    kl_peers = [Peer("scipy rel_entr(p, q).sum(-1)", lambda p, q: rel_entr(p, q).sum(-1))]
    if torch is not None:
        kl_peers.append(Peer("torch kl_div(log q, p).sum(-1)", torch_kl, traced=False))
    return [
        Case("kl", lambda p, q: dv.kl(p, q), kl_peers),
        Case("entropy", lambda p, q: dv.entropy(p), [
            Peer("scipy.stats.entropy(p, axis=-1)", lambda p, q: scipy_entropy(p, axis=-1)),
        ]),
        Case("js", lambda p, q: dv.js(p, q), [
            Peer("scipy jensenshannon(p, q)**2", lambda p, q: jensenshannon(p, q, axis=-1) ** 2, slow=True),
        ]),
    ]


def make_data(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    n_rows, n_events = shape
    alpha = np.ones(n_events)
    return rng.dirichlet(alpha, size=n_rows), rng.dirichlet(alpha, size=n_rows)


def best_of(fn: Fn, p: np.ndarray, q: np.ndarray, repeat: int) -> tuple[float, np.ndarray]:
    """Best wall-clock seconds over ``repeat`` runs (after a warm-up run), and the result."""
    result = fn(p, q)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(p, q)
        best = min(best, time.perf_counter() - start)
    return best, np.asarray(result)


def timed_once(fn: Fn, p: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    result = fn(p, q)
    return time.perf_counter() - start, np.asarray(result)


TIME_ROW = "{:<8}  {:<15}  {:>8}  {:<31}  {:>9}  {:>8}  {:>12}  {}"
TIME_COLUMNS = ["case", "shape", "dv ms", "peer", "peer ms", "peer/dv", "max rel diff", "note"]
MEMORY_ROW = "{:<8}  {:<15}  {:>9}  {:>10}  {:>8}  {:<31}  {:>9}"
MEMORY_COLUMNS = ["case", "shape", "input MiB", "result MiB", "dv MiB", "peer", "peer MiB"]


def time_shape(shape: tuple[int, int], p: np.ndarray, q: np.ndarray, repeat: int) -> None:
    for case in cases():
        ours_s, ours = best_of(case.ours, p, q, repeat)
        for peer in case.peers:
            peer_s, theirs = timed_once(peer.fn, p, q) if peer.slow else best_of(peer.fn, p, q, repeat)
            diff = max_rel_diff(ours, theirs)
            notes = [n for n, bad in (("dv slower", peer_s < ours_s), ("MISMATCH", not diff <= MISMATCH_RTOL)) if bad]
            print_row(TIME_ROW, [case.name, shape_str(shape), f"{ours_s * 1e3:.1f}", peer.name,
                                 f"{peer_s * 1e3:.1f}", f"{peer_s / ours_s:.1f}x", f"{diff:.1e}", ", ".join(notes)])


def memory_rows(shape: tuple[int, int], p: np.ndarray, q: np.ndarray) -> list[list[str]]:
    rows = []
    for case in cases():
        ours = peak_mib(case.ours, p, q)
        for peer in (peer for peer in case.peers if peer.traced):
            rows.append([case.name, shape_str(shape), f"{p.nbytes / MIB:.1f}", f"{p.shape[0] * 8 / MIB:.1f}",
                         f"{ours:.1f}", peer.name, f"{peak_mib(peer.fn, p, q):.1f}"])
    return rows


def print_header(repeat: int) -> None:
    print(versions(torch))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"best of {repeat} (jensenshannon: 1 run); seed {SEED}")
    if torch is None:
        print("torch is not importable: its KL column is skipped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, for a smoke run in seconds")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="best of N runs (default 3)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    print_header(args.repeat)
    print("\nTime (ratio = peer time / dv time; above 1x dv is faster)")
    print_row(TIME_ROW, TIME_COLUMNS)
    memory = []
    for shape in QUICK_SHAPES if args.quick else FULL_SHAPES:
        p, q = make_data(shape)
        time_shape(shape, p, q, args.repeat)
        memory += memory_rows(shape, p, q)
        del p, q

    print("\nPeak extra memory traced by tracemalloc during one call (result included; torch untraced)")
    print_row(MEMORY_ROW, MEMORY_COLUMNS)
    for row in memory:
        print_row(MEMORY_ROW, row)


if __name__ == "__main__":
    main()
