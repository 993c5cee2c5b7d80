"""Closed forms as q -> p, against mpmath at 50 digits: a family that is a special case of another
(Exponential and Chi2 of Gamma, Uniform(0, 1) of Beta) keeps the relative accuracy of the same-family
form; Gaussians whose covariances differ by 1e-11 too; the Bernoulli entropy keeps its digits for
tiny probabilities."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

CHANGES = [1e-11, 1e-8, 1e-5, 1e-2, 0.3]



@pytest.fixture(autouse=True)
def _fifty_digits():
    """The references at 50 digits, for this module's tests only (not the process's)."""
    with mp.workdps(50):
        yield


def gamma_kl(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return (a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2) + a2 * (mp.log(b1) - mp.log(b2)) \
        + a1 * (b2 - b1) / b1


def beta_kl(a1, b1, a2, b2):
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    log_b = lambda a, b: mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)  # noqa: E731
    return log_b(a2, b2) - log_b(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1) \
        + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1)


def close(value, exact, rtol=1e-12):
    assert abs(mp.mpf(float(value)) - exact) <= rtol * abs(exact), (float(value), float(exact))


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("rate", [0.12067315705048579, 1.1273129532463717, 37.5])
def test_exponential_and_gamma_near_each_other(change, rate):
    shape, rate_q = 1.0 + change, rate * (1.0 + 0.3 * change)
    close(dv.kl(dv.Exponential(rate), dv.Gamma(shape, rate_q)), gamma_kl(1.0, rate, shape, rate_q))
    close(dv.kl(dv.Gamma(shape, rate_q), dv.Exponential(rate)), gamma_kl(shape, rate_q, 1.0, rate))


@pytest.mark.parametrize("change", CHANGES)
def test_chi2_against_gamma_and_exponential(change):
    k = 3.0
    close(dv.kl(dv.Chi2(k), dv.Gamma(k / 2 * (1 + change), 0.5)), gamma_kl(k / 2, 0.5, k / 2 * (1 + change), 0.5))
    close(dv.kl(dv.Chi2(2.0), dv.Exponential(0.5 * (1 + change))), gamma_kl(1.0, 0.5, 1.0, 0.5 * (1 + change)))


@pytest.mark.parametrize("change", CHANGES)
def test_uniform_and_beta_near_each_other(change):
    a, b = 1.0 + change, 1.0 - 0.7 * change
    close(dv.kl(dv.Uniform(0.0, 1.0), dv.Beta(a, b)), beta_kl(1.0, 1.0, a, b))
    close(dv.kl(dv.Beta(a, b), dv.Uniform(0.0, 1.0)), beta_kl(a, b, 1.0, 1.0))


def test_uniform_beyond_the_unit_interval_still_uses_the_general_forms():
    # KL(Beta || Uniform(-1, 2)) = -H(Beta) + log 3 = KL(Beta || Beta(1, 1)) + log 3
    close(dv.kl(dv.Beta(2.0, 3.0), dv.Uniform(-1.0, 2.0)), beta_kl(2.0, 3.0, 1.0, 1.0) + mp.log(3))
    assert dv.kl(dv.Uniform(0.2, 0.6), dv.Beta(2.0, 3.0)) > 0
    assert dv.kl(dv.Uniform(-0.5, 1.0), dv.Beta(2.0, 3.0)) == float("inf")


@pytest.mark.parametrize("p", [1e-300, 1e-200, 1e-15, 1e-8, 0.3, 0.5, 1 - 1e-9])
def test_bernoulli_entropy_keeps_its_digits(p):
    x = mp.mpf(p)
    exact = -x * mp.log(x) - (1 - x) * mp.log1p(-x)
    close(dv.entropy(dv.Bernoulli(p)), exact)
    q = 0.25
    cross = -x * mp.log(q) - (1 - x) * mp.log1p(-mp.mpf(q))
    close(dv.cross_entropy(dv.Bernoulli(p), dv.Bernoulli(q)), cross)


def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    """KL of two multivariate normals from mpmath matrices (50 digits)."""
    d = cov_p.rows
    inv_q = cov_q**-1
    dm = mean_q - mean_p
    return 0.5 * (mp.log(mp.det(cov_q) / mp.det(cov_p)) + sum((inv_q * cov_p)[i, i] for i in range(d)) - d
                  + (dm.T * inv_q * dm)[0])


def _mp(a):
    return mp.matrix(np.asarray(a, dtype=float).tolist())



@pytest.mark.parametrize("change", CHANGES)
def test_gaussians_near_each_other_keep_relative_accuracy(change):
    """A change of 1e-11 in the covariance: the factors computed here differ by their own rounding,
    so the covariance part comes from the exact difference of the covariances."""
    rng = np.random.default_rng(7)
    d = 4
    a = rng.normal(size=(d, d))
    cov = a @ a.T + d * np.eye(d)
    mean = rng.normal(size=d)
    cov2 = cov * (1 + change)
    cov2[0, 1] += change
    cov2[1, 0] += change
    exact = gaussian_kl(_mp(mean[:, None]), _mp(cov), _mp(mean[:, None]), _mp(cov2))
    close(dv.kl(dv.MultivariateNormal(mean, cov), dv.MultivariateNormal(mean, cov2)), exact)
    w, diag = rng.normal(size=(d, 2)), rng.random(d) + 0.5
    w2, diag2 = w * (1 + change), diag * (1 - change)
    lowrank = lambda f, g: _mp(f) * _mp(f).T + mp.diag([mp.mpf(x) for x in g])  # noqa: E731
    exact = gaussian_kl(_mp(mean[:, None]), lowrank(w, diag), _mp(mean[:, None]), lowrank(w2, diag2))
    close(dv.kl(dv.LowRankMultivariateNormal(mean, w, diag), dv.LowRankMultivariateNormal(mean, w2, diag2)), exact)
    scale, scale2 = np.array([1.1, 0.7, 2.5]), np.array([1.1, 0.7, 2.5]) * (1 + 0.7 * change)
    loc, loc2 = np.array([0.3, -1.2, 2.0]), np.array([0.3, -1.2, 2.0]) * (1 + change)
    exact = gaussian_kl(_mp(loc[:, None]), mp.diag([mp.mpf(s) ** 2 for s in scale]), _mp(loc2[:, None]),
                        mp.diag([mp.mpf(s) ** 2 for s in scale2]))
    close(dv.kl(dv.DiagonalNormal(loc, scale), dv.DiagonalNormal(loc2, scale2)), exact)


def _cb_logpdf(lam, x):
    lam = mp.mpf(lam)
    norm = 2 if lam == mp.mpf(0.5) else 2 * mp.atanh(1 - 2 * lam) / (1 - 2 * lam)
    return mp.log(norm) + x * mp.log(lam) + (1 - x) * mp.log(1 - lam)


@pytest.mark.parametrize("lam", [0.5 + 1e-9, 0.5 + 1e-6, 0.3, 0.01, 0.9])
def test_continuous_bernoulli_against_the_uniform(lam):
    exact = mp.quad(lambda x: mp.exp(_cb_logpdf(lam, x)) * _cb_logpdf(lam, x), [0, 1])
    close(dv.kl(dv.ContinuousBernoulli(lam), dv.Uniform(0.0, 1.0)), exact)
    back = mp.quad(lambda x: -_cb_logpdf(lam, x), [0, 1])
    close(dv.kl(dv.Uniform(0.0, 1.0), dv.ContinuousBernoulli(lam)), back)


@pytest.mark.parametrize(("a", "b", "lam"), [(1.0, 1.0, 0.5 + 1e-6), (2.0, 3.0, 0.3), (1 + 1e-8, 1 - 1e-8, 0.5),
                                             (1 + 1e-8, 1 - 1e-8, 0.5 + 1e-9), (1.05, 0.97, 0.52)])
def test_beta_against_a_continuous_bernoulli(a, b, lam):
    am, bm = mp.mpf(a), mp.mpf(b)

    def log_beta(x):
        return (am - 1) * mp.log(x) + (bm - 1) * mp.log(1 - x) - mp.log(mp.beta(am, bm))

    exact = mp.quad(lambda x: mp.exp(log_beta(x)) * (log_beta(x) - _cb_logpdf(lam, x)), [0, 0.5, 1])
    close(dv.kl(dv.Beta(a, b), dv.ContinuousBernoulli(lam)), exact)


def test_trigamma_on_torch_is_accurate_and_differentiable():
    """torch's polygamma(1, .) is 5e-10 relative off; the library's own keeps 2e-16, so Gamma,
    Beta and Dirichlet forms near p = q agree on torch with NumPy."""
    torch = pytest.importorskip("torch")
    from divergences._array_api import namespace
    from divergences._special import polygamma

    points = [1e-8, 0.01, 0.3, 1.0, 1.4616, 2.5, 7.3, 30.0, 1e3, 1e8]
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    got = polygamma(1, x, namespace(x))
    for v, g in zip(points, got.detach().tolist()):
        close(g, mp.polygamma(1, mp.mpf(v)), rtol=4e-16)
    got.sum().backward()  # d/dx psi'(x) = psi''(x)
    for v, g in zip(points[1:-1], x.grad.tolist()[1:-1]):
        close(g, mp.polygamma(2, mp.mpf(v)), rtol=1e-13)
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    for family in (dv.Gamma, dv.Beta):
        near = (2.5, 1.5), (2.5 * (1 + 1e-9), 1.5 * (1 - 1e-9))
        on_torch = float(dv.kl(family(*map(t, near[0])), family(*map(t, near[1]))))
        close(on_torch, mp.mpf(float(dv.kl(family(*near[0]), family(*near[1])))), rtol=1e-13)


def wishart_kl(n1, v1, n2, v2):
    """KL of two Wishart laws from mpmath matrices (the textbook form, 50 digits)."""
    d = v1.rows
    log_gamma_d = lambda n: sum(mp.loggamma((mp.mpf(n) + 1 - i) / 2) for i in range(1, d + 1))  # noqa: E731
    psi_d = lambda n: sum(mp.digamma((mp.mpf(n) + 1 - i) / 2) for i in range(1, d + 1))  # noqa: E731
    m = v2**-1 * v1
    return (-mp.mpf(n2) / 2 * mp.log(mp.det(m)) + mp.mpf(n1) / 2 * (sum(m[i, i] for i in range(d)) - d)
            + log_gamma_d(n2) - log_gamma_d(n1) + (mp.mpf(n1) - n2) / 2 * psi_d(n1))


@pytest.mark.parametrize("change", [*CHANGES, 2.0])
def test_wishart_near_and_far(change):
    rng = np.random.default_rng(9)
    a = rng.normal(size=(3, 3))
    v1 = a @ a.T + 3 * np.eye(3)
    v2 = v1 * (1 + change)
    v2[0, 2] += change
    v2[2, 0] += change
    n1, n2 = 4.5, 4.5 * (1 + 0.3 * change)
    close(dv.kl(dv.Wishart(n1, v1), dv.Wishart(n2, v2)), wishart_kl(n1, _mp(v1), n2, _mp(v2)))


def test_wishart_entropy_conversion_and_refusals():
    import scipy.stats as st

    v = [[1.0, 0.3], [0.3, 0.5]]
    assert float(dv.entropy(dv.Wishart(3.5, v))) == pytest.approx(st.wishart(3.5, v).entropy(), rel=1e-12)
    assert float(dv.kl(st.wishart(3.5, v), st.wishart(4.0, v))) == pytest.approx(
        float(wishart_kl(3.5, _mp(v), 4.0, _mp(v))), rel=1e-12)
    with pytest.raises(dv.InvalidInputError, match="df must be > d - 1"):
        dv.Wishart(0.5, v)
    with pytest.raises(dv.InvalidInputError, match="positive definite"):
        dv.Wishart(3.0, [[1.0, 2.0], [2.0, 1.0]])
