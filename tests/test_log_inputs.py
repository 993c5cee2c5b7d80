"""``log=True``: log-probabilities (or, with ``normalize=True``, logits) for every measure,
``pairwise``, ``nearest`` and Dask, computed in log space: the same values as on
probabilities, exact where softmax would round a probability to 0, finite gradients."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from conftest import call, to_numpy

RNG = np.random.default_rng(7)
P = RNG.dirichlet(np.ones(6), size=4)
Q = RNG.dirichlet(np.ones(6), size=4)
P[0, 1] = Q[1, 2] = Q[2, 1] = 0.0  # zeros on either side, and where both are 0
P[2, 1] = 0.0
P, Q = P / P.sum(-1, keepdims=True), Q / Q.sum(-1, keepdims=True)


def _log(x):
    with np.errstate(divide="ignore"):
        return np.log(x)


@pytest.mark.parametrize("name", list(dv.DIVERGENCES))
def test_log_inputs_give_the_values_of_probabilities(name, xp):
    expected = call(name, P, Q)
    got = call(name, xp.asarray(_log(P)), xp.asarray(_log(Q)), log=True)
    np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(dv.DIVERGENCES))
def test_logits_are_normalised_by_logsumexp_and_shifts_do_not_matter(name):
    logits_p, logits_q = _log(P) + 3.7, _log(Q) - 250.0  # any shift per row is the same distribution
    got = call(name, logits_p, logits_q, log=True, normalize=True)
    np.testing.assert_allclose(got, call(name, P, Q), rtol=1e-12, atol=1e-15)


def test_smoothing_of_log_inputs_is_smoothing_of_the_probabilities():
    got = dv.kl(_log(P), _log(Q), log=True, smoothing=0.1)
    np.testing.assert_allclose(got, dv.kl(P, Q, smoothing=0.1), rtol=1e-12)


def _kl_softmax_reference(target, logits):
    """KL(target || softmax(logits)) in mpmath at 50 digits."""
    with mp.workdps(50):
        lse = mp.log(mp.fsum(mp.exp(mp.mpf(x)) for x in logits))
        return float(mp.fsum(mp.mpf(t) * (mp.log(mp.mpf(t)) - (mp.mpf(x) - lse)) for t, x in zip(target, logits) if t))


def test_extreme_logits_stay_finite_and_exact():
    target, logits = [0.2, 0.5, 0.3], [0.0, 200.0, 0.0]
    # softmax rounds nothing to 0 in float64 here, but float32 does: the divergence is then inf.
    assert dv.kl(np.float32(target), np.exp(np.float32(logits) - np.float32(200)) / 1) == math.inf
    got = dv.kl(_log(target), logits, log=True, normalize=True)
    assert got == pytest.approx(_kl_softmax_reference(target, logits), rel=1e-14)
    far = [0.0, 1000.0, 0.0]  # softmax in float64 underflows: e^-1000
    assert dv.kl(_log(target), far, log=True, normalize=True) == pytest.approx(
        _kl_softmax_reference(target, far), rel=1e-14)


def test_torch_logits_match_kl_div_and_gradients_are_finite():
    torch = pytest.importorskip("torch")
    logits = torch.tensor([[0.0, 200.0, 0.0], [1.0, -3.0, 0.5]], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[0.2, 0.5, 0.3], [0.0, 0.4, 0.6]], dtype=torch.float64)
    ours = dv.kl(torch.log(target), logits, log=True, normalize=True)
    peer = torch.nn.functional.kl_div(torch.log_softmax(logits, -1), target, reduction="none").sum(-1)
    torch.testing.assert_close(ours, peer, rtol=1e-12, atol=1e-12)
    ours.sum().backward()
    expected = torch.softmax(logits.detach(), -1) - target  # d KL(t || softmax(z)) / dz
    assert torch.isfinite(logits.grad).all()
    torch.testing.assert_close(logits.grad, expected, rtol=1e-10, atol=1e-12)


def test_nearly_equal_log_inputs_keep_relative_accuracy():
    lp = _log(np.array([0.125, 0.375, 0.5]))
    lq = lp + np.array([1e-9, -2e-9, 0.5e-9])
    with mp.workdps(50):
        mlp = [mp.mpf(x) for x in lp]
        mlq = [mp.mpf(x) for x in lq]
        lse_q = mp.log(mp.fsum(mp.exp(x) for x in mlq))
        exact = float(mp.fsum(mp.exp(a) * (a - (b - lse_q)) for a, b in zip(mlp, mlq)))
    got = dv.kl(lp, lq, log=True, normalize=True)
    assert got == pytest.approx(exact, rel=1e-7)  # the logits' own rounding (1e-16 / 1e-18) bounds it
    assert dv.js(lp, lp, log=True) == 0.0 and dv.hellinger(lp, lp, log=True) == 0.0


@pytest.mark.parametrize(
    ("call_", "message"),
    [
        (lambda: dv.kl([0.0, np.nan], [-1.0, -1.0], log=True, normalize=True), "p contains NaN"),
        (lambda: dv.kl([0.0, np.inf], [-1.0, -1.0], log=True, normalize=True), r"p contains \+inf"),
        (lambda: dv.kl(_log([0.5, 0.6]), _log([0.5, 0.5]), log=True), "probabilities sum to 1.1, not 1"),
        (lambda: dv.kl([-np.inf, -np.inf], [0.0, 0.0], log=True, normalize=True), "p is -inf everywhere"),
        (lambda: dv.kl(dv.Normal(0, 1), dv.Normal(1, 1), log=True), "log apply to probability vectors"),
        (lambda: dv.kl(P, Q, log="yes"), "log must be True or False"),
    ],
)
def test_invalid_log_inputs_are_refused_clearly(call_, message):
    with pytest.raises(dv.InvalidInputError, match=message):
        call_()


@pytest.mark.parametrize("metric", ["kl", "cross_entropy", "js", "hellinger", "bhattacharyya", "total_variation"])
def test_pairwise_and_nearest_of_log_inputs(metric):
    expected = dv.pairwise(P, Q, metric=metric)
    np.testing.assert_allclose(dv.pairwise(_log(P), _log(Q), metric=metric, log=True), expected, rtol=1e-12,
                               atol=1e-15)
    idx, val = dv.nearest(_log(P), _log(Q), 2, metric=metric, log=True)
    ref = dv.nearest(P, Q, 2, metric=metric)
    np.testing.assert_allclose(val, ref.values, rtol=1e-12, atol=1e-15)


def test_dask_arrays_of_log_inputs():
    da = pytest.importorskip("dask.array")
    got = dv.kl(da.from_array(_log(P), chunks=2), _log(Q), log=True).compute()
    np.testing.assert_allclose(got, dv.kl(P, Q), rtol=1e-12)
    matrix = dv.pairwise(da.from_array(_log(P), chunks=2), log=True, metric="js").compute()
    np.testing.assert_allclose(matrix, dv.pairwise(P, metric="js"), rtol=1e-12, atol=1e-15)


def test_jax_jit_gives_nan_for_invalid_log_inputs():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    f = jax.jit(lambda a, b: dv.kl(a, b, log=True))
    values = f(jnp.asarray(_log(P[:2])), jnp.asarray(np.stack([_log(Q[0]), _log(Q[0]) + 0.1])))
    assert np.isfinite(float(values[0])) and np.isnan(float(values[1]))


def _renyi_reference(lp, lq, alpha):
    """log(1 + sum p^a q^(1-a) - sum p) / (a - 1) of the exact exp of the given logs (mpmath)."""
    with mp.workdps(80):
        p = [mp.exp(mp.mpf(x)) for x in lp]
        q = [mp.exp(mp.mpf(x)) for x in lq]
        a = mp.mpf(alpha)
        if a == 1:
            return float(mp.fsum(x * mp.log(x / y) for x, y in zip(p, q)))
        return float(mp.log(1 + mp.fsum(x**a * y ** (1 - a) for x, y in zip(p, q)) - mp.fsum(p)) / (a - 1))


@pytest.mark.parametrize("alpha", [1 + s * 10.0**-k for k in (1, 3, 6, 9, 12, 15) for s in (1, -1)] + [0.5, 2.0, 10.0])
def test_renyi_of_log_inputs_is_exact_near_order_one_and_near_p_equal_q(alpha):
    lp, lq = np.log([0.125, 0.375, 0.5]), np.log([0.75, 0.1875, 0.0625])  # the example
    assert dv.renyi(lp, lq, alpha, log=True) == pytest.approx(_renyi_reference(lp, lq, alpha), rel=1e-13)
    near = lp + 1e-6 * np.array([1.0, -2.0, 0.7])
    near -= np.log(np.exp(near).sum())
    assert dv.renyi(lp, near, alpha, log=True) == pytest.approx(_renyi_reference(lp, near, alpha), rel=1e-9)
