"""Independent high-precision references for the discrete divergences.

Every function evaluates the *literal* definition of API.md section 1 with mpmath at 50
significant digits on the exact values of the given floats (``mpf(float)`` is exact), so
it shares no formula with the library (no log1p forms, no compensated sums, no clipping).
Results are ``mpf`` or ``mpmath.inf``; they are never NaN for valid input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import mp, mpf

DPS = 50
INF = mpmath.inf


def _mp(x: Iterable[float]) -> list[mpf]:
    return [mpf(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]


def exact_sum(x: Iterable[float]) -> Fraction:
    """The exact rational sum of the floats in ``x``."""
    return sum((Fraction(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()), Fraction(0))


def kl(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``sum_{p>0} p log(p/q)``; ``+inf`` when some ``p > 0 = q``."""
    with mp.workdps(DPS):
        total = mpf(0)
        for a, b in zip(_mp(p), _mp(q)):
            if a == 0:
                continue
            if b == 0:
                return INF
            total += a * mpmath.log(a / b)
        return +total


def cross_entropy(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``-sum_{p>0} p log q``."""
    with mp.workdps(DPS):
        total = mpf(0)
        for a, b in zip(_mp(p), _mp(q)):
            if a == 0:
                continue
            if b == 0:
                return INF
            total -= a * mpmath.log(b)
        return +total


def entropy(p: Sequence[float]) -> mpf:
    """``-sum_{p>0} p log p``."""
    with mp.workdps(DPS):
        return +(-mpmath.fsum(a * mpmath.log(a) for a in _mp(p) if a > 0))


def js(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``kl(p, m)/2 + kl(q, m)/2`` with ``m = (p + q)/2`` formed exactly."""
    with mp.workdps(DPS):
        pm, qm = _mp(p), _mp(q)
        total = mpf(0)
        for a, b in zip(pm, qm):
            m = (a + b) / 2
            if a > 0:
                total += a * mpmath.log(a / m) / 2
            if b > 0:
                total += b * mpmath.log(b / m) / 2
        return +total


def js_distance(p: Sequence[float], q: Sequence[float]) -> mpf:
    with mp.workdps(DPS):
        return mpmath.sqrt(js(p, q))


def bhattacharyya_coefficient(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``sum sqrt(p q)``."""
    with mp.workdps(DPS):
        return mpmath.fsum(mpmath.sqrt(a * b) for a, b in zip(_mp(p), _mp(q)))


def hellinger_literal_squared(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``1 - sum sqrt(p q)``, API.md's form, on the given numbers."""
    with mp.workdps(DPS):
        return 1 - bhattacharyya_coefficient(p, q)


def hellinger_squared(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``1/2 sum (sqrt p - sqrt q)^2``: the textbook L2 form of the squared Hellinger distance.

    It equals ``1 - sum sqrt(p q)`` when both inputs sum to exactly 1. Float inputs rarely
    do (their sums are off by an ulp or so), and then API.md's form carries an offset of
    ``1 - (sum p + sum q)/2`` (about 1e-16, and nonzero even at ``p = q``), which the L2
    form does not: it is 0 at ``p = q`` and a true metric, so it is the reference here.
    """
    with mp.workdps(DPS):
        return mpmath.fsum((mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 for a, b in zip(_mp(p), _mp(q))) / 2


def hellinger(p: Sequence[float], q: Sequence[float]) -> mpf:
    with mp.workdps(DPS):
        return mpmath.sqrt(hellinger_squared(p, q))


def bhattacharyya(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``-log(sum sqrt(p q) / s)`` with ``s = (sum p + sum q)/2``; ``+inf`` for disjoint supports.

    ``s`` is 1 for normalised inputs (then this is ``-log sum sqrt(p q)`` exactly); for floats
    whose sums are an ulp off it removes the same ``1e-16`` offset as :func:`hellinger_squared`
    without disturbing small coefficients (``-log(1e-100)`` stays 230.26).
    """
    with mp.workdps(DPS):
        bc = bhattacharyya_coefficient(p, q)
        # s - bc is the L2 form exactly; log(s/bc) = log1p((s - bc)/bc) keeps a tiny s - bc
        return INF if bc == 0 else mpmath.log1p(hellinger_squared(p, q) / bc)


def bhattacharyya_literal(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``-log sum sqrt(p q)`` on the given numbers."""
    with mp.workdps(DPS):
        bc = bhattacharyya_coefficient(p, q)
        return INF if bc == 0 else -mpmath.log(bc)


def total_variation(p: Sequence[float], q: Sequence[float]) -> mpf:
    with mp.workdps(DPS):
        return mpmath.fsum(abs(a - b) for a, b in zip(_mp(p), _mp(q))) / 2


def chi2(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``sum (p - q)^2 / q``; ``+inf`` when some ``p > 0 = q``."""
    with mp.workdps(DPS):
        total = mpf(0)
        for a, b in zip(_mp(p), _mp(q)):
            if b == 0:
                if a > 0:
                    return INF
                continue
            total += (a - b) ** 2 / b
        return +total


def psi(p: Sequence[float], q: Sequence[float]) -> mpf:
    """``sum (p - q) log(p/q)``; ``+inf`` when the supports differ."""
    with mp.workdps(DPS):
        total = mpf(0)
        for a, b in zip(_mp(p), _mp(q)):
            if a == 0 and b == 0:
                continue
            if a == 0 or b == 0:
                return INF
            total += (a - b) * mpmath.log(a / b)
        return +total


def renyi(p: Sequence[float], q: Sequence[float], alpha: float) -> mpf:
    """``log(sum p^a q^(1-a)) / (a - 1)``, with the limits at ``a = 0, 1, inf``."""
    with mp.workdps(DPS):
        pm, qm = _mp(p), _mp(q)
        if alpha == 1:
            return kl(p, q)
        if alpha == 0:
            mass = mpmath.fsum(b for a, b in zip(pm, qm) if a > 0)
            return INF if mass == 0 else -mpmath.log(mass)
        if alpha > 1 and any(a > 0 and b == 0 for a, b in zip(pm, qm)):
            return INF
        if alpha == float("inf"):
            return mpmath.log(max(a / b for a, b in zip(pm, qm) if a > 0))
        a_ = mpf(alpha)
        s = mpmath.fsum(a**a_ * b ** (1 - a_) for a, b in zip(pm, qm) if a > 0 and b > 0)
        if s == 0:
            return INF
        return mpmath.log(s) / (a_ - 1)


# ---- long vectors: 64-bit-mantissa (x87 long double) terms, summed exactly with fsum ----


def _split_fsum(terms: np.ndarray) -> float:
    """``sum(terms)`` for long-double ``terms``: each term as an exact hi + lo pair of floats,
    all summed with correct rounding by ``math.fsum``."""
    import math

    hi = terms.astype(np.float64)
    lo = (terms - hi.astype(np.longdouble)).astype(np.float64)
    return math.fsum(np.concatenate([hi, lo]).tolist())


def long_kl(p: np.ndarray, q: np.ndarray) -> float:
    ld = np.longdouble
    pl, ql = p.astype(ld), q.astype(ld)
    assert np.all(p > 0) and np.all(q > 0)
    return _split_fsum(pl * np.log(pl / ql))


def long_entropy(p: np.ndarray) -> float:
    pl = p[p > 0].astype(np.longdouble)
    return _split_fsum(-pl * np.log(pl))


def long_js(p: np.ndarray, q: np.ndarray) -> float:
    ld = np.longdouble
    pl, ql = p.astype(ld), q.astype(ld)
    assert np.all(p > 0) and np.all(q > 0)
    m = (pl + ql) / 2
    return _split_fsum(np.concatenate([pl * np.log(pl / m) / 2, ql * np.log(ql / m) / 2]))
