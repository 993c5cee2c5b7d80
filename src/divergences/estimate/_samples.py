"""Sample checks shared by every estimator: shapes, finiteness, k, the unit, and repeated values.

Repeated values (ties) are what breaks the peers' k-NN estimators (entropies of -667 nats, NaN
KL): a zero neighbour distance has log -inf. Every estimator calls :func:`resolve_ties`, which
either hands back data fit for a continuous estimator, says "use the discrete estimator", or
raises an error that counts the repeated points and says what to do.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .._exceptions import InvalidInputError
from .._options import parse

__all__ = [
    "TIES",
    "as_labels",
    "as_samples",
    "check_k",
    "check_ties",
    "count_repeated",
    "dequantise",
    "grid_step",
    "log_base",
    "looks_discrete",
    "repeated_values",
    "resolve_ties",
    "rng",
]

TIES = ("auto", "raise", "dequantise", "discrete")
Ties = Literal["auto", "raise", "dequantise", "discrete"]


def as_samples(x: object, name: str) -> np.ndarray:
    """``x`` as a float64 NumPy array of shape ``(n, d)``; 1-D input is n points in one dimension.

    Tensors of other array libraries (torch, CuPy, JAX) are copied to the host.
    """
    try:
        arr = np.asarray(_to_host(x), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} must have shape (n,) or (n, d), got {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInputError(f"{name} is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InvalidInputError(f"{name} contains NaN or inf ({int(bad.any(axis=1).sum())} rows)")
    return arr


def _to_host(x: object) -> object:
    from .._array_api import _is_array, to_numpy

    if _is_array(x) and not isinstance(x, np.ndarray):
        return to_numpy(x)
    return x


def as_labels(x: object, name: str) -> np.ndarray:
    """Discrete samples as integer codes ``0..K-1`` of shape ``(n,)``; rows of ``(n, d)`` input are symbols."""
    arr = np.asarray(_to_host(x))
    if arr.ndim == 0 or arr.shape[0] == 0:
        raise InvalidInputError(f"{name} must be a non-empty sequence of symbols, got shape {arr.shape}")
    if arr.ndim > 2:
        raise InvalidInputError(f"{name} must have shape (n,) or (n, d), got {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{name} contains NaN or inf")
    if arr.ndim == 2:
        _, codes = np.unique(arr, axis=0, return_inverse=True)
    else:
        _, codes = np.unique(arr, return_inverse=True)
    return np.asarray(codes, dtype=np.intp).reshape(-1)


def check_k(k: object, n: int, name: str) -> int:
    """An integer ``k >= 1`` with more than ``k`` points available."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInputError(f"k must be an integer >= 1, got {k!r}")
    if n <= k:
        raise InvalidInputError(f"{name} needs more than k = {k} points, got {n}")
    return int(k)


def log_base(base: object) -> float:
    """The divisor that converts nats to the unit of ``base`` (``None``: nats)."""
    return parse(None, base=base).log_base or 1.0


def count_repeated(x: np.ndarray) -> int:
    """How many rows of ``x`` equal another row.

    A float sort of one number per row: the row itself on a line, else a fixed random
    projection of it. Equal rows have equal projections (the same operations in the same
    order), so distinct projections prove the rows distinct, the common case, at the cost of
    one sort; rows whose projections tie are compared exactly. (``np.unique(axis=0)`` sorts
    rows as byte strings, 20-40x slower, and was a quarter of a k-NN estimate.)

    Examples
    --------
    >>> count_repeated(np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]))
    2
    """
    keys = x[:, 0] if x.shape[1] == 1 else x @ np.random.default_rng(x.shape[1]).uniform(1.0, 2.0, size=x.shape[1])
    keys = np.sort(keys)
    tied = keys[1:] == keys[:-1]
    if not tied.any():
        return 0
    if x.shape[1] == 1:
        return int(np.count_nonzero(np.concatenate([tied, [False]]) | np.concatenate([[False], tied])))
    _, counts = np.unique(x, axis=0, return_counts=True)
    return int(counts[counts > 1].sum())



def looks_discrete(x: np.ndarray) -> bool:
    """Whether ``x`` takes few distinct values: at most half as many distinct rows as points.

    Continuous data with a few repeated values (a spike at zero, a clipped sensor) are not
    discrete by this rule, and get an error rather than a silent change of estimator.
    """
    return len(np.unique(x, axis=0)) <= x.shape[0] // 2


def rng(random_state: object) -> np.random.Generator:
    """A NumPy Generator from an int seed, a Generator (used as it is) or None (fresh entropy)."""
    if isinstance(random_state, bool):
        raise InvalidInputError(f"random_state must be an int, a numpy Generator or None, got {random_state!r}")
    try:
        return np.random.default_rng(random_state)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"random_state must be a non-negative int, a numpy Generator or None, got {random_state!r}"
        ) from exc


def grid_step(values: np.ndarray) -> float | None:
    """The step of the grid the distinct ``values`` (sorted) lie on, or None when they lie on none.

    Rounded data (``np.round(x, 1)``, integers, prices in cents) sit on multiples of one step
    from their smallest value; the step is the smallest gap between distinct values, and every
    value must be a whole number of steps from the first (to 1e-6 of a step). Continuous data
    with a few repeated values (a spike at zero, a clipped sensor) do not: their smallest gap
    is an accident. Fewer than two distinct values: None.

    Examples
    --------
    >>> round(grid_step(np.array([0.1, 0.3, 0.4, 1.0])), 12), grid_step(np.array([0.0, 0.13, 1.0]))
    (0.1, None)
    """
    if len(values) < 2:
        return None
    step = float(np.min(np.diff(values)))
    units = (values - values[0]) / step
    return step if bool(np.all(np.abs(units - np.rint(units)) <= 1e-6)) else None


def _columns(samples: dict[str, np.ndarray], pooled: bool) -> list[tuple[list[str], int]]:
    """The columns the tie policy looks at: each (samples, column) alone, or pooled across samples."""
    names = list(samples)
    width = next(iter(samples.values())).shape[1]
    if pooled:
        return [(names, j) for j in range(width)]
    return [([name], j) for name in names for j in range(samples[name].shape[1])]


def dequantise(samples: dict[str, np.ndarray], random_state: Any = None, *, pooled: bool = True) -> dict[str, np.ndarray]:
    """Each sample plus uniform noise of one grid step, column by column, the step common to the samples.

    The step of a column is that of the grid its values lie on (:func:`grid_step`) over all the
    samples (``pooled``, two samples of one space) or in each sample alone: the data's
    resolution, 0.1 for values rounded to one decimal. Off any grid, a column that repeats
    values gets the smallest gap between them as its step, sample by sample. Spreading each value uniformly over its cell turns
    rounded data into a sample of a continuous density. With one grid for both samples, KL,
    JS and mutual information are unchanged by it (the cells do not overlap): the dequantised
    samples estimate the divergence of the rounded laws, which tends to that of the unrounded
    ones as the step shrinks; an entropy gains ``log(step)`` per column over the Shannon entropy
    of the cells.
    """
    generator = rng(random_state)
    out = {name: np.array(x, dtype=np.float64, copy=True) for name, x in samples.items()}

    def spread(name: str, j: int, step: float) -> None:
        out[name][:, j] += generator.uniform(-0.5 * step, 0.5 * step, size=out[name].shape[0])

    for names, j in _columns(samples, pooled):
        step = grid_step(np.unique(np.concatenate([samples[name][:, j] for name in names])))
        for name in names:
            if step is not None:  # one grid for every sample, repeats or not: the divergences keep their values
                spread(name, j, step)
                continue
            values = np.unique(samples[name][:, j])  # no common grid: a column that repeats gets its own resolution
            if len(values) < samples[name].shape[0]:
                spread(name, j, float(np.min(np.diff(values))) if len(values) > 1 else 1.0)
    return out


def repeated_values(samples: dict[str, np.ndarray], pooled: bool = True) -> Literal["symbols", "rounded", "other"]:
    """What repeated values in ``samples`` are, column by column: the ``ties="auto"`` rule.

    - ``"symbols"``: every column takes a few values on a coarse grid (its step at least a
      quarter of its standard deviation: 0/1 flags, dice, codes, counts) or at most two values;
    - ``"rounded"``: every column lies on a grid (:func:`grid_step`), finer somewhere: a
      continuous quantity measured to a resolution, for the dequantised continuous estimators;
    - ``"other"``: values on no grid (continuous data with an atom).

    Examples
    --------
    >>> rng_ = np.random.default_rng(0)
    >>> repeated_values({"x": np.round(rng_.normal(size=(500, 1)), 1)})
    'rounded'
    >>> repeated_values({"x": rng_.integers(0, 5, size=(500, 1)).astype(float)})
    'symbols'
    """
    coarse = True
    for names, j in _columns(samples, pooled):
        column = np.concatenate([samples[name][:, j] for name in names])
        values = np.unique(column)
        if len(values) <= 2:
            continue
        step = grid_step(values)
        if step is None:
            return "other"
        coarse = coarse and step >= 0.25 * float(np.std(column))
    return "symbols" if coarse else "rounded"


def check_ties(ties: object) -> str:
    """One of :data:`TIES`."""
    if ties not in TIES:
        raise InvalidInputError(f"ties must be one of {', '.join(map(repr, TIES))}, got {ties!r}")
    return str(ties)


def resolve_ties(
    samples: dict[str, np.ndarray], ties: object, random_state: Any = None, *, pooled: bool = True
) -> tuple[Literal["continuous", "discrete"], dict[str, np.ndarray]]:
    """Decide how to treat repeated values, the same way for every estimator.

    Returns ``("continuous", samples)`` with samples safe for k-NN/KDE estimators, or
    ``("discrete", samples)`` when the caller should use its discrete estimator. ``pooled``:
    the samples are of one space (KL, JS), so a column has one grid across them.

    - ``"raise"``: an error if any sample repeats a point.
    - ``"dequantise"``: add noise at the data's resolution (:func:`dequantise`) when a sample repeats.
    - ``"discrete"``: always the discrete estimator.
    - ``"auto"`` (default), when a sample repeats a point, by :func:`repeated_values`: symbols
      (few values on a coarse grid) go to the discrete estimator; rounded data (values on a
      finer grid: ``np.round(x, 1)``) are dequantised; values on no grid go to the discrete
      estimator when every sample :func:`looks_discrete` and are otherwise the error of ``"raise"``.
    """
    if check_ties(ties) == "discrete":
        return "discrete", samples
    repeated = {name: count_repeated(x) for name, x in samples.items()}
    if not any(repeated.values()):
        return "continuous", samples
    if ties == "auto":
        kind = repeated_values(samples, pooled)
        if kind == "symbols" or (kind == "other" and all(looks_discrete(x) for x in samples.values())):
            return "discrete", samples
        if kind == "rounded":
            ties = "dequantise"
    if ties == "dequantise":
        return "continuous", dequantise(samples, random_state, pooled=pooled)
    name, count = next((name, c) for name, c in repeated.items() if c)
    n = samples[name].shape[0]
    raise InvalidInputError(
        f"{count} of the {n} points of {name} are repeated values: continuous (k-NN, KDE) "
        "estimators need distinct points, and a zero neighbour distance would give -inf. "
        "Pass ties='dequantise' to add noise at the data's resolution (rounded measurements), "
        "ties='discrete' to treat the data as categories, or remove the duplicates"
    )
