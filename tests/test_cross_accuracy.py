"""Cross-family KL forms against mpmath where their textbook sums cancelled: the worst cases of
an audit of every cross-family pair (the parameters, each at its worst before the fix, with
the relative error it had). Each form now keeps the means' difference exactly, the
negentropy of a location-scale family as a constant and the width of an interval exactly."""

from __future__ import annotations

import mpmath as mp
import pytest

import divergences as dv

DIGITS = 60
EULER = mp.euler


def _normal_cross(mean, var, loc, scale):
    return mp.log(2 * mp.pi * scale**2) / 2 + (var + (mean - loc) ** 2) / (2 * scale**2)


def _xlogx(x):
    return x * mp.log(x) if x else mp.mpf(0)


@mp.workdps(DIGITS)
def _reference(p, q) -> float:
    pp = [mp.mpf(float(v)) for v in p.params().values()]
    qq = [mp.mpf(float(v)) for v in q.params().values()]
    kind = (type(p).__name__, type(q).__name__)
    if kind == ("Gumbel", "Normal"):
        mu, beta = pp
        return float(-(mp.log(beta) + EULER + 1) + _normal_cross(mu + EULER * beta, mp.pi**2 * beta**2 / 6, *qq))
    if kind == ("Laplace", "Normal"):
        mu, b = pp
        return float(-(1 + mp.log(2 * b)) + _normal_cross(mu, 2 * b**2, *qq))
    if kind == ("Uniform", "Normal"):
        low, high = pp
        return float(-mp.log(high - low) + _normal_cross((low + high) / 2, (high - low) ** 2 / 12, *qq))
    if kind in (("Gamma", "Normal"), ("Chi2", "Normal")):
        shape, rate = pp if kind[0] == "Gamma" else (pp[0] / 2, mp.mpf(0.5))
        entropy = shape - mp.log(rate) + mp.loggamma(shape) + (1 - shape) * mp.digamma(shape)
        return float(-entropy + _normal_cross(shape / rate, shape / rate**2, *qq))
    if kind == ("Beta", "Normal"):
        a, b = pp
        c = a + b
        entropy = mp.log(mp.beta(a, b)) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (c - 2) * mp.digamma(c)
        return float(-entropy + _normal_cross(a / c, a * b / (c**2 * (c + 1)), *qq))
    if kind == ("Pareto", "Normal"):
        xm, alpha = pp
        mean, var = alpha * xm / (alpha - 1), alpha * xm**2 / ((alpha - 1) ** 2 * (alpha - 2))
        return float(mp.log(alpha / xm) - 1 / alpha - 1 + _normal_cross(mean, var, *qq))
    if kind == ("Uniform", "Pareto"):
        (low, high), (scale, alpha) = pp, qq
        mean_log = (high * mp.log(high) - low * mp.log(low)) / (high - low) - 1
        return float(-mp.log(high - low) - mp.log(alpha) - alpha * mp.log(scale) + (alpha + 1) * mean_log)
    if kind == ("Bernoulli", "Poisson"):
        (a,), (rate,) = pp, qq
        return float(a * mp.log(a) + (1 - a) * mp.log(1 - a) + rate - a * mp.log(rate))
    if kind == ("Uniform", "Beta"):
        (low, high), (a, b) = pp, qq
        mean_log = (_xlogx(high) - _xlogx(low)) / (high - low) - 1
        mean_log1m = (_xlogx(1 - low) - _xlogx(1 - high)) / (high - low) - 1
        return float(-mp.log(high - low) + mp.log(mp.beta(a, b)) - (a - 1) * mean_log - (b - 1) * mean_log1m)
    if kind in (("Beta", "Uniform"), ("ContinuousBernoulli", "Uniform")):  # Beta(1, 1), CB(1/2) only
        low, high = qq
        return float(mp.log(high - low))
    if kind[1] in ("Gamma", "Exponential", "Chi2"):
        shape, rate = {"Gamma": lambda: qq, "Exponential": lambda: (mp.mpf(1), qq[0]),
                       "Chi2": lambda: (qq[0] / 2, mp.mpf(0.5))}[kind[1]]()

        def cross(mean, mean_log):
            return -(shape * mp.log(rate) - mp.loggamma(shape) + (shape - 1) * mean_log - rate * mean)

        if kind[0] == "Uniform":
            low, high = pp
            mean_log = (high * mp.log(high) - low * mp.log(low)) / (high - low) - 1
            return float(-mp.log(high - low) + cross((low + high) / 2, mean_log))
        if kind[0] == "Pareto":
            xm, alpha = pp
            return float(mp.log(alpha / xm) - 1 / alpha - 1 + cross(alpha * xm / (alpha - 1), mp.log(xm) + 1 / alpha))
    if kind[1] == "Gumbel" and kind[0] in ("Gamma", "Chi2"):
        shape, rate = pp if kind[0] == "Gamma" else (pp[0] / 2, mp.mpf(0.5))
        loc, scale = qq
        entropy = shape - mp.log(rate) + mp.loggamma(shape) + (1 - shape) * mp.digamma(shape)
        laplace = mp.exp(loc / scale - shape * mp.log1p(1 / (rate * scale)))
        return float(-entropy + mp.log(scale) + (shape / rate - loc) / scale + laplace)
    if kind == ("ContinuousBernoulli", "Exponential"):  # by quadrature of the density itself
        ((probs,), (rate,)) = pp, qq
        eta = mp.log(probs / (1 - probs))
        log_c = mp.log(eta / mp.expm1(eta))
        return float(mp.quad(lambda x: mp.exp(log_c + eta * x) * (log_c + eta * x - mp.log(rate) + rate * x), [0, 1]))
    if kind[0] == "Weibull":  # against a Gamma, an Exponential or a Chi2
        (k, lam) = pp
        entropy = EULER * (1 - 1 / k) + mp.log(lam / k) + 1
        mean_log_q = (shape * mp.log(rate) - mp.loggamma(shape) + (shape - 1) * (mp.log(lam) - EULER / k)
                      - rate * lam * mp.gamma(1 + 1 / k))
        return float(-entropy - mean_log_q)
    raise AssertionError(kind)


CASES = [  # (p, q, the relative error before)
    (dv.Gumbel(1e8, 1e-8), dv.Normal(1e8, 1.2812672803317023e-08), 0.53),
    (dv.Gumbel(-3.0, 2.0), dv.Normal(-3.0 + 2.0 * 0.5772156649015329, 2.0 * 1.2825498301618641 * (1 + 1e-11)), None),
    (dv.Laplace(1e8, 1e-8), dv.Normal(1e8 + 1e-9, 1.4142135623730951e-08), None),
    (dv.Uniform(-5.0, -4.999999999995), dv.Normal(-4.999999999998222, 1.4432475948870774e-12), 5.1e-4),
    (dv.Uniform(1e8, 100000000.0001), dv.Normal(100000000.00005, 2.886751345948129e-05), None),
    (dv.Pareto(1.0, 1e12), dv.Normal(1.0000000000005, 1.000000000002e-12), 8.2e-5),
    (dv.Pareto(1.0, 1e6), dv.Normal(1.0000005, 1.0000020000035e-06), 5.2e-12),
    (dv.Pareto(1.0, 2.0000001), dv.Normal(1.9999999000000102, 4467.6634876256685), 5.9e-11),
    (dv.Uniform(1.0, 1.000000000001), dv.Pareto(1e-06, 0.001), 1.0e-6),
    (dv.Uniform(1e8, 100000000.0001), dv.Pareto(1e8, 999983072567.7599), 7.2e-5),
    (dv.Bernoulli(1e-6), dv.Poisson(1e-6), 1.5e-9),
    (dv.Bernoulli(1e-12), dv.Poisson(1e-12), 1.7e-3),
    (dv.Bernoulli(0.3), dv.Poisson(0.3 * (1 + 1e-9)), None),
    (dv.Weibull(1.00001, 1.0), dv.Exponential(1.0), 3.2e-6),
    (dv.Weibull(1.00000000001, 1.0), dv.Exponential(1.0), 2.4e6),
    (dv.Weibull(1.0, 2.0), dv.Chi2(2.00001), 3.6e-6),
    (dv.Weibull(1.0, 3.0), dv.Gamma(1.00000001, 0.3333333333333333), 1.0),
    (dv.Weibull(1.0, 1e-8), dv.Exponential(100000000.001), 5e7),
    (dv.Weibull(1.0, 1e8), dv.Gamma(1.0, 9.9999999999e-09), None),
    (dv.Weibull(1.3, 2.0), dv.Gamma(1.2, 0.6), None),
    (dv.Weibull(1e6, 1e8), dv.Gamma(607927990354.6534, 6079.2834125373465), 5.7e-2),
    (dv.Weibull(10.0, 1e8), dv.Gamma(69.08673391136459, 7.26197460990777e-07), None),
    (dv.Uniform(1.0, 1.000001), dv.Gamma(12000012002061.4, 12000006001854.4), 0.59),
    (dv.Uniform(1.0, 1.000000000001), dv.Gamma(1.1997866670521381e25, 1.1997866670515381e25), 1e12),
    (dv.Uniform(1e-08, 1.000000000001e-08), dv.Chi2(2.3997054963413186e25), None),
    (dv.Uniform(1e-08, 2e-08), dv.Gamma(27.000000000188997, 1799999999.982), None),
    (dv.Pareto(1.0, 1000.0), dv.Gamma(997999.3014, 997002.9970019999), 7.8e-9),
    (dv.Pareto(1e-8, 1e12), dv.Gamma(9.99999999998e23, 9.99999999997e31), 3.6e10),
    (dv.Pareto(1e-08, 1.0000001), dv.Chi2(4000.0), 2.6e-11),
    (dv.ContinuousBernoulli(1e-12), dv.Exponential(27.63102111641471), 3.6e-4),
    (dv.ContinuousBernoulli(1e-6), dv.Exponential(13.815700429286847), 2.5e-10),
    (dv.ContinuousBernoulli(1e-6), dv.Exponential(1e-8), 2.3e-9),
    (dv.ContinuousBernoulli(0.1), dv.Exponential(2.0), None),
    (dv.Gamma(1e12, 1e-8), dv.Gumbel(9.999995499467925e19, 77969680124147.31), 1.7e-9),
    (dv.Gamma(1e6, 1.0), dv.Gumbel(999549.1670956531, 778.9171044324424), 2.5e-12),
    (dv.Chi2(1e12), dv.Gumbel(999999363528.6501, 1433455.1280966594), 1.3e-9),
    (dv.Gamma(2.5, 1.5), dv.Gumbel(1.0, 0.8), None),
    (dv.Beta(1e12, 1e12), dv.Normal(0.5, 3.5355339058964986e-07), 3.3e-5),
    (dv.Beta(1e6, 1e6), dv.Normal(0.5, 0.00035355365575826143), 4.2e-10),
    (dv.Beta(2.5, 1e12), dv.Normal(2.4984188611636727e-12, 1.5795576912473924e-12), None),
    (dv.Gamma(1e12, 1e-8), dv.Normal(1e20, 100000099999999.98), 3.1e-11),
    (dv.Chi2(1e12), dv.Normal(1e12, 1414212.1481595326), 7.6e-11),
    (dv.Gamma(1e12, 1.0), dv.Normal(1e12, 999999.0), 7.8e-11),
    (dv.Uniform(1e-11, 1.0), dv.Beta(1.0, 1.0), 8.3e-8),
    (dv.Uniform(1e-300, 1.0), dv.Beta(1.000000000007, 0.99999999999), 1.3e6),
    (dv.Uniform(0.999, 1.0), dv.Beta(5992.997804898595, 2.998002998), 4.6e-11),
    (dv.Uniform(0.3, 0.30000000000009996), dv.Beta(7.563693147394973e25, 1.7648617343917403e26), 2.3e12),
    (dv.Uniform(0.0, 1e-10), dv.Beta(3.0020999997998596, 59939999993.006996), 8.5e-4),
    (dv.Uniform(0.2, 0.7), dv.Beta(2.5, 3.5), None),
    (dv.Beta(1.0, 1.0), dv.Uniform(-1e-11, 1.0), 8.3e-8),
    (dv.ContinuousBernoulli(0.5), dv.Uniform(-1e-11, 1.0), 8.3e-8),
]


@pytest.mark.parametrize(("p", "q", "before"), CASES, ids=[f"{type(c[0]).__name__}-{type(c[1]).__name__}-{i}"
                                                        for i, c in enumerate(CASES)])
def test_cross_family_forms_keep_their_digits(p, q, before):
    exact = _reference(p, q)
    assert float(dv.kl(p, q)) == pytest.approx(exact, rel=4e-14, abs=0)
    batch = dv.kl(p.broadcast_to((2,)), q.broadcast_to((2,)))
    assert float(batch[1]) == pytest.approx(exact, rel=4e-14, abs=0)


def test_uniform_against_a_continuous_bernoulli_near_one_half():
    # Uniform(1e-11, 1) against CB(1/2 + 1e-11): log(1 - 1e-11) of the exact width plus the
    # CB's cross-entropy (its series near 1/2); the width's rounding cost 8.3e-8 relative
    value = float(dv.kl(dv.Uniform(1e-11, 1.0), dv.ContinuousBernoulli(0.50000000001)))
    with mp.workdps(DIGITS):
        low, eta = mp.mpf(1e-11), 2 * mp.atanh(2 * mp.mpf(0.50000000001) - 1)
        log_norm = mp.log((mp.exp(eta) - 1) / eta)  # A(eta), the density exp(eta x - A) on [0, 1]
        exact = float(-mp.log(1 - low) - eta * (1 + low) / 2 + log_norm)
    assert value == pytest.approx(exact, rel=1e-12, abs=0)
