"""KL(Beta || Gamma) with large parameters against mpmath: the decompositions through a Gamma
law between the two (``_beta_gamma``), where the direct form's terms, of the order of
``shape log(rate)``, cancelled (it was 5e-9 relative off at a = b = 1e3, 0.006 at 1e6 and 450x
at 1e8 against the nearest Gamma law; 1e17x near the Gamma law a long Beta tends to)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

DIGITS = 90


@mp.workdps(DIGITS)
def _kl(a: float, b: float, shape: float, rate: float) -> float:
    a_, b_, k, r = (mp.mpf(v) for v in (a, b, shape, rate))
    c = a_ + b_
    entropy = mp.log(mp.beta(a_, b_)) - (a_ - 1) * mp.digamma(a_) - (b_ - 1) * mp.digamma(b_) + (c - 2) * mp.digamma(c)
    mean_log = mp.digamma(a_) - mp.digamma(c)
    return float(-entropy - (k * mp.log(r) - mp.loggamma(k) + (k - 1) * mean_log - r * a_ / c))


def _moment_gamma(a: float, b: float) -> tuple[float, float]:
    """The Gamma law of the Beta's mean and variance (shape, rate)."""
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    return mean * mean / var, mean / var


def _laws(a: float, b: float, base: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """``base`` and laws moved from it by relative steps from 1e-11 to far."""
    shape, rate = base
    out = [(a, b, shape, rate)]
    for step in (1e-11, 1e-6, 1e-3, 0.3):
        out += [(a, b, shape * (1 + step), rate), (a, b, shape, rate * (1 - step)),
                (a, b, shape * (1 + step), rate * (1 + step))]
    return out


NORMAL_LIKE = [(12.0, 12.0), (50.0, 70.0), (1e3, 1e3), (1e4, 2e4), (1e6, 1e6), (1e8, 1e8), (1e10, 3e10),
               (1e5, 3.0), (2.4e11, 0.044), (7e8, 3.3), (1e6, 1e7), (1e6, 1e8), (1e4, 1e6), (1e6, 1e9)]
LONG = [(0.5, 1e6), (2.0, 1e3), (5.0, 1e8), (11.0, 1e10), (50.0, 3.3e11), (100.0, 1e6), (12.0, 60.0), (1e4, 1e12)]


@pytest.mark.parametrize(("a", "b"), NORMAL_LIKE)
def test_near_the_gamma_law_of_the_beta_moments(a, b):
    laws = _laws(a, b, _moment_gamma(a, b)) + _laws(a, b, (2.5, 1.5))
    got = dv.kl(dv.Beta(*(np.array([law[i] for law in laws]) for i in (0, 1))),
                dv.Gamma(*(np.array([law[i] for law in laws]) for i in (2, 3))))
    for law, value in zip(laws, got, strict=True):
        assert float(value) == pytest.approx(_kl(*law), rel=2e-13, abs=0), law
        assert dv.kl(dv.Beta(*law[:2]), dv.Gamma(*law[2:])) == pytest.approx(float(value), rel=1e-14, abs=0)


@pytest.mark.parametrize(("a", "b"), LONG)
def test_near_the_gamma_law_a_long_beta_tends_to(a, b):
    # Beta(a, b) tends to Gamma(a, a + b) as b grows (KL about a (a + 1) / (4 b^2))
    laws = _laws(a, b, (a, a + b)) + _laws(a, b, _moment_gamma(a, b))
    got = dv.kl(dv.Beta(*(np.array([law[i] for law in laws]) for i in (0, 1))),
                dv.Gamma(*(np.array([law[i] for law in laws]) for i in (2, 3))))
    for law, value in zip(laws, got, strict=True):
        # (the Gamma || Gamma form's own rounding where shape and rate move together, far apart)
        assert float(value) == pytest.approx(_kl(*law), rel=5e-13, abs=0), law


def test_exponential_and_chi2_take_the_same_forms():
    for a, b in [(1e6, 1e6), (3.0, 1e9)]:
        assert float(dv.kl(dv.Beta(a, b), dv.Exponential(a + b))) == pytest.approx(_kl(a, b, 1.0, a + b), rel=1e-13)
    a, b = 3e6, 1e6  # mean 3/4: Chi2(df) is Gamma(df / 2, 1 / 2)
    df = 2.0 * 0.375
    assert float(dv.kl(dv.Beta(a, b), dv.Chi2(df))) == pytest.approx(_kl(a, b, df / 2, 0.5), rel=1e-13)


def test_torch_and_jax_take_the_same_forms():
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    laws = [(1e6, 1e6, *_moment_gamma(1e6, 1e6)), (5.0, 1e8, 5.0, 1e8 + 5.0), (2.4e11, 0.044, 2.4e11, 2.4e11),
            (2.0, 3.0, 2.5, 1.5)]
    columns = np.array(laws).T
    exact = [_kl(*law) for law in laws]
    tensors = [torch.tensor(c, requires_grad=True) for c in columns]
    value = dv.kl(dv.Beta(*tensors[:2]), dv.Gamma(*tensors[2:]))
    value.sum().backward()
    assert all(bool(torch.isfinite(t.grad).all()) for t in tensors)
    jitted = jax.jit(lambda a, b, k, r: dv.kl(dv.Beta(a, b), dv.Gamma(k, r)))(*(jax.numpy.asarray(c) for c in columns))
    for got in (value.detach().numpy(), np.asarray(jitted)):
        np.testing.assert_allclose(got, exact, rtol=2e-13, atol=0)
