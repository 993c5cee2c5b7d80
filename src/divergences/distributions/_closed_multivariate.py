"""Closed forms between multivariate families (Gaussians in every parametrisation, Dirichlet).

Gaussians: the generic forms work on any pair through Cholesky factors and triangular solves;
the pairs that have cheaper structure are registered on their own: ``DiagonalNormal`` pairs
in O(d) without matrices, and ``LowRankMultivariateNormal`` through the capacitance matrix
``I + W^T D^-1 W`` and the matrix determinant lemma (torch's
``_kl_lowrankmultivariatenormal_*``).
"""

from __future__ import annotations

import math
from typing import Any

from .._array_api import device, is_eager
from .._special import (
    digamma,
    expm1mx,
    gammaln,
    lgamma_bregman,
    log1pmx,
    renyi_log_mean,
    substitute,
    where0,
)
from ._closed_univariate import _normal_kl
from ._families import DiagonalNormal, Dirichlet, LowRankMultivariateNormal, MultivariateGaussian, Wishart
from ._registry import REGISTRIES, register, register_kl

Array = Any

_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------
# Linear algebra helpers
# --------------------------------------------------------------------------------------


def _solve_lower(lower: Array, b: Array, xp: Any) -> Array:
    """``lower^-1 b`` for a lower-triangular ``lower`` (a triangular solve where the library has one)."""
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "solve_triangular"):
        return xp.linalg.solve_triangular(lower, b, upper=False)
    return xp.linalg.solve(lower, b)


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
        return _lowrank_half_logdet(p, _capacitance_tril(p, xp), xp)
    return _half_logdet_tril(p.scale_tril(), xp)


def _entropy(p: MultivariateGaussian, xp: Any) -> Array:
    return 0.5 * p.dim * (1.0 + _LOG_2PI) + _half_logdet(p, xp)


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
    lp, lq = p.scale_tril(), q.scale_tril()
    lp, lq = xp.broadcast_arrays(lp, lq)
    diff = _mean_diff(p, q, xp)
    diff, _ = xp.broadcast_arrays(diff, lq[..., 0])
    off = _solve_lower(lq, lp - lq, xp)
    rows = xp.arange(p.dim, device=device(lp))
    below = rows[:, None] > rows[None, :]
    off_diagonal = xp.sum(where0(below, off * off, xp), axis=(-2, -1))
    dp, dq = xp.linalg.diagonal(lp), xp.linalg.diagonal(lq)
    diagonal = xp.sum(expm1mx(2.0 * xp.log1p((dp - dq) / dq), xp), axis=-1)
    # Factors computed here from nearly equal covariances differ by their own rounding (1e-5
    # relative at a 1e-11 change): there the covariance part comes from the exact difference
    # of the covariances instead. With X = Lq^-1 (S_p - S_q) Lq^-T and its eigenvalues e_i,
    # tr - d - log det = sum (e_i - log1p(e_i)), each term second order. (DiagonalNormal
    # pairs, whose factors are exact, have a form of their own.)
    if _certainly_far(off, xp):  # no element takes the eigenvalue form: skip it
        covariance_part = off_diagonal + diagonal
    else:
        eigen = _symmetric_eigenvalues(_whitened(lq, _covariance_difference(p, q, xp), xp), xp)
        near = xp.max(xp.abs(eigen), axis=-1) <= 0.5
        by_eigen = -xp.sum(log1pmx(substitute(near[..., None], eigen, 0.0, xp), xp), axis=-1)
        covariance_part = xp.where(near, by_eigen, off_diagonal + diagonal)
    mahalanobis = xp.sum(_solve_lower(lq, diff[..., None], xp)[..., 0] ** 2, axis=-1)
    return 0.5 * (covariance_part + mahalanobis)


def _certainly_far(off: Array, xp: Any) -> bool:
    """True where the values can be read and every pair is far from equal covariances: with
    ``M = I + off`` (``off = Lq^-1 (Lp - Lq)``), ``X = M M^T - I`` is the whitened difference
    of the covariances, and its largest eigenvalue in magnitude is at least ``|X|_F / sqrt(d)``;
    above 0.55 (0.5 and a margin for rounding) the eigenvalue form is never chosen."""
    if not is_eager(xp) or off.shape[-1] == 0:
        return False
    x = off + xp.matrix_transpose(off) + off @ xp.matrix_transpose(off)
    frobenius_sq = xp.sum(x * x, axis=(-2, -1))
    return bool(xp.all(frobenius_sq > off.shape[-1] * 0.55**2))


def _covariance_difference(p: MultivariateGaussian, q: MultivariateGaussian, xp: Any) -> Array:
    """``cov_p - cov_q`` from the parameters' differences where the structure allows
    (low-rank factors of one rank: dW W_p^T + W_q dW^T + diag(dD)), else as the difference."""
    if isinstance(p, LowRankMultivariateNormal) and isinstance(q, LowRankMultivariateNormal) \
            and p.cov_factor.shape[-1] == q.cov_factor.shape[-1]:
        dw = p.cov_factor - q.cov_factor
        tw = xp.matrix_transpose
        dd = p.cov_diag - q.cov_diag
        return dw @ tw(p.cov_factor) + q.cov_factor @ tw(dw) + dd[..., None] * _eye(p.dim, dd, xp)
    return p.covariance() - q.covariance()


@register_kl(DiagonalNormal, DiagonalNormal)
def _kl_diagonal_diagonal(p: DiagonalNormal, q: DiagonalNormal, *, xp: Any) -> Array:
    # The sum of the univariate forms, each exact as q -> p (log1p log ratio, expm1(x) - x by series).
    return xp.sum(_normal_kl(p.mean, p.scale, q.mean, q.scale, xp), axis=-1)


# Up to this many dimensions a low-rank Gaussian's KL takes the dense form, O(d^3) but second
# order near p = q; beyond, the Woodbury forms below, O(d r^2) and accurate in absolute terms
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


def _whitened(lower: Array, delta: Array, xp: Any) -> Array:
    """``L^-1 D L^-T`` for a Cholesky factor ``L`` and a symmetric difference ``D`` of matrices
    (broadcast alike): the difference relative to ``L L^T`` (exactly 0 where ``D`` is)."""
    lower, delta = xp.broadcast_arrays(lower, delta)
    half = _solve_lower(lower, delta, xp)
    return _solve_lower(lower, xp.matrix_transpose(half), xp)


def _symmetric_eigenvalues(x: Array, xp: Any) -> Array:
    """The eigenvalues of a matrix symmetric up to rounding (symmetrised first)."""
    return xp.linalg.eigvalsh(0.5 * (x + xp.matrix_transpose(x)))


def _relative_gap(p: MultivariateGaussian, s1: Array, s2: Array, xp: Any) -> Array:
    """``B = L1^-1 (S2 - S1) L1^-T`` with ``L1`` p's Cholesky factor (``S1`` p's covariance,
    ``S2`` q's, broadcast alike): q's covariance relative to p's, less the identity
    (symmetric; exactly 0 for equal covariances)."""
    return _whitened(xp.broadcast_to(p.scale_tril(), s1.shape), s2 - s1, xp)


_SERIES_GAP = 0.1  # |alpha| ||B|| below which the log-det gap is a power series (18 terms)


def _log_det_gap(b: Array, alpha: float, ok: Array, xp: Any) -> Array:
    """``log det(I + alpha B) - alpha log det(I + B)`` for symmetric ``B`` (where ``ok``: both
    positive definite). Its first-order terms, alpha tr B, cancel exactly: where ``B`` is small
    it is ``sum_{k >= 2} (-1)^(k+1) (alpha^k - alpha) tr(B^k) / k``, else two Cholesky factors."""
    norm = xp.sqrt(xp.sum(b * b, axis=(-2, -1)))
    small = norm * max(1.0, abs(alpha)) <= _SERIES_GAP
    bs = where0(small[..., None, None], b, xp)
    power, series = bs, xp.zeros_like(norm)
    for k in range(2, 20):
        power = power @ bs
        series = series + ((-1) ** (k + 1) * (alpha**k - alpha) / k) * xp.linalg.trace(power)
    eye = _eye(b.shape[-1], b, xp)
    far = ~small & ok
    bf = where0(far[..., None, None], b, xp)
    direct = 2.0 * (
        _half_logdet_tril(_safe_cholesky(eye + alpha * bf, far, xp), xp)
        - alpha * _half_logdet_tril(_safe_cholesky(eye + bf, far, xp), xp)
    )
    return xp.where(small, series, direct)


def _log_det_gap_over_t(b: Array, alpha: float, ok: Array, xp: Any) -> Array:
    """``[log det(I + alpha B) - alpha log det(I + B)] / (alpha - 1)`` (``alpha != 1``) for
    symmetric ``B`` (where ``ok``), exact as ``alpha -> 1`` too, where it tends to
    ``tr(B (I + B)^-1) - log det(I + B)``. Where ``B`` is small the series of
    :func:`_log_det_gap` with the factor ``alpha - 1`` taken out of its coefficients
    (``alpha^k - alpha = (alpha - 1) alpha h_k``, ``h_k = 1 + alpha + ... + alpha^(k-2)``);
    elsewhere, for ``|alpha - 1| < 1/2``, the sum over the eigenvalues ``lam`` of ``B`` of
    :func:`renyi_log_mean` at ``log1p(lam)``, and two Cholesky factors farther from 1."""
    t = alpha - 1.0
    norm = xp.sqrt(xp.sum(b * b, axis=(-2, -1)))
    small = norm * max(1.0, abs(alpha)) <= _SERIES_GAP
    bs = where0(small[..., None, None], b, xp)
    power, series, h = bs, xp.zeros_like(norm), 1.0
    for k in range(2, 20):
        power = power @ bs
        series = series + ((-1) ** (k + 1) * alpha * h / k) * xp.linalg.trace(power)
        h = h * alpha + 1.0
    far = ~small & ok
    bf = where0(far[..., None, None], b, xp)
    if abs(t) >= 0.5 and alpha >= 0.25:  # I + alpha B would round B away at small alpha
        eye = _eye(b.shape[-1], b, xp)
        direct = 2.0 * (
            _half_logdet_tril(_safe_cholesky(eye + alpha * bf, far, xp), xp)
            - alpha * _half_logdet_tril(_safe_cholesky(eye + bf, far, xp), xp)
        ) / t
    else:
        lam = xp.linalg.eigvalsh(bf)
        lam = where0(lam > -1.0, lam, xp)  # I + B is positive definite: only rounding gets here
        direct = xp.sum(renyi_log_mean(xp.log1p(lam), alpha, xp), axis=-1)
    return xp.where(small, series, direct)


@register("bhattacharyya", MultivariateGaussian, MultivariateGaussian)
def _bhattacharyya_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any) -> Array:
    # D_B = |L^-1 diff|^2 / 8 + (log det S - (log det S1 + log det S2) / 2) / 2 with S the mean
    # covariance, whose log-det part is the gap of B (q's covariance relative to p's) at 1/2.
    s1, s2 = xp.broadcast_arrays(p.covariance(), q.covariance())
    lower = xp.linalg.cholesky(0.5 * (s1 + s2))
    mahalanobis = xp.sum(_solve_lower(lower, _mean_diff(p, q, xp)[..., None], xp)[..., 0] ** 2, axis=-1)
    b = _relative_gap(p, s1, s2, xp)
    return 0.125 * mahalanobis + 0.5 * _log_det_gap(b, 0.5, xp.ones_like(b[..., 0, 0], dtype=xp.bool), xp)


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


def _inf_like(x: Array, xp: Any) -> Array:
    return xp.full_like(x, math.inf)


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
    s1, s2 = p.covariance(), q.covariance()
    s1, s2 = xp.broadcast_arrays(s1, s2)
    diff = _mean_diff(p, q, xp)
    diff = xp.broadcast_arrays(diff, s1[..., 0])[0]
    if alpha == 0:  # -log Q(support of P) = 0: both have full support
        return xp.zeros_like(s1[..., 0, 0])
    if alpha == math.inf:
        gap = s2 - s1
        ok = _positive_definite(gap, xp)
        lower = _safe_cholesky(gap, ok, xp)
        mahalanobis = xp.sum(_solve_lower(lower, diff[..., None], xp)[..., 0] ** 2, axis=-1)
        value = _half_logdet(q, xp) - _half_logdet(p, xp) + 0.5 * mahalanobis
        same = xp.all(gap == 0, axis=(-2, -1)) & xp.all(diff == 0, axis=-1)
        return xp.where(ok, value, xp.where(same, xp.zeros_like(value), _inf_like(value, xp)))
    s_alpha = s1 + alpha * (s2 - s1)
    ok = _positive_definite(s_alpha, xp) if alpha > 1 else xp.ones_like(s_alpha[..., 0, 0], dtype=xp.bool)
    lower = _safe_cholesky(s_alpha, ok, xp)
    mahalanobis = xp.sum(_solve_lower(lower, diff[..., None], xp)[..., 0] ** 2, axis=-1)
    # [log det S_a - (1 - a) log det S1 - a log det S2] / (a - 1), relative to S1: second order
    # near p = q, and exact as a -> 1.
    log_det = _log_det_gap_over_t(_relative_gap(p, s1, s2, xp), alpha, ok, xp)
    value = 0.5 * alpha * mahalanobis - 0.5 * log_det
    return xp.where(ok, value, _inf_like(value, xp))


@register("renyi", DiagonalNormal, DiagonalNormal)
def _renyi_diagonal_diagonal(p: DiagonalNormal, q: DiagonalNormal, *, xp: Any, alpha: float) -> Array:
    """The sum over dimensions of the univariate Renyi divergences (see the generic form)."""
    if alpha == 1:
        return _kl_diagonal_diagonal(p, q, xp=xp)
    v1, v2 = p.scale**2, q.scale**2
    diff = q.mean - p.mean
    v1, v2, diff = xp.broadcast_arrays(v1, v2, diff)
    if alpha == 0:
        return xp.zeros_like(v1[..., 0])
    if alpha == math.inf:
        gap = v2 - v1
        ok = gap > 0
        per_dim = 0.5 * (xp.log(v2) - xp.log(v1)) + 0.5 * diff**2 / substitute(ok, gap, 1.0, xp)
        per_dim = where0(ok, per_dim, xp)
        finite = ok | ((gap == 0) & (diff == 0))
        value = xp.sum(per_dim, axis=-1)
        return xp.where(xp.all(finite, axis=-1), value, _inf_like(value, xp))
    # log(v_a / (v1^(1-a) v2^a)) / (a - 1) with v_a = v1 (1 + a x), x = (v2 - v1) / v1: the
    # renyi_log_mean of v2 / v1 (from the variances, as the generic form), exact near p = q
    # and as a -> 1.
    x = (v2 - v1) / v1
    ok = 1.0 + alpha * x > 0
    v_alpha = substitute(ok, alpha * v2 + (1.0 - alpha) * v1, 1.0, xp)
    per_dim = 0.5 * alpha * diff**2 / v_alpha - 0.5 * renyi_log_mean(xp.log1p(x), alpha, xp)
    value = xp.sum(per_dim, axis=-1)
    return xp.where(xp.all(ok, axis=-1), value, _inf_like(value, xp))


# --------------------------------------------------------------------------------------
# Dirichlet
# --------------------------------------------------------------------------------------


def _log_beta(a: Array, xp: Any) -> Array:
    """``log B(a) = sum log Gamma(a_i) - log Gamma(sum a_i)`` over the last axis."""
    return xp.sum(gammaln(a, xp), axis=-1) - gammaln(xp.sum(a, axis=-1), xp)


def _dirichlet_kl(a: Array, d: Array, xp: Any) -> Array:
    """KL(Dirichlet(a) || Dirichlet(a + d)) over the last axis: the Bregman divergence of
    log B(a) = sum lgamma(a_i) - lgamma(sum a_i), so a sum of lgamma's own, with nothing
    left to cancel near p = q (``d`` is the difference of the parameters, exact there)."""
    total = lgamma_bregman(xp.sum(a, axis=-1), xp.sum(d, axis=-1), xp)
    return xp.sum(lgamma_bregman(a, d, xp), axis=-1) - total


def _dirichlet_via_mixture(a: Array, b: Array, alpha: float, xp: Any) -> Array:
    """``(1 - alpha) D_alpha = alpha KL(m || p) + (1 - alpha) KL(m || q)`` with m the law at
    ``c = alpha a + (1 - alpha) b``, ``inf`` where some ``c_i <= 0``: as for the univariate
    exponential families, the form that keeps the KL's relative accuracy near p = q."""
    d = b - a
    c = a + (1.0 - alpha) * d
    ok = xp.all(c > 0, axis=-1)
    cs, ds = substitute(ok[..., None], c, 1.0, xp), where0(ok[..., None], d, xp)
    value = (alpha * _dirichlet_kl(cs, -(1.0 - alpha) * ds, xp) + (1.0 - alpha) * _dirichlet_kl(cs, alpha * ds, xp))
    return xp.where(ok, value / (1.0 - alpha), _inf_like(value, xp))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any) -> Array:
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    return _dirichlet_kl(a, b - a, xp)


@register("bhattacharyya", Dirichlet, Dirichlet)
def _bhattacharyya_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any) -> Array:
    # -log BC = D_1/2 / 2, from the midpoint law.
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    return 0.5 * _dirichlet_via_mixture(a, b, 0.5, xp)


@register("renyi", Dirichlet, Dirichlet)
def _renyi_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet, *, xp: Any, alpha: float) -> Array:
    """``(log B(c) - t log B(a) - (1 - t) log B(b)) / (t - 1)``, ``c = t a + (1 - t) b``, t = ``alpha``.

    ``inf`` where some ``c_i <= 0`` (possible for ``alpha > 1``). Order ``inf``: the supremum
    of ``p / q = B(b) / B(a) prod x_i^(a_i - b_i)`` over the simplex, ``inf`` unless every
    ``a_i >= b_i``, attained at ``x_i = (a_i - b_i) / sum(a - b)``.
    """
    if alpha == 1:
        return _kl_dirichlet_dirichlet(p, q, xp=xp)
    a, b = xp.broadcast_arrays(p.alpha, q.alpha)
    if alpha == 0:
        return xp.zeros_like(a[..., 0])
    if alpha == math.inf:
        c = a - b
        ok = xp.all(c >= 0, axis=-1)
        total = xp.sum(c, axis=-1, keepdims=True)
        pos = c > 0
        share = substitute(pos, c, 1.0, xp) / substitute(total > 0, total, 1.0, xp)
        peak = xp.sum(where0(pos, c * xp.log(share), xp), axis=-1)
        value = _log_beta(b, xp) - _log_beta(a, xp) + peak
        return xp.where(ok, value, _inf_like(value, xp))
    return _dirichlet_via_mixture(a, b, alpha, xp)


# --------------------------------------------------------------------------------------
# Wishart
# --------------------------------------------------------------------------------------


def _spd_gap(v1: Array, v2: Array, xp: Any) -> tuple[Array, Array]:
    """For X = L2^-1 (V1 - V2) L2^-T (L2 the Cholesky factor of V2): ``tr X - log det(I + X)``
    and ``log det(I + X) = log det(V2^-1 V1)``, from the eigenvalues e_i of X, as
    ``-sum log1pmx(e_i)`` and ``sum log1p(e_i)``: no cancellation as V1 -> V2 (the difference
    of the matrices is exact there)."""
    eigen = _symmetric_eigenvalues(_whitened(xp.linalg.cholesky(v2), v1 - v2, xp), xp)
    return -xp.sum(log1pmx(eigen, xp), axis=-1), xp.sum(xp.log1p(eigen), axis=-1)


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
    d = p.dim
    n1, n2 = xp.broadcast_arrays(p.df, q.df)
    a = _half_dfs(n1, d, xp)
    dfs = xp.sum(lgamma_bregman(a, 0.5 * (n2 - n1)[..., None] + xp.zeros_like(a), xp), axis=-1)
    gap, logdet = _spd_gap(p.scale, q.scale, xp)
    return dfs + 0.5 * n1 * gap + 0.5 * (n1 - n2) * logdet


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
