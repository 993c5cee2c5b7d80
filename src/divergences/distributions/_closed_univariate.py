"""Closed forms between one-dimensional continuous families of the same kind.

KL is registered for every same-family pair of torch.distributions and TFP (Normal,
HalfNormal, LogNormal, Laplace, Cauchy, Gumbel, Exponential, Gamma, Chi2, Chi, Beta, Uniform,
Pareto, Weibull, VonMises, Moyal, ContinuousBernoulli), together with the cross entropy
``H(p) + KL(p || q)``. Where a closed form is standard the other measures follow:

- exponential families (Gamma, Exponential, Chi2, Chi, Beta, VonMises, ContinuousBernoulli):
  Renyi from the log-normaliser ``A`` of the natural parameters ``t``,
  ``D_alpha = [A(alpha t1 + (1 - alpha) t2) - alpha A(t1) - (1 - alpha) A(t2)] / (alpha - 1)``,
  infinite where the mixed parameter leaves the parameter space (for the Gamma family as the
  same quantity with its first-order terms cancelled, ``[alpha KL(m || p) + (1 - alpha)
  KL(m || q)] / (1 - alpha)`` with ``m`` at the mixed parameters, as accurate as KL near
  ``p = q``);
- Normal: Renyi, Bhattacharyya, total variation (through the crossing points of the
  densities); HalfNormal and LogNormal share every f-divergence of the Normal (the first by
  the symmetry of both densities about 0, the second by invariance under the common
  bijection ``exp``), and Chi those of Chi2 (the bijection ``sqrt``);
- Uniform and Pareto: every measure is elementary (Uniform also JS and total variation;
  Exponential and ContinuousBernoulli total variation from their single crossing point);
- Cauchy: chi-square and total variation, functions of chi-square (Nielsen & Okamura 2021);
- Renyi of order 1 is KL and of infinite order ``log sup p/q``, both handled in each form.

Bhattacharyya (``D_{1/2} / 2``) and chi-square (``expm1(D_2)``) are not registered where
they would only restate the Renyi form: the dispatch derives them from it (``_dispatch``).

Forms are written to keep relative accuracy when ``p`` and ``q`` nearly coincide (``log_ratio``,
``expm1(x) - x``, ``log1p(x) - x``), and infinite values come from ``where`` with the other
branch evaluated at a harmless substitute, so neither values nor gradients see a NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import device, is_eager, is_lazy
from .._double_double import product, two_sum
from .._renyi import renyi_log_mean
from .._special import (
    _ATANH_TERMS,
    _TRIGAMMA_BERNOULLI,
    RATIO_SERIES_HIGH,
    RATIO_SERIES_LOW,
    STIRLING_MIN,
    _horner,
    atanh_tail,
    betaln,
    digamma,
    exp_cap,
    expm1mx,
    full_like,
    gammaln,
    i0e,
    i1e,
    lgamma_bregman,
    log1pmx,
    log_quotient,
    log_ratio,
    patch,
    product_difference,
    ratio_form,
    scratch,
    sqrt_with_zero_gradient,
    stirling_bregman,
    stirling_remainder,
    stirling_sums,
    substitute,
    where0,
)
from ._families import (
    Beta,
    Cauchy,
    Chi,
    Chi2,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    HalfCauchy,
    HalfNormal,
    InverseGamma,
    Laplace,
    Logistic,
    LogNormal,
    Moyal,
    Normal,
    Pareto,
    Uniform,
    VonMises,
    Weibull,
)
from ._gauss_legendre import GL_NODES, GL_UNIT, GL_WEIGHTS
from ._host import (
    NUMPY,
    blockwise,
    blockwise_into,
    bregman,
    bregman_float,
    fill,
    fill_finite,
    host,
    log_range,
    near_everywhere,
    ratio_fill,
)
from ._host import atanh_tail as host_atanh_tail
from ._host import log as host_log
from ._lopsided import LOST, SHARE, digamma_difference, lopsided
from ._normal_interval import normal_interval
from ._registry import NoClosedForm, Partial, register, register_kl
from ._uniform_moments import log_width

Array = Any

_EULER = 0.57721566490153286061
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)

# log(sinh(y) / y) = sum_n c_n y^(2n) and its derivative coth(y) - 1/y = sum_n d_n y^(2n-1),
# c_n = 4^n B_2n / (2n (2n)!), d_n = 2n c_n: 13 terms reach float64 round-off for |y| <= 1/2.
_LOGSINHC_TERMS = (
    0.16666666666666666, -0.005555555555555556, 0.0003527336860670194, -2.6455026455026456e-05,
    2.1377799155576935e-06, -1.803670234005331e-07, 1.5661391322766983e-08, -1.3884130493737299e-09,
    1.2504359176004997e-10, -1.1402575602296091e-11, 1.0502923908637557e-12, -9.754877841593701e-14,
    9.123468230859098e-15,
)
_COTHMINV_TERMS = tuple(2 * (n + 1) * c for n, c in enumerate(_LOGSINHC_TERMS))
# lgamma(1 + x) + gamma x = sum_{k >= 2} (-1)^k zeta(k) / k x^k (25 terms for |x| <= 0.2), and
# lgamma(3/2 + x) - lgamma(3/2) - psi(3/2) x = sum_{k >= 2} psi^(k-1)(3/2) / k! x^k (22 terms).
_LGAMMA1P_TERMS = (
    0.8224670334241132, -0.40068563438653143, 0.27058080842778454, -0.20738555102867398,
    0.1695571769974082, -0.1440498967688461, 0.12550966952474304, -0.11133426586956469,
    0.1000994575127818, -0.09095401714582904, 0.083353840546109, -0.0769325164113522,
    0.07143294629536133, -0.06666870588242046, 0.06250095514121304, -0.058823978658684585,
    0.055555767627403614, -0.05263167937961666, 0.05000004769810169, -0.047619070330142226,
    0.04545455629320467, -0.04347826605304026, 0.04166666915034121, -0.04000000119214014,
    0.03846153903467518,
)
_LGAMMA_3HALF_TERMS = (
    0.46740110027233966, -0.13813277403905333, 0.05871212641676822, -0.028952081888893543,
    0.0154354841700493, -0.008622603929171286, 0.004965728809475818, -0.002920970458667952,
    0.00174503557579013, -0.001054915693867632, 0.0006437029830381486, -0.00039577153964650777,
    0.0002448711904829441, -0.00015231593814270082, 9.517939662502588e-05, -5.97136233623377e-05,
    3.759490926961219e-05, -2.3743185469209343e-05, 1.5036983408359218e-05, -9.547151192148187e-06,
    6.07540647448469e-06, -3.87415183000977e-06,
)
_DIGAMMA_3HALF = 2.0 - _EULER - 2.0 * math.log(2.0)


# --------------------------------------------------------------------------------------
# Elementwise helpers
# --------------------------------------------------------------------------------------


def _inf_where(bad: Array, value: Array, xp: Any) -> Array:
    """``+inf`` where ``bad`` holds, else ``value``."""
    return xp.where(bad, full_like(value, math.inf, xp), value)


def _one_parameter(p_value: Array, q_value: Array, name: str, xp: Any,
                   measure: str = "total variation") -> tuple[Array, str] | None:
    """None where the two laws share the parameter ``name`` (``p_value``, ``q_value``) in every
    element whose values can be read, as the forms that take it need; else the mask of the
    elements that do and why the others have no closed form, for :func:`_where_shared`."""
    same = p_value == q_value
    if (is_eager(xp) or not (is_lazy(p_value) or is_lazy(q_value))) and bool(xp.all(same)):
        return None
    return same, f"the {measure}'s closed form needs one {name} for both laws"


def _where_shared(value: Array, same: tuple[Array, str] | None, xp: Any) -> Array | Partial:
    """``value`` where the laws share the parameter (:func:`_one_parameter`), the others left
    to the numerical route (:func:`_partial`)."""
    return value if same is None else _partial(value, ~same[0], same[1], xp)


def _partial(value: Array, unsettled: Array, reason: str, xp: Any) -> Array | Partial:
    """``value``, or where some elements are ``unsettled``, a :class:`~._registry.Partial` (the
    numerical route answers those: eager arrays, JAX's concrete ones too); NaN there under a
    trace."""
    if is_eager(xp) or not is_lazy(value):
        return Partial(value, unsettled, reason) if bool(xp.any(unsettled)) else value
    return xp.where(unsettled, xp.nan, value)


def _zero_on_graph(x: Array, xp: Any) -> Array:
    """0 of ``x``'s shape, on torch's graph of ``x`` (a value that does not depend on the
    parameters, whose gradient is 0), never NaN however large ``x``."""
    return 0.0 * where0(xp.abs(x) < 1.0, x, xp)


def _poly(coefficients: tuple[float, ...], x: Array, xp: Any) -> Array:
    """``sum_k coefficients[k] x^k`` by Horner's rule."""
    out = full_like(x, coefficients[-1], xp)
    for c in reversed(coefficients[:-1]):
        out = out * x + c
    return out


def _logsinhc(y: Array, xp: Any) -> Array:
    """``log(sinh(y) / y)`` (0 at 0), without overflow for large ``|y|``."""
    small = xp.abs(y) <= 0.5
    ys = where0(small, y, xp)
    y2 = ys * ys
    series = y2 * _poly(_LOGSINHC_TERMS, y2, xp)
    a = xp.abs(substitute(~small, y, 1.0, xp))
    large = a + xp.log1p(-xp.exp(-2.0 * a)) - _LOG_2 - xp.log(a)
    return xp.where(small, series, large)


def _cothminv(y: Array, xp: Any) -> Array:
    """``coth(y) - 1/y`` (0 at 0), the derivative of :func:`_logsinhc`."""
    small = xp.abs(y) <= 0.5
    ys = where0(small, y, xp)
    series = ys * _poly(_COTHMINV_TERMS, ys * ys, xp)
    yb = substitute(~small, y, 1.0, xp)
    return xp.where(small, series, 1.0 / xp.tanh(yb) - 1.0 / yb)


def _xlogx(x: Array, xp: Any) -> Array:
    """``x log x`` with ``0 log 0 = 0`` (for ``x >= 0``)."""
    pos = x > 0
    xs = substitute(pos, x, 1.0, xp)
    return where0(pos, xs * xp.log(xs), xp)


def _renyi_via_mixture(
    kl: Callable[..., Array], a1: Array, b1: Array, a2: Array, b2: Array,
    alpha: float, xp: Any, gradient: Callable[..., tuple[Array, Array]] | None = None,
) -> Array:
    """Renyi divergence of order ``alpha`` (finite, not 1) in a two-parameter exponential
    family whose ``kl(a, b, da, db, xp, ends, scale)`` is accurate: with m the law at the mixed
    parameters (finite only inside the parameter space), ``(1 - alpha) D = alpha KL(m || p) +
    (1 - alpha) KL(m || q)``. The log-normaliser's linear terms cancel exactly, so the value
    keeps the KL form's relative accuracy near p = q, and the offsets from m are ``scale``
    times ``a2 - a1`` and ``b2 - b1``, never formed from the rounded mixed parameters (the
    scale apart: a form that combines the two offsets, as the Gamma's relative difference of
    the means, takes them before their roundings).

    For orders between 0 and 1 both terms are positive. Beyond 1 the two KLs cancel between
    laws far apart (Gamma laws of rates 1e-3 and 1e3 at order 1 + 1e-6: 2e-10 relative off);
    there, where the family gives the difference of its log-normaliser's ``gradient`` in ``(a,
    b)`` between two laws (``gradient(a1, b1, a2, b2, xp)``, each part from differences that
    do not cancel), the same divergence as ``D = KL(p || q) + KL(p || m) / (alpha - 1)``, two
    positive terms (:func:`_renyi_from_p`)."""
    da, db = a2 - a1, b2 - b1
    am, bm = a1 + (1.0 - alpha) * da, b1 + (1.0 - alpha) * db
    ok = (am > 0) & (bm > 0)
    ams, bms = substitute(ok, am, 1.0, xp), substitute(ok, bm, 1.0, xp)
    da, db = where0(ok, da, xp), where0(ok, db, xp)  # a harmless law where m does not exist
    # each KL's second law as given (m plus the rounded offset loses a parameter far below m's:
    # rates 1e12 and 1e-3 gave 2.4e-2 relative off)
    ends_p = (xp.where(ok, a1, ams), xp.where(ok, b1, bms))
    ends_q = (xp.where(ok, a2, ams), xp.where(ok, b2, bms))
    pair = (a1, b1, a2, b2)
    to_p = alpha * kl(ams, bms, da, db, xp, ends_p, alpha - 1.0, pair)
    to_q = (1.0 - alpha) * kl(ams, bms, da, db, xp, ends_q, alpha, pair)
    value = (to_p + to_q) / (1.0 - alpha)
    if gradient is not None and alpha > 1.0:
        cancelled = ok & (xp.abs(to_p) + xp.abs(to_q) > MIXTURE_LOST * xp.abs(to_p + to_q))
        # (the exact products of _mixed hold below 2^995)
        cancelled = cancelled & (xp.maximum(xp.maximum(a1, b1), xp.maximum(a2, b2)) < _SQUARE_HIGH)
        if not is_eager(xp) or _any(cancelled, xp):
            c1, d1, c2, d2 = (substitute(cancelled, v, 1.0, xp) for v in (a1, b1, a2, b2))
            from_p, use = _renyi_from_p(kl, gradient, c1, d1, c2, d2, alpha, xp)
            value = xp.where(cancelled & use, from_p, value)
    return _inf_where(~ok, value, xp)


# Where the mixture route's KLs cancelled this much (ten bits), the Renyi divergences above
# order 1 come from p (_renyi_from_p); nearer, m's roundings weigh more there than the
# cancellation costs here.
MIXTURE_LOST = 1024.0


def _renyi_from_p(kl: Callable[..., Array], gradient: Callable[..., tuple[Array, Array]], a1: Array, b1: Array,
                  a2: Array, b2: Array, alpha: float, xp: Any) -> tuple[Array, Array]:
    """``KL(p || q) + KL(p || m) / (alpha - 1)`` (``_renyi_via_mixture``, order above 1): from
    ``(alpha - 1) D = A(m) - alpha A(p) - (1 - alpha) A(q)``, written about p with A's
    Bregman divergences. m's parameters are exact sums (:func:`_mixed`), its KL taken at
    their rounded values (the offsets from p exact where m is near p) and moved to first
    order in their roundings by the difference of A's gradients at m and p (a difference of
    digammas of 27.6 each, 3.6e-15 for 1e-20, had cost 7e-8 of a value at order 10); where a rounding is not far
    below its offset (second order in it: 1e-10 between laws 1e-11 apart at order 10), or m
    leaves the parameter space, the second array says not to use it."""
    (am, ea), (bm, eb) = _mixed(a1, a2, alpha), _mixed(b1, b2, alpha)
    inside = (am > 0) & (bm > 0)
    am, bm = substitute(inside, am, 1.0, xp), substitute(inside, bm, 1.0, xp)
    to_m = kl(a1, b1, am - a1, bm - b1, xp, (am, bm), 1.0)
    whole = kl(a1, b1, a2 - a1, b2 - b1, xp, (a2, b2), 1.0)
    step_a, step_b = gradient(a1, b1, am, bm, xp)
    rounding = step_a * ea + step_b * eb
    use = inside & _first_order(ea, am - a1, xp, am) & _first_order(eb, bm - b1, xp, bm)
    return whole + (to_m + rounding) / (alpha - 1.0), use


def _first_order(rounding: Array, offset: Array, xp: Any, value: Array) -> Array:
    """Whether a mixed parameter's ``rounding`` is far enough below its ``offset`` from p's for
    first-order terms in it (the second-order ones, ``(rounding / offset)^2`` of the value,
    1e-10 between laws 1e-11 apart at order 10), or below 2^-60 of the parameter ``value``
    itself (a parameter p and q share: no offset, and nothing to move)."""
    return (xp.abs(rounding) * 2.0**27 <= xp.abs(offset)) | (xp.abs(rounding) <= 2.0**-60 * xp.abs(value))


def _mixed(x1: Array, x2: Array, alpha: float) -> tuple[Array, Array]:
    """``alpha x1 + (1 - alpha) x2`` as a double and its rounding error (exact products and
    sum: ``1 - alpha`` is exact for the orders near 1 where the forms cancel)."""
    h1, l1 = product(x1, alpha)
    h2, l2 = product(x2, 1.0 - alpha)
    high, low = two_sum(h1, h2)
    return two_sum(high, low + (l1 + l2))  # (renormalised: a sum that is a double, exactly it)


def _lgamma1p_linear(x: Array, xp: Any) -> Array:
    """``lgamma(1 + x) + gamma x`` (second order at 0), to full relative accuracy near 0."""
    small = xp.abs(x) <= 0.2
    xs = where0(small, x, xp)
    series = xs * xs * _poly(_LGAMMA1P_TERMS, xs, xp)
    xb = substitute(~small, x, 1.0, xp)
    return xp.where(small, series, gammaln(1.0 + xb, xp) + _EULER * xb)


def _scale_family_kl(x: Array, z: Array, xp: Any, log_ratio_: Array | None = None) -> Array:
    """KL between Gumbel laws in the standard form ``x = beta1/beta2 - 1``, ``z = (mu2 - mu1)/beta2``.

    ``log(1/r) + gamma (r - 1) + exp(z) Gamma(1 + r) - 1 - z`` (``r = 1 + x``) rewritten as
    ``(expm1(w) - w) + (lgamma(r) + gamma x)`` with ``w = z + lgamma(1 + r)``, so that the
    first-order terms cancel analytically; ``lgamma(1 + x) + gamma x`` by its Taylor series
    near 0. Weibull is the same law on the log scale.
    """
    if log_ratio_ is None:
        g, log_r = _lgamma1p_linear(x, xp), xp.log1p(x)
    else:  # log r itself where x rounds toward -1 (scales 1e18 apart gave NaN)
        small = x < -0.5
        log_rs, xs = where0(small, log_ratio_, xp), substitute(~small, x, 0.0, xp)
        # lgamma(r) = -log r to the last digit below r = 2^-60; r underflowed at shapes 1e403
        # apart (lgamma(0) - log(0): NaN)
        tiny = log_rs < -60.0 * _LOG_2
        lgamma_r = xp.where(tiny, -log_rs, gammaln(xp.exp(where0(~tiny, log_rs, xp)), xp))
        g = xp.where(small, lgamma_r + _EULER * x, _lgamma1p_linear(xs, xp))
        log_r = xp.where(small, log_rs, xp.log1p(xs))
    w = z + g - _EULER * x + log_r  # lgamma(2 + x) = lgamma(1 + x) + log1p(x)
    # (a ratio of scales beyond the range: Gamma(1 + r) and the KL are infinite; inf - inf gave NaN)
    return xp.where(x == math.inf, x, expm1mx(w, xp) + g)


# --------------------------------------------------------------------------------------
# Normal, and the families that share its f-divergences
# --------------------------------------------------------------------------------------


# The plain form's terms dm^2/2, r^2/2, 1/2 and log r (r = s1/s2) add up to T; its rounding
# costs a few ulps of T, so where the value exceeds T / _NORMAL_CANCEL it is within some 70
# ulps. Elsewhere (near p = q, where (r^2 - 1)/2 - log r cancels, or beyond |log r| >= 708,
# where r has left the normal range and its logarithm is inexact) _normal_kl_near.
_NORMAL_CANCEL = 21.0
# On torch the test is |log r| <= 1/4 instead (dm = 0 is the worst case of the one above).
_NORMAL_NEAR = 0.25
_NORMAL_FAR = 708.0
# atanh(u)/u - 1 = u^2/3 + u^4/5 + ...: ten terms reach round-off for |u| <= 1/5, which is
# -1/3 <= r - 1 <= 1/2 (u = (r - 1)/(r + 1)).
_NORMAL_ATANH = _ATANH_TERMS[:10]


def _normal_kl(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any) -> Array:
    kind = is_eager(xp)
    if kind == "numpy" and s1.shape == s2.shape == m1.shape == m2.shape == () \
            and s1.dtype.char == s2.dtype.char == m1.dtype.char == m2.dtype.char == "d":
        value = _normal_kl_float(float(m1), float(s1), float(m2), float(s2))
        if value is not None:
            return np.float64(value)
    fast = _normal_kl_host(m1, s1, m2, s2, kind)
    if fast is not None:
        return fast
    if kind:
        # ((m1 - m2)^2 / s2^2 + r^2 - 1) / 2 - log r, r = s1 / s2: torch's count of operations;
        # where that may have cancelled (and out of range) the exact form, on those elements
        # only (one mask, one gather, written in place).
        r = s1 / s2
        dm = (m1 - m2) / s2
        log_r = xp.log(r)
        half = 0.5 * (dm * dm + r * r - 1.0)
        plain = half - log_r
        size = xp.abs(log_r)
        if kind == "numpy":
            redo = (_NORMAL_CANCEL * plain < half + size + 1.0) | (size >= _NORMAL_FAR)
        else:  # fewer full-size temporaries (each a fresh allocation on torch): log r alone
            redo = (size <= _NORMAL_NEAR) | (size >= _NORMAL_FAR)
        return patch(plain, redo, lambda a, b, c: _normal_kl_near(a, b, c, xp), (dm, s1, s2), kind, owned=True)
    return _normal_kl_exact(m1, s1, m2, s2, xp)


# The host form's value below which the exact one is taken: with r^2 - 1 as (r - 1)(r + 1) the
# plain form errs by some 1.7 / sqrt(value) ulps (against mpmath: at most 21 at 0.0064, 8
# beyond 0.08), the cancellation of (r^2 - 1)/2 and log r being of order |r - 1| alone.
_NORMAL_HOST_SMALL = 0.0064


def _normal_kl_host(m1: Array, s1: Array, m2: Array, s2: Array, kind: str | None) -> Array | None:
    """``_normal_kl`` in place on NumPy views (``_host``), None where that path does not apply.
    The plain form, then the exact one where the value is below ``_NORMAL_HOST_SMALL`` (where
    it may have cancelled: a sharper test than ``|log r|`` alone) or where ``r`` leaves the
    normal range."""
    found = host(kind, m1, s1, m2, s2)
    if found is None:
        return None
    (m1, s1, m2, s2), back = found
    x = near_everywhere(s2, s1, -1.0 / 3.0, 0.5)
    if x is not None:  # scales near each other throughout: the series form alone, exact and cheaper
        return back(blockwise(_normal_kl_series_host, x, m1, m2, s2))
    return back(blockwise(lambda a, b, c, e: _normal_kl_plain(a, b, c, e, back), m1, s1, m2, s2, scale=4))


def _normal_kl_plain(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray, back: Any) -> np.ndarray:
    """The plain form of :func:`_normal_kl_host` and its patches, on NumPy arrays (a block)."""
    # Three full-size buffers and the operations of the plain formula: on a batch of 10^5 a
    # further live temporary costs a fresh allocation (where the allocator hands its pages back
    # to the system, as in a process without torch), a further pass its memory traffic.
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        r = np.divide(s1, s2)
        log_r = host_log(r, back)
        r -= 1.0  # r^2 - 1 as (r - 1)(r + 1): r^2 rounded would cost u / 2 of 1, not of r - 1
        out = np.add(r, 2.0)
        r *= out
        np.subtract(m1, m2, out=out)
        out /= s2
        out *= out
        out += r
        out *= 0.5
        out -= log_r
        redo = out < _NORMAL_HOST_SMALL
        # r out of the normal range puts the value beyond far - 1; r itself decides, on those
        # elements only (the means' part alone may put them there)
        far = log_range(out.dtype)
        if not out.max() < far - 1.0:
            index = np.flatnonzero(~(out < far - 1.0))  # NaN where r overflowed
            ratio = s1.take(index) / s2.take(index)
            tiny = float(np.finfo(out.dtype).smallest_normal)
            redo[index[(ratio <= tiny) | (ratio >= 1.0 / tiny)]] = True
    return fill(out, redo, _normal_kl_near_host, (m1, s1, m2, s2), few=_normal_kl_float)


def _normal_kl_near_host(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """:func:`_normal_kl_near` on NumPy arrays: :func:`_normal_kl_series_host` where every
    ``x`` is in the series' range, the array form elsewhere."""
    with np.errstate(over="ignore", under="ignore"):
        x = near_everywhere(s2, s1, -1.0 / 3.0, 0.5)
        if x is not None:
            return blockwise(_normal_kl_series_host, x, m1, m2, s2)
        return _normal_kl_near((m1 - m2) / s2, s1, s2, NUMPY)


def _normal_kl_series_host(x: np.ndarray, m1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """:func:`_normal_kl_near`'s series form in place, ``x = s1 / s2 - 1`` given (spent) in the
    series' range: four full-size buffers, no logarithm, the terms the largest ``|u|`` needs
    (``_host.atanh_tail``); the operations in the order of ``_normal_kl_near``."""
    with np.errstate(over="ignore", under="ignore"):
        u, tail = host_atanh_tail(x)
        inner = np.multiply(x, 0.5)  # 0.5 x^2 + x u - tail
        inner *= x
        u *= x
        inner += u
        inner -= tail
        np.subtract(m1, m2, out=x)
        x /= s2
        np.multiply(x, 0.5, out=u)
        u *= x
        u += inner
        return u


_TINY = 2.0**-1022


def _normal_kl_float(m1: float, s1: float, m2: float, s2: float) -> float | None:
    """``_normal_kl`` on Python floats (an unbatched pair: no array calls), with the same
    forms and the same tests; None where it cannot say (invalid scales, an overflow), for the
    caller's array path."""
    if not (s1 > 0.0 and s2 > 0.0):
        return None
    r = s1 / s2
    dm = (m1 - m2) / s2
    if _TINY <= r <= 1.0 / _TINY:
        log_r = math.log(r)
        half = 0.5 * (dm * dm + r * r - 1.0)
        plain = half - log_r
        if _NORMAL_CANCEL * plain >= half + abs(log_r) + 1.0:
            return plain
    x = (s1 - s2) / s2
    if -1.0 / 3.0 <= x <= 0.5:
        u = x / (2.0 + x)
        v = u * u
        c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 = _NORMAL_ATANH  # Horner written out: a third of a loop's cost
        poly = (((((((((c9 * v + c8) * v + c7) * v + c6) * v + c5) * v + c4) * v + c3) * v + c2) * v + c1) * v + c0)
        return 0.5 * dm * dm + (0.5 * x * x + x * u - 2.0 * u * v * poly)
    log_far = math.log(s2) - math.log(s1)
    if log_far < -300.0:
        return None  # r^2 overflows: the array path says inf
    return 0.5 * dm * dm + (0.5 * math.expm1(-2.0 * log_far) + log_far)


def _normal_kl_near(dm: Array, s1: Array, s2: Array, xp: Any) -> Array:
    """``dm^2 / 2 + (r^2 - 1)/2 - log r``, ``r = s1 / s2``, for the elements where the plain
    form may have cancelled. With ``x = r - 1`` from the exact ``s1 - s2`` and ``u = x / (2 +
    x)`` (``log r = 2 atanh(u)``), ``(r^2 - 1)/2 - log r = x^2/2 + x u - 2 (atanh(u) - u)``: two
    positive second-order terms and a third-order one, each to full relative accuracy, for
    ``-1/3 <= x <= 1/2``. Beyond, ``expm1(2 l)/2 - l``, ``l = log s1 - log s2``, cancels
    little (a third of the larger term at most)."""
    x = (s1 - s2) / s2
    near = (x >= -1.0 / 3.0) & (x <= 0.5)
    xs = where0(near, x, xp)
    u = xs / (2.0 + xs)
    v = u * u
    poly = v * _NORMAL_ATANH[-1] + _NORMAL_ATANH[-2]
    for c in reversed(_NORMAL_ATANH[:-2]):
        poly = poly * v + c
    inner = 0.5 * xs * xs + xs * u - 2.0 * u * v * poly
    if bool(xp.all(near)):
        return 0.5 * dm * dm + inner
    log_far = xp.log(substitute(~near, s2, 1.0, xp)) - xp.log(substitute(~near, s1, 1.0, xp))  # -log r
    far = 0.5 * xp.expm1(-2.0 * log_far) + log_far
    return 0.5 * dm * dm + xp.where(near, inner, far)


def _normal_kl_exact(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any) -> Array:
    # TFP's form, with log(s1/s2) from log1p and expm1(x) - x by series near equality, so the
    # value keeps its relative accuracy when the scales nearly coincide.
    lr = log_ratio(s1, s2, xp)
    return 0.5 * ((m1 - m2) / s2) ** 2 + 0.5 * expm1mx(2.0 * lr, xp)


def _normal_bhattacharyya(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any) -> Array:
    # d^2 / (4 (s1^2 + s2^2)) and log((s1^2 + s2^2) / (2 s1 s2)) = log1p((s1 - s2)^2 / (2 s1
    # s2)) (no cancellation), in units of the larger scale: the squares of scales beyond
    # 1e+-154 left the range of doubles (NaN).
    top, low = xp.maximum(s1, s2), xp.minimum(s1, s2)
    z, ratio, step = (m1 - m2) / top, low / top, (s1 - s2) / top
    # (where the ratio of the scales leaves the range, log((1 + r^2) / (2 r)) from logarithms)
    far = ratio < 2.0**-400
    log_part = xp.log1p(step * step / (2.0 * substitute(~far, ratio, 1.0, xp)))
    if not is_eager(xp) or _any(far, xp):
        log_part = xp.where(far, log_ratio(top, low, xp) - _LOG_2, log_part)
    return 0.25 * z * z / (1.0 + ratio * ratio) + 0.5 * log_part


def _normal_renyi(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any, alpha: float) -> Array:
    if alpha == 1.0:
        return _normal_kl(m1, s1, m2, s2, xp)
    # (in units of the scales: their squares leave the range of doubles beyond 1e+-154)
    if math.isinf(alpha):
        # log sup p/q: finite only when q is wider (or equal with equal means).
        wider = s2 > s1
        z, gap = (m1 - m2) / s2, ((s2 - s1) / s2) * (1.0 + s1 / s2)
        value = log_ratio(s2, s1, xp) + 0.5 * z * z / substitute(wider, gap, 1.0, xp)
        equal = (s2 == s1) & (m1 == m2)
        return _inf_where(~(wider | equal), xp.where(equal, xp.zeros_like(value), value), xp)
    # var_alpha = alpha var2 + (1 - alpha) var1 = top^2 v, top the larger scale: v = 1 + x, x =
    # alpha expm1(log r), where q is the narrower (r = var2 / var1), v = 1 + y, y = (1 - alpha)
    # expm1(-log r), where q is the wider (neither overflows: scales 1e-141 and 1e23 gave NaN).
    # [log(var_alpha / var1) - alpha log r] / (alpha - 1) is renyi_log_mean of r: exact as alpha
    # -> 1 (the KL's 1/r - 1 + log r in the limit) and as s2 -> s1.
    log_r = 2.0 * log_ratio(s2, s1, xp)
    wider = log_r > 0.0
    x = alpha * xp.expm1(where0(~wider, log_r, xp))
    y = (1.0 - alpha) * xp.expm1(-where0(wider, log_r, xp))
    ok = x > -1.0
    v = 1.0 + xp.where(wider, y, substitute(ok, x, 0.0, xp))
    # Where x or y is near -1, 1 + x lost its digits to x's rounding (q the narrower: 3.8e-11
    # relative off at alpha = 1 - 1e-6): there the sum itself, in the smaller scale's ratio to
    # the larger, whose terms cancel at most by half (beyond, for alpha > 1, the edge below).
    lost = ok & (xp.where(wider, y, x) < -0.5)
    if not is_eager(xp) or _any(lost, xp):
        small = xp.minimum(s1, s2) / xp.maximum(s1, s2)
        small = small * small
        v = xp.where(lost, xp.where(wider, alpha + (1.0 - alpha) * small, alpha * small + (1.0 - alpha)), v)
    log_part = renyi_log_mean(log_r, alpha, xp)
    # Where var_alpha is below half of its term alpha var2 (alpha > 1, q the narrower: toward
    # the edge of the finite domain) the terms cancel and 1 + x lost its digits with x's
    # rounding (6.6e-6 relative off at alpha = 1 + 1e-6, var_alpha 1e-6 of alpha var2): there
    # var_alpha from exact products (float64's: the splitting of _double_double), and the log
    # part's far form, log(AM / GM) / (alpha - 1) with AM / GM below 1/2, from it (its near
    # form, exact, stands).
    edge = ~wider & (x < alpha - 2.0) & (s1 > _SQUARE_LOW) & (s1 < _SQUARE_HIGH) & (s2 > _SQUARE_LOW) & (s2 < _SQUARE_HIGH) \
        if x.dtype == xp.float64 else None
    if edge is not None and (not is_eager(xp) or _any(edge, xp)):
        e1, e2 = substitute(edge, s1, 1.0, xp), substitute(edge, s2, 1.0, xp)
        exact = _mixed_variance(e1, e2, alpha)
        inside = exact > 0
        ok = xp.where(edge, inside, ok)
        edge = edge & inside
        v = xp.where(edge, substitute(edge, exact, 1.0, xp) / (e1 * e1), v)
        log_gap = xp.log(v) - alpha * log_r  # log(AM / GM)
        log_part = xp.where(edge & (log_gap < -_LOG_2), log_gap / (alpha - 1.0), log_part)
    z = (m1 - m2) / xp.maximum(s1, s2)
    return _inf_where(~ok, 0.5 * alpha * (z * z) / v - 0.5 * log_part, xp)


# Scales whose squares, and the rounding errors of these, are normal doubles below 2^995.
_SQUARE_LOW, _SQUARE_HIGH = 2.0**-480, 2.0**480


def _mixed_variance(s1: Array, s2: Array, alpha: float) -> Array:
    """``alpha s2^2 + (1 - alpha) s1^2`` to a few ulps however much its terms cancel: the
    squares and their products with ``alpha`` and ``alpha - 1`` exact (``_double_double``),
    the high parts' difference exact where they cancel (Sterbenz)."""
    a, a_err = product(s2, s2)
    b, b_err = product(s1, s1)
    high, high_err = product(a, alpha)
    low, low_err = product(b, alpha - 1.0)
    return (high - low) + ((high_err - low_err) + (alpha * a_err - (alpha - 1.0) * b_err))


def _normal_total_variation(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any) -> Array:
    """``P(I) - Q(I)`` over the set ``I`` where the narrower density is the larger.

    With ``a`` the narrower and ``b`` the wider normal, ``I`` lies between the two roots of
    ``log p_a = log p_b``; in ``a``'s standard units they are ``(s_a d +- s_b S) / D`` with
    ``d = mu_a - mu_b``, ``D = var_b - var_a``, ``S^2 = d^2 + 2 D log(s_b / s_a)``. The root
    that stays finite as ``D -> 0`` is taken from the product of the roots (no cancellation);
    the other is infinite at equal scales, which gives ``2 Phi(|d| / 2s) - 1``.
    """
    swap = s1 > s2
    sa, sb = xp.where(swap, s2, s1), xp.where(swap, s1, s2)
    log_sb_sa = log_ratio(sb, sa, xp)
    # in units of the wider scale sb (squares of scales beyond 1e+-154 left the range: NaN)
    widen = (sb - sa) / sb  # z - w = ((sb - sa) z - d) / sb, from the parameters' differences
    d = xp.where(swap, m2 - m1, m1 - m2) / sb
    # means 80 of the wider scale apart: the laws overlap by less than e^-800 (and d^2
    # overflowed, or their tails' difference lost everything: NaN), the total variation is 1
    apart = xp.abs(d) > 80.0
    d = where0(~apart, d, xp)
    sa = sa / sb
    gap = widen * (1.0 + sa)
    root = sqrt_with_zero_gradient(d * d + 2.0 * gap * log_sb_sa, xp)
    sign = xp.where(d >= 0, xp.ones_like(d), -xp.ones_like(d))
    den = sa * d + sign * root
    same = den == 0  # only when p = q
    den_s = substitute(~same, den, 1.0, xp)
    z_near = -(d * d + 2.0 * log_sb_sa) / den_s
    w_near = sa * z_near + d
    equal = gap == 0
    z_far = den_s / substitute(~equal, gap, 1.0, xp)
    w_far = sa * z_far + d

    def interval(z: Array, w: Array) -> Array:
        return normal_interval(z, w, widen * z - d, xp)

    far = xp.where(equal, xp.zeros_like(d), interval(z_far, w_far))
    value = where0(~same, sign * (far - interval(z_near, w_near)), xp)
    return xp.where(apart, xp.ones_like(value), value)


def _normal_cross_entropy(m1: Array, s1: Array, m2: Array, s2: Array, xp: Any) -> Array:
    # (in units of s2: the squares of scales beyond 1e+-154 left the range of doubles)
    ratio, z = s1 / s2, (m1 - m2) / s2
    return 0.5 * _LOG_2PI + xp.log(s2) + 0.5 * (ratio * ratio + z * z)


_LocScale = Normal | LogNormal


def _ls(p: Any, q: Any) -> tuple[Array, Array, Array, Array]:
    return p.loc, p.scale, q.loc, q.scale


def _half(p: HalfNormal, q: HalfNormal, xp: Any) -> tuple[Array, Array, Array, Array]:
    # HalfNormal(s) shares every f-divergence of Normal(0, s): both densities are symmetric.
    zero = xp.zeros_like(p.scale)
    return zero, p.scale, xp.zeros_like(q.scale), q.scale


@register_kl(Normal, Normal)
@register_kl(LogNormal, LogNormal)
def _kl_normal_normal(p: _LocScale, q: _LocScale, *, xp: Any) -> Array:
    return _normal_kl(*_ls(p, q), xp)


@register("bhattacharyya", Normal, Normal)
@register("bhattacharyya", LogNormal, LogNormal)
def _bhattacharyya_normal_normal(p: _LocScale, q: _LocScale, *, xp: Any) -> Array:
    return _normal_bhattacharyya(*_ls(p, q), xp)


@register("renyi", Normal, Normal)
@register("renyi", LogNormal, LogNormal)
def _renyi_normal_normal(p: _LocScale, q: _LocScale, *, xp: Any, alpha: float) -> Array:
    return _normal_renyi(*_ls(p, q), xp, alpha)


@register("total_variation", Normal, Normal)
@register("total_variation", LogNormal, LogNormal)
def _tv_normal_normal(p: _LocScale, q: _LocScale, *, xp: Any) -> Array:
    return _normal_total_variation(*_ls(p, q), xp)


@register("cross_entropy", Normal, Normal)
def _ce_normal_normal(p: Normal, q: Normal, *, xp: Any) -> Array:
    return _normal_cross_entropy(*_ls(p, q), xp)


@register("cross_entropy", LogNormal, LogNormal)
def _ce_lognormal_lognormal(p: LogNormal, q: LogNormal, *, xp: Any) -> Array:
    # -E log q(X) = E[log X] + the cross entropy of the normals of log X.
    return p.loc + _normal_cross_entropy(*_ls(p, q), xp)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal, *, xp: Any) -> Array:
    return _normal_kl(*_half(p, q, xp), xp)


@register("bhattacharyya", HalfNormal, HalfNormal)
def _bhattacharyya_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal, *, xp: Any) -> Array:
    return _normal_bhattacharyya(*_half(p, q, xp), xp)


@register("renyi", HalfNormal, HalfNormal)
def _renyi_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal, *, xp: Any, alpha: float) -> Array:
    return _normal_renyi(*_half(p, q, xp), xp, alpha)


@register("total_variation", HalfNormal, HalfNormal)
def _tv_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal, *, xp: Any) -> Array:
    return _normal_total_variation(*_half(p, q, xp), xp)


@register("cross_entropy", HalfNormal, HalfNormal)
def _ce_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal, *, xp: Any) -> Array:
    # The half-normal density is twice the normal one on x >= 0.
    return _normal_cross_entropy(*_half(p, q, xp), xp) - _LOG_2


# --------------------------------------------------------------------------------------
# Location-scale families with KL only: Laplace, Cauchy, Gumbel, Moyal
# --------------------------------------------------------------------------------------


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace, *, xp: Any) -> Array:
    return _laplace_kl(p.scale, q.scale, xp.abs(p.loc - q.loc), xp)


def _laplace_kl(b1: Array, b2: Array, d: Array, xp: Any) -> Array:
    # log(b2/b1) + |d|/b2 + (b1/b2) exp(-|d|/b1) - 1 = expm1mx(x) + |d| (b1 - b2)/(b1 b2),
    # x = log(b1/b2) - |d|/b1: the first-order terms cancel analytically. Beyond |d| = b1 the
    # second form's |d|/b1 cancels the one in x (4e-6 relative off at |d|/b1 = 1e12), and the
    # plain sum is within a few ulps of a value of at least log(1 + 1/e).
    log_r = log_ratio(b1, b2, xp)
    x = log_r - d / b1
    # (b1 b2 underflowed at scales of 1e-183: NaN; at d = 0 the second term is 0, also where
    # the ratio of the scales overflows: 0 * inf had given NaN for inf at 4.9e276 and 5e-82;
    # the scales' difference over the larger, a factor below 1: d / b1 had underflowed to 0
    # against an infinite (b1 - b2) / b2, NaN for inf at 1e150 and 1e-300, d = 1e-300)
    shift = xp.where(b1 >= b2, (d / b2) * ((b1 - b2) / b1), (d / b1) * ((b1 - b2) / b2))
    near = expm1mx(x, xp) + where0(d > 0, shift, xp)
    return xp.where(d > b1, (d / b2 - log_r) + xp.expm1(x), near)


@register("renyi", Laplace, Laplace)
def _renyi_laplace_laplace(p: Laplace, q: Laplace, *, xp: Any, alpha: float) -> Array:
    b1, b2 = p.scale, q.scale
    d = xp.abs(p.loc - q.loc)
    if alpha == 1.0:
        return _laplace_kl(b1, b2, d, xp)
    if alpha == 0.0:  # -log q(p > 0): the supports are the line
        return _zero_on_graph(d / b1 - b2, xp)
    if math.isinf(alpha):
        # log p/q = log r + |x - d| / b2 - |x| / b1 (p centred): its sup, at p's centre, is
        # finite where q is at least as wide (elsewhere it grows without bound in the tails)
        return _inf_where(~(b2 >= b1), log_ratio(b2, b1, xp) + d / b2, xp)
    # In p's units, with r = b2 / b1 and m = d / b1, the integral of p^alpha q^(1 - alpha) is
    # a sum of three exponentials (one per side of each centre), which factors as I0 J: I0 =
    # r^alpha / (alpha r + 1 - alpha) is the integral for one centre (finite where its
    # denominator is above 0; its log over alpha - 1 is _mixed_log_mean's), and J that of the
    # shift (_laplace_shift). J is the same for (q, p) at the order 1 - alpha (the integral
    # is), where the shift's form is exact: below 1/2 it loses digits as beta / alpha
    # (1.9e-7 relative at alpha = 1e-8).
    ok = alpha * (b2 / b1) > alpha - 1.0
    if alpha < 0.5:
        shift = _laplace_shift(b2, b1, d, 1.0 - alpha, alpha, xp, weight=alpha / (1.0 - alpha))
    else:
        shift = _laplace_shift(b1, b2, d, alpha, 1.0 - alpha, xp)
    return _inf_where(~ok, shift + _mixed_log_mean(b2, b1, alpha, ok, xp), xp)


def _laplace_shift(b1: Array, b2: Array, d: Array, alpha: float, complement: float, xp: Any,
                   weight: float = 1.0) -> Array:
    """``weight log J / (alpha - 1)`` for Laplace(0, b1) against Laplace(d, b2), ``d >= 0``, ``alpha
    >= 1/2`` and ``complement = 1 - alpha`` given exactly (``alpha`` may be its rounding).

    With ``beta = (1 - alpha) / r``, ``z = (alpha - beta) m``, ``w = beta m``,
    ``u = (alpha + beta) m / 2``, ``v = z / 2``, ``g = (1 - exp(-z)) / z`` and ``x = w g``:
    ``J = exp(-u) (cosh v + u sinh(v) / v) = exp(-w) (1 + x)``, 1 at m = 0 and at alpha = 1.
    As ``w / (alpha - 1) = -m / r``, ``log J / (alpha - 1) = -(m / r) (g h + g - 1)`` with
    ``h = log1pmx(x) / x``: both terms of second order in m, nothing divided by alpha - 1.
    Where x > 1 (alpha < 1 only; g overflows with exp(-z)) log J comes from logarithms:
    ``log(1 + x) - w = log(-expm1(z)) - log1p(-alpha m / w) - alpha m + log1p(1 / x)`` for
    z < 0 (as ``w g = w exprel(z) / exp(z)`` and ``-z - w = -alpha m``), else
    ``log w + log g + log1p(1 / x) - w``."""
    m, mr = d / b1, d / b2  # the distance in p's units and in q's
    z = alpha * m - complement * mr
    # (z far below 0: g overflows, but there w > -z and x > 1, the far form; far above: g = 1 / z)
    zs = substitute(z != 0, xp.clip(z, -exp_cap(z.dtype, xp), 1.0 / _EPS**2), 1.0, xp)
    g_less_1 = where0(z != 0, -expm1mx(-zs, xp) / zs, xp)
    g = 1.0 + g_less_1
    w = complement * mr
    x = w * g
    far = x > 1.0
    xn = where0(~far, x, xp)
    nonzero = xn != 0
    h = where0(nonzero, log1pmx(xn, xp) / substitute(nonzero, xn, 1.0, xp), xp)
    value = (-weight * mr) * (g * h + g_less_1)
    if not is_eager(xp) or _any(far, xp):
        below = far & (z < 0)
        zb = substitute(below, z, -1.0, xp)
        ws = substitute(far, w, 1.0, xp)
        share = alpha * m / ws  # alpha m / w, in [0, 1) where z < 0
        lost = -xp.expm1(zb)
        inverse = xp.where(below, xp.exp(zb) * (1.0 - share) / lost, 1.0 / substitute(far, x, 1.0, xp))
        log_j = xp.where(below, xp.log(lost) - xp.log1p(-where0(below, share, xp)) - alpha * m,
                         (xp.log(ws) + xp.log(substitute(far & ~below, g, 1.0, xp))) - w) + xp.log1p(inverse)
        value = xp.where(far, log_j * (weight / -complement), value)  # (weight / complement: no overflow)
    # (distances beyond the range of doubles in both units: the divergence is too)
    return xp.where(xp.isinf(m) & xp.isinf(mr), full_like(value, math.inf, xp), value)


@register("cross_entropy", Laplace, Laplace)
def _ce_laplace_laplace(p: Laplace, q: Laplace, *, xp: Any) -> Array:
    # log(2 b2) + E|X - mu2| / b2, E|X - mu2| = |d| + b1 exp(-|d|/b1): terms of one sign but the log
    b1, b2 = p.scale, q.scale
    d = xp.abs(p.loc - q.loc)
    return (_LOG_2 + xp.log(b2)) + (d / b2 + xp.exp(log_ratio(b1, b2, xp) - d / b1))


# Every f-divergence between Cauchy laws is a function of chi2 (Nielsen & Okamura 2021: the
# family is closed under the real Moebius maps that act transitively on pairs with the same
# chi2). HalfCauchy(s) shares every f-divergence of Cauchy(0, s) (symmetric densities, folded
# alike); its entropy is the Cauchy's less log 2.
def _cauchy_chi2(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, xp: Any) -> Array:
    # (in units of the larger scale: squares beyond 1e+-154 leave the range of doubles)
    top = xp.maximum(p.scale, q.scale)
    step, ratio = (p.scale - q.scale) / top, xp.minimum(p.scale, q.scale) / top
    shift = (p.loc - q.loc) / top if isinstance(p, Cauchy) and isinstance(q, Cauchy) else 0.0
    return (step * step + shift * shift) / (2.0 * ratio)


@register_kl(Cauchy, Cauchy)
@register_kl(HalfCauchy, HalfCauchy)
def _kl_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any) -> Array:
    # Chyzak & Nielsen (2019): log(((g1 + g2)^2 + d^2) / (4 g1 g2)) = log1p(chi2 / 2); from
    # logarithms where chi2 is beyond 2^500 (it overflowed to inf at scales 1e-300 and 1e300,
    # where the KL is 1380): there log1p(chi2 / 2) is log(chi2 / 2) to the last bit.
    return _cauchy_by_chi2(p, q, xp, lambda c: xp.log1p(0.5 * c), lambda log_s: log_s)


def _cauchy_by_chi2(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, xp: Any, near: Callable[[Array], Array],
                    far: Callable[[Array], Array], limit: float = 2.0**500) -> Array:
    """A measure of two Cauchy laws, a function of their chi2: ``near(chi2)`` where chi2 is
    below ``limit``, ``far(log(chi2 / 2))`` beyond, from logarithms (where chi2 may overflow)."""
    chi2 = _cauchy_chi2(p, q, xp)
    beyond = ~(chi2 < limit)
    value = near(where0(~beyond, chi2, xp))
    if is_eager(xp) and not _any(beyond, xp):
        return value
    return xp.where(beyond, far(_cauchy_log_half_chi2(p, q, beyond, xp)), value)


def _cauchy_log_half_chi2(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, far: Array, xp: Any) -> Array:
    """``log(chi2 / 2) = log((1 - r)^2 + z^2) - log 4 - log r`` in units of the larger scale
    (``r`` the ratio of the scales, ``z`` the shift), from logarithms: for the rows ``far``,
    where ``chi2`` may overflow (elsewhere a harmless value)."""
    g1, g2 = substitute(far, p.scale, 1.0, xp), substitute(far, q.scale, 0.5, xp)
    log_top, log_low = xp.log(xp.maximum(g1, g2)), xp.log(xp.minimum(g1, g2))
    log_a = xp.log1p(-xp.exp(log_low - log_top))  # log(1 - r)
    if isinstance(p, Cauchy) and isinstance(q, Cauchy):
        log_z = xp.log(xp.abs(substitute(far, p.loc - q.loc, 0.0, xp))) - log_top  # -inf for equal locations
        high, low = xp.maximum(log_a, log_z), xp.minimum(log_a, log_z)
        log_sum = 2.0 * high + xp.log1p(xp.exp(2.0 * (low - high)))  # log(a^2 + z^2)
    else:
        log_sum = 2.0 * log_a
    return log_sum - math.log(4.0) + (log_top - log_low)


@register("renyi", Cauchy, Cauchy)
@register("renyi", HalfCauchy, HalfCauchy)
def _renyi_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any, alpha: float) -> Array:
    # int p^alpha q^(1 - alpha) = P_n(1 + chi2), the Legendre function of degree n = alpha - 1
    # (Nielsen & Okamura 2021; checked against quadrature), for integer orders the polynomial
    # sum_k C(n, k) C(n + k, k) s^k in s = chi2 / 2, of positive terms: D = log1p(s (c_1 + c_2 s
    # + ...)) / n, and log s + log(sum_k c_k s^(k - n)) / n where s^n would overflow (s from
    # logarithms where chi2 itself does: order 2 had been log1p(chi2), inf at scales 1e-300
    # and 1e300 for 1381).
    if alpha == 0.0:  # -log q(p's support), both the whole line
        return 0.0 * _cauchy_chi2(p, q, xp)
    if alpha == 1.0:
        return _kl_cauchy_cauchy(p, q, xp=xp)
    if alpha == math.inf:
        return _cauchy_log_sup_ratio(p, q, xp)
    if alpha == 0.5:
        return 2.0 * _bhattacharyya_cauchy_cauchy(p, q, xp=xp)
    if alpha != int(alpha) or not 2 <= alpha <= _CAUCHY_RENYI_ORDERS:
        raise NoClosedForm(f"renyi(Cauchy) has a closed form at the orders 0, 1/2, 1, infinity and the integer "
                           f"orders 2 to {_CAUCHY_RENYI_ORDERS} only")
    n = int(alpha) - 1
    terms = [math.comb(n, k) * math.comb(n + k, k) for k in range(n + 1)]
    s = 0.5 * _cauchy_chi2(p, q, xp)
    far = ~(s < 2.0 ** (900 / n))  # (c_n s^n below 2^1000: c_n <= C(128, 64) < 2^125)
    near_s = where0(~far, s, xp)
    poly = 0.0 * near_s + terms[-1]
    for c in reversed(terms[1:-1]):
        poly = poly * near_s + c
    near = xp.log1p(near_s * poly) / n
    if is_eager(xp) and not _any(far, xp):
        return near
    inverse = 1.0 / substitute(far, s, 1.0, xp)  # 0 where s overflowed
    tail = 0.0 * inverse + terms[0]
    for c in terms[1:]:
        tail = tail * inverse + c  # sum_k c_k s^(k - n)
    log_s = xp.where(s < 2.0**500, xp.log(substitute(far, s, 1.0, xp)), _cauchy_log_half_chi2(p, q, far, xp))
    return xp.where(far, log_s + xp.log(tail) / n, near)


_CAUCHY_RENYI_ORDERS = 64


def _cauchy_log_sup_ratio(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, xp: Any) -> Array:
    """``log sup p / q = arccosh(1 + chi2)``: the supremum is invariant under the Moebius maps
    that carry any pair to Cauchy(0, 1), Cauchy(0, g) with the same chi2, whose ratio peaks at
    ``max(g, 1 / g)``; ``log1p(chi2 + sqrt(chi2 (chi2 + 2)))``, ``log 4 + log(chi2 / 2)`` where
    chi2 is beyond 2^500 (and may overflow)."""
    return _cauchy_by_chi2(p, q, xp, lambda c: xp.log1p(c + sqrt_with_zero_gradient(c * (c + 2.0), xp)),
                           lambda log_s: math.log(4.0) + log_s)


@register("bhattacharyya", Cauchy, Cauchy)
@register("bhattacharyya", HalfCauchy, HalfCauchy)
def _bhattacharyya_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any) -> Array:
    # The coefficient is the Legendre function P_(-1/2)(1 + chi2), a complete elliptic
    # integral: c / AGM(1, c), c = 1 / sqrt(1 + s), s = chi2 / 2 (checked against quadrature),
    # so the distance is log AGM(sqrt(1 + s), 1). The mean's iteration runs on the offsets
    # from 1 (u, v of a = 1 + u, b = 1 + v: every term positive, so laws nearly equal keep
    # their digits), 12 steps from ratios up to 2^250 (ten reach round-off); beyond, the
    # asymptotic log(pi a / (2 log(4 a))), whose next term is below a^-2.
    def by_mean(chi2: Array) -> Array:
        s = 0.5 * chi2
        u = s / (xp.sqrt(1.0 + s) + 1.0)
        v = 0.0 * u
        for _ in range(12):
            w = u + v + u * v  # (1 + u)(1 + v) - 1
            u, v = 0.5 * (u + v), w / (xp.sqrt(1.0 + w) + 1.0)
        return xp.log1p(u)

    def asymptotic(log_s: Array) -> Array:
        log_a = 0.5 * log_s
        return log_a + math.log(0.5 * math.pi) - xp.log(math.log(4.0) + log_a)

    return _cauchy_by_chi2(p, q, xp, by_mean, asymptotic, limit=2.0**501)  # (s = chi2 / 2 below 2^500)


@register("chi2", Cauchy, Cauchy)
@register("chi2", HalfCauchy, HalfCauchy)
def _chi2_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any) -> Array:
    # Nielsen & Okamura (2021): symmetric, ((g1 - g2)^2 + d^2) / (2 g1 g2).
    return _cauchy_chi2(p, q, xp)


@register("total_variation", Cauchy, Cauchy)
@register("total_variation", HalfCauchy, HalfCauchy)
def _tv_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any) -> Array:
    # For C(0, 1), C(m, 1) the densities cross at m/2 only, so TV = (2/pi) atan(m/2) with
    # chi2 = m^2/2: TV = (2/pi) atan(sqrt(chi2/2)).
    return (2.0 / math.pi) * xp.atan(sqrt_with_zero_gradient(0.5 * _cauchy_chi2(p, q, xp), xp))


@register("js", Cauchy, Cauchy)
@register("js", HalfCauchy, HalfCauchy)
def _js_cauchy_cauchy(p: Cauchy | HalfCauchy, q: Cauchy | HalfCauchy, *, xp: Any) -> Array:
    # Nielsen & Okamura (2021): JS = log(2 r / (1 + r)), r = sqrt(1 + chi2 / 2) (checked against
    # quadrature): log1p(s / (1 + r)^2), s = chi2 / 2, no cancellation near p = q; beyond 2^500
    # log 2 - log1p(1 / r), 1 / r = exp(-log(s) / 2) to the last bit (chi2 may overflow there).
    def near(chi2: Array) -> Array:  # (r - 1) / (r + 1), exact near 0 and never above 1 (log 2)
        half = 0.5 * chi2
        r = xp.sqrt(1.0 + half)
        return xp.log1p(xp.where(half < 1.0, half / ((1.0 + r) * (1.0 + r)), (r - 1.0) / (r + 1.0)))

    return _cauchy_by_chi2(p, q, xp, near, lambda log_s: math.log(2.0) - xp.log1p(xp.exp(-0.5 * log_s)))


@register("cross_entropy", Cauchy, Cauchy)
def _ce_cauchy_cauchy(p: Cauchy, q: Cauchy, *, xp: Any) -> Array:
    return math.log(4.0 * math.pi) + xp.log(p.scale) + _kl_cauchy_cauchy(p, q, xp=xp)


@register("cross_entropy", HalfCauchy, HalfCauchy)
def _ce_halfcauchy_halfcauchy(p: HalfCauchy, q: HalfCauchy, *, xp: Any) -> Array:
    return math.log(2.0 * math.pi) + xp.log(p.scale) + _kl_cauchy_cauchy(p, q, xp=xp)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel, *, xp: Any) -> Array:
    # TFP's form (Gil's printed formula lacks the (mu1 - mu2)/beta2 term), see _scale_family_kl.
    return _scale_family_kl((p.scale - q.scale) / q.scale, (q.loc - p.loc) / q.scale, xp, log_ratio(p.scale, q.scale, xp))


@register("cross_entropy", Gumbel, Gumbel)
def _ce_gumbel_gumbel(p: Gumbel, q: Gumbel, *, xp: Any) -> Array:
    return xp.log(p.scale) + _EULER + 1.0 + _kl_gumbel_gumbel(p, q, xp=xp)


def _lgamma_3half_shift(x: Array, xp: Any) -> Array:
    """``lgamma(3/2 + x) - lgamma(3/2) - psi(3/2) x``, by its Taylor series near 0."""
    small = xp.abs(x) <= 0.2
    xs = where0(small, x, xp)
    series = xs * xs * _poly(_LGAMMA_3HALF_TERMS, xs, xp)
    xb = substitute(~small, x, 1.0, xp)
    return xp.where(small, series, gammaln(1.5 + xb, xp) - math.lgamma(1.5) - _DIGAMMA_3HALF * xb)


@register_kl(Moyal, Moyal)
def _kl_moyal_moyal(p: Moyal, q: Moyal, *, xp: Any) -> Array:
    # TFP: 1/2 [exp(w) + (mu1 - mu2)/s2 - 1 + (r - 1)(gamma + log 2) - 2 log r], r = s1/s2,
    # w = r log 2 + (mu2 - mu1)/s2 + lgamma(1/2 + r) - log(pi)/2. With x = r - 1 and
    # h(x) = lgamma(3/2 + x) - lgamma(3/2) - psi(3/2) x, psi(3/2) = 2 - gamma - 2 log 2:
    # w = z + (log 2 + psi(3/2)) x + h(x), and the bracket is expm1mx(w) + h(x) + 2 (x - log1p(x)),
    # in which every first-order term has cancelled analytically.
    x = (p.scale - q.scale) / q.scale
    h = _lgamma_3half_shift(x, xp)
    w = (q.loc - p.loc) / q.scale + (_LOG_2 + _DIGAMMA_3HALF) * x + h
    # log r from the scales where x nears -1 (1 + x loses r: 2.7e-5 relative off at r = 1e-15,
    # inf at 1e-18); no cancellation is left there
    apart = x < -0.5
    log_r = log_ratio(p.scale, q.scale, xp)
    log1pmx_x = xp.where(apart, log_r - x, log1pmx(where0(~apart, x, xp), xp))
    return 0.5 * (expm1mx(w, xp) + h - 2.0 * log1pmx_x)


@register("cross_entropy", Moyal, Moyal)
def _ce_moyal_moyal(p: Moyal, q: Moyal, *, xp: Any) -> Array:
    entropy = 0.5 * (1.0 + _EULER + math.log(4.0 * math.pi)) + xp.log(p.scale)
    return entropy + _kl_moyal_moyal(p, q, xp=xp)


@register_kl(Weibull, Weibull)
def _kl_weibull_weibull(p: Weibull, q: Weibull, *, xp: Any) -> Array:
    # Bauckhage (2013); -log X is Gumbel(-log scale, 1/shape), hence the Gumbel form.
    k1, k2 = p.shape, q.shape
    return _scale_family_kl((k2 - k1) / k1, k2 * log_ratio(p.scale, q.scale, xp), xp, log_ratio(k2, k1, xp))


@register("cross_entropy", Weibull, Weibull)
def _ce_weibull_weibull(p: Weibull, q: Weibull, *, xp: Any) -> Array:
    k = p.shape
    entropy = _EULER * (1.0 - 1.0 / k) + xp.log(p.scale) - xp.log(k) + 1.0
    # -E log q(X) = log(l2 / k2) - (k2 - 1) E log(X / l2) + E (X / l2)^k2, E log(X / l2) =
    # log(l1 / l2) - gamma / k1, E (X / l2)^k2 = (l1 / l2)^k2 Gamma(1 + k2 / k1) (shape 1000,
    # scale 1e-6 against Exponential(1): H + KL 3.3e-9 off)
    k2, log_l2 = q.shape, xp.log(q.scale)
    log_r, log_k2 = log_ratio(p.scale, q.scale, xp), xp.log(k2)
    with np.errstate(over="ignore"):  # (an overflow is inf in the size too: the sum is taken)
        moment = xp.exp(k2 * log_r + gammaln(1.0 + k2 / k, xp))
    direct = (log_l2 - log_k2) + (moment - (k2 - 1.0) * (log_r - _EULER / k))
    size = xp.abs(log_l2) + xp.abs(log_k2) + xp.abs(k2 - 1.0) * (xp.abs(log_r) + _EULER / k) + moment
    return _cross_entropy_of(entropy, _kl_weibull_weibull(p, q, xp=xp), direct, size, xp)


# Weibull laws of one shape and Gumbel and Moyal laws of one scale are images of Gamma laws of
# one shape under one map for both (X^k is Exponential with rate scale^-k; exp(-X / s) is
# Exponential with rate exp(mu / s) for Gumbel, Gamma(1/2) with rate exp(mu / s) / 2 for
# Moyal): every f-divergence and Renyi divergence is theirs, a function of the shape and of
# L = log(rate1 / rate2). Two shapes or scales: the numerical route.
def _one_shape_renyi(a: float, log_rates: Array, alpha: float, xp: Any) -> Array:
    """Renyi divergence of order ``alpha`` (not 1) of Gamma(a, b1) from Gamma(a, b2), ``log_rates
    = log(b1 / b2)``: the integral is ``(b1^alpha b2^(1 - alpha) / (alpha b1 + (1 - alpha)
    b2))^a``, so ``-a renyi_log_mean(L, alpha)`` (exact as L -> 0 and alpha -> 1), finite where
    the mixed rate is above 0; at alpha = inf ``log sup p/q = a L`` where ``b1 >= b2``."""
    if alpha == 0.0:  # -log q(p > 0): one support
        return _zero_on_graph(log_rates, xp)
    if math.isinf(alpha):
        return _inf_where(~(log_rates >= 0), a * log_rates, xp)
    ok = alpha * xp.exp(log_rates) > alpha - 1.0
    return _inf_where(~ok, -a * renyi_log_mean(substitute(ok, log_rates, 0.0, xp), alpha, xp), xp)


@register("renyi", Weibull, Weibull)
def _renyi_weibull_weibull(p: Weibull, q: Weibull, *, xp: Any, alpha: float) -> Array:
    if alpha == 1.0:
        return _kl_weibull_weibull(p, q, xp=xp)
    same = _one_parameter(p.shape, q.shape, "shape", xp, "Renyi divergence")
    return _where_shared(_one_shape_renyi(1.0, p.shape * log_ratio(q.scale, p.scale, xp), alpha, xp), same, xp)


# The Gamma shape of each family's image under exp(-X / s), and its KL (two scales too).
_LOCATION_IMAGES: dict[type, tuple[float, Callable[..., Array]]] = {Gumbel: (1.0, _kl_gumbel_gumbel),
                                                                    Moyal: (0.5, _kl_moyal_moyal)}


@register("renyi", Gumbel, Gumbel)
@register("renyi", Moyal, Moyal)
def _renyi_gumbel_or_moyal(p: Gumbel | Moyal, q: Gumbel | Moyal, *, xp: Any, alpha: float) -> Array:
    shape, kl = next(found for family, found in _LOCATION_IMAGES.items() if isinstance(p, family))
    if alpha == 1.0:
        return kl(p, q, xp=xp)
    same = _one_parameter(p.scale, q.scale, "scale", xp, "Renyi divergence")
    return _where_shared(_one_shape_renyi(shape, (p.loc - q.loc) / p.scale, alpha, xp), same, xp)


# Logistic laws of one scale, d = |mu1 - mu2| / s apart: with t = e^z the integral of p^alpha
# q^(1 - alpha) is e^(-(1 - alpha) d) int_0^inf (1 + t)^(-2 alpha) (1 + e^-d t)^(2 alpha - 2) dt
# = e^(-(1 - alpha) d) (1 - e^(-(2 alpha - 1) d)) / ((2 alpha - 1) (1 - e^-d)) (a 2F1 of
# parameter 1: elementary), whose log is L((2 alpha - 1) d) - L(d), L(y) = log(sinh(y/2) /
# (y/2)) (even; the linear terms cancel exactly). KL = 2 d L'(d) = d coth(d/2) - 2; the
# supremum of p/q is e^d. Two scales: the numerical route.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330,
              854513 / 138, -236364091 / 2730)
# L'(y) = (y/2) coth(y/2) - 1) / y = sum B_2n y^(2n - 1) / (2n)!: float64 round-off for y <= 1
_COTH_TERMS = tuple(b / math.factorial(2 * n) for n, b in enumerate(_BERNOULLI, start=1))
# sinh(u) / u - 1 = sum u^2n / (2n + 1)!: float64 round-off for u <= 2
_SINHC_TERMS = tuple(1.0 / math.factorial(2 * n + 1) for n in range(1, 15))


def _log_sinhc_half(y: Array, xp: Any) -> Array:
    """``L(y) = log(sinh(y/2) / (y/2))`` for ``y >= 0``, to full relative accuracy (``y^2 / 24``
    near 0: the series of ``sinh(u)/u - 1``; beyond ``u = 2``, ``u - log(2u) + log1p(-e^-2u)``)."""
    u = 0.5 * y
    small = u <= 2.0
    us = where0(small, u, xp)
    u2 = us * us
    sinhc_less_1 = u2 * _poly(_SINHC_TERMS, u2, xp)
    ub = substitute(~small, u, 3.0, xp)
    return xp.where(small, xp.log1p(sinhc_less_1), (ub - xp.log(2.0 * ub)) + xp.log1p(-xp.exp(-2.0 * ub)))


def _log_sinhc_half_slope(y: Array, xp: Any) -> Array:
    """``L'(y) = coth(y/2) / 2 - 1/y`` for ``y >= 0`` (``y / 12`` near 0, by its series)."""
    small = y <= 1.0
    ys = where0(small, y, xp)
    yb = substitute(~small, y, 2.0, xp)
    return xp.where(small, ys * _poly(_COTH_TERMS, ys * ys, xp), 0.5 / xp.tanh(0.5 * yb) - 1.0 / yb)


def _logistic_shift(p: Logistic, q: Logistic, measure: str, xp: Any) -> tuple[Array, tuple[Array, str] | None]:
    same = _one_parameter(p.scale, q.scale, "scale", xp, measure)
    return xp.abs(p.loc - q.loc) / p.scale, same


def _logistic_kl(d: Array, xp: Any) -> Array:
    return 2.0 * d * _log_sinhc_half_slope(d, xp)


@register_kl(Logistic, Logistic)
def _kl_logistic_logistic(p: Logistic, q: Logistic, *, xp: Any) -> Array:
    d, same = _logistic_shift(p, q, "KL divergence", xp)
    return _where_shared(_logistic_kl(d, xp), same, xp)


@register("cross_entropy", Logistic, Logistic)
def _ce_logistic_logistic(p: Logistic, q: Logistic, *, xp: Any) -> Array:
    d, same = _logistic_shift(p, q, "cross entropy", xp)
    return _where_shared((xp.log(p.scale) + 2.0) + _logistic_kl(d, xp), same, xp)  # H(p) + KL


@register("renyi", Logistic, Logistic)
def _renyi_logistic_logistic(p: Logistic, q: Logistic, *, xp: Any, alpha: float) -> Array:
    d, same = _logistic_shift(p, q, "Renyi divergence", xp)
    return _where_shared(_logistic_renyi(d, alpha, xp), same, xp)


def _logistic_renyi(d: Array, alpha: float, xp: Any) -> Array:
    """``[L(|2 alpha - 1| d) - L(d)] / (alpha - 1)``. Where ``|2 alpha - 1|`` is near 1
    (orders near 0 and near 1) the difference is ``(|2 alpha - 1| - 1) d`` times the mean of
    ``L'`` between the two points (ten-point Gauss-Legendre: L' is analytic, its poles at
    ``2 pi i n``), and ``(|2 alpha - 1| - 1) / (alpha - 1)`` is 2 (alpha > 1/2) or ``-2 alpha /
    (alpha - 1)`` (below): nothing cancels, nothing is divided by alpha - 1."""
    if alpha == 0.0:  # -log q(p > 0): one support
        return _zero_on_graph(d, xp)
    if alpha == 1.0:
        return _logistic_kl(d, xp)
    if math.isinf(alpha):
        return d
    k = abs(2.0 * alpha - 1.0)
    if 0.25 <= alpha <= 0.75 or alpha >= 1.25:  # the two L apart by a factor: at most 3x cancelling
        value = (_log_sinhc_half(k * d, xp) - _log_sinhc_half(d, xp)) / (alpha - 1.0) + 0.0  # (not -0.0)
        return xp.where(xp.isinf(d), d, value)  # (locations apart beyond the doubles: inf - inf)
    mean = 0.0
    for node, weight in GL_UNIT:
        mean = mean + weight * _log_sinhc_half_slope(d * (k + (1.0 - k) * node), xp)
    return (2.0 * d) * mean * (1.0 if alpha > 0.5 else alpha / (1.0 - alpha))


# --------------------------------------------------------------------------------------
# Gamma, Exponential, Chi2, Chi: exponential families in (shape - 1, -rate)
# --------------------------------------------------------------------------------------


def _gamma_kl(a: Array, b: Array, da: Array, db: Array, xp: Any, b2: Array | None = None,
              a2: Array | None = None) -> Array:
    """KL(Gamma(a, b) || Gamma(a + da, b + db)), shapes and rates, from the differences (exact
    for nearby laws): with t = db / b, the Bregman divergence of log Gamma, - da log1p(t)
    and a (t - log1p(t)), each second order near p = q and kept to relative accuracy. ``b2``
    and ``a2`` the second rate and shape themselves where the caller has them (``b + db``
    loses the rate below ``b 2^-53``)."""
    t = db / b
    # Rates apart by more than a factor 2 down: log r from the logarithms of the rates (1 + t
    # rounds to 0 below r = 2^-53, where log1p gave -inf); no cancellation is left there.
    apart = t < -0.5
    if is_eager(xp) and not _any(apart, xp):  # the common case, without the masks
        return lgamma_bregman(a, da, xp, a2) - da * xp.log1p(t) - a * log1pmx(t, xp)
    ts, b2 = where0(~apart, t, xp), substitute(apart, b + db if b2 is None else b2, 1.0, xp)
    log_r = xp.where(apart, xp.log(b2) - xp.log(substitute(apart, b, 1.0, xp)), xp.log1p(ts))
    rate = xp.where(apart, a * t - (a + da) * log_r, -da * log_r - a * log1pmx(ts, xp))
    return lgamma_bregman(a, da, xp, a2) + rate


def _entropy_part(z: Array, xp: Any) -> Array:
    """``(z - 1) psi(z) - lgamma(z) - z``, the part of the negative entropies of Gamma and Beta
    laws whose terms of the order of ``z log z`` cancel: directly below ``STIRLING_MIN``, from
    Stirling's series of both from it, ``-log(2 pi z) / 2 - 1/2 + 1/(2z) + M(z) / z - M(z) -
    S(z)`` (``stirling_sums``), terms of the order of ``log z``."""
    large, small, direct, big, tail = _entropy_pieces(z, xp)
    return xp.where(large, tail - 0.5 * (_LOG_2PI + xp.log(big)) - 0.5, direct)


def _gamma_negentropy(z: Array, xp: Any) -> Array:
    """The entropy of the normal law with a Gamma law's variance less the Gamma's own (the
    rate cancels: a function of the shape ``z`` alone, >= 0, about ``1 / (3 z)``): the
    :func:`_entropy_part` with ``log(2 pi e z) / 2`` added, which from ``STIRLING_MIN`` on
    cancels its logarithm analytically, leaving the terms in ``1/z`` (the tail)."""
    large, small, direct, _, tail = _entropy_pieces(z, xp)
    return xp.where(large, tail, direct + 0.5 * (_LOG_2PI + 1.0 + xp.log(small)))


def _negentropy_series(z: Array) -> tuple[Array, Array]:
    """For ``z >= STIRLING_MIN``: ``_gamma_negentropy(z) - 1/(3 z)`` and ``P(z) = sum_k
    B_2k / (2k z^2k)`` (``psi(z) = log z - 1/(2z) - P(z)``), each from its series in ``1/z``
    (no term of order ``1/z``: both about ``1 / (12 z^2)``)."""
    inverse = 1.0 / z
    square = inverse * inverse
    power = square
    beyond = square / 12.0
    psi_tail = square / 12.0
    for k, bernoulli in enumerate(_TRIGAMMA_BERNOULLI[1:], start=2):
        odd = power * inverse
        power = power * square
        beyond = beyond + bernoulli * (power / (2 * k) - odd / (2 * k - 1))
        psi_tail = psi_tail + bernoulli * power / (2 * k)
    return beyond, psi_tail


def _beta_negentropy(a: Array, b: Array, xp: Any) -> Array:
    """The entropy of the normal law with a Beta law's variance less the Beta's own (>= 0),
    for the Beta against a Normal as that plus the Normal form. Where both parameters reach
    ``STIRLING_MIN`` it tends to 0 (as the square of the skewness), and with ``c = a + b``
    it is ``(a - b)^2 / (3 a b c)`` (the terms of order ``1/a``, ``1/b`` and ``1/c`` of
    :func:`_gamma_negentropy` and of ``psi(c) - log(c (c + 1)) / 2``, combined) plus their
    series beyond (:func:`_negentropy_series`), all of the second order; elsewhere
    ``log(2 pi e var) / 2 - H(Beta)``."""
    c = a + b
    both = (a >= STIRLING_MIN) & (b >= STIRLING_MIN)
    sa, sb = substitute(both, a, STIRLING_MIN, xp), substitute(both, b, STIRLING_MIN, xp)
    sc = sa + sb
    (ga, _), (gb, _), (gc, pc) = _negentropy_series(sa), _negentropy_series(sb), _negentropy_series(sc)
    d = sa - sb
    lead = (d / sa) * (d / sb) / (3.0 * sc)
    series = lead + ga + gb - gc - pc - 0.5 * log1pmx(1.0 / sc, xp)
    log_var = xp.log(a / c) + xp.log(b / c) - xp.log1p(c)
    direct = 0.5 * (_LOG_2PI + 1.0 + log_var) + _beta_neg_entropy(a, b, xp)
    return xp.where(both, series, direct)


def _entropy_pieces(z: Array, xp: Any) -> tuple[Array, Array, Array, Array, Array]:
    """Where ``z`` takes Stirling's series, the arguments substituted below and from it, the
    direct form and the series' terms in ``1/z`` (see :func:`_entropy_part`)."""
    large = z >= STIRLING_MIN
    small = substitute(~large, z, 1.0, xp)
    direct = (small - 1.0) * digamma(small, xp) - gammaln(small, xp) - small
    big = substitute(large, z, STIRLING_MIN, xp)
    s, m = stirling_sums(big)
    inverse = 1.0 / big
    tail = (0.5 + m) * inverse - m - s
    return large, small, direct, big, tail


def _gamma_entropy(a: Array, b: Array, xp: Any) -> Array:
    # a - log b + lgamma(a) + (1 - a) psi(a), its terms of the order of a log a cancelled
    return -(_entropy_part(a, xp) + xp.log(b))


def _gamma_renyi(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any, alpha: float) -> Array:
    if alpha == 1.0:
        return _gamma_kl(a1, b1, a2 - a1, b2 - b1, xp)
    if math.isinf(alpha):
        # log sup p/q of (a1 - a2) log x - (b1 - b2) x + const over x > 0.
        c, e = a1 - a2, b1 - b2
        interior = (c > 0) & (e > 0)
        cs, es = substitute(interior, c, 1.0, xp), substitute(interior, e, 1.0, xp)
        peak = where0(interior, cs * (xp.log(cs) - xp.log(es) - 1.0), xp)
        const = a1 * xp.log(b1) - a2 * xp.log(b2) - gammaln(a1, xp) + gammaln(a2, xp)
        finite = interior | ((c == 0) & (e >= 0))
        return _inf_where(~finite, peak + const, xp)
    # With m the Gamma law at the mixed natural parameters (finite only inside the parameter
    # space), (1 - alpha) D_alpha = alpha KL(m || p) + (1 - alpha) KL(m || q): the linear terms
    # of the log-normaliser cancel exactly, so the value keeps the KL form's relative accuracy
    # near p = q instead of being a difference of log-normalisers.
    return _renyi_via_mixture(_gamma_kl_to, a1, b1, a2, b2, alpha, xp, _gamma_gradient)


def _gamma_gradient(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> tuple[Array, Array]:
    """The difference between two laws of the gradient of ``lgamma(a) - a log b`` in ``(a,
    b)``, ``(psi(a) - log b, -a / b)``: the digammas' from their terms, the means' from exact
    products."""
    up = a2 >= a1
    low, high = xp.where(up, a1, a2), xp.where(up, a2, a1)
    psi_step = digamma_difference(low, high - low, xp)
    psi_step = xp.where(up, psi_step, -psi_step)
    return psi_step - log_ratio(b2, b1, xp), -(product_difference(a2, b1, a1, b2) / b1) / b2


def _gamma_kl_to(a: Array, b: Array, raw_a: Array, raw_b: Array, xp: Any, ends: tuple[Array, Array],
                 scale: float, pair: tuple[Array, Array, Array, Array] | None = None) -> Array:
    """KL(Gamma(a, b) || Gamma(ends)), the differences ``scale`` times ``raw_a`` and ``raw_b``:
    ``_gamma_kl``, or the large-shape form where the shapes take it (the mixture of laws with
    large shapes: the second-order form cancelled terms of the order of the shape there,
    2.5e-3 relative off at shape 1e12)."""
    a2, b2 = ends
    da, db = scale * raw_a, scale * raw_b
    large = _gamma_large(a, b, a2, b2, xp)
    near = _gamma_kl(a, b, da, db, xp, b2=b2, a2=a2)
    if is_eager(xp) and not _any(large, xp):
        return near
    # The ratio of the rates and the relative difference of the means: from the offsets where
    # the laws are near each other (the mixture's own parameters are rounded, and its ends
    # would lose a nearby law's offsets), from the ends elsewhere (where the offsets, rounded
    # differences, lose a far law's digits).
    ab, a2b = substitute(large, a, STIRLING_MIN, xp), substitute(large, a2, STIRLING_MIN, xp)
    t, s = where0(large, db, xp) / b, where0(large, da, xp) / ab
    close = (xp.abs(t) <= 0.125) & (xp.abs(s) <= 0.125)
    ratio = xp.where(close, 1.0 + t, b2 / b)
    # u's numerator a2 b - a b2 is scale (raw_a b2 - a2 raw_b) for m anywhere on the line: from
    # the differences before their roundings and the end itself, not the rounded m (laws of
    # nearly equal means at shape 1e12 kept 6e-10 of those roundings in u: Renyi 3.9e-10 off)
    # (each product as _gamma_kl_large's)
    b2c = substitute(large, b2, 1.0, xp)
    usable, (sa, sb) = _products_in_range(ab, substitute(large, b, 1.0, xp), a2b, b2c, xp)
    near_u = scale * product_difference(where0(large, raw_a, xp) * sa, b2c * sb, a2b * sa, where0(large, raw_b, xp) * sb)
    far_u = product_difference(a2b * sa, substitute(large, b, 1.0, xp) * sb, ab * sa, b2c * sb)
    if pair is not None:
        # apart too, from the mixture's two laws where given: scale (a_q b_p - a_p b_q), not the
        # rounded m, whose mean's rounding the shape weighs (Gamma(9.5e106, 26.9) against
        # Gamma(6.2e-164, 2.3e-138) at order 0.3 gave 6.6e73 for 497)
        a_p, b_p, a_q, b_q = (substitute(large, v, 1.0, xp) for v in pair)
        exact = scale * product_difference(a_q * sa, b_p * sb, a_p * sa, b_q * sb)
        far_u = xp.where(xp.isfinite(exact), exact, far_u)
    u = xp.where(close, near_u, far_u) / ((ab * sa) * (b2c * sb))
    d = xp.where(close, where0(large, da, xp), a2b - ab)  # (a2 - a, where a is a rounded mixture, lost da)
    value = _gamma_kl_large_of(ab, a2b, ratio, u, xp, d)
    if not is_eager(xp) or _any(large & ~usable, xp):
        value = xp.where(usable, value, _gamma_kl_far_means(ab, substitute(large, b, 1.0, xp), a2b, b2c, d, xp))
    return xp.where(large, value, near)


def _gamma_params(d: Gamma | Exponential | Chi2 | Chi | InverseGamma, xp: Any) -> tuple[Array, Array]:
    """Shape and rate of the Gamma law (of the square, for Chi; of the reciprocal, for
    InverseGamma)."""
    if isinstance(d, Gamma | InverseGamma):
        return d.shape, d.rate
    if isinstance(d, Exponential):
        return _constant_like(d.rate, 1.0, xp), d.rate
    return 0.5 * d.df, _constant_like(d.df, 0.5, xp)


def _constant_like(x: Array, value: float, xp: Any) -> Array:
    """``value`` shaped like ``x``; a NumPy scalar for a NumPy scalar (an unbatched pair's,
    which then takes the forms on Python floats)."""
    return np.float64(value) if type(x) is np.float64 else full_like(x, value, xp)


_GammaLike = Gamma | Exponential | Chi2 | Chi | InverseGamma


# Shapes or rates nearer than this (relatively) take _gamma_kl's form; the plain sum elsewhere.
_GAMMA_NEAR = 0.125


def _gamma_kl_of(p: _GammaLike, q: _GammaLike, *, xp: Any) -> Array:
    (a1, b1), (a2, b2) = _gamma_params(p, xp), _gamma_params(q, xp)
    kind = is_eager(xp)
    found = host(kind, a1, b1, a2, b2, scalars=True)
    if found is not None and found[1] is np.float64:  # an unbatched pair, as Python floats
        number = _gamma_kl_float(*found[0])
        if number is not None:
            return np.float64(number)
        found = None
    if found is not None:  # in place on NumPy views (_host)
        (a1, b1, a2, b2), back = found
        value = _gamma_kl_host(a1, b1, a2, b2, back)
        if not a1.max() >= STIRLING_MIN:  # one reduction where, as mostly, no shape is large
            return back(value)
        return back(fill_finite(value, _stirling_shapes(a1, a2), _gamma_kl_large_host, (a1, b1, a2, b2)))
    da, db = a2 - a1, b2 - b1
    if kind:
        # torch's sum lgamma(a2) - lgamma(a1) - da psi(a1) + a1 t - a2 log1p(t), t = db / b1,
        # where the shapes and the rates are each equal or apart by more than 1/8: its terms
        # then err by a few tens of ulps of the Bregman part and of the rate part (at least
        # t^2/32 of a1 t); _gamma_kl's second-order forms elsewhere. An equal pair of shapes
        # or of rates leaves an exact 0 in the plain sum. Large shapes: _gamma_kl_large.
        t = db / b1
        # log r by log1p(t) while 1 + t keeps r's digits, from the logarithms of the rates below
        apart = t < -0.5
        if _any(apart, xp):
            log_r = xp.where(apart, xp.log(b2) - xp.log(b1), xp.log1p(where0(~apart, t, xp)))
        else:
            log_r = xp.log1p(t)
        plain = gammaln(a2, xp) - gammaln(a1, xp) - da * digamma(a1, xp) + (a1 * t - a2 * log_r)
        near = ((xp.abs(da) <= _GAMMA_NEAR * a1) & (da != 0)) | ((xp.abs(t) <= _GAMMA_NEAR) & (t != 0))
        value = patch(plain, near, lambda a, b, c, e, f, g: _gamma_kl(a, b, c, e, xp, b2=g, a2=f),
                      (a1, b1, da, db, a2, b2), kind)
        large = _gamma_large(a1, b1, a2, b2, xp)
        return patch(value, large, lambda a, b, c, e: _gamma_kl_large(a, b, c, e, xp), (a1, b1, a2, b2), kind)
    large = _gamma_large(a1, b1, a2, b2, xp)
    big = [substitute(large, v, STIRLING_MIN, xp) for v in (a1, a2)]
    return xp.where(large, _gamma_kl_large(big[0], b1, big[1], b2, xp), _gamma_kl(a1, b1, da, db, xp, b2, a2))


def _any(mask: Array, xp: Any) -> bool:
    """Whether any of an eager ``mask`` holds (an unbatched pair's, a NumPy scalar, without
    the reduction's overhead)."""
    return bool(mask) if getattr(mask, "ndim", 0) == 0 else bool(xp.any(mask))


def _gamma_large(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> Array:
    """Where ``_gamma_kl_large`` applies: shapes as ``_stirling_shapes`` says, where its exact
    products can be formed (``_products_in_range``; rates far apart still cancel terms of the
    order of ``a1``: shapes 1.5e260 and 2.7e29 at rates 1.7e245 and 3.5e13 gave -2.6e246 for
    3.6e29, where a window of the rates within 1e+-100 had left the plain sum)."""
    big = a1 >= STIRLING_MIN
    if is_eager(xp) and not _any(big, xp):  # as mostly, no first shape is large: nothing to mask
        return big
    usable, _ = _products_in_range(a1, b1, a2, b2, xp)
    return _stirling_shapes(a1, a2) & (usable | _means_far_apart(a1, b1, a2, b2, xp)[0])


def _means_far_apart(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> tuple[Array, Array, Array]:
    """Where the log-ratio of the means ``L = log((a2 / b2) / (a1 / b1))``, from logarithms, is
    beyond 8 in size; ``L`` and ``log(a1 r)``, ``r = b2 / b1``: for laws whose exact products
    leave the range (``_gamma_kl_large``)."""
    log_a1r = (xp.log(a1) + xp.log(b2)) - xp.log(b1)
    log_mean_ratio = xp.log(a2) - log_a1r
    return xp.abs(log_mean_ratio) >= 8.0, log_mean_ratio, log_a1r


def _products_in_range(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> tuple[Array, tuple[Array, Array]]:
    """Where the exact products ``a2 b1`` and ``a1 b2`` of the Gamma forms' ``u`` can be
    formed (Dekker's products hold within 2^+-960), and the powers of two to scale ``a`` and
    ``b`` by for them: those that take ``a1`` and ``b2`` near 1 where the ratios of the shapes,
    of the rates and their product are within 2^959 (the product ``a1 b2`` near 1 also keeps
    the gradient of ``u``, whose square it takes, in range); 1 where only the products as they
    are hold."""
    shapes, rates = a2 / a1, b1 / b2
    scaled = (shapes < 2.0**959) & (rates < 2.0**959) & (shapes * rates < 2.0**959)
    raw = (a2 * b1 > 2.0**-960) & (a2 * b1 < 2.0**960) & (a1 * b2 > 2.0**-960) & (a1 * b2 < 2.0**960)
    raw = raw & ((a2 * b1) / (a1 * b2) < 2.0**959)  # (u itself in range)
    for factor in (a1, b1, a2, b2):
        raw = raw & (factor < 2.0**960)
    one = xp.ones_like(shapes)
    return scaled | raw, (xp.where(scaled, _unit_scale(a1, xp), one), xp.where(scaled, _unit_scale(b2, xp), one))


def _stirling_shapes(a1: Array, a2: Array) -> Array:
    """Where ``_gamma_kl_large`` takes the Gamma KL: both shapes at least ``STIRLING_MIN``,
    or the first one and the second below half of it (its remainder from Stirling's series
    at each end apart, where the plain sum cancels terms of the order of ``a1``)."""
    return (a1 >= STIRLING_MIN) & ((a2 >= STIRLING_MIN) | (a2 < 0.5 * a1))


def _gamma_kl_large(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> Array:
    """KL(Gamma(a1, b1) || Gamma(a2, b2)) for shapes as ``_stirling_shapes`` says: ``a1 r
    phi(u) + R``, ``r = b2 / b1``, ``u = (a2 b1 - a1 b2) / (a1 b2)`` the relative difference
    of the means (its numerator exact: ``product_difference``), ``phi(u) = (1 + u) log1p(u) -
    u``, and ``R`` the remainder of the Bregman divergence of log Gamma beyond its leading
    part (``_bregman_remainder``: with both shapes large ``-log1pmx(t) / 2 +
    stirling_bregman(a1, t)``, ``t = (a2 - a1) / a1``). Terms of one sign: exact however
    large the shapes, where the plain sum and the second-order form cancel terms of order
    ``a1`` to leave the KL of laws with nearly equal means (at shapes near 1.8e7 they were
    8.7e-9 relative off; shapes of 1e30 and 1e10 gave NaN)."""
    # u's products as they are, or in units that take a1 and b2 near 1 (powers of two: exact)
    usable, (sa, sb) = _products_in_range(a1, b1, a2, b2, xp)
    a1s, b2s = a1 * sa, b2 * sb
    value = _gamma_kl_large_of(a1, a2, b2 / b1, product_difference(a2 * sa, b1 * sb, a1s, b2s) / (a1s * b2s), xp)
    if is_eager(xp) and not _any(~usable, xp):
        return value
    # Beyond the products' range, means far apart: a1 r phi(u) = a2 (L - 1) + a1 r with L =
    # log(1 + u) from logarithms (Gamma(1.1e228, 6.1e230) against Gamma(5.7e24, 1.6e-266)
    # gave -3.8e214 for 3.9e27), no cancellation where |L| >= 8
    return xp.where(usable, value, _gamma_kl_far_means(a1, b1, a2, b2, a2 - a1, xp))


def _gamma_kl_far_means(a1: Array, b1: Array, a2: Array, b2: Array, d: Array, xp: Any) -> Array:
    """``_gamma_kl_large`` where its products leave the range and the means are far apart
    (``_means_far_apart``), ``d`` the shapes' difference."""
    _, log_mean_ratio, log_a1r = _means_far_apart(a1, b1, a2, b2, xp)
    return a2 * (log_mean_ratio - 1.0) + xp.exp(log_a1r) + _bregman_remainder(a1, d, a2, xp)


def _gamma_kl_large_of(a1: Array, a2: Array, r: Array, u: Array, xp: Any, d: Array | None = None) -> Array:
    """:func:`_gamma_kl_large` from the ratio ``r`` of the rates and the relative difference
    ``u`` of the means (for a caller that has them more exactly than the rates), and ``d``,
    the shapes' difference, where the caller has it more exactly than ``a2 - a1``."""
    return a1 * r * _relative_entropy(u, xp) + _bregman_remainder(a1, a2 - a1 if d is None else d, a2, xp)


def _relative_entropy(u: Array, xp: Any) -> Array:
    """``(1 + u) log1p(u) - u`` (>= 0, ``u > -1``): near ``u = 0`` a second-order term plus a
    third-order one, ``(1 + u) log1pmx(u) + u^2``; beyond, the direct form."""
    small = xp.abs(u) <= 0.5
    # u rounded to -1 (a ratio 1 + u of means below u's rounding): (1 + u) log1p(u) is 0 to it
    edge = u <= -1.0
    us, ub = where0(small, u, xp), substitute(~small & ~edge, u, 1.0, xp)
    return xp.where(small, (1.0 + us) * log1pmx(us, xp) + us * us, xp.where(edge, -u, (1.0 + ub) * xp.log1p(ub) - ub))


def _gamma_kl_large_host(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return _gamma_kl_large(a1, b1, a2, b2, NUMPY)


def _gamma_kl_host(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray, back: Any) -> np.ndarray:
    """``_gamma_kl_of`` on NumPy views: the Bregman part ``lgamma(a2) - lgamma(a1) - da
    psi(a1)`` (``_host.bregman``: its near form where ``0 < |da| <= a1/8``, as the array
    path), plus the rate part ``a1 (r - 1 - log r) - da log r``, ``r = b2 / b1``: its
    first term the Exponential form, flat in ``r`` (within 14 ulps where ``|log r| > 0.08``),
    the series of both terms within that band (``_gamma_rate_series``), ``log1p`` of the
    difference of the rates where the value is below ``|da| / 16`` (``_gamma_kl_careful``),
    and ``log r`` from the logarithms of the rates where ``r`` leaves the normal range
    (``_gamma_kl_far``). Each part is patched on its own elements: an element near in shape
    only sums no series of the rates, and the reverse. The special functions are the
    caller's library's (``_host.special``)."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        da = np.subtract(a2, a1)
        x = near_everywhere(b1, b2, RATIO_SERIES_LOW, RATIO_SERIES_HIGH)
        if x is not None:
            # rates near each other throughout (equal, as often): the rate part by its series
            # alone, from the exact difference (no logarithm, nothing for the careful form to
            # redo: 1.5x the plain formula where every element took the band's series as a
            # patch); the Bregman part by bregman, its near form alone where the shapes are near too
            total = bregman(a1, da, back, a2)
            total += blockwise(_gamma_rate_series_of, x, a1, da)
            return total
        out = bregman(a1, da, back, a2)  # the near form where 0 < |da| <= a1 / 8, an exact 0 at da = 0
        work = np.empty_like(out)
        rate = np.divide(b2, b1)
        log_r = host_log(rate, back, out=work)
        rate -= 1.0
        rate -= log_r
        rate_near = rate <= _EXPONENTIAL_NEAR_VALUE
        far = None if rate.max() < log_range(rate.dtype) - 1.0 else ~(np.abs(log_r) < log_range(rate.dtype))
        rate *= a1
        log_r *= da
        rate -= log_r
        fill(rate, rate_near, _gamma_rate_series, (a1, b1, b2, da), few=_gamma_rate_series)
        total = np.add(out, rate, out=log_r)
        # log r carries r's rounding, at most |da| 2^-53 in da log r: where that could exceed
        # 8 ulps of the value (where B + E and da log r nearly cancel) the rate part again,
        # from log1p of the difference of the rates (as the array path); on a few elements.
        careful = total < np.multiply(np.abs(da, out=rate), 1.0 / 16.0, out=rate)
        fill(total, careful, _gamma_kl_careful, (out, a1, b1, b2, da))
        if far is not None:  # ratios out of range: log r from the logarithms of the rates
            fill(total, far, _gamma_kl_far, (out, a1, b1, a2, b2))
    return total


def _gamma_kl_float(a1: float, b1: float, a2: float, b2: float) -> float | None:
    """:func:`_gamma_kl_host` on Python floats (an unbatched pair), the same operations in the
    same order, where its plain, series and careful forms decide (shapes below
    ``STIRLING_MIN``, the ratio of the rates in the normal range); None elsewhere, for the
    array path."""
    if _stirling_shapes(a1, a2):
        return None
    da = a2 - a1
    r = b2 / b1
    if not 0.0 < r < math.inf:
        return None
    log_r = math.log(r)
    if abs(log_r) >= log_range(np.float64):
        return None
    rate = (r - 1.0) - log_r
    if rate <= _EXPONENTIAL_NEAR_VALUE:
        rate = float(_gamma_rate_series(a1, b1, b2, da))
    else:
        rate = rate * a1 - log_r * da
    shape_part = bregman_float(a1, da, a2)
    total = shape_part + rate
    if total < abs(da) * (1.0 / 16.0):
        return float(_gamma_kl_careful(shape_part, a1, b1, b2, da))  # type: ignore[arg-type]  # floats
    return total


def _gamma_kl_careful(bregman: np.ndarray, a1: np.ndarray, b1: np.ndarray, b2: np.ndarray, da: np.ndarray) -> np.ndarray:
    """``bregman`` plus the rate part of ``_gamma_kl`` (``t = (b2 - b1) / b1``)."""
    t = (b2 - b1) / b1
    return bregman - da * np.log1p(t) - a1 * log1pmx(t, NUMPY)


def _gamma_kl_far(bregman: np.ndarray, a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """``bregman`` plus ``a1 (r - 1) - a2 log r`` with ``log r = log b2 - log b1`` (``r``
    out of the normal range: no cancellation left in the rate part)."""
    return bregman + (a1 * (b2 / b1 - 1.0) - a2 * (np.log(b2) - np.log(b1)))


def _gamma_rate_series(a1: Array, b1: Array, b2: Array, da: Array) -> Array:
    """``a1 (x - log1p(x)) - da log1p(x)``, ``x = (b2 - b1) / b1`` in the series' range:
    ``log1p(x) = 2 u + tail`` (``atanh_tail``)."""
    return _gamma_rate_series_of((b2 - b1) / b1, a1, da)


def _gamma_rate_series_of(x: Array, a1: Array, da: Array) -> Array:
    """:func:`_gamma_rate_series` of ``x`` itself, in place on NumPy arrays (``_host.atanh_tail``)."""
    u, tail = host_atanh_tail(x)
    first = x * u
    first -= tail
    first *= a1
    u *= 2.0
    u += tail
    u *= da
    first -= u
    return first


def _gamma_renyi_of(p: _GammaLike, q: _GammaLike, *, xp: Any, alpha: float) -> Array:
    return _gamma_renyi(*_gamma_params(p, xp), *_gamma_params(q, xp), xp, alpha)


# Chi is the square root of Chi2: every f-divergence (KL included) is the Chi2 one.
def _exponential_kl(l1: Array, l2: Array, xp: Any) -> Array:
    """KL(Exponential(l1) || Exponential(l2)) = r - 1 - log r, r = l2 / l1, or -log1pmx(t),
    t = (l2 - l1) / l1, near r = 1: the Gamma form with equal shapes."""
    return -log1pmx((l2 - l1) / l1, xp)


def _exponential_kl_near(l1: Array, l2: Array, xp: Any) -> Array:
    """``_exponential_kl`` on the elements ``ratio_form`` hands over: ``x - log1p(x) = x u -
    2 (atanh(u) - u)``, ``u = x / (2 + x)``, two terms of one sign but for a third-order one
    (no log1p), where ``x`` is in the series' range; ``r - 1 - log r`` with the logarithms of
    the rates apart beyond (``r`` out of the normal range)."""
    x = (l2 - l1) / l1
    near = (x >= RATIO_SERIES_LOW) & (x <= RATIO_SERIES_HIGH)
    if bool(near.all()):  # eager arrays only (the method: no dispatch)
        u, tail = atanh_tail(x)
        return x * u - tail
    xs = where0(near, x, xp)
    u, tail = atanh_tail(xs)
    # Beyond, log r from the rates apart (r itself is inexact, 1 + x rounds to 0 or overflows).
    l1b, l2b = substitute(~near, l1, 1.0, xp), substitute(~near, l2, 1.0, xp)
    return xp.where(near, xs * u - tail, (l2b / l1b - 1.0) - (xp.log(l2b) - xp.log(l1b)))


def _exponential_kl_series(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """``x - log1p(x) = x u - 2 (atanh(u) - u)`` (``x = l2 / l1 - 1`` in the series' range)."""
    return _exponential_series_of((l2 - l1) / l1)


def _exponential_series_of(x: np.ndarray) -> np.ndarray:
    """:func:`_exponential_kl_series` of ``x`` itself, in place on NumPy arrays (``_host.atanh_tail``)."""
    u, tail = host_atanh_tail(x)
    u *= x
    u -= tail
    return u


def _exponential_kl_far(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """``r - 1 - log r`` with ``log r`` from the rates apart (``r`` out of the normal range)."""
    with np.errstate(over="ignore", under="ignore"):
        return (l2 / l1 - 1.0) - (np.log(l2) - np.log(l1))


def _exponential_plain(out: np.ndarray, work: np.ndarray, l1: np.ndarray, l2: np.ndarray, back: Any) -> None:
    """``r - 1 - log r``, ``r = l2 / l1``, into ``out`` (a block of :func:`_host.blockwise_into`)."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        np.divide(l2, l1, out=out)
        host_log(out, back, out=work)
        out -= 1.0
        out -= work


# r - 1 - log r at log r = 0.08, the larger of its values at +-0.08: at or below it, the series.
_EXPONENTIAL_NEAR_VALUE = math.expm1(0.08) - 0.08


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential, *, xp: Any) -> Array:
    kind = is_eager(xp)
    found = host(kind, p.rate, q.rate, scalars=True)
    if found is not None:  # the same, in place on NumPy views (_host)
        (l1, l2), back = found
        x = near_everywhere(l1, l2, RATIO_SERIES_LOW, RATIO_SERIES_HIGH) if isinstance(l1, np.ndarray) else None
        if x is not None:  # rates near each other throughout: the series alone, exact and cheaper
            return back(blockwise(_exponential_series_of, x))
        if not isinstance(l1, np.ndarray):
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                r = l2 / l1
                log_r = host_log(r, back)
                r = (r - 1.0) - log_r
            return back(ratio_fill(r, log_r, _exponential_kl_series, _exponential_kl_far, (l1, l2)))
        r = blockwise_into(lambda out, work, a, b: _exponential_plain(out, work, a, b, back), l1, l2)
        # r - 1 - log r is flat at r = 1, so the rounding of r cancels to first order: it errs
        # by about 2 / |log r| ulps (measured against mpmath: 14 at |log r| = 0.08, against
        # 140 for a log r - (a - b)), and the series is needed in a band a third of the
        # shared RATIO_NEAR's. The band is read off the value (one comparison, no |log r|),
        # and r out of the normal range off its largest value (at least log_range - 1 there;
        # NaN where r overflowed).
        fill(r, r <= _EXPONENTIAL_NEAR_VALUE, _exponential_kl_series, (l1, l2), few=_exponential_kl_series)
        if not r.max() < log_range(r.dtype) - 1.0:
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                far = ~(np.abs(np.log(l2 / l1)) < log_range(r.dtype))
            fill(r, far, _exponential_kl_far, (l1, l2))
        return back(r)
    if kind:
        # r - 1 - log r, r = l2 / l1: torch's form; where it may have cancelled (and out of
        # range) the exact form, on those elements only (one mask, one gather, in place).
        r = q.rate / p.rate
        log_r = xp.log(r)
        if scratch(r, kind):  # r's memory for the plain form (one full-size temporary less)
            r -= 1.0
            r -= log_r
            plain = r
        else:
            plain = r - 1.0 - log_r
        return ratio_form(plain, log_r, lambda a, b: _exponential_kl_near(a, b, xp), (p.rate, q.rate), kind, xp)
    return _exponential_kl(p.rate, q.rate, xp)


# InverseGamma(a, b) is 1/Gamma(a, b): every f-divergence is the Gammas' (a bijection apart).
for _family in (Gamma, Exponential, Chi2, Chi, InverseGamma):
    if _family is not Exponential:
        register_kl(_family, _family)(_gamma_kl_of)
    register("renyi", _family, _family)(_gamma_renyi_of)
# Exponential and Chi2 laws are Gamma laws: their Renyi divergences against each other too (not
# Chi's or InverseGamma's, images under maps of their own).
for _p, _q in ((Gamma, Exponential), (Gamma, Chi2), (Exponential, Chi2)):
    register("renyi", _p, _q)(_gamma_renyi_of)
    register("renyi", _q, _p)(_gamma_renyi_of)


@register("cross_entropy", Gamma, Gamma)
@register("cross_entropy", Chi2, Chi2)
@register("cross_entropy", InverseGamma, InverseGamma)
def _ce_gamma_gamma(p: _GammaLike, q: _GammaLike, *, xp: Any) -> Array:
    # -E log q(X) = lgamma(a2) - a2 log b2 - c E log Y + b2 E Y, Y the Gamma variable (X, or
    # 1 / X for InverseGamma), E log Y = psi(a1) - log b1, c = a2 - 1 (a2 + 1 for
    # InverseGamma, whose density has x^-(a2 + 1) = y^(a2 + 1)). Gamma(0.001, 1000) against
    # Exponential(1): 2.5e-9 relative off by H(p) + KL, where these terms are 0, 0, 0, a1 / b1.
    (a1, b1), (a2, b2) = _gamma_params(p, xp), _gamma_params(q, xp)
    psi, log_b1, log_b2, lgamma_a2 = digamma(a1, xp), xp.log(b1), xp.log(b2), gammaln(a2, xp)
    if isinstance(p, InverseGamma):
        # H = a + log b + lgamma(a) - (1 + a) psi(a) (_entropy_part: no terms of order a log a)
        c, entropy = a2 + 1.0, log_b1 - (_entropy_part(a1, xp) + 2.0 * psi)
    else:
        c, entropy = a2 - 1.0, _gamma_entropy(a1, b1, xp)
    mean_part = b2 * (a1 / b1)
    direct = (lgamma_a2 - a2 * log_b2) + (mean_part - c * (psi - log_b1))
    size = xp.abs(lgamma_a2) + xp.abs(a2 * log_b2) + xp.abs(c) * (xp.abs(psi) + xp.abs(log_b1)) + mean_part
    return _cross_entropy_of(entropy, _gamma_kl_of(p, q, xp=xp), direct, size, xp)


def _cross_entropy_of(entropy: Array, kl: Array, direct: Array, size: Array, xp: Any) -> Array:
    """``H(p) + KL(p || q)``, or ``direct``, the cross-entropy's own terms, where the sum of
    their magnitudes (``size``) is below ``|H(p)| + |KL|``: each form errs by a few ulps of
    its terms' sizes, and the two cancel in turn (H + KL where H is far below 0, as for laws
    concentrated near a point; the direct terms where they are large)."""
    return xp.where(size < xp.abs(entropy) + xp.abs(kl), direct, entropy + kl)


@register("cross_entropy", Exponential, Exponential)
def _ce_exponential_exponential(p: Exponential, q: Exponential, *, xp: Any) -> Array:
    # -log l2 + l2 / l1 directly: H(p) + KL cancelled log l1 (1.7e-3 relative off at rates
    # 1e12 against 1, where the value is 1e-12)
    return q.rate / p.rate - xp.log(q.rate)


@register("cross_entropy", Chi, Chi)
def _ce_chi_chi(p: Chi, q: Chi, *, xp: Any) -> Array:
    half, k2 = 0.5 * p.df, q.df
    psi = digamma(half, xp)
    # lgamma(k/2) + (k - log 2 - (k - 1) psi(k/2)) / 2, without its terms of order k log k
    entropy = -(_entropy_part(half, xp) + 0.5 * (_LOG_2 + psi))
    # -E log q(X) = (k2/2 - 1) log 2 + lgamma(k2/2) - (k2 - 1) E log X + E X^2 / 2, with
    # E log X = (psi(k1/2) + log 2) / 2, E X^2 = k1 (Chi(1e-6) against Chi(1): H + KL 1.4e-9 off)
    constant, lgamma_half = (0.5 * k2 - 1.0) * _LOG_2, gammaln(0.5 * k2, xp)
    direct = (constant + lgamma_half) + (half - 0.5 * (k2 - 1.0) * (psi + _LOG_2))
    size = xp.abs(constant) + xp.abs(lgamma_half) + 0.5 * xp.abs(k2 - 1.0) * (xp.abs(psi) + _LOG_2) + half
    return _cross_entropy_of(entropy, _gamma_kl_of(p, q, xp=xp), direct, size, xp)


# --------------------------------------------------------------------------------------
# Beta: an exponential family in (a - 1, b - 1) with log-normaliser log B(a, b)
# --------------------------------------------------------------------------------------


def _beta_kl(a: Array, b: Array, da: Array, db: Array, xp: Any, ends: tuple[Array, Array] | None = None) -> Array:
    """KL(Beta(a, b) || Beta(a + da, b + db)): the Bregman divergence of the log-normaliser
    log B = lgamma(a) + lgamma(b) - lgamma(a + b), so a sum of lgamma's own, with nothing
    left to cancel near p = q; ``ends`` the second law's parameters where the caller has them
    (see ``lgamma_bregman``)."""
    if ends is None:
        return lgamma_bregman(a, da, xp) + lgamma_bregman(b, db, xp) - lgamma_bregman(a + b, da + db, xp)
    a2, b2 = ends
    return (lgamma_bregman(a, da, xp, a2) + lgamma_bregman(b, db, xp, b2)
            - lgamma_bregman(a + b, da + db, xp, a2 + b2))


def _beta_kl_large(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> Array:
    """KL(Beta(a1, b1) || Beta(a2, b2)) where a parameter is at least ``STIRLING_MIN``: the
    Dirichlet form of two parts (:func:`dirichlet_kl_stable`)."""
    return dirichlet_kl_stable(xp.stack([a1, b1], axis=-1), xp.stack([a2, b2], axis=-1), xp)


def dirichlet_kl_stable(a: Array, b: Array, xp: Any, d: Array | None = None,
                        cross: tuple[Array, Array, float] | None = None) -> Array:
    """KL(Dirichlet(a) || Dirichlet(b)) over the last axis without terms of the order of the
    concentration left to cancel, for parameters of any size (Beta: two parts).

    Each Bregman divergence of log Gamma, ``B(x, d) = lgamma(x + d) - lgamma(x) - d psi(x)``,
    is a leading part ``L = x ((1 + t) log1p(t) - t)``, ``t = d / x``, plus a remainder: by
    Stirling's series ``-log1pmx(t) / 2 + stirling_bregman(x, t)`` where ``x`` and ``x + d``
    are at least ``STIRLING_MIN``, else ``B - L`` (both at most of the order of 12 t^2). The
    leading parts of ``sum_i B(a_i, d_i) - B(c1, dc)`` add up to ``c2 KL(m2 || m1)`` of the
    means exactly: ``c2 sum_i m1_i phi(u_i)``, ``u_i = n_i / (a_i c2)``, ``n_i = b_i c1 - a_i
    c2 = sum_j (b_i a_j - a_i b_j)`` each term an exact product difference (no rounded sum
    in it). Where the means nearly agree and the concentration is large, the difference form
    cancelled terms of the order of the concentration (Beta at 1e6-1e9: up to 4e-4 relative
    off; Dirichlet 4e-5); this form is within a few tens of ulps. ``d`` the offsets ``b - a``
    where the caller has them more exactly than ``b`` (the mixture of a Renyi divergence).
    ``cross = (x, y, s)`` where ``a`` is the rounded mixture ``alpha x + (1 - alpha) y`` and
    ``b`` is ``x`` (``s = alpha - 1``) or ``y`` (``s = alpha``): then ``n_i = s (y_i c_x - x_i
    c_y)`` exactly, whatever ``a``'s rounding (which the means' offsets weigh by the
    concentration: Beta(4.8e234, 1.1e214) against Beta(1.2e29, 3e-86) at order 0.3 gave 5.9e180
    for 2.9e8)."""
    c1, c2 = xp.sum(a, axis=-1), xp.sum(b, axis=-1)
    # n_i = b_i c1 - a_i c2, or from the offsets d_i c1 - a_i sum(d) where given (b, a rounded
    # mixture plus them, lost them); else d = b - a is exact near p = q, where c2 - c1 carries
    # c2's rounding.
    other = b if d is None else d
    d = b - a if d is None else d
    # The exact products hold below 2^995 only: each n_i is formed at its own power of two, the
    # i-th factors near 1 and the j-th ones at the row's largest near 1 (Dirichlet parameters
    # of 3.8e280 and 5.1e271 gave 0 for 1.3e222). No scale underflows a factor that counts.
    # (n_i = s (y_i c_x - x_i c_y): y = b or d and x = a, s = 1, or the mixture's two laws)
    x, y, scale = (a, other, 1.0) if cross is None else cross
    own = _unit_scale(xp.maximum(xp.abs(x), xp.abs(y)), xp)
    row = _unit_scale(xp.max(xp.maximum(xp.abs(x), xp.abs(y)), axis=-1), xp)[..., None]
    u = scale * _cross_products(y, x, own, row, xp) / ((a * own) * (c2[..., None] * row))
    terms = (c2[..., None] * (a / c1[..., None])) * _relative_entropy(u, xp)  # c2 m1_i phi(u_i)
    # Parameters of one row more than 2^1022 apart leave the range at the row's scale, and u
    # with them: there each such term from logarithms, b_i (log(b_i / c2) - log(a_i / c1)) -
    # (b_i - a_i c2 / c1), each from the sums of the others (Beta(2.3e-244, 2.3e277)
    # against Beta(1e-293, 3.6e-266) gave NaN, and 0 for 112.7 from the difference form);
    # the terms that are finite keep their form (from logarithms, a Dirichlet's term of
    # 1e37 times a log ratio of 1e-348 took the logarithms' rounding: -6.9e23 for 3.5e-311)
    # (u, or phi(u) beyond the range where u is huge; or a_i / c1 below it, where b_i is not)
    lost = ~xp.isfinite(terms) | (a < _TINIEST * c1[..., None])
    kind = is_eager(xp)
    if not kind or bool(xp.any(lost)):
        a_on, b_on = substitute(lost, a, 1.0, xp), substitute(lost, b, 1.0, xp)
        a_others, b_others = others_sum(a, xp), others_sum(b, xp)
        logs = b_on * (_log_share(a_on, a_others, xp) - _log_share(b_on, b_others, xp))
        # b_i - a_i c2 / c1 = (b_i a_others - a_i b_others) / c1, whose products stay in range
        linear = b_on * (a_others / c1[..., None]) - (a_on / c1[..., None]) * b_others
        terms = xp.where(lost, logs - linear, terms)
    lead = xp.sum(terms, axis=-1)
    dc = xp.sum(d, axis=-1)
    parts, whole = _bregman_remainder(a, d, b, xp), _bregman_remainder(c1, dc, c2, xp)
    value = lead + xp.sum(parts, axis=-1) - whole
    # Where q's parameters exceed p's by far more than p's own, the remainders' parts d / x
    # overflow (inf - inf), or cancel within a remainder and between them to what c1's
    # rounding leaves: there the form with those parts apart, where its rounding bound is the
    # smaller (the difference's: its parts' sizes, d log y and d / x among them)
    suspect = xp.any(xp.abs(d) > _FAR * a, axis=-1) | xp.isnan(value)
    if kind and not bool(xp.any(suspect)):
        return value
    apart, error = _kl_apart(lead, a, d, b, c1, dc, c2, xp)
    sizes = (xp.sum(xp.abs(parts) + xp.abs(d) * (xp.abs(xp.log(b)) + 1.0 / a), axis=-1) + xp.abs(whole)
             + xp.abs(dc) * (xp.abs(xp.log(c2)) + 1.0 / c1) + xp.abs(lead))
    better = suspect & ((apart == math.inf) | ~(error >= 4.0 * _EPS * sizes))
    return xp.where(better, apart, value)


def _cross_products(y: Array, x: Array, own: Array, row: Array, xp: Any) -> Array:
    """``sum_j (y_i x_j - x_i y_j) = y_i c_x - x_i c_y`` in units of ``own_i row``, each term
    an exact product difference."""
    y_i, x_i, x_j, y_j = y * own, x * own, x * row, y * row
    return xp.sum(product_difference(y_i[..., :, None], x_j[..., None, :], x_i[..., :, None], y_j[..., None, :]), axis=-1)


_TINIEST = 2.0**-1022
_FAR = 2.0**20  # q's parameter this many times p's: the remainders' parts d / x dominate
_EPS = 2.0**-52


def others_sum(x: Array, xp: Any) -> Array:
    """Each part's others' sum over the last axis, as a sum of them (not the whole less it,
    which loses a small sum beside a large part)."""
    eye = xp.eye(x.shape[-1], dtype=xp.bool, device=device(x))
    return xp.sum(xp.where(eye, xp.zeros_like(x[..., None, :]), x[..., None, :]), axis=-1)


def _log_share(x: Array, others: Array, xp: Any) -> Array:
    """``log((x + others) / x)``, ``-log`` of ``x``'s share of the sum, from the terms (a
    quotient of them overflowed)."""
    small = others <= x
    o_s, x_l = substitute(small, others, 0.0, xp), substitute(~small, x, 1.0, xp)
    o_l = substitute(~small, others, 1.0, xp)
    return xp.where(small, xp.log1p(o_s / x), (xp.log(o_l) - xp.log(x_l)) + xp.log1p(x_l / o_l))


def _kl_apart(lead: Array, a: Array, d: Array, b: Array, c1: Array, dc: Array, c2: Array,
              xp: Any) -> tuple[Array, Array]:
    """:func:`dirichlet_kl_stable` with the remainders' parts ``d / x`` taken apart, and a
    bound on its rounding. Each remainder is ``d / x + g(x, y) + d f(x)``, ``g = S(y) - log(y /
    (2 pi)) / 2 + x log x - x - lgamma(x)``, ``f(x) = log x - psi(x + 1)`` (``y = x + d``;
    ``psi(x) + 1 / x = psi(x + 1)``). The parts ``d / x`` add up to ``sum_i d_i (c1 - a_i) /
    (a_i c1)`` and the parts ``d f`` to ``-sum_i d_i (f(c1) - f(a_i))``, ``c1 - a_i`` the sum
    of the others in both: no term of the order of ``d / x`` or ``d f`` is left to cancel
    (Beta(1e-300, 0.5) against Beta(1e-300, 1e300) gave 0 for 4.93, and NaN where ``d / x``
    overflowed)."""
    others = others_sum(a, xp)
    inverse = xp.sum(d * (others / c1[..., None]) / a, axis=-1)

    def f(x: Array) -> Array:
        return xp.log(x) - digamma(x + 1.0, xp)

    def g(x: Array, y: Array) -> Array:
        return stirling_remainder(y, xp) - 0.5 * (xp.log(y) - _LOG_2PI) + (x * xp.log(x) - x - gammaln(x, xp))

    # f(c1) - f(a_i), f(a + h) - f(a) = log1p(h / a) - (psi(a + 1 + h) - psi(a + 1)), from the
    # others' sum h itself (c1's rounding was all of it)
    shift = xp.log1p(others / a) - digamma_difference(a + 1.0, others, xp)
    g_parts, g_whole = where0(d != 0, g(a, b), xp), g(c1, c2)  # (g(x, x) = 0, from terms of log x)
    value = lead + inverse + (xp.sum(g_parts - d * shift, axis=-1) - g_whole)
    error = xp.sum(xp.abs(d) * (xp.abs(shift) + xp.abs(xp.log1p(others / a))) + xp.abs(g_parts), axis=-1)
    return value, 8.0 * _EPS * (error + xp.abs(g_whole) + xp.abs(inverse) + xp.abs(lead))


def _unit_scale(x: Array, xp: Any) -> Array:
    """A power of two, within 2^+-1022, that takes ``x > 0`` to between 1/2 and 2: a product
    by it rounds nothing."""
    tiniest = 2.0**-1022  # (log2(0) would warn)
    return 2.0 ** -xp.clip(xp.floor(xp.log2(xp.maximum(x, tiniest))), -1022.0, 1022.0)


def _bregman_remainder(x: Array, d: Array, y: Array, xp: Any) -> Array:
    """``B(x, d) - x ((1 + t) log1p(t) - t)``, ``t = d / x``, ``y = x + d`` the parameter
    itself (``dirichlet_kl_stable``). Where ``x`` and ``y`` are at least ``STIRLING_MIN``
    and ``y >= x / 2``, Stirling's series for the Bregman divergence (second order in
    ``t``). Where ``x`` is and ``y < x / 2`` (``_remainder_apart``), Stirling's series at
    ``x`` and at ``y`` apart: terms of the order of ``log x``, where ``B`` and the leading
    part are of the order of ``x`` (parameters of 5e21 and 6e-21 gave NaN). Else the
    difference (its near form within an eighth, second order in ``t``)."""
    t = d / x
    big_x = x >= STIRLING_MIN
    apart = big_x & (t < -0.5)
    close = big_x & ~apart & (y >= STIRLING_MIN)
    other = ~(close | apart)
    xs, ts = substitute(close, x, STIRLING_MIN, xp), where0(close, t, xp)
    xa, ta, ya = substitute(apart, x, STIRLING_MIN, xp), where0(apart, t, xp), substitute(apart, y, 1.0, xp)
    xo, do, yo = substitute(other, x, 1.0, xp), where0(other, d, xp), substitute(other, y, 1.0, xp)
    by_series = stirling_bregman(xs, ts) - 0.5 * log1pmx(ts, xp)
    by_difference = lgamma_bregman(xo, do, xp, yo) - xo * _relative_entropy(do / xo, xp)
    return xp.where(close, by_series, xp.where(apart, _remainder_apart(xa, ta, ya, xp), by_difference))


def _remainder_apart(x: Array, t: Array, y: Array, xp: Any) -> Array:
    """``_bregman_remainder`` for ``x >= STIRLING_MIN`` and ``y < x / 2``: with ``log Gamma(z) =
    (z - 1/2) log z - z + log(2 pi) / 2 + S(z)`` at ``x`` (``stirling_sums``: ``S`` and ``M``)
    it is ``Y(y) + log(x) / 2 + t / 2 + t M(x) - S(x)`` with ``Y(y) = lgamma(y) - y log y + y -
    log(2 pi) / 2``, which is ``S(y) - log(y) / 2`` where ``y`` reaches ``STIRLING_MIN`` too
    (no terms of the order of ``y`` to cancel)."""
    s_x, m_x = stirling_sums(x)
    return (stirling_remainder(y, xp) - 0.5 * xp.log(y)) + (0.5 * xp.log(x) + 0.5 * t + (t * m_x - s_x))


def _beta_kl_large_host(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return _beta_kl_large(a1, b1, a2, b2, NUMPY)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta, *, xp: Any) -> Array:
    kind = is_eager(xp)
    found = host(kind, p.a, p.b, q.a, q.b, scalars=True)
    if found is not None and found[1] is np.float64:  # an unbatched pair, as Python floats
        a1, b1, a2, b2 = found[0]
        if max(a1, b1, a2, b2) < STIRLING_MIN and min(a1, b1) > SHARE * max(a1, b1):
            da, db = a2 - a1, b2 - b1
            return np.float64(bregman_float(a1, da, a2) + bregman_float(b1, db, b2)
                              - bregman_float(a1 + b1, da + db, a2 + b2))
        found = None
    if found is not None:  # the same three Bregman divergences, in place on NumPy views (_host)
        (a1, b1, a2, b2), back = found
        da, db = a2 - a1, b2 - b1
        out = bregman(a1, da, back, a2)
        out += bregman(b1, db, back, b2)
        whole = bregman(a1 + b1, da + db, back, a2 + b2)
        sizes = out + whole  # the parts' sum (each >= 0): out cancelled it where far below
        out -= whole
        large = np.maximum(np.maximum(a1, b1), np.maximum(a2, b2)) >= STIRLING_MIN
        out = fill_finite(out, large, _beta_kl_large_host, (a1, b1, a2, b2))
        # where one parameter leaves the other less than a 16th of it, the Bregman parts of the
        # larger and of the sum nearly cancel near p = q (_lopsided)
        index = np.flatnonzero((out < LOST * sizes) & (np.minimum(a1, b1) <= SHARE * np.maximum(a1, b1)))
        if index.size:  # (those rows' parameters gathered, as pairs)
            a, d, b = (np.stack([u.reshape(-1).take(index), v.reshape(-1).take(index)], axis=-1)
                       for u, v in ((a1, b1), (da, db), (a2, b2)))
            flat = out.reshape(-1)
            flat[index] = lopsided(flat.take(index), a, d, b, NUMPY, np.ones(index.size, dtype=bool))
        return back(out)
    a1, b1, a2, b2 = xp.broadcast_arrays(p.a, p.b, q.a, q.b)
    value = _kl_beta_beta_array(a1, b1, a2, b2, kind, xp)
    return lopsided(value, xp.stack([a1, b1], axis=-1), xp.stack([a2 - a1, b2 - b1], axis=-1),
                    xp.stack([a2, b2], axis=-1), xp)


def _kl_beta_beta_array(a1: Array, b1: Array, a2: Array, b2: Array, kind: str | None, xp: Any) -> Array:
    value = _beta_kl(a1, b1, a2 - a1, b2 - b1, xp, (a2, b2))
    large = xp.maximum(xp.maximum(a1, b1), xp.maximum(a2, b2)) >= STIRLING_MIN
    if kind:
        if not _any(large, xp):
            return value
        return patch(value, large, lambda a, b, c, e: _beta_kl_large(a, b, c, e, xp),
                     tuple(xp.broadcast_arrays(a1, b1, a2, b2)), kind)
    big_a1, big_b1, big_a2, big_b2 = (substitute(large, v, STIRLING_MIN, xp) for v in (a1, b1, a2, b2))
    return xp.where(large, _beta_kl_large(big_a1, big_b1, big_a2, big_b2, xp), value)


@register("renyi", Beta, Beta)
def _renyi_beta_beta(p: Beta, q: Beta, *, xp: Any, alpha: float) -> Array:
    a1, b1, a2, b2 = p.a, p.b, q.a, q.b
    if alpha == 1.0:
        return _kl_beta_beta(p, q, xp=xp)
    if math.isinf(alpha):
        # log sup p/q of c log x + e log(1 - x) + const: finite iff c, e >= 0, the peak at
        # x = c/(c + e) giving c log c + e log e - (c + e) log(c + e).
        c, e = a1 - a2, b1 - b2
        finite = (c >= 0) & (e >= 0)
        cs, es = where0(finite, c, xp), where0(finite, e, xp)
        peak = _xlogx(cs, xp) + _xlogx(es, xp) - _xlogx(cs + es, xp)
        return _inf_where(~finite, peak - betaln(a1, b1, xp) + betaln(a2, b2, xp), xp)
    return _renyi_via_mixture(_beta_kl_to, a1, b1, a2, b2, alpha, xp, _beta_gradient)


def _beta_gradient(a1: Array, b1: Array, a2: Array, b2: Array, xp: Any) -> tuple[Array, Array]:
    """The difference between two laws of the gradient of ``log B(a, b)``, ``(psi(a) - psi(a +
    b), psi(b) - psi(a + b))``, each from its terms (``digamma_difference``: the digammas of
    1e12 and 1e12 + 1e-3 cancel to 1e-15)."""
    return (digamma_difference(a1, b1, xp) - digamma_difference(a2, b2, xp),
            digamma_difference(b1, a1, xp) - digamma_difference(b2, a2, xp))


def _log_beta(a: Array, b: Array, xp: Any) -> tuple[Array, Array]:
    """``log B(a, b) = lgamma(s) - s psi(l) - B(l, s)``, ``s`` and ``l`` the smaller and the
    larger parameter and ``B`` log Gamma's Bregman divergence (lgamma(l) and lgamma(l + s), of
    the order of l log l, cancel analytically), and the sum of its terms' magnitudes."""
    small, large = xp.minimum(a, b), xp.maximum(a, b)
    lgamma_s, linear, bregman = gammaln(small, xp), small * digamma(large, xp), lgamma_bregman(large, small, xp, a + b)
    return (lgamma_s - linear) - bregman, xp.abs(lgamma_s) + xp.abs(linear) + bregman


def _beta_kl_to(a: Array, b: Array, raw_a: Array, raw_b: Array, xp: Any, ends: tuple[Array, Array],
                scale: float, pair: tuple[Array, Array, Array, Array] | None = None) -> Array:
    """KL(Beta(a, b) || Beta(ends)), the differences ``scale`` times ``raw_a`` and ``raw_b``:
    ``_beta_kl``, or :func:`dirichlet_kl_to`'s forms where a parameter reaches 12 (with the
    mixture's two laws ``pair``, ``(a1, b1, a2, b2)``, where given)."""
    da, db = scale * raw_a, scale * raw_b
    near = _beta_kl(a, b, da, db, xp, ends)
    if is_eager(xp):  # the forms below only where a parameter is large or holds 15/16 of the sum
        largest = xp.maximum(xp.maximum(a, b), xp.maximum(*ends))
        if not _any((largest >= STIRLING_MIN) | (xp.minimum(a, b) <= SHARE / (1.0 - SHARE) * xp.maximum(a, b)), xp):
            return near
    cross = None if pair is None else (xp.stack(pair[:2], axis=-1), xp.stack(pair[2:], axis=-1), scale)
    return dirichlet_kl_to(near, xp.stack([a, b], axis=-1), xp.stack([da, db], axis=-1), xp.stack(ends, axis=-1), xp,
                           cross)


def dirichlet_kl_to(near: Array, c: Array, d: Array, ends: Array, xp: Any,
                    cross: tuple[Array, Array, float] | None = None) -> Array:
    """KL(Dirichlet(c) || Dirichlet(ends)) over the last axis, ``c`` a rounded mixture and ``d``
    the offsets to ``ends``, formed more exactly than ``ends - c`` (Renyi's mixture route):
    ``near``, the difference form, unless a parameter reaches 12; there
    :func:`dirichlet_kl_stable`, from the offsets where the laws are near each other (the
    difference form's Bregman parts cancelled: laws 1e-11 apart at a parameter of 1e12 gave
    0), from the ends where apart (the offsets' rounding: 2^-9 off for 0.0124), with the two
    laws of the mixture ``cross`` where given (:func:`dirichlet_kl_stable`)."""
    large = xp.max(xp.maximum(c, ends), axis=-1) >= STIRLING_MIN
    if is_eager(xp) and not _any(large, xp):
        return lopsided(near, c, d, ends, xp)
    apart = xp.any(xp.abs(d) > 0.125 * c, axis=-1)
    cs, es = substitute(large[..., None], c, STIRLING_MIN, xp), substitute(large[..., None], ends, STIRLING_MIN, xp)
    ds = where0((large & ~apart)[..., None], d, xp)
    from_offsets = dirichlet_kl_stable(cs, cs + ds, xp, ds)
    if cross is not None:
        wide = large[..., None]
        cross = (substitute(wide, cross[0], STIRLING_MIN, xp), substitute(wide, cross[1], STIRLING_MIN, xp), cross[2])
    value = xp.where(large, xp.where(apart, dirichlet_kl_stable(cs, es, xp, cross=cross), from_offsets), near)
    return lopsided(value, c, d, ends, xp)


@register("cross_entropy", Beta, Beta)
def _ce_beta_beta(p: Beta, q: Beta, *, xp: Any) -> Array:
    # -E log q(X) = log B(a2, b2) - (a2 - 1) E log X - (b2 - 1) E log(1 - X), E log X = psi(a1)
    # - psi(a1 + b1) from its terms (that difference cancelled where b1 is far below a1); or
    # H(p) + KL where these direct terms are the larger (H(p) + KL cancelled for p = Beta(1e-6,
    # 0.001) against Beta(1, 0.37): 2.3e-10 relative off; 1e-13 for an exact 0 against Beta(1, 1))
    a1, b1, a2, b2 = p.a, p.b, q.a, q.b
    log_x, log_1mx = -digamma_difference(a1, b1, xp), -digamma_difference(b1, a1, xp)
    # (Beta(1e-6, 1) against Beta(1, 1e6): log B's usual terms 4.9e-11 off)
    log_beta, log_beta_size = _log_beta(a2, b2, xp)
    direct = log_beta - ((a2 - 1.0) * log_x + (b2 - 1.0) * log_1mx)
    size = log_beta_size + xp.abs(a2 - 1.0) * xp.abs(log_x) + xp.abs(b2 - 1.0) * xp.abs(log_1mx)
    return _cross_entropy_of(-_beta_neg_entropy(a1, b1, xp), _kl_beta_beta(p, q, xp=xp), direct, size, xp)


def _beta_neg_entropy(a: Array, b: Array, xp: Any) -> Array:
    """``-H(Beta(a, b))``; near Beta(1, 1) (whose entropy is 0) as KL(Beta(a, b) || Beta(1, 1)),
    the Bregman form, which keeps relative accuracy where the usual terms cancel; where a
    parameter reaches ``STIRLING_MIN``, ``E(a) + E(b) - E(a + b) + psi(a + b)`` with ``E`` the
    ``_entropy_part``, whose terms linear in the parameters cancel exactly (Beta(13, 1e30)
    against a Chi2 came out negative)."""
    ab = a + b
    value = (
        (a - 1.0) * digamma(a, xp)
        + (b - 1.0) * digamma(b, xp)
        - (ab - 2.0) * digamma(ab, xp)
        - (gammaln(a, xp) + gammaln(b, xp) - gammaln(ab, xp))
    )
    large = xp.maximum(a, b) >= STIRLING_MIN
    by_parts = _entropy_part(a, xp) + _entropy_part(b, xp) - _entropy_part(ab, xp) + digamma(ab, xp)
    near = _near_one(a, b, xp)
    a1, b1 = substitute(near, a, 1.0, xp), substitute(near, b, 1.0, xp)
    return xp.where(near, _beta_kl(a1, b1, 1.0 - a1, 1.0 - b1, xp), xp.where(large, by_parts, value))


def _near_one(a: Array, b: Array, xp: Any) -> Array:
    """Whether Beta(a, b) is near Beta(1, 1) = Uniform(0, 1), where the general forms cancel."""
    return (xp.abs(a - 1.0) <= 0.125) & (xp.abs(b - 1.0) <= 0.125)


# --------------------------------------------------------------------------------------
# VonMises: an exponential family in kappa (cos mu, sin mu), A = log(2 pi I0(|t|))
# --------------------------------------------------------------------------------------


def _log_i0(k: Array, xp: Any) -> Array:
    return xp.log(i0e(k, xp)) + k


def _bessel_ratio(k: Array, xp: Any) -> Array:
    """``A(k) = I1(k) / I0(k)``, the derivative of log I0."""
    return i1e(k, xp) / i0e(k, xp)


def _convex_bregman(
    curvature: Callable[[Array], Array], radius: Callable[[Array], Array],
    direct: Callable[[Array, Array], Array], y: Array, d: Array, xp: Any, end: Array | None = None,
) -> Array:
    """``F(y + d) - F(y) - d F'(y)`` (>= 0) for a convex ``F``, to relative accuracy. Where
    ``|d|/2`` is within a quarter of the analytic radius ``radius(mid)`` of ``F''`` around the
    midpoint it is ``h^2 int_{-1}^{1} (1 - x) F''(mid + h x) dx`` (``h = d/2``) by 10-point
    Gauss-Legendre: one sign throughout, no cancellation. Elsewhere ``direct(y, end)``, ``end``
    the point ``y + d`` itself where the caller has it (the rounded sum loses a point far
    below ``y``: a VonMises Renyi of concentrations 1e8 and 0.5 lost 2e-7 of the 0.5)."""
    h = 0.5 * d
    mid = y + h
    near = xp.abs(h) <= 0.25 * radius(mid)
    hs, ms = where0(near, h, xp), substitute(near, mid, 1.0, xp)
    total = xp.zeros_like(hs)
    for x, w in zip(GL_NODES, GL_WEIGHTS, strict=True):
        total = total + w * (1.0 - x) * curvature(ms + hs * x)
    far_y = substitute(~near, y, 1.0, xp)
    far_end = far_y + substitute(~near, d, 1.0, xp) if end is None else substitute(~near, end, 2.0, xp)
    return xp.where(near, hs * hs * total, direct(far_y, far_end))


# The asymptotic series in u = 1/t of 1 - A(t) (from u) and of A'(t) (from u^2), A = I1/I0,
# from those of I0 and I1: 24 terms are within 3e-16 of mpmath from t = 25 on, where the
# direct forms lose digits (A' = 1 - A/t - A^2 by eps t^2: 7e-13 relative at t = 25, 1e-4 at
# t = 1e6, and a VonMises KL at concentrations near 5e8 came out negative; 1 - A by eps t).
_BESSEL_LARGE = 25.0
_ONE_MINUS_A = (
    0.5, 0.125, 0.125, 0.1953125, 0.40625, 1.0478515625, 3.21875, 11.466461181640625, 46.478515625,
    211.27614974975586, 1064.67822265625, 5892.0457146167755, 35528.87744140625, 231884.6359563172,
    1628749.4532470703, 12251067.63286615, 98252781.81546783, 836956449.7799761, 7546911569.366995,
    71816112232.68327, 719236632073.3802, 7562132599676.877, 83284339829845.66, 958823685326569.2
)
_A_PRIME = (
    0.5, 0.25, 0.375, 0.78125, 2.03125, 6.287109375, 22.53125, 91.731689453125, 418.306640625,
    2112.7614974975586, 11711.46044921875, 70704.5485754013, 461875.40673828125, 3246384.9033884406,
    24431241.798706055, 196017082.1258584, 1670297290.8629532, 15065216096.039572, 143391319817.9729,
    1436322244653.6655, 15103969273540.986, 166366917192891.28, 1915539816086450.0,
    2.3011768447837664e+16
)


def _one_minus_bessel_ratio(k: Array, xp: Any) -> Array:
    """``1 - A(k)``, ``A = I1/I0``: the direct difference below ``_BESSEL_LARGE``, the
    asymptotic series from it."""
    large = k >= _BESSEL_LARGE
    u = 1.0 / substitute(large, k, _BESSEL_LARGE, xp)
    return xp.where(large, u * _horner(_ONE_MINUS_A, u), 1.0 - _bessel_ratio(substitute(~large, k, 1.0, xp), xp))


def _log_i0_curvature(t: Array, xp: Any) -> Array:
    """``A'(t) = 1 - A/t - A^2`` with ``A = I1/I0``, the second derivative of log I0 (its
    asymptotic series from ``_BESSEL_LARGE`` on)."""
    small = xp.abs(t) < 1e-3  # A(t)/t -> 1/2 - t^2/16 at 0
    large = t >= _BESSEL_LARGE
    ts = substitute(~small & ~large, t, 1.0, xp)
    a = _bessel_ratio(ts, xp)
    over_t = xp.where(small, 0.5 - t * t / 16.0, a / ts)
    a = xp.where(small, 0.5 * t, a)
    u = 1.0 / substitute(large, t, _BESSEL_LARGE, xp)
    return xp.where(large, u * u * _horner(_A_PRIME, u), 1.0 - over_t - a * a)


def _log_i0_bregman(k: Array, d: Array, xp: Any, end: Array | None = None) -> Array:
    """``log I0(k + d) - log I0(k) - d A(k)`` (``end`` the point ``k + d`` where the caller has
    it); ``A'`` is analytic out to the first zero of I0, at 2.405 i. Where both points pass
    2^500, ``-log1pmx(d / k) / 2`` from ``log I0(t) = t - log(2 pi t) / 2 + O(1 / t)`` (the
    next term is 2^-500 of it; the integral's d^2 and A' left the range of doubles: NaN)."""
    end = k + d if end is None else end
    huge = (k > 2.0**500) & (end > 2.0**500)
    ks, ds, ends = substitute(~huge, k, 1.0, xp), where0(~huge, d, xp), substitute(~huge, end, 1.0, xp)

    def radius(m: Array) -> Array:  # the distance to the pole at 2.405 i (m^2 overflowed)
        wide = xp.abs(m) > 2.0**500
        return xp.where(wide, xp.abs(m), xp.sqrt(substitute(~wide, m, 1.0, xp) ** 2 + 5.78))

    value = _convex_bregman(
        lambda t: _log_i0_curvature(t, xp), radius,
        lambda a, b: (b - a) * _one_minus_bessel_ratio(a, xp) + xp.log(i0e(b, xp)) - xp.log(i0e(a, xp)),
        ks, ds, xp, ends,
    )
    if not is_eager(xp) or _any(huge, xp):
        kh, endh = substitute(huge, k, 1.0, xp), substitute(huge, end, 1.0, xp)
        t = where0(huge, d, xp) / kh
        # (log1p(t) from the ends' logarithms where t rounds toward -1: 1e186 against 2.8e207 gave inf)
        down = t < -0.5
        by_logs = (xp.log(substitute(down, endh, 1.0, xp)) - xp.log(substitute(down, kh, 1.0, xp))) - t
        value = xp.where(huge, -0.5 * xp.where(down, by_logs, log1pmx(substitute(~down, t, 0.0, xp), xp)), value)
    return value


def _vonmises_kl(k1: Array, dk: Array, k2: Array, shift: Array, xp: Any) -> Array:
    """KL(VonMises(mu, k1) || VonMises(mu + shift, k2)) with ``dk = k2 - k1`` exact."""
    return _log_i0_bregman(k1, dk, xp, k2) + 2.0 * k2 * xp.sin(0.5 * shift) ** 2 * _bessel_ratio(k1, xp)


@register_kl(VonMises, VonMises)
def _kl_vonmises_vonmises(p: VonMises, q: VonMises, *, xp: Any) -> Array:
    # TFP's form with scaled Bessel functions; k1 - k2 cos d = (k1 - k2) + 2 k2 sin^2(d/2),
    # the concentration part as the Bregman divergence of log I0.
    k1, k2 = p.concentration, q.concentration
    return _vonmises_kl(k1, k2 - k1, k2, q.loc - p.loc, xp)


@register("renyi", VonMises, VonMises)
def _renyi_vonmises_vonmises(p: VonMises, q: VonMises, *, xp: Any, alpha: float) -> Array:
    k1, k2 = p.concentration, q.concentration
    if alpha == 1.0:
        return _kl_vonmises_vonmises(p, q, xp=xp)
    s2 = xp.sin(0.5 * (p.loc - q.loc)) ** 2
    if math.isinf(alpha):
        # sup_x k1 cos(x - mu1) - k2 cos(x - mu2) = |t1 - t2|.
        amplitude = sqrt_with_zero_gradient((k1 - k2) ** 2 + 4.0 * k1 * k2 * s2, xp)
        return amplitude - k1 + k2 - xp.log(i0e(k1, xp)) + xp.log(i0e(k2, xp))
    # m = alpha t1 + (1 - alpha) t2 in the natural parameters t = k (cos mu, sin mu) (all of
    # R^2), |m| = sqrt(lin^2 - 4 alpha (1 - alpha) k1 k2 sin^2(d/2)) with lin = alpha k1 +
    # (1 - alpha) k2, at the angle phi from mu1. Then (1 - alpha) D = alpha KL(m || p) +
    # (1 - alpha) KL(m || q), each an accurate VonMises KL whose concentration offsets
    # k - km = ((k - lin)(k + lin) + cross) / (k + km) come from the exact k2 - k1.
    d = q.loc - p.loc
    # d - phi below lost phi where d is far beyond the period (locations of 1e257 gave a
    # negative value): the angle in (-pi, pi], by libm's exactly reduced sine and cosine
    d = xp.where(xp.abs(d) > math.pi, xp.atan2(xp.sin(d), xp.cos(d)), d)
    dk = k2 - k1
    lin = k1 + (1.0 - alpha) * dk
    # (squares and products in units of the larger concentration: beyond 1e154 they overflowed)
    unit = xp.maximum(k1, k2)
    cross = 4.0 * alpha * (1.0 - alpha) * (k1 / unit) * (k2 / unit) * s2  # in units of unit^2
    lin_u = lin / unit
    km = unit * sqrt_with_zero_gradient(xp.maximum(lin_u * lin_u - cross, xp.zeros_like(lin)), xp)
    phi = xp.atan2((1.0 - alpha) * k2 * xp.sin(d), alpha * k1 + (1.0 - alpha) * k2 * xp.cos(d))

    def offset(k: Array, k_minus_lin: Array) -> Array:
        den = (k + km) / unit
        pos = den > 0
        return where0(pos, ((k_minus_lin / unit) * ((k + lin) / unit) + cross) / substitute(pos, den, 1.0, xp), xp) * unit

    to_p = _vonmises_kl(km, offset(k1, -(1.0 - alpha) * dk), k1, -phi, xp)
    to_q = _vonmises_kl(km, offset(k2, alpha * dk), k2, d - phi, xp)
    return (alpha * to_p + (1.0 - alpha) * to_q) / (1.0 - alpha)


@register("cross_entropy", VonMises, VonMises)
def _ce_vonmises_vonmises(p: VonMises, q: VonMises, *, xp: Any) -> Array:
    # -E_p log q = log(2 pi I0(k2)) - k2 A(k1) cos(d), A = I1/I0, with 1 - A cos d = (1 - A) +
    # 2 A sin^2(d/2): 1 - A(k1) from its own series at large k1 (1 - A lost it: 8.7e-10
    # relative off at k1 = 1e8)
    k1, k2 = p.concentration, q.concentration
    spread = _one_minus_bessel_ratio(k1, xp) + 2.0 * _bessel_ratio(k1, xp) * xp.sin(0.5 * (p.loc - q.loc)) ** 2
    return _LOG_2PI + xp.log(i0e(k2, xp)) + k2 * spread


# --------------------------------------------------------------------------------------
# ContinuousBernoulli: density exp(t x - A(t)) on [0, 1], t = logit(probs),
# A(t) = log(expm1(t)/t) = t/2 + log(sinh(t/2)/(t/2))
# --------------------------------------------------------------------------------------


def _cb_half_logit(d: ContinuousBernoulli, xp: Any) -> Array:
    return 0.5 * (xp.log(d.probs) - xp.log1p(-d.probs))


def _logsinhc_curvature(y: Array, xp: Any) -> Array:
    """``1/y^2 - 1/sinh(y)^2``, the second derivative of :func:`_logsinhc` (1/3 at 0)."""
    small = xp.abs(y) <= 0.5
    ys = where0(small, y, xp)
    series = _poly(tuple((2 * n + 2) * (2 * n + 1) * c for n, c in enumerate(_LOGSINHC_TERMS)), ys * ys, xp)
    a = xp.abs(substitute(~small, y, 1.0, xp))
    e = xp.exp(-2.0 * a)
    return xp.where(small, series, 1.0 / (a * a) - 4.0 * e / (1.0 - e) ** 2)


def _cb_step(p: ContinuousBernoulli, q: ContinuousBernoulli, xp: Any) -> Array:
    """The difference of the half-logits, from the exact difference of the probabilities."""
    a, b = p.probs, q.probs
    step_1 = log_ratio(b, a, xp)
    step_0 = log_quotient((a - b) / (1.0 - a), xp.log1p(-b) - xp.log1p(-a), xp)
    return 0.5 * (step_1 - step_0)


def _logsinhc_bregman(y: Array, d: Array, xp: Any) -> Array:
    """``S(y + d) - S(y) - d S'(y)`` for ``S = log(sinh(y)/y)``, whose curvature is analytic
    out to the zeros of sinh, at +-pi i."""
    return _convex_bregman(
        lambda t: _logsinhc_curvature(t, xp), lambda m: xp.sqrt(m * m + math.pi**2),
        lambda u, v: _logsinhc(v, xp) - _logsinhc(u, xp) - (v - u) * _cothminv(u, xp),
        y, d, xp,
    )


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli, *, xp: Any) -> Array:
    # torch's formula mean (t1 - t2) + log C1 + log(1 - l1) - log C2 - log(1 - l2), written as
    # the Bregman divergence of A, where the linear part t/2 cancels: of log(sinh(y)/y) in the
    # half-logit y.
    return _logsinhc_bregman(_cb_half_logit(p, xp), _cb_step(p, q, xp), xp)


@register("cross_entropy", ContinuousBernoulli, ContinuousBernoulli)
def _ce_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli, *, xp: Any) -> Array:
    # -E_p log q = A(t2) - t2 E_p X = S(y2) - y2 S'(y1), with E_p X = (1 + S'(y1)) / 2.
    y1, y2 = _cb_half_logit(p, xp), _cb_half_logit(q, xp)
    return _logsinhc(y2, xp) - y2 * _cothminv(y1, xp)


@register("renyi", ContinuousBernoulli, ContinuousBernoulli)
def _renyi_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli, *, xp: Any, alpha: float) -> Array:
    if alpha == 1.0:
        return _kl_cb_cb(p, q, xp=xp)
    y1, y2 = _cb_half_logit(p, xp), _cb_half_logit(q, xp)
    if math.isinf(alpha):
        # log p/q = (t1 - t2) x - A(t1) + A(t2) is linear: its sup is at x = 0 or 1.
        top = xp.maximum(2.0 * (y1 - y2), xp.zeros_like(y1))
        return top - (y1 - y2) - _logsinhc(y1, xp) + _logsinhc(y2, xp)
    # (1 - alpha) D = alpha KL(m || p) + (1 - alpha) KL(m || q), m at the mixed half-logit (the
    # natural parameter space is all of R), offsets from the exact step: no log-normaliser
    # difference left to cancel near p = q.
    step = _cb_step(p, q, xp)
    ym = y1 + (1.0 - alpha) * step
    to_p = _logsinhc_bregman(ym, -(1.0 - alpha) * step, xp)
    to_q = _logsinhc_bregman(ym, alpha * step, xp)
    return (alpha * to_p + (1.0 - alpha) * to_q) / (1.0 - alpha)


def _cb_cdf(t: Array, x: Array, xp: Any) -> Array:
    """``expm1(t x) / expm1(t)`` (``x`` at ``t = 0``)."""
    nonzero = t != 0
    ts = substitute(nonzero, t, 1.0, xp)
    return xp.where(nonzero, xp.expm1(ts * x) / xp.expm1(ts), x)


@register("total_variation", ContinuousBernoulli, ContinuousBernoulli)
def _tv_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli, *, xp: Any) -> Array:
    # log p/q is linear in x, so the densities cross once, at x* = (A1 - A2)/(t1 - t2), and
    # TV = |F1(x*) - F2(x*)|. In the half-logits y (t = 2y, A(2y) = y + S(y), S = log(sinh(y)
    # / y)) and h = y1 - y2 (exact): x* = (1 + S'(y2) + B(y2, h) / h) / 2 with B the Bregman
    # divergence of S, and F1(x*) = F2(x*) exp(D), D = h ((x* - 1) + x* S'(y2 x*) - S'(y2))
    # + B(y2 x*, h x*) - B(y2, h): near each other, F2(x*) expm1(D) keeps the digits that
    # the difference of the two CDFs lost (2.5e-4 relative off for laws 1e-11 apart).
    y2 = _cb_half_logit(q, xp)
    h = -_cb_step(p, q, xp)
    differ = h != 0
    hs = substitute(differ, h, 1.0, xp)
    slope, bregman = _cothminv(y2, xp), _logsinhc_bregman(y2, hs, xp)
    cross = 0.5 * (1.0 + slope + bregman / hs)
    inner = y2 * cross
    exponent = hs * ((cross - 1.0) + cross * _cothminv(inner, xp) - slope) + _logsinhc_bregman(inner, hs * cross, xp)
    near = xp.abs(h) <= 0.5
    f2 = _cb_cdf(2.0 * y2, cross, xp)
    gap = xp.where(near, f2 * xp.expm1(where0(near, exponent - bregman, xp)),
                   _cb_cdf(2.0 * _cb_half_logit(p, xp), cross, xp) - f2)
    return where0(differ, xp.abs(gap), xp)


# --------------------------------------------------------------------------------------
# Uniform: every measure is elementary
# --------------------------------------------------------------------------------------


def _uniform_parts(p: Uniform, q: Uniform, xp: Any) -> tuple[Array, Array, Array, Array]:
    """Lengths ``L1``, ``L2``, the overlap ``o`` and whether ``[a1, b1]`` lies in ``[a2, b2]``."""
    len1, len2 = p.high - p.low, q.high - q.low
    overlap = xp.maximum(xp.minimum(p.high, q.high) - xp.maximum(p.low, q.low), xp.zeros_like(len1))
    inside = (p.low >= q.low) & (p.high <= q.high)
    return len1, len2, overlap, inside


def _uniform_lone(p: Uniform, q: Uniform, xp: Any) -> tuple[Array, Array]:
    """The lengths of the parts of each interval outside the other (``L1 - o`` and ``L2 - o``
    where they meet), from the differences of the end points: exact where the intervals
    nearly agree, where ``1 - o / L`` from the rounded lengths kept none of their digits."""
    zero = xp.zeros_like(p.low + q.low)
    dh, dl = p.high - q.high, p.low - q.low
    return xp.maximum(dh, zero) + xp.maximum(-dl, zero), xp.maximum(-dh, zero) + xp.maximum(dl, zero)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform, *, xp: Any) -> Array:
    len1, _, _, inside = _uniform_parts(p, q, xp)
    # L2 - L1 from the differences of the end points keeps its digits when they nearly agree.
    grow = (q.high - p.high) - (q.low - p.low)
    return _inf_where(~inside, xp.log1p(grow / len1), xp)


@register("cross_entropy", Uniform, Uniform)
def _ce_uniform_uniform(p: Uniform, q: Uniform, *, xp: Any) -> Array:
    _, _, _, inside = _uniform_parts(p, q, xp)
    return _inf_where(~inside, log_width(q.low, q.high, xp), xp)  # (of the exact width: near 1, its rounding counts)


@register("renyi", Uniform, Uniform)
def _renyi_uniform_uniform(p: Uniform, q: Uniform, *, xp: Any, alpha: float) -> Array:
    if alpha >= 1.0:  # orders >= 1 (and infinity) all give log(L2/L1), or inf off the support
        return _kl_uniform_uniform(p, q, xp=xp)
    # log(o L1^-alpha L2^(alpha-1)) / (alpha - 1) = log(o / L1) / (alpha - 1) + log(L2 / L1):
    # two terms >= 0, nothing to cancel as alpha -> 1; +inf when the supports do not meet.
    len1, len2, overlap, _ = _uniform_parts(p, q, xp)
    meet = overlap > 0
    lone1, _ = _uniform_lone(p, q, xp)
    shared = lone1 <= 0.5 * len1  # log(o / L1) as log1p(-lone / L1) there, exact
    lost = xp.where(shared, xp.log1p(-where0(shared, lone1, xp) / len1),
                    log_ratio(substitute(meet, overlap, 1.0, xp), substitute(meet, len1, 1.0, xp), xp))
    grow = (q.high - p.high) - (q.low - p.low)
    shrunk = grow < -0.5 * len1  # log(L2 / L1) from the lengths there (1 + grow / L1 loses L2)
    growth = xp.where(shrunk, xp.log(substitute(shrunk, len2, 1.0, xp)) - xp.log(len1),
                      xp.log1p(where0(~shrunk, grow, xp) / len1))
    value = lost / (alpha - 1.0) + growth
    return _inf_where(~meet, value, xp)


@register("total_variation", Uniform, Uniform)
def _tv_uniform_uniform(p: Uniform, q: Uniform, *, xp: Any) -> Array:
    len1, len2, overlap, _ = _uniform_parts(p, q, xp)
    lone1, lone2 = _uniform_lone(p, q, xp)
    # 1 - o / max(L1, L2): the larger of the lone parts over their lengths, where they meet
    lone = xp.maximum(lone1 / len1, lone2 / len2)
    return xp.where(overlap > 0, lone, xp.ones_like(lone))


@register("js", Uniform, Uniform)
def _js_uniform_uniform(p: Uniform, q: Uniform, *, xp: Any) -> Array:
    # The mixture is (1/L1 + 1/L2)/2 on the overlap and 1/(2 L) on each lone part.
    # The lone parts and the lengths' difference from the end points (exact as q -> p).
    len1, len2, overlap, _ = _uniform_parts(p, q, xp)
    lone1, lone2 = _uniform_lone(p, q, xp)
    meet = overlap > 0
    g1, g2 = xp.where(meet, lone1 / len1, xp.ones_like(len1)), xp.where(meet, lone2 / len2, xp.ones_like(len2))
    total = len1 + len2
    growth = (lone2 - lone1) / total  # (L2 - L1) / (L1 + L2)
    kl_pm = (1.0 - g1) * xp.log1p(growth) + g1 * _LOG_2
    kl_qm = (1.0 - g2) * xp.log1p(-growth) + g2 * _LOG_2
    return 0.5 * (kl_pm + kl_qm)


# --------------------------------------------------------------------------------------
# Pareto: x >= scale, an exponential family in alpha for a fixed scale
# --------------------------------------------------------------------------------------


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto, *, xp: Any) -> Array:
    # a2 log(m1/m2) + log(a1/a2) + a2/a1 - 1, infinite unless p's support lies in q's.
    inside = p.scale >= q.scale
    value = q.alpha * log_ratio(p.scale, q.scale, xp) + expm1mx(log_ratio(q.alpha, p.alpha, xp), xp)
    return _inf_where(~inside, value, xp)


@register("cross_entropy", Pareto, Pareto)
def _ce_pareto_pareto(p: Pareto, q: Pareto, *, xp: Any) -> Array:
    # -log a2 - a2 log m2 + (a2 + 1) E log X, E log X = log m1 + 1/a1: log(m1/a2) from the
    # quotient (H(p) + KL cancelled log m1 - log a1: 1.6e-3 relative off where m1 = a2)
    m1, a1, a2 = p.scale, p.alpha, q.alpha
    value = log_ratio(m1, a2, xp) + a2 * log_ratio(m1, q.scale, xp) + (a2 + 1.0) / a1
    return _inf_where(~(m1 >= q.scale), value, xp)


def _mixed_log_mean(a1: Array, a2: Array, alpha: float, ok: Array, xp: Any) -> Array:
    """``-renyi_log_mean(log(a1 / a2), alpha)``, ``[alpha log r - log(alpha r + 1 - alpha)] /
    (alpha - 1)`` for ``r = a1 / a2``, where ``ok`` (elsewhere finite, meaningless): the part of
    the Pareto (indices) and Laplace (scales) forms from the mixed ``am = alpha a1 + (1 - alpha)
    a2``, which must be above 0.

    Where ``am`` cancels (alpha > 1: below 1/16 of ``alpha a1``), renyi_log_mean's far form,
    from ``alpha r + 1 - alpha``, lost its digits with r's rounding (1.85e-11 relative off at
    order 1 + 1e-6, Pareto indices 1e-3 and 1e3; 1e-12 at order 1e6, Laplace scales 2.3e-6
    apart): there ``log(AM / GM) = log(am / a2) - alpha log r`` with ``am`` an exact sum, where
    ``AM / GM`` is outside [1/2, 2] (its near form stands)."""
    log_r = log_ratio(substitute(ok, a1, 1.0, xp), substitute(ok, a2, 1.0, xp), xp)
    log_mean = -renyi_log_mean(log_r, alpha, xp)
    am = alpha * a1 + (1.0 - alpha) * a2
    lost = ok & (am < 0.0625 * alpha * a1) & (a1 < _SQUARE_HIGH) & (a2 < _SQUARE_HIGH)
    if alpha > 1.0 and (not is_eager(xp) or _any(lost, xp)):
        hi, err = _mixed(substitute(lost, a1, 1.0, xp), substitute(lost, a2, 1.0, xp), alpha)
        his = substitute(lost & (hi > 0), hi, 1.0, xp)
        log_gap = (log_ratio(his, substitute(lost, a2, 1.0, xp), xp) + xp.log1p(err / his)) - alpha * log_r
        log_mean = xp.where(lost & (xp.abs(log_gap) > _LOG_2), log_gap / (1.0 - alpha), log_mean)
    return log_mean


@register("renyi", Pareto, Pareto)
def _renyi_pareto_pareto(p: Pareto, q: Pareto, *, xp: Any, alpha: float) -> Array:
    m1, a1, m2, a2 = p.scale, p.alpha, q.scale, q.alpha
    if alpha == 1.0:
        return _kl_pareto_pareto(p, q, xp=xp)
    inside = m1 >= m2
    if math.isinf(alpha):
        # log p/q = log(a1/a2) + a1 log m1 - a2 log m2 - (a1 - a2) log x: its sup over
        # x >= m1 is at m1 when a1 >= a2, else unbounded.
        value = log_ratio(a1, a2, xp) + a2 * log_ratio(m1, m2, xp)
        return _inf_where(~(inside & (a1 >= a2)), value, xp)
    # integral of p^alpha q^(1-alpha) over x >= m = max(m1, m2):
    # a1^alpha a2^(1-alpha) / am (m1/m)^(alpha a1) (m2/m)^((1-alpha) a2), am the mixed alpha.
    # Its log over alpha - 1: -renyi_log_mean of a1/a2 (exact as alpha -> 1, where it gives
    # the KL's a2/a1 - 1 + log(a1/a2)), alpha a1 log(m1/m) / (alpha - 1) and -a2 log(m2/m),
    # the last two >= 0 and never both nonzero.
    am = alpha * a1 + (1.0 - alpha) * a2
    ok = am > 0
    if alpha > 1.0:
        ok = ok & inside
    m = xp.maximum(m1, m2)
    log_mean = _mixed_log_mean(a1, a2, alpha, ok, xp)
    value = log_mean + alpha * a1 * log_ratio(m1, m, xp) / (alpha - 1.0) - a2 * log_ratio(m2, m, xp)
    return _inf_where(~ok, value, xp)
