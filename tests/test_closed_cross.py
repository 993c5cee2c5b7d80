"""Closed-form KL between different one-dimensional continuous families.

Every finite pair is compared with this file's own quadrature of ``p log(p / q)`` over p's
support, built from ``scipy.stats`` densities whose parametrisation is written out here (and
a continuous Bernoulli density written out here); published cross-family values of torch
2.13.0 and of TensorFlow Probability are checked to 1e-9.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

import divergences as dv
from conftest import torch_params

# --------------------------------------------------------------------------------------
# Reference densities, parametrised independently of the library
# --------------------------------------------------------------------------------------


class _ContinuousBernoulli:
    """Density C(lam) lam^x (1 - lam)^(1 - x) on [0, 1], C = 2 atanh(1 - 2 lam) / (1 - 2 lam)."""

    def __init__(self, lam: float) -> None:
        with mpmath.workdps(40):
            lam_m = mpmath.mpf(lam)
            u = 1 - 2 * lam_m
            c = 2 if u == 0 else 2 * mpmath.atanh(u) / u
            self.log_c = float(mpmath.log(c))
        self.lam = lam

    def logpdf(self, x: float) -> float:
        if not 0.0 <= x <= 1.0:
            return -math.inf
        return self.log_c + x * math.log(self.lam) + (1.0 - x) * math.log1p(-self.lam)

    support = (0.0, 1.0)


def _scipy(cls: type, params: tuple[float, ...]):
    if cls is dv.Normal:
        return stats.norm(*params)
    if cls is dv.Laplace:
        return stats.laplace(*params)
    if cls is dv.Gumbel:
        return stats.gumbel_r(*params)
    if cls is dv.Exponential:
        return stats.expon(scale=1.0 / params[0])
    if cls is dv.Gamma:
        return stats.gamma(params[0], scale=1.0 / params[1])
    if cls is dv.Chi2:
        return stats.chi2(params[0])
    if cls is dv.Beta:
        return stats.beta(*params)
    if cls is dv.Pareto:
        return stats.pareto(params[1], scale=params[0])
    if cls is dv.Uniform:
        return stats.uniform(params[0], params[1] - params[0])
    if cls is dv.Weibull:
        return stats.weibull_min(params[0], scale=params[1])
    if cls is dv.ContinuousBernoulli:
        return _ContinuousBernoulli(*params)
    raise AssertionError(cls)


def _logpdf(d, x: float) -> float:
    return float(d.logpdf(x))


def _fast_logpdf(d):
    """``d.logpdf`` for scalars without SciPy's per-call argument checks (20x faster in quad)."""
    if isinstance(d, _ContinuousBernoulli):
        return d.logpdf
    shapes, loc, scale = d.dist._parse_args(*d.args, **d.kwds)
    lo, hi = (float(v) for v in d.support())
    log_scale = math.log(scale)

    def logpdf(x: float) -> float:
        if not lo <= x <= hi:
            return -math.inf
        return float(d.dist._logpdf(np.float64((x - loc) / scale), *shapes)) - log_scale

    return logpdf


def _quad_sum(f, edges: list[float]) -> float:
    """Sum of quad over consecutive pieces; the pieces' own error estimates must be small.

    quad warns where it cannot reach the requested 1e-10 (the poles of a Beta density with
    a or b < 1); its error estimate is checked instead, against the tests' 1e-8.
    """
    values, errors = [], []
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for a, b in zip(edges[:-1], edges[1:]):
            value, error = integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-10, limit=200)
            values.append(value)
            errors.append(error)
    total = math.fsum(values)
    assert sum(errors) <= 1e-9 * abs(total) + 1e-13, (total, errors)
    return total


def _reference_kl(pcls: type, pp: tuple[float, ...], qcls: type, qp: tuple[float, ...]) -> float:
    """Quadrature of p log(p / q) over p's support, split where the integrand bends."""
    p, q = _scipy(pcls, pp), _scipy(qcls, qp)
    log_p, log_q = _fast_logpdf(p), _fast_logpdf(q)

    def integrand(x: float) -> float:
        lp = log_p(x)
        density = math.exp(lp)
        # 0 log 0 = 0, far out where both log densities may overflow; an integrable pole of
        # p (Beta with a < 1) is infinite only at an end point that rounding can reach.
        return density * (lp - log_q(x)) if 0.0 < density < math.inf else 0.0

    if pcls is dv.Pareto:
        # x = scale e^u: the heavy tail becomes exp(-alpha u) (times a power of e^u from q).
        scale, alpha = pp

        def in_u(u: float) -> float:
            # p(x) dx = alpha exp(-alpha u) du; log p(x) written out, as SciPy's underflows.
            weight = alpha * math.exp(-alpha * u)
            if weight == 0.0:
                return 0.0
            x = scale * math.exp(u)
            lp = math.log(alpha / scale) - (alpha + 1.0) * u
            return weight * (lp - log_q(x))

        # Beyond u = 300 (x = e^300 scale) the tail is below exp(-30) even for alpha just
        # above a moment threshold, and x^2 still fits in a double.
        edges = [0.0, 0.5 / alpha, 2.0 / alpha, 8.0 / alpha, 30.0 / alpha, 100.0, 300.0]
        return _quad_sum(in_u, edges)
    if isinstance(p, _ContinuousBernoulli):
        lo, hi, cuts = 0.0, 1.0, [0.5]
    else:
        lo, hi = p.support()
        cuts = sorted(set(float(c) for c in p.ppf([0.01, 0.5, 0.99])))
    edges = [lo, *[c for c in cuts if lo < c < hi], hi]
    return _quad_sum(integrand, edges)


B, CB, E, G, C2, N, L, GU, P, U, W = (
    dv.Beta, dv.ContinuousBernoulli, dv.Exponential, dv.Gamma, dv.Chi2, dv.Normal, dv.Laplace,
    dv.Gumbel, dv.Pareto, dv.Uniform, dv.Weibull,
)

# Two parameter points per finite pair (a third where a branch needs it).
FINITE = [
    (B, (2.0, 3.0), CB, (0.3,)), (B, (0.7, 1.5), CB, (0.5,)), (B, (1.3, 0.6), CB, (0.97,)),
    (B, (2.0, 3.0), E, (1.5,)), (B, (0.6, 0.8), E, (0.3,)),
    (B, (2.0, 3.0), G, (2.5, 1.5)), (B, (0.7, 1.5), G, (0.8, 0.4)),
    (B, (2.0, 3.0), C2, (3.0,)), (B, (1.2, 0.9), C2, (0.7,)),
    (B, (2.0, 3.0), N, (0.3, 0.5)), (B, (0.5, 0.5), N, (-1.0, 2.0)),
    (B, (2.0, 3.0), U, (-1.0, 2.0)), (B, (0.8, 1.3), U, (0.0, 1.0)),
    (CB, (0.3,), E, (2.0,)), (CB, (0.5,), E, (0.5,)),
    (CB, (0.8,), N, (0.2, 0.7)), (CB, (0.5,), N, (1.0, 2.0)), (CB, (0.01,), N, (0.0, 1.0)),
    (CB, (0.2,), U, (0.0, 1.0)), (CB, (0.9,), U, (-0.5, 3.0)),
    (E, (1.5,), G, (2.5, 1.2)), (E, (0.4,), G, (0.6, 2.0)),
    (E, (0.7,), C2, (3.0,)), (E, (2.0,), C2, (1.5,)),
    (E, (1.5,), GU, (0.5, 2.0)), (E, (0.3,), GU, (-1.0, 0.8)),
    (E, (1.5,), N, (0.2, 1.0)), (E, (0.5,), N, (3.0, 2.5)),
    (G, (2.5, 1.5), E, (0.8,)), (G, (0.6, 0.3), E, (2.0,)),
    (G, (2.5, 1.5), C2, (4.0,)), (G, (0.8, 0.4), C2, (1.0,)),
    (G, (2.0, 1.5), GU, (1.0, 1.0)), (G, (0.7, 0.5), GU, (-0.5, 3.0)),
    (G, (2.0, 1.5), N, (1.0, 1.0)), (G, (5.0, 0.8), N, (4.0, 3.0)),
    (C2, (3.0,), E, (0.4,)), (C2, (1.5,), E, (1.0,)),
    (C2, (3.0,), G, (2.0, 0.6)), (C2, (0.8,), G, (0.5, 1.0)),
    (C2, (4.0,), GU, (3.0, 2.0)), (C2, (2.0,), GU, (0.0, 1.0)),
    (C2, (4.0,), N, (4.0, 3.0)), (C2, (1.0,), N, (0.5, 1.5)),
    (GU, (0.0, 1.0), N, (0.5, 2.0)), (GU, (2.0, 0.4), N, (1.0, 1.0)),
    (L, (0.1, 0.7), N, (1.0, 2.0)), (L, (-2.0, 1.5), N, (0.0, 0.8)),
    (N, (0.3, 1.2), GU, (0.0, 1.5)), (N, (-1.0, 0.5), GU, (1.0, 0.7)),
    (N, (0.2, 1.3), L, (-0.5, 2.0)), (N, (1.0, 0.3), L, (1.0, 0.5)), (N, (-1.0, 0.3), L, (0.5, 0.5)),
    (P, (1.0, 3.0), E, (0.5,)), (P, (2.0, 1.5), E, (0.2,)),
    (P, (1.0, 3.0), G, (2.0, 1.0)), (P, (0.5, 2.5), G, (0.7, 0.3)),
    (P, (1.0, 3.0), C2, (3.0,)), (P, (2.0, 4.0), C2, (1.0,)),
    (P, (1.0, 3.0), N, (0.0, 2.0)), (P, (2.0, 5.0), N, (3.0, 1.0)),
    (U, (0.2, 0.8), B, (2.0, 2.0)), (U, (0.0, 0.5), B, (0.7, 1.5)), (U, (0.6, 1.0), B, (2.0, 0.8)),
    (U, (0.1, 0.6), CB, (0.3,)), (U, (0.0, 1.0), CB, (0.75,)),
    (U, (0.0, 2.0), E, (1.5,)), (U, (1.0, 1.5), E, (0.3,)),
    (U, (0.5, 3.0), G, (2.0, 1.5)), (U, (0.0, 1.0), G, (0.6, 0.5)),
    (U, (1.0, 4.0), C2, (3.0,)), (U, (0.2, 0.3), C2, (1.0,)),
    (U, (-1.0, 2.0), GU, (0.0, 1.0)), (U, (3.0, 3.5), GU, (1.0, 0.5)),
    (U, (-1.0, 2.0), N, (0.0, 1.0)), (U, (0.0, 0.1), N, (2.0, 0.5)),
    (U, (1.0, 3.0), P, (1.0, 2.0)), (U, (2.5, 2.6), P, (2.0, 0.5)),
    (W, (1.7, 2.0), G, (3.0, 1.2)), (W, (0.8, 0.5), G, (0.5, 2.0)),
    (W, (1.7, 2.0), E, (0.6,)), (W, (0.8, 1.0), E, (2.0,)),
    (W, (1.7, 2.0), C2, (3.0,)), (W, (2.5, 0.5), C2, (1.0,)),
]


def _id(case) -> str:
    pcls, pp, qcls, qp = case
    return f"{pcls.__name__}{pp}-{qcls.__name__}{qp}"


@pytest.mark.parametrize("case", FINITE, ids=_id)
def test_finite_pair_matches_quadrature(case):
    pcls, pp, qcls, qp = case
    value = dv.kl(pcls(*pp), qcls(*qp), method="closed_form")
    assert float(value) == pytest.approx(_reference_kl(*case), rel=1e-8, abs=1e-13)


def test_every_pair_in_the_brief_is_registered():
    pairs = set(dv.registered_pairs("kl"))
    for pcls, _, qcls, _ in FINITE:
        assert (pcls.__name__, qcls.__name__) in pairs


# torch 2.13.0's torch.distributions.kl_divergence on these cross-family pairs (equal to adaptive
# quadrature to >= 9 decimals), and TensorFlow Probability's closed form of Weibull || Gamma
# (its RegisterKL(Weibull, Gamma) at commit c847a41; the value evaluated and checked by quadrature):
# ln k - a ln(lam b) + lnGamma(a) + euler_gamma (a / k - 1) + lam b Gamma(1 / k + 1) - 1.
# Parameters in the order of the torch / TFP constructors.
PEERS = [
    (N(0.2, 1.3), L(-0.5, 2.0), 0.2970365346),
    (L(0.1, 0.7), N(1.0, 2.0), 0.4993634771),
    (G(2.0, 1.5), N(1.0, 1.0), 0.2471879764),
    (B(2.0, 3.0), N(0.3, 0.5), 0.5606980024),
    (E(1.5), GU(0.5, 2.0), 1.1449646845),
    (U(-1.0, 2.0), N(0.0, 1.0), 0.3203262445),
    (GU(0.0, 1.0), N(0.5, 2.0), 0.2412320896),
    (P(1.0, 3.0), N(0.0, 2.0), 1.7523646691),
    (B(2.0, 3.0), G(2.0, 1.0), 1.7182399831),
    (U(0.2, 0.8), B(2.0, 2.0), 0.2411570164),
    (W(1.7, 2.0), G(3.0, 1.2), 0.1801562399),
]


@pytest.mark.parametrize("p, q, expected", PEERS, ids=lambda v: type(v).__name__ if isinstance(v, dv.Distribution) else "")
def test_peer_reference_values(p, q, expected):
    assert float(dv.kl(p, q, method="closed_form")) == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------------------------
# Always infinite. Each case names a witness x0: p's density is positive there and q's is 0
# (the reason the divergence is infinite), checked below with the reference densities.
# --------------------------------------------------------------------------------------

INFINITE = [
    # p on (0, 1) or [0, 1]; a Pareto has no mass below its scale.
    (B, (2.0, 3.0), P, (0.5, 3.0), 0.25),
    (CB, (0.3,), P, (2.0, 1.0), 0.5),
    # p on (0, inf): mass above 1 (Beta, CB), below the scale (Pareto), above high (Uniform).
    (E, (1.5,), B, (2.0, 2.0), 2.0), (E, (1.5,), CB, (0.3,), 2.0),
    (E, (1.5,), P, (1.0, 2.0), 0.5), (E, (1.5,), U, (0.0, 5.0), 6.0),
    (G, (2.0, 1.5), B, (2.0, 2.0), 2.0), (G, (2.0, 1.5), CB, (0.3,), 2.0),
    (G, (2.0, 1.5), P, (1.0, 2.0), 0.5), (G, (2.0, 1.5), U, (-1.0, 5.0), 6.0),
    (C2, (3.0,), B, (2.0, 2.0), 2.0), (C2, (3.0,), CB, (0.7,), 2.0),
    (C2, (3.0,), P, (1.0, 2.0), 0.5), (C2, (3.0,), U, (0.0, 50.0), 60.0),
    # p on the whole line: mass below 0 where every q here is 0.
    *[(fam, prm, qcls, qp, -1.0)
      for fam, prm in ((GU, (0.0, 1.0)), (L, (0.0, 1.0)), (N, (0.0, 1.0)))
      for qcls, qp in ((B, (2.0, 2.0)), (CB, (0.3,)), (E, (1.5,)), (G, (2.0, 1.5)), (C2, (3.0,)), (P, (1.0, 2.0)))],
    (GU, (0.0, 1.0), U, (-5.0, 5.0), 6.0), (L, (0.0, 1.0), U, (-5.0, 5.0), 6.0), (N, (0.0, 1.0), U, (-5.0, 5.0), 6.0),
    # p on [scale, inf): mass above 1 and above any finite high.
    (P, (1.0, 3.0), B, (2.0, 2.0), 2.0), (P, (1.0, 3.0), CB, (0.3,), 2.0), (P, (1.0, 3.0), U, (0.0, 100.0), 150.0),
]


@pytest.mark.parametrize("case", INFINITE, ids=lambda c: f"{c[0].__name__}-{c[2].__name__}")
def test_support_mismatch_is_infinite(case):
    pcls, pp, qcls, qp, witness = case
    p_ref, q_ref = _scipy(pcls, pp), _scipy(qcls, qp)
    assert _logpdf(p_ref, witness) > -math.inf and _logpdf(q_ref, witness) == -math.inf
    assert float(dv.kl(pcls(*pp), qcls(*qp), method="closed_form")) == math.inf


def test_infinite_pair_broadcasts_in_the_parameters_dtype():
    value = dv.kl(N(np.zeros((2, 1), np.float32), 1.0), B(np.ones(3, np.float32), 2.0))
    assert value.shape == (2, 3) and value.dtype == np.float32 and np.all(np.isinf(value))


# --------------------------------------------------------------------------------------
# Infinite when a moment of the Pareto does not exist, and support conditions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qcls, qp, threshold",
    [(N, (0.5, 2.0), 2.0), (E, (0.7,), 1.0), (G, (1.5, 0.7), 1.0), (C2, (2.5,), 1.0)],
    ids=["Normal", "Exponential", "Gamma", "Chi2"],
)
def test_pareto_moment_conditions(qcls, qp, threshold):
    q = qcls(*qp)
    for alpha in (0.5 * threshold, threshold - 0.1, threshold):
        assert float(dv.kl(P(1.5, alpha), q, method="closed_form")) == math.inf
    alpha = threshold + 0.1
    got = float(dv.kl(P(1.5, alpha), q, method="closed_form"))
    assert got == pytest.approx(_reference_kl(P, (1.5, alpha), qcls, qp), rel=1e-8)


@pytest.mark.parametrize(
    "p, q, finite",
    [
        (U(-0.1, 0.5), B(2.0, 2.0), False), (U(0.5, 1.1), B(2.0, 2.0), False), (U(0.0, 1.0), B(2.0, 2.0), True),
        (U(-0.1, 0.5), CB(0.3), False), (U(0.5, 1.1), CB(0.3), False),
        (U(-0.1, 2.0), E(1.0), False), (U(-0.1, 2.0), G(2.0, 1.0), False), (U(-0.1, 2.0), C2(2.0), False),
        (U(0.9, 2.0), P(1.0, 2.0), False), (U(1.0, 2.0), P(1.0, 2.0), True),
        (B(2.0, 3.0), U(0.1, 1.0), False), (B(2.0, 3.0), U(0.0, 0.9), False),
        (CB(0.3), U(0.1, 1.0), False), (CB(0.3), U(0.0, 0.9), False),
    ],
)
def test_uniform_support_conditions(p, q, finite):
    assert math.isfinite(float(dv.kl(p, q, method="closed_form"))) is finite


def test_continuous_bernoulli_against_unit_uniform_is_finite_both_ways():
    # torch answers inf for both; the supports coincide, so the divergence is -H(p) resp. finite.
    assert float(dv.kl(CB(0.3), U(0.0, 1.0))) == pytest.approx(_reference_kl(CB, (0.3,), U, (0.0, 1.0)), rel=1e-9)
    assert float(dv.kl(U(0.0, 1.0), CB(0.3))) == pytest.approx(_reference_kl(U, (0.0, 1.0), CB, (0.3,)), rel=1e-9)


# --------------------------------------------------------------------------------------
# Accuracy where a naive form cancels
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.5, 0.5 + 1e-9, 0.5 - 3e-5, 0.3, 0.8807970, 0.8807971, 0.999, 1e-6, 1.0 - 1e-9])
def test_continuous_bernoulli_across_its_series_boundary(lam):
    # KL(CB || Normal(0.3, 0.8)) by 40-digit quadrature; the series/closed switch is at
    # lam = 1 / (1 + e^-2) = 0.88079708...
    with mpmath.workdps(40):
        lam_m = mpmath.mpf(lam)
        u = 1 - 2 * lam_m
        log_c = mpmath.log(2 if u == 0 else 2 * mpmath.atanh(u) / u)

        def integrand(x):
            lp = log_c + x * mpmath.log(lam_m) + (1 - x) * mpmath.log1p(-lam_m)
            lq = -mpmath.log(0.8) - mpmath.log(2 * mpmath.pi) / 2 - (x - mpmath.mpf("0.3")) ** 2 / (2 * mpmath.mpf("0.64"))
            return mpmath.exp(lp) * (lp - lq)

        expected = float(mpmath.quad(integrand, [0, 1]))
    got = float(dv.kl(CB(lam), N(0.3, 0.8)))
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("low, width", [(0.5, 1e-9), (0.3, 1e-4), (0.0, 0.2), (0.7, 0.3)])
def test_uniform_beta_narrow_interval(low, width):
    # 40-digit quadrature of log(p/q) over [low, low + width].
    with mpmath.workdps(40):
        # The interval the library sees: high is rounded to a double.
        lo = mpmath.mpf(low)
        w = mpmath.mpf(low + width) - lo
        a, b = mpmath.mpf(2.5), mpmath.mpf("0.7")
        log_b = mpmath.log(mpmath.beta(a, b))

        def integrand(x):
            return (-mpmath.log(w) - ((a - 1) * mpmath.log(x) + (b - 1) * mpmath.log1p(-x) - log_b)) / w

        expected = float(mpmath.quad(integrand, [lo, lo + w]))
    got = float(dv.kl(U(low, low + width), B(2.5, 0.7)))
    assert got == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------
# Batching, libraries, gradients, float32
# --------------------------------------------------------------------------------------

BATCHED = [
    (U, [[-0.1, 0.6], [0.0, 1.0], [0.2, 0.3]], B, [(2.0, 0.5, 1.0, 3.0), (2.0, 2.0, 0.7, 1.0)]),
    (P, [[1.0, 1.5], [2.0, 2.5], [0.5, 4.0]], N, [(0.0, 1.0, -2.0, 0.5), (1.0, 2.0, 0.5, 3.0)]),
    (CB, [[0.01], [0.5], [0.88], [0.95]], N, [(0.0, 1.0, 2.0), (1.0, 0.5, 3.0)]),
    (G, [[2.0, 1.0], [0.5, 0.7]], C2, [(1.0, 3.0, 0.5)]),
    (N, [[0.0, 1.0], [1.0, 2.0]], G, [(1.0, 2.0, 3.0), (1.0, 1.0, 1.0)]),
]


@pytest.mark.parametrize("case", BATCHED, ids=lambda c: f"{c[0].__name__}-{c[2].__name__}")
def test_batch_matches_loop(case):
    pcls, p_rows, qcls, q_cols = case
    p_params = [np.array(col)[:, None] for col in zip(*p_rows)]  # shape (m, 1)
    q_params = [np.array(c) for c in q_cols]  # shape (k,)
    value = dv.kl(pcls(*p_params), qcls(*q_params))
    assert value.shape == (len(p_rows), len(q_cols[0]))
    for i, row in enumerate(p_rows):
        for j in range(len(q_cols[0])):
            single = float(dv.kl(pcls(*row), qcls(*[c[j] for c in q_cols])))
            if math.isinf(single):
                assert value[i, j] == single
            else:
                assert value[i, j] == pytest.approx(single, rel=1e-14)


@pytest.mark.parametrize("case", FINITE, ids=_id)
def test_torch_value_and_gradient(case):
    torch = pytest.importorskip("torch")
    pcls, pp, qcls, qp = case
    tp, tq = torch_params(torch, pp), torch_params(torch, qp)
    value = dv.kl(pcls(*tp), qcls(*tq))
    assert isinstance(value, torch.Tensor)
    assert value.item() == pytest.approx(float(dv.kl(pcls(*pp), qcls(*qp))), rel=1e-13)
    value.backward()
    for t in (*tp, *tq):
        assert t.grad is not None and torch.isfinite(t.grad).all()


def test_torch_gradient_finite_where_the_batch_has_infinities():
    torch = pytest.importorskip("torch")
    low = torch.tensor([-0.1, 0.2], dtype=torch.float64, requires_grad=True)
    alpha = torch.tensor([1.5, 3.0], dtype=torch.float64, requires_grad=True)
    kl_u = dv.kl(U(low, 0.7), B(2.0, 2.0))
    kl_p = dv.kl(P(1.0, alpha), N(0.0, 1.0))
    assert torch.isinf(kl_u[0]) and torch.isfinite(kl_u[1]) and torch.isinf(kl_p[0]) and torch.isfinite(kl_p[1])
    (kl_u[1] + kl_p[1]).backward()
    assert torch.isfinite(low.grad).all() and torch.isfinite(alpha.grad).all()
    assert low.grad[0] == 0 and alpha.grad[0] == 0


def test_torch_infinite_pair_backpropagates_zero():
    torch = pytest.importorskip("torch")
    loc = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    value = dv.kl(N(loc, 1.0), E(2.0))
    assert torch.isinf(value).all()
    value.sum().backward()
    assert torch.equal(loc.grad, torch.zeros_like(loc))


ONE_PER_PAIR = list({(c[0], c[2]): c for c in reversed(FINITE)}.values())


@pytest.mark.parametrize("case", ONE_PER_PAIR, ids=_id)
def test_jax_matches_numpy(case):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    pcls, pp, qcls, qp = case
    got = dv.kl(pcls(*[jnp.asarray(v) for v in pp]), qcls(*[jnp.asarray(v) for v in qp]))
    assert float(got) == pytest.approx(float(dv.kl(pcls(*pp), qcls(*qp))), rel=1e-13)


@pytest.mark.parametrize("case", FINITE, ids=_id)
def test_float32_stays_float32(case):
    pcls, pp, qcls, qp = case
    value = dv.kl(pcls(*[np.float32(v) for v in pp]), qcls(*[np.float32(v) for v in qp]))
    assert np.asarray(value).dtype == np.float32
    assert float(value) == pytest.approx(float(dv.kl(pcls(*pp), qcls(*qp))), rel=2e-5, abs=1e-6)
