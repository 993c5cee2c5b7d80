"""Closed forms between one-dimensional continuous distributions of the same family.

Every registered (family, measure) pair is compared with an independent reference: the
defining integral computed here with ``scipy.integrate.quad`` over SciPy densities (or a
density written out in this file where SciPy has none), the reference values of
``peers.md`` section 5.1, and 50-digit ``mpmath`` evaluations of textbook formulas where
the two distributions nearly coincide.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

import divergences as dv
from divergences.distributions import REGISTRIES

INF = math.inf
LEVELS = (1e-12, 1e-6, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1 - 1e-6, 1 - 1e-12)


# --------------------------------------------------------------------------------------
# Reference densities and the defining integrals
# --------------------------------------------------------------------------------------


LOG_2PI = math.log(2 * math.pi)


def _exp(v: float) -> float:
    return math.exp(v) if v < 709 else INF


def _log(v: float) -> float:
    return math.log(v) if v > 0 else -INF


@dataclass(frozen=True)
class Ref:
    """A density for the references: log density, support [lo, hi] and points to split at.

    The log densities are written out from the textbook (plain ``math``, fast enough for
    hundreds of adaptive quadratures) and checked against ``scipy.stats`` in
    ``test_reference_densities_match_scipy``; the split points are quantiles from SciPy.
    """

    logpdf: Callable[[float], float]
    lo: float
    hi: float
    cuts: tuple[float, ...]
    scipy: object = None
    # log density at hi - u, for densities unbounded at a finite hi (where x = hi - u
    # rounds to hi long before the integrand is negligible)
    below_hi: Callable[[float], float] | None = None

    def at_hi(self, end: float, u: float) -> float:
        if self.below_hi is not None and end == self.hi:
            return self.below_hi(u) if 0 < u < self.hi - self.lo else -INF
        return self.logpdf(end - u)


def _on(lo: float, hi: float, logpdf: Callable[[float], float]) -> Callable[[float], float]:
    # The open interval: a quadrature node rounded onto an end where the density is
    # unbounded (Beta with b < 1) must not count.
    return lambda x: logpdf(x) if lo < x < hi else -INF


def _ref(frozen: stats.rv_continuous, logpdf: Callable[[float], float]) -> Ref:
    lo, hi = (float(v) for v in frozen.support())
    cuts = tuple(float(v) for v in frozen.ppf(LEVELS) if np.isfinite(v))
    return Ref(_on(lo, hi, logpdf), lo, hi, cuts, frozen)


def _normal(m: float, s: float) -> Ref:
    return _ref(stats.norm(m, s), lambda x: -0.5 * ((x - m) / s) ** 2 - math.log(s) - 0.5 * LOG_2PI)


def _halfnormal(s: float) -> Ref:
    return _ref(stats.halfnorm(scale=s),
                lambda x: math.log(2) - 0.5 * LOG_2PI - math.log(s) - 0.5 * (x / s) ** 2)


def _lognormal(m: float, s: float) -> Ref:
    def logpdf(x: float) -> float:
        if x <= 0:
            return -INF
        return -math.log(x) - math.log(s) - 0.5 * LOG_2PI - 0.5 * ((math.log(x) - m) / s) ** 2

    return _ref(stats.lognorm(s, scale=math.exp(m)), logpdf)


def _laplace(m: float, b: float) -> Ref:
    return _ref(stats.laplace(m, b), lambda x: -abs(x - m) / b - math.log(2 * b))


def _cauchy(m: float, g: float) -> Ref:
    return _ref(stats.cauchy(m, g), lambda x: -math.log(math.pi * g) - math.log1p(((x - m) / g) ** 2))


def _gumbel(m: float, b: float) -> Ref:
    def logpdf(x: float) -> float:
        z = (x - m) / b
        return -math.log(b) - z - _exp(-z)

    return _ref(stats.gumbel_r(m, b), logpdf)


def _moyal(m: float, s: float) -> Ref:
    def logpdf(x: float) -> float:
        z = (x - m) / s
        return -0.5 * (z + _exp(-z)) - 0.5 * LOG_2PI - math.log(s)

    return _ref(stats.moyal(m, s), logpdf)


def _weibull(k: float, lam: float) -> Ref:
    def logpdf(x: float) -> float:
        return math.log(k / lam) + (k - 1) * _log(x / lam) - (x / lam) ** k

    return _ref(stats.weibull_min(k, scale=lam), logpdf)


def _gamma(a: float, b: float) -> Ref:
    return _ref(stats.gamma(a, scale=1 / b),
                lambda x: a * math.log(b) - math.lgamma(a) + (a - 1) * _log(x) - b * x)


def _chi(k: float) -> Ref:
    return _ref(stats.chi(k), lambda x: (k - 1) * _log(x) - 0.5 * x * x - (0.5 * k - 1) * math.log(2)
                - math.lgamma(0.5 * k))


def _beta(a: float, b: float) -> Ref:
    lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    ref = _ref(stats.beta(a, b), lambda x: (a - 1) * _log(x) + (b - 1) * _log(1 - x) - lbeta)
    return replace(ref, below_hi=lambda u: (a - 1) * math.log1p(-u) + (b - 1) * math.log(u) - lbeta)


def _uniform(lo: float, hi: float) -> Ref:
    return _ref(stats.uniform(lo, hi - lo), lambda x: -math.log(hi - lo))


def _pareto(m: float, alpha: float) -> Ref:
    return _ref(stats.pareto(alpha, scale=m), lambda x: math.log(alpha) + alpha * math.log(m)
                - (alpha + 1) * math.log(x))


def _vonmises(loc: float, kappa: float, centre: float) -> Ref:
    # One period centred on p's mean direction (SciPy's density is periodic).
    log_norm = math.log(2 * math.pi * special.i0e(kappa)) + kappa
    lo, hi = centre - math.pi, centre + math.pi
    cuts = tuple(np.linspace(lo, hi, 13)[1:-1])
    return Ref(_on(lo, hi, lambda x: kappa * math.cos(x - loc) - log_norm), lo, hi, cuts,
               stats.vonmises(kappa, loc=loc))


def _continuous_bernoulli(lam: float) -> Ref:
    # Loaiza-Ganem & Cunningham (2019): C(l) l^x (1 - l)^(1 - x), C = 2 atanh(1 - 2l) / (1 - 2l).
    # SciPy has no such distribution: written out here only.
    log_c = math.log(2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam))
    logpdf = _on(0.0, 1.0, lambda x: log_c + x * math.log(lam) + (1 - x) * math.log1p(-lam))
    return Ref(logpdf, 0.0, 1.0, tuple(np.linspace(0, 1, 9)[1:-1]))


# family name -> (constructor of the library object, constructor of the reference density
# from (p's parameters, this distribution's parameters))
FAMILIES: dict[str, tuple[Callable[..., dv.Distribution], Callable[..., Ref]]] = {
    "Normal": (dv.Normal, lambda p, a: _normal(*a)),
    "HalfNormal": (dv.HalfNormal, lambda p, a: _halfnormal(*a)),
    "LogNormal": (dv.LogNormal, lambda p, a: _lognormal(*a)),
    "Laplace": (dv.Laplace, lambda p, a: _laplace(*a)),
    "Cauchy": (dv.Cauchy, lambda p, a: _cauchy(*a)),
    "Gumbel": (dv.Gumbel, lambda p, a: _gumbel(*a)),
    "Moyal": (dv.Moyal, lambda p, a: _moyal(*a)),
    "Weibull": (dv.Weibull, lambda p, a: _weibull(*a)),
    "Exponential": (dv.Exponential, lambda p, a: _gamma(1.0, a[0])),
    "Gamma": (dv.Gamma, lambda p, a: _gamma(*a)),
    "Chi2": (dv.Chi2, lambda p, a: _gamma(0.5 * a[0], 0.5)),
    "Chi": (dv.Chi, lambda p, a: _chi(*a)),
    "Beta": (dv.Beta, lambda p, a: _beta(*a)),
    "Uniform": (dv.Uniform, lambda p, a: _uniform(*a)),
    "Pareto": (dv.Pareto, lambda p, a: _pareto(*a)),
    "VonMises": (dv.VonMises, lambda p, a: _vonmises(a[0], a[1], p[0])),
    "ContinuousBernoulli": (dv.ContinuousBernoulli, lambda p, a: _continuous_bernoulli(a[0])),
}
# The SciPy distributions the families stand for (Exponential and Chi2 are checked as such).
SCIPY = {
    "Exponential": lambda a: stats.expon(scale=1 / a[0]),
    "Chi2": lambda a: stats.chi2(a[0]),
}


# Parameter pairs (p, q) per family, in the order of the library's constructors.
PAIRS: dict[str, list[tuple[tuple[float, ...], tuple[float, ...]]]] = {
    "Normal": [((0.3, 1.2), (-0.5, 0.7)), ((0.0, 1.0), (1.0, 2.0)), ((1.0, 0.5), (1.2, 0.45))],
    "HalfNormal": [((1.0,), (2.5,)), ((1.5,), (0.8,))],
    "LogNormal": [((0.0, 0.5), (0.3, 1.0)), ((0.2, 1.0), (-0.3, 0.8))],
    "Laplace": [((0.0, 1.0), (1.5, 2.0)), ((0.5, 0.7), (0.2, 0.6))],
    "Cauchy": [((0.0, 1.0), (2.0, 0.5)), ((-0.3, 1.5), (0.1, 1.2))],
    "Gumbel": [((0.0, 1.0), (0.5, 2.0)), ((1.0, 1.5), (0.2, 0.8))],
    "Moyal": [((0.3, 1.0), (-0.2, 1.5)), ((0.0, 0.7), (0.5, 0.6))],
    "Weibull": [((1.5, 1.0), (3.0, 2.0)), ((2.0, 1.5), (1.2, 0.9))],
    "Exponential": [((2.0,), (0.5,)), ((0.7,), (1.3,))],
    "Gamma": [((2.5, 1.5), (1.2, 0.6)), ((1.5, 0.8), (3.0, 2.0)), ((3.0, 2.0), (2.0, 1.5))],
    "Chi2": [((3.0,), (5.0,)), ((4.0,), (2.5,))],
    "Chi": [((2.0,), (4.0,)), ((3.0,), (2.2,))],
    "Beta": [((2.0, 3.0), (0.7, 1.5)), ((1.5, 0.8), (2.5, 1.2))],
    "Uniform": [((0.0, 2.0), (-1.0, 3.0)), ((0.0, 2.0), (1.0, 4.0)), ((-1.0, 3.0), (0.0, 2.0)),
                ((0.0, 1.0), (2.0, 3.0))],
    "Pareto": [((2.0, 3.0), (1.0, 1.5)), ((1.0, 1.5), (2.0, 3.0)), ((1.5, 2.0), (1.2, 3.5)),
               ((3.0, 1.0), (1.0, 2.5))],
    "VonMises": [((0.0, 2.0), (1.0, 0.5)), ((-2.5, 1.2), (2.8, 3.0))],
    "ContinuousBernoulli": [((0.3,), (0.8,)), ((0.45,), (0.52,)), ((0.9,), (0.2,))],
}


def _points(P: Ref, Q: Ref) -> list[float]:
    lo, hi = min(P.lo, Q.lo), max(P.hi, Q.hi)
    inner = {P.lo, P.hi, Q.lo, Q.hi, *P.cuts, *Q.cuts}
    finite = sorted(x for x in inner if lo < x < hi)
    # Power-law tails (Cauchy, Pareto) need pieces that grow geometrically away from the
    # centre, out to far beyond the last quantile.
    centre = float(np.median(finite))
    unit = max(1e-3 * (finite[-1] - finite[0]), 1e-300)
    far_hi = finite[-1] - centre if math.isinf(hi) else 0.0
    far_lo = centre - finite[0] if math.isinf(lo) else 0.0
    for sign, far in ((1.0, far_hi), (-1.0, far_lo)):
        if far:
            inner |= {centre + sign * unit * 2.0**k for k in range(1, 200) if unit * 2.0**k < 1e30 * far}
    # Near a finite end the end piece's change of variables does better than cuts at
    # extreme quantiles, where x cannot resolve the distance to the end.
    margin = 1e-4 * (finite[-1] - finite[0])
    return sorted({lo, hi} | {x for x in inner if lo + margin < x < hi - margin})


def _crossings(P: Ref, Q: Ref, points: list[float]) -> list[float]:
    """Where log p = log q (kinks of |p - q|), by bisection between sign changes on a grid."""
    finite = [x for x in points if math.isfinite(x)]
    grid = np.unique(np.concatenate([np.linspace(a, b, 50) for a, b in zip(finite[:-1], finite[1:])]))
    diff = [P.logpdf(x) - Q.logpdf(x) for x in grid]
    out = []
    for a, b, da, db in zip(grid[:-1], grid[1:], diff[:-1], diff[1:]):
        if np.isfinite(da) and np.isfinite(db) and da * db < 0:
            out.append(optimize.brentq(lambda x: P.logpdf(x) - Q.logpdf(x), a, b, xtol=1e-15))
    return out


def _quad(point: Callable[[float, float], float], P: Ref, Q: Ref, points: list[float]) -> float:
    """Integral of ``point(log p(x), log q(x))`` over the pieces between ``points``."""
    total = 0.0
    quad = partial(integrate.quad, epsabs=1e-15, epsrel=1e-13, limit=500)
    with warnings.catch_warnings():
        # A piece that quad cannot resolve makes the comparison fail, never pass.
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for i, (a, b) in enumerate(zip(points[:-1], points[1:])):
            # x = a + exp(-t) (or b - exp(-t)) on the end pieces: an algebraic singularity at a
            # finite end (Beta, Gamma with shape < 1) becomes an exponentially decaying tail.
            if i == 0 and math.isfinite(a):
                def g(t: float, a: float = a) -> float:
                    x = a + math.exp(-t)
                    return point(P.logpdf(x), Q.logpdf(x)) * math.exp(-t)
                total += quad(g, -math.log(b - a), INF)[0]
            elif i == len(points) - 2 and math.isfinite(b):
                def h(t: float, b: float = b) -> float:
                    u = math.exp(-t)
                    return point(P.at_hi(b, u), Q.at_hi(b, u)) * u
                total += quad(h, -math.log(b - a), INF)[0]
            else:
                total += quad(lambda x: point(P.logpdf(x), Q.logpdf(x)), a, b)[0]
    return total


def _diverges(f: Callable[[float], float], P: Ref) -> bool:
    """Whether the integral of ``f`` diverges at an end of P's support.

    The integral is taken in dyadic pieces towards each end; for a convergent integral of
    the power and exponential tails met here the pieces shrink geometrically, for a
    divergent one they stay or grow.
    """
    inner_lo, inner_hi = min(P.cuts), max(P.cuts)
    scale = inner_hi - inner_lo
    for end, inner, sign in ((P.lo, inner_lo, -1.0), (P.hi, inner_hi, 1.0)):
        pieces = []
        for k in range(40):
            if math.isinf(end):
                a, b = inner + sign * scale * (2.0**k - 1), inner + sign * scale * (2.0 ** (k + 1) - 1)
            else:
                a, b = end + (inner - end) * 2.0**-k, end + (inner - end) * 2.0 ** -(k + 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pieces.append(abs(integrate.quad(f, min(a, b), max(a, b), limit=200)[0]))
        if not math.isfinite(pieces[-1]) or (pieces[-1] > 0 and pieces[-1] >= 0.9 * pieces[-6]):
            return True
    return False


def reference(measure: str, P: Ref, Q: Ref, alpha: float | None = None) -> float:
    """The measure from its defining integral (Renyi of order alpha for ``measure="renyi"``)."""
    inside = Q.lo <= P.lo and P.hi <= Q.hi
    if (measure in ("kl", "cross_entropy", "chi2") or (measure == "renyi" and alpha > 1)) and not inside:
        return INF
    pts = _points(P, Q)

    if measure == "kl" or (measure == "renyi" and alpha == 1):
        def point(lp: float, lq: float) -> float:
            p = _exp(lp)
            return 0.0 if p == 0 else p * (lp - lq)
        return _quad(point, P, Q, pts)
    if measure == "cross_entropy":
        def point(lp: float, lq: float) -> float:
            p = _exp(lp)
            return 0.0 if p == 0 else -p * lq
        return _quad(point, P, Q, pts)
    if measure == "total_variation":
        def point(lp: float, lq: float) -> float:
            return 0.5 * abs(_exp(lp) - _exp(lq))
        return _quad(point, P, Q, sorted(set(pts) | set(_crossings(P, Q, pts))))
    if measure == "js":
        def point(lp: float, lq: float) -> float:
            p, q = _exp(lp), _exp(lq)
            lm = float(np.logaddexp(lp, lq)) - math.log(2)
            return 0.5 * ((p * (lp - lm) if p > 0 else 0.0) + (q * (lq - lm) if q > 0 else 0.0))
        return _quad(point, P, Q, pts)
    order = {"bhattacharyya": 0.5, "chi2": 2.0}.get(measure, alpha)

    def point(lp: float, lq: float) -> float:
        if _exp(lp) == 0:
            return 0.0
        return _exp(order * lp + (1 - order) * lq) if order else _exp(lq)

    if order > 1 and _diverges(lambda x: point(P.logpdf(x), Q.logpdf(x)), P):
        return INF
    total = _quad(point, P, Q, pts)
    if measure == "chi2":
        return total - 1.0
    if total <= 0:
        return INF
    value = math.log(total) / (order - 1)
    return 0.5 * value if measure == "bhattacharyya" else value  # Bhattacharyya = D_1/2 / 2


def _objects(family: str, pa: tuple[float, ...], qa: tuple[float, ...]) -> tuple:
    make, ref = FAMILIES[family]
    return make(*pa), make(*qa), ref(pa, pa), ref(pa, qa)


CALL = {
    "kl": dv.kl,
    "cross_entropy": dv.cross_entropy,
    "bhattacharyya": dv.bhattacharyya,
    "total_variation": dv.total_variation,
    "chi2": dv.chi2,
    "js": dv.js,
}


def _closed(measure: str, p: dv.Distribution, q: dv.Distribution, alpha: float | None = None):
    if measure == "renyi":
        return dv.renyi(p, q, alpha, method="closed_form")
    return CALL[measure](p, q, method="closed_form")


# The registrations of this module, per family: KL and cross entropy for all of them.
FIVE = ("kl", "cross_entropy", "bhattacharyya", "renyi", "chi2")
EXPECTED: dict[str, tuple[str, ...]] = {
    "Normal": (*FIVE, "total_variation"),
    "HalfNormal": (*FIVE, "total_variation"),
    "LogNormal": (*FIVE, "total_variation"),
    "Laplace": ("kl", "cross_entropy"),
    "Cauchy": ("kl", "cross_entropy", "chi2"),
    "Gumbel": ("kl", "cross_entropy"),
    "Moyal": ("kl", "cross_entropy"),
    "Weibull": ("kl", "cross_entropy"),
    "Exponential": (*FIVE, "total_variation"),
    "Gamma": FIVE,
    "Chi2": FIVE,
    "Chi": FIVE,
    "Beta": FIVE,
    "Uniform": (*FIVE, "total_variation", "js"),
    "Pareto": FIVE,
    "VonMises": FIVE,
    "ContinuousBernoulli": (*FIVE, "total_variation"),
}
RENYI_ORDERS = (0.0, 0.3, 0.5, 2.0, 3.5)


def _cases() -> list:
    out = []
    for family, measures in EXPECTED.items():
        for i, (pa, qa) in enumerate(PAIRS[family]):
            for measure in measures:
                orders = RENYI_ORDERS if measure == "renyi" else (None,)
                for alpha in orders:
                    label = f"{family}-{i}-{measure}" + ("" if alpha is None else f"-{alpha}")
                    out.append(pytest.param(family, pa, qa, measure, alpha, id=label))
    return out


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_reference_densities_match_scipy(family):
    """The densities written out in this file are SciPy's (ContinuousBernoulli: none there)."""
    if family == "ContinuousBernoulli":
        ref = _continuous_bernoulli(0.3)
        total = integrate.quad(lambda x: _exp(ref.logpdf(x)), 0, 1, epsabs=1e-15, epsrel=1e-13)[0]
        assert total == pytest.approx(1.0, rel=1e-12)
        return
    for pa, qa in PAIRS[family]:
        for a in (pa, qa):
            ref = FAMILIES[family][1](pa, a)
            frozen = SCIPY[family](a) if family in SCIPY else ref.scipy
            xs = np.asarray(ref.cuts)
            ours = np.array([ref.logpdf(x) for x in xs])
            np.testing.assert_allclose(ours, frozen.logpdf(xs), rtol=1e-12, atol=1e-12)


def test_registrations():
    """Each family has exactly the closed forms listed in EXPECTED against itself."""
    names = ("kl", "cross_entropy", "bhattacharyya", "renyi", "chi2", "total_variation", "js")
    for family, measures in EXPECTED.items():
        cls = getattr(dv, family)
        have = {m for m in names if REGISTRIES[m].lookup(cls, cls) is not None}
        assert have == set(measures), family


@pytest.mark.parametrize(("family", "pa", "qa", "measure", "alpha"), _cases())
def test_matches_defining_integral(family, pa, qa, measure, alpha):
    p, q, P, Q = _objects(family, pa, qa)
    value = float(_closed(measure, p, q, alpha))
    expected = reference(measure, P, Q, alpha)
    if math.isinf(expected):
        assert value == INF
    else:
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-11)


# peers.md section 5.1 (each verified there by quadrature to about 1e-15).
PEERS = [
    ("kl", dv.Normal(0.3, 1.2), dv.Normal(-0.5, 0.7), 1.0834524789),
    ("kl", dv.Gamma(2.5, 1.5), dv.Gamma(1.2, 0.6), 0.1435955506),
    ("kl", dv.Beta(2.0, 3.0), dv.Beta(0.7, 1.5), 0.2447108586),
    ("kl", dv.Exponential(2.0), dv.Exponential(0.5), 0.6362943611),
    ("kl", dv.Laplace(0.0, 1.0), dv.Laplace(1.5, 2.0), 0.5547122606),
    ("kl", dv.Gumbel(0.0, 1.0), dv.Gumbel(0.5, 2.0), 0.2924772453),
    ("kl", dv.Cauchy(0.0, 1.0), dv.Cauchy(2.0, 0.5), 1.1394342832),
    ("kl", dv.Weibull(1.5, 1.0), dv.Weibull(3.0, 2.0), 1.2135100260),
    ("kl", dv.Pareto(2.0, 3.0), dv.Pareto(1.0, 1.5), 1.2328679514),
    ("kl", dv.Uniform(0.0, 2.0), dv.Uniform(-1.0, 3.0), math.log(2)),
    ("kl", dv.HalfNormal(1.0), dv.HalfNormal(2.5), 0.4962907319),
    ("kl", dv.LogNormal(0.0, 0.5), dv.LogNormal(0.3, 1.0), 0.3631471806),
    ("kl", dv.Chi2(3.0), dv.Chi2(5.0), 0.3689751341),
    ("kl", dv.Chi(2.0), dv.Chi(4.0), 0.5772156649),
    ("kl", dv.VonMises(0.0, 2.0), dv.VonMises(1.0, 0.5), 0.4446008653),
    ("kl", dv.Moyal(0.3, 1.0), dv.Moyal(-0.2, 1.5), 0.1580735676),
    ("renyi", dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0), 0.3812299903),
    ("hellinger2", dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0), 0.1491945378),
    ("bhattacharyya", dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0), 0.1615717757),
    ("total_variation", dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), 0.3829249225),
    ("chi2", dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), math.e - 1),
]


@pytest.mark.parametrize(("measure", "p", "q", "expected"), PEERS, ids=[f"{m}-{type(p).__name__}" for m, p, _, _ in PEERS])
def test_peers_reference_values(measure, p, q, expected):
    if measure == "renyi":
        value = dv.renyi(p, q, 0.7, method="closed_form")
    elif measure == "hellinger2":
        value = dv.hellinger(p, q, method="closed_form") ** 2
    else:
        value = CALL[measure](p, q, method="closed_form")
    # The values are printed to 10 decimals.
    assert float(value) == pytest.approx(expected, rel=1e-9, abs=6e-11)
