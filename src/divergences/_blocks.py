"""The block machinery ``pairwise`` and ``nearest`` share: the job, block sizes, one block's guarded values.

A ``Job`` holds the checked, normalised inputs in the working dtype and says how a block is
computed: by a matrix-product form of ``_product_forms`` (whose untrusted entries ``block``
recomputes with the accurate elementwise kernel, ``exact_pairs``: on NumPy the fast engine,
a chunk of pairs per thread on all cores), or, for the other measures, through the
elementwise kernel itself (``direct``): on NumPy one row of P against a block of Q per call
of the fast engine, elsewhere a block of P broadcast against a block of Q. Each row's terms
are made once, about one centre for all of Q (``Job.centre``): P's for each strip of blocks
(``Job.left``), Q's for all of Q where they fit in ``WHOLE_RIGHT_BYTES`` (else per block, so
that searching a huge Q holds no copy of it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import array_api_extra as xpx
import numpy as np

from . import _numpy_engine
from ._array_api import device as device_of
from ._array_api import is_numpy
from ._exceptions import InvalidInputError
from ._numpy_engine import scratch_array
from ._product_forms import JS_MIXTURE, Bound, Form, Rows, numpy_can_read

if TYPE_CHECKING:
    from ._metadata import Divergence

__all__ = [
    "BLOCK_ROWS", "BROADCAST_ELEMENTS", "PRODUCT_ROWS", "WHOLE_RIGHT_BYTES", "Job", "Progress", "block",
    "block_rows", "direct", "exact_pairs", "fits_whole", "numpy_target", "self_pair_mask", "slice_rows", "spans",
]

Array = Any
Progress = Callable[[int, int], object]  # progress(done, total), in pairs

BROADCAST_ELEMENTS = 1 << 20  # pairs x events of one broadcast block: 8 MiB per temporary
# Rows of P and of Q in one block: a matrix-product block is written in place (larger
# blocks, fewer and larger products: 2000 x 2000 x 256 KL 1.4x -> 1.25x a bare product);
# other NumPy blocks make several temporaries of their size.
PRODUCT_ROWS = 2048
BLOCK_ROWS = 1024
WHOLE_RIGHT_BYTES = 1 << 28  # Q's per-row terms (logs, roots) are made once up to this size


@dataclass(frozen=True)
class Job:
    """Validated, normalised inputs in the working dtype, and what to do with them."""

    info: Divergence
    xp: Any
    P: Array
    Q: Array
    same: bool
    out_dtype: Any
    log_base: float | None
    params: dict[str, Any]
    form: Form | None  # None: the measure's elementwise kernel, pair by pair
    right_whole: Rows | None  # the form's terms of every row of Q, where they fit in memory

    @property
    def symmetric_self(self) -> bool:
        return self.same and self.info.symmetric

    @cached_property
    def centre(self) -> Array | None:
        """The row a centred form expands about, one for all of Q (None: the plain form)."""
        if self.form is None or self.form.centre is None:
            return None
        return self.right_whole.get("_centre") if self.right_whole is not None else self.form.centre(self.Q, self.xp)

    def left(self, i0: int, i1: int) -> Rows:
        """The form's terms of rows i0:i1 of P (used for one strip of blocks, so made there)."""
        return {} if self.form is None else self.form.left(self.P[i0:i1, :], self.xp, self.centre)

    def right(self, j0: int, j1: int) -> Rows:
        """The form's terms of rows j0:j1 of Q: a slice of them all, or made for the block."""
        if self.form is None:
            return {}
        if self.right_whole is not None:
            return slice_rows(self.right_whole, j0, j1)
        return self.form.right(self.Q[j0:j1, :], self.xp, self.centre)

    def finish(self, values: Array) -> Array:
        """Kernel values (nats) to reported values: base, transform, output dtype."""
        if is_numpy(self.xp):  # values is a block of our own: in place, no block-sized temporaries
            _numpy_engine.finish_in_place(values, self.log_base, self.info.transform)
            return values.astype(self.out_dtype, copy=False)
        if self.log_base is not None:
            values = values / self.log_base
        if self.info.transform is not None:
            values = self.info.transform(values, self.xp)
        return self.xp.astype(values, self.out_dtype, copy=False)


def slice_rows(side: Rows, lo: int, hi: int) -> Rows:
    """Rows lo:hi of every entry of one side's terms (those named ``_...`` are not per row)."""
    return {name: x if name.startswith("_") else x[lo:hi, ...] for name, x in side.items()}


def spans(n: int, step: int) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` of consecutive runs of ``step`` of ``n`` (the last may be shorter)."""
    for lo in range(0, n, step):
        yield lo, min(lo + step, n)


def fits_whole(Q: Array) -> bool:
    """Whether terms of every row of Q (one float64 per event, and one more) are made once,
    for all strips of P, rather than for each block."""
    return Q.shape[0] * (Q.shape[1] + 1) * 8 <= WHOLE_RIGHT_BYTES


def block_rows(job: Job, block_size: int | None) -> int:
    """Rows of P and of Q per block: ``block_size`` checked, or chosen from a memory budget."""
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise InvalidInputError(f"block_size must be a positive integer (rows per block), got {block_size!r}")
        return block_size
    if job.form is not None and job.form is not JS_MIXTURE:
        return PRODUCT_ROWS
    # Off NumPy (and torch CPU tensors without gradients) the JS mixture form and the
    # elementwise measures broadcast their block, so they take the broadcast budget.
    if is_numpy(job.xp) or (numpy_can_read(job.P) and numpy_can_read(job.Q)):
        return BLOCK_ROWS
    return max(1, math.isqrt(BROADCAST_ELEMENTS // job.P.shape[1]))


def numpy_target(job: Job, rows: int, cols: int) -> Array | None:
    """Reused float64 memory for a block's values on NumPy (None elsewhere)."""
    return scratch_array((rows, cols)) if is_numpy(job.xp) and job.form is not None else None


def block(
    job: Job, left: Rows, i0: int, i1: int, j0: int, j1: int, own: float | None, out: Array | None = None
) -> Array:
    """Kernel values (nats, before base and transform) of rows i0:i1 of P (whose terms are
    ``left``) against j0:j1 of Q, with a row's pair with itself (P against P) set to ``own``
    unless that is None; ``out``, a NumPy float64 view, may receive them."""
    xp = job.xp
    Pb, Qb = job.P[i0:i1, :], job.Q[j0:j1, :]
    # Rows and columns are cut alike, so the pairs of a row with itself lie in the blocks
    # on the diagonal, on their diagonal.
    diagonal = job.same and i0 == j0
    self_pairs, fill = None, 0.0
    if own is not None and diagonal:
        self_pairs, fill = self_pair_mask(xp, Pb, i1 - i0, j1 - j0), own
    if job.form is None:
        values = direct(job, Pb, Qb)
        return values if self_pairs is None else xp.where(self_pairs, xp.asarray(fill, dtype=values.dtype), values)
    values, threshold = job.form.block(left, job.right(j0, j1), xp, out, diagonal)
    if self_pairs is not None:  # set, and never recomputed: they always cancel
        values = xpx.at(values, self_pairs).set(fill)
    if threshold is not None:
        values = _recompute_untrusted(job, values, threshold, self_pairs, Pb, Qb)
    if diagonal and job.symmetric_self:  # a product's two triangles may differ in the last bit
        if is_numpy(xp):
            lower = np.tril_indices(values.shape[0], -1)
            values[lower] = values.T[lower]
        else:
            index = xp.arange(values.shape[0], device=device_of(values))
            values = xp.where(index[:, None] > index[None, :], values.T, values)
    return values


def _recompute_untrusted(job: Job, values: Array, threshold: Bound | Array | float, self_pairs: Array | None, Pb: Array,
                         Qb: Array) -> Array:  # fmt: skip
    """``values`` with the entries within their threshold of 0 recomputed directly (those
    below minus it, below 0 beyond doubt, set to the kernels' 0), a row's pair with itself
    left as it is."""
    xp = job.xp
    if is_numpy(xp):
        i, j = _numpy_untrusted(values, threshold, self_pairs)
        if i.size:
            values[i, j] = exact_pairs(job, Pb, Qb, i, j)
        return values
    limit = _full(threshold)
    untrusted = xp.abs(values) <= limit
    values = xp.where(values < -limit, xp.zeros_like(values), values)
    if self_pairs is not None:
        untrusted = untrusted & ~self_pairs
    if not bool(xp.any(untrusted)):
        return values
    i, j = xp.nonzero(untrusted)
    return xpx.at(values, untrusted).set(exact_pairs(job, Pb, Qb, i, j))


def _full(threshold: Bound | Array | float) -> Array | float:
    """The threshold of every entry (broadcast against the block)."""
    if isinstance(threshold, Bound):
        return threshold.row + threshold.col + threshold.row_scale * threshold.col_scale
    return threshold


def _numpy_untrusted(values: np.ndarray, threshold: Bound | np.ndarray | float, self_pairs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The entries of a block within their threshold of 0 (but a row's pair with itself),
    those below minus it set to 0: a reduction finds the rows whose smallest entry is within
    their largest threshold, and only those rows are compared entry by entry (no pass that
    makes a mask of the block)."""
    if isinstance(threshold, Bound):
        row_max = threshold.row[:, 0] + threshold.col.max() + threshold.row_scale[:, 0] * threshold.col_scale.max()
    elif isinstance(threshold, float):
        row_max = threshold
    else:
        row_max = threshold.max(axis=1) if threshold.shape[1] > 1 else threshold[:, 0]
    rows = np.flatnonzero(np.fmin.reduce(values, axis=1) <= row_max)  # (skips a NaN self pair of nearest)
    if rows.size == 0:
        return rows, rows
    if isinstance(threshold, Bound):
        limit = threshold.row[rows] + threshold.col + threshold.row_scale[rows] * threshold.col_scale
    else:
        limit = threshold if isinstance(threshold, float) else threshold[rows]
    sub = values[rows]
    untrusted = np.abs(sub) <= limit
    negative = sub < -limit  # below 0 beyond doubt: the kernels (all clip at 0) give 0
    if negative.any():
        sub[negative] = 0.0
        values[rows] = sub
    if self_pairs is not None:
        untrusted &= ~self_pairs[rows]
    r, c = np.nonzero(untrusted)
    return rows[r], c


def self_pair_mask(xp: Any, like: Array, rows: int, cols: int) -> Array:
    """The mask of a diagonal block's pairs of a row with itself: its diagonal."""
    device = device_of(like)
    return xp.arange(rows, device=device)[:, None] == xp.arange(cols, device=device)[None, :]


def direct(job: Job, Pb: Array, Qb: Array) -> Array:
    """Every pair of a block through the elementwise kernel (NumPy: the fast engine)."""
    xp, info = job.xp, job.info
    nb, mb = Pb.shape[0], Qb.shape[0]
    numpy = is_numpy(xp)
    if numpy or (numpy_can_read(Pb) and numpy_can_read(Qb)):
        # One row of P against the block of Q per engine call: the engine broadcasts a
        # (1, K) operand, so nothing of size nb x mb x K is made.
        p_rows, q_rows = (Pb, Qb) if numpy else (Pb.numpy(), Qb.numpy())
        values = np.empty((nb, mb))
        for i in range(nb):
            values[i] = _engine(info, [p_rows[i : i + 1], q_rows], job.params)
        return values if numpy else xp.asarray(values)
    return info.kernel(Pb[:, None, :], Qb[None, :, :], xp=xp, **job.params)


def exact_pairs(job: Job, Pb: Array, Qb: Array, i: Array, j: Array) -> Array:
    """Kernel values of the pairs ``(Pb[i], Qb[j])``, directly: on NumPy through the fast
    engine (which vouches for its results), the pairs gathered a chunk at a time in each
    thread, on all cores; elsewhere a bounded number of pairs at a time."""
    xp = job.xp
    if is_numpy(xp):
        return _engine_pairs(job, Pb, Qb, i, j)
    step = max(1, BROADCAST_ELEMENTS // Pb.shape[1])  # pairs at a time
    parts = [job.info.kernel(xp.take(Pb, i[s:t], axis=0), xp.take(Qb, j[s:t], axis=0), xp=xp, **job.params)
             for s, t in spans(i.shape[0], step)]
    return xp.concat(parts) if parts else xp.zeros((0,), dtype=Pb.dtype, device=device_of(Pb))


# Events per row above which the engine cuts a row into tasks of its pool itself: such rows
# are sent from this thread (a task that waits for tasks of the same pool could wait forever).
_ENGINE_SPLITS_ABOVE = 1 << 15


def _engine_pairs(job: Job, Pb: np.ndarray, Qb: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The measure of the pairs ``(Pb[i], Qb[j])`` through the fast engine, a chunk of pairs
    (``KERNEL_BLOCK_ELEMENTS``, which the engine keeps in the calling task) gathered in each
    thread: no copy of all the pairs' rows is made."""
    n, k = i.shape[0], Pb.shape[1]
    out = np.empty(n)
    step = max(1, _numpy_engine.KERNEL_BLOCK_ELEMENTS // k)

    def work(lo: int, hi: int) -> None:
        for s in range(lo, hi, step):
            t = min(s + step, hi)
            out[s:t] = _engine(job.info, [Pb[i[s:t]], Qb[j[s:t]]], job.params)

    if k > _ENGINE_SPLITS_ABOVE:
        work(0, n)
    else:
        _numpy_engine.parallel(work, n, n * k, grain=step)
    return out


def _engine(info: Divergence, arrays: list[np.ndarray], params: dict[str, Any]) -> np.ndarray:
    """A measure of each row of valid, normalised NumPy arrays, through the fast engine
    (blocks that stay in cache, buffers reused, on all cores)."""
    values = _numpy_engine.evaluate(
        info.kernel, info.fast, info.trusted_above, arrays, params=params, shift=0.0, normalize=False, tolerance=None,
    )
    assert values is not None  # no tolerance, no validation
    return values
