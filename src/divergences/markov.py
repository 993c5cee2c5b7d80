"""Information rates of Markov chains given by their transition matrices.

A transition matrix ``P`` has ``P[i, j]`` = probability of moving from state ``i`` to
state ``j``; each row is a probability vector. The rates are per-step limits of the
divergence and entropy of whole paths: for paths of ``n`` steps started from the
stationary distribution ``pi``, ``KL(paths of P || paths of Q) = (n - 1) * kl_rate(P, Q)``
and ``H(paths of P) = H(pi) + (n - 1) * entropy_rate(P)``.

Every function accepts a single ``(S, S)`` matrix or a batch ``(..., S, S)`` whose leading
axes broadcast like NumPy, from any supported array library; results come back in the
input's library and dtype (a NumPy scalar for one NumPy or list matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array_api import as_float_arrays, device, is_lazy, is_numpy, namespace, to_device, to_numpy
from ._exceptions import InvalidInputError
from ._options import parse
from ._validation import sum_tolerance
from .discrete import entropy, kl

__all__ = ["entropy_rate", "kl_rate", "stationary"]

Array = Any

_PASS_PI = "; pass its stationary distribution as pi (states with pi = 0 are then ignored)"


def _states(indices: list[int]) -> str:
    shown = ", ".join(str(i) for i in indices[:10])
    return f"[{shown}{', ...' if len(indices) > 10 else ''}]"


def _where(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(str(int(i)) for i in index)}]" if index else name


def _matrix(a: Array, name: str) -> Array:
    """``a`` (a float array) checked for the shape ``(..., S, S)`` with ``S >= 1``."""
    shape = tuple(a.shape)
    if a.ndim < 2:
        raise InvalidInputError(
            f"{name} must be a square transition matrix (or a batch of them, shape (..., S, S)), got shape {shape}"
        )
    if shape[-1] != shape[-2]:
        raise InvalidInputError(f"{name} is not square: its last two axes have shape {shape[-2:]}")
    if shape[-1] == 0:
        raise InvalidInputError(f"{name} has no states (shape {shape})")
    return a


def _check_values(a: Array, name: str, what: str, *, row_axis: int) -> np.ndarray:
    """Raise for NaN, inf or negative entries of ``a``, or for a ``what`` (a row of a matrix
    or a distribution) whose sum is not 1; return ``a`` as NumPy for further checks."""
    v = to_numpy(a)
    if not np.all(np.isfinite(v)):
        first = np.argwhere(~np.isfinite(v))[0]
        kind = "NaN" if np.isnan(v).any() else "inf"
        raise InvalidInputError(f"{name} contains {kind} (first at index {[int(i) for i in first]})")
    if np.any(v < 0):
        first = np.argwhere(v < 0)[0]
        raise InvalidInputError(
            f"{name} has negative entries (first {v[tuple(first)]:.6g} at index {[int(i) for i in first]}); "
            "probabilities must be >= 0"
        )
    # Summed in float64 so the reported sum is the input's, not the summation's rounding.
    sums = v.sum(axis=-1, dtype=np.float64)
    tol = sum_tolerance(v.dtype, np)
    bad = np.abs(sums - 1.0) > tol
    if np.any(bad):
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"row {first[-1]} of {_where(name, first[:-1])}" if row_axis else _where(name, first)
        raise InvalidInputError(
            f"{at} sums to {sums[first]:.10g}, not 1 (tolerance {tol:.1e}): {what} must sum to 1"
        )
    return v


def _check_irreducible(P: np.ndarray, name: str, hint: str) -> None:
    """Raise unless every matrix of the batch ``P`` is irreducible (one communicating class)."""
    # Imported here: scipy.sparse is slow to import and only this check needs it.
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    for index in np.ndindex(P.shape[:-2]):
        support = P[index] > 0
        n, labels = connected_components(csr_array(support), directed=True, connection="strong")
        if n == 1:
            continue
        # A class is closed when no transition leaves it; the states of the others are transient.
        rows, cols = np.nonzero(support)
        leaving = labels[rows] != labels[cols]
        open_ = np.zeros(n, dtype=bool)
        open_[labels[rows[leaving]]] = True
        closed = [np.flatnonzero(labels == c).tolist() for c in range(n) if not open_[c]]
        at = _where(name, index)
        if len(closed) > 1:
            classes = ", ".join(_states(c) for c in closed[:5]) + (", ..." if len(closed) > 5 else "")
            problem = (
                f"{at} is reducible: it has {len(closed)} closed communicating classes ({classes}), "
                "so its stationary distribution is not unique"
            )
        else:
            transient = np.flatnonzero(open_[labels]).tolist()
            problem = (
                f"{at} is reducible: states {_states(transient)} are transient "
                "(the chain leaves them and never returns)"
            )
        raise InvalidInputError(problem + hint)


def _gth(P: Array, xp: Any) -> Array:
    """Stationary distribution of the irreducible chains ``P`` (..., S, S) by the
    Grassmann-Taksar-Heyman algorithm.

    Gaussian elimination on ``pi (P - I) = 0`` in which every pivot is the sum of the
    off-diagonal entries of its row rather than ``1 - P[n, n]``: no subtraction ever
    happens, so each entry of ``pi`` has small relative error even for nearly decomposable
    chains and for states visited with tiny probability, where a linear solve loses digits.
    Written without in-place updates so that it runs, and differentiates, on any backend.
    """
    a = P
    columns = []
    for n in range(a.shape[-1] - 1, 0, -1):
        row = a[..., n, :n]
        column = a[..., :n, n] / xp.sum(row, axis=-1)[..., None]
        a = a[..., :n, :n] + xp.expand_dims(column, axis=-1) * xp.expand_dims(row, axis=-2)
        columns.append(column)
    x = [xp.ones(tuple(P.shape[:-2]), dtype=P.dtype, device=device(P))]
    for column in reversed(columns):
        x.append(xp.sum(xp.stack(x, axis=-1) * column, axis=-1))
    pi = xp.stack(x, axis=-1)
    return pi / xp.sum(pi, axis=-1)[..., None]


def _prepare(
    matrices: dict[str, object], pi: object, validate: bool, hint: str
) -> tuple[list[Array], Array, Any]:
    """Validated transition matrices (one dtype, shapes broadcast) and the stationary
    distribution of the first, computed unless ``pi`` is given; and their namespace."""
    xp = namespace(*matrices.values(), pi)
    given = as_float_arrays({**matrices, **({} if pi is None else {"pi": pi})}, xp)
    arrays = [_matrix(given[name], name) for name in matrices]
    names = list(matrices)
    states = arrays[0].shape[-1]
    for name, a in zip(names[1:], arrays[1:]):
        if a.shape[-1] != states:
            raise InvalidInputError(f"{names[0]} has {states} states but {name} has {a.shape[-1]}")
    try:
        batch = tuple(np.broadcast_shapes(*(tuple(a.shape[:-2]) for a in arrays)))
    except ValueError:
        shapes = ", ".join(f"{n} {tuple(a.shape)}" for n, a in zip(names, arrays))
        raise InvalidInputError(f"the batch axes of the matrices do not broadcast: {shapes}") from None
    dtype = xp.result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    arrays = [xp.astype(a, dtype) for a in arrays]
    checked = validate and not any(is_lazy(a) for a in arrays)
    values = [_check_values(a, n, "every row of a transition matrix", row_axis=True)
              for n, a in zip(names, arrays)] if checked else []
    P = arrays[0]
    if pi is None:
        if checked:
            _check_irreducible(values[0], names[0], hint)
        return arrays, _gth(P, xp), xp

    dist = given["pi"]
    if device(dist) != device(P):
        dist = to_device(dist, device(P))
    dist = xp.astype(dist, dtype)
    if dist.ndim == 0 or dist.shape[-1] != states:
        raise InvalidInputError(f"pi must have length {states}, one entry per state, got shape {tuple(dist.shape)}")
    try:
        np.broadcast_shapes(tuple(dist.shape[:-1]), batch)
    except ValueError:
        raise InvalidInputError(
            f"the batch axes of pi {tuple(dist.shape)} do not broadcast with those of "
            f"{names[0]} {tuple(P.shape)}"
        ) from None
    if checked and not is_lazy(dist):
        v = _check_values(dist, "pi", "a distribution", row_axis=False)
        moved = np.matmul(v[..., None, :], values[0])[..., 0, :]
        gap = np.abs(moved - v)
        tol = sum_tolerance(dtype, xp)
        if np.any(gap > tol):
            first = np.unravel_index(int(np.argmax(gap)), gap.shape)
            raise InvalidInputError(
                f"pi is not stationary for {names[0]}: pi @ {names[0]} differs from pi by "
                f"{gap[first]:.3g} at state {int(first[-1])} (tolerance {tol:.1e}); pass the "
                "stationary distribution or leave pi=None to compute it"
            )
    return arrays, dist, xp


def _weighted_sum(pi: Array, per_state: Array, xp: Any) -> Array:
    """``sum_i pi_i * per_state_i`` over the last axis; a NumPy scalar for a single chain."""
    total = xp.sum(pi * per_state, axis=-1)
    if is_numpy(xp) and total.ndim == 0:
        return total[()]
    return total


def stationary(P: Array, *, validate: bool = True) -> Array:
    r"""Stationary distribution :math:`\pi` of an irreducible Markov chain: :math:`\pi P = \pi`.

    Unique for an irreducible chain, periodic or not. Computed by the Grassmann-Taksar-Heyman
    algorithm, a Gaussian elimination without subtractions, so every entry keeps its
    relative accuracy even for nearly decomposable chains (weakly coupled blocks) and
    rarely visited states.

    Parameters
    ----------
    P : array_like, shape (..., S, S)
        Transition matrix (row ``i`` is the distribution of the next state from state
        ``i``), or a batch of them.
    validate : bool, default True
        ``False`` skips the input checks; results on invalid input (including a reducible
        ``P``) are then undefined. JAX tracers (under ``jit``) are never checked.

    Returns
    -------
    array, shape (..., S)
        In the input's library, dtype and device.

    Raises
    ------
    InvalidInputError
        ``P`` is not a square matrix, has NaN, inf or negative entries, a row that does not
        sum to 1 (within ``sqrt(eps)`` of its dtype), or is reducible (several closed
        communicating classes, or transient states).

    Examples
    --------
    >>> import divergences as dv
    >>> dv.markov.stationary([[0.9, 0.1], [0.4, 0.6]])
    array([0.8, 0.2])
    >>> dv.markov.stationary([[0, 1], [1, 0]])  # periodic
    array([0.5, 0.5])
    """
    _, pi, _ = _prepare({"P": P}, None, parse(None, validate=validate).validate, "; stationary() needs an irreducible chain")
    return pi


def kl_rate(P: Array, Q: Array, pi: Array | None = None, *, base: float | None = None,
            validate: bool = True) -> Array:
    r"""Kullback-Leibler divergence rate between two Markov chains,
    :math:`\sum_i \pi_i \sum_j P_{ij} \log(P_{ij} / Q_{ij})`.

    The limit of :math:`KL(\text{paths of } P \,\|\, \text{paths of } Q) / n` over paths of
    :math:`n` steps: how fast a likelihood-ratio test tells the chain ``P`` from ``Q``.
    :math:`0 \log 0 = 0`; a transition that ``P`` makes from a state with :math:`\pi_i > 0`
    and ``Q`` forbids makes the rate ``+inf``; states with :math:`\pi_i = 0` contribute
    nothing, whatever ``Q`` does there. Each row's divergence is :func:`divergences.kl`,
    with its accuracy for nearly equal rows.

    Parameters
    ----------
    P, Q : array_like, shape (..., S, S)
        Transition matrices (row ``i`` is the distribution of the next state from state
        ``i``); leading batch axes broadcast like NumPy.
    pi : array_like, shape (..., S), optional
        The stationary distribution of ``P`` that weights the states. Computed by
        :func:`stationary` when not given, which needs an irreducible ``P``; give it for a
        reducible chain. Cast to the dtype of ``P`` and ``Q``.
    base : float or None, default None
        Logarithm base: ``None`` gives nats per step, ``2`` bits per step.
    validate : bool, default True
        ``False`` skips the input checks (stochastic rows, irreducibility, stationarity of
        ``pi``); results on invalid input are then undefined. JAX tracers (under ``jit``)
        are never checked.

    Returns
    -------
    array or NumPy scalar
        One rate per chain, in the input's library, dtype and device; a NumPy scalar for a
        single NumPy or list matrix.

    Raises
    ------
    InvalidInputError
        A matrix that is not square, NaN, inf or negative entries, a row that does not sum
        to 1, shapes that differ, a reducible ``P`` without ``pi``, a ``pi`` that is not a
        distribution or not stationary for ``P``, or an invalid ``base``.

    See Also
    --------
    entropy_rate, stationary, divergences.kl

    Examples
    --------
    >>> import divergences as dv
    >>> P = [[0.9, 0.1], [0.4, 0.6]]
    >>> uniform = [[0.5, 0.5], [0.5, 0.5]]
    >>> print(f"{dv.markov.kl_rate(P, uniform):.10f} nats per step")
    0.2984784684 nats per step
    >>> float(dv.markov.kl_rate(P, [[1, 0], [0.5, 0.5]]))  # P moves 0 -> 1, Q never does
    inf
    """
    opts = parse("kl", base=base, validate=validate)
    (P, Q), pi, xp = _prepare({"P": P, "Q": Q}, pi, opts.validate, _PASS_PI)
    # Rows of states with pi = 0 are compared with themselves: their divergence is then 0,
    # not an inf that would make 0 * inf = NaN (in the value or in a gradient).
    Q = xp.where(xp.expand_dims(pi > 0, axis=-1), Q, P)
    return _weighted_sum(pi, kl(P, Q, base=opts.base, validate=False), xp)


def entropy_rate(P: Array, pi: Array | None = None, *, base: float | None = None,
                 validate: bool = True) -> Array:
    r"""Entropy rate of a Markov chain, :math:`-\sum_i \pi_i \sum_j P_{ij} \log P_{ij}`.

    The limit of :math:`H(\text{paths of } n \text{ steps}) / n`: the average uncertainty of
    the next state given the present one, at most :math:`\log S`.

    Parameters
    ----------
    P : array_like, shape (..., S, S)
        Transition matrix (row ``i`` is the distribution of the next state from state
        ``i``), or a batch of them.
    pi : array_like, shape (..., S), optional
        The stationary distribution of ``P``. Computed by :func:`stationary` when not
        given, which needs an irreducible ``P``; give it for a reducible chain.
    base : float or None, default None
        Logarithm base: ``None`` gives nats per step, ``2`` bits per step.
    validate : bool, default True
        ``False`` skips the input checks; results on invalid input are then undefined.

    Returns
    -------
    array or NumPy scalar
        One rate per chain, in the input's library, dtype and device; a NumPy scalar for a
        single NumPy or list matrix.

    Raises
    ------
    InvalidInputError
        ``P`` is not square, has NaN, inf or negative entries or a row that does not sum to
        1, is reducible and ``pi`` is not given, ``pi`` is not a distribution or not
        stationary for ``P``, or ``base`` is invalid.

    See Also
    --------
    kl_rate, stationary, divergences.entropy

    Examples
    --------
    >>> import divergences as dv
    >>> float(dv.markov.entropy_rate([[0.5, 0.5], [0.5, 0.5]], base=2))  # fair coin flips
    1.0
    >>> float(dv.markov.entropy_rate([[0, 1], [1, 0]]))  # deterministic alternation
    0.0
    """
    opts = parse("entropy", base=base, validate=validate)
    (P,), pi, xp = _prepare({"P": P}, pi, opts.validate, _PASS_PI)
    return _weighted_sum(pi, entropy(P, base=opts.base, validate=False), xp)
