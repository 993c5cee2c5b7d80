"""Gradients (torch autograd, jax.grad): finite at zero probabilities, 0 at the non-smooth p = q."""

from __future__ import annotations

import numpy as np
import pytest

import divergences as dv
from conftest import call

TWO_ARG = sorted(n for n, d in dv.DIVERGENCES.items() if d.arity == 2 and n != "f_divergence")
EXTRA = {"renyi": (0.7,)}
P0 = [0.0, 0.5, 0.5]  # a zero probability
Q0 = [0.2, 0.3, 0.5]


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", TWO_ARG)
def test_torch_gradient_is_finite_at_zero_probability(name):
    torch = _torch()
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    # psi is infinite unless both supports agree: give q the same zero there.
    q = torch.tensor([0.0, 0.4, 0.6] if name == "psi" else Q0, dtype=torch.float64, requires_grad=True)
    value = call(name, p, q, extra=EXTRA)
    assert torch.isfinite(value)
    value.backward()
    assert torch.isfinite(p.grad).all() and torch.isfinite(q.grad).all(), (p.grad, q.grad)


def test_torch_entropy_gradient_at_zero():
    torch = _torch()
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    dv.entropy(p).backward()
    assert torch.isfinite(p.grad).all()
    # d/dp (-p log p) = -log p - 1 where p > 0
    np.testing.assert_allclose(p.grad[1:].numpy(), -np.log(0.5) - 1.0, rtol=1e-14)


def test_torch_kl_gradient_matches_calculus():
    torch = _torch()
    p_np, q_np = np.array([0.1, 0.4, 0.5]), np.array([0.8, 0.15, 0.05])
    p = torch.tensor(p_np, requires_grad=True)
    q = torch.tensor(q_np, requires_grad=True)
    dv.kl(p, q).backward()
    np.testing.assert_allclose(p.grad.numpy(), np.log(p_np / q_np) + 1.0, rtol=1e-13)
    np.testing.assert_allclose(q.grad.numpy(), -p_np / q_np, rtol=1e-13)


@pytest.mark.parametrize("name", ["js_distance", "hellinger"])
def test_torch_gradient_is_zero_at_identical_inputs(name):
    torch = _torch()
    p = torch.tensor([0.1, 0.4, 0.5], dtype=torch.float64, requires_grad=True)
    value = getattr(dv, name)(p, p.detach().clone())
    assert value.item() == 0.0
    value.backward()
    assert torch.equal(p.grad, torch.zeros_like(p.grad))


@pytest.mark.parametrize("name", ["js_distance", "hellinger", "kl", "js"])
def test_jax_grad_finite_and_zero_at_identical_inputs(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    p = jnp.asarray([0.0, 0.5, 0.5])
    grad = np.asarray(jax.grad(lambda x: getattr(dv, name)(x, p))(p))
    if name == "kl":
        # d/dp KL(p || q) = log(p / q) + 1: the same constant c in every event at p = q, so the
        # gradient along the simplex is 0. c is a subgradient of the clip at 0 of the value:
        # calculus and torch give 1, jax's clip splits the tie and gives 1/2.
        assert np.all(grad == grad[0]) and 0.0 < grad[0] <= 1.0, grad
    else:
        assert np.all(grad == 0.0), grad
    grad_q = jax.grad(lambda y: getattr(dv, name)(p, y))(jnp.asarray(Q0))
    assert np.all(np.isfinite(np.asarray(grad_q)))


def test_torch_batched_gradients_flow_through_every_row():
    torch = _torch()
    logits = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    target = torch.softmax(torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1)), -1)
    loss = dv.kl(target, torch.softmax(logits, -1)).mean()
    loss.backward()
    assert torch.isfinite(logits.grad).all() and (logits.grad.abs().sum(-1) > 0).all()
