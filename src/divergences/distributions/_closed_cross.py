"""Closed-form KL divergences between different one-dimensional continuous families.

The pairs are those of ``torch.distributions.kl`` (section "Different distributions") and the
cross-family pairs of TensorFlow Probability (Weibull, Chi2 and Gamma), each derived again as
``KL(p || q) = -H(p) - E_p[log q]`` and written in array-API form. Where torch assigns
``inf`` into a result by boolean masks, the forms here take both branches through
``xp.where`` with a harmless substitute in the branch not taken, so the value is ``inf``
exactly where it should be and the gradient stays finite everywhere.

Families related to others are reduced to them: ``Exponential(rate)`` is ``Gamma(1, rate)``
and ``Chi2(df)`` is ``Gamma(df / 2, 1 / 2)``, so Chi2 has every closed form Gamma has (torch's
``Chi2`` subclasses ``Gamma`` and dispatches the same way).

Differences from torch, on purpose: the continuous Bernoulli against a uniform on exactly
``[0, 1]`` (either way round) is finite here (torch answers ``inf`` because it compares with
``>=``); the continuous Bernoulli's mean, variance and log normaliser use series near
``probs = 1/2`` with enough terms for full float64 accuracy instead of torch's two-term Taylor
window; ``E[log X]`` of a uniform avoids the cancellation of ``(h log h - l log l) / (h - l)``
for narrow intervals.
"""

from __future__ import annotations

import math
from typing import Any

from .._array_api import is_eager
from .._double_double import below_max, product, product_pair, two_sum
from .._special import (
    HALF_LOG_2PI,
    digamma,
    erfc,
    expm1mx,
    full_like,
    log1pmx,
    log_ratio,
    product_difference,
    substitute,
    where0,
)
from ._beta_gamma import beta_gamma_large
from ._closed_univariate import (
    _any,
    _beta_kl,
    _beta_neg_entropy,
    _beta_negentropy,
    _constant_like,
    _entropy_part,
    _gamma_kl,
    _gamma_kl_of,
    _gamma_negentropy,
    _gamma_params,
    _lgamma1p_linear,
    _near_one,
    _normal_kl,
    _scale_family_kl,
)
from ._families import (
    Beta,
    Chi2,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    Laplace,
    Normal,
    Pareto,
    Uniform,
    Weibull,
)
from ._registry import register_kl
from ._stirling_cross import beta_cross_entropy, gamma_cross_entropy_less_log
from ._uniform_moments import _xlogx, jensen_gap, log_width, mean_log_uniform

Array = Any

_EULER = 0.57721566490153286061

# Taylor coefficients (k = 1, 2, ...) of sinh(y)/y - 1, (y cosh y - sinh y)/y^3 and
# (sinh^2 y - y^2)/y^4; on |y| <= 1 the omitted terms are below 1e-18.
_SINHC = tuple(1.0 / math.factorial(2 * k + 1) for k in range(1, 11))
_COTH_N = tuple(2.0 * k / math.factorial(2 * k + 1) for k in range(1, 12))
_SINH2_M = tuple(2.0 ** (2 * k - 1) / math.factorial(2 * k) for k in range(2, 15))


def _poly(y2: Array, coefficients: tuple[float, ...], xp: Any) -> Array:
    """``sum_k coefficients[k] * y2**k`` by Horner's rule."""
    out = full_like(y2, coefficients[-1], xp)
    for c in reversed(coefficients[:-1]):
        out = out * y2 + c
    return out


# --------------------------------------------------------------------------------------
# Pieces: entropies, moments, the continuous Bernoulli's log normaliser
# --------------------------------------------------------------------------------------


def _cb_eta(d: ContinuousBernoulli, xp: Any) -> Array:
    """The natural parameter ``log(p / (1 - p))``: the density is ``exp(eta x - A(eta))`` on [0, 1].
    Near p = 1/2 as ``2 atanh(2p - 1)`` (``2p - 1`` exact there): the difference of two logs
    would leave eta with an absolute error of an ulp of log 2, all of it at eta ~ 1e-9."""
    centred = 2.0 * d.probs - 1.0
    middle = xp.abs(centred) <= 0.5
    return xp.where(middle, 2.0 * xp.atanh(where0(middle, centred, xp)),
                    xp.log(d.probs) - xp.log1p(-d.probs))


def _cb_parts(eta: Array, xp: Any) -> tuple[Array, Array, Array, Array]:
    """``y = eta / 2``, ``log(sinh(y)/y)``, ``coth y - 1/y`` and the variance ``A''`` of the
    continuous Bernoulli (whose log normaliser is ``A = y + log(sinh(y)/y)``).

    ``A(eta) = log((e^eta - 1) / eta) = y + log(sinh(y) / y)`` with ``y = eta / 2``, so
    ``A' = 1/2 + (coth y - 1/y) / 2`` and ``A'' = (1/y^2 - 1/sinh^2 y) / 4``. Each has a
    removable singularity at ``y = 0``: series on ``|y| <= 1``, closed expressions beyond.
    """
    y = 0.5 * eta
    small = xp.abs(y) <= 1.0
    ys = where0(small, y, xp)
    y2 = ys * ys
    sinhc_m1 = y2 * _poly(y2, _SINHC, xp)  # sinh(y)/y - 1
    sinhc = 1.0 + sinhc_m1
    log_sinhc_small = xp.log1p(sinhc_m1)
    dlog_small = ys * _poly(y2, _COTH_N, xp) / sinhc
    d2log_small = _poly(y2, _SINH2_M, xp) / (sinhc * sinhc)

    yl = substitute(~small, y, 2.0, xp)
    a = xp.abs(yl)
    e = xp.exp(-2.0 * a)
    log_sinhc_large = a + xp.log1p(-e) - xp.log(2.0 * a)
    dlog_large = 1.0 / xp.tanh(yl) - 1.0 / yl
    d2log_large = 1.0 / (yl * yl) - 4.0 * e / xp.expm1(-2.0 * a) ** 2

    log_sinhc = xp.where(small, log_sinhc_small, log_sinhc_large)
    dlog = xp.where(small, dlog_small, dlog_large)
    return y, log_sinhc, dlog, 0.25 * xp.where(small, d2log_small, d2log_large)


def _cb_cross_entropy(eta: Array, centred_mean: Array, xp: Any) -> Array:
    """``-E[log q(X)]`` for ``q`` a continuous Bernoulli and ``2 E[X] - 1 = centred_mean`` (X in
    [0, 1]): ``A(eta) - eta E[X] = log(sinh(y)/y) - y centred_mean`` with ``y = eta / 2``, no
    first-order terms to cancel near eta = 0."""
    y, log_sinhc, _, _ = _cb_parts(eta, xp)
    return log_sinhc - y * centred_mean


def _normal_cross_entropy(mean: Array, var: Array, q: Normal, xp: Any) -> Array:
    """``-E[log q(X)]`` for ``q`` normal and ``X`` of the given mean and variance."""
    return HALF_LOG_2PI + xp.log(q.scale) + (var + (mean - q.loc) ** 2) / (2.0 * q.scale**2)


def _inf_where(cond: Array, value: Array, xp: Any) -> Array:
    return xp.where(cond, full_like(value, math.inf, xp), value)


# --------------------------------------------------------------------------------------
# Beta || .
# --------------------------------------------------------------------------------------


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p: Beta, q: ContinuousBernoulli, *, xp: Any) -> Array:
    return _beta_neg_entropy(p.a, p.b, xp) + _cb_cross_entropy(_cb_eta(q, xp), (p.a - p.b) / (p.a + p.b), xp)


@register_kl(Beta, Exponential)
@register_kl(Beta, Gamma)
@register_kl(Beta, Chi2)
def _kl_beta_gamma(p: Beta, q: Gamma | Exponential | Chi2, *, xp: Any) -> Array:
    shape, rate = _gamma_params(q, xp)
    a, b = p.a, p.b
    mean_log = digamma(a, xp) - digamma(a + b, xp)
    direct = (_beta_neg_entropy(a, b, xp) + mean_log) + gamma_cross_entropy_less_log(a / (a + b), mean_log, shape, rate, xp)
    return beta_gamma_large(a, b, shape, rate, direct, xp)


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal, *, xp: Any) -> Array:
    # As Gamma || Normal: the Beta's negentropy (to 0 as both parameters grow) plus the exact
    # Normal form, the means' difference (a - loc c) / c from exact products, c = a + b as
    # an exact sum (its rounding, eps sqrt(c) of the scale, would be most of a nearby difference).
    # The variance part as Gamma || Normal's, var_p / s^2 - 1 = (a b - (c s)^2 (c + 1)) / ((c
    # s)^2 (c + 1)) in pairs of doubles (the rounded scale was 3e-5 relative off a KL at a =
    # b = 1e12 where s matched it to 1e-11).
    a, b = p.a, p.b
    c, rounding = two_sum(a, b)  # a + b = c + rounding exactly
    difference = (product_difference(a, 1.0, q.loc, c) - q.loc * rounding) / c
    big = below_max(c, 1e60, xp)  # (the range of the exact products)
    ok = (c <= big) & (q.scale >= 1.0 / big) & (q.scale <= big) & (a * b >= 1e-200)
    a_, b_, c_, e_, s_ = (substitute(ok, v, 1.0, xp) for v in (a, b, c, rounding, q.scale))
    cs = product_pair((c_, where0(ok, e_, xp)), (s_, 0.0 * s_))
    c1 = two_sum(c_, 1.0 + 0.0 * c_)
    denominator = product_pair(product_pair(cs, cs), (c1[0], c1[1] + where0(ok, e_, xp)))
    numerator = product(a_, b_)
    y = ((numerator[0] - denominator[0]) + (numerator[1] - denominator[1])) / denominator[0]
    log_ratio = xp.log(a_) + xp.log(b_) - xp.log(denominator[0])
    exact = 0.5 * (difference / q.scale) ** 2 + _variance_part(y, log_ratio, xp)
    scale = xp.sqrt(a / c) * xp.sqrt(b / c) / xp.sqrt(c + 1.0)
    return _beta_negentropy(a, b, xp) + _or_plain(ok, exact, difference, scale, q, xp)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform, *, xp: Any) -> Array:
    value = _beta_neg_entropy(p.a, p.b, xp) + log_width(q.low, q.high, xp)  # (exact near Beta(1, 1))
    return _inf_where((q.low > 0.0) | (q.high < 1.0), value, xp)


# --------------------------------------------------------------------------------------
# ContinuousBernoulli || .
# --------------------------------------------------------------------------------------


def _cb_neg_entropy(p: ContinuousBernoulli, xp: Any) -> tuple[Array, Array, Array]:
    """(-H(p), mean, variance)."""
    y, log_sinhc, dlog, var = _cb_parts(_cb_eta(p, xp), xp)
    # eta mean - A = y (coth y - 1/y) - log(sinh(y)/y): the first-order y's cancel exactly.
    return y * dlog - log_sinhc, 0.5 + 0.5 * dlog, var


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p: ContinuousBernoulli, q: Exponential, *, xp: Any) -> Array:
    neg_h, mean, _ = _cb_neg_entropy(p, xp)
    direct = neg_h - xp.log(q.rate) + q.rate * mean
    # For eta = -lam <= -1 (probs below 0.27) p is the Exponential(lam) cut at 1: KL = -log1pmx(t)
    # - log1p(-e^-lam) - lam t / expm1(lam), t = rate / lam - 1, the Exponential form plus the
    # cut's two terms (the direct sum cancelled terms of the order of log lam: 3.6e-4 relative
    # off at probs 1e-12, 7e8x at 1e-300)
    eta = _cb_eta(p, xp)
    cut = eta <= -1.0
    lam = -substitute(cut, eta, -1.0, xp)
    rate = substitute(cut, q.rate, 1.0, xp)
    t = (rate - lam) / lam
    below = t < -0.5  # log r of the rates themselves (1 + t loses a small ratio's digits)
    ts = substitute(~below, t, 0.0, xp)
    exponential = xp.where(below, t - (xp.log(rate) - xp.log(lam)), -log1pmx(ts, xp))
    value = exponential - xp.log1p(-xp.exp(-lam)) - lam * t / xp.expm1(lam)
    return xp.where(cut, value, direct)


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p: ContinuousBernoulli, q: Normal, *, xp: Any) -> Array:
    neg_h, mean, var = _cb_neg_entropy(p, xp)
    return neg_h + _normal_cross_entropy(mean, var, q, xp)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p: ContinuousBernoulli, q: Uniform, *, xp: Any) -> Array:
    neg_h, _, _ = _cb_neg_entropy(p, xp)
    value = neg_h + log_width(q.low, q.high, xp)
    # The support is [0, 1]: a uniform on exactly [0, 1] covers it (torch says inf there).
    return _inf_where((q.low > 0.0) | (q.high < 1.0), value, xp)


# --------------------------------------------------------------------------------------
# Gamma, Exponential, Chi2 || .
# --------------------------------------------------------------------------------------


@register_kl(Exponential, Gamma)
@register_kl(Exponential, Chi2)
@register_kl(Gamma, Exponential)
@register_kl(Gamma, Chi2)
@register_kl(Chi2, Exponential)
@register_kl(Chi2, Gamma)
def _kl_gamma_family(p: Gamma | Exponential | Chi2, q: Gamma | Exponential | Chi2, *, xp: Any) -> Array:
    # Exponential(b) is Gamma(1, b) and Chi2(k) is Gamma(k/2, 1/2): the Gamma/Gamma form, exact
    # as q -> p (a difference of the two laws' log-normalisers would cancel there).
    return _gamma_kl_of(p, q, xp=xp)


@register_kl(Exponential, Gumbel)
@register_kl(Gamma, Gumbel)
@register_kl(Chi2, Gumbel)
def _kl_gamma_gumbel(p: Gamma | Exponential | Chi2, q: Gumbel, *, xp: Any) -> Array:
    # -H(p) + log s + E[Z] + E[exp(-Z)], Z = (X - loc) / s, E[exp(-X / s)] = (1 + u)^-shape with
    # u = 1 / (rate s) (the Gamma's Laplace transform). With z = E[Z] (from an exact product)
    # and w = -shape log1pmx(u) >= 0, E[Z] + E[exp(-Z)] = 1 + w + expm1mx(w - z): no terms of
    # the order of sqrt(shape) to cancel (1.7e-9 relative off at shape 1e12), and -H(p) + log s
    # = _entropy_part(shape) + log(rate s), whose log(shape) parts are of that order only.
    shape, rate = _gamma_params(p, xp)
    rs = rate * q.scale
    z = product_difference(shape, 1.0 + 0.0 * rate, q.loc, rate) / rs
    w = -shape * log1pmx(1.0 / rs, xp)
    return _entropy_part(shape, xp) + xp.log(rs) + 1.0 + w + expm1mx(w - z, xp)


@register_kl(Exponential, Normal)
@register_kl(Gamma, Normal)
@register_kl(Chi2, Normal)
def _kl_gamma_normal(p: Gamma | Exponential | Chi2, q: Normal, *, xp: Any) -> Array:
    # KL(P || q) = [h(N(mean, var)) - h(P)] + KL(N(mean, var) || q) for P's mean and variance:
    # two terms >= 0, the first a function of the shape alone (1/(3 shape) for large shapes,
    # where the two entropies would cancel to it), the second the exact Normal form, given
    # the means' difference (shape - loc rate) / rate from an exact product: the rounding of
    # the mean itself, eps sqrt(shape) of the scale, would be most of a nearby difference.
    # The Normal form's variance part from the exact ratio of the variances: var_p / s^2 - 1 =
    # (shape - (rate s)^2) / (rate s)^2 by exact products (the rounded scale sqrt(shape) / rate,
    # an ulp or two, was 3e-11 relative of a KL where s matched it to 1e-11).
    shape, rate = _gamma_params(p, xp)
    difference = product_difference(shape, 1.0, q.loc, rate) / rate
    spread = rate * q.scale
    ok = (spread >= 1e-140) & (spread <= below_max(spread, 1e140, xp)) & (shape <= below_max(shape, 1e280, xp))
    ks, rs, ss = (substitute(ok, v, 1.0, xp) for v in (shape, rate, q.scale))
    square = product_pair(product(rs, ss), product(rs, ss))  # (rate s)^2 in a pair of doubles
    y = ((ks - square[0]) - square[1]) / square[0]
    exact = 0.5 * (difference / q.scale) ** 2 + _variance_part(y, xp.log(ks) - xp.log(square[0]), xp)
    return _gamma_negentropy(shape, xp) + _or_plain(ok, exact, difference, xp.sqrt(shape) / rate, q, xp)


def _or_plain(ok: Array, exact: Array, difference: Array, scale: Array, q: Normal, xp: Any) -> Array:
    """``exact`` where ``ok`` (the range of its exact products), the Normal form from the
    rounded scale elsewhere; that form only where some element needs it (eager arrays)."""
    if is_eager(xp) and not _any(~ok, xp):
        return exact
    return xp.where(ok, exact, _normal_kl(difference, scale, 0.0 * difference, q.scale, xp))


def _variance_part(y: Array, log_ratio: Array, xp: Any) -> Array:
    """``(r - 1 - log r) / 2`` for a ratio of variances ``r = 1 + y`` (``y`` from exact
    products, ``log_ratio`` its logarithm from logarithms): ``-log1pmx(y) / 2``, no
    cancellation, but for a ratio below 1/2 (where ``1 + y`` loses its digits)."""
    below = y < -0.5
    return xp.where(below, 0.5 * (y - log_ratio), -0.5 * log1pmx(substitute(~below, y, 0.0, xp), xp))


# --------------------------------------------------------------------------------------
# Gumbel, Laplace, Normal || Normal, Gumbel, Laplace
# --------------------------------------------------------------------------------------


def _via_normal(negentropy: Array, difference: Array, scale: Array, q: Normal, xp: Any) -> Array:
    """KL(P || q) for ``q`` normal, as Gamma || Normal: ``P``'s negentropy (the entropy of the
    normal law of its variance less its own, a constant for a location-scale family) plus the
    exact Normal form between that normal law and ``q``, from the means' difference and
    ``P``'s standard deviation (a mean of ``loc + c scale`` rounds away a small scale)."""
    return negentropy + _normal_kl(difference, scale, 0.0 * difference, q.scale, xp)


# The negentropies of the Gumbel, Laplace and uniform laws (the Normal's entropy of their
# variance, pi^2/6 s^2, 2 s^2 and w^2/12, less their own, log s + gamma + 1, log(2 s) + 1
# and log w).
_GUMBEL_NEGENTROPY = HALF_LOG_2PI + 0.5 * math.log(math.pi**2 / 6.0) - _EULER - 0.5
_LAPLACE_NEGENTROPY = HALF_LOG_2PI - 0.5 - 0.5 * math.log(2.0)
_UNIFORM_NEGENTROPY = HALF_LOG_2PI + 0.5 - 0.5 * math.log(12.0)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal, *, xp: Any) -> Array:
    return _via_normal(_GUMBEL_NEGENTROPY, (p.loc - q.loc) + _EULER * p.scale, (math.pi / math.sqrt(6.0)) * p.scale,
                       q, xp)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p: Laplace, q: Normal, *, xp: Any) -> Array:
    return _via_normal(_LAPLACE_NEGENTROPY, p.loc - q.loc, math.sqrt(2.0) * p.scale, q, xp)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel, *, xp: Any) -> Array:
    # E_p[exp(-(X - loc_q) / s)] is the normal's moment generating function at -1/s.
    z = (p.loc - q.loc) / q.scale
    r = p.scale / q.scale
    return -(0.5 + HALF_LOG_2PI) - xp.log(r) + z + xp.exp(0.5 * r * r - z)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace, *, xp: Any) -> Array:
    # E_p|X - loc_q| = s sqrt(2/pi) exp(-d^2 / (2 s^2)) + d erf(d / (s sqrt 2)), d = loc_p - loc_q.
    d = p.loc - q.loc
    u = d / p.scale
    mean_abs = p.scale * math.sqrt(2.0 / math.pi) * xp.exp(-0.5 * u * u) + d * (1.0 - erfc(u / math.sqrt(2.0), xp))
    return xp.log(q.scale) - xp.log(p.scale) + mean_abs / q.scale - 0.5 * (1.0 + math.log(0.5 * math.pi))


# --------------------------------------------------------------------------------------
# Pareto || .  (infinite when the needed moment of the Pareto does not exist)
# --------------------------------------------------------------------------------------


@register_kl(Pareto, Exponential)
@register_kl(Pareto, Gamma)
@register_kl(Pareto, Chi2)
def _kl_pareto_gamma(p: Pareto, q: Gamma | Exponential | Chi2, *, xp: Any) -> Array:
    # E_p[X] = alpha scale / (alpha - 1) exists only for alpha > 1; q's tail exp(-rate x) makes
    # the divergence infinite otherwise.
    shape, rate = _gamma_params(q, xp)
    ok = p.alpha > 1.0
    alpha = substitute(ok, p.alpha, 2.0, xp)
    mean = p.scale * (1.0 + 1.0 / (alpha - 1.0))
    mean_log = xp.log(p.scale) + 1.0 / alpha
    # the Jensen gap log(alpha / (alpha - 1)) - 1/alpha, and rate mean / shape - 1 from the
    # exact rate scale - shape, for large shapes (gamma_cross_entropy_less_log)
    steep = alpha < 2.0  # (1 - 1/alpha from the exact alpha - 1 there)
    gap = xp.where(steep, xp.log(alpha / (alpha - 1.0)) - 1.0 / alpha,
                   -log1pmx(-1.0 / substitute(~steep, alpha, 2.0, xp), xp))
    excess = rate * mean / shape - 1.0
    excess = xp.where(xp.abs(excess) <= 0.5, (alpha * product_difference(rate, p.scale, shape, 1.0 + 0.0 * shape)
                                              + shape) / (shape * (alpha - 1.0)), excess)
    # -H(p) + E log X = log alpha - 1: the scale's logarithms cancel
    value = (xp.log(alpha) - 1.0) + gamma_cross_entropy_less_log(mean, mean_log, shape, rate, xp, gap, excess)
    return _inf_where(~ok, value, xp)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Pareto, q: Normal, *, xp: Any) -> Array:
    # The variance alpha scale^2 / ((alpha - 1)^2 (alpha - 2)) exists only for alpha > 2.
    # The mean is scale + m, m = scale / (alpha - 1), and the negentropy a function of alpha
    # alone, 1/(2 alpha) and beyond from 0.5 log(2 pi e) - 1 (the Exponential's) on.
    ok = p.alpha > 2.0
    alpha = substitute(ok, p.alpha, 3.0, xp)
    m = p.scale / (alpha - 1.0)
    # log(1 - 2/alpha) from the exact alpha - 2 near 2, where the variance grows without bound
    near_two = alpha < 4.0
    log_tail = xp.where(near_two, xp.log((alpha - 2.0) / alpha), xp.log1p(-2.0 / substitute(~near_two, alpha, 4.0, xp)))
    negentropy = HALF_LOG_2PI - 0.5 - xp.log1p(-1.0 / alpha) - 0.5 * log_tail - 1.0 / alpha
    value = _via_normal(negentropy, (p.scale - q.loc) + m, m * xp.sqrt(alpha / (alpha - 2.0)), q, xp)
    return _inf_where(~ok, value, xp)


# --------------------------------------------------------------------------------------
# Uniform || .  (infinite when the interval leaves q's support)
# --------------------------------------------------------------------------------------


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta, *, xp: Any) -> Array:
    ok = (p.low >= 0.0) & (p.high <= 1.0)
    low = substitute(ok, p.low, 0.25, xp)
    high = substitute(ok, p.high, 0.75, xp)
    mean_log = mean_log_uniform(low, high, xp)
    mean_log1m = mean_log_uniform(1.0 - high, 1.0 - low, xp, xp.log1p(-low), high - low)  # (1 - x rounds)
    # for large parameters (beta_cross_entropy): a / c - mean from exact sums and products,
    # a - mean c = (2a - (low + high)(a + b)) / 2
    total, total_rounding = two_sum(low, high)
    c, c_rounding = two_sum(q.a, q.b)
    difference = (product_difference(2.0 * q.a, 1.0 + 0.0 * c, total, c) - total * c_rounding
                  - total_rounding * c) / (2.0 * c)
    moments = (0.5 * total, difference, jensen_gap(low, high, xp), jensen_gap(1.0 - high, 1.0 - low, xp, high - low))
    value = -log_width(low, high, xp) + beta_cross_entropy(q.a, q.b, mean_log, mean_log1m, xp, moments)
    # Uniform(0, 1) is Beta(1, 1): near both, -log(width) + KL(Beta(1, 1) || q) - (a - 1)
    # (E log X + 1) - (b - 1) (E log(1 - X) + 1), the Beta/Beta form exact as q -> p and the
    # last two terms of the order of the interval's offsets from [0, 1]
    unit = (high - low >= 0.5) & _near_one(q.a, q.b, xp)
    if not is_eager(xp) or _any(unit, xp):
        one = xp.ones_like(q.a)
        lu, hu = substitute(unit, low, 0.0, xp), substitute(unit, high, 1.0, xp)
        offset = (_xlogx(hu, xp) - _xlogx(lu, xp)) / (hu - lu)  # E log X + 1
        offset1m = (_xlogx(1.0 - lu, xp) - _xlogx(1.0 - hu, xp)) / (hu - lu)
        near = (-log_width(lu, hu, xp) + _beta_kl(one, one, q.a - 1.0, q.b - 1.0, xp)
                - (q.a - 1.0) * offset - (q.b - 1.0) * offset1m)
        value = xp.where(unit, near, value)
    return _inf_where(~ok, value, xp)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p: Uniform, q: ContinuousBernoulli, *, xp: Any) -> Array:
    ok = (p.low >= 0.0) & (p.high <= 1.0)
    low = substitute(ok, p.low, 0.25, xp)
    high = substitute(ok, p.high, 0.75, xp)
    value = -log_width(low, high, xp) + _cb_cross_entropy(_cb_eta(q, xp), (low - 1.0) + high, xp)
    return _inf_where(~ok, value, xp)


@register_kl(Uniform, Exponential)
@register_kl(Uniform, Gamma)
@register_kl(Uniform, Chi2)
def _kl_uniform_gamma(p: Uniform, q: Gamma | Exponential | Chi2, *, xp: Any) -> Array:
    shape, rate = _gamma_params(q, xp)
    ok = p.low >= 0.0
    low = substitute(ok, p.low, 1.0, xp)
    high = substitute(ok, p.high, 2.0, xp)
    mean_log = mean_log_uniform(low, high, xp)
    # for large shapes (gamma_cross_entropy_less_log): rate mean / shape - 1 from the exact low + high
    total, rounding = two_sum(low, high)
    excess = (product_difference(rate, total, 2.0 * shape, 1.0 + 0.0 * shape) + rate * rounding) / (2.0 * shape)
    cross = gamma_cross_entropy_less_log(0.5 * total, mean_log, shape, rate, xp, jensen_gap(low, high, xp), excess)
    value = (mean_log - log_width(low, high, xp)) + cross
    return _inf_where(~ok, value, xp)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel, *, xp: Any) -> Array:
    # E_p[exp(-z)] = exp(-z_low) (1 - exp(-w)) / w with w the interval's width in q's scale.
    w = (p.high - p.low) / q.scale
    z_low = (p.low - q.loc) / q.scale
    z_mid = z_low + 0.5 * w
    return -xp.log(w) + z_mid + xp.exp(-z_low) * (-xp.expm1(-w)) / w


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal, *, xp: Any) -> Array:
    width = p.high - p.low
    return _via_normal(_UNIFORM_NEGENTROPY, (p.low - q.loc) + 0.5 * width, width / math.sqrt(12.0), q, xp)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto, *, xp: Any) -> Array:
    # -log(width / scale) - log(alpha) + (alpha + 1) E[log(X / scale)], the last from the
    # exact ratio of the upper end to the scale (the two may be close: an interval just above
    # the scale against a large alpha)
    ok = p.low >= q.scale
    low = substitute(ok, p.low, 1.0, xp)
    high = substitute(ok, p.high, 2.0, xp)
    scale = substitute(ok, q.scale, 1.0, xp)
    mean_log = mean_log_uniform(low, high, xp, log_ratio(high, scale, xp))
    value = -xp.log((high - low) / scale) - xp.log(q.alpha) + (q.alpha + 1.0) * mean_log
    return _inf_where(~ok, value, xp)


# --------------------------------------------------------------------------------------
# Weibull || Gamma (TFP), and the Gamma's special cases
# --------------------------------------------------------------------------------------


@register_kl(Weibull, Gamma)
@register_kl(Weibull, Exponential)
@register_kl(Weibull, Chi2)
def _kl_weibull_gamma(p: Weibull, q: Gamma | Exponential | Chi2, *, xp: Any) -> Array:
    # -H(p) = log(k / lambda) - gamma (1 - 1/k) - 1, E log X = log lambda - gamma / k, E X =
    # lambda Gamma(1 + 1/k); the Jensen gap log E X - E log X = lgamma(1 + 1/k) + gamma / k by
    # its series and rate E X / shape - 1 from an exact product, for large shapes
    # (gamma_cross_entropy_less_log: 5.7e-2 relative off at shapes 1e6 and 6e11)
    shape, rate = _gamma_params(q, xp)
    k, lam = p.shape, p.scale
    y = 1.0 / k
    gap = _lgamma1p_linear(y, xp)
    log_gamma = gap - _EULER * y  # lgamma(1 + 1/k)
    excess = product_difference(rate, lam, shape, 1.0 + 0.0 * shape) / shape
    small = xp.abs(excess) <= 0.5
    log_excess = xp.where(small, xp.log1p(where0(small, excess, xp)), xp.log(rate) + xp.log(lam) - xp.log(shape))
    cross = gamma_cross_entropy_less_log(lam * xp.exp(log_gamma), xp.log(lam) - _EULER * y, shape, rate, xp,
                                         gap, xp.expm1(log_excess + log_gamma))
    direct = (xp.log(k) - _EULER - 1.0) + cross  # -H(p) + E log X = log k - gamma - 1
    # Near Weibull(1) = Exponential the direct sum cancels (3e-6 relative at shape 1.00001,
    # everything at 1 + 1e-11): there, through the Exponential law E of p's mean.
    near = xp.abs(1.0 - k) <= 0.5 * k
    if is_eager(xp) and not _any(near, xp):
        return direct
    args = (substitute(near, k, 1.0, xp), substitute(near, lam, 1.0, xp), substitute(near, shape, 1.0, xp),
            substitute(near, rate, 1.0, xp))
    return xp.where(near, _kl_weibull_gamma_near(*args, xp), direct)


def _kl_weibull_gamma_near(k: Array, lam: Array, shape: Array, rate: Array, xp: Any) -> Array:
    """KL(Weibull(k, lam) || Gamma(shape, rate)) for ``|1/k - 1| <= 1/2``: ``KL(P || E) + KL(E ||
    Q) - (shape - 1) (E_P log X - E_E log X)``, ``E`` the Exponential law of ``P``'s mean (both
    log densities are linear in ``log x`` and ``x``): Weibull || Weibull's form, the Gamma form
    and ``E_P log X - E_E log X = -(lgamma(1 + x) + gamma x) - log1p(x)``, ``x = 1/k - 1``, each
    second order (or first, against ``shape - 1``) and kept to relative accuracy."""
    x = (1.0 - k) / k
    g = _lgamma1p_linear(x, xp)
    log_gamma = g - _EULER * x + xp.log1p(x)  # lgamma(1 + 1/k) = lgamma(2 + x)
    # log(rate lam) from the exact product near 1 (q near the Exponential of p's scale)
    excess = product_difference(rate, lam, 1.0 + 0.0 * rate, 1.0 + 0.0 * lam)
    near = xp.abs(excess) <= 0.5
    log_product = xp.where(near, xp.log1p(where0(near, excess, xp)), xp.log(rate) + xp.log(lam))
    ratio = xp.exp(log_product + log_gamma)  # rate / rate_E = rate lam Gamma(1 + 1/k)
    to_e = _scale_family_kl(x, -log_gamma, xp)
    one = _constant_like(ratio, 1.0, xp)
    to_q = _gamma_kl(one, one, shape - 1.0, xp.expm1(log_product + log_gamma), xp, b2=ratio, a2=shape)
    return to_e + to_q + (shape - 1.0) * (g + xp.log1p(x))


# --------------------------------------------------------------------------------------
# Always infinite: p has mass where q's density is zero
# --------------------------------------------------------------------------------------


@register_kl(Beta, Pareto)
@register_kl(ContinuousBernoulli, Pareto)
@register_kl(Exponential, Beta)
@register_kl(Exponential, ContinuousBernoulli)
@register_kl(Exponential, Pareto)
@register_kl(Exponential, Uniform)
@register_kl(Gamma, Beta)
@register_kl(Gamma, ContinuousBernoulli)
@register_kl(Gamma, Pareto)
@register_kl(Gamma, Uniform)
@register_kl(Chi2, Beta)
@register_kl(Chi2, ContinuousBernoulli)
@register_kl(Chi2, Pareto)
@register_kl(Chi2, Uniform)
@register_kl(Gumbel, Beta)
@register_kl(Gumbel, ContinuousBernoulli)
@register_kl(Gumbel, Exponential)
@register_kl(Gumbel, Gamma)
@register_kl(Gumbel, Chi2)
@register_kl(Gumbel, Pareto)
@register_kl(Gumbel, Uniform)
@register_kl(Laplace, Beta)
@register_kl(Laplace, ContinuousBernoulli)
@register_kl(Laplace, Exponential)
@register_kl(Laplace, Gamma)
@register_kl(Laplace, Chi2)
@register_kl(Laplace, Pareto)
@register_kl(Laplace, Uniform)
@register_kl(Normal, Beta)
@register_kl(Normal, ContinuousBernoulli)
@register_kl(Normal, Exponential)
@register_kl(Normal, Gamma)
@register_kl(Normal, Chi2)
@register_kl(Normal, Pareto)
@register_kl(Normal, Uniform)
@register_kl(Pareto, Beta)
@register_kl(Pareto, ContinuousBernoulli)
@register_kl(Pareto, Uniform)
def _kl_infinite(p: Any, q: Any, *, xp: Any) -> Array:
    """``+inf`` over the broadcast batch: ``p`` has mass where ``q``'s density is zero.

    The value depends on every parameter through ``0 * x`` so that it broadcasts, keeps the
    parameters' dtype and library, and back-propagates a zero gradient instead of failing.
    """
    zero = 0.0
    for v in (*p.params().values(), *q.params().values()):
        zero = zero + 0.0 * v
    return zero + math.inf
