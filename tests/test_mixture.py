"""Gaussian mixtures: density, sampler, Monte Carlo KL and the Hershey & Olsen approximations.

References are independent of the library: ``scipy.integrate.quad`` of the defining integral
(1-D), Monte Carlo written here with ``scipy.stats.multivariate_normal`` (2-D, 3-D),
scikit-learn's own ``score_samples``, textbook formulas, and the published values quoted
next to the tests.
The approximations are never checked against one another: they can be off by 3x.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp

import divergences as dv
from divergences.distributions import _numerical

APPROXIMATIONS = ("variational", "product", "matched_bound")

# The 1-D example f = .3 N(-1, .25) + .7 N(1.5, .5), g = .5 N(-.5, .5) + .5 N(2, .3), where the
# second numbers are VARIANCES (standard deviations give 0.9212, not 0.16389). Its KL by
# quadrature is 0.16389 (Monte Carlo with 4e6 draws: 0.1644); the approximations of Hershey &
# Olsen (2007, ICASSP, "Approximating the Kullback Leibler divergence between Gaussian mixture
# models") give variational 0.5130, product of Gaussians 0.1457 and the matched bound
# (Goldberger 2003) 0.5325: approximations can be off by 3x.
F1 = ([0.3, 0.7], [-1.0, 1.5], [0.25, 0.5])
G1 = ([0.5, 0.5], [-0.5, 2.0], [0.5, 0.3])


def _univariate(weights, means, variances):
    return dv.GaussianMixture.univariate(weights, means, np.sqrt(variances))


def _log_pdf_1d(params, x):
    w, m, v = (np.asarray(a, dtype=np.float64) for a in params)
    return logsumexp(np.log(w) - 0.5 * np.log(2 * np.pi * v) - (np.asarray(x)[..., None] - m) ** 2 / (2 * v), axis=-1)


def _quad_kl_1d(p, q, log_p=_log_pdf_1d, log_q=_log_pdf_1d):
    """int p log(p / q) over the line, by adaptive quadrature on [-40, 40] (tails below 1e-100)."""

    def integrand(x):
        lp, lq = log_p(p, x), log_q(q, x)
        return math.exp(lp) * (lp - lq)

    cuts = [-40.0, -10.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 10.0, 40.0]
    return sum(integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for a, b in zip(cuts[:-1], cuts[1:]))


@functools.cache
def _example_truth():
    return _quad_kl_1d(F1, G1)


def _random_mixture(rng, k, d):
    weights = rng.dirichlet(np.ones(k))
    means = rng.normal(0.0, 1.5, size=(k, d))
    a = rng.normal(size=(k, d, d))
    cov = a @ np.swapaxes(a, -1, -2) / d + 0.3 * np.eye(d)
    return weights, means, cov


def _mc_reference(f, g, n, seed):
    """Monte Carlo KL written here: own sampler, SciPy densities."""
    rng = np.random.default_rng(seed)
    (wf, mf, cf), (wg, mg, cg) = f, g
    labels = rng.choice(len(wf), size=n, p=wf)
    x = np.empty((n, mf.shape[1]))
    for j in range(len(wf)):
        rows = labels == j
        x[rows] = rng.multivariate_normal(mf[j], cf[j], size=int(rows.sum()))

    def log_pdf(w, m, c):
        return logsumexp([np.log(w[j]) + stats.multivariate_normal(m[j], c[j]).logpdf(x) for j in range(len(w))], axis=0)

    terms = log_pdf(wf, mf, cf) - log_pdf(wg, mg, cg)
    return terms.mean(), terms.std(ddof=1) / math.sqrt(n)


# -- the 1-D example (F1, G1 above) ---------------------------------------------------------


def test_quad_reference_of_the_example():
    assert _example_truth() == pytest.approx(0.16389, abs=5e-6)


@pytest.mark.parametrize(("method", "expected"), [("variational", 0.5130), ("matched_bound", 0.5325), ("product", 0.1457)])
def test_approximations_reproduce_the_published_values(method, expected):
    value = dv.kl_approximation(_univariate(*F1), _univariate(*G1), method)
    assert float(value) == pytest.approx(expected, abs=6e-5)


def test_approximations_are_far_from_the_truth_in_the_example():
    # The reason they are never the default: the truth is 0.16389.
    truth = _example_truth()
    assert float(dv.kl_approximation(_univariate(*F1), _univariate(*G1), "variational")) > 3 * truth


def test_monte_carlo_against_quadrature():
    f, g = _univariate(*F1), _univariate(*G1)
    assert _numerical.route(f, g) == "monte_carlo"
    value, error = dv.kl(f, g, return_error=True, random_state=0)
    assert 0 < error < 0.01
    assert abs(value - _example_truth()) < 5 * error


def test_standard_error_is_honest_and_n_samples_counts():
    f, g = _univariate(*F1), _univariate(*G1)
    runs = [dv.kl(f, g, return_error=True, n_samples=4000, random_state=seed) for seed in range(40)]
    values, errors = np.array(runs).T
    spread = values.std(ddof=1)
    assert 1 / 1.5 < spread / errors.mean() < 1.5
    assert abs(values.mean() - _example_truth()) < 5 * spread / math.sqrt(len(values))
    _, big = dv.kl(f, g, return_error=True, n_samples=16000, random_state=0)
    assert big / errors.mean() == pytest.approx(0.5, rel=0.15)


def test_random_state_makes_monte_carlo_reproducible():
    f, g = _univariate(*F1), _univariate(*G1)
    assert dv.kl(f, g, random_state=3) == dv.kl(f, g, random_state=3)
    assert dv.kl(f, g, random_state=3) != dv.kl(f, g, random_state=4)


def test_quadrature_for_one_dimensional_mixtures():
    f, g = _univariate(*F1), _univariate(*G1)
    value, error = dv.kl(f, g, method="quadrature", return_error=True)
    assert error < 1e-9
    assert value == pytest.approx(_example_truth(), abs=1e-9)


def test_other_measures_by_monte_carlo():
    # JS between the example mixtures, by quadrature written here.
    f, g = _univariate(*F1), _univariate(*G1)

    def integrand(x):
        lp, lq = _log_pdf_1d(F1, x), _log_pdf_1d(G1, x)
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    truth = integrate.quad(integrand, -40, 40, points=[-1, 1.5, -0.5, 2], limit=200)[0]
    value, error = dv.js(f, g, return_error=True, random_state=1)
    assert abs(value - truth) < 5 * error


def test_normal_against_a_univariate_mixture_both_ways():
    normal = dv.Normal(0.3, 1.2)

    def log_normal(_, x):
        return stats.norm.logpdf(x, 0.3, 1.2)

    forward = _quad_kl_1d(None, G1, log_p=log_normal)
    backward = _quad_kl_1d(G1, None, log_q=log_normal)
    g = _univariate(*G1)
    for p, q, truth in ((normal, g, forward), (g, normal, backward)):
        value, error = dv.kl(p, q, return_error=True, random_state=2)
        assert abs(value - truth) < 5 * error
        assert float(dv.kl(p, q, method="quadrature")) == pytest.approx(truth, abs=1e-9)


# -- approximations: properties -------------------------------------------------------------


def test_variational_is_exact_for_single_gaussians():
    # KL N(0.3, 1.2^2) || N(-0.5, 0.7^2) = ln(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2
    # = 1.0834524789 (torch 2.13.0's kl_divergence agrees).
    f = dv.GaussianMixture.univariate([1.0], [0.3], [1.2])
    g = dv.GaussianMixture.univariate([1.0], [-0.5], [0.7])
    assert float(dv.kl_approximation(f, g)) == pytest.approx(1.0834524789, abs=1e-10)
    assert float(dv.kl_approximation(dv.Normal(0.3, 1.2), dv.Normal(-0.5, 0.7))) == pytest.approx(1.0834524789, abs=1e-10)


def test_variational_is_exact_for_single_multivariate_gaussians():
    rng = np.random.default_rng(7)
    (_, m1, c1), (_, m2, c2) = _random_mixture(rng, 1, 3), _random_mixture(rng, 1, 3)
    inv = np.linalg.inv(c2[0])
    diff = m2[0] - m1[0]
    textbook = 0.5 * (np.trace(inv @ c1[0]) + diff @ inv @ diff - 3 + np.log(np.linalg.det(c2[0]) / np.linalg.det(c1[0])))
    f, g = dv.GaussianMixture([1.0], m1, c1), dv.GaussianMixture([1.0], m2, c2)
    assert float(dv.kl_approximation(f, g, "variational")) == pytest.approx(textbook, rel=1e-10)
    assert float(dv.kl_approximation(f, g, "matched_bound")) == pytest.approx(textbook, rel=1e-10)
    # A multivariate normal counts as a mixture of one component.
    assert float(dv.kl_approximation(dv.MultivariateNormal(m1[0], c1[0]), g)) == pytest.approx(textbook, rel=1e-10)


def test_product_is_not_exact_for_single_gaussians():
    # Documented bias: Jensen's bound on both sides; for N(0,1) || N(1,1) it gives 1/4, not 1/2.
    f, g = dv.GaussianMixture.univariate([1.0], [0.0], [1.0]), dv.GaussianMixture.univariate([1.0], [1.0], [1.0])
    assert float(dv.kl_approximation(f, g, "product")) == pytest.approx(0.25, abs=1e-12)
    # ... and can be negative: N(0, 1) || N(0, 0.5^2) gives log(1.25 / 2) / 2, the KL ln 0.5 + 1.5.
    f, g = dv.GaussianMixture.univariate([1.0], [0.0], [1.0]), dv.GaussianMixture.univariate([1.0], [0.0], [0.5])
    assert float(dv.kl_approximation(f, g, "product")) == pytest.approx(0.5 * math.log(0.625), abs=1e-12)
    assert 0.5 * math.log(0.625) < 0 < math.log(0.5) + 1.5


@pytest.mark.parametrize("method", ["variational", "product"])
def test_approximations_vanish_for_equal_mixtures(method):
    rng = np.random.default_rng(1)
    f = dv.GaussianMixture(*_random_mixture(rng, 3, 2))
    assert float(dv.kl_approximation(f, f, method)) == pytest.approx(0.0, abs=1e-12)


def test_matched_bound_for_equal_mixtures():
    # Separated components match themselves: 0. Overlapping ones may match a heavier
    # neighbour, and then the value is below 0 (documented).
    separated = _univariate([0.3, 0.7], [-5.0, 5.0], [1.0, 1.0])
    assert float(dv.kl_approximation(separated, separated, "matched_bound")) == pytest.approx(0.0, abs=1e-12)
    overlapping = _univariate([0.1, 0.9], [0.0, 0.1], [1.0, 1.0])
    assert float(dv.kl_approximation(overlapping, overlapping, "matched_bound")) < 0


def test_matched_bound_is_an_upper_bound_for_one_to_one_matchings():
    # Components far apart on both sides: each f_a is matched to its own g_b.
    f = ([0.4, 0.6], [-3.0, 2.0], [0.5, 1.0])
    g = ([0.5, 0.5], [-2.5, 2.5], [0.8, 0.6])
    truth = _quad_kl_1d(f, g)
    bound = float(dv.kl_approximation(_univariate(*f), _univariate(*g), "matched_bound"))
    assert truth <= bound < truth + 0.5


def test_zero_weight_components_are_ignored():
    rng = np.random.default_rng(2)
    w, m, c = _random_mixture(rng, 3, 2)
    wg, mg, cg = _random_mixture(rng, 2, 2)
    padded_w = np.append(w, 0.0)
    padded_m, padded_c = np.concatenate([m, m[:1] + 5]), np.concatenate([c, c[:1]])
    for method in APPROXIMATIONS:
        a = dv.kl_approximation(dv.GaussianMixture(w, m, c), dv.GaussianMixture(wg, mg, cg), method)
        b = dv.kl_approximation(dv.GaussianMixture(padded_w, padded_m, padded_c), dv.GaussianMixture(wg, mg, cg), method)
        c_ = dv.kl_approximation(dv.GaussianMixture(wg, mg, cg), dv.GaussianMixture(padded_w, padded_m, padded_c), method)
        d_ = dv.kl_approximation(dv.GaussianMixture(wg, mg, cg), dv.GaussianMixture(w, m, c), method)
        assert float(a) == pytest.approx(float(b), rel=1e-12)
        assert float(c_) == pytest.approx(float(d_), rel=1e-12)
    padded, plain = dv.GaussianMixture(padded_w, padded_m, padded_c), dv.GaussianMixture(w, m, c)
    draws = padded.sample(5000, 0)
    np.testing.assert_allclose(padded.log_prob(draws), plain.log_prob(draws), rtol=1e-13)
    # The component of weight 0 sits 5 away in every coordinate: no draw is nearer to it.
    nearest = np.argmin(np.linalg.norm(draws[:, None, :] - padded_m[None], axis=-1), axis=1)
    assert np.mean(nearest == 3) < 0.01


def test_base_two():
    f, g = _univariate(*F1), _univariate(*G1)
    assert float(dv.kl_approximation(f, g, base=2)) == pytest.approx(float(dv.kl_approximation(f, g)) / math.log(2))


# -- higher dimensions ------------------------------------------------------------------------


@pytest.mark.parametrize(("d", "kf", "kg"), [(2, 3, 2), (3, 2, 3)])
def test_monte_carlo_in_higher_dimensions(d, kf, kg):
    rng = np.random.default_rng(10 + d)
    fp, gp = _random_mixture(rng, kf, d), _random_mixture(rng, kg, d)
    reference, reference_error = _mc_reference(fp, gp, 200_000, seed=99)
    value, error = dv.kl(dv.GaussianMixture(*fp), dv.GaussianMixture(*gp), return_error=True, random_state=0)
    assert abs(value - reference) < 5 * math.hypot(error, reference_error)
    assert error == pytest.approx(reference_error * math.sqrt(2), rel=0.2)


def test_log_prob_against_scipy():
    rng = np.random.default_rng(3)
    for d in (1, 2, 3):
        w, m, c = _random_mixture(rng, 3, d)
        x = rng.normal(0, 2, size=(7, d))
        expected = np.log(sum(w[j] * stats.multivariate_normal(m[j], c[j]).pdf(x) for j in range(3)))
        f = dv.GaussianMixture(w, m, c)
        np.testing.assert_allclose(f.log_prob(x), expected, rtol=1e-12)
        np.testing.assert_allclose(f.log_prob(x.reshape(7, 1, d)), expected[:, None], rtol=1e-12)
        if d == 1:  # the trailing axis of length 1 may be left out
            np.testing.assert_allclose(f.log_prob(x[:, 0]), expected, rtol=1e-12)


def test_log_prob_far_out_is_finite():
    f = _univariate(*F1)
    assert np.isfinite(f.log_prob(np.array([[-200.0], [300.0]]))).all()


def test_sample_shapes_and_moments():
    rng = np.random.default_rng(4)
    w, m, c = _random_mixture(rng, 3, 2)
    draws = dv.GaussianMixture(w, m, c).sample(200_000, 5)
    assert draws.shape == (200_000, 2)
    mean = w @ m
    cov = sum(w[j] * (c[j] + np.outer(m[j], m[j])) for j in range(3)) - np.outer(mean, mean)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=5 * np.sqrt(np.diag(cov) / 200_000).max())
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.05)
    assert _univariate(*F1).sample(10, 0).shape == (10,)  # as scipy's multivariate_normal for d = 1
    np.testing.assert_array_equal(_univariate(*F1).sample(10, 0), _univariate(*F1).sample(10, np.random.default_rng(0)))


# -- scikit-learn ---------------------------------------------------------------------------------


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_from_sklearn(covariance_type):
    mixture = pytest.importorskip("sklearn.mixture")
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.normal(0, 1, size=(150, 2)), rng.normal(4, 0.5, size=(150, 2)) * [1, 2]])
    model = mixture.GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(x)
    f = dv.GaussianMixture.from_sklearn(model)
    assert f.means.shape == (2, 2) and f.covariances.shape == (2, 2, 2)
    np.testing.assert_allclose(f.log_prob(x), model.score_samples(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(f.weights, model.weights_, rtol=1e-12)


def test_from_sklearn_refuses_unfitted_and_other_models():
    mixture = pytest.importorskip("sklearn.mixture")
    with pytest.raises(dv.InvalidInputError, match="model is not fitted"):
        dv.GaussianMixture.from_sklearn(mixture.GaussianMixture(2))
    with pytest.raises(dv.InvalidInputError, match="model must be a scikit-learn GaussianMixture"):
        dv.GaussianMixture.from_sklearn(object())


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "means", "covariances", "named"),
    [
        ([0.5, 0.6], [[0.0], [1.0]], [[[1.0]], [[1.0]]], "weights"),
        ([-0.5, 1.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]], "weights"),
        ([0.5, 0.5], [[0.0], [1.0], [2.0]], [[[1.0]], [[1.0]]], "means"),
        ([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]], [[1.0]]], "covariances"),
        ([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[[1.0]], [[1.0]]], "covariances"),
        ([0.5, 0.5], [[0.0], [1.0]], [1.0, 1.0], "covariances"),
        ([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), [[1.0, 2.0], [2.0, 1.0]]], "covariances"),
        ([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), [[1.0, 0.5], [0.0, 1.0]]], "covariances"),
        ([0.5, 0.5], [[0.0], [np.nan]], [[[1.0]], [[1.0]]], "means"),
    ],
)
def test_invalid_parameters_name_the_argument(weights, means, covariances, named):
    with pytest.raises(dv.InvalidInputError, match=f"GaussianMixture {named}"):
        dv.GaussianMixture(weights, means, covariances)


def test_univariate_takes_standard_deviations():
    with pytest.raises(dv.InvalidInputError, match="scales"):
        dv.GaussianMixture.univariate([0.5, 0.5], [0.0, 1.0], [1.0, -1.0])
    f = dv.GaussianMixture.univariate([1.0], [0.0], [2.0])
    assert float(f.covariances[0, 0, 0]) == 4.0


def test_kl_approximation_arguments():
    f = _univariate(*F1)
    with pytest.raises(dv.InvalidInputError, match="method"):
        dv.kl_approximation(f, f, "unscented")
    with pytest.raises(dv.InvalidInputError, match="different dimensions"):
        dv.kl_approximation(f, dv.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)]))
    with pytest.raises(dv.InvalidInputError, match="q is a"):
        dv.kl_approximation(f, dv.Gamma(2.0, 1.0))
    with pytest.raises(dv.InvalidInputError, match="x has shape"):
        dv.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)]).log_prob(np.zeros((4, 3)))


def test_quadrature_needs_one_dimension():
    f = dv.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(dv.NotRegisteredError):
        dv.kl(f, f, method="quadrature")


# -- batching, libraries, dtypes -----------------------------------------------------------------


def _batched(rng, batch, k, d):
    parts = [_random_mixture(rng, k, d) for _ in range(int(np.prod(batch)))]
    return tuple(np.stack([p[i] for p in parts]).reshape(batch + parts[0][i].shape) for i in range(3))


@pytest.mark.parametrize("method", APPROXIMATIONS)
def test_approximations_broadcast_like_a_loop(method):
    rng = np.random.default_rng(8)
    fp, gp = _batched(rng, (2, 1), 3, 2), _batched(rng, (3,), 2, 2)
    value = dv.kl_approximation(dv.GaussianMixture(*fp), dv.GaussianMixture(*gp), method)
    assert value.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            single = dv.kl_approximation(
                dv.GaussianMixture(*(a[i, 0] for a in fp)), dv.GaussianMixture(*(a[j] for a in gp)), method
            )
            assert value[i, j] == pytest.approx(float(single), rel=1e-12)


def test_monte_carlo_over_a_batch():
    rng = np.random.default_rng(9)
    fp, gp = _batched(rng, (2,), 2, 2), _batched(rng, (2,), 2, 2)
    value, error = dv.kl(dv.GaussianMixture(*fp), dv.GaussianMixture(*gp), return_error=True, n_samples=5000, random_state=0)
    assert value.shape == error.shape == (2,)
    for i in range(2):
        single = dv.kl(dv.GaussianMixture(*(a[i] for a in fp)), dv.GaussianMixture(*(a[i] for a in gp)), n_samples=5000, random_state=0)
        assert value[i] == pytest.approx(float(single))
    with pytest.raises(dv.InvalidInputError, match="batch shape"):
        dv.GaussianMixture(*fp).sample(3)


@pytest.mark.parametrize("method", APPROXIMATIONS)
def test_torch_gradients(method):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    (w, m, c), gp = _random_mixture(rng, 3, 2), _random_mixture(rng, 2, 2)
    w = np.append(w[:2], 0.0) / w[:2].sum()  # a zero weight must not poison the gradient
    params = [torch.tensor(a, requires_grad=True) for a in (w, m, c)]
    value = dv.kl_approximation(dv.GaussianMixture(*params), dv.GaussianMixture(*(torch.tensor(a) for a in gp)), method)
    assert isinstance(value, torch.Tensor)
    value.backward()
    for p in params:
        assert torch.isfinite(p.grad).all()
    numpy_value = dv.kl_approximation(dv.GaussianMixture(w, m, c), dv.GaussianMixture(*gp), method)
    assert float(value.detach()) == pytest.approx(float(numpy_value), rel=1e-12)


def test_float32_stays_float32():
    f = dv.GaussianMixture(*(np.asarray(a, dtype=np.float32) for a in _random_mixture(np.random.default_rng(12), 2, 2)))
    g = dv.GaussianMixture(*(np.asarray(a, dtype=np.float32) for a in _random_mixture(np.random.default_rng(13), 2, 2)))
    for method in APPROXIMATIONS:
        assert dv.kl_approximation(f, g, method).dtype == np.float32
    assert dv.kl(f, g, n_samples=1000, random_state=0).dtype == np.float32


@pytest.mark.parametrize("method", APPROXIMATIONS)
def test_approximations_on_every_library(xp, method):
    rng = np.random.default_rng(14)
    fp, gp = _random_mixture(rng, 3, 2), _random_mixture(rng, 2, 2)
    expected = float(dv.kl_approximation(dv.GaussianMixture(*fp), dv.GaussianMixture(*gp), method))
    f = dv.GaussianMixture(*(xp.asarray(a) for a in fp))
    g = dv.GaussianMixture(*(xp.asarray(a) for a in gp))
    value = dv.kl_approximation(f, g, method)
    assert float(value) == pytest.approx(expected, rel=1e-10)
