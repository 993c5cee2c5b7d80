"""Unbatched pairs of Python numbers take the closed forms on Python floats (Bernoulli, Gamma,
Beta; Categorical by one dot product): the same forms as the batched path, so the values agree
with it and with mpmath, near p = q included; where a float form cannot say (a large shape,
a rate ratio out of range, a zero probability) the array path answers, as before."""

from __future__ import annotations

from typing import Any
from unittest import mock

import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from divergences.distributions import _closed_discrete, _closed_univariate

STEPS = [0.0, 1e-13, 1e-9, 1e-6, 1e-3, 0.05, 0.1, 0.125, 0.13, 0.3, 1.0, 3.0]


@mp.workdps(60)
def _gamma(a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return a2 * mp.log(b1 / b2) + mp.loggamma(a2) - mp.loggamma(a1) + (a1 - a2) * mp.digamma(a1) + (b2 - b1) * a1 / b1


@mp.workdps(60)
def _beta(a1: float, b1: float, a2: float, b2: float) -> mp.mpf:
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))

    def log_beta(a: mp.mpf, b: mp.mpf) -> mp.mpf:
        return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)

    return (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
            + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


@mp.workdps(60)
def _bernoulli(a: float, b: float) -> mp.mpf:
    a, b = mp.mpf(a), mp.mpf(b)
    return a * mp.log(a / b) + (1 - a) * mp.log((1 - a) / (1 - b))


def _pairs(n_params: int, seed: int, low: float, high: float) -> list[tuple[float, ...]]:
    """Parameter pairs log-uniform in [low, high], the second moved by every step of STEPS."""
    rng = np.random.default_rng(seed)
    out = []
    for step in STEPS:
        for _ in range(6):
            p = np.exp(rng.uniform(np.log(low), np.log(high), n_params))
            q = p * np.exp(step * rng.uniform(-1.0, 1.0, n_params) * rng.integers(0, 2, n_params))
            out.append((*map(float, p), *map(float, q)))
    return out


def _relative(value: float, truth: mp.mpf) -> float:
    return float(abs(mp.mpf(value) - truth) / truth) if truth else abs(value)


def _batched(family: type, p: tuple[float, ...], q: tuple[float, ...]) -> float:
    return float(dv.kl(family(*(np.array([v, v]) for v in p)), family(*(np.array([v, v]) for v in q)))[0])


@pytest.mark.parametrize(("family", "truth", "rtol"), [(dv.Gamma, _gamma, 2e-14), (dv.Beta, _beta, 5e-13)])
def test_gamma_and_beta_unbatched_against_mpmath_and_the_batch(family: type, truth: object, rtol: float) -> None:
    # shapes below STIRLING_MIN take the float forms; some pairs cross it (the array path)
    for pair in _pairs(2, seed=5, low=0.05, high=20.0):
        p, q = pair[:2], pair[2:]
        value = dv.kl(family(*p), family(*q))
        assert type(value) is np.float64
        exact = truth(*pair)  # type: ignore[operator]
        assert _relative(float(value), exact) <= rtol, (pair, float(value))
        batched = _batched(family, p, q)
        # the float path's own rounding (the near form written out): within the bound of both
        assert abs(float(value) - batched) <= rtol * abs(batched), (pair, float(value), batched)


def test_bernoulli_unbatched_against_mpmath_and_the_batch() -> None:
    for pair in _pairs(1, seed=6, low=1e-9, high=0.999):
        p, q = pair[:1], (min(pair[1], 1.0 - 1e-12),)
        value = float(dv.kl(dv.Bernoulli(*p), dv.Bernoulli(*q)))
        assert _relative(value, _bernoulli(p[0], q[0])) <= 40 * 2.0**-52, (p, q, value)
        assert value == pytest.approx(_batched(dv.Bernoulli, p, q), rel=4e-16, abs=0)
    # the ends: the array path, as before
    assert dv.kl(dv.Bernoulli(0.0), dv.Bernoulli(0.5)) == pytest.approx(np.log(2.0), rel=1e-15)
    assert dv.kl(dv.Bernoulli(0.5), dv.Bernoulli(1.0)) == np.inf


def test_categorical_unbatched_by_one_dot_product() -> None:
    rng = np.random.default_rng(7)
    for step in (0.0, 1e-12, 1e-6, 0.1, 1.0):
        p = rng.dirichlet(np.ones(10))
        q = p * np.exp(step * rng.normal(size=10))
        q /= q.sum()
        value = float(dv.kl(dv.Categorical(p), dv.Categorical(q)))
        with mp.workdps(60):
            exact = mp.fsum(mp.mpf(a) * (mp.log(mp.mpf(a)) - mp.log(mp.mpf(b))) for a, b in zip(p, q, strict=True))
        assert _relative(value, exact) <= 1.2e-13, (step, value)
        assert value == pytest.approx(float(dv.kl(dv.Categorical(p[None]), dv.Categorical(q[None]))[0]), rel=1.2e-13)
    with_zero = np.array([0.0, 0.5, 0.5])
    assert float(dv.kl(dv.Categorical(with_zero), dv.Categorical([0.2, 0.4, 0.4]))) == pytest.approx(np.log(1.25), rel=1e-15)
    assert dv.kl(dv.Categorical([0.2, 0.4, 0.4]), dv.Categorical(with_zero)) == np.inf
    assert dv.kl(dv.Categorical(np.float32([0.2, 0.8])), dv.Categorical(np.float32([0.5, 0.5]))).dtype == np.float32


def test_the_float_forms_are_taken_for_python_numbers() -> None:
    with mock.patch.object(_closed_univariate, "bregman_float", wraps=_closed_univariate.bregman_float) as spy:
        dv.kl(dv.Gamma(2.0, 1.5), dv.Gamma(3.0, 0.7))
        dv.kl(dv.Beta(2.0, 1.5), dv.Beta(3.0, 0.7))
        assert spy.call_count == 4  # one for Gamma, three for Beta
        dv.kl(dv.Gamma(20.0, 1.5), dv.Gamma(30.0, 0.7))  # large shapes: the array path
        dv.kl(dv.Gamma(np.array([2.0]), 1.5), dv.Gamma(3.0, 0.7))  # a batch: the in-place path
        assert spy.call_count == 4
    with mock.patch.object(_closed_discrete, "bernoulli_kl_float", wraps=_closed_discrete.bernoulli_kl_float) as spy:
        dv.kl(dv.Bernoulli(0.3), dv.Bernoulli(0.4))
        assert spy.call_count == 1


def test_diagonal_normal_unbatched_sums_the_float_forms() -> None:
    rng = np.random.default_rng(8)
    for step in (0.0, 1e-12, 1e-6, 0.1, 1.0):
        mean, scale = rng.normal(size=6), np.exp(rng.normal(size=6))
        mean_q, scale_q = mean + step * rng.normal(size=6), scale * np.exp(step * rng.normal(size=6))
        value = dv.kl(dv.DiagonalNormal(mean.tolist(), scale.tolist()), dv.DiagonalNormal(mean_q.tolist(), scale_q.tolist()))
        assert type(value) is np.float64
        each = [float(dv.kl(dv.Normal(*a), dv.Normal(*b)))
                for a, b in zip(zip(mean, scale, strict=True), zip(mean_q, scale_q, strict=True), strict=True)]
        assert float(value) == pytest.approx(float(np.sum(each)), rel=1e-15, abs=0)
        batched = dv.kl(dv.DiagonalNormal(mean[None], scale[None]), dv.DiagonalNormal(mean_q[None], scale_q[None]))[0]
        assert float(value) == pytest.approx(float(batched), rel=4e-15, abs=0)


@pytest.mark.parametrize(("family", "params"), [
    (dv.Gamma, (32.23163228763499, 0.3245565041804027, 33.65926436900352, 5061773001535773.0)),
    (dv.Beta, (4.772650280743576, 0.5601347964027318, 4.772650280743585, 1.5536000112131122e40)),
    (dv.Gamma, (8.041425510154107e297, 3.81758317804904e301, 8.308634612876538e297, 5.768052804592706e168)),
])
def test_unbatched_pairs_at_the_ends_of_the_range_are_finite_as_the_batch(family: type, params: tuple[float, ...]) -> None:
    # The NumPy-scalar branches gave NaN or inf here where the in-place path of a batch is
    # finite and right: an unbatched pair that comes out not finite asks a batch of one.
    value = dv.kl(family(*params[:2]), family(*params[2:]))
    assert np.isfinite(value)
    assert float(value) == pytest.approx(_batched(family, params[:2], params[2:]), rel=4.5e-16, abs=0)
    if max(params) < 1e100:
        truth = (_gamma if family is dv.Gamma else _beta)(*params)
        assert _relative(float(value), truth) <= 1e-12


@mp.workdps(60)
def _dirichlet(a: list[float], b: list[float]) -> mp.mpf:
    a_, b_ = [mp.mpf(v) for v in a], [mp.mpf(v) for v in b]
    c1, c2 = mp.fsum(a_), mp.fsum(b_)
    return (mp.loggamma(c1) - mp.fsum(mp.loggamma(v) for v in a_) - mp.loggamma(c2) + mp.fsum(mp.loggamma(v) for v in b_)
            + mp.fsum((x - y) * (mp.digamma(x) - mp.digamma(c1)) for x, y in zip(a_, b_, strict=True)))


def test_dirichlet_unbatched_on_python_floats_against_mpmath_and_the_batch() -> None:
    rng = np.random.default_rng(9)
    for step in (0.0, 1e-12, 1e-6, 0.05, 0.13, 1.0):
        a = np.exp(rng.uniform(-2.0, 2.0, 6))
        b = a * np.exp(step * rng.normal(size=6))
        value = dv.kl(dv.Dirichlet(a.tolist()), dv.Dirichlet(b.tolist()))
        assert type(value) is np.float64
        truth = _dirichlet(a.tolist(), b.tolist())
        assert _relative(float(value), truth) <= 2e-13, (step, float(value))
        batched = float(dv.kl(dv.Dirichlet(a[None]), dv.Dirichlet(b[None]))[0])
        assert float(value) == pytest.approx(batched, rel=2e-13, abs=1e-300)


@mp.workdps(60)
def _gaussian(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> mp.mpf:
    a, b = mp.matrix(s1.tolist()), mp.matrix(s2.tolist())
    diff = mp.matrix((m2 - m1).tolist())
    inverse = b**-1
    trace = mp.fsum((inverse * a)[i, i] for i in range(a.rows))
    return (trace + (diff.T * inverse * diff)[0, 0] - a.rows + mp.log(mp.det(b) / mp.det(a))) / 2


def _recording(fn: Any) -> Any:
    """``fn``, keeping what each call returned in the wrapper's ``answers``."""

    def wrapper(*args: Any) -> Any:
        wrapper.answers.append(fn(*args))  # type: ignore[attr-defined]
        return wrapper.answers[-1]  # type: ignore[attr-defined]

    wrapper.answers = []  # type: ignore[attr-defined]
    return wrapper


def test_multivariate_normal_unbatched_against_mpmath_and_the_batch() -> None:
    """One pair of float64 covariances takes ``_gaussian_pair`` (LAPACK's triangular solve and
    Python floats): covariances apart, nearly equal (the eigenvalue form), equal with a shifted
    mean, within 1e-13 of mpmath and of a batch of one; a pair whose float forms leave the
    range of doubles answers by the array path."""
    from divergences.distributions import _closed_multivariate

    rng = np.random.default_rng(12)
    d = 5
    for step in (0.0, 1e-12, 1e-6, 1e-3, 0.1, 1.0):
        a = rng.normal(size=(d, d))
        s1 = a @ a.T / d + 0.2 * np.eye(d)
        e = rng.normal(size=(d, d))
        s2 = s1 + step * (e @ e.T / d)
        m1 = rng.normal(size=d)
        m2 = m1 + (0.0 if step == 0.0 else step) * rng.normal(size=d) + (1e-3 if step == 0.0 else 0.0)
        with mock.patch.object(_closed_multivariate, "kl_gaussian_pair", _recording(_closed_multivariate.kl_gaussian_pair)) as spy:
            value = dv.kl(dv.MultivariateNormal(m1.tolist(), s1.tolist()), dv.MultivariateNormal(m2.tolist(), s2.tolist()))
        assert spy.answers == [value]  # the pair's own path answered
        assert type(value) is np.float64
        truth = _gaussian(m1, s1, m2, s2)
        assert _relative(float(value), truth) <= 1e-13, (step, float(value), float(truth))
        batched = float(dv.kl(dv.MultivariateNormal(m1[None], s1[None]), dv.MultivariateNormal(m2[None], s2[None]))[0])
        assert float(value) == pytest.approx(batched, rel=1e-13, abs=0)
    # variances 1e300 against 1e-300: beyond the range of doubles (was NaN, inf - inf); the
    # reverse, 0.5 (600 log 10 - 1) (was inf: 1 + x rounded the ratio 1e-600 away); both ways,
    # unbatched and in a batch
    with np.errstate(all="ignore"):
        for wide, expected in ((1e300, np.inf), (1e-300, 0.5 * (600.0 * np.log(10.0) - 1.0))):
            cov_p, cov_q = [[wide, 0.0], [0.0, 1.0]], [[1.0 / wide, 0.0], [0.0, 1.0]]
            unbatched = dv.kl(dv.MultivariateNormal([0.0, 0.0], cov_p), dv.MultivariateNormal([0.0, 0.0], cov_q))
            batch = dv.kl(dv.MultivariateNormal([[0.0, 0.0]], [cov_p]), dv.MultivariateNormal([[0.0, 0.0]], [cov_q]))[0]
            for value in (unbatched, batch):
                assert float(value) == pytest.approx(expected, rel=1e-15)
