"""Every public function on every installed array library: same values, library, dtype, device."""

from __future__ import annotations

import numpy as np
import pytest

import divergences as dv
from conftest import call, to_numpy

P = np.array([[0.10, 0.40, 0.50, 0.00], [0.25, 0.25, 0.25, 0.25]])
Q = np.array([[0.80, 0.15, 0.05, 0.00], [0.40, 0.30, 0.20, 0.10]])
# call() gives each measure its row's example options (renyi's alpha 2, f = (t - 1)^2).


def asarray(xp, a, dtype_name="float64"):
    return xp.asarray(a, dtype=getattr(xp, dtype_name))


@pytest.mark.parametrize("name", sorted(dv.DIVERGENCES))
@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
def test_same_values_library_and_dtype(xp, name, dtype_name):
    p, q = asarray(xp, P, dtype_name), asarray(xp, Q, dtype_name)
    out = call(name, p, q)
    expected = call(name, P.astype(dtype_name), Q.astype(dtype_name))
    assert type(out) is type(p) or (xp is np and isinstance(out, np.ndarray))
    assert str(out.dtype).endswith(dtype_name)
    assert tuple(out.shape) == (2,)
    rtol = 1e-13 if dtype_name == "float64" else 2e-6
    np.testing.assert_allclose(to_numpy(out), expected, rtol=rtol, atol=0)


@pytest.mark.parametrize("name", ["kl", "js", "entropy", "hellinger", "renyi"])
def test_axis_keepdims_and_broadcasting(xp, name):
    p = asarray(xp, P.T)  # events on axis 0
    q = asarray(xp, Q[0][:, None])  # one q for both columns
    out = call(name, p, q, axis=0, keepdims=True)
    assert tuple(out.shape) == (1, 2)
    expected = [call(name, P[i], Q[0]) for i in range(2)]
    np.testing.assert_allclose(to_numpy(out)[0], expected, rtol=1e-13)


def test_integer_counts_with_normalize(xp):
    # Integer counts become the library's default floating dtype (as_float_array), which then
    # promotes with q's dtype like any two arrays: float64 q gives float64 everywhere.
    counts = xp.asarray([[1, 4, 5]])
    out = dv.kl(counts, asarray(xp, [[0.8, 0.15, 0.05]]), normalize=True, base=2)
    assert out.dtype == xp.float64
    # rtol 1e-6: torch's counts are normalised in its default float32 before the promotion.
    np.testing.assert_allclose(to_numpy(out), [1.9269790471552188], rtol=1e-6)
    # Counts alone: the default floating dtype of the library (float32 for torch, float64 else).
    default = xp.asarray([0.5])
    assert dv.entropy(counts, normalize=True).dtype == default.dtype
    q32 = asarray(xp, [[0.8, 0.15, 0.05]], "float32")
    assert dv.kl(counts, q32, normalize=True).dtype == (default + q32).dtype


def test_smoothing(xp):
    counts = asarray(xp, [3.0, 0.0, 1.0])
    out = dv.entropy(counts, smoothing=1.0)
    np.testing.assert_allclose(to_numpy(out), dv.entropy([4 / 7, 1 / 7, 2 / 7]), rtol=1e-12)


def test_torch_device_is_preserved():
    torch = pytest.importorskip("torch")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        p = torch.tensor(P, device=device)
        out = dv.js(p, torch.tensor(Q, device=device))
        assert out.device.type == device


def test_lists_give_numpy_scalars():
    out = dv.kl([0.5, 0.5], [0.25, 0.75])
    assert isinstance(out, np.float64)
    assert isinstance(dv.kl(P, Q), np.ndarray)
    assert isinstance(dv.entropy(np.float32([0.5, 0.5])), np.float32)


def test_jax_jit_runs_every_function():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    for name in sorted(dv.DIVERGENCES):
        f = jax.jit(lambda p, q, name=name: call(name, p, q))
        np.testing.assert_allclose(np.asarray(f(jnp.asarray(P), jnp.asarray(Q))), call(name, P, Q), rtol=1e-13)
