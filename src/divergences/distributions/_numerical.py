"""Numerical routes for pairs without a closed form, each with an error estimate.

- One-dimensional continuous pairs: adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad``)
  over the support, split at quantiles of both distributions so that no piece of the mass is
  missed, the tails a few decades of mass at a time. Near a finite support end the variable is
  the distance to it, in log scale where it spans decades: a density unbounded there (Gamma
  shape < 1, Beta a or b < 1) is smooth in it, and is read to the smallest double instead of
  to an ulp of the end.
- One-dimensional discrete pairs: a sum over the support, cut where the remaining mass is
  below 1e-20; the error bounds the cut-off tail and the rounding.
- Everything else (multivariate, mixtures): Monte Carlo over samples of ``p`` (and ``q`` where
  the measure needs them), with the standard error.

Each measure is written once as a function of the two log densities at a point; the three
routes share it. Results are in nats.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat.numpy as anp
import numpy as np

from .._exceptions import InvalidInputError, NotRegisteredError
from .._special import expm1mx
from ._base import Distribution

__all__ = ["MEASURES", "Measure", "f_measure", "numerical", "route"]

# Quantiles at which the integration range is split (both distributions' quantiles are used).
_SPLIT = (1e-5, 1e-3, 0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.99, 0.999, 1 - 1e-5)
# Beyond those, the tails are integrated a few decades of mass at a time (see _tail_points).
_TAIL_DECADES = range(7, 301, 3)
_TAIL = 1e-20
_MAX_TERMS = 10_000_000
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
    ``near``: a second quadrature, ``near(p, q) -> (value, error)``, for nearly equal laws,
    where the first one's integral is a difference of nearly equal parts; it is tried when
    the first's error exceeds :data:`_NEAR` of its value, and the smaller error kept.
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
    near: Callable[[Distribution, Distribution], tuple[float, float]] | None = None


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
        out = np.where(small, a * expm1mx(-np.where(small, u, 0.0), anp), _xlogy_terms(la, lb) - a + b)
    no_a = np.isneginf(la)
    out[no_a] = b[no_a]
    return out


def _moment_minus_one(t: float, p: Distribution, q: Distribution) -> tuple[float, float]:
    """``int p (q/p)^t - 1`` for nearly equal laws, with its error: ``int p (e^(t u) - 1)``
    (``u = log q - log p``) split as ``int p expm1mx(t u) - t KL(p || q)``, two second-order
    parts, each integrated without cancellation (the Renyi divergence of order 1 - t is
    ``log1p`` of this over -t; the chi-square divergence is it at t = -1)."""

    def pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            out = np.exp(lp) * expm1mx(t * (lq - lp), anp)
        out[np.isneginf(lp)] = 0.0
        return out

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", over="ignore"):
            return 4 * EPS * np.abs(t * np.exp(lp) * np.expm1(t * (lq - lp))) * (np.abs(lp) + np.abs(lq) + 1)

    part, part_error = _quadrature(Measure(pointwise, _identity, _no_monte_carlo, rounding=rounding), p, q)
    kl, kl_error = _quadrature(_KL_NEAR, p, q)
    return part - t * kl, part_error + abs(t) * kl_error


def _difference_rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    """The rounding bound of the second-order integrands ``a log(a/b) - a + b`` (KL's near
    form, each half of JS's): they move by about ``|p - q|`` per unit of error in a log
    ratio, and that is off by a few eps times the logarithms' size."""
    return 4 * EPS * np.abs(np.exp(lp) - np.exp(lq)) * (np.abs(lp) + np.abs(lq) + 1)


def _no_monte_carlo(*_: Any) -> tuple[float, float]:
    raise AssertionError("a quadrature-only measure")


def _bhattacharyya_near(p: Distribution, q: Distribution) -> tuple[float, float]:
    s1, error = _moment_minus_one(0.5, p, q)  # BC - 1
    return (-math.log1p(s1), error / (1 + s1)) if s1 > -1 else (math.inf, 0.0)


def _chi2_near(p: Distribution, q: Distribution) -> tuple[float, float]:
    return _moment_minus_one(-1.0, p, q)  # int p^2 / q - 1


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


def _renyi(alpha: float) -> Measure:
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

    def near(p: Distribution, q: Distribution) -> tuple[float, float]:
        s1, error = _moment_minus_one(1.0 - alpha, p, q)
        return (math.log1p(s1) / (alpha - 1), error / ((1 + s1) * abs(alpha - 1))) if s1 > -1 else (math.inf, 0.0)

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:  # exp of a sum of logs: eps in each
        return 4 * EPS * pointwise(lp, lq) * (np.abs(lp) + np.abs(lq) + 1)

    return Measure(pointwise, finish, mc, infinite_if_q_misses_p=alpha > 1, near=near, rounding=rounding)


def f_measure(f: Callable[[Any], Any], value_at_zero: float, slope_at_infinity: float) -> Measure:
    """The f-divergence ``integral q f(p/q)`` as a measure of the numerical routes.

    Formed from the log densities, as ``exp(log q + log|f(t)|)`` with ``t = exp(log p - log q)``,
    so that a term stays right where ``q`` alone underflows. ``q = 0 < p`` contributes
    ``p * slope_at_infinity`` and ``p = 0 < q`` contributes ``q f(0+)``.
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

    return Measure(
        pointwise, lambda total, error: (total, error), monte_carlo, union=True,
        infinite_if_q_misses_p=math.isinf(slope_at_infinity), needs_q_samples=True, rounding=rounding,
    )


def _measure(name: str, alpha: float | None) -> Measure:
    if name == "renyi":
        assert alpha is not None
        if alpha == 1:
            return MEASURES["kl"]
        if math.isinf(alpha) or alpha == 0:
            raise NotRegisteredError(f"renyi with alpha={alpha} has no numerical route; use 0 < alpha < inf")
        return _renyi(alpha)
    return MEASURES[name]


def _hellinger_rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    # exp(log p / 2) carries a relative error of about eps (1 + |log p|/2).
    a, b = np.exp(0.5 * lp), np.exp(0.5 * lq)
    return np.abs(a - b) * EPS * (a * (2 + np.abs(lp)) + b * (2 + np.abs(lq)))


def _bc_mc(lp_x: np.ndarray, lq_x: np.ndarray, *_: Any) -> tuple[float, float]:
    return _mean_se(np.sqrt(_ratio(lp_x, lq_x)))


def _psi_mc(lp_x: np.ndarray, lq_x: np.ndarray, lp_y: np.ndarray, lq_y: np.ndarray) -> tuple[float, float]:
    (a, sa), (b, sb) = _mean_se(lp_x - lq_x), _mean_se(lq_y - lp_y)
    return a + b, math.hypot(sa, sb)


_NEAR = 1e-6  # a quadrature whose error exceeds this fraction of its value tries its near form
_KL_NEAR = Measure(
    _rel_entr_terms, _identity, _no_monte_carlo, infinite_if_q_misses_p=True, minus_p_plus_q=True,
    rounding=_difference_rounding,
)

MEASURES: dict[str, Measure] = {
    "kl": Measure(
        _xlogy_terms, _identity, lambda lp, lq, *_: _mean_se(lp - lq), infinite_if_q_misses_p=True,
        rounding=lambda lp, lq: 4 * EPS * np.exp(lp) * (np.abs(lp) + np.abs(lq)),
        # Nearly equal laws: p log(p/q) cancels in the integral, p log(p/q) - p + q does not
        # (and, q's mass lying where p's does, it stays within p's pieces).
        near=lambda p, q: _quadrature(_KL_NEAR, p, q),
    ),
    "cross_entropy": Measure(
        lambda lp, lq: -np.where(np.exp(lp) > 0, np.exp(lp) * np.where(np.isfinite(lq), lq, -np.inf), 0.0),
        _identity,
        lambda lp, lq, *_: _mean_se(-lq),
        infinite_if_q_misses_p=True,
        nonnegative=False,
    ),
    "js": Measure(_js_pointwise, _identity, _js_mc, union=True, needs_q_samples=True, rounding=_difference_rounding),
    "hellinger": Measure(
        lambda lp, lq: 0.5 * (np.exp(0.5 * lp) - np.exp(0.5 * lq)) ** 2,
        _sqrt_finish,
        lambda lp, lq, *_: _sqrt_finish(*_mean_se(1.0 - np.sqrt(_ratio(lp, lq)))),
        union=True,
        rounding=_hellinger_rounding,
    ),
    "bhattacharyya": Measure(
        lambda lp, lq: np.exp(0.5 * (lp + lq)),
        _log_finish(),
        lambda lp, lq, *_: _log_finish()(*_bc_mc(lp, lq)),
        near=_bhattacharyya_near,
        rounding=lambda lp, lq: 4 * EPS * np.exp(0.5 * (lp + lq)) * (np.abs(lp) + np.abs(lq) + 1),
    ),
    "total_variation": Measure(
        lambda lp, lq: 0.5 * np.abs(np.exp(lp) - np.exp(lq)),
        _identity,
        lambda lp, lq, *_: _mean_se(np.maximum(0.0, 1.0 - _ratio(lp, lq))),
        union=True,
    ),
    "chi2": Measure(
        lambda lp, lq: np.where(np.exp(lp) > 0, np.exp(lp) * np.expm1(lp - lq), 0.0),
        _identity,
        lambda lp, lq, *_: _mean_se(np.expm1(lp - lq)),
        infinite_if_q_misses_p=True,
        near=_chi2_near,
        # p expm1(log p - log q) moves by p^2/q per unit of error in the log ratio.
        rounding=lambda lp, lq: np.where(np.isneginf(lp), 0.0, 4 * EPS * np.exp(2 * lp - lq) * (np.abs(lp) + np.abs(lq) + 1)),
    ),
    "psi": Measure(
        lambda lp, lq: _xlogy_terms(lp, lq) + _xlogy_terms(lq, lp),
        _identity,
        _psi_mc,
        union=True,
        infinite_if_q_misses_p=True,
        needs_q_samples=True,
        rounding=lambda lp, lq: 4 * EPS * (np.exp(lp) + np.exp(lq)) * (np.abs(lp) + np.abs(lq)),
    ),
}



# --------------------------------------------------------------------------------------
# Quadrature
# --------------------------------------------------------------------------------------

# A piece whose distances to the nearest support end span more than this ratio is integrated in
# log distance: a density like x^(a-1) near 0 is smooth in log x and hard for quad in x.
_SPAN = 10.0
# Log pieces are read between the smallest normal double and a quarter of the largest.
_TINY, _HUGE = float(np.finfo(np.float64).tiny), float(np.finfo(np.float64).max) / 4
# SciPy families seen from the upper end of their support: Beta(a, b) at 1 - y is Beta(b, a) at y.
_MIRRORS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "beta": lambda a, b: (b, a),
    "arcsine": lambda: (),
    "uniform": lambda: (),
}


@dataclass(frozen=True)
class _Piece:
    """The points ``anchor + side * y`` for ``y`` from ``start`` to ``stop``.

    Between finite support ends, ``y`` is the distance to the nearest one (``anchor``), so that
    densities are read to full precision near it (see :func:`_seen_from_end`); elsewhere
    ``anchor = 0`` and ``y`` is ``x`` or ``-x``. ``log`` pieces, which span decades of ``y``
    (near an end, or in a heavy tail), are integrated in ``log y``.
    """

    anchor: float
    side: float
    start: float
    stop: float
    log: bool = False


def _support(frozen: Any) -> tuple[float, float]:
    lo, hi = frozen.support()
    return float(lo), float(hi)


def _seen_from_end(frozen: Any, end: float, upper: bool) -> Any | None:
    """``frozen`` as the distribution of the distance ``y`` to its support end ``end``, or ``None``.

    ``end - y`` rounds to ``end`` once ``y`` is below half an ulp of ``end``, so a density
    singular at an end other than 0 (a Beta's at 1, a shifted Gamma's) cannot be read through
    ``x`` where most of its tail lies. Without its loc, SciPy reads it at ``y`` itself: from the
    lower end of a family whose standard support starts at 0, and from the upper end of a family
    with a mirror image (:data:`_MIRRORS`).
    """
    dist = getattr(frozen, "dist", None)
    try:
        shapes, _, scale = dist._parse_args(*frozen.args, **frozen.kwds)  # type: ignore[union-attr]
        low, high = (float(v) for v in dist.support(*shapes))  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):  # not a SciPy frozen distribution
        return None
    if not upper and low == 0:
        return dist(*shapes, scale=scale)  # type: ignore[misc]
    if upper and high == 1 and dist.name in _MIRRORS:  # type: ignore[union-attr]
        return dist(*_MIRRORS[dist.name](*shapes), scale=scale)  # type: ignore[misc, union-attr]
    return None


def _touches(frozen: Any, end: float, side: float) -> bool:
    """Whether ``frozen``'s support starts at ``end`` on the ``side`` of it."""
    lo, hi = _support(frozen)
    return end == (lo if side > 0 else hi)


def _log_density(frozen: Any, anchor: float, side: float) -> tuple[Callable[[float], Any], bool]:
    """``y -> log density at anchor + side * y``, and whether it is exact for ``y`` below an ulp
    of ``anchor`` (it is not for a distribution read through ``x`` from its own end)."""
    lo, hi = _support(frozen)

    def through_x(y: float) -> Any:
        return frozen.logpdf(anchor + side * y)

    if anchor == 0:
        return through_x, True
    if anchor >= hi if side > 0 else anchor <= lo:  # the piece lies outside this support
        return (lambda y: -math.inf), True
    if _touches(frozen, anchor, side):
        view = _seen_from_end(frozen, anchor, upper=side < 0)
        return (through_x, False) if view is None else (view.logpdf, True)
    return through_x, True  # inside the support: the density is smooth at the anchor


def _piece_integral(
    pointwise: Callable[..., np.ndarray], p: Any, q: Any, piece: _Piece, bounds: tuple[float, float],
    *, epsrel: float = 1e-12, limit: int = 200,
) -> tuple[float, float]:
    """The integral of ``pointwise(log p, log q)`` over a piece, with quad's error estimate.

    A log piece that reaches its end (``start = 0``) is integrated down to where ``y`` can still
    be read (the smallest normal double, or a few ulps of the end where a density is read
    through ``x``), one that reaches infinity up to :data:`_HUGE`. What lies beyond is
    extrapolated from the integrand's decay there and counted in the error; an integrand that
    does not decay there diverges (``inf``).
    """
    from scipy import integrate

    log_p, exact_p = _log_density(p, piece.anchor, piece.side)
    log_q, exact_q = _log_density(q, piece.anchor, piece.side)

    def at(y: float) -> float:
        lp = np.atleast_1d(np.asarray(log_p(y), dtype=np.float64))
        lq = np.atleast_1d(np.asarray(log_q(y), dtype=np.float64))
        return float(pointwise(lp, lq)[0])

    def quad(f: Callable[[float], float], a: float, b: float) -> tuple[float, float]:
        value, err = integrate.quad(f, a, b, epsabs=1e-15, epsrel=epsrel, limit=limit)
        return float(value), float(err)

    if not piece.log:
        lo, hi = bounds
        # An end point reached by rounding (only x itself can be): quad never asks for it otherwise.
        inside = (lambda y: lo < y < hi) if (piece.anchor, piece.side) == (0.0, 1.0) else (lambda y: True)
        return quad(lambda y: at(y) if inside(y) else 0.0, piece.start, piece.stop)

    def in_log(u: float) -> float:
        y = math.exp(u)
        return at(y) * y

    floor = math.log(_TINY if exact_p and exact_q else 4 * math.ulp(piece.anchor))
    a = math.log(piece.start) if piece.start > 0 else floor
    b = math.log(piece.stop) if piece.stop < math.inf else math.log(_HUGE)
    value, err = quad(in_log, a, b) if a < b else (0.0, 0.0)
    # Beyond the last point read, in_log(u) ~ g exp(-k |u - edge|) integrates to g / k.
    for edge, inward, open_ in ((a, 2.0, piece.start == 0), (b, -2.0, piece.stop == math.inf)):
        g = abs(in_log(edge)) if open_ else 0.0
        if g > 0:
            nearer = abs(in_log(edge + inward))
            if not nearer > g:  # no decay outwards: the integral diverges
                return math.inf, 0.0
            err += g * abs(inward) / math.log(nearer / g)
    return value, err


def _breakpoints(frozens: list[Any], ends: set[float], lo: float, hi: float) -> list[float]:
    """``lo``, ``hi``, the support ends between them (kinks or jumps of the integrand) and the
    quantiles ``_SPLIT`` of ``frozens``, in order."""
    points = {lo, hi} | {x for x in ends if lo < x < hi}
    for f in frozens:
        with np.errstate(all="ignore"):
            qs = np.asarray(f.ppf(_SPLIT), dtype=np.float64)
        points.update(float(x) for x in qs if np.isfinite(x) and lo < x < hi)
    return sorted(points)


def _levels() -> np.ndarray:
    return 10.0 ** -np.asarray(_TAIL_DECADES, dtype=np.float64)


def _tail_points(frozens: list[Any], start: float, end: float, upper: bool) -> list[float]:
    """Points from ``start`` towards an infinite ``end`` cutting off tail mass 1e-7, 1e-10, ...,
    1e-298 of the slowest tail.

    Integrating the tail piece by piece, a few decades of mass at a time, shows whether the
    contributions die out (a convergent integral) or not (a divergent one), which a single
    piece to infinity cannot.
    """
    with np.errstate(all="ignore"):
        cuts = [np.asarray(f.isf(_levels()) if upper else f.ppf(_levels()), dtype=np.float64) for f in frozens]
    points = [start]
    for j in range(len(_TAIL_DECADES)):
        ends = [float(c[j]) for c in cuts if math.isfinite(c[j])]
        if not ends:
            break
        x = max(ends) if upper else min(ends)
        if (points[-1] < x < end) if upper else (end < x < points[-1]):
            points.append(x)
    points.append(end)
    return points


def _end_pieces(frozens: list[Any], anchor: float, side: float, far: float) -> list[_Piece]:
    """Log pieces from distance ``far`` down to the support end ``anchor``, cut where the mass
    between the cut and the end falls to 1e-7, 1e-10, ..., 1e-298 of the slowest tail (distances
    read from the end itself where SciPy allows, see :func:`_seen_from_end`)."""
    distances = []
    for f in frozens:
        if not _touches(f, anchor, side):
            continue
        view = _seen_from_end(f, anchor, upper=side < 0) if anchor != 0 else None
        with np.errstate(all="ignore"):
            if view is not None:
                y = view.ppf(_levels())
            else:
                y = f.ppf(_levels()) - anchor if side > 0 else anchor - f.isf(_levels())
        distances.append(np.asarray(y, dtype=np.float64))
    cuts = [far]
    for j in range(len(_TAIL_DECADES)):
        ys = [float(d[j]) for d in distances if math.isfinite(d[j])]
        if not ys or min(ys) < _TINY:  # below, y is no longer read to full precision
            break
        if min(ys) < cuts[-1]:
            cuts.append(min(ys))
    cuts.append(0.0)
    return [_Piece(anchor, side, b, a, log=True) for a, b in zip(cuts[:-1], cuts[1:])]


def _x_piece(a: float, b: float, spread: float) -> _Piece:
    """``[a, b]`` in ``x``, or in ``log |x|`` where it spans decades of ``|x|`` beyond the
    ``spread`` of the body (a heavy tail; a piece that spans decades only because it starts
    near 0 is smooth in ``x``)."""
    if spread <= a and _SPAN * a < b:
        return _Piece(0.0, 1.0, a, b, log=True)
    if spread <= -b and _SPAN * -b < -a:
        return _Piece(0.0, -1.0, -b, -a, log=True)
    return _Piece(0.0, 1.0, a, b)


def _body_piece(a: float, b: float, ends: set[float], spread: float) -> _Piece:
    """``[a, b]`` as distances to the nearest support end (in log distance when they span
    decades), or in ``x`` when there is none."""
    nearest = [(a - c, c, 1.0) for c in ends if c <= a] + [(c - b, c, -1.0) for c in ends if c >= b]
    if not nearest:
        return _x_piece(a, b, spread)
    near, anchor, side = min(nearest)
    return _Piece(anchor, side, near, near + (b - a), log=near + (b - a) > _SPAN * near)


def _pieces(frozens: list[Any], points: list[float], ends: set[float]) -> tuple[list[_Piece], list[list[_Piece]]]:
    """The body pieces, and the tails (each from the body outwards) to infinity or to a support end."""
    with np.errstate(all="ignore"):
        spreads = [float(np.diff(f.ppf([0.25, 0.75]))[0]) for f in frozens]
    spread = max((s for s in spreads if math.isfinite(s)), default=math.inf)  # the widest quartiles
    body: list[_Piece] = []
    tails: list[list[_Piece]] = []
    for a, b in zip(points[:-1], points[1:]):
        if math.isinf(a) or math.isinf(b):
            upper = math.isinf(b)
            cuts = _tail_points(frozens, a if upper else b, b if upper else a, upper)
            tails.append([_x_piece(min(s, t), max(s, t), spread) for s, t in zip(cuts[:-1], cuts[1:])])
        elif a in ends and b in ends:  # a piece between two ends: half to each
            middle = 0.5 * (a + b)
            tails += [_end_pieces(frozens, a, 1.0, middle - a), _end_pieces(frozens, b, -1.0, b - middle)]
        elif a in ends or b in ends:
            tails.append(_end_pieces(frozens, a, 1.0, b - a) if a in ends else _end_pieces(frozens, b, -1.0, b - a))
        else:
            body.append(_body_piece(a, b, ends, spread))
    return body, tails


def _grows(tail: list[tuple[float, float]]) -> bool:
    """Whether tail contributions stop shrinking for four decades of mass in a row.

    A convergent integral's contributions must die out as the mass left in the tail falls by
    1000 per piece; contributions that hold up (or grow) mean the integral diverges, as for
    KL(Pareto(alpha <= 2) || Normal) or KL(Cauchy || Normal). SciPy's densities underflow to 0
    far out, so what follows a growing run does not count as shrinking.
    """
    size = [abs(v) for v, _ in tail]
    return any(
        size[i] > 0 and all(size[j + 1] >= 0.95 * size[j] for j in range(i, i + 3))
        for i in range(len(size) - 3)
    )


def _quadrature(measure: Measure, p_dist: Distribution, q_dist: Distribution) -> tuple[float, float]:
    p, q = p_dist.to_scipy(), q_dist.to_scipy()
    if p_dist.circular or q_dist.circular:
        if not (p_dist.circular and q_dist.circular):
            raise InvalidInputError(
                f"{type(p_dist).__name__} and {type(q_dist).__name__} mix a distribution on the circle "
                "with one on the line: the divergence is not defined"
            )
        # One period, centred on p: the densities are periodic.
        centre = float(p_dist.loc)  # type: ignore[attr-defined]
        (plo, phi) = (qlo, qhi) = (centre - math.pi, centre + math.pi)
    else:
        (plo, phi), (qlo, qhi) = _support(p), _support(q)
    if measure.infinite_if_q_misses_p and (plo < qlo or phi > qhi):
        return math.inf, 0.0
    lo, hi = (min(plo, qlo), max(phi, qhi)) if measure.union else (plo, phi)
    frozens = [p, q] if measure.union else [p]
    ends = {x for x in (plo, phi, qlo, qhi) if math.isfinite(x) and lo <= x <= hi}
    if p_dist.circular:
        frozens, ends = [], set()  # a finite period: no quantile cuts, no ends
    # q's quantiles cut p's pieces too: its median is where a density like Laplace's has its
    # kink, which quad, between two points, may step over with a confident error estimate.
    points = _breakpoints(frozens if measure.union or p_dist.circular else [p, q], ends, lo, hi)
    if len(points) == 2:
        points.insert(1, 0.5 * (lo + hi) if math.isfinite(lo + hi) else 0.0)
    body, tails = _pieces(frozens, points, ends)

    results: list[tuple[float, float]] = []
    error = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quad's IntegrationWarning is folded into the error estimate
        results += [_piece_integral(measure.pointwise, p, q, piece, (lo, hi)) for piece in body]
        for pieces in tails:
            tail: list[tuple[float, float]] = []
            for piece in pieces:
                tail.append(_piece_integral(measure.pointwise, p, q, piece, (lo, hi)))
                last = [abs(v) for v, _ in tail[-3:]]
                # Three pieces in a row negligible and shrinking: the rest is smaller still.
                if len(last) == 3 and last[0] >= last[1] >= last[2] and last[0] <= 1e-17 * max(
                    1e-300, abs(sum(v for v, _ in results + tail))
                ):
                    error += last[2]
                    break
            if measure.infinite_if_q_misses_p and _grows(tail):
                return math.inf, 0.0
            results += tail
        if any(not math.isfinite(v) for v, _ in results):
            # Only an unbounded integrand (log p/q, p/q) can fail to be finite: it diverges.
            return math.inf, 0.0
        if measure.rounding is not None:
            error += _rounding(measure.rounding, p, q, body, (lo, hi))
    if measure.minus_p_plus_q and not measure.union and not p_dist.circular:
        outside = (float(q.cdf(plo)) if math.isfinite(plo) else 0.0) + (float(q.sf(phi)) if math.isfinite(phi) else 0.0)
        results.append((outside, 4 * EPS * outside))
    total = math.fsum(v for v, _ in results)
    error += math.fsum(e for _, e in results)
    error += 64 * EPS * math.fsum(abs(v) for v, _ in results)  # rounding of the pieces and of their sum
    return measure.finish(total, error)


def _rounding(rounding: Callable[..., np.ndarray], p: Any, q: Any, body: list[_Piece],
              bounds: tuple[float, float]) -> float:
    """A loose integral of the pointwise rounding bound over the body of the distributions
    (the tails hold too little mass to matter)."""

    def bound(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        value = rounding(lp, lq)
        return np.where(np.isfinite(value), value, 0.0)

    return sum(_piece_integral(bound, p, q, piece, bounds, epsrel=1e-2, limit=20)[0] for piece in body)


def _discrete_range(frozen: Any) -> tuple[float, float]:
    """Where all but ``_TAIL`` of the mass lies (``ppf``/``isf`` are unreliable that far out)."""
    lo, hi = _support(frozen)
    middle = float(frozen.ppf(0.5))
    step = max(1.0, math.ceil(float(frozen.std())) if math.isfinite(float(frozen.std())) else 1.0)
    if not math.isfinite(hi):
        hi, grow = middle, step
        while float(frozen.sf(hi)) > _TAIL:
            hi, grow = hi + grow, grow * 2
    if not math.isfinite(lo):
        lo, grow = middle, step
        while float(frozen.cdf(lo - 1)) > _TAIL:
            lo, grow = lo - grow, grow * 2
    return lo, hi


def _summation(measure: Measure, p: Any, q: Any) -> tuple[float, float]:
    ranges = [_discrete_range(p)] + ([_discrete_range(q)] if measure.union else [])
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if hi - lo + 1 > _MAX_TERMS:
        raise NotRegisteredError(f"the support is too large to sum ({hi - lo + 1:.3g} points)")
    k = np.arange(lo, hi + 1)
    lp, lq = np.asarray(p.logpmf(k), dtype=np.float64), np.asarray(q.logpmf(k), dtype=np.float64)
    if measure.infinite_if_q_misses_p and np.any(np.isfinite(lp) & ~np.isfinite(lq)):
        return math.inf, 0.0
    terms = measure.pointwise(lp, lq)
    total = math.fsum(terms.tolist())
    # What lies beyond the cut: the tail mass times the size of the last terms' log ratio.
    tail = 0.0
    sides = ((p, lp[-1], lq[-1]), (q, lq[-1], lp[-1])) if measure.union else ((p, lp[-1], lq[-1]),)
    for f, lp_end, lq_end in sides:
        mass = float(f.sf(hi)) + (float(f.cdf(lo - 1)) if math.isfinite(lo) else 0.0)
        scale = abs(lp_end - lq_end) if np.isfinite(lp_end - lq_end) else 1.0
        tail += mass * (1.0 + scale)
    error = tail + 4 * EPS * math.fsum(np.abs(terms).tolist())
    return measure.finish(total, error)


def _monte_carlo(
    measure: Measure, p: Distribution, q: Distribution, n_samples: int, random_state: Any
) -> tuple[float, float]:
    rng = np.random.default_rng(random_state)
    x = p.sample(n_samples, rng)
    lp_x, lq_x = np.asarray(p.log_prob(x), dtype=np.float64), np.asarray(q.log_prob(x), dtype=np.float64)
    if measure.infinite_if_q_misses_p and np.any(np.isinf(lq_x) & np.isfinite(lp_x)):
        return math.inf, 0.0
    lp_y = lq_y = np.empty(0)
    if measure.needs_q_samples:
        y = q.sample(n_samples, rng)
        lp_y, lq_y = np.asarray(p.log_prob(y), dtype=np.float64), np.asarray(q.log_prob(y), dtype=np.float64)
    return measure.monte_carlo(lp_x, lq_x, lp_y, lq_y)


def route(p: Distribution, q: Distribution) -> str:
    """``"quadrature"``, ``"summation"`` or ``"monte_carlo"``: how a pair is computed numerically."""
    if p.event_ndim == 0 and q.event_ndim == 0:
        if p.discrete and q.discrete:
            return "summation"
        if not p.discrete and not q.discrete:
            return "quadrature"
        raise InvalidInputError(
            f"{type(p).__name__} and {type(q).__name__} mix a discrete and a continuous distribution: "
            "their densities are with respect to different measures, so the divergence is not defined"
        )
    return "monte_carlo"


def numerical(
    measure: str | Measure,
    p: Distribution,
    q: Distribution,
    *,
    alpha: float | None = None,
    method: str = "auto",
    n_samples: int = 100_000,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The measure for every batch element of ``p`` and ``q``, with its error (NumPy float64).

    ``measure`` is a name of :data:`MEASURES` (or ``"renyi"`` with ``alpha``) or the caller's
    own :class:`Measure`, such as :func:`f_measure` of a user's ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> from divergences.distributions._numerical import f_measure, numerical
    >>> p, q = dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)
    >>> value, error = numerical("kl", p, q, method="quadrature")
    >>> round(float(value), 12), bool(error < 1e-12)
    (0.5, True)
    >>> chi2 = f_measure(lambda t: (t - 1) ** 2, 1.0, np.inf)
    >>> round(float(numerical(chi2, p, q)[0]), 9)  # e - 1
    1.718281828
    """
    if isinstance(measure, str):
        measure = _measure(measure, alpha)
    batch = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    ps, qs = p.broadcast_to(batch).numpy_items(), q.broadcast_to(batch).numpy_items()
    way = route(p, q) if method in ("auto", "numerical") else method
    values, errors = np.empty(len(ps)), np.empty(len(ps))
    for i, (pi, qi) in enumerate(zip(ps, qs)):
        if way == "monte_carlo":
            v, e = _monte_carlo(measure, pi, qi, n_samples, random_state)
        elif way == "quadrature":
            v, e = _quadrature(measure, pi, qi)
            if measure.near is not None and math.isfinite(v) and e > _NEAR * abs(v):
                near_v, near_e = measure.near(pi, qi)
                if math.isfinite(near_v) and near_e < e:
                    v, e = near_v, near_e
        else:
            v, e = _summation(measure, pi.to_scipy(), qi.to_scipy())
        if measure.nonnegative and v <= 0:  # -0.0 too
            v, e = 0.0, max(e, -v)
        values[i], errors[i] = v, e
    return values.reshape(batch), errors.reshape(batch)
