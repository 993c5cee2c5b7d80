"""Total variation of Poisson, Binomial and Geometric laws (``_crossing``) against mpmath.

The references are independent of the forms' own route: the direct sum of ``|p_k - q_k| / 2``
in mpmath at 40 digits where the support is short, and elsewhere the crossing's difference of
distribution functions as mpmath's quadrature of the integrand in the parameter, with
breakpoints a standard deviation apart (the pmf sums and this agree where both run).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import divergences as dv


@pytest.fixture(autouse=True)
def _forty_digits():
    """The references at 40 digits, for this module's tests only (not the process's)."""
    with mp.workdps(40):
        yield


def _peak_points(lo: mp.mpf, hi: mp.mpf, centre: mp.mpf, sd: mp.mpf) -> list:
    """Quadrature breakpoints on ``[lo, hi]``, a standard deviation apart within 60 of them
    from an integrand's peak at ``centre`` (beyond: below 1e-26 of it)."""
    inside = (centre + j * sd for j in range(-59, 60) if lo < centre + j * sd < hi)
    return [max(lo, centre - 60 * sd), *inside, min(hi, centre + 60 * sd)]


def _poisson_reference(a: float, b: float) -> float:
    lo, hi = mp.mpf(min(a, b)), mp.mpf(max(a, b))
    if lo == hi:
        return 0.0
    if hi < 500:
        top = int(hi + 60 * mp.sqrt(hi) + 100)
        terms = (abs(mp.exp(-lo + j * mp.log(lo) - mp.loggamma(j + 1)) - mp.exp(-hi + j * mp.log(hi) - mp.loggamma(j + 1)))
                 for j in range(top))
        return float(mp.fsum(terms) / 2)
    k = int(mp.floor((hi - lo) / mp.log(hi / lo)))
    sd = mp.sqrt(k + 1)
    points = _peak_points(lo, hi, k, sd)
    return float(mp.quad(lambda t: mp.exp(-t + k * mp.log(t) - mp.loggamma(k + 1)), points))


def _binomial_reference(n: int, a: float, b: float) -> float:
    lo, hi = mp.mpf(min(a, b)), mp.mpf(max(a, b))
    if lo == hi:
        return 0.0
    if n <= 300:
        return float(mp.fsum(abs(mp.binomial(n, j) * (lo**j * (1 - lo) ** (n - j) - hi**j * (1 - hi) ** (n - j)))
                             for j in range(n + 1)) / 2)
    k = int(mp.floor(n * mp.log((1 - lo) / (1 - hi)) / (mp.log(hi / lo) + mp.log((1 - lo) / (1 - hi)))))
    mean = mp.mpf(k + 1) / (n + 1)
    sd = mp.sqrt(mean * (1 - mean) / (n + 1))
    points = _peak_points(lo, hi, mean, sd)
    log_c = mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k)
    return float(mp.quad(lambda t: mp.exp(log_c + k * mp.log(t) + (n - 1 - k) * mp.log(1 - t)), points))


def _geometric_reference(a: float, b: float) -> float:
    lo, hi = mp.mpf(min(a, b)), mp.mpf(max(a, b))
    if lo == hi:
        return 0.0
    if hi == 1:
        return float(1 - lo)
    k = int(mp.floor(mp.log(hi / lo) / mp.log((1 - lo) / (1 - hi))))
    return float((1 - lo) ** (k + 1) - (1 - hi) ** (k + 1))


POISSON = [
    (3.0, 5.0), (5.0, 3.0), (0.05, 30.0), (1e-3, 1e5), (4.0, 4.0),
    (3.0, 3.0 * (1 + 1e-10)),  # drift: the distribution functions' difference lost 1e-6 of it
    (2.5, 2.5 + 1e-4), (80.0, 80.5),
    (1e6, 1e6 + 1.0), (1e12, 1e12 + 3e5), (1e6, 1.001e6),
    # SciPy's lower incomplete gamma was 28% off here (4.55 sd below the shape 6e7)
    (60054143.34040946, 60124688.60639431),
    (1e7, 1e7 + 5.5 * math.sqrt(1e7)), (1e9, 1.00001e9),
]
BINOMIAL = [
    (10, 0.3, 0.5), (100, 0.3, 0.31), (100, 0.3, 0.3 + 1e-11), (1, 0.2, 0.7), (20, 0.0, 0.4), (20, 0.4, 1.0),
    (20, 0.0, 1.0), (50, 1e-8, 2e-8), (300, 0.999, 0.9991), (10**4, 0.5, 0.5 + 1e-9), (10**6, 0.1, 0.1003),
    (10**6, 1e-5, 3e-5), (10**7, 0.7, 0.69), (5, 0.6, 0.6),
]
GEOMETRIC = [
    (0.3, 0.31), (0.1, 0.3), (1.0, 0.4), (0.4, 1.0), (1e-6, 2e-6), (1e-12, 1e-12 * (1 + 1e-9)),
    (0.5, 0.5 + 1e-13), (1e-300, 0.9), (0.99999, 0.999999), (0.2, 0.2),
]


@pytest.mark.parametrize(("a", "b"), POISSON)
def test_poisson(a: float, b: float) -> None:
    got = float(dv.total_variation(dv.Poisson(a), dv.Poisson(b)))
    assert got == pytest.approx(_poisson_reference(a, b), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize(("n", "a", "b"), BINOMIAL)
def test_binomial(n: int, a: float, b: float) -> None:
    got = float(dv.total_variation(dv.Binomial(n, a), dv.Binomial(n, b)))
    assert got == pytest.approx(_binomial_reference(n, a, b), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize(("a", "b"), GEOMETRIC)
def test_geometric(a: float, b: float) -> None:
    got = float(dv.total_variation(dv.Geometric(a), dv.Geometric(b)))
    assert got == pytest.approx(_geometric_reference(a, b), rel=2e-15, abs=1e-300)


def test_extremes() -> None:
    # 1 - TV is below 1e-300 (the rates' masses do not meet); equal laws are exactly 0.
    assert float(dv.total_variation(dv.Poisson(1e-300), dv.Poisson(1e300))) == 1.0
    assert float(dv.total_variation(dv.Geometric(1e-300), dv.Geometric(1.0))) == 1.0
    assert float(dv.total_variation(dv.Binomial(10**9, 1e-300), dv.Binomial(10**9, 1.0 - 2**-53))) == 1.0
    assert float(dv.total_variation(dv.Poisson(1e300), dv.Poisson(1e300))) == 0.0


def test_batched_equals_unbatched() -> None:
    # The near (integral) and apart (incomplete functions) rows of one batch, each as alone.
    for family, rows in ((dv.Poisson, POISSON), (dv.Geometric, GEOMETRIC)):
        a, b = (np.array(column) for column in zip(*rows, strict=True))
        batch = np.asarray(dv.total_variation(family(a), family(b)))
        alone = [float(dv.total_variation(family(x), family(y))) for x, y in rows]
        np.testing.assert_allclose(batch, alone, rtol=1e-15, atol=0)
    n, a, b = (np.array(column, dtype=float) for column in zip(*BINOMIAL, strict=True))
    batch = np.asarray(dv.total_variation(dv.Binomial(n, a), dv.Binomial(n, b)))
    alone = [float(dv.total_variation(dv.Binomial(*row[:2]), dv.Binomial(row[0], row[2]))) for row in BINOMIAL]
    np.testing.assert_allclose(batch, alone, rtol=1e-15, atol=0)


def test_symmetric_and_bounded() -> None:
    rng = np.random.default_rng(7)
    a, b = np.exp(rng.uniform(-5, 10, 500)), np.exp(rng.uniform(-5, 10, 500))
    forward = np.asarray(dv.total_variation(dv.Poisson(a), dv.Poisson(b)))
    assert np.array_equal(forward, np.asarray(dv.total_variation(dv.Poisson(b), dv.Poisson(a))))
    assert np.all((forward > 0) & (forward <= 1))
    # Pinsker: TV <= sqrt(KL / 2)
    assert np.all(forward <= np.sqrt(np.asarray(dv.kl(dv.Poisson(a), dv.Poisson(b))) / 2) * (1 + 1e-12))


def test_binomial_counts_differ_takes_the_sum() -> None:
    # No closed form (the masses may cross twice): the numerical route sums the support.
    p, q = dv.Binomial(10, 0.3), dv.Binomial(12, 0.3)
    with pytest.raises(dv.NotRegisteredError):
        dv.total_variation(p, q, method="closed_form")
    want = _sum_reference(p, q)
    assert float(dv.total_variation(p, q)) == pytest.approx(want, rel=1e-12)


def _sum_reference(p: dv.Binomial, q: dv.Binomial) -> float:
    n1, n2 = int(p.total_count), int(q.total_count)
    a, b = mp.mpf(float(p.probs)), mp.mpf(float(q.probs))

    def mass(n: int, x: mp.mpf, j: int) -> mp.mpf:
        return mp.binomial(n, j) * x**j * (1 - x) ** (n - j) if j <= n else mp.mpf(0)

    return float(mp.fsum(abs(mass(n1, a, j) - mass(n2, b, j)) for j in range(max(n1, n2) + 1)) / 2)


def test_torch_values_and_gradient() -> None:
    torch = pytest.importorskip("torch")
    rates = torch.tensor([3.0, 1e6, 60054143.34040946], dtype=torch.float64, requires_grad=True)
    others = torch.tensor([5.0, 1e6 + 1.0, 60124688.60639431], dtype=torch.float64)
    value = dv.total_variation(dv.Poisson(rates), dv.Poisson(others))
    want = [_poisson_reference(float(x), float(y)) for x, y in zip(rates.tolist(), others.tolist(), strict=True)]
    np.testing.assert_allclose(value.detach().numpy(), want, rtol=1e-13)
    (grad,) = torch.autograd.grad(value.sum(), rates)
    # d TV / d lo = -pmf(k*; lo) (the crossing is locally constant): p is the smaller rate here
    for i, (x, y) in enumerate(zip(rates.tolist(), others.tolist(), strict=True)):
        k = math.floor((y - x) / math.log(y / x))
        mass = math.exp(-x + k * math.log(x) - math.lgamma(k + 1))
        assert float(grad[i]) == pytest.approx(-mass, rel=1e-8)
    g = dv.total_variation(dv.Geometric(torch.tensor([0.3], dtype=torch.float64)),
                           dv.Geometric(torch.tensor([0.31], dtype=torch.float64)))
    assert float(g[0]) == pytest.approx(_geometric_reference(0.3, 0.31), rel=1e-15)


# --------------------------------------------------------------------------------------
# Weibull laws of one shape, Gumbel, Laplace and Logistic laws of one scale: one crossing
# --------------------------------------------------------------------------------------

def _log_density_and_cdf(name: str, loc: mp.mpf, scale: mp.mpf):
    z = lambda x: (x - loc) / scale  # noqa: E731
    if name == "Gumbel":
        return (lambda x: -(z(x) + mp.exp(-z(x))) - mp.log(scale)), (lambda x: mp.exp(-mp.exp(-z(x))))
    if name == "Laplace":
        return ((lambda x: -abs(z(x)) - mp.log(2 * scale)),
                (lambda x: mp.exp(z(x)) / 2 if x < loc else 1 - mp.exp(-z(x)) / 2))
    return ((lambda x: -z(x) - mp.log(scale) - 2 * mp.log1p(mp.exp(-z(x)))), (lambda x: 1 / (1 + mp.exp(-z(x)))))


LOCATION_PAIRS = [(0.0, 1.0, 1.0), (0.0, 1e-8, 1.0), (3.0, -2.0, 0.5), (1e10, 1e10 + 1e-3, 2.0), (-4.0, -3.5, 1e-3)]


@pytest.mark.parametrize("name", ["Gumbel", "Laplace", "Logistic"])
@pytest.mark.parametrize(("m1", "m2", "scale"), LOCATION_PAIRS)
def test_location_families_of_one_scale(name: str, m1: float, m2: float, scale: float) -> None:
    # |F1 - F2| at the densities' one crossing, found by mpmath's bisection (at this module's
    # 40 digits whatever another module set globally: at 50 the bisection's tolerance was not
    # reached for the Gumbel pair of scale 1e-3)
    with mp.workdps(40):
        (l1, f1), (l2, f2) = (_log_density_and_cdf(name, mp.mpf(m), mp.mpf(scale)) for m in (m1, m2))
        lo, hi = sorted((mp.mpf(m1), mp.mpf(m2)))
        crossing = mp.findroot(lambda x: l1(x) - l2(x), (lo, hi), solver="bisect")
        exact = float(abs(f1(crossing) - f2(crossing)))
    family = getattr(dv, name)
    assert float(dv.total_variation(family(m1, scale), family(m2, scale))) == pytest.approx(exact, rel=1e-15)


@pytest.mark.parametrize(("shape", "s1", "s2"), [(2.0, 1.0, 1.5), (0.5, 1.0, 3.0), (1.7, 2.0, 1.0), (1.0, 0.3, 5.0)])
def test_weibull_of_one_shape_against_quadrature(shape: float, s1: float, s2: float) -> None:
    k, a, b = mp.mpf(shape), mp.mpf(s1), mp.mpf(s2)

    def density(x: mp.mpf, scale: mp.mpf) -> mp.mpf:
        return (k / scale) * (x / scale) ** (k - 1) * mp.exp(-((x / scale) ** k)) if x > 0 else mp.mpf(0)

    size = k * abs(mp.log(b / a))
    crossings = sorted(s * (size / mp.expm1(size)) ** (1 / k) for s in (a, b))  # (t of each law there)
    exact = float(mp.quad(lambda x: abs(density(x, a) - density(x, b)), [0, *crossings, mp.inf]) / 2)
    assert float(dv.total_variation(dv.Weibull(shape, s1), dv.Weibull(shape, s2))) == pytest.approx(exact, rel=1e-14)
    # Exponential is Weibull of shape 1
    if shape == 1.0:
        assert float(dv.total_variation(dv.Exponential(1 / s1), dv.Exponential(1 / s2))) == pytest.approx(exact, rel=1e-14)


def test_one_crossing_forms_nearly_equal_and_far() -> None:
    # first order in the step: Weibull(k, s) against Weibull(k, s (1 + h)): k h / e
    assert float(dv.total_variation(dv.Weibull(3.0, 1.0), dv.Weibull(3.0, 1.0 + 1e-12))) == pytest.approx(3e-12 / math.e, rel=1e-11)
    assert float(dv.total_variation(dv.Weibull(1e300, 1.0), dv.Weibull(1e300, 2.0))) == 1.0
    assert float(dv.total_variation(dv.Gumbel(0.0, 1e-300), dv.Gumbel(1.0, 1e-300))) == 1.0
    assert float(dv.total_variation(dv.Laplace(2.0, 1.0), dv.Laplace(2.0, 1.0))) == 0.0


def _weibull_two_shapes_reference(k1: float, l1: float, k2: float, l2: float) -> float:
    """Half the sum of |P(I) - Q(I)| over the intervals between the densities' crossings (sign
    changes on a grid of 3000 points in log x, each refined by mpmath's root finder), the
    masses from the distribution functions at 40 digits."""
    k1_, l1_, k2_, l2_ = (mp.mpf(v) for v in (k1, l1, k2, l2))

    def log_ratio(x: mp.mpf) -> mp.mpf:  # log p - log q
        return mp.log(k1_ / k2_) + k1_ * mp.log(x / l1_) - k2_ * mp.log(x / l2_) - (x / l1_) ** k1_ + (x / l2_) ** k2_

    grid = [mp.exp(t) for t in mp.linspace(-60, 30, 3000)]
    crossings = [mp.findroot(log_ratio, (a, b), solver="anderson") for a, b in zip(grid, grid[1:])
                 if (log_ratio(a) > 0) != (log_ratio(b) > 0)]
    cdf = [lambda x, k=k, lam=lam: -mp.expm1(-((x / lam) ** k)) for k, lam in ((k1_, l1_), (k2_, l2_))]
    points = [mp.mpf(0), *crossings]
    total = sum(abs((cdf[0](b) - cdf[0](a)) - (cdf[1](b) - cdf[1](a))) for a, b in zip(points, points[1:]))
    total += abs(cdf[0](points[-1]) - cdf[1](points[-1]))  # beyond the last: 1 - F each
    return float(total / 2)


@pytest.mark.parametrize(("k1", "l1", "k2", "l2"), [(1.5, 1.0, 2.5, 1.0), (1.5, 1.0, 3.0, 2.0), (2.0, 1.5, 1.2, 0.9),
                                                    (0.5, 1.0, 2.0, 1.0), (1.0, 1.0, 1.1, 1.0), (5.0, 1.0, 0.7, 3.0),
                                                    (0.3, 2.0, 0.31, 2.0), (10.0, 1.0, 9.0, 1.02), (0.8, 1.0, 1.25, 1.0)])
def test_weibull_of_two_shapes(k1: float, l1: float, k2: float, l2: float) -> None:
    """In log x the log-ratio has one extremum (h' tends to k1 - k2 at one end, to the other
    sign at the other, and has two roots at most): two crossings at most, by bisection. The
    Gumbel laws of two scales are the same pairs (-log of a Weibull variable)."""
    exact = _weibull_two_shapes_reference(k1, l1, k2, l2)
    assert float(dv.total_variation(dv.Weibull(k1, l1), dv.Weibull(k2, l2), method="closed_form")) == pytest.approx(exact, rel=4e-15)
    gumbel = dv.total_variation(dv.Gumbel(-math.log(l1), 1 / k1), dv.Gumbel(-math.log(l2), 1 / k2), method="closed_form")
    assert float(gumbel) == pytest.approx(exact, rel=1e-13)  # (1 / k rounds)


def test_two_shapes_far_apart_or_nearly_equal_take_the_numerical_route() -> None:
    # masses that cancel (nearly equal laws) or a crossing beyond the span: the numerical route
    for p, q in ((dv.Weibull(1.5, 1.0), dv.Weibull(1.5 * (1 + 1e-9), 1.0)), (dv.Weibull(2.0, 1e-5), dv.Weibull(3.0, 1e5))):
        with pytest.raises(dv.NotRegisteredError):
            dv.total_variation(p, q, method="closed_form")
        value, error = dv.total_variation(p, q, return_error=True)
        assert 0 < float(value) <= 1 and float(error) < 1e-6 * float(value)
    # a batch mixing one shape, two, and two nearly equal: each element its own form, the
    # numerical route for the one the closed form does not settle (not for the whole batch)
    shapes = np.array([1.5, 1.5, 1.5 * (1 + 1e-9)])
    value, error = dv.total_variation(dv.Weibull(np.array([1.5, 1.5, 1.5]), 1.0), dv.Weibull(shapes, np.array([2.0, 2.0, 1.0])),
                                      return_error=True)
    pairs = [(dv.Weibull(1.5, 1.0), dv.Weibull(1.5, 2.0)), (dv.Weibull(1.5, 1.0), dv.Weibull(1.5, 2.0)),
             (dv.Weibull(1.5, 1.0), dv.Weibull(1.5 * (1 + 1e-9), 1.0))]
    assert list(value) == [float(dv.total_variation(p, q)) for p, q in pairs]
    assert list(error[:2]) == [0.0, 0.0] and error[2] > 0


def test_a_partly_settled_batch_keeps_its_closed_values_and_their_gradients() -> None:
    """Gamma, Beta, Laplace and Weibull batches whose closed form leaves some elements unsettled:
    those by the numerical route, the rest the form's values; on torch, gradients for the rest."""
    cases = [  # (family, p's parameters, q's: one settled element, then one not)
        (dv.Gamma, [(2.0, 1.0), (2.0, 1.0)], [(3.0, 1.5), (2.0 * (1 + 1e-10), 1.5)]),
        (dv.Beta, [(2.0, 3.0), (2.0, 3.0)], [(4.0, 3.0), (2.0 * (1 + 1e-10), 3.0 * (1 + 1e-10))]),
        (dv.Laplace, [(0.0, 1.0), (0.0, 1.0)], [(0.5, 2.0), (1e-9, 1.0 + 1e-9)]),
    ]
    for family, ps, qs in cases:
        p, q = family(*np.array(ps).T), family(*np.array(qs).T)
        value, error = dv.total_variation(p, q, return_error=True)
        assert float(error[0]) == 0.0 and float(error[1]) > 0.0
        assert float(value[0]) == float(dv.total_variation(family(*ps[0]), family(*qs[0]), method="closed_form"))
        assert float(value[1]) == float(dv.total_variation(family(*ps[1]), family(*qs[1]), method="numerical"))
        with pytest.raises(dv.NotRegisteredError, match="numerical route keeps the digits"):
            dv.total_variation(p, q, method="closed_form")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    concrete = dv.total_variation(dv.Gamma(jnp.asarray([2.0, 2.0]), 1.0), dv.Gamma(jnp.asarray([3.0, 2.0 * (1 + 1e-10)]), 1.5))
    expected = dv.total_variation(dv.Gamma(np.array([2.0, 2.0]), 1.0), dv.Gamma(np.array([3.0, 2.0 * (1 + 1e-10)]), 1.5))
    np.testing.assert_allclose(np.asarray(concrete), expected, rtol=1e-13)  # (under jit: NaN there, as documented)
    torch = pytest.importorskip("torch")
    rate = torch.tensor([1.5, 1.5], dtype=torch.float64, requires_grad=True)
    value = dv.total_variation(dv.Gamma(torch.tensor([2.0, 2.0], dtype=torch.float64), rate),
                               dv.Gamma(torch.tensor([3.0, 2.0 * (1 + 1e-10)], dtype=torch.float64), 1.0))
    value.sum().backward()
    assert float(rate.grad[0]) != 0.0 and torch.isfinite(rate.grad).all()


def test_weibull_of_two_shapes_on_torch_and_jax() -> None:
    torch = pytest.importorskip("torch")
    shape = torch.tensor([1.5, 0.8], dtype=torch.float64, requires_grad=True)
    value = dv.total_variation(dv.Weibull(shape, 1.0), dv.Weibull(torch.tensor([2.5, 1.25], dtype=torch.float64), 1.0))
    numpy_value = dv.total_variation(dv.Weibull(np.array([1.5, 0.8]), 1.0), dv.Weibull(np.array([2.5, 1.25]), 1.0))
    np.testing.assert_allclose(value.detach().numpy(), numpy_value, rtol=1e-14)
    value.sum().backward()
    step = 1e-6
    up = float(dv.total_variation(dv.Weibull(1.5 + step, 1.0), dv.Weibull(2.5, 1.0)))
    down = float(dv.total_variation(dv.Weibull(1.5 - step, 1.0), dv.Weibull(2.5, 1.0)))
    assert float(shape.grad[0]) == pytest.approx((up - down) / (2 * step), rel=1e-6)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    got = dv.total_variation(dv.Weibull(jnp.asarray([1.5, 0.8]), 1.0), dv.Weibull(jnp.asarray([2.5, 1.25]), 1.0))
    np.testing.assert_allclose(np.asarray(got), numpy_value, rtol=1e-14)


def _gamma_reference(shape: float, r1: float, r2: float) -> float:
    """The Gamma(shape) law's mass between the rate-1 variables at the one crossing, by
    mpmath's incomplete gamma for small shapes, its quadrature (breakpoints a standard
    deviation apart) for large ones."""
    a, lo, hi = mp.mpf(shape), mp.mpf(min(r1, r2)), mp.mpf(max(r1, r2))
    if lo == hi:
        return 0.0
    crossing = a * mp.log(hi / lo) / (hi - lo)
    y_lo, y_hi = lo * crossing, hi * crossing
    if shape < 50:
        return float(mp.gammainc(a, y_lo, y_hi, regularized=True))
    sd = mp.sqrt(a)
    points = _peak_points(y_lo, y_hi, a, sd)
    return float(mp.quad(lambda t: mp.exp((a - 1) * mp.log(t) - t - mp.loggamma(a)), points))


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 17.0, 1e3, 1e6, 1e9])
@pytest.mark.parametrize(("r1", "r2"), [(1.0, 2.0), (1.0, 1.0 + 1e-10), (2.0, 1.0 + 1e-4), (1e-3, 1e3), (5.0, 5.5)])
def test_gamma_of_one_shape(shape: float, r1: float, r2: float) -> None:
    exact = _gamma_reference(shape, r1, r2)
    assert float(dv.total_variation(dv.Gamma(shape, r1), dv.Gamma(shape, r2))) == pytest.approx(exact, rel=1e-13, abs=1e-300)
    assert float(dv.total_variation(dv.InverseGamma(shape, r1), dv.InverseGamma(shape, r2))) == pytest.approx(
        exact, rel=1e-13, abs=1e-300)


def _gamma_tv_reference(a1: float, b1: float, a2: float, b2: float) -> float:
    """Gamma laws of different shapes: the crossings of the log densities by mpmath's
    bisection in log x, the masses between them by its regularised incomplete gamma."""
    with mp.workdps(40):
        a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))
        constant = a1 * mp.log(b1) - a2 * mp.log(b2) - mp.loggamma(a1) + mp.loggamma(a2)

        def h(s):
            return (a1 - a2) * s - (b1 - b2) * mp.exp(s) + constant

        def bisect(lo, hi):
            for _ in range(200):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if (h(mid) > 0) == (h(lo) > 0) else (lo, mid)
            return mp.exp(lo)

        def cdf(a, b, x):
            return mp.gammainc(a, 0, b * x, regularized=True)

        ratio = (a1 - a2) / (b1 - b2) if b1 != b2 else mp.mpf(-1)
        if ratio > 0:
            s0 = mp.log(ratio)
            x1, x2 = bisect(s0 - 60, s0), bisect(s0, s0 + 60)
            return float(abs((cdf(a1, b1, x2) - cdf(a1, b1, x1)) - (cdf(a2, b2, x2) - cdf(a2, b2, x1))))
        x = bisect(mp.mpf(-60), mp.mpf(60))
        return float(abs(cdf(a1, b1, x) - cdf(a2, b2, x)))


@pytest.mark.parametrize(("p", "q"), [((2.0, 1.0), (3.0, 2.0)), ((0.5, 1.0), (3.0, 0.2)), ((2.0, 1.0), (3.0, 1.0)),
                                      ((5.0, 1.0), (2.0, 3.0)), ((40.0, 2.0), (30.0, 1.0)), ((0.3, 0.1), (1.7, 0.1))])
@pytest.mark.parametrize("family", ["Gamma", "InverseGamma"])
def test_gamma_total_variation_of_two_shapes_by_its_crossings(p, q, family):
    # the log-ratio is concave or convex in log x: two crossings (or one), by bisection, and
    # the masses between them from the incomplete gamma functions (the numerical route
    # before: 0.35 s a pair); InverseGamma laws are those of 1 / X
    law = getattr(dv, family)
    value, error = dv.total_variation(law(*p), law(*q), return_error=True)
    assert error == 0.0  # (the closed form's, not the numerical route's)
    assert float(value) == pytest.approx(_gamma_tv_reference(*p, *q), rel=1e-13)


def _gamma_tv_by_quadrature(a1: float, b1: float, a2: float, b2: float) -> float:
    """The same, for shapes where mpmath's incomplete gamma does not converge: the crossings by
    bisection, then the integral of p - q between them (or below the one) by mpmath's
    quadrature, split a few standard deviations around each, at 60 digits."""
    with mp.workdps(60):
        a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))

        def log_p(x, a, b):
            return a * mp.log(b) - mp.loggamma(a) + (a - 1) * mp.log(x) - b * x

        def h(s):
            return log_p(mp.exp(s), a1, b1) - log_p(mp.exp(s), a2, b2)

        def bisect(lo, hi):
            for _ in range(240):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if (h(mid) > 0) == (h(lo) > 0) else (lo, mid)
            return mp.exp(lo)

        sd = max(mp.sqrt(a1) / b1, mp.sqrt(a2) / b2)
        lo, hi = min(a1 / b1, a2 / b2) - 60 * sd, max(a1 / b1, a2 / b2) + 60 * sd
        if (a1 - a2) * (b1 - b2) > 0:
            s0 = mp.log((a1 - a2) / (b1 - b2))
            ends = [bisect(mp.log(lo), s0), bisect(s0, mp.log(hi))]
        else:
            ends = [lo, bisect(mp.log(lo), mp.log(hi))]
        points = sorted({*ends, *(c + k * sd for c in ends for k in (-8, -4, -2, -1, 1, 2, 4, 8)
                                  if ends[0] < c + k * sd < ends[1])})
        return float(abs(mp.quad(lambda x: mp.exp(log_p(x, a1, b1)) - mp.exp(log_p(x, a2, b2)), points)))


@pytest.mark.parametrize(("p", "q"), [((1e8, 1.0), (1e8 + 1e4, 1.0)), ((1e12, 1.0), (1e12 + 1e6, 1.0)),
                                      ((1e14, 1.0), (1.0000001e14, 1.0)), ((1e12, 1.0), (1.000001e12, 1.0000005)),
                                      ((1e14, 2.0), (1.0000001e14, 2.0000003)), ((1e8, 5.0), (1.0002e8, 5.0005)),
                                      ((1e16, 1.0), (1.00000001e16, 1.0)), ((6e17, 1.0), (6.000000006e17, 1.0))])
def test_gamma_total_variation_of_large_shapes(p, q):
    # the log-ratio's constant from the Bregman divergence of log Gamma (its terms of order
    # a log a, subtracted, had moved the crossing by a standard deviation at 1e14: 2e-4 off,
    # and 0 for 0.38 at 1e16), and each law's masses at the crossing itself (b x rounded
    # apart for the two laws had cost 5e-11 at shape 1e12), the crossings sought about the
    # centre (in log x itself, an ulp of log x was 1e-6 of a standard deviation at 1e16: 2.6e-13;
    # beyond 1e15 the incomplete gamma functions' own rounding is what remains)
    tolerance = 1e-14 if p[0] < 1e15 else 2e-13
    assert float(dv.total_variation(dv.Gamma(*p), dv.Gamma(*q))) == pytest.approx(_gamma_tv_by_quadrature(*p, *q),
                                                                                 rel=tolerance)


@pytest.mark.parametrize(("p", "q", "shapes"), [
    (dv.Chi2(2.0), dv.Chi2(3.0), ((1.0, 0.5), (1.5, 0.5))),
    (dv.Chi2(7.5), dv.Chi2(7.5), ((3.75, 0.5), (3.75, 0.5))),
    (dv.Chi(2.0), dv.Chi(30.0), ((1.0, 0.5), (15.0, 0.5))),
    (dv.Gamma(2.0, 1.0), dv.Exponential(2.0), ((2.0, 1.0), (1.0, 2.0))),
    (dv.Exponential(0.3), dv.Gamma(1.0, 0.7), ((1.0, 0.3), (1.0, 0.7))),
    (dv.Chi2(3.0), dv.Gamma(1.5, 0.7), ((1.5, 0.5), (1.5, 0.7))),
    (dv.Gamma(0.2, 4.0), dv.Chi2(1.0), ((0.2, 4.0), (0.5, 0.5))),
    (dv.Exponential(1.0), dv.Chi2(3.0), ((1.0, 1.0), (1.5, 0.5))),
])
def test_chi2_chi_and_exponential_total_variation_are_the_gamma_laws(p, q, shapes):
    # Chi2(k) is Gamma(k / 2, 1 / 2), Exponential(r) Gamma(1, r), and Chi(k) the law of the
    # square root of a Chi2(k) variable (a bijection keeps the total variation): the Gamma
    # forms, in a millisecond (the numerical route before: some 75 ms)
    (a1, b1), (a2, b2) = shapes
    value, error = dv.total_variation(p, q, return_error=True)
    assert error == 0.0
    if a1 == a2 and b1 == b2:
        assert float(value) == 0.0
    elif a1 == a2:
        assert float(value) == pytest.approx(float(dv.total_variation(dv.Gamma(a1, b1), dv.Gamma(a2, b2))), rel=1e-15)
    else:
        assert float(value) == pytest.approx(_gamma_tv_reference(a1, b1, a2, b2), rel=1e-13)
    assert float(dv.total_variation(q, p)) == pytest.approx(float(value), rel=1e-13)


def test_gamma_total_variation_of_two_shapes_where_the_masses_cancel_is_numerical():
    # nearly equal laws: the masses between the crossings cancel, and the numerical route,
    # which keeps the digits, answers (with its error)
    value, error = dv.total_variation(dv.Gamma(2.0, 1.0), dv.Gamma(2.001, 1.001), return_error=True)
    assert 0.0 < error < 1e-14
    assert float(value) == pytest.approx(_gamma_tv_reference(2.0, 1.0, 2.001, 1.001), rel=1e-12)


def test_gamma_total_variation_of_two_shapes_on_torch_and_jax():
    torch = pytest.importorskip("torch")
    p, q = (2.0, 1.0), (3.0, 2.0)
    exact = _gamma_tv_reference(*p, *q)
    rates = torch.tensor([p[1], q[1]], dtype=torch.float64, requires_grad=True)
    value = dv.total_variation(dv.Gamma(torch.tensor(p[0], dtype=torch.float64), rates[0]),
                               dv.Gamma(torch.tensor(q[0], dtype=torch.float64), rates[1]))
    assert float(value) == pytest.approx(exact, rel=1e-13)
    (grad,) = torch.autograd.grad(value, rates)
    step = 1e-6  # the crossings move with the rates, but the value is stationary in them
    for i in range(2):
        up, down = list(p[1:] + q[1:]), list(p[1:] + q[1:])
        up[i] += step
        down[i] -= step
        fd = (_gamma_tv_reference(p[0], up[0], q[0], up[1]) - _gamma_tv_reference(p[0], down[0], q[0], down[1])) / (2 * step)
        assert float(grad[i]) == pytest.approx(fd, rel=1e-6)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)  # (as conftest's jax namespace does)
    jnp = jax.numpy
    got = jax.jit(lambda a, b: dv.total_variation(dv.Gamma(a, b), dv.Gamma(jnp.asarray(q[0]), jnp.asarray(q[1]))))(
        jnp.asarray(p[0]), jnp.asarray(p[1]))
    assert float(got) == pytest.approx(exact, rel=1e-12)


def _beta_tv_reference(a1: float, b1: float, a2: float, b2: float) -> float:
    """Beta laws: the crossings of the log densities by mpmath's bisection in logit x, and the
    masses between them (below the one) by its incomplete beta function, or for parameters
    where that does not converge the integral of p - q by its quadrature, split a few standard
    deviations around each crossing, at 50 digits."""
    with mp.workdps(50):
        a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))

        def log_p(x, a, b):
            return (a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - mp.log(mp.beta(a, b))

        c, e = a1 - a2, b1 - b2
        constant = mp.log(mp.beta(a2, b2)) - mp.log(mp.beta(a1, b1))

        def bisect(lo, hi):
            def h(t):
                return -c * mp.log1p(mp.exp(-t)) - e * mp.log1p(mp.exp(t)) + constant

            for _ in range(200):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if (h(mid) > 0) == (h(lo) > 0) else (lo, mid)
            return 1 / (1 + mp.exp(-lo))

        if c * e > 0:
            t0 = mp.log(c / e)
            ends = [bisect(mp.mpf(-800), t0), bisect(t0, mp.mpf(800))]
        else:
            ends = [mp.mpf(0), bisect(mp.mpf(-800), mp.mpf(800))]
        if max(a1, b1, a2, b2) <= 1e3:  # (mpmath's incomplete beta function converges)
            def mass(a, b):
                return mp.betainc(a, b, ends[0], ends[1], regularized=True)

            return float(abs(mass(a1, b1) - mass(a2, b2)))
        sd = max(mp.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) for a, b in ((a1, b1), (a2, b2)))
        points = sorted({*ends, *(x + k * sd for x in ends for k in (-8, -4, -2, -1, 1, 2, 4, 8)
                                  if ends[0] < x + k * sd < ends[1])})
        return float(abs(mp.quad(lambda x: mp.exp(log_p(x, a1, b1)) - mp.exp(log_p(x, a2, b2)), points)))


@pytest.mark.parametrize(("p", "q"), [((2.0, 3.0), (3.0, 2.0)), ((0.3, 0.7), (2.0, 0.4)), ((2.0, 3.0), (2.0, 5.0)),
                                      ((50.0, 50.0), (60.0, 40.0)), ((1e4, 2e4), (1.01e4, 2e4)), ((0.5, 0.5), (5.0, 5.0)),
                                      ((1e-3, 2.0), (3.0, 1e-3)), ((3.0, 1.0), (1.0, 1.0)), ((120.0, 3.0), (2.0, 90.0)),
                                      ((1e7, 2e7), (1.001e7, 2e7)), ((3e6, 5e7), (3.0002e6, 4.9999e7))])
def test_beta_total_variation_by_its_crossings(p, q):
    # in logit x the log-ratio is concave or convex (two crossings) or monotone (one): bisection,
    # and the masses by the incomplete beta function, each side of 1/2 from its own end (the
    # numerical route before: 7 ms a pair, and 5e-11 off at parameters 1e4 where SciPy's Beta
    # density loses digits); log B's difference from Bregman divergences of log Gamma (its
    # terms of order n log n, subtracted, cost their ulps)
    value, error = dv.total_variation(dv.Beta(*p), dv.Beta(*q), return_error=True)
    assert error == 0.0
    assert float(value) == pytest.approx(_beta_tv_reference(*p, *q), rel=1e-14)
    assert float(dv.total_variation(dv.Beta(*q), dv.Beta(*p))) == pytest.approx(float(value), rel=1e-14)


def test_beta_total_variation_batched_and_where_it_takes_the_numerical_route():
    a = np.array([2.0, 0.3, 50.0, 1e4])
    b = np.array([3.0, 0.7, 50.0, 2e4])
    batched = dv.total_variation(dv.Beta(a, b), dv.Beta(a * 1.5, b))
    single = [float(dv.total_variation(dv.Beta(x, y), dv.Beta(x * 1.5, y))) for x, y in zip(a, b, strict=True)]
    assert np.asarray(batched).tolist() == single
    assert float(dv.total_variation(dv.Beta(2.0, 3.0), dv.Beta(2.0, 3.0))) == 0.0
    # nearly equal laws (masses that cancel) and concentrations beyond 1e8 (where SciPy's
    # incomplete beta function loses digits: 3.5e-12 of this TV): the numerical route, with its
    # error (its pieces not cut at the far crossing at x = 0.19, which had made an end's piece
    # one in x whose points all missed the mass: 3.6e-5 off)
    for p, q in (((2.0, 3.0), (2.0 + 1e-9, 3.0)), ((1e9, 1e9), (1.00001e9, 1.00002e9))):
        value, error = dv.total_variation(dv.Beta(*p), dv.Beta(*q), return_error=True)
        assert 0.0 < error < 1e-13
        with pytest.raises(dv.NotRegisteredError):
            dv.total_variation(dv.Beta(*p), dv.Beta(*q), method="closed_form")
    assert float(value) == pytest.approx(_beta_tv_reference(1e9, 1e9, 1.00001e9, 1.00002e9), rel=2e-13)


def test_beta_total_variation_on_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    p, q = dv.Beta(jnp.asarray([2.0, 0.3, 1e-3]), jnp.asarray([3.0, 0.7, 2.0])), dv.Beta(jnp.asarray([3.0, 2.0, 3.0]),
                                                                                          jnp.asarray([2.0, 0.4, 1e-3]))
    got = np.asarray(dv.total_variation(p, q))
    want = [_beta_tv_reference(2.0, 3.0, 3.0, 2.0), _beta_tv_reference(0.3, 0.7, 2.0, 0.4),
            _beta_tv_reference(1e-3, 2.0, 3.0, 1e-3)]
    assert got.tolist() == pytest.approx(want, rel=1e-13)


def _laplace_tv_reference(m1: float, b1: float, m2: float, b2: float) -> float:
    """Laplace laws of two scales: the log-ratio is linear between and beyond the centres, so
    its roots there are exact (at 50 digits); TV is the laws' masses where p > q, less q's."""
    with mp.workdps(50):
        m1, b1, m2, b2 = (mp.mpf(v) for v in (m1, b1, m2, b2))
        m1, b1, m2, b2 = mp.mpf(0), mp.mpf(1), (m2 - m1) / b1, b2 / b1  # (in p's units: TV does not move)

        def h(x):
            return -abs(x - m1) / b1 + abs(x - m2) / b2 + mp.log(b2 / b1)

        def cdf(x, m, b):
            return mp.exp((x - m) / b) / 2 if x < m else 1 - mp.exp(-(x - m) / b) / 2

        breaks = sorted([m1, m2])
        regions = [(-mp.inf, breaks[0]), (breaks[0], breaks[1]), (breaks[1], mp.inf)]
        roots = []
        for lo, hi in regions:  # h is linear on each: its root from two points
            x0 = (lo + hi) / 2 if mp.isfinite(lo) and mp.isfinite(hi) else (hi - 1 if mp.isfinite(hi) else lo + 1)
            slope = -mp.sign(x0 - m1) / b1 + mp.sign(x0 - m2) / b2
            if slope != 0:
                root = x0 - h(x0) / slope
                if lo < root < hi:
                    roots.append(root)
        ends = [-mp.inf, *sorted(roots), mp.inf]
        total = mp.mpf(0)
        for lo, hi in zip(ends[:-1], ends[1:]):
            mid = (lo + hi) / 2 if mp.isfinite(lo) and mp.isfinite(hi) else (hi - 1 if mp.isfinite(hi) else lo + 1)
            if h(mid) > 0:
                for m, b, sign in ((m1, b1, 1), (m2, b2, -1)):
                    total += sign * ((1 if hi == mp.inf else cdf(hi, m, b)) - (0 if lo == -mp.inf else cdf(lo, m, b)))
        return float(total)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1.0), (1.0, 2.0)), ((0.0, 1.0), (0.0, 2.0)), ((0.0, 2.0), (1.0, 1.0)),
                                      ((3.0, 1e-3), (-2.0, 5.0)), ((0.0, 1.0), (1e-3, 1.001)), ((5.0, 3.0), (-4.0, 0.2)),
                                      ((0.0, 1e-200), (1e-200, 3e-200)), ((0.0, 1.0), (100.0, 1e3))])
def test_laplace_total_variation_of_two_scales(p, q):
    # the log-ratio is piecewise linear in x, concave or convex: two crossings at most, by
    # bisection, and the masses elementary (the numerical route before: 8 ms a pair)
    value, error = dv.total_variation(dv.Laplace(*p), dv.Laplace(*q), return_error=True)
    assert error == 0.0
    want = _laplace_tv_reference(*p, *q)
    assert float(value) == pytest.approx(want, rel=1e-12 if want < 1e-2 else 1e-14)
    assert float(dv.total_variation(dv.Laplace(*q), dv.Laplace(*p))) == pytest.approx(float(value), rel=1e-12)
    numerical, numerical_error = dv.total_variation(dv.Laplace(*p), dv.Laplace(*q), method="numerical",
                                                    return_error=True)
    assert abs(float(numerical) - want) <= 10 * float(numerical_error) + 1e-15 * want


def test_laplace_total_variation_batched_one_and_two_scales():
    loc, scale = np.array([0.0, 1.0, -2.0]), np.array([1.0, 2.0, 0.5])
    batched = np.asarray(dv.total_variation(dv.Laplace(loc, scale), dv.Laplace(loc + 0.5, np.array([1.0, 3.0, 0.5]))))
    single = [float(dv.total_variation(dv.Laplace(m, s), dv.Laplace(m + 0.5, t)))
              for m, s, t in zip(loc, scale, [1.0, 3.0, 0.5], strict=True)]
    assert batched.tolist() == single
    # nearly equal scales (masses that cancel): the numerical route
    with pytest.raises(dv.NotRegisteredError):
        dv.total_variation(dv.Laplace(0.0, 1.0), dv.Laplace(0.0, 1.0 + 1e-9), method="closed_form")


@pytest.mark.parametrize(("shape", "scale", "rate"), [(1.5, 1.0, 0.7), (0.6, 3.0, 1.0), (1.0, 1.0, 3.0), (1.0, 2.0, 0.5 * (1 + 1e-12))])
def test_weibull_against_exponential(shape: float, scale: float, rate: float) -> None:
    """Exponential(rate) is Weibull(1, 1 / rate): the Weibull forms, either order; of shape 1
    the rates' distance in logs from the exact product rate * scale (1 / rate's rounding alone
    is 1e-4 of a distance of 1e-12)."""
    if shape == 1.0:
        with mp.workdps(60):
            size = abs(mp.log(mp.mpf(rate) * mp.mpf(scale)))
            exact = float(-mp.expm1(-size) * mp.exp(-size / mp.expm1(size)))
    else:
        exact = _weibull_two_shapes_reference(shape, scale, 1.0, 1.0 / rate)  # (1 / rate: an ulp, harmless here)
    for p, q in ((dv.Weibull(shape, scale), dv.Exponential(rate)), (dv.Exponential(rate), dv.Weibull(shape, scale))):
        assert float(dv.total_variation(p, q, method="closed_form")) == pytest.approx(exact, rel=4e-15)
