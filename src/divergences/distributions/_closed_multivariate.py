"""Closed forms between multivariate families (Gaussians in every parametrisation, Dirichlet).

Gaussians: the generic forms work on any pair through factors of the covariances
(:mod:`._gaussian_factors`: Cholesky factors, a DiagonalNormal's scales, and for a
``LowRankMultivariateNormal`` a rotation of its factor that never forms ``W W^T + D``, so an
ill-conditioned covariance costs nothing). Near p = q every form is a sum of second-order
terms (eigenvalues of the whitened difference of the covariances, from the parameters'
differences). ``DiagonalNormal`` pairs sum the univariate forms; low-rank pairs of more than
``_DENSE_DIM`` dimensions take torch's O(d r^2) Woodbury forms (accurate in absolute terms)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import NUMPY, device, is_eager, to_numpy
from .._renyi import renyi_log_mean
from .._special import (
    digamma,
    gammaln,
    lgamma_bregman,
    log1pmx,
    substitute,
    where0,
)
from ._closed_univariate import _bregman_remainder, _normal_kl, _normal_kl_float, _normal_renyi
from ._families import (
    DiagonalNormal,
    LowRankMultivariateNormal,
    MultivariateGaussian,
    MultivariateNormal,
    Wishart,
)
from ._gaussian_factors import (
    _batch_broadcast,
    _capacitance_tril,
    _covariance_difference,
    _diagonal_part,
    _eye,
    _factor_columns,
    _frobenius_sq,
    _half_logdet,
    _half_logdet_tril,
    _lowrank_half_logdet,
    _lowrank_inv_factor,
    _lowrank_mahalanobis,
    _mean_diff,
    _plus_low_rank,
    _positive_definite,
    _safe_cholesky,
    _solve_lower,
    _symmetric_eigenvalues,
    _trace_series,
    _white,
    _white_difference,
    _white_vector,
    _whitened,
)
from ._gaussian_pair import kl_gaussian_pair
from ._host import last_axis_sum
from ._registry import REGISTRIES, register, register_kl

Array = Any

_LOG_2PI = math.log(2.0 * math.pi)


def _entropy(p: MultivariateGaussian, xp: Any) -> Array:
    return 0.5 * p.dim * (1.0 + _LOG_2PI) + _half_logdet(p, xp)


# --------------------------------------------------------------------------------------
# Gaussian KL
# --------------------------------------------------------------------------------------


@register_kl(MultivariateGaussian, MultivariateGaussian)
def _kl_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any) -> Array:
    # With Cholesky factors, M = Lq^-1 Lp is lower triangular and tr(M M^T) - d - 2 log det M
    # = sum_{i > j} M_ij^2 + sum_i expm1mx(2 r_i), r_i = log(M_ii): every term >= 0 and second
    # order near p = q, where the usual tr - d + log det form is a difference of O(1) terms.
    # M - I = Lq^-1 (Lp - Lq) from the difference of the factors (exactly 0 for equal
    # covariances, so a change of the mean alone keeps full relative accuracy). Sums of
    # squares keep the gradient finite at p = q.
    if isinstance(p, LowRankMultivariateNormal) or isinstance(q, LowRankMultivariateNormal):
        return _kl_factored(p, q, xp)
    if xp is NUMPY and type(p) is type(q) is MultivariateNormal:
        try:
            value = kl_gaussian_pair(p, q)
        except (OverflowError, ValueError):  # a float form out of range: the array path says
            value = None
        if value is not None:
            return value
    lp, lq = p.scale_tril(), q.scale_tril()
    if lp.shape != lq.shape:
        lp, lq = xp.broadcast_arrays(lp, lq)
    diff = _mean_diff(p, q, xp)
    if diff.shape != lq.shape[:-1]:
        diff, _ = xp.broadcast_arrays(diff, lq[..., 0])
    off = _solve_lower(lq, lp - lq, xp)
    # off is lower triangular (its upper part solves to exact zeros): the squares below the
    # diagonal are all squares less the diagonal's, with no mask (an infinite sum stays
    # infinite: the value is then beyond the range of doubles whichever square overflowed)
    squares = xp.sum(off * off, axis=(-2, -1))
    off_diagonal = xp.where(squares == math.inf, squares, squares - xp.sum(xp.linalg.diagonal(off) ** 2, axis=-1))
    dp, dq = xp.linalg.diagonal(lp), xp.linalg.diagonal(lq)
    r = dp / dq
    diagonal = xp.sum((r - 1.0) * (r + 1.0) - 2.0 * _log_of_ratio(dp, dq, r, xp), axis=-1)
    # Factors computed here from nearly equal covariances differ by their own rounding (1e-5
    # relative at a 1e-11 change): there the covariance part comes from the exact difference
    # of the covariances instead. With X = Lq^-1 (S_p - S_q) Lq^-T and its eigenvalues e_i,
    # tr - d - log det = sum (e_i - log1p(e_i)), each term second order. (DiagonalNormal
    # pairs, whose factors are exact, have a form of their own.) Elsewhere some |e_i| exceeds
    # 1/2 (_possibly_near, _eigen_form) and the covariance part is at least 0.5 - log 1.5 =
    # 0.095: the plain sum of non-negative terms below errs by some ulps of it.
    far = off_diagonal + diagonal
    maybe = _possibly_near(off, xp)
    if maybe is not None and not maybe.any():  # no element takes the eigenvalue form: skip it
        covariance_part = far
    elif maybe is not None and lq.ndim > 2 and maybe.sum() <= maybe.size // 2:  # the eigenvalues of those only
        covariance_part = _eigen_rows(lq, _covariance_difference(p, q, xp), far, maybe, xp)
    else:
        covariance_part = _eigen_form(_whitened(lq, _covariance_difference(p, q, xp), xp), far, xp)
    mahalanobis = xp.sum(_solve_lower(lq, diff[..., None], xp)[..., 0] ** 2, axis=-1)
    return 0.5 * (covariance_part + mahalanobis)


def _log_of_ratio(dp: Array, dq: Array, r: Array, xp: Any) -> Array:
    """``log r`` for ``r = dp / dq`` given, from the logarithms of ``dp`` and ``dq`` where ``r``
    leaves the normal range (where its own logarithm is inexact or infinite)."""
    tiny = float(xp.finfo(r.dtype).smallest_normal)
    apart = (r < tiny) | (r > 1.0 / tiny)
    if is_eager(xp) and not bool(xp.any(apart)):
        return xp.log(r)
    return xp.where(apart, xp.log(dp) - xp.log(dq), xp.log(substitute(~apart, r, 1.0, xp)))


def _kl_factored(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    """The KL where a low-rank covariance takes part, without forming it (O(d^3) still).

    With ``F`` q's factor of :func:`_white` and ``G`` p's of :func:`_factor_columns`,
    ``tr(S_q^-1 S_p) = |F^-1 G|^2`` (a sum of squares) and the log-determinants come from the
    parameters (matrix determinant lemma), so an ill-conditioned covariance (``W`` large
    against ``D``) costs nothing. Near p = q, where that form is a difference of O(d) terms,
    the covariance part is ``-sum log1pmx(e_i)`` over the eigenvalues ``e_i`` of
    ``F^-1 (S_p - S_q) F^-T`` (the difference from the parameters' differences), every term
    second order.
    """
    diff = _mean_diff(p, q, xp)
    mahalanobis = xp.sum(_white_vector(q, diff, xp) ** 2, axis=-1)
    m = _white(q, _factor_columns(p, xp), xp)
    by_trace = _frobenius_sq(m, xp) - p.dim - 2.0 * (_half_logdet(p, xp) - _half_logdet(q, xp))
    x = _white_difference(q, p, q, xp)
    if is_eager(xp) and bool(xp.all(_frobenius_sq(x, xp) > p.dim * 0.55**2)):
        covariance_part = by_trace  # no element takes the eigenvalue form (see _possibly_near)
    else:
        covariance_part = _eigen_form(x, by_trace, xp)
    return 0.5 * (covariance_part + mahalanobis)


def _possibly_near(off: Array, xp: Any) -> np.ndarray | None:
    """Where the values can be read: a NumPy mask of the batch, False where the pair is
    certainly far from equal covariances, so that the eigenvalue form is never chosen there
    (None: unknown, every element may be near). With ``M = I + off`` (``off = Lq^-1 (Lp - Lq)``),
    ``X = M M^T - I`` is the whitened difference of the covariances; its largest eigenvalue
    in magnitude is at least any ``|X_ii|`` (a diagonal entry of a symmetric matrix lies
    between its extreme eigenvalues) and at least ``|X|_F / sqrt(d)``; above 0.55 (0.5 and a
    margin for rounding) the pair is far. The diagonal needs no product; the Frobenius norm
    is taken for the rows the diagonal does not settle."""
    if not is_eager(xp) or off.shape[-1] == 0:
        return None
    diagonal = 2.0 * xp.linalg.diagonal(off) + xp.sum(off * off, axis=-1)
    maybe = to_numpy(xp.max(xp.abs(diagonal), axis=-1) <= 0.55).astype(bool)
    if maybe.any():
        rows = np.flatnonzero(maybe)
        flat = xp.reshape(off, (-1, off.shape[-2], off.shape[-1]))
        some = xp.take(flat, xp.asarray(rows, device=device(off)), axis=0) if maybe.ndim else flat
        x = some + xp.matrix_transpose(some) + some @ xp.matrix_transpose(some)
        close = to_numpy(xp.sum(x * x, axis=(-2, -1)) <= off.shape[-1] * 0.55**2).astype(bool)
        maybe.reshape(-1)[rows] = close
    return maybe


def _eigen_form(x: Array, far: Array, xp: Any) -> Array:
    """The covariance part from the eigenvalues ``e`` of a whitened difference of covariances
    ``x`` where they are small (``-sum log1pmx(e)``, every term second order), ``far`` elsewhere;
    by the traces of ``x``'s powers where every ``x`` is small (:func:`_trace_series`)."""
    by_traces = _trace_series(x, xp)
    if by_traces is not None:
        return by_traces
    eigen = _symmetric_eigenvalues(x, xp)
    near = xp.max(xp.abs(eigen), axis=-1) <= 0.5
    by_eigen = -xp.sum(log1pmx(substitute(near[..., None], eigen, 0.0, xp), xp), axis=-1)
    return xp.where(near, by_eigen, far)


def _eigen_rows(lq: Array, delta: Array, far: Array, maybe: np.ndarray, xp: Any) -> Array:
    """:func:`_eigen_form` computed for the batch elements of ``maybe`` only (gathered, then
    read back by position: gathers and a ``where``, so gradients flow as through the whole)."""
    lq, delta = xp.broadcast_arrays(lq, delta)
    d = lq.shape[-1]
    rows = np.flatnonzero(maybe)
    where = xp.asarray(rows, device=device(lq))
    sub_far = xp.take(xp.reshape(far, (-1,)), where, axis=0)
    sub_lq, sub_delta = (xp.take(xp.reshape(a, (-1, d, d)), where, axis=0) for a in (lq, delta))
    sub = _eigen_form(_whitened(sub_lq, sub_delta, xp), sub_far, xp)
    position = xp.asarray(np.maximum(np.cumsum(maybe.reshape(-1)) - 1, 0), device=device(lq))
    chosen = xp.asarray(maybe.reshape(-1), device=device(lq))
    out = xp.where(chosen, xp.take(sub, position, axis=0), xp.reshape(far, (-1,)))
    return xp.reshape(out, far.shape)


# An unbatched pair of up to this many coordinates sums the univariate forms on Python floats
# (about 1.3 us a coordinate, against some 50 us for the array path's passes at any small size).
_FLOAT_COORDINATES = 32


@register_kl(DiagonalNormal, DiagonalNormal)
def _kl_diagonal_diagonal(p: DiagonalNormal, q: DiagonalNormal, *, xp: Any) -> Array:
    # The sum of the univariate forms, each exact as q -> p (log1p log ratio, expm1(x) - x by series).
    params = (p.mean, p.scale, q.mean, q.scale)
    shape = p.mean.shape
    if len(shape) == 1 and shape[0] <= _FLOAT_COORDINATES \
            and all(type(a) is np.ndarray and a.dtype == np.float64 and a.shape == shape for a in params):
        terms = list(map(_normal_kl_float, *(a.tolist() for a in params)))
        if None not in terms:
            return np.float64(math.fsum(terms))  # type: ignore[arg-type]  # no None left
    return last_axis_sum(_normal_kl(p.mean, p.scale, q.mean, q.scale, xp), xp)


# Up to this many dimensions a low-rank Gaussian's KL takes the factored form of
# _kl_factored, O(d^3) but second order near p = q and exact for ill-conditioned covariances; beyond, the Woodbury forms below, O(d r^2) and accurate in absolute terms
# only (their trace and log-det terms are O(d) and cancel as q -> p).
_DENSE_DIM = 256


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal, *, xp: Any) -> Array:
    if p.dim <= _DENSE_DIM:
        return _kl_gaussian_gaussian(p, q, xp=xp)
    cap_p, cap_q = _capacitance_tril(p, xp), _capacitance_tril(q, xp)
    a = _lowrank_inv_factor(q, cap_q, xp)
    half_log_det = _lowrank_half_logdet(q, cap_q, xp) - _lowrank_half_logdet(p, cap_p, xp)
    mahalanobis = _lowrank_mahalanobis(q, a, _mean_diff(p, q, xp), xp)
    # tr(cov_q^-1 cov_p) = tr((D_q^-1 - A^T A)(D_p + W_p W_p^T)), four sums of squares.
    dp, dq, wp = p.cov_diag, q.cov_diag, p.cov_factor
    trace = (
        xp.sum(dp / dq, axis=-1)
        + _frobenius_sq(wp / xp.sqrt(dq)[..., None], xp)
        - _frobenius_sq(a * xp.sqrt(dp)[..., None, :], xp)
        - _frobenius_sq(a @ wp, xp)
    )
    return half_log_det + 0.5 * (trace + mahalanobis - p.dim)


@register_kl(LowRankMultivariateNormal, MultivariateGaussian)
def _kl_lowrank_gaussian(p: LowRankMultivariateNormal, q: MultivariateGaussian, *, xp: Any) -> Array:
    if p.dim <= _DENSE_DIM:
        return _kl_gaussian_gaussian(p, q, xp=xp)
    lq = q.scale_tril()
    half_log_det = _half_logdet_tril(lq, xp) - _lowrank_half_logdet(p, _capacitance_tril(p, xp), xp)
    mahalanobis = xp.sum(_solve_lower(lq, _mean_diff(p, q, xp)[..., None], xp)[..., 0] ** 2, axis=-1)
    # tr(cov_q^-1 (W W^T + D)) = |L_q^-1 W|^2 + |L_q^-1 D^(1/2)|^2.
    sqrt_d = xp.sqrt(p.cov_diag)[..., None, :] * _eye(p.dim, lq, xp)
    trace = _frobenius_sq(_solve_lower(lq, p.cov_factor, xp), xp) + _frobenius_sq(_solve_lower(lq, sqrt_d, xp), xp)
    return half_log_det + 0.5 * (trace + mahalanobis - p.dim)


@register_kl(MultivariateGaussian, LowRankMultivariateNormal)
def _kl_gaussian_lowrank(p: MultivariateGaussian, q: LowRankMultivariateNormal, *, xp: Any) -> Array:
    if p.dim <= _DENSE_DIM:
        return _kl_gaussian_gaussian(p, q, xp=xp)
    lp = p.scale_tril()
    cap_q = _capacitance_tril(q, xp)
    a = _lowrank_inv_factor(q, cap_q, xp)
    half_log_det = _lowrank_half_logdet(q, cap_q, xp) - _half_logdet_tril(lp, xp)
    mahalanobis = _lowrank_mahalanobis(q, a, _mean_diff(p, q, xp), xp)
    # tr((D_q^-1 - A^T A) L_p L_p^T) = |D_q^(-1/2) L_p|^2 - |A L_p|^2.
    trace = _frobenius_sq(lp / xp.sqrt(q.cov_diag)[..., None], xp) - _frobenius_sq(a @ lp, xp)
    return half_log_det + 0.5 * (trace + mahalanobis - p.dim)


# --------------------------------------------------------------------------------------
# Gaussian cross-entropy, Bhattacharyya and Renyi
# --------------------------------------------------------------------------------------


@register("cross_entropy", MultivariateGaussian, MultivariateGaussian)
def _cross_entropy_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any) -> Array:
    # H(p, q) = KL(p || q) + H(p), with the cheapest KL registered for this pair.
    found = REGISTRIES["kl"].lookup(type(p), type(q))
    kl = found[0] if found is not None else _kl_gaussian_gaussian
    return kl(p, q, xp=xp) + _entropy(p, xp)


def _relative(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> tuple[Array, Array]:
    """``(B, w)``: ``B = F^-1 (S_q - S_p) F^-T``, q's covariance relative to p's less the
    identity (symmetric, exactly 0 for equal covariances: the difference comes from the
    parameters' differences where the structure allows), and ``w = F^-1 (mean_q - mean_p)``,
    with ``F`` p's factor of :func:`_white` (a low-rank covariance is never formed). Then
    ``S_p + a (S_q - S_p) = F (I + a B) F^T`` for every order ``a``."""
    b = _white_difference(p, q, p, xp)
    b = 0.5 * (b + xp.matrix_transpose(b))  # symmetric up to rounding: exactly so
    w = _white_vector(p, _mean_diff(p, q, xp), xp)
    w, _ = xp.broadcast_arrays(w, b[..., 0])
    return b, w


def _inf_like(x: Array, xp: Any) -> Array:
    return xp.full_like(x, math.inf)


_SERIES_GAP = 0.1  # |alpha| ||B|| below which the log-det gap is a power series (18 terms)


def _log_det_gap_over_t(b: Array, alpha: float, xp: Any, far: Array | None = None,
                        whole: Callable[[], Array] | None = None) -> Array:
    """``[log det(I + alpha B) - alpha log det(I + B)] / (alpha - 1)`` (``alpha != 1``) for
    symmetric ``B``, exact as ``alpha -> 1`` too, where it tends to ``tr(B (I + B)^-1) - log
    det(I + B)``. Its first-order terms, alpha tr B, cancel exactly: where ``B`` is small it
    is ``sum_{k >= 2} (-1)^(k+1) alpha h_k tr(B^k) / k`` (``alpha^k - alpha = (alpha - 1)
    alpha h_k``, ``h_k = 1 + alpha + ... + alpha^(k-2)``); elsewhere ``far`` where the caller
    has it, else the sum over the eigenvalues ``lam`` of ``B`` of :func:`renyi_log_mean` at
    ``log1p(lam)`` (meaningless but finite where ``I + alpha B`` is not positive definite:
    callers mark those infinite). ``whole()``, where given, returns the eigenvalues of ``I + B``
    formed apart, for those of ``B`` below -1/2 (``1 + lam`` lost q's covariance where it is far
    below p's: 1e-12 of it left Bhattacharyya distances 2e-8 relative off)."""
    norm = xp.sqrt(xp.sum(b * b, axis=(-2, -1)))
    small = norm * max(1.0, abs(alpha)) <= _SERIES_GAP
    bs = where0(small[..., None, None], b, xp)
    power, series, h = bs, xp.zeros_like(norm), 1.0
    for k in range(2, 20):
        power = power @ bs
        series = series + ((-1) ** (k + 1) * alpha * h / k) * xp.linalg.trace(power)
        h = h * alpha + 1.0
    if far is None:
        lam = xp.linalg.eigvalsh(where0(~small[..., None, None], b, xp))
        floor = -1.0 + float(xp.finfo(b.dtype).eps)  # I + B is positive definite: only rounding gets below
        log_one_plus = xp.log1p(substitute(lam > floor, lam, floor, xp))
        if whole is not None:
            low = lam < -0.5
            if not is_eager(xp) or bool(xp.any(low)):
                tiniest = float(xp.finfo(b.dtype).smallest_normal)
                log_one_plus = xp.where(low, xp.log(xp.maximum(whole(), tiniest)), log_one_plus)
        far = xp.sum(renyi_log_mean(log_one_plus, alpha, xp), axis=-1)
    return xp.where(small, series, far)


def _mixed_log_det(p: MultivariateGaussian, q: MultivariateGaussian, alpha: float,
                   xp: Any) -> tuple[Array, Array, Array | None] | None:
    """For a low-rank law: ``(diff^T S_a^-1 diff, [log det S_a - (1 - a) log det S_p - a log
    det S_q] / (a - 1), fine)`` without forming ``S_a = (1 - a) S_p + a S_q`` or ``B`` (where
    a low-rank covariance is ill-conditioned, they round its small eigenvalues away: Renyi of
    such a law against a full one was 1.5e-9 relative off). ``S_a`` is the low-rank
    covariance of factor ``[sqrt(1 - a) W_p, sqrt(a) W_q]`` (the low-rank laws' factors) plus
    the mixed rest, ``(1 - a) D_p + a D_q`` for two low-rank laws, a full matrix otherwise
    (:func:`_plus_low_rank`). For ``0 < a < 1`` the rest is positive definite and ``fine`` is
    None. For ``a > 1`` only ``q`` may be low rank (``p``'s factor would enter with the
    imaginary weight ``sqrt(1 - a)``), and ``fine`` says where the rest ``a D_q - (a - 1)
    S_p`` is positive definite (then so is ``S_a``; elsewhere the values are meaningless and
    the caller takes ``B``'s form). None for other pairs, and near ``alpha = 1``, where the
    quotient would cancel (``|a - 1| < 0.05``)."""
    low_p, low_q = isinstance(p, LowRankMultivariateNormal), isinstance(q, LowRankMultivariateNormal)
    if not ((low_p or low_q) and 0.0 < alpha <= 0.95 or low_q and not low_p and alpha >= 1.05):
        return None
    diff, fine = _mean_diff(p, q, xp), None
    if isinstance(p, LowRankMultivariateNormal) and isinstance(q, LowRankMultivariateNormal):
        wp, wq = _batch_broadcast(math.sqrt(1.0 - alpha) * p.cov_factor, math.sqrt(alpha) * q.cov_factor, xp)
        mixed = LowRankMultivariateNormal(p.mean, xp.concat([wp, wq], axis=-1),
                                          (1.0 - alpha) * p.cov_diag + alpha * q.cov_diag)
        mahalanobis = xp.sum(_white_vector(mixed, diff, xp) ** 2, axis=-1)
        half = _half_logdet(mixed, xp)
    else:
        if isinstance(p, LowRankMultivariateNormal):
            columns = math.sqrt(1.0 - alpha) * p.cov_factor
        elif isinstance(q, LowRankMultivariateNormal):
            columns = math.sqrt(alpha) * q.cov_factor
        rest = (1.0 - alpha) * _diagonal_part(p, xp) + alpha * _diagonal_part(q, xp)
        if alpha > 1:
            fine = _positive_definite(rest, xp)
            rest = xp.where(fine[..., None, None], rest, _eye(rest.shape[-1], rest, xp))
        mahalanobis, half = _plus_low_rank(rest, columns, diff, xp)
    gap = half - (1.0 - alpha) * _half_logdet(p, xp) - alpha * _half_logdet(q, xp)
    return mahalanobis, 2.0 * gap / (alpha - 1.0), fine


def _renyi_finite(p: MultivariateGaussian, q: MultivariateGaussian, alpha: float, xp: Any) -> Array:
    """``a/2 diff^T S_a^-1 diff - [log det S_a - (1 - a) log det S_p - a log det S_q] / (2 (a
    - 1))`` for a finite order ``a`` (not 0 or 1), ``inf`` where ``S_a`` is not positive
    definite. With ``S_a = F (I + a B) F^T`` (:func:`_relative`) both parts are second order
    near p = q, and exact as a -> 1; a low-rank law far from the other takes
    :func:`_mixed_log_det` (where its ``fine`` holds, for a > 1)."""
    b, w = _relative(p, q, xp)
    eye = _eye(b.shape[-1], b, xp)
    mixed = eye + alpha * b
    # Where q's covariance is far below p's (B near -I), I + a B and I + B lost it to the
    # rounding of 1 + (-1): both from M = I + B = F^-1 S_q F^-T formed apart, from q's own
    # factor ((1 - a) I + a M for orders below 1, the sum of two positive parts)
    below = xp.any(xp.linalg.diagonal(b) < -0.5, axis=-1)
    whole = None
    if not is_eager(xp) or bool(xp.any(below)):
        white = _white(p, _factor_columns(q, xp), xp)
        relative = white @ xp.matrix_transpose(white)
        if alpha < 1:
            mixed = xp.where(below[..., None, None], (1.0 - alpha) * eye + alpha * relative, mixed)

        def whole() -> Array:
            return xp.linalg.eigvalsh(relative)

    ok = _positive_definite(mixed, xp) if alpha > 1 else xp.ones_like(b[..., 0, 0], dtype=xp.bool)
    structured = _mixed_log_det(p, q, alpha, xp)
    if structured is None or structured[2] is not None:
        lower = _safe_cholesky(mixed, ok, xp)
        mahalanobis = xp.sum(_solve_lower(lower, w[..., None], xp)[..., 0] ** 2, axis=-1)
        log_det = _log_det_gap_over_t(b, alpha, xp, whole=whole)
    if structured is not None:
        factored, far, fine = structured
        factored_log_det = _log_det_gap_over_t(b, alpha, xp, far=far)
        if fine is None:
            mahalanobis, log_det = factored, factored_log_det
        else:  # S_a = rest + a W_q W_q^T is positive definite where the rest is, whatever B says
            mahalanobis = xp.where(fine, factored, mahalanobis)
            log_det = xp.where(fine, factored_log_det, log_det)
            ok = ok | fine
    value = 0.5 * alpha * mahalanobis - 0.5 * log_det
    return xp.where(ok, value, _inf_like(value, xp))


@register("bhattacharyya", MultivariateGaussian, MultivariateGaussian)
def _bhattacharyya_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any) -> Array:
    # D_B = diff^T S^-1 diff / 8 + (log det S - (log det S1 + log det S2) / 2) / 2 with S the
    # mean covariance: half the Renyi divergence of order 1/2.
    return 0.5 * _renyi_finite(p, q, 0.5, xp)


@register("bhattacharyya", DiagonalNormal, DiagonalNormal)
def _bhattacharyya_diagonal_diagonal(p: DiagonalNormal, q: DiagonalNormal, *, xp: Any) -> Array:
    # (s1^2 + s2^2) / (2 s1 s2) = 1 + (s1 - s2)^2 / (2 s1 s2): its log without cancellation.
    s1, s2 = p.scale, q.scale
    var_sum = s1**2 + s2**2
    per_dim = 0.25 * (p.mean - q.mean) ** 2 / var_sum + 0.5 * xp.log1p((s1 - s2) ** 2 / (2.0 * s1 * s2))
    return xp.sum(per_dim, axis=-1)


def _kl_for(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    found = REGISTRIES["kl"].lookup(type(p), type(q))
    kl = found[0] if found is not None else _kl_gaussian_gaussian
    return kl(p, q, xp=xp)


@register("renyi", MultivariateGaussian, MultivariateGaussian)
def _renyi_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any, alpha: float) -> Array:
    """Renyi divergence of Gaussians (Gil 2011), ``inf`` where it diverges.

    With ``S_a = a S2 + (1 - a) S1``: ``a/2 diff^T S_a^-1 diff - log(det S_a / (det S1^(1-a)
    det S2^a)) / (2 (a - 1))``, finite iff ``S_a`` is positive definite (always for a < 1).
    Order ``inf``: ``log det(S2) / 2 - log det(S1) / 2 + diff^T (S2 - S1)^-1 diff / 2`` where
    ``S2 - S1`` is positive definite, 0 where ``p = q``, else ``inf`` (a numerically singular
    ``S2 - S1`` counts as not positive definite).
    """
    if alpha == 1:
        return _kl_for(p, q, xp)
    b, w = _relative(p, q, xp)
    if alpha == 0:  # -log Q(support of P) = 0: both have full support
        return xp.zeros_like(b[..., 0, 0])
    if alpha == math.inf:
        # S2 - S1 = F B F^T: log det(S2 / S1) = sum log1p(e_i) over B's eigenvalues, and
        # diff^T (S2 - S1)^-1 diff = w^T B^-1 w.
        ok = _positive_definite(b, xp)
        log_det = xp.sum(xp.log1p(where0(ok[..., None], xp.linalg.eigvalsh(b), xp)), axis=-1)
        lower = _safe_cholesky(b, ok, xp)
        mahalanobis = xp.sum(_solve_lower(lower, w[..., None], xp)[..., 0] ** 2, axis=-1)
        value = 0.5 * (log_det + mahalanobis)
        same = xp.all(b == 0, axis=(-2, -1)) & xp.all(w == 0, axis=-1)
        return xp.where(ok, value, xp.where(same, xp.zeros_like(value), _inf_like(value, xp)))
    return _renyi_finite(p, q, alpha, xp)


@register("renyi", DiagonalNormal, DiagonalNormal)
def _renyi_diagonal_diagonal(p: DiagonalNormal, q: DiagonalNormal, *, xp: Any, alpha: float) -> Array:
    """The sum over dimensions of the univariate Renyi divergences (see the generic form)."""
    if alpha == 1:
        return _kl_diagonal_diagonal(p, q, xp=xp)
    s1, s2, m1, m2 = xp.broadcast_arrays(p.scale, q.scale, p.mean, q.mean)
    if alpha == 0:
        return xp.zeros_like(s1[..., 0])
    # The univariate forms take the variances' ratio from the exact s2 - s1 (squaring the
    # scales first would round their difference away near p = q) and say inf where it diverges.
    return xp.sum(_normal_renyi(m1, s1, m2, s2, xp, alpha), axis=-1)


# --------------------------------------------------------------------------------------
# Wishart
# --------------------------------------------------------------------------------------


def _spd_gap(v1: Array, v2: Array, xp: Any) -> tuple[Array, Array, Array]:
    """For X = L2^-1 (V1 - V2) L2^-T (L2 the Cholesky factor of V2): ``tr X - log det(I + X)``
    and ``log det(I + X) = log det(V2^-1 V1)``, from the eigenvalues e_i of X, as
    ``-sum log1pmx(e_i)`` and ``sum log1p(e_i)``: no cancellation as V1 -> V2 (the difference
    of the matrices is exact there). Where V1 is far below V2 (e_i below -1/2), ``1 + e_i``
    lost it to the rounding of 1 - 1 (a Wishart KL 1.4e-9 relative off at a ratio of 1e-9,
    NaN at 1e-124): there ``log(1 + e_i)`` from the eigenvalues of ``L2^-1 V1 L2^-T`` itself,
    whose trace is the third value."""
    lower = xp.linalg.cholesky(v2)
    eigen = _symmetric_eigenvalues(_whitened(lower, v1 - v2, xp), xp)
    white = _whitened(lower, v1, xp)  # I + X, formed apart
    low = eigen < -0.5
    log_one_plus = xp.log1p(substitute(~low, eigen, 0.0, xp))
    if not is_eager(xp) or bool(xp.any(low)):
        whole = _symmetric_eigenvalues(white, xp)  # 1 + e_i, in the same order
        tiniest = float(xp.finfo(eigen.dtype).smallest_normal)
        log_one_plus = xp.where(low, xp.log(xp.maximum(whole, tiniest)), log_one_plus)
    gap = xp.where(low, eigen - log_one_plus, -log1pmx(substitute(~low, eigen, 0.0, xp), xp))
    return xp.sum(gap, axis=-1), xp.sum(log_one_plus, axis=-1), xp.sum(xp.linalg.diagonal(white), axis=-1)


def _half_dfs(df: Array, d: int, xp: Any) -> Array:
    """``(df + 1 - i) / 2`` for i = 1..d on a last axis: the arguments of the multivariate
    gamma function Gamma_d(df / 2) = pi^(d(d-1)/4) prod_i Gamma((df + 1 - i) / 2)."""
    steps = xp.arange(d, dtype=df.dtype, device=device(df))
    return 0.5 * (df[..., None] - steps)


@register_kl(Wishart, Wishart)
def _kl_wishart_wishart(p: Wishart, q: Wishart, *, xp: Any) -> Array:
    # KL = log Gamma_d(n2/2) - log Gamma_d(n1/2) + (n1 - n2)/2 psi_d(n1/2)      (the dfs' Bregman part)
    #      + n1/2 (tr X - log det(I + X)) + (n1 - n2)/2 log det(I + X)          (the scales')
    # with X = L2^-1 (V1 - V2) L2^-T: every part exact as q -> p.
    # Where n2 is far below n1 (each Bregman argument's step below -1/2), the dfs' part holds
    # sum_i x_i, of the order of n1, which n1 tr X / 2 cancels where V1 is far below V2 (3e-10
    # relative off at n1 = 5e6): there B(x, d) = y log(y / x) + x - y + R (R the Bregman
    # remainder, _bregman_remainder, terms of the order of log x) and sum_i x_i + n1 tr X / 2 =
    # n1 tr(L2^-1 V1 L2^-T) / 2 - d (d - 1) / 4, no term of the order of n1 left to cancel.
    d = p.dim
    n1, n2 = xp.broadcast_arrays(p.df, q.df)
    a, end = _half_dfs(n1, d, xp), _half_dfs(n2, d, xp)  # (the end itself: a + step lost n2 beside n1)
    step = 0.5 * (n2 - n1)[..., None] + xp.zeros_like(a)
    dfs = xp.sum(lgamma_bregman(a, step, xp, end), axis=-1)
    gap, logdet, trace = _spd_gap(p.scale, q.scale, xp)
    value = dfs + 0.5 * n1 * gap + 0.5 * (n1 - n2) * logdet
    far = xp.all(step < -0.5 * a, axis=-1)
    if is_eager(xp) and not bool(xp.any(far)):
        return value
    wide = far[..., None]
    x, dx, y = substitute(wide, a, 2.0, xp), substitute(wide, step, -1.5, xp), substitute(wide, end, 0.5, xp)
    parts = y * xp.log(y / x) - y + _bregman_remainder(x, dx, y, xp)
    apart = xp.sum(parts, axis=-1) - 0.25 * d * (d - 1) + 0.5 * n1 * trace - 0.5 * n2 * logdet
    return xp.where(far, apart, value)


@register("cross_entropy", Wishart, Wishart)
def _ce_wishart_wishart(p: Wishart, q: Wishart, *, xp: Any) -> Array:
    # H = (d+1)/2 log det V + d(d+1)/2 log 2 + log Gamma_d(n/2) - (n - d - 1)/2 psi_d(n/2) + n d / 2
    d, n = p.dim, p.df
    a = _half_dfs(n, d, xp)
    log_gamma_d = 0.25 * d * (d - 1) * math.log(math.pi) + xp.sum(gammaln(a, xp), axis=-1)
    psi_d = xp.sum(digamma(a, xp), axis=-1)
    logdet_v = 2.0 * _half_logdet_tril(xp.linalg.cholesky(p.scale), xp)
    entropy = (0.5 * (d + 1) * logdet_v + 0.5 * d * (d + 1) * math.log(2.0) + log_gamma_d
               - 0.5 * (n - d - 1) * psi_d + 0.5 * n * d)
    return entropy + _kl_wishart_wishart(p, q, xp=xp)
