"""Adaptive Gauss-Kronrod quadrature on QUADPACK's 21-point rule (``dqk21``), each round's
points read in one vectorised call.

``scipy.integrate.quad`` calls its integrand once a point: the call to Python, SciPy's density
and the measure's integrand on one point at a time were nearly all of the numerical route's
time. :func:`integrate` reads the 21 points of the first rule at once and applies QAGS's own
test after it (where that passes, quad would have returned the same sum: the same nodes,
weights and error estimate); beyond, it bisects the intervals that carry the error, all of a
round's points in one call. Where it cannot settle an integral, the caller runs quad.

Examples
--------
>>> import numpy as np
>>> value, error = integrate(np.exp, 0.0, 1.0, epsabs=1e-15, epsrel=1e-12, limit=200)
>>> bool(abs(value - (np.e - 1)) < 1e-15), error < 1e-13
(True, True)
>>> value, error = integrate(lambda x: np.abs(x - 0.3), 0.0, 1.0, epsabs=1e-15, epsrel=1e-12, limit=200)
>>> bool(abs(value - 0.29) < 1e-15), error < 1e-12  # a kink: bisected around it
(True, True)
>>> integrate(lambda x: 1.0 / x, 0.0, 1.0, epsabs=1e-15, epsrel=1e-12, limit=200) is None  # quad's to say
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["integrate", "integrate_many"]

# dqk21's abscissae (xgk) and weights (wgk) on [-1, 1], the Kronrod points from the outside in
# and the centre last; the 10-point Gauss rule uses the odd ones (xgk(2), xgk(4), ... in Fortran).
_XGK = np.array([0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
                 0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
                 0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
                 0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
                 0.294392862701460198131126603103866, 0.148874338981631210884826001129720])
_WGK = np.array([0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
                 0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
                 0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
                 0.123491976262065851077208980248471, 0.134709217311473325928054001771707,
                 0.142775938577060080797094273138717, 0.147739104901338491374841515972068])
_WGK_CENTRE = 0.149445554002916905664936468389821
_WG = np.array([0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
                0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
                0.295524224714752870173892994651338])
_EPMACH = float(np.finfo(np.float64).eps)
_UFLOW = float(np.finfo(np.float64).tiny)


def _rule(f: Callable[[np.ndarray], np.ndarray], lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, ...]:
    """``dqk21`` on each interval ``[lows[i], highs[i]]``, every point in one call of ``f``:
    the integrals, their error estimates, the integrals of ``|f|`` and of ``|f - mean|``
    (QUADPACK's ``resabs`` and ``resasc``), and whether each interval's values are finite."""
    centre, half = 0.5 * (lows + highs), 0.5 * (highs - lows)
    offsets = half[:, None] * _XGK
    points = np.concatenate([centre[:, None] - offsets, centre[:, None] + offsets, centre[:, None]], axis=1)
    values = np.asarray(f(points.reshape(-1)), dtype=np.float64).reshape(points.shape)
    finite = np.all(np.isfinite(values), axis=1)
    values = np.where(finite[:, None], values, 0.0)
    left, right, fc = values[:, :10], values[:, 10:20], values[:, 20]
    pairs = left + right
    # dqk21's order of summation: the centre, then the Gauss pairs, then the others.
    resk = _WGK_CENTRE * fc + pairs[:, 1::2] @ _WGK[1::2] + pairs[:, 0::2] @ _WGK[0::2]
    resg = pairs[:, 1::2] @ _WG
    reskh = (0.5 * resk)[:, None]
    resabs = (_WGK_CENTRE * np.abs(fc) + (np.abs(left) + np.abs(right)) @ _WGK) * np.abs(half)
    resasc = (_WGK_CENTRE * np.abs(fc - reskh[:, 0])
              + (np.abs(left - reskh) + np.abs(right - reskh)) @ _WGK) * np.abs(half)
    error = np.abs((resk - resg) * half)
    scaled = resasc * np.minimum(1.0, (200.0 * error / np.where(resasc != 0.0, resasc, 1.0)) ** 1.5)
    error = np.where((resasc != 0.0) & (error != 0.0), scaled, error)
    error = np.where(resabs > _UFLOW / (50.0 * _EPMACH), np.maximum(50.0 * _EPMACH * resabs, error), error)
    return resk * half, error, resabs, resasc, finite


def integrate(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, *, epsabs: float, epsrel: float,
              limit: int) -> tuple[float, float] | None:
    """:func:`integrate_many` on one interval."""
    return integrate_many(f, np.array([a]), np.array([b]), epsabs=epsabs, epsrel=epsrel, limit=limit)[0]


def integrate_many(f: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray, *, epsabs: float,
                   epsrel: float, limit: int) -> list[tuple[float, float] | None]:
    """The integral of ``f`` (vectorised: an array of points in, their values out) over each
    interval ``[a[i], b[i]]`` and its error estimate, or None where this does not settle it
    (the caller runs ``quad``); every round's points for all the intervals in one call.

    Each integral as quad begins: the first rule and QAGS's test after it (its error estimate
    within ``max(epsabs, epsrel |value|)`` and not the whole spread of ``f``, or the round-off
    of its integral), quad's own sum there. Beyond, global bisection of the subintervals that
    carry the most error (those whose errors sum to half the excess), until the summed error
    is within the bound or at round-off, at most ``limit`` subintervals. (QAGS bisects one
    interval a call and extrapolates; a density pair's pieces, split at quantiles and in log
    distance near singular ends, need bisection only at the kinks of ``|p - q|`` and such, and
    quad is there where this gives up: subintervals of one ulp, values not finite.)
    """
    count = len(a)
    results: list[tuple[float, float] | None] = [None] * count
    owner = np.arange(count)
    lows, highs = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    values, errors, resabs, resasc, finite = _rule(f, lows, highs)
    bound = np.maximum(epsabs, epsrel * np.abs(values))
    # QAGS returns here too where the error is round-off: within 100 ulps of the integral of |f|.
    done = finite & ((errors == 0.0) | ((errors <= bound) & (errors != resasc)) | (errors <= 100.0 * _EPMACH * resabs))
    for i in np.flatnonzero(done):
        results[i] = float(values[i]), float(errors[i])
    live = finite & ~done
    while True:
        keep = live[owner]
        owner, lows, highs, values, errors, resabs = (x[keep] for x in (owner, lows, highs, values, errors, resabs))
        if not owner.size:
            return results
        split = np.zeros(owner.size, dtype=bool)
        for i in np.unique(owner):
            mine = np.flatnonzero(owner == i)
            total, spread = math.fsum(values[mine].tolist()), math.fsum(errors[mine].tolist())
            tolerance = max(epsabs, epsrel * abs(total))
            if spread <= tolerance or spread <= 100.0 * _EPMACH * float(resabs[mine].sum()):
                results[i] = total, spread
                live[i] = False
                continue
            order = mine[np.argsort(errors[mine])[::-1]]
            take = int(np.searchsorted(np.cumsum(errors[order]), spread - 0.5 * tolerance)) + 1
            chosen = order[: min(take, limit - mine.size)]
            middle = 0.5 * (lows[chosen] + highs[chosen])
            if not chosen.size or np.any((middle <= lows[chosen]) | (middle >= highs[chosen])):
                live[i] = False  # at the limit, or intervals of one ulp: quad's to say
                continue
            split[chosen] = True
        if not split.any():
            continue
        stay = ~split & live[owner]
        middle = 0.5 * (lows[split] + highs[split])
        new_lows, new_highs = np.concatenate([lows[split], middle]), np.concatenate([middle, highs[split]])
        new_owner = np.concatenate([owner[split], owner[split]])
        *found, new_finite = _rule(f, new_lows, new_highs)
        live[new_owner[~new_finite]] = False  # a value not finite: quad's to say
        owner = np.concatenate([owner[stay], new_owner])
        lows, highs = np.concatenate([lows[stay], new_lows]), np.concatenate([highs[stay], new_highs])
        values, errors, resabs = (np.concatenate([old[stay], new])
                                  for old, new in zip((values, errors, resabs), found[:3], strict=True))
