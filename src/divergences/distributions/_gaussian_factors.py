"""Factors and whitening of Gaussian covariances from each parametrisation's own parameters.

The closed forms of :mod:`._closed_multivariate` (and the mixtures' Gaussian terms) need
``F^-1 x`` for a factor ``F F^T`` of a covariance, the log-determinant, and differences of
two covariances relative to one of them. Each is taken from the parameters without forming
what would lose accuracy: a ``DiagonalNormal``'s scales, a ``LowRankMultivariateNormal``'s
factor rotated by an orthogonal ``Q`` (never ``W W^T + D``, which rounds ``D`` away where
``W`` is large), the Cholesky factor of a full covariance; and differences of covariances
from the differences of their parameters where the structure allows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array_api import NUMPY, device, is_eager, library, to_numpy
from ._families import DiagonalNormal, LowRankMultivariateNormal, MultivariateGaussian

Array = Any


def _solve_lower(lower: Array, b: Array, xp: Any) -> Array:
    """``lower^-1 b`` for a lower-triangular ``lower`` (a triangular solve where the library has one).

    NumPy has none: one pair of float64 matrices (an unbatched pair) goes to LAPACK's
    triangular solve (some 4 us, against 20 for ``numpy.linalg.solve``'s LU), a batch of
    small ones to forward substitution over the batch (:func:`_forward_substitution`), larger
    ones to ``numpy.linalg.solve`` itself (the array API wrapper's broadcasting costs as much
    again)."""
    if xp is NUMPY and type(lower) is np.ndarray and type(b) is np.ndarray:
        if lower.ndim == b.ndim == 2 and lower.dtype == b.dtype == np.float64:
            solved, info = _trtrs()(lower, b, lower=1)
            if info == 0:
                return solved
        if lower.shape[-1] <= _SUBSTITUTION_DIM and max(lower.ndim, b.ndim) > 2:
            return _forward_substitution(lower, b)
        return np.linalg.solve(lower, b)
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "solve_triangular"):
        return xp.linalg.solve_triangular(lower, b, upper=False)
    return xp.linalg.solve(lower, b)


# Up to this dimension a batch of triangular systems is solved a row at a time over the
# whole batch (d = 10, 1000 systems: 0.8 ms with a matrix right-hand side, against 2.4 for
# numpy.linalg.solve's batched LU; 0.22 against 1.15 with a vector).
_SUBSTITUTION_DIM = 32


def _forward_substitution(lower: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``lower^-1 b`` for batches of lower-triangular ``lower`` (NumPy), row by row: as
    LAPACK's triangular solve, backward stable."""
    dtype = np.result_type(lower, b)
    out = np.empty(np.broadcast_shapes(lower.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype=dtype)
    for i in range(lower.shape[-1]):
        row = b[..., i, :]
        if i:
            row = row - np.einsum("...k,...kj->...j", lower[..., i, :i], out[..., :i, :])
        out[..., i, :] = row / lower[..., i, i, None]
    return out


_TRTRS: list[Any] = []


def _trtrs() -> Any:
    """LAPACK's float64 triangular solve, looked up once."""
    if not _TRTRS:
        from scipy.linalg.lapack import dtrtrs

        _TRTRS.append(dtrtrs)
    return _TRTRS[0]


def _half_logdet_tril(lower: Array, xp: Any) -> Array:
    """``log det(L L^T) / 2`` from a Cholesky factor."""
    return xp.sum(xp.log(xp.linalg.diagonal(lower)), axis=-1)


def _eye(d: int, like: Array, xp: Any) -> Array:
    return xp.eye(d, dtype=like.dtype, device=device(like))


def _mean(p: MultivariateGaussian) -> Array:
    return p.mean  # type: ignore[attr-defined]


def _mean_diff(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    """``mean_q - mean_p`` broadcast over both batches."""
    return _mean(q) - _mean(p)


def _positive_definite(s: Array, xp: Any) -> Array:
    """Whether each symmetric matrix is safely positive definite (a Cholesky factor exists).

    The eigenvalues only feed a comparison, so no gradient flows through them (``eigh``'s
    gradient is undefined at repeated eigenvalues). Smallest eigenvalues within ``d eps`` of
    the largest count as not positive definite.
    """
    eig = xp.linalg.eigvalsh(s)
    d = s.shape[-1]
    tol = d * xp.finfo(s.dtype).eps * xp.max(xp.abs(eig), axis=-1)
    return xp.min(eig, axis=-1) > tol


def _safe_cholesky(s: Array, ok: Array, xp: Any) -> Array:
    """Cholesky factor of ``s`` where ``ok``, of the identity elsewhere (a branch not taken)."""
    eye = _eye(s.shape[-1], s, xp)
    return xp.linalg.cholesky(xp.where(ok[..., None, None], s, eye))


def _half_logdet(p: MultivariateGaussian, xp: Any) -> Array:
    """``log det(cov) / 2`` in the cheapest form of the parametrisation."""
    if isinstance(p, DiagonalNormal):
        return xp.sum(xp.log(p.scale), axis=-1)
    if isinstance(p, LowRankMultivariateNormal):
        # det(W W^T + D) = det(D) det(I + R R^T) with R = Q^T D^-1/2 W (Q: _left_basis,
        # thin): the capacitance I + W^T D^-1 W itself is ill-conditioned where W's columns
        # are large and nearly dependent or of very different sizes, and rounds its small
        # eigenvalues away. D^-1/2 W lies in Q's span, so the gradient does too.
        u = p.cov_factor / xp.sqrt(p.cov_diag)[..., :, None]
        r = xp.matrix_transpose(_left_basis(u, False, xp)) @ u
        lower = xp.linalg.cholesky(_eye(r.shape[-2], r, xp) + r @ xp.matrix_transpose(r))
        return _half_logdet_tril(lower, xp) + 0.5 * xp.sum(xp.log(p.cov_diag), axis=-1)
    return _half_logdet_tril(p.scale_tril(), xp)


# LowRankMultivariateNormal: cov = W W^T + D, capacitance C = I + W^T D^-1 W = L_C L_C^T.


def _capacitance_tril(p: LowRankMultivariateNormal, xp: Any) -> Array:
    w, d = p.cov_factor, p.cov_diag
    wt_dinv = xp.matrix_transpose(w) / d[..., None, :]
    return xp.linalg.cholesky(_eye(w.shape[-1], w, xp) + wt_dinv @ w)


def _lowrank_half_logdet(p: LowRankMultivariateNormal, cap_tril: Array, xp: Any) -> Array:
    # Matrix determinant lemma: det(W W^T + D) = det(C) det(D).
    return _half_logdet_tril(cap_tril, xp) + 0.5 * xp.sum(xp.log(p.cov_diag), axis=-1)


def _lowrank_inv_factor(q: LowRankMultivariateNormal, cap_tril: Array, xp: Any) -> Array:
    """``A = L_C^-1 W^T D^-1``, so that ``cov^-1 = D^-1 - A^T A`` (Woodbury)."""
    wt_dinv = xp.matrix_transpose(q.cov_factor) / q.cov_diag[..., None, :]
    return _solve_lower(cap_tril, wt_dinv, xp)


def _lowrank_mahalanobis(q: LowRankMultivariateNormal, a: Array, x: Array, xp: Any) -> Array:
    """``x^T cov^-1 x = x^T D^-1 x - |A x|^2``."""
    ax = (a @ x[..., None])[..., 0]
    return xp.sum(x**2 / q.cov_diag, axis=-1) - xp.sum(ax**2, axis=-1)


def _frobenius_sq(m: Array, xp: Any) -> Array:
    return xp.sum(m**2, axis=(-2, -1))


def _batch_broadcast(a: Array, b: Array, xp: Any) -> tuple[Array, Array]:
    """``a`` and ``b`` (stacks of matrices) with their batch axes broadcast against each other."""
    shape = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    return xp.broadcast_to(a, shape + tuple(a.shape[-2:])), xp.broadcast_to(b, shape + tuple(b.shape[-2:]))


def _constant(x: Array, xp: Any) -> Array:
    """``x`` without its gradient (torch's ``detach``, JAX's ``stop_gradient``)."""
    kind = library(xp)
    if kind == "torch":
        return x.detach()
    if kind == "jax":
        import jax

        return jax.lax.stop_gradient(x)
    return x


def _left_basis(u: Array, full: bool, xp: Any) -> Array:
    """Orthonormal columns spanning ``u``'s, in the order of its singular values (largest
    first), all ``d`` of them where ``full``: the left singular vectors, without gradient."""
    return _constant(xp.linalg.svd(_constant(u, xp), full_matrices=full)[0], xp)


def _lowrank_factor(q: LowRankMultivariateNormal, xp: Any) -> tuple[Array, Array]:
    """``(Q, L)``: ``Q`` orthogonal (``d x d``, :func:`_left_basis` of ``D^-1/2 W``) and ``L L^T = I + R R^T``, ``R = Q^T D^-1/2 W``, so that ``F = D^1/2 Q L Q^T`` has
    ``F F^T = W W^T + D``.

    The covariance is never formed: where it is ill-conditioned (``W`` large against ``D``),
    ``W W^T + D`` rounds ``D`` away in the directions orthogonal to ``W``, while ``R`` keeps
    them (``Q^T`` rotates ``W``'s span onto the first axes; its other rows of ``R`` are
    rounding, and Cholesky's backward error is small in each block against that block's own
    scale; ordered by singular values, the big part stays in the leading block). The identity
    holds for every orthogonal ``Q``, so ``Q`` carries no gradient (an SVD or QR has none
    where ``W`` is rank deficient, e.g. 0).
    """
    u = q.cov_factor / xp.sqrt(q.cov_diag)[..., :, None]
    basis = _left_basis(u, True, xp)
    r = xp.matrix_transpose(basis) @ u
    return basis, xp.linalg.cholesky(_eye(q.dim, r, xp) + r @ xp.matrix_transpose(r))


def _plus_low_rank(base: Array, columns: Array, x: Array, xp: Any) -> tuple[Array, Array]:
    """``(|F^-1 x|^2, log det(F F^T) / 2)`` for ``F F^T = M + V V^T``, ``M = base`` positive
    definite and well conditioned (``d x d``), ``V = columns`` (``d x r``), ``x`` ``(..., d)``.

    ``M + V V^T`` is not formed: where ``V`` is large it is ill-conditioned and rounds ``M``
    away in the directions orthogonal to ``V``. As in :func:`_lowrank_factor`, with ``L_M``
    ``M``'s Cholesky factor, ``U = L_M^-1 V``, ``Q`` :func:`_left_basis` of ``U`` and ``L L^T =
    I + R R^T``, ``R = Q^T U``: ``F = L_M Q L Q^T``, so ``|F^-1 x| = |L^-1 Q^T L_M^-1 x|`` and
    ``log det(F F^T) = log det M + log det(L L^T)``.
    """
    tw = xp.matrix_transpose
    base, columns = _batch_broadcast(base, columns, xp)
    outer = xp.linalg.cholesky(base)
    u = _solve_lower(outer, columns, xp)
    basis = _left_basis(u, True, xp)
    r = tw(basis) @ u
    inner = xp.linalg.cholesky(_eye(base.shape[-1], r, xp) + r @ tw(r))
    outer, x = _batch_broadcast(outer, x[..., None], xp)
    inner, y = _batch_broadcast(inner, tw(basis) @ _solve_lower(outer, x, xp), xp)
    white = _solve_lower(inner, y, xp)[..., 0]
    return xp.sum(white**2, axis=-1), _half_logdet_tril(outer, xp) + _half_logdet_tril(inner, xp)


def _white(q: MultivariateGaussian, x: Array, xp: Any) -> Array:
    """``F^-1 x`` for a factor ``F F^T = cov`` of ``q`` built from its own parameters (the
    scales of a DiagonalNormal, :func:`_lowrank_factor` of a LowRankMultivariateNormal, the
    Cholesky factor otherwise); ``x`` is ``(..., d, k)``."""
    if isinstance(q, DiagonalNormal):
        return x / q.scale[..., :, None]
    if isinstance(q, LowRankMultivariateNormal):
        basis, lower = _lowrank_factor(q, xp)  # F^-1 = Q L^-1 Q^T D^-1/2
        lower, y = _batch_broadcast(lower, xp.matrix_transpose(basis) @ (x / xp.sqrt(q.cov_diag)[..., :, None]), xp)
        return basis @ _solve_lower(lower, y, xp)
    lower, x = _batch_broadcast(q.scale_tril(), x, xp)
    return _solve_lower(lower, x, xp)


def _white_vector(q: MultivariateGaussian, v: Array, xp: Any) -> Array:
    """``F^-1 v`` for vectors ``v`` (``(..., d)``), F as in :func:`_white`."""
    return _white(q, v[..., None], xp)[..., 0]


def _white_both(q: MultivariateGaussian, delta: Array, xp: Any) -> Array:
    """``F^-1 delta F^-T`` for a symmetric ``delta``: a difference of covariances relative to
    ``q``'s (F as in :func:`_white`; exactly 0 where ``delta`` is)."""
    return _white(q, xp.matrix_transpose(_white(q, delta, xp)), xp)


def _factor_columns(p: MultivariateGaussian, xp: Any) -> Array:
    """``G`` with ``G G^T = cov`` from ``p``'s parameters: ``[W, D^1/2]`` for a low-rank
    covariance (``d x (r + d)``), the scales on a diagonal, else the Cholesky factor."""
    if isinstance(p, DiagonalNormal):
        return p.scale[..., None] * _eye(p.dim, p.scale, xp)
    if isinstance(p, LowRankMultivariateNormal):
        root = xp.sqrt(p.cov_diag)[..., None] * _eye(p.dim, p.cov_diag, xp)
        w, root = _batch_broadcast(p.cov_factor, root, xp)
        return xp.concat([w, root], axis=-1)
    return p.scale_tril()


def _covariance_difference(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    """``cov_p - cov_q`` for laws without a low-rank part (see :func:`_white_difference`):
    exact where the covariances are close (given matrices, or squares of scales)."""
    low_rank = isinstance(p, LowRankMultivariateNormal) or isinstance(q, LowRankMultivariateNormal)
    if isinstance(p, DiagonalNormal) != isinstance(q, DiagonalNormal) and not low_rank:
        if isinstance(p, DiagonalNormal):
            return _diagonal_less(p, q.covariance(), xp)
        if isinstance(q, DiagonalNormal):
            return -_diagonal_less(q, p.covariance(), xp)
    return p.covariance() - q.covariance()


def _diagonal_less(p: DiagonalNormal, cov: Array, xp: Any) -> Array:
    """``diag(scale^2) - cov`` with the squares as exact sums ``hi + lo``: ``(diag(hi) - cov)
    + diag(lo)`` rounds once, after the cancellation (exact where ``cov`` is close)."""
    hi, lo = _exact_square(p.scale, xp)
    eye = _eye(p.dim, hi, xp)
    return (hi[..., None] * eye - cov) + lo[..., None] * eye


def _exact_square(s: Array, xp: Any) -> tuple[Array, Array]:
    """``(hi, lo)`` with ``hi = fl(s * s)`` and ``hi + lo = s^2`` exactly (Dekker's product,
    Veltkamp's split of ``s`` into halves of its significand; for ``|s| < 1e146``)."""
    bits = round(-math.log2(float(xp.finfo(s.dtype).eps))) + 1
    c = float(2 ** ((bits + 1) // 2) + 1) * s
    high = c - (c - s)
    low = s - high
    hi = s * s
    return hi, ((high * high - hi) + 2.0 * high * low) + low * low


def _whitened(lower: Array, delta: Array, xp: Any) -> Array:
    """``L^-1 D L^-T`` for a Cholesky factor ``L`` and a symmetric difference ``D`` of matrices
    (broadcast alike): the difference relative to ``L L^T`` (exactly 0 where ``D`` is)."""
    lower, delta = xp.broadcast_arrays(lower, delta)
    half = _solve_lower(lower, delta, xp)
    return _solve_lower(lower, xp.matrix_transpose(half), xp)


def _symmetric_eigenvalues(x: Array, xp: Any) -> Array:
    """The eigenvalues of a matrix symmetric up to rounding (symmetrised first)."""
    return xp.linalg.eigvalsh(0.5 * (x + xp.matrix_transpose(x)))


# Where every whitened difference's Frobenius norm is at most this, the covariance part is
# the series of traces (at most 9 matrix products), which costs less than the eigenvalues.
_TRACE_SERIES_NORM = 0.01


def _trace_series(x: Array, xp: Any) -> Array | None:
    """``-sum log1pmx(e) = sum_{k >= 2} (-1)^k tr(x^k) / k`` over the eigenvalues ``e`` of the
    symmetric ``x``, where the values can be read and every ``|x|_F`` (a bound of every
    ``|e|``) is at most ``_TRACE_SERIES_NORM`` (laws near each other throughout, as between a
    model and its update); else None. The leading ``tr(x^2) / 2`` is a sum of squares; the
    terms after it shrink by ``|x|_F`` each, so their number follows the largest norm: five
    matrix products at 1e-4."""
    if not is_eager(xp) or x.shape[-1] == 0:
        return None
    x = 0.5 * (x + xp.matrix_transpose(x))
    square = xp.sum(x * x, axis=(-2, -1))  # tr(x^2)
    largest = float(to_numpy(xp.max(square) if square.ndim else square))
    if not largest <= _TRACE_SERIES_NORM**2:
        return None
    terms = 2 if largest == 0.0 else 1 + math.ceil(56.0 * math.log(2.0) / (-0.5 * math.log(largest)))
    total = 0.5 * square
    power = x
    for k in range(3, terms + 1):
        power = power @ x  # x^(k - 1)
        total = total + ((-1.0) ** k / k) * xp.sum(power * x, axis=(-2, -1))  # tr(x^k), x symmetric
    return total


def _white_difference(f: MultivariateGaussian, p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    """``F^-1 (S_p - S_q) F^-T`` with ``F`` ``f``'s factor (:func:`_white`).

    A low-rank part is whitened as its factor before any product, so that ``W W^T``, large
    where the covariance is ill-conditioned, is never rounded: with low-rank factors of one
    rank, ``S_p - S_q = dW W_p^T + W_q dW^T + diag(dD)``, exact as q -> p; else ``W_p W_p^T
    - W_q W_q^T`` plus the rest."""
    tw = xp.matrix_transpose
    if not (isinstance(p, LowRankMultivariateNormal) or isinstance(q, LowRankMultivariateNormal)):
        return _white_both(f, _covariance_difference(p, q, xp), xp)
    rest = _diagonal_part(p, xp) - _diagonal_part(q, xp)
    if isinstance(p, LowRankMultivariateNormal) and isinstance(q, LowRankMultivariateNormal) \
            and p.cov_factor.shape[-1] == q.cov_factor.shape[-1]:
        step = _white(f, p.cov_factor - q.cov_factor, xp)
        white_p, white_q = _white(f, p.cov_factor, xp), _white(f, q.cov_factor, xp)
        return step @ tw(white_p) + white_q @ tw(step) + _white_both(f, rest, xp)
    out = _white_both(f, rest, xp)
    for law, sign in ((p, 1.0), (q, -1.0)):
        if isinstance(law, LowRankMultivariateNormal):
            white = _white(f, law.cov_factor, xp)
            out = out + sign * (white @ tw(white))
    return out


def _diagonal_part(p: MultivariateGaussian, xp: Any) -> Array:
    """The covariance less its low-rank part ``W W^T`` where it has one."""
    if isinstance(p, LowRankMultivariateNormal):
        return p.cov_diag[..., None] * _eye(p.dim, p.cov_diag, xp)
    return p.covariance()
