"""Closed forms between multivariate families (Gaussians in every parametrisation, Dirichlet)."""

from __future__ import annotations

from typing import Any

from ._families import MultivariateGaussian
from ._registry import register_kl

Array = Any


def _solve_lower(lower: Array, b: Array, xp: Any) -> Array:
    """``lower^-1 b`` for a lower-triangular ``lower`` (a triangular solve where the library has one)."""
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "solve_triangular"):
        return xp.linalg.solve_triangular(lower, b, upper=False)
    return xp.linalg.solve(lower, b)


@register_kl(MultivariateGaussian, MultivariateGaussian)
def _kl_gaussian_gaussian(p: MultivariateGaussian, q: MultivariateGaussian, *, xp: Any) -> Array:
    # Cholesky factors and triangular solves; squared Frobenius norms as sums of squares keep
    # the gradient finite at p = q (TFP, torch).
    lp, lq = p.scale_tril(), q.scale_tril()
    lp, lq = xp.broadcast_arrays(lp, lq)
    diff = q.mean - p.mean  # type: ignore[attr-defined]
    diff, _ = xp.broadcast_arrays(diff, lq[..., 0])
    half_log_det = xp.sum(xp.log(xp.linalg.diagonal(lq)), axis=-1) - xp.sum(xp.log(xp.linalg.diagonal(lp)), axis=-1)
    trace_term = xp.sum(_solve_lower(lq, lp, xp) ** 2, axis=(-2, -1))
    mahalanobis = xp.sum(_solve_lower(lq, diff[..., None], xp)[..., 0] ** 2, axis=-1)
    return half_log_det + 0.5 * (trace_term + mahalanobis - p.dim)
