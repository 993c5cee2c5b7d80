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

__all__ = ["integrate"]

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


def _rule(f: Callable[[np.ndarray], np.ndarray], lows: np.ndarray,
          highs: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """``dqk21`` on each interval ``[lows[i], highs[i]]``, every point in one call of ``f``:
    the integrals, their error estimates, and the integrals of ``|f|`` and of ``|f - mean|``
    (QUADPACK's ``resabs`` and ``resasc``); None where a value is not finite."""
    centre, half = 0.5 * (lows + highs), 0.5 * (highs - lows)
    offsets = half[:, None] * _XGK
    points = np.concatenate([centre[:, None] - offsets, centre[:, None] + offsets, centre[:, None]], axis=1)
    values = np.asarray(f(points.reshape(-1)), dtype=np.float64)
    if values.shape != (points.size,) or not np.all(np.isfinite(values)):
        return None
    values = values.reshape(points.shape)
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
    return resk * half, error, resabs, resasc


def integrate(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, *, epsabs: float, epsrel: float,
              limit: int) -> tuple[float, float] | None:
    """The integral of ``f`` (vectorised: an array of points in, their values out) from ``a``
    to ``b`` and its error estimate, or None where this does not settle it (the caller runs
    ``quad``).

    The first rule and QAGS's test after it, as quad (its error estimate within ``max(epsabs,
    epsrel |value|)`` and not the whole spread of ``f``, or the round-off of its integral):
    quad's own sum there. Beyond, global bisection of the intervals that carry the most error
    (those whose errors sum to half the excess), all new intervals' points in one call, until
    the summed error is within the bound or at round-off, at most ``limit`` intervals. (QAGS
    bisects one interval a call and extrapolates; a density pair's pieces, split at quantiles
    and in log distance near singular ends, need bisection only at the kinks of ``|p - q|``
    and such, and quad is there where this gives up: intervals too small, values not finite.)
    """
    lows, highs = np.array([a], dtype=np.float64), np.array([b], dtype=np.float64)
    found = _rule(f, lows, highs)
    if found is None:
        return None
    values, errors, resabs, resasc = found
    value, error = float(values[0]), float(errors[0])
    bound = max(epsabs, epsrel * abs(value))
    # QAGS returns here too where the error is round-off: within 100 ulps of the integral of |f|.
    if error == 0.0 or (error <= bound and error != resasc[0]) or error <= 100.0 * _EPMACH * resabs[0]:
        return value, error
    while True:
        total, spread = math.fsum(values.tolist()), math.fsum(errors.tolist())
        bound = max(epsabs, epsrel * abs(total))
        if spread <= bound or spread <= 100.0 * _EPMACH * float(resabs.sum()):
            return total, spread
        order = np.argsort(errors)[::-1]
        take = int(np.searchsorted(np.cumsum(errors[order]), spread - 0.5 * bound)) + 1
        split = order[: min(take, limit - values.size)]
        if split.size == 0:
            return None
        middle = 0.5 * (lows[split] + highs[split])
        if np.any((middle <= lows[split]) | (middle >= highs[split])):  # intervals of one ulp
            return None
        new_lows = np.concatenate([lows[split], middle])
        new_highs = np.concatenate([middle, highs[split]])
        found = _rule(f, new_lows, new_highs)
        if found is None:
            return None
        keep = np.ones(values.size, dtype=bool)
        keep[split] = False
        lows, highs = np.concatenate([lows[keep], new_lows]), np.concatenate([highs[keep], new_highs])
        values, errors, resabs, resasc = (np.concatenate([old[keep], new]) for old, new in
                                          zip((values, errors, resabs, resasc), found, strict=True))
