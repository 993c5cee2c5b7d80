"""Closed forms between discrete families against direct sums of the probability mass functions.

The reference sums SciPy's log-pmfs over the support (far into the tail for Poisson and
Geometric) in the test itself; three values published by torch 2.13.0 are checked too.
"""

from __future__ import annotations

import math
from unittest import mock

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import divergences as dv
from conftest import to_numpy
from divergences.distributions import REGISTRIES, _closed_discrete

TAIL = 4000  # Poisson rates <= 40 and Geometric probs >= 0.1 are negligible long before this
MEASURES = ["kl", "cross_entropy", "js", "bhattacharyya", "hellinger", "total_variation", "chi2"]
ALPHAS = [0.0, 0.3, 0.5, 2.5, math.inf]


def _scipy(d: dv.Distribution):
    """The frozen SciPy distribution written here, independently of ``to_scipy``."""
    f = {k: float(np.asarray(v)) for k, v in d.params().items()}
    if isinstance(d, dv.Bernoulli):
        return st.bernoulli(f["probs"])
    if isinstance(d, dv.Binomial):
        return st.binom(int(f["total_count"]), f["probs"])
    if isinstance(d, dv.Geometric):
        return st.geom(f["probs"], loc=-1)  # failures before the first success
    if isinstance(d, dv.Poisson):
        return st.poisson(f["rate"])
    raise TypeError(d)


def _log_masses(p: dv.Distribution, q: dv.Distribution) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(p, dv.Categorical):
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(p.probs)), np.log(np.asarray(q.probs))
    k = np.arange(TAIL + 1)
    with np.errstate(divide="ignore"):
        lp, lq = _scipy(p).logpmf(k), _scipy(q).logpmf(k)
    return lp, lq


def reference(name: str, p: dv.Distribution, q: dv.Distribution, alpha: float | None = None) -> float:
    """The measure as a direct sum over the support of the two mass functions (in log space)."""
    lp, lq = _log_masses(p, q)
    on_p, on_q = lp > -np.inf, lq > -np.inf  # from the logs: underflowed masses still count
    both = on_p & on_q
    p_only = bool(np.any(on_p & ~on_q))
    lp0, lq0 = np.where(on_p, lp, 0.0), np.where(on_q, lq, 0.0)
    P, Q = np.where(on_p, np.exp(lp0), 0.0), np.where(on_q, np.exp(lq0), 0.0)
    unbounded = isinstance(p, (dv.Geometric, dv.Poisson))

    def diverges(log_terms: np.ndarray) -> bool:
        # A series over 0 .. TAIL whose terms have not died out by its end.
        return unbounded and bool(log_terms[-1] > np.log(1e-12) + sc.logsumexp(log_terms))

    if name in ("kl", "cross_entropy"):
        if p_only:
            return math.inf
        log_q = lq0 if name == "cross_entropy" else lq0 - lp0
        return float(-np.sum(np.where(both, P * log_q, 0.0)))
    if name == "js":
        M = 0.5 * (P + Q)
        return float(0.5 * np.sum(sc.rel_entr(P, M)) + 0.5 * np.sum(sc.rel_entr(Q, M)))
    if name == "total_variation":
        return float(0.5 * np.sum(np.abs(P - Q)))
    bc = float(np.sum(np.where(both, np.exp(0.5 * (lp0 + lq0)), 0.0)))
    if name == "bhattacharyya":
        return -math.log(bc) if bc > 0 else math.inf
    if name == "hellinger":
        return math.sqrt(max(1 - bc, 0.0))
    if name == "chi2":
        if p_only:
            return math.inf
        log_terms = np.where(both, 2 * lp0 - lq0, -np.inf)
        return math.inf if diverges(log_terms) else float(np.expm1(sc.logsumexp(log_terms)))
    assert name == "renyi"
    if alpha == 0:
        mass = float(np.sum(Q[on_p]))
        return -math.log(mass) if mass > 0 else math.inf
    if alpha == math.inf:
        ratio = np.where(both, lp0 - lq0, -np.inf)
        if p_only or (unbounded and ratio[-1] > ratio[-2]):  # still growing at the end
            return math.inf
        return float(np.max(ratio))
    if alpha > 1 and p_only:
        return math.inf
    log_terms = np.where(both, alpha * lp0 + (1 - alpha) * lq0, -np.inf)
    if not both.any() or (alpha > 1 and diverges(log_terms)):
        return math.inf
    return float(sc.logsumexp(log_terms) / (alpha - 1))


B, N, G, P, C = dv.Bernoulli, dv.Binomial, dv.Geometric, dv.Poisson, dv.Categorical
PAIRS = {
    "bern": (B(0.3), B(0.7)),
    "bern-0-half": (B(0.0), B(0.5)),
    "bern-half-0": (B(0.5), B(0.0)),
    "bern-1-3": (B(1.0), B(0.3)),
    "bern-0-1": (B(0.0), B(1.0)),
    "bern-1-1": (B(1.0), B(1.0)),
    "bern-small": (B(1e-3), B(0.02)),
    "binom-same": (N(10.0, 0.3), N(10.0, 0.6)),
    "binom-smaller": (N(7.0, 0.3), N(12.0, 0.6)),
    "binom-larger": (N(12.0, 0.3), N(7.0, 0.6)),
    "binom-larger-p0": (N(12.0, 0.0), N(7.0, 0.6)),
    "binom-larger-p1": (N(12.0, 1.0), N(7.0, 0.6)),
    "binom-q1": (N(5.0, 0.4), N(8.0, 1.0)),
    "binom-zero": (N(0.0, 0.4), N(5.0, 0.5)),
    "binom-same-edge": (N(6.0, 1.0), N(6.0, 0.5)),
    "geom": (G(0.3), G(0.1)),
    "geom-back": (G(0.1), G(0.3)),
    "geom-diverging": (G(0.2), G(0.6)),
    "geom-one": (G(1.0), G(0.4)),
    "geom-to-one": (G(0.4), G(1.0)),
    "poisson": (P(3.0), P(5.0)),
    "poisson-back": (P(5.0), P(3.0)),
    "poisson-far": (P(0.05), P(30.0)),
    "bern-poisson": (B(0.3), P(1.7)),
    "bern-0-poisson": (B(0.0), P(1.7)),
    "poisson-bern": (P(1.0), B(0.4)),
    "poisson-binom": (P(1.0), N(20.0, 0.4)),
    "cat": (C([0.1, 0.2, 0.7]), C([0.5, 0.3, 0.2])),
    "cat-zeros": (C([0.0, 0.4, 0.6]), C([0.5, 0.5, 0.0])),
}


def _closed(name: str, p: dv.Distribution, q: dv.Distribution, **kw: float) -> float | None:
    try:
        return float(getattr(dv, name)(p, q, method="closed_form", **kw))
    except dv.NotRegisteredError:
        return None


@pytest.mark.parametrize("name", MEASURES)
@pytest.mark.parametrize("pair", list(PAIRS), ids=list(PAIRS))
def test_against_direct_sum(pair: str, name: str) -> None:
    p, q = PAIRS[pair]
    got = _closed(name, p, q)
    if got is None:
        return
    want = reference(name, p, q)
    if math.isinf(want):
        assert got == math.inf
    else:
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("pair", list(PAIRS), ids=list(PAIRS))
def test_renyi_against_direct_sum(pair: str, alpha: float) -> None:
    p, q = PAIRS[pair]
    got = _closed("renyi", p, q, alpha=alpha)
    if got is None:
        return
    want = reference("renyi", p, q, alpha)
    if math.isinf(want):
        assert got == math.inf
    else:
        assert got == pytest.approx(want, rel=1e-11, abs=1e-14)


def test_registered_pairs() -> None:
    kl = set(dv.registered_pairs("kl"))
    for pair in [("Bernoulli", "Bernoulli"), ("Binomial", "Binomial"), ("Categorical", "Categorical"),
                 ("Geometric", "Geometric"), ("Poisson", "Poisson"), ("Bernoulli", "Poisson"),
                 ("Poisson", "Bernoulli"), ("Poisson", "Binomial")]:
        assert pair in kl
    for metric in REGISTRIES:
        assert ("Categorical", "Categorical") in dv.registered_pairs(metric)
    for fam in ("Bernoulli", "Binomial", "Geometric", "Poisson"):
        assert (fam, fam) in dv.registered_pairs("bhattacharyya")
        assert (fam, fam) in dv.registered_pairs("renyi")


def test_peer_values() -> None:
    # torch 2.13.0's torch.distributions.kl_divergence (Poisson, Binomial with the same n,
    # Geometric counting failures), each equal to the direct sum of its pmfs:
    # lam1 ln(lam1/lam2) + lam2 - lam1; n [p1 ln(p1/p2) + (1-p1) ln((1-p1)/(1-p2))];
    # ln(p1/p2) + ((1-p1)/p1) ln((1-p1)/(1-p2)).
    assert float(dv.kl(P(3.0), P(5.0))) == pytest.approx(0.4675231287, abs=1e-10)
    assert float(dv.kl(N(10.0, 0.3), N(10.0, 0.6))) == pytest.approx(1.8378689739, abs=1e-10)
    assert float(dv.kl(G(0.3), G(0.1))) == pytest.approx(0.5122119560, abs=1e-10)


def test_zero_one_conventions() -> None:
    assert float(dv.kl(B(0.0), B(0.5))) == pytest.approx(math.log(2), rel=1e-15)
    assert float(dv.kl(B(0.5), B(0.0))) == math.inf
    assert float(dv.kl(B(1.0), B(1.0))) == 0.0
    assert float(dv.kl(B(0.0), B(0.0))) == 0.0
    assert float(dv.bhattacharyya(B(0.0), B(1.0))) == math.inf
    assert float(dv.kl(N(4.0, 0.0), N(2.0, 0.5))) == pytest.approx(2 * math.log(2), rel=1e-15)


def _kl_mp(pmf_p, pmf_q, support) -> float:
    return float(mpmath.fsum(pmf_p(k) * mpmath.log(pmf_p(k) / pmf_q(k)) for k in support))


@pytest.mark.parametrize("eps", [1e-4, 1e-7, 1e-10])
@mpmath.workdps(40)  # (the parameters too: they were made at whatever precision the process had)
def test_nearly_equal_keeps_relative_accuracy(eps: float) -> None:
    mp = mpmath.mpf
    a, b = mp("0.3"), mp("0.3") * (1 + mp(eps))
    bern = _kl_mp(lambda k: a if k else 1 - a, lambda k: b if k else 1 - b, [0, 1])
    assert float(dv.kl(B(float(a)), B(float(b)))) == pytest.approx(bern, rel=1e-6)
    la, lb = mp(3), 3 * (1 + mp(eps))
    poisson = float(la * mpmath.log(la / lb) + lb - la)
    assert float(dv.kl(P(float(la)), P(float(lb)))) == pytest.approx(poisson, rel=1e-6)
    geom = float(mpmath.log(a / b) + (1 - a) / a * mpmath.log((1 - a) / (1 - b)))
    assert float(dv.kl(G(float(a)), G(float(b)))) == pytest.approx(geom, rel=1e-6)
    h2 = float(((mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 + (mpmath.sqrt(1 - a) - mpmath.sqrt(1 - b)) ** 2) / 2)
    assert float(dv.bhattacharyya(B(float(a)), B(float(b)))) == pytest.approx(-math.log1p(-h2), rel=1e-6)


BATCHED = [
    (lambda x: B(x([[0.0], [0.3], [1.0]])), lambda x: B(x([0.2, 0.7, 1.0, 0.0]))),
    (lambda x: N(x([[3.0], [6.0], [9.0]]), x([[0.4], [0.0], [1.0]])), lambda x: N(x([6.0, 4.0]), x([0.3, 0.8]))),
    (lambda x: G(x([[0.3], [1.0]])), lambda x: G(x([0.1, 0.5, 1.0]))),
    (lambda x: P(x([[0.5], [3.0]])), lambda x: P(x([3.0, 2.0, 7.0]))),
    (lambda x: C(x([[0.1, 0.2, 0.7], [0.0, 0.5, 0.5]])), lambda x: C(x([[[0.3, 0.3, 0.4]], [[0.2, 0.0, 0.8]]]))),
    (lambda x: B(x([0.1, 0.9])), lambda x: P(x([[0.5], [2.0]]))),
]


def _item(d: dv.Distribution, index: tuple[int, ...]) -> dv.Distribution:
    full = d.broadcast_to(d.batch_shape)
    return type(d)(**{k: np.asarray(v)[index] for k, v in full.params().items()})


@pytest.mark.parametrize("name", [*MEASURES, "renyi"])
@pytest.mark.parametrize("case", range(len(BATCHED)))
def test_batching_matches_a_loop(case: int, name: str) -> None:
    make_p, make_q = BATCHED[case]
    p, q = make_p(np.asarray), make_q(np.asarray)
    kw = {"alpha": 2.5} if name == "renyi" else {}
    if _closed(name, _item(p, (0,) * len(p.batch_shape)), _item(q, (0,) * len(q.batch_shape)), **kw) is None:
        return
    got = np.asarray(getattr(dv, name)(p, q, method="closed_form", **kw))
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    assert got.shape == shape
    pb, qb = p.broadcast_to(shape), q.broadcast_to(shape)
    for index in np.ndindex(*shape):
        one = float(getattr(dv, name)(_item(pb, index), _item(qb, index), method="closed_form", **kw))
        np.testing.assert_allclose(got[index], one, rtol=1e-13)


@pytest.mark.parametrize("case", range(len(BATCHED)))
def test_backends_agree(xp, case: int) -> None:
    make_p, make_q = BATCHED[case]
    p, q = make_p(np.asarray), make_q(np.asarray)
    is_jax = "jax" in xp.__name__
    for name, kw in [("kl", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 0.3})]:
        try:
            want = np.asarray(getattr(dv, name)(p, q, method="closed_form", **kw))
        except dv.NotRegisteredError:
            continue

        def f(*arrays, name=name, kw=kw):
            it = iter(arrays)
            p_x, q_x = make_p(lambda _: next(it)), make_q(lambda _: next(it))
            return getattr(dv, name)(p_x, q_x, **kw)

        arrays = [xp.asarray(v, dtype=xp.float64) for d in (p, q) for v in d.params().values()]
        if is_jax:  # eager JAX compiles every small op once per shape; one jit is much faster
            import jax

            got = to_numpy(jax.jit(f)(*arrays))
            # Under jit, Binomial counts cannot be read: elements with different counts that
            # need the finite sum are NaN (see test_jit_with_different_counts_is_nan_not_wrong).
            want = np.where(np.isnan(got) & isinstance(p, dv.Binomial), np.nan, want)
            np.testing.assert_allclose(got, want, rtol=1e-12)
            continue
        got = f(*arrays)
        if xp is not np:
            assert type(got) is type(arrays[0])
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-12)


GRAD_PAIRS = [
    ("bern", lambda t: B(t), lambda t: B(t.detach()), 0.3),
    ("binom", lambda t: N(8.0, t), lambda t: N(8.0, t.detach()), 0.3),
    ("binom-counts", lambda t: N(5.0, t), lambda t: N(9.0, t.detach() + 0.1), 0.3),
    ("geom", lambda t: G(t), lambda t: G(t.detach()), 0.3),
    ("poisson", lambda t: P(t), lambda t: P(t.detach()), 2.0),
    ("cat", lambda t: C(t * 0 + 1 / 3), lambda t: C(t.detach() * 0 + 1 / 3), 0.3),
]


@pytest.mark.parametrize("name", [*MEASURES, "renyi"])
@pytest.mark.parametrize("label,make_p,make_q,value", GRAD_PAIRS, ids=[g[0] for g in GRAD_PAIRS])
def test_torch_gradient_finite_at_equality(label, make_p, make_q, value, name) -> None:
    torch = pytest.importorskip("torch")
    param = torch.full((3,) if label == "cat" else (), value, dtype=torch.float64, requires_grad=True)
    p, q = make_p(param), make_q(param)
    kw = {"alpha": 2.5} if name == "renyi" else {}
    try:
        out = getattr(dv, name)(p, q, method="closed_form", **kw)
    except dv.NotRegisteredError:
        return
    assert isinstance(out, torch.Tensor)
    out.sum().backward()
    assert torch.isfinite(param.grad).all()


@pytest.mark.parametrize("name", ["kl", "js", "bhattacharyya", "renyi", "cross_entropy"])
@pytest.mark.parametrize("a,b", [(0.0, 0.5), (1.0, 0.5), (0.0, 0.0), (1.0, 1.0), (0.3, 0.3)])
def test_torch_gradient_finite_at_the_edges(a: float, b: float, name: str) -> None:
    torch = pytest.importorskip("torch")
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    kw = {"alpha": 0.3} if name == "renyi" else {}
    out = getattr(dv, name)(B(ta), B(tb), **kw)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(ta.grad) and torch.isfinite(tb.grad)
    out = dv.kl(B(ta), P(tb + 1.0))
    ta.grad = None
    out.backward()
    assert torch.isfinite(ta.grad)


def test_torch_gradient_matches_finite_differences() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.3, 2.0, 0.25], dtype=torch.float64, requires_grad=True)

    def f(x):
        return (dv.kl(B(x[0]), B(0.6)) + dv.kl(P(x[1]), P(3.0)) + dv.kl(G(x[2]), G(0.5))
                + dv.kl(N(5.0, x[0]), N(7.0, 0.5)) + dv.bhattacharyya(G(x[2]), G(0.1)))

    assert torch.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize("pair", ["bern", "binom-same", "binom-smaller", "geom", "poisson", "cat", "bern-poisson"])
def test_float32_stays_float32(pair: str) -> None:
    p, q = PAIRS[pair]
    p32 = type(p)(**{k: np.asarray(v, dtype=np.float32) for k, v in p.params().items()})
    q32 = type(q)(**{k: np.asarray(v, dtype=np.float32) for k, v in q.params().items()})
    for name, kw in [("kl", {}), ("bhattacharyya", {}), ("renyi", {"alpha": 2.5})]:
        try:
            got = getattr(dv, name)(p32, q32, method="closed_form", **kw)
        except dv.NotRegisteredError:
            continue
        assert got.dtype == np.float32
        assert float(got) == pytest.approx(float(getattr(dv, name)(p, q, **kw)), rel=1e-4)


def test_jit_with_different_counts_is_nan_not_wrong() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    @jax.jit
    def f(a, b):
        return dv.kl(N(jnp.asarray([7.0, 10.0, 12.0]), a), N(jnp.asarray([12.0, 10.0, 7.0]), b))

    out = np.asarray(f(jnp.asarray(0.3), jnp.asarray(0.6)))
    assert math.isnan(out[0]) and out[2] == math.inf
    assert out[1] == pytest.approx(reference("kl", N(10.0, 0.3), N(10.0, 0.6)), rel=1e-12)
    eager = float(dv.kl(N(7.0, 0.3), N(12.0, 0.6)))
    assert eager == pytest.approx(reference("kl", N(7.0, 0.3), N(12.0, 0.6)), rel=1e-12)


def _categorical_kl(a: np.ndarray, b: np.ndarray) -> float:
    """KL of two probability vectors by mpmath at 60 digits (inf where ``b`` misses ``a``'s mass)."""
    if any(y == 0 < x for x, y in zip(a, b, strict=True)):
        return math.inf
    with mpmath.workdps(60):
        return float(mpmath.fsum(mpmath.mpf(x) * mpmath.log(mpmath.mpf(x) / mpmath.mpf(y))
                                 for x, y in zip(a, b, strict=True) if x > 0))


def test_categorical_batches_of_new_laws_and_of_laws_met_before_against_mpmath() -> None:
    """Two new Categorical laws take one logarithm of the ratio per event; a law whose
    logarithms are kept (met before) their difference: both within 1.2e-13 of mpmath, near
    p = q, with zeros and with a ratio beyond the range of doubles."""
    rng = np.random.default_rng(21)
    p = rng.dirichlet(np.full(8, 0.7), size=60)
    steps = np.repeat([0.0, 1e-13, 1e-6, 1e-4, 0.05, 1.0], 10)[:, None]
    q = p * np.exp(steps * rng.normal(size=p.shape))
    q /= q.sum(axis=1, keepdims=True)
    q[:10] = p[:10]  # equal laws: exactly 0
    p[3, :2], q[4, 0] = [0.0, p[3, 0] + p[3, 1]], 0.0  # a zero in p (finite), in q (infinite)
    q[4] /= q[4].sum()
    p[5], q[5] = [0.5, 0.5] + [0.0] * 6, [1.0 - 1e-300, 1e-300] + [0.0] * 6  # p / q overflows in one event

    expected = np.array([_categorical_kl(a, b) for a, b in zip(p, q, strict=True)])
    new = np.asarray(dv.kl(dv.Categorical(p), dv.Categorical(q)))
    met = dv.Categorical(p)
    met.log_probs()
    kept = np.asarray(dv.kl(met, dv.Categorical(q)))
    pair = dv.Categorical(p), dv.Categorical(q)
    first = np.asarray(dv.kl(*pair))  # by the ratio; the laws are marked as met
    assert "_log_probs" not in pair[0].__dict__
    again = np.asarray(dv.kl(*pair))  # met before: the logarithms, kept from now on
    assert "_log_probs" in pair[0].__dict__ and "_log_probs" in pair[1].__dict__
    # Below 1e-10 the value is of the order of the sums' own rounding (sum p - sum q, up to
    # 1e-16: the plain sum of the given numbers may even be negative): checked absolutely there.
    large = np.isfinite(expected) & (expected > 1e-10)
    for got in (new, kept, first, again):
        assert np.array_equal(np.isfinite(got), np.isfinite(expected))
        rel = np.abs(got[large] - expected[large]) / expected[large]
        assert rel.max() <= 1.2e-13, (rel.max(), int(np.argmax(rel)))
        small = np.isfinite(expected) & ~large
        assert np.abs(got[small] - expected[small]).max() <= 4e-16
    assert expected[4] == math.inf and new[0] == 0.0


@pytest.mark.parametrize("block", [None, 16])
def test_categorical_rows_near_each_other_take_the_series_against_mpmath(block: int | None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch whose first rows are near each other (a model's predictions against its last
    ones) goes whole to the in-place relative entropies (``_kl_rows``: the series alone where
    every row is near, the plain form and patches elsewhere): near rows, rows apart, zeros,
    all within 1.2e-13 of mpmath (absolutely 4e-16 below 1e-10, the sums' own rounding)."""
    from divergences.distributions import _closed_categorical, _host

    if block is not None:  # the relative entropies in blocks (_host.blockwise)
        monkeypatch.setattr(_host, "_BLOCK", block)
    rng = np.random.default_rng(31)
    p = rng.dirichlet(np.full(12, 0.8), size=80)
    steps = np.concatenate([np.full(40, 1e-4), np.repeat([0.0, 1e-13, 1e-8, 1e-3, 0.05, 0.3, 1.0, 3.0], 5)])[:, None]
    q = p * np.exp(steps * rng.normal(size=p.shape))
    q /= q.sum(axis=1, keepdims=True)
    p[70, :2], q[71, 0] = [0.0, p[70, 0] + p[70, 1]], 0.0  # a zero in p (finite), in q (infinite)
    q[71] /= q[71].sum()

    calls: list[int] = []
    original = _closed_categorical._kl_rows

    def spy(a: np.ndarray, b: np.ndarray, xp: object) -> np.ndarray:
        calls.append(a.shape[0])
        return original(a, b, xp)

    with mock.patch.object(_closed_categorical, "_kl_rows", spy):
        everything = np.asarray(dv.kl(dv.Categorical(p), dv.Categorical(q)))
        near_only = np.asarray(dv.kl(dv.Categorical(p[:40]), dv.Categorical(q[:40])))
    assert calls == [80, 40]  # each batch whole, from the first rows' test
    expected = np.array([_categorical_kl(a, b) for a, b in zip(p, q, strict=True)])
    for got, want in ((everything, expected), (near_only, expected[:40])):
        assert np.array_equal(np.isfinite(got), np.isfinite(want))
        large = np.isfinite(want) & (want > 1e-10)
        rel = np.abs(got[large] - want[large]) / want[large]
        assert rel.max() <= 1.2e-13, (rel.max(), int(np.argmax(rel)))
        small = np.isfinite(want) & ~large
        assert np.all(np.abs(got[small] - want[small]) <= 4e-16)


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_binomial_counts_differ_q_beyond_the_grid(alpha: float) -> None:
    # q's mass beyond p's count enters the Renyi sum as its total: taken as 1 less q's masses
    # up to there, its rounding (1e-16) was 1e-11 of the divergence (Binomial(1, 1e-6)
    # against Binomial(7, 1e-6): 2.3e-11 relative off at order 1/2); now its incomplete beta
    with mpmath.workdps(50):
        a, b, s = mpmath.mpf(1e-6), mpmath.mpf(1e-6), mpmath.mpf(alpha)

        def mass(n: int, x: mpmath.mpf, k: int) -> mpmath.mpf:
            return mpmath.binomial(n, k) * x**k * (1 - x) ** (n - k)

        affinity = mpmath.fsum(mass(1, a, k) ** s * mass(7, b, k) ** (1 - s) for k in range(2))
        exact = float(mpmath.log(affinity) / (s - 1))
    assert float(dv.renyi(N(1.0, 1e-6), N(7.0, 1e-6), alpha)) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize(("n", "x"), [(7, 1e-6), (1000, 1e-6), (1000, 0.3), (10**6, 0.5), (10**6, 1e-9),
                                      (50, 1 - 1e-9), (12, 0.07)])
def test_binomial_log_mass_is_exact(n: int, x: float) -> None:
    # The sums over Binomials with different counts take each log-mass by Loader's form: log
    # Gamma's binomial coefficient lost k log k's rounding (1.0e-12 of a Renyi divergence of
    # Binomial(1000, 1e-6) against Binomial(1, 1e-6)), and a mean k - (k - n x) lost 1e-11
    # of itself at k = 1 where n x = 7e-6.
    k = np.unique(np.clip(np.round(n * x + np.array([-40, -3, -1, 0, 1, 2, 5, 30]) * math.sqrt(n * x * (1 - x) + 1)),
                          0, n))
    k = np.union1d(k, [0.0, 1.0, 2.0, float(n)])
    got, positive = _closed_discrete._binomial_log_pmf(np.array([[float(n)]]), np.array([[x]]), k, np)
    assert positive.all()
    with mpmath.workdps(60):
        for value, kk in zip(got[0], k.astype(int), strict=True):
            exact = mpmath.log(mpmath.binomial(n, kk)) + kk * mpmath.log(x) + (n - kk) * mpmath.log1p(-mpmath.mpf(x))
            # (below 12, Stirling's remainder is a difference of terms up to 25: 1e-15 absolute)
            assert abs(value - exact) <= 2e-15 * max(1.0, abs(float(exact))), (kk, value, float(exact))


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_binomial_counts_differ_large_count(alpha: float) -> None:
    with mpmath.workdps(50):
        x, s = mpmath.mpf(1e-6), mpmath.mpf(alpha)
        affinity = mpmath.fsum((mpmath.binomial(1000, k) * x**k * (1 - x) ** (1000 - k)) ** s
                               * (x**k * (1 - x) ** (1 - k)) ** (1 - s) for k in range(2))
        exact = float(mpmath.log(affinity) / (s - 1))
    assert float(dv.renyi(N(1000.0, 1e-6), N(1.0, 1e-6), alpha)) == pytest.approx(exact, rel=2e-15)
