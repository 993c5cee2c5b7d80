"""dv.ExponentialFamily: the generic forms from a log-normaliser, against mpmath and the specialised forms.

The families (``_natural_families``) are written as a user would (natural parameters,
log-normaliser, mean parameters; curvature and exact natural differences where the relative
accuracy near p = q is checked). References: the Bregman divergence and the Renyi formula of
each family's log-normaliser in mpmath at 50 digits, and the library's own specialised closed
forms for Normal, Gamma, Dirichlet and Poisson (a separate code path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import divergences as dv
from _natural_families import ExactDirichlet, ExactGamma, ExactNormal, ExactPoisson, PlainNormal
from divergences.distributions._dispatch import closed_form

DIGITS = 50
STEPS = [0.5, 1e-3, 1e-6, 1e-9, 1e-11]  # relative change of one parameter of q


# --------------------------------------------------------------------- mpmath references


def _log_normaliser(kind: str, params: list[mp.mpf]) -> mp.mpf:
    """A at the natural parameters of ``params`` (loc, scale), (shape, rate), alpha or rate."""
    if kind == "normal":
        m, s = params
        return m**2 / (2 * s**2) + mp.log(s)
    if kind == "gamma":
        a, b = params
        return mp.loggamma(a) - a * mp.log(b)
    if kind == "poisson":
        return params[0]
    return mp.fsum(mp.loggamma(x) for x in params) - mp.loggamma(mp.fsum(params))


def _natural(kind: str, params: list[mp.mpf]) -> list[mp.mpf]:
    if kind == "normal":
        m, s = params
        return [m / s**2, -1 / (2 * s**2)]
    if kind == "gamma":
        return [params[0] - 1, -params[1]]
    if kind == "poisson":
        return [mp.log(params[0])]
    return [x - 1 for x in params]


def _mean(kind: str, params: list[mp.mpf]) -> list[mp.mpf]:
    if kind == "normal":
        m, s = params
        return [m, m**2 + s**2]
    if kind == "gamma":
        a, b = params
        return [mp.digamma(a) - mp.log(b), a / b]
    if kind == "poisson":
        return [params[0]]
    total = mp.digamma(mp.fsum(params))
    return [mp.digamma(x) - total for x in params]


def _from_natural(kind: str, eta: list[mp.mpf]) -> list[mp.mpf]:
    if kind == "normal":
        v = -1 / (2 * eta[1])
        return [eta[0] * v, mp.sqrt(v)]
    if kind == "gamma":
        return [eta[0] + 1, -eta[1]]
    if kind == "poisson":
        return [mp.exp(eta[0])]
    return [x + 1 for x in eta]


@mp.workdps(DIGITS)
def reference_kl(kind: str, p: list[float], q: list[float]) -> float:
    mp_p, mp_q = [mp.mpf(x) for x in p], [mp.mpf(x) for x in q]
    tp, tq = _natural(kind, mp_p), _natural(kind, mp_q)
    linear = mp.fsum(g * (y - x) for g, x, y in zip(_mean(kind, mp_p), tp, tq, strict=True))
    return float(_log_normaliser(kind, mp_q) - _log_normaliser(kind, mp_p) - linear)


@mp.workdps(DIGITS)
def reference_renyi(kind: str, p: list[float], q: list[float], alpha: float) -> float:
    mp_p, mp_q, a = [mp.mpf(x) for x in p], [mp.mpf(x) for x in q], mp.mpf(alpha)
    mixed = [a * x + (1 - a) * y for x, y in zip(_natural(kind, mp_p), _natural(kind, mp_q), strict=True)]
    a_m = _log_normaliser(kind, _from_natural(kind, mixed))
    return float((a_m - a * _log_normaliser(kind, mp_p) - (1 - a) * _log_normaliser(kind, mp_q)) / (a - 1))


MAKE = {
    "normal": (lambda prm: ExactNormal(*prm), lambda prm: dv.Normal(*prm)),
    "gamma": (lambda prm: ExactGamma(*prm), lambda prm: dv.Gamma(*prm)),
    "dirichlet": (lambda prm: ExactDirichlet(np.array(prm)), lambda prm: dv.Dirichlet(np.array(prm))),
    "poisson": (lambda prm: ExactPoisson(*prm), lambda prm: dv.Poisson(*prm)),
}
CASES = {  # (family, p's parameters, index of the parameter of q that moves)
    "normal loc": ("normal", [0.7, 1.3], 0),
    "normal scale": ("normal", [0.7, 1.3], 1),
    "gamma shape": ("gamma", [2.5, 1.5], 0),
    "gamma rate": ("gamma", [2.5, 1.5], 1),
    "dirichlet": ("dirichlet", [0.5, 2.0, 7.0], 1),
    "poisson": ("poisson", [3.5], 0),
}


def _moved(p: list[float], index: int, step: float) -> list[float]:
    q = list(p)
    q[index] = p[index] * (1 + step)
    return q


# ------------------------------------------------------------------ exact as q -> p


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("step", STEPS)
def test_kl_against_mpmath_and_the_specialised_form(case, step):
    kind, p, index = CASES[case]
    q = _moved(p, index, step)
    generic, specialised = MAKE[kind]
    got = float(dv.kl(generic(p), generic(q)))
    assert got == pytest.approx(reference_kl(kind, p, q), rel=1e-12, abs=0)
    assert got == pytest.approx(float(dv.kl(specialised(p), specialised(q))), rel=1e-12, abs=0)


@pytest.mark.parametrize("case", ["normal scale", "gamma shape", "gamma rate", "dirichlet", "poisson"])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
@pytest.mark.parametrize("step", [0.5, 1e-3, 1e-9])
def test_renyi_against_mpmath(case, alpha, step):
    kind, p, index = CASES[case]
    q = _moved(p, index, step)
    got = float(dv.renyi(MAKE[kind][0](p), MAKE[kind][0](q), alpha))
    assert got == pytest.approx(reference_renyi(kind, p, q, alpha), rel=1e-12, abs=0)


def test_far_apart_laws_take_the_formula():
    # Rates 1e-3 and 1e3: the curvature changes by 1e12 along the segment, where 10 + 20
    # Gauss-Legendre nodes are not enough; the plain formula is accurate there.
    p, q = [2.5, 1e-3], [0.4, 1e3]
    assert float(dv.kl(ExactGamma(*p), ExactGamma(*q))) == pytest.approx(reference_kl("gamma", p, q), rel=1e-13)


def test_bhattacharyya_hellinger_chi2_are_derived_and_match_normal():
    p, q = ExactNormal(0.7, 1.3), ExactNormal(-0.2, 0.9)
    for name in ("bhattacharyya", "hellinger", "chi2", "psi"):
        got = getattr(dv, name)(p, q, method="closed_form")
        assert float(got) == pytest.approx(float(getattr(dv, name)(dv.Normal(0.7, 1.3), dv.Normal(-0.2, 0.9))), rel=1e-13)


def test_renyi_is_infinite_outside_the_natural_parameter_space():
    # Order 5 between N(0, 2) and N(0, 1): 5 v_q - 4 v_p < 0.
    assert float(dv.renyi(ExactNormal(0.0, 2.0), ExactNormal(0.0, 1.0), 5.0)) == math.inf
    assert float(dv.renyi(PlainNormal(0.0, 2.0), PlainNormal(0.0, 1.0), 5.0)) == math.inf
    assert float(dv.renyi(ExactNormal(0.0, 2.0), ExactNormal(0.0, 1.0), 0.0)) == 0.0


def test_entropy_and_cross_entropy_from_the_mean_carrier_measure():
    p, q = ExactNormal(0.7, 1.3), ExactNormal(-0.2, 0.9)
    assert float(dv.entropy(p)) == pytest.approx(float(dv.entropy(dv.Normal(0.7, 1.3))), rel=1e-14)
    expected = dv.cross_entropy(dv.Normal(0.7, 1.3), dv.Normal(-0.2, 0.9))
    assert float(dv.cross_entropy(p, q)) == pytest.approx(float(expected), rel=1e-14)
    g = ExactGamma(2.5, 1.5)
    assert float(dv.entropy(g)) == pytest.approx(st.gamma(2.5, scale=1 / 1.5).entropy(), rel=1e-14)
    with pytest.raises(dv.NotRegisteredError, match="defines no mean_carrier_measure"):
        dv.entropy(ExactPoisson(3.5), method="closed_form")


def test_batched_vector_parameters():
    a = np.array([[0.5, 2.0, 7.0], [1.0, 1.0, 1.0]])
    b = np.array([3.0, 2.0, 1.5])
    got = dv.kl(ExactDirichlet(a), ExactDirichlet(b))
    assert got.shape == (2,)
    assert np.allclose(got, dv.kl(dv.Dirichlet(a), dv.Dirichlet(b)), rtol=1e-13)


# ------------------------------------------------------ without curvature: the formula


def test_without_curvature_the_formula_is_accurate_in_absolute_terms_only():
    p = [0.7, 1.3]
    far = [-0.2, 0.9]
    assert float(dv.kl(PlainNormal(*p), PlainNormal(*far))) == pytest.approx(reference_kl("normal", p, far), rel=1e-14)
    near = _moved(p, 1, 1e-6)
    got, exact = float(dv.kl(PlainNormal(*p), PlainNormal(*near))), reference_kl("normal", p, near)
    assert abs(got - exact) < 1e-15  # eps times the size of A (about 0.5), not relative to 1e-12


# ------------------------------------------------------------- routes and refusals


def test_two_families_take_the_numerical_route():
    @dataclass(frozen=True, eq=False)
    class OtherNormal(ExactNormal):
        pass

    p, q = ExactNormal(0.7, 1.3), OtherNormal(-0.2, 0.9)
    with pytest.raises(dv.NotRegisteredError, match="two families"):
        dv.kl(p, q, method="closed_form")
    value, error = dv.kl(p, q, return_error=True)  # quadrature through _scipy
    assert abs(value - dv.kl(dv.Normal(0.7, 1.3), dv.Normal(-0.2, 0.9))) < 10 * error + 1e-12


def test_renyi_of_infinite_order_has_no_generic_form():
    p, q = ExactNormal(0.7, 1.0), ExactNormal(-0.2, 1.5)
    with pytest.raises(dv.NotRegisteredError, match="infinite order.*no numerical route"):
        dv.renyi(p, q, math.inf)


def test_a_registered_pair_takes_precedence():
    @dataclass(frozen=True, eq=False)
    class Mine(ExactNormal):
        pass

    assert "_exponential_family" in closed_form("kl", Mine, Mine, {}).source
    dv.register_kl(Mine, Mine)(lambda p, q, *, xp: xp.zeros_like(p.loc) + 42.0)
    try:
        assert float(dv.kl(Mine(0.0, 1.0), Mine(1.0, 1.0))) == 42.0
    finally:
        dv.distributions.REGISTRIES["kl"]._unregister(Mine, Mine)


def test_the_base_class_is_not_a_family():
    with pytest.raises(dv.InvalidInputError, match="base class"):
        dv.ExponentialFamily()


def test_torch_parameters_carry_gradients():
    torch = pytest.importorskip("torch")
    def f64(v, **kw):
        return torch.tensor(v, dtype=torch.float64, **kw)

    loc = f64(0.7, requires_grad=True)
    value = dv.kl(ExactNormal(loc, f64(1.3)), ExactNormal(f64(-0.2), f64(0.9)))
    assert isinstance(value, torch.Tensor)
    assert float(value.detach()) == pytest.approx(reference_kl("normal", [0.7, 1.3], [-0.2, 0.9]), rel=1e-13)
    value.backward()
    assert float(loc.grad) == pytest.approx((0.7 + 0.2) / 0.9**2, rel=1e-12)
