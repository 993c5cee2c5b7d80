"""Total variation of laws whose densities or mass functions cross once (or twice: Gamma laws
of two shapes, whose log-ratio is concave or convex in log x, ``_gamma_two_shapes``, and Beta
laws, in logit x; by bisection for the crossings, the masses between them by the incomplete
gamma and beta functions).

Weibull laws of one shape (Exponential laws among them), Gumbel, Laplace and Logistic laws of
one scale (the last section) have elementary forms. Poisson, Binomial and Geometric laws:

Within each of these families the ratio of two mass functions is monotone in ``k`` (a
monotone likelihood ratio), so ``p_k - q_k`` changes sign once, after some ``k*``, and the
total variation is the difference of the two distribution functions there:
``TV = |F_p(k*) - F_q(k*)|``. The crossing solves ``log(p_k / q_k) = 0``, linear in ``k``:

    Poisson(lo), Poisson(hi):          k* = floor((hi - lo) / log(hi / lo))
    Binomial(n, lo), Binomial(n, hi):  k* = floor(n L2 / (L1 + L2)), L1 = log(hi / lo),
                                       L2 = log((1 - lo) / (1 - hi))
    Geometric(lo), Geometric(hi):      k* = floor(L1 / L2)

(``lo < hi`` the smaller and the larger parameter; at an integer ``k*`` the two masses there
are equal and either side gives the same value).

Where the laws are apart, ``F`` and its complement come from the regularised incomplete gamma
and beta functions (whichever pair is the smaller, so that the difference loses nothing it
need not). Where they are near, the difference of ``F``'s cancels (drift: 1e-8 of values of
order 1/2), so it is taken as the integral of its derivative in the parameter,

    F_lo(k) - F_hi(k) = int_lo^hi pois(k; t) dt   (Poisson),  int_lo^hi n binom(k; n - 1, t) dt  (Binomial),

by ten-point Gauss-Legendre on ``[lo, hi]`` while that interval is at most two standard
deviations of the integrand wide (it is a Gamma or a Beta density in ``t``, analytic; the
distribution functions' difference is then at most about 0.7, so the incomplete functions
take over where they no longer cancel). The mass functions there are Loader's forms,
``-rel_entr(k, t) - log(2 pi k) / 2 - S(k)`` with ``S`` the remainder of Stirling's series (``_loader``),
whose terms do not cancel (``k log t - t - lgamma(k + 1)`` loses ``k log k``'s rounding:
1e-9 relative at ``k`` = 1e6). The Geometric's functions are powers: ``TV = (1 - lo)^(k* + 1)
- (1 - hi)^(k* + 1) = (1 - lo)^(k* + 1) (-expm1(-(k* + 1) L2))``, exact as it stands.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import is_eager
from .._double_double import product
from .._special import (
    digamma,
    full_like,
    has_special,
    incomplete,
    lgamma_bregman,
    log1pmx,
    log_ratio,
    substitute,
    where0,
)
from ._closed_univariate import _gamma_params, _GammaLike, _one_parameter, _partial, _where_shared
from ._families import (
    Beta,
    Binomial,
    Chi,
    Chi2,
    Exponential,
    Gamma,
    Geometric,
    Gumbel,
    InverseGamma,
    Laplace,
    Logistic,
    Moyal,
    Poisson,
    Weibull,
)
from ._gauss_legendre import GL_UNIT
from ._loader import binomial_log_pmf, poisson_log_pmf
from ._registry import NoClosedForm, Partial, register

__all__: list[str] = []

Array = Any

# The integral's interval at most this many standard deviations of its integrand wide.
_NEAR_WIDTH = 2.0


def _ordered(a: Array, b: Array, xp: Any) -> tuple[Array, Array, Array, Array]:
    """The smaller and the larger parameter, their gap, and where it is not 0."""
    lo, hi = xp.minimum(a, b), xp.maximum(a, b)
    gap = hi - lo
    return lo, hi, gap, gap > 0


def _integral(lo: Array, gap: Array, log_density: Any, xp: Any) -> Array:
    """``int_lo^(lo + gap) exp(log_density(t, s)) dt`` by ten-point Gauss-Legendre, ``s = t -
    lo`` given apart: a node's ``t`` rounds to an ulp of ``lo``, a large share of a narrow
    interval (the density's slope there cost 6e-13 of the integral at rate 1e12), so the
    density takes its offset from the crossing from ``s``."""
    total = 0.0
    for node, weight in GL_UNIT:
        s = gap * node
        total = total + weight * xp.exp(log_density(lo + s, s))
    return gap * total


def _constant(k: Array) -> Array:
    """``k`` without a gradient: a crossing is piecewise constant in the parameters, and torch
    has no derivative of its incomplete gamma functions in their shape, which it would ask
    for even where that derivative is 0. (So the Gamma form of one shape, whose shape is a
    parameter, has no torch gradient in it where the laws are apart.)"""
    detach = getattr(k, "detach", None)
    return detach() if detach is not None else k


# --------------------------------------------------------------------------------------
# Poisson
# --------------------------------------------------------------------------------------


def _gamma_interval(k: Array, lo: Array, gap: Array, hi: Array, start: Array, xp: Any) -> Array:
    """``P(k + 1, hi) - P(k + 1, lo)``, the Gamma(k + 1) law's mass between ``lo`` and ``hi =
    lo + gap`` (``start = k - lo``, as exactly as the caller has it): the integral of the
    density where the interval is at most ``_NEAR_WIDTH`` standard deviations wide, else the
    incomplete gamma functions (``_gamma_apart``)."""
    near = gap <= _NEAR_WIDTH * xp.sqrt(k + 1.0)
    value = _integral(lo, where0(near, gap, xp), lambda t, s: poisson_log_pmf(k, t, xp, start - s), xp)
    if not (is_eager(xp) and bool(xp.all(near))):
        value = xp.where(near, value, _gamma_apart(k, lo, hi, xp))
    return value


@register("total_variation", Poisson, Poisson)
def _tv_poisson_poisson(p: Poisson, q: Poisson, *, xp: Any) -> Array:
    lo, hi, gap, apart = _ordered(p.rate, q.rate, xp)
    crossing = xp.floor(gap / substitute(apart, log_ratio(hi, substitute(apart, lo, 1.0, xp), xp), 1.0, xp))
    k = _constant(where0(apart, crossing, xp))
    return where0(apart, _gamma_interval(k, lo, gap, hi, k - lo, xp), xp)  # (k - lo exact: k is in the interval)


def _gamma_apart(k: Array, lo: Array, hi: Array, xp: Any) -> Array:
    """``F_lo(k) - F_hi(k)`` from the incomplete gamma functions of shape ``k + 1``."""
    return _difference(*_gamma_tails(k + 1.0, lo, xp), *_gamma_tails(k + 1.0, hi, xp), xp)


def _gamma_tails(a: Array, x: Array, xp: Any) -> tuple[Array, Array]:
    """``P(a, x)`` and ``Q(a, x)`` as :func:`_tails`, the lower tail our own where it lies
    beyond ``_TAIL_SD`` standard deviations below the shape (SciPy's, and torch's port of it,
    there: 3% off at shape 1e7 and 5 sd)."""
    lower, upper = _tails("gammainc", x, (a,), xp)
    tail = (a >= _TAIL_FROM) & (x <= a - _TAIL_SD * xp.sqrt(a))
    if not is_eager(xp) or bool(xp.any(tail)):
        lower = xp.where(tail, _gamma_lower_tail(substitute(tail, a - 1.0, _TAIL_FROM, xp), substitute(tail, x, 1.0, xp), xp),
                         lower)
        upper = xp.where(tail, 1.0 - lower, upper)
    return lower, upper


def _gamma_tails_at(a: Array, b: Array, x: Array, xp: Any) -> tuple[Array, Array]:
    """:func:`_gamma_tails` of the Gamma(a, b) law at ``x``: at ``b x`` rounded, moved by the
    density there times the product's rounding. Two laws' masses at one crossing are
    stationary in it only where both are read at the same point; their products rounded
    apart had cost the density times an ulp of ``b x`` (5e-11 of a TV at shape 1e12, where a
    standard deviation is 1e-6 of the mean)."""
    z, rounding = product(b, x)
    lower, upper = _gamma_tails(a, z, xp)
    shift = xp.exp(poisson_log_pmf(a - 1.0, z, xp)) * rounding
    return lower + shift, upper - shift


def _tails(name: str, x: Array, shapes: tuple[Array, ...], xp: Any) -> tuple[Array, Array]:
    """The regularised incomplete function ``name`` and its complement at ``x``, the larger
    as 1 less the smaller (each is accurate where it is small: SciPy's ``betainc`` near 1
    erred by 3e-13 absolute where 1 less its complement is exact)."""
    lower, upper = incomplete(name, x, xp, *shapes), incomplete(name + "c", x, xp, *shapes)
    small = lower <= upper
    return xp.where(small, lower, 1.0 - upper), xp.where(small, 1.0 - lower, upper)


def _difference(s_lo: Array, f_lo: Array, s_hi: Array, f_hi: Array, xp: Any) -> Array:
    """``F_lo(k) - F_hi(k) = S_hi(k) - S_lo(k)``, whichever pair is the smaller."""
    return xp.where(f_lo <= s_hi, f_lo - f_hi, s_hi - s_lo)


# Gauss-Laguerre nodes and weights: int_0^inf e^-v f(v) dv for the smooth f of a tail.
_LAGUERRE = tuple(zip(*(column.tolist() for column in np.polynomial.laguerre.laggauss(16)), strict=True))
_TAIL_SD, _TAIL_FROM = 4.5, 100.0


def _gamma_lower_tail(k: Array, x: Array, xp: Any) -> Array:
    """``P(k + 1, x)``, the regularised lower incomplete gamma function, for ``x`` at least
    ``_TAIL_SD`` standard deviations below ``k + 1 >= _TAIL_FROM``: with ``t = x - v / c``,
    ``c = (k - x) / x`` the log-density's slope at ``x``, it is ``g(x) / c int_0^inf e^-v
    exp(k log1pmx(-v / (k - x))) dv``, ``g`` the Poisson mass of ``k`` at ``x``; the factor
    after ``e^-v`` is a Gaussian in ``v`` at least 4.5 wide, which sixteen Laguerre nodes
    integrate to round-off (against mpmath: within 1e-14 to shape 1e9). ``k - x`` is exact,
    from the two themselves (``k / x - 1`` lost 2e-11 of it at shape 1e12)."""
    offset = k - x
    total = 0.0
    for node, weight in _LAGUERRE:
        z = node / offset
        inside = z < 1.0  # (nodes beyond t = 0 weigh less than e^-40)
        total = total + weight * where0(inside, xp.exp(k * log1pmx(-where0(inside, z, xp), xp)), xp)
    return xp.exp(poisson_log_pmf(k, x, xp)) * (x / offset) * total


# --------------------------------------------------------------------------------------
# Binomial (equal counts)
# --------------------------------------------------------------------------------------


@register("total_variation", Binomial, Binomial)
def _tv_binomial_binomial(p: Binomial, q: Binomial, *, xp: Any) -> Array:
    same = _one_parameter(p.total_count, q.total_count, "total count", xp)
    n = p.total_count
    lo, hi, gap, apart = _ordered(p.probs, q.probs, xp)
    lo_s, hi_s = substitute(apart, lo, 0.25, xp), substitute(apart, hi, 0.5, xp)
    up, down = lo_s > 0, hi_s < 1  # (a parameter 0 or 1: the crossing is at the end)
    l1 = log_ratio(hi_s, substitute(up, lo_s, 0.25, xp), xp)
    l2 = xp.log1p(gap / substitute(down, 1.0 - hi_s, 1.0, xp))
    crossing = xp.floor(n * l2 / (l1 + l2))
    k = xp.where(up, xp.where(down, xp.clip(crossing, 0.0, xp.maximum(n - 1.0, 0.0)), n - 1.0), 0.0)
    k = _constant(where0(apart & (n > 0), k, xp))
    mean = (k + 1.0) / (n + 1.0)
    near = gap <= _NEAR_WIDTH * xp.sqrt(mean * (1.0 - mean) / (n + 1.0))
    m = n - 1.0
    at_lo, error = product(m, lo)
    start = (k - at_lo) - error  # k - m lo, to an ulp of itself
    value = n * _integral(lo, where0(near, gap, xp), lambda t, s: binomial_log_pmf(k, m, t, start - m * s, xp), xp)
    if not (is_eager(xp) and bool(xp.all(near))):
        if not (has_special("betainc", xp) and has_special("betaincc", xp)):
            raise NoClosedForm("total_variation(Binomial): this array library has no regularised incomplete beta function")
        # F_p(k) = 1 - I_p(k + 1, n - k), betaincc; S_p(k) = I_p(k + 1, n - k), betainc
        shapes = (k + 1.0, xp.maximum(n - k, 1.0))
        value = xp.where(near, value, _difference(*_tails("betainc", lo, shapes, xp), *_tails("betainc", hi, shapes, xp), xp))
    return _where_shared(where0(apart & (n > 0), value, xp), same, xp)


# --------------------------------------------------------------------------------------
# Geometric
# --------------------------------------------------------------------------------------


@register("total_variation", Geometric, Geometric)
def _tv_geometric_geometric(p: Geometric, q: Geometric, *, xp: Any) -> Array:
    lo, hi, gap, apart = _ordered(p.probs, q.probs, xp)
    lo_s = substitute(apart, lo, 0.25, xp)
    down = hi < 1
    l1 = log_ratio(substitute(apart, hi, 0.5, xp), lo_s, xp)
    l2 = xp.log1p(gap / substitute(down, 1.0 - hi, 1.0, xp))  # inf at hi = 1: k* = 0
    steps = xp.floor(l1 / substitute(apart, l2, 1.0, xp)) + 1.0
    value = xp.exp(steps * xp.log1p(-lo_s)) * -xp.expm1(-steps * substitute(down, l2, 1.0, xp))
    return where0(apart, xp.where(down, value, 1.0 - lo_s), xp)


# --------------------------------------------------------------------------------------
# One shape or one scale: Weibull, Exponential, Gamma, Gumbel, Laplace, Logistic
# --------------------------------------------------------------------------------------


def _weibull_like(size: Array, xp: Any) -> Array:
    """``(1 - e^-L) exp(-L / expm1(L))`` for ``L >= 0``: the total variation of two Weibull
    laws of one shape ``k``, ``L = k |log(scale2 / scale1)|`` (the densities cross once, where
    ``t = (x / scale)^k`` is ``L / expm1(L)`` for the wider law and ``e^L`` times it for the
    other, and ``F = 1 - e^-t``), and of two Gumbel laws of one scale, ``L`` the locations'
    distance in it (the same law of ``-log`` of a Weibull variable). Exponential: ``k = 1``.
    Every factor keeps its relative accuracy as ``L -> 0``."""
    positive = size > 0
    capped = xp.minimum(substitute(positive, size, 1.0, xp), 1e4)  # (1 from some 40 on; inf * 0 beyond)
    return where0(positive, -xp.expm1(-capped) * xp.exp(-capped / xp.expm1(capped)), xp)


@register("total_variation", Weibull, Weibull)
def _tv_weibull_weibull(p: Weibull, q: Weibull, *, xp: Any) -> Array:
    k1, k2 = xp.broadcast_arrays(p.shape, q.shape)
    one = _weibull_like(k1 * xp.abs(log_ratio(q.scale, p.scale, xp)), xp)
    return _one_or_two_shapes(one, k1, xp.log(p.scale), k2, xp.log(q.scale), "Weibull", xp)


@register("total_variation", Weibull, Exponential)
def _tv_weibull_exponential(p: Weibull, q: Exponential, *, xp: Any) -> Array:
    # Exponential(rate) is Weibull(1, 1 / rate). Of shape 1: the distance of the rates in logs,
    # log(rate scale) from the exact product (its rounding, 1e-4 of a distance of 1e-12)
    k1, rate = xp.broadcast_arrays(p.shape, q.rate)
    high, low = product(rate, p.scale)
    one = _weibull_like(xp.abs(xp.log1p((high - 1.0) + low)), xp)
    return _one_or_two_shapes(one, k1, xp.log(p.scale), xp.ones_like(k1), -xp.log(rate), "Weibull, Exponential", xp)


@register("total_variation", Exponential, Exponential)
def _tv_exponential_exponential(p: Exponential, q: Exponential, *, xp: Any) -> Array:
    # Weibull laws of shape 1 (1 + t with t = l2/l1 - 1 had lost a ratio of 1e-18: NaN)
    return _weibull_like(xp.abs(log_ratio(q.rate, p.rate, xp)), xp)


def _one_shape(a: Array, size: Array, xp: Any) -> Array:
    """Total variation of Gamma laws of one shape ``a`` whose rates are ``size = |log(b2 /
    b1)|`` apart: the densities cross once, where the rate-1 variables are ``y = a L / expm1(L)``
    and ``y e^L``, ``a L`` apart, and the value is the Gamma(a) law's mass between them."""
    apart = size > 0
    step = substitute(apart, size, 1.0, xp)
    lo, gap = a * (step / xp.expm1(step)), a * step
    k = a - 1.0
    return where0(apart, _gamma_interval(k, lo, gap, a * (step / -xp.expm1(-step)), k - lo, xp), xp)


def _tv_gamma_gamma(p: _GammaLike, q: _GammaLike, *, xp: Any) -> Array:
    # One shape a: the densities cross once, at x* = a L / (b_hi - b_lo), L = log(b_hi / b_lo),
    # where the rate-1 variables are y = a L / expm1(L) and y e^L, a L apart: the Gamma(a)
    # law's mass between them (_gamma_interval). Two shapes: _gamma_two_shapes. InverseGamma:
    # the same laws of 1 / X; Chi, of X^2; Exponential and Chi2 are Gamma laws.
    a1, b1, a2, b2 = xp.broadcast_arrays(*_gamma_params(p, xp), *_gamma_params(q, xp))
    shared = a1 == a2
    kind = is_eager(xp)
    if not kind or bool(xp.any(shared)):
        a, rate = substitute(shared, a1, 1.0, xp), substitute(shared, b2, 1.0, xp)
        value = _one_shape(a, xp.abs(log_ratio(rate, substitute(shared, b1, 1.0, xp), xp)), xp)
        if kind and bool(xp.all(shared)):
            return value
    else:  # (no element of one shape: nothing of that form to compute)
        value = xp.zeros_like(a1)
    other = ~shared
    # (where the shapes are one, a harmless pair of two)
    two, unsettled = _gamma_two_shapes(substitute(other, a1, 1.0, xp), substitute(other, b1, 1.0, xp),
                                       substitute(other, a2, 2.0, xp), substitute(other, b2, 1.0, xp), xp)
    return _settled(xp.where(shared, value, two), unsettled & other, "total_variation(Gamma): two shapes whose "
                    "crossings lie beyond the doubles or whose masses cancel", xp)


# (the measure is symmetric: one order of each pair serves both)
for _p, _q in [*itertools.combinations_with_replacement((Gamma, Exponential, Chi2), 2), (InverseGamma, InverseGamma),
               (Chi, Chi)]:
    if (_p, _q) != (Exponential, Exponential):  # (its own form: one shape)
        register("total_variation", _p, _q)(_tv_gamma_gamma)


@register("total_variation", Gumbel, Gumbel)
def _tv_gumbel_gumbel(p: Gumbel, q: Gumbel, *, xp: Any) -> Array:
    # -X is log of a Weibull variable of shape 1 / scale and log scale -loc: its forms.
    s1, s2 = xp.broadcast_arrays(p.scale, q.scale)
    one = _weibull_like(xp.abs(q.loc - p.loc) / s1, xp)
    return _one_or_two_shapes(one, 1.0 / s1, -p.loc, 1.0 / s2, -q.loc, "Gumbel", xp)


def _one_or_two_shapes(one: Array, k1: Array, a1: Array, k2: Array, a2: Array, name: str, xp: Any) -> Array:
    """``one`` (the form of one shape) where ``k1 == k2``, elsewhere :func:`_weibull_two_shapes`
    of Weibull(k1, e^a1) and Weibull(k2, e^a2); the numerical route where that is not settled."""
    shared = k1 == k2
    if is_eager(xp) and bool(xp.all(shared)):
        return one
    other = ~shared
    two, unsettled = _weibull_two_shapes(substitute(other, k1, 1.0, xp), where0(other, a1, xp),
                                         substitute(other, k2, 2.0, xp), where0(other, a2, xp), xp)
    return _settled(xp.where(shared, one, two), other & unsettled, f"total_variation({name}): two shapes whose "
                    "masses between the crossings cancel", xp)


def _weibull_two_shapes(k1: Array, a1: Array, k2: Array, a2: Array, xp: Any) -> tuple[Array, Array]:
    """Total variation of Weibull(k1, e^a1) and Weibull(k2, e^a2), ``k1 != k2``, and where it
    is not settled (:func:`_between_crossings`). In ``t = log x`` the log-ratio is ``h(t) =
    log(k1/k2) + E1 - E2 - e^E1 + e^E2``, ``Ei = ki (t - ai)``: ``h'`` tends to ``k1 - k2`` at
    -inf and to the other sign at +inf, and has two roots at most (``h''`` changes sign once),
    so exactly one: ``h`` has one extremum and two crossings at most, sought on each side of it
    by bisection. The masses ``F = -expm1(-e^E)``, ``S = exp(-e^E)``."""
    log_shapes = xp.log(k1) - xp.log(k2)

    def exponents(t: Array) -> tuple[Array, Array]:
        return k1 * (t - a1), k2 * (t - a2)

    def growth(e1: Array, e2: Array) -> Array:  # e^e2 - e^e1, without inf - inf
        top = xp.maximum(e1, e2)
        gap = -xp.expm1(-xp.abs(e1 - e2))
        return xp.where(e1 == e2, 0.0 * top, xp.where(e2 > e1, 1.0, -1.0) * xp.exp(top) * gap)

    def h(t: Array) -> Array:
        e1, e2 = exponents(t)
        return log_shapes + (e1 - e2) + growth(e1, e2)

    def slope(t: Array) -> Array:  # k1 - k2 - k1 e^E1 + k2 e^E2
        e1, e2 = exponents(t)
        return (k1 - k2) + growth(e1 + xp.log(k1), e2 + xp.log(k2))

    def tails(t: Array) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
        e1, e2 = exponents(t)
        return (-xp.expm1(-xp.exp(e1)), xp.exp(-xp.exp(e1))), (-xp.expm1(-xp.exp(e2)), xp.exp(-xp.exp(e2)))

    # where the laws' masses lie: e^E from e^-745 to 745 for both
    span = (xp.minimum(a1 - 745.0 / k1, a2 - 745.0 / k2), xp.maximum(a1 + _LOG_745 / k1, a2 + _LOG_745 / k2))
    extremum, _ = _bisect(slope, *span, xp)
    return _between_crossings(h, xp.ones_like(extremum, dtype=xp.bool), extremum, span, tails, xp)  # (one extremum: two)


_LOG_745 = math.log(745.0)


def _interval(f1: Array, s1: Array, f2: Array, s2: Array, xp: Any) -> Array:
    """A law's mass between two points, from their masses below (``f``) and above (``s``):
    from the lower tail where it holds half the mass or less, from the upper where that does."""
    return xp.where(f2 <= 0.5, f2 - f1, xp.where(s1 <= 0.5, s1 - s2, (1.0 - f1) - s2))


@register("total_variation", Laplace, Laplace)
def _tv_laplace_laplace(p: Laplace, q: Laplace, *, xp: Any) -> Array:
    # One scale: one crossing, midway: F1 - F2 there is 1 - e^(-d / 2b). Two: in p's units z,
    # the log-ratio h(z) = -|z| + |z - m| / r + log r (m = (m2 - m1) / b1, r = b2 / b1) is
    # piecewise linear, concave where r > 1 (its peak at p's centre) and convex where r < 1
    # (its trough at q's): two crossings at most (_between_crossings), the masses elementary.
    b1, b2 = p.scale, q.scale
    shared = b1 == b2
    value = -xp.expm1(-xp.abs(q.loc - p.loc) / (2.0 * b1))
    if is_eager(xp) and bool(xp.all(shared)):
        return value
    other = ~shared
    r = substitute(other, b2, 2.0, xp) / substitute(other, b1, 1.0, xp)
    m = where0(other, q.loc - p.loc, xp) / substitute(other, b1, 1.0, xp)
    log_r = xp.log(r)

    def h(z: Array) -> Array:
        return xp.abs(z - m) / r - xp.abs(z) + log_r

    def tails(z: Array) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
        return _laplace_tails(z), _laplace_tails((z - m) / r)

    def _laplace_tails(z: Array) -> tuple[Array, Array]:  # the standard law's masses below and above z
        half = 0.5 * xp.exp(-xp.abs(z))
        return xp.where(z < 0, half, 1.0 - half), xp.where(z < 0, 1.0 - half, half)

    two, unsettled = _between_crossings(h, r != 1.0, xp.where(r > 1.0, 0.0 * m, m), (-_Z_RANGE, _Z_RANGE), tails, xp)
    return _settled(xp.where(shared, value, two), other & unsettled, "total_variation(Laplace): two scales whose "
                    "masses between the crossings cancel", xp)


@register("total_variation", Moyal, Moyal)
def _tv_moyal_moyal(p: Moyal, q: Moyal, *, xp: Any) -> Array:
    # exp(-X / s) is Gamma(1/2) with rate exp(mu / s) / 2: laws of one shape (_one_shape)
    same = _one_parameter(p.scale, q.scale, "scale", xp)
    size = xp.abs(q.loc - p.loc) / p.scale
    return _where_shared(_one_shape(full_like(size, 0.5, xp), size, xp), same, xp)


# The bisections' bracket for the Laplace crossings, in p's units.
_Z_RANGE = 1e6


@register("total_variation", Logistic, Logistic)
def _tv_logistic_logistic(p: Logistic, q: Logistic, *, xp: Any) -> Array:
    # one crossing, midway: sigmoid(d / 2s) - sigmoid(-d / 2s) = tanh(d / 4s)
    same = _one_parameter(p.scale, q.scale, "scale", xp)
    return _where_shared(xp.tanh(xp.abs(q.loc - p.loc) / (4.0 * p.scale)), same, xp)


# The bisections' bracket in s = log x, the doubles' range, and their steps (a crossing to
# 2^-60 of it: the value is stationary in the crossings, p = q there).
_S_RANGE, _BISECTIONS = (-744.0, 709.0), 64
# Where the two laws' masses between the crossings cancel beyond this share, the numerical
# route answers (their rounding would be this many ulps of the value).
_CANCELLED = 2.0**-10


def _gamma_two_shapes(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> tuple[Array, Array]:
    """Total variation of Gamma laws of different shapes, and where it is not settled. In ``s
    = log x`` the log-ratio ``h(s) = (a1 - a2) s - (b1 - b2) e^s + K`` is concave or convex,
    with its extremum at ``s0 = log((a1 - a2) / (b1 - b2))`` where that ratio is positive (two
    crossings, by bisection on each side; TV is the difference of the laws' masses between
    them) and monotone elsewhere (one crossing, the difference of the distribution functions
    there). The value is stationary in the crossings (p = q there), so their rounding and K's
    weigh nothing to first order. Not settled: a crossing beyond the doubles, or masses that
    cancel beyond ``_CANCELLED`` (nearly equal laws: the numerical route keeps the digits)."""
    da, db = a1 - a2, b1 - b2
    # K = a1 log b1 - a2 log b2 - lgamma(a1) + lgamma(a2) = da log b2 + a1 log(b1 / b2) - da
    # psi(a1) + B, B the Bregman divergence of log Gamma from a1 to a2: K's terms of the order
    # of a log a each, subtracted, had cost ulps of them (a standard deviation of the law's
    # crossing at shape 1e14, and a TV of 0 for 0.38 at 1e16).
    centre = digamma(a1, xp) - xp.log(b2)
    offset = a1 * log_ratio(b1, b2, xp) + lgamma_bregman(a1, -da, xp, end=a2)
    # The crossings are sought in t = log x - c, c the centre within the doubles' range, and x
    # read as e^c e^t: in log x itself their resolution was an ulp of log x (7e-15 of x, 1e-6
    # of a standard deviation at shape 1e16: 2.6e-13 of the TV).
    c = xp.clip(centre, *_S_RANGE)
    scale = xp.exp(c)
    lost = c - centre  # (0 unless clipped)

    def h(t: Array) -> Array:
        return da * (t + lost) - xp.where(db != 0, db * (scale * xp.exp(t)), 0.0) + offset

    two = (da * db > 0) & (da != 0)
    t0 = xp.clip(xp.log(xp.where(two, da / xp.where(db != 0, db, 1.0), 1.0)), *_S_RANGE) - c

    def tails(t: Array) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
        x = scale * xp.exp(t)
        return _gamma_tails_at(a1, b1, x, xp), _gamma_tails_at(a2, b2, x, xp)

    return _between_crossings(h, two, t0, (_S_RANGE[0] - c, _S_RANGE[1] - c), tails, xp)


def _settled(value: Array, unsettled: Array, what: str, xp: Any) -> Array | Partial:
    """``value`` where a crossing form settles it, the numerical route elsewhere (:func:`_partial`)."""
    return _partial(value, unsettled, f"{what} (the numerical route keeps the digits)", xp)


def _between_crossings(h: Callable[[Array], Array], two: Array, extremum: Array, span: tuple[Array, Array],
                       tails: Callable[[Array], tuple[tuple[Array, Array], tuple[Array, Array]]],
                       xp: Any) -> tuple[Array, Array]:
    """Total variation of two laws whose log-ratio ``h`` (in a variable ranging over ``span``)
    is concave or convex where ``two`` (crossings on each side of its ``extremum``; TV the
    difference of the laws' masses between them) and monotone elsewhere (one crossing; the
    difference of the distribution functions there); ``tails(v)`` the two laws' masses below
    and above the point ``v``, each accurate where small. And where it is not settled: a
    crossing beyond the span, or masses that cancel beyond ``_CANCELLED`` (nearly equal laws:
    the numerical route keeps the digits). Stationary in the crossings (p = q there)."""
    low, high = xp.zeros_like(extremum) + span[0], xp.zeros_like(extremum) + span[1]
    first, found_first = _bisect(h, low, xp.where(two, extremum, high), xp)
    second, found_second = _bisect(h, xp.where(two, extremum, low), high, xp)
    (p1, q1), (p2, q2) = tails(first), tails(second)

    in_p, in_q = _interval(*p1, *p2, xp), _interval(*q1, *q2, xp)
    (fp, sp), (fq, sq) = p1, q1
    value = xp.where(two, xp.abs(in_p - in_q), xp.abs(xp.where(fp <= sp, fp - fq, sq - sp)))
    size = xp.where(two, xp.maximum(in_p, in_q), xp.maximum(xp.minimum(fp, sp), xp.minimum(fq, sq)))
    found = found_first & (found_second | ~two)
    return value, ~found | (value < _CANCELLED * size)


# --------------------------------------------------------------------------------------
# Beta: two crossings at most
# --------------------------------------------------------------------------------------

# The logit range the crossings are sought in (x and 1 - x from 1e-323 up), and the largest
# concentration a + b at which the incomplete beta function keeps the masses' digits.
_T_RANGE, _BETAINC_MAX = 744.0, 1e8


@register("total_variation", Beta, Beta)
def _tv_beta_beta(p: Beta, q: Beta, *, xp: Any) -> Array:
    # In t = logit x the log-ratio h(t) = -c softplus(-t) - e softplus(t) + K (c = a1 - a2,
    # e = b1 - b2) is concave or convex where c and e share a sign (two crossings, on each side
    # of its extremum t0 = log(c / e)) and monotone elsewhere (one): bisection, and the laws'
    # masses between the crossings (below the one) by the incomplete beta function, each side
    # of x = 1/2 from its own end (x rounds to 1 near 1). Stationary in the crossings, as the
    # Gamma form. Not settled: masses that cancel (nearly equal laws), crossings beyond the
    # doubles, concentrations beyond 1e8. K = log B(a2, b2) - log B(a1, b1) is written, as the
    # Gamma form's constant, as -c E log X - e E log(1 - X) (X ~ p) plus three Bregman
    # divergences of log Gamma: log B's terms, of the order of n log n, subtracted, would cost
    # their ulps (1e-3 at shapes 1e12).
    if not has_special("betainc", xp):
        raise NoClosedForm("total_variation(Beta): this array library has no regularised incomplete beta function")
    a1, b1, a2, b2 = xp.broadcast_arrays(p.a, p.b, q.a, q.b)
    c, e = a1 - a2, b1 - b2
    n1 = a1 + b1
    log_x, log_y = digamma(a1, xp) - digamma(n1, xp), digamma(b1, xp) - digamma(n1, xp)
    bregman = (lgamma_bregman(a1, -c, xp, end=a2) + lgamma_bregman(b1, -e, xp, end=b2)
               - lgamma_bregman(n1, -(c + e), xp, end=a2 + b2))

    def h(t: Array) -> Array:
        return -c * (xp.logaddexp(0.0 * t, -t) + log_x) - e * (xp.logaddexp(0.0 * t, t) + log_y) + bregman

    two = c * e > 0
    t0 = xp.clip(xp.log(xp.where(two, c / xp.where(e != 0, e, 1.0), 1.0)), -_T_RANGE, _T_RANGE)
    value, unsettled = _between_crossings(h, two, t0, (-_T_RANGE, _T_RANGE),
                                          lambda t: (_beta_tails(a1, b1, t, xp), _beta_tails(a2, b2, t, xp)), xp)
    same = (c == 0) & (e == 0)
    # (the incomplete beta function loses digits at concentrations beyond _BETAINC_MAX: 3.5e-12
    # of a TV at 2e9, 4e-11 at 4e12, where the numerical route keeps 7e-14)
    unsettled = ~same & (unsettled | (xp.maximum(n1, a2 + b2) > _BETAINC_MAX))
    return _settled(xp.where(same, 0.0 * value, value), unsettled, "total_variation(Beta): laws whose masses between "
                    "the crossings cancel, crossings beyond the doubles, or concentrations beyond 1e8", xp)


def _bisect(h: Callable[[Array], Array], lo: Array, hi: Array, xp: Any) -> tuple[Array, Array]:
    """A sign change of ``h`` in ``[lo, hi]`` by bisection (without a gradient: see
    :func:`_constant`), and whether there is one."""
    h_lo = h(lo)
    bracketed = (h_lo > 0) != (h(hi) > 0)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        same = (h(mid) > 0) == (h_lo > 0)
        lo, hi = xp.where(same, mid, lo), xp.where(same, hi, mid)
    return _constant(0.5 * (lo + hi)), bracketed


def _beta_tails(a: Array, b: Array, t: Array, xp: Any) -> tuple[Array, Array]:
    """The Beta(a, b) law's masses below and above ``x = 1 / (1 + e^-t)``, each accurate where
    small (:func:`_tails`): below x = 1/2 from x, above it from ``1 - x = 1 / (1 + e^t)`` as the
    mirrored law's (Beta(b, a)), where x itself rounds to 1. Both laws take the same side of a
    crossing, so their masses are read at one point (stationary in it). JAX has no complement
    of the incomplete beta function: there each mass is the mirrored law's below ``1 - x``, the
    larger 1 less the smaller (within some 1e-14 of a value: x and 1 - x round apart)."""
    if not has_special("betaincc", xp):
        below = incomplete("betainc", 1.0 / (1.0 + xp.exp(-t)), xp, a, b)
        above = incomplete("betainc", 1.0 / (1.0 + xp.exp(t)), xp, b, a)
        small = below <= above
        return xp.where(small, below, 1.0 - above), xp.where(small, 1.0 - below, above)
    lower = t <= 0
    x = 1.0 / (1.0 + xp.exp(-xp.where(lower, t, 0.0 * t)))
    y = 1.0 / (1.0 + xp.exp(xp.where(lower, 0.0 * t, t)))
    below, above = _tails("betainc", x, (a, b), xp)
    mirror_above, mirror_below = _tails("betainc", y, (b, a), xp)
    return xp.where(lower, below, mirror_below), xp.where(lower, above, mirror_above)
