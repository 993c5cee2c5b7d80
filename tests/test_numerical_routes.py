"""Numerical routes on densities that are unbounded at an end of their support or have heavy
tails, and measures given by the caller.

A density like ``x^(a-1)`` near 0 (Gamma, Chi2, Weibull with a small shape; Beta at either end)
puts much of its tail decades below the first quantile cut, and a Beta(a, b < 1) puts mass within
``1e-16`` of 1 that ``x`` cannot even address; a Pareto(alpha = 0.3) tail spans ten decades of
``x`` for every three of mass. The references are the closed forms, SciPy's
entropies and mpmath integrals written here (50 digits, in log distance to each end, so that they
reach where double precision cannot); the reported error must cover the true error (within a
factor 10) and both must be small.
"""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st
from scipy import special

import divergences as dv
from divergences import _integrands
from divergences._options import parse
from divergences.distributions import _numerical
from divergences.distributions._dispatch import divergence

EPS = float(np.finfo(float).eps)


def _assert_honest_and_small(value, error, reference, rel=1e-9):
    true_error = abs(float(value) - float(reference))
    # 4 eps |reference|: the rounding of the reference itself.
    assert true_error <= 10 * error + 4 * EPS * abs(reference), (float(value), float(reference), float(error))
    assert error < rel * max(1.0, abs(reference)), (float(value), float(reference), float(error))


# --------------------------------------------------------------------------------------
# Against the closed forms
# --------------------------------------------------------------------------------------

SINGULAR = [
    # (measure, p, q, params); q None for entropy. Lower end 0:
    ("entropy", dv.Gamma(0.3, 2.0), None, {}),  # was off by 5.6e-9 while reporting 1.0e-13
    ("kl", dv.Gamma(0.3, 2.0), dv.Gamma(0.4, 2.0), {}),  # was off by 7.8e-10 while reporting 1.3e-14
    ("entropy", dv.Gamma(0.1, 1.0), None, {}),  # half the mass below 1e-3, a tenth below 1e-10
    ("cross_entropy", dv.Gamma(0.15, 0.5), dv.Gamma(2.5, 1.5), {}),
    ("entropy", dv.Chi2(0.6), None, {}),
    ("kl", dv.Chi2(0.6), dv.Gamma(0.3, 2.0), {}),
    ("entropy", dv.Weibull(0.3, 2.0), None, {}),
    ("kl", dv.Weibull(0.3, 2.0), dv.Weibull(0.5, 1.0), {}),
    ("bhattacharyya", dv.Gamma(0.15, 0.5), dv.Gamma(0.3, 2.0), {}),
    ("hellinger", dv.Gamma(0.3, 2.0), dv.Gamma(0.15, 0.5), {}),
    ("psi", dv.Chi2(0.6), dv.Gamma(0.3, 2.0), {}),
    ("renyi", dv.Gamma(0.15, 0.5), dv.Gamma(0.3, 2.0), {"alpha": 0.7}),
    # Upper end 1 (and both ends) of a Beta:
    ("entropy", dv.Beta(2.0, 0.2), None, {}),  # 6e-4 of the mass within 1e-16 of 1
    ("entropy", dv.Beta(0.3, 0.4), None, {}),
    ("kl", dv.Beta(2.0, 0.2), dv.Beta(0.5, 0.5), {}),
    ("kl", dv.Beta(0.3, 0.4), dv.Beta(2.0, 0.2), {}),
    ("cross_entropy", dv.Beta(2.0, 0.2), dv.Beta(2.0, 3.0), {}),
    ("hellinger", dv.Beta(0.3, 0.4), dv.Beta(2.0, 0.2), {}),  # union of two singular densities
    ("psi", dv.Beta(2.0, 0.2), dv.Beta(0.5, 0.5), {}),
    ("renyi", dv.Beta(2.0, 0.2), dv.Beta(0.3, 0.4), {"alpha": 0.7}),
    ("chi2", dv.Beta(0.5, 0.5), dv.Beta(0.3, 0.4), {}),  # p^2/q ~ x^-0.3 at 0: finite
    ("kl", dv.Beta(2.0, 0.2), dv.Uniform(0.0, 1.0), {}),
    ("kl", dv.Beta(2.0, 0.2), dv.ContinuousBernoulli(0.3), {}),
]


@pytest.mark.parametrize(("name", "p", "q", "params"), SINGULAR,
                         ids=[f"{n}-{type(p).__name__}-{i}" for i, (n, p, _, _) in enumerate(SINGULAR)])
def test_singular_densities_against_closed_forms(name, p, q, params):
    reference = divergence(parse(name, method="closed_form", **params), p, q)
    value, error = divergence(parse(name, method="quadrature", return_error=True, **params), p, q)
    _assert_honest_and_small(value, error, reference)


def test_singular_ends_of_scipy_distributions_off_zero():
    # A shifted Gamma is unbounded at 1, a scaled and shifted Beta(2, 0.2) at 2: both read from
    # the end itself (the loc taken out, the Beta through its mirror image Beta(0.2, 2)).
    for frozen in (st.gamma(0.3, loc=1.0, scale=0.5), st.beta(2.0, 0.2, loc=-1.0, scale=3.0)):
        value, error = dv.entropy(frozen, return_error=True)
        _assert_honest_and_small(value, error, float(frozen.entropy()))
    value, error = dv.kl(st.gamma(0.3, loc=1.0, scale=0.5), st.gamma(0.4, loc=1.0, scale=0.5), return_error=True)
    _assert_honest_and_small(value, error, dv.kl(dv.Gamma(0.3, 2.0), dv.Gamma(0.4, 2.0)))


def test_mass_below_the_smallest_double_is_counted_in_the_error():
    # Gamma(0.02): about 5e-4 of the entropy comes from below 2.2e-308, where no double lies;
    # the answer cannot be small, but its error says so.
    p = dv.Gamma(0.02, 1.0)
    value, error = dv.entropy(p, method="quadrature", return_error=True)
    true_error = abs(value - dv.entropy(p))
    assert true_error <= 10 * error and 1e-5 < error < 1e-2


@pytest.mark.parametrize(
    ("p", "q"),
    [
        (dv.Beta(1.0, 0.5), dv.Beta(1.0, 2.0)),  # p^2/q ~ (1-x)^-2 at 1
        (dv.Gamma(0.3, 1.0), dv.Gamma(0.8, 1.0)),  # p^2/q ~ x^-1.2 at 0
    ],
)
def test_divergence_at_a_finite_end_is_infinite(p, q):
    assert dv.chi2(p, q) == math.inf
    assert dv.chi2(p, q, method="quadrature") == math.inf
    value, error = dv.chi2(q, p, method="quadrature", return_error=True)  # the other way is finite
    _assert_honest_and_small(value, error, dv.chi2(q, p))


@pytest.mark.parametrize(
    ("d", "frozen"),
    [(dv.Pareto(1.0, 0.3), st.pareto(0.3)), (dv.Pareto(2.0, 0.5), st.pareto(0.5, scale=2.0)),
     (dv.StudentT(0.5), st.t(0.5)), (dv.StudentT(0.2, 3.0, 0.5), st.t(0.2, 3.0, 0.5))],
)
def test_heavy_tails_spanning_decades(d, frozen):
    # Before: Pareto(0.5) off by 5e-6 reporting 3e-10, StudentT(0.2) off by 0.09 reporting 1e-11.
    value, error = dv.entropy(d, method="quadrature", return_error=True)
    _assert_honest_and_small(value, error, float(frozen.entropy()))


def test_kl_of_heavy_pareto_tails():
    p, q = dv.Pareto(1.0, 0.3), dv.Pareto(1.0, 0.5)
    value, error = dv.kl(p, q, method="quadrature", return_error=True)
    _assert_honest_and_small(value, error, dv.kl(p, q))


# --------------------------------------------------------------------------------------
# Against mpmath (no closed form)
# --------------------------------------------------------------------------------------


def test_bhattacharyya_of_two_heavy_tails_against_mpmath():
    # StudentT(0.5) against Cauchy: was off by 1.1e-10 while reporting 4e-14.
    nu = mp.mpf(0.5)

    def root(x):  # sqrt(p q), both symmetric about 0
        log_t = mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2) - mp.log(nu * mp.pi) / 2 - (nu + 1) / 2 * mp.log1p(
            x * x / nu)
        return mp.exp((log_t - mp.log(mp.pi) - mp.log1p(x * x)) / 2)

    with mp.workdps(30):
        half = mp.quad(root, [0, 1]) + mp.quad(lambda u: root(mp.exp(u)) * mp.exp(u), [0, 10, 50, 200, 800, mp.inf])
        reference = float(-mp.log(2 * half))
    value, error = dv.bhattacharyya(dv.StudentT(0.5), dv.Cauchy(0.0, 1.0), method="quadrature", return_error=True)
    _assert_honest_and_small(value, error, reference)


def _gamma_log(shape, rate):
    shape, rate = mp.mpf(shape), mp.mpf(rate)
    return lambda x: shape * mp.log(rate) + (shape - 1) * mp.log(x) - rate * x - mp.loggamma(shape)


def _beta_log(a, b):
    """Log densities at ``x`` and at ``1 - y``, each exact for tiny arguments."""
    a, b = mp.mpf(a), mp.mpf(b)
    norm = mp.log(mp.beta(a, b))
    return (lambda x: (a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - norm,
            lambda y: (a - 1) * mp.log1p(-y) + (b - 1) * mp.log(y) - norm)


def _in_log(f, top):
    """integral of f(y) dy over (0, top], as the integral of f(e^t) e^t over t."""
    return mp.quad(lambda t: f(mp.exp(t)) * mp.exp(t), [-mp.inf, -300, -60, -10, mp.log(top)])


def _js_terms(lp, lq):
    lm = mp.log((mp.exp(lp) + mp.exp(lq)) / 2)
    return (mp.exp(lp) * (lp - lm) + mp.exp(lq) * (lq - lm)) / 2


def test_js_of_gamma_and_beta_against_mpmath():
    # Both unbounded at 0, the Beta also at 1, where the Gamma goes on alone: JS there is
    # p log 2 / 2 (q = 0).
    with mp.workdps(50):
        gamma = _gamma_log(0.3, 2.0)
        beta_at_x, beta_at_1_minus = _beta_log(2.0, 0.2)
        inside = _in_log(lambda x: _js_terms(gamma(x), beta_at_x(x)), 0.5) + _in_log(
            lambda y: _js_terms(gamma(1 - y), beta_at_1_minus(y)), 0.5)
        beyond = mp.log(2) / 2 * mp.gammainc(mp.mpf(0.3), 2, mp.inf, regularized=True)
        reference = float(inside + beyond)
    value, error = dv.js(dv.Gamma(0.3, 2.0), dv.Beta(2.0, 0.2), return_error=True)
    _assert_honest_and_small(value, error, reference)


def test_kl_of_weibull_and_beta_against_mpmath():
    # KL(Beta(0.3, 0.4) || Weibull(0.4, 0.5)): both unbounded at 0, the Beta also at 1.
    k, s = mp.mpf(0.4), mp.mpf(0.5)

    def weibull(x):
        return mp.log(k / s) + (k - 1) * mp.log(x / s) - (x / s) ** k

    with mp.workdps(50):
        at_x, at_1_minus = _beta_log(0.3, 0.4)
        reference = float(_in_log(lambda x: mp.exp(at_x(x)) * (at_x(x) - weibull(x)), 0.5)
                          + _in_log(lambda y: mp.exp(at_1_minus(y)) * (at_1_minus(y) - weibull(1 - y)), 0.5))
    value, error = dv.kl(dv.Beta(0.3, 0.4), dv.Weibull(0.4, 0.5), return_error=True)
    _assert_honest_and_small(value, error, reference)


# --------------------------------------------------------------------------------------
# A measure given by the caller
# --------------------------------------------------------------------------------------


def _overlap() -> _numerical.Measure:
    """The integral of p q (the expected likelihood kernel), written as the measure table does."""
    return _numerical.Measure(
        pointwise=lambda lp, lq: np.exp(lp + lq),
        finish=lambda total, error: (total, error),
        monte_carlo=lambda lp_x, lq_x, *_: (float(np.mean(np.exp(lq_x))),
                                            float(np.std(np.exp(lq_x), ddof=1) / math.sqrt(lq_x.size))),
    )


def test_numerical_takes_a_measure_of_the_caller_on_every_route():
    # integral N(x; m1, s1) N(x; m2, s2) dx = N(m1 - m2; 0, s1^2 + s2^2), per batch element.
    locs = np.array([0.0, 0.5, 3.0])
    values, errors = _numerical.numerical(_overlap(), dv.Normal(locs, 1.0), dv.Normal(1.0, 2.0), method="quadrature")
    exact = st.norm(0.0, math.sqrt(5.0)).pdf(locs - 1.0)
    assert values.shape == errors.shape == (3,)
    assert np.all(np.abs(values - exact) <= 10 * errors + 4 * EPS * exact) and np.all(errors < 1e-12)
    # Summation: sum over k of Poisson(2) Poisson(3) = exp(-5) I0(2 sqrt 6).
    value, error = _numerical.numerical(_overlap(), dv.Poisson(2.0), dv.Poisson(3.0))
    exact = math.exp(-5.0) * float(special.i0(2 * math.sqrt(6.0)))
    assert abs(value - exact) <= 10 * error + 4 * EPS * exact and error < 1e-12
    # Monte Carlo for a bivariate pair: the same Gaussian identity in two dimensions.
    cov = np.array([[1.0, 0.3], [0.3, 2.0]])
    p, q = dv.MultivariateNormal([0.0, 0.0], cov), dv.MultivariateNormal([1.0, -0.5], np.eye(2))
    value, error = _numerical.numerical(_overlap(), p, q, n_samples=20_000, random_state=1)
    exact = st.multivariate_normal([0.0, 0.0], cov + np.eye(2)).pdf([1.0, -0.5])
    assert abs(value - exact) < 4 * error and error < 0.02 * exact


def test_f_measure_is_the_f_divergence_route():
    p, q = dv.Gamma(0.3, 2.0), dv.Gamma(0.4, 2.0)
    measure = _integrands.f_divergence(lambda t: t * np.log(t), 0.0, math.inf)
    value, error = _numerical.numerical(measure, p, q)
    assert (value, error) == dv.f_divergence(p, q, lambda t: t * np.log(t), return_error=True)
    _assert_honest_and_small(value, error, dv.kl(p, q))


# --------------------------------------------------------------------------------------
# Mass beyond what doubles resolve: the bounded measures from the laws' masses there
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [1e-100, 1e-10, 1e-3])
def test_total_variation_and_js_of_laws_whose_mass_lies_beyond_the_doubles(shape):
    # Beta(s, 1) holds 1e-300^s of its mass below 1e-300, all of it where s is tiny: the
    # quadrature cannot read it, and the integrand decays (or not at all) only as x^s. The
    # pieces' ends take the integral beyond them from the two laws' masses there (between the
    # measure of the two masses and its bound by them): TV was inf at 1e-100, 7e-8 +- 1 at
    # 1e-10. Beta(s, 1) and Beta(1, s) cross at 1/2 by symmetry: TV = 2^(1 - s) - 1.
    p, q = dv.Beta(shape, 1.0), dv.Beta(1.0, shape)
    tv, tv_error = dv.total_variation(p, q, return_error=True)
    assert tv == pytest.approx(1.0 + 2.0 * math.expm1(-shape * math.log(2.0)), rel=1e-12)
    assert tv_error < 1e-12
    js, js_error = dv.js(p, q, return_error=True)
    assert js <= math.log(2.0) and js_error < 1e-10
    with mp.workdps(40):
        s, tail = mp.mpf(shape), mp.mpf(10) ** -300

        def integrand(u):  # JS's integrand at x = e^u, times x (both halves alike)
            x = mp.exp(u)
            a, b = s * x ** (s - 1), s * (1 - x) ** (s - 1)
            m = (a + b) / 2
            return x * (a * mp.log(a / m) + b * mp.log(b / m)) / 2

        # below 1e-300 the integrand is p log 2 less terms of order q: the mass of p there
        body = mp.quad(integrand, mp.linspace(mp.log(tail), mp.log(mp.mpf(1) / 2), 40))
        exact = 2 * body + tail**s * mp.log(2)
    assert js == pytest.approx(float(exact), rel=1e-10)


def test_a_bounded_measure_is_never_beyond_its_bound():
    # a summed JS of Poisson laws far apart rounded to log 2 + 1.6e-11
    value = dv.js(dv.Poisson(0.22190658320383091), dv.Poisson(125456.85921970158))
    assert value <= math.log(2.0)
    assert value == pytest.approx(math.log(2.0), rel=1e-12)


def test_an_unresolved_numerical_value_warns_unless_its_error_is_asked_for():
    # both laws hold their mass below 1e-308 at scales doubles cannot tell apart: the bounds
    # by the masses are all the quadrature has, 0.5 +- 0.5
    p, q = dv.Beta(2.3e-244, 2.3e277), dv.Beta(1e-293, 3.6e-266)
    with pytest.warns(UserWarning, match=r"total_variation = 0\.5 by the numerical route, whose error estimate is 0\.5"):
        value = dv.total_variation(p, q)
    assert 0.0 <= value <= 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, error = dv.total_variation(p, q, return_error=True)
        assert value - error <= 1e-12 and value + error >= 1.0 - 1e-12
        dv.total_variation(dv.Beta(0.5, 0.5), dv.Beta(2.0, 3.0))  # resolved: no warning
        # a sample's standard error is not a failure to resolve: Monte Carlo does not warn
        dv.kl(dv.MultivariateNormal(np.zeros(2), np.eye(2)), dv.MultivariateNormal(np.ones(2), 2 * np.eye(2)),
              method="monte_carlo", n_samples=20, random_state=0)
    with pytest.warns(UserWarning, match=r"^js = "):
        dv.js_distance(p, q)


def test_laws_whose_quantiles_all_round_to_the_support_end():
    # Gamma(2.6e-172, .) holds all its mass below 1e-308: every quantile is 0, and the pieces
    # at that end had no width (a math domain error), or were counted twice (TV 1 +- 1)
    p, q = dv.Gamma(2.6180352512676157e-172, 6192107409.822831), dv.Gamma(2.618035253885651e-172, 24768429639.291325)
    for measure, bound in (("total_variation", 1.0), ("js", math.log(2.0))):
        value, error = getattr(dv, measure)(p, q, return_error=True)
        assert value - error <= 1e-12 and value + error >= -1e-12 and 0.0 <= value <= bound


def test_the_js_error_estimate_of_laws_far_apart():
    # each half of JS's integrand moves by a |log(a / b)| per unit of error in the log ratio,
    # 0 where a underflows; |a - b| counted b times a log ratio of 1e164: an error of 9e148
    value, error = dv.js(dv.Gamma(6.806313294617987, 1.1091571066536638e119),
                         dv.Gamma(1.5732747365811355, 1.6643196468359227e-45), return_error=True)
    assert value == pytest.approx(math.log(2.0), rel=1e-14)
    assert error < 1e-12


@pytest.mark.parametrize(("p", "q"), [((0.0, 300.0), (1.0, 200.0)), ((0.0009209040630917171, 1.5412863613536915e161),
                                                                    (-648.7464645478393, 7.177484965447514e40))])
@pytest.mark.parametrize("measure", ["js", "kl", "chi2"])
def test_lognormal_pairs_are_integrated_as_the_normal_laws_of_their_logarithms(p, q, measure):
    # an f-divergence does not move under x -> log x; x itself spans exp(+-40 scale), beyond
    # the doubles (JS 0.17 +- 0.17 at scale 1.5e161)
    got, error = getattr(dv, measure)(dv.LogNormal(*p), dv.LogNormal(*q), method="numerical", return_error=True)
    want, want_error = getattr(dv, measure)(dv.Normal(*p), dv.Normal(*q), method="numerical", return_error=True)
    assert got == want and error == want_error
    if measure == "js":
        assert error < 1e-12 * got
    # and the cross-entropy, which moves, is not mapped (its quadrature reads x)
    assert _numerical._log_images(_integrands.cross_entropy(), dv.LogNormal(*p), dv.LogNormal(*q))[0].__class__ is dv.LogNormal


@pytest.mark.parametrize("frozen", [st.beta(0.4, 3.0), st.norm(1.0, 2.0), st.laplace(-1.0, 0.5),
                                    st.weibull_min(1.7, loc=0.2, scale=3.0), st.pareto(2.5), st.vonmises(3.0, loc=0.5),
                                    st.lognorm(s=1.2, scale=2.0), st.t(3.0, -1.0, 0.5), st.t(1e12), st.t(0.3, 2.0, 7.0),
                                    st.cauchy(1e5, 1e-3), st.cauchy(-2.0, 7.0)])
def test_the_quadratures_logpdf_is_scipys(frozen):
    # SciPy's steps without their checks inside the support (120 us a call spent on them),
    # SciPy's own call outside: the same doubles everywhere (t and Cauchy: SciPy's expressions
    # without the branch of its array-API code, 50-85 us a call)
    from divergences.distributions._law_readers import fast_logpdf

    fast = fast_logpdf(frozen)
    assert fast is not frozen.logpdf
    lo, hi = frozen.support()
    inside = frozen.ppf(np.linspace(0.0, 1.0, 41))
    points = [*inside, -1e300, -3.0, 0.0, 1.0, 5.0, 1e300, lo, hi]
    for x in points:
        if math.isfinite(x):
            want, got = float(frozen.logpdf(x)), float(fast(x))
            assert want == got or (math.isnan(want) and math.isnan(got)), (x, want, got)


@pytest.mark.parametrize(("frozen", "log_density"), [
    (st.gamma(2.5, scale=0.3), lambda x: 2.5 * mp.log(1 / mp.mpf(0.3)) - mp.loggamma(2.5) + 1.5 * mp.log(x) - x / mp.mpf(0.3)),
    (st.gamma(0.4), lambda x: -mp.loggamma(0.4) - 0.6 * mp.log(x) - x),
    (st.gamma(1e12, scale=2.0), lambda x: -1e12 * mp.log(2) - mp.loggamma(mp.mpf(1e12)) + (1e12 - 1) * mp.log(x) - x / 2),
    (st.invgamma(1e10, scale=3.0), lambda x: 1e10 * mp.log(3) - mp.loggamma(mp.mpf(1e10)) - (1e10 + 1) * mp.log(x) - 3 / x),
    (st.chi2(2e14), lambda x: -1e14 * mp.log(2) - mp.loggamma(mp.mpf(1e14)) + (1e14 - 1) * mp.log(x) - x / 2),
    (st.chi2(3.0), lambda x: -1.5 * mp.log(2) - mp.loggamma(1.5) + 0.5 * mp.log(x) - x / 2),
    (st.beta(1e4, 2e4), lambda x: (1e4 - 1) * mp.log(x) + (2e4 - 1) * mp.log1p(-x) - mp.log(mp.beta(1e4, 2e4))),
    (st.beta(1e12, 3e12), lambda x: (1e12 - 1) * mp.log(x) + (3e12 - 1) * mp.log1p(-x)
     - mp.log(mp.beta(mp.mpf(1e12), mp.mpf(3e12)))),
    (st.beta(2.5, 3.5), lambda x: 1.5 * mp.log(x) + 2.5 * mp.log1p(-x) - mp.log(mp.beta(2.5, 3.5))),
    (st.beta(0.5, 40.0), lambda x: -0.5 * mp.log(x) + 39 * mp.log1p(-x) - mp.log(mp.beta(0.5, 40))),
])
def test_the_quadratures_gamma_and_beta_densities_are_accurate_at_any_shape(frozen, log_density):
    # SciPy's (a - 1) log x - x - lgamma(a) costs ulps of a log a (0 at the mean of a Gamma
    # law of shape 1e16, for -19.3; a Beta law's 0.014 at shapes 1e12): Loader's form
    # instead, against mpmath, and SciPy's within its own rounding where the shapes are small
    from divergences.distributions._law_readers import fast_logpdf

    fast = fast_logpdf(frozen)
    for x in frozen.ppf([1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-6]):
        with mp.workdps(40):
            want = log_density(mp.mpf(float(x)))
            # the density's own condition: x / scale rounded moves it by x d/dx log f ulps
            condition = float(abs(mp.mpf(float(x)) * mp.diff(log_density, mp.mpf(float(x)))))
        assert abs(float(fast(x)) - float(want)) <= 4e-15 * (1 + abs(float(want))) + 2 * EPS * condition
        if max(frozen.args) < 1e3:  # (a small shape: SciPy's own form is accurate)
            assert float(fast(x)) == pytest.approx(float(frozen.logpdf(x)), rel=1e-14, abs=1e-14)


def test_beta_total_variation_of_large_shapes_numerically():
    # SciPy's Beta density at shapes 1e4 had left the numerical TV 5e-11 off, its error 9e-15
    p, q = dv.Beta(1e4, 2e4), dv.Beta(1.01e4, 2e4)
    value, error = dv.total_variation(p, q, method="numerical", return_error=True)
    _assert_honest_and_small(value, error, dv.total_variation(p, q), rel=1e-13)


def test_js_of_gamma_laws_of_large_shapes():
    # the numerical route on those densities: JS of two laws a standard deviation apart tends
    # to that of N(0, 1) and N(1, 1) (0.1114...); SciPy's densities gave 0.096 +- 0.004 at 1e14
    values = [dv.js(dv.Gamma(a, 1.0), dv.Gamma(a + math.sqrt(a), 1.0), return_error=True) for a in (1e8, 1e12, 1e14)]
    assert all(error < 1e-12 for _, error in values)
    normal = float(dv.js(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)))
    assert [float(v) for v, _ in values] == pytest.approx([normal] * 3, rel=1e-4)
    assert abs(float(values[2][0]) - normal) < abs(float(values[0][0]) - normal)  # (the skewness fades as 1 / sqrt(a))


def test_the_quadratures_logpdf_falls_back_to_the_objects_own():
    from divergences.distributions._law_readers import fast_logpdf

    class Shaped:  # a density object that is not a SciPy frozen distribution
        def logpdf(self, x):
            return -x * x

    thing = Shaped()
    assert fast_logpdf(thing) == thing.logpdf


def test_a_law_narrower_than_doubles_resolve_against_one_far_from_it():
    # Gamma(4e85, 2e82) lies within 3e-40 of 2188, inside one double: the quadrature took 84 s
    # for TV 1 +- 1; the masses on that double's cell and off it settle it
    p, q = dv.Gamma(4.1318676247887323e85, 1.8886100224541497e82), dv.Gamma(7.772446706703427e16, 0.017822010970755652)
    tv, tv_error = dv.total_variation(p, q, return_error=True)
    js, js_error = dv.js(p, q, return_error=True)
    assert tv == 1.0 and tv_error < 1e-14
    assert js == pytest.approx(math.log(2.0), rel=1e-15) and js_error < 1e-14


def test_the_quadratures_logpdf_is_built_once_per_law(monkeypatch):
    # each piece asks for its laws' readers and views from an end (some 130 times a quadrature),
    # a reader checked at the quartiles for some 1 ms, a view a SciPy distribution made afresh
    # for another: they are built once per law, a view from an end its own law
    from divergences.distributions import _law_readers

    built: list[object] = []
    views: list[object] = []
    original, original_view = _law_readers._build_fast_logpdf, _law_readers._build_seen_from_end
    monkeypatch.setattr(_law_readers, "_LAWS", {})
    monkeypatch.setattr(_law_readers, "_build_fast_logpdf", lambda frozen: built.append(frozen) or original(frozen))
    monkeypatch.setattr(_law_readers, "_build_seen_from_end",
                        lambda frozen, upper: views.append(frozen) or original_view(frozen, upper))
    value = dv.js(dv.Beta(2.25, 3.0), dv.Beta(2.75, 3.0))
    assert 1 <= len(built) <= 4  # the two laws, and each as seen from its upper end
    assert 1 <= len(views) <= 4  # each law from each end
    monkeypatch.setattr(_law_readers, "_LAWS", {})
    monkeypatch.setattr(_law_readers, "_build_fast_logpdf", original)
    monkeypatch.setattr(_law_readers, "_build_seen_from_end", original_view)
    assert dv.js(dv.Beta(2.25, 3.0), dv.Beta(2.75, 3.0)) == value  # (built afresh: the same doubles)


def test_the_total_variations_quadrature_is_cut_at_the_crossings():
    # |p - q| has a kink where the densities cross; near a bisection point it escaped
    # Gauss-Kronrod's error estimate (quad's too): the TV of Gamma(1e6) and Gamma(1e6 + 1e3)
    # came out 1.2e-8 off with an error of 1e-14
    from divergences.distributions import _quadrature

    p, q = st.norm(0.0, 1.0), st.norm(1.0, 2.0)
    # -x^2 / 2 + (x - 1)^2 / 8 + log 2 = 0: 3 x^2 + 2 x - 1 - 8 log 2 = 0
    roots = [(-2.0 + s * math.sqrt(4.0 + 12.0 * (1.0 + 8.0 * math.log(2.0)))) / 6.0 for s in (-1.0, 1.0)]
    points = _quadrature._with_crossings(p, q, [-math.inf, -3.0, 0.0, 3.0, math.inf], set())
    assert [x for x in points if x not in (-math.inf, -3.0, 0.0, 3.0, math.inf)] == pytest.approx(roots, rel=1e-15)
    for a in (1e6, 1e7):
        value, error = dv.total_variation(dv.Gamma(a, 1.0), dv.Gamma(a + math.sqrt(a), 1.0), method="numerical",
                                          return_error=True)
        _assert_honest_and_small(value, error, dv.total_variation(dv.Gamma(a, 1.0), dv.Gamma(a + math.sqrt(a), 1.0)),
                                 rel=1e-13)


@pytest.mark.parametrize("error", [-3.4e45, math.nan])
def test_an_error_estimate_that_says_nothing_is_reported_as_such(monkeypatch, error):
    # a quadrature of densities read wrong (SciPy's Gamma at shape 1e16) had summed to an error
    # of -3.4e45: an estimate below 0 or NaN is unknown, the measure's bound where it has one
    monkeypatch.setattr(_numerical, "quadrature", lambda measure, p, q: (0.3, error))
    p, q = dv.Laplace(0.0, 1.0), dv.Laplace(1.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert dv.total_variation(p, q, method="numerical", return_error=True)[1] == 1.0
        assert dv.kl(p, q, method="numerical", return_error=True)[1] == math.inf


def test_a_users_f_divergence_is_cut_at_the_crossings_too():
    # f(t) = |t - 1| / 2 is the total variation: its kink at t = 1 is where the densities cross,
    # and a user's f may have one there (1.2e-8 off with an error of 1e-14 uncut, as the TV)
    p, q = dv.Gamma(1e6, 1.0), dv.Gamma(1e6 + 1e3, 1.0)
    value, error = dv.f_divergence(p, q, lambda t: np.abs(t - 1.0) / 2.0, return_error=True)
    _assert_honest_and_small(value, error, dv.total_variation(p, q), rel=1e-13)
