"""Dask arrays: every elementwise function, ``pairwise`` and ``nearest`` stay lazy.

One mechanism serves them all. The inputs are made Dask arrays (NumPy arrays, lists and
scalars mixed in are wrapped with ``da.asarray``; arrays of another library are refused as
everywhere else), the event axis is rechunked to a single chunk (batch axes keep their
chunks), and each block, or pair of row blocks, becomes one task that runs the NumPy code
path of this library on it. Nothing is computed until the user asks (``.compute()``,
``dask.compute``, ``client.compute``); the result is a Dask array of the input's floating
dtype (integers promote to float64, as with NumPy).

Checks happen in two places:

* Everything that needs no data (``base``, ``axis``, ``smoothing``, ``normalize``,
  ``metric``, ``block_size``, ``k``, dtypes, shapes that do not broadcast, event axes of
  different lengths, an empty event axis) raises ``InvalidInputError`` at call time. The
  options arrive checked (``_options.Options``, from the one options path); the NumPy
  function each task runs is handed in by the caller (this module imports none of the
  routes it serves) and is run once on a one-event dummy distribution for the result's
  dtype and the options that only it reads (``block_size``).
* Values (negative entries, NaN or inf, sums other than 1, all-zero rows under
  ``normalize=True``) are checked by the NumPy path inside each task, so invalid input
  raises ``InvalidInputError`` when the result is computed, not when the graph is built.
  The message locates the problem within the Dask block (events on the last axis) and says
  where that block starts. This differs from JAX under ``jit``, where the values cannot be
  read and invalid distributions give NaN instead.

Memory: a block holds its batch chunk times the whole event axis, so chunk the batch axes
to fit. ``pairwise`` computes every (row chunk of P, row chunk of Q) pair as one task, so
the output is chunked like P's rows by Q's rows (P against itself under a symmetric measure
computes the pairs on and above the diagonal, and transposes them below); ``block_size`` still sets the blocks of
the NumPy computation inside each task. ``nearest`` maps over P's row chunks and needs the
whole of ``Q`` (of ``P`` when ``Q`` is None) in every task: it must fit in memory.

Dask itself is imported only here, and only once a Dask array has been seen; importing
``divergences`` never imports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from ._array_api import NUMPY, _is_array, as_float_array, is_dask, namespace
from ._exceptions import InvalidInputError
from ._options import Options
from ._validation import check_axis, check_event_shapes, check_k, check_rows, check_same_events

__all__ = ["evaluate", "nearest", "pairwise"]

Array = Any
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _as_dask(named: Mapping[str, object]) -> dict[str, Array]:
    """Every input as a NumPy-backed Dask array; lists, scalars and NumPy arrays are wrapped."""
    import dask.array as da

    first = next(x for x in named.values() if is_dask(x))
    out = {}
    for name, x in named.items():
        if is_dask(x):
            a: Any = x
            if not isinstance(a._meta, np.ndarray) or isinstance(a._meta, np.ma.MaskedArray):
                raise InvalidInputError(
                    f"{name} is a Dask array of {type(a._meta).__module__}.{type(a._meta).__name__} blocks; "
                    "only Dask arrays of NumPy blocks are supported"
                )
            if any(math.isnan(s) for s in a.shape):
                raise InvalidInputError(
                    f"{name} has unknown chunk sizes (shape {a.shape}); call {name}.compute_chunk_sizes() first"
                )
        elif _is_array(x) and not isinstance(x, (np.ndarray, np.generic)):
            namespace(first, x)  # raises BackendMismatchError naming both libraries
            raise AssertionError("unreachable: a Dask array mixed with another library")
        else:
            a = da.asarray(as_float_array(x, name, NUMPY))
        out[name] = a
    return out


def _dummy(a: Array, shape: tuple[int, ...], opts: Options) -> np.ndarray:
    """A valid distribution of ``shape`` (one event) in the dtype of ``a``: probability 1, or
    its log, 0, for log inputs."""
    return np.zeros(shape, dtype=a.dtype) if opts.log else np.ones(shape, dtype=a.dtype)


def _located(exc: InvalidInputError, start: list[int], what: str) -> InvalidInputError:
    """``exc`` with the start of the Dask block it came from appended (unless that is the origin)."""
    if not any(start):
        return exc
    return InvalidInputError(f"{exc} (indices within the Dask block that starts at {what} {start})")


# --------------------------------------------------------------------------- elementwise


def _evaluate_block(
    *blocks: np.ndarray, names: list[str], opts: Options, numpy_evaluate: Callable[..., Any]
) -> np.ndarray:
    """One task: the NumPy path on the blocks of the inputs (then the blocks of ``arange``s
    that give the position of the block along each batch axis, for messages)."""
    arrays, positions = blocks[: len(names)], blocks[len(names) :]
    try:
        values = numpy_evaluate(opts, dict(zip(names, arrays)))
    except InvalidInputError as exc:
        raise _located(exc, [int(x[0]) for x in positions], "batch index") from None
    return np.asarray(values)


def evaluate(opts: Options, dists: dict[str, object], numpy_evaluate: Callable[..., Any]) -> Array:
    """The Dask counterpart of ``_evaluate.evaluate``: a lazy array of one value per distribution,
    ``numpy_evaluate(opts, arrays)`` (``_evaluate.evaluate_arrays``) mapped over the blocks."""
    import dask.array as da

    names = list(dists)
    arrays = _as_dask(dists)
    axis, keepdims = opts.axis, opts.keepdims
    blocks = opts._replace(axis=-1, keepdims=False)  # a block holds its events on the last axis
    # The result's dtype, as NumPy makes it.
    dummy: dict[str, object] = {n: _dummy(a, (1,), opts) for n, a in arrays.items()}
    out_dtype = np.asarray(numpy_evaluate(blocks, dummy)).dtype
    task = partial(_evaluate_block, names=names, numpy_evaluate=numpy_evaluate)

    ndim = max(a.ndim for a in arrays.values())
    ax = check_axis(axis, ndim)
    shapes = [tuple(a.shape) for a in arrays.values()]
    check_event_shapes(shapes, names, ax)
    meta = np.empty((0,) * (ndim - 1 if ax is not None else 0), dtype=out_dtype)
    if ax is None:
        # One task: the whole (broadcast) input is one distribution.
        whole = [a.rechunk(-1) for a in arrays.values()]
        args: list[Any] = []
        for a in whole:
            args += [a, _LETTERS[ndim - a.ndim : ndim]]
        values = da.blockwise(
            partial(task, opts=opts._replace(axis=None, keepdims=False)), "", *args, dtype=out_dtype, meta=meta, concatenate=True,
        )
        return da.reshape(values, (1,) * ndim) if keepdims else values

    moved: list[Any] = []
    letters = _LETTERS[:ndim]
    for a in arrays.values():
        a = a[(None,) * (ndim - a.ndim)] if a.ndim < ndim else a
        a = da.moveaxis(a, ax, -1) if ax != ndim - 1 else a
        moved += [a.rechunk({ndim - 1: -1}), letters]
    chunks, unified = da.unify_chunks(*moved)
    moved = [x for pair in zip(unified, moved[1::2]) for x in pair]
    positions: list[Any] = []
    for letter in letters[:-1]:
        positions += [da.arange(sum(chunks[letter]), chunks=(chunks[letter],)), letter]
    values = da.blockwise(
        partial(task, opts=blocks),
        letters[:-1], *moved, *positions, dtype=out_dtype, meta=meta, concatenate=True,
    )
    return da.expand_dims(values, axis=ax) if keepdims else values


# --------------------------------------------------------------------------- pairwise, nearest


def _rows(named: Mapping[str, object]) -> dict[str, Array]:
    """The inputs as 2-D Dask arrays with one chunk along the events; shapes checked as NumPy does."""
    arrays = _as_dask(named)
    for name, a in arrays.items():
        check_rows(a, name)
    if "Q" in arrays:
        check_same_events(arrays["P"], arrays["Q"])
    return {name: a.rechunk({1: -1}) for name, a in arrays.items()}


def _pairwise_block(
    Pb: np.ndarray, Qb: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, same: bool, opts: Options,
    block_size: int | None, numpy_pairwise: Callable[..., Any],
) -> np.ndarray:
    try:
        if same and rows[0] == cols[0]:  # a diagonal block: exact zeros (or entropies) on its diagonal
            return numpy_pairwise(opts, Pb, None, block_size)
        return numpy_pairwise(opts, Pb, Qb, block_size)
    except InvalidInputError as exc:
        raise _located(exc, [int(rows[0]), int(cols[0])], "[P row, Q row]") from None


def pairwise(opts: Options, P: Array, Q: Array | None, block_size: int | None,
             numpy_pairwise: Callable[..., Any]) -> Array:  # fmt: skip
    """The Dask counterpart of ``pairwise.pairwise``: a lazy (N, M) array chunked like P's rows
    by Q's rows, one task per pair of row chunks running ``numpy_pairwise(opts, Pb, Qb,
    block_size)`` (``pairwise.pairwise_arrays``; for P against itself under a symmetric
    measure, per pair on or above the diagonal: the blocks below are their transposes)."""
    import dask.array as da

    same = Q is None
    arrays = _rows({"P": P} if same else {"P": P, "Q": Q})
    Pd = arrays["P"]
    Qd = Pd if same else arrays["Q"]
    dummies = [_dummy(a, (1, 1), opts) for a in arrays.values()]
    # The result's dtype as NumPy makes it (and block_size checked now, not in the tasks).
    out_dtype = numpy_pairwise(opts, dummies[0], None if same else dummies[1], block_size).dtype
    rows = da.arange(Pd.shape[0], chunks=(Pd.chunks[0],))
    cols = rows if same else da.arange(Qd.shape[0], chunks=(Qd.chunks[0],))
    task = partial(_pairwise_block, same=same, opts=opts, block_size=block_size, numpy_pairwise=numpy_pairwise)
    full = da.blockwise(
        task, "ij", Pd, "ik", Qd, "jk", rows, "i", cols, "j",
        dtype=out_dtype, meta=np.empty((0, 0), dtype=out_dtype), concatenate=True,
    )
    if not same or opts.measure is None or not opts.measure.symmetric:
        return full
    # The tasks below the diagonal are never referenced, so the graph drops them.
    n_blocks = full.numblocks[0]
    return da.block([
        [full.blocks[i, j] if i <= j else full.blocks[j, i].T for j in range(n_blocks)] for i in range(n_blocks)
    ])


def _nearest_block(
    Pb: np.ndarray, Qall: np.ndarray, rows: np.ndarray, *, same: bool, k: int, dtype: np.dtype[Any],
    opts: Options, block_size: int | None, numpy_nearest: Callable[..., Any],
) -> np.ndarray:
    try:
        if same:
            # Q = P: search k + 1, then drop each row's own entry (or, if it is not among
            # them, the last); ties keep their order, so this is NumPy's answer.
            idx, val = numpy_nearest(opts, Pb, Qall, k + 1, block_size)
            keep = idx != rows[:, None]
            keep[keep.all(axis=1), k] = False
            idx, val = idx[keep].reshape(-1, k), val[keep].reshape(-1, k)
        else:
            idx, val = numpy_nearest(opts, Pb, Qall, k, block_size)
    except InvalidInputError as exc:
        raise _located(exc, [int(rows[0])], "P row") from None
    out = np.empty(idx.shape, dtype=dtype)
    out["indices"], out["values"] = idx, val
    return out


def nearest(opts: Options, P: Array, Q: Array | None, k: int, block_size: int | None,
            numpy_nearest: Callable[..., Any]) -> tuple[Array, Array]:  # fmt: skip
    """The Dask counterpart of ``pairwise.nearest``: lazy (N, k) indices and values, chunked like
    P's rows, each chunk searched by ``numpy_nearest(opts, Pb, Q, k, block_size)``
    (``pairwise.nearest_arrays``); the whole of ``Q`` (``P`` when ``Q`` is None) is one input
    of every task."""
    import dask.array as da

    same = Q is None
    arrays = _rows({"P": P} if same else {"P": P, "Q": Q})
    Pd = arrays["P"]
    Qall = (Pd if same else arrays["Q"]).rechunk(-1)
    m = Qall.shape[0]
    check_k(k, m - 1 if same else m)
    dummies = [_dummy(a, (1, 1), opts) for a in arrays.values()]
    _, val = numpy_nearest(opts, dummies[0], dummies[-1] if not same else dummies[0], 1, block_size)
    dtype = np.dtype([("indices", np.int64), ("values", val.dtype)])
    rows = da.arange(Pd.shape[0], chunks=(Pd.chunks[0],))
    task = partial(_nearest_block, same=same, k=k, dtype=dtype, opts=opts, block_size=block_size,
                   numpy_nearest=numpy_nearest)
    packed = da.blockwise(
        task, "in", Pd, "ie", Qall, "je", rows, "i", new_axes={"n": k},
        dtype=dtype, meta=np.empty((0, 0), dtype=dtype), concatenate=True,
    )
    return packed["indices"], packed["values"]
