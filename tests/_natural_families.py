"""Exponential families written as a user of ``dv.ExponentialFamily`` would, for the tests.

Natural parameters, log-normaliser and mean parameters of the normal, Gamma, Dirichlet and
Poisson laws; the ``Exact*`` ones also give the curvature of the log-normaliser and the
natural differences formed from the parameters' differences (the generic forms are exact as
``q -> p`` with them), ``PlainNormal`` gives neither (the plain Bregman formula).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import scipy.stats as st

import divergences as dv
from divergences._special import digamma, gammaln, log_ratio, polygamma

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True, eq=False)
class PlainNormal(dv.ExponentialFamily):
    """The normal law through its natural parameters only: T(x) = (x, x^2)."""

    loc: Any = dv.param("real")
    scale: Any = dv.param("positive")

    def natural_parameters(self):
        return (self.loc / self.scale**2, -0.5 / self.scale**2)

    def log_normalizer(self, eta):
        e1, e2 = eta
        return -(e1**2) / (4.0 * e2) - 0.5 * self.xp.log(-2.0 * e2)

    def log_normalizer_gradient(self, eta):
        e1, e2 = eta
        v = -0.5 / e2
        m = e1 * v
        return (m, m**2 + v)

    def mean_carrier_measure(self):
        return self.xp.zeros_like(self.loc + self.scale) - _HALF_LOG_2PI

    def _scipy(self, loc, scale):
        return st.norm(loc, scale)


@dataclass(frozen=True, eq=False)
class ExactNormal(PlainNormal):
    """... with the curvature and the natural differences from the parameters' differences."""

    def natural_difference(self, other):
        m1, s1, m2, s2 = self.loc, self.scale, other.loc, other.scale
        gap = (s2 - s1) * (s2 + s1)  # v2 - v1
        return ((m2 - m1) / s2**2 - m1 * gap / (s1**2 * s2**2), gap / (2.0 * s1**2 * s2**2))

    def log_normalizer_curvature(self, eta, direction):
        # Var(d1 X + d2 X^2) = v (d1 + 2 m d2)^2 + 2 v^2 d2^2 under N(m, v).
        (e1, e2), (d1, d2) = eta, direction
        v = -0.5 / e2
        m = e1 * v
        return v * (d1 + 2.0 * m * d2) ** 2 + 2.0 * (v * d2) ** 2


@dataclass(frozen=True, eq=False)
class ExactGamma(dv.ExponentialFamily):
    """Shape a, rate b: T(x) = (log x, x), eta = (a - 1, -b), A = lgamma(a) - a log b."""

    shape: Any = dv.param("positive")
    rate: Any = dv.param("positive")

    def natural_parameters(self):
        return (self.shape - 1.0, -self.rate)

    def log_normalizer(self, eta):
        a, b = eta[0] + 1.0, -eta[1]
        return gammaln(a, self.xp) - a * self.xp.log(b)

    def log_normalizer_gradient(self, eta):
        a, b = eta[0] + 1.0, -eta[1]
        return (digamma(a, self.xp) - self.xp.log(b), a / b)

    def mean_carrier_measure(self):
        return self.xp.zeros_like(self.shape + self.rate)

    def natural_difference(self, other):
        return (other.shape - self.shape, self.rate - other.rate)

    def log_normalizer_curvature(self, eta, direction):
        # psi'(a) d1^2 + 2 d1 d2 / b + a d2^2 / b^2 = a (d2 / b + d1 / a)^2 + (psi'(a) - 1/a) d1^2
        a, b = eta[0] + 1.0, -eta[1]
        d1, d2 = direction
        return a * (d2 / b + d1 / a) ** 2 + (polygamma(1, a, self.xp) - 1.0 / a) * d1**2


@dataclass(frozen=True, eq=False)
class ExactDirichlet(dv.ExponentialFamily):
    """Concentrations alpha: T(x) = log x (a vector), eta = alpha - 1."""

    event_ndim = 1
    natural_event_ndims: ClassVar[tuple[int, ...]] = (1,)
    alpha: Any = dv.param("positive", event_ndim=1)

    def natural_parameters(self):
        return (self.alpha - 1.0,)

    def log_normalizer(self, eta):
        a, xp = eta[0] + 1.0, self.xp
        return xp.sum(gammaln(a, xp), axis=-1) - gammaln(xp.sum(a, axis=-1), xp)

    def log_normalizer_gradient(self, eta):
        a, xp = eta[0] + 1.0, self.xp
        return (digamma(a, xp) - digamma(xp.sum(a, axis=-1), xp)[..., None],)

    def natural_difference(self, other):
        return (other.alpha - self.alpha,)

    def log_normalizer_curvature(self, eta, direction):
        a, d, xp = eta[0] + 1.0, direction[0], self.xp
        total = xp.sum(d, axis=-1)
        return xp.sum(polygamma(1, a, xp) * d**2, axis=-1) - polygamma(1, xp.sum(a, axis=-1), xp) * total**2


@dataclass(frozen=True, eq=False)
class ExactPoisson(dv.ExponentialFamily):
    """Rate l: T(k) = k, eta = log l, A = exp(eta) (no mean carrier measure: E log k! has no closed form)."""

    discrete = True
    rate: Any = dv.param("positive")

    def natural_parameters(self):
        return self.xp.log(self.rate)  # a single array is one component

    def log_normalizer(self, eta):
        return self.xp.exp(eta[0])

    def log_normalizer_gradient(self, eta):
        return (self.xp.exp(eta[0]),)

    def natural_difference(self, other):
        return (log_ratio(other.rate, self.rate, self.xp),)

    def log_normalizer_curvature(self, eta, direction):
        return self.xp.exp(eta[0]) * direction[0] ** 2

    def _scipy(self, rate):
        return st.poisson(rate)
