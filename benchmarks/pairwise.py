"""Speed, agreement and memory of ``dv.pairwise`` and ``dv.nearest`` against the usual alternatives.

What is measured
----------------
Each case runs on float64 sets of probability vectors (rows drawn from Dirichlet(1) with
``numpy.random.default_rng`` and a fixed seed, so no exact zeros) of three shapes written
N x M x K (N rows of P, M rows of Q, K events): 2000 x 2000 x 256 (the headline),
500 x 500 x 256 (the two shapes the issue names) and 200 x 200 x 4096; KL and JS also run
on the same data rounded to float32 (our result is float32, computed in float64). On the
same data, in the same run, our call with its defaults (``validate=True``: every input is
checked) is timed against the peer a user would otherwise pick:

* The floor: a bare matrix product ``P @ Q.T`` of the same shapes and dtype (NumPy, on
  BLAS), no divergence at all. Pairwise KL is one such product plus the logarithms of the
  inputs, the zero test and the cancellation guard; the issue's target is within 1.5x of it.

* JS: ``scipy.spatial.distance.cdist(P, Q, metric="jensenshannon") ** 2`` (SciPy returns
  the distance; the square is the divergence); ``metric="js_distance"`` is compared with
  cdist's value directly.
* KL: the naive broadcast ``scipy.special.rel_entr(P[:, None, :], Q[None, :, :]).sum(-1)``
  and, if torch is importable, ``torch.nn.functional.kl_div`` over the same broadcast, both
  in chunks of rows whose temporary is 64 MiB (the one-shot broadcast would need N*M*K*8
  bytes: see the memory table); and, on CPU tensors made with ``torch.from_numpy``, the
  matrix product a torch user might write by hand, ``(P * log P).sum(-1)[:, None] -
  P @ log(Q).T`` (fast, but NaN wherever a row has a zero, and it cancels near p = q).
* Hellinger: ``sqrt(1 - sqrt(P) @ sqrt(Q).T)`` in NumPy (fast, but it cancels near p = q),
  ``cdist(sqrt(P), sqrt(Q)) / sqrt(2)`` (SciPy's Euclidean distance is summed directly, not
  formed from a product, so it stays accurate) and ``cdist`` with a Python callable.
* nearest: ``dv.nearest(P, Q, k=10, metric="js")`` against ``cdist`` then ``argsort``.
* self: ``dv.pairwise(P, metric="js")`` (Q None: a symmetric measure computes one triangle
  of blocks and mirrors it) against ``squareform(pdist(P, "jensenshannon")) ** 2`` and
  against our own ``dv.pairwise(P, P, metric="js")``, which computes every block.

At 500 x 500 x 256, KL and Hellinger also run on near-duplicates: Q is P with each entry
perturbed by up to one part in a million, then normalised, so the diagonal pairs are nearly
equal. There the matrix-product formulas cancel (ours detects those entries and recomputes
them directly): the note says which peer is known to be inaccurate and why, and the direct
peers (``rel_entr``, Euclidean ``cdist`` of the square roots) check our values.

At the headline shape KL, JS and Hellinger also run on rows *all* near each other: every
row of P and of Q is one Dirichlet row with each entry perturbed by up to 1% (``all 1e-2``)
or one part in a million (``all 1e-6``), then normalised. Every pair then nearly cancels in
a plain product form; ours expands about a centre row (Q's mean), so its terms are as
small as the values and only pairs as near each other as to the centre are recomputed.
The targets: KL within 3x the floor, JS at least 10x ``cdist``.

At the first two shapes KL and JS also run on sparse rows: 30% of the entries of P and of
Q set to 0, then normalised, so nearly every KL entry is +inf (a zero of q where p > 0)
and the zero handling is what is timed against the floor and ``rel_entr``.

Peers too slow to run in full are run on the first rows of P only (``cdist`` with
``"jensenshannon"`` takes about 13 ns per pair x event, some 13 s at the headline shape) and
their time is scaled linearly in rows (for ``pdist``, which compares the first rows with
each other, in pairs); the note column says so, and the values are compared on those rows.
Times are the best of ``--repeat`` wall-clock runs (``time.perf_counter``) after one warm-up
call (at least 10 runs for a call whose warm-up takes under 0.1 s: those are the noisiest);
for a call whose warm-up run takes over a second, the best of that run and one more (not on
the GPU, where first calls load kernels). Every row gives the largest relative
difference between our values and the peer's, flagged above 1e-9 (float32 results: 1e-6)
unless the peer is known to be inaccurate there (the note then says why); the floor has no
values to compare. Our functions use a thread per core, SciPy
one thread and torch its own intra-op threads: the header prints these counts.

A second table gives the peak memory one call allocates beyond its inputs, measured with
``tracemalloc`` (NumPy reports its array buffers to it; torch does not, so torch is left
out), at 2500 x 2500 x 64, next to the size of the result: ours must stay well under
512 MiB beyond the result. The peers' peaks are measured on the first 25 and on the first
50 rows and extrapolated linearly to N rows (every allocation they make grows with the
rows); the naive one-shot broadcast needs N*M*K*8 bytes.

Search at scale
---------------
A third table runs ``dv.nearest(P, Q, k=10)`` against M = 1,000,000 rows of K = 64 events
(512 MiB; ``--quick``: 50,000): 1000 queries for KL and 50 for JS, timed once, with the
peak memory ``tracemalloc`` sees beyond the inputs. Every query is one strip of blocks, so
the time scales linearly to N = M queries (printed in hours); memory does not grow with N,
nor with M once Q's per-row terms pass 256 MiB (they are then made per block). The first
query's neighbours in the first tenth of Q are checked against the elementwise function.

GPU
---
If torch sees a CUDA device, a third part times ``dv.pairwise`` on CUDA tensors
(``torch.from_numpy(...).cuda()``, synchronised before and after each timed call), float32
and float64. KL at 8192 x 8192 x 256 and 16384 x 16384 x 1024 is reported as an achieved
FLOP rate, products * 2*N*M*K / time (one product for the values, and a second for the
zero-support test, which runs only when Q has an exact zero: Dirichlet rows have none), as
a fraction of the rate of a plain ``torch.matmul`` of the same shape and dtype timed in the
same run (the device's practical peak). JS at 8192 x 8192 x 256 is a blocked
broadcast, bound by memory traffic; it is reported against a model of N*M*K*8*3 bytes (one
unfused elementwise pass over the pairs x events in the float64 working dtype: read p and q,
write one result), as a fraction of a measured device-to-device copy bandwidth (bytes read
plus written by ``Tensor.copy_`` of 1 GiB). Values on the first 64 rows are checked against
our NumPy result. Without CUDA the section prints one line and is skipped.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/pairwise.py             # full run, a minute or two
    .venv/bin/python benchmarks/pairwise.py --quick     # smaller shapes, a few seconds
    .venv/bin/python benchmarks/pairwise.py --repeat 5  # best of 5 instead of 3
    python3 benchmarks/pairwise.py --gpu-only           # the GPU section alone

Quote the ratios (peer time / our time), not the absolute times: the machines these run
on are shared and noisy, and the ratios, measured back to back on the same data, are what
carries over from one machine to another.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _common import MIB, max_rel_diff, peak_mib, print_row, shape_str, versions
from scipy.spatial.distance import cdist, pdist, squareform
from scipy.special import rel_entr

import divergences as dv

try:
    import torch
except ImportError:  # the torch peers and the GPU section are skipped
    torch = None

SEED = 20_240_601
FULL_SHAPES = [(2_000, 2_000, 256), (500, 500, 256), (200, 200, 4_096)]
QUICK_SHAPES = [(100, 100, 256), (100, 100, 64), (20, 20, 4_096)]
NEAR_DUPLICATES = 1  # index of the shape that also runs on near-duplicate rows
NEAR_EPS = 1e-6  # relative perturbation of the near-duplicates
ALL_NEAR = {"all 1e-2": 1e-2, "all 1e-6": 1e-6}  # every row within this of one row (headline shape)
SPARSE_SHAPES = 2  # the first shapes also run on sparse rows
SPARSE_ZEROS = 0.3  # the fraction of the sparse rows' entries set to 0
FULL_MEMORY_SHAPE = (2_500, 2_500, 64)
QUICK_MEMORY_SHAPE = (250, 250, 64)
MEMORY_ROWS = 25  # the peers' memory is measured on this many rows and on twice as many
MEMORY_LIMIT_MIB = 512  # the issue: well under this beyond the result
K_NEAREST = 10
CHUNK_ELEMENTS = 1 << 23  # pairs x events of one chunk of the naive broadcasts: 64 MiB
SLOW_S = 1.0  # a call whose warm-up takes longer is timed by it and one more run
FAST_S = 0.1  # a call whose warm-up takes less is timed as the best of at least FAST_REPEAT runs
FAST_REPEAT = 10
MISMATCH_RTOL = 1e-9  # a larger relative difference is flagged as a mismatch
MISMATCH_RTOL_FLOAT32 = 1e-6  # the same for float32 results (a few float32 ulps)

Fn = Callable[[np.ndarray, np.ndarray], Any]


@dataclass(frozen=True)
class Peer:
    name: str
    fn: Fn
    max_work: int | None = None  # pairs x events it may run; beyond, it runs on the first rows
    by_pairs: bool = False  # a subset is the first rows against each other (time scales in pairs)
    inaccurate: str = ""  # why a difference above MISMATCH_RTOL is expected from it
    floor: bool = False  # a bare matrix product: the speed floor, no values to compare


@dataclass(frozen=True)
class Case:
    name: str
    ours: Fn
    peers: list[Peer]
    data: str = "dense"  # runs on "dense" rows, "near" duplicates, "sparse" rows or rows all near (ALL_NEAR)
    dtype: Any = np.float64  # the data are cast to this first


# --------------------------------------------------------------------------- peers


def chunk_rows(q: np.ndarray) -> int:
    return max(1, CHUNK_ELEMENTS // q.size)


def rel_entr_chunks(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The naive broadcast a user writes, a chunk of rows of P at a time."""
    out = np.empty((p.shape[0], q.shape[0]))
    step = chunk_rows(q)
    for i in range(0, p.shape[0], step):
        out[i:i + step] = rel_entr(p[i:i + step, None, :], q[None, :, :]).sum(-1)
    return out


def dv_js_chunks(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The elementwise ``dv.js`` of every pair, a chunk of rows of P at a time: the reference."""
    out = np.empty((p.shape[0], q.shape[0]))
    step = chunk_rows(q)
    for i in range(0, p.shape[0], step):
        out[i:i + step] = dv.js(p[i:i + step, None, :], q[None, :, :])
    return out


def rel_entr_one_shot(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The naive broadcast in one go: a temporary of N*M*K*8 bytes (memory table only)."""
    return rel_entr(p[:, None, :], q[None, :, :]).sum(-1)


def torch_kl_div_chunks(p: np.ndarray, q: np.ndarray) -> Any:
    p_t, q_t = torch.from_numpy(p), torch.from_numpy(q)  # zero-copy views
    log_q = torch.log(q_t)[None, :, :]
    out = torch.empty((p.shape[0], q.shape[0]), dtype=p_t.dtype)
    step = chunk_rows(q)
    for i in range(0, p.shape[0], step):
        out[i:i + step] = torch.nn.functional.kl_div(log_q, p_t[i:i + step, None, :], reduction="none").sum(-1)
    return out


def torch_gemm_kl(p: np.ndarray, q: np.ndarray) -> Any:
    """KL as one matrix product, as a torch user might write it. Wrong at zeros: p = 0 gives
    0 * log 0 = NaN in the entropy term, and q = 0 puts log 0 = -inf into the product, where
    any p = 0 against it makes the whole entry NaN (Dirichlet(1) rows have no zeros, so this
    benchmark does not show it). It also cancels near p = q."""
    p_t, q_t = torch.from_numpy(p), torch.from_numpy(q)
    return (p_t * torch.log(p_t)).sum(-1)[:, None] - p_t @ torch.log(q_t).T


def bare_gemm(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return p @ q.T


def numpy_gemm_hellinger(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hellinger from the Bhattacharyya coefficient as one product: 1 - bc cancels near p = q
    (and is NaN where bc rounds above 1)."""
    return np.sqrt(1.0 - np.sqrt(p) @ np.sqrt(q).T)


def hellinger_callable(u: np.ndarray, v: np.ndarray) -> float:
    return math.sqrt(0.5 * float(np.sum((np.sqrt(u) - np.sqrt(v)) ** 2)))


def cdist_argsort(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The naive nearest neighbours: the whole distance matrix, then a full sort of each row."""
    d = cdist(p, q, metric="jensenshannon")
    idx = np.argsort(d, axis=1)[:, :K_NEAREST]
    return idx, np.take_along_axis(d, idx, axis=1) ** 2


def nearest_js(p: np.ndarray, q: np.ndarray) -> tuple[Any, Any]:
    found = dv.nearest(p, q, k=K_NEAREST, metric="js")
    return found.indices, found.values


def cases() -> list[Case]:
    cdist_js = 10**8  # cdist(jensenshannon) at ~13 ns per pair x event: about a second
    rel_entr_peer = Peer("scipy rel_entr broadcast, chunks", rel_entr_chunks, max_work=5 * 10**7)
    kl_peers = [rel_entr_peer]
    gemm_kl_peer = None
    if torch is not None:
        gemm_kl_peer = Peer("torch GEMM by hand", torch_gemm_kl,
                            inaccurate="sum p log p - p.log q cancels near p = q")
        kl_peers += [Peer("torch kl_div broadcast, chunks", torch_kl_div_chunks, max_work=10**8),
                     gemm_kl_peer]
    gemm_h_peer = Peer("numpy sqrt(1 - sqrt P @ sqrt Q.T)", numpy_gemm_hellinger,
                       inaccurate="1 - sqrt(p).sqrt(q) cancels near p = q")
    euclid_h_peer = Peer("cdist(sqrt P, sqrt Q) / sqrt 2",
                         lambda p, q: cdist(np.sqrt(p), np.sqrt(q)) / math.sqrt(2.0))
    floor = Peer("bare GEMM P @ Q.T (the floor)", bare_gemm, floor=True)
    cdist_js_peer = Peer("cdist jensenshannon ** 2", lambda p, q: cdist(p, q, metric="jensenshannon") ** 2,
                         max_work=cdist_js)
    near_js_peers = [
        Peer("cdist jensenshannon ** 2", cdist_js_peer.fn, max_work=cdist_js,
             inaccurate="sums p log(p/m) of both signs: it cancels near p = q"),
        Peer("dv.js elementwise, chunks", dv_js_chunks, max_work=5 * 10**7),
    ]
    return [
        Case("kl", lambda p, q: dv.pairwise(p, q, metric="kl"), [floor, *kl_peers]),
        Case("kl float32", lambda p, q: dv.pairwise(p, q, metric="kl"), [floor, rel_entr_peer], dtype=np.float32),
        Case("js", lambda p, q: dv.pairwise(p, q, metric="js"), [cdist_js_peer]),
        Case("js float32", lambda p, q: dv.pairwise(p, q, metric="js"), [cdist_js_peer], dtype=np.float32),
        Case("js_distance", lambda p, q: dv.pairwise(p, q, metric="js_distance"), [
            Peer("cdist jensenshannon", lambda p, q: cdist(p, q, metric="jensenshannon"), max_work=cdist_js),
        ]),
        Case("hellinger", lambda p, q: dv.pairwise(p, q, metric="hellinger"), [
            floor, gemm_h_peer, euclid_h_peer,
            Peer("cdist(P, Q, python callable)", lambda p, q: cdist(p, q, hellinger_callable), max_work=10**7),
        ]),
        Case(f"nearest js k={K_NEAREST}", nearest_js, [
            Peer("cdist then argsort", cdist_argsort, max_work=cdist_js),
        ]),
        Case("self js", lambda p, q: dv.pairwise(p, metric="js"), [
            Peer("squareform(pdist) ** 2", lambda p, q: squareform(pdist(p, "jensenshannon")) ** 2,
                 max_work=cdist_js, by_pairs=True),
            Peer("dv.pairwise(P, P), every block", lambda p, q: dv.pairwise(p, p, metric="js")),
        ]),
        Case("kl near-dup", lambda p, q: dv.pairwise(p, q, metric="kl"),
             [rel_entr_peer] + ([gemm_kl_peer] if gemm_kl_peer else []), data="near"),
        Case("hellinger near-dup", lambda p, q: dv.pairwise(p, q, metric="hellinger"),
             [gemm_h_peer, euclid_h_peer], data="near"),
        *(case for data in ALL_NEAR for case in [
            Case(f"kl {data}", lambda p, q: dv.pairwise(p, q, metric="kl"), [floor, rel_entr_peer], data=data),
            Case(f"js {data}", lambda p, q: dv.pairwise(p, q, metric="js"), near_js_peers, data=data),
            Case(f"hellinger {data}", lambda p, q: dv.pairwise(p, q, metric="hellinger"), [floor, euclid_h_peer],
                 data=data),
        ]),
        Case("kl sparse", lambda p, q: dv.pairwise(p, q, metric="kl"), [floor, rel_entr_peer], data="sparse"),
        Case("js sparse", lambda p, q: dv.pairwise(p, q, metric="js"), [cdist_js_peer], data="sparse"),
    ]


# --------------------------------------------------------------------------- measuring


def make_data(shape: tuple[int, int, int], data: str = "dense") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    n_rows, m_rows, n_events = shape
    alpha = np.ones(n_events)
    p = rng.dirichlet(alpha, size=n_rows)
    if data in ALL_NEAR:
        centre = rng.dirichlet(alpha)
        p, q = (centre * (1.0 + ALL_NEAR[data] * rng.uniform(-1.0, 1.0, size=(rows, n_events)))
                for rows in (n_rows, m_rows))
        return p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
    if data == "near":
        q = p[:m_rows] * (1.0 + NEAR_EPS * rng.uniform(-1.0, 1.0, size=(m_rows, n_events)))
        return p, q / q.sum(axis=1, keepdims=True)
    q = rng.dirichlet(alpha, size=m_rows)
    if data == "sparse":
        for x in (p, q):
            x[rng.random(x.shape) < SPARSE_ZEROS] = 0.0
            x /= x.sum(axis=1, keepdims=True)
    return p, q


def as_numpy(result: Any) -> Any:
    if isinstance(result, tuple):
        return tuple(np.asarray(r) for r in result)
    return np.asarray(result)


def best_of(fn: Callable[[], Any], repeat: int, sync: Callable[[], None] | None = None) -> tuple[float, Any]:
    """Best wall-clock seconds over ``repeat`` runs after a warm-up run, and the result. On
    the CPU (``sync`` None) a warm-up run over ``SLOW_S`` counts, and one more run follows it;
    on a device, whose first calls load kernels, the warm-up never counts and ``sync`` waits
    for the device."""
    on_device = sync is not None
    sync = sync or (lambda: None)
    sync()
    start = time.perf_counter()
    result = fn()
    sync()
    first = time.perf_counter() - start
    slow = first > SLOW_S and not on_device
    best = first if slow else float("inf")
    runs = 1 if slow else repeat if first > FAST_S else max(repeat, FAST_REPEAT)
    for _ in range(runs):
        sync()
        start = time.perf_counter()
        result = fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare(ours: Any, theirs: Any) -> tuple[float, list[str]]:
    """Max relative difference of the values, and notes (NaN entries, differing neighbours)."""
    notes = []
    if isinstance(ours, tuple):  # nearest: (indices, values)
        moved = int(np.count_nonzero(ours[0] != theirs[0]))
        if moved:
            notes.append(f"{moved} neighbours differ")
        ours, theirs = ours[1], theirs[1]
    nan = int(np.count_nonzero(np.isnan(theirs) & ~np.isnan(ours)))
    if nan:
        notes.append(f"{nan} NaN in peer")
    return max_rel_diff(ours, theirs), notes


def head(result: Any, rows: int, by_pairs: bool) -> Any:
    """Our result on the rows a peer ran on."""
    if isinstance(result, tuple):
        return tuple(head(r, rows, by_pairs) for r in result)
    return result[:rows, :rows] if by_pairs else result[:rows]


def subset(peer: Peer, shape: tuple[int, int, int]) -> tuple[int, float]:
    """Rows of P the peer runs on, and the factor that scales its time to the full shape."""
    n, m, k = shape
    if peer.max_work is None or n * m * k <= peer.max_work:
        return n, 1.0
    if peer.by_pairs:
        rows = min(n, max(2, math.isqrt(2 * peer.max_work // k)))
        return rows, n * (n - 1) / (rows * (rows - 1))
    rows = min(n, max(1, peer.max_work // (m * k)))
    return rows, n / rows


TIME_ROW = "{:<18}  {:<19}  {:>8}  {:<33}  {:>9}  {:>8}  {:>12}  {}"
TIME_COLUMNS = ["case", "shape", "dv ms", "peer", "peer ms", "peer/dv", "max rel diff", "note"]
MEMORY_ROW = "{:<18}  {:<19}  {:>9}  {:>10}  {:>8}  {:>14}  {:<33}  {:>9}  {}"
MEMORY_COLUMNS = ["case", "shape", "input MiB", "result MiB", "dv MiB", "dv - result MiB", "peer", "peer MiB",
                  "note"]


def time_case(case: Case, shape: tuple[int, int, int], p: np.ndarray, q: np.ndarray, repeat: int) -> None:
    ours_s, ours = best_of(lambda: case.ours(p, q), repeat)
    ours = as_numpy(ours)
    for peer in case.peers:
        rows, scale = subset(peer, shape)
        p_sub, q_sub = (p[:rows], q[:rows]) if peer.by_pairs else (p[:rows], q)
        peer_s, theirs = best_of(lambda peer=peer, p_sub=p_sub, q_sub=q_sub: peer.fn(p_sub, q_sub), repeat)
        peer_s *= scale
        if peer.floor:
            diff, notes = math.nan, [f"dv takes {ours_s / peer_s:.2f}x the floor"]
        else:
            diff, notes = compare(head(ours, rows, peer.by_pairs), as_numpy(theirs))
        if rows < shape[0]:
            notes.append(f"peer on {rows:_} of {shape[0]:_} rows, time x{scale:.4g}")
        tolerance = MISMATCH_RTOL if case.dtype == np.float64 else MISMATCH_RTOL_FLOAT32
        if not peer.floor and not diff <= tolerance:
            notes.append(f"peer inaccurate: {peer.inaccurate}" if peer.inaccurate else "MISMATCH")
        if peer_s < ours_s and not peer.floor:
            notes.append("dv slower")
        print_row(TIME_ROW, [case.name, shape_str(shape), f"{ours_s * 1e3:.1f}", peer.name, f"{peer_s * 1e3:.1f}",
                             f"{peer_s / ours_s:.2f}x", "-" if peer.floor else f"{diff:.1e}", "; ".join(notes)])


def scipy_js_rate(p: np.ndarray, q: np.ndarray) -> float:
    """Nanoseconds per pair x event of cdist(jensenshannon), from the first rows of P."""
    rows = max(1, min(p.shape[0], 10**7 // q.size))
    start = time.perf_counter()
    cdist(p[:rows], q, metric="jensenshannon")
    return (time.perf_counter() - start) / (rows * q.size) * 1e9


# --------------------------------------------------------------------------- memory


def memory_cases() -> list[tuple[str, Fn, Callable[[int, int], float], Peer | None]]:
    """(name, ours, result MiB from (N, M), peer to extrapolate or None)."""
    matrix = lambda n, m: n * m * 8 / MIB  # noqa: E731
    return [
        ("kl", lambda p, q: dv.pairwise(p, q, metric="kl"), matrix,
         Peer("naive rel_entr broadcast, one shot", rel_entr_one_shot)),
        ("js", lambda p, q: dv.pairwise(p, q, metric="js"), matrix,
         Peer("cdist jensenshannon ** 2", lambda p, q: cdist(p, q, metric="jensenshannon") ** 2)),
        ("self js", lambda p, q: dv.pairwise(p, metric="js"), matrix, None),
        (f"nearest js k={K_NEAREST}", nearest_js, lambda n, m: n * K_NEAREST * 16 / MIB,
         Peer("cdist then argsort", cdist_argsort)),
    ]


def memory_rows(shape: tuple[int, int, int], p: np.ndarray, q: np.ndarray, rows: int) -> list[list[str]]:
    n, m, k = shape
    out = []
    for name, ours, result_mib, peer in memory_cases():
        ours_mib = peak_mib(ours, p, q)
        extra = ours_mib - result_mib(n, m)
        verdict = "OVER" if extra >= MEMORY_LIMIT_MIB else "ok"
        notes = [f"dv {verdict} (limit: {MEMORY_LIMIT_MIB} MiB beyond the result)"]
        peer_name, peer_mib = "-", "-"
        if peer is not None:
            one, two = peak_mib(peer.fn, p[:rows], q), peak_mib(peer.fn, p[:2 * rows], q)
            peer_name, peer_mib = peer.name, f"{one + (two - one) * (n - rows) / rows:.0f}"
            notes.append(f"peer from {rows} and {2 * rows} rows, extrapolated")
            if peer.fn is rel_entr_one_shot:
                notes.append(f"N*M*K*8 = {n * m * k * 8 / MIB:_.0f} MiB")
        out.append([name, shape_str(shape), f"{p.nbytes / MIB:.1f}", f"{result_mib(n, m):.1f}", f"{ours_mib:.1f}",
                    f"{extra:.1f}", peer_name, peer_mib, "; ".join(notes)])
    return out


# --------------------------------------------------------------------------- search at scale


FULL_SEARCH = (1_000_000, 64)  # rows searched (M) and events (K)
QUICK_SEARCH = (50_000, 64)
SEARCH_QUERIES = {"kl": 1_000, "js": 50}  # queries timed (N); the time is scaled to N = M
SEARCH_ROW = "{:<8}  {:<24}  {:>7}  {:>9}  {:>12}  {:>14}  {:>17}  {}"


def search_section(m: int, k: int) -> None:
    """``dv.nearest`` of a few queries in M rows: time (scaled to N = M queries, linearly: every
    query is one strip of blocks) and peak memory beyond the inputs, which does not grow with
    N or M beyond Q's per-row terms (made per block once they pass 256 MiB)."""
    rng = np.random.default_rng(SEED)
    q = rng.dirichlet(np.ones(k), size=m)
    print(f"\nSearch: dv.nearest(P, Q, k={K_NEAREST}) in M = {m:_} rows of K = {k} events (Q: {q.nbytes / MIB:_.0f} MiB);"
          " time for N queries, scaled to N = M; peak traced memory beyond the inputs")
    print_row(SEARCH_ROW, ["metric", "shape", "dv s", "s/query", "N = M: hours", "peak MiB", "peak / Q's size", "note"])
    for metric, n in SEARCH_QUERIES.items():
        p = rng.dirichlet(np.ones(k), size=n)
        dv.nearest(p[:2], q, k=K_NEAREST, metric=metric)  # warm-up
        tracemalloc.start()
        try:
            start = time.perf_counter()
            found = dv.nearest(p, q, k=K_NEAREST, metric=metric)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] / MIB
        finally:
            tracemalloc.stop()
        check = dv.nearest(p[:1], q[: m // 10], k=K_NEAREST, metric=metric)  # the first tenth of Q, directly
        direct = getattr(dv, metric)(p[:1, None, :], q[None, : m // 10])
        ok = np.allclose(np.sort(direct, axis=1)[:, :K_NEAREST], check.values, rtol=1e-12, atol=0)
        assert found.indices.shape == (n, K_NEAREST)
        print_row(SEARCH_ROW, [metric, shape_str((n, m, k)), f"{seconds:.1f}", f"{seconds / n:.3g}",
                               f"{seconds / n * m / 3600:.1f}", f"{peak:.0f}", f"{peak * MIB / q.nbytes:.2f}",
                               "values agree with the elementwise function" if ok else "MISMATCH"])


# --------------------------------------------------------------------------- GPU


FULL_GPU_KL = [(8_192, 8_192, 256), (16_384, 16_384, 1_024)]
FULL_GPU_JS = [(8_192, 8_192, 256)]
QUICK_GPU_KL = [(2_048, 2_048, 256)]
QUICK_GPU_JS = [(1_024, 1_024, 256)]
GPU_CHECK_ROWS = 64  # rows checked against our NumPy result
GPU_COPY_BYTES = 1 << 30
GPU_ROW = "{:<7}  {:<8}  {:<22}  {:>9}  {:>10}  {:>10}  {:>10}  {:>9}  {:>12}  {}"


def gpu_tolerance(dtype: Any) -> float:
    # float32 results are computed in float64 and rounded once: a few float32 ulps
    return MISMATCH_RTOL if dtype == torch.float64 else 1e-6


def gpu_check(metric: str, p: np.ndarray, q: np.ndarray, result: Any) -> float:
    rows = min(GPU_CHECK_ROWS, p.shape[0])
    reference = dv.pairwise(p[:rows], q, metric=metric, validate=False)
    return max_rel_diff(result[:rows].double().cpu().numpy(), reference)


def copy_bandwidth(device: Any, n_bytes: int, repeat: int, sync: Callable[[], None]) -> float:
    """Bytes per second read plus written by a device-to-device ``Tensor.copy_``."""
    src = torch.ones(n_bytes // 8, dtype=torch.float64, device=device)
    dst = torch.empty_like(src)
    seconds, _ = best_of(lambda: dst.copy_(src), repeat, sync)
    return 2 * n_bytes / seconds


def to_device(arrays: tuple[np.ndarray, ...], device: Any, dtype: Any) -> list[Any]:
    return [torch.from_numpy(a).to(device=device, dtype=dtype) for a in arrays]


def gpu_section(device: Any, kl_shapes: list[tuple[int, int, int]], js_shapes: list[tuple[int, int, int]],
                repeat: int, copy_bytes: int = GPU_COPY_BYTES) -> None:
    """dv.pairwise on tensors of ``device``: KL against a plain matmul, JS against copy bandwidth."""
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    dtypes = (torch.float32, torch.float64)
    bandwidth = copy_bandwidth(device, copy_bytes, max(repeat, 5), sync)
    print(f"\nGPU: {name}; device-to-device copy {bandwidth / 1e9:.0f} GB/s (read + write of "
          f"{copy_bytes / MIB:.0f} MiB by Tensor.copy_, best of {max(repeat, 5)}); "
          "dv computes in float64 whatever the input dtype")

    print("\nKL as matrix products: dv TFLOP/s = products * 2*N*M*K / time (the values; the zero-support test")
    print("is a second product, run only when Q has a zero);")
    print("peak = 2*N*M*K / time of a plain torch.matmul(P, Q.T) of the same shape and dtype, in this run")
    print_row(GPU_ROW, ["metric", "dtype", "shape", "dv ms", "matmul ms", "dv TFLOP/s", "peak TF/s", "of peak",
                        "max rel diff", "note"])
    for shape in kl_shapes:
        n, m, k = shape
        data = make_data(shape)
        products = 2 if bool(np.any(data[1] == 0)) else 1
        matmul_s = {}
        for dtype in dtypes:
            p_t, q_t = to_device(data, device, dtype)
            matmul_s[dtype], _ = best_of(lambda p_t=p_t, q_t=q_t: torch.matmul(p_t, q_t.T), repeat, sync)
        for dtype in dtypes:
            p_t, q_t = to_device(data, device, dtype)
            ours_s, ours = best_of(lambda p_t=p_t, q_t=q_t: dv.pairwise(p_t, q_t, metric="kl"), repeat, sync)
            diff = gpu_check("kl", p_t.double().cpu().numpy(), q_t.double().cpu().numpy(), ours)
            del ours
            achieved, peak = products * 2 * n * m * k / ours_s, 2 * n * m * k / matmul_s[dtype]
            notes = [f"{products} product{'s' if products > 1 else ''}"]
            if not diff <= gpu_tolerance(dtype):
                notes.append("MISMATCH")
            if dtype != torch.float64:
                notes.append(f"{achieved / (2 * n * m * k / matmul_s[torch.float64]):.0%} of the float64 matmul")
            print_row(GPU_ROW, ["kl", str(dtype).removeprefix("torch."), shape_str(shape), f"{ours_s * 1e3:.1f}",
                                f"{matmul_s[dtype] * 1e3:.1f}", f"{achieved / 1e12:.2f}", f"{peak / 1e12:.2f}",
                                f"{achieved / peak:.0%}", f"{diff:.1e}", "; ".join(notes)])
            if device.type == "cuda":
                torch.cuda.empty_cache()

    print("\nJS as a blocked broadcast: model traffic = N*M*K*8*3 bytes (one unfused float64 pass: read p and q,")
    print("write one result); fraction = (model bytes / time) / copy bandwidth above")
    print_row(GPU_ROW, ["metric", "dtype", "shape", "dv ms", "model GB", "GB/s", "copy GB/s", "of copy",
                        "max rel diff", "note"])
    for shape in js_shapes:
        n, m, k = shape
        data = make_data(shape)
        model = n * m * k * 8 * 3
        for dtype in dtypes:
            p_t, q_t = to_device(data, device, dtype)
            ours_s, ours = best_of(lambda p_t=p_t, q_t=q_t: dv.pairwise(p_t, q_t, metric="js"), repeat, sync)
            diff = gpu_check("js", p_t.double().cpu().numpy(), q_t.double().cpu().numpy(), ours)
            del ours
            note = "" if diff <= gpu_tolerance(dtype) else "MISMATCH"
            print_row(GPU_ROW, ["js", str(dtype).removeprefix("torch."), shape_str(shape), f"{ours_s * 1e3:.1f}",
                                f"{model / 1e9:.1f}", f"{model / ours_s / 1e9:.0f}", f"{bandwidth / 1e9:.0f}",
                                f"{model / ours_s / bandwidth:.0%}", f"{diff:.1e}", note])
            if device.type == "cuda":
                torch.cuda.empty_cache()


# --------------------------------------------------------------------------- main


def print_header(repeat: int) -> None:
    print(versions(torch))
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
          f"(dv: {os.cpu_count()} threads, SciPy: 1); best of {repeat} (calls under {FAST_S:g} s: {max(repeat, FAST_REPEAT)}) after a warm-up "
          f"(calls over {SLOW_S:g} s: best of the warm-up and 1 run); seed {SEED}")
    if torch is None:
        print("torch is not importable: its KL columns are skipped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, for a smoke run in seconds")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="best of N runs (default 3)")
    parser.add_argument("--gpu-only", action="store_true", help="only the GPU section (on a machine lent a GPU)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    print_header(args.repeat)
    if not args.gpu_only:
        cpu_sections(args)
    if torch is None or not torch.cuda.is_available():
        print("\nno CUDA device: GPU section skipped")
    else:
        quick = args.quick
        gpu_section(torch.device("cuda"), QUICK_GPU_KL if quick else FULL_GPU_KL,
                    QUICK_GPU_JS if quick else FULL_GPU_JS, args.repeat)


def cpu_sections(args: argparse.Namespace) -> None:
    """The time, memory and search tables, on the CPU."""
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    p, q = make_data(shapes[0])
    print(f"SciPy cdist(jensenshannon) here: {scipy_js_rate(p, q):.1f} ns per pair x event "
          f"(the issue says about 13)")
    print("\nTime (ratio = peer time / dv time; above 1x dv is faster)")
    print_row(TIME_ROW, TIME_COLUMNS)
    for index, shape in enumerate(shapes):
        kinds = ["dense"] + ["near"] * (index == NEAR_DUPLICATES) + ["sparse"] * (index < SPARSE_SHAPES)
        kinds += list(ALL_NEAR) * (index == 0)
        for data in kinds:
            p, q = make_data(shape, data)
            for case in cases():
                if case.data == data:
                    time_case(case, shape, p.astype(case.dtype), q.astype(case.dtype), args.repeat)
    del p, q

    memory_shape = QUICK_MEMORY_SHAPE if args.quick else FULL_MEMORY_SHAPE
    p, q = make_data(memory_shape)
    print("\nPeak extra memory traced by tracemalloc during one call, result included (peers: extrapolated in rows)")
    print_row(MEMORY_ROW, MEMORY_COLUMNS)
    for row in memory_rows(memory_shape, p, q, MEMORY_ROWS):
        print_row(MEMORY_ROW, row)
    del p, q

    search_section(*(QUICK_SEARCH if args.quick else FULL_SEARCH))


if __name__ == "__main__":
    main()
