"""Gamma and Beta KL for large parameters: the plain sums and the second-order forms cancel
terms of order the shape (the concentration) to leave the KL of laws whose means nearly
agree (Gamma: 8.7e-9 relative off at shapes near 1.8e7; Beta: up to 4e-4 at concentrations
of 1e6-1e9). ``_gamma_kl_large`` and ``_beta_kl_large`` (terms of one sign, the means'
relative difference from exact products) are checked against mpmath on every backend path,
with their building blocks."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from divergences._special import product_difference, stirling_bregman

ULP = 2.0**-52


@mp.workdps(60)
def _kl(a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))
    return a2 * mp.log(b1 / b2) - mp.loggamma(a1) + mp.loggamma(a2) + (a1 - a2) * mp.digamma(a1) + (b2 - b1) * a1 / b1


def _cases(n: int = 150) -> tuple[np.ndarray, ...]:
    """Shapes 12 to 1e12; changes of every size, most with the means kept nearly equal."""
    rng = np.random.default_rng(31)
    a1, b1 = 10 ** rng.uniform(1.08, 12, n), 10 ** rng.uniform(-2, 2, n)
    change = 10 ** rng.uniform(-12, 0, n) * rng.choice([-1.0, 1.0], n)
    a2 = a1 * (1 + change)
    b2 = b1 * (1 + change * (1 + 10 ** rng.uniform(-9, 0, n) * rng.choice([-1.0, 1.0], n)))
    a2[::4] = a1[::4] * 10 ** rng.uniform(-1, 1, len(a2[::4]))  # shapes far apart
    b2[1::4] = b1[1::4] * 10 ** rng.uniform(-1, 1, len(b2[1::4]))  # rates far apart
    a2 = np.maximum(a2, 12.0)
    return a1, b1, a2, b2


def _worst_ulps(values: np.ndarray, a1, b1, a2, b2, truth=_kl) -> float:
    """The largest error of ``values`` in ulps of ``truth`` (mpmath) at each parameter set."""
    worst = 0.0
    for i, v in enumerate(np.asarray(values, dtype=np.float64)):
        exact = truth(a1[i], b1[i], a2[i], b2[i])
        worst = max(worst, abs(float((mp.mpf(float(v)) - exact) / exact)) / ULP)
    return worst


def test_numpy_batch_and_scalars_against_mpmath():
    a1, b1, a2, b2 = _cases()
    assert _worst_ulps(dv.kl(dv.Gamma(a1, b1), dv.Gamma(a2, b2)), a1, b1, a2, b2) < 16
    scalars = [float(dv.kl(dv.Gamma(float(a1[i]), float(b1[i])), dv.Gamma(float(a2[i]), float(b2[i])))) for i in range(20)]
    assert _worst_ulps(np.array(scalars), a1, b1, a2, b2) < 16


def test_the_reported_case():
    a1, b1, a2, b2 = 17666570.60671319, 6.935989100835995, 24441756.616631415, 9.600307324998528
    value = float(dv.kl(dv.Gamma(a1, b1), dv.Gamma(a2, b2)))
    assert abs(value - float(_kl(a1, b1, a2, b2))) <= 8 * ULP * value  # was 8.7e-9 relative off


def test_torch_with_and_without_gradients_against_mpmath():
    torch = pytest.importorskip("torch")
    a1, b1, a2, b2 = _cases(60)
    plain = dv.kl(dv.Gamma(torch.tensor(a1), torch.tensor(b1)), dv.Gamma(torch.tensor(a2), torch.tensor(b2)))
    assert _worst_ulps(plain.numpy(), a1, b1, a2, b2) < 16
    shape = torch.tensor(a1, requires_grad=True)
    graded = dv.kl(dv.Gamma(shape, torch.tensor(b1)), dv.Gamma(torch.tensor(a2), torch.tensor(b2)))
    assert _worst_ulps(graded.detach().numpy(), a1, b1, a2, b2) < 16
    graded.sum().backward()
    assert torch.isfinite(shape.grad).all()
    # d KL / d a1 = (a1 - a2) psi'(a1) + (b2 - b1) / b1, against mpmath at a few points
    for i in range(0, 60, 12):
        with mp.workdps(40):
            expected = (mp.mpf(a1[i]) - a2[i]) * mp.psi(1, mp.mpf(a1[i])) + (mp.mpf(b2[i]) - b1[i]) / b1[i]
        assert float(shape.grad[i]) == pytest.approx(float(expected), rel=1e-6, abs=1e-9)


def test_jax_traced_path_against_mpmath():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)  # as tests/conftest.py's backends do
    jnp = jax.numpy
    a1, b1, a2, b2 = _cases(40)
    values = jax.jit(lambda u, v, w, z: dv.kl(dv.Gamma(u, v), dv.Gamma(w, z)))(*(jnp.asarray(x) for x in (a1, b1, a2, b2)))
    assert _worst_ulps(np.asarray(values), a1, b1, a2, b2) < 16


def test_chi2_with_many_degrees_of_freedom():
    df1, df2 = 4.0e7, 4.0e7 * (1 + 3e-9)
    value = float(dv.kl(dv.Chi2(df1), dv.Chi2(df2)))
    assert abs(value - float(_kl(df1 / 2, 0.5, df2 / 2, 0.5))) <= 8 * ULP * value


@mp.workdps(60)
def test_product_difference_is_exact_where_products_cancel():
    rng = np.random.default_rng(5)
    for _ in range(2000):
        a, b = rng.uniform(1, 1e8), rng.uniform(1e-3, 1e3)
        c = a * (1 + rng.uniform(-1e-9, 1e-9))
        e = a * b / c
        truth = mp.mpf(a) * mp.mpf(b) - mp.mpf(c) * mp.mpf(e)
        got = product_difference(a, b, c, e)
        assert abs(mp.mpf(got) - truth) <= 2 * ULP * abs(truth)


@mp.workdps(60)
@pytest.mark.parametrize("z,t", [(12.0, 1e-8), (12.0, -0.5), (40.0, 3.0), (1e6, 0.25), (1e3, -0.98)])
def test_stirling_bregman_against_mpmath(z, t):
    def remainder(x):
        return mp.loggamma(x) - ((x - mp.mpf(1) / 2) * mp.log(x) - x + mp.log(2 * mp.pi) / 2)

    zm, tm = mp.mpf(z), mp.mpf(t)
    truth = remainder(zm * (1 + tm)) - remainder(zm) - zm * tm * mp.diff(remainder, zm)
    assert float(stirling_bregman(z, t)) == pytest.approx(float(truth), rel=1e-13)


@mp.workdps(60)
def _beta_kl(a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))

    def log_beta(a, b):
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    return (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def _beta_cases(n: int = 120) -> tuple[np.ndarray, ...]:
    """Parameters 12 to 1e9: concentrations changed with the mean kept to 1e-6 or exactly, and
    means moved at a kept concentration."""
    rng = np.random.default_rng(32)
    a1 = 10 ** rng.uniform(1.2, 9, n)
    b1 = np.maximum(a1 * 10 ** rng.uniform(-1, 1, n), 12.0)
    scale = 10 ** rng.uniform(-0.5, 1, n)
    a2, b2 = a1 * scale * (1 + 1e-6 * rng.normal(size=n)), b1 * scale
    a2[::3] = a1[::3] * (1 + 10 ** rng.uniform(-10, -1, len(a2[::3])))
    return a1, b1, np.maximum(a2, 12.0), np.maximum(b2, 12.0)


def _beta_worst_ulps(values, a1, b1, a2, b2) -> float:
    return _worst_ulps(values, a1, b1, a2, b2, truth=_beta_kl)


def test_beta_large_concentrations_against_mpmath():
    a1, b1, a2, b2 = _beta_cases()
    assert _beta_worst_ulps(dv.kl(dv.Beta(a1, b1), dv.Beta(a2, b2)), a1, b1, a2, b2) < 64
    one = float(dv.kl(dv.Beta(float(a1[0]), float(b1[0])), dv.Beta(float(a2[0]), float(b2[0]))))
    assert _beta_worst_ulps(np.array([one]), a1[:1], b1[:1], a2[:1], b2[:1]) < 64


def test_beta_large_concentrations_on_torch_and_jax():
    torch = pytest.importorskip("torch")
    a1, b1, a2, b2 = _beta_cases(40)
    a = torch.tensor(a1, requires_grad=True)
    value = dv.kl(dv.Beta(a, torch.tensor(b1)), dv.Beta(torch.tensor(a2), torch.tensor(b2)))
    assert _beta_worst_ulps(value.detach().numpy(), a1, b1, a2, b2) < 64
    value.sum().backward()
    assert torch.isfinite(a.grad).all()
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    traced = jax.jit(lambda u, v, w, z: dv.kl(dv.Beta(u, v), dv.Beta(w, z)))(*(jax.numpy.asarray(x) for x in (a1, b1, a2, b2)))
    assert _beta_worst_ulps(np.asarray(traced), a1, b1, a2, b2) < 64


def test_beta_with_one_small_parameter():
    """A rare event: a small first parameter, a large second one, the means nearly equal."""
    a1, b1, a2, b2 = np.array([3.0, 0.5, 11.0]), np.array([2e7, 3e5, 1e9]), np.array([3.3, 0.55, 12.1]), np.array([2.2e7, 3.3e5, 1.1e9])
    b2 = b2 * (1 + 1e-9)
    assert _beta_worst_ulps(dv.kl(dv.Beta(a1, b1), dv.Beta(a2, b2)), a1, b1, a2, b2) < 64


def test_beta_a_b_testing_posteriors():
    """Posteriors of a conversion rate after 10^6 and 2 x 10^6 trials at the same rate: the
    KL is that of the concentration alone, some 0.15 nats, to full relative accuracy."""
    p, q = dv.Beta(30_001.0, 970_001.0), dv.Beta(60_001.0, 1_940_001.0)
    truth = _beta_kl(30_001.0, 970_001.0, 60_001.0, 1_940_001.0)
    assert abs(float(dv.kl(p, q)) - float(truth)) <= 8 * ULP * float(truth)


@mp.workdps(60)
def _dirichlet_kl(a, b) -> mp.mpf:
    a, b = [mp.mpf(float(x)) for x in a], [mp.mpf(float(x)) for x in b]
    total_a, total_b = sum(a), sum(b)
    return (mp.loggamma(total_a) - sum(mp.loggamma(x) for x in a) - mp.loggamma(total_b)
            + sum(mp.loggamma(x) for x in b) + sum((x - y) * (mp.digamma(x) - mp.digamma(total_a)) for x, y in zip(a, b)))


def test_dirichlet_large_concentrations_against_mpmath():
    rng = np.random.default_rng(33)
    a = 10 ** rng.uniform(1.2, 9, (24, 4))
    b = a * 10 ** rng.uniform(-0.5, 0.5, (24, 1))  # the means kept
    b[:, 0] *= 1 + 10 ** rng.uniform(-12, -1, 24)  # and moved a little
    b[::6, 1] = 5.0  # a small parameter among large ones (the difference form was 1.7e-8 off)
    truth = [_dirichlet_kl(a[i], b[i]) for i in range(24)]

    def worst(values) -> float:
        values = np.asarray(values, dtype=np.float64)
        return max(abs(float((mp.mpf(float(v)) - t) / t)) / ULP for v, t in zip(values, truth))

    assert worst(dv.kl(dv.Dirichlet(a), dv.Dirichlet(b))) < 64
    assert worst([float(dv.kl(dv.Dirichlet(a[i]), dv.Dirichlet(b[i]))) for i in range(24)]) < 64
    torch = pytest.importorskip("torch")
    alpha = torch.tensor(a, requires_grad=True)
    value = dv.kl(dv.Dirichlet(alpha), dv.Dirichlet(torch.tensor(b)))
    assert worst(value.detach().numpy()) < 64
    value.sum().backward()
    assert torch.isfinite(alpha.grad).all()


def test_gamma_rates_far_apart_on_every_path():
    """Rates 1e-20 to 1e-200 of each other: 1 + (b2 - b1)/b1 rounds to 0, where log1p gave
    inf on the gradient and traced paths (the fast path took the logarithms apart)."""
    a1, b1 = np.array([2.5, 2.5, 30.0, 0.3]), np.array([1.0, 1e300, 1.0, 1e100])
    a2, b2 = np.array([3.0, 3.0, 40.0, 0.2]), np.array([1e-20, 1e-10, 1e-200, 1e-100])
    truth = [float(_kl(*v)) for v in zip(a1, b1, a2, b2)]
    np.testing.assert_allclose(dv.kl(dv.Gamma(a1, b1), dv.Gamma(a2, b2)), truth, rtol=1e-13)
    torch = pytest.importorskip("torch")
    shape = torch.tensor(a1, requires_grad=True)
    value = dv.kl(dv.Gamma(shape, torch.tensor(b1)), dv.Gamma(torch.tensor(a2), torch.tensor(b2)))
    np.testing.assert_allclose(value.detach().numpy(), truth, rtol=1e-13)
    value.sum().backward()
    assert torch.isfinite(shape.grad).all()
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    traced = jax.jit(lambda u, v, w, z: dv.kl(dv.Gamma(u, v), dv.Gamma(w, z)))(*(jax.numpy.asarray(x) for x in (a1, b1, a2, b2)))
    np.testing.assert_allclose(np.asarray(traced), truth, rtol=1e-13)


# Parameters more than 2^53 apart: p's parameter plus the difference rounds to 0, and the
# Bregman parts and their leading terms are of the order of the large parameter (they gave
# NaN); the remainders from Stirling's series at each end apart (_remainder_apart) are exact.
FAR_APART = np.array([
    (0.026695863515393853, 5.313287235099488e21, 0.026695863527103757, 6.379405368898602e-21),
    (1.9158588487994976, 2.806948655137414e148, 1.9158588487994976, 4.007461206995993e94),
    (0.2672349871642572, 4.921028102504947e151, 9.371962433122126e-05, 2.1801310503001445e121),
    (1.4234600134330235e-21, 22.285403836873197, 3.01060721739077e-22, 1.0172920721416256e-54),
    (0.07328649665735268, 3.822931401296676e18, 0.07328649676000036, 3.8823502444139015e-27),
    (5.0, 1.0, 1e-20, 1.0),
    (3e9, 40.0, 5.0, 1e-3),
]).T


@mp.workdps(400)  # log Gamma of 1e151 to 16 digits
def _beta_kl_wide(a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    return _beta_kl.__wrapped__(a1, b1, a2, b2)  # type: ignore[attr-defined]  # the undecorated formula


def _on_every_path(family: type, cases: np.ndarray, truth: np.ndarray, rtol: float, other: type | None = None) -> None:
    """``dv.kl(family(cases[0], cases[1]), other(cases[2], cases[3]))`` (``other`` the same
    family by default) within ``rtol`` of ``truth`` as a NumPy batch, as unbatched pairs of
    Python numbers, on torch with a gradient through the first parameter (finite) and under
    ``jax.jit``."""
    second = other or family
    for values in (np.asarray(dv.kl(family(cases[0], cases[1]), second(cases[2], cases[3]))),
                   np.array([float(dv.kl(family(*c[:2]), second(*c[2:]))) for c in cases.T.tolist()])):
        np.testing.assert_allclose(values, truth, rtol=rtol, atol=0)
    torch = pytest.importorskip("torch")
    first = torch.tensor(cases[0], requires_grad=True)
    value = dv.kl(family(first, torch.tensor(cases[1])), second(torch.tensor(cases[2]), torch.tensor(cases[3])))
    np.testing.assert_allclose(value.detach().numpy(), truth, rtol=rtol, atol=0)
    value.sum().backward()
    assert torch.isfinite(first.grad).all()
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    traced = jax.jit(lambda u, v, w, z: dv.kl(family(u, v), second(w, z)))(*(jax.numpy.asarray(x) for x in cases))
    np.testing.assert_allclose(np.asarray(traced), truth, rtol=rtol, atol=0)


def test_beta_parameters_far_apart_on_every_path():
    truth = np.array([float(_beta_kl_wide(*c)) for c in FAR_APART.T])
    _on_every_path(dv.Beta, FAR_APART, truth, 1e-14)
    # a Dirichlet with such parts takes the same remainders
    dirichlet = dv.kl(dv.Dirichlet(FAR_APART[:2].T), dv.Dirichlet(FAR_APART[2:].T))
    np.testing.assert_allclose(np.asarray(dirichlet), truth, rtol=1e-14, atol=0)


def test_gamma_shapes_far_apart_on_every_path():
    """A first shape of at least 12 and a second below half of it take the large form with
    the remainder from Stirling's series at each end apart: shapes of 1e30 and 1e10 gave NaN,
    5e21 against 3 NaN; a sweep of shapes 12-1000 against 0.001-0.5 times them was 6.8e-13 off."""
    cases = np.array([(5e21, 1e21, 3.0, 0.1), (1e30, 1e30, 1e10, 1e10), (5e21, 1.0, 1e-20, 1.0), (30.0, 2.0, 10.0, 0.5),
                      (1e7, 1.0, 2e6, 0.2), (1e3, 3.0, 1.0, 3e-3)]).T
    rng = np.random.default_rng(4)
    a1 = 10 ** rng.uniform(np.log10(12), 3, 60)
    a2 = a1 * 10 ** rng.uniform(-3, np.log10(0.5), 60)
    b1 = 10 ** rng.uniform(-1, 1, 60)
    b2 = b1 * (a2 / a1) * np.exp(rng.choice([0, 1e-6, 0.1, 1], 60) * rng.normal(size=60))
    cases = np.concatenate([cases, np.stack([a1, b1, a2, b2])], axis=1)
    with mp.workdps(400):
        truth = np.array([float(_kl.__wrapped__(*c)) for c in cases.T])  # type: ignore[attr-defined]
    _on_every_path(dv.Gamma, cases, truth, 3e-14)


@mp.workdps(60)
def _vonmises_kl(m1: float, k1: float, m2: float, k2: float) -> mp.mpf:
    m1, k1, m2, k2 = (mp.mpf(v) for v in (m1, k1, m2, k2))
    ratio = mp.besseli(1, k1) / mp.besseli(0, k1)
    return mp.log(mp.besseli(0, k2) / mp.besseli(0, k1)) + ratio * (k1 - k2 * mp.cos(m1 - m2))


def test_vonmises_large_concentrations_on_every_path():
    """From a concentration of 25 on, 1 - I1/I0 and the curvature of log I0 come from their
    asymptotic series: the direct forms lost eps t^2 (the KL at concentrations near 5e8 was
    -0.17, the truth 0.0015)."""
    rng = np.random.default_rng(14)
    k1 = 10 ** rng.uniform(0, 9, 40)
    k2 = k1 * np.exp(rng.choice([0.0, 1e-11, 1e-6, 0.05, 0.3, 3.0], 40) * rng.normal(size=40))
    m1 = rng.normal(size=40)
    m2 = m1 + rng.choice([0.0, 1e-4, 0.3], 40) * rng.normal(size=40) / np.sqrt(k1)
    cases = np.stack([m1, k1, m2, k2])
    cases[:, 0] = (-9.233067204923658e-09, 471777753.31623477, -8.212268108905642e-09, 509921509.19690347)
    truth = np.array([float(_vonmises_kl(*c)) for c in cases.T])
    _on_every_path(dv.VonMises, cases, truth, 2e-13)


@mp.workdps(80)
def _gamma_normal_kl(a: float, b: float, mu: float, sigma: float) -> mp.mpf:
    a, b, mu, sigma = (mp.mpf(v) for v in (a, b, mu, sigma))
    neg_entropy = -(a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a))
    mean, var = a / b, a / b**2
    return neg_entropy + mp.log(2 * mp.pi * sigma**2) / 2 + (var + (mean - mu) ** 2) / (2 * sigma**2)


def test_gamma_against_normal_with_a_large_shape():
    """The Gamma's entropy in the cross-family forms from Stirling's series where the shape
    reaches 12: its terms of the order of a log a cancelled (a shape of 1e30 gave -4.1e15)."""
    cases = np.array([(1.0035188540324292e30, 8.21190315104254e29, 3.995234999368321e-31, 2.6521663394271267),
                      (12.0, 1.0, 11.0, 4.0), (15.3, 0.2, 80.0, 20.0), (1e3, 3.0, 300.0, 20.0), (1e8, 1e-3, 1e11, 3e7),
                      (11.99, 1.0, 12.0, 3.0), (3.0, 2.0, 1.0, 1.0)]).T
    truth = np.array([float(_gamma_normal_kl(*c)) for c in cases.T])
    values = np.asarray(dv.kl(dv.Gamma(cases[0], cases[1]), dv.Normal(cases[2], cases[3])))
    np.testing.assert_allclose(values, truth, rtol=1e-13, atol=0)
    assert float(dv.kl(dv.Gamma(*cases[:2, 0]), dv.Normal(*cases[2:, 0]))) == pytest.approx(truth[0], rel=1e-13)


@pytest.mark.parametrize("shape", [0.3, 1.0, 11.99, 12.0, 1e3, 1e8, 1e12, 1e15])
def test_gamma_against_a_normal_of_nearly_its_own_moments(shape: float) -> None:
    """KL(Gamma || Normal) as the Gamma's negentropy (1/(3 shape) for a large shape) plus the
    exact Normal form, the means' difference from an exact product: where the Normal has the
    Gamma's own moments, or nearly, the KL tends to 0 as the shape grows (it was the
    difference of the entropy and the cross entropy, 1e-3 off at a shape of 1e15), on every
    path."""
    rng = np.random.default_rng(int(shape * 7) % 1000)
    rate = float(np.exp(rng.uniform(-3, 3)))
    cases = []
    for step in (0.0, 1e-12, 1e-6, 1e-2, 1.0):
        cases.append((shape, rate, shape / rate * (1.0 + step * rng.normal()), np.sqrt(shape) / rate * np.exp(step * rng.normal())))
    truth = np.array([float(_gamma_normal_kl(*c)) for c in cases])
    _on_every_path(dv.Gamma, np.array(cases).T, truth, 2e-13, other=dv.Normal)


@mp.workdps(120)
def _beta_normal_kl(a: float, b: float, mu: float, sigma: float) -> mp.mpf:
    a, b, mu, sigma = (mp.mpf(v) for v in (a, b, mu, sigma))
    c = a + b
    entropy = mp.log(mp.beta(a, b)) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (c - 2) * mp.digamma(c)
    mean, var = a / c, a * b / (c**2 * (c + 1))
    return -entropy + mp.log(2 * mp.pi * sigma**2) / 2 + (var + (mean - mu) ** 2) / (2 * sigma**2)


@pytest.mark.parametrize(("a", "b"), [(2.0, 3.0), (0.3, 40.0), (11.9, 1e6), (12.0, 12.0), (13.0, 7e4), (1e3, 1e3),
                                      (1e6, 3e7), (1e8, 1e8), (1e10, 2e10)])
def test_beta_against_a_normal_of_nearly_its_own_moments(a: float, b: float) -> None:
    """KL(Beta || Normal) as the Beta's negentropy (the square of the skewness for large
    parameters, 0.19 / a^2 for a = b) plus the exact Normal form: where the Normal nearly
    has the Beta's moments the difference of the entropy and the cross entropy was 4e-9 off
    at a = b = 1000, 5e-3 at 1e6 and 0 for 1.9e-17 at 1e8; now within 2e-14 of mpmath, on
    every path (1e-13 where a parameter is below 12, 2e-12 from 1e8 on: the scale's rounding)."""
    rng = np.random.default_rng(int(a + b) % 1000)
    c = a + b
    mean, scale = a / c, np.sqrt(a * b / (c * c * (c + 1.0)))
    cases = [(a, b, mean * (1.0 + step * rng.normal()), scale * np.exp(step * rng.normal()))
             for step in (0.0, 1e-12, 1e-6, 1e-2, 1.0)]
    truth = np.array([float(_beta_normal_kl(*case)) for case in cases])
    # below 12 the entropy's special functions, some 10 ulps of terms up to 20 times the value;
    # at a = b = 1e8 a KL of 6e-17 with scales 1e-13 apart, where the rounding of the Beta's
    # own scale (an ulp) is 2 (r - 1) eps = 8e-29 of it
    rtol = 1e-13 if min(a, b) < 12.0 else 2e-12 if min(a, b) >= 1e8 else 2e-14
    _on_every_path(dv.Beta, np.array(cases).T, truth, rtol, other=dv.Normal)


def test_gamma_near_shapes_with_rates_far_apart_on_the_gradient_path():
    """Shapes within an eighth and rates 3e7 apart: the near form on the array path took the
    second rate as b1 + (b2 - b1), which loses b2's digits (5.6e-11 off on torch with a
    gradient and for an unbatched Chi2 against an Exponential)."""
    a1, b1, a2, b2 = 0.9034792417248585, 0.5, 1.0, 1.6096079176944064e-08
    truth = float(_kl(a1, b1, a2, b2))
    assert float(dv.kl(dv.Chi2(2 * a1), dv.Exponential(b2))) == pytest.approx(truth, rel=1e-15)
    torch = pytest.importorskip("torch")
    shape = torch.tensor([a1], dtype=torch.float64, requires_grad=True)
    value = dv.kl(dv.Gamma(shape, torch.tensor([b1], dtype=torch.float64)),
                  dv.Gamma(torch.tensor([a2], dtype=torch.float64), torch.tensor([b2], dtype=torch.float64)))
    assert float(value.detach()[0]) == pytest.approx(truth, rel=1e-15)


@mp.workdps(80)
def _entropies(a: float) -> tuple[float, ...]:
    """mpmath: the entropies of Gamma(a, 0.7), InverseGamma(a, 0.7), Chi(a) and Beta(a, 3)."""
    a_, b_, k = mp.mpf(a), mp.mpf(0.7), mp.mpf(a)
    gamma = a_ - mp.log(b_) + mp.loggamma(a_) + (1 - a_) * mp.digamma(a_)
    inverse_gamma = a_ + mp.log(b_) + mp.loggamma(a_) - (1 + a_) * mp.digamma(a_)
    chi = mp.loggamma(k / 2) + (k - mp.log(2) - (k - 1) * mp.digamma(k / 2)) / 2
    c = a_ + 3
    beta = (mp.loggamma(a_) + mp.loggamma(3) - mp.loggamma(c) - (a_ - 1) * mp.digamma(a_) - 2 * mp.digamma(3)
            + (c - 2) * mp.digamma(c))
    return tuple(float(v) for v in (gamma, inverse_gamma, chi, beta))


@pytest.mark.parametrize("a", [0.3, 2.0, 11.9, 12.0, 1e3, 1e10, 1e20])
def test_entropies_with_large_shapes(a):
    """The entropies of Gamma, InverseGamma, Chi and Beta without their terms of order a log a
    (``_entropy_part``): Gamma(1e10, 1) had 7 digits, Gamma(1e20, 1) gave 0; Beta(13, 1e30)
    against a Chi2 was negative through the same terms."""
    got = [float(dv.entropy(d)) for d in (dv.Gamma(a, 0.7), dv.InverseGamma(a, 0.7), dv.Chi(a), dv.Beta(a, 3.0))]
    np.testing.assert_allclose(got, _entropies(a), rtol=1e-14, atol=0)
    assert float(dv.entropy(dv.Beta(13.260670809023633, 1.0036162961920421e30))) == pytest.approx(-66.39543811812533, rel=1e-15)
    assert float(dv.kl(dv.Beta(13.260670809023633, 1.0036162961920421e30), dv.Chi2(1.129872254014421e-08))) > 0
