"""dv.pairwise and dv.nearest where every row is near every other (issue 14).

All rows within 1e-2, 1e-6 or 1e-10 (relative, per event) of a common row, with exact
duplicates among them, and the same with zeros mixed in (supports that differ, so that KL
and cross-entropy have +inf entries, and columns where every row is 0). The centred
product forms must keep every entry within 1e-9 relative of the elementwise function and
recompute only the pairs that are as near each other as to the centre.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import divergences as dv

METRICS = ["kl", "cross_entropy", "js", "js_distance", "hellinger", "bhattacharyya"]
SCALES = [1e-2, 1e-6, 1e-10]
RTOL = 1e-9


def near_rows(n, k, scale, seed, zeros=0.0):
    """n rows within ``scale`` (relative, per event) of one Dirichlet row, normalised; with
    ``zeros``, that fraction of the entries set to 0 (and event 0 is 0 in every row)."""
    centre = np.random.default_rng(0).dirichlet(np.full(k, 2.0))
    rng = np.random.default_rng(seed)
    x = centre * (1.0 + scale * rng.uniform(-1.0, 1.0, (n, k)))
    if zeros:
        x[rng.random(x.shape) < zeros] = 0.0
        x[:, 0] = 0.0
    return x / x.sum(axis=1, keepdims=True)


def near_data(scale, zeros=0.0, k=40):
    P, Q = near_rows(23, k, scale, seed=1, zeros=zeros), near_rows(19, k, scale, seed=2, zeros=zeros)
    Q[:3] = P[:3]  # exact duplicates
    Q[3] = P[7]
    return P, Q


def reference(metric, P, Q):
    """The elementwise function of every pair."""
    return np.asarray(getattr(dv, metric)(P[:, None, :], Q[None, :, :]))


def assert_entries_close(got, expected, rtol=RTOL):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=rtol, atol=0)


def counting_exact_pairs(monkeypatch):
    """Count the pairs recomputed directly."""
    blocks = importlib.import_module("divergences._blocks")
    count = [0]
    original = blocks.exact_pairs

    def counted(job, Pb, Qb, i, j):
        count[0] += int(i.shape[0])
        return original(job, Pb, Qb, i, j)

    monkeypatch.setattr(blocks, "exact_pairs", counted)
    return count


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("scale", SCALES)
def test_every_entry_of_all_near_rows_equals_the_elementwise_function(metric, scale):
    P, Q = near_data(scale)
    assert_entries_close(dv.pairwise(P, Q, metric=metric), reference(metric, P, Q))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("scale", SCALES)
def test_zeros_mixed_in_keep_the_support_semantics(metric, scale):
    P, Q = near_data(scale, zeros=0.1)
    P[5, 0] = 0.01  # mass where every row of Q is 0
    P[5] /= P[5].sum()
    expected = reference(metric, P, Q)
    if metric in ("kl", "cross_entropy"):
        assert np.isinf(expected).any() and np.isfinite(expected).any()
        assert np.isinf(expected[5]).all()
    assert_entries_close(dv.pairwise(P, Q, metric=metric), expected)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("graded", [False, True])
def test_an_event_where_every_row_of_q_is_zero(metric, graded):
    """All rows near (the centred forms), event 0 zero in all of Q: the centre is 0 there, and
    a row of P with mass there has infinite KL and cross-entropy to every row of Q."""
    P, Q = near_data(1e-6)
    P[:, 0], Q[:, 0] = 0.0, 0.0
    P[5, 0] = 0.01
    P, Q = P / P.sum(axis=1, keepdims=True), Q / Q.sum(axis=1, keepdims=True)
    expected = reference(metric, P, Q)
    if graded:
        torch = pytest.importorskip("torch")
        got = dv.pairwise(torch.tensor(P, requires_grad=True), torch.tensor(Q), metric=metric).detach().numpy()
    else:
        got = dv.pairwise(P, Q, metric=metric)
    assert_entries_close(got, expected)
    if metric in ("kl", "cross_entropy"):
        assert np.isinf(got[5]).all() and np.isfinite(np.delete(got, 5, axis=0)).all()


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("scale", SCALES)
def test_blocks_and_the_set_against_itself(metric, scale):
    """Many blocks (each with its own series degree for JS) and P against itself."""
    P, Q = near_data(scale)
    assert_entries_close(dv.pairwise(P, Q, metric=metric, block_size=5), reference(metric, P, Q))
    expected = reference(metric, P, P)
    if metric != "cross_entropy":
        np.fill_diagonal(expected, 0.0)
    got = dv.pairwise(P, metric=metric, block_size=7)
    assert_entries_close(got, expected)
    if dv.DIVERGENCES[metric].symmetric:
        np.testing.assert_array_equal(got, got.T)


@pytest.mark.parametrize("metric", ["kl", "js", "hellinger"])
@pytest.mark.parametrize("scale", SCALES)
def test_only_the_duplicates_are_recomputed(monkeypatch, metric, scale):
    """The centred forms cancel no more than the rows differ: of 40 x 30 pairs only those
    as near each other as to the centre (the exact duplicates, and at 1e-10 a pair whose
    KL is as small as the rounding of the rows' sums) are recomputed."""
    count = counting_exact_pairs(monkeypatch)
    P, Q = near_rows(40, 64, scale, seed=3), near_rows(30, 64, scale, seed=4)
    Q[:2] = P[:2]
    got = dv.pairwise(P, Q, metric=metric)
    assert 2 <= count[0] <= 2 + 40 * 30 // 100
    assert_entries_close(got, reference(metric, P, Q))


@pytest.mark.parametrize("metric", ["kl", "hellinger"])
def test_rows_far_from_each_other_take_the_plain_form(monkeypatch, metric):
    """Independent rows: the centre would not help (the plain form cancels no more), so the
    plain product runs, and nothing is recomputed."""
    count = counting_exact_pairs(monkeypatch)
    rng = np.random.default_rng(7)
    P, Q = rng.dirichlet(np.ones(50), 30), rng.dirichlet(np.ones(50), 20)
    xp = importlib.import_module("divergences._array_api").NUMPY
    form = dv.DIVERGENCES[metric].product_form
    assert form.centre(Q, xp) is None and form.centre(near_rows(20, 50, 1e-3, seed=8), xp) is not None
    assert_entries_close(dv.pairwise(P, Q, metric=metric), reference(metric, P, Q))
    assert count[0] == 0


def test_rows_near_each_other_but_not_to_the_centre_are_recomputed():
    """Two clusters: the centre lies between them, pairs within a cluster cancel."""
    P = np.concatenate([near_rows(6, 30, 1e-7, seed=5), near_rows(6, 30, 1e-7, seed=6)[:, ::-1]])
    P /= P.sum(axis=1, keepdims=True)
    for metric in METRICS:
        expected = reference(metric, P, P)
        assert_entries_close(dv.pairwise(P, P, metric=metric), expected)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("zeros", [0.0, 0.1])
def test_nearest_equals_sorting_the_pairwise_matrix(metric, scale, zeros):
    P, Q = near_data(scale, zeros=zeros)
    D = dv.pairwise(P, Q, metric=metric)
    order = np.argsort(D, axis=1, kind="stable")[:, :5]
    found = dv.nearest(P, Q, k=5, metric=metric)
    np.testing.assert_array_equal(found.indices, order)
    assert_entries_close(found.values, np.take_along_axis(D, order, axis=1), rtol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("zeros", [0.0, 0.1])
@pytest.mark.parametrize("graded", [False, True])
def test_torch_cpu_with_and_without_gradients(metric, scale, zeros, graded):
    torch = pytest.importorskip("torch")
    P, Q = near_data(scale, zeros=zeros)
    Pt = torch.tensor(P, requires_grad=graded)
    Qt = torch.tensor(Q, requires_grad=graded)
    got = dv.pairwise(Pt, Qt, metric=metric)
    assert isinstance(got, torch.Tensor) and got.requires_grad == graded
    assert_entries_close(got.detach().numpy(), reference(metric, P, Q))
    found = dv.nearest(Pt, Qt, k=3, metric=metric)
    order = np.argsort(got.detach().numpy(), axis=1, kind="stable")[:, :3]
    np.testing.assert_array_equal(found.indices.numpy(), order)


@pytest.mark.parametrize("metric", ["kl", "cross_entropy", "js", "hellinger", "bhattacharyya"])
@pytest.mark.parametrize("scale", [1e-2, 1e-6])
def test_torch_gradients_match_the_elementwise_function(metric, scale):
    torch = pytest.importorskip("torch")
    P, Q = near_data(scale)
    grads = []
    for pairwise in (True, False):
        Pt, Qt = torch.tensor(P, requires_grad=True), torch.tensor(Q, requires_grad=True)
        if pairwise:
            D = dv.pairwise(Pt, Qt, metric=metric)
        else:
            D = getattr(dv, metric)(Pt[:, None, :], Qt[None, :, :])
        D.sum().backward()
        grads.append((Pt.grad, Qt.grad))
    for ours, theirs in zip(*grads):
        assert torch.isfinite(ours).all()
        torch.testing.assert_close(ours, theirs, rtol=1e-7, atol=1e-9 * float(theirs.abs().max()))
