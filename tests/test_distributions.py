"""Distribution objects: containers, the registry, SciPy input, dispatch and the numerical routes.

The closed forms themselves are tested family by family in test_closed_*.py; here the
numerical routes are checked against closed forms and quadrature written out in the test, and
their error estimates against the true error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate

import divergences as dv
from divergences._options import parse
from divergences.distributions._registry import PairRegistry

# --------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------


def test_parameters_become_arrays_of_one_dtype_and_broadcast():
    d = dv.Normal([0.0, 1.0, 2.0], 1)
    assert isinstance(d.loc, np.ndarray) and d.scale.dtype == np.float64
    assert d.batch_shape == (3,)
    f32 = dv.Normal(np.zeros(2, dtype=np.float32), 1.0)
    assert f32.scale.dtype == np.float32
    mvn = dv.MultivariateNormal(np.zeros((4, 2)), np.eye(2))
    assert mvn.batch_shape == (4,)


def test_python_numbers_beside_tensors_keep_their_digits():
    """A Python number beside a float64 torch tensor is made at float64: torch's default float
    is float32, and 1.3 made so and converted was 1.2999999523 (the scales of a Gumbel pair
    then differed, and its closed forms declined)."""
    torch = pytest.importorskip("torch")
    loc = torch.tensor([0.2, -1.0], dtype=torch.float64)
    d = dv.Normal(loc, 1.3)
    assert d.scale.dtype == torch.float64 and float(d.scale) == 1.3
    assert [float(v) for v in dv.Normal(loc, [1.3, 2.1]).scale] == [1.3, 2.1]
    assert float(dv.Normal(torch.zeros(1, dtype=torch.float32), 1.3).scale) == float(np.float32(1.3))
    ours = dv.total_variation(dv.Gumbel(loc, 1.3), dv.Gumbel(0.0, 1.3), method="closed_form")
    np.testing.assert_allclose(ours.numpy(), dv.total_variation(dv.Gumbel(loc.numpy(), 1.3), dv.Gumbel(0.0, 1.3)),
                               rtol=1e-15)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: dv.Normal(0.0, -1.0), ["Normal scale", "positive", "-1"]),
        (lambda: dv.Normal(0.0, [1.0, 0.0]), ["Normal scale", "index [1]"]),
        (lambda: dv.Normal(float("nan"), 1.0), ["Normal loc", "finite"]),
        (lambda: dv.Bernoulli(1.5), ["Bernoulli probs", "[0, 1]"]),
        (lambda: dv.Binomial(2.5, 0.5), ["Binomial total_count", "whole number"]),
        (lambda: dv.Categorical([0.5, 0.6]), ["Categorical probs", "sum to 1"]),
        (lambda: dv.Uniform(1.0, 0.0), ["Uniform low", "below high"]),
        (lambda: dv.MultivariateNormal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), ["cov", "positive definite"]),
        (lambda: dv.MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), ["cov", "symmetric"]),
        (lambda: dv.MultivariateNormal([0.0, 0.0, 0.0], np.eye(2)), ["cov", "(..., 3, 3)"]),
        (lambda: dv.Normal(np.zeros(2), np.ones(3)), ["do not broadcast"]),
    ],
)
def test_invalid_parameters_are_named(make, words):
    with pytest.raises(dv.InvalidInputError) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_to_scipy_matches_the_documented_density():
    x = np.linspace(0.1, 3.0, 7)
    assert np.allclose(dv.Gamma(2.5, 1.5).log_prob(x), st.gamma(2.5, scale=1 / 1.5).logpdf(x))
    assert np.allclose(dv.Pareto(1.0, 3.0).log_prob(x + 1), st.pareto(3.0).logpdf(x + 1))
    assert np.allclose(dv.Geometric(0.3).log_prob(np.arange(4)), np.log(0.3 * 0.7 ** np.arange(4)))
    # The continuous Bernoulli has no SciPy family: its density must still integrate to 1.
    for lam in (0.2, 0.5 - 1e-6, 0.5, 0.9):
        total, _ = integrate.quad(lambda t, lam=lam: math.exp(dv.ContinuousBernoulli(lam).log_prob(t)), 0, 1)
        assert total == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Child(dv.Normal):
    pass


@dataclass(frozen=True, eq=False)
class _GrandChild(_Child):
    pass


def test_registry_refuses_duplicates_unless_overridden_and_clears_its_cache():
    reg = PairRegistry("test")
    reg.register(dv.Normal, dv.Normal)(lambda p, q, *, xp: 1.0)
    assert reg.lookup(_Child, dv.Normal)[0](None, None, xp=None) == 1.0  # cached now
    with pytest.raises(dv.InvalidInputError, match="already registered"):
        reg.register(dv.Normal, dv.Normal)(lambda p, q, *, xp: 2.0)
    reg.register(_Child, dv.Normal)(lambda p, q, *, xp: 3.0)
    assert reg.lookup(_Child, dv.Normal)[0](None, None, xp=None) == 3.0  # the cache was cleared
    assert reg.lookup(_GrandChild, dv.Normal)[0](None, None, xp=None) == 3.0  # most specific
    reg.register(dv.Normal, dv.Normal, override=True)(lambda p, q, *, xp: 4.0)
    assert reg.lookup(dv.Normal, dv.Normal)[0](None, None, xp=None) == 4.0


def test_registry_ties_are_an_error_that_names_the_pair_to_register():
    reg = PairRegistry("test")
    reg.register(_Child, dv.Normal)(lambda p, q, *, xp: 1.0)
    reg.register(dv.Normal, _Child)(lambda p, q, *, xp: 2.0)
    with pytest.raises(dv.AmbiguousRegistrationError, match=r"register \(_Child, _Child\)"):
        reg.lookup(_Child, _Child)


def test_registry_type_guards():
    with pytest.raises(dv.InvalidInputError, match="type_p must be a subclass"):
        dv.register_kl(int, dv.Normal)
    with pytest.raises(dv.InvalidInputError, match="type_q must be a subclass"):
        dv.register_kl(dv.Normal, "Normal")
    with pytest.raises(dv.InvalidInputError, match="callable"):
        PairRegistry("test").register(dv.Normal, dv.Normal)(42)
    with pytest.raises(dv.InvalidInputError, match="metric must be one of"):
        dv.register("nonsense", dv.Normal, dv.Normal)


def test_symmetric_registry_swaps_arguments():
    reg = PairRegistry("test", symmetric=True)
    reg.register(dv.Normal, dv.Laplace)(lambda p, q, *, xp: (type(p).__name__, type(q).__name__))
    fn, swapped = reg.lookup(dv.Laplace, dv.Normal)
    assert swapped is True
    assert reg.lookup(dv.Normal, dv.Laplace) == (fn, False)
    assert fn(dv.Normal(0.0, 1.0), dv.Laplace(0.0, 1.0), xp=None) == ("Normal", "Laplace")


def test_not_registered_names_both_types_and_what_exists():
    with pytest.raises(dv.NotRegisteredError) as info:
        dv.kl(dv.Normal(0.0, 1.0), dv.StudentT(3.0), method="closed_form")
    message = str(info.value)
    assert "Normal" in message and "StudentT" in message and "Normal" in message.split("against:")[1]
    assert isinstance(info.value, NotImplementedError)


def test_user_registration_is_used_by_dv_kl():
    @dataclass(frozen=True, eq=False)
    class Mine(dv.Normal):
        pass

    calls = []

    @dv.register_kl(Mine, Mine)
    def _kl(p, q, *, xp):
        calls.append(1)
        return xp.zeros_like(p.loc) + 7.0

    assert float(dv.kl(Mine(0.0, 1.0), Mine(1.0, 1.0))) == 7.0 and calls


# --------------------------------------------------------------------------------------
# Dispatch: SciPy input, options, results
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frozen", "family"),
    [
        (st.norm(0.3, 1.2), dv.Normal),
        (st.gamma(2.5, scale=2.0), dv.Gamma),
        (st.expon(scale=0.5), dv.Exponential),
        (st.beta(2, 3), dv.Beta),
        (st.lognorm(0.5, scale=math.exp(0.2)), dv.LogNormal),
        (st.uniform(-1, 3), dv.Uniform),
        (st.pareto(3.0, scale=2.0), dv.Pareto),
        (st.weibull_min(1.5, scale=2.0), dv.Weibull),
        (st.poisson(3.0), dv.Poisson),
        (st.binom(10, 0.3), dv.Binomial),
        (st.geom(0.3, loc=-1), dv.Geometric),
        (st.multivariate_normal([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]]), dv.MultivariateNormal),
        (st.dirichlet([1.5, 2.0, 0.7]), dv.Dirichlet),
    ],
)
def test_scipy_frozen_distributions_convert_to_the_same_density(frozen, family):
    d = dv.distributions.as_distribution(frozen, "p")
    assert type(d) is family
    x = frozen.rvs(size=5, random_state=0)
    if family is dv.Dirichlet:
        assert np.allclose(d.log_prob(x), [frozen.logpdf(v) for v in x])
    elif d.discrete:
        assert np.allclose(d.log_prob(x), frozen.logpmf(x))
    else:
        assert np.allclose(d.log_prob(x), frozen.logpdf(x))


def test_scipy_frozen_outside_a_family_uses_the_numerical_route():
    shifted = st.expon(loc=1.0)  # an Exponential has no loc: stays a SciPy distribution
    assert isinstance(dv.distributions.as_distribution(shifted, "p"), dv.distributions.ScipyDistribution)
    value, error = dv.kl(shifted, st.norm(1.5, 1.0), return_error=True)
    direct, _ = integrate.quad(lambda x: shifted.pdf(x) * (shifted.logpdf(x) - st.norm(1.5, 1).logpdf(x)), 1, np.inf)
    assert value == pytest.approx(direct, rel=1e-9) and error < 1e-8


def test_api_md_example_with_scipy_objects():
    # KL(N(0,1) || N(1, 2^2)) = log 2 + (1 + 1)/8 - 1/2
    assert dv.kl(st.norm(0, 1), st.norm(1, 2)) == pytest.approx(math.log(2) + 0.25 - 0.5, rel=1e-14)


def test_base_return_error_and_result_types():
    p, q = dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)
    assert isinstance(dv.kl(p, q), np.floating)
    assert dv.kl(p, q, base=2) == pytest.approx(0.5 / math.log(2))
    value, error = dv.kl(p, q, return_error=True)
    assert value == 0.5 and error == 0.0
    batched = dv.kl(dv.Normal(np.zeros((2, 1)), 1.0), dv.Normal(np.arange(3.0), 1.0))
    assert batched.shape == (2, 3) and np.allclose(batched, np.arange(3.0) ** 2 / 2)
    assert dv.hellinger(p, q) == pytest.approx(math.sqrt(1 - math.exp(-1 / 8)), rel=1e-14)
    assert dv.js_distance(p, q, base=2) ** 2 == pytest.approx(dv.js(p, q, base=2), rel=1e-12)
    with pytest.raises(dv.InvalidInputError, match="base does not apply"):
        dv.distributions._dispatch.divergence(parse("hellinger", base=2), p, q)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda p, q: dv.kl(p, q, axis=0), ["axis", "distribution objects"]),
        (lambda p, q: dv.kl(p, q, normalize=True), ["normalize"]),
        (lambda p, q: dv.kl(p, q, method="magic"), ["method must be one of"]),
        (lambda p, q: dv.kl(p, q, n_samples=1), ["n_samples"]),
        (lambda p, q: dv.kl([0.5, 0.5], q), ["p is a list", "dv.estimate.kl"]),
        (lambda p, q: dv.kl([0.5, 0.5], [0.5, 0.5], method="quadrature"), ["applies to distribution objects"]),
        (lambda p, q: dv.kl(p, dv.Poisson(1.0)), ["discrete and a continuous"]),
        (lambda p, q: dv.kl(dv.VonMises(0.0, 1.0), q, method="quadrature"), ["circle"]),
        (lambda p, q: dv.renyi(p, q, -1.0), ["alpha"]),
    ],
)
def test_option_errors(call, words):
    with pytest.raises(dv.InvalidInputError) as info:
        call(dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0))
    for word in words:
        assert word in str(info.value)


def test_arrays_accept_return_error():
    value, error = dv.kl([0.5, 0.5], [0.25, 0.75], return_error=True)
    assert value == dv.kl([0.5, 0.5], [0.25, 0.75]) and error == 0.0


def test_torch_parameters_give_torch_results_with_gradients():
    torch = pytest.importorskip("torch")
    loc = torch.tensor([0.0, 0.5], dtype=torch.float64, requires_grad=True)
    value = dv.kl(dv.Normal(loc, 1.0), dv.Normal(0.0, 2.0))
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float64
    value.sum().backward()
    assert torch.allclose(loc.grad, loc.detach() / 4)
    # A numerical route returns the parameters' library and dtype too (without a gradient).
    num = dv.kl(dv.Normal(torch.tensor(0.0), 1.0), dv.StudentT(3.0), return_error=True)
    assert isinstance(num[0], torch.Tensor) and num[0].dtype == torch.float32


def test_mixed_libraries_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(dv.BackendMismatchError):
        dv.kl(dv.Normal(torch.tensor(0.0), 1.0), dv.Normal(np.float64(0.0), np.ones(2)))


# --------------------------------------------------------------------------------------
# Numerical routes: values and honest errors
# --------------------------------------------------------------------------------------


def _direct_quad(p, q, lo, hi):
    """KL by plain quad of the SciPy densities (an independent reference)."""
    f = lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)) if p.pdf(x) > 0 else 0.0  # noqa: E731
    return integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=500)[0]


# Published closed-form values (each equal to adaptive quadrature to about 1e-15): torch
# 2.13.0's torch.distributions.kl_divergence for Normal, Gamma, Beta, Cauchy, Pareto || Normal,
# Poisson, Geometric (counting failures) and Binomial; TensorFlow Probability's closed forms at
# commit c847a41 for Weibull (after Bauckhage 2013, arXiv:1310.3713), VonMises and Moyal.
@pytest.mark.parametrize(
    ("p", "q", "exact"),
    [
        (dv.Normal(0.3, 1.2), dv.Normal(-0.5, 0.7), 1.0834524789),
        (dv.Gamma(2.5, 1.5), dv.Gamma(1.2, 0.6), 0.1435955506),
        (dv.Beta(2.0, 3.0), dv.Beta(0.7, 1.5), 0.2447108586),
        (dv.Weibull(1.5, 1.0), dv.Weibull(3.0, 2.0), 1.2135100260),
        (dv.Cauchy(0.0, 1.0), dv.Cauchy(2.0, 0.5), 1.1394342832),
        (dv.VonMises(0.0, 2.0), dv.VonMises(1.0, 0.5), 0.4446008653),
        (dv.Moyal(0.3, 1.0), dv.Moyal(-0.2, 1.5), 0.1580735676),
        (dv.Pareto(1.0, 3.0), dv.Normal(0.0, 2.0), 1.7523646691),
        (dv.Poisson(3.0), dv.Poisson(5.0), 0.4675231287),
        (dv.Geometric(0.3), dv.Geometric(0.1), 0.5122119560),
        (dv.Binomial(10.0, 0.3), dv.Binomial(10.0, 0.6), 1.8378689739),
    ],
)
def test_numerical_route_matches_peers_reference_values(p, q, exact):
    value, error = dv.kl(p, q, method="numerical", return_error=True)
    assert value == pytest.approx(exact, abs=1e-9)  # the references carry 10 decimals
    assert error < 1e-8


@pytest.mark.parametrize(
    ("p", "q"),
    [
        (dv.Normal(0.3, 1.2), dv.Normal(-0.5, 0.7)),
        (dv.Normal(0.0, 1.0), dv.Normal(0.0, 1.0 + 1e-6)),
        (dv.Normal(0.0, 0.01), dv.Normal(3.0, 5.0)),
        (dv.Normal(0.0, 1.0), dv.Normal(4.0, 1.0)),
    ],
)
def test_quadrature_error_is_honest_against_the_closed_form(p, q):
    exact = dv.kl(p, q)
    for name in ("kl", "hellinger", "bhattacharyya"):
        value, error = getattr(dv, name)(p, q, method="quadrature", return_error=True)
        closed = getattr(dv, name)(p, q)
        true_error = abs(value - closed)
        assert true_error <= 10 * error + 4 * np.finfo(float).eps * abs(closed), (name, value, closed, error)
        assert error <= 1e-10 * max(1.0, abs(closed)) + 1e-14
    assert exact >= 0


def test_quadrature_agrees_with_direct_integration_without_closed_form():
    p, q = dv.StudentT(3.0, 0.2, 1.1), dv.Logistic(0.0, 0.8)
    value, error = dv.kl(p, q, return_error=True)
    ref = _direct_quad(p.to_scipy(), q.to_scipy(), -np.inf, np.inf)
    assert value == pytest.approx(ref, rel=1e-9) and error < 1e-9


@pytest.mark.parametrize(
    ("p", "q", "finite"),
    [
        (dv.Cauchy(0.0, 1.0), dv.Normal(0.0, 2.0), False),  # E[x^2] is infinite under a Cauchy
        (dv.Pareto(1.0, 1.5), dv.Normal(0.0, 2.0), False),  # alpha <= 2: no second moment
        (dv.Pareto(1.0, 2.0), dv.Normal(0.0, 2.0), False),  # the borderline: log-divergent
        (dv.Pareto(1.0, 2.5), dv.Normal(0.0, 2.0), True),
        (dv.StudentT(2.0), dv.Normal(0.0, 1.0), False),  # df <= 2: infinite variance
        (dv.StudentT(3.0), dv.Normal(0.0, 1.0), True),
        (dv.Normal(0.0, 2.0), dv.Cauchy(0.0, 1.0), True),
    ],
)
def test_divergent_integrals_are_infinite_not_large(p, q, finite):
    value = dv.kl(p, q, method="quadrature")
    assert math.isfinite(value) == finite


def test_support_mismatch_is_infinite_and_the_other_way_finite():
    assert dv.kl(dv.Normal(0.0, 1.0), dv.Uniform(0.0, 2.0), method="numerical") == math.inf
    value = dv.kl(dv.Uniform(-1.0, 2.0), dv.Normal(0.0, 1.0), method="numerical")
    assert value == pytest.approx(0.3203262445, abs=1e-9)


def test_union_measures_integrate_over_both_supports():
    # Disjoint uniforms: TV = 1, JS = log 2, Hellinger = 1 — all over the union of supports.
    p, q = dv.Uniform(0.0, 1.0), dv.Uniform(2.0, 3.0)
    assert dv.total_variation(p, q, method="numerical") == pytest.approx(1.0, abs=1e-12)
    assert dv.js(p, q, method="numerical") == pytest.approx(math.log(2), abs=1e-12)
    assert dv.hellinger(p, q, method="numerical") == pytest.approx(1.0, abs=1e-12)


def test_js_of_two_normals_matches_the_quadrature_oracle():
    value, error = dv.js(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), return_error=True)
    assert value == pytest.approx(0.1114214822, abs=1e-10) and error < 1e-10


def test_summation_tail_error_is_honest():
    # Poisson(50) against Poisson(60): the closed form is elementary.
    lam1, lam2 = 50.0, 60.0
    exact = lam1 * math.log(lam1 / lam2) + lam2 - lam1
    value, error = dv.kl(dv.Poisson(lam1), dv.Poisson(lam2), method="summation", return_error=True)
    assert abs(value - exact) <= 10 * error + 1e-15 and error < 1e-12


def test_monte_carlo_standard_error_is_honest():
    p = dv.MultivariateNormal([0.0, 0.0], [[1.0, 0.3], [0.3, 2.0]])
    q = dv.MultivariateNormal([1.0, -0.5], [[1.5, 0.0], [0.0, 1.0]])
    exact = dv.kl(p, q)
    runs = [dv.kl(p, q, method="monte_carlo", n_samples=4000, random_state=s, return_error=True) for s in range(40)]
    values, errors = np.array([v for v, _ in runs]), np.array([e for _, e in runs])
    # The reported standard error matches the spread across seeds and covers the truth.
    assert 0.7 < np.std(values, ddof=1) / np.mean(errors) < 1.4
    assert np.mean(np.abs(values - exact) <= 3 * errors) > 0.9
    # Seeded: the same seed gives the same answer.
    assert runs[0][0] == dv.kl(p, q, method="monte_carlo", n_samples=4000, random_state=0)


def test_numerical_route_batches_by_looping():
    p = dv.StudentT(np.array([3.0, 5.0]), 0.0, 1.0)
    values = dv.kl(p, dv.Normal(0.0, 1.0))
    single = [dv.kl(dv.StudentT(df), dv.Normal(0.0, 1.0)) for df in (3.0, 5.0)]
    assert values.shape == (2,) and np.allclose(values, single, rtol=1e-12)


def test_the_registered_pairs_page_is_current():
    from divergences.distributions import _docs

    assert _docs.PAGE.read_text(encoding="utf-8") == _docs.render(), (
        "docs/distributions.md is stale: run `python -m divergences.distributions._docs`"
    )


@pytest.fixture(scope="module")
def page():
    from divergences.distributions import _docs

    return _docs.render()


@pytest.mark.parametrize(
    ("row", "name", "p", "q", "params"),
    [
        ("| Beta | Beta | *derived*: Bhattacharyya = Renyi of order 1/2 / 2", "bhattacharyya",
         dv.Beta(2.0, 3.0), dv.Beta(0.7, 1.5), {}),
        ("| Beta | Beta | *derived*: Hellinger = sqrt(1 - exp(-Bhattacharyya)), from Bhattacharyya = Renyi",
         "hellinger", dv.Beta(2.0, 3.0), dv.Beta(0.7, 1.5), {}),
        ("| Normal | Normal | *derived*: chi-square = expm1(Renyi of order 2)", "chi2",
         dv.Normal(0.3, 1.2), dv.Normal(-0.5, 1.0), {}),
        ("| Beta | Gamma | *derived* (these orders only): Renyi of order 1 = KL", "renyi",
         dv.Beta(2.0, 3.0), dv.Gamma(2.0, 0.5), {"alpha": 1.0}),
        ("| Cauchy | Cauchy | *derived*: Hellinger = sqrt(1 - exp(-Bhattacharyya)), from "
         "`_closed_univariate._bhattacharyya_cauchy_cauchy`", "hellinger", dv.Cauchy(0.0, 1.0), dv.Cauchy(2.0, 0.5), {}),
        ("| Exponential | Gamma | *derived*: PSI(p, q) = KL(p, q) + KL(q, p)", "psi",
         dv.Exponential(1.5), dv.Gamma(2.5, 1.5), {}),
        ("| Normal | *derived*: H(p, p), from `_closed_univariate._ce_normal_normal` |", "entropy",
         dv.Normal(0.3, 1.7), None, {}),
        ("| StudentT | `StudentT._entropy` |", "entropy", dv.StudentT(3.5, 0.1, 2.0), None, {}),
    ],
)
def test_the_page_shows_the_derived_forms_the_dispatch_uses(page, row, name, p, q, params):
    from divergences.distributions import _dispatch

    assert all(f"- {line}" in page for line in _dispatch.DERIVED)  # the intro lists every derivation
    assert row in page
    # The derived form is what dv answers in closed form, and it agrees with quadrature.
    dists = (p,) if q is None else (p, q)
    closed = getattr(dv, name)(*dists, method="closed_form", **params)
    value, error = getattr(dv, name)(*dists, method="quadrature", return_error=True, **params)
    assert abs(value - closed) <= 10 * error + 4 * np.finfo(float).eps * abs(closed) and error < 1e-9


# --------------------------------------------------------------------------------------
# Entropy of one distribution
# --------------------------------------------------------------------------------------

_W, _D = np.array([[1.0], [0.5]]), np.array([0.3, 0.7])
ENTROPY_CLOSED = [
    (dv.Normal(0.3, 1.7), st.norm(0.3, 1.7)),
    (dv.Laplace(0.2, 0.4), st.laplace(0.2, 0.4)),
    (dv.Exponential(2.5), st.expon(scale=0.4)),
    (dv.Gamma(2.5, 1.5), st.gamma(2.5, scale=1 / 1.5)),
    (dv.Beta(2.0, 0.7), st.beta(2.0, 0.7)),
    (dv.Uniform(-1.0, 2.5), st.uniform(-1.0, 3.5)),
    (dv.StudentT(3.5, 0.1, 2.0), st.t(3.5, 0.1, 2.0)),
    (dv.StudentT(250.0), st.t(250.0)),  # the series in 1/df
    (dv.Cauchy(0.5, 0.3), st.cauchy(0.5, 0.3)),
    (dv.Gumbel(0.5, 1.3), st.gumbel_r(0.5, 1.3)),
    (dv.Logistic(0.0, 0.7), st.logistic(0.0, 0.7)),
    (dv.LogNormal(0.3, 0.8), st.lognorm(0.8, scale=math.exp(0.3))),
    (dv.HalfNormal(1.3), st.halfnorm(scale=1.3)),
    (dv.HalfCauchy(1.3), st.halfcauchy(scale=1.3)),
    (dv.InverseGamma(2.5, 1.5), st.invgamma(2.5, scale=1.5)),
    (dv.Weibull(1.7, 2.0), st.weibull_min(1.7, scale=2.0)),
    (dv.Pareto(1.5, 3.0), st.pareto(3.0, scale=1.5)),
    (dv.Chi2(4.5), st.chi2(4.5)),
    (dv.Chi(2.5), st.chi(2.5)),
    (dv.VonMises(0.4, 2.5), st.vonmises(2.5, loc=0.4)),
    (dv.Moyal(0.3, 1.2), st.moyal(0.3, 1.2)),
    (dv.MultivariateNormal([0.0, 1.0], [[2.0, 0.3], [0.3, 1.0]]), st.multivariate_normal([0, 1], [[2.0, 0.3], [0.3, 1.0]])),
    (dv.DiagonalNormal([0.0, 1.0], [0.5, 2.0]), st.multivariate_normal([0, 1], np.diag([0.25, 4.0]))),
    (dv.LowRankMultivariateNormal([0.0, 1.0], _W, _D), st.multivariate_normal([0, 1], _W @ _W.T + np.diag(_D))),
    (dv.Dirichlet([0.5, 2.0, 3.0]), st.dirichlet([0.5, 2.0, 3.0])),
    (dv.Wishart(5.5, [[1.0, 0.2], [0.2, 2.0]]), st.wishart(5.5, [[1.0, 0.2], [0.2, 2.0]])),
    (dv.Bernoulli(0.3), st.bernoulli(0.3)),
    (dv.Geometric(0.3), st.geom(0.3, loc=-1)),
    (dv.Categorical([0.2, 0.0, 0.5, 0.3]), None),
]


@pytest.mark.parametrize(("d", "frozen"), ENTROPY_CLOSED, ids=[f"{type(d).__name__}-{i}" for i, (d, _) in
                                                                enumerate(ENTROPY_CLOSED)])
def test_entropy_closed_forms_match_scipy(d, frozen):
    expected = float(frozen.entropy()) if frozen is not None else float(st.entropy(d.probs))
    value, error = dv.entropy(d, method="closed_form", return_error=True)
    assert isinstance(value, np.floating) and error == 0.0
    assert value == pytest.approx(expected, rel=1e-10)
    if frozen is not None and not isinstance(d, (dv.DiagonalNormal, dv.LowRankMultivariateNormal)):
        assert dv.entropy(frozen) == pytest.approx(expected, rel=1e-10)  # SciPy input converts


def test_entropy_closed_forms_match_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    t = lambda *v: [torch.tensor(x, dtype=torch.float64) for x in v]  # noqa: E731
    cases = [
        (dv.Normal, td.Normal, (0.3, 1.7)), (dv.Laplace, td.Laplace, (0.2, 0.4)),
        (dv.Exponential, td.Exponential, (2.5,)), (dv.Gamma, td.Gamma, (2.5, 1.5)),
        (dv.Beta, td.Beta, (2.0, 0.7)), (dv.Uniform, td.Uniform, (-1.0, 2.5)),
        (dv.StudentT, td.StudentT, (3.5, 0.1, 2.0)), (dv.Cauchy, td.Cauchy, (0.5, 0.3)),
        (dv.Gumbel, td.Gumbel, (0.5, 1.3)), (dv.LogNormal, td.LogNormal, (0.3, 0.8)),
        (dv.HalfNormal, td.HalfNormal, (1.3,)), (dv.Weibull, lambda k, s: td.Weibull(s, k), (1.7, 2.0)),
        (dv.HalfCauchy, td.HalfCauchy, (1.3,)), (dv.InverseGamma, td.InverseGamma, (2.5, 1.5)),
        (dv.Pareto, td.Pareto, (1.5, 3.0)), (dv.Chi2, td.Chi2, (4.5,)),
        (dv.ContinuousBernoulli, td.ContinuousBernoulli, (0.3,)),
        (dv.ContinuousBernoulli, td.ContinuousBernoulli, (0.5,)),
        (dv.Bernoulli, td.Bernoulli, (0.3,)), (dv.Geometric, td.Geometric, (0.3,)),
        (dv.Dirichlet, td.Dirichlet, ([0.5, 2.0, 3.0],)),
    ]
    for ours, theirs, args in cases:
        expected = float(theirs(*t(*args)).entropy())
        assert float(dv.entropy(ours(*t(*args)))) == pytest.approx(expected, rel=1e-10, abs=1e-15), ours


def test_entropy_in_torch_keeps_library_and_gradient():
    torch = pytest.importorskip("torch")
    scale = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    value = dv.entropy(dv.Normal(0.0, scale))
    assert isinstance(value, torch.Tensor) and value.shape == (2,)
    value.sum().backward()
    assert torch.allclose(scale.grad, 1 / scale.detach())  # dH/dscale = 1/scale
    df = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    dv.entropy(dv.StudentT(df)).backward()
    assert torch.isfinite(df.grad)


@pytest.mark.parametrize(
    ("d", "frozen", "route"),
    [
        (dv.Poisson(3.0), st.poisson(3.0), "summation"),
        (dv.Poisson(400.0), st.poisson(400.0), "summation"),
        (dv.Binomial(12.0, 0.3), st.binom(12, 0.3), "summation"),
        (st.rayleigh(0.0, 2.0), st.rayleigh(0.0, 2.0), "quadrature"),  # no library family: quadrature
        (dv.Normal(0.0, 1e-3), st.norm(0.0, 1e-3), "quadrature"),  # negative differential entropy
        (dv.Beta(0.5, 0.7), st.beta(0.5, 0.7), "quadrature"),  # a density unbounded at both ends
    ],
)
def test_entropy_numerical_routes_are_accurate_and_honest(d, frozen, route):
    expected = float(frozen.entropy())
    value, error = dv.entropy(d, method=route, return_error=True)
    assert abs(value - expected) <= 10 * error + 4e-16 * abs(expected)
    assert 0 < error < 1e-9 * max(1.0, abs(expected))
    if route == "summation":  # the default route for families without a closed form
        assert dv.entropy(d) == value


def test_entropy_of_a_mixture_against_quadrature_written_here():
    weights, locs, scales = [0.3, 0.7], [-1.0, 2.0], [0.5, 1.0]
    pdf = lambda x: sum(w * st.norm(m, s).pdf(x) for w, m, s in zip(weights, locs, scales))  # noqa: E731
    expected = integrate.quad(lambda x: -pdf(x) * np.log(pdf(x)), -12, 14, epsabs=1e-13, epsrel=1e-13, limit=200)[0]
    mixture = dv.GaussianMixture.univariate(weights, locs, scales)
    value, error = dv.entropy(mixture, method="quadrature", return_error=True)
    assert value == pytest.approx(expected, rel=1e-11) and error < 1e-10
    mc, se = dv.entropy(mixture, n_samples=4000, random_state=0, return_error=True)  # default: Monte Carlo
    assert abs(mc - expected) < 4 * se and se < 0.03


def test_entropy_monte_carlo_is_seeded_and_its_error_honest():
    p = dv.MultivariateNormal([0.0, 0.0], [[1.0, 0.3], [0.3, 2.0]])
    exact = dv.entropy(p)
    runs = [dv.entropy(p, method="monte_carlo", n_samples=2000, random_state=s, return_error=True) for s in range(30)]
    values, errors = np.array([v for v, _ in runs]), np.array([e for _, e in runs])
    assert 0.6 < np.std(values, ddof=1) / np.mean(errors) < 1.5
    assert np.mean(np.abs(values - exact) <= 3 * errors) > 0.9
    assert runs[3][0] == dv.entropy(p, method="monte_carlo", n_samples=2000, random_state=3)


def test_entropy_quadrature_agrees_with_the_closed_form():
    for d in (dv.Normal(0.3, 1.7), dv.Beta(2.0, 0.7), dv.StudentT(3.5, 0.1, 2.0), dv.Logistic(0.0, 0.7)):
        closed = dv.entropy(d)
        value, error = dv.entropy(d, method="quadrature", return_error=True)
        assert abs(value - closed) <= 10 * error + 4e-16 * abs(closed) and error < 1e-9


def test_entropy_batches_and_takes_a_base():
    scales = np.array([0.5, 1.0, 2.0])
    batched = dv.entropy(dv.Normal(np.zeros((2, 1)), scales), base=2)
    assert batched.shape == (2, 3)
    np.testing.assert_allclose(batched[1], st.norm(0, scales).entropy() / math.log(2), rtol=1e-14)
    rates = np.array([1.0, 3.0, 7.5])
    values, errors = dv.entropy(dv.Poisson(rates), return_error=True, base=2)
    assert values.shape == errors.shape == (3,)
    np.testing.assert_allclose(values, st.poisson(rates).entropy() / math.log(2), rtol=1e-12)
    dfs = np.array([1.5, 30.0, 300.0])
    np.testing.assert_allclose(dv.entropy(dv.StudentT(dfs)), st.t(dfs).entropy(), rtol=1e-12)
    # Edge parameters: a point mass has entropy 0, never NaN.
    np.testing.assert_array_equal(dv.entropy(dv.Bernoulli([0.0, 1.0])), [0.0, 0.0])
    assert dv.entropy(dv.Geometric(1.0)) == 0.0


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: dv.entropy(dv.Normal(0.0, 1.0), axis=0), dv.InvalidInputError, ["axis", "distribution objects"]),
        (lambda: dv.entropy(dv.Normal(0.0, 1.0), smoothing=1.0), dv.InvalidInputError, ["smoothing"]),
        (lambda: dv.entropy([0.5, 0.5], method="quadrature"), dv.InvalidInputError, ["distribution objects"]),
        (lambda: dv.entropy(dv.Normal(0.0, 1.0), base=1.0), dv.InvalidInputError, ["base"]),
        (lambda: dv.entropy(dv.Normal(0.0, 1.0), method="magic"), dv.InvalidInputError, ["method must be one of"]),
        (lambda: dv.entropy(dv.Poisson(2.0), method="closed_form"), dv.NotRegisteredError, ["entropy(Poisson)"]),
    ],
)
def test_entropy_option_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------------------
# f-divergences between distribution objects
# --------------------------------------------------------------------------------------


def _chi2_f(t):
    return (t - 1) ** 2


def _kl_f(t):
    return t * np.log(t)


def _f_quad(f, p, q):
    """integral q f(p/q) by plain quad of the SciPy densities over the real line (split at 0,
    where the Laplace densities below have their kink); inf where the integrand overflows."""
    p, q = p.to_scipy(), q.to_scipy()
    g = lambda x: q.pdf(x) * f(p.pdf(x) / q.pdf(x)) if q.pdf(x) > 0 else 0.0  # noqa: E731
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return sum(integrate.quad(g, a, b, epsabs=1e-14, epsrel=1e-13, limit=500)[0]
                   for a, b in ((-np.inf, 0.0), (0.0, np.inf)))


@pytest.mark.parametrize(
    ("p", "q"),
    [
        (dv.Normal(0.3, 1.2), dv.Normal(-0.5, 1.0)),
        (dv.Normal(0.0, 1.0), dv.Normal(0.0, 0.8)),  # chi2 finite although q is narrower
        (dv.Laplace(0.0, 1.0), dv.Normal(0.5, 2.0)),
        (dv.StudentT(5.0, 0.2, 1.0), dv.Logistic(0.0, 0.8)),  # chi2 infinite: p/q grows in the tails
    ],
)
def test_f_divergence_matches_quadrature_written_here(p, q):
    for f in (_chi2_f, _kl_f, lambda t: np.abs(t - 1) / 2):
        value, error = dv.f_divergence(p, q, f, return_error=True)
        expected = _f_quad(f, p, q)
        assert value == pytest.approx(expected, rel=1e-9) and error < 1e-9 * max(1.0, expected)


def test_f_divergence_recovers_the_closed_forms_with_honest_errors():
    p, q = dv.Normal(0.3, 1.2), dv.Normal(-0.5, 1.0)
    for f, closed in [(_chi2_f, dv.chi2(p, q)), (_kl_f, dv.kl(p, q)), (lambda t: -np.log(t), dv.kl(q, p)),
                      (lambda t: np.abs(t - 1) / 2, dv.total_variation(p, q)),
                      (lambda t: (np.sqrt(t) - 1) ** 2 / 2, dv.hellinger(p, q) ** 2)]:
        value, error = dv.f_divergence(p, q, f, return_error=True)
        assert abs(value - closed) <= 10 * error + 4e-16 * closed and error < 1e-12
    # chi2 of 1e-12: the error estimate still covers the true error.
    p, q = dv.Normal(0.0, 1.0), dv.Normal(1e-6, 1.0)
    value, error = dv.f_divergence(p, q, _chi2_f, return_error=True)
    assert abs(value - dv.chi2(p, q)) <= 10 * error and error < 1e-6 * dv.chi2(p, q)


def test_f_divergence_supports_and_divergence():
    # q = 0 < p: p * slope at infinity (inf for chi2, 1/2 for TV); p = 0 < q: q f(0).
    tv = lambda t: np.abs(t - 1) / 2  # noqa: E731
    assert dv.f_divergence(dv.Uniform(0.0, 1.0), dv.Uniform(2.0, 3.0), tv) == pytest.approx(1.0, abs=1e-12)
    assert dv.f_divergence(dv.Uniform(0.0, 1.0), dv.Uniform(0.5, 3.0), tv) == pytest.approx(0.8, abs=1e-12)
    assert dv.f_divergence(dv.Uniform(0.0, 1.0), dv.Uniform(0.5, 3.0), _chi2_f) == math.inf
    assert dv.f_divergence(dv.Uniform(0.0, 1.0), dv.Uniform(-0.5, 3.0), lambda t: -np.log(t)) == math.inf
    assert dv.f_divergence(dv.Normal(0.0, 1.0), dv.Normal(0.0, 0.6), _chi2_f) == math.inf  # 2 var_q < var_p
    assert dv.f_divergence(dv.Cauchy(0.0, 1.0), dv.Normal(0.0, 1.0), _kl_f) == math.inf


def test_f_divergence_discrete_and_monte_carlo_routes():
    p, q = dv.Geometric(0.3), dv.Geometric(0.2)
    value, error = dv.f_divergence(p, q, _chi2_f, return_error=True)
    exact = 0.09 / 0.2 / (1 - 0.49 / 0.8) - 1  # sum p^2 / q - 1, a geometric series
    assert abs(value - exact) <= 10 * error + 4e-16 and error < 1e-12
    value = dv.f_divergence(dv.Poisson(3.0), dv.Poisson(5.0), _kl_f)
    assert value == pytest.approx(3 * math.log(3 / 5) + 2, rel=1e-12)
    p = dv.MultivariateNormal([0.0, 0.0], [[1.0, 0.3], [0.3, 2.0]])
    q = dv.MultivariateNormal([1.0, -0.5], [[1.5, 0.0], [0.0, 1.0]])
    exact = dv.hellinger(p, q) ** 2
    runs = [dv.f_divergence(p, q, lambda t: (np.sqrt(t) - 1) ** 2 / 2, n_samples=2000, random_state=s,
                            return_error=True) for s in range(30)]
    values, errors = np.array([v for v, _ in runs]), np.array([e for _, e in runs])
    assert 0.6 < np.std(values, ddof=1) / np.mean(errors) < 1.5
    assert np.mean(np.abs(values - exact) <= 3 * errors) > 0.9


def test_f_divergence_batches_and_accepts_scipy():
    values = dv.f_divergence(dv.Normal(np.zeros((2, 1)), 1.0), dv.Normal([0.0, 1.5], 1.0), _chi2_f)
    assert values.shape == (2, 2)
    np.testing.assert_allclose(values, np.expm1(np.array([[0.0, 2.25]] * 2)), rtol=1e-11, atol=1e-15)
    assert dv.f_divergence(st.norm(0, 1), st.norm(1, 1), _chi2_f) == pytest.approx(math.e - 1, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda p, q: dv.f_divergence(p, q, lambda t: t), dv.InvalidInputError, ["f(1) = 0"]),
        (lambda p, q: dv.f_divergence(p, q, "chi2"), dv.InvalidInputError, ["f must be a callable"]),
        (lambda p, q: dv.f_divergence(p, q, _chi2_f, axis=None), dv.InvalidInputError, ["axis"]),
        (lambda p, q: dv.f_divergence(p, q, _chi2_f, normalize=True), dv.InvalidInputError, ["normalize"]),
        (lambda p, q: dv.f_divergence(p, [0.5, 0.5], _chi2_f), dv.InvalidInputError, ["q is a list"]),
        (lambda p, q: dv.f_divergence([0.5, 0.5], [0.5, 0.5], _chi2_f, method="quadrature"), dv.InvalidInputError,
         ["distribution objects"]),
        (lambda p, q: dv.f_divergence(p, q, _chi2_f, n_samples=0), dv.InvalidInputError, ["n_samples"]),
        (lambda p, q: dv.f_divergence(p, q, _chi2_f, method="closed_form"), dv.NotRegisteredError,
         ["general f", "dv.chi2"]),
    ],
)
def test_f_divergence_option_errors(call, error, words):
    with pytest.raises(error) as info:
        call(dv.Normal(0.0, 1.0), dv.Normal(1.0, 2.0))
    for word in words:
        assert word in str(info.value)


def test_f_divergence_of_arrays_accepts_return_error():
    value, error = dv.f_divergence([0.5, 0.5], [0.25, 0.75], _chi2_f, return_error=True)
    assert value == pytest.approx(1 / 3, rel=1e-14) and error == 0.0


def test_float64_parameters_take_the_direct_path_with_the_general_attributes() -> None:
    """Parameters that are all float64 NumPy arrays or Python floats skip the general path's
    conversions (``Distribution.__post_init__``) and come out as it makes them: 0-d float64
    arrays for Python floats (neutral laws), the arrays themselves (not copied), the NumPy
    namespace, the broadcast batch shape, and the same errors."""
    from divergences._array_api import NUMPY

    loc, scale = np.zeros((2, 3)), np.ones(3)
    law = dv.Normal(loc, scale)
    assert law.loc is loc and law.scale is scale and law.xp is NUMPY
    assert law.batch_shape == (2, 3) and not law.neutral and law._check_dtype == np.float64
    numbers = dv.Normal(0.5, 2.0)
    assert type(numbers.loc) is np.ndarray and numbers.loc.dtype == np.float64 and numbers.loc.shape == ()
    assert numbers.neutral and numbers.batch_shape == ()
    general = dv.Normal(np.float64(0.5), [2.0])  # NumPy scalars and lists: the general path
    assert general.batch_shape == (1,) and general.xp is NUMPY
    with pytest.raises(dv.InvalidInputError, match="Normal scale must be positive and finite"):
        dv.Normal(0.0, -1.0)
    with pytest.raises(dv.InvalidInputError, match="do not broadcast"):
        dv.Normal(np.zeros(2), np.ones(3))
    with pytest.raises(dv.InvalidInputError, match="needs at least 1 dimension"):
        dv.MultivariateNormal(0.0, np.eye(2))
    with pytest.raises(dv.InvalidInputError, match="must be finite"):
        dv.Normal(float("nan"), 1.0)
