"""Closed forms between Categorical laws: the probability vectors themselves, through each
measure's array kernel (an exact finite sum), and for KL on the eager libraries the plain sum
from the logarithms each object keeps, recomputed exactly on the rows that need it."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from .. import _kernels
from .._array_api import NUMPY, is_eager
from .._special import sum_compensated
from ._families import Categorical
from ._host import host, last_axis_sum
from ._registry import register, register_kl
from ._rel_entr import rel_entr_host

Array = Any


def _categorical(name: str) -> Any:
    kernel = getattr(_kernels, name)  # none of these has a transform: the kernel's value is the measure

    def closed_form(p: Categorical, q: Categorical, *, xp: Any, **params: Any) -> Array:
        return kernel(p.probs, q.probs, xp=xp, **params)

    closed_form.__name__ = closed_form.__qualname__ = f"_{name}_categorical_categorical"
    closed_form.__doc__ = f"The array kernel of ``{name}`` on the probability vectors (an exact finite sum)."
    return closed_form


# The plain sum of p (log p - log q) over K events errs by at most about (2K + 5 + log K)
# eps when the probabilities sum to 1 (the logarithms' rounding, within eps/2 of |log p| and
# |log q|, whose p-weighted sums are at most H(p) <= log K and H(p) + KL + 2; the rounding of
# the differences and products; and a sum in any order of terms at least p - q, whose
# absolute values add to at most KL + 2). Rows whose plain value is below that bound times
# _CATEGORICAL_ULPS, where it could exceed _CATEGORICAL_ULPS ulps of the value (1.1e-13
# relative in float64), are recomputed by the array kernel, exact near p = q; so are those
# the plain form cannot give (a 0 in p or q, giving NaN or inf).
_CATEGORICAL_ULPS = 512.0


def _kl_categorical_eager(p: Categorical, q: Categorical, kind: str, xp: Any) -> Array:
    """KL of probability vectors on the eager libraries: the plain ``sum p (log p - log q)``
    from the logarithms each object keeps, the array kernel on the rows where that may have
    lost digits or is not finite."""
    probs, other = p.probs, q.probs
    k = max(int(probs.shape[-1]), int(other.shape[-1]))
    tol = (2 * k + 5 + math.log(k)) / _CATEGORICAL_ULPS
    if kind == "numpy":
        if probs.ndim == 1 == other.ndim:
            lp, lq = p.log_probs(), q.log_probs()
            if p.__dict__["_log_probs_finite"] and q.__dict__["_log_probs_finite"]:
                # an unbatched pair without a zero: one dot product (a reduction's overhead is 4x its work)
                value = np.dot(probs, lp - lq)
                return value if tol <= value < math.inf else _kernels.kl(probs, other, xp=xp)
        shape = np.broadcast_shapes(probs.shape, other.shape)
        pb, qb = np.broadcast_to(probs, shape), np.broadcast_to(other, shape)
        if _near_rows(pb, qb, tol):  # the first rows all need the kernel: every row takes it
            if np.array_equal(pb[:_HEAD_ROWS], qb[:_HEAD_ROWS]) and np.array_equal(pb, qb):
                return np.zeros(shape[:-1], dtype=pb.dtype)  # one law twice (the series summed zeros: 2x the formula)
            return _kl_rows(pb.reshape(-1, shape[-1]), qb.reshape(-1, shape[-1]), xp).reshape(shape[:-1])
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if any(key in d.__dict__ for d in (p, q) for key in ("_log_probs", "_met")):
                # a law met before keeps its logarithms (computed now if not yet): a reference
                # compared with many laws, or the same pair again, takes no logarithm at all
                value = last_axis_sum(probs * (p.log_probs() - q.log_probs()), NUMPY)
            else:
                # Two new laws: one logarithm per event, of the ratio, whose rounding errs by
                # eps in absolute terms (the difference of two logarithms by eps |log p|):
                # within the bound above.
                for d in (p, q):
                    object.__setattr__(d, "_met", True)
                ratio = np.divide(probs, other)
                np.log(ratio, out=ratio)
                ratio *= probs
                value = last_axis_sum(ratio, NUMPY)
    else:
        value = xp.sum(probs * (p.log_probs() - q.log_probs()), axis=-1)
    # not (value >= tol) also takes NaN; inf is exact only where the kernel says so.
    redo = ~(value >= tol) | (value == math.inf)
    if kind == "numpy":
        if np.ndim(value) == 0:
            return _kernels.kl(probs, other, xp=xp) if redo else value
        if not redo.any():
            return value
        value[redo] = _kl_rows(pb[redo], qb[redo], xp)
        return value
    torch = sys.modules["torch"]
    if not bool(torch.any(redo)):
        return value
    if value.ndim == 0:
        return _kernels.kl(probs, other, xp=xp)
    index = torch.nonzero(redo, as_tuple=True)
    shape = tuple(value.shape) + (k,)
    fixed = _kernels.kl(probs.expand(shape)[index], other.expand(shape)[index], xp=xp)
    return value.index_put(index, fixed)


def _near_rows(p: np.ndarray, q: np.ndarray, tol: float) -> bool:
    """Whether the plain sum of the first rows (``_host.heads``'s number) is below ``tol``
    for every one of them: rows near each other, whose batch then goes to :func:`_kl_rows`
    at once (the plain pass would be redone on every row)."""
    if p.ndim < 2 or p.shape[0] <= _HEAD_ROWS:
        return False
    head_p, head_q = p[:_HEAD_ROWS], q[:_HEAD_ROWS]
    with np.errstate(all="ignore"):
        plain = np.sum(head_p * np.log(head_p / head_q), axis=-1)
    return bool(np.all(plain < tol))


_HEAD_ROWS = 16


def _kl_rows(p: np.ndarray, q: np.ndarray, xp: Any) -> np.ndarray:
    """``_kernels.kl`` of NumPy rows (each row's ``sum [p log(p/q) - p + q]`` plus its exact
    ``sum (p - q)``) with the terms in place (``_rel_entr.rel_entr_host``): rows near each other
    throughout, as a model's predictions against the last ones, take the series alone."""
    found = host("numpy", p, q)
    if found is None:
        return _kernels.kl(p, q, xp=xp)
    (p, q), back = found
    hi, lo = _sum_columns(p - q) if p.shape[-1] <= _COLUMNS else sum_compensated(p - q, xp)
    terms = rel_entr_host(p, q, None, back)
    return np.clip(last_axis_sum(terms, NUMPY) + hi + lo, 0.0, None)


# Up to this many events a row's compensated sum runs along the columns (TwoSum at each
# step, in place: some 6 passes of one column each), beyond by sum_compensated's cascade.
_COLUMNS = 64


def _sum_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum over the last axis as an unevaluated pair ``hi + lo``, as ``sum_compensated``:
    error-free TwoSum steps along the columns, the rounding errors collected in ``lo``; on
    blocks of ``_ROWS`` rows, each transposed so that its columns are contiguous and in cache
    (a strided column costs a cache line per element: 6.2 against 3.2 ms for 10^5 rows of 10)."""
    rows = x.reshape(-1, x.shape[-1])
    hi, lo = np.empty(rows.shape[0], dtype=x.dtype), np.empty(rows.shape[0], dtype=x.dtype)
    for start in range(0, rows.shape[0], _ROWS):
        _sum_block(np.ascontiguousarray(rows[start : start + _ROWS].T), hi[start : start + _ROWS],
                   lo[start : start + _ROWS])
    return hi.reshape(x.shape[:-1]), lo.reshape(x.shape[:-1])


_ROWS = 1 << 14


def _sum_block(columns: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> None:
    """:func:`_sum_columns` of one block, given as its (contiguous) columns, into ``hi`` and
    ``lo``."""
    lo[...] = 0.0
    partial, total, back, work = columns[0].copy(), np.empty_like(hi), np.empty_like(hi), np.empty_like(hi)
    for column in columns[1:]:
        np.add(partial, column, out=total)
        np.subtract(total, partial, out=back)  # the part of the column the sum took
        np.subtract(total, back, out=work)
        np.subtract(partial, work, out=work)  # the error: (partial - (total - back)) + (column - back)
        lo += work
        np.subtract(column, back, out=work)
        lo += work
        partial, total = total, partial
    hi[...] = partial


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical, *, xp: Any) -> Array:
    """The plain sum where it is accurate (eager libraries), else the array kernel (an exact
    finite sum)."""
    kind = is_eager(xp)
    if kind:
        return _kl_categorical_eager(p, q, kind, xp)
    return _kernels.kl(p.probs, q.probs, xp=xp)


for _name in ("cross_entropy", "js", "bhattacharyya", "total_variation", "renyi", "chi2"):
    register(_name, Categorical, Categorical)(_categorical(_name))
