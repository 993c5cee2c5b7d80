"""dv.LogisticNormal: torch's law (stick-breaking map of a diagonal normal) and its divergences.

References written here: the normal KL / Renyi formulas in mpmath at 50 digits, summed over the
coordinates; the DiagonalNormal and Normal closed forms of the library on the base normals;
torch's LogisticNormal (log_prob) and StickBreakingTransform (the map); Monte Carlo averages of
log p(Y) - log q(Y), -log p(Y) and -log q(Y) over samples (within 5 standard errors); the density
integrated by SciPy's quad for K = 2; the entropy and cross entropy from mpmath's quadrature of
E[log sigmoid(t_j)] at 40 digits, summed part by part from the definition of the map.
"""

from __future__ import annotations

import functools
import math

import mpmath as mp
import numpy as np
import pytest
import scipy.integrate as si

import divergences as dv
from conftest import raises_invalid, to_numpy

DIGITS = 50
P_LOC, P_SCALE = np.array([0.2, -0.7, 1.1]), np.array([0.8, 1.3, 0.6])
Q_LOC, Q_SCALE = np.array([-0.3, 0.4, 1.1]), np.array([1.1, 1.0, 0.9])


@mp.workdps(DIGITS)
def _kl(p_loc, p_scale, q_loc, q_scale) -> float:
    total = mp.mpf(0)
    for m1, s1, m2, s2 in zip(p_loc, p_scale, q_loc, q_scale, strict=True):
        m1, s1, m2, s2 = (mp.mpf(float(v)) for v in (m1, s1, m2, s2))
        total += mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2
    return float(total)


@mp.workdps(DIGITS)
def _renyi(p_loc, p_scale, q_loc, q_scale, alpha) -> float:
    total, a = mp.mpf(0), mp.mpf(alpha)
    for m1, s1, m2, s2 in zip(p_loc, p_scale, q_loc, q_scale, strict=True):
        m1, s1, m2, s2 = (mp.mpf(float(v)) for v in (m1, s1, m2, s2))
        va = a * s2**2 + (1 - a) * s1**2
        total += a * (m1 - m2) ** 2 / (2 * va) - mp.log(va / (s1 ** (2 * (1 - a)) * s2 ** (2 * a))) / (2 * (a - 1))
    return float(total)


def _pair(q_loc=Q_LOC, q_scale=Q_SCALE):
    return dv.LogisticNormal(P_LOC, P_SCALE), dv.LogisticNormal(q_loc, q_scale)


# ------------------------------------------------------------------------ closed forms


def test_kl_is_the_normals_kl():
    p, q = _pair()
    assert p.event_shape == (4,) and p.batch_shape == ()
    assert float(dv.kl(p, q)) == pytest.approx(_kl(P_LOC, P_SCALE, Q_LOC, Q_SCALE), rel=1e-14)
    diagonal = dv.kl(dv.DiagonalNormal(P_LOC, P_SCALE), dv.DiagonalNormal(Q_LOC, Q_SCALE))
    assert float(dv.kl(p, q)) == pytest.approx(float(diagonal), rel=1e-15)


@pytest.mark.parametrize("step", [1e-4, 1e-8, 1e-11])
def test_kl_and_renyi_keep_relative_accuracy_near_p_equals_q(step):
    q_loc, q_scale = P_LOC + step * np.array([0.3, -1.0, 0.0]), P_SCALE * (1 + step * np.array([1.0, 0.0, -2.0]))
    p, q = _pair(q_loc, q_scale)
    assert float(dv.kl(p, q)) == pytest.approx(_kl(P_LOC, P_SCALE, q_loc, q_scale), rel=1e-12, abs=0)
    for alpha in (0.5, 2.0):
        expected = _renyi(P_LOC, P_SCALE, q_loc, q_scale, alpha)
        assert float(dv.renyi(p, q, alpha)) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0, 1.5, 5.0, math.inf])
def test_renyi_is_the_diagonal_normals(alpha):
    p, q = _pair()
    expected = dv.renyi(dv.DiagonalNormal(P_LOC, P_SCALE), dv.DiagonalNormal(Q_LOC, Q_SCALE), alpha)
    assert float(dv.renyi(p, q, alpha)) == pytest.approx(float(expected), rel=1e-14)
    if 0 < alpha < 2 and alpha != 1:
        assert float(dv.renyi(p, q, alpha)) == pytest.approx(_renyi(P_LOC, P_SCALE, Q_LOC, Q_SCALE, alpha), rel=1e-13)


def test_bhattacharyya_hellinger_chi2_psi_are_the_diagonal_normals():
    p, q = _pair()
    dp, dq = dv.DiagonalNormal(P_LOC, P_SCALE), dv.DiagonalNormal(Q_LOC, Q_SCALE)
    for name in ("bhattacharyya", "hellinger", "chi2", "psi"):
        got = getattr(dv, name)(p, q, method="closed_form")
        assert float(got) == pytest.approx(float(getattr(dv, name)(dp, dq)), rel=1e-14), name


def test_total_variation_in_closed_form_for_two_parts_only():
    p, q = dv.LogisticNormal([0.3], [0.7]), dv.LogisticNormal([-0.4], [1.3])
    assert float(dv.total_variation(p, q)) == pytest.approx(
        float(dv.total_variation(dv.Normal(0.3, 0.7), dv.Normal(-0.4, 1.3))), rel=1e-15
    )
    p3, q3 = _pair()
    with pytest.raises(dv.NotRegisteredError, match="one dimension only"):
        dv.total_variation(p3, q3, method="closed_form")
    value, error = dv.total_variation(p3, q3, return_error=True, n_samples=20_000, random_state=0)
    assert 0 < value < 1 and error < 0.01


def test_batches_broadcast():
    p = dv.LogisticNormal(np.stack([P_LOC, Q_LOC]), P_SCALE)
    q = dv.LogisticNormal(Q_LOC, Q_SCALE)
    got = dv.kl(p, q)
    assert got.shape == (2,)
    assert got[0] == pytest.approx(_kl(P_LOC, P_SCALE, Q_LOC, Q_SCALE), rel=1e-14)
    assert got[1] == pytest.approx(_kl(Q_LOC, P_SCALE, Q_LOC, Q_SCALE), rel=1e-14)


# ------------------------------------------------------- the law itself: torch, sampling


def test_log_prob_matches_torch():
    torch = pytest.importorskip("torch")
    law = torch.distributions.LogisticNormal(torch.tensor(P_LOC), torch.tensor(P_SCALE))
    torch.manual_seed(0)
    y = law.sample((50,))
    ours = dv.LogisticNormal(P_LOC, P_SCALE).log_prob(to_numpy(y))
    assert np.allclose(ours, to_numpy(law.log_prob(y)), rtol=1e-12, atol=1e-12)


def test_sample_is_torch_map_of_normal_draws():
    torch = pytest.importorskip("torch")
    d = dv.LogisticNormal(P_LOC, P_SCALE)
    y = d.sample(1000, random_state=1)
    # The same normal draws (sample takes loc + scale * standard normals from the seed) through torch's map.
    x = P_LOC + P_SCALE * np.random.default_rng(1).standard_normal((1000, 3))
    mapped = torch.distributions.transforms.StickBreakingTransform()(torch.tensor(x))
    assert y.shape == (1000, 4) and np.allclose(y, to_numpy(mapped), rtol=1e-12, atol=1e-300)
    assert np.allclose(y.sum(axis=-1), 1.0, atol=1e-14) and (y > 0).all()


def test_density_integrates_to_one_for_two_parts():
    d = dv.LogisticNormal([0.4], [0.9])
    total, error = si.quad(lambda u: math.exp(float(d.log_prob([u, 1.0 - u]))), 0.0, 1.0, epsabs=1e-13)
    assert total == pytest.approx(1.0, abs=1e-10)
    assert d.log_prob([1.2, -0.2]) == -np.inf and d.log_prob([0.3, 0.3]) == -np.inf


def test_monte_carlo_check_of_the_kl_from_samples_and_log_prob():
    p, q = _pair()
    y = p.sample(40_000, random_state=5)
    ratio = p.log_prob(y) - q.log_prob(y)
    mean, standard_error = ratio.mean(), ratio.std(ddof=1) / math.sqrt(ratio.size)
    assert abs(mean - float(dv.kl(p, q))) < 5 * standard_error
    value, error = dv.kl(p, q, method="monte_carlo", return_error=True, n_samples=20_000, random_state=6)
    assert abs(value - dv.kl(p, q)) < 5 * error


# ------------------------------------------------- entropy and cross entropy by quadrature


@mp.workdps(40)
def _mean_log_sigmoid(mu, s):
    """E[log sigmoid(mu + s Z)] by mpmath's quadrature of the definition, split where the
    argument is 0, within a few of its units (1 / s in z) and of the Gaussian's decay beyond
    that point (1 / (|mu| / s + 1) in z), and in the Gaussian's bulk; mpmath's own error
    estimate must be negligible."""
    mu, s = mp.mpf(mu), mp.mpf(s)
    z0, w = -mu / s, 1 / (abs(mu / s) + 1)
    cuts = {z0 + k / s for k in (-8, -2, -0.5, 0, 0.5, 2, 8)} | {z0 + k * w for k in (-16, -4, -1, 1, 4, 16)}
    cuts |= {mp.mpf(k) for k in (-8, -2, 0, 2, 8)}
    f = lambda z: -mp.log1p(mp.exp(-(mu + s * z))) * mp.npdf(z)  # noqa: E731
    value, error = mp.quad(f, [-mp.inf, *sorted(cuts), mp.inf], error=True)
    assert error < 1e-25 * abs(value)
    return value


@functools.cache
def _mean_log_parts_mp(loc, scale):
    """sum_k E[log y_k], with log y_i = log sigmoid(t_i) + sum_{j<i} log sigmoid(-t_j) and
    log y_{K-1} = sum_j log sigmoid(-t_j), t_j = x_j - log(K-1-j), summed part by part (as
    ``sample`` builds the parts); log sigmoid(-t) = log sigmoid(t) - t."""
    with mp.workdps(40):
        k = len(loc) + 1
        mus = [mp.mpf(m) - mp.log(k - 1 - j) for j, m in enumerate(loc)]
        taken = [_mean_log_sigmoid(mu, s) for mu, s in zip(mus, scale, strict=True)]
        left = [t - mu for t, mu in zip(taken, mus, strict=True)]
        return sum(taken) + sum(sum(left[:i]) for i in range(1, k))


def _cross_entropy_mp(p_loc, p_scale, q_loc=None, q_scale=None) -> float:
    """-E_p[log q(Y)] = H(N_p, N_q) + sum_k E_p[log y_k] (the density is N(x) / prod_k y_k)."""
    q_loc, q_scale = (p_loc, p_scale) if q_loc is None else (q_loc, q_scale)
    with mp.workdps(40):
        total = _mean_log_parts_mp(tuple(p_loc), tuple(p_scale))
        for m1, s1, m2, s2 in zip(p_loc, p_scale, q_loc, q_scale, strict=True):
            m1, s1, m2, s2 = (mp.mpf(v) for v in (m1, s1, m2, s2))
            total += mp.log(s2 * mp.sqrt(2 * mp.pi)) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2)
        return float(total)


# (loc, scale): K = 2..6 parts, scales 1e-3 to 30, |loc| up to 20.
ENTROPY_CASES = [
    ((0.3,), (1e-3,)),
    ((-20.0,), (30.0,)),
    ((20.0, -20.0), (0.5, 30.0)),
    ((-1.2, 0.4, 2.0), (30.0, 1e-3, 1.0)),
    ((20.0, -20.0, 0.0, 5.0), (30.0, 30.0, 1e-3, 3.0)),
    ((0.1, -0.5, 1.5, -3.0, 0.8), (0.7, 1.3, 0.2, 2.5, 1e-3)),
]


@pytest.mark.parametrize(("loc", "scale"), ENTROPY_CASES)
def test_entropy_and_cross_entropy_match_mpmath(loc, scale):
    q_loc, q_scale = tuple(0.5 - 0.3 * v for v in loc), tuple(1.5 + 0.1 * v for v in scale)
    p, q = dv.LogisticNormal(loc, scale), dv.LogisticNormal(q_loc, q_scale)
    entropy, cross = float(dv.entropy(p, method="closed_form")), float(dv.cross_entropy(p, q))
    assert entropy == pytest.approx(_cross_entropy_mp(loc, scale), rel=2e-15)
    assert cross == pytest.approx(_cross_entropy_mp(loc, scale, q_loc, q_scale), rel=2e-15)
    # H(p, q) - H(p) = KL(p || q), the normals' closed form.
    assert abs(cross - entropy - float(dv.kl(p, q))) <= 1e-14 * (abs(entropy) + float(dv.kl(p, q)))
    # return_error reports the quadrature's bound, which holds against mpmath (and in bits).
    for got, truth in ((dv.entropy(p, return_error=True), _cross_entropy_mp(loc, scale)),
                       (dv.cross_entropy(p, q, return_error=True), _cross_entropy_mp(loc, scale, q_loc, q_scale))):
        assert abs(float(got[0]) - truth) <= float(got[1]) < 1e-12 * max(1.0, abs(truth))
    bits = dv.entropy(p, base=2, return_error=True)
    assert float(bits[1]) == pytest.approx(float(dv.entropy(p, return_error=True)[1]) / math.log(2), rel=1e-15)


def test_entropy_and_cross_entropy_of_a_batch_are_those_of_each_member():
    loc = np.array([ENTROPY_CASES[3][0], [20.0, 0.0, -20.0], ENTROPY_CASES[3][0]])  # a repeat: integrated once
    scale = np.array([ENTROPY_CASES[3][1], [0.5, 2.0, 3.0], ENTROPY_CASES[3][1]])
    p, q = dv.LogisticNormal(loc, scale), dv.LogisticNormal(np.array([0.0, 1.0, -1.0]), np.array([2.0, 0.5, 1.0]))
    entropy, cross = dv.entropy(p), dv.cross_entropy(p, q)
    assert entropy.shape == cross.shape == (3,) and entropy[0] == entropy[2]
    assert entropy[0] == pytest.approx(_cross_entropy_mp(*ENTROPY_CASES[3]), rel=2e-15)
    for i in range(3):
        assert entropy[i] == float(dv.entropy(dv.LogisticNormal(loc[i], scale[i])))
        assert cross[i] == float(dv.cross_entropy(dv.LogisticNormal(loc[i], scale[i]), q))
    # q's batch against an unbatched p: one quadrature, the normal cross entropies differ.
    backwards = dv.cross_entropy(q, p)
    assert backwards.shape == (3,) and backwards[1] - backwards[0] == pytest.approx(
        float(dv.kl(q, p)[1] - dv.kl(q, p)[0]), rel=1e-13
    )


def test_entropy_and_cross_entropy_agree_with_long_monte_carlo():
    p, q = _pair()
    y = p.sample(400_000, random_state=3)
    for got, minus_log in ((dv.entropy(p), -p.log_prob(y)), (dv.cross_entropy(p, q), -q.log_prob(y))):
        assert abs(float(got) - minus_log.mean()) < 5 * minus_log.std(ddof=1) / math.sqrt(minus_log.size)
    # The default route is the quadrature, whose error bound is reported: tiny, not zero.
    value, error = dv.entropy(p, return_error=True)
    assert value == float(dv.entropy(p)) and 0.0 < error < 1e-13 * abs(value)


@pytest.mark.parametrize("m", [0.0, 1e-8, 2.5, 20.0, 35.0])
def test_the_one_dimensional_mean_and_its_error_bound_against_mpmath(m):
    from divergences.distributions._logistic_normal import _softplus_mean

    for s in (1e-3, 0.05, 3.0, 30.0):
        value, error = _softplus_mean(m, s)
        expected = float(-_mean_log_sigmoid(m, s))  # G(m, s) = -E[log sigmoid(m + s Z)]
        assert abs(value - expected) <= 1e-15 * expected, s
        assert error <= 1e-13 * value, s


def test_the_sum_over_parts_is_within_its_error_bound():
    from divergences.distributions._logistic_normal import _mean_log_parts

    value, error = _mean_log_parts(np.array(ENTROPY_CASES[2][0]), np.array(ENTROPY_CASES[2][1]))
    assert abs(value - float(_mean_log_parts_mp(*ENTROPY_CASES[2]))) <= error < 1e-12


def test_independent_sums_values_and_error_bounds():
    loc, scale = np.array([ENTROPY_CASES[3][0], [20.0, 0.0, -20.0]]), np.array([ENTROPY_CASES[3][1], [0.5, 2.0, 3.0]])
    inner = dv.LogisticNormal(loc, scale)
    value, error = dv.entropy(dv.Independent(inner, 1), return_error=True)
    parts = dv.entropy(inner, return_error=True)
    assert float(value) == pytest.approx(float(parts[0].sum()), rel=1e-15)
    assert float(error) == pytest.approx(float(parts[1].sum()), rel=1e-15) and float(error) > 0


def test_entropy_of_torch_parameters_is_torch():
    torch = pytest.importorskip("torch")
    p = dv.LogisticNormal(torch.tensor(P_LOC, dtype=torch.float32), torch.tensor(P_SCALE, dtype=torch.float32))
    value = dv.entropy(p)
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float32
    assert float(value) == pytest.approx(_cross_entropy_mp(*(tuple(float(np.float32(v)) for v in a)
                                                             for a in (P_LOC, P_SCALE))), rel=1e-7)


def test_no_scipy_equivalent():
    with pytest.raises(NotImplementedError, match="LogisticNormal has no SciPy equivalent"):
        dv.LogisticNormal(P_LOC, P_SCALE).to_scipy()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: dv.LogisticNormal([0.0, 1.0], [1.0, -1.0]), ["LogisticNormal scale", "positive"]),
        (lambda: dv.LogisticNormal([0.0, float("nan")], [1.0, 1.0]), ["LogisticNormal loc", "finite"]),
        (lambda: dv.LogisticNormal([0.0, 1.0], [1.0, 1.0, 1.0]), ["LogisticNormal scale", "must match loc's 2"]),
        (lambda: dv.LogisticNormal(np.zeros(0), np.zeros(0)), ["K - 1 >= 1"]),
        (lambda: dv.LogisticNormal(0.0, 1.0), ["LogisticNormal loc needs at least 1 dimension"]),
    ],
)
def test_invalid_parameters_are_named(make, words):
    with pytest.raises(dv.InvalidInputError) as info:
        make()
    assert all(word in str(info.value) for word in words)


def test_different_numbers_of_parts_are_refused():
    with raises_invalid("event shapes"):
        dv.kl(dv.LogisticNormal(P_LOC, P_SCALE), dv.LogisticNormal([0.0], [1.0]))


def test_torch_parameters_carry_gradients():
    torch = pytest.importorskip("torch")
    loc, scale = torch.tensor(P_LOC, requires_grad=True), torch.tensor(P_SCALE, requires_grad=True)
    value = dv.kl(dv.LogisticNormal(loc, scale), dv.LogisticNormal(torch.tensor(Q_LOC), torch.tensor(Q_SCALE)))
    assert isinstance(value, torch.Tensor)
    value.backward()
    assert np.allclose(to_numpy(loc.grad), (P_LOC - Q_LOC) / Q_SCALE**2, rtol=1e-14)
    assert np.allclose(to_numpy(scale.grad), -1 / P_SCALE + P_SCALE / Q_SCALE**2, rtol=1e-13)
