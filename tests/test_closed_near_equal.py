"""Divergences keep their relative accuracy as q -> p: closed forms and quadrature.

Their KL and Renyi divergences are differences of log-Gamma functions (or of log-masses)
that cancel to second order; the references are the same formulas in mpmath at 60 digits,
where the cancellation costs nothing that matters.
"""

from __future__ import annotations

import math

import array_api_compat.numpy as anp
import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from divergences._special import lgamma_bregman
from divergences.distributions._host import bregman_near_float

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


def test_lgamma_bregman_near_on_floats_against_mpmath():
    """The near form written out for Python floats (an unbatched pair's): recurrence only up
    to 12, Stirling's terms while they count; within 5 ulps over shapes 1e-4 to 1e12 and
    steps up to the series' edge x / 8, as the array form."""
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(400):
        x = float(10.0 ** rng.uniform(-4.0, 12.0))
        d = x * float(rng.choice([0.125, 1e-2, 1e-5, 1e-11, 1e-16])) * float(rng.uniform(-1.0, 1.0))
        with mp.workdps(DIGITS):
            mx, md = mp.mpf(x), mp.mpf(d)
            expected = mp.loggamma(mx + md) - mp.loggamma(mx) - md * mp.digamma(mx)
            got = bregman_near_float(x, d)
            assert type(got) is float
            worst = max(worst, float(abs(got - expected) / expected)) if d else worst
    assert worst <= 5 * 2.0**-52


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


# --------------------------------------------------------------------------------------
# Gaussians: every parametrisation, KL, Renyi and Bhattacharyya near p = q
# --------------------------------------------------------------------------------------

GAUSSIAN_DIGITS = 50


def _mp_vector(x: np.ndarray) -> mp.matrix:
    return mp.matrix([mp.mpf(float(v)) for v in np.ravel(x)])


def _mp_law(law: dv.Distribution) -> tuple[mp.matrix, mp.matrix]:
    """The mean and the covariance that the float parameters describe, built in mpmath (exact
    squares of the scales, exact products of the low-rank factors)."""
    prm = {k: np.asarray(v, dtype=float) for k, v in law.params().items()}
    if isinstance(law, dv.Normal):
        return _mp_vector(prm["loc"]), mp.matrix([[mp.mpf(float(prm["scale"])) ** 2]])
    if isinstance(law, dv.DiagonalNormal):
        return _mp_vector(prm["mean"]), mp.diag([mp.mpf(float(s)) ** 2 for s in prm["scale"]])
    if isinstance(law, dv.LowRankMultivariateNormal):
        w = mp.matrix(prm["cov_factor"].tolist())
        return _mp_vector(prm["mean"]), w * w.T + mp.diag([mp.mpf(float(d)) for d in prm["cov_diag"]])
    return _mp_vector(prm["mean"]), mp.matrix(prm["cov"].tolist())


@mp.workdps(GAUSSIAN_DIGITS)
def _gaussian_reference(p: dv.Distribution, q: dv.Distribution, alpha: float) -> float:
    """KL (``alpha`` 1) and Renyi of two Gaussians from their textbook formulas (Gil 2011)."""
    (m1, c1), (m2, c2) = _mp_law(p), _mp_law(q)
    diff, d = m2 - m1, c1.rows
    if alpha == 1:
        inverse = c2**-1
        trace = mp.fsum((inverse * c1)[i, i] for i in range(d))
        return float((trace - d + (diff.T * inverse * diff)[0] + mp.log(mp.det(c2) / mp.det(c1))) / 2)
    if alpha == math.inf:
        return float((mp.log(mp.det(c2) / mp.det(c1)) + (diff.T * (c2 - c1) ** -1 * diff)[0]) / 2)
    a = mp.mpf(alpha)
    mixed = a * c2 + (1 - a) * c1
    log_ratio = mp.log(mp.det(mixed) / (mp.det(c1) ** (1 - a) * mp.det(c2) ** a))
    return float(a / 2 * (diff.T * mixed**-1 * diff)[0] - log_ratio / (2 * (a - 1)))


def _gaussian_pair(kind: str, step: float, move_mean: bool) -> tuple[dv.Distribution, dv.Distribution]:
    """``p`` and ``q`` with every parameter of q moved by a relative ``step`` (the mean too
    where ``move_mean``), in one parametrisation or two (``diag/mvn``, ``mvn/diag``)."""
    rng = np.random.default_rng(17)
    a, e = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    mean, shift = rng.normal(size=3), (step if move_mean else 0.0) * rng.normal(size=3)
    scale = np.array([0.7, 1.3, 2.1])
    moved_scale = scale * (1 + step * np.array([1.0, -2.0, 3.0]))
    if kind == "normal":
        return dv.Normal(mean[0], scale[0]), dv.Normal(mean[0] + shift[0], moved_scale[0])
    if kind == "diagonal":
        return dv.DiagonalNormal(mean, scale), dv.DiagonalNormal(mean + shift, moved_scale)
    cov = a @ a.T + np.eye(3)
    if kind == "mvn":
        return dv.MultivariateNormal(mean, cov), dv.MultivariateNormal(mean + shift, cov + step * (e @ e.T))
    if kind == "lowrank":
        w, diag = a[:, :2], np.array([1.0, 2.0, 0.5])
        moved = (mean + shift, w + step * e[:, :2], diag * (1 + step * np.array([1.0, -1.0, 2.0])))
        return dv.LowRankMultivariateNormal(mean, w, diag), dv.LowRankMultivariateNormal(*moved)
    near = np.diag(scale**2) + step * (e @ e.T)  # a full covariance next to the diagonal one
    if kind == "diag/mvn":
        return dv.DiagonalNormal(mean, scale), dv.MultivariateNormal(mean + shift, near)
    return dv.MultivariateNormal(mean, near), dv.DiagonalNormal(mean + shift, scale)


def _measure(p: dv.Distribution, q: dv.Distribution, name: str, alpha: float) -> float:
    if name == "kl":
        return float(dv.kl(p, q))
    if name == "bhattacharyya":
        return float(dv.bhattacharyya(p, q))
    return float(dv.renyi(p, q, alpha))


GAUSSIAN_MEASURES = [("kl", 1.0), ("renyi", 0.2), ("renyi", 0.5), ("renyi", 2.0), ("bhattacharyya", 0.5)]


@pytest.mark.parametrize("kind", ["normal", "diagonal", "mvn", "lowrank", "diag/mvn", "mvn/diag"])
@pytest.mark.parametrize(("name", "alpha"), GAUSSIAN_MEASURES)
@pytest.mark.parametrize("step", [1e-4, 1e-8, 1e-11])
@pytest.mark.parametrize("move_mean", [True, False])
def test_gaussians_keep_relative_accuracy_near_p_equals_q(kind, name, alpha, step, move_mean):
    """Second order in the change of every parameter: the covariance part from the exact
    differences of the parameters (a difference of log-determinants and traces was 1.2e-5
    relative off at a change of 1e-11; DiagonalNormal Renyi 4e-6, LowRank Renyi 1.4e-6)."""
    p, q = _gaussian_pair(kind, step, move_mean)
    expected = _gaussian_reference(p, q, alpha)
    if name == "bhattacharyya":
        expected /= 2  # D_B = D_1/2 / 2
    assert _measure(p, q, name, alpha) == pytest.approx(expected, rel=1e-13, abs=0)


@pytest.mark.parametrize("kind", ["normal", "diagonal", "mvn", "lowrank"])
@pytest.mark.parametrize("step", [1e-4, 1e-8, 1e-11])
def test_gaussian_renyi_of_order_infinity_near_p_equals_q(kind, step):
    """q wider than p by a relative ``step`` (so ``S2 - S1`` is positive definite), its
    mean moved by ``step``: log det(S2/S1)/2 from the eigenvalues of the whitened difference."""
    rng = np.random.default_rng(18)
    a = rng.normal(size=(3, 3))
    mean, shift, grow = rng.normal(size=3), step * rng.normal(size=3), 1 + step
    p, q = {
        "normal": (dv.Normal(mean[0], 1.3), dv.Normal(mean[0] + shift[0], 1.3 * grow)),
        "diagonal": (dv.DiagonalNormal(mean, np.array([0.7, 1.3, 2.1])),
                     dv.DiagonalNormal(mean + shift, np.array([0.7, 1.3, 2.1]) * grow)),
        "mvn": (dv.MultivariateNormal(mean, a @ a.T + np.eye(3)),
                dv.MultivariateNormal(mean + shift, (a @ a.T + np.eye(3)) * (1 + 2 * step))),
        "lowrank": (dv.LowRankMultivariateNormal(mean, a[:, :2], np.array([1.0, 2.0, 0.5])),
                    dv.LowRankMultivariateNormal(mean + shift, a[:, :2] * grow, np.array([1.0, 2.0, 0.5]) * grow)),
    }[kind]
    got = float(dv.renyi(p, q, math.inf))
    assert got == pytest.approx(_gaussian_reference(p, q, math.inf), rel=1e-12, abs=0)


def _ill_conditioned(rng: np.random.Generator, big: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return rng.normal(size=4), rng.normal(size=(4, 2)) * big, rng.uniform(0.5, 1.5, size=4)


ILL_CASES = [(pair, name, alpha) for pair in ["generic/ill", "ill/ill", "aligned/ill", "ill/mvn", "mvn/ill", "ill/diag",
                                             "diag/ill", "ill/generic", "ill/near"]
             for name, alpha in GAUSSIAN_MEASURES]  # fmt: skip


@pytest.mark.parametrize(("pair", "name", "alpha"), ILL_CASES)
def test_low_rank_forms_with_an_ill_conditioned_covariance(pair, name, alpha):
    """cond(W W^T + D) ~ 1e9: the dense covariance rounds D away in the directions orthogonal
    to W (KL 5.1e-8 relative, 1.4e-9 here; Renyi and Bhattacharyya 1e-9 to 10%); the factored
    forms never build it (Renyi: the mixed covariance of two low-rank laws is low rank; of a
    low-rank and a full law, a low-rank update of a well-conditioned full matrix, which was
    1.5e-9 relative off while it went through B, whitened by either law).
    ``ill/near`` moves every parameter by a relative 1e-8."""
    rng = np.random.default_rng(19)
    ill = _ill_conditioned(rng, 2e4)
    cov = np.asarray(dv.LowRankMultivariateNormal(*ill).to_scipy().cov)
    assert 1e9 < np.linalg.cond(cov) < 1e10
    generic = (rng.normal(size=4), rng.normal(size=(4, 2)), rng.uniform(0.5, 1.5, size=4))
    a = rng.normal(size=(4, 4))
    laws = {
        "ill": dv.LowRankMultivariateNormal(*ill),
        "ill2": dv.LowRankMultivariateNormal(*_ill_conditioned(rng, 3e4)),
        "generic": dv.LowRankMultivariateNormal(*generic),
        "aligned": dv.LowRankMultivariateNormal(generic[0], ill[1] * 1.1, generic[2]),
        "mvn": dv.MultivariateNormal(generic[0], a @ a.T + np.eye(4)),
        "diag": dv.DiagonalNormal(generic[0], generic[2]),
        "near": dv.LowRankMultivariateNormal(*(x * (1 + 1e-8 * rng.normal(size=x.shape)) for x in ill)),
    }
    first, second = pair.split("/")
    p, q = laws[first], laws["ill2" if pair == "ill/ill" else second]
    got = _measure(p, q, name, alpha)
    if math.isinf(got):  # order 2: 2 S_q - S_p indefinite, checked in mpmath
        (_, c1), (_, c2) = _mp_law(p), _mp_law(q)
        assert alpha > 1 and min(mp.eigsy(2 * c2 - c1)[0]) < 0
        return
    expected = _gaussian_reference(p, q, alpha) / (2 if name == "bhattacharyya" else 1)
    assert got == pytest.approx(expected, rel=1e-12, abs=0)
