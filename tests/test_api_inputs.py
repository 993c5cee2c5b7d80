"""Inputs users tried (issue 14), each with the answer it must get: a correct value, or an
``InvalidInputError`` (or another ``DivergenceError``) whose message names the argument and the
problem, never a raw error from deep inside. One table per kind of input."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.stats as st

import divergences as dv
from divergences.distributions import REGISTRIES

try:
    import torch
except ImportError:  # pragma: no cover - torch is a test dependency where installed
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]


class Error:
    """An expected error: its class and a regular expression its message must match."""

    def __init__(self, match: str, kind: type[Exception] = dv.InvalidInputError) -> None:
        self.match, self.kind = match, kind


def check(call: Callable[[], Any], expected: Any) -> None:
    """``call()`` gives ``expected``: an :class:`Error`, or a checker of the value."""
    if isinstance(expected, Error):
        with pytest.raises(expected.kind, match=expected.match):
            call()
    else:
        expected(call())


def close_to(value: float, rel: float = 1e-9) -> Callable[[Any], None]:
    def checker(got: Any) -> None:
        assert float(got) == pytest.approx(value, rel=rel, abs=1e-300)

    return checker


def empty(shape: tuple[int, ...], dtype: Any = np.float64, kind: type = np.ndarray) -> Callable[[Any], None]:
    def checker(got: Any) -> None:
        assert isinstance(got, kind) and tuple(got.shape) == shape and got.dtype == dtype

    return checker


# --------------------------------------------------------------------------- 1. torch: meta, half


def _t(values: Any, **kw: Any) -> Any:
    return torch.tensor(values, **kw)


META = [
    ("kl p", lambda: dv.kl(_t(P, device="meta"), _t(Q, device="meta")),
     Error(r"p is a torch tensor on the 'meta' device.*needs the values")),
    ("kl q", lambda: dv.kl(P, _t(Q, device="meta")), Error(r"q is a torch tensor on the 'meta' device")),
    ("entropy", lambda: dv.entropy(_t(P, device="meta"), validate=False),
     Error(r"p is a torch tensor on the 'meta' device")),
    ("pairwise", lambda: dv.pairwise(_t([P], device="meta")), Error(r"P is a torch tensor on the 'meta' device")),
    ("Normal", lambda: dv.kl(dv.Normal(_t(0.0, device="meta"), 1.0), dv.Normal(1.0, 2.0)),
     Error(r"Normal loc is a torch tensor on the 'meta' device")),
]


@needs_torch
@pytest.mark.parametrize("call, expected", [c[1:] for c in META], ids=[c[0] for c in META])
def test_meta_tensors_are_refused(call, expected):
    check(call, expected)


HALF_MEASURES = [("kl", {}), ("js", {}), ("hellinger", {}), ("total_variation", {}), ("renyi", {"alpha": 0.5}),
                 ("cross_entropy", {}), ("chi2", {})]


@needs_torch
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name, options", HALF_MEASURES, ids=[m[0] for m in HALF_MEASURES])
def test_half_precision_is_computed_in_float32_and_returned_in_its_dtype(dtype, name, options):
    half = getattr(torch, dtype)
    p, q = _t([P, Q], dtype=half), _t(Q, dtype=half)
    got = getattr(dv, name)(p, q, **options)
    assert got.dtype == half and tuple(got.shape) == (2,)
    # The exact value of the rounded inputs (computed in float64), then rounded once.
    exact = getattr(dv, name)(p.double().numpy(), q.double().numpy(), validate=False, **options)
    rel = 2 ** -7 if dtype == "bfloat16" else 2 ** -10
    np.testing.assert_allclose(got.double().numpy(), exact, rtol=rel, atol=1e-3 * rel)


HALF_CASES = [
    ("entropy", lambda: dv.entropy(_t(P, dtype=torch.bfloat16)),
     lambda v: (v.dtype == torch.bfloat16) and close_to(dv.entropy(_t(P, dtype=torch.bfloat16).double().numpy(),
                                                                       validate=False), 2 ** -7)(v)),
    ("pairwise", lambda: dv.pairwise(_t([P, Q], dtype=torch.bfloat16), metric="js"),
     lambda v: v.dtype == torch.bfloat16 and tuple(v.shape) == (2, 2) and float(v[0, 0]) == 0.0),
    ("sum checked at bfloat16's tolerance",
     lambda: dv.kl(_t([0.2, 0.4, 0.5], dtype=torch.bfloat16), _t(Q, dtype=torch.bfloat16)),
     Error(r"p sums to 1\.1.*tolerance 8\.8e-02")),
    ("negative", lambda: dv.kl(_t(P, dtype=torch.bfloat16), _t([0.9, -0.1, 0.2], dtype=torch.bfloat16)),
     Error(r"q has negative entries")),
    ("nan", lambda: dv.kl(_t([0.5, math.nan, 0.5], dtype=torch.bfloat16), _t(Q, dtype=torch.bfloat16)),
     Error(r"p contains NaN")),
    ("normalize", lambda: dv.kl(_t([1.0, 4.0, 5.0], dtype=torch.bfloat16), _t([8.0, 1.5, 0.5], dtype=torch.bfloat16),
                                normalize=True),
     lambda v: v.dtype == torch.bfloat16 and close_to(float(dv.kl(P, Q)), 2 ** -7)(v)),
    ("distribution parameters", lambda: dv.kl(dv.Normal(_t(0.0, dtype=torch.bfloat16), 1.0), dv.Normal(1.0, 2.0)),
     lambda v: v.dtype == torch.bfloat16 and close_to(math.log(2) + 2 / 8 - 0.5, 2 ** -6)(v)),
]


@needs_torch
@pytest.mark.parametrize("call, expected", [c[1:] for c in HALF_CASES], ids=[c[0] for c in HALF_CASES])
def test_bfloat16_inputs(call, expected):
    if isinstance(expected, Error):
        check(call, expected)
    else:
        assert expected(call()) is not False


@needs_torch
def test_bfloat16_gradient_flows():
    p = _t(P, dtype=torch.bfloat16, requires_grad=True)
    dv.kl(p, _t(Q, dtype=torch.bfloat16)).backward()
    assert p.grad is not None and p.grad.dtype == torch.bfloat16 and torch.isfinite(p.grad).all()


@needs_torch
def test_lists_beside_float64_tensors_keep_their_digits():
    """A list or Python number given beside a float64 tensor is made at float64 (torch's default
    float is float32: kl(tensor, list) was 2.2e-8 off), in every front door."""
    p64 = torch.tensor([0.1, 0.2, 0.7], dtype=torch.float64)
    q = [0.3, 0.3, 0.4]
    exact = float(dv.kl(p64.numpy(), np.array(q)))
    assert float(dv.kl(p64, q)) == pytest.approx(exact, rel=1e-15)
    assert float(dv.pairwise(p64[None], [q])[0, 0]) == pytest.approx(exact, rel=1e-15)
    P = torch.tensor([[0.9, 0.1], [0.3, 0.7]], dtype=torch.float64)
    Q, pi = [[0.8, 0.2], [0.4, 0.6]], [0.75, 0.25]
    rate = float(dv.markov.kl_rate(P.numpy(), np.array(Q), pi=np.array(pi)))
    assert float(dv.markov.kl_rate(P, Q, pi=pi)) == pytest.approx(rate, rel=1e-15)
    assert float(dv.markov.kl_rate(Q, P)) == pytest.approx(float(dv.markov.kl_rate(np.array(Q), P.numpy())), rel=1e-15)
    # float32 stays float32: the list rounds once, to it
    assert dv.kl(p64.float(), q).dtype == torch.float32


# --------------------------------------------------------------------------- 2. batch and event shapes

MVN2 = dv.MultivariateNormal(np.zeros(2), np.eye(2))
MVN3 = dv.MultivariateNormal(np.zeros(3), np.eye(3))

SHAPES = [
    ("Normal batches", lambda: dv.kl(dv.Normal([0, 1, 2], 1), dv.Normal([0, 1], 1)),
     Error(r"the batch shapes of p \(Normal\), \(3,\), and of q \(Normal\), \(2,\), do not broadcast")),
    ("numerical route", lambda: dv.kl(dv.StudentT(3.0, [0.0, 1.0, 2.0]), dv.Normal([0.0, 1.0], 1.0)),
     Error(r"batch shapes of p \(StudentT\), \(3,\), and of q \(Normal\), \(2,\)")),
    ("MVN batches", lambda: dv.kl(dv.MultivariateNormal(np.zeros((3, 2)), np.eye(2)),
                                  dv.MultivariateNormal(np.zeros((2, 2)), np.eye(2))),
     Error(r"batch shapes of p \(MultivariateNormal\), \(3,\), and of q \(MultivariateNormal\), \(2,\)")),
    ("MVN dimensions", lambda: dv.kl(MVN2, MVN3),
     Error(r"p \(MultivariateNormal\) and q \(MultivariateNormal\) have outcomes of different shapes: "
           r"event shapes \(2,\) and \(3,\)")),
    ("DiagonalNormal vs MVN", lambda: dv.kl(dv.DiagonalNormal(np.zeros(3), np.ones(3)), MVN2),
     Error(r"event shapes \(3,\) and \(2,\)")),
    ("Normal vs MVN", lambda: dv.kl(dv.Normal(0.0, 1.0), MVN2), Error(r"event shapes \(\) and \(2,\)")),
    ("Dirichlet", lambda: dv.kl(dv.Dirichlet([1.0, 2.0]), dv.Dirichlet([1.0, 2.0, 3.0])),
     Error(r"event shapes \(2,\) and \(3,\)")),
    ("Categorical", lambda: dv.kl(dv.Categorical([0.5, 0.5]), dv.Categorical([0.2, 0.3, 0.5])),
     Error(r"p \(Categorical\) and q \(Categorical\) have probs of different event shapes, \(2,\) and \(3,\)")),
    ("scipy MVN", lambda: dv.kl(MVN2, st.multivariate_normal(np.zeros(3), np.eye(3))),
     Error(r"event shapes \(2,\) and \(3,\)")),
    ("broadcasting batches", lambda: dv.kl(dv.Normal([[0.0], [1.0]], 1.0), dv.Normal([0.0, 1.0, 2.0], 1.0)),
     lambda v: np.testing.assert_allclose(v, [[0.0, 0.5, 2.0], [0.5, 0.0, 0.5]])),
    ("same dimension", lambda: dv.kl(MVN2, dv.MultivariateNormal(np.ones(2), np.eye(2))), close_to(1.0)),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_distribution_shapes(call, expected):
    check(call, expected)


# --------------------------------------------------------------------------- 3. empty batches

EMPTY = [
    ("kl (0, 3)", lambda: dv.kl(np.zeros((0, 3)), np.zeros((0, 3))), empty((0,))),
    ("broadcast, keepdims", lambda: dv.js(np.zeros((2, 0, 3)), np.zeros((0, 3)), keepdims=True), empty((2, 0, 1))),
    ("against one distribution", lambda: dv.kl(np.zeros((0, 3)), Q), empty((0,))),
    ("float32", lambda: dv.hellinger(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)),
     empty((0,), np.float32)),
    ("events on axis 0", lambda: dv.entropy(np.zeros((3, 0)), axis=0), empty((0,))),
    ("renyi", lambda: dv.renyi(np.zeros((0, 3)), np.zeros((0, 3)), 0.5), empty((0,))),
    ("empty event axis", lambda: dv.kl(np.zeros((2, 0)), np.zeros((2, 0))),
     Error(r"p has an empty axis of events \(length 0\): a distribution needs at least one event")),
    ("axis=None flattens to no events", lambda: dv.kl(np.zeros((0, 3)), np.zeros((0, 3)), axis=None),
     Error(r"p has an empty axis of events")),
    ("event axis 0 empty", lambda: dv.kl(np.zeros((0, 3)), np.zeros((0, 3)), axis=0),
     Error(r"p has an empty axis of events")),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in EMPTY], ids=[c[0] for c in EMPTY])
def test_empty_batches_give_empty_results(call, expected):
    check(call, expected)


@needs_torch
def test_empty_batch_on_torch():
    got = dv.kl(torch.zeros(0, 3, dtype=torch.float64), torch.zeros(0, 3, dtype=torch.float64))
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (0,) and got.dtype == torch.float64
    assert dv.kl(torch.zeros(0, 3, dtype=torch.bfloat16), torch.zeros(3)).dtype == torch.float32


def test_empty_batch_on_dask():
    da = pytest.importorskip("dask.array")
    got = dv.kl(da.zeros((0, 3), chunks=(2, 3)), da.zeros((0, 3), chunks=(2, 3)))
    assert got.compute().shape == (0,)


# --------------------------------------------------------------------------- 4. unfrozen SciPy families

SCIPY = [
    ("norm, norm", lambda: dv.kl(st.norm, st.norm),
     Error(r"p is scipy\.stats\.norm, a family of distributions, not one distribution: freeze it with its "
           r"parameters first \(e\.g\. scipy\.stats\.norm\(0, 1\), not scipy\.stats\.norm\)")),
    ("q unfrozen", lambda: dv.kl(dv.Normal(0.0, 1.0), st.gamma), Error(r"q is scipy\.stats\.gamma, a family")),
    ("discrete", lambda: dv.kl(st.poisson, dv.Poisson(3.0)), Error(r"p is scipy\.stats\.poisson, a family")),
    ("multivariate", lambda: dv.kl(st.multivariate_normal, MVN2),
     Error(r"p is scipy\.stats\.multivariate_normal, a family")),
    ("entropy", lambda: dv.entropy(st.norm), Error(r"p is scipy\.stats\.norm, a family")),
    ("estimate", lambda: dv.estimate.kl(np.linspace(-2, 2, 50), st.norm), Error(r"y is scipy\.stats\.norm, a family")),
    ("frozen works", lambda: dv.kl(st.norm(0, 1), st.norm(1, 1)), close_to(0.5)),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in SCIPY], ids=[c[0] for c in SCIPY])
def test_unfrozen_scipy_families(call, expected):
    check(call, expected)


# --------------------------------------------------------------------------- 5. pandas labels


class _Index(list):
    """Just enough of ``pandas.Index``: ``equals`` compares labels in order."""

    def equals(self, other: object) -> bool:
        return list(self) == list(other)  # type: ignore[call-overload]


class _Labelled:
    """Just enough of a pandas Series or DataFrame (its module name, ``axes``, ``__array__``),
    so that the check runs where pandas is not installed."""

    __module__ = "pandas.core.frame"

    def __init__(self, values: Any, *axes: list[Any]) -> None:
        self._values = np.asarray(values, dtype=float)
        self.axes = [_Index(a) for a in axes]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._values


KL_PQ = float(dv.kl([0.2, 0.8], [0.8, 0.2]))
ALIGN = r"values are read by position, not by label; align them first \(e\.g\. p, q = p\.align\(q, fill_value=0\)\)"

LABELS = [
    ("same index", lambda: dv.kl(_Labelled([0.2, 0.8], ["a", "b"]), _Labelled([0.8, 0.2], ["a", "b"])),
     close_to(KL_PQ)),
    ("different index", lambda: dv.kl(_Labelled([0.2, 0.8], ["a", "b"]), _Labelled([0.8, 0.2], ["b", "a"])),
     Error(r"p and q are pandas objects with different index \(p \['a', 'b'\]; q \['b', 'a'\]\): " + ALIGN)),
    ("different columns",
     lambda: dv.kl(_Labelled([[0.2, 0.8]], [0], ["a", "b"]), _Labelled([[0.8, 0.2]], [0], ["b", "a"])),
     Error(r"p and q are pandas objects with different columns")),
    ("different row index",
     lambda: dv.kl(_Labelled([[0.2, 0.8]], [0], ["a", "b"]), _Labelled([[0.8, 0.2]], [1], ["a", "b"])),
     Error(r"p and q are pandas objects with different index \(p \[0\]; q \[1\]\)")),
    ("Series against DataFrame",
     lambda: dv.kl(_Labelled([0.2, 0.8], ["a", "b"]), _Labelled([[0.8, 0.2]], [0], ["b", "a"])),
     Error(r"with different event labels")),
    ("one side labelled", lambda: dv.kl(_Labelled([0.2, 0.8], ["a", "b"]), np.array([0.8, 0.2])), close_to(KL_PQ)),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in LABELS], ids=[c[0] for c in LABELS])
def test_pandas_labels(call, expected):
    check(call, expected)


def test_real_pandas_series():
    pd = pytest.importorskip("pandas")
    p, q = pd.Series([0.2, 0.8], index=["a", "b"]), pd.Series([0.8, 0.2], index=["b", "a"])
    with pytest.raises(dv.InvalidInputError, match="p and q are pandas objects with different index"):
        dv.kl(p, q)
    assert dv.kl(*p.align(q, fill_value=0)) == pytest.approx(0.0)
    assert dv.kl(p, q.reindex(p.index)) == pytest.approx(0.0)


# --------------------------------------------------------------------------- 6. a family of one's own


class MyFamily:
    """A user's own family: not a ``dv.Distribution``, only a parameter."""

    def __init__(self, loc: Any) -> None:
        self.loc = loc


@pytest.fixture
def registered():
    """MyFamily's KL against a Normal (a unit-variance Normal in disguise), registered for the test."""

    @dv.register_kl(MyFamily, dv.Normal)
    def _(p, q, *, xp):
        return xp.log(q.scale) + (1 + (p.loc - q.loc) ** 2) / (2 * q.scale**2) - 0.5

    yield
    REGISTRIES["kl"]._unregister(MyFamily, dv.Normal)


def test_readme_registration_works_as_written():
    @dv.register_kl(MyFamily, dv.Normal)  # add your own closed form
    def _(p, q, *, xp): ...

    try:
        assert ("MyFamily", "Normal") in dv.registered_pairs("kl")
    finally:
        REGISTRIES["kl"]._unregister(MyFamily, dv.Normal)
    assert ("MyFamily", "Normal") not in dv.registered_pairs("kl")
    with pytest.raises(dv.InvalidInputError, match="p is a MyFamily, not a distribution object"):
        dv.kl(MyFamily(0.0), dv.Normal(0.0, 1.0))


KL_1_2 = math.log(2.0) + (1 + 1) / 8 - 0.5  # KL(N(1, 1) || N(0, 2^2))
NOT_A_DISTRIBUTION = r"MyFamily is not a divergences\.Distribution, so only registered closed forms apply to it"

OWN = [
    ("kl", lambda: dv.kl(MyFamily(1.0), dv.Normal(0.0, 2.0)), close_to(KL_1_2)),
    ("base 2, return_error",
     lambda: dv.kl(MyFamily(np.float64(1.0)), dv.Normal(0.0, 2.0), base=2, return_error=True),
     lambda v: close_to(KL_1_2 / math.log(2))(v[0]) or close_to(0.0)(v[1])),
    ("batched", lambda: dv.kl(MyFamily(np.array([1.0, 2.0])), dv.Normal(np.zeros((3, 1)), 1.0)),
     lambda v: np.testing.assert_allclose(v, np.broadcast_to([0.5, 2.0], (3, 2)))),
    ("SciPy partner", lambda: dv.kl(MyFamily(1.0), st.norm(0, 2)), close_to(KL_1_2)),
    ("derived Renyi of order 1", lambda: dv.renyi(MyFamily(1.0), dv.Normal(0.0, 2.0), 1.0), close_to(KL_1_2)),
    ("closed_form forced", lambda: dv.kl(MyFamily(1.0), dv.Normal(0.0, 2.0), method="closed_form"), close_to(KL_1_2)),
    ("numerical forced", lambda: dv.kl(MyFamily(1.0), dv.Normal(0.0, 2.0), method="quadrature"),
     Error(r"kl\(MyFamily, Normal\): method='quadrature' is not available: " + NOT_A_DISTRIBUTION
           + r"; the numerical routes need log_prob and sample", dv.NotRegisteredError)),
    ("reversed pair", lambda: dv.kl(dv.Normal(0.0, 2.0), MyFamily(1.0)),
     Error(r"kl\(Normal, MyFamily\): no closed form is registered and " + NOT_A_DISTRIBUTION, dv.NotRegisteredError)),
    ("another measure", lambda: dv.hellinger(MyFamily(1.0), dv.Normal(0.0, 2.0)),
     Error(r"hellinger\(MyFamily, Normal\): no closed form is registered", dv.NotRegisteredError)),
    ("entropy", lambda: dv.entropy(MyFamily(1.0)),
     Error(r"entropy\(MyFamily\): no closed form", dv.NotRegisteredError)),
    ("estimate", lambda: dv.estimate.kl(np.linspace(-2, 2, 50), MyFamily(1.0)),
     Error(r"y is a MyFamily, a class with registered closed forms but not a divergences\.Distribution")),
    ("array options", lambda: dv.kl(MyFamily(1.0), dv.Normal(0.0, 2.0), normalize=True),
     Error(r"apply to probability vectors, not to distribution objects")),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in OWN], ids=[c[0] for c in OWN])
def test_registered_class_of_ones_own(registered, call, expected):
    check(call, expected)


@needs_torch
def test_registered_class_of_ones_own_on_torch(registered):
    loc = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    value = dv.kl(MyFamily(loc), dv.Normal(torch.tensor(0.0, dtype=torch.float64), 2.0))
    value.backward()
    assert float(value.detach()) == pytest.approx(KL_1_2) and float(loc.grad) == pytest.approx(1.0 / 4)


REGISTER = [
    ("an instance", lambda: dv.register_kl(MyFamily(0.0), dv.Normal),
     Error(r"type_p must be a subclass of divergences\.Distribution or a class of your own, got <")),
    ("object", lambda: dv.register_kl(dv.Normal, object),
     Error(r"type_q .* not object: its instances are read as numbers or arrays")),
    ("float", lambda: dv.register("js", float, dv.Normal), Error(r"type_p .* not float")),
    ("ndarray", lambda: dv.register("js", np.ndarray, dv.Normal), Error(r"type_p .* not ndarray")),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in REGISTER], ids=[c[0] for c in REGISTER])
def test_registration_guards(call, expected):
    check(call, expected)


# --------------------------------------------------------------------------- 7. f must be convex

CONVEX = (r"f must be convex \(an f-divergence needs a convex f\), but f\(\(a \+ b\)/2\) = .* exceeds "
          r".*midpoint convexity is checked")

F_CASES = [
    ("np.log", lambda: dv.f_divergence(P, Q, f=np.log), Error(CONVEX + r".*from 1e-6 to 1e6")),
    ("sqrt(t) - 1", lambda: dv.f_divergence(P, Q, f=lambda t: np.sqrt(t) - 1), Error(CONVEX)),
    ("-(t - 1)^2", lambda: dv.f_divergence(P, Q, f=lambda t: -((t - 1) ** 2)), Error(CONVEX)),
    ("concave far out", lambda: dv.f_divergence(P, Q, f=lambda t: np.minimum((t - 1) ** 2, 1e6)), Error(CONVEX)),
    ("distributions", lambda: dv.f_divergence(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), np.log), Error(CONVEX)),
    ("pairwise", lambda: dv.pairwise([P], [Q], metric="f_divergence", f=np.log), Error(CONVEX)),
    ("NaN on the grid", lambda: dv.f_divergence(P, Q, f=lambda t: np.sqrt(t - 0.5) - np.sqrt(0.5)),
     Error(r"f must be defined for every ratio p/q > 0, got f\(1e-06\) = nan")),
    ("f(1) first", lambda: dv.f_divergence(P, Q, f=lambda t: t), Error(r"f must satisfy f\(1\) = 0")),
    ("t log t (KL)", lambda: dv.f_divergence(P, Q, lambda t: t * np.log(t)), close_to(float(dv.kl(P, Q)))),
    ("-log t (reverse KL)", lambda: dv.f_divergence(P, Q, lambda t: -np.log(t)), close_to(float(dv.kl(Q, P)))),
    ("|t - 1|/2 (total variation)", lambda: dv.f_divergence(P, Q, lambda t: np.abs(t - 1) / 2),
     close_to(float(dv.total_variation(P, Q)))),
    ("(t - 1)^2 (chi-square)", lambda: dv.f_divergence(P, Q, lambda t: (t - 1) ** 2), close_to(float(dv.chi2(P, Q)))),
    ("affine", lambda: dv.f_divergence(P, Q, lambda t: 3 * (t - 1)), lambda v: abs(float(v)) < 1e-15),
    ("steep power", lambda: dv.f_divergence(P, Q, lambda t: t**100 - 1), lambda v: float(v) > 0),
]


@pytest.mark.parametrize("call, expected", [c[1:] for c in F_CASES], ids=[c[0] for c in F_CASES])
def test_f_must_be_convex(call, expected):
    check(call, expected)
