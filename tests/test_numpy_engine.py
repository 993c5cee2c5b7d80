"""The NumPy engine's reusable scratch memory: a stack of scopes per thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from divergences import _numpy_engine as engine
from divergences._numpy_engine import scratch, scratch_array


@pytest.fixture(autouse=True)
def fresh_arena(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_ARENA", engine._Arena())


def test_outside_a_scope_arrays_are_new_memory() -> None:
    a, b = scratch_array((3, 4)), scratch_array((3, 4))
    assert a.shape == (3, 4) and a.dtype == np.float64
    assert not np.shares_memory(a, b)


def test_the_first_scope_learns_its_size_and_the_next_reuses_the_memory() -> None:
    with scratch():
        first = scratch_array((10, 10))
    assert engine._ARENA.buffer.size == 100  # sized at the close of the outermost scope
    with scratch():
        again = scratch_array((10, 10))
        other = scratch_array((5,))  # beyond the buffer: new memory
        buffer = engine._ARENA.buffer
    assert np.shares_memory(again, buffer)
    assert not np.shares_memory(first, again)  # the first came before the buffer existed
    assert not np.shares_memory(other, buffer)
    assert engine._ARENA.buffer.size == 105  # and the next scope's grows to fit both


def test_arrays_live_in_one_scope_never_overlap_and_an_inner_scope_is_released() -> None:
    for _ in range(2):  # the second pass runs from the buffer the first sized
        with scratch():
            outer = scratch_array((4, 8))
            outer[...] = 1.0
            with scratch():
                inner = scratch_array((4, 8))
                inner[...] = 2.0
                assert not np.shares_memory(outer, inner)
            after = scratch_array((4, 8))  # takes the inner scope's place
            after[...] = 3.0
            assert np.all(outer == 1.0)
            if engine._ARENA.buffer.size:
                assert np.shares_memory(after, inner)


def test_memory_beyond_the_cap_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "SCRATCH_BYTES", 8 * 50)
    with scratch():
        scratch_array((100,))
    assert engine._ARENA.buffer.size == 0


def test_each_thread_has_its_own_arena() -> None:
    with scratch():
        scratch_array((64,))
    seen = []

    def work() -> None:
        with scratch():
            seen.append(np.shares_memory(scratch_array((64,)), engine._ARENA.buffer))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert engine._ARENA.buffer.size == 64
    assert seen == [False]  # the new thread's arena was empty


def test_pairwise_and_nearest_leave_no_scope_open() -> None:
    import divergences as dv

    rng = np.random.default_rng(0)
    P, Q = rng.dirichlet(np.ones(8), 30), rng.dirichlet(np.ones(8), 20)
    expected = dv.pairwise(P, Q, block_size=7)
    for _ in range(2):  # the second call runs in the memory the first sized
        np.testing.assert_array_equal(dv.pairwise(P, Q, block_size=7), expected)
        found = dv.nearest(P, Q, k=3, block_size=7)
        np.testing.assert_array_equal(found.values, np.sort(expected, axis=1)[:, :3])
    assert engine._ARENA.depth == 0 and engine._ARENA.used == 0
