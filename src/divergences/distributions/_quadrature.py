"""Adaptive Gauss-Kronrod quadrature of a measure's integrand over a one-dimensional pair.

QUADPACK's rule over the support (``_kronrod``: every round's points of all the pieces of one
kind in one call, ``scipy.integrate.quad`` where that does not settle a piece), split at
quantiles of both distributions so that no piece of the mass is missed, the tails a few decades
of mass at a time, and for a measure with a kink where ``p = q`` (total variation) at the
densities' crossings in the body. Near a finite support end the variable is the distance to it,
in log scale where it spans decades: a density unbounded there (Gamma shape < 1, Beta a or b <
1) is smooth in it, and is read to the smallest double instead of to an ulp of the end. The
laws' densities are read by ``_law_readers``. The error estimate adds the rule's, the cut-off
tails', and the integrand's rounding (:attr:`Measure.rounding`). The integrands themselves are in
``_integrands``; :func:`quadrature` is what ``_numerical`` runs, and what it hands to a
measure's near form.

Examples
--------
>>> import divergences as dv
>>> from divergences._integrands import kl
>>> value, error = quadrature(kl(), dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0))
>>> round(value, 12), error < 1e-12
(0.5, True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._integrands import EPS, Measure
from ._base import Distribution
from ._kronrod import integrate_many
from ._law_readers import fast_logpdf, seen_from_end

__all__ = ["quadrature"]

_EPSABS = 1e-15  # quad's absolute tolerance on each piece
# Quantiles at which the integration range is split (both distributions' quantiles are used).
_SPLIT = (1e-5, 1e-3, 0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.99, 0.999, 1 - 1e-5)
# Beyond those, the tails are integrated a few decades of mass at a time (see _tail_points).
_TAIL_DECADES = range(7, 301, 3)

# A piece whose distances to the nearest support end span more than this ratio is integrated in
# log distance: a density like x^(a-1) near 0 is smooth in log x and hard for quad in x.
_SPAN = 10.0
# Log pieces are read between the smallest normal double and a quarter of the largest.
_TINY, _HUGE = float(np.finfo(np.float64).tiny), float(np.finfo(np.float64).max) / 4


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


def _touches(frozen: Any, end: float, side: float) -> bool:
    """Whether ``frozen``'s support starts at ``end`` on the ``side`` of it."""
    lo, hi = _support(frozen)
    return end == (lo if side > 0 else hi)


def _log_density(frozen: Any, anchor: float, side: float) -> tuple[Callable[[Any], Any], bool]:
    """``y -> log density at anchor + side * y`` (``y`` a point or an array of them), and
    whether it is exact for ``y`` below an ulp of ``anchor`` (it is not for a distribution read
    through ``x`` from its own end)."""
    lo, hi = _support(frozen)
    fast = fast_logpdf(frozen)

    def through_x(y: Any) -> Any:
        return fast(anchor + side * y)

    if anchor == 0:
        return through_x, True
    if anchor >= hi if side > 0 else anchor <= lo:  # the piece lies outside this support
        return (lambda y: np.full(np.shape(y), -math.inf)), True
    if _touches(frozen, anchor, side):
        view = seen_from_end(frozen, upper=side < 0)
        return (through_x, False) if view is None else (fast_logpdf(view), True)
    return through_x, True  # inside the support: the density is smooth at the anchor


def _piece_integrals(
    pointwise: Callable[..., np.ndarray], p: Any, q: Any, pieces: list[_Piece], bounds: tuple[float, float],
    *, epsrel: float = 1e-12, limit: int = 200, beyond: Callable[[float, float], tuple[float, float]] | None = None,
) -> list[tuple[float, float]]:
    """The integral of ``pointwise(log p, log q)`` over each piece, with quad's error estimate;
    the pieces of one kind (one anchor, side and variable: one integrand) integrated together,
    every round's points in one call (:func:`~._kronrod.integrate_many`), and quad itself on
    a piece that does not settle so.

    A log piece that reaches its end (``start = 0``) is integrated down to where ``y`` can still
    be read (the smallest normal double, or a few ulps of the end where a density is read
    through ``x``), one that reaches infinity up to :data:`_HUGE`. What lies beyond is
    extrapolated from the integrand's decay there and counted in the error, and an integrand
    that does not decay there diverges (``inf``); or, where the measure bounds it by the two
    laws' masses there (``beyond``, :class:`~divergences._integrands.Measure`), it is taken
    from those: a law whose mass lies beyond what doubles resolve (Beta(1e-100, 1), all but
    1e-97 of it below 1e-308) gave a total variation of inf.
    """
    from scipy import integrate

    kinds: dict[tuple[float, float, bool], list[int]] = {}
    for i, piece in enumerate(pieces):
        kinds.setdefault((piece.anchor, piece.side, piece.log), []).append(i)
    results: list[tuple[float, float]] = [(0.0, 0.0)] * len(pieces)
    for (anchor, side, log), members in kinds.items():
        f, floor = _integrand(pointwise, p, q, anchor, side, log, bounds)
        ends = [_variable_ends(pieces[i], floor) for i in members]
        with np.errstate(all="ignore"):
            found = integrate_many(f, np.array([a for a, _ in ends]), np.array([b for _, b in ends]),
                                   epsabs=_EPSABS, epsrel=epsrel, limit=limit)
        for i, (a, b), got in zip(members, ends, found, strict=True):
            if not a < b:  # (a piece of no width at an end, where every quantile rounds to it)
                got = (0.0, 0.0)
            elif got is None:
                value, err = integrate.quad(_scalar(f), a, b, epsabs=_EPSABS, epsrel=epsrel, limit=limit)
                got = (float(value), float(err))
            results[i] = _open_ends(got, f, pieces[i], (a, b), p, q, beyond) if log else got
    return results


def _scalar(f: Callable[[Any], np.ndarray]) -> Callable[[float], float]:
    """A vectorised integrand one point at a time, for quad."""
    return lambda y: float(f(y)[0])


def _integrand(pointwise: Callable[..., np.ndarray], p: Any, q: Any, anchor: float, side: float, log: bool,
               bounds: tuple[float, float]) -> tuple[Callable[[Any], np.ndarray], float]:
    """The integrand of pieces of one kind in their variable (``y``, or ``log y``), vectorised;
    and, for log pieces, the log of the smallest ``y`` read where one reaches its end."""
    log_p, exact_p = _log_density(p, anchor, side)
    log_q, exact_q = _log_density(q, anchor, side)

    def at(y: Any) -> np.ndarray:
        lp = np.atleast_1d(np.asarray(log_p(y), dtype=np.float64))
        lq = np.atleast_1d(np.asarray(log_q(y), dtype=np.float64))
        return pointwise(lp, lq)

    if not log:
        lo, hi = bounds
        # An end point reached by rounding (only x itself can be): quad never asks for it otherwise.
        if (anchor, side) == (0.0, 1.0):
            return (lambda y: np.where((lo < y) & (y < hi), at(y), 0.0)), -math.inf
        return at, -math.inf

    def in_log(u: Any) -> np.ndarray:
        y = np.exp(u)
        return at(y) * y

    return in_log, math.log(_TINY if exact_p and exact_q else 4 * math.ulp(anchor))


def _variable_ends(piece: _Piece, floor: float) -> tuple[float, float]:
    """A piece's ends in its variable: ``y``, or ``log y`` from ``floor`` (where it reaches its
    end) up to ``log`` :data:`_HUGE` (where it reaches infinity)."""
    if not piece.log:
        return piece.start, piece.stop
    a = math.log(piece.start) if piece.start > 0 else floor
    b = math.log(piece.stop) if 0 < piece.stop < math.inf else math.log(_HUGE) if piece.stop == math.inf else a
    return a, b


def _open_ends(found: tuple[float, float], in_log: Callable[[Any], np.ndarray], piece: _Piece,
               ends: tuple[float, float], p: Any, q: Any,
               beyond: Callable[[float, float], tuple[float, float]] | None) -> tuple[float, float]:
    """A log piece's integral with what lies beyond its open ends (see :func:`_piece_integrals`)."""
    value, err = found
    # Beyond the last point read, in_log(u) ~ g exp(-k |u - edge|) integrates to g / k.
    # Or, where the measure bounds it by the laws' masses there, from those (a decay as slow as
    # Beta(1e-10, 1)'s, all of whose mass lies below 1e-308, extrapolated to an error of 1).
    for edge, inward, open_ in ((ends[0], 2.0, piece.start == 0), (ends[1], -2.0, piece.stop == math.inf)):
        if open_ and beyond is not None:
            rest, rest_err = beyond(*(_mass_beyond(f, piece, math.exp(edge), inward > 0) for f in (p, q)))
            value, err = value + rest, err + rest_err
            continue
        g = abs(float(in_log(edge)[0])) if open_ else 0.0
        if g > 0:
            nearer = abs(float(in_log(edge + inward)[0]))
            if not nearer > g:  # no decay outwards: the integral diverges
                return math.inf, 0.0
            err += g * abs(inward) / math.log(nearer / g)
    return value, err


def _mass_beyond(frozen: Any, piece: _Piece, y: float, toward_anchor: bool) -> float:
    """A law's mass at ``anchor + side * t`` for ``t`` below ``y`` (``toward_anchor``) or above
    (in ``t`` itself where the law is read from its end there, as :func:`_log_density`)."""
    view = None
    if piece.anchor != 0 and _touches(frozen, piece.anchor, piece.side):
        view = seen_from_end(frozen, upper=piece.side < 0)
    if view is not None:
        return float(view.cdf(y) if toward_anchor else view.sf(y))
    x = piece.anchor + piece.side * y
    if toward_anchor:
        inner = float(frozen.cdf(x)) - float(frozen.cdf(piece.anchor))
        return max(0.0, inner if piece.side > 0 else -inner)
    return float(frozen.sf(x)) if piece.side > 0 else float(frozen.cdf(x))


def _breakpoints(frozens: list[Any], ends: set[float], lo: float, hi: float) -> list[float]:
    """``lo``, ``hi``, the support ends between them (kinks or jumps of the integrand) and the
    quantiles ``_SPLIT`` of ``frozens``, in order."""
    points = {lo, hi} | {x for x in ends if lo < x < hi}
    for f in frozens:
        with np.errstate(all="ignore"):
            qs = np.asarray(f.ppf(_SPLIT), dtype=np.float64)
        points.update(float(x) for x in qs if np.isfinite(x) and lo < x < hi)
    return sorted(points)


# Each gap between two finite cuts is searched for crossings at this many points.
_CROSSING_GRID = 16


def _with_crossings(p: Any, q: Any, points: list[float], ends: set[float]) -> list[float]:
    """``points`` and the crossings of the two densities between the quantile cuts (the body:
    not in the tails, whose pieces are cut by decades of mass, nor towards a support end in
    ``ends``: a crossing there, far out in a tail, had made a piece of the end's log pieces
    one in x, whose mass a rule's points all missed): sign changes of ``log p - log q`` on a
    grid of each gap, refined by bisection to the doubles (every bracket at once), and the grid
    points where they are equal."""
    finite = [x for x in points if math.isfinite(x) and x not in ends]
    if len(finite) < 2:
        return points
    log_p, log_q = fast_logpdf(p), fast_logpdf(q)

    def gap(x: np.ndarray) -> np.ndarray:
        return np.asarray(log_p(x), dtype=np.float64) - np.asarray(log_q(x), dtype=np.float64)

    with np.errstate(all="ignore"):
        grid = np.unique(np.concatenate([np.linspace(a, b, _CROSSING_GRID + 1) for a, b in zip(finite[:-1], finite[1:])]))
        d = gap(grid)
        found = set(grid[d == 0].tolist())
        change = np.isfinite(d[:-1]) & np.isfinite(d[1:]) & (np.sign(d[:-1]) * np.sign(d[1:]) < 0)
        lo, hi, d_lo = grid[:-1][change], grid[1:][change], d[:-1][change]
        while lo.size:
            middle = 0.5 * (lo + hi)
            inside = (lo < middle) & (middle < hi)
            if not inside.any():
                break
            same = np.sign(gap(middle)) == np.sign(d_lo)
            lo, hi = np.where(inside & same, middle, lo), np.where(inside & ~same, middle, hi)
        found.update(lo.tolist())
    return sorted(set(points) | {x for x in found if finite[0] < x < finite[-1]})


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
        view = seen_from_end(f, upper=side < 0) if anchor != 0 else None
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
        if a == b:  # (quantiles that all round to a support end: a second piece there would count its end twice)
            continue
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


def _chunks(pieces: list[_Piece]) -> list[list[_Piece]]:
    """A tail's pieces in runs of 4, 8, 16, ...: a light tail is settled by its first few
    pieces, a heavy one reads all of them (some 100) in a few calls."""
    runs, start, size = [], 0, 4
    while start < len(pieces):
        runs.append(pieces[start : start + size])
        start, size = start + size, 2 * size
    return runs


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


# The spike's masses settle a bounded measure where their bounds are this close.
_SETTLED = 1e-15


def _spike_masses(measure: Measure, p: Any, q: Any) -> tuple[float, float] | None:
    """A bounded measure's integral from the laws' masses on a spike's cell and off it, where
    one law's quartiles are one double (narrower than doubles resolve: Gamma(4e85, 2e82)
    within 3e-40 of 2188) and the bounds by the masses settle it (against a law far from it,
    TV 1 to the last bit); None elsewhere. (The quadrature took 84 s for 1 +- 1 there.)"""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for law in (p, q):
            low, high = (float(v) for v in law.ppf([0.25, 0.75]))
            if low == high and math.isfinite(low):
                cell = (math.nextafter(low, -math.inf), math.nextafter(high, math.inf))
                inside = [max(0.0, float(f.cdf(cell[1])) - float(f.cdf(cell[0]))) for f in (p, q)]
                outside = [max(0.0, float(f.cdf(cell[0])) + float(f.sf(cell[1]))) for f in (p, q)]
                (v1, e1), (v2, e2) = measure.beyond(*inside), measure.beyond(*outside)  # type: ignore[misc]
                if e1 + e2 <= _SETTLED:
                    return v1 + v2, e1 + e2 + 4 * EPS * (v1 + v2)
    return None


def quadrature(measure: Measure, p_dist: Distribution, q_dist: Distribution) -> tuple[float, float]:
    """``measure`` of one pair of one-dimensional continuous distributions, with its error.

    The integral of ``measure.pointwise`` over ``p``'s support (both supports for a ``union``
    measure), piece by piece, then ``measure.finish``. ``+inf`` where ``q`` misses ``p``'s
    support for a measure that is infinite then, or where a tail's contributions do not die
    out. A circular pair is integrated over one period centred on ``p``'s location.
    """
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
    if measure.beyond is not None and measure.union and not p_dist.circular:
        spike = _spike_masses(measure, p, q)
        if spike is not None:
            return measure.finish(*spike)
    lo, hi = (min(plo, qlo), max(phi, qhi)) if measure.union else (plo, phi)
    frozens = [p, q] if measure.union else [p]
    ends = {x for x in (plo, phi, qlo, qhi) if math.isfinite(x) and lo <= x <= hi}
    if p_dist.circular:
        frozens, ends = [], set()  # a finite period: no quantile cuts, no ends
    # q's quantiles cut p's pieces too: its median is where a density like Laplace's has its
    # kink, which quad, between two points, may step over with a confident error estimate.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (SciPy's quantiles warn where Boost's root finding gives up: a cut less)
        points = _breakpoints(frozens if measure.union or p_dist.circular else [p, q], ends, lo, hi)
        if measure.kinks:
            points = _with_crossings(p, q, points, ends)
        if len(points) == 2:
            points.insert(1, 0.5 * (lo + hi) if math.isfinite(lo + hi) else 0.0)
        body, tails = _pieces(frozens, points, ends)

    results: list[tuple[float, float]] = []
    error = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quad's IntegrationWarning is folded into the error estimate
        results += _piece_integrals(measure.pointwise, p, q, body, (lo, hi), beyond=measure.beyond)
        for pieces in tails:
            tail: list[tuple[float, float]] = []
            for chunk in _chunks(pieces):  # (integrated together, read in order)
                for found in _piece_integrals(measure.pointwise, p, q, chunk, (lo, hi), beyond=measure.beyond):
                    tail.append(found)
                    last = [abs(v) for v, _ in tail[-3:]]
                    # Three pieces in a row negligible and shrinking: the rest is smaller still.
                    if len(last) == 3 and last[0] >= last[1] >= last[2] and last[0] <= 1e-17 * max(
                        1e-300, abs(sum(v for v, _ in results + tail))
                    ):
                        error += last[2]
                        break
                else:
                    continue
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

    return sum(v for v, _ in _piece_integrals(bound, p, q, body, bounds, epsrel=1e-2, limit=20))
