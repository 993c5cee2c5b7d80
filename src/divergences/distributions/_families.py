"""The distribution families: parameter containers and their SciPy equivalents.

Each class is a frozen dataclass of parameter arrays (see ``_base``). Parameter names follow
the textbook (and mostly ``torch.distributions``); the docstring of each class states the
density so that nobody has to guess a parametrisation (``rate`` is an inverse scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import is_eager
from .._exceptions import InvalidInputError
from .._special import betaln, digamma, full_like, substitute
from ._base import Distribution, param
from ._families_multivariate import (
    DiagonalNormal,
    Dirichlet,
    LowRankMultivariateNormal,
    MultivariateGaussian,
    MultivariateNormal,
    Wishart,
)
from ._registry import NoClosedForm

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi",
    "Chi2",
    "ContinuousBernoulli",
    "DiagonalNormal",
    "Dirichlet",
    "Exponential",
    "Gamma",
    "InverseGamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LowRankMultivariateNormal",
    "Moyal",
    "MultivariateGaussian",
    "MultivariateNormal",
    "Normal",
    "Pareto",
    "Poisson",
    "StudentT",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
]

Array = Any

_NORMAL_ENTROPY = 0.5 * (1.0 + float(np.log(2.0 * np.pi)))


def _stats() -> Any:
    import scipy.stats

    return scipy.stats


# --------------------------------------------------------------------------------------
# Continuous, on the real line or a part of it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Normal(Distribution):
    """Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    Examples
    --------
    >>> import divergences as dv
    >>> float(dv.kl(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)))
    0.5
    """

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().norm(loc, scale)


@dataclass(frozen=True, eq=False)
class HalfNormal(Distribution):
    """|X| for X ~ Normal(0, ``scale``): density ``2 phi(x / scale) / scale`` on ``x >= 0``."""

    scale: Array = param("positive", default=1.0)

    def _scipy(self, scale: Any) -> Any:
        return _stats().halfnorm(scale=scale)


@dataclass(frozen=True, eq=False)
class HalfCauchy(Distribution):
    """|X| for X ~ Cauchy(0, ``scale``): density ``2 / (pi scale (1 + (x/scale)^2))`` on ``x >= 0``.

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.kl(dv.HalfCauchy(1.0), dv.HalfCauchy(2.0))), 6)
    0.117783
    """

    scale: Array = param("positive", default=1.0)

    def _scipy(self, scale: Any) -> Any:
        return _stats().halfcauchy(scale=scale)


@dataclass(frozen=True, eq=False)
class LogNormal(Distribution):
    """exp(X) for X ~ Normal(``loc``, ``scale``) (the parameters are those of log X)."""

    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().lognorm(s=scale, scale=np.exp(loc))


@dataclass(frozen=True, eq=False)
class Laplace(Distribution):
    """Laplace distribution: density ``exp(-|x - loc| / scale) / (2 scale)``."""

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().laplace(loc, scale)


@dataclass(frozen=True, eq=False)
class Cauchy(Distribution):
    """Cauchy distribution with median ``loc`` and half width at half maximum ``scale``."""

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().cauchy(loc, scale)


@dataclass(frozen=True, eq=False)
class Gumbel(Distribution):
    """Gumbel (maximum) distribution: distribution function ``exp(-exp(-(x - loc) / scale))``."""

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().gumbel_r(loc, scale)


@dataclass(frozen=True, eq=False)
class Logistic(Distribution):
    """Logistic distribution: distribution function ``1 / (1 + exp(-(x - loc) / scale))``."""

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().logistic(loc, scale)

    def _entropy(self, xp: Any) -> Array:
        return xp.log(self.scale) + 2.0


@dataclass(frozen=True, eq=False)
class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, shifted and scaled."""

    location_scale = True
    df: Array = param("positive")
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, df: Any, loc: Any, scale: Any) -> Any:
        return _stats().t(df, loc, scale)

    def _entropy(self, xp: Any) -> Array:
        # (df + 1)/2 [psi((df + 1)/2) - psi(df/2)] + log(sqrt(df) B(df/2, 1/2)); from df = 100
        # on the digamma difference loses digits and the series in 1/df (SciPy's) takes over.
        df = self.df
        large = df >= 100.0
        dr = substitute(~large, df, 1.0, xp)
        regular = (
            0.5 * (dr + 1.0) * (digamma(0.5 * (dr + 1.0), xp) - digamma(0.5 * dr, xp))
            + 0.5 * xp.log(dr) + betaln(0.5 * dr, full_like(dr, 0.5, xp), xp)
        )
        u = 1.0 / substitute(large, df, 100.0, xp)
        series = _NORMAL_ENTROPY + u * (1.0 + u * (0.25 + u * (-1 / 6 + u * (-0.125 + u * (0.3 + u * 0.25)))))
        return xp.where(large, series, regular) + xp.log(self.scale)


@dataclass(frozen=True, eq=False)
class Moyal(Distribution):
    """Moyal distribution: density ``exp(-(z + exp(-z)) / 2) / (scale sqrt(2 pi))``, ``z = (x - loc) / scale``."""

    location_scale = True
    loc: Array = param("real", default=0.0)
    scale: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, scale: Any) -> Any:
        return _stats().moyal(loc, scale)


@dataclass(frozen=True, eq=False)
class Exponential(Distribution):
    """Exponential distribution: density ``rate exp(-rate x)`` on ``x >= 0``."""

    rate: Array = param("positive", default=1.0)

    def _scipy(self, rate: Any) -> Any:
        return _stats().expon(scale=1.0 / rate)


@dataclass(frozen=True, eq=False)
class Gamma(Distribution):
    """Gamma distribution: density ``rate^shape x^(shape-1) exp(-rate x) / Gamma(shape)``."""

    shape: Array = param("positive")
    rate: Array = param("positive", default=1.0)

    def _scipy(self, shape: Any, rate: Any) -> Any:
        return _stats().gamma(shape, scale=1.0 / rate)


@dataclass(frozen=True, eq=False)
class InverseGamma(Distribution):
    """1/X for X ~ Gamma(``shape``, ``rate``): density ``rate^shape x^(-shape-1) exp(-rate/x) / Gamma(shape)``.

    Every f-divergence (KL, Renyi, ...) between two of them is the one between the Gammas, a
    bijection apart; entropies and cross entropies differ.

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.kl(dv.InverseGamma(2.0, 1.0), dv.InverseGamma(3.0, 2.0))), 6)
    0.190921
    """

    shape: Array = param("positive")
    rate: Array = param("positive", default=1.0)

    def _scipy(self, shape: Any, rate: Any) -> Any:
        return _stats().invgamma(shape, scale=rate)


@dataclass(frozen=True, eq=False)
class Chi2(Distribution):
    """Chi-square distribution with ``df`` degrees of freedom (a Gamma(df/2, rate 1/2))."""

    df: Array = param("positive")

    def _scipy(self, df: Any) -> Any:
        return _stats().chi2(df)


@dataclass(frozen=True, eq=False)
class Chi(Distribution):
    """Chi distribution: the square root of a Chi2(``df``) variable."""

    df: Array = param("positive")

    def _scipy(self, df: Any) -> Any:
        return _stats().chi(df)


@dataclass(frozen=True, eq=False)
class Weibull(Distribution):
    """Weibull distribution: distribution function ``1 - exp(-(x / scale)^shape)`` on ``x >= 0``."""

    shape: Array = param("positive")
    scale: Array = param("positive", default=1.0)

    def _scipy(self, shape: Any, scale: Any) -> Any:
        return _stats().weibull_min(shape, scale=scale)


@dataclass(frozen=True, eq=False)
class Pareto(Distribution):
    """Pareto distribution: density ``alpha scale^alpha / x^(alpha+1)`` on ``x >= scale``."""

    scale: Array = param("positive")
    alpha: Array = param("positive")

    def _scipy(self, scale: Any, alpha: Any) -> Any:
        return _stats().pareto(alpha, scale=scale)


@dataclass(frozen=True, eq=False)
class Beta(Distribution):
    """Beta distribution: density ``x^(a-1) (1-x)^(b-1) / B(a, b)`` on ``[0, 1]``."""

    a: Array = param("positive")
    b: Array = param("positive")

    def _scipy(self, a: Any, b: Any) -> Any:
        return _stats().beta(a, b)


@dataclass(frozen=True, eq=False)
class Uniform(Distribution):
    """Continuous uniform distribution on ``[low, high]``."""

    low: Array = param("real", default=0.0)
    high: Array = param("real", default=1.0)

    def _check(self) -> None:
        from .._array_api import to_numpy

        if np.any(to_numpy(self.low) >= to_numpy(self.high)):
            raise InvalidInputError("Uniform low must be below high")

    def _scipy(self, low: Any, high: Any) -> Any:
        return _stats().uniform(low, high - low)


@dataclass(frozen=True, eq=False)
class VonMises(Distribution):
    """Von Mises distribution on the circle: density ``exp(k cos(x - loc)) / (2 pi I0(k))``, ``k = concentration``."""

    circular = True
    loc: Array = param("real", default=0.0)
    concentration: Array = param("positive", default=1.0)

    def _scipy(self, loc: Any, concentration: Any) -> Any:
        return _stats().vonmises(concentration, loc=loc)


def _continuous_bernoulli() -> Any:
    """SciPy has no continuous Bernoulli; a small ``rv_continuous`` subclass supplies it."""
    stats = _stats()

    class _CB(stats.rv_continuous):  # type: ignore[misc, name-defined]
        def _logpdf(self, x: Any, lam: Any) -> Any:
            return np.log(lam) * x + np.log1p(-lam) * (1 - x) + _cb_log_norm(lam)

        def _pdf(self, x: Any, lam: Any) -> Any:
            return np.exp(self._logpdf(x, lam))

        def _argcheck(self, lam: Any) -> Any:
            return (lam > 0) & (lam < 1)

    return _CB(a=0.0, b=1.0, name="continuous_bernoulli")


def _cb_log_norm(lam: Any) -> Any:
    """log C(lam) of the continuous Bernoulli, C = 2 atanh(1 - 2 lam) / (1 - 2 lam) (2 at lam = 1/2)."""
    lam = np.asarray(lam, dtype=np.float64)
    u = 1 - 2 * lam
    near = np.abs(u) < 1e-4
    safe = np.where(near, 0.5, u)
    exact = np.log(2 * np.arctanh(safe) / safe)
    return np.where(near, np.log(2.0) + u**2 / 3, exact)


@dataclass(frozen=True, eq=False)
class ContinuousBernoulli(Distribution):
    """Continuous Bernoulli (Loaiza-Ganem & Cunningham 2019): density ``C(p) p^x (1-p)^(1-x)`` on ``[0, 1]``."""

    probs: Array = param("open_probability")

    def _scipy(self, probs: Any) -> Any:
        return _continuous_bernoulli()(probs)


# --------------------------------------------------------------------------------------
# Discrete
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Bernoulli(Distribution):
    """Bernoulli distribution: 1 with probability ``probs``, else 0."""

    discrete = True
    probs: Array = param("probability")

    def _scipy(self, probs: Any) -> Any:
        return _stats().bernoulli(probs)


@dataclass(frozen=True, eq=False)
class Binomial(Distribution):
    """Number of successes in ``total_count`` independent trials of probability ``probs``."""

    discrete = True
    total_count: Array = param("count")
    probs: Array = param("probability")

    def _scipy(self, total_count: Any, probs: Any) -> Any:
        return _stats().binom(total_count, probs)


@dataclass(frozen=True, eq=False)
class Geometric(Distribution):
    """Number of failures before the first success (support 0, 1, 2, ...), success probability ``probs``.

    SciPy's ``geom`` counts trials instead (support 1, 2, ...): ``geom(p, loc=-1)`` is this one.
    """

    discrete = True
    probs: Array = param("probability")

    def _check(self) -> None:
        from .._array_api import to_numpy

        if np.any(to_numpy(self.probs) <= 0):
            raise InvalidInputError("Geometric probs must be > 0")

    def _scipy(self, probs: Any) -> Any:
        return _stats().geom(probs, loc=-1)


@dataclass(frozen=True, eq=False)
class Poisson(Distribution):
    """Poisson distribution with mean ``rate``.

    Its entropy has a closed form from rate 1e4 on (the asymptotic series below); for
    smaller rates the numerical route sums it.

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.entropy(dv.Poisson(1e6))), 12)
    8.326693728853
    """

    discrete = True
    rate: Array = param("positive")

    def _scipy(self, rate: Any) -> Any:
        return _stats().poisson(rate)

    def _entropy(self, xp: Any) -> Array:
        # log(2 pi e lam) / 2 - 1/(12 lam) - 1/(24 lam^2) - 19/(360 lam^3) - 9/(80 lam^4) (Evans
        # and Boersma; the last term checked against mpmath's sums): from lam = 1e4 the next
        # one is below 1e-20 of the value. Below, the numerical route sums (it stops at 1e7
        # terms: Poisson(1e9) had no entropy, and its sums lose SciPy's log-pmf rounding).
        rate = self.rate
        if not is_eager(xp) or bool(xp.any(rate < _POISSON_SERIES_FROM)):
            raise NoClosedForm(f"entropy(Poisson): the series holds from rate {_POISSON_SERIES_FROM:g}")
        u = 1.0 / rate
        return 0.5 * (xp.log(rate) + _LOG_2PI_E) - u * (1.0 / 12.0 + u * (1.0 / 24.0 + u * (19.0 / 360.0 + u * (9.0 / 80.0))))


_POISSON_SERIES_FROM = 1e4
_LOG_2PI_E = math.log(2.0 * math.pi * math.e)


@dataclass(frozen=True, eq=False)
class Categorical(Distribution):
    """Distribution on ``0, ..., K-1`` given by the probability vector ``probs`` (last axis)."""

    discrete = True
    probs: Array = param("simplex", event_ndim=1)

    def log_probs(self) -> Array:
        """``log(probs)`` (``-inf`` where a probability is 0), kept by the instance (as torch's
        ``logits``); on torch recomputed when ``probs`` was changed in place, and never kept
        for a tensor that requires a gradient (each call then differentiates its own)."""
        probs = self.probs
        if isinstance(probs, np.ndarray):
            if "_log_probs" not in self.__dict__:
                with np.errstate(divide="ignore"):
                    object.__setattr__(self, "_log_probs", np.log(probs))
                object.__setattr__(self, "_log_probs_finite", bool(probs.size) and bool(probs.min() > 0))
            return self.__dict__["_log_probs"]
        version = getattr(probs, "_version", None)
        if version is None or getattr(probs, "requires_grad", False):
            return self.xp.log(probs)
        kept = self.__dict__.get("_log_probs")
        if kept is None or kept[0] != version:
            kept = (version, self.xp.log(probs))
            object.__setattr__(self, "_log_probs", kept)
        return kept[1]

    def _scipy(self, probs: Any) -> Any:
        return _stats().rv_discrete(values=(np.arange(probs.shape[-1]), probs))
