"""dv.Independent: the base pair's closed forms summed over the reinterpreted dimensions.

References written here: the normal KL, Renyi and Bhattacharyya formulas in mpmath at 50
digits (on the float inputs themselves, so a 1e-11 change of a parameter is compared exactly),
the library's MultivariateNormal / DiagonalNormal forms on the same law (an independent code
path), sums of the base pair's values computed one coordinate at a time, SciPy log densities,
and Monte Carlo within 5 standard errors.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st

import divergences as dv
from conftest import raises_invalid, to_numpy

DIGITS = 50


@mp.workdps(DIGITS)
def _normal_kl(m1, s1, m2, s2) -> float:
    m1, s1, m2, s2 = (mp.mpf(float(v)) for v in (m1, s1, m2, s2))
    return float(mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2)


@mp.workdps(DIGITS)
def _normal_renyi(m1, s1, m2, s2, alpha) -> float:
    # Gil (2011): a (m1 - m2)^2 / (2 v_a) - log(v_a / (v1^(1-a) v2^a)) / (2 (a - 1)), v_a = a v2 + (1 - a) v1.
    m1, s1, m2, s2, a = (mp.mpf(float(v)) for v in (m1, s1, m2, s2, alpha))
    v1, v2 = s1**2, s2**2
    va = a * v2 + (1 - a) * v1
    return float(a * (m1 - m2) ** 2 / (2 * va) - mp.log(va / (v1 ** (1 - a) * v2**a)) / (2 * (a - 1)))


def _summed(ref, p_loc, p_scale, q_loc, q_scale, *extra) -> float:
    with mp.workdps(DIGITS):
        terms = [mp.mpf(ref(*args, *extra)) for args in zip(p_loc, p_scale, q_loc, q_scale, strict=True)]
    return float(mp.fsum(terms))


P_LOC, P_SCALE = np.array([0.3, -1.2, 2.0]), np.array([0.7, 1.5, 1.1])
Q_LOC, Q_SCALE = np.array([-0.4, 0.1, 2.5]), np.array([1.3, 0.9, 1.1])


def _pair(p_loc=P_LOC, p_scale=P_SCALE, q_loc=Q_LOC, q_scale=Q_SCALE):
    return dv.Independent(dv.Normal(p_loc, p_scale), 1), dv.Independent(dv.Normal(q_loc, q_scale), 1)


# ----------------------------------------------------------------------------- shapes


def test_shapes_follow_torch():
    d = dv.Independent(dv.Normal(np.zeros((4, 2, 3)), 1.0), 2)
    assert d.batch_shape == (4,) and d.event_shape == (2, 3) and d.event_ndim == 2
    assert dv.Independent(dv.Normal(np.zeros((4, 3)), 1.0), 0).event_shape == ()
    mvn_base = dv.Independent(dv.DiagonalNormal(np.zeros((4, 2, 3)), np.ones(3)), 1)
    assert mvn_base.batch_shape == (4,) and mvn_base.event_shape == (2, 3)


# ------------------------------------------------------------------ closed forms, exact


def test_kl_is_the_sum_of_the_normal_kls_and_the_diagonal_gaussian_kl():
    p, q = _pair()
    expected = _summed(_normal_kl, P_LOC, P_SCALE, Q_LOC, Q_SCALE)
    assert float(dv.kl(p, q)) == pytest.approx(expected, rel=1e-14)
    mvn = dv.kl(dv.MultivariateNormal(P_LOC, np.diag(P_SCALE**2)), dv.MultivariateNormal(Q_LOC, np.diag(Q_SCALE**2)))
    assert float(dv.kl(p, q)) == pytest.approx(float(mvn), rel=1e-13)


@pytest.mark.parametrize("step", [1e-3, 1e-6, 1e-11])
@pytest.mark.parametrize("which", ["loc", "scale"])
def test_kl_keeps_relative_accuracy_near_p_equals_q(step, which):
    q_loc, q_scale = P_LOC.copy(), P_SCALE.copy()
    if which == "loc":
        q_loc = P_LOC + step * np.array([1.0, -2.0, 0.5])
    else:
        q_scale = P_SCALE * (1 + step * np.array([1.0, -1.0, 3.0]))
    p, q = _pair(P_LOC, P_SCALE, q_loc, q_scale)
    expected = _summed(_normal_kl, P_LOC, P_SCALE, q_loc, q_scale)
    assert float(dv.kl(p, q)) == pytest.approx(expected, rel=1e-12, abs=0)
    bhat = float(dv.bhattacharyya(p, q))
    assert bhat == pytest.approx(0.5 * _summed(_normal_renyi, P_LOC, P_SCALE, q_loc, q_scale, 0.5), rel=1e-12, abs=0)


@pytest.mark.parametrize("alpha", [0.3, 0.5, 1.5])
def test_renyi_is_summed_against_mpmath(alpha):
    p, q = _pair()
    expected = _summed(_normal_renyi, P_LOC, P_SCALE, Q_LOC, Q_SCALE, alpha)
    assert float(dv.renyi(p, q, alpha)) == pytest.approx(expected, rel=1e-13)


def test_renyi_is_infinite_where_one_coordinate_is():
    p, q = _pair()  # order 2: 2 v_q - v_p < 0 in the second coordinate
    assert float(dv.renyi(p, q, 2.0)) == math.inf and float(dv.chi2(p, q)) == math.inf


def test_derived_measures_match_the_diagonal_normal_forms():
    p, q = _pair()
    dp, dq = dv.DiagonalNormal(P_LOC, P_SCALE), dv.DiagonalNormal(Q_LOC, Q_SCALE)
    for name, extra in [("bhattacharyya", ()), ("hellinger", ()), ("chi2", ()), ("psi", ()), ("cross_entropy", ()),
                        ("renyi", (math.inf,)), ("renyi", (0.0,))]:
        got, want = getattr(dv, name)(p, q, *extra, method="closed_form"), getattr(dv, name)(dp, dq, *extra)
        assert float(got) == pytest.approx(float(want), rel=1e-13, abs=1e-300), name
    assert float(dv.entropy(p)) == pytest.approx(float(dv.entropy(dp)), rel=1e-14)


def test_entropy_uses_the_base_family_own_closed_form():
    # StudentT has no registered cross entropy, only its own entropy (_entropy).
    base = dv.StudentT(np.array([3.0, 7.5]), 0.0, np.array([1.0, 2.0]))
    expected = sum(st.t(df, 0.0, s).entropy() for df, s in [(3.0, 1.0), (7.5, 2.0)])
    assert float(dv.entropy(dv.Independent(base, 1), method="closed_form")) == pytest.approx(expected, rel=1e-13)


def test_cross_family_base_pairs_are_summed():
    p = dv.Independent(dv.Exponential(np.array([[0.5, 2.0], [1.0, 3.0]])), 1)
    q = dv.Independent(dv.Gamma(np.array([1.5, 2.0]), np.array([1.0, 4.0])), 1)
    got = dv.kl(p, q)
    assert got.shape == (2,)
    for i in range(2):
        each = sum(float(dv.kl(dv.Exponential(r), dv.Gamma(a, b))) for r, a, b in
                   zip(p.base.rate[i], (1.5, 2.0), (1.0, 4.0), strict=True))
        assert float(got[i]) == pytest.approx(each, rel=1e-14)


def test_nested_and_batched():
    rng = np.random.default_rng(3)
    loc, scale = rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 2.0, size=(2, 3, 4))
    p = dv.Independent(dv.Independent(dv.Normal(loc, scale), 1), 1)
    q = dv.Independent(dv.Independent(dv.Normal(loc[::-1], scale), 1), 1)
    assert p.event_shape == (3, 4) and p.batch_shape == (2,)
    got = dv.kl(p, q)
    expected = [_summed(_normal_kl, loc[i].ravel(), scale[i].ravel(), loc[1 - i].ravel(), scale[i].ravel())
                for i in range(2)]
    assert got.shape == (2,) and np.allclose(got, expected, rtol=1e-13)


# --------------------------------------------------------------- numerical routes


def test_pairs_without_a_closed_form_take_the_numerical_route():
    p = dv.Independent(dv.StudentT(np.array([4.0, 6.0]), 0.0, 1.0), 1)
    q = dv.Independent(dv.Normal(np.array([0.2, -0.1]), 1.3), 1)
    with pytest.raises(dv.NotRegisteredError, match=r"kl\(Independent, Independent\).*StudentT and Normal"):
        dv.kl(p, q, method="closed_form")
    value, error = dv.kl(p, q, return_error=True, n_samples=20_000, random_state=1)
    expected = sum(
        si.quad(lambda x, df=df, m=m: st.t.pdf(x, df) * (st.t.logpdf(x, df) - st.norm.logpdf(x, m, 1.3)), -np.inf, np.inf)[0]
        for df, m in [(4.0, 0.2), (6.0, -0.1)]
    )
    assert abs(value - expected) < 5 * error < 0.1


def test_total_variation_is_not_additive_and_is_numerical():
    p, q = _pair()
    value, error = dv.total_variation(p, q, return_error=True, n_samples=20_000, random_state=0)
    assert 0 < error < 0.02 and 0 < value < 1
    # With no dimension reinterpreted the law is the base's: its numerical route is quadrature.
    p0, q0 = dv.Independent(dv.Normal(0.3, 0.7), 0), dv.Independent(dv.Normal(-0.4, 1.3), 0)
    value, error = dv.kl(p0, q0, method="quadrature", return_error=True)
    assert error < 1e-12 and float(value) == pytest.approx(_normal_kl(0.3, 0.7, -0.4, 1.3), rel=1e-12)


def test_monte_carlo_agrees_with_the_closed_form():
    p, q = _pair()
    value, error = dv.kl(p, q, method="monte_carlo", return_error=True, n_samples=20_000, random_state=2)
    assert abs(value - dv.kl(p, q)) < 5 * error


def test_log_prob_and_sample():
    base = dv.Normal(np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]), np.array([1.0, 2.0, 0.5]))
    d = dv.Independent(base, 2)
    x = d.sample(7, random_state=0)
    assert x.shape == (7, 2, 3)
    expected = st.norm(to_numpy(base.loc), to_numpy(base.scale)).logpdf(x).sum(axis=(-2, -1))
    assert np.allclose(d.log_prob(x), expected, rtol=1e-14)
    with raises_invalid("event shape"):
        d.log_prob(np.zeros((7, 3, 2)))
    with raises_invalid("batch shape"):
        dv.Independent(base, 1).sample(3)


def test_scipy_frozen_base_and_no_scipy_equivalent():
    d = dv.Independent(st.norm(np.zeros(3), 2.0), 1)
    assert isinstance(d.base, dv.Normal) and d.event_shape == (3,)
    with pytest.raises(NotImplementedError, match="no SciPy equivalent"):
        d.to_scipy()


# -------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: dv.Independent(dv.Normal(np.zeros(3), 1.0), 2), ["reinterpreted_batch_ndims is 2", "(3,)"]),
        (lambda: dv.Independent(dv.Normal(np.zeros(3), 1.0), -1), ["integer >= 0"]),
        (lambda: dv.Independent(dv.Normal(np.zeros(3), 1.0), 1.0), ["integer >= 0"]),
        (lambda: dv.Independent(dv.Normal(np.zeros(3), 1.0), True), ["integer >= 0"]),
        (lambda: dv.Independent([0.5, 0.5], 1), ["base must be a distribution"]),
        (lambda: dv.Independent(dv.Normal(np.zeros(3), -1.0), 1), ["Normal scale", "positive"]),
    ],
)
def test_invalid_construction_is_named(make, words):
    with pytest.raises(dv.InvalidInputError) as info:
        make()
    assert all(word in str(info.value) for word in words)


def test_different_reinterpreted_dimensions_or_event_shapes_are_refused():
    a = dv.Independent(dv.Normal(np.zeros((2, 3)), 1.0), 2)
    b = dv.Independent(dv.DiagonalNormal(np.zeros((2, 3)), np.ones(3)), 1)
    assert a.event_shape == b.event_shape == (2, 3)
    with raises_invalid("reinterprets 2 batch dimension"):
        dv.kl(a, b)
    with raises_invalid("event shapes"):
        dv.kl(_pair()[0], dv.Independent(dv.Normal(np.zeros(4), 1.0), 1))
    with raises_invalid("event shapes"):
        dv.kl(a, dv.Independent(dv.Normal(np.zeros((3, 2)), 1.0), 2))


# -------------------------------------------------------------------------- torch


def test_torch_parameters_carry_gradients():
    torch = pytest.importorskip("torch")
    loc = torch.tensor(P_LOC, requires_grad=True)
    scale = torch.tensor(P_SCALE, requires_grad=True)
    p = dv.Independent(dv.Normal(loc, scale), 1)
    q = dv.Independent(dv.Normal(torch.tensor(Q_LOC), torch.tensor(Q_SCALE)), 1)
    value = dv.kl(p, q)
    assert isinstance(value, torch.Tensor) and value.shape == ()
    assert float(value.detach()) == pytest.approx(_summed(_normal_kl, P_LOC, P_SCALE, Q_LOC, Q_SCALE), rel=1e-14)
    value.backward()
    # d KL / d loc_p = (loc_p - loc_q) / scale_q^2
    assert np.allclose(to_numpy(loc.grad), (P_LOC - Q_LOC) / Q_SCALE**2, rtol=1e-14)
    reference = torch.distributions.kl_divergence(
        torch.distributions.Independent(torch.distributions.Normal(torch.tensor(P_LOC), torch.tensor(P_SCALE)), 1),
        torch.distributions.Independent(torch.distributions.Normal(torch.tensor(Q_LOC), torch.tensor(Q_SCALE)), 1),
    )
    assert float(value.detach()) == pytest.approx(float(reference), rel=1e-13)
