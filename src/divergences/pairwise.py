"""The public ``pairwise`` and ``nearest``: their checks into a job, and the block loop of ``pairwise``.

``pairwise`` gives the matrix of a divergence between two sets of distributions, ``nearest``
the k nearest distributions of each.

Both work a block of rows of ``P`` against a block of rows of ``Q`` at a time, so that the
only allocation of size N x M is the matrix that ``pairwise`` returns (``nearest`` has
none). Four measures run as matrix products, at the speed of BLAS (or of the GPU), with the
per-row terms folded into one more column on each side so that the product is the answer
(``_product_forms``: KL, cross-entropy, Hellinger, Bhattacharyya, and JS from the entropy
of the mixture), entries where those forms cancel recomputed directly; the other measures
run the elementwise kernels (``_blocks``, which holds the job and one block's values).
``nearest``'s search, which keeps each row's k best and prunes JS by Hellinger bounds, is
``_nearest``.

NumPy products write straight into the result, and every NumPy temporary (row terms, the
blocks of ``nearest``) lies in memory reused from call to call (``_numpy_engine.scratch``):
at 500 x 500 x 256 fresh memory's page faults had cost more than the product itself.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from . import _dask
from ._array_api import as_float_arrays, device, is_dask, is_lazy, is_numpy, is_writeable_array, namespace
from ._blocks import Job, Progress, block, block_rows, fits_whole, numpy_target, spans
from ._exceptions import InvalidInputError
from ._nearest import search
from ._numpy_engine import scratch
from ._options import Options, measure, parse
from ._validation import check_k, check_rows, check_same_events, check_same_labels, checked_log_rows, checked_rows

__all__ = ["Neighbours", "nearest", "pairwise"]

Array = Any


class Neighbours(NamedTuple):
    """The ``k`` nearest rows of ``Q`` for each row of ``P``, closest first."""

    indices: Array
    values: Array


# --------------------------------------------------------------------------- preparation


def _work_dtype(xp: Any, device: Any) -> Any:
    """float64 where the library has it (JAX without x64 silently gives float32)."""
    probe = xp.zeros(1, dtype=xp.float64, device=device)
    return xp.float64 if probe.dtype == xp.float64 else xp.float32


def _prepare(opts: Options, P: Array, Q: Array | None) -> Job:
    """The job of measure ``opts.measure`` between the rows of P and of Q (P itself when Q is
    None): inputs checked, normalised and in the working dtype, and the block form chosen."""
    info = opts.measure
    assert info is not None
    same = Q is None
    xp = namespace(P) if same else namespace(P, Q)
    named = {"P": P} if same else {"P": P, "Q": Q}
    check_same_labels(named, events_only=True)  # pandas: the same events, by label
    arrays = {}
    for name, a in as_float_arrays(named, xp).items():
        if is_lazy(a):
            raise InvalidInputError(
                f"{name} is a lazy array (a JAX tracer): pairwise needs concrete values; "
                "call it outside jax.jit"
            )
        arrays[name] = check_rows(a, name)
    if not same:
        check_same_events(arrays["P"], arrays["Q"])
    out_dtype = xp.result_type(*arrays.values())
    work = _work_dtype(xp, device(arrays["P"]))
    for name, a in arrays.items():  # lazy arrays were refused above
        if opts.log:
            arrays[name], _ = checked_log_rows(xp.astype(a, work, copy=False), name, xp, shift=opts.shift,
                                               rescale=opts.rescale, validate=opts.validate)
        else:
            arrays[name], _ = checked_rows(a, name, xp, shift=opts.shift, rescale=opts.rescale, validate=opts.validate,
                                           work=work)
    P = arrays["P"]
    Q = P if same else arrays["Q"]
    graded = any(getattr(x, "requires_grad", False) for x in (P, Q))
    # Where a gradient flows (torch), a form may differ (KL's zeros of q take the exact test).
    form = info.graded_form if graded else info.product_form
    # Q's terms serve every strip of P: made once where they fit (they are about Q's size),
    # else for each block (the logarithms of a block of Q cost about 1/1000 of its products).
    return Job(
        info, xp, P, Q, same, out_dtype, opts.log_base, dict(opts.params), form,
        form.right(Q, xp) if form is not None and fits_whole(Q) and Q.shape[0] else None,
    )


def _options(metric: object, base: object, normalize: object, smoothing: object, log: object, validate: object,
             params: dict[str, Any]) -> Options:  # fmt: skip
    """The call's options, checked as every route checks them (a measure of two distributions)."""
    return parse(measure(metric, pairs=True), base=base, normalize=normalize, smoothing=smoothing, log=log,
                 validate=validate, **params)


# --------------------------------------------------------------------------- public functions


_COMMON = """metric : str, default "kl"
        Any two-distribution measure of ``dv.DIVERGENCES`` (``"kl"``, ``"js"``,
        ``"js_distance"``, ``"hellinger"``, ``"total_variation"``, ``"renyi"``, ...).
        Options of the measure (``alpha`` for ``"renyi"``, ``f`` for ``"f_divergence"``)
        are passed as keywords.
    base, normalize, smoothing, log, validate
        As for the elementwise functions (``dv.kl``): logarithm base, whether rows are
        weights to be normalised, a pseudocount, whether rows are log-probabilities (or,
        with ``normalize=True``, logits; computed pair by pair by the measure's log-space
        kernel, without the matrix-product forms), and whether inputs are checked.
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
    normalize: bool = False, smoothing: float | None = None, log: bool = False, validate: bool = True,
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
    opts = _options(metric, base, normalize, smoothing, log, validate, params)
    _check_progress(progress, P, Q)
    if is_dask(P, Q):
        return _dask.pairwise(opts, P, Q, block_size, pairwise_arrays)
    return pairwise_arrays(opts, P, Q, block_size, progress)


def pairwise_arrays(opts: Options, P: Array, Q: Array | None, block_size: int | None = None,
                    progress: Progress | None = None) -> Array:  # fmt: skip
    """``pairwise`` of arrays that are not Dask, with checked options (``_dask`` maps this over
    its blocks)."""
    with scratch():  # NumPy temporaries (row terms, blocks) in reused memory
        job = _prepare(opts, P, Q)
        if job.P.shape[0] == 0 or job.Q.shape[0] == 0:  # an empty set of distributions: an empty matrix
            return job.xp.empty((job.P.shape[0], job.Q.shape[0]), dtype=job.out_dtype, device=device(job.P))
        return _pairwise(job, block_size, progress)


def _pairwise(job: Job, block_size: int | None, progress: Progress | None) -> Array:
    xp = job.xp
    step = block_rows(job, block_size)
    n, m = job.P.shape[0], job.Q.shape[0]
    on = device(job.P)
    writeable = is_writeable_array(job.P)
    mirrored = writeable and job.symmetric_self
    # Blocks on or above the diagonal start at column i0 when the triangle is mirrored.
    total = sum((i1 - i0) * (m - i0) for i0, i1 in spans(n, step)) if mirrored else n * m
    done = 0
    out = xp.empty((n, m), dtype=job.out_dtype, device=on) if writeable else None
    # NumPy products write straight into the result (or, for a float32 result, into reused
    # memory): no block-sized temporaries to fault in.
    in_place = out is not None and is_numpy(xp) and out.dtype == job.P.dtype
    strips = []
    for i0, i1 in spans(n, step):
        strip = []
        with scratch():  # the strip's row terms
            left = job.left(i0, i1)
            for j0, j1 in spans(m, step):
                if mirrored and j1 <= i0:
                    continue  # below the diagonal: mirrored from the block above it
                with scratch():  # the block's temporaries
                    target = out[i0:i1, j0:j1] if in_place and out is not None else numpy_target(job, i1 - i0, j1 - j0)
                    # D(p, p) = 0 exactly; cross-entropy keeps H(p).
                    own = None if job.info.name == "cross_entropy" else 0.0
                    values = job.finish(block(job, left, i0, i1, j0, j1, own, target))
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
    normalize: bool = False, smoothing: float | None = None, log: bool = False, validate: bool = True,
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
    opts = _options(metric, base, normalize, smoothing, log, validate, params)
    _check_progress(progress, P, Q)
    if is_dask(P, Q):
        return Neighbours(*_dask.nearest(opts, P, Q, k, block_size, nearest_arrays))
    return Neighbours(*nearest_arrays(opts, P, Q, k, block_size, progress))


def nearest_arrays(opts: Options, P: Array, Q: Array | None, k: int, block_size: int | None = None,
                   progress: Progress | None = None) -> tuple[Array, Array]:  # fmt: skip
    """``nearest`` of arrays that are not Dask, with checked options (``_dask`` maps this over
    P's blocks)."""
    with scratch():  # NumPy temporaries (row terms, blocks) in reused memory
        job = _prepare(opts, P, Q)
        if job.P.shape[0] == 0:  # no queries: no neighbours (k is still checked against Q)
            check_k(k, job.Q.shape[0] - 1 if job.same else job.Q.shape[0])
            xp, on = job.xp, device(job.P)
            return xp.empty((0, k), dtype=xp.int64, device=on), xp.empty((0, k), dtype=job.out_dtype, device=on)
        return search(job, k, block_size, progress)


def _check_progress(progress: object, P: Array, Q: Array | None) -> None:
    if progress is None:
        return
    if not callable(progress):
        raise InvalidInputError(f"progress must be a callable progress(done, total) or None, got {progress!r}")
    if is_dask(P, Q):
        raise InvalidInputError(
            "progress does not apply to Dask arrays, whose blocks run as tasks: use dask.diagnostics.ProgressBar"
        )


for _f in (pairwise, nearest):
    _f.__doc__ = (_f.__doc__ or "").replace("{common}", _COMMON)
del _f
