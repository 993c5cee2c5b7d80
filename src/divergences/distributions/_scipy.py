"""SciPy frozen distributions as arguments: the library's own container where the family is
known (so closed forms apply), a thin wrapper for numerical routes otherwise.

``scipy.stats`` is never imported here: an object can only be a SciPy frozen distribution if
the user has imported ``scipy.stats`` already, so ``sys.modules`` answers the question.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from . import _families as fam
from ._base import Distribution
from ._registry import is_registered_instance

__all__ = ["ScipyDistribution", "as_distribution", "is_distribution"]


_SCIPY_TYPES: tuple[tuple[type, ...], tuple[type, ...]] | None = None


def _scipy_types() -> tuple[tuple[type, ...], tuple[type, ...]] | None:
    """SciPy's (frozen distributions, unfrozen families) once ``scipy.stats`` is imported."""
    global _SCIPY_TYPES
    if _SCIPY_TYPES is None and "scipy.stats" in sys.modules:
        from scipy.stats import _distn_infrastructure as infra
        from scipy.stats import _multivariate as multi

        _SCIPY_TYPES = ((infra.rv_frozen, multi.multi_rv_frozen), (infra.rv_generic, multi.multi_rv_generic))
    return _SCIPY_TYPES


def _is_scipy_frozen(x: object) -> bool:
    types = _scipy_types()
    return types is not None and isinstance(x, types[0])


def _scipy_family(x: object) -> str | None:
    """The name of an unfrozen SciPy distribution family (``scipy.stats.norm`` itself), else None."""
    types = _scipy_types()
    if types is None or not isinstance(x, types[1]):
        return None
    return str(getattr(x, "name", None) or type(x).__name__.removesuffix("_gen"))


def is_distribution(x: object) -> bool:
    """True for the library's distribution objects, SciPy frozen distributions (and SciPy's
    unfrozen families, which ``as_distribution`` refuses with a message) and instances of a
    class of one's own with registered closed forms."""
    if isinstance(x, Distribution):
        return True
    types = _scipy_types()
    return (types is not None and isinstance(x, types[0] + types[1])) or is_registered_instance(x)


@dataclass(frozen=True, eq=False)
class ScipyDistribution(Distribution):
    """Any frozen SciPy distribution without a counterpart here: numerical routes only."""

    frozen: Any = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_xp", np)
        object.__setattr__(self, "_batch_shape", ())

    @property
    def discrete(self) -> bool:  # type: ignore[override]
        from scipy.stats import rv_discrete

        return isinstance(getattr(self.frozen, "dist", None), rv_discrete)

    @property
    def event_ndim(self) -> int:  # type: ignore[override]
        return 0 if hasattr(self.frozen, "dist") and hasattr(self.frozen.dist, "ppf") else 1

    @property
    def dtype(self) -> Any:
        return np.dtype(np.float64)

    @property
    def event_shape(self) -> tuple[int, ...] | None:
        if self.event_ndim == 0:
            return ()
        for attribute in ("mean", "loc", "alpha"):  # multivariate_normal, multivariate_t, dirichlet
            value = getattr(self.frozen, attribute, None)
            if value is not None and not callable(value):
                return tuple(np.shape(value)[-1:])
        return None

    def params(self) -> dict[str, Any]:
        return {}

    def numpy_items(self, only: np.ndarray | None = None) -> list[Distribution]:
        return [self] if only is None or bool(only[()]) else []

    def broadcast_to(self, batch_shape: tuple[int, ...]) -> Distribution:
        if tuple(batch_shape):
            raise InvalidInputError("a SciPy distribution cannot be paired with a batch of distributions")
        return self

    def to_scipy(self) -> Any:
        return self.frozen

    def __repr__(self) -> str:
        name = getattr(getattr(self.frozen, "dist", None), "name", type(self.frozen).__name__)
        return f"ScipyDistribution({name})"


def _standard(loc: float, scale: float, *, loc0: float = 0.0) -> bool:
    return bool(np.all(np.asarray(loc) == loc0) and np.all(np.asarray(scale) == 1.0))


# name -> function of (shape parameters, loc, scale) giving a container, or None when the
# frozen object's loc/scale fall outside the family (then the generic wrapper is used).
_CONTINUOUS: dict[str, Callable[..., Distribution | None]] = {
    "norm": lambda loc, scale: fam.Normal(loc, scale),
    "halfnorm": lambda loc, scale: fam.HalfNormal(scale) if np.all(loc == 0) else None,
    "halfcauchy": lambda loc, scale: fam.HalfCauchy(scale) if np.all(loc == 0) else None,
    "lognorm": lambda s, loc, scale: fam.LogNormal(np.log(scale), s) if np.all(loc == 0) else None,
    "laplace": lambda loc, scale: fam.Laplace(loc, scale),
    "cauchy": lambda loc, scale: fam.Cauchy(loc, scale),
    "gumbel_r": lambda loc, scale: fam.Gumbel(loc, scale),
    "logistic": lambda loc, scale: fam.Logistic(loc, scale),
    "t": lambda df, loc, scale: fam.StudentT(df, loc, scale),
    "moyal": lambda loc, scale: fam.Moyal(loc, scale),
    "expon": lambda loc, scale: fam.Exponential(1.0 / np.asarray(scale)) if np.all(loc == 0) else None,
    "gamma": lambda a, loc, scale: fam.Gamma(a, 1.0 / np.asarray(scale)) if np.all(loc == 0) else None,
    "invgamma": lambda a, loc, scale: fam.InverseGamma(a, scale) if np.all(loc == 0) else None,
    "chi2": lambda df, loc, scale: fam.Chi2(df) if _standard(loc, scale) else None,
    "chi": lambda df, loc, scale: fam.Chi(df) if _standard(loc, scale) else None,
    "weibull_min": lambda c, loc, scale: fam.Weibull(c, scale) if np.all(loc == 0) else None,
    "pareto": lambda b, loc, scale: fam.Pareto(scale, b) if np.all(loc == 0) else None,
    "beta": lambda a, b, loc, scale: fam.Beta(a, b) if _standard(loc, scale) else None,
    "uniform": lambda loc, scale: fam.Uniform(loc, np.asarray(loc) + scale),
    "vonmises": lambda kappa, loc, scale: fam.VonMises(loc, kappa) if np.all(scale == 1) else None,
}
_DISCRETE: dict[str, Callable[..., Distribution | None]] = {
    "bernoulli": lambda p, loc: fam.Bernoulli(p) if np.all(loc == 0) else None,
    "binom": lambda n, p, loc: fam.Binomial(n, p) if np.all(loc == 0) else None,
    "poisson": lambda mu, loc: fam.Poisson(mu) if np.all(loc == 0) else None,
    "geom": lambda p, loc: fam.Geometric(p) if np.all(loc == -1) else None,
}


def _from_scipy(frozen: Any) -> Distribution:
    from scipy.stats import _multivariate as multi

    if isinstance(frozen, multi.multivariate_normal_frozen):
        return fam.MultivariateNormal(frozen.mean, frozen.cov)
    if isinstance(frozen, multi.dirichlet_frozen):
        return fam.Dirichlet(frozen.alpha)
    if isinstance(frozen, multi.wishart_frozen):
        return fam.Wishart(float(frozen.df), frozen.scale)
    dist = getattr(frozen, "dist", None)
    name = getattr(dist, "name", None)
    discrete = not hasattr(dist, "_pdf")
    make = (_DISCRETE if discrete else _CONTINUOUS).get(name) if name is not None else None
    if make is not None and dist is not None:
        shapes, loc, scale = dist._parse_args(*frozen.args, **frozen.kwds)
        converted = make(*shapes, loc) if discrete else make(*shapes, loc, scale)
        if converted is not None:
            return converted
    return ScipyDistribution(frozen)


def as_distribution(x: object, name: str) -> Distribution:
    """``x`` as a :class:`Distribution`; SciPy frozen distributions are converted."""
    if isinstance(x, Distribution):
        return x
    if _is_scipy_frozen(x):
        return _from_scipy(x)
    family = _scipy_family(x)
    if family is not None:
        raise InvalidInputError(
            f"{name} is scipy.stats.{family}, a family of distributions, not one distribution: freeze it "
            "with its parameters first (e.g. scipy.stats.norm(0, 1), not scipy.stats.norm)"
        )
    if is_registered_instance(x):
        raise InvalidInputError(
            f"{name} is a {type(x).__name__}, a class with registered closed forms but not a "
            "divergences.Distribution: it can be used only with its registered closed forms (dv.kl and "
            "friends); this route needs log_prob and sample (subclass divergences.Distribution for them)"
        )
    raise InvalidInputError(
        f"{name} is a {type(x).__name__}, not a distribution object; compare a distribution with "
        "another distribution (dv.Normal(...), scipy.stats.norm(...)), or samples with "
        "dv.estimate.kl(samples, distribution)"
    )
