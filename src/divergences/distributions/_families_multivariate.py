"""The multivariate distribution families: the normal parametrisations, Wishart and Dirichlet.

Split from :mod:`divergences.distributions._families` (which re-exports them) so that each
module stays small; the conventions are the same: frozen dataclasses of parameter arrays,
the density stated in each docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import to_numpy
from .._exceptions import InvalidInputError
from ._base import Distribution, param

__all__ = [
    "DiagonalNormal",
    "Dirichlet",
    "LowRankMultivariateNormal",
    "MultivariateGaussian",
    "MultivariateNormal",
    "Wishart",
]

Array = Any


def _stats() -> Any:
    import scipy.stats

    return scipy.stats


@dataclass(frozen=True, eq=False)
class MultivariateGaussian(Distribution):
    """Base of the multivariate normal parametrisations; closed forms are registered on it.

    Subclasses provide ``mean`` and :meth:`covariance` (and may override :meth:`scale_tril`).
    """

    event_ndim = 1

    def covariance(self) -> Array:
        raise NotImplementedError

    def scale_tril(self) -> Array:
        """The lower Cholesky factor of the covariance, computed once per instance (as torch's)."""
        if "_scale_tril" not in self.__dict__:
            # a NumPy float64 covariance parameter was factored when it was checked
            known = self.__dict__.get("_cholesky_cov")
            object.__setattr__(self, "_scale_tril", known if known is not None else self.xp.linalg.cholesky(self.covariance()))
        return self.__dict__["_scale_tril"]

    @property
    def dim(self) -> int:
        return int(self.mean.shape[-1])  # type: ignore[attr-defined]

    def _check_vector(self, name: str) -> None:
        shape = tuple(getattr(self, name).shape)
        if shape[-1:] != (self.dim,):
            raise InvalidInputError(
                f"{type(self).__name__} {name} has shape {shape}; its last axis must match mean's {self.dim}"
            )

    def _scipy(self, **params: Any) -> Any:
        return _stats().multivariate_normal(params["mean"], self._numpy_cov(**params))

    def _numpy_cov(self, **params: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class MultivariateNormal(MultivariateGaussian):
    """Multivariate normal with mean vector ``mean`` and covariance matrix ``cov``.

    Examples
    --------
    >>> import divergences as dv
    >>> p = dv.MultivariateNormal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    >>> q = dv.MultivariateNormal([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    >>> float(dv.kl(p, q))
    0.5
    """

    mean: Array = param("real", event_ndim=1)
    cov: Array = param("positive_definite", event_ndim=2)

    def _check(self) -> None:
        d = self.dim
        if tuple(self.cov.shape[-2:]) != (d, d):
            raise InvalidInputError(f"MultivariateNormal cov has shape {tuple(self.cov.shape)}; expected (..., {d}, {d})")

    def covariance(self) -> Array:
        return self.cov

    def _numpy_cov(self, **params: Any) -> Any:
        return params["cov"]


@dataclass(frozen=True, eq=False)
class DiagonalNormal(MultivariateGaussian):
    """Independent normals: mean vector ``mean`` and a vector of standard deviations ``scale``."""

    mean: Array = param("real", event_ndim=1)
    scale: Array = param("positive", event_ndim=1)

    def _check(self) -> None:
        self._check_vector("scale")

    def covariance(self) -> Array:
        xp = self.xp
        var = self.scale**2
        eye = xp.eye(self.dim, dtype=var.dtype)
        return var[..., None] * eye

    def scale_tril(self) -> Array:
        xp = self.xp
        return self.scale[..., None] * xp.eye(self.dim, dtype=self.scale.dtype)

    def _numpy_cov(self, **params: Any) -> Any:
        return np.diag(params["scale"] ** 2)


@dataclass(frozen=True, eq=False)
class LowRankMultivariateNormal(MultivariateGaussian):
    """Multivariate normal with covariance ``cov_factor @ cov_factor.T + diag(cov_diag)``.

    ``cov_factor`` has shape ``(..., d, r)`` with a small rank ``r``; ``cov_diag`` ``(..., d)`` > 0.
    """

    mean: Array = param("real", event_ndim=1)
    cov_factor: Array = param("real", event_ndim=2)
    cov_diag: Array = param("positive", event_ndim=1)

    def _check(self) -> None:
        self._check_vector("cov_diag")
        if int(self.cov_factor.shape[-2]) != self.dim:
            raise InvalidInputError(
                f"LowRankMultivariateNormal cov_factor has shape {tuple(self.cov_factor.shape)}; "
                f"expected (..., {self.dim}, rank)"
            )

    def covariance(self) -> Array:
        xp = self.xp
        w = self.cov_factor
        return w @ xp.matrix_transpose(w) + self.cov_diag[..., None] * xp.eye(self.dim, dtype=w.dtype)

    def _numpy_cov(self, **params: Any) -> Any:
        w = params["cov_factor"]
        return w @ w.T + np.diag(params["cov_diag"])


@dataclass(frozen=True, eq=False)
class Wishart(Distribution):
    """Wishart law of d x d positive definite matrices: ``df`` (> d - 1) degrees of freedom, ``scale`` V.

    Examples
    --------
    >>> import divergences as dv
    >>> p = dv.Wishart(5.0, [[1.0, 0.2], [0.2, 2.0]])
    >>> q = dv.Wishart(6.0, [[1.5, 0.0], [0.0, 1.0]])
    >>> round(float(dv.kl(p, q)), 6)
    0.994405
    """

    event_ndim = 2
    df: Array = param("positive")
    scale: Array = param("positive_definite", event_ndim=2)

    def _check(self) -> None:
        d, low = self.dim, float(np.min(to_numpy(self.df)))  # (checks run only where values can be read)
        if low <= d - 1:
            raise InvalidInputError(f"Wishart df must be > d - 1 = {d - 1} for {d} x {d} matrices, got {low:g}")

    dim = property(lambda self: int(self.scale.shape[-1]))
    event_shape = property(lambda self: (self.dim, self.dim))

    def _scipy(self, df: Any, scale: Any) -> Any:
        return _stats().wishart(df, scale)


@dataclass(frozen=True, eq=False)
class Dirichlet(Distribution):
    """Dirichlet distribution on the probability simplex with concentrations ``alpha`` (last axis)."""

    event_ndim = 1
    alpha: Array = param("positive", event_ndim=1)

    def _scipy(self, alpha: Any) -> Any:
        return _stats().dirichlet(alpha)

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        return np.asarray(self.to_scipy().rvs(size=n, random_state=random_state))

    def log_prob(self, x: Any) -> np.ndarray:
        # SciPy's dirichlet.logpdf wants the points on the first axis.
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self.to_scipy().logpdf(np.moveaxis(x, -1, 0)))

