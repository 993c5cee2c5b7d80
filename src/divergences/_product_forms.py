"""The matrix-product forms (KL, cross-entropy, Hellinger, Bhattacharyya, JS): row terms and blocks.

A form runs a measure block by block at the speed of BLAS (or of the GPU), with the per-row
terms folded into one more column on each side so that the product is the answer:

* ``KL(p||q) = [p, H(p)] . [-log q, -1]`` and ``cross_entropy = p . (-log q)``;
* ``hellinger^2 = [sqrt p, 1] . [-sqrt q, 1]`` and ``bhattacharyya = -log(sqrt p . sqrt q)``.

The callers (``_blocks``) make each row's terms once (P's for each strip of blocks, Q's for
all of Q where they fit), and every NumPy temporary made here lies in memory reused from call
to call (``_numpy_engine.scratch``). Zeros of q cannot enter the product as ``-log 0 = inf``
(``0 * inf`` is NaN): ``-log q`` is taken there as a huge finite ABSENT, so that a pair with
``p > 0 = q`` somewhere comes out above any finite value and is set to ``+inf`` (a second
product of indicator arrays, ``[p > 0] . [q = 0]``, is needed only for rows of P with an
entry below about 1e-300). Where p is close to q these forms cancel: each block comes with a
threshold (from the bound ``(K + 1) eps / 1e-9``) at or below which an entry is small
compared with the terms it is the difference of, and the caller recomputes such entries with
the accurate elementwise kernel, so every entry is within 1e-9 relative of the direct formula
(1e-4 where a library computes in float32). JS is formed from the entropy of the mixture,
``log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q`` (one logarithm per pair and
event), under the same guard: on NumPy (and torch CPU tensors without gradients) a row of P
against a block of Q at a time on all cores, elsewhere as one broadcast block.

``FORMS`` (and ``GRADED_FORMS``, where a gradient flows) give each measure's form by name.
This module sits below the table of divergences (``_metadata``): it calls the kernels
directly and imports nothing of the table, ``discrete`` or ``pairwise``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import array_api_extra as xpx
import numpy as np

from . import _kernels, _numpy_engine
from ._array_api import device as device_of
from ._array_api import is_numpy, is_torch_array
from ._numpy_engine import scratch, scratch_array
from ._special import sqrt_with_zero_gradient, substitute

__all__ = [
    "ACCURACY", "ACCURACY_FLOAT32", "BHATTACHARYYA", "CROSS_ENTROPY", "CROSS_ENTROPY_GRADED",
    "HELLINGER", "JS_MIXTURE", "KL", "KL_GRADED", "Form", "Rows", "cancellation_bound",
    "entropies", "js_of_mixture", "numpy_can_read", "numpy_log", "row_products", "square_roots",
]

Array = Any
Rows = dict[str, Array]  # what one side of a form needs, every entry indexed by row first

ACCURACY = 1e-9  # every entry is within this relative error of the direct formula (float64)
ACCURACY_FLOAT32 = 1e-4  # the same where the library computes in float32 (JAX without x64)


class Form(NamedTuple):
    """A measure run block by block: what it needs of each row of ``P`` (``left``) and of
    ``Q`` (``right``), computed once per row rather than once per block, and how a block of
    pairs combines them into values (nats) and a threshold at or below which a value has
    cancelled too much to be trusted (a number, a column per row of P, or a full block).
    ``out``, where given, is a NumPy float64 view the block's values may be written to;
    ``same`` says that the block pairs some rows of P with the same rows (a block on the
    diagonal of P against itself), whose matrix is symmetric for a symmetric measure."""

    left: Callable[[Array, Any], Rows]
    right: Callable[[Array, Any], Rows]
    block: Callable[[Rows, Rows, Any, Array | None, bool], tuple[Array, Array | float | None]]


def cancellation_bound(x: Array, xp: Any) -> float:
    """A sum of the K products in ``x``'s rows (and one more) is trusted when it exceeds
    this fraction of the sum of the terms' magnitudes: its rounding error is at most
    (K + 1) eps times that."""
    eps = float(xp.finfo(x.dtype).eps)
    return (x.shape[-1] + 1) * eps / (ACCURACY if eps < 1e-10 else ACCURACY_FLOAT32)


def _with_column(x: Array, column: Array | float, xp: Any, apply: Callable[..., Any] | None = None) -> Array:
    """``[x, column]``: ``x`` with one more column, ``column`` per row or one value for all.
    NumPy: written straight into one array of reused memory, ``apply(x, out=...)`` (a
    ufunc) in place of ``x`` where given."""
    if is_numpy(xp):
        k = x.shape[1]
        a = scratch_array((x.shape[0], k + 1))
        if apply is None:
            a[:, :k] = x
        else:
            apply(x, out=a[:, :k])
        a[:, k] = column
        return a
    if isinstance(column, float):
        column = xp.full((x.shape[0],), column, dtype=x.dtype, device=device_of(x))
    return xp.concat([x, column[:, None]], axis=1)


def row_products(a: Array, b: Array, out: Array | None) -> Array:
    """``a @ b.T``, into ``out`` where given (NumPy: straight into the result matrix)."""
    return a @ b.T if out is None else np.matmul(a, b.T, out=out)


# The product forms fold their row terms into the product itself, one more column on each
# side, so the product's output is the block's values with no pass over it to finish it
# (at 2000 x 2000 x 256 such a pass costs a fifth of the product):
#   KL:        [p, H(p)] . [-log q, -1] = -p . log q - H(p)
#   Hellinger: [sqrt p, 1] . [-sqrt q, 1] = 1 - sqrt(p) . sqrt(q)
# Every term of the cross-entropy is >= 0 (log q <= 0), so a value below 0 only comes from
# cancellation, and falls under the trust threshold: nothing needs clipping.


# Zeros of q ride in the product itself: -log q is taken as a huge ABSENT there, so that a
# pair with p > 0 = q in some event gets a term p * ABSENT above any finite value (those
# are at most -log of the smallest positive float, 745 in float64, 103 in float32) and is
# set to +inf, while p = 0 makes the term an exact 0. Only a p below TINY could hide under
# the limit: rows of P with such an entry (rare) take an exact support test, a product of
# indicator arrays [p > 0] . [q = 0].
_FINITE_LIMIT = 1000.0


def _absent(dtype: Any, xp: Any) -> tuple[float, float]:
    """ABSENT (standing for -log 0) and TINY (p >= TINY makes p * ABSENT >= 2 limits) for
    ``dtype``: no sum of at most one ABSENT per unit of probability can overflow."""
    absent = float(xp.finfo(dtype).max) * 1e-5
    return absent, 2.0 * _FINITE_LIMIT / absent


def _kl_left(P: Array, xp: Any, cross: bool) -> Rows:
    tiny_p = _absent(P.dtype, xp)[1]
    if cross:
        return {"p": P, "a": P, "tiny": _tiny_rows(P, tiny_p, xp)}
    if is_numpy(xp):  # in this thread (a strip is small), in reused memory, one pass to sum
        lowest = P.min()
        with scratch():
            log_p = numpy_log(P, scratch_array(P.shape), zeros=lowest == 0)  # 0 log 0 is 0
            # Summed in the manner of a matrix product, whose error the threshold allows for.
            h = -np.einsum("ij,ij->i", P, log_p)
        tiny = None if lowest >= tiny_p else _tiny_rows(P, tiny_p, xp)
    else:
        h, tiny = entropies(P, xp), _tiny_rows(P, tiny_p, xp)
    b = cancellation_bound(P, xp)
    # c - h (c the cross-entropy) is trusted above b (c + h), that is above 2 b h / (1 - b);
    # with b >= 1 nothing is trusted (a finite threshold, so that +inf never is distrusted).
    slack = 2.0 * b / (1.0 - b) if b < 1.0 else float(xp.finfo(P.dtype).max)
    return {"p": P, "a": _with_column(P, h, xp), "tiny": tiny,
            "slack": (h * slack if b < 1.0 else xp.full_like(h, slack))[:, None]}


def _tiny_rows(P: Array, tiny_p: float, xp: Any) -> Array | None:
    """The rows of P with an entry in (0, tiny_p), or None if there are none."""
    return xp.any((P > 0) & (P < tiny_p), axis=1) if bool(xp.min(P) < tiny_p) else None


def _kl_right(Q: Array, xp: Any, cross: bool, graded: bool) -> Rows:
    # -log q, and ABSENT where q = 0 (0 where a gradient flows: d/dp of p * ABSENT is ABSENT).
    absent = 0.0 if graded else _absent(Q.dtype, xp)[0]
    if is_numpy(xp):  # one array, of reused memory (fresh memory costs page faults)
        k = Q.shape[1]
        b = scratch_array((Q.shape[0], k + (0 if cross else 1)))
        zeros = Q.min() == 0
        with scratch():  # in contiguous memory first: NumPy buffers a ufunc writing a strided array
            log_q = numpy_log(Q, scratch_array(Q.shape), zeros)
            if not zeros:
                has_zero = np.zeros(Q.shape[0], dtype=bool)
                np.negative(log_q, out=b[:, :k])
            else:  # ABSENT (plus 744, which it absorbs) at the zeros, by arithmetic: no masked write
                zero = np.equal(Q, 0.0, out=scratch_array(Q.shape))
                has_zero = np.einsum("ij->i", zero) > 0
                np.subtract(np.multiply(zero, absent, out=zero), log_q, out=b[:, :k])
        b[:, k:] = -1.0
    else:
        positive = Q > 0
        has_zero = ~xp.all(positive, axis=1)
        neg_log_q = xp.where(positive, -xp.log(substitute(positive, Q, 1.0, xp)), xp.asarray(absent, dtype=Q.dtype))
        b = neg_log_q if cross else _with_column(neg_log_q, -1.0, xp)
    return {"q": Q, "b": b, "has_zero": has_zero}


_TINIEST = 5e-324  # the smallest subnormal: its log is finite (-744.4), so 0 * log(max(0, it)) = 0


def numpy_log(x: np.ndarray, out: np.ndarray, zeros: bool) -> np.ndarray:
    """``log x`` into ``out``; where ``x`` may hold zeros, of ``max(x, _TINIEST)``, so that a
    zero weight times it is 0, not NaN. One pass more, and still faster than the log of 0
    (a special value, 5x slower than a number) or a write under a scattered mask."""
    return np.log(np.maximum(x, _TINIEST, out=out) if zeros else x, out=out)


def _kl_block(
    left: Rows, right: Rows, xp: Any, out: Array | None, *, cross: bool, graded: bool
) -> tuple[Array, Array | None]:
    values = row_products(left["a"], right["b"], out)
    if bool(xp.any(right["has_zero"])):
        exact_rows = None  # None: every row takes the exact support test
        if not graded:  # a missing support came out above the finite limit, unless p < TINY
            values = _infinite_above(values, _FINITE_LIMIT, xp)
            exact_rows = left["tiny"]
            if exact_rows is None or not bool(xp.any(exact_rows)):
                return values, None if cross else left["slack"]
        p, q = left["p"], right["q"]
        missing = (xp.astype(p > 0, p.dtype) @ xp.astype(q == 0, q.dtype).T) > 0
        values = xpx.at(values, missing if exact_rows is None else missing & exact_rows[:, None]).set(math.inf)
    return values, None if cross else left["slack"]


def _infinite_above(values: Array, limit: float, xp: Any) -> Array:
    """``values`` with every entry above ``limit`` made +inf (NumPy: in place)."""
    if not is_numpy(xp):
        return xpx.at(values, values > limit).set(math.inf)
    with scratch(), np.errstate(divide="ignore"):  # values / [values <= limit]: no branch per entry
        return np.divide(values, np.less_equal(values, limit, out=scratch_array(values.shape, bool)), out=values)


def square_roots(X: Array, xp: Any, sign: float | None) -> Rows:
    """Square roots (with a finite gradient at 0), with ``sign`` the one more column folded
    in for Hellinger (None: none)."""
    if is_numpy(xp):
        if sign is None:
            return {"a": np.sqrt(X, out=scratch_array(X.shape))}
        a = _with_column(X, 1.0, xp, np.sqrt)
        if sign < 0:
            np.negative(a[:, :-1], out=a[:, :-1])
        return {"a": a}
    root = sqrt_with_zero_gradient(X, xp)
    return {"a": root if sign is None else _with_column(sign * root, 1.0, xp)}


def _overlap_block(left: Rows, right: Rows, xp: Any, out: Array | None, *, log: bool) -> tuple[Array, float]:
    """``h^2 = [sqrt p, 1] . [-sqrt q, 1] = 1 - bc`` (the kernel's value for Hellinger; sqrt
    is the transform), or ``-log bc`` from ``bc = sqrt(p) . sqrt(q)`` itself for
    Bhattacharyya: ``1 - h^2`` would lose a small bc. Both cancel where bc is near 1, and
    the error of the product is at most 2 b there (its terms' magnitudes sum to <= 2)."""
    product = row_products(left["a"], right["a"], out)
    bound = 2.0 * cancellation_bound(left["a"], xp)
    if not log:
        return product, bound
    disjoint = product <= 0
    value = -xp.log(substitute(~disjoint, product, 1.0, xp))
    # bc >= 1 - bound, that is -log bc <= -log1p(-bound), is not trusted.
    threshold = -math.log1p(-bound) if bound < 1.0 else math.inf
    return xp.where(disjoint, xp.asarray(math.inf, dtype=product.dtype), value), threshold


def _with_entropy(X: Array, xp: Any) -> Rows:
    return {"x": X, "h": entropies(X, xp)}


def entropies(X: Array, xp: Any) -> Array:
    """The entropy (nats) of each row of valid, normalised ``X``; on NumPy through the fast
    engine, with the kernels the table's ``entropy`` row names (the forms sit below the table)."""
    if not is_numpy(xp):
        return _kernels.entropy(X, xp=xp)
    values = _numpy_engine.evaluate(
        _kernels.entropy, _numpy_engine.fast_entropy, 0.0, [X], params={}, shift=0.0, normalize=False, tolerance=None,
    )
    assert values is not None  # no tolerance, no validation
    return values


def _mixture_js(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, Array]:
    """``JS = log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q``: one log per pair
    and event (the elementwise form needs two and a division). Entries that are small
    against the entropies they come from are distrusted (and recomputed)."""
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
    """JS from ``sum s log s`` and the entropies, and the threshold at or below which it has
    cancelled too much to be trusted."""
    js = math.log(2.0) - 0.5 * (s_log_s + h_p + h_q)
    return xp.clip(js, 0.0, math.log(2.0)), bound * (xp.abs(s_log_s) + h_p + h_q)


def numpy_can_read(x: Array) -> bool:
    """A torch CPU tensor that no gradient flows through: NumPy reads it in place, and its
    kernels (JS's mixture sums, the engine for the elementwise measures) run several times
    faster than torch's broadcast blocks."""
    return bool(
        is_torch_array(x) and x.device.type == "cpu" and not x.requires_grad
    )


def _numpy_s_log_s(Pb: np.ndarray, Qb: np.ndarray, same: bool) -> np.ndarray:
    """``sum (p + q) log(p + q)`` for every pair, a row of P at a time, on all cores. With
    ``same`` (Qb is Pb) each row starts at its own column and the lower triangle is mirrored:
    half the work, and exactly symmetric."""
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


def _kl(cross: bool, graded: bool = False) -> Form:
    return Form(
        lambda P, xp: _kl_left(P, xp, cross), lambda Q, xp: _kl_right(Q, xp, cross, graded),
        lambda left, right, xp, out, same: _kl_block(left, right, xp, out, cross=cross, graded=graded),
    )


def _overlap(log: bool) -> Form:
    return Form(
        lambda P, xp: square_roots(P, xp, None if log else 1.0), lambda Q, xp: square_roots(Q, xp, None if log else -1.0),
        lambda left, right, xp, out, same: _overlap_block(left, right, xp, out, log=log),
    )


JS_MIXTURE = Form(_with_entropy, _with_entropy, _mixture_js)
KL = _kl(cross=False)
CROSS_ENTROPY = _kl(cross=True)
HELLINGER = _overlap(log=False)
BHATTACHARYYA = _overlap(log=True)
# Where a gradient flows (torch), zeros of q take the exact support test: a huge -log q
# would be the gradient of p at p = q = 0.
KL_GRADED = _kl(cross=False, graded=True)
CROSS_ENTROPY_GRADED = _kl(cross=True, graded=True)
