"""The conventions of API.md section 1 (zeros, inf, shapes), and the NumPy fast path against
the array-API kernels it stands in for."""

from __future__ import annotations

import functools
import math

import array_api_compat.numpy as anp
import numpy as np
import pytest

import divergences as dv
from conftest import call as _call
from divergences import _numpy_engine

NAMES = sorted(dv.DIVERGENCES)
EXTRA = {"renyi": (0.5,), "f_divergence": (lambda t: t * np.log(t),)}


call = functools.partial(_call, extra=EXTRA)


@pytest.mark.parametrize("name", NAMES)
def test_identical_inputs_give_exactly_zero(name):
    p = np.random.default_rng(0).dirichlet(np.ones(50), size=3)
    if name == "entropy":
        assert np.all(dv.entropy(np.eye(4)) == 0)
    elif name == "cross_entropy":
        assert np.all(dv.cross_entropy(p, p) == dv.entropy(p))
    else:
        assert np.all(call(name, p, p) == 0)


def test_zero_probabilities_contribute_nothing():
    p, q = [0.0, 0.5, 0.5], [0.2, 0.3, 0.5]
    assert dv.kl(p, q) == pytest.approx(0.5 * math.log(0.5 / 0.3), rel=1e-15)
    assert dv.entropy(p) == pytest.approx(math.log(2), rel=1e-15)
    assert dv.cross_entropy(p, q) == pytest.approx(-0.5 * math.log(0.3) - 0.5 * math.log(0.5), rel=1e-15)


@pytest.mark.parametrize("name", ["kl", "cross_entropy", "chi2", "psi"])
def test_mass_where_q_is_zero_is_infinite(name):
    assert call(name, [0.5, 0.5], [1.0, 0.0]) == math.inf


def test_renyi_infinity_rules():
    p, q = [0.5, 0.5], [1.0, 0.0]
    assert dv.renyi(p, q, 1.0) == math.inf and dv.renyi(p, q, 2.0) == math.inf
    assert dv.renyi(p, q, math.inf) == math.inf
    assert dv.renyi(p, q, 0.5) == pytest.approx(-2 * math.log(math.sqrt(0.5)), rel=1e-14)
    assert dv.renyi([1.0, 0.0], [0.0, 1.0], 0.5) == math.inf  # disjoint supports, any alpha
    assert dv.renyi([1.0, 0.0], [0.0, 1.0], 0.0) == math.inf
    assert dv.renyi([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], 0.0) == pytest.approx(-math.log(0.5), rel=1e-15)
    assert dv.renyi([0.5, 0.5], [0.25, 0.75], math.inf) == pytest.approx(math.log(2), rel=1e-15)


def test_disjoint_supports():
    p, q = [1.0, 0.0], [0.0, 1.0]
    assert dv.bhattacharyya(p, q) == math.inf
    assert dv.js(p, q, base=2) == pytest.approx(1.0, rel=1e-15)
    assert dv.hellinger(p, q) == 1.0 and dv.total_variation(p, q) == 1.0
    assert dv.psi([0.5, 0.5, 0.0], [0.5, 0.25, 0.25]) == math.inf  # q's support exceeds p's


def test_never_nan_for_valid_input_with_many_zeros():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(30), size=200) * (rng.random((200, 30)) < 0.5)
    q = rng.dirichlet(np.ones(30), size=200) * (rng.random((200, 30)) < 0.5)
    p[p.sum(-1) == 0, 0] = 1.0
    q[q.sum(-1) == 0, 0] = 1.0
    for name in NAMES:
        assert not np.isnan(call(name, p, q, normalize=True)).any(), name


def test_axis_none_flattens():
    p = np.full((2, 2), 0.25)
    q = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert dv.kl(p, q, axis=None) == pytest.approx(dv.kl(p.ravel(), q.ravel()), rel=1e-15)
    assert dv.kl(p, q, axis=None, keepdims=True).shape == (1, 1)


def test_python_lists_and_tuples_are_accepted():
    assert dv.js((0.5, 0.5), [0.25, 0.75]) == dv.js(np.array([0.5, 0.5]), np.array([0.25, 0.75]))


def test_normalize_is_scale_invariant_and_smoothing_fills_empty_bins():
    counts, ref = np.array([10, 40, 50]), np.array([80, 15, 5])
    assert dv.kl(counts, ref, normalize=True) == pytest.approx(dv.kl([0.1, 0.4, 0.5], [0.8, 0.15, 0.05]), rel=1e-14)
    assert math.isfinite(dv.kl([3, 1, 0], [0, 2, 2], smoothing=0.5))
    assert dv.kl([3, 1, 0], [0, 2, 2], smoothing=0.5) == pytest.approx(
        dv.kl([3.5 / 5.5, 1.5 / 5.5, 0.5 / 5.5], [0.5 / 5.5, 2.5 / 5.5, 2.5 / 5.5]), rel=1e-14
    )


# --- the NumPy engine against the array-API kernels -------------------------------------


def _data(rows, k, seed, sparse):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=rows)
    q = rng.dirichlet(np.ones(k), size=rows)
    if sparse:
        p = p * (rng.random(p.shape) < 0.7)
        q = q * (rng.random(q.shape) < 0.9)
        p[:, 0] += 1e-3
        q[:, 0] += 1e-3
        p /= p.sum(-1, keepdims=True)
        q /= q.sum(-1, keepdims=True)
    # Near-identical rows exercise the recompute of untrusted fast results.
    q[::7] = p[::7] * (1 + 1e-6 * rng.standard_normal((len(p[::7]), k)))
    q[::7] /= q[::7].sum(-1, keepdims=True)
    return p, q


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rows, k, sparse", [(3000, 64, False), (700, 200, True), (5, 70_000, True), (20_000, 3, False)])
def test_numpy_engine_matches_the_kernel(name, rows, k, sparse):
    p, q = _data(rows, k, seed=rows + k, sparse=sparse)
    info = dv.DIVERGENCES[name]
    extra = {"alpha": 0.5} if name == "renyi" else {}
    if name == "f_divergence":
        extra = {"f": lambda t: t * np.log(t), "value_at_zero": 0.0, "slope_at_infinity": math.inf}
    args = (p,) if info.arity == 1 else (p, q)
    expected = info.kernel(*args, xp=anp, **extra)
    if info.transform is not None:
        expected = info.transform(expected, anp)
    got = call(name, p, q)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_engine_uses_blocks_and_every_row_is_computed():
    p, q = _data(_numpy_engine.BLOCK_ELEMENTS // 4 + 17, 8, seed=1, sparse=False)
    expected = np.array([dv.kl(a, b) for a, b in zip(p[:50], q[:50])])
    np.testing.assert_allclose(dv.kl(p, q)[:50], expected, rtol=1e-14)
    assert np.isfinite(dv.kl(p, q)).all()


def test_broadcast_row_against_many():
    p, q = _data(1000, 32, seed=2, sparse=False)
    np.testing.assert_allclose(dv.js(p[0], q), [dv.js(p[0], b) for b in q], rtol=1e-14)
    np.testing.assert_allclose(dv.kl(q, p[0]), [dv.kl(b, p[0]) for b in q], rtol=1e-14)


def test_subnormal_q_does_not_overflow_the_ratio():
    p = np.array([0.5, 0.5 - 1e-310, 1e-310])
    q = np.array([0.5, 0.5 - 1e-320, 1e-320])
    expected = (0.5 - 1e-310) * math.log((0.5 - 1e-310) / (0.5 - 1e-320)) + 1e-310 * math.log(1e-310 / 1e-320)
    assert dv.kl(p, q) == pytest.approx(max(expected, 0.0), rel=1e-12, abs=1e-320)
    assert math.isfinite(dv.kl([1.0 - 1e-300, 1e-300], [1.0, 5e-324]))


@pytest.mark.parametrize("name", ["kl", "entropy", "js", "hellinger"])
@pytest.mark.parametrize(
    "bad, message",
    [(-1e-3, "negative entries"), (math.nan, "contains NaN"), (math.inf, "contains inf"), (0.5, "sums to")],
)
def test_engine_finds_a_bad_entry_in_the_last_block_of_a_threaded_run(name, bad, message):
    # Large enough for several blocks on several threads; the problem sits in the last row.
    p, q = _data(3 * _numpy_engine.BLOCK_ELEMENTS // 100, 100, seed=3, sparse=False)
    p[-1, 5] = bad
    with pytest.raises(dv.InvalidInputError, match=message) as err:
        call(name, p, q)
    assert err.value.args[0].startswith("p")
    q[-1, 7] = bad
    p[-1, 5] = 0.01
    if dv.DIVERGENCES[name].arity == 2:
        with pytest.raises(dv.InvalidInputError, match=message):
            call(name, np.abs(p) / np.abs(p).sum(-1, keepdims=True), q)


@pytest.mark.parametrize("name", ["kl", "entropy", "js", "hellinger"])
def test_engine_normalizes_and_smooths_every_block(name):
    rng = np.random.default_rng(4)
    counts_p = rng.integers(0, 20, size=(2 * _numpy_engine.BLOCK_ELEMENTS // 50, 50)).astype(float)
    counts_q = rng.integers(0, 20, size=counts_p.shape).astype(float)
    for kw, (p, q) in [
        ({"normalize": True}, (counts_p + 1, counts_q + 1)),
        ({"smoothing": 0.5}, (counts_p, counts_q)),
    ]:
        shift = kw.get("smoothing", 0.0)
        expected_p = (p + shift) / (p + shift).sum(-1, keepdims=True)
        expected_q = (q + shift) / (q + shift).sum(-1, keepdims=True)
        np.testing.assert_allclose(
            call(name, p, q, **kw), call(name, expected_p, expected_q), rtol=1e-13
        )


@pytest.fixture(scope="module")
def many_short_rows():
    rng = np.random.default_rng(5)
    p = rng.random((1_000_000, 16)) + 1e-3
    p /= p.sum(-1, keepdims=True)
    q = p[::-1].copy()
    q[::7] = p[::7] * (1 + 1e-7)  # near-identical rows go through the recompute
    q /= q.sum(-1, keepdims=True)
    return p, q


@pytest.mark.parametrize("name", ["kl", "entropy", "js", "hellinger"])
def test_extra_memory_is_a_few_blocks_not_the_input(name, many_short_rows):
    import tracemalloc

    p, q = many_short_rows
    call(name, p[:10], q[:10])  # warm up: pools and caches
    tracemalloc.start()
    try:
        call(name, p, q)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result = p.shape[0] * 8
    # A few blocks' buffers per thread (measured: at most 6 blocks of 2 MiB), never a copy
    # of the 128 MiB input nor temporaries of the result's size.
    assert peak - result <= 10 * _numpy_engine.BLOCK_ELEMENTS * 8 < p.nbytes / 4
