"""Renyi divergence of order alpha -> 1: no cancellation on either side of KL.

``log(sum p^a q^(1-a)) / (a - 1)`` is a ratio of two small numbers as ``a -> 1``; written
literally it loses ``-log10 |a - 1|`` digits (relative error 5e-2 at ``1 + 1e-15``). Every
route must stay within 1e-12 (relative) of a 60-digit mpmath reference for every order,
``1 +- 10^-k`` for k = 1..15 included: the array kernel on every installed backend, the NumPy
engine path (long rows, several blocks), and every registered Renyi closed form, with the
family's own defining sum, integral or log-normaliser evaluated in mpmath.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from _natural_families import ExactNormal
from conftest import to_numpy
from divergences.distributions import REGISTRIES
from test_renyi_laplace import reference as laplace_renyi

DIGITS = 60  # the references cancel -log10|a - 1| digits (at most 15): 45 remain
RTOL = 1e-12
NEAR_ONE = [1.0 + s * 10.0**-k for k in range(1, 16) for s in (1.0, -1.0)]
ALPHAS = [*NEAR_ONE, 0.5, 2.0, 10.0, 1e-8, 1e-3, 0.1, 0.9, 1.5, 100.0]
INF = math.inf


def _close(got: float, exact: mp.mpf, rtol: float = RTOL) -> None:
    if exact == mp.inf:
        assert got == INF, (got, exact)
        return
    assert math.isfinite(got), (got, exact)
    err = abs(mp.mpf(got) - exact) / abs(exact) if exact != 0 else abs(mp.mpf(got))
    assert err <= rtol, f"{got!r} vs {mp.nstr(exact, 20)}: relative error {float(err):.3g}"


def _a(alpha: float) -> mp.mpf:
    return mp.mpf(float(alpha))  # the float order itself, exactly


# --------------------------------------------------------------------------------------
# Arrays: the kernel on every backend and the NumPy engine
# --------------------------------------------------------------------------------------


@mp.workdps(DIGITS)
def reference(p, q, alpha: float) -> mp.mpf:
    """``log(sum p^a q^(1-a)) / (a - 1)`` on the exact floats (which sum to 1 exactly here)."""
    a = _a(alpha)
    pm = [mp.mpf(float(x)) for x in np.ravel(p)]
    qm = [mp.mpf(float(x)) for x in np.ravel(q)]
    if alpha == 1:
        return mp.fsum(x * mp.log(x / y) for x, y in zip(pm, qm) if x > 0)
    if alpha > 1 and any(x > 0 and y == 0 for x, y in zip(pm, qm)):
        return mp.inf
    s = mp.fsum(x**a * y ** (1 - a) for x, y in zip(pm, qm) if x > 0 and y > 0)
    return mp.log(s) / (a - 1)


def _dyadic(k: int, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
    """A distribution over k events whose float entries sum to exactly 1."""
    w = np.exp(spread * rng.standard_normal(k))
    p = np.round(w / w.sum() * 2.0**40) / 2.0**40
    p[-1] = 1.0 - p[:-1].sum()  # exact: every entry is a multiple of 2^-40
    assert p.min() > 0 and math.fsum(p) == 1.0
    return p


ISSUE = (np.array([0.125, 0.375, 0.5]), np.array([0.75, 0.1875, 0.0625]))
_RNG = np.random.default_rng(14)
PAIRS = {
    "issue": ISSUE,
    "swapped": ISSUE[::-1],
    "dyadic 10": (_dyadic(10, _RNG), _dyadic(10, _RNG)),
    "spread 50": (_dyadic(50, _RNG, 4.0), _dyadic(50, _RNG, 4.0)),
    "near p = q": (np.array([0.25, 0.25, 0.5]), np.array([0.25 + 2.0**-30, 0.25 - 2.0**-30, 0.5])),
    "zeros": (np.array([0.5, 0.25, 0.25, 0.0]), np.array([0.25, 0.0, 0.5, 0.25])),
    "p = 0 < q": (np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])),
    "large ratios": (np.array([2.0**-30, 1.0 - 2.0**-30]), np.array([1.0 - 2.0**-40, 2.0**-40])),
    "far apart": (np.array([0.5, 0.5 - 2.0**-50, 2.0**-50]), np.array([0.5 - 2.0**-53, 0.5, 2.0**-53])),
}


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("pair", list(PAIRS))
def test_arrays_against_mpmath(pair, alpha):
    p, q = PAIRS[pair]
    for a, b in ((p, q), (q, p)):
        _close(float(dv.renyi(a, b, alpha)), reference(a, b, alpha))


def test_the_issue_example():
    p, q = ISSUE
    assert float(dv.renyi(p, q, 1 + 1e-15)) == pytest.approx(float(reference(p, q, 1 + 1e-15)), rel=1e-14)
    assert float(dv.renyi(p, q, 1 + 1e-15)) == pytest.approx(float(dv.kl(p, q)), rel=1e-14)


@pytest.mark.parametrize("alpha", [1 + 1e-15, 1 - 1e-12, 1 + 1e-9, 1 - 1e-6, 0.5, 2.0, 10.0])
def test_every_backend(xp, alpha):
    p, q = PAIRS["dyadic 10"]
    r = _dyadic(10, np.random.default_rng(1), 3.0)
    rows, other = np.stack([p, q, r]), np.stack([q, r, p])  # three rows, one batch
    got = to_numpy(dv.renyi(xp.asarray(rows), xp.asarray(other), alpha))
    for i in range(3):
        _close(float(got[i]), reference(rows[i], other[i], alpha))


@pytest.mark.parametrize("alpha", [1 + 1e-15, 1 - 1e-15, 1 + 1e-12, 1 - 1e-9, 1 + 1e-6, 0.5, 2.0, 10.0])
def test_numpy_engine_many_rows(alpha):
    """Many rows go through the NumPy engine's blocks (the same kernel): each row is exact."""
    rng = np.random.default_rng(3)
    p = np.stack([_dyadic(40, rng, 2.0) for _ in range(300)])
    q = np.stack([_dyadic(40, rng, 2.0) for _ in range(300)])
    got = np.asarray(dv.renyi(p, q, alpha))
    for i in range(0, 300, 37):
        _close(float(got[i]), reference(p[i], q[i], alpha))


@pytest.mark.parametrize("alpha", [0.0, 1.0, INF])
def test_limits_unchanged(alpha):
    p, q = PAIRS["zeros"]
    expected = {0.0: -math.log(0.75), 1.0: INF, INF: INF}[alpha]
    assert float(dv.renyi(p, q, alpha)) == pytest.approx(expected, rel=1e-15)
    p, q = ISSUE
    _close(float(dv.renyi(p, q, 1.0)), reference(p, q, 1.0), 4e-16)


@pytest.mark.parametrize("alpha", [1 + 1e-12, 1 - 1e-12, 0.5, 2.0])
def test_gradients_are_finite(alpha):
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.5, 0.25, 0.25, 0.0], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.25, 0.0, 0.5, 0.25], dtype=torch.float64, requires_grad=True)
    value = dv.renyi(p, q, alpha)
    value.backward()
    assert torch.isfinite(p.grad).all() and torch.isfinite(q.grad).all()


# --------------------------------------------------------------------------------------
# Closed forms: one case per registered pair, its reference in mpmath
# --------------------------------------------------------------------------------------


def _expfam(log_normaliser: Callable[[list], mp.mpf], t1: list, t2: list, alpha: float,
            inside: Callable[[list], bool] = lambda t: True) -> mp.mpf:
    """``[A(a t1 + (1 - a) t2) - a A(t1) - (1 - a) A(t2)] / (a - 1)`` in natural parameters."""
    a = _a(alpha)
    mixed = [a * x + (1 - a) * y for x, y in zip(t1, t2)]
    if not inside(mixed):
        return mp.inf
    return (log_normaliser(mixed) - a * log_normaliser(t1) - (1 - a) * log_normaliser(t2)) / (a - 1)


def _mpf(*xs: float) -> list:
    return [mp.mpf(float(x)) for x in xs]


def _normal(m1: float, s1: float, m2: float, s2: float, alpha: float) -> mp.mpf:
    a = _a(alpha)
    m1_, s1_, m2_, s2_ = _mpf(m1, s1, m2, s2)
    va = a * s2_**2 + (1 - a) * s1_**2
    if va <= 0:
        return mp.inf
    return a * (m1_ - m2_) ** 2 / (2 * va) - mp.log(va / (s1_ ** (2 * (1 - a)) * s2_ ** (2 * a))) / (2 * (a - 1))


def _gamma_like(a1: float, b1: float, a2: float, b2: float, alpha: float) -> mp.mpf:
    # Natural parameters (shape - 1, -rate) are affine in (shape, rate): mix those.
    return _expfam(lambda t: mp.loggamma(t[0]) - t[0] * mp.log(t[1]), _mpf(a1, b1), _mpf(a2, b2), alpha,
                   lambda t: t[0] > 0 and t[1] > 0)


def _beta_like(t1: list[float], t2: list[float], alpha: float) -> mp.mpf:
    return _expfam(lambda t: mp.fsum(mp.loggamma(x) for x in t) - mp.loggamma(mp.fsum(t)), _mpf(*t1), _mpf(*t2),
                   alpha, lambda t: all(x > 0 for x in t))


def _vonmises(mu1: float, k1: float, mu2: float, k2: float, alpha: float) -> mp.mpf:
    m1, c1, m2, c2 = _mpf(mu1, k1, mu2, k2)
    return _expfam(lambda t: mp.log(2 * mp.pi * mp.besseli(0, mp.sqrt(t[0] ** 2 + t[1] ** 2))),
                   [c1 * mp.cos(m1), c1 * mp.sin(m1)], [c2 * mp.cos(m2), c2 * mp.sin(m2)], alpha)


def _cb(p1: float, p2: float, alpha: float) -> mp.mpf:
    def log_normaliser(t: list) -> mp.mpf:
        return mp.log(mp.expm1(t[0]) / t[0]) if t[0] != 0 else mp.mpf(0)

    logit = [mp.log(x / (1 - x)) for x in _mpf(p1, p2)]
    return _expfam(log_normaliser, logit[:1], logit[1:], alpha)


def _literal(pm: list, qm: list, alpha: float) -> mp.mpf:
    """The defining sum over the events (a limit form at alpha = 1 is not needed here)."""
    a = _a(alpha)
    if alpha > 1 and any(x > 0 and y == 0 for x, y in zip(pm, qm)):
        return mp.inf
    s = mp.fsum(x**a * y ** (1 - a) for x, y in zip(pm, qm) if x > 0 and y > 0)
    return mp.log(s) / (a - 1) if s > 0 else mp.inf


def _bernoulli(p1: float, p2: float, alpha: float) -> mp.mpf:
    x, y = _mpf(p1, p2)  # the masses p and 1 - p exactly (0.3 + 0.7 is not 1 in floats)
    return _literal([x, 1 - x], [y, 1 - y], alpha)


def _binomial(n1: int, p1: float, n2: int, p2: float, alpha: float) -> mp.mpf:
    x, y = _mpf(p1, p2)

    def pmf(n: int, r: mp.mpf, k: int) -> mp.mpf:
        return mp.binomial(n, k) * r**k * (1 - r) ** (n - k) if k <= n else mp.mpf(0)

    top = max(n1, n2)
    return _literal([pmf(n1, x, k) for k in range(top + 1)], [pmf(n2, y, k) for k in range(top + 1)], alpha)


def _geometric(p1: float, p2: float, alpha: float) -> mp.mpf:
    a = _a(alpha)
    x, y = _mpf(p1, p2)
    r = (1 - x) ** a * (1 - y) ** (1 - a)
    return mp.log(x**a * y ** (1 - a) / (1 - r)) / (a - 1) if r < 1 else mp.inf


def _poisson(l1: float, l2: float, alpha: float) -> mp.mpf:
    a = _a(alpha)
    x, y = _mpf(l1, l2)
    return (x**a * y ** (1 - a) - a * x - (1 - a) * y) / (a - 1)


def _uniform(lo1: float, hi1: float, lo2: float, hi2: float, alpha: float) -> mp.mpf:
    a = _a(alpha)
    lo1_, hi1_, lo2_, hi2_ = _mpf(lo1, hi1, lo2, hi2)
    len1, len2 = hi1_ - lo1_, hi2_ - lo2_
    overlap = max(min(hi1_, hi2_) - max(lo1_, lo2_), mp.mpf(0))
    if overlap == 0 or (alpha > 1 and overlap < len1):
        return mp.inf
    return mp.log(overlap * len1 ** (-a) * len2 ** (a - 1)) / (a - 1)


def _one_shape(shape: float, log_rates: mp.mpf, alpha: float) -> mp.mpf:
    """Gamma laws of one shape whose rates are ``e^log_rates`` apart (the images of Weibull laws
    of one shape, Gumbel and Moyal laws of one scale): the integral is ``(b1^a b2^(1-a) /
    (a b1 + (1 - a) b2))^shape``."""
    a = _a(alpha)
    if alpha == 1:
        return shape * (mp.exp(-log_rates) - 1 + log_rates)
    mixed = a * mp.exp(log_rates) + 1 - a
    if mixed <= 0:
        return mp.inf
    return -shape * (mp.log(mixed) - a * log_rates) / (a - 1)


def _logistic(m1: float, m2: float, s: float, alpha: float) -> mp.mpf:
    """Logistic laws of one scale: the log of the integral is L((2a - 1) d) - L(d), L(y) =
    log(sinh(y/2) / (y/2)); order 1: d coth(d/2) - 2."""
    a = _a(alpha)
    m1_, m2_, s_ = _mpf(m1, m2, s)
    d = abs(m2_ - m1_) / s_

    def big_l(y: mp.mpf) -> mp.mpf:
        return mp.log(mp.sinh(y / 2) / (y / 2)) if y != 0 else mp.mpf(0)

    if alpha == 1:
        return d / mp.tanh(d / 2) - 2
    return (big_l((2 * a - 1) * d) - big_l(d)) / (a - 1)


def _pareto(m1: float, a1: float, m2: float, a2: float, alpha: float) -> mp.mpf:
    a = _a(alpha)
    m1_, a1_, m2_, a2_ = _mpf(m1, a1, m2, a2)
    am = a * a1_ + (1 - a) * a2_
    if am <= 0 or (alpha > 1 and m1_ < m2_):
        return mp.inf
    m = max(m1_, m2_)  # integral of p^a q^(1-a) over x >= m
    log_integral = (a * mp.log(a1_) + (1 - a) * mp.log(a2_) + a * a1_ * mp.log(m1_) + (1 - a) * a2_ * mp.log(m2_)
                    - am * mp.log(m) - mp.log(am))
    return log_integral / (a - 1)


def _gaussian(m1, c1, m2, c2, alpha: float) -> mp.mpf:
    a = _a(alpha)
    s1, s2 = mp.matrix([[float(x) for x in row] for row in c1]), mp.matrix([[float(x) for x in row] for row in c2])
    d = mp.matrix([float(x) - float(y) for x, y in zip(m1, m2)])
    sa = a * s2 + (1 - a) * s1
    try:
        mp.cholesky(sa)
    except ValueError:
        return mp.inf
    quad = (d.T * mp.lu_solve(sa, d))[0]
    log_det = mp.log(mp.det(sa)) - (1 - a) * mp.log(mp.det(s1)) - a * mp.log(mp.det(s2))
    return a * quad / 2 - log_det / (2 * (a - 1))


def _cauchy(m1: float, g1: float, m2: float, g2: float, alpha: float) -> mp.mpf:
    # int p^a q^(1 - a) = P_(a - 1)(1 + chi2), the Legendre function (Nielsen & Okamura 2021)
    m1_, g1_, m2_, g2_ = _mpf(m1, g1, m2, g2)
    chi2 = ((g1_ - g2_) ** 2 + (m1_ - m2_) ** 2) / (2 * g1_ * g2_)
    return mp.log(mp.legenp(_a(alpha) - 1, 0, 1 + chi2, type=3)) / (_a(alpha) - 1)


def _integer_orders(alpha: float) -> bool:
    return alpha == 0.5 or (alpha == int(alpha) and 2 <= alpha <= 64)


@dataclass(frozen=True)
class Case:
    p: Callable[[], dv.Distribution]
    q: Callable[[], dv.Distribution]
    reference: Callable[[float], mp.mpf]
    orders: Callable[[float], bool] | None = None  # the orders of a form defined at some only


_COV1 = [[2.0, 0.5, 0.0], [0.5, 1.0, 0.25], [0.0, 0.25, 1.5]]
_COV2 = [[3.0, -0.5, 0.25], [-0.5, 2.5, 0.0], [0.25, 0.0, 2.0]]
_ALPHA1 = [1.5, 2.5, 4.0]
_ALPHA2 = [1.25, 2.0, 3.0]

# p's parameters where the mixed law exists for alpha up to 10 (the divergences are finite).
CASES: dict[str, Case] = {
    "Bernoulli": Case(lambda: dv.Bernoulli(0.3), lambda: dv.Bernoulli(0.8),
                      lambda a: _bernoulli(0.3, 0.8, a)),
    "Binomial": Case(lambda: dv.Binomial(12, 0.3), lambda: dv.Binomial(12, 0.55),
                     lambda a: _binomial(12, 0.3, 12, 0.55, a)),
    "Binomial counts": Case(lambda: dv.Binomial(7, 0.3), lambda: dv.Binomial(12, 0.55),
                            lambda a: _binomial(7, 0.3, 12, 0.55, a)),
    "Binomial counts down": Case(lambda: dv.Binomial(12, 0.3), lambda: dv.Binomial(7, 0.55),
                                 lambda a: _binomial(12, 0.3, 7, 0.55, a)),  # inf for alpha > 1
    "Categorical": Case(lambda: dv.Categorical(ISSUE[0]), lambda: dv.Categorical(ISSUE[1]),
                        lambda a: reference(*ISSUE, a)),
    "Geometric": Case(lambda: dv.Geometric(0.5), lambda: dv.Geometric(0.3), lambda a: _geometric(0.5, 0.3, a)),
    "Poisson": Case(lambda: dv.Poisson(2.5), lambda: dv.Poisson(4.0), lambda a: _poisson(2.5, 4.0, a)),
    "Normal": Case(lambda: dv.Normal(0.0, 1.0), lambda: dv.Normal(1.0, 2.0), lambda a: _normal(0.0, 1.0, 1.0, 2.0, a)),
    "LogNormal": Case(lambda: dv.LogNormal(0.3, 0.7), lambda: dv.LogNormal(-0.2, 0.9),
                      lambda a: _normal(0.3, 0.7, -0.2, 0.9, a)),
    "HalfNormal": Case(lambda: dv.HalfNormal(1.0), lambda: dv.HalfNormal(1.7), lambda a: _normal(0, 1.0, 0, 1.7, a)),
    "Gamma": Case(lambda: dv.Gamma(3.0, 2.0), lambda: dv.Gamma(2.0, 1.5), lambda a: _gamma_like(3.0, 2.0, 2.0, 1.5, a)),
    "InverseGamma": Case(lambda: dv.InverseGamma(3.0, 2.0), lambda: dv.InverseGamma(2.0, 1.5),
                         lambda a: _gamma_like(3.0, 2.0, 2.0, 1.5, a)),  # 1/X: the Gammas' divergences
    "Exponential": Case(lambda: dv.Exponential(2.0), lambda: dv.Exponential(1.5),
                        lambda a: _gamma_like(1.0, 2.0, 1.0, 1.5, a)),
    "Gamma vs Exponential": Case(lambda: dv.Gamma(3.0, 2.0), lambda: dv.Exponential(1.5),
                                 lambda a: _gamma_like(3.0, 2.0, 1.0, 1.5, a)),
    "Exponential vs Chi2": Case(lambda: dv.Exponential(0.4), lambda: dv.Chi2(1.5), lambda a: _gamma_like(1.0, 0.4, 0.75, 0.5, a)),
    "Chi2 vs Gamma near": Case(lambda: dv.Chi2(3.0), lambda: dv.Gamma(1.5 * (1 + 1e-9), 0.5),
                               lambda a: _gamma_like(1.5, 0.5, 1.5 * (1 + 1e-9), 0.5, a)),
    "Chi2": Case(lambda: dv.Chi2(5.0), lambda: dv.Chi2(3.0), lambda a: _gamma_like(2.5, 0.5, 1.5, 0.5, a)),
    "Chi": Case(lambda: dv.Chi(4.0), lambda: dv.Chi(3.0), lambda a: _gamma_like(2.0, 0.5, 1.5, 0.5, a)),
    "Beta": Case(lambda: dv.Beta(2.0, 3.0), lambda: dv.Beta(1.5, 2.5), lambda a: _beta_like([2.0, 3.0], [1.5, 2.5], a)),
    "Dirichlet": Case(lambda: dv.Dirichlet(np.array(_ALPHA1)), lambda: dv.Dirichlet(np.array(_ALPHA2)),
                      lambda a: _beta_like(_ALPHA1, _ALPHA2, a)),
    "VonMises": Case(lambda: dv.VonMises(0.0, 2.0), lambda: dv.VonMises(0.5, 1.0),
                     lambda a: _vonmises(0.0, 2.0, 0.5, 1.0, a)),
    "ContinuousBernoulli": Case(lambda: dv.ContinuousBernoulli(0.3), lambda: dv.ContinuousBernoulli(0.8),
                                lambda a: _cb(0.3, 0.8, a)),
    "Uniform": Case(lambda: dv.Uniform(0.0, 1.0), lambda: dv.Uniform(-0.5, 2.0),
                    lambda a: _uniform(0.0, 1.0, -0.5, 2.0, a)),
    "Uniform overlap": Case(lambda: dv.Uniform(0.0, 1.0), lambda: dv.Uniform(0.25, 2.0),
                            lambda a: _uniform(0.0, 1.0, 0.25, 2.0, a)),
    "Cauchy": Case(lambda: dv.Cauchy(0.3, 1.2), lambda: dv.Cauchy(-0.5, 0.7), lambda a: _cauchy(0.3, 1.2, -0.5, 0.7, a),
                   _integer_orders),
    "HalfCauchy": Case(lambda: dv.HalfCauchy(1.2), lambda: dv.HalfCauchy(0.7), lambda a: _cauchy(0, 1.2, 0, 0.7, a),
                       _integer_orders),
    "Cauchy near": Case(lambda: dv.Cauchy(0.0, 1.0), lambda: dv.Cauchy(1e-6, 1.0 + 1e-6),
                        lambda a: _cauchy(0.0, 1.0, 1e-6, 1.0 + 1e-6, a), _integer_orders),
    "Pareto": Case(lambda: dv.Pareto(2.0, 3.0), lambda: dv.Pareto(1.0, 2.0), lambda a: _pareto(2.0, 3.0, 1.0, 2.0, a)),
    "Pareto scales": Case(lambda: dv.Pareto(1.0, 3.0), lambda: dv.Pareto(2.0, 2.0),
                          lambda a: _pareto(1.0, 3.0, 2.0, 2.0, a)),
    "Laplace": Case(lambda: dv.Laplace(0.3, 1.0), lambda: dv.Laplace(-0.4, 2.0), lambda a: laplace_renyi(0.3, 1.0, -0.4, 2.0, a)),
    "Laplace near": Case(lambda: dv.Laplace(0.3, 1.0), lambda: dv.Laplace(0.3 + 1e-7, 1.0 + 1e-7),
                         lambda a: laplace_renyi(0.3, 1.0, 0.3 + 1e-7, 1.0 + 1e-7, a)),
    "Weibull": Case(lambda: dv.Weibull(1.5, 1.0), lambda: dv.Weibull(1.5, 2.0),
                    lambda a: _one_shape(1.0, 1.5 * mp.log(_mpf(2.0)[0]), a)),
    "Gumbel": Case(lambda: dv.Gumbel(0.3, 1.2), lambda: dv.Gumbel(-0.5, 1.2),
                   lambda a: _one_shape(1.0, (_mpf(0.3)[0] - _mpf(-0.5)[0]) / _mpf(1.2)[0], a)),
    "Logistic": Case(lambda: dv.Logistic(0.3, 1.2), lambda: dv.Logistic(-0.5, 1.2), lambda a: _logistic(0.3, -0.5, 1.2, a)),
    "Moyal": Case(lambda: dv.Moyal(0.3, 1.2), lambda: dv.Moyal(-0.5, 1.2),
                  lambda a: _one_shape(0.5, (_mpf(0.3)[0] - _mpf(-0.5)[0]) / _mpf(1.2)[0], a)),
    "MultivariateGaussian": Case(lambda: dv.MultivariateNormal(np.array([0.0, 1.0, -0.5]), np.array(_COV1)),
                                 lambda: dv.MultivariateNormal(np.array([0.5, 0.0, 0.0]), np.array(_COV2)),
                                 lambda a: _gaussian([0.0, 1.0, -0.5], _COV1, [0.5, 0.0, 0.0], _COV2, a)),
    "DiagonalNormal": Case(lambda: dv.DiagonalNormal(np.array([0.0, 1.0]), np.array([1.0, 0.5])),
                           lambda: dv.DiagonalNormal(np.array([0.5, 0.0]), np.array([1.5, 0.75])),
                           lambda a: _normal(0.0, 1.0, 0.5, 1.5, a) + _normal(1.0, 0.5, 0.0, 0.75, a)),
    "Independent": Case(lambda: dv.Independent(dv.Normal(np.array([0.0, 1.0]), np.array([1.0, 0.5])), 1),
                        lambda: dv.Independent(dv.Normal(np.array([0.5, 0.0]), np.array([1.5, 0.75])), 1),
                        lambda a: _normal(0.0, 1.0, 0.5, 1.5, a) + _normal(1.0, 0.5, 0.0, 0.75, a)),
    "LogisticNormal": Case(lambda: dv.LogisticNormal(np.array([0.0, 1.0]), np.array([1.0, 0.5])),
                           lambda: dv.LogisticNormal(np.array([0.5, 0.0]), np.array([1.5, 0.75])),
                           lambda a: _normal(0.0, 1.0, 0.5, 1.5, a) + _normal(1.0, 0.5, 0.0, 0.75, a)),
    # The generic form, on a normal family written through its natural parameters.
    "ExponentialFamily": Case(lambda: ExactNormal(0.0, 1.0), lambda: ExactNormal(1.0, 2.0),
                              lambda a: _normal(0.0, 1.0, 1.0, 2.0, a)),
    # p and q nearly equal as well: both cancellations at once.
    "Bernoulli near": Case(lambda: dv.Bernoulli(0.3), lambda: dv.Bernoulli(0.3 * (1 + 1e-7)),
                           lambda a: _bernoulli(0.3, 0.3 * (1 + 1e-7), a)),
    "Binomial near": Case(lambda: dv.Binomial(12, 0.3), lambda: dv.Binomial(12, 0.3 * (1 - 1e-6)),
                          lambda a: _binomial(12, 0.3, 12, 0.3 * (1 - 1e-6), a)),
    "Geometric near": Case(lambda: dv.Geometric(0.5), lambda: dv.Geometric(0.5 * (1 + 1e-7)),
                           lambda a: _geometric(0.5, 0.5 * (1 + 1e-7), a)),
    "Poisson near": Case(lambda: dv.Poisson(2.5), lambda: dv.Poisson(2.5 * (1 + 1e-7)),
                         lambda a: _poisson(2.5, 2.5 * (1 + 1e-7), a)),
    "Normal near": Case(lambda: dv.Normal(0.0, 1.0), lambda: dv.Normal(1e-6, 1.0 + 1e-6),
                        lambda a: _normal(0.0, 1.0, 1e-6, 1.0 + 1e-6, a)),
    "Gamma near": Case(lambda: dv.Gamma(3.0, 2.0), lambda: dv.Gamma(3.0 * (1 - 1e-6), 2.0),
                       lambda a: _gamma_like(3.0, 2.0, 3.0 * (1 - 1e-6), 2.0, a)),
    "Beta near": Case(lambda: dv.Beta(2.0, 3.0), lambda: dv.Beta(2.0, 3.0 * (1 - 1e-6)),
                      lambda a: _beta_like([2.0, 3.0], [2.0, 3.0 * (1 - 1e-6)], a)),
    "VonMises near": Case(lambda: dv.VonMises(0.0, 2.0), lambda: dv.VonMises(1e-6, 2.0),
                          lambda a: _vonmises(0.0, 2.0, 1e-6, 2.0, a)),
    "ContinuousBernoulli near": Case(lambda: dv.ContinuousBernoulli(0.3),
                                     lambda: dv.ContinuousBernoulli(0.3 * (1 - 1e-6)),
                                     lambda a: _cb(0.3, 0.3 * (1 - 1e-6), a)),
    "Uniform wide": Case(lambda: dv.Uniform(0.0, 3.0), lambda: dv.Uniform(-0.5, 4.0),
                         lambda a: _uniform(0.0, 3.0, -0.5, 4.0, a)),
    "Pareto near": Case(lambda: dv.Pareto(2.0, 3.0), lambda: dv.Pareto(2.0, 3.0 * (1 - 1e-6)),
                        lambda a: _pareto(2.0, 3.0, 2.0, 3.0 * (1 - 1e-6), a)),
    "MultivariateGaussian near": Case(
        lambda: dv.MultivariateNormal(np.array([0.0, 1.0, -0.5]), np.array(_COV1)),
        lambda: dv.MultivariateNormal(np.array([1e-5, 1.0, -0.5]), np.array(_COV1) + 1e-5 * np.eye(3)),
        lambda a: _gaussian([0.0, 1.0, -0.5], _COV1, [1e-5, 1.0, -0.5], (np.array(_COV1) + 1e-5 * np.eye(3)).tolist(), a)),
    "Independent near": Case(lambda: dv.Independent(dv.Normal(np.array([0.0, 1.0]), np.array([1.0, 0.5])), 1),
                             lambda: dv.Independent(dv.Normal(np.array([1e-6, 1.0]), np.array([1.0, 0.5 * (1 + 1e-6)])), 1),
                             lambda a: _normal(0.0, 1.0, 1e-6, 1.0, a) + _normal(1.0, 0.5, 1.0, 0.5 * (1 + 1e-6), a)),
    "LogisticNormal near": Case(lambda: dv.LogisticNormal(np.array([0.0, 1.0]), np.array([1.0, 0.5])),
                                lambda: dv.LogisticNormal(np.array([1e-6, 1.0]), np.array([1.0, 0.5 * (1 + 1e-6)])),
                                lambda a: _normal(0.0, 1.0, 1e-6, 1.0, a) + _normal(1.0, 0.5, 1.0, 0.5 * (1 + 1e-6), a)),
    "ExponentialFamily near": Case(lambda: ExactNormal(0.0, 1.0), lambda: ExactNormal(1e-6, 1.0 + 1e-6),
                                   lambda a: _normal(0.0, 1.0, 1e-6, 1.0 + 1e-6, a)),
    "DiagonalNormal near": Case(lambda: dv.DiagonalNormal(np.array([0.0, 1.0]), np.array([1.0, 0.5])),
                                lambda: dv.DiagonalNormal(np.array([0.0, 1.0]), np.array([1.0, 0.5 * (1 + 1e-6)])),
                                # a sum over coordinates of the Normal forms, of the exact squares of the scales
                                lambda a: _normal(0.0, 1.0, 0.0, 1.0, a) + _normal(1.0, 0.5, 1.0, 0.5 * (1 + 1e-6), a)),
    "Dirichlet near": Case(lambda: dv.Dirichlet(np.array(_ALPHA1)),
                           lambda: dv.Dirichlet(np.array([1.5, 2.5, 4.0 * (1 + 1e-6)])),
                           lambda a: _beta_like(_ALPHA1, [1.5, 2.5, 4.0 * (1 + 1e-6)], a)),
}


def test_every_registered_renyi_form_has_a_case():
    names = {p.__name__ for p, q in REGISTRIES["renyi"].pairs()}
    assert names <= {name.split()[0] for name in CASES}, names - {name.split()[0] for name in CASES}
    gamma_family = {dv.Gamma, dv.Exponential, dv.Chi2}  # (Gamma laws all: their cross pairs too)
    assert all(p is q or {p, q} <= gamma_family for p, q in REGISTRIES["renyi"].pairs())


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("family", list(CASES))
def test_closed_forms_against_mpmath(family, alpha):
    case = CASES[family]
    if case.orders is not None and not case.orders(alpha):
        with pytest.raises(dv.NotRegisteredError):  # the numerical route answers
            dv.renyi(case.p(), case.q(), alpha, method="closed_form")
        return
    with mp.workdps(DIGITS):
        exact = case.reference(alpha)
    got = dv.renyi(case.p(), case.q(), alpha, method="closed_form")
    _close(float(got), exact)


@pytest.mark.parametrize("alpha", [1 + 1e-3, 1 - 1e-9, 0.5, 2.0])
def test_extreme_poisson_rates(alpha):
    """Rates e^714 apart: a finite value stays accurate, one beyond the float range is inf."""
    with mp.workdps(DIGITS):
        exact = _poisson(1e300, 1e-10, alpha)
    got = float(dv.renyi(dv.Poisson(1e300), dv.Poisson(1e-10), alpha))
    if exact > mp.mpf(np.finfo(np.float64).max):
        assert got == INF
    else:
        _close(got, exact, 1e-12)
