"""Numerical routes for pairs without a closed form: the choice of route, summation, Monte Carlo.

:func:`numerical` runs the chosen route for every batch element, with an error estimate:

- One-dimensional continuous pairs: adaptive Gauss-Kronrod quadrature (``_quadrature``), and,
  where its error is large against its value (nearly equal laws), the measure's near form.
- One-dimensional discrete pairs: a sum over the support, cut where the remaining mass is
  below 1e-20; the error bounds the cut-off tail and the rounding.
- Everything else (multivariate, mixtures): Monte Carlo over samples of ``p`` (and ``q`` where
  the measure needs them), with the standard error.

Each measure is written once, in ``_integrands``, as a function of the two log densities at a
point; the three routes share it. Results are in nats.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError, NotRegisteredError
from .._integrands import EPS, Measure
from ._base import Distribution
from ._families import LogNormal, Normal
from ._quadrature import quadrature

__all__ = ["Measure", "numerical", "route"]

_TAIL = 1e-20
_MAX_TERMS = 10_000_000
_NEAR = 1e-6  # a quadrature whose error exceeds this fraction of its value tries its near form

def _discrete_range(frozen: Any) -> tuple[float, float]:
    """Where all but ``_TAIL`` of the mass lies, within the support (``ppf``/``isf`` are
    unreliable that far out): a finite support too is cut to it (Binomial(1e8, 0.3) has
    1e8 points, all but 1e5 of them below 1e-20)."""
    low, high = (float(v) for v in frozen.support())
    with np.errstate(over="ignore", invalid="ignore"):  # (a Geometric(1e-277)'s variance overflows)
        middle, spread = float(frozen.ppf(0.5)), float(frozen.std())
        if not math.isfinite(middle):  # (SciPy's Poisson ppf is NaN at rates of 1e12)
            middle = math.floor(float(frozen.mean()))
    step = max(1.0, math.ceil(spread) if math.isfinite(spread) else 1.0)
    hi, grow = middle, step
    while hi < high and float(frozen.sf(hi)) > _TAIL:
        hi, grow = hi + grow, grow * 2
    lo, grow = middle, step
    while lo > low and float(frozen.cdf(lo - 1)) > _TAIL:
        lo, grow = lo - grow, grow * 2
    return max(lo, low), min(hi, high)


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
    # SciPy's log-pmf at a count k sums terms of the order of k log k (log k!, k log rate) and
    # errs by a few ulps of them, not of its value (Poisson(1e6)'s entropy was 4.6e-10 relative off
    # with an error of 7e-15): the terms moved by that much bound what it carries.
    slack = 4 * EPS * (np.abs(k) * (1.0 + np.log1p(np.abs(k))) + np.abs(np.where(np.isfinite(lp), lp, 0.0)))
    with np.errstate(invalid="ignore"):
        moved = [measure.pointwise(lp + slack, lq), measure.pointwise(lp, lq + slack)]
    carried = sum(math.fsum(np.abs(np.where(np.isfinite(m), m - terms, 0.0)).tolist()) for m in moved)
    error = tail + 4 * EPS * math.fsum(np.abs(terms).tolist()) + carried
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


def _log_images(measure: Measure, p: Distribution, q: Distribution) -> tuple[Distribution, Distribution]:
    """Two LogNormal laws as the Normal laws of their logarithms, for a measure that one
    bijection of both does not move (``per_log_scale`` 0: every f-divergence): ``x`` itself
    spans ``exp(+-40 scale)``, beyond the doubles at scales of some 18 (LogNormal(0, 1.5e161)
    against LogNormal(-649, 7.2e40): JS 0.17 +- 0.17)."""
    if measure.per_log_scale == 0 and isinstance(p, LogNormal) and isinstance(q, LogNormal):
        return Normal(p.loc, p.scale), Normal(q.loc, q.scale)
    return p, q


def _standardised(p: Distribution, q: Distribution) -> tuple[Distribution, Distribution, float]:
    """``p`` and ``q`` in ``p``'s standard units (``x -> (x - loc) / scale``, one map for both)
    where both are location-scale families, and ``log(scale)``; else themselves and 0. The
    f-divergences do not move under the map; the quadrature's quantile cuts and tolerances
    are then those of laws of scale 1 (Cauchy laws at location 1e200, scale 1e-200 gave a
    Hellinger distance of 0 and a Bhattacharyya distance of inf)."""
    if not (p.location_scale and q.location_scale):
        return p, q, 0.0
    loc, p_scale = float(p.loc), float(p.scale)  # type: ignore[attr-defined]
    q_loc, q_scale = float(q.loc), float(q.scale)  # type: ignore[attr-defined]
    # (where q's scale is not a double in p's units, the geometric mean of the two scales)
    for unit in (p_scale, math.sqrt(p_scale) * math.sqrt(q_scale)):
        moved = [(0.0, p_scale / unit), ((q_loc - loc) / unit, q_scale / unit)]
        if all(math.isfinite(m) and sys.float_info.min <= s < math.inf for m, s in moved):
            p_params, q_params = ({"loc": m, "scale": s} for m, s in moved)
            return (dataclasses.replace(p, **p_params), dataclasses.replace(q, **q_params),
                    math.log(unit))
    return p, q, 0.0


def numerical(
    measure: Measure,
    p: Distribution,
    q: Distribution,
    *,
    method: str = "auto",
    n_samples: int = 100_000,
    random_state: Any = None,
    only: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The measure for every batch element of ``p`` and ``q`` (or where the boolean ``only``,
    of the batch's shape, holds: 0 elsewhere), with its error (NumPy float64).

    ``measure`` is a :class:`Measure` of ``_integrands`` (the one a measure's row of
    ``_metadata.DIVERGENCES`` makes, or :func:`~divergences._integrands.f_divergence` of a user's
    ``f``). ``method`` is ``"auto"``
    (or ``"numerical"``), ``"quadrature"``, ``"summation"`` or ``"monte_carlo"``.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> from divergences._integrands import f_divergence, kl
    >>> p, q = dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0)
    >>> value, error = numerical(kl(), p, q, method="quadrature")
    >>> round(float(value), 12), bool(error < 1e-12)
    (0.5, True)
    >>> chi2 = f_divergence(lambda t: (t - 1) ** 2, 1.0, np.inf)
    >>> round(float(numerical(chi2, p, q)[0]), 9)  # e - 1
    1.718281828
    >>> values, errors = numerical(kl(), dv.Normal([0.0, 1.0, 3.0], 1.0), q)  # one per batch element
    >>> values.round(12)
    array([0.5, 0. , 2. ])
    """
    batch = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    wanted = np.ones(batch, dtype=bool) if only is None else np.broadcast_to(only, batch)
    # (the elements wanted only: making each one's laws costs some 50 us)
    ps, qs = p.broadcast_to(batch).numpy_items(wanted), q.broadcast_to(batch).numpy_items(wanted)
    way = route(p, q) if method in ("auto", "numerical") else method
    values, errors = np.zeros(wanted.size), np.zeros(wanted.size)
    for i, pi, qi in zip(np.flatnonzero(wanted), ps, qs, strict=True):
        if way == "monte_carlo":
            v, e = _monte_carlo(measure, pi, qi, n_samples, random_state)
        elif way == "quadrature":
            pi, qi = _log_images(measure, pi, qi)
            pi, qi, log_scale = _standardised(pi, qi)
            v, e = quadrature(measure, pi, qi)
            if measure.near is not None and math.isfinite(v) and e > _NEAR * abs(v):
                near_v, near_e = measure.near(quadrature, pi, qi)
                if math.isfinite(near_v) and near_e < e:
                    v, e = near_v, near_e
            v += measure.per_log_scale * log_scale
        else:
            v, e = _summation(measure, pi.to_scipy(), qi.to_scipy())
        if not e >= 0.0:  # (NaN or below 0: an estimate that says nothing, as a density read wrong gave)
            e = math.inf
        if measure.nonnegative and v <= 0:  # -0.0 too
            v, e = 0.0, max(e, -v)
        if v > measure.upper:  # (rounding: a JS of Poisson laws far apart summed to log 2 + 1.6e-11)
            v = measure.upper
        e = min(e, measure.upper)  # (an error beyond the bound says no more than the bound)
        values[i], errors[i] = v, e
    return values.reshape(batch), errors.reshape(batch)
