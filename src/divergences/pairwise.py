"""Divergence matrices between two sets of distributions, and nearest distributions.

Both work a block of rows of ``P`` against a block of rows of ``Q`` at a time, so that the
only allocation of size N x M is the matrix that ``pairwise`` returns (``nearest`` has
none). Four measures run as matrix products, at the speed of BLAS (or of the GPU):

* ``KL(p||q) = sum p log p - p . log q`` and ``cross_entropy = -p . log q``;
* ``hellinger^2 = 1 - sqrt(p) . sqrt(q)`` and ``bhattacharyya = -log(sqrt(p) . sqrt(q))``.

Zeros are handled outside the product (``0 * -inf`` is NaN in a GEMM): ``log q`` is taken
as 0 where ``q = 0``, and a second product of indicator arrays, ``[p > 0] . [q = 0]``, finds
the pairs whose divergence is infinite. Where p is close to q these forms cancel: an entry
that is small compared with the terms it is the difference of (by the bound
``K * eps / 1e-9``) is recomputed with the accurate elementwise kernel, so every entry is
within 1e-9 relative of the direct formula. On NumPy, JS is formed from the entropy of
the mixture, ``log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q`` (one logarithm
per pair and event), under the same guard. The other measures (and JS on other libraries)
run the elementwise kernels: on NumPy one row of P against a block of Q per call of the
fast engine, elsewhere a block of P broadcast against a block of Q.
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
from ._special import sqrt_with_zero_gradient, substitute, where0
from ._validation import check_distribution, check_options
from .discrete import kernel_params

__all__ = ["Neighbours", "nearest", "pairwise"]

Array = Any

ACCURACY = 1e-9  # every entry is within this relative error of the direct formula (float64)
BROADCAST_ELEMENTS = 1 << 20  # pairs x events of one broadcast block: 8 MiB per temporary
GEMM_ROWS = 1024  # rows of P and of Q in one matrix-product block


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

    @property
    def symmetric_self(self) -> bool:
        return self.same and self.info.symmetric

    def finish(self, values: Array) -> Array:
        """Kernel values (nats) to reported values: base, transform, output dtype."""
        if self.log_base is not None:
            values = values / self.log_base
        if self.info.transform is not None:
            values = self.info.transform(values, self.xp)
        return self.xp.astype(values, self.out_dtype)


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
    shift = smoothing or 0.0
    rescale = normalize or smoothing is not None
    for name, a in arrays.items():
        n_events = a.shape[1]
        if validate or rescale:
            row_sum = xp.sum(xp.astype(a, work), axis=-1) + n_events * shift
            if validate:
                check_distribution(a, xp.min(a, axis=-1), row_sum, name, normalize=rescale, xp=xp)
        a = xp.astype(a, work)
        arrays[name] = (a + shift) / row_sum[:, None] if rescale else a
    P = arrays["P"]
    return _Job(
        info, xp, P, P if same else arrays["Q"], same, out_dtype,
        math.log(base) if base is not None and info.logarithmic else None,
        kernel_params(info.name, params),
    )


# --------------------------------------------------------------------------- block kernels


def _eps(x: Array, xp: Any) -> float:
    return float(xp.finfo(x.dtype).eps)


def _indicator(mask: Array, like: Array, xp: Any) -> Array:
    return xp.astype(mask, like.dtype)


def _gemm_kl(Pb: Array, Qb: Array, xp: Any, *, cross: bool) -> tuple[Array, Array | None]:
    log_q = xp.log(substitute(Qb > 0, Qb, 1.0, xp))  # 0 where q = 0; those pairs are set below
    ce = -(Pb @ log_q.T)
    q_zero = Qb == 0
    missing = None
    if bool(xp.any(q_zero)):  # the support test is a second product: only when q has zeros
        missing = (_indicator(Pb > 0, Pb, xp) @ _indicator(q_zero, Qb, xp).T) > 0
    untrusted = None
    if cross:
        values = xp.clip(ce, 0.0, None)
    else:
        h = _kernels.entropy(Pb, xp=xp)[:, None]
        values = ce - h
        # The product's error is at most K eps (ce + h); distrust entries it could swamp.
        bound = Pb.shape[-1] * _eps(Pb, xp) / ACCURACY
        untrusted = values <= bound * (ce + xp.abs(h))
        values = xp.clip(values, 0.0, None)
    if missing is not None:
        values = xp.where(missing, xp.asarray(math.inf, dtype=ce.dtype), values)
        untrusted = None if untrusted is None else untrusted & ~missing
    return values, untrusted


def _gemm_overlap(Pb: Array, Qb: Array, xp: Any, *, log: bool) -> tuple[Array, Array]:
    # The Bhattacharyya coefficient; square roots with a finite gradient at 0 where a
    # library differentiates (NumPy does not: its plain sqrt is 8x cheaper).
    root = (lambda x: xp.sqrt(x)) if is_numpy(xp) else (lambda x: sqrt_with_zero_gradient(x, xp))
    bc = xp.clip(root(Pb) @ root(Qb).T, 0.0, 1.0)
    h2 = 1.0 - bc
    untrusted = h2 <= Pb.shape[-1] * _eps(Pb, xp) / ACCURACY
    if not log:
        return h2, untrusted  # the kernel's value for hellinger is h^2 (sqrt is the transform)
    zero = bc == 0
    value = -xp.log(substitute(~zero, bc, 1.0, xp))
    return xp.where(zero, xp.asarray(math.inf, dtype=bc.dtype), value), untrusted


def _mixture_js(Pb: Array, Qb: Array, xp: Any) -> tuple[Array, Array]:
    """``JS = log 2 - (sum s log s + H(p) + H(q)) / 2`` with ``s = p + q``: one log per pair
    and event (the elementwise form needs two and a division). Entries that are small
    against the entropies they come from are distrusted (and recomputed)."""
    k = Qb.shape[1]
    h_p = _kernels.entropy(Pb, xp=xp)[:, None]
    h_q = _kernels.entropy(Qb, xp=xp)[None, :]
    if is_numpy(xp):
        s_log_s = _numpy_s_log_s(Pb, Qb)
    else:  # a broadcast block; the double where keeps gradients finite at s = 0
        s = Pb[:, None, :] + Qb[None, :, :]
        pos = s > 0
        s_log_s = xp.sum(where0(pos, s * xp.log(substitute(pos, s, 1.0, xp)), xp), axis=-1)
    js = math.log(2.0) - 0.5 * (s_log_s + h_p + h_q)
    bound = k * _eps(Pb, xp) / ACCURACY
    untrusted = js <= bound * (xp.abs(s_log_s) + h_p + h_q)
    return xp.clip(js, 0.0, math.log(2.0)), untrusted


def _numpy_s_log_s(Pb: np.ndarray, Qb: np.ndarray) -> np.ndarray:
    """``sum (p + q) log(p + q)`` for every pair, a row of P at a time, on all cores."""
    nb, (mb, k) = Pb.shape[0], Qb.shape
    s_log_s = np.empty((nb, mb))

    step = max(1, _numpy_engine.KERNEL_BLOCK_ELEMENTS // k)  # Q rows whose buffers stay in L2

    def work(lo: int, hi: int) -> None:
        s_buf, log_buf = np.empty((min(step, mb), k)), np.empty((min(step, mb), k))
        with np.errstate(all="ignore"):
            for j0 in range(0, mb, step):
                Qj = Qb[j0 : j0 + step]
                s, log_s = s_buf[: Qj.shape[0]], log_buf[: Qj.shape[0]]
                for i in range(lo, hi):
                    np.add(Qj, Pb[i], out=s)
                    np.log(s, out=log_s)
                    s_log_s[i, j0 : j0 + step] = _numpy_engine.weighted_row_sums(s, log_s)  # 0 log 0 = 0

    _numpy_engine.parallel(work, nb, nb * mb * k)
    return s_log_s


_BLOCK_FORMS: dict[str, Callable[[Array, Array, Any], tuple[Array, Array | None]]] = {
    "kl": lambda P, Q, xp: _gemm_kl(P, Q, xp, cross=False),
    "cross_entropy": lambda P, Q, xp: _gemm_kl(P, Q, xp, cross=True),
    "hellinger": lambda P, Q, xp: _gemm_overlap(P, Q, xp, log=False),
    "bhattacharyya": lambda P, Q, xp: _gemm_overlap(P, Q, xp, log=True),
    "js": _mixture_js,
    "js_distance": _mixture_js,
}


def _direct(job: _Job, Pb: Array, Qb: Array) -> Array:
    """Every pair of a block through the elementwise kernel (NumPy: the fast engine)."""
    xp, info = job.xp, job.info
    nb, mb = Pb.shape[0], Qb.shape[0]
    if is_numpy(xp):
        # One row of P against the block of Q per engine call: the engine broadcasts a
        # (1, K) operand, so nothing of size nb x mb x K is made.
        values = np.empty((nb, mb))
        for i in range(nb):
            row = _numpy_engine.evaluate(
                info.kernel, info.fast, info.trusted_above, [Pb[i : i + 1], Qb],
                params=job.params, shift=0.0, normalize=False, tolerance=None,
            )
            assert row is not None  # no tolerance, no validation
            values[i] = row
        return values
    return info.kernel(Pb[:, None, :], Qb[None, :, :], xp=xp, **job.params)


def _block(job: _Job, Pb: Array, Qb: Array) -> Array:
    """Kernel values (nats, before base and transform) of every pair of two row blocks."""
    xp, info = job.xp, job.info
    form = _BLOCK_FORMS.get(info.name)
    if form is None:
        return _direct(job, Pb, Qb)
    values, untrusted = form(Pb, Qb, xp)
    if untrusted is not None and bool(xp.any(untrusted)):
        i, j = xp.nonzero(untrusted)
        exact = info.kernel(xp.take(Pb, i, axis=0), xp.take(Qb, j, axis=0), xp=xp, **job.params)
        values = xpx.at(values, untrusted).set(exact)
    return values


def _block_rows(job: _Job, block_size: int | None) -> int:
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise InvalidInputError(f"block_size must be a positive integer (rows per block), got {block_size!r}")
        return block_size
    # Off NumPy the JS mixture form broadcasts its block, so it takes the broadcast budget.
    if is_numpy(job.xp) or (job.info.name in _BLOCK_FORMS and job.info.name not in ("js", "js_distance")):
        return GEMM_ROWS
    return max(1, math.isqrt(BROADCAST_ELEMENTS // job.P.shape[1]))


def _spans(n: int, step: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, step):
        yield lo, min(lo + step, n)


def _on_diagonal(values: Array, i0: int, j0: int, xp: Any) -> Array:
    """Where the block of P's rows from ``i0`` against Q's rows from ``j0`` pairs a row with itself."""
    device = array_api_compat.device(values)
    rows = xp.arange(i0, i0 + values.shape[0], device=device)[:, None]
    cols = xp.arange(j0, j0 + values.shape[1], device=device)[None, :]
    return rows == cols


def _zero_diagonal(job: _Job, values: Array, i0: int, j0: int) -> Array:
    """D(p, p) = 0 exactly on the diagonal of P against itself (cross-entropy keeps H(p))."""
    if not job.same or job.info.name == "cross_entropy":
        return values
    return job.xp.where(_on_diagonal(values, i0, j0, job.xp), job.xp.zeros_like(values), values)


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
        (1024 rows for the matrix-product measures; about 2^20 / K otherwise)."""


def pairwise(
    P: Array, Q: Array | None = None, *, metric: str = "kl", base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    block_size: int | None = None, **params: Any,
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
    entries are then correctly rounded to within a few float32 ulps.

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
    if is_dask(P, Q):
        return _dask.pairwise(P, Q, metric=metric, base=base, normalize=normalize, smoothing=smoothing,
                              validate=validate, block_size=block_size, **params)
    job = _prepare(P, Q, metric, base, normalize, smoothing, validate, params)
    xp = job.xp
    step = _block_rows(job, block_size)
    n, m = job.P.shape[0], job.Q.shape[0]
    device = array_api_compat.device(job.P)
    writeable = array_api_compat.is_writeable_array(job.P)
    out = xp.empty((n, m), dtype=job.out_dtype, device=device) if writeable else None
    strips = []
    for i0, i1 in _spans(n, step):
        Pb = job.P[i0:i1, :]
        strip = []
        for j0, j1 in _spans(m, step):
            if writeable and job.symmetric_self and j1 <= i0:
                continue  # below the diagonal: mirrored from the block above it
            values = job.finish(_zero_diagonal(job, _block(job, Pb, job.Q[j0:j1, :]), i0, j0))
            if out is not None:
                out[i0:i1, j0:j1] = values
                if job.symmetric_self and j0 != i0:
                    out[j0:j1, i0:i1] = values.T
            else:
                strip.append(values)
        if out is None:
            strips.append(xp.concat(strip, axis=1))
    return out if out is not None else xp.concat(strips, axis=0)


def nearest(
    P: Array, Q: Array | None = None, k: int = 1, *, metric: str = "kl", base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    block_size: int | None = None, **params: Any,
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
        the query is the first argument.

    Examples
    --------
    >>> import divergences as dv
    >>> docs = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]]
    >>> idx, val = dv.nearest([[0.65, 0.25, 0.1]], docs, k=2, metric="js")
    >>> idx.tolist(), val.round(4).tolist()
    ([[2, 0]], [[0.0016, 0.0019]])
    """
    if is_dask(P, Q):
        return Neighbours(*_dask.nearest(P, Q, k, metric=metric, base=base, normalize=normalize,
                                         smoothing=smoothing, validate=validate, block_size=block_size, **params))
    job = _prepare(P, Q, metric, base, normalize, smoothing, validate, params)
    xp = job.xp
    m = job.Q.shape[0]
    available = m - 1 if job.same else m
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= available:
        raise InvalidInputError(f"k must be an integer from 1 to {available} (the rows searched), got {k!r}")
    step = _block_rows(job, block_size)
    device = array_api_compat.device(job.P)
    index_dtype = xp.int64
    all_idx, all_val = [], []
    for i0, i1 in _spans(job.P.shape[0], step):
        Pb = job.P[i0:i1, :]
        best_v = xp.full((i1 - i0, 0), math.inf, dtype=Pb.dtype, device=device)
        best_i = xp.zeros((i1 - i0, 0), dtype=index_dtype, device=device)
        for j0, j1 in _spans(m, step):
            values = _block(job, Pb, job.Q[j0:j1, :])
            if job.same:  # a row is not its own neighbour
                values = xp.where(_on_diagonal(values, i0, j0, xp), xp.asarray(math.inf, dtype=values.dtype), values)
            cols = xp.broadcast_to(xp.arange(j0, j1, dtype=index_dtype, device=device)[None, :], values.shape)
            cand_v = xp.concat([best_v, values], axis=1)
            cand_i = xp.concat([best_i, cols], axis=1)
            order = _smallest(cand_v, k, xp)
            best_v = xp.take_along_axis(cand_v, order, axis=1)
            best_i = xp.take_along_axis(cand_i, order, axis=1)
        all_idx.append(best_i)
        all_val.append(job.finish(best_v))
    return Neighbours(xp.concat(all_idx, axis=0), xp.concat(all_val, axis=0))


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
