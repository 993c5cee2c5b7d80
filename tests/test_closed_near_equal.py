"""Divergences keep their relative accuracy as q -> p: closed forms and quadrature.

Their KL and Renyi divergences are differences of log-Gamma functions (or of log-masses)
that cancel to second order; the references are the same formulas in mpmath at 60 digits,
where the cancellation costs nothing that matters.
"""

from __future__ import annotations

import array_api_compat.numpy as anp
import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from divergences._special import lgamma_bregman

DIGITS = 60  # set per reference (other test modules set mpmath's global precision too)
STEPS = [0.3, 1e-3, 1e-6, 1e-9, 1e-12]  # relative change of a parameter of q
RTOL = 1e-13


def _log_normaliser(kind: str, params: list[mp.mpf]) -> mp.mpf:
    """A(theta) of the family, in the parameters (shape, rate), (a, b) or alpha."""
    if kind == "gamma":
        a, b = params
        return mp.loggamma(a) - a * mp.log(b)
    return mp.fsum(mp.loggamma(x) for x in params) - mp.loggamma(mp.fsum(params))


def _gradient(kind: str, params: list[mp.mpf]) -> list[mp.mpf]:
    """dA/d(natural parameter): for Gamma (a - 1, -b) it is (psi(a) - log b, a / b)."""
    if kind == "gamma":
        a, b = params
        return [mp.digamma(a) - mp.log(b), a / b]
    total = mp.digamma(mp.fsum(params))
    return [mp.digamma(x) - total for x in params]


def _natural(kind: str, params: list[mp.mpf]) -> list[mp.mpf]:
    return [params[0] - 1, -params[1]] if kind == "gamma" else [x - 1 for x in params]


@mp.workdps(DIGITS)
def reference_kl(kind: str, p: list[float], q: list[float]) -> float:
    """The Bregman divergence of the log-normaliser: A(q) - A(p) - grad A(p) . (theta_q - theta_p)."""
    mp_p, mp_q = [mp.mpf(x) for x in p], [mp.mpf(x) for x in q]
    tp, tq = _natural(kind, mp_p), _natural(kind, mp_q)
    linear = mp.fsum(g * (y - x) for g, x, y in zip(_gradient(kind, mp_p), tp, tq))
    return float(_log_normaliser(kind, mp_q) - _log_normaliser(kind, mp_p) - linear)


@mp.workdps(DIGITS)
def reference_renyi(kind: str, p: list[float], q: list[float], alpha: float) -> float:
    mp_p, mp_q = [mp.mpf(x) for x in p], [mp.mpf(x) for x in q]
    a = mp.mpf(alpha)
    mixed = [a * x + (1 - a) * y for x, y in zip(mp_p, mp_q)]
    value = _log_normaliser(kind, mixed) - a * _log_normaliser(kind, mp_p) - (1 - a) * _log_normaliser(kind, mp_q)
    return float(value / (a - 1))


def make(kind: str, params: list[float]) -> dv.Distribution:
    if kind == "gamma":
        return dv.Gamma(params[0], params[1])
    if kind == "beta":
        return dv.Beta(params[0], params[1])
    return dv.Dirichlet(np.array(params))


CASES = {
    "gamma shape": ("gamma", [2.5, 1.5], 0),
    "gamma rate": ("gamma", [2.5, 1.5], 1),
    "gamma small shape": ("gamma", [0.02, 3.0], 0),
    "beta a": ("beta", [2.0, 3.0], 0),
    "beta large": ("beta", [150.0, 40.0], 1),
    "dirichlet": ("dirichlet", [0.5, 2.0, 7.0], 1),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("step", STEPS)
def test_kl_keeps_relative_accuracy_near_p_equals_q(case, step):
    kind, p, index = CASES[case]
    q = list(p)
    q[index] = p[index] * (1 + step)
    got = float(dv.kl(make(kind, p), make(kind, q)))
    assert got == pytest.approx(reference_kl(kind, p, q), rel=RTOL, abs=0)


@pytest.mark.parametrize("case", ["gamma shape", "beta a", "dirichlet"])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
@pytest.mark.parametrize("step", [1e-3, 1e-9])
def test_renyi_keeps_relative_accuracy_near_p_equals_q(case, alpha, step):
    kind, p, index = CASES[case]
    q = list(p)
    q[index] = p[index] * (1 + step)
    got = float(dv.renyi(make(kind, p), make(kind, q), alpha))
    assert got == pytest.approx(reference_renyi(kind, p, q, alpha), rel=1e-12, abs=0)


@pytest.mark.parametrize("step", [1e-3, 1e-9])
def test_dirichlet_bhattacharyya_is_half_the_renyi_half(step):
    p, q = [0.5, 2.0, 7.0], [0.5, 2.0 * (1 + step), 7.0]
    got = float(dv.bhattacharyya(make("dirichlet", p), make("dirichlet", q)))
    assert got == pytest.approx(0.5 * reference_renyi("dirichlet", p, q, 0.5), rel=1e-12, abs=0)


@pytest.mark.parametrize("x", [1e-3, 0.7, 2.0, 31.0, 1e5])
@pytest.mark.parametrize("ratio", [-0.9, -0.2, -0.125, -1e-7, 1e-15, 1e-4, 0.124, 0.126, 4.0])
def test_lgamma_bregman_against_mpmath(x, ratio):
    d = x * ratio
    with mp.workdps(DIGITS):
        mx, md = mp.mpf(x), mp.mpf(d)
        expected = float(mp.loggamma(mx + md) - mp.loggamma(mx) - md * mp.digamma(mx))
    got = float(lgamma_bregman(np.asarray(x), np.asarray(d), anp))
    assert got == pytest.approx(expected, rel=1e-12, abs=0)


@mp.workdps(DIGITS)
def _bernoulli_renyi(p: float, q: float, alpha: float) -> float:
    p_, q_, a = mp.mpf(p), mp.mpf(q), mp.mpf(alpha)
    return float(mp.log(p_**a * q_ ** (1 - a) + (1 - p_) ** a * (1 - q_) ** (1 - a)) / (a - 1))


@pytest.mark.parametrize("p", [0.3, 1e-5, 0.9999])
@pytest.mark.parametrize("step", [1e-3, 1e-9])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 2.0, 7.5])
def test_bernoulli_and_binomial_renyi_keep_relative_accuracy(p, step, alpha):
    q = p * (1 - step)
    expected = _bernoulli_renyi(p, q, alpha)
    assert float(dv.renyi(dv.Bernoulli(p), dv.Bernoulli(q), alpha)) == pytest.approx(expected, rel=1e-13, abs=0)
    got = float(dv.renyi(dv.Binomial(20, p), dv.Binomial(20, q), alpha))
    assert got == pytest.approx(20 * expected, rel=1e-13, abs=0)  # n independent trials


@mp.workdps(DIGITS)
def _geometric_renyi(p: float, q: float, alpha: float) -> float:
    p_, q_, a = mp.mpf(p), mp.mpf(q), mp.mpf(alpha)
    r = (1 - p_) ** a * (1 - q_) ** (1 - a)
    return float(mp.log(p_**a * q_ ** (1 - a) / (1 - r)) / (a - 1))


@pytest.mark.parametrize("p", [0.3, 1e-4, 0.999])
@pytest.mark.parametrize("step", [1e-3, 1e-9])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 3.0])
def test_geometric_renyi_keeps_relative_accuracy(p, step, alpha):
    q = p * (1 - step)
    got = float(dv.renyi(dv.Geometric(p), dv.Geometric(q), alpha))
    assert got == pytest.approx(_geometric_renyi(p, q, alpha), rel=1e-12, abs=0)


@mp.workdps(DIGITS)
def _vonmises_kl(k1: float, k2: float, shift: float) -> float:
    a, b = mp.mpf(k1), mp.mpf(k2)
    ratio = mp.besseli(1, a) / mp.besseli(0, a)
    bregman = mp.log(mp.besseli(0, b)) - mp.log(mp.besseli(0, a)) - (b - a) * ratio
    return float(bregman + 2 * b * mp.sin(mp.mpf(shift) / 2) ** 2 * ratio)


@pytest.mark.parametrize("k", [1e-4, 0.7, 1.7, 30.0])
@pytest.mark.parametrize("step", [0.5, 1e-3, 1e-9, 1e-13])
@pytest.mark.parametrize("shift", [0.0, 1e-6])
def test_vonmises_kl_keeps_relative_accuracy_in_the_concentration(k, step, shift):
    got = float(dv.kl(dv.VonMises(0.0, k), dv.VonMises(shift, k * (1 + step))))
    assert got == pytest.approx(_vonmises_kl(k, k * (1 + step), shift), rel=1e-12, abs=0)


@pytest.mark.parametrize("family", [dv.Laplace, dv.Gumbel, dv.Cauchy])
def test_a_numerical_renyi_below_its_rounding_is_never_negative(family):
    """Quadrature keeps absolute, not relative, accuracy here: the value is noise, but >= +0."""
    value, error = dv.renyi(family(0.3, 1.7), family(0.3 * (1 + 1e-8), 1.7), 0.5, return_error=True)
    assert value >= 0 and not np.signbit(value) and value <= error + 1e-15


@mp.workdps(DIGITS)
def _cb_kl(p: float, q: float) -> float:
    def half_logit(r: mp.mpf) -> mp.mpf:
        return (mp.log(r) - mp.log(1 - r)) / 2

    def log_sinhc(y: mp.mpf) -> mp.mpf:
        return mp.log(mp.sinh(y) / y) if y else mp.mpf(0)

    y1, y2 = half_logit(mp.mpf(p)), half_logit(mp.mpf(q))
    slope = mp.coth(y1) - 1 / y1 if y1 else mp.mpf(0)
    return float(log_sinhc(y2) - log_sinhc(y1) - (y2 - y1) * slope)


@pytest.mark.parametrize("p", [0.3, 0.5, 1e-3, 0.999])
@pytest.mark.parametrize("step", [0.5, 1e-3, 1e-9, 1e-12])
def test_continuous_bernoulli_kl_keeps_relative_accuracy(p, step):
    q = p * (1 - step)
    got = float(dv.kl(dv.ContinuousBernoulli(p), dv.ContinuousBernoulli(q)))
    assert got == pytest.approx(_cb_kl(p, q), rel=1e-13, abs=0)


# --------------------------------------------------------------------------------------
# Numerical routes: quadrature of integrands that stay second order where p ~ q
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [dv.Normal(1e-8, 1.0), dv.Normal(0.0, 1.0 + 1e-7), dv.Normal(3e-6, 1.0 - 1e-6)])
def test_quadrature_kl_of_nearly_equal_laws_against_the_closed_form(q):
    p = dv.Normal(0.0, 1.0)
    value, error = dv.kl(p, q, method="quadrature", return_error=True)
    exact = float(dv.kl(p, q))
    assert abs(float(value) - exact) <= max(float(error), 1e-7 * exact)
    assert float(error) < 1e-5 * exact


@mp.workdps(30)
def _normal_js(scale: float) -> float:
    s = mp.mpf(scale)

    def integrand(x: mp.mpf) -> mp.mpf:
        lp, lq = -x * x / 2 - mp.log(mp.sqrt(2 * mp.pi)), -((x / s) ** 2) / 2 - mp.log(mp.sqrt(2 * mp.pi) * s)
        lm = mp.log((mp.e**lp + mp.e**lq) / 2)
        return (mp.e**lp * (lp - lm) + mp.e**lq * (lq - lm)) / 2

    return float(mp.quad(integrand, [-mp.inf, -10, 0, 10, mp.inf]))


@pytest.mark.parametrize("step", [1e-2, 1e-5, 1e-7])
def test_quadrature_js_of_nearly_equal_laws_against_mpmath(step):
    value, error = dv.js(dv.Normal(0.0, 1.0), dv.Normal(0.0, 1.0 + step), return_error=True)
    expected = _normal_js(1.0 + step)  # the float scale, as the library sees it
    assert abs(float(value) - expected) <= 10 * float(error) + 1e-12 * expected
    assert float(error) < 1e-5 * expected


@pytest.mark.parametrize("step", [1e-2, 1e-4, 1e-6, 1e-8])
def test_quadrature_chi2_and_bhattacharyya_of_a_laplace_shift(step):
    """Laplace has a kink at its location: q's must cut p's pieces. For a shift x = |d| / b,
    chi2 = (2/3) expm1(x) + (1/3) expm1(-2x) and the Bhattacharyya coefficient is
    (1 + x/2) exp(-x/2), so the distance is -log1pmx(x/2); and Renyi 1/2 is twice that."""
    p, q = dv.Laplace(0.3, 1.7), dv.Laplace(0.3 * (1 + step), 1.7)
    with mp.workdps(DIGITS):
        x = abs(mp.mpf(0.3 * (1 + step)) - mp.mpf(0.3)) / mp.mpf(1.7)
        chi2 = float(mp.mpf(2) / 3 * mp.expm1(x) + mp.mpf(1) / 3 * mp.expm1(-2 * x))
        distance = float(x / 2 - mp.log1p(x / 2))
    for measure, expected in [(dv.chi2, chi2), (dv.bhattacharyya, distance),
                              (lambda a, b, **kw: dv.renyi(a, b, 0.5, **kw), 2 * distance)]:
        value, error = measure(p, q, return_error=True)
        assert abs(float(value) - expected) <= float(error) + 1e-12 * expected
        assert float(error) < 1e-4 * expected


@mp.workdps(DIGITS)
def _cb_renyi(p: float, q: float, alpha: float) -> float:
    def density(probs: mp.mpf, x: mp.mpf) -> mp.mpf:
        norm = 2 * mp.atanh(1 - 2 * probs) / (1 - 2 * probs) if probs != mp.mpf(0.5) else mp.mpf(2)
        return norm * probs**x * (1 - probs) ** (1 - x)

    a, b, t = mp.mpf(p), mp.mpf(q), mp.mpf(alpha)
    return float(mp.log(mp.quad(lambda x: density(a, x) ** t * density(b, x) ** (1 - t), [0, 1])) / (t - 1))


@pytest.mark.parametrize("p", [0.3, 0.5])
@pytest.mark.parametrize("step", [1e-3, 1e-9])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_continuous_bernoulli_renyi_keeps_relative_accuracy(p, step, alpha):
    q = p * (1 - step)
    got = float(dv.renyi(dv.ContinuousBernoulli(p), dv.ContinuousBernoulli(q), alpha))
    assert got == pytest.approx(_cb_renyi(p, q, alpha), rel=1e-12, abs=0)


@mp.workdps(30)
def _vonmises_renyi(loc: float, k1: float, shift: float, k2: float, alpha: float) -> float:
    def density(x: mp.mpf, mu: float, k: float) -> mp.mpf:
        return mp.e ** (k * mp.cos(x - mu)) / (2 * mp.pi * mp.besseli(0, k))

    t = mp.mpf(alpha)
    total = mp.quad(lambda x: density(x, loc, k1) ** t * density(x, loc + shift, k2) ** (1 - t), [-mp.pi, 0, mp.pi])
    return float(mp.log(total) / (t - 1))


@pytest.mark.parametrize(("shift", "step"), [(0.0, 1e-9), (1e-7, 0.0), (1e-6, 1e-6), (0.5, 0.5)])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_vonmises_renyi_keeps_relative_accuracy(shift, step, alpha):
    got = float(dv.renyi(dv.VonMises(0.3, 1.7), dv.VonMises(0.3 + shift, 1.7 * (1 + step)), alpha))
    assert got == pytest.approx(_vonmises_renyi(0.3, 1.7, shift, 1.7 * (1 + step), alpha), rel=1e-11, abs=0)


@mp.workdps(DIGITS)
def _gaussian_kl(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> float:
    a, b, diff = mp.matrix(s1.tolist()), mp.matrix(s2.tolist()), mp.matrix((m2 - m1).tolist())
    inverse = b**-1
    trace = mp.fsum((inverse * a)[i, i] for i in range(a.rows))
    return float((trace - a.rows + (diff.T * inverse * diff)[0] + mp.log(mp.det(b)) - mp.log(mp.det(a))) / 2)


@pytest.mark.parametrize("step", [1e-3, 1e-6, 1e-9])
def test_multivariate_normal_kl_near_p_equals_q(step):
    """A change of the mean alone keeps full relative accuracy; one of the covariance is
    limited by the rounding of its Cholesky factor (about eps / step)."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=(3, 3))
    cov, mean = a @ a.T + np.eye(3), np.zeros(3)
    e = rng.normal(size=(3, 3))
    moved_mean, moved_cov = mean + step * rng.normal(size=3), cov + step * (e @ e.T)
    p = dv.MultivariateNormal(mean, cov)
    got = float(dv.kl(p, dv.MultivariateNormal(moved_mean, cov)))
    assert got == pytest.approx(_gaussian_kl(mean, cov, moved_mean, cov), rel=1e-14, abs=0)
    got = float(dv.kl(p, dv.MultivariateNormal(moved_mean, moved_cov)))
    assert got == pytest.approx(_gaussian_kl(mean, cov, moved_mean, moved_cov), rel=100 * 2.2e-16 / step, abs=0)


@mp.workdps(DIGITS)
def _gaussian_renyi(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray, alpha: float) -> float:
    a = mp.mpf(alpha)
    c1, c2, diff = mp.matrix(s1.tolist()), mp.matrix(s2.tolist()), mp.matrix((m2 - m1).tolist())
    mixed = a * c2 + (1 - a) * c1
    log_ratio = mp.log(mp.det(mixed) / (mp.det(c1) ** (1 - a) * mp.det(c2) ** a))
    return float(a / 2 * (diff.T * mixed**-1 * diff)[0] - log_ratio / (2 * (a - 1)))


@pytest.mark.parametrize("step", [0.3, 1e-3, 1e-9])
@pytest.mark.parametrize("alpha", [0.2, 0.5, 2.0])
def test_multivariate_normal_renyi_and_bhattacharyya_near_p_equals_q(step, alpha):
    rng = np.random.default_rng(8)
    a, e = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    p = dv.MultivariateNormal(np.zeros(3), cov)
    q = dv.MultivariateNormal(step * rng.normal(size=3), cov + step * (e @ e.T))
    expected = _gaussian_renyi(np.zeros(3), cov, np.asarray(q.mean), cov + step * (e @ e.T), alpha)
    assert float(dv.renyi(p, q, alpha)) == pytest.approx(expected, rel=1e-13, abs=0)
    if alpha == 0.5:
        assert float(dv.bhattacharyya(p, q)) == pytest.approx(expected / 2, rel=1e-13, abs=0)
    diagonal_p, diagonal_q = dv.DiagonalNormal(np.zeros(3), np.ones(3)), dv.DiagonalNormal(np.zeros(3), np.full(3, 1 + step))
    expected = _gaussian_renyi(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3) * (1 + step) ** 2, alpha)
    assert float(dv.renyi(diagonal_p, diagonal_q, alpha)) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("change", ["mean", "factor", "diagonal"])
def test_low_rank_normal_kl_near_p_equals_q(change):
    rng = np.random.default_rng(9)
    mean, factor, diagonal = np.zeros(3), rng.normal(size=(3, 2)), np.array([1.0, 2.0, 0.5])
    step = 1e-8
    moved = {
        "mean": (mean + step, factor, diagonal),
        "factor": (mean, factor * (1 + step), diagonal),
        "diagonal": (mean, factor, diagonal * (1 + step)),
    }[change]
    p, q = dv.LowRankMultivariateNormal(mean, factor, diagonal), dv.LowRankMultivariateNormal(*moved)
    cov_q = moved[1] @ moved[1].T + np.diag(moved[2])
    expected = _gaussian_kl(mean, factor @ factor.T + np.diag(diagonal), moved[0], cov_q)
    assert float(dv.kl(p, q)) == pytest.approx(expected, rel=1e-14 if change == "mean" else 1e-6, abs=0)
