"""Dask arrays: every elementwise function, pairwise and nearest stay lazy and match NumPy,
on the local scheduler and on a two-process ``dask.distributed`` cluster."""

from __future__ import annotations

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import divergences as dv  # noqa: E402
from conftest import call as _call  # noqa: E402


def _f_chi2(t):
    return (t - 1.0) ** 2


EXTRA = {"renyi": (0.7,), "f_divergence": (_f_chi2,)}
NO_BASE = {"hellinger", "total_variation", "chi2", "f_divergence"}
NAMES = sorted(dv.DIVERGENCES)


def call(name, p, q, **kw):
    if name in NO_BASE:
        kw.pop("base", None)
    return _call(name, p, q, extra=EXTRA, **kw)


def simplex(rng, shape, axis=-1):
    x = rng.random(shape) + 0.05
    return x / x.sum(axis=axis, keepdims=True)


@pytest.fixture
def computations():
    """Run the test under a synchronous scheduler that counts how often it is asked to compute."""
    calls = []

    def get(dsk, keys, **kwargs):
        calls.append(keys)
        return dask.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=get):
        yield calls


def _cases():
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 5, size=(12, 6))
    counts[:, 0] += 1  # no all-zero rows
    q_counts = rng.integers(1, 5, size=(12, 6))
    return {
        # id: (p, q, chunks, options); q is None -> like p; a NumPy q stays NumPy (mixed input)
        "axis-1": (simplex(rng, (12, 6)), simplex(rng, (12, 6)), (4, 3), {}),
        "axis0": (simplex(rng, (6, 10), 0), simplex(rng, (6, 10), 0), (2, 4), {"axis": 0}),
        "axisNone": (
            simplex(rng, (3, 4, 5), None), simplex(rng, (3, 4, 5), None), (2, 3, 2), {"axis": None},
        ),
        "axisNone-keepdims": (
            simplex(rng, (3, 4, 5), None), simplex(rng, (3, 4, 5), None), (2, 3, 2),
            {"axis": None, "keepdims": True},
        ),
        "keepdims-base2": (
            simplex(rng, (4, 5, 6)), simplex(rng, (4, 5, 6)), (2, 3, 6), {"keepdims": True, "base": 2},
        ),
        "axis1-keepdims": (
            simplex(rng, (4, 6, 5), 1), simplex(rng, (4, 6, 5), 1), (3, 6, 2), {"axis": 1, "keepdims": True},
        ),
        "counts-normalize": (counts, q_counts, (5, 6), {"normalize": True}),
        "smoothing": (counts, q_counts, (5, 6), {"smoothing": 0.5}),
        "mixed-numpy-q": (simplex(rng, (12, 6)), simplex(rng, (6,)), (4, 6), {"numpy_q": True}),
    }


CASES = _cases()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", NAMES)
def test_lazy_and_equal_to_numpy(computations, name, case):
    p, q, chunks, options = CASES[case]
    options = dict(options)
    numpy_q = options.pop("numpy_q", False)
    P = da.from_array(p, chunks=chunks)
    Q = q if numpy_q else da.from_array(q, chunks=chunks)
    out = call(name, P, Q, **options)
    assert isinstance(out, da.Array)
    assert computations == [], "building the graph computed something"
    expected = np.asarray(call(name, p, q, **options))
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype == np.float64
    got = out.compute()
    assert len(computations) == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["kl", "js", "entropy", "hellinger"])
def test_float32_stays_float32(computations, name):
    p = simplex(np.random.default_rng(2), (6, 4)).astype(np.float32)
    out = call(name, da.from_array(p, chunks=(2, 4)), da.from_array(p[::-1].copy(), chunks=(3, 2)))
    assert out.dtype == np.float32
    expected = call(name, p, p[::-1].copy())
    np.testing.assert_allclose(out.compute(), expected, rtol=1e-6)


def test_broadcasting_batch_axes_with_different_chunks(computations):
    rng = np.random.default_rng(3)
    p, q = simplex(rng, (6, 1, 5)), simplex(rng, (4, 5))
    out = dv.js(da.from_array(p, chunks=(4, 1, 5)), da.from_array(q, chunks=(3, 2)))
    assert out.shape == (6, 4) and computations == []
    np.testing.assert_allclose(out.compute(), dv.js(p, q), rtol=1e-12)


# --------------------------------------------------------------------------- pairwise, nearest

PAIR_METRICS = ["kl", "js", "hellinger", "total_variation"]


@pytest.mark.parametrize("metric", PAIR_METRICS)
@pytest.mark.parametrize("same", [True, False], ids=["Q=None", "Q"])
def test_pairwise_lazy_and_equal_to_numpy(computations, metric, same):
    rng = np.random.default_rng(4)
    p, q = simplex(rng, (11, 7)), simplex(rng, (9, 7))
    P = da.from_array(p, chunks=(4, 3))
    Q = None if same else da.from_array(q, chunks=(5, 7))
    out = dv.pairwise(P, Q, metric=metric, base=2 if metric in ("kl", "js") else None)
    assert isinstance(out, da.Array) and computations == []
    expected = dv.pairwise(p, None if same else q, metric=metric, base=2 if metric in ("kl", "js") else None)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    assert out.chunks == ((4, 4, 3), (4, 4, 3) if same else (5, 4))
    got = out.compute()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    if same:
        assert np.all(np.diag(got) == 0.0)


@pytest.mark.parametrize("metric, tasks", [("js", 6), ("kl", 9)])
def test_pairwise_of_p_with_itself_computes_one_triangle_for_a_symmetric_measure(monkeypatch, metric, tasks):
    from divergences import _dask

    calls = []
    block = _dask._pairwise_block
    monkeypatch.setattr(_dask, "_pairwise_block", lambda *a, **kw: calls.append(1) or block(*a, **kw))
    p = simplex(np.random.default_rng(8), (11, 5))
    got = dv.pairwise(da.from_array(p, chunks=(4, 5)), metric=metric).compute(scheduler="sync")
    assert len(calls) == tasks  # 3 x 3 blocks of rows; 6 on and above the diagonal
    np.testing.assert_allclose(got, dv.pairwise(p, metric=metric), rtol=1e-12, atol=1e-15)
    if metric == "js":
        assert (got == got.T).all()


def test_progress_is_refused_for_dask_arrays():
    P = da.from_array(simplex(np.random.default_rng(9), (4, 3)), chunks=(2, 3))
    with pytest.raises(dv.InvalidInputError, match="dask.diagnostics.ProgressBar"):
        dv.pairwise(P, progress=lambda done, total: None)
    with pytest.raises(dv.InvalidInputError, match="dask.diagnostics.ProgressBar"):
        dv.nearest(P, k=1, progress=lambda done, total: None)


def test_pairwise_cross_entropy_diagonal_is_entropy_and_mixed_input(computations):
    rng = np.random.default_rng(5)
    p, q = simplex(rng, (8, 5)), simplex(rng, (3, 5))
    got = dv.pairwise(da.from_array(p, chunks=(3, 5)), metric="cross_entropy").compute()
    np.testing.assert_allclose(np.diag(got), dv.entropy(p), rtol=1e-12)
    mixed = dv.pairwise(da.from_array(p, chunks=(3, 5)), q, metric="renyi", alpha=2.0)
    assert isinstance(mixed, da.Array) and len(computations) == 1
    np.testing.assert_allclose(mixed.compute(), dv.pairwise(p, q, metric="renyi", alpha=2.0), rtol=1e-12)


@pytest.mark.parametrize("same", [True, False], ids=["Q=None", "Q"])
def test_nearest_lazy_and_equal_to_numpy(computations, same):
    rng = np.random.default_rng(6)
    p, q = simplex(rng, (13, 4)), simplex(rng, (10, 4))
    p[7] = p[2]  # a duplicate row: found as a neighbour of row 2, but row 2 is not its own
    idx, val = dv.nearest(da.from_array(p, chunks=(5, 2)), None if same else q, k=3, metric="js")
    assert isinstance(idx, da.Array) and isinstance(val, da.Array) and computations == []
    e_idx, e_val = dv.nearest(p, None if same else q, k=3, metric="js")
    got_idx, got_val = dask.compute(idx, val)
    np.testing.assert_array_equal(got_idx, e_idx)
    np.testing.assert_allclose(got_val, e_val, rtol=1e-12, atol=1e-15)
    assert got_idx.dtype == np.int64 and got_val.dtype == np.float64


# --------------------------------------------------------------------------- validation


def test_invalid_values_raise_at_compute_time(computations):
    p = simplex(np.random.default_rng(7), (9, 4))
    p[7, 2] = -0.1  # in the third chunk of rows
    out = dv.kl(da.from_array(p, chunks=(3, 4)), p)
    assert computations == []
    with pytest.raises(dv.InvalidInputError, match=r"p has negative entries.*starts at batch index \[6\]"):
        out.compute()
    unnormalised = dv.js(da.from_array(p.clip(0) * 2, chunks=(3, 4)), p.clip(0) * 2)
    with pytest.raises(dv.InvalidInputError, match="normalize=True"):
        unnormalised.compute()
    with pytest.raises(dv.InvalidInputError, match="negative entries"):
        dv.pairwise(da.from_array(p, chunks=(3, 4)), metric="js").compute()


@pytest.mark.parametrize(
    ("call_it", "message"),
    [
        (lambda P: dv.kl(P, P, base=1), "base"),
        (lambda P: dv.js_distance(P, P, base=0.5), "base > 1"),
        (lambda P: dv.kl(P, P, smoothing=-1), "smoothing"),
        (lambda P: dv.kl(P, P, axis=2), "axis 2 is out of range"),
        (lambda P: dv.kl(P, P[:, :3]), "event axis lengths differ"),
        (lambda P: dv.kl(P, da.ones((5, 4)) / 4), "do not broadcast"),
        (lambda P: dv.kl(P, P.astype(complex)), "dtype complex"),
        (lambda P: dv.renyi(P, P, -1.0), "alpha"),
        (lambda P: dv.pairwise(P, metric="entropy"), "pairwise needs a divergence of two"),
        (lambda P: dv.pairwise(P, P[:, :2]), "event axis lengths differ"),
        (lambda P: dv.pairwise(P[0]), "must be 2-D"),
        (lambda P: dv.pairwise(P, block_size=0), "block_size"),
        (lambda P: dv.nearest(P, k=6), "k must be an integer from 1 to 5"),
        (lambda P: dv.kl(P[P[:, 0] > 0], P), "unknown chunk sizes"),
    ],
)
def test_argument_errors_raise_at_call_time(computations, call_it, message):
    P = da.full((6, 4), 0.25, chunks=(2, 4))
    with pytest.raises(dv.InvalidInputError, match=message):
        call_it(P)
    assert computations == []


def test_dask_mixed_with_another_library_is_refused():
    xps = pytest.importorskip("array_api_strict")
    with pytest.raises(dv.BackendMismatchError, match="cannot be mixed"):
        dv.kl(da.full((2, 4), 0.25), xps.asarray([0.25, 0.25, 0.25, 0.25]))


# --------------------------------------------------------------------------- a real cluster


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_on_local_cluster(client):
    rng = np.random.default_rng(8)
    p, q = simplex(rng, (40, 16)), simplex(rng, (40, 16))
    P, Q = da.from_array(p, chunks=(10, 8)), da.from_array(q, chunks=(10, 16))
    kl, js, D, D2 = client.gather(client.compute([
        dv.kl(P, Q, base=2), dv.js(P, Q), dv.pairwise(P, metric="js"), dv.pairwise(P, Q, metric="kl"),
    ]))
    np.testing.assert_allclose(kl, dv.kl(p, q, base=2), rtol=1e-12)
    np.testing.assert_allclose(js, dv.js(p, q), rtol=1e-12)
    np.testing.assert_allclose(D, dv.pairwise(p, metric="js"), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(D2, dv.pairwise(p, q, metric="kl"), rtol=1e-12, atol=1e-15)
    assert np.all(np.diag(D) == 0.0)
    workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2


def test_on_local_cluster_lambda_and_errors(client):
    rng = np.random.default_rng(9)
    p, q = simplex(rng, (20, 5)), simplex(rng, (20, 5))
    P = da.from_array(p, chunks=(5, 5))
    got = client.compute(dv.f_divergence(P, q, lambda t: t * np.log(t))).result()
    np.testing.assert_allclose(got, dv.kl(p, q), rtol=1e-10)
    p[13, 1] = np.nan
    with pytest.raises(dv.InvalidInputError, match="contains NaN"):
        client.compute(dv.kl(da.from_array(p, chunks=(5, 5)), q)).result()
