"""The checks of values, shapes and counts, each once: the cleaned value, or ``InvalidInputError``
with a message that names the argument and the problem. ``_options.parse`` reads the option
checks (``check_base``, ``check_alpha``, ``check_smoothing``) for every route.

Value checks (negative entries, NaN, sums) need to read the data; they run on eager arrays
only. On JAX tracers (under ``jit``) the checks become a mask: invalid distributions give
NaN instead of an exception. Dask arrays run the eager checks inside each task (``_dask``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._array_api import is_lazy, to_numpy
from ._exceptions import InvalidInputError

Array = Any

__all__ = [
    "check_alpha",
    "check_axis",
    "check_base",
    "check_count",
    "check_distribution",
    "check_event_shapes",
    "check_k",
    "check_rows",
    "check_same_events",
    "check_same_labels",
    "check_smoothing",
    "checked_rows",
    "sum_tolerance",
    "valid_mask",
]


def _real_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"{name} must be a real number, got {value!r}")
    out = float(value)
    if math.isnan(out):
        raise InvalidInputError(f"{name} must be a number, got NaN")
    return out


def check_base(base: object) -> float | None:
    """``None`` (natural log) or a positive number other than 1."""
    if base is None:
        return None
    b = _real_number(base, "base")
    if b <= 0 or b == 1 or math.isinf(b):
        raise InvalidInputError(f"base must be positive, finite and not 1, got {base!r}")
    return b


def check_alpha(alpha: object) -> float:
    """A Renyi order: a number >= 0, ``inf`` allowed."""
    a = _real_number(alpha, "alpha")
    if a < 0:
        raise InvalidInputError(f"alpha must be >= 0, got {alpha!r}")
    return a


def check_count(value: object, name: str, low: int = 1) -> int:
    """A whole number of things (resamples, permutations, categories, rows): an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidInputError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_smoothing(smoothing: object) -> float | None:
    """``None`` or a finite pseudocount >= 0."""
    if smoothing is None:
        return None
    s = _real_number(smoothing, "smoothing")
    if s < 0 or math.isinf(s):
        raise InvalidInputError(f"smoothing must be a finite number >= 0, got {smoothing!r}")
    return s


def check_axis(axis: object, ndim: int) -> int | None:
    """A valid axis for arrays of ``ndim`` dimensions, made non-negative; ``None`` passes."""
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise InvalidInputError(f"axis must be an integer or None, got {axis!r}")
    if not -max(ndim, 1) <= int(axis) < max(ndim, 1):
        raise InvalidInputError(f"axis {axis} is out of range for inputs with {ndim} dimension(s)")
    return int(axis) % max(ndim, 1)


def check_event_shapes(shapes: list[tuple[int, ...]], names: list[str], axis: int | None) -> tuple[int, ...]:
    """The broadcast shape of the inputs; the event axis must match exactly and be non-empty.
    An empty batch axis is allowed (as in a NumPy reduction, the result is then empty)."""
    ndim = max(len(s) for s in shapes)
    if ndim == 0:
        raise InvalidInputError(f"{names[0]} is a scalar; a distribution needs an axis of events")
    ax = (ndim - 1 if axis is None else axis) - ndim
    events = [s[ax] if len(s) >= -ax else 1 for s in shapes]
    if len(set(events)) > 1:
        described = " but ".join(f"{n} has {k}" for n, k in zip(names, events))
        raise InvalidInputError(f"the event axis lengths differ: {described} events")
    try:
        shape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        described = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        raise InvalidInputError(f"shapes do not broadcast: {described}") from None
    if shape[ax] == 0:
        raise InvalidInputError(
            f"{names[0]} has an empty axis of events (length 0): a distribution needs at least one event"
        )
    return shape


def sum_tolerance(dtype: Any, xp: Any) -> float:
    """How far from 1 a sum may be: the square root of the dtype's machine epsilon."""
    return math.sqrt(float(xp.finfo(dtype).eps))


def _locate(batch_index: int, batch_shape: tuple[int, ...]) -> str:
    if not batch_shape:
        return ""
    return str([int(i) for i in np.unravel_index(batch_index, batch_shape)])


def check_distribution(
    x: Array, row_min: Array, row_sum: Array, name: str, *, normalize: bool, xp: Any
) -> None:
    """Raise for a batch of distributions (events on the last axis of ``x``) that is invalid.

    ``row_min`` and ``row_sum`` are per-distribution summaries computed by the caller
    (possibly fused with other work): a lower bound of its entries (NaN if one is NaN) and
    its sum. Problems are detected from them and located in ``x`` for the message.
    """
    mins, sums = to_numpy(row_min), to_numpy(row_sum)
    batch = tuple(mins.shape)
    if not (np.all(np.isfinite(mins)) and np.all(np.isfinite(sums))):
        values = to_numpy(x)
        what = "NaN" if np.isnan(values).any() else "inf"
        where_ = np.argwhere(~np.isfinite(values))[0]
        raise InvalidInputError(f"{name} contains {what} (first at index {[int(i) for i in where_]})")
    if np.any(mins < 0):
        values = to_numpy(x)
        first = np.argwhere(values < 0)[0]
        raise InvalidInputError(
            f"{name} has negative entries (first {values[tuple(first)]:.6g} at index {[int(i) for i in first]}); "
            "probabilities and weights must be >= 0"
        )
    if normalize:
        if np.any(sums <= 0):
            i = int(np.argmax(sums <= 0))
            at = f" (distribution {_locate(i, batch)})" if batch else ""
            raise InvalidInputError(f"{name} is all zeros{at}: an all-zero distribution cannot be normalised")
        return
    tol = sum_tolerance(x.dtype, xp)
    bad = np.abs(sums - 1.0) > tol
    if np.any(bad):
        i = int(np.argmax(bad))
        at = f"{name}{_locate(i, batch)}" if batch else name
        raise InvalidInputError(
            f"{at} sums to {sums.flat[i]:.10g}, not 1 (tolerance {tol:.1e}); "
            "pass normalize=True to divide non-negative weights or counts by their sum"
        )


def checked_rows(
    a: Array, name: str, xp: Any, *, shift: float, rescale: bool, validate: bool, work: Any = None
) -> tuple[Array, Array | None]:
    """Distributions along the last axis of ``a`` checked (``validate``), smoothed by
    ``shift`` and normalised (``rescale``), in dtype ``work`` (default: ``a``'s). Also returns,
    for a lazy array (a JAX tracer) whose values cannot be read, the mask of its valid rows
    in place of raising; None otherwise."""
    w = a if work is None else xp.astype(a, work, copy=False)
    if not (validate or rescale) or math.prod(a.shape[:-1]) == 0:  # nothing to check in no rows
        return w, None
    if isinstance(a, np.ndarray) and a.ndim == 2:
        # NumPy: einsum sums rows without a per-row cost, and one minimum of all entries
        # (standing for every row's) settles the common, valid case; a problem is then
        # located in a by check_distribution.
        row_sum = np.einsum("ij->i", w) + a.shape[-1] * shift
        if validate:
            lowest = a.min()
            if not _plainly_valid(lowest, row_sum, rescale, sum_tolerance(a.dtype, np)):
                check_distribution(a, np.broadcast_to(lowest, row_sum.shape), row_sum, name, normalize=rescale, xp=xp)
        return ((w + shift) / row_sum[:, None] if rescale else w), None
    row_sum = xp.sum(w, axis=-1) + a.shape[-1] * shift
    valid = None
    if validate:
        row_min = xp.min(a, axis=-1)
        if is_lazy(a):
            valid = valid_mask(row_min, row_sum, normalize=rescale, tol=sum_tolerance(a.dtype, xp), xp=xp)
        else:  # the tolerance on the sums follows the input's dtype, not the working one
            check_distribution(a, row_min, row_sum, name, normalize=rescale, xp=xp)
    return ((w + shift) / row_sum[..., None] if rescale else w), valid


def _plainly_valid(lowest: float, row_sum: np.ndarray, normalize: bool, tol: float) -> bool:
    """The common case of NumPy input, settled in three reductions: every entry >= 0 (which
    NaN is not) and every sum finite and positive, or within ``tol`` of 1. False sends the
    input to ``check_distribution``, which finds and names the problem."""
    if not lowest >= 0:
        return False
    if normalize:
        return bool(row_sum.min() > 0 and np.isfinite(row_sum.max()))
    return bool(np.abs(row_sum - 1.0).max() <= tol)


def valid_mask(row_min: Array, row_sum: Array, *, normalize: bool, tol: float, xp: Any) -> Array:
    """The lazy counterpart of ``check_distribution``: True where a distribution is valid."""
    ok = (row_min >= 0) & xp.isfinite(row_sum)
    return ok & (row_sum > 0) if normalize else ok & (xp.abs(row_sum - 1.0) <= tol)


def check_rows(a: Array, name: str) -> Array:
    """``a`` as the rows of a pairwise input: 2-D (distributions x events), with at least one
    event (no distributions is an empty set, whose matrix is empty)."""
    if a.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D (distributions x events), got shape {tuple(a.shape)}")
    if a.shape[1] == 0:
        raise InvalidInputError(f"{name} has shape {tuple(a.shape)}: a distribution needs at least one event")
    return a


def check_same_events(P: Array, Q: Array) -> int:
    """The number of events of the rows of ``P`` and of ``Q`` (2-D), which must be equal."""
    if P.shape[1] != Q.shape[1]:
        raise InvalidInputError(f"the event axis lengths differ: P has {P.shape[1]} but Q has {Q.shape[1]} events")
    return int(P.shape[1])


def _labels(x: object) -> list[Any] | None:
    """The axis labels of a pandas Series (its index) or DataFrame (index, columns); None for
    anything else. Duck-typed: pandas is never imported."""
    if not type(x).__module__.startswith("pandas"):
        return None
    axes = getattr(x, "axes", None)
    return list(axes) if isinstance(axes, list) else None


def check_same_labels(named: dict[str, object], *, events_only: bool = False) -> None:
    """Refuse two pandas objects whose labels differ: the measures read values by position,
    so ``Series([.2, .8], index=["a", "b"])`` against ``index=["b", "a"]`` would pair ``a``
    with ``b``. Axes are matched from the last (the events) as they broadcast; with
    ``events_only`` only the events' labels are compared (``pairwise``: the rows of ``P`` and
    of ``Q`` are different distributions)."""
    labelled = [(n, labels) for n, x in named.items() if (labels := _labels(x)) is not None]
    if len(labelled) < 2:
        return
    (n1, a), (n2, b) = labelled[:2]
    for back in range(1, min(len(a), len(b), 1 if events_only else 2) + 1):
        la, lb = a[-back], b[-back]
        if len(la) == len(lb) and not la.equals(lb):  # other lengths: a shape error follows
            what = "index" if back == 2 or len(a) == len(b) == 1 else "columns" if len(a) == len(b) else "event labels"
            described = "; ".join(f"{n} {list(x[:5])}{' ...' if len(x) > 5 else ''}" for n, x in ((n1, la), (n2, lb)))
            raise InvalidInputError(
                f"{n1} and {n2} are pandas objects with different {what} ({described}): values are read by "
                f"position, not by label; align them first (e.g. {n1}, {n2} = {n1}.align({n2}, fill_value=0)), "
                "or pass .to_numpy() to compare by position"
            )


def check_k(k: object, available: int) -> int:
    """A number of neighbours: an integer from 1 to ``available`` (the rows searched)."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= available:
        raise InvalidInputError(f"k must be an integer from 1 to {available} (the rows searched), got {k!r}")
    return k


def checked_log_rows(
    a: Array, name: str, xp: Any, *, shift: float, rescale: bool, validate: bool
) -> tuple[Array, Array | None]:
    """Log-probabilities along the last axis of ``a`` (``log=True``) checked (``validate``),
    smoothed by the pseudocount ``shift`` (``log(exp(a) + shift)``) and normalised by their
    ``logsumexp`` (``rescale``: logits); the log counterpart of ``checked_rows``, with the
    mask of valid rows in place of raising for a lazy array (a JAX tracer), None otherwise.

    A log-probability may be ``-inf`` (an event of probability 0), never NaN or ``+inf``;
    without ``rescale`` each row's probabilities must sum to 1 within ``sum_tolerance``."""
    if shift:
        a = xp.logaddexp(a, xp.asarray(math.log(shift), dtype=a.dtype))
    top = xp.max(a, axis=-1, keepdims=True)
    shift_top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    total = xp.sum(xp.exp(a - shift_top), axis=-1)
    some = total > 0  # the logsumexp, -inf for a row without mass
    lse = xp.where(some, xp.log(xp.where(some, total, xp.ones_like(total))) + shift_top[..., 0],
                   xp.full_like(total, -math.inf))
    tol = sum_tolerance(a.dtype, xp)
    valid = None
    if validate:
        ok = ~xp.any(xp.isnan(a) | (a == math.inf), axis=-1)
        ok = ok & (lse > -math.inf) if rescale else ok & (xp.abs(xp.expm1(lse)) <= tol)
        if is_lazy(a):
            valid = ok
        elif not bool(xp.all(ok)):
            _raise_for_log_rows(to_numpy(a), name, rescale, tol)
    if rescale:
        a = a - lse[..., None]
    return a, valid


def _raise_for_log_rows(values: np.ndarray, name: str, rescale: bool, tol: float) -> None:
    """The message for invalid log-probabilities, located in ``values``."""
    bad = np.isnan(values) | (values == math.inf)
    if bad.any():
        what = "NaN" if np.isnan(values).any() else "+inf"
        raise InvalidInputError(
            f"{name} contains {what} (first at index {[int(i) for i in np.argwhere(bad)[0]]}); "
            "log-probabilities are finite or -inf (a probability of 0)"
        )
    with np.errstate(divide="ignore", over="ignore"):
        sums = np.exp(values).sum(axis=-1)
    if rescale:
        i = np.unravel_index(int(np.argmax(sums == 0)), sums.shape) if sums.ndim else ()
        at = f" (distribution {[int(k) for k in i]})" if sums.ndim else ""
        raise InvalidInputError(f"{name} is -inf everywhere{at}: a distribution needs some probability")
    i = np.unravel_index(int(np.argmax(np.abs(sums - 1.0))), sums.shape) if sums.ndim else ()
    at = f"{name}{[int(k) for k in i]}" if sums.ndim else name
    raise InvalidInputError(
        f"{at} holds log-probabilities whose probabilities sum to {float(sums[i]):.10g}, not 1 (tolerance "
        f"{tol:.1e}); pass normalize=True to normalise logits by their logsumexp"
    )
