"""The one pipeline of the public measures: options -> route (distribution objects, Dask, arrays)
-> namespace -> validation -> normalisation -> kernel -> base -> shape of the result."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _dask, _numpy_engine
from ._array_api import as_float_arrays, compute_dtype, device, is_dask, is_numpy, namespace
from ._exceptions import InvalidInputError
from ._metadata import Divergence
from ._options import Options, parse
from ._validation import (
    check_axis,
    check_distribution,
    check_event_shapes,
    check_same_labels,
    checked_log_rows,
    checked_rows,
    sum_tolerance,
)
from .distributions._base import Distribution
from .distributions._dispatch import divergence
from .distributions._scipy import is_distribution

Array = Any


def _events_last(x: Array, ndim: int, axis: int, xp: Any) -> Array:
    x = xp.reshape(x, (1,) * (ndim - x.ndim) + tuple(x.shape))
    return xp.moveaxis(x, axis, -1) if axis != ndim - 1 else x


def _as_rows(x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """``(R, K)`` view (or copy) of ``x``; ``(1, K)`` when ``x`` is the same for every row."""
    if math.prod(x.shape[:-1]) == 1:
        return x.reshape(1, x.shape[-1])
    return np.broadcast_to(x, batch + x.shape[-1:]).reshape(-1, x.shape[-1])


_PARSED: dict[Any, Options] = {}


def _parse(row: Divergence, options: dict[str, Any]) -> Options:
    """``parse(row, **options)``, remembered for options that can be a key (their types too:
    ``True`` and ``1`` are not the same option); a call repeated with the same options, the
    common case, skips the checks."""
    try:
        key = (row.name, id(row), *((k, type(v), v) for k, v in options.items()))
        opts = _PARSED.get(key)
    except TypeError:  # an array or another unhashable option
        return parse(row, **options)
    if opts is None:
        opts = parse(row, **options)
        if len(_PARSED) > 1024:
            _PARSED.clear()
        _PARSED[key] = opts
    return opts


_DEFAULTS: dict[int, tuple[Divergence, Options]] = {}


def evaluate_defaults(row: Divergence, dists: tuple[object, ...]) -> Any:
    """``evaluate(row, dists)`` with every option at its default (the public functions call
    it then): the options parsed once per measure, distribution objects straight to
    ``divergence``."""
    found = _DEFAULTS.get(id(row))
    if found is None or found[0] is not row:
        found = _DEFAULTS[id(row)] = (row, parse(row))
    if isinstance(dists[0], Distribution) and (len(dists) == 1 or isinstance(dists[1], Distribution)):
        return divergence(found[1], *dists)
    return evaluate(row, dists)


def evaluate(row: Divergence, dists: tuple[object, ...], **options: Any) -> Any:
    """Measure ``row`` of ``dists`` (one for ``entropy``, two otherwise) with the user's
    ``options``, which are checked first, whichever route follows.

    Distribution objects go to ``distributions._dispatch.divergence`` (the array-only
    options must keep their defaults there); Dask arrays to ``_dask.evaluate``, which maps
    the NumPy path below over their blocks; other arrays to that path. ``return_error`` on
    arrays adds zeros (the array formulas are exact up to rounding).
    """
    opts = _parse(row, options)
    if isinstance(dists[0], Distribution) and (len(dists) == 1 or isinstance(dists[1], Distribution)) \
            and opts.axis == -1 and not (opts.keepdims or opts.normalize or opts.log) and opts.smoothing is None:
        return divergence(opts, *dists)  # the common case, without the routing below
    named = dict(zip(("p", "q"), dists))
    if any(is_distribution(d) for d in dists):
        if opts.axis != -1 or opts.keepdims or opts.normalize or opts.smoothing is not None or opts.log:
            raise InvalidInputError(
                "axis, keepdims, normalize, smoothing and log apply to probability vectors, not to distribution objects"
            )
        return divergence(opts, *dists)
    if opts.method != "auto":
        raise InvalidInputError(f"method={opts.method!r} applies to distribution objects; arrays have one method")
    if is_dask(*dists):  # before namespace(): Dask mixed with NumPy is allowed
        values = _dask.evaluate(opts, named, evaluate_arrays)
    else:
        values = evaluate_arrays(opts, named)
    if not opts.return_error:
        return values
    if isinstance(values, np.generic):
        return values, values.dtype.type(0)
    return values, namespace(values).zeros_like(values)


def evaluate_arrays(opts: Options, dists: dict[str, object]) -> Any:
    """The measure of arrays (not Dask) under checked options ``opts``: namespace, shapes,
    validation, normalisation, kernel, base and the shape of the result."""
    info = opts.measure
    assert info is not None
    names = list(dists)
    axis, params, validate = opts.axis, opts.params, opts.validate
    check_same_labels(dists)
    xp = namespace(*dists.values())
    arrays = list(as_float_arrays(dists, xp).values())
    ndim = max(a.ndim for a in arrays)
    ax = check_axis(axis, ndim)
    if ax is None:
        shape = check_event_shapes([tuple(a.shape) for a in arrays], names, None)
        arrays = [xp.reshape(xp.broadcast_to(a, shape), (-1,)) for a in arrays]
        out_ndim, ax = len(shape), 0
    shape = check_event_shapes([tuple(a.shape) for a in arrays], names, ax)
    arrays = [_events_last(a, len(shape), ax, xp) for a in arrays]
    batch = shape[:ax] + shape[ax + 1 :]
    n_events = shape[ax]
    rescale, shift, log_base = opts.rescale, opts.shift, opts.log_base
    log_valid = None
    if opts.log:  # checked and normalised here, in log space; the log kernel does the rest
        cleaned = []
        for n, a in zip(names, arrays):
            rows, ok = checked_log_rows(a, n, xp, shift=shift, rescale=rescale, validate=validate)
            cleaned.append(rows)
            if ok is not None:
                log_valid = ok if log_valid is None else log_valid & ok
        arrays, rescale, shift, validate = cleaned, False, 0.0, False
    if math.prod(batch) == 0:  # an empty batch: an empty result, as NumPy's reductions give
        values = xp.empty(batch, dtype=xp.result_type(*arrays), device=device(arrays[0]))
    elif is_numpy(xp):
        rows = [_as_rows(a, batch) for a in arrays]
        tolerance = sum_tolerance(np.result_type(*arrays), xp) if validate else None
        values = _numpy_engine.evaluate(
            info.kernel, info.fast, info.trusted_above, rows,
            params=params, shift=shift, normalize=rescale, tolerance=tolerance,
            nan_if_negative=info.fast_nan_if_negative,
        )
        if values is None:
            for n, a in zip(names, arrays):  # raises for the first invalid input
                row_sum = a.sum(axis=-1, dtype=np.float64) + n_events * shift
                check_distribution(a, a.min(axis=-1), row_sum, n, normalize=rescale, xp=xp)
            raise AssertionError("the engine rejected input that check_distribution accepts")
        _numpy_engine.finish_in_place(values, log_base, info.transform)
        values = values.astype(np.result_type(*arrays), copy=False).reshape(batch)
    else:
        valid = None
        cleaned = []
        # Half precision (float16, bfloat16) is computed in float32 and rounded once at the end.
        out_dtype = xp.result_type(*arrays)
        work = compute_dtype(out_dtype, xp)
        for n, a in zip(names, arrays):
            rows, ok = checked_rows(a, n, xp, shift=shift, rescale=rescale, validate=validate, work=work)
            cleaned.append(rows)
            if ok is not None:
                valid = ok if valid is None else valid & ok
        arrays = cleaned
        values = info.kernel(*arrays, xp=xp, **params)
        valid = log_valid if valid is None else valid
        if valid is not None:
            values = xp.where(valid, values, xp.full_like(values, math.nan))
        values = xp.broadcast_to(values, batch)
        if log_base is not None:
            values = values / log_base
        if info.transform is not None:
            values = info.transform(values, xp)
        if work != out_dtype:
            values = xp.astype(values, out_dtype)

    if opts.keepdims:
        if axis is None:
            values = xp.reshape(values, (1,) * out_ndim)
        else:
            values = xp.expand_dims(values, axis=ax)
    if is_numpy(xp) and values.ndim == 0:
        return values[()]
    return values
