"""QUADPACK's 21-point Gauss-Kronrod rule (``dqk21``), its 21 points read in one vectorised call.

``scipy.integrate.quad`` calls its integrand once a point, and a quadrature's piece of a smooth
density pair is settled by its first 21 points: the call to Python, SciPy's density and the
measure's integrand on one point at a time were nearly all of the numerical route's time.
:func:`first_step` reads the 21 points at once and applies QAGS's own test after its first
rule; where that test passes, quad would have returned the same sum (the same nodes, weights
and error estimate), and where it fails the caller runs quad itself.

Examples
--------
>>> import numpy as np
>>> value, error = first_step(np.exp, 0.0, 1.0, epsabs=1e-15, epsrel=1e-12)
>>> bool(abs(value - (np.e - 1)) < 1e-15), error < 1e-13
(True, True)
>>> first_step(lambda x: np.sqrt(np.abs(x)), -1.0, 1.0, epsabs=1e-15, epsrel=1e-12) is None  # a kink: quad's work
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["first_step"]

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


def first_step(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, *, epsabs: float,
               epsrel: float) -> tuple[float, float] | None:
    """The integral of ``f`` (vectorised: an array of points in, their values out) from ``a``
    to ``b`` and its error estimate, by ``dqk21``, where QAGS stops after that first rule
    (its error estimate within ``max(epsabs, epsrel |value|)`` and not the whole spread of
    ``f``, or the round-off of its integral); None where QAGS would go on to bisect, or where
    a value is not finite."""
    centre, half = 0.5 * (a + b), 0.5 * (b - a)
    offsets = half * _XGK
    values = np.asarray(f(np.concatenate([centre - offsets, centre + offsets, [centre]])), dtype=np.float64)
    if values.shape != (21,) or not np.all(np.isfinite(values)):
        return None
    left, right, fc = values[:10], values[10:20], float(values[20])
    pairs = left + right
    # dqk21's order of summation: the centre, then the Gauss pairs, then the others.
    resk = _WGK_CENTRE * fc + float(np.dot(_WGK[1::2], pairs[1::2])) + float(np.dot(_WGK[0::2], pairs[0::2]))
    resg = float(np.dot(_WG, pairs[1::2]))
    reskh = 0.5 * resk
    resabs = (_WGK_CENTRE * abs(fc) + float(np.dot(_WGK, np.abs(left) + np.abs(right)))) * abs(half)
    resasc = (_WGK_CENTRE * abs(fc - reskh)
              + float(np.dot(_WGK, np.abs(left - reskh) + np.abs(right - reskh)))) * abs(half)
    value = resk * half
    error = abs((resk - resg) * half)
    if resasc != 0.0 and error != 0.0:
        error = resasc * min(1.0, (200.0 * error / resasc) ** 1.5)
    if resabs > _UFLOW / (50.0 * _EPMACH):
        error = max(50.0 * _EPMACH * resabs, error)
    bound = max(epsabs, epsrel * abs(value))
    # QAGS returns here too where the error is round-off: within 100 ulps of the integral of |f|.
    if error == 0.0 or (error <= bound and error != resasc) or error <= 100.0 * _EPMACH * resabs:
        return value, error
    return None
