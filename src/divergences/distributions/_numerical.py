"""Numerical routes for pairs without a closed form, each with an error estimate.

- One-dimensional continuous pairs: adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad``)
  over the support, split at quantiles of both distributions so that no piece of the mass is
  missed, with the infinite tails integrated by quad's own change of variables.
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

import numpy as np

from .._exceptions import InvalidInputError, NotRegisteredError
from ._base import Distribution

__all__ = ["MEASURES", "numerical"]

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
    """

    pointwise: Callable[..., np.ndarray]
    finish: Callable[[float, float], tuple[float, float]]
    monte_carlo: Callable[..., tuple[float, float]]
    union: bool = False
    infinite_if_q_misses_p: bool = False
    needs_q_samples: bool = False
    rounding: Callable[..., np.ndarray] | None = None


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


def _js_pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    lm = np.logaddexp(lp, lq) - math.log(2.0)
    return 0.5 * (_xlogy_terms(lp, lm) + _xlogy_terms(lq, lm))


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

    return Measure(pointwise, finish, mc, infinite_if_q_misses_p=alpha > 1)


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


MEASURES: dict[str, Measure] = {
    "kl": Measure(
        _xlogy_terms, _identity, lambda lp, lq, *_: _mean_se(lp - lq), infinite_if_q_misses_p=True,
        rounding=lambda lp, lq: 4 * EPS * np.exp(lp) * (np.abs(lp) + np.abs(lq)),
    ),
    "cross_entropy": Measure(
        lambda lp, lq: -np.where(np.exp(lp) > 0, np.exp(lp) * np.where(np.isfinite(lq), lq, -np.inf), 0.0),
        _identity,
        lambda lp, lq, *_: _mean_se(-lq),
        infinite_if_q_misses_p=True,
    ),
    "js": Measure(_js_pointwise, _identity, _js_mc, union=True, needs_q_samples=True,
                  rounding=lambda lp, lq: 4 * EPS * (np.exp(lp) + np.exp(lq)) * (np.abs(lp) + np.abs(lq))),
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
# The routes
# --------------------------------------------------------------------------------------


def _support(frozen: Any) -> tuple[float, float]:
    lo, hi = frozen.support()
    return float(lo), float(hi)


def _breakpoints(frozens: list[Any], lo: float, hi: float) -> list[float]:
    points = {lo, hi}
    for f in frozens:
        # Support ends inside the range are kinks or jumps of the integrand.
        points.update(x for x in _support(f) if lo < x < hi)
        with np.errstate(all="ignore"):
            qs = np.asarray(f.ppf(_SPLIT), dtype=np.float64)
        points.update(float(x) for x in qs if np.isfinite(x) and lo < x < hi)
    return sorted(points)


def _tail_points(frozens: list[Any], start: float, end: float, upper: bool) -> list[float]:
    """Points from ``start`` towards ``end`` cutting off tail mass 1e-12, 1e-16, ..., 1e-300.

    Integrating the tail piece by piece, a decade of mass at a time, shows whether the
    contributions die out (a convergent integral) or not (a divergent one), which a single
    piece to infinity cannot.
    """
    points = [start]
    for j in _TAIL_DECADES:
        with np.errstate(all="ignore"):
            ends = [float(f.isf(10.0**-j) if upper else f.ppf(10.0**-j)) for f in frozens]
        ends = [x for x in ends if math.isfinite(x)]
        if not ends:
            break
        x = max(ends) if upper else min(ends)
        if not ((points[-1] < x < end) if upper else (end < x < points[-1])):
            if (x >= end) if upper else (x <= end):
                break
            continue
        points.append(x)
    points.append(end)
    return points


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
    from scipy import integrate

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
    if p_dist.circular:
        frozens = []  # a finite period: no quantile cuts needed
    middle = _breakpoints(frozens, lo, hi)[1:-1] or [0.5 * (lo + hi) if math.isfinite(lo + hi) else 0.0]

    def integrand(x: float) -> float:
        if not lo < x < hi:  # an end point reached by rounding: quad never asks for it otherwise
            return 0.0
        lp, lq = np.atleast_1d(p.logpdf(x)), np.atleast_1d(q.logpdf(x))
        return float(measure.pointwise(lp, lq)[0])

    def piece(a: float, b: float) -> tuple[float, float]:
        value, err = integrate.quad(integrand, a, b, epsabs=1e-15, epsrel=1e-12, limit=200)
        return float(value), float(err)

    total = error = magnitude = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quad's IntegrationWarning is folded into the error estimate
        pieces = [piece(a, b) for a, b in zip(middle[:-1], middle[1:])]
        for upper, end in ((True, hi), (False, lo)):
            cuts = _tail_points(frozens, middle[-1] if upper else middle[0], end, upper)
            tail: list[tuple[float, float]] = []
            for a, b in zip(cuts[:-1], cuts[1:]):
                tail.append(piece(a, b) if upper else piece(b, a))
                last = [abs(v) for v, _ in tail[-3:]]
                # Three pieces in a row negligible and shrinking: the rest is smaller still.
                if len(last) == 3 and last[0] >= last[1] >= last[2] and last[0] <= 1e-17 * max(
                    1e-300, abs(sum(v for v, _ in pieces + tail))
                ):
                    error += last[2]
                    break
            if measure.infinite_if_q_misses_p and _grows(tail):
                return math.inf, 0.0
            pieces += tail
    for value, err in pieces:
        if not math.isfinite(value):
            # Only an unbounded integrand (log p/q, p/q) can fail to be finite: it diverges.
            return math.inf, 0.0
        total += value
        error += err
        magnitude += abs(value)
    error += 64 * EPS * magnitude  # rounding of the pieces and of their sum
    if measure.rounding is not None:
        error += _rounding(measure.rounding, p, q, middle)
    return measure.finish(total, error)


def _rounding(rounding: Callable[..., np.ndarray], p: Any, q: Any, cuts: list[float]) -> float:
    """A loose integral of the pointwise rounding bound over the body of the distributions
    (the tails hold too little mass to matter)."""
    from scipy import integrate

    def f(x: float) -> float:
        lp, lq = np.atleast_1d(p.logpdf(x)), np.atleast_1d(q.logpdf(x))
        value = float(rounding(lp, lq)[0])
        return value if math.isfinite(value) else 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum(integrate.quad(f, a, b, epsrel=1e-2, limit=20)[0] for a, b in zip(cuts[:-1], cuts[1:]))


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
    name: str,
    p: Distribution,
    q: Distribution,
    *,
    alpha: float | None = None,
    method: str = "auto",
    n_samples: int = 100_000,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The measure for every batch element of ``p`` and ``q``, with its error (NumPy float64)."""
    measure = _measure(name, alpha)
    batch = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    ps, qs = p.broadcast_to(batch).numpy_items(), q.broadcast_to(batch).numpy_items()
    way = route(p, q) if method in ("auto", "numerical") else method
    values, errors = np.empty(len(ps)), np.empty(len(ps))
    for i, (pi, qi) in enumerate(zip(ps, qs)):
        if way == "monte_carlo":
            v, e = _monte_carlo(measure, pi, qi, n_samples, random_state)
        elif way == "quadrature":
            v, e = _quadrature(measure, pi, qi)
        else:
            v, e = _summation(measure, pi.to_scipy(), qi.to_scipy())
        values[i], errors[i] = v, e
    return values.reshape(batch), errors.reshape(batch)
