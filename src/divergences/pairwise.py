"""Divergence matrices between two sets of distributions, and nearest distributions.

Both work a block of rows of ``P`` against a block of rows of ``Q`` at a time, so that the
only allocation of size N x M is the matrix that ``pairwise`` returns (``nearest`` has
none). Four measures run as matrix products, at the speed of BLAS (or of the GPU), with the
per-row terms folded into one more column on each side so that the product is the answer:

* ``KL(p||q) = [p, H(p)] . [-log q, -1]`` and ``cross_entropy = p . (-log q)``;
* ``hellinger^2 = [sqrt p, 1] . [-sqrt q, 1]`` and ``bhattacharyya = -log(sqrt p . sqrt q)``.

Each row's terms are made once: P's for each strip of blocks, Q's for all of Q where they
fit in ``WHOLE_RIGHT_BYTES`` (else per block, so that searching a huge Q holds no copy of
it). NumPy products write straight into the result, and every NumPy temporary (row terms,
the blocks of ``nearest``) lies in memory reused from call to call
(``_numpy_engine.scratch``): at 500 x 500 x 256 fresh memory's page faults had cost more
than the product itself. Zeros of q cannot enter the product as ``-log 0 = inf`` (``0 *
inf`` is NaN): ``-log q`` is taken there as a huge finite ABSENT, so that a pair with
``p > 0 = q`` somewhere comes out above any finite value and is set to ``+inf`` (a second
product of indicator arrays, ``[p > 0] . [q = 0]``, is needed only for rows of P with an
entry below about 1e-300). Where p is close to q these forms cancel: an entry that is small compared with
the terms it is the difference of (by the bound ``(K + 1) eps / 1e-9``) is recomputed with
the accurate elementwise kernel, so every entry is within 1e-9 relative of the direct
formula (1e-4 where a library computes in float32). On NumPy, JS is formed from the
entropy of the mixture, ``log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q`` (one
logarithm per pair and event), under the same guard. The other measures (and JS on other
libraries) run the elementwise kernels: on NumPy one row of P against a block of Q per call
of the fast engine, elsewhere a block of P broadcast against a block of Q. ``nearest``
keeps each row's k best and, once it has them, sorts only the entries of a block that beat
the k-th. For JS it first bounds every pair by one matrix product, ``ln 2 h^2 <= JS <= h^2``
(Hellinger), and computes JS only for the pairs that may beat a row's k-th best (1e6 rows
of 64 events: about 5x faster).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import array_api_compat
import array_api_extra as xpx
import numpy as np

from . import _dask, _kernels, _numpy_engine
from ._array_api import as_float_array, is_lazy, is_numpy, namespace
from ._dask import is_dask
from ._exceptions import InvalidInputError
from ._metadata import DIVERGENCES, Divergence
from ._numpy_engine import scratch, scratch_array
from ._special import sqrt_with_zero_gradient, substitute
from ._validation import check_options, checked_rows
from .discrete import kernel_params

__all__ = ["Neighbours", "nearest", "pairwise"]

Array = Any
Progress = Callable[[int, int], object]  # progress(done, total), in pairs

ACCURACY = 1e-9  # every entry is within this relative error of the direct formula (float64)
ACCURACY_FLOAT32 = 1e-4  # the same where the library computes in float32 (JAX without x64)
BROADCAST_ELEMENTS = 1 << 20  # pairs x events of one broadcast block: 8 MiB per temporary
# Rows of P and of Q in one block: a matrix-product block is written in place (larger
# blocks, fewer and larger products: 2000 x 2000 x 256 KL 1.4x -> 1.25x a bare product);
# other NumPy blocks make several temporaries of their size.
PRODUCT_ROWS = 2048
BLOCK_ROWS = 1024
WHOLE_RIGHT_BYTES = 1 << 28  # Q's per-row terms (logs, roots) are made once up to this size


class Neighbours(NamedTuple):
    """The ``k`` nearest rows of ``Q`` for each row of ``P``, closest first."""

    indices: Array
    values: Array


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class _Job:
    """Validated, normalised inputs in the working dtype, and what to do with them."""

    info: Divergence
    xp: Any
    P: Array
    Q: Array
    same: bool
    out_dtype: Any
    log_base: float | None
    params: dict[str, Any]
    form: _Form | None  # None: the measure's elementwise kernel, pair by pair
    right_whole: Rows | None  # the form's terms of every row of Q, where they fit in memory

    @property
    def symmetric_self(self) -> bool:
        return self.same and self.info.symmetric

    def left(self, i0: int, i1: int) -> Rows:
        """The form's terms of rows i0:i1 of P (used for one strip of blocks, so made there)."""
        return {} if self.form is None else self.form.left(self.P[i0:i1, :], self.xp)

    def right(self, j0: int, j1: int) -> Rows:
        """The form's terms of rows j0:j1 of Q: a slice of them all, or made for the block."""
        if self.form is None:
            return {}
        if self.right_whole is not None:
            return _rows(self.right_whole, j0, j1)
        return self.form.right(self.Q[j0:j1, :], self.xp)

    def finish(self, values: Array) -> Array:
        """Kernel values (nats) to reported values: base, transform, output dtype."""
        if is_numpy(self.xp):  # values is a block of our own: in place, no block-sized temporaries
            _numpy_engine.finish_in_place(values, self.log_base, self.info.transform)
            return values.astype(self.out_dtype, copy=False)
        if self.log_base is not None:
            values = values / self.log_base
        if self.info.transform is not None:
            values = self.info.transform(values, self.xp)
        return self.xp.astype(values, self.out_dtype, copy=False)


def _metric(metric: object) -> Divergence:
    info = DIVERGENCES.get(metric) if isinstance(metric, str) else None
    if info is None:
        names = ", ".join(n for n, d in DIVERGENCES.items() if d.arity == 2)
        raise InvalidInputError(f"metric must be one of {names}; got {metric!r}")
    if info.arity != 2:
        raise InvalidInputError(f"metric {metric!r} takes one distribution; pairwise needs a divergence of two")
    return info


def _work_dtype(xp: Any, device: Any) -> Any:
    """float64 where the library has it (JAX without x64 silently gives float32)."""
    probe = xp.zeros(1, dtype=xp.float64, device=device)
    return xp.float64 if probe.dtype == xp.float64 else xp.float32


def _prepare(
    P: Array, Q: Array | None, metric: object, base: float | None, normalize: bool,
    smoothing: float | None, validate: bool, params: dict[str, Any],
) -> _Job:
    info = _metric(metric)
    same = Q is None
    xp = namespace(P) if same else namespace(P, Q)
    base, smoothing = check_options(info, base, smoothing, normalize)
    named = {"P": P} if same else {"P": P, "Q": Q}
    arrays = {}
    for name, x in named.items():
        a = as_float_array(x, name, xp)
        if is_lazy(a):
            raise InvalidInputError(
                f"{name} is a lazy array (a JAX tracer): pairwise needs concrete values; "
                "call it outside jax.jit"
            )
        if a.ndim != 2:
            raise InvalidInputError(f"{name} must be 2-D (distributions x events), got shape {tuple(a.shape)}")
        if 0 in a.shape:
            raise InvalidInputError(f"{name} has shape {tuple(a.shape)}: it needs at least one distribution of one event")
        arrays[name] = a
    if not same and arrays["P"].shape[1] != arrays["Q"].shape[1]:
        raise InvalidInputError(
            f"the event axis lengths differ: P has {arrays['P'].shape[1]} but Q has {arrays['Q'].shape[1]} events"
        )
    out_dtype = xp.result_type(*arrays.values())
    work = _work_dtype(xp, array_api_compat.device(arrays["P"]))
    rescale = normalize or smoothing is not None
    for name, a in arrays.items():
        arrays[name], _ = checked_rows(a, name, xp, shift=smoothing or 0.0, rescale=rescale, validate=validate,
                                       work=work)  # lazy arrays were refused above
    P = arrays["P"]
    Q = P if same else arrays["Q"]
    graded = any(getattr(x, "requires_grad", False) for x in (P, Q))
    form = (_GRADED_FORMS if graded else _FORMS).get(info.name)
    # Q's terms serve every strip of P: made once where they fit (they are about Q's size),
    # else for each block (the logarithms of a block of Q cost about 1/1000 of its products).
    return _Job(
        info, xp, P, Q, same, out_dtype,
        math.log(base) if base is not None and info.logarithmic else None,
        kernel_params(info.name, params), form, form.right(Q, xp) if form is not None and _fits_whole(Q) else None,
    )


# --------------------------------------------------------------------------- block forms

Rows = dict[str, Array]  # what one side of a form needs, every entry indexed by row first


class _Form(NamedTuple):
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


def _cancellation_bound(x: Array, xp: Any) -> float:
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
        column = xp.full((x.shape[0],), column, dtype=x.dtype, device=array_api_compat.device(x))
    return xp.concat([x, column[:, None]], axis=1)


def _product(a: Array, b: Array, out: Array | None) -> Array:
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
            log_p = _numpy_log(P, scratch_array(P.shape), zeros=lowest == 0)  # 0 log 0 is 0
            # Summed in the manner of a matrix product, whose error the threshold allows for.
            h = -np.einsum("ij,ij->i", P, log_p)
        tiny = None if lowest >= tiny_p else _tiny_rows(P, tiny_p, xp)
    else:
        h, tiny = _entropies(P, xp), _tiny_rows(P, tiny_p, xp)
    b = _cancellation_bound(P, xp)
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
            log_q = _numpy_log(Q, scratch_array(Q.shape), zeros)
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


def _numpy_log(x: np.ndarray, out: np.ndarray, zeros: bool) -> np.ndarray:
    """``log x`` into ``out``; where ``x`` may hold zeros, of ``max(x, _TINIEST)``, so that a
    zero weight times it is 0, not NaN. One pass more, and still faster than the log of 0
    (a special value, 5x slower than a number) or a write under a scattered mask."""
    return np.log(np.maximum(x, _TINIEST, out=out) if zeros else x, out=out)


def _kl_block(
    left: Rows, right: Rows, xp: Any, out: Array | None, *, cross: bool, graded: bool
) -> tuple[Array, Array | None]:
    values = _product(left["a"], right["b"], out)
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


def _roots(X: Array, xp: Any, sign: float | None) -> Rows:
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
    product = _product(left["a"], right["a"], out)
    bound = 2.0 * _cancellation_bound(left["a"], xp)
    if not log:
        return product, bound
    disjoint = product <= 0
    value = -xp.log(substitute(~disjoint, product, 1.0, xp))
    # bc >= 1 - bound, that is -log bc <= -log1p(-bound), is not trusted.
    threshold = -math.log1p(-bound) if bound < 1.0 else math.inf
    return xp.where(disjoint, xp.asarray(math.inf, dtype=product.dtype), value), threshold


def _with_entropy(X: Array, xp: Any) -> Rows:
    return {"x": X, "h": _entropies(X, xp)}


def _mixture_js(left: Rows, right: Rows, xp: Any, out: Array | None, same: bool) -> tuple[Array, Array]:
    """``JS = log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q``: one log per pair
    and event (the elementwise form needs two and a division). Entries that are small
    against the entropies they come from are distrusted (and recomputed)."""
    Pb, Qb = left["x"], right["x"]
    h_p, h_q = left["h"][:, None], right["h"][None, :]
    if is_numpy(xp):
        s_log_s = _numpy_s_log_s(Pb, Qb, same)
    elif _numpy_can_read(Pb) and _numpy_can_read(Qb):
        s_log_s = xp.asarray(_numpy_s_log_s(Pb.numpy(), Qb.numpy(), same))
    else:  # a broadcast block: s log(s + [s = 0]) is 0 at s = 0, with a finite gradient there
        s = Pb[:, None, :] + Qb[None, :, :]
        s_log_s = xp.sum(s * xp.log(s + xp.astype(s == 0, s.dtype)), axis=-1)
    return _js_of_mixture(s_log_s, h_p, h_q, _cancellation_bound(Pb, xp), xp)


def _js_of_mixture(s_log_s: Array, h_p: Array, h_q: Array, bound: float, xp: Any) -> tuple[Array, Array]:
    """JS from ``sum s log s`` and the entropies, and the threshold at or below which it has
    cancelled too much to be trusted."""
    js = math.log(2.0) - 0.5 * (s_log_s + h_p + h_q)
    return xp.clip(js, 0.0, math.log(2.0)), bound * (xp.abs(s_log_s) + h_p + h_q)


def _numpy_mixture_pairs(job: _Job, Pb: np.ndarray, Qb: np.ndarray, h_p: np.ndarray, h_q: np.ndarray,
                         i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """JS of the pairs ``(Pb[i], Qb[j])`` by the mixture form (one log per event, the rows
    gathered into reused memory), the untrusted ones directly."""
    k = Pb.shape[1]
    step = max(1, _numpy_engine.KERNEL_BLOCK_ELEMENTS // k)  # pairs whose rows stay in L2 (2x faster than 16x more)
    zeros = Pb.min() == 0 and Qb.min() == 0  # s = p + q can be 0
    s_log_s = np.empty(i.shape[0])

    def work(start: int, stop: int) -> None:
        with scratch(), np.errstate(all="ignore"):
            log_buf = scratch_array((min(step, stop - start), k))
            for lo in range(start, stop, step):
                hi = min(lo + step, stop)
                s = Qb[j[lo:hi]]  # gathered by indexing: twice as fast as take(out=)
                s += Pb[i[lo:hi]]
                s_log_s[lo:hi] = np.einsum("ij,ij->i", s, _numpy_log(s, log_buf[: hi - lo], zeros))

    _numpy_engine.parallel(work, i.shape[0], i.shape[0] * k, grain=step)
    js, threshold = _js_of_mixture(s_log_s, h_p[i], h_q[j], _cancellation_bound(Pb, np), np)
    untrusted = np.flatnonzero(js <= threshold)
    if untrusted.size:
        js[untrusted] = _exact_pairs(job, Pb, Qb, i[untrusted], j[untrusted])
    return js


def _numpy_can_read(x: Array) -> bool:
    """A torch CPU tensor that no gradient flows through: NumPy reads it in place, and its
    kernels (JS's mixture sums, the engine for the elementwise measures) run several times
    faster than torch's broadcast blocks."""
    return bool(
        array_api_compat.is_torch_array(x) and x.device.type == "cpu" and not x.requires_grad
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
                    s_log_s[i, start:j1] = np.einsum("ij,ij->i", s, _numpy_log(s, log_s, zeros))

    _numpy_engine.parallel(work, nb, nb * mb * k // (2 if same else 1))
    if same:
        lower = np.tril_indices(nb, -1)
        s_log_s[lower] = s_log_s.T[lower]
    return s_log_s


def _kl(cross: bool, graded: bool = False) -> _Form:
    return _Form(
        lambda P, xp: _kl_left(P, xp, cross), lambda Q, xp: _kl_right(Q, xp, cross, graded),
        lambda left, right, xp, out, same: _kl_block(left, right, xp, out, cross=cross, graded=graded),
    )


def _overlap(log: bool) -> _Form:
    return _Form(
        lambda P, xp: _roots(P, xp, None if log else 1.0), lambda Q, xp: _roots(Q, xp, None if log else -1.0),
        lambda left, right, xp, out, same: _overlap_block(left, right, xp, out, log=log),
    )


_MIXTURE = _Form(_with_entropy, _with_entropy, _mixture_js)

_FORMS: dict[str, _Form] = {
    "kl": _kl(cross=False),
    "cross_entropy": _kl(cross=True),
    "hellinger": _overlap(log=False),
    "bhattacharyya": _overlap(log=True),
    "js": _MIXTURE,
    "js_distance": _MIXTURE,
}
# Where a gradient flows (torch), zeros of q take the exact support test: a huge -log q
# would be the gradient of p at p = q = 0.
_GRADED_FORMS: dict[str, _Form] = {**_FORMS, "kl": _kl(cross=False, graded=True),
                                   "cross_entropy": _kl(cross=True, graded=True)}


def _direct(job: _Job, Pb: Array, Qb: Array) -> Array:
    """Every pair of a block through the elementwise kernel (NumPy: the fast engine)."""
    xp, info = job.xp, job.info
    nb, mb = Pb.shape[0], Qb.shape[0]
    numpy = is_numpy(xp)
    if numpy or (_numpy_can_read(Pb) and _numpy_can_read(Qb)):
        # One row of P against the block of Q per engine call: the engine broadcasts a
        # (1, K) operand, so nothing of size nb x mb x K is made.
        p_rows, q_rows = (Pb, Qb) if numpy else (Pb.numpy(), Qb.numpy())
        values = np.empty((nb, mb))
        for i in range(nb):
            values[i] = _engine(info, [p_rows[i : i + 1], q_rows], job.params)
        return values if numpy else xp.asarray(values)
    return info.kernel(Pb[:, None, :], Qb[None, :, :], xp=xp, **job.params)


def _engine(info: Divergence, arrays: list[np.ndarray], params: dict[str, Any]) -> np.ndarray:
    """A measure of each row of valid, normalised NumPy arrays, through the fast engine
    (blocks that stay in cache, buffers reused, on all cores)."""
    values = _numpy_engine.evaluate(
        info.kernel, info.fast, info.trusted_above, arrays, params=params, shift=0.0, normalize=False, tolerance=None,
    )
    assert values is not None  # no tolerance, no validation
    return values


def _entropies(X: Array, xp: Any) -> Array:
    return _engine(DIVERGENCES["entropy"], [X], {}) if is_numpy(xp) else _kernels.entropy(X, xp=xp)


def _rows(side: Rows, lo: int, hi: int) -> Rows:
    return {name: x[lo:hi, ...] for name, x in side.items()}


def _block(
    job: _Job, left: Rows, i0: int, i1: int, j0: int, j1: int, own: float | None, out: Array | None = None
) -> Array:
    """Kernel values (nats, before base and transform) of rows i0:i1 of P (whose terms are
    ``left``) against j0:j1 of Q, with a row's pair with itself (P against P) set to ``own``
    unless that is None; ``out``, a NumPy float64 view, may receive them."""
    xp = job.xp
    Pb, Qb = job.P[i0:i1, :], job.Q[j0:j1, :]
    # Rows and columns are cut alike, so the pairs of a row with itself lie in the blocks
    # on the diagonal, on their diagonal.
    diagonal = job.same and i0 == j0
    self_pairs, fill = None, 0.0
    if own is not None and diagonal:
        self_pairs, fill = _self_pairs(xp, Pb, i1 - i0, j1 - j0), own
    if job.form is None:
        values = _direct(job, Pb, Qb)
        return values if self_pairs is None else xp.where(self_pairs, xp.asarray(fill, dtype=values.dtype), values)
    values, threshold = job.form.block(left, job.right(j0, j1), xp, out, diagonal)
    if self_pairs is not None:  # set, and never recomputed: they always cancel
        values = xpx.at(values, self_pairs).set(fill)
    if threshold is None:
        return values
    if self_pairs is None and (isinstance(threshold, float) or threshold.shape[1] == 1):
        # One threshold per row: a reduction finds the rows with a suspect entry, if any,
        # without a pass that makes a mask of the block; first the smallest entry of all
        # against the largest threshold, which usually settles it.
        if bool(xp.min(values) > (threshold if isinstance(threshold, float) else xp.max(threshold))):
            return values
        if not bool(xp.any(xp.min(values, axis=1)[:, None] <= threshold)):
            return values
    untrusted = values <= threshold
    if self_pairs is not None:
        untrusted = untrusted & ~self_pairs
    if not bool(xp.any(untrusted)):
        return values
    i, j = xp.nonzero(untrusted)
    return xpx.at(values, untrusted).set(_exact_pairs(job, Pb, Qb, i, j))


def _self_pairs(xp: Any, like: Array, rows: int, cols: int) -> Array:
    """The mask of a diagonal block's pairs of a row with itself: its diagonal."""
    device = array_api_compat.device(like)
    return xp.arange(rows, device=device)[:, None] == xp.arange(cols, device=device)[None, :]


def _fits_whole(Q: Array) -> bool:
    """Whether terms of every row of Q (one float64 per event, and one more) are made once,
    for all strips of P, rather than for each block."""
    return Q.shape[0] * (Q.shape[1] + 1) * 8 <= WHOLE_RIGHT_BYTES


def _exact_pairs(job: _Job, Pb: Array, Qb: Array, i: Array, j: Array) -> Array:
    """Kernel values of the pairs ``(Pb[i], Qb[j])``, directly, a bounded number at a time
    (NumPy: through the fast engine, which vouches for its results)."""
    xp = job.xp
    step = max(1, BROADCAST_ELEMENTS // Pb.shape[1])  # pairs at a time
    if is_numpy(xp):
        parts = [_engine(job.info, [Pb[i[s:t]], Qb[j[s:t]]], job.params) for s, t in _spans(i.shape[0], step)]
    else:
        parts = [job.info.kernel(xp.take(Pb, i[s:t], axis=0), xp.take(Qb, j[s:t], axis=0), xp=xp, **job.params)
                 for s, t in _spans(i.shape[0], step)]
    return xp.concat(parts) if parts else xp.zeros((0,), dtype=Pb.dtype, device=array_api_compat.device(Pb))


def _numpy_target(job: _Job, rows: int, cols: int) -> Array | None:
    """Reused float64 memory for a block's values on NumPy (None elsewhere)."""
    return scratch_array((rows, cols)) if is_numpy(job.xp) and job.form is not None else None


def _block_rows(job: _Job, block_size: int | None) -> int:
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise InvalidInputError(f"block_size must be a positive integer (rows per block), got {block_size!r}")
        return block_size
    if job.form is not None and job.form is not _MIXTURE:
        return PRODUCT_ROWS
    # Off NumPy (and torch CPU tensors without gradients) the JS mixture form and the
    # elementwise measures broadcast their block, so they take the broadcast budget.
    if is_numpy(job.xp) or (_numpy_can_read(job.P) and _numpy_can_read(job.Q)):
        return BLOCK_ROWS
    return max(1, math.isqrt(BROADCAST_ELEMENTS // job.P.shape[1]))


def _spans(n: int, step: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, step):
        yield lo, min(lo + step, n)


# --------------------------------------------------------------------------- public functions


_COMMON = """metric : str, default "kl"
        Any two-distribution measure of ``dv.DIVERGENCES`` (``"kl"``, ``"js"``,
        ``"js_distance"``, ``"hellinger"``, ``"total_variation"``, ``"renyi"``, ...).
        Options of the measure (``alpha`` for ``"renyi"``, ``f`` for ``"f_divergence"``)
        are passed as keywords.
    base, normalize, smoothing, validate
        As for the elementwise functions (``dv.kl``): logarithm base, whether rows are
        weights to be normalised, a pseudocount, and whether inputs are checked.
    block_size : int or None, default None
        Rows of ``P`` and of ``Q`` per block. ``None`` chooses it from a memory budget
        (2048 rows for the matrix-product measures, 1024 for the others on NumPy;
        about 2^20 / K otherwise).
    progress : callable or None, default None
        Called as ``progress(done, total)`` after every block, with the pairs computed so
        far and in all (a progress bar's input; ``done == total`` at the end). Not for Dask
        arrays, whose blocks run as tasks: use ``dask.diagnostics.ProgressBar`` there."""


def pairwise(
    P: Array, Q: Array | None = None, *, metric: str = "kl", base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    block_size: int | None = None, progress: Progress | None = None, **params: Any,
) -> Array:
    """The matrix ``D[i, j] = metric(P[i], Q[j])`` of a divergence between every row of ``P``
    and every row of ``Q``.

    KL and cross-entropy run as a matrix product ``sum p log p - p . log q``, Hellinger and
    Bhattacharyya as a product of square roots, JS (on NumPy) from the entropy of the
    mixture; the other measures go through the elementwise kernels block by block. Work is
    done in blocks, so memory beyond the result stays bounded however large N and M are.

    Parameters
    ----------
    P : array_like, shape (N, K)
        N distributions over K events, one per row.
    Q : array_like, shape (M, K), optional
        M distributions over the same events. ``None`` compares ``P`` with itself: the
        diagonal is then exactly 0 (the entropy, for ``cross_entropy``) and a symmetric
        measure computes one triangle of blocks and mirrors it.
    {common}

    Returns
    -------
    array, shape (N, M)
        In the input's library, floating dtype and device. Zeros follow the elementwise
        conventions: ``p > 0 = q`` in some event gives ``+inf`` for KL, never NaN.

    Notes
    -----
    Accuracy: in float64 every entry is within 1e-9 relative of the direct elementwise
    formula (``dv.kl(P[i], Q[j])``): matrix-product entries that cancel too much (nearly
    identical rows) are detected by an error bound and recomputed directly. float32 input
    is computed in float64 where the library supports it and rounded once at the end, so
    entries are then correctly rounded to within a few float32 ulps; where it does not (JAX
    without ``jax_enable_x64``) the same guard keeps every entry within 1e-4 relative.

    Memory: the result, blocks of ``block_size`` rows, and the per-row logarithms (or square
    roots) of Q up to 256 MiB; beyond that they are made block by block. NumPy temporaries
    are kept from call to call for the next (at most 64 MiB per thread): fresh memory is
    slow to touch the first time.

    Raises
    ------
    InvalidInputError
        Not 2-D, different numbers of events, invalid distributions (as for ``dv.kl``), an
        unknown ``metric``, a single-distribution measure (``"entropy"``) or a bad
        ``block_size``.

    Examples
    --------
    >>> import divergences as dv
    >>> P = [[0.1, 0.4, 0.5], [0.8, 0.15, 0.05]]
    >>> dv.pairwise(P, metric="kl", base=2).round(3)
    array([[0.   , 1.927],
           [2.022, 0.   ]])
    >>> dv.pairwise(P, [[0.5, 0.5, 0.0]], metric="js_distance").round(3)
    array([[0.499],
           [0.291]])
    """
    _check_progress(progress, P, Q)
    if is_dask(P, Q):
        return _dask.pairwise(P, Q, metric=metric, base=base, normalize=normalize, smoothing=smoothing,
                              validate=validate, block_size=block_size, **params)
    with scratch():  # NumPy temporaries (row terms, blocks) in reused memory
        return _pairwise(_prepare(P, Q, metric, base, normalize, smoothing, validate, params), block_size, progress)


def _pairwise(job: _Job, block_size: int | None, progress: Progress | None) -> Array:
    xp = job.xp
    step = _block_rows(job, block_size)
    n, m = job.P.shape[0], job.Q.shape[0]
    device = array_api_compat.device(job.P)
    writeable = array_api_compat.is_writeable_array(job.P)
    mirrored = writeable and job.symmetric_self
    # Blocks on or above the diagonal start at column i0 when the triangle is mirrored.
    total = sum((i1 - i0) * (m - i0) for i0, i1 in _spans(n, step)) if mirrored else n * m
    done = 0
    out = xp.empty((n, m), dtype=job.out_dtype, device=device) if writeable else None
    # NumPy products write straight into the result (or, for a float32 result, into reused
    # memory): no block-sized temporaries to fault in.
    in_place = out is not None and is_numpy(xp) and out.dtype == job.P.dtype
    strips = []
    for i0, i1 in _spans(n, step):
        strip = []
        with scratch():  # the strip's row terms
            left = job.left(i0, i1)
            for j0, j1 in _spans(m, step):
                if mirrored and j1 <= i0:
                    continue  # below the diagonal: mirrored from the block above it
                with scratch():  # the block's temporaries
                    target = out[i0:i1, j0:j1] if in_place and out is not None else _numpy_target(job, i1 - i0, j1 - j0)
                    # D(p, p) = 0 exactly; cross-entropy keeps H(p).
                    own = None if job.info.name == "cross_entropy" else 0.0
                    values = job.finish(_block(job, left, i0, i1, j0, j1, own, target))
                    if out is not None:
                        if values is not target:
                            out[i0:i1, j0:j1] = values
                        if job.symmetric_self and j0 != i0:
                            out[j0:j1, i0:i1] = values.T
                    else:
                        strip.append(values)
                if progress is not None:
                    done += (i1 - i0) * (j1 - j0)
                    progress(done, total)
        if out is None:
            strips.append(xp.concat(strip, axis=1))
    return out if out is not None else xp.concat(strips, axis=0)


def nearest(
    P: Array, Q: Array | None = None, k: int = 1, *, metric: str = "kl", base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    block_size: int | None = None, progress: Progress | None = None, **params: Any,
) -> Neighbours:
    """The ``k`` rows of ``Q`` closest to each row of ``P`` under a divergence, found block by
    block without ever holding the N x M matrix.

    Parameters
    ----------
    P : array_like, shape (N, K)
        The distributions to search for (queries), one per row.
    Q : array_like, shape (M, K), optional
        The distributions searched. ``None`` searches ``P`` itself, leaving each row out of
        its own neighbours (duplicates of it are still found).
    k : int, default 1
        How many neighbours per query; at most M (M - 1 when ``Q`` is None).
    {common}

    Returns
    -------
    Neighbours
        A named tuple ``(indices, values)`` of two (N, k) arrays: the row numbers in ``Q``
        of the neighbours, closest first (ties go to the lower row number), and their
        divergences ``metric(P[i], Q[indices[i, j]])``. For an asymmetric measure such as KL
        the query is the first argument. Equal rows of ``Q`` that fall in different blocks
        of a matrix product may differ in the last bit of their value, and so in their order;
        the values are within the accuracy stated for ``pairwise``.

    Examples
    --------
    >>> import divergences as dv
    >>> docs = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]]
    >>> idx, val = dv.nearest([[0.65, 0.25, 0.1]], docs, k=2, metric="js")
    >>> idx.tolist(), val.round(4).tolist()
    ([[2, 0]], [[0.0016, 0.0019]])
    """
    _check_progress(progress, P, Q)
    if is_dask(P, Q):
        return Neighbours(*_dask.nearest(P, Q, k, metric=metric, base=base, normalize=normalize,
                                         smoothing=smoothing, validate=validate, block_size=block_size, **params))
    with scratch():  # NumPy temporaries (row terms, blocks) in reused memory
        return _nearest(_prepare(P, Q, metric, base, normalize, smoothing, validate, params), k, block_size, progress)


def _nearest(job: _Job, k: int, block_size: int | None, progress: Progress | None) -> Neighbours:
    xp = job.xp
    m = job.Q.shape[0]
    available = m - 1 if job.same else m
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= available:
        raise InvalidInputError(f"k must be an integer from 1 to {available} (the rows searched), got {k!r}")
    step = _block_rows(job, block_size)
    device = array_api_compat.device(job.P)
    index_dtype = xp.int64
    bounded = job.info.name in _HELLINGER_BOUNDED
    if bounded:  # the square roots of Q serve every strip: made once where they fit
        roots_q = _roots(job.Q, xp, -1.0) if _fits_whole(job.Q) else None
    all_idx, all_val = [], []
    for i0, i1 in _spans(job.P.shape[0], step):
        best_v = xp.full((i1 - i0, 0), math.inf, dtype=job.P.dtype, device=device)
        best_i = xp.zeros((i1 - i0, 0), dtype=index_dtype, device=device)
        with scratch():  # the strip's row terms
            left = job.left(i0, i1)
            if bounded:
                left = {**left, **_roots(job.P[i0:i1, :], xp, 1.0)}
            # Bounds that prune little are not worth their product (and the BLAS threads it
            # leaves spinning slow the blocks after it): after a block where they did not,
            # the next 1, then 4, 16, ... blocks go without, while the k-th best tightens.
            skip, backoff = 0, 1
            for j0, j1 in _spans(m, step):
                with scratch():  # the block's values, of which _merge copies what it keeps
                    target = _numpy_target(job, i1 - i0, j1 - j0)
                    values = None
                    if bounded and skip == 0:
                        roots = _rows(roots_q, j0, j1) if roots_q is not None else _roots(job.Q[j0:j1, :], xp, -1.0)
                        values = _bounded_block(job, left, roots, i0, i1, j0, j1, best_v, k, target)
                        if values is None:
                            skip, backoff = backoff, 4 * backoff
                    elif skip:
                        skip -= 1
                    if values is None:
                        values = _block(job, left, i0, i1, j0, j1, math.inf, target)  # a row is not its own neighbour
                    best_v, best_i = _merge(best_v, best_i, values, j0, k, xp)
                if progress is not None:
                    progress(i0 * m + (i1 - i0) * j1, job.P.shape[0] * m)
        all_idx.append(best_i)
        all_val.append(job.finish(best_v))
    return Neighbours(xp.concat(all_idx, axis=0), xp.concat(all_val, axis=0))


# Per event, ln 2 (sqrt p - sqrt q)^2 / 2 <= p/2 log(2p / (p + q)) + q/2 log(2q / (p + q))
# <= (sqrt p - sqrt q)^2 / 2 (the ratio runs from ln 2 at q = 0 to 1 at q = p), so summed
# ln 2 h^2 <= JS <= h^2, with h^2 = 1 - sqrt(p) . sqrt(q) one matrix product. nearest then
# computes JS only for the pairs whose lower bound beats each row's k-th best so far:
# for 64-event Dirichlet rows about 2% of them, for sparse or clustered rows far fewer.
_HELLINGER_BOUNDED = ("js", "js_distance")
_LN2_BELOW = 0.6931  # ln 2, rounded down with room for the rounding of the bound itself
_DENSE_FRACTION = 0.25


def _bounded_block(
    job: _Job, left: Rows, roots: Rows, i0: int, i1: int, j0: int, j1: int, best_v: Array, k: int,
    out: Array | None,
) -> Array | None:
    """JS (kernel values) of rows i0:i1 of P (whose mixture-form terms and square roots are
    ``left``) against j0:j1 of Q (whose roots are ``roots``) where it may enter a row's k
    best, +inf elsewhere (and for a row's pair with itself). None where more than
    ``_DENSE_FRACTION`` of the pairs may: the whole block is then cheaper (gathering a
    pair's rows costs about 2.5x its share of a block)."""
    xp = job.xp
    h2 = _product(left["a"], roots["a"], out)  # [sqrt p, 1] . [-sqrt q, 1]
    slack = 4.0 * (left["a"].shape[1] + 1) * float(xp.finfo(h2.dtype).eps)  # |h2's rounding| (terms sum <= 2)
    if job.same and i0 == j0:  # a row is not its own neighbour
        h2 = xp.where(_self_pairs(xp, h2, i1 - i0, j1 - j0), xp.asarray(math.inf, dtype=h2.dtype), h2)
    low = _LN2_BELOW * (h2 - slack)
    # A pair whose lower bound exceeds a row's k-th best so far (until there are k, the k-th
    # upper bound of this block) has k better pairs (the margin covers the rounding of JS).
    if best_v.shape[1] == k:
        bar = best_v[:, k - 1]
    elif h2.shape[1] >= k:
        high = h2 + slack
        bar = np.partition(high, k - 1, axis=1)[:, k - 1] if is_numpy(xp) else xp.sort(high, axis=1)[:, k - 1]
    else:
        bar = xp.full((i1 - i0,), math.inf, dtype=h2.dtype, device=array_api_compat.device(h2))
    candidate = low <= bar[:, None] * (1.0 + 1e-9)
    i, j = xp.nonzero(candidate)
    if i.shape[0] > _DENSE_FRACTION * (i1 - i0) * (j1 - j0):
        return None
    Pb, Qb = job.P[i0:i1, :], job.Q[j0:j1, :]
    if is_numpy(xp):
        exact = _numpy_mixture_pairs(job, Pb, Qb, left["h"], job.right(j0, j1)["h"], i, j)
        values = h2  # its memory, now that the bounds are made
        values[...] = math.inf
        values[i, j] = exact
        return values
    values = xp.full(h2.shape, math.inf, dtype=h2.dtype, device=array_api_compat.device(h2))
    return xpx.at(values, candidate).set(_exact_pairs(job, Pb, Qb, i, j))


def _check_progress(progress: object, P: Array, Q: Array | None) -> None:
    if progress is None:
        return
    if not callable(progress):
        raise InvalidInputError(f"progress must be a callable progress(done, total) or None, got {progress!r}")
    if is_dask(P, Q):
        raise InvalidInputError(
            "progress does not apply to Dask arrays, whose blocks run as tasks: use dask.diagnostics.ProgressBar"
        )


def _merge(best_v: Array, best_i: Array, values: Array, j0: int, k: int, xp: Any) -> tuple[Array, Array]:
    """The k smallest of each row's best so far and of a block's ``values`` (whose columns are
    the rows of Q from ``j0``), closest first; ties go to the lower row of Q."""
    if is_numpy(xp) and best_v.shape[1] == k:
        # Only entries below their row's k-th best can enter: once a search has seen a few
        # blocks, a handful. They are gathered (row-major, so in order of Q's rows within a
        # row) into a narrow array padded with inf, which the stable sort ranks last.
        rows = np.flatnonzero(values.min(axis=1) < best_v[:, -1])  # a reduction, cheaper than a mask
        if rows.size == 0:
            return best_v, best_i
        r, c = np.divmod(np.flatnonzero(values[rows] < best_v[rows, -1:]), values.shape[1])
        r = rows[r]
        counts = np.bincount(r, minlength=values.shape[0])
        slot = np.arange(r.size) - np.repeat(np.cumsum(counts) - counts, counts)
        new_v = np.full((values.shape[0], int(counts.max())), np.inf, dtype=values.dtype)
        new_i = np.zeros(new_v.shape, dtype=best_i.dtype)
        new_v[r, slot], new_i[r, slot] = values[r, c], c + j0
        cand_v, cand_i = np.concatenate([best_v, new_v], axis=1), np.concatenate([best_i, new_i], axis=1)
        order = np.argsort(cand_v, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(cand_v, order, axis=1), np.take_along_axis(cand_i, order, axis=1)
    device = array_api_compat.device(values)
    cols = xp.broadcast_to(xp.arange(j0, j0 + values.shape[1], dtype=best_i.dtype, device=device)[None, :], values.shape)
    cand_v = xp.concat([best_v, values], axis=1)
    cand_i = xp.concat([best_i, cols], axis=1)
    order = _smallest(cand_v, k, xp)
    return xp.take_along_axis(cand_v, order, axis=1), xp.take_along_axis(cand_i, order, axis=1)


def _smallest(values: Array, k: int, xp: Any) -> Array:
    """Column positions of the k smallest entries of each row, in order (stable on ties)."""
    if is_numpy(xp) and values.shape[1] > 4 * k:
        part = np.argpartition(values, k - 1, axis=1)[:, :k]
        # argpartition is not stable: keep every entry tied with the k-th, then sort stably.
        kth = np.take_along_axis(values, part, axis=1).max(axis=1, keepdims=True)
        if np.count_nonzero(values <= kth) == values.shape[0] * k:
            sub = np.take_along_axis(values, np.sort(part, axis=1), axis=1)
            return np.take_along_axis(np.sort(part, axis=1), np.argsort(sub, axis=1, kind="stable"), axis=1)
    return xp.argsort(values, axis=1, stable=True)[:, :k]


for _f in (pairwise, nearest):
    _f.__doc__ = (_f.__doc__ or "").replace("{common}", _COMMON)
del _f
