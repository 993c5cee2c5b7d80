"""Closed forms between multivariate Gaussians (every parametrisation) and between Dirichlets.

References written here: published values in d = 1 and for the Dirichlet (sources next to
each), Monte Carlo averages of SciPy log-densities with a fixed seed (agreement within 5 standard errors),
two-dimensional quadrature of the defining integrals with hand-written densities, and a direct
maximisation of log p/q for Renyi order infinity. The fast paths (diagonal, low rank) are also
compared with the generic Cholesky form on the same covariance written out as a full matrix.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import scipy.integrate as si
import scipy.optimize as so
import scipy.stats as st

import divergences as dv
from conftest import to_numpy

MVN, Diag, LowRank, Dir = dv.MultivariateNormal, dv.DiagonalNormal, dv.LowRankMultivariateNormal, dv.Dirichlet


def _cov(d: dv.Distribution) -> np.ndarray:
    """The covariance written out here from the parameters (not via ``covariance()``)."""
    prm = {k: to_numpy(v).astype(np.float64) for k, v in d.params().items()}
    if isinstance(d, Diag):
        return np.diag(prm["scale"] ** 2)
    if isinstance(d, LowRank):
        w = prm["cov_factor"]
        return w @ w.T + np.diag(prm["cov_diag"])
    return prm["cov"]


def _mean(d: dv.Distribution) -> np.ndarray:
    return to_numpy(d.params()["mean"]).astype(np.float64)


def _full(d: dv.Distribution) -> dv.MultivariateNormal:
    """The same Gaussian as a MultivariateNormal, so dv routes it to the generic Cholesky form."""
    return MVN(_mean(d), _cov(d))


def _random(kind: str, d: int, rng: np.random.Generator, *, batch: tuple[int, ...] = (), rank: int = 2):
    mean = rng.normal(size=batch + (d,))
    if kind == "diag":
        return Diag(mean, rng.uniform(0.5, 2.0, size=batch + (d,)))
    if kind == "lowrank":
        return LowRank(mean, rng.normal(size=batch + (d, rank)), rng.uniform(0.5, 2.0, size=batch + (d,)))
    a = rng.normal(size=batch + (d, d))
    return MVN(mean, a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d))


KINDS = ["mvn", "diag", "lowrank"]
PAIRS = [(a, b) for a in KINDS for b in KINDS]
MEASURES = [("kl", {}), ("cross_entropy", {}), ("bhattacharyya", {}), ("hellinger", {}),
            ("renyi", {"alpha": 0.3}), ("renyi", {"alpha": 0.7}), ("renyi", {"alpha": 2.0}),
            ("renyi", {"alpha": 0.0}), ("renyi", {"alpha": math.inf})]


# ---------------------------------------------------------------------------------------
# d = 1: published univariate Normal values, each equal to adaptive quadrature to ~1e-15
# ---------------------------------------------------------------------------------------


def _one_d(kind: str, mean: float, var: float):
    if kind == "diag":
        return Diag([mean], [math.sqrt(var)])
    if kind == "lowrank":  # half the variance in the factor, half on the diagonal
        return LowRank([mean], [[math.sqrt(var / 2)]], [var / 2])
    return MVN([mean], [[var]])


@pytest.mark.parametrize("kp,kq", PAIRS)
def test_one_dimensional_peer_values(kp: str, kq: str) -> None:
    # KL: ln(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, as torch 2.13.0's kl_divergence.
    p, q = _one_d(kp, 0.3, 1.2**2), _one_d(kq, -0.5, 0.7**2)
    assert float(dv.kl(p, q)) == pytest.approx(1.0834524789, abs=1e-10)
    # Renyi of order 0.7 (Gil 2011), Bhattacharyya, and squared Hellinger = 1 - BC: the
    # analytical Gaussian values of Szabo's ITE toolbox.
    p, q = _one_d(kp, 0.0, 1.0), _one_d(kq, 1.0, 4.0)
    assert float(dv.renyi(p, q, alpha=0.7)) == pytest.approx(0.3812299903, abs=1e-10)
    assert float(dv.bhattacharyya(p, q)) == pytest.approx(0.1615717757, abs=1e-10)
    assert float(dv.hellinger(p, q)) ** 2 == pytest.approx(0.1491945378, abs=1e-10)
    # cross-entropy: -int p log q by quadrature
    assert float(dv.cross_entropy(p, q)) == pytest.approx(_CROSS_ENTROPY_N01_N14, abs=1e-10)


def _cross_entropy_quad() -> float:
    """-int p log q for N(0, 1) and N(1, variance 4)."""
    def integrand(x: float) -> float:
        log_q = -0.5 * math.log(2 * math.pi * 4.0) - (x - 1.0) ** 2 / 8.0
        return -math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) * log_q

    return si.quad(integrand, -40, 40, epsabs=1e-13, limit=200)[0]


_CROSS_ENTROPY_N01_N14 = _cross_entropy_quad()


# ---------------------------------------------------------------------------------------
# Monte Carlo in d = 4 (own random matrices)
# ---------------------------------------------------------------------------------------


def _monte_carlo(name: str, lp: np.ndarray, lq: np.ndarray, alpha: float | None) -> tuple[float, float]:
    """(estimate, standard error) of the measure from log-densities at draws of p (delta method)."""
    n = lp.size

    def mean_se(v: np.ndarray) -> tuple[float, float]:
        return float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(n))

    if name == "kl":
        return mean_se(lp - lq)
    if name == "cross_entropy":
        return mean_se(-lq)
    if name == "bhattacharyya":  # -log E_p[sqrt(q/p)]
        m, se = mean_se(np.exp(0.5 * (lq - lp)))
        return -math.log(m), se / m
    assert name == "renyi" and alpha is not None  # log E_p[(p/q)^(alpha-1)] / (alpha-1)
    m, se = mean_se(np.exp((alpha - 1) * (lp - lq)))
    return math.log(m) / (alpha - 1), se / m / abs(alpha - 1)


def _log_densities(p, q, n: int = 100_000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    sp, sq = st.multivariate_normal(_mean(p), _cov(p)), st.multivariate_normal(_mean(q), _cov(q))
    x = sp.rvs(size=n, random_state=seed)
    return sp.logpdf(x), sq.logpdf(x)


@pytest.mark.parametrize("kp,kq", PAIRS)
def test_monte_carlo_d4(kp: str, kq: str) -> None:
    rng = np.random.default_rng(20261121)
    p, q = _random(kp, 4, rng), _random(kq, 4, rng)
    lp, lq = _log_densities(p, q)
    for name, kw in [("kl", {}), ("cross_entropy", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 0.7})]:
        value = float(getattr(dv, name)(p, q, **kw))
        estimate, se = _monte_carlo(name, lp, lq, kw.get("alpha"))
        assert abs(value - estimate) < 5 * se, (name, value, estimate, se)
        assert se < 0.05 * max(1.0, abs(value))  # the check has teeth


def test_monte_carlo_renyi_above_one() -> None:
    # q wider than p in every direction, so that order 2 is finite and its estimator has a variance.
    rng = np.random.default_rng(3)
    p = _random("lowrank", 3, rng)
    q = MVN(_mean(p) + 0.3, 2.0 * _cov(p) + np.eye(3))
    value = float(dv.renyi(p, q, alpha=2.0))
    estimate, se = _monte_carlo("renyi", *_log_densities(p, q), 2.0)
    assert abs(value - estimate) < 5 * se and se < 0.01


# ---------------------------------------------------------------------------------------
# Fast paths against the generic Cholesky form (batched, random)
# ---------------------------------------------------------------------------------------


def _fast_vs_generic(p, q, name: str, kw: dict) -> tuple[np.ndarray, np.ndarray]:
    fast = np.asarray(getattr(dv, name)(p, q, **kw))
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    generic = np.empty(shape)
    pb, qb = p.broadcast_to(shape), q.broadcast_to(shape)
    for index in np.ndindex(*shape):
        pi = type(p)(**{k: to_numpy(v)[index] for k, v in pb.params().items()})
        qi = type(q)(**{k: to_numpy(v)[index] for k, v in qb.params().items()})
        generic[index] = float(getattr(dv, name)(_full(pi), _full(qi), **kw))
    return fast, generic


@pytest.mark.parametrize("kp,kq", PAIRS)
def test_fast_paths_match_generic_batched(kp: str, kq: str) -> None:
    rng = np.random.default_rng(11)
    p, q = _random(kp, 5, rng, batch=(3, 1)), _random(kq, 5, rng, batch=(4,))
    for name, kw in MEASURES:
        fast, generic = _fast_vs_generic(p, q, name, kw)
        assert fast.shape == (3, 4)
        np.testing.assert_allclose(fast, generic, rtol=1e-10, atol=1e-12, err_msg=f"{name} {kw}")


@pytest.mark.parametrize("kp,kq", [(a, b) for a, b in PAIRS if "lowrank" in (a, b)])
def test_woodbury_forms_of_many_dimensions_match_generic(kp: str, kq: str, monkeypatch) -> None:
    """Low-rank KL takes its O(d r^2) Woodbury form beyond a dimension: forced here at d = 5."""
    monkeypatch.setattr(importlib.import_module("divergences.distributions._closed_multivariate"), "_DENSE_DIM", 0)
    rng = np.random.default_rng(12)
    p, q = _random(kp, 5, rng, batch=(3, 1)), _random(kq, 5, rng, batch=(4,))
    fast, generic = _fast_vs_generic(p, q, "kl", {})
    np.testing.assert_allclose(fast, generic, rtol=1e-10, atol=1e-12)


def test_renyi_finite_above_one_matches_generic() -> None:
    # Order 2 and inf are finite only when q is wider: make it so, for each fast path.
    rng = np.random.default_rng(5)
    for kp in KINDS:
        p = _random(kp, 3, rng)
        for q in (Diag(_mean(p) - 0.2, np.sqrt(np.diag(_cov(p))) * 3 + 2),
                  LowRank(_mean(p) + 0.1, 3 * np.linalg.cholesky(_cov(p))[:, :2] + 0.5, np.full(3, 6.0)),
                  MVN(_mean(p) + 0.4, 3 * _cov(p) + 4 * np.eye(3))):
            for alpha in (2.0, 5.0, math.inf):
                fast, generic = _fast_vs_generic(p, q, "renyi", {"alpha": alpha})
                assert np.isfinite(fast), (kp, type(q).__name__, alpha, fast)
                np.testing.assert_allclose(fast, generic, rtol=1e-10)


# ---------------------------------------------------------------------------------------
# Two-dimensional quadrature of the defining integrals
# ---------------------------------------------------------------------------------------


def _log_density(d: dv.Distribution):
    mu, cov = _mean(d), _cov(d)
    inv = np.linalg.inv(cov)
    const = -math.log(2 * math.pi) - 0.5 * math.log(np.linalg.det(cov))
    a, b, c = inv[0, 0], inv[0, 1], inv[1, 1]

    def f(x: float, y: float) -> float:
        u, v = x - mu[0], y - mu[1]
        return const - 0.5 * (a * u * u + 2 * b * u * v + c * v * v)

    return f


def _dblquad(integrand, p) -> float:
    mu, sd = _mean(p), np.sqrt(np.diag(_cov(p)))
    lo, hi = mu - 12 * sd, mu + 12 * sd
    return si.dblquad(integrand, lo[0], hi[0], lo[1], hi[1], epsabs=1e-11, epsrel=1e-11)[0]


QUAD_PAIRS = {
    "diag-diag": (Diag([0.2, -0.4], [0.8, 1.3]), Diag([-0.5, 0.3], [1.1, 0.9])),
    "lowrank-lowrank": (LowRank([0.2, -0.4], [[0.9], [0.5]], [0.4, 0.7]), LowRank([-0.3, 0.1], [[-0.4], [0.8]], [0.9, 0.5])),
    "lowrank-mvn": (LowRank([0.2, -0.4], [[0.9], [0.5]], [0.4, 0.7]), MVN([0.1, 0.3], [[1.5, 0.4], [0.4, 0.8]])),
    "mvn-lowrank": (MVN([0.1, 0.3], [[1.5, 0.4], [0.4, 0.8]]), LowRank([-0.3, 0.1], [[-0.4], [0.8]], [0.9, 0.5])),
}


@pytest.mark.parametrize("pair", list(QUAD_PAIRS))
def test_kl_against_2d_quadrature(pair: str) -> None:
    p, q = QUAD_PAIRS[pair]
    lp, lq = _log_density(p), _log_density(q)
    want = _dblquad(lambda y, x: math.exp(lp(x, y)) * (lp(x, y) - lq(x, y)), p)
    assert float(dv.kl(p, q)) == pytest.approx(want, rel=1e-9)


def test_bhattacharyya_and_renyi_against_2d_quadrature() -> None:
    p, q = QUAD_PAIRS["diag-diag"]
    lp, lq = _log_density(p), _log_density(q)
    bc = _dblquad(lambda y, x: math.exp(0.5 * (lp(x, y) + lq(x, y))), p)
    assert float(dv.bhattacharyya(p, q)) == pytest.approx(-math.log(bc), rel=1e-9)
    p, q = QUAD_PAIRS["lowrank-mvn"]
    lp, lq = _log_density(p), _log_density(q)
    for alpha in (0.3, 1.5):
        s = _dblquad(lambda y, x, a=alpha: math.exp(a * lp(x, y) + (1 - a) * lq(x, y)), p)
        assert float(dv.renyi(p, q, alpha=alpha)) == pytest.approx(math.log(s) / (alpha - 1), rel=1e-9)


# ---------------------------------------------------------------------------------------
# Where Renyi diverges, and order infinity
# ---------------------------------------------------------------------------------------


def _sup_log_ratio(p, q) -> float:
    lp = st.multivariate_normal(_mean(p), _cov(p)).logpdf
    lq = st.multivariate_normal(_mean(q), _cov(q)).logpdf
    res = so.minimize(lambda x: lq(x) - lp(x), _mean(p), method="BFGS", options={"gtol": 1e-10})
    return float(-res.fun)


@pytest.mark.parametrize("make", [lambda d: d, _full])
def test_renyi_infinite_where_it_diverges(make) -> None:
    p, q = make(Diag([0.0, 0.0], [1.0, 1.0])), make(Diag([0.5, 0.0], [0.5, 1.5]))
    assert float(dv.renyi(p, q, alpha=2.5)) == math.inf  # 2.5 * 0.25 - 1.5 * 1 < 0
    assert np.isfinite(float(dv.renyi(p, q, alpha=1.2)))  # 1.2 * 0.25 - 0.2 > 0
    assert float(dv.renyi(p, q, alpha=math.inf)) == math.inf  # q narrower in one direction
    assert float(dv.renyi(p, make(Diag([0.5, 0.0], [1.0, 1.0])), alpha=math.inf)) == math.inf
    assert float(dv.renyi(p, p, alpha=math.inf)) == 0.0
    assert float(dv.renyi(p, q, alpha=0.0)) == 0.0


@pytest.mark.parametrize("kp", KINDS)
def test_renyi_order_infinity_is_the_supremum(kp: str) -> None:
    rng = np.random.default_rng(9)
    p = _random(kp, 3, rng)
    q = MVN(_mean(p) + [0.3, -0.2, 0.5], 1.5 * _cov(p) + np.eye(3))
    assert float(dv.renyi(p, q, alpha=math.inf)) == pytest.approx(_sup_log_ratio(p, q), rel=1e-7)
    q = Diag(_mean(p) + 0.4, np.sqrt(np.diag(_cov(p))) * 2 + 1)
    assert float(dv.renyi(p, q, alpha=math.inf)) == pytest.approx(_sup_log_ratio(p, q), rel=1e-7)
    # Large orders approach the supremum.
    assert float(dv.renyi(p, q, alpha=1e6)) == pytest.approx(_sup_log_ratio(p, q), rel=1e-4)


def test_registered_pairs() -> None:
    kl = dv.registered_pairs("kl")
    for pair in [("DiagonalNormal", "DiagonalNormal"), ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
                 ("LowRankMultivariateNormal", "MultivariateGaussian"),
                 ("MultivariateGaussian", "LowRankMultivariateNormal"),
                 ("MultivariateGaussian", "MultivariateGaussian"), ("Dirichlet", "Dirichlet")]:
        assert pair in kl
    for metric in ("cross_entropy", "bhattacharyya", "renyi"):
        assert ("MultivariateGaussian", "MultivariateGaussian") in dv.registered_pairs(metric)
    for metric in ("bhattacharyya", "renyi"):
        assert ("Dirichlet", "Dirichlet") in dv.registered_pairs(metric)
        assert ("DiagonalNormal", "DiagonalNormal") in dv.registered_pairs(metric)


# ---------------------------------------------------------------------------------------
# Dirichlet
# ---------------------------------------------------------------------------------------


def test_dirichlet_peer_value() -> None:
    # The Dirichlet closed form of torch 2.13.0 and TFP; Monte Carlo with 1e6 draws gave 3.7200.
    assert float(dv.kl(Dir([1.5, 2.0, 0.7]), Dir([1.0, 1.0, 3.0]))) == pytest.approx(3.7197185869, abs=1e-10)


@pytest.mark.parametrize("a,b", [([1.5, 2.0, 0.7], [1.0, 1.0, 3.0]), ([3.0, 4.0, 2.5, 6.0], [2.0, 5.0, 3.0, 4.0])])
def test_dirichlet_monte_carlo(a: list[float], b: list[float]) -> None:
    n = 200_000
    x = st.dirichlet(a).rvs(size=n, random_state=1)
    x = np.clip(x, 1e-300, None)
    lp, lq = st.dirichlet(a).logpdf(x.T), st.dirichlet(b).logpdf(x.T)

    def check(value: float, samples: np.ndarray, transform=lambda m: m, slope=lambda m: 1.0) -> None:
        m, se = float(np.mean(samples)), float(np.std(samples, ddof=1) / math.sqrt(n))
        assert abs(value - transform(m)) < 5 * se * abs(slope(m)), (value, transform(m), se)

    check(float(dv.kl(Dir(a), Dir(b))), lp - lq)
    check(float(dv.bhattacharyya(Dir(a), Dir(b))), np.exp(0.5 * (lq - lp)), lambda m: -math.log(m), lambda m: 1 / m)
    check(float(dv.renyi(Dir(a), Dir(b), alpha=0.6)), np.exp(-0.4 * (lp - lq)),
          lambda m: math.log(m) / -0.4, lambda m: 1 / (0.4 * m))


def test_dirichlet_renyi_edges() -> None:
    a, b = [3.0, 2.0, 4.0], [1.5, 2.0, 1.0]
    # Order inf: supremum of log p/q over the simplex (a >= b: finite), by direct maximisation.
    def neg(z):
        x = np.exp(z) / np.sum(np.exp(z))
        return st.dirichlet(b).logpdf(x) - st.dirichlet(a).logpdf(x)

    best = -min(so.minimize(neg, z0, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000}).fun
                for z0 in (np.zeros(3), np.log([0.5, 0.1, 0.4])))
    assert float(dv.renyi(Dir(a), Dir(b), alpha=math.inf)) == pytest.approx(best, rel=1e-7)
    assert float(dv.renyi(Dir(b), Dir(a), alpha=math.inf)) == math.inf
    assert float(dv.renyi(Dir(a), Dir(b), alpha=0.0)) == 0.0
    # 3 a - 2 b has a negative entry where b > 1.5 a: the integral diverges.
    assert float(dv.renyi(Dir([1.0, 2.0, 3.0]), Dir([2.0, 1.0, 1.0]), alpha=3.0)) == math.inf
    assert float(dv.renyi(Dir(a), Dir(b), alpha=1.0)) == float(dv.kl(Dir(a), Dir(b)))


def test_dirichlet_batched() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 4, size=(3, 1, 4)), rng.uniform(0.5, 4, size=(5, 4))
    for name, kw in [("kl", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 2.5})]:
        got = np.asarray(getattr(dv, name)(Dir(a), Dir(b), **kw))
        assert got.shape == (3, 5)
        for i in range(3):
            for j in range(5):
                assert got[i, j] == pytest.approx(float(getattr(dv, name)(Dir(a[i, 0]), Dir(b[j]), **kw)), rel=1e-13)


# ---------------------------------------------------------------------------------------
# Backends, gradients, float32
# ---------------------------------------------------------------------------------------


def _as(d: dv.Distribution, convert) -> dv.Distribution:
    return type(d)(**{k: convert(to_numpy(v)) for k, v in d.params().items()})


@pytest.mark.parametrize("kp,kq", [("diag", "diag"), ("lowrank", "lowrank"), ("lowrank", "mvn"), ("mvn", "lowrank"), ("mvn", "diag")])
def test_backends_agree(xp, kp: str, kq: str) -> None:
    rng = np.random.default_rng(4)
    p, q = _random(kp, 3, rng, batch=(2,)), _random(kq, 3, rng)
    names = [("kl", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 2.0}), ("cross_entropy", {})]
    is_jax = "jax" in xp.__name__
    if is_jax:  # compiling costs a second or more per measure: one is enough here
        names = names[:1]
    for name, kw in names:
        want = np.asarray(getattr(dv, name)(p, q, **kw))

        def f(*arrays, name=name, kw=kw):
            n = len(p.params())
            tp = type(p)(*arrays[:n])
            tq = type(q)(*arrays[n:])
            return getattr(dv, name)(tp, tq, **kw)

        arrays = [xp.asarray(to_numpy(v), dtype=xp.float64) for d in (p, q) for v in d.params().values()]
        if is_jax:  # eager JAX compiles every small op once per shape; one jit is much faster
            import jax

            got = jax.jit(f)(*arrays)
        else:
            got = f(*arrays)
            if xp is not np:
                assert type(got) is type(arrays[0])
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-11)
    got = dv.kl(_as(Dir([1.5, 2.0, 0.7]), xp.asarray), _as(Dir([1.0, 1.0, 3.0]), xp.asarray))
    assert float(to_numpy(got)) == pytest.approx(3.7197185869, abs=1e-10)


@pytest.mark.parametrize("kp,kq", PAIRS)
def test_torch_gradients_finite_at_equality(kp: str, kq: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    p = _random(kp, 3, rng)
    # q is p in another parametrisation where possible (Diag and LowRank can hold a Diag)
    for name, kw in MEASURES:
        params = {k: torch.tensor(to_numpy(v), requires_grad=True) for k, v in p.params().items()}
        tp = type(p)(**params)
        if kq == kp:
            tq = type(p)(**{k: v.detach().clone() for k, v in params.items()})
        elif kp == "diag" and kq == "mvn":
            tq = MVN(params["mean"], torch.diag(params["scale"] ** 2))
        elif kp == "diag" and kq == "lowrank":
            tq = LowRank(params["mean"], torch.zeros(3, 1, dtype=torch.float64), params["scale"] ** 2)
        else:
            tq = MVN(torch.tensor(_mean(p)), torch.tensor(_cov(p)))
        out = getattr(dv, name)(tp, tq, **kw)
        # Order inf is discontinuous at p = q: a covariance rounded differently in another
        # parametrisation leaves S2 - S1 indefinite at round-off level, which is inf.
        exact = kq == kp or kw.get("alpha") != math.inf
        if exact and name != "cross_entropy":
            assert abs(float(out.detach())) < 1e-10, (name, kw, float(out.detach()))
        if not out.requires_grad:  # order 0 is identically 0 for Gaussians
            continue
        out.backward()
        for k, v in params.items():
            assert v.grad is not None and torch.isfinite(v.grad).all(), (name, kw, k)


def test_torch_gradcheck() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    mean = torch.tensor(rng.normal(size=3), requires_grad=True)
    factor = torch.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    diag = torch.tensor(rng.uniform(0.5, 1.5, size=3), requires_grad=True)
    q_cov = torch.tensor(np.eye(3) * 8.0 + 0.5)  # 2 q_cov - p_cov positive definite

    def f(mean, factor, diag):
        p = LowRank(mean, factor, diag)
        q = MVN(torch.zeros(3, dtype=torch.float64), q_cov)
        r = LowRank(mean * 0.5, factor.flip(-1), diag + 0.3)
        return (dv.kl(p, q) + dv.kl(q, p) + dv.kl(p, r) + dv.bhattacharyya(p, q)
                + dv.renyi(p, q, alpha=2.0) + dv.kl(Diag(mean, diag), Diag(mean * 0, diag + 1)))

    assert torch.autograd.gradcheck(f, (mean, factor, diag))
    a = torch.tensor([1.5, 2.0, 0.7], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0, 1.0, 3.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b: dv.kl(Dir(a), Dir(b)) + dv.bhattacharyya(Dir(a), Dir(b)) + dv.renyi(Dir(a), Dir(b), alpha=0.3),
        (a, b))
    a.grad = None
    dv.kl(Dir(a), Dir(a.detach())).backward()
    assert torch.allclose(a.grad, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("kp,kq", PAIRS)
def test_float32_stays_float32(kp: str, kq: str) -> None:
    rng = np.random.default_rng(6)
    p, q = _random(kp, 3, rng), _random(kq, 3, rng)
    p32, q32 = _as(p, lambda v: v.astype(np.float32)), _as(q, lambda v: v.astype(np.float32))
    for name, kw in [("kl", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 0.5}), ("cross_entropy", {})]:
        got = getattr(dv, name)(p32, q32, **kw)
        assert got.dtype == np.float32
        assert float(got) == pytest.approx(float(getattr(dv, name)(p, q, **kw)), rel=1e-3)
    got = dv.kl(Dir(np.asarray([1.5, 2.0, 0.7], np.float32)), Dir(np.asarray([1.0, 1.0, 3.0], np.float32)))
    assert got.dtype == np.float32 and float(got) == pytest.approx(3.7197185869, rel=1e-5)


def test_a_batch_of_near_and_far_pairs_takes_the_eigen_form_on_the_near_rows_only():
    """MultivariateNormal KL of a batch where a few pairs are nearly equal: the eigenvalue form
    runs on those rows alone, and every value equals that of its pair computed by itself."""
    rng = np.random.default_rng(12)
    d, n = 4, 12
    a = rng.normal(size=(n, d, d))
    cov_p = a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)
    b = rng.normal(size=(n, d, d))
    cov_q = b @ np.swapaxes(b, -1, -2) / d + 0.5 * np.eye(d)
    near = [1, 7, 8]
    cov_q[near] = cov_p[near] * (1.0 + 1e-9)
    mean_p, mean_q = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    mean_q[near] = mean_p[near]
    batch = dv.kl(dv.MultivariateNormal(mean_p, cov_p), dv.MultivariateNormal(mean_q, cov_q))
    alone = [float(dv.kl(dv.MultivariateNormal(mean_p[i], cov_p[i]), dv.MultivariateNormal(mean_q[i], cov_q[i])))
             for i in range(n)]
    np.testing.assert_allclose(batch, alone, rtol=1e-13, atol=0)
    assert all(0 < batch[i] < 1e-15 for i in near)
    torch = pytest.importorskip("torch")
    tp = torch.tensor(cov_p, requires_grad=True)
    value = dv.kl(dv.MultivariateNormal(torch.tensor(mean_p), tp), dv.MultivariateNormal(torch.tensor(mean_q),
                                                                                        torch.tensor(cov_q)))
    np.testing.assert_allclose(value.detach().numpy(), alone, rtol=1e-13, atol=0)
    value.sum().backward()
    assert torch.isfinite(tp.grad).all()


def test_trace_series_against_mpmath_eigenvalues() -> None:
    """Whitened differences all within a Frobenius norm of 0.01 take the series of traces
    (``_trace_series``), within 1e-14 of ``-sum log1pmx(e)`` over mpmath's eigenvalues; above
    it (or with one such element in the batch) the eigenvalues; and a batch of nearly equal
    Gaussians through ``dv.kl`` agrees with a pair at a time (the eigenvalue path)."""
    import mpmath

    from divergences._array_api import NUMPY
    from divergences.distributions._gaussian_factors import _trace_series

    rng = np.random.default_rng(41)
    d = 6
    a = rng.normal(size=(8, d, d))
    base = (a + np.swapaxes(a, -1, -2)) / 2.0
    scale = np.array([1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 3e-3, 1e-3, 1e-5])[:, None, None]
    x = base / np.sqrt(np.sum(base * base, axis=(-2, -1)))[:, None, None] * scale  # |x|_F = scale
    got = _trace_series(x, NUMPY)
    assert got is not None
    with mpmath.workdps(50):
        for value, m in zip(got, x, strict=True):
            eig = mpmath.eigsy(mpmath.matrix(m.tolist()))[0]
            truth = mpmath.fsum(e - mpmath.log1p(e) for e in eig)
            assert abs(value - truth) <= 1e-14 * truth, (float(value), float(truth))
    assert _trace_series(np.concatenate([x, 0.02 * x[:1] / 1e-12]), NUMPY) is None
    cov = np.einsum("nij,nkj->nik", a, a) / d + 0.5 * np.eye(d)
    near = cov + 1e-6 * np.eye(d)
    mean = rng.normal(size=(8, d))
    batch = np.asarray(dv.kl(dv.MultivariateNormal(mean, cov), dv.MultivariateNormal(mean, near)))
    for i in range(8):
        one = float(dv.kl(dv.MultivariateNormal(mean[i], cov[i]), dv.MultivariateNormal(mean[i], near[i])))
        assert batch[i] == pytest.approx(one, rel=1e-13)


@pytest.mark.parametrize("block", [None, 16])
def test_dirichlet_batch_of_nearly_equal_laws_against_mpmath(block: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows moved by relative steps of 1e-12 to 1e-2 take log Gamma's Bregman near form alone
    (``_host.bregman_near``), in blocks where ``block`` is given: within 1e-13 of mpmath."""
    import mpmath

    from divergences.distributions import _host

    if block is not None:
        monkeypatch.setattr(_host, "_BLOCK", block)
    rng = np.random.default_rng(43)
    a = np.exp(rng.uniform(-2.0, 2.5, (30, 5)))
    steps = np.repeat([1e-12, 1e-9, 1e-6, 1e-4, 1e-2], 6)[:, None]
    b = a * (1.0 + steps * rng.uniform(-1.0, 1.0, a.shape))
    got = np.asarray(dv.kl(dv.Dirichlet(a), dv.Dirichlet(b)))
    with mpmath.workdps(60):
        for value, x, y in zip(got, a, b, strict=True):
            xs, ys = [mpmath.mpf(v) for v in x], [mpmath.mpf(v) for v in y]
            c1, c2 = mpmath.fsum(xs), mpmath.fsum(ys)
            truth = (mpmath.loggamma(c1) - mpmath.fsum(mpmath.loggamma(v) for v in xs) - mpmath.loggamma(c2)
                     + mpmath.fsum(mpmath.loggamma(v) for v in ys)
                     + mpmath.fsum((u - v) * (mpmath.digamma(u) - mpmath.digamma(c1)) for u, v in zip(xs, ys, strict=True)))
            assert abs(value - truth) <= 1e-13 * truth, (float(value), float(truth))
