"""Mathematical properties of the discrete divergences, checked with hypothesis.

Each property is an identity or inequality that holds for every pair (or triple) of
probability vectors, so it is an independent check of the values: non-negativity, bounds,
symmetry, the triangle inequality, Pinsker, data processing, the relations between the
measures, base changes and the Renyi family's limits and monotonicity.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy.special import xlogy

import divergences as dv
from divergences import DIVERGENCES

EPS = float(np.finfo(np.float64).eps)
LN2 = math.log(2.0)
SLACK = 1e-12
EXAMPLES = settings(deadline=None, max_examples=100)

ALPHAS = [0.0, 0.25, 0.5, 0.9, 1.0, 1.5, 2.0, 5.0, math.inf]

# ----------------------------------------------------------------------------- strategies

weight = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-12, max_value=1.0),
    st.floats(min_value=0.05, max_value=1.0),
    st.sampled_from([1e-300, 5e-324, 1.0]),
)


def normalised(weights: list[float], first_positive: int) -> np.ndarray:
    w = np.array(weights, dtype=np.float64)
    if not w.sum() > 0:
        w[first_positive % w.size] = 1.0
    return w / w.sum()


@st.composite
def distributions(draw, k: int, element=weight) -> np.ndarray:
    """A probability vector of length ``k`` with exact zeros, normalised with NumPy (so its
    float sum is within an ulp or two of 1, not exactly 1)."""
    w = draw(st.lists(element, min_size=k, max_size=k))
    return normalised(w, draw(st.integers(0, k - 1)))


def tuples_of(n: int, element=weight, min_k: int = 2, max_k: int = 20):
    return st.integers(min_k, max_k).flatmap(lambda k: st.tuples(*[distributions(k, element)] * n))


pairs = tuples_of(2)
triples = tuples_of(3)
# moderate entries (zeros included) for the limit alpha -> 1, whose error term is
# (alpha - 1) Var_p[log p/q] / 2: bounded when log p/q is
moderate_pairs = tuples_of(2, st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1.0)))


# ----------------------------------------------------------------------- the functions


def fn(name: str, **kw):
    """``(p, q) -> value`` for a two-distribution entry of ``DIVERGENCES``."""
    if name == "renyi":
        return lambda p, q: dv.renyi(p, q, 2.0, **kw)
    if name == "f_divergence":
        return lambda p, q: dv.f_divergence(p, q, lambda t: t * np.log(t), **kw)
    f = getattr(dv, name)
    return lambda p, q: f(p, q, **kw)


PAIR_NAMES = [n for n, d in DIVERGENCES.items() if d.arity == 2]
SYMMETRIC = [n for n, d in DIVERGENCES.items() if d.symmetric]
METRICS = [n for n, d in DIVERGENCES.items() if d.metric]
LOGARITHMIC = [n for n, d in DIVERGENCES.items() if d.logarithmic and n != "f_divergence"]


def all_values(p, q) -> dict[str, float]:
    out = {n: float(fn(n)(p, q)) for n in PAIR_NAMES if n not in ("renyi", "f_divergence")}
    out.update({f"renyi{a}": float(dv.renyi(p, q, a)) for a in ALPHAS})
    out["entropy"] = float(dv.entropy(p))
    return out


def test_metadata_table_lists_what_the_tests_expect():
    assert set(METRICS) == {"js_distance", "hellinger", "total_variation"}
    assert set(SYMMETRIC) == {"js", "js_distance", "hellinger", "total_variation", "bhattacharyya", "psi"}
    assert DIVERGENCES["entropy"].arity == 1
    for name in DIVERGENCES:
        assert callable(getattr(dv, name))


# -------------------------------------------------------------------- basic inequalities


@EXAMPLES
@given(pairs)
# q's float sum is 1 + 2.2e-16 (its exact sum 1 + 9.7e-17): -log sum q must not go below 0
@example(pq=(np.full(6, 1 / 6), np.array([0.29961787954688746, 0.11477178131286808, 0.18333252472260975,
                                          0.10324767829097457, 0.19063663718150015, 0.1083934989451601])))
def test_non_negative_and_never_nan(pq):
    p, q = pq
    for name, v in all_values(p, q).items():
        assert not math.isnan(v), name
        assert v >= 0.0, (name, v)


UPPER = {"1": 1.0, "log 2": LN2, "sqrt(log 2)": math.sqrt(LN2)}


@EXAMPLES
@given(pairs)
# disjoint supports, q's float sum 1.1e-16 above 1: JS must still not exceed log 2
@example(pq=(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.54700854700854706, 0.45299145299145299])))
# an event with p + q = 5e-324, the smallest subnormal, whose half rounds to 0
@example(pq=(np.array([0.5, 0.5, 5e-324]), np.array([0.5, 0.5, 0.0])))
def test_upper_bounds_of_the_table(pq):
    p, q = pq
    for name in PAIR_NAMES:
        upper = DIVERGENCES[name].upper
        if upper in UPPER:
            assert float(fn(name)(p, q)) <= UPPER[upper], (name, upper)
    assert float(dv.js(p, q, base=2)) <= 1.0
    assert 0.0 <= float(dv.hellinger(p, q)) <= 1.0
    assert 0.0 <= float(dv.total_variation(p, q)) <= 1.0
    # entropy <= log K (the float log of a uniform distribution may round an ulp above)
    assert DIVERGENCES["entropy"].upper == "log K"
    assert float(dv.entropy(p)) <= math.log(p.size) * (1 + 4 * EPS)


@pytest.mark.parametrize("name", SYMMETRIC)
@EXAMPLES
@given(pq=pairs)
def test_symmetric(name, pq):
    p, q = pq
    f = fn(name)
    a, b = float(f(p, q)), float(f(q, p))
    assert a == b or abs(a - b) <= 1e-13 * max(abs(a), abs(b)), (a, b)


def test_symmetric_flags_agree_with_behaviour():
    """A measure marked asymmetric differs from its reverse on at least one of a few draws;
    one marked symmetric never does (up to rounding)."""
    rng = np.random.default_rng(7)
    draws = [(rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))) for k in (2, 3, 5, 8) for _ in range(3)]
    for name in PAIR_NAMES:
        f = fn(name)
        diffs = [abs(float(f(p, q)) - float(f(q, p))) / float(f(p, q)) for p, q in draws]
        if DIVERGENCES[name].symmetric:
            assert max(diffs) <= 1e-13, name
        else:
            assert max(diffs) > 1e-6, name


@pytest.mark.parametrize("name", METRICS)
@EXAMPLES
@given(pqr=triples)
@example(pqr=(np.array([1 / 3, 2 / 3, 5e-324, 0.0]), np.array([1.0, 0.0, 0.0, 0.0]), np.array([1e-300, 0.0, 0.0, 1.0])))
def test_triangle_inequality(name, pqr):
    p, q, r = pqr
    d = fn(name)
    assert float(d(p, r)) <= float(d(p, q)) + float(d(q, r)) + SLACK


@EXAMPLES
@given(pairs)
def test_pinsker(pq):
    p, q = pq
    assert float(dv.total_variation(p, q)) <= math.sqrt(float(dv.kl(p, q)) / 2) + SLACK


def renyi_of_order(p, q, alpha):
    return dv.renyi(p, q, alpha)


def merge(p: np.ndarray, i: int, j: int) -> np.ndarray:
    keep = [k for k in range(p.size) if k not in (i, j)]
    return np.concatenate([p[keep], [p[i] + p[j]]])


@EXAMPLES
@given(pq=tuples_of(2, min_k=3), data=st.data())
def test_data_processing(pq, data):
    """Merging two events (a deterministic channel) never increases a divergence."""
    p, q = pq
    i, j = data.draw(st.lists(st.integers(0, p.size - 1), min_size=2, max_size=2, unique=True))
    pm, qm = merge(p, i, j), merge(q, i, j)
    funcs = {n: fn(n) for n in ("kl", "js", "js_distance", "total_variation", "hellinger", "chi2", "psi", "bhattacharyya")}
    funcs.update({f"renyi{a}": functools.partial(renyi_of_order, alpha=a) for a in (0.5, 2.0, math.inf)})
    for name, f in funcs.items():
        before, after = float(f(p, q)), float(f(pm, qm))
        assert after <= before + SLACK * max(1.0, before), (name, before, after)


# ------------------------------------------------------------- relations between measures


@EXAMPLES
@given(pairs)
def test_kl_is_cross_entropy_minus_entropy(pq):
    p, q = pq
    kl, ce, h = float(dv.kl(p, q)), float(dv.cross_entropy(p, q)), float(dv.entropy(p))
    if math.isinf(ce):
        assert kl == math.inf
    else:
        assert kl == pytest.approx(ce - h, rel=1e-9, abs=1e-12)
    assert float(dv.cross_entropy(p, p)) == pytest.approx(h, rel=1e-15, abs=0)


@EXAMPLES
@given(moderate_pairs)
def test_renyi_tends_to_kl_at_alpha_1(pq):
    p, q = pq
    kl = float(dv.kl(p, q))
    assert float(dv.renyi(p, q, 1.0)) == pytest.approx(kl, rel=4 * EPS, abs=0)
    for alpha in (1 - 1e-5, 1 + 1e-5):
        r = float(dv.renyi(p, q, alpha))
        if math.isinf(kl):  # some p > 0 = q: infinite above 1, (usually) finite below
            if alpha > 1:
                assert r == math.inf
        else:
            assert r == pytest.approx(kl, rel=1e-3, abs=1e-9)


@EXAMPLES
@given(pairs)
# disjoint supports whose float sums are not exactly 1: both must be +inf
@example(pq=(np.array([0.6, 0.4, 0.0, 0.0]), np.array([0.0, 0.0, 0.5, 0.5])))
def test_renyi_half_is_twice_bhattacharyya(pq):
    p, q = pq
    r, b = float(dv.renyi(p, q, 0.5)), float(dv.bhattacharyya(p, q))
    assert r == pytest.approx(2 * b, rel=1e-9, abs=1e-13)


@EXAMPLES
@given(pairs)
def test_psi_is_symmetrised_kl(pq):
    p, q = pq
    expected = float(dv.kl(p, q)) + float(dv.kl(q, p))
    assert float(dv.psi(p, q)) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@EXAMPLES
@given(pairs)
def test_js_from_kl_to_the_midpoint(pq):
    p, q = pq
    m = (p + q) / 2
    assume(not np.any((m == 0) & (p + q > 0)))  # 5e-324 / 2 rounds to 0
    expected = (float(dv.kl(p, m, validate=False)) + float(dv.kl(q, m, validate=False))) / 2
    assert float(dv.js(p, q)) == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert float(dv.js_distance(p, q)) == pytest.approx(math.sqrt(float(dv.js(p, q))), rel=4 * EPS)


@EXAMPLES
@given(pairs)
def test_hellinger_bhattacharyya_relation(pq):
    """exp(-bhattacharyya) = 1 - hellinger^2 (the coefficient sum sqrt(pq), compared where
    it is well conditioned: absolutely) and total variation brackets hellinger:
    h^2 <= tv <= h sqrt(2 - h^2)."""
    p, q = pq
    h, b, tv = float(dv.hellinger(p, q)), float(dv.bhattacharyya(p, q)), float(dv.total_variation(p, q))
    assert math.exp(-b) == pytest.approx(1 - h * h, abs=1e-15)
    if h * h <= 0.5:  # near p = q both keep their relative accuracy
        assert b == pytest.approx(-math.log1p(-h * h), rel=1e-12, abs=0)
    assert h * h <= tv + SLACK
    assert tv <= h * math.sqrt(2 - h * h) + SLACK


@pytest.mark.parametrize("base", [2.0, 10.0, 0.5])
@pytest.mark.parametrize("name", LOGARITHMIC)
@EXAMPLES
@given(pq=pairs)
def test_base_change_divides_by_log_base(name, base, pq):
    row = dv.DIVERGENCES[name]
    f, dists, lb = getattr(dv, name), pq[: row.arity], math.log(base)
    if row.transform is not None and base < 1:  # js_distance would be the root of a negative number
        with pytest.raises(dv.InvalidInputError, match="needs base > 1"):
            f(*dists, **row.examples, base=base)
        return
    power = 2 if row.transform is not None else 1  # js_distance: compare the squares (js)
    nats, other = float(f(*dists, **row.examples)) ** power, float(f(*dists, **row.examples, base=base)) ** power
    if math.isinf(nats):
        assert other == math.copysign(math.inf, lb)
    else:
        assert other == pytest.approx(nats / lb, rel=4 * EPS, abs=1e-300)


@EXAMPLES
@given(distributions(k=8))
@example(p=np.array([0.1, 0.2, 0.7]))  # exact sum 1 - 2.8e-17
def test_divergence_from_itself_is_zero(p):
    for name, v in all_values(p, p).items():
        if name in ("entropy", "cross_entropy"):
            continue
        assert abs(v) <= 1e-15, (name, v)


@EXAMPLES
@given(pairs)
# every order gives -log(q_1) = 27.631021115929...: small overlaps must stay accurate
@example(pq=(np.array([1.0, 0.0]), np.array([9.99999999999e-13, 0.9999999999989999])))
def test_renyi_non_decreasing_in_alpha(pq):
    p, q = pq
    values = [float(dv.renyi(p, q, a)) for a in ALPHAS]
    for a, lo, hi in zip(ALPHAS[1:], values, values[1:]):
        assert lo <= hi + SLACK * max(1.0, abs(hi)), (a, values)


# --------------------------------------------------------------------------- f-divergence


# no entries below 1e-12 of the largest: q f(p/q) overflows in p/q (see the test below)
f_pairs = tuples_of(2, st.one_of(st.just(0.0), st.floats(min_value=1e-12, max_value=1.0)))


@EXAMPLES
@given(f_pairs)
def test_f_divergence_reproduces_kl_tv_and_chi2(pq):
    p, q = pq
    kl = float(dv.kl(p, q))
    f_kl = float(dv.f_divergence(p, q, lambda t: xlogy(t, t)))
    f_kl_naive = float(dv.f_divergence(p, q, lambda t: t * np.log(t)))  # NaN at t = 0 is handled
    for v in (f_kl, f_kl_naive):
        if math.isinf(kl):
            assert v == math.inf
        else:
            assert v == pytest.approx(kl, rel=1e-9, abs=1e-13)
    tv = float(dv.total_variation(p, q))
    # q = 0 < p contributes p * lim f(t)/t = p/2
    assert float(dv.f_divergence(p, q, lambda t: np.abs(t - 1) / 2)) == pytest.approx(tv, rel=1e-12, abs=1e-15)
    chi2 = float(dv.chi2(p, q))
    v = float(dv.f_divergence(p, q, lambda t: (t - 1) ** 2))
    assert v == chi2 if math.isinf(chi2) else v == pytest.approx(chi2, rel=1e-9, abs=1e-13)


def test_f_divergence_with_zeros_in_q():
    p, q = [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]
    assert float(dv.f_divergence(p, q, lambda t: np.abs(t - 1) / 2)) == pytest.approx(0.5, rel=EPS)
    assert float(dv.f_divergence(q, p, lambda t: np.abs(t - 1) / 2)) == pytest.approx(0.5, rel=EPS)
    assert dv.f_divergence(p, q, lambda t: xlogy(t, t)) == math.inf
    assert float(dv.f_divergence(q, p, lambda t: xlogy(t, t))) == pytest.approx(math.log(2), rel=EPS)
    # an explicit slope at infinity overrides the estimate
    assert float(dv.f_divergence(p, q, lambda t: np.abs(t - 1) / 2, slope_at_infinity=0.5)) == pytest.approx(0.5)


def test_f_divergence_finite_where_p_over_q_overflows():
    """p/q = 0.5/5e-324 overflows to inf, but q f(p/q) = q (p/q - 1)/2 is about p/2 = 0.25, and
    with a finite slope at infinity the limit p * slope is the value to use there."""
    p, q = [0.5, 0.5, 0.0], [5e-324, 0.5, 0.5]
    tv = float(dv.total_variation(p, q))
    assert tv == pytest.approx(0.5, rel=EPS)
    assert float(dv.f_divergence(p, q, lambda t: np.abs(t - 1) / 2)) == pytest.approx(tv, rel=1e-12)
