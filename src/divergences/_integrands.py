"""Every measure of the numerical routes written once as an integrand of the two log densities.

A :class:`Measure` holds what the routes need of one measure: its pointwise term, the finish
that turns the integral into the value, a Monte Carlo estimator, a bound of the integrand's
rounding, and a near form for nearly equal laws. One factory per measure returns it
(:func:`kl`, :func:`cross_entropy`, :func:`js`, :func:`hellinger`, :func:`bhattacharyya`,
:func:`total_variation`, :func:`chi2`, :func:`psi`, :func:`renyi`, :func:`f_divergence`).
How a measure is integrated (quadrature, summation, Monte Carlo) lives in ``_quadrature`` and
``_numerical``; this module imports neither, and a near form receives the quadrature as an
argument. Values are in nats.

Examples
--------
>>> import numpy as np
>>> from divergences._integrands import kl, renyi
>>> round(float(kl().pointwise(np.log([0.5]), np.log([0.25]))[0]), 12)  # 0.5 log 2
0.34657359028
>>> renyi(1.0) is kl()
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._array_api import NUMPY
from ._exceptions import NotRegisteredError
from ._special import expm1mx

if TYPE_CHECKING:  # only named in annotations: the integrands read log densities, not objects
    from .distributions._base import Distribution

__all__ = [
    "EPS", "Integrate", "Measure", "bhattacharyya", "chi2", "cross_entropy", "f_divergence", "hellinger", "js",
    "kl", "psi", "renyi", "total_variation",
]

EPS = float(np.finfo(np.float64).eps)


def _xlogy_terms(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    """``p (log p - log q)`` with ``0 log 0 = 0`` and ``+inf`` where ``q = 0 < p``.

    Formed as ``exp(log p + log|log p - log q|)``: far in a tail ``p`` underflows long before
    the product does, and a divergent tail (KL of a heavy tail against a light one) must stay
    visible there.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d = lp - lq
        out = np.sign(d) * np.exp(lp + np.log(np.abs(d)))
    out[np.isneginf(lp)] = 0.0
    out[d == 0] = 0.0
    out[np.isfinite(lp) & np.isneginf(lq)] = np.inf
    return out


@dataclass(frozen=True)
class Measure:
    """One measure as an integral: ``finish(integral of pointwise(log p, log q) dx)``.

    ``union``: the integrand lives on both supports (else on ``p``'s only).
    ``infinite_if_q_misses_p``: the value is ``+inf`` when ``q = 0`` somewhere ``p > 0``.
    ``monte_carlo``: estimator from log densities at samples of ``p`` (and of ``q``).
    ``rounding``: pointwise bound of the integrand's rounding error where it is formed from
    differences of nearly equal numbers (``log p - log q``, ``sqrt p - sqrt q``): the error
    estimate must include it when the result is tiny.
    ``nonnegative``: the measure is >= 0 (all but the cross-entropy of densities), so a value
    that rounding or sampling noise puts below 0 is reported as 0, its size added to the error.
    ``minus_p_plus_q``: the integrand carries ``- p + q``, which integrates to 0 over both
    supports: integrated over p's, the value adds the mass of q outside it.
    ``per_log_scale``: how the value moves when both laws are stretched by ``s`` (``x -> s x``):
    by ``per_log_scale log s``; 0 for the f-divergences, which do not move, 1 for the
    cross-entropy (the numerical route integrates location-scale pairs in p's standard units).
    ``near``: a second quadrature, ``near(integrate, p, q) -> (value, error)``, for nearly
    equal laws, where the first one's integral is a difference of nearly equal parts.
    ``integrate(measure, p, q) -> (value, error)`` is the quadrature the caller uses (this
    module does not import it), which the near form applies to its own integrands. The
    numerical route tries it when the first quadrature's error exceeds ``_NEAR`` (in
    ``_numerical``) of its value, and keeps the smaller error.
    ``beyond(P, Q) -> (value, error)``: the integral over a region where the laws have masses
    ``P`` and ``Q`` that the quadrature cannot resolve, the midpoint of its bounds (the
    measure of the two masses, by data processing, and the integrand's bound by them) and
    half their distance; None where the integral has no such bound.
    ``upper``: the measure's largest value (1 for the total variation, ``log 2`` for JS).
    ``kinks``: the integrand has a kink where ``p = q`` (``|p - q|``): the quadrature cuts its
    pieces at the crossings of the two densities (a kink near a bisection point escapes
    Gauss-Kronrod's error estimate: a total variation 1.2e-8 off with an error of 1e-14).
    """

    pointwise: Callable[..., np.ndarray]
    finish: Callable[[float, float], tuple[float, float]]
    monte_carlo: Callable[..., tuple[float, float]]
    union: bool = False
    infinite_if_q_misses_p: bool = False
    needs_q_samples: bool = False
    rounding: Callable[..., np.ndarray] | None = None
    nonnegative: bool = True
    minus_p_plus_q: bool = False
    near: Callable[[Integrate, Distribution, Distribution], tuple[float, float]] | None = None
    per_log_scale: float = 0.0
    beyond: Callable[[float, float], tuple[float, float]] | None = None
    upper: float = math.inf
    kinks: bool = False


# The quadrature a near form is given: ``integrate(measure, p, q) -> (value, error)``.
Integrate = Callable[["Measure", "Distribution", "Distribution"], tuple[float, float]]


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(x.size))


def _log_finish(sign: float = -1.0, scale: float = 1.0) -> Callable[[float, float], tuple[float, float]]:
    """``sign * scale * log(integral)``; the error by the delta method."""

    def finish(total: float, error: float) -> tuple[float, float]:
        if total <= 0:
            return math.inf, 0.0
        return sign * scale * math.log(total), abs(scale) * error / total

    return finish


def _identity(total: float, error: float) -> tuple[float, float]:
    return total, error


def _sqrt_finish(total: float, error: float) -> tuple[float, float]:
    total = max(total, 0.0)
    value = math.sqrt(total)
    return value, (error / (2 * value) if value > 0 else math.sqrt(error))


def _ratio(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.exp(lq - lp)


def _rel_entr_terms(la: np.ndarray, lb: np.ndarray) -> np.ndarray:
    """``a log(a/b) - a + b >= 0`` from log-densities: ``a expm1mx(-u)`` with ``u = log a -
    log b`` where it is second order, so that a sum of these never cancels; ``b`` where
    ``a = 0``, ``+inf`` where ``b = 0 < a``."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a, b = np.exp(la), np.exp(lb)
        u = la - lb
        small = np.abs(u) <= 0.5
        out = np.where(small, a * expm1mx(-np.where(small, u, 0.0), NUMPY), _xlogy_terms(la, lb) - a + b)
    no_a = np.isneginf(la)
    out[no_a] = b[no_a]
    return out


def _difference_rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    """The rounding bound of the second-order integrands ``a log(a/b) - a + b`` (KL's near
    form, each half of JS's): they move by ``a |log(a/b)|`` (about ``|a - b|`` near ``a =
    b``, 0 where ``a`` underflows) per unit of error in the log ratio, and that is off by a
    few eps times the logarithms' size. (``|a - b|`` instead counted ``b`` times a log
    ratio of 1e164 where ``a`` is 0: JS's error estimate was 9e148.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.exp(lp + np.log(np.abs(lp - lq)))
    return 4 * EPS * np.where(np.isnan(moved), 0.0, moved) * (np.abs(lp) + np.abs(lq) + 1)


def _js_rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    lm = np.logaddexp(lp, lq) - math.log(2.0)
    return 0.5 * (_difference_rounding(lp, lm) + _difference_rounding(lq, lm))


def _no_monte_carlo(*_: Any) -> tuple[float, float]:
    raise AssertionError("a quadrature-only measure")


# KL's near form: p log(p/q) cancels in the integral, p log(p/q) - p + q does not (and, q's mass
# lying where p's does, it stays within p's pieces).
_KL_NEAR = Measure(
    _rel_entr_terms, _identity, _no_monte_carlo, infinite_if_q_misses_p=True, minus_p_plus_q=True,
    rounding=_difference_rounding,
)


def _kl_near(integrate: Integrate, p: Distribution, q: Distribution) -> tuple[float, float]:
    return integrate(_KL_NEAR, p, q)


def _moment_minus_one(t: float, integrate: Integrate, p: Distribution, q: Distribution) -> tuple[float, float]:
    """``int p (q/p)^t - 1`` for nearly equal laws, with its error: ``int p (e^(t u) - 1)``
    (``u = log q - log p``) split as ``int p expm1mx(t u) - t KL(p || q)``, two second-order
    parts, each integrated without cancellation by ``integrate`` (the Renyi divergence of
    order 1 - t is ``log1p`` of this over -t; the chi-square divergence is it at t = -1)."""

    def pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            out = np.exp(lp) * expm1mx(t * (lq - lp), NUMPY)
        out[np.isneginf(lp)] = 0.0
        return out

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            return 4 * EPS * np.abs(t * np.exp(lp) * np.expm1(t * (lq - lp))) * (np.abs(lp) + np.abs(lq) + 1)

    part, part_error = integrate(Measure(pointwise, _identity, _no_monte_carlo, rounding=rounding), p, q)
    kl, kl_error = integrate(_KL_NEAR, p, q)
    return part - t * kl, part_error + abs(t) * kl_error


def _bhattacharyya_near(integrate: Integrate, p: Distribution, q: Distribution) -> tuple[float, float]:
    s1, error = _moment_minus_one(0.5, integrate, p, q)  # BC - 1
    return (-math.log1p(s1), error / (1 + s1)) if s1 > -1 else (math.inf, 0.0)


def _chi2_near(integrate: Integrate, p: Distribution, q: Distribution) -> tuple[float, float]:
    return _moment_minus_one(-1.0, integrate, p, q)  # int p^2 / q - 1


def _js_pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    # KL(p, m) + KL(q, m) with m - p and m - q added: they cancel in the integral (m is the
    # mean of p and q), and leave each term >= 0 and second order where p ~ q.
    lm = np.logaddexp(lp, lq) - math.log(2.0)
    return 0.5 * (_rel_entr_terms(lp, lm) + _rel_entr_terms(lq, lm))


def _js_mc(lp_x: np.ndarray, lq_x: np.ndarray, lp_y: np.ndarray, lq_y: np.ndarray) -> tuple[float, float]:
    a = lp_x - (np.logaddexp(lp_x, lq_x) - math.log(2.0))
    b = lq_y - (np.logaddexp(lp_y, lq_y) - math.log(2.0))
    (ma, sa), (mb, sb) = _mean_se(a), _mean_se(b)
    return 0.5 * (ma + mb), 0.5 * math.hypot(sa, sb)


def _hellinger_rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    # exp(log p / 2) carries a relative error of about eps (1 + |log p|/2).
    a, b = np.exp(0.5 * lp), np.exp(0.5 * lq)
    return np.abs(a - b) * EPS * (a * (2 + np.abs(lp)) + b * (2 + np.abs(lq)))


def _bc_mc(lp_x: np.ndarray, lq_x: np.ndarray, *_: Any) -> tuple[float, float]:
    return _mean_se(np.sqrt(_ratio(lp_x, lq_x)))


def _psi_mc(lp_x: np.ndarray, lq_x: np.ndarray, lp_y: np.ndarray, lq_y: np.ndarray) -> tuple[float, float]:
    (a, sa), (b, sb) = _mean_se(lp_x - lq_x), _mean_se(lq_y - lp_y)
    return a + b, math.hypot(sa, sb)


_KL = Measure(
    _xlogy_terms, _identity, lambda lp, lq, *_: _mean_se(lp - lq), infinite_if_q_misses_p=True,
    rounding=lambda lp, lq: 4 * EPS * np.exp(lp) * (np.abs(lp) + np.abs(lq)),
    near=_kl_near,
)
_CROSS_ENTROPY = Measure(
    lambda lp, lq: -np.where(np.exp(lp) > 0, np.exp(lp) * np.where(np.isfinite(lq), lq, -np.inf), 0.0),
    _identity,
    lambda lp, lq, *_: _mean_se(-lq),
    infinite_if_q_misses_p=True,
    nonnegative=False,
    per_log_scale=1.0,
)
def _between(low: float, high: float) -> tuple[float, float]:
    return 0.5 * (low + high), 0.5 * (high - low)


def _js_of_masses(p: float, q: float) -> float:
    """The JS integrand's integral over a region of masses ``p`` and ``q`` is at least this."""
    total = p + q
    return 0.5 * sum(x * math.log(2.0 * x / total) for x in (p, q) if x > 0)


_JS = Measure(_js_pointwise, _identity, _js_mc, union=True, needs_q_samples=True, rounding=_js_rounding,
              beyond=lambda p, q: _between(_js_of_masses(p, q), 0.5 * (p + q) * math.log(2.0)), upper=math.log(2.0))
_HELLINGER = Measure(
    lambda lp, lq: 0.5 * (np.exp(0.5 * lp) - np.exp(0.5 * lq)) ** 2,
    _sqrt_finish,
    lambda lp, lq, *_: _sqrt_finish(*_mean_se(1.0 - np.sqrt(_ratio(lp, lq)))),
    union=True,
    rounding=_hellinger_rounding,
    beyond=lambda p, q: _between(0.5 * (math.sqrt(p) - math.sqrt(q)) ** 2, 0.5 * (p + q)),
    upper=1.0,
)
_BHATTACHARYYA = Measure(
    lambda lp, lq: np.exp(0.5 * (lp + lq)),
    _log_finish(),
    lambda lp, lq, *_: _log_finish()(*_bc_mc(lp, lq)),
    near=_bhattacharyya_near,
    rounding=lambda lp, lq: 4 * EPS * np.exp(0.5 * (lp + lq)) * (np.abs(lp) + np.abs(lq) + 1),
    beyond=lambda p, q: _between(0.0, math.sqrt(p * q)),  # (Cauchy-Schwarz)
)
_TOTAL_VARIATION = Measure(
    lambda lp, lq: 0.5 * np.abs(np.exp(lp) - np.exp(lq)),
    _identity,
    lambda lp, lq, *_: _mean_se(np.maximum(0.0, 1.0 - _ratio(lp, lq))),
    union=True,
    beyond=lambda p, q: _between(0.5 * abs(p - q), 0.5 * (p + q)),
    upper=1.0,
    kinks=True,
)
_CHI2 = Measure(
    lambda lp, lq: np.where(np.exp(lp) > 0, np.exp(lp) * np.expm1(lp - lq), 0.0),
    _identity,
    lambda lp, lq, *_: _mean_se(np.expm1(lp - lq)),
    infinite_if_q_misses_p=True,
    near=_chi2_near,
    # p expm1(log p - log q) moves by p^2/q per unit of error in the log ratio.
    rounding=lambda lp, lq: np.where(np.isneginf(lp), 0.0, 4 * EPS * np.exp(2 * lp - lq) * (np.abs(lp) + np.abs(lq) + 1)),
)
_PSI = Measure(
    lambda lp, lq: _xlogy_terms(lp, lq) + _xlogy_terms(lq, lp),
    _identity,
    _psi_mc,
    union=True,
    infinite_if_q_misses_p=True,
    needs_q_samples=True,
    rounding=lambda lp, lq: 4 * EPS * (np.exp(lp) + np.exp(lq)) * (np.abs(lp) + np.abs(lq)),
)


def kl() -> Measure:
    """KL(p || q), ``int p log(p/q)``; its near form integrates ``p log(p/q) - p + q``."""
    return _KL


def cross_entropy() -> Measure:
    """The cross-entropy ``-int p log q`` (may be negative for densities)."""
    return _CROSS_ENTROPY


def js() -> Measure:
    """The Jensen-Shannon divergence, as two second-order terms against the mixture."""
    return _JS


def hellinger() -> Measure:
    """The Hellinger distance, ``sqrt(int (sqrt p - sqrt q)^2 / 2)``."""
    return _HELLINGER


def bhattacharyya() -> Measure:
    """The Bhattacharyya distance, ``-log int sqrt(p q)``."""
    return _BHATTACHARYYA


def total_variation() -> Measure:
    """The total variation distance, ``int |p - q| / 2``."""
    return _TOTAL_VARIATION


def chi2() -> Measure:
    """The Pearson chi-square divergence, ``int p^2 / q - 1``."""
    return _CHI2


def psi() -> Measure:
    """The population stability index, ``KL(p || q) + KL(q || p)``."""
    return _PSI


def renyi(alpha: float) -> Measure:
    """The Renyi divergence of order ``alpha``, ``log(int p^alpha q^(1-alpha)) / (alpha - 1)``.

    Order 1 is KL's measure. Orders 0 and infinity (a support ratio and a supremum, not
    integrals) raise :class:`NotRegisteredError`.
    """
    if alpha == 1:
        return _KL
    if math.isinf(alpha) or alpha == 0:
        raise NotRegisteredError(f"renyi with alpha={alpha} has no numerical route; use 0 < alpha < inf")

    def pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            out = np.exp(alpha * lp + (1 - alpha) * lq)
        out[np.exp(lp) == 0] = 0.0
        return out

    def finish(total: float, error: float) -> tuple[float, float]:
        if total <= 0:
            return (math.inf, 0.0) if alpha < 1 else (math.inf, 0.0)
        return math.log(total) / (alpha - 1), error / (total * abs(alpha - 1))

    def mc(lp_x: np.ndarray, lq_x: np.ndarray, *_: Any) -> tuple[float, float]:
        m, s = _mean_se(np.exp((1 - alpha) * (lq_x - lp_x)))
        return finish(m, s)

    def near(integrate: Integrate, p: Distribution, q: Distribution) -> tuple[float, float]:
        s1, error = _moment_minus_one(1.0 - alpha, integrate, p, q)
        return (math.log1p(s1) / (alpha - 1), error / ((1 + s1) * abs(alpha - 1))) if s1 > -1 else (math.inf, 0.0)

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:  # exp of a sum of logs: eps in each
        return 4 * EPS * pointwise(lp, lq) * (np.abs(lp) + np.abs(lq) + 1)

    return Measure(pointwise, finish, mc, infinite_if_q_misses_p=alpha > 1, near=near, rounding=rounding)


def f_divergence(f: Callable[[Any], Any], value_at_zero: float, slope_at_infinity: float) -> Measure:
    """The f-divergence ``integral q f(p/q)`` as a measure of the numerical routes.

    Formed from the log densities, as ``exp(log q + log|f(t)|)`` with ``t = exp(log p - log q)``,
    so that a term stays right where ``q`` alone underflows. ``q = 0 < p`` contributes
    ``p * slope_at_infinity`` and ``p = 0 < q`` contributes ``q f(0+)``.

    Examples
    --------
    >>> import numpy as np
    >>> chi2_of_f = f_divergence(lambda t: (t - 1) ** 2, 1.0, np.inf)
    >>> float(chi2_of_f.pointwise(np.log([0.5]), np.log([0.25]))[0])  # q (p/q - 1)^2
    0.25
    """

    def f_of(t: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(f(t), dtype=np.float64), t.shape)

    def at_zero_and_infinity(lp: np.ndarray, lq: np.ndarray, body: np.ndarray) -> np.ndarray:
        p_pos, q_pos = ~np.isneginf(lp), ~np.isneginf(lq)
        with np.errstate(all="ignore"):
            lone_p = math.inf if math.isinf(slope_at_infinity) else np.exp(lp) * slope_at_infinity
            lone_q = math.inf if math.isinf(value_at_zero) else np.exp(lq) * value_at_zero
        out = np.where(p_pos & q_pos, body, 0.0)
        out = np.where(p_pos & ~q_pos, lone_p, out)
        return np.where(~p_pos & q_pos, lone_q, out)

    def pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            ft = f_of(np.exp(lp - lq))
            body = np.sign(ft) * np.exp(lq + np.log(np.abs(ft)))
        return at_zero_and_infinity(lp, lq, body)

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        # t carries a relative error of about eps (1 + |log p| + |log q|); f'(t) by differences.
        with np.errstate(all="ignore"):
            t, h = np.exp(lp - lq), 1e-6
            slope = (f_of(t * (1 + h)) - f_of(t * (1 - h))) / (2 * h)
            size = np.abs(f_of(t)) + np.abs(slope) * (1 + np.abs(lp) + np.abs(lq))
            return 4 * EPS * np.exp(lq) * size

    def monte_carlo(lp_x: np.ndarray, lq_x: np.ndarray, lp_y: np.ndarray, lq_y: np.ndarray) -> tuple[float, float]:
        # E_q f(p/q) over draws of q, plus slope * P(q = 0) over draws of p (an infinite slope
        # with such draws is +inf before this is called).
        with np.errstate(all="ignore"):
            terms = np.where(np.isneginf(lp_y), value_at_zero, f_of(np.exp(lp_y - lq_y)))
        missed = np.where(np.isneginf(lq_x) & ~np.isneginf(lp_x), slope_at_infinity, 0.0)
        if math.isinf(value_at_zero) and np.isneginf(lp_y).any():
            return math.inf, 0.0
        (a, sa), (b, sb) = _mean_se(terms), _mean_se(missed)
        return a + b, math.hypot(sa, sb)

    # (kinks: a user's f may have one at t = 1, as |t - 1| / 2 has; the cut costs smooth ones a
    # few pieces more)
    return Measure(
        pointwise, lambda total, error: (total, error), monte_carlo, union=True,
        infinite_if_q_misses_p=math.isinf(slope_at_infinity), needs_q_samples=True, rounding=rounding, kinks=True,
    )
