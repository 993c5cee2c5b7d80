"""Speed, accuracy and memory of ``dv.kl``, ``dv.js``, ``dv.hellinger``, ``dv.psi`` and ``dv.entropy``
against the usual alternatives, on independent and on near-identical distributions.

What is measured
----------------
Each case runs on float64 batches of probability vectors (events on the last axis) of three
shapes: medium rows (10_000 x 1_000), long rows (1_000 x 100_000, 763 MiB per operand) and
very many short rows (1_000_000 x 10). ``p`` is drawn from Dirichlet(1) with
``numpy.random.default_rng`` and a fixed seed; ``q`` is one of three kinds of data:

* ``indep``: another Dirichlet(1) draw, independent of ``p``;
* ``near 1e-2``: ``p * (1 + 1e-2 z)`` with ``z`` standard normal per entry, then renormalised
  (each row divided by its sum): the common case of drift monitoring and of training, where
  the two distributions differ by about 1%;
* ``near 1e-6``: the same with a perturbation of one part in a million.

On the same data, in the same run, our call with its defaults (``validate=True``: every input
is checked) is timed against the peer a user would otherwise pick:

* KL: ``scipy.special.rel_entr(p, q).sum(-1)`` and, if torch is importable,
  ``torch.nn.functional.kl_div(torch.log(q), p, reduction="none").sum(-1)`` on CPU tensors
  made with ``torch.from_numpy`` (zero-copy);
* JS: ``scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2`` (SciPy returns the
  distance; the square is the divergence). It is slow, so it is timed once;
* Hellinger: the NumPy expression ``sqrt(((sqrt(p) - sqrt(q)) ** 2).sum(-1) / 2)`` (SciPy has
  no Hellinger function);
* PSI: ``(rel_entr(p, q) + rel_entr(q, p)).sum(-1)`` (PSI is ``KL(p||q) + KL(q||p)``);
* entropy: ``scipy.stats.entropy(p, axis=-1)``, on the independent data only (it reads ``p``
  alone, which is the same Dirichlet draw in every kind).

Times are the best of ``--repeat`` wall-clock runs (``time.perf_counter``) after one warm-up
call, ours and the peer's taking turns (a burst of load from other jobs then hits both
alike); a call whose warm-up takes over ``SLOW_S`` gets the best of the warm-up and one more
run, and ``jensenshannon`` a single run. ``peer/dv`` is the peer's time over ours (above 1x
ours is faster). Two accuracy columns give the largest relative error of our values and of
the peer's against the exact value, which is computed on the first ``REFERENCE_ROWS`` rows by
the accurate array-API kernels of ``divergences._kernels`` (sums of non-negative terms, the
first-order part summed compensated: full relative accuracy near ``p = q``, and a code path
independent of the NumPy engine timed here). Near ``p = q`` the peers' plain sums cancel:
their error there is expected, and flagged ``peer inexact`` rather than as a mismatch; an
error of ours above ``MISMATCH_RTOL`` is flagged ``MISMATCH``. After the time table a
summary gives, per case and shape, our time on each near-identical kind over our time on
the independent data (the issue's target: at most 1.5x).

Our functions use a thread per core, SciPy one thread and torch its own intra-op threads:
the header prints these counts. On a small shared VM torch's OpenMP spin-waiting can add tens
of ms to every call; running with ``OMP_WAIT_POLICY=PASSIVE`` tells whether that is what a
torch time shows.

A second table gives the peak memory each call allocates beyond its inputs, measured with
``tracemalloc`` (NumPy reports its array buffers to it; torch does not, so torch is left
out), next to the size of one input and of the result, on the independent and the
``near 1e-2`` data. Ours processes rows in cache-sized blocks, so its extra memory is a few
MiB however long the rows are (it still grows with the number of rows, like the result),
while ``rel_entr`` materialises a temporary as large as the input. Our engine keeps a few
MiB of scratch memory per thread from call to call; it is dropped before each of our
measurements, so that it is counted.

A third table runs one long near-identical vector (``near 1e-2``, 10^7 and 10^8 events by
default, ``--long``; 10^8 is 763 MiB per operand): our time and peak extra memory against
the peer's, and our error against the exact value where the accurate kernels fit in memory
(up to 10^7 events). A single row is processed in cache-sized chunks of its events, so our
extra memory must stay under 64 MiB at both lengths.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/discrete.py             # full run, several minutes
    .venv/bin/python benchmarks/discrete.py --quick     # smaller shapes, a few seconds
    .venv/bin/python benchmarks/discrete.py --repeat 5  # best of 5 instead of 3
    .venv/bin/python benchmarks/discrete.py --long 10000000  # the long vector at 10^7 only

Quote the ratios (peer time / our time, near time / independent time), not the absolute
times: the machines these run on are shared and noisy, and the ratios, measured back to back
on the same data, are what carries over from one machine to another.
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
from divergences import _kernels, _numpy_engine
from divergences._array_api import NUMPY

try:
    import torch
except ImportError:  # the torch column is skipped
    torch = None

SEED = 20_240_601
FULL_SHAPES = [(10_000, 1_000), (1_000, 100_000), (1_000_000, 10)]
QUICK_SHAPES = [(100, 1_000), (10, 100_000), (10_000, 10)]
KINDS = {"indep": None, "near 1e-2": 1e-2, "near 1e-6": 1e-6}
LONG_EVENTS = [10_000_000, 100_000_000]
QUICK_LONG_EVENTS = [1_000_000]
LONG_REFERENCE_EVENTS = 10_000_000  # the accurate kernels' temporaries fit in memory up to here
MISMATCH_RTOL = 1e-9  # a larger relative error of ours is flagged as a mismatch
REFERENCE_ROWS = 32  # rows on which the exact value is computed
SLOW_S = 1.0  # a call whose warm-up takes longer is timed by the best of two runs

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
    exact: Fn  # the accurate array-API kernel, in the units of ours
    peers: list[Peer]
    pair: bool = True  # reads q (entropy does not: it runs on the independent data only)


def torch_kl(p: np.ndarray, q: np.ndarray) -> Any:
    p_t, q_t = torch.from_numpy(p), torch.from_numpy(q)  # zero-copy views
    return torch.nn.functional.kl_div(torch.log(q_t), p_t, reduction="none").sum(-1)


def numpy_hellinger(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1) / 2.0)


def cases() -> list[Case]:
    kl_peers = [Peer("scipy rel_entr(p, q).sum(-1)", lambda p, q: rel_entr(p, q).sum(-1))]
    if torch is not None:
        kl_peers.append(Peer("torch kl_div(log q, p).sum(-1)", torch_kl, traced=False))
    return [
        Case("kl", lambda p, q: dv.kl(p, q), lambda p, q: _kernels.kl(p, q, xp=NUMPY), kl_peers),
        Case("js", lambda p, q: dv.js(p, q), lambda p, q: _kernels.js(p, q, xp=NUMPY), [
            Peer("scipy jensenshannon(p, q)**2", lambda p, q: jensenshannon(p, q, axis=-1) ** 2, slow=True),
        ]),
        Case("hellinger", lambda p, q: dv.hellinger(p, q),
             lambda p, q: np.sqrt(_kernels.hellinger_squared(p, q, xp=NUMPY)), [
            Peer("numpy sqrt(sum((sqrt p - sqrt q)^2)/2)", numpy_hellinger),
        ]),
        Case("psi", lambda p, q: dv.psi(p, q), lambda p, q: _kernels.psi(p, q, xp=NUMPY), [
            Peer("scipy (rel_entr(p,q)+rel_entr(q,p)).sum", lambda p, q: (rel_entr(p, q) + rel_entr(q, p)).sum(-1)),
        ]),
        Case("entropy", lambda p, q: dv.entropy(p), lambda p, q: _kernels.entropy(p, xp=NUMPY), [
            Peer("scipy.stats.entropy(p, axis=-1)", lambda p, q: scipy_entropy(p, axis=-1)),
        ], pair=False),
    ]


def near(p: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """``p`` with each entry perturbed by ``scale`` relative (standard normal), renormalised."""
    q = p * (1.0 + scale * rng.standard_normal(p.shape))
    q /= q.sum(axis=-1, keepdims=True)
    return q


def make_data(shape: tuple[int, int], kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    n_rows, n_events = shape
    alpha = np.ones(n_events)
    p = rng.dirichlet(alpha, size=n_rows)
    scale = KINDS[kind]
    return p, (rng.dirichlet(alpha, size=n_rows) if scale is None else near(p, scale, rng))


def race(ours: Fn, peer: Fn, p: np.ndarray, q: np.ndarray, repeat: int, peer_once: bool) -> tuple[float, float, Any, Any]:
    """Best wall-clock seconds of ours and of the peer, the calls taking turns after a warm-up
    run of each (a single run where ``peer_once``; the best of two for a slow call), and the
    values."""
    times: list[list[float]] = [[], []]
    results: list[Any] = [None, None]
    for i, fn in enumerate((ours, peer)):
        start = time.perf_counter()
        results[i] = fn(p, q)
        times[i].append(time.perf_counter() - start)
    runs = [0 if peer_once and i == 1 else (1 if times[i][0] > SLOW_S else repeat) for i in range(2)]
    for r in range(max(runs)):
        for i, fn in enumerate((ours, peer)):
            if r < runs[i]:
                start = time.perf_counter()
                fn(p, q)
                times[i].append(time.perf_counter() - start)
    best = [min(t[1:]) if len(t) > 1 else t[0] for t in times]
    return best[0], best[1], np.asarray(results[0]), np.asarray(results[1])


def rel_err(values: np.ndarray, exact: np.ndarray) -> float:
    return max_rel_diff(np.asarray(values, dtype=np.float64)[: exact.shape[0]], exact)


TIME_ROW = "{:<9}  {:<9}  {:<15}  {:>8}  {:<40}  {:>9}  {:>8}  {:>8}  {:>8}  {}"
TIME_COLUMNS = ["case", "data", "shape", "dv ms", "peer", "peer ms", "peer/dv", "dv err", "peer err", "note"]
SUMMARY_ROW = "{:<9}  {:<15}  {:>9}  {:>14}  {:>14}"
SUMMARY_COLUMNS = ["case", "shape", "indep ms", "near 1e-2 /ind", "near 1e-6 /ind"]
MEMORY_ROW = "{:<9}  {:<9}  {:<15}  {:>9}  {:>10}  {:>8}  {:<40}  {:>9}"
MEMORY_COLUMNS = ["case", "data", "shape", "input MiB", "result MiB", "dv MiB", "peer", "peer MiB"]
LONG_ROW = "{:<9}  {:>13}  {:>8}  {:>8}  {:<40}  {:>9}  {:>8}  {:>9}  {:>8}"
LONG_COLUMNS = ["case", "events", "dv ms", "dv MiB", "peer", "peer ms", "peer/dv", "peer MiB", "dv err"]


def time_shape(shape: tuple[int, int], kind: str, p: np.ndarray, q: np.ndarray, repeat: int,
               ours_ms: dict[tuple[str, tuple[int, int], str], float]) -> None:
    rows = slice(0, REFERENCE_ROWS)
    for case in cases():
        if kind != "indep" and not case.pair:
            continue
        with np.errstate(all="ignore"):
            exact = np.asarray(case.exact(p[rows], q[rows]), dtype=np.float64)
        first = True
        for peer in case.peers:
            ours_s, peer_s, ours, theirs = race(case.ours, peer.fn, p, q, repeat, peer.slow)
            if first:
                ours_ms[case.name, shape, kind] = ours_s * 1e3
            ours_err, peer_err = rel_err(ours, exact), rel_err(theirs, exact)
            notes = [n for n, bad in (("dv slower", peer_s < ours_s), ("MISMATCH", not ours_err <= MISMATCH_RTOL),
                                      ("peer inexact", not peer_err <= MISMATCH_RTOL)) if bad]
            print_row(TIME_ROW, [case.name, kind, shape_str(shape), f"{ours_s * 1e3:.1f}", peer.name,
                                 f"{peer_s * 1e3:.1f}", f"{peer_s / ours_s:.1f}x", f"{ours_err:.0e}",
                                 f"{peer_err:.0e}", ", ".join(notes)])
            first = False


def cold_peak_mib(fn: Fn, p: np.ndarray, q: np.ndarray) -> float:
    """``peak_mib`` of our call with the engine's reusable per-thread scratch memory dropped
    first, so that the memory it takes (and keeps for the next call) is counted."""
    _numpy_engine._ARENA = _numpy_engine._Arena()
    return peak_mib(fn, p, q)


def memory_rows(shape: tuple[int, int], kind: str, p: np.ndarray, q: np.ndarray) -> list[list[str]]:
    rows = []
    for case in cases():
        if kind != "indep" and not case.pair:
            continue
        ours = cold_peak_mib(case.ours, p, q)
        for peer in (peer for peer in case.peers if peer.traced and not peer.slow):
            rows.append([case.name, kind, shape_str(shape), f"{p.nbytes / MIB:.1f}", f"{p.shape[0] * 8 / MIB:.1f}",
                         f"{ours:.1f}", peer.name, f"{peak_mib(peer.fn, p, q):.1f}"])
    return rows


def long_vector(n_events: int) -> None:
    """One near-identical vector of ``n_events``: time, extra memory and error of each case."""
    rng = np.random.default_rng(SEED)
    p = rng.random(n_events) + 0.01
    p /= p.sum()
    q = near(p, 1e-2, rng)
    for case in cases():
        peer = next(pe for pe in case.peers if pe.traced and not pe.slow) if case.name != "js" else case.peers[0]
        ours_mib = cold_peak_mib(case.ours, p, q)
        peer_mib = peak_mib(peer.fn, p, q) if peer.traced else float("nan")
        ours_s, peer_s, ours, _ = race(case.ours, peer.fn, p, q, 1, peer_once=True)
        err = "-"
        if n_events <= LONG_REFERENCE_EVENTS:
            with np.errstate(all="ignore"):
                err = f"{rel_err(np.atleast_1d(ours), np.atleast_1d(case.exact(p, q))):.0e}"
        print_row(LONG_ROW, [case.name, f"{n_events:_}", f"{ours_s * 1e3:.0f}", f"{ours_mib:.1f}", peer.name,
                             f"{peer_s * 1e3:.0f}", f"{peer_s / ours_s:.1f}x", f"{peer_mib:.0f}", err])


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
    parser.add_argument("--long", type=int, nargs="*", default=None, metavar="EVENTS",
                        help="lengths of the long near-identical vector (default 10^7 10^8; none to skip)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    long_events = args.long if args.long is not None else (QUICK_LONG_EVENTS if args.quick else LONG_EVENTS)

    print_header(args.repeat)
    print(f"\nTime (ratio = peer time / dv time; above 1x dv is faster; errors: largest relative error "
          f"against the exact value on the first {REFERENCE_ROWS} rows)")
    print_row(TIME_ROW, TIME_COLUMNS)
    memory = []
    ours_ms: dict[tuple[str, tuple[int, int], str], float] = {}
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    for shape in shapes:
        for kind in KINDS:
            p, q = make_data(shape, kind)
            time_shape(shape, kind, p, q, args.repeat, ours_ms)
            if kind != "near 1e-6":
                memory += memory_rows(shape, kind, p, q)
            del p, q

    print("\nNear-identical over independent: our time on near data / our time on independent data (target <= 1.5x)")
    print_row(SUMMARY_ROW, SUMMARY_COLUMNS)
    for case in cases():
        for shape in shapes if case.pair else []:
            base = ours_ms[case.name, shape, "indep"]
            print_row(SUMMARY_ROW, [case.name, shape_str(shape), f"{base:.1f}",
                                    *(f"{ours_ms[case.name, shape, k] / base:.2f}x" for k in ("near 1e-2", "near 1e-6"))])

    print("\nPeak extra memory traced by tracemalloc during one call (result included; torch untraced)")
    print_row(MEMORY_ROW, MEMORY_COLUMNS)
    for row in memory:
        print_row(MEMORY_ROW, row)

    if long_events:
        print("\nOne long near-identical vector (near 1e-2): time (one run), peak extra memory (tracemalloc)")
        print_row(LONG_ROW, LONG_COLUMNS)
        for n_events in long_events:
            long_vector(n_events)


if __name__ == "__main__":
    main()
