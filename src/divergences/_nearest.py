"""The search of ``nearest``: each row's k best kept block by block, JS pruned by Hellinger bounds.

Each strip of rows of P runs against every block of Q (``_blocks.block``), never holding
the N x M matrix, and keeps each row's k best; once it has them, ``_merge`` sorts only the
entries of a block that beat the k-th. For JS it first bounds every pair by one matrix
product, ``ln 2 h^2 <= JS <= h^2`` (Hellinger), and computes JS only for the pairs that may
beat a row's k-th best (1e6 rows of 64 events: about 5x faster).
"""

from __future__ import annotations

import math
from typing import Any

import array_api_extra as xpx
import numpy as np

from . import _numpy_engine
from ._array_api import device as device_of
from ._array_api import is_numpy
from ._blocks import (
    Job,
    Progress,
    block,
    block_rows,
    exact_pairs,
    fits_whole,
    numpy_target,
    self_pair_mask,
    slice_rows,
    spans,
)
from ._numpy_engine import scratch, scratch_array
from ._product_forms import Rows, cancellation_bound, js_of_mixture, numpy_log, row_products, square_roots
from ._validation import check_k

__all__ = ["search"]

Array = Any


def search(job: Job, k: int, block_size: int | None, progress: Progress | None) -> tuple[Array, Array]:
    """The indices and values of the ``k`` rows of Q closest to each row of P (two (N, k)
    arrays, closest first, ties to the lower row), block by block; ``k`` is checked here."""
    xp = job.xp
    m = job.Q.shape[0]
    check_k(k, m - 1 if job.same else m)
    step = block_rows(job, block_size)
    device = device_of(job.P)
    index_dtype = xp.int64
    bounded = job.form is not None and job.info.name in _HELLINGER_BOUNDED  # (log inputs: no form)
    if bounded:  # the square roots of Q serve every strip: made once where they fit
        roots_q = square_roots(job.Q, xp, -1.0) if fits_whole(job.Q) else None
    all_idx, all_val = [], []
    for i0, i1 in spans(job.P.shape[0], step):
        best_v = xp.full((i1 - i0, 0), math.inf, dtype=job.P.dtype, device=device)
        best_i = xp.zeros((i1 - i0, 0), dtype=index_dtype, device=device)
        with scratch():  # the strip's row terms
            left = job.left(i0, i1)
            if bounded:
                left = {**left, **square_roots(job.P[i0:i1, :], xp, 1.0)}
            # Bounds that prune little are not worth their product (and the BLAS threads it
            # leaves spinning slow the blocks after it): after a block where they did not,
            # the next 1, then 4, 16, ... blocks go without, while the k-th best tightens.
            skip, backoff = 0, 1
            for j0, j1 in spans(m, step):
                with scratch():  # the block's values, of which _merge copies what it keeps
                    target = numpy_target(job, i1 - i0, j1 - j0)
                    values = None
                    if bounded and skip == 0:
                        roots = slice_rows(roots_q, j0, j1) if roots_q is not None else square_roots(job.Q[j0:j1, :], xp, -1.0)
                        values = _bounded_block(job, left, roots, i0, i1, j0, j1, best_v, k, target)
                        if values is None:
                            skip, backoff = backoff, 4 * backoff
                    elif skip:
                        skip -= 1
                    if values is None:
                        # A row is not its own neighbour: NaN ranks after every value, +inf included.
                        values = block(job, left, i0, i1, j0, j1, math.nan, target)
                    best_v, best_i = _merge(best_v, best_i, values, j0, k, xp)
                if progress is not None:
                    progress(i0 * m + (i1 - i0) * j1, job.P.shape[0] * m)
        all_idx.append(best_i)
        all_val.append(job.finish(best_v))
    return xp.concat(all_idx, axis=0), xp.concat(all_val, axis=0)


# Per event, ln 2 (sqrt p - sqrt q)^2 / 2 <= p/2 log(2p / (p + q)) + q/2 log(2q / (p + q))
# <= (sqrt p - sqrt q)^2 / 2 (the ratio runs from ln 2 at q = 0 to 1 at q = p), so summed
# ln 2 h^2 <= JS <= h^2, with h^2 = 1 - sqrt(p) . sqrt(q) one matrix product. nearest then
# computes JS only for the pairs whose lower bound beats each row's k-th best so far:
# for 64-event Dirichlet rows about 2% of them, for sparse or clustered rows far fewer.
_HELLINGER_BOUNDED = ("js", "js_distance")
_LN2_BELOW = 0.6931  # ln 2, rounded down with room for the rounding of the bound itself
_DENSE_FRACTION = 0.25


def _bounded_block(
    job: Job, left: Rows, roots: Rows, i0: int, i1: int, j0: int, j1: int, best_v: Array, k: int,
    out: Array | None,
) -> Array | None:
    """JS (kernel values) of rows i0:i1 of P (whose mixture-form terms and square roots are
    ``left``) against j0:j1 of Q (whose roots are ``roots``) where it may enter a row's k
    best, +inf elsewhere (NaN for a row's pair with itself). None where more than
    ``_DENSE_FRACTION`` of the pairs may: the whole block is then cheaper (gathering a
    pair's rows costs about 2.5x its share of a block)."""
    xp = job.xp
    h2 = row_products(left["a"], roots["a"], out)  # [sqrt p, 1] . [-sqrt q, 1]
    slack = 4.0 * (left["a"].shape[1] + 1) * float(xp.finfo(h2.dtype).eps)  # |h2's rounding| (terms sum <= 2)
    own = self_pair_mask(xp, h2, i1 - i0, j1 - j0) if job.same and i0 == j0 else None
    if own is not None:  # a row is not its own neighbour: NaN is never a candidate, and ranks last
        h2 = xp.where(own, xp.asarray(math.nan, dtype=h2.dtype), h2)
    low = _LN2_BELOW * (h2 - slack)
    # A pair whose lower bound exceeds a row's k-th best so far (until there are k, the k-th
    # upper bound of this block) has k better pairs (the margin covers the rounding of JS).
    if best_v.shape[1] == k:
        bar = best_v[:, k - 1]
    elif h2.shape[1] >= k:
        high = h2 + slack
        bar = np.partition(high, k - 1, axis=1)[:, k - 1] if is_numpy(xp) else xp.sort(high, axis=1)[:, k - 1]
    else:
        bar = xp.full((i1 - i0,), math.inf, dtype=h2.dtype, device=device_of(h2))
    bar = xp.where(xp.isnan(bar), xp.asarray(math.inf, dtype=bar.dtype), bar)  # (a row's pair with itself)
    candidate = low <= bar[:, None] * (1.0 + 1e-9)
    i, j = xp.nonzero(candidate)
    if i.shape[0] > _DENSE_FRACTION * (i1 - i0) * (j1 - j0):
        return None
    Pb, Qb = job.P[i0:i1, :], job.Q[j0:j1, :]
    if is_numpy(xp):
        exact = _numpy_mixture_pairs(job, Pb, Qb, left["h"], job.right(j0, j1)["h"], i, j)
        values = h2  # its memory, now that the bounds are made
        values[...] = math.inf
        values[i, j] = exact
        if own is not None:
            values[own] = math.nan
        return values
    values = xp.full(h2.shape, math.inf, dtype=h2.dtype, device=device_of(h2))
    values = xpx.at(values, candidate).set(exact_pairs(job, Pb, Qb, i, j))
    return values if own is None else xp.where(own, xp.asarray(math.nan, dtype=values.dtype), values)


def _numpy_mixture_pairs(job: Job, Pb: np.ndarray, Qb: np.ndarray, h_p: np.ndarray, h_q: np.ndarray,
                         i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """JS of the pairs ``(Pb[i], Qb[j])`` by the mixture form (one log per event, the rows
    gathered into reused memory), the untrusted ones directly."""
    k = Pb.shape[1]
    step = max(1, _numpy_engine.KERNEL_BLOCK_ELEMENTS // k)  # pairs whose rows stay in L2 (2x faster than 16x more)
    zeros = Pb.min() == 0 and Qb.min() == 0  # s = p + q can be 0
    s_log_s = np.empty(i.shape[0])

    def work(start: int, stop: int) -> None:
        with scratch(), np.errstate(all="ignore"):
            log_buf = scratch_array((min(step, stop - start), k))
            for lo in range(start, stop, step):
                hi = min(lo + step, stop)
                s = Qb[j[lo:hi]]  # gathered by indexing: twice as fast as take(out=)
                s += Pb[i[lo:hi]]
                s_log_s[lo:hi] = np.einsum("ij,ij->i", s, numpy_log(s, log_buf[: hi - lo], zeros))

    _numpy_engine.parallel(work, i.shape[0], i.shape[0] * k, grain=step)
    js, threshold = js_of_mixture(s_log_s, h_p[i], h_q[j], cancellation_bound(Pb, np), np)
    untrusted = np.flatnonzero(js <= threshold)
    if untrusted.size:
        js[untrusted] = exact_pairs(job, Pb, Qb, i[untrusted], j[untrusted])
    return js


def _merge(best_v: Array, best_i: Array, values: Array, j0: int, k: int, xp: Any) -> tuple[Array, Array]:
    """The k smallest of each row's best so far and of a block's ``values`` (whose columns are
    the rows of Q from ``j0``), closest first; ties go to the lower row of Q."""
    if is_numpy(xp) and best_v.shape[1] == k and not np.isnan(best_v[:, -1]).any():  # (NaN: the pair with itself)
        # Only entries below their row's k-th best can enter: once a search has seen a few
        # blocks, a handful. They are gathered (row-major, so in order of Q's rows within a
        # row) into a narrow array padded with inf, which the stable sort ranks last.
        rows = np.flatnonzero(np.fmin.reduce(values, axis=1) < best_v[:, -1])  # (a reduction: cheaper than a mask; skips NaN)
        if rows.size == 0:
            return best_v, best_i
        r, c = np.divmod(np.flatnonzero(values[rows] < best_v[rows, -1:]), values.shape[1])
        r = rows[r]
        counts = np.bincount(r, minlength=values.shape[0])
        slot = np.arange(r.size) - np.repeat(np.cumsum(counts) - counts, counts)
        new_v = np.full((values.shape[0], int(counts.max())), np.inf, dtype=values.dtype)
        new_i = np.zeros(new_v.shape, dtype=best_i.dtype)
        new_v[r, slot], new_i[r, slot] = values[r, c], c + j0
        cand_v, cand_i = np.concatenate([best_v, new_v], axis=1), np.concatenate([best_i, new_i], axis=1)
        order = np.argsort(cand_v, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(cand_v, order, axis=1), np.take_along_axis(cand_i, order, axis=1)
    device = device_of(values)
    cols = xp.broadcast_to(xp.arange(j0, j0 + values.shape[1], dtype=best_i.dtype, device=device)[None, :], values.shape)
    cand_v = xp.concat([best_v, values], axis=1)
    cand_i = xp.concat([best_i, cols], axis=1)
    order = _smallest(cand_v, k, xp)
    return xp.take_along_axis(cand_v, order, axis=1), xp.take_along_axis(cand_i, order, axis=1)


def _smallest(values: Array, k: int, xp: Any) -> Array:
    """Column positions of the k smallest entries of each row, in order (stable on ties)."""
    if is_numpy(xp) and values.shape[1] > 4 * k:
        part = np.argpartition(values, k - 1, axis=1)[:, :k]
        # argpartition is not stable: keep every entry tied with the k-th, then sort stably.
        kth = np.take_along_axis(values, part, axis=1).max(axis=1, keepdims=True)
        if np.count_nonzero(values <= kth) == values.shape[0] * k:
            sub = np.take_along_axis(values, np.sort(part, axis=1), axis=1)
            return np.take_along_axis(np.sort(part, axis=1), np.argsort(sub, axis=1, kind="stable"), axis=1)
    return xp.argsort(values, axis=1, stable=True)[:, :k]
