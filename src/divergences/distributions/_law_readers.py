"""How the quadrature reads a SciPy law: its log density at many points in one call, fast and
accurate, and its view from a support end; each built once per law.

``rv_continuous.logpdf`` spends some 120 us a call on argument checks, nine tenths of a
quadrature's time once its points are read in one call: :func:`fast_logpdf` takes SciPy's own
steps without them (the same doubles, checked at the law's quartiles), or, for the Gamma and
Beta families whose standard forms lose digits at large shapes, Loader's form. :func:`seen_from_end`
gives a law as the distribution of the distance to its support end, read to the smallest
double there. Both are cached by the law (a quadrature asks for them for each of its pieces,
some 130 times; a view is a SciPy distribution made afresh, its docstring formatted, ~1 ms).

Examples
--------
>>> import scipy.stats as st
>>> read = fast_logpdf(st.norm(1.0, 2.0))
>>> float(read(1.0)) == float(st.norm(1.0, 2.0).logpdf(1.0))
True
>>> seen_from_end(st.beta(2.0, 5.0), upper=True).args  # Beta(a, b) at 1 - y is Beta(b, a) at y
(5.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.stats
from scipy import special

from .._array_api import NUMPY
from .._double_double import product
from .._special import HALF_LOG_2PI
from ._loader import binomial_log_pmf, poisson_log_pmf

__all__ = ["fast_logpdf", "seen_from_end"]

# SciPy families seen from the upper end of their support: Beta(a, b) at 1 - y is Beta(b, a) at y.
_MIRRORS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "beta": lambda a, b: (b, a),
    "arcsine": lambda: (),
    "uniform": lambda: (),
}


# What a quadrature builds from a law (its density reader, its view from a support end), once
# per law: its check at the quartiles costs some 1 ms, a view's SciPy distribution another (its
# docstring is formatted afresh), and a quadrature asks for them for each of its pieces, some 130
# times. Keyed by the distribution's class, name and support, and its parameters.
_LAWS: dict[tuple[Any, ...], Any] = {}
_LAWS_SIZE = 128


def _once(frozen: Any, what: Any, build: Callable[[Any], Any]) -> Any:
    """``build(frozen)``, once per law and ``what`` (a law's frozen objects are made afresh for
    each piece); built each time for a law that is not a SciPy frozen distribution of the
    usual make."""
    try:
        dist = frozen.dist
        values = (*frozen.args, *(v for _, v in sorted(frozen.kwds.items())))
        key = (what, type(dist), dist.name, dist.a, dist.b, tuple(sorted(frozen.kwds)),
               *(float(v) for v in values if np.ndim(v) == 0))
        if len(key) != 6 + len(values):  # (a parameter that is an array of several values)
            return build(frozen)
    except Exception:  # noqa: BLE001 (not a SciPy frozen distribution of the usual make)
        return build(frozen)
    if key not in _LAWS:
        if len(_LAWS) >= _LAWS_SIZE:
            _LAWS.clear()
        _LAWS[key] = build(frozen)
    return _LAWS[key]


def fast_logpdf(frozen: Any) -> Callable[[Any], Any]:
    """:func:`_build_fast_logpdf`, once per law."""
    return _once(frozen, "logpdf", _build_fast_logpdf)  # type: ignore[no-any-return]


def _beta_log_density(z: Any, a: Any, b: Any) -> Any:
    """The Beta(a, b) log density at ``z``: ``a + b - 1`` times the Binomial(a + b - 2, z)
    mass at ``a - 1`` (Loader's form) where both shapes exceed 1 and ``z`` is inside; SciPy's
    own form elsewhere (terms of order 1 there). SciPy's was 5.6e-11 off at shapes 1e4, 0.014
    at 1e12."""
    if not (a > 1.0 and b > 1.0):
        return scipy.stats.beta._logpdf(z, a, b)
    k, m = a - 1.0, a + b - 2.0
    inside = (z > 0.0) & (z < 1.0)
    t = np.where(inside, z, 0.5)
    product_high, product_low = product(m, t)
    loader = binomial_log_pmf(k, m, t, (k - product_high) - product_low, NUMPY) + np.log(a + b - 1.0)
    return np.where(inside, loader, scipy.stats.beta._logpdf(z, a, b))


def _inverse_gamma_log_density(z: Any, a: Any) -> Any:
    """The InverseGamma(a, 1) log density at ``z``: the Gamma one at ``t = 1 / z``, moved by its
    slope ``(a - 1) / t - 1`` times ``t``'s rounding (which weighs ``sqrt(a)`` ulps a standard
    deviation from the mode: 5e-11 at shape 1e10), less ``2 log z``."""
    t = 1.0 / z
    p, e = product(z, t)
    rounding = ((1.0 - p) - e) / z  # 1 / z - t (1 - p is exact: p is within an ulp of 1)
    return poisson_log_pmf(a - 1.0, t, NUMPY) + ((a - 1.0) / t - 1.0) * rounding - 2.0 * np.log(z)


def _t_log_density(z: np.ndarray, df: np.ndarray) -> np.ndarray:
    """SciPy's Student t log density (its finite-df branch, the same doubles)."""
    if not np.isfinite(df):
        return -0.5 * z * z - HALF_LOG_2PI
    return np.log(special.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi)) - (df + 1) / 2 * np.log1p(z * z / df)


def _cauchy_log_density(z: np.ndarray) -> np.ndarray:
    """SciPy's Cauchy log density (both its branches, the same doubles)."""
    size = np.abs(z)
    near = np.minimum(size, 1.0)
    far = np.maximum(size, 1.0)
    return np.where(size < 1, -_LOG_PI - np.log1p(near**2), -_LOG_PI - (2 * np.log(far) + np.log1p((1 / far) ** 2)))


_LOG_PI = math.log(math.pi)

# SciPy's standard log densities read by forms of our own:
# - those that lose digits at large shapes, written accurately (Loader's form, ``_loader``):
#   ``(a - 1) log z - z - lgamma(a)`` costs ulps of ``a log a`` (SciPy's Gamma log density at
#   shape 1e16 was 0 at the mean and -64 a standard deviation away, for -19.3 and -19.8; a JS at
#   shape 1e14 came out 0.096 +- 0.004 for 0.111);
# - those whose SciPy code branches through ``xpx.apply_where`` on every call (t, Cauchy: 50-85
#   us a call, half a numerical total variation's time), as SciPy's own expressions.
_ACCURATE: dict[str, Callable[..., Any]] = {
    "gamma": lambda z, a: poisson_log_pmf(a - 1.0, z, NUMPY),
    "invgamma": _inverse_gamma_log_density,
    "chi2": lambda z, df: poisson_log_pmf(0.5 * df - 1.0, 0.5 * z, NUMPY) - math.log(2.0),
    "beta": _beta_log_density,
    "t": _t_log_density,
    "cauchy": _cauchy_log_density,
}


def _build_fast_logpdf(frozen: Any) -> Callable[[Any], Any]:
    """``frozen.logpdf`` for a point or an array of them, by SciPy's own steps without their
    checks where every point is inside the support (``rv_continuous.logpdf`` spends some 120
    us a call on them, nine tenths of a quadrature's time), or by :data:`_ACCURATE`'s form of
    the standard density (SciPy's own families there); ``frozen.logpdf`` itself elsewhere, and
    wherever SciPy's steps and ``frozen.logpdf`` differ at the law's quartiles (a distribution
    that is not a plain ``rv_continuous``)."""
    try:
        dist = frozen.dist
        shapes, loc, scale = dist._parse_args(*frozen.args, **frozen.kwds)
        shapes = tuple(np.asarray(v, dtype=np.float64) for v in shapes)
        loc, scale = np.asarray(loc, dtype=np.float64), np.asarray(scale, dtype=np.float64)
        if not (scale > 0 and bool(np.all(dist._argcheck(*shapes)))):
            return frozen.logpdf  # type: ignore[no-any-return]
        log_scale = np.log(scale)
        # (an accurate form for SciPy's own family only, not a subclass with a density of its own)
        own = dist.name in _ACCURATE and type(dist) is type(getattr(scipy.stats, dist.name, None))
        standard = _ACCURATE[dist.name] if own else dist._logpdf

        def logpdf(x: Any) -> Any:
            z = np.asarray((x - loc) / scale, dtype=np.float64)
            if not np.all(dist._support_mask(z, *shapes)):  # (NaN too)
                return frozen.logpdf(x)
            return standard(z, *shapes) - log_scale

        if own:
            return logpdf
        with np.errstate(all="ignore"):
            points = [float(v) for v in frozen.ppf([0.1, 0.25, 0.5, 0.75, 0.9])]
        for x in points:
            want, got = float(frozen.logpdf(x)), float(logpdf(x))
            if not (want == got or (math.isnan(want) and math.isnan(got))):
                return frozen.logpdf  # type: ignore[no-any-return]
        return logpdf
    except Exception:  # noqa: BLE001 (not a SciPy frozen distribution of the usual make)
        return frozen.logpdf  # type: ignore[no-any-return]


def seen_from_end(frozen: Any, upper: bool) -> Any | None:
    """``frozen`` as the distribution of the distance ``y`` to its lower or ``upper`` support
    end, or ``None`` (once per law: :func:`_once`).

    ``end - y`` rounds to ``end`` once ``y`` is below half an ulp of ``end``, so a density
    singular at an end other than 0 (a Beta's at 1, a shifted Gamma's) cannot be read through
    ``x`` where most of its tail lies. Without its loc, SciPy reads it at ``y`` itself: from the
    lower end of a family whose standard support starts at 0, and from the upper end of a family
    with a mirror image (:data:`_MIRRORS`).
    """
    return _once(frozen, ("seen from", upper), lambda f: _build_seen_from_end(f, upper))


def _build_seen_from_end(frozen: Any, upper: bool) -> Any | None:
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
