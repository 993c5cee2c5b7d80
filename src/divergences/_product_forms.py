"""The matrix-product forms (KL, cross-entropy, Hellinger, Bhattacharyya, JS): row terms and blocks.

A form runs a block of pairs at BLAS speed, each row's terms folded into more columns so that
the product is the answer. A product cancels by some ``(K + 1) eps`` times its terms'
magnitudes: where Q's rows are near each other (a sample says so), KL, Hellinger and JS are
expanded about a *centre* ``r``, Q's mean row, and their terms are as small as the values:

* ``KL(p||q) = L(p, r) + L(r, q) - (p - r) . log(q/r)``, ``L(x, y) = sum x log(x/y)`` made
  per row to full accuracy (terms ``>= 0`` plus an exact ``sum(x - y)``);
* ``hellinger^2 = |a|^2/2 + |b|^2/2 - a . b``, ``a = sqrt p - sqrt r``, ``b = sqrt q - sqrt r``;
* ``JS = sum r J(a, b)``, ``a = p/r - 1``, ``b = q/r - 1``: where every ``|a|, |b| <= 0.3``,
  J's Taylor polynomial (its remainder carries ``(a - b)^2`` as J does; the degree is chosen
  for 1e-12 relative) is a product of the powers of a and of b; elsewhere the entropy of the
  mixture, ``log 2 - (sum s log s + H(p) + H(q))/2``, ``s = p + q`` (a log per pair and event).

Elsewhere the plain forms ``[p, H(p)] . [-log q, -1]``, ``[sqrt p, 1] . [-sqrt q, 1]``. Thresholds
(a ``Bound`` ``|A| + |B| + |a| |b|``, by Cauchy-Schwarz) mark the entries ``_blocks`` recomputes:
pairs about as near each other as to r. Cross-entropy's terms are ``>= 0``.

For a zero of q (plain forms: KL is centred only where q > 0 wherever r > 0), ``-log 0`` is a
huge ABSENT: a pair with ``p > 0 = q`` comes out above any finite value and is set to ``+inf``;
``[p > 0] . [q = 0]`` tests rows with a p below 1e-300, and where a gradient flows. Where all of
Q is 0, ``r = 0``: ``L(p, r) = inf`` for mass there. Below the table: it calls the kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any, NamedTuple

import array_api_extra as xpx
import numpy as np

from . import _kernels, _numpy_engine
from ._array_api import NUMPY as NUMPY_XP
from ._array_api import device as device_of
from ._array_api import is_numpy, is_torch_array
from ._numpy_engine import scratch, scratch_array
from ._special import log1pmx, log_ratio, sqrt_with_zero_gradient, substitute, sum_compensated, where0

__all__ = [
    "ACCURACY", "ACCURACY_FLOAT32", "BHATTACHARYYA", "CROSS_ENTROPY", "CROSS_ENTROPY_GRADED",
    "HELLINGER", "JS_MIXTURE", "KL", "KL_GRADED", "Bound", "Form", "Rows", "Threshold", "cancellation_bound",
    "centre", "entropies", "js_of_mixture", "numpy_can_read", "numpy_log", "row_products", "square_roots",
]

Array = Any
Rows = dict[str, Array]  # what one side of a form needs, indexed by row first (keys "_...": not)

ACCURACY = 1e-9  # every entry is within this relative error of the direct formula (float64)
ACCURACY_FLOAT32 = 1e-4  # the same where the library computes in float32 (JAX without x64)


class Bound(NamedTuple):
    """A block's thresholds ``row + col + row_scale * col_scale`` ((n, 1), (1, m) arrays, >= 0)."""

    row: Array
    col: Array
    row_scale: Array
    col_scale: Array


Threshold = Bound | Array | float | None  # None: every entry is trusted


class Form(NamedTuple):
    """Each row's terms (``left(P, xp, centre)``, ``right(Q, xp, centre)``: no centre, Q is all of Q),
    a block's values (nats; into NumPy ``out``; ``same``: P against itself, diagonal) and thresholds."""

    left: Callable[..., Rows]
    right: Callable[..., Rows]
    block: Callable[[Rows, Rows, Any, Array | None, bool], tuple[Array, Threshold]]
    centre: Callable[[Array, Any], Array | None] | None = None  # Q's centre, or None: the plain form


def centre(Q: Array, xp: Any) -> Array:
    """Q's mean row, normalised (> 0 wherever a row of Q is), a constant for gradients."""
    r = xp.mean(Q, axis=0)
    return _constant(r / xp.sum(r))


def _constant(x: Array) -> Array:
    """``x`` without a gradient (torch): what only bounds and choices read."""
    return x.detach() if is_torch_array(x) else x


def cancellation_bound(x: Array, xp: Any) -> float:
    """The fraction of its terms' magnitudes above which a product of ``x``'s rows is trusted."""
    return _factor(x.shape[-1] - 7, x.dtype, xp)


def _factor(terms: int, dtype: Any, xp: Any, share: float = 1.0) -> float:
    """Error per magnitude over accuracy: ``terms`` products (and 8 roundings), ``share`` of it."""
    eps = float(xp.finfo(dtype).eps)
    return (terms + 8) * eps / (share * (ACCURACY if eps < 1e-10 else ACCURACY_FLOAT32))


def _with_columns(x: Array, columns: list[Array | float], xp: Any, apply: Callable[..., Any] | None = None) -> Array:
    """``[x, *columns]`` (a value per row or one for all); NumPy: reused memory, ``apply(x, out=)``."""
    k = x.shape[1]
    if is_numpy(xp):
        a = scratch_array((x.shape[0], k + len(columns)))
        (apply or (lambda x_, out: np.copyto(out, x_)))(x, out=a[:, :k])
        for c, column in enumerate(columns):
            a[:, k + c] = column
        return a
    full = [xp.full((x.shape[0],), c, dtype=x.dtype, device=device_of(x)) if isinstance(c, float) else c
            for c in columns]
    return xp.concat([x, *(c[:, None] for c in full)], axis=1)


def row_products(a: Array, b: Array, out: Array | None) -> Array:
    """``a @ b.T``, into ``out`` where given (NumPy: straight into the result matrix)."""
    return a @ b.T if out is None else np.matmul(a, b.T, out=out)


def _by_chunks(n: int, k: int, buffers: int, chunk: Callable[[int, int, list[np.ndarray]], None]) -> None:
    """``chunk(a, b, buffers)`` for rows a:b of n, in cache, on all cores (buffers: the chunk's shape)."""
    step = max(1, _CHUNK // k)

    def work(lo: int, hi: int) -> None:
        with np.errstate(all="ignore"), scratch():
            spare = [scratch_array((min(step, hi - lo), k)) for _ in range(buffers)]
            for a in range(lo, hi, step):
                chunk(a, min(a + step, hi), [u[: min(a + step, hi) - a] for u in spare])

    _numpy_engine.parallel(work, n, 4 * n * k, grain=step)  # (a log and a dozen passes per element)


def _excess(x: Array, y: Array, *, xp: Any) -> Array:
    """``sum [x log(x/y) - x + y]``, terms >= 0 as the KL kernel forms them (but not clipped)."""
    x, y = xp.broadcast_arrays(x, y)
    both = (x > 0) & (y > 0)
    xs, ys = substitute(both, x, 1.0, xp), substitute(both, y, 1.0, xp)
    z = (ys - xs) / xs
    near = xp.abs(z) <= 0.5
    t = xp.where(near, -xs * log1pmx(where0(near, z, xp), xp), xs * log_ratio(xs, ys, xp) - xs + ys)
    return xp.sum(xp.where(both, t, xp.where(x > 0, xp.full_like(x, math.inf), y)), axis=-1)


def _relative(x: Array, y: Array, xp: Any, exact: bool = False,
              also: Callable[[int, int], None] | None = None) -> tuple[Array, Array]:  # fmt: skip
    """``L(x, y) = sum x log(x/y)`` of rows (x or y may be one row), its terms' magnitude (the error
    is within (K + 10) eps of it); NumPy (not ``exact``): chunks on all cores, then ``also(a, b)``."""
    if exact or not is_numpy(xp):
        hi, lo = sum_compensated(x - y, xp)
        e = _excess(x, y, xp=xp)
        return e + (hi + lo), e + xp.abs(hi + lo)
    n, k = max(x.shape[0], y.shape[0]), x.shape[1]
    value, magnitude = np.empty(n), np.empty(n)

    def chunk(a: int, b: int, buffers: list[np.ndarray]) -> None:
        value[a:b], magnitude[a:b] = _relative_chunk(*(z[a:b] if z.shape[0] > 1 else z for z in (x, y)), *buffers)
        if also is not None:
            also(a, b)

    _by_chunks(n, k, 3, chunk)
    redo = np.flatnonzero(~np.isfinite(value))
    if redo.size:  # a missing support (inf, kept) or a ratio beyond the floats
        xs, ys = (z[redo] if z.shape[0] > 1 else z for z in (x, y))
        with np.errstate(all="ignore"):
            value[redo], magnitude[redo] = _relative(xs, ys, NUMPY_XP, exact=True)
    return value, magnitude


_CHUNK = 1 << 15  # elements of a chunk of rows: its few buffers stay in cache, and small
_SUMS = 5.0  # 2 (sum x + sum y) for rows that sum to 1 within the checks' tolerance (bfloat16's 0.09)
_EPS = 2.0**-54  # the series' truncation, relative
_SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)


def _relative_chunk(x: np.ndarray, y: np.ndarray, d: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[Any, Any]:
    """``_relative`` of a chunk (``d, s, w``: buffers). Every ``x/y`` in [1/1.22, 1.22] (``|w| <= 0.1``,
    ``w = (x - y)/(x + y)``): ``s w^2 (1 + w/3 + w^2/3 + w^3/5 + ...)``, as many terms as needed, and
    ``sum(x - y)`` exactly; else ``sum x log(x/y)``, magnitude ``<= |L| + 2 (sum x + sum y) <= |L| + _SUMS``."""
    t = np.divide(x, y, out=w)
    lowest, highest = float(t.min()), float(t.max())
    if not (lowest >= 1 / 1.22 and highest <= 1.22):
        np.log(t, out=t)
        wide = np.broadcast_to(x, t.shape)
        total = np.einsum("ij,ij->i", wide, t)
        if np.isnan(total).any():  # 0 log(0/y) is 0
            np.copyto(t, 0.0, where=wide == 0)
            total = np.einsum("ij,ij->i", wide, t)
        return total, np.abs(total) + _SUMS
    np.subtract(x, y, out=d)
    w = np.divide(d, np.add(x, y, out=s), out=w)
    widest = max((highest - 1.0) / (highest + 1.0), (1.0 - lowest) / (1.0 + lowest)) * (1.0 + 1e-9)
    power = np.ldexp(1.0, np.frexp(np.maximum(d.max(axis=1), -d.min(axis=1)))[1] + math.ceil(math.log2(d.shape[1])) + 1)
    high = np.subtract(np.add(d, power[:, None], out=s), power[:, None], out=s)  # (FastTwoSum)
    delta = np.einsum("ij->i", high) + np.einsum("ij->i", np.subtract(d, high, out=d))
    terms = max(1, math.ceil(math.log(_EPS) / math.log(widest))) if widest > 0 else 1
    poly = d  # Horner's rule from w^(terms - 1): the coefficient of w^m is 1 / (2 floor((m + 1)/2) + 1)
    poly.fill(1.0 / (2 * (terms // 2) + 1))
    for m in range(terms - 2, -1, -1):
        poly *= w
        poly += 1.0 / (2 * ((m + 1) // 2) + 1)
    poly *= w
    poly *= w
    excess = np.einsum("ij,ij->i", poly, np.add(x, y, out=s))
    return excess + delta, excess + np.abs(delta)


def _numpy_log_ratio(q: np.ndarray, r_safe: np.ndarray, out: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``log(q/r)`` into ``out`` (0 at q = 0), the least and largest ratio ``t``; every t in [1/2, 2]:
    to full accuracy, ``log t + (z - (t - 1))/t`` with the exact ``z = (q - r)/r``; else within eps."""
    t = np.divide(q, r_safe, out=out)
    lowest, highest = float(t.min()), float(t.max())
    if lowest >= 0.5 and highest <= 2.0:
        np.divide(np.subtract(q, r_safe, out=z), r_safe, out=z)
        z -= t - 1.0
        z /= t
        return np.add(np.log(t, out=out), z, out=out), lowest, highest
    np.log(t, out=out)
    if lowest < _SMALLEST_NORMAL:  # zeros (0 here), and ratios below the normals
        low = q < _SMALLEST_NORMAL * r_safe
        out[low] = np.where(q > 0, np.log(np.maximum(q, _TINIEST)) - np.log(r_safe), 0.0)[low]
    return out, lowest, highest


# A pair with p > 0 = q gets a term p * ABSENT above any finite value (at most -log of the
# smallest positive float: 745 in float64, 103 in float32), p = 0 an exact 0; rows of P with
# a p below TINY, which could hide under the limit, take the exact support test.
_FINITE_LIMIT = 1000.0


def _absent(dtype: Any, xp: Any) -> tuple[float, float]:
    """ABSENT (for -log 0) and TINY (p >= TINY makes p * ABSENT >= 2 limits) for ``dtype``."""
    absent = float(xp.finfo(dtype).max) * 1e-5
    return absent, 2.0 * _FINITE_LIMIT / absent


def _tiny_rows(P: Array, xp: Any) -> Array | None:
    """The rows of P with an entry in (0, TINY), or None if there are none."""
    tiny_p = _absent(P.dtype, xp)[1]
    return xp.any((P > 0) & (P < tiny_p), axis=1) if bool(xp.min(P) < tiny_p) else None


def _weighted_squares(x: Array, weights: Array, xp: Any) -> Array:
    """``sum weights x^2`` of each row (NumPy: no temporary)."""
    return np.einsum("ij,ij,j->i", x, x, weights) if is_numpy(xp) else xp.sum(x * x * weights[None, :], axis=1)


def _near_centre(Q: Array, xp: Any, scale: float, zeros: bool) -> Array | None:
    """Q's centre where a tenth of (16 of) Q's rows are within 10 plain trust bounds of it (the
    measure about ``scale chi^2``; with ``zeros``: no 0 where it is not); else None, the plain form."""
    r, sample = centre(Q, xp), Q[:: -(-Q.shape[0] // 16), :]
    d = sample - r[None, :]
    spread = scale * xp.sum(d * d * where0(r > 0, 1.0 / substitute(r > 0, r, 1.0, xp), xp)[None, :], axis=1)
    near = spread <= 10.0 * cancellation_bound(Q, xp) * max(1.0, math.log(Q.shape[1]))
    if not bool(xp.mean(xp.astype(near, Q.dtype)) >= 0.1):
        return None
    return None if zeros and bool(xp.any((Q == 0) & (r[None, :] > 0))) else r


_kl_centre = partial(_near_centre, scale=0.5, zeros=True)
_hellinger_centre = partial(_near_centre, scale=0.125, zeros=False)


def _kl_left(P: Array, xp: Any, r: Array | None) -> Rows:
    """``[p - r, L(p, r), 1]`` and its bounds' terms; plain: ``[p, H]``, ``c - H > b (c + H)`` trusted."""
    if r is None:
        h, b = entropies(P, xp), cancellation_bound(P, xp)
        slack = h * (2.0 * b / (1.0 - b)) if b < 1.0 else xp.full_like(h, float(xp.finfo(P.dtype).max))
        return {"p": P, "a": _with_columns(P, [h], xp), "tiny": _tiny_rows(P, xp), "slack": _constant(slack)[:, None]}
    (n, k), inverse_r = P.shape, where0(r > 0, 1.0 / substitute(r > 0, r, 1.0, xp), xp)
    if is_numpy(xp):  # p - r and its norm with each chunk of L(p, r), straight into the operand
        second, norm = scratch_array((n, k + 2)), np.empty(n)

        def also(a: int, b: int) -> None:
            norm[a:b] = _weighted_squares(np.subtract(P[a:b], r, out=second[a:b, :k]), inverse_r, xp)

        l_pr, magnitude = _relative(P, r[None, :], xp, also=also)
        second[:, k], second[:, k + 1] = l_pr, 1.0
    else:
        l_pr, magnitude = _relative(P, r[None, :], xp)
        second = _with_columns(P - r[None, :], [l_pr, 1.0], xp)
        norm = _weighted_squares(second[:, :k], inverse_r, xp)
    finite = l_pr < math.inf  # a row with mass where r = 0 (every q = 0): inf, whatever the bound
    return {"p": P, "second": second, "magnitude": _constant(where0(finite, magnitude, xp))[:, None],
            "norm": _constant(xp.sqrt(norm))[:, None]}


def _kl_right(Q: Array, xp: Any, r: Array | None, graded: bool) -> Rows:
    """``[-log(q/r), 1, L(r, q)]`` (q > 0 wherever r > 0), or without a centre ``[-log q, -1]``."""
    if r is None:
        return _cross_right(Q, xp, graded, column=True)
    rr = r[None, :]
    if is_numpy(xp):
        b, l_rq, magnitude, norm = _numpy_kl_right(Q, r)
    else:
        log_q_r = where0(rr > 0, log_ratio(substitute(rr > 0, Q, 1.0, xp), substitute(rr > 0, rr, 1.0, xp), xp), xp)
        norm, (l_rq, magnitude) = xp.sqrt(_weighted_squares(log_q_r, r, xp)), _relative(rr, Q, xp)
        b = _with_columns(-log_q_r, [1.0, l_rq], xp)
    return {"q": Q, "b": b, "magnitude": _constant(magnitude), "norm": _constant(norm), "_centre": r}


def _numpy_kl_right(Q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """``_kl_right`` on NumPy, chunks on all cores; log(q/r) within eps (far): norms + 2/(K + 10)."""
    m, k = Q.shape
    b, l_rq, magnitude, norm = scratch_array((m, k + 2)), *np.empty((3, m))
    r_safe = np.where(r > 0, r, 1.0)

    def chunk(s: int, t: int, buffers: list[np.ndarray]) -> None:
        q, (v, d, z, w) = Q[s:t], buffers
        v, lowest, highest = _numpy_log_ratio(q, r_safe, v, z)
        exact = lowest >= 0.5 and highest <= 2.0
        norm[s:t] = np.sqrt(_weighted_squares(v, r, NUMPY_XP)) + (0.0 if exact else 2.0 / (k + 10))
        if lowest >= 1 / 1.22 and highest <= 1.22:  # near: the series
            l_rq[s:t], magnitude[s:t] = _relative_chunk(r[None, :], q, d, z, w)
        else:  # (einsum: a BLAS call from a thread serialises)
            l_rq[s:t] = -np.einsum("ij,j->i", v, r)
            magnitude[s:t] = np.abs(l_rq[s:t]) + _SUMS
        np.negative(v, out=b[s:t, :k])

    _by_chunks(m, k, 4, chunk)
    b[:, k], b[:, k + 1] = 1.0, l_rq
    return b, l_rq, magnitude, norm


def _kl_block(left: Rows, right: Rows, xp: Any, out: Array | None, *, graded: bool) -> tuple[Array, Threshold]:
    if "second" not in left:  # the plain form
        return _cross_block(left, right, xp, out, graded=graded)[0], left["slack"]
    values = row_products(left["second"], right["b"], out)
    f = _factor(left["p"].shape[1] + 2, values.dtype, xp)
    return values, Bound(f * left["magnitude"], f * right["magnitude"][None, :], f * left["norm"], right["norm"][None, :])


def _support_test(values: Array, p: Array, q: Array, rows: Array | None, xp: Any) -> Array:
    """``values`` made +inf where ``p > 0 = q`` in some event (only in ``rows`` where given)."""
    missing = (xp.astype(p > 0, p.dtype) @ xp.astype(q == 0, q.dtype).T) > 0
    return xpx.at(values, missing if rows is None else missing & rows[:, None]).set(math.inf)


def _absent_to_inf(values: Array, left: Rows, right: Rows, xp: Any) -> Array:
    """``values`` +inf above the finite limit, and where the support test finds p > 0 = q."""
    if not is_numpy(xp):
        values = xpx.at(values, values > _FINITE_LIMIT).set(math.inf)
    else:
        with scratch(), np.errstate(divide="ignore"):  # values / [values <= limit]: no branch per entry
            np.divide(values, np.less_equal(values, _FINITE_LIMIT, out=scratch_array(values.shape, bool)), out=values)
    tiny = left["tiny"]
    return values if tiny is None or not bool(xp.any(tiny)) else _support_test(values, left["p"], right["q"], tiny, xp)


def _cross_right(Q: Array, xp: Any, graded: bool, column: bool = False) -> Rows:
    """``-log q`` (``[-log q, -1]``), ABSENT at q = 0 (0 where a gradient flows: it would be d/dp)."""
    absent = 0.0 if graded else _absent(Q.dtype, xp)[0]
    if not is_numpy(xp):
        positive = Q > 0
        b = xp.where(positive, -xp.log(substitute(positive, Q, 1.0, xp)), xp.asarray(absent, dtype=Q.dtype))
        return {"q": Q, "b": _with_columns(b, [-1.0], xp) if column else b, "has_zero": ~xp.all(positive, axis=1)}
    (m, k), zeros = Q.shape, Q.min() == 0  # reused memory: fresh memory costs page faults
    b, has_zero = scratch_array((m, k + column)), np.zeros(m, dtype=bool)
    with scratch():  # in contiguous memory first: NumPy buffers a ufunc writing a strided array
        log_q = numpy_log(Q, scratch_array(Q.shape), zeros)
        if not zeros:
            np.negative(log_q, out=b[:, :k])
        else:  # ABSENT (plus 744, which it absorbs) at the zeros, by arithmetic: no masked write
            zero = np.equal(Q, 0.0, out=scratch_array(Q.shape))
            has_zero = np.einsum("ij->i", zero) > 0
            np.subtract(np.multiply(zero, absent, out=zero), log_q, out=b[:, :k])
    b[:, k:] = -1.0
    return {"q": Q, "b": b, "has_zero": has_zero}


def _cross_block(left: Rows, right: Rows, xp: Any, out: Array | None, *, graded: bool) -> tuple[Array, None]:
    values = row_products(left["a"], right["b"], out)
    if bool(xp.any(right["has_zero"])):
        return _support_test(values, left["p"], right["q"], None, xp) if graded else _absent_to_inf(values, left, right, xp), None
    return values, None


_TINIEST = 5e-324  # the smallest subnormal: its log is finite (-744.4), so 0 * log(max(0, it)) = 0


def numpy_log(x: np.ndarray, out: np.ndarray, zeros: bool) -> np.ndarray:
    """``log x`` into ``out``, of ``max(x, _TINIEST)`` where x may be 0 (0 times it is 0, not NaN)."""
    return np.log(np.maximum(x, _TINIEST, out=out) if zeros else x, out=out)


def square_roots(X: Array, xp: Any, sign: float | None = None) -> Rows:
    """Square roots (a finite gradient at 0); with ``sign``, ``[sign sqrt x, 1]`` (the plain h^2)."""
    if is_numpy(xp):
        a = np.sqrt(X, out=scratch_array(X.shape)) if sign is None else _with_columns(X, [1.0], xp, np.sqrt)
        if sign is not None and sign < 0:
            np.negative(a[:, :-1], out=a[:, :-1])
        return {"a": a}
    root = sqrt_with_zero_gradient(X, xp)
    return {"a": root if sign is None else _with_columns(sign * root, [1.0], xp)}


def _hellinger_rows(X: Array, xp: Any, r: Array | None, left: bool) -> Rows:
    """``[a, |a|^2/2, 1]`` (left), ``[-a, 1, |a|^2/2]``, ``a = (x - r) / (sqrt x + sqrt r)`` (or plain)."""
    if r is None:
        return square_roots(X, xp, 1.0 if left else -1.0)
    rr, k = r[None, :], X.shape[1]
    if is_numpy(xp):  # into the operand a chunk at a time; the root sum shifted by 1e-300 (a
        a, half, root_r = scratch_array((X.shape[0], k + 2)), np.empty(X.shape[0]), np.sqrt(r) + 1e-300  # 0 at x = r = 0)

        def chunk(s: int, t: int, buffers: list[np.ndarray]) -> None:
            roots = np.add(np.sqrt(X[s:t], out=buffers[1]), root_r, out=buffers[1])
            dev = np.divide(np.subtract(X[s:t], r, out=buffers[0]), roots, out=buffers[0])
            half[s:t] = np.einsum("ij,ij->i", dev, dev) / 2.0
            np.multiply(dev, 1.0 if left else -1.0, out=a[s:t, :k])

        _by_chunks(X.shape[0], k, 2, chunk)
        a[:, k], a[:, k + 1] = (half, 1.0) if left else (1.0, half)
    else:
        roots = sqrt_with_zero_gradient(X, xp) + xp.sqrt(rr)
        dev = where0(roots > 0, (X - rr) / substitute(roots > 0, roots, 1.0, xp), xp)
        half = xp.sum(dev * dev, axis=1) / 2.0
        a = _with_columns(dev, [half, 1.0], xp) if left else _with_columns(-dev, [1.0, half], xp)
    rows = {"a": a, "half": _constant(half), "norm": _constant(xp.sqrt(2.0 * half))}
    return rows if left else {**rows, "_centre": r}


def _hellinger_block(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, Threshold]:
    """``h^2 = |a|^2/2 + |b|^2/2 - a . b`` (terms within ``(|a| + |b|)^2 / 2``), or plain (within 2 b)."""
    values = row_products(left["a"], right["a"], out)
    if "half" not in left:
        return values, 2.0 * cancellation_bound(left["a"], xp)
    f = _factor(left["a"].shape[1], values.dtype, xp)
    return values, Bound(f * left["half"][:, None], f * right["half"][None, :], f * left["norm"][:, None],
                         right["norm"][None, :])


def _bhattacharyya_block(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, float]:
    """``-log bc`` from ``bc = sqrt(p) . sqrt(q)`` itself, untrusted within 2 b of 1 (terms sum to <= 2)."""
    product = row_products(left["a"], right["a"], out)
    bound = 2.0 * cancellation_bound(left["a"], xp)
    disjoint = product <= 0
    value = -xp.log(substitute(~disjoint, product, 1.0, xp))
    threshold = -math.log1p(-bound) if bound < 1.0 else math.inf  # bc >= 1 - bound
    return xp.where(disjoint, xp.asarray(math.inf, dtype=product.dtype), value), threshold


def entropies(X: Array, xp: Any) -> Array:
    """The entropy (nats) of each row (NumPy: one log and one pass to sum, in reused memory)."""
    if not is_numpy(xp):
        return _kernels.entropy(X, xp=xp)
    with scratch():  # 0 log 0 is 0
        return -np.einsum("ij,ij->i", X, numpy_log(X, scratch_array(X.shape), zeros=bool(X.min() == 0)))


def _js_rows(X: Array, xp: Any, r: Array) -> Rows:
    """Rows, entropies, and the series' ``x/r - 1``, its largest ``|.|`` and ``sqrt(sum r (.)^2)``."""
    rr = r[None, :]
    positive = rr > 0
    dev = xp.where(positive, (X - rr) / substitute(positive, rr, 1.0, xp),
                   xp.where(X > 0, xp.full_like(X, math.inf), xp.zeros_like(X)))
    inside = where0(positive, dev, xp)
    return {"x": X, "h": entropies(X, xp), "dev": dev, "rho": _constant(xp.max(xp.abs(dev), axis=1)),
            "norm": _constant(xp.sqrt(xp.sum(rr * inside * inside, axis=1))), "_centre": r}


def _js_coefficients(degree: int) -> dict[tuple[int, int], float]:
    """``a^i b^j``'s coefficients in ``J = sum_n w^2n (1 + u)^(1-2n) / (2n (2n-1))``, ``u, w = (a +- b)/2``."""
    c: dict[tuple[int, int], Fraction] = {}
    powers = [(n, m, s, t) for n in range(1, degree // 2 + 1) for m in range(degree - 2 * n + 1)
              for s in range(2 * n + 1) for t in range(m + 1)]  # (a - b)^2n (a + b)^m, binom(1 - 2n, m)
    for n, m, s, t in powers:
        term = Fraction((-1) ** (m + s) * math.comb(2 * n - 2 + m, m) * math.comb(2 * n, s) * math.comb(m, t),
                        2 * n * (2 * n - 1) * 2 ** (2 * n + m))
        c[s + t, 2 * n - s + m - t] = c.get((s + t, 2 * n - s + m - t), Fraction(0)) + term
    return {key: float(v) for key, v in c.items() if v}


_JS_DEGREES = 24  # the highest degree of a series
_JS_TERMS = _js_coefficients(_JS_DEGREES)


def _js_degree(rho: float, dtype: Any, xp: Any) -> int | None:
    """The least degree within ACCURACY / 1000 of JS where every ``|x/r - 1| <= rho``: J's
    remainder is ``w^2`` times g's (``g = J / w^2 >= 1 / (2 (1 + rho))``), whose terms of degree
    e sum to at most ``ln 2 rho^e`` (``|u| + |w| = max(|a|, |b|) <= rho``)."""
    tolerance = 1e-3 * (ACCURACY if float(xp.finfo(dtype).eps) < 1e-10 else ACCURACY_FLOAT32)
    if not 0.0 < rho <= 0.3:
        return 2 if rho == 0.0 else None
    tail = tolerance * (1.0 - rho) / (2.0 * math.log(2.0) * (1.0 + rho))  # rho^(D - 1) at most this
    degree = 1 + max(1, math.ceil(math.log(tail) / math.log(rho)))
    return degree if degree <= _JS_DEGREES else None


def _js_side(dev: Array, r: Array, xp: Any, powers: range, degree: int, pure: bool, left: bool) -> Array:
    """``powers`` j: P's ``r sum_i c_ij a^i`` (``left``) or Q's ``b^j``; ``pure``: and ``A(p), 1``/``1, A(q)``."""
    def horner(j: int, low: int) -> Array:  # sum_{i = low}^{degree - j} c_ij a^i, over a^low
        poly = xp.full_like(dev, _JS_TERMS.get((degree - j, j), 0.0))
        for i in range(degree - j - 1, low - 1, -1):
            poly = poly * dev + _JS_TERMS.get((i, j), 0.0)
        return poly

    columns = [r[None, :] * horner(j, 1) * dev if left else dev**j for j in powers]
    side = xp.concat(columns, axis=1) if len(columns) > 1 else columns[0]
    if not pure:
        return side
    own = xp.sum(r[None, :] * horner(0, 2) * dev * dev, axis=1)
    return _with_columns(side, [own, 1.0] if left else [1.0, own], xp)


def _js_series(left: Rows, right: Rows, xp: Any, out: Array | None, degree: int, rho: float) -> tuple[Array, Bound]:
    """JS as ``sum_j [r sum_i c_ij a^i] . b^j + A(p) + A(q)``, a few powers per product."""
    a, b, r, k = left["dev"], right["dev"], left["_centre"], left["dev"].shape[1]
    group, values = max(1, 2048 // k), None  # powers per product: K x group columns
    for first in range(1, degree, group):
        powers = range(first, min(first + group, degree))
        lhs = _js_side(a, r, xp, powers, degree, first == 1, left=True)
        rhs = _js_side(b, r, xp, powers, degree, first == 1, left=False)
        if values is None:
            values = row_products(lhs, rhs, out)
        elif is_numpy(xp):
            with scratch():
                values += row_products(lhs, rhs, scratch_array(values.shape))
        else:
            values = values + lhs @ rhs.T
    # Each pure term is within r a^2 C0, each mixed one within r |a| |b| Cm, and sum r |a| |b|
    # <= |a| |b| (norms weighted by r); rounding may take half the accuracy.
    c0 = sum(abs(c) * rho ** (i - 2) for (i, j), c in _JS_TERMS.items() if j == 0 and i <= degree)
    cm = sum(abs(c) * rho ** (i + j - 2) for (i, j), c in _JS_TERMS.items() if i and j and i + j <= degree)
    f = _factor((degree - 1) * k + 2 + 3 * degree, a.dtype, xp, share=0.5)
    na, nb = left["norm"], right["norm"]
    return values, Bound(f * c0 * (na * na)[:, None], f * c0 * (nb * nb)[None, :], f * cm * na[:, None], nb[None, :])


def _js_block(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, Threshold]:
    """The series where every row of the block is near the centre, else the mixture form."""
    rho = max(float(xp.max(left["rho"])), float(xp.max(right["rho"])))
    degree = _js_degree(rho, left["x"].dtype, xp)
    return _mixture_js(left, right, xp, out, same) if degree is None else _js_series(left, right, xp, out, degree, rho)


def _mixture_js(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, Array]:
    """``JS = log 2 - (sum s log s + H(p) + H(q)) / 2``, ``s = p + q``: a log per pair and event."""
    Pb, Qb = left["x"], right["x"]
    h_p, h_q = left["h"][:, None], right["h"][None, :]
    if is_numpy(xp):
        s_log_s = _numpy_s_log_s(Pb, Qb, same)
    elif numpy_can_read(Pb) and numpy_can_read(Qb):
        s_log_s = xp.asarray(_numpy_s_log_s(Pb.numpy(), Qb.numpy(), same))
    else:  # a broadcast block: s log(s + [s = 0]) is 0 at s = 0, with a finite gradient there
        s = Pb[:, None, :] + Qb[None, :, :]
        s_log_s = xp.sum(s * xp.log(s + xp.astype(s == 0, s.dtype)), axis=-1)
    return js_of_mixture(s_log_s, h_p, h_q, cancellation_bound(Pb, xp), xp)


def js_of_mixture(s_log_s: Array, h_p: Array, h_q: Array, bound: float, xp: Any) -> tuple[Array, Array]:
    """JS from ``sum s log s`` and the entropies, and the threshold within which it is not trusted."""
    js = math.log(2.0) - 0.5 * (s_log_s + h_p + h_q)
    return xp.clip(js, 0.0, math.log(2.0)), bound * (xp.abs(s_log_s) + h_p + h_q)


def numpy_can_read(x: Array) -> bool:
    """A torch CPU tensor without a gradient: NumPy reads it in place (several times faster)."""
    return bool(is_torch_array(x) and x.device.type == "cpu" and not x.requires_grad)


def _numpy_s_log_s(Pb: np.ndarray, Qb: np.ndarray, same: bool) -> np.ndarray:
    """``sum (p + q) log(p + q)`` of every pair, on all cores (``same``: one triangle, mirrored)."""
    nb, (mb, k) = Pb.shape[0], Qb.shape
    zeros = Pb.min() == 0 and Qb.min() == 0  # s = p + q can be 0, and 0 log 0 must be 0
    s_log_s = np.empty((nb, mb))
    step = max(1, _numpy_engine.KERNEL_BLOCK_ELEMENTS // k)  # Q rows whose buffers stay in L2
    # Rows in the order the tasks take them: first and last in turn when rows differ in work.
    order = np.stack([np.arange(nb), np.arange(nb)[::-1]], axis=1).ravel()[:nb] if same else np.arange(nb)

    def work(lo: int, hi: int) -> None:
        rows = order[lo:hi]
        with np.errstate(all="ignore"), scratch():  # the buffers in this thread's reused memory
            s_buf, log_buf = scratch_array((min(step, mb), k)), scratch_array((min(step, mb), k))
            for j0 in range(0, mb, step):
                j1 = min(j0 + step, mb)
                for i in rows[rows < j1] if same else rows:
                    start = max(j0, i) if same else j0  # the triangle: columns from the row's own on
                    s, log_s = s_buf[: j1 - start], log_buf[: j1 - start]
                    np.add(Qb[start:j1], Pb[i], out=s)
                    # einsum fuses the product and the row sum (a third faster than the two).
                    s_log_s[i, start:j1] = np.einsum("ij,ij->i", s, numpy_log(s, log_s, zeros))

    _numpy_engine.parallel(work, nb, nb * mb * k // (2 if same else 1))
    if same:
        lower = np.tril_indices(nb, -1)
        s_log_s[lower] = s_log_s.T[lower]
    return s_log_s


_WHOLE = object()  # right(Q, xp) of all of Q: the form's centre is made from it


def _kl(graded: bool) -> Form:
    return Form(_kl_left, lambda Q, xp, r=_WHOLE: _kl_right(Q, xp, _kl_centre(Q, xp) if r is _WHOLE else r, graded),
                lambda left, right, xp, out, same: _kl_block(left, right, xp, out, graded=graded), _kl_centre)


def _cross(graded: bool) -> Form:
    return Form(lambda P, xp, r=None: {"p": P, "a": P, "tiny": _tiny_rows(P, xp)},
                lambda Q, xp, r=None: _cross_right(Q, xp, graded),
                lambda left, right, xp, out, same: _cross_block(left, right, xp, out, graded=graded))


JS_MIXTURE = Form(_js_rows, lambda Q, xp, r=_WHOLE: _js_rows(Q, xp, centre(Q, xp) if r is _WHOLE else r), _js_block,
                  centre)
KL = _kl(graded=False)
CROSS_ENTROPY = _cross(graded=False)
HELLINGER = Form(lambda P, xp, r: _hellinger_rows(P, xp, r, left=True),
                 lambda Q, xp, r=_WHOLE: _hellinger_rows(Q, xp, _hellinger_centre(Q, xp) if r is _WHOLE else r, left=False),
                 _hellinger_block, _hellinger_centre)
BHATTACHARYYA = Form(square_roots, lambda Q, xp, r=None: square_roots(Q, xp), _bhattacharyya_block)
KL_GRADED = _kl(graded=True)
CROSS_ENTROPY_GRADED = _cross(graded=True)
