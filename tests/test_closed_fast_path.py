"""The closed forms' in-place fast path (``distributions._host``) on batches: NumPy arrays and
torch CPU tensors without gradients give the same values as the array-API path and stay
within RTOL of mpmath, for nearly equal laws (relative changes down to 1e-13, and just beyond the bands of the exact forms), typical ones
and ratios out of the normal range, mixed in one batch."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import divergences as dv

RTOL = 2e-14
# The forms in a ratio beyond their bands: within some 30 ulps of 2^-52 (measured against
# mpmath over random pairs), so a band narrowed below where its plain form holds fails here.
TIGHT = {"exponential": 40 * 2.0**-52, "poisson": 40 * 2.0**-52, "bernoulli": 40 * 2.0**-52}
# Relative changes: each side of the bands of the exact forms (Exponential 0.08, Poisson 0.1,
# Bernoulli 0.12 in |log r|, Normal's value 0.08), and nearly equal laws.
STEPS = [0.3, 0.2, 0.14, 0.13, 0.125, 0.12, 0.11, 0.106, 0.1, 0.095, 0.09, 0.0805, 0.05, 0.03, 1e-3, 1e-6, 1e-9,
         1e-11, 1e-13, 0.0]


def _moved(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``x`` with relative changes of every size in STEPS, of both signs."""
    steps = np.resize(np.array(STEPS), x.shape) * rng.choice([-1.0, 1.0], size=x.shape)
    return x * (1.0 + steps)


@mp.workdps(50)
def _normal(m1: float, s1: float, m2: float, s2: float) -> float:
    m1, s1, m2, s2 = (mp.mpf(v) for v in (m1, s1, m2, s2))
    return float(mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2)


@mp.workdps(50)
def _exponential(l1: float, l2: float) -> float:
    r = mp.mpf(l2) / mp.mpf(l1)
    return float(r - 1 - mp.log(r))


@mp.workdps(50)
def _poisson(a: float, b: float) -> float:
    a, b = mp.mpf(a), mp.mpf(b)
    return float(a * mp.log(a / b) - a + b)


@mp.workdps(50)
def _bernoulli(a: float, b: float) -> float:
    a, b = mp.mpf(a), mp.mpf(b)  # two terms of one sign (the two logarithms cancel)
    return float(a * mp.log(a / b) - a + b + (1 - a) * mp.log((1 - a) / (1 - b)) - (1 - a) + (1 - b))


def _cases(n: int = 380) -> dict[str, tuple[type, dict[str, np.ndarray], dict[str, np.ndarray], object]]:
    rng = np.random.default_rng(17)
    loc, scale = rng.normal(size=n), np.exp(rng.uniform(-3, 3, n))
    loc_q = np.where(np.arange(n) % 3 == 0, loc + rng.normal(size=n), _moved(loc, rng))
    scale_q = _moved(scale, rng)
    scale_q[:4] = scale[:4] * np.array([1e-320 / scale[0], 1e300, 1e-200, 1e-154])  # out of range, r^2 overflows
    rate = np.exp(rng.uniform(-5, 5, n))
    rate_q = _moved(rate, rng)
    rate_q[:3] = rate[:3] * np.array([1e-310, 1e305, 1e-30])
    probs = rng.uniform(1e-6, 1 - 1e-6, n)
    probs_q = np.clip(_moved(probs, rng), 1e-300, 1 - 1e-16)
    return {
        "normal": (dv.Normal, {"loc": loc, "scale": scale}, {"loc": loc_q, "scale": scale_q}, _normal),
        "exponential": (dv.Exponential, {"rate": rate}, {"rate": rate_q}, _exponential),
        "poisson": (dv.Poisson, {"rate": rate}, {"rate": rate_q}, _poisson),
        "bernoulli": (dv.Bernoulli, {"probs": probs}, {"probs": probs_q}, _bernoulli),
    }


CASES = _cases()


def _reference(case: str) -> np.ndarray:
    _, p, q, ref = CASES[case]
    columns = [*p.values(), *q.values()]
    return np.array([ref(*(float(c[i]) for c in columns)) for i in range(len(columns[0]))])


def _kl_on(library: str, family: type, p: tuple[np.ndarray, ...], q: tuple[np.ndarray, ...]) -> np.ndarray:
    """``dv.kl(family(*p), family(*q))`` with the parameters as NumPy arrays or as torch
    tensors without gradients (``library``), as a NumPy array."""
    if library == "torch":
        torch = pytest.importorskip("torch")
        return dv.kl(family(*map(torch.from_numpy, p)), family(*map(torch.from_numpy, q))).numpy()
    return np.asarray(dv.kl(family(*p), family(*q)))


def _check(values: np.ndarray, expected: np.ndarray, rtol: float = RTOL) -> None:
    finite = np.isfinite(expected)
    assert np.all(values[~finite] == np.inf)
    rel = np.abs(values[finite] - expected[finite]) / np.maximum(expected[finite], 1e-300)
    assert rel.max() <= rtol, (rel.max(), int(np.argmax(rel)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_batch_against_mpmath(case: str) -> None:
    family, p, q, _ = CASES[case]
    _check(np.asarray(dv.kl(family(**p), family(**q))), _reference(case), TIGHT.get(case, RTOL))


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_batch_without_gradient_against_mpmath(case: str) -> None:
    torch = pytest.importorskip("torch")
    family, p, q, _ = CASES[case]
    tp = family(**{k: torch.from_numpy(v) for k, v in p.items()})
    tq = family(**{k: torch.from_numpy(v) for k, v in q.items()})
    value = dv.kl(tp, tq)
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float64
    _check(value.numpy(), _reference(case), TIGHT.get(case, RTOL))


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_agrees_with_the_gradient_path(case: str) -> None:
    """With gradients the array-API path runs (``_host`` declines): the values agree."""
    torch = pytest.importorskip("torch")
    family, p, q, _ = CASES[case]
    fast = dv.kl(family(**{k: torch.from_numpy(v) for k, v in p.items()}),
                 family(**{k: torch.from_numpy(v) for k, v in q.items()}))
    params = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in p.items()}
    slow = dv.kl(family(**params), family(**{k: torch.from_numpy(v) for k, v in q.items()}))
    assert slow.requires_grad
    finite = torch.isfinite(fast)
    assert torch.equal(finite, torch.isfinite(slow.detach()))
    np.testing.assert_allclose(slow.detach()[finite].numpy(), fast[finite].numpy(), rtol=RTOL, atol=0)


def test_inputs_are_not_written() -> None:
    """The fast path works in its own memory: the parameters' arrays are left as they were."""
    family, p, q, _ = CASES["normal"]
    copies = {k: v.copy() for k, v in {**p, **{k + "_q": v for k, v in q.items()}}.items()}
    dv.kl(family(**p), family(**q))
    for k, v in {**p, **{k + "_q": v for k, v in q.items()}}.items():
        np.testing.assert_array_equal(v, copies[k])


def test_diagonal_normal_sums_the_normal_values() -> None:
    _, p, q, _ = CASES["normal"]
    shape = (-1, 4)
    diagonal = dv.kl(dv.DiagonalNormal(p["loc"].reshape(shape), p["scale"].reshape(shape)),
                     dv.DiagonalNormal(q["loc"].reshape(shape), q["scale"].reshape(shape)))
    each = np.asarray(dv.kl(dv.Normal(**p), dv.Normal(**q))).reshape(shape)
    np.testing.assert_allclose(diagonal, each.sum(-1), rtol=1e-15)


@mp.workdps(50)
def _bernoulli_with_ends(a: float, b: float) -> float:
    """``_bernoulli`` with ``0 log 0 = 0`` (``inf`` where q misses p's mass)."""
    total = mp.mpf(0)
    for x, y in ((mp.mpf(a), mp.mpf(b)), (1 - mp.mpf(a), 1 - mp.mpf(b))):
        if x > 0:
            total += mp.inf if y == 0 else x * mp.log(x / y) - x + y
        else:
            total += y
    return float(total)


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_bernoulli_ends_on_the_fast_path(library: str) -> None:
    """Probabilities 0 and 1 and ratios out of range (where phi is not finite) among ordinary
    elements, each side of the band of the exact form: the array-API form decides there."""
    p = np.array([0.0, 1.0, 0.3, 0.0, 1.0, 0.3, 0.5, 1e-300, 0.5, 0.3, 1.0 - 2**-53, 0.3, 0.7])
    q = np.array([0.3, 0.3, 0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 1e-300, 0.3 * 1.1275, 0.5, 0.3 * 1.14, 0.7 * 1.12])
    expected = np.array([_bernoulli_with_ends(a, b) for a, b in zip(p, q)])
    values = _kl_on(library, dv.Bernoulli, (p,), (q,))
    assert np.array_equal(np.isinf(values), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(values[finite], expected[finite], rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("case", ["poisson", "bernoulli"])
def test_ratio_bands_against_mpmath(case: str) -> None:
    """Inside the band (|log r| below 0.1 for Poisson, 0.12 for Bernoulli) the series, a few
    ulps; beyond it the plain form b phi(r), within 30 ulps (2^-52) at the band's edge."""
    rng = np.random.default_rng(5)
    for low, high, ulps in [(0.0, 0.095, 4.0), (0.13, 0.3, 30.0)] if case == "bernoulli" else [(0.0, 0.098, 4.0), (0.108, 0.3, 30.0)]:
        log_r = rng.uniform(low, high, 300) * rng.choice([-1.0, 1.0], 300)
        if case == "poisson":
            a = np.exp(rng.uniform(-20, 20, 300))
            family, p, q, ref = dv.Poisson, a, a * np.exp(-log_r), _poisson
        else:  # the larger |log r| of the two terms in the band
            q = np.exp(rng.uniform(-20, np.log(0.5), 300))
            q = np.where(rng.random(300) < 0.5, q, 1.0 - q)
            family, p, ref = dv.Bernoulli, np.where(q < 0.5, q * np.exp(log_r), 1.0 - (1.0 - q) * np.exp(log_r)), _bernoulli
        expected = np.array([ref(float(x), float(y)) for x, y in zip(p, q)])
        _check(np.asarray(dv.kl(family(p), family(q))), expected, ulps * 2.0**-52)


@mp.workdps(60)
def _gamma(a1: float, b1: float, a2: float, b2: float) -> float:
    a1, b1, a2, b2 = (mp.mpf(v) for v in (a1, b1, a2, b2))
    return float(mp.loggamma(a2) - mp.loggamma(a1) - (a2 - a1) * mp.digamma(a1) + a2 * mp.log(b1 / b2)
                 + a1 * (b2 - b1) / b1)


def _gamma_case(n: int = 300) -> tuple[np.ndarray, ...]:
    """Rates moved each side of the band of the rate part's series (and ratios out of the
    normal range); shapes equal, moved by up to a tenth (the near form of the Bregman part),
    with the rates along (where log1p of the rates' difference is needed), or apart."""
    rng = np.random.default_rng(23)
    shape, rate = np.exp(rng.uniform(-2.5, 4.5, n)), np.exp(rng.uniform(-5, 5, n))
    kind = np.arange(n) % 4
    near = shape * (1.0 + rng.uniform(-0.1, 0.1, n) * 10.0 ** -rng.integers(0, 12, n))
    shape_q = np.where(kind == 0, shape, np.where(kind < 3, near, shape * np.exp(rng.normal(size=n))))
    steps = np.resize(np.array([0.01, 0.02, 0.03, 0.05, 0.07, 0.085, 0.1, 0.2, 1e-3, 1e-6, 0.0]), n)
    rate_q = rate * (1.0 + steps * rng.choice([-1.0, 1.0], size=n))
    # the rates' ratio along the shapes' (the means nearly equal): the Bregman and rate parts
    # nearly cancel the mixed term -da log r
    rate_q = np.where(kind == 2, rate * (shape_q / shape) * (1.0 + 1e-3 * rng.normal(size=n)), rate_q)
    rate[:3], rate_q[:3] = [1e5, 1e-5, 30.0], [1e-304, 1e304, 30.0 * 1e-30]
    return shape, rate, shape_q, rate_q, kind


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_gamma_batch_against_mpmath(library: str) -> None:
    """Within 25 ulps where the shapes are equal or nearly equal; with the rates along the
    shapes the three parts nearly cancel (the Fisher information of a large shape is
    nearly singular), and apart, the plain Bregman part of log Gamma's values limits it, as
    on the array path."""
    shape, rate, shape_q, rate_q, kind = _gamma_case()
    expected = np.array([_gamma(*v) for v in zip(shape, rate, shape_q, rate_q)])
    value = _kl_on(library, dv.Gamma, (shape, rate), (shape_q, rate_q))
    _check(value[kind < 2], expected[kind < 2], 25 * 2.0**-52)
    _check(value[kind == 2], expected[kind == 2], 80 * 2.0**-52)  # the array path's 50 ulps there too
    _check(value[kind == 3], expected[kind == 3], 1e-13)


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_normal_value_band_against_mpmath(library: str) -> None:
    """Values just above the host form's threshold (0.0064), from the scales or the means or
    both: within 25 ulps (r^2 - 1 as (r - 1)(r + 1)); below it the exact form, a few ulps."""
    rng = np.random.default_rng(11)
    n = 400
    value = np.exp(rng.uniform(np.log(0.0064), np.log(0.03), n))
    value[: n // 2] = np.exp(rng.uniform(np.log(1e-6), np.log(0.0063), n // 2))
    share = np.where(np.arange(n) % 3 == 0, 1.0, rng.uniform(0.0, 1.0, n))  # of the scales' part
    x = np.sqrt(share * value) * rng.choice([-1.0, 1.0], n)
    s2 = np.exp(rng.uniform(-5, 5, n))
    s1, m1 = s2 * (1.0 + x), rng.normal(size=n)
    m2 = m1 - np.sqrt(2.0 * np.maximum(value - x * x, 0.0)) * s2
    expected = np.array([_normal(*v) for v in zip(m1, s1, m2, s2)])
    got = _kl_on(library, dv.Normal, (m1, s1), (m2, s2))
    small = expected < 0.006
    _check(got[small], expected[small], 4 * 2.0**-52)
    _check(got[~small], expected[~small], 25 * 2.0**-52)


def test_beta_fast_path_agrees_with_the_gradient_path() -> None:
    """The three Bregman divergences of log Gamma in place (``_host.bregman``: the near form
    on the elements within an eighth only, an exact 0 for equal parameters) are the array
    path's, and the NumPy path's values agree with SciPy's special functions."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    n = 400
    a1, b1 = np.exp(rng.uniform(-2.3, 3, n)), np.exp(rng.uniform(-2.3, 3, n))
    a2 = a1 * (1.0 + rng.uniform(-0.3, 0.3, n) * 10.0 ** -rng.integers(0, 14, n))
    b2 = np.where(np.arange(n) % 2 == 0, b1, b1 * (1.0 + rng.uniform(-0.3, 0.3, n) * 10.0 ** -rng.integers(0, 14, n)))
    a2[:5] = a1[:5]
    fast = dv.kl(dv.Beta(torch.from_numpy(a1), torch.from_numpy(b1)), dv.Beta(torch.from_numpy(a2), torch.from_numpy(b2)))
    grad = torch.from_numpy(a1.copy()).requires_grad_()
    slow = dv.kl(dv.Beta(grad, torch.from_numpy(b1)), dv.Beta(torch.from_numpy(a2), torch.from_numpy(b2)))
    # Where a parameter reaches 12 both take dirichlet_kl_stable, whose remainders subtract
    # two Bregman forms of log Gamma by each library's own lgamma: they agree to 2e-13 there.
    small = np.maximum(np.maximum(a1, b1), np.maximum(a2, b2)) < 12.0
    np.testing.assert_allclose(fast.numpy()[small], slow.detach().numpy()[small], rtol=1e-15, atol=0)
    np.testing.assert_allclose(fast.numpy()[~small], slow.detach().numpy()[~small], rtol=2e-13, atol=0)
    assert np.all(fast.numpy()[:5][np.arange(5) % 2 == 0] == 0.0)
    numpy = np.asarray(dv.kl(dv.Beta(a1, b1), dv.Beta(a2, b2)))
    np.testing.assert_allclose(numpy, fast.numpy(), rtol=1e-11, atol=0)  # SciPy against torch


# Relative steps all within the series' range (-1/3 <= x <= 1/2): laws near each other throughout.
NEAR_STEPS = [1e-15, 1e-13, 1e-11, 1e-9, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45, -0.3, 0.0]


# The Gamma parts nearly cancel where the means nearly agree (see test_gamma_batch_against_mpmath;
# 8 measured), the Beta's Bregman parts in b and a + b where the a are equal (100 measured, the
# near and the mixed batch alike).
NEAR_ULPS = {"gamma": 80, "beta": 128}


@mp.workdps(60)
def _beta(a1: float, b1: float, a2: float, b2: float) -> float:
    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return float(mp.log(mp.beta(a2, b2) / mp.beta(a1, b1)) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
                 + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def _near_case(case: str, n: int = 300) -> tuple[type, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(29)
    steps = np.resize(np.array(NEAR_STEPS), n) * np.where(rng.uniform(size=n) < 0.5, 1.0, -0.6)
    scale = np.exp(rng.uniform(-5, 5, n))
    if case == "normal":
        loc = rng.normal(size=n)
        shift = np.where(np.arange(n) % 2 == 0, 0.0, rng.normal(size=n) * 10.0 ** -rng.integers(0, 12, n))
        return dv.Normal, (loc, scale), (loc + shift * scale, scale * (1.0 + steps))
    if case == "bernoulli":  # both terms' |u| within 0.065
        probs = rng.uniform(0.2, 0.8, n)
        return dv.Bernoulli, (probs,), (probs * (1.0 + 0.05 * steps),)
    if case in ("gamma", "beta"):  # shapes within an eighth (the Bregman near form), rates within the series' range
        shape = np.exp(rng.uniform(-2.5, 3.5, n))
        other = np.exp(rng.uniform(-5, 5, n)) if case == "gamma" else np.exp(rng.uniform(-2.5, 3.5, n))
        family = dv.Gamma if case == "gamma" else dv.Beta
        return family, (shape, other), (shape * (1.0 + 0.25 * steps), other * (1.0 + 0.25 * rng.permutation(steps)))
    family = dv.Exponential if case == "exponential" else dv.Poisson
    return family, (scale,), (scale * (1.0 + steps),)


@pytest.mark.parametrize("block", [None, 16])
@pytest.mark.parametrize("library", ["numpy", "torch"])
@pytest.mark.parametrize("case", ["normal", "exponential", "poisson", "bernoulli", "gamma", "beta"])
def test_laws_near_each_other_throughout_against_mpmath(case: str, library: str, block: int | None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pair of the batch within the series' range takes the series alone (no logarithm,
    ``_host.near_everywhere``); the same pairs with one pair apart appended take the plain form
    and the patches. The series within 4 ulps of mpmath (2 measured), the mixed batch within
    the plain forms' 40 (14 measured). With ``block``, the forms run in blocks of that many
    elements (``_host.blockwise``; 2^15 by default, more than these batches), each with its
    own count of series terms: the same bounds."""
    import divergences.distributions._closed_univariate as univariate
    import divergences.distributions._host as host_module
    import divergences.distributions._rel_entr as rel_entr_module

    if block is not None:
        monkeypatch.setattr(host_module, "_BLOCK", block)

    taken: list[bool] = []
    original = host_module.near_everywhere

    def spy(*args: object, **kwargs: object) -> object:
        x = original(*args, **kwargs)  # type: ignore[arg-type]
        taken.append(x is not None)
        return x

    for module in (univariate, rel_entr_module, host_module):
        monkeypatch.setattr(module, "near_everywhere", spy)
    if case == "bernoulli":  # its own test of both terms' ranges
        original_pair = rel_entr_module._bernoulli_near_everywhere

        def spy_pair(*args: object) -> object:
            x = original_pair(*args)  # type: ignore[arg-type]
            taken.append(x is not None)
            return x

        monkeypatch.setattr(rel_entr_module, "_bernoulli_near_everywhere", spy_pair)
    family, p, q = _near_case(case)
    ref = {"normal": _normal, "exponential": _exponential, "poisson": _poisson, "bernoulli": _bernoulli, "gamma": _gamma,
           "beta": _beta}[case]
    expected = np.array([ref(*(float(c[i]) for c in (*p, *q))) for i in range(p[0].size)])
    near = _kl_on(library, family, p, q)
    assert taken and taken[0]
    apart_p = tuple(np.append(a, 0.5) for a in p)
    apart_q = tuple(np.append(a, 0.9) for a in q)
    taken.clear()
    mixed = _kl_on(library, family, apart_p, apart_q)[:-1]
    assert taken and not taken[0]  # the whole batch's test (a patch may take it on its elements)
    _check(near, expected, NEAR_ULPS.get(case, 4) * 2.0**-52)
    _check(mixed, expected, NEAR_ULPS.get(case, 40) * 2.0**-52)


@pytest.mark.parametrize("few", [0, 8])
@pytest.mark.parametrize("case", ["normal", "exponential", "poisson", "bernoulli"])
def test_a_few_patched_elements_on_python_floats(case: str, few: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where at most ``_host._FEW`` elements of a batch need the exact near form, they take
    its twin on Python floats one by one; with ``_FEW = 0`` the array form: both within the
    plain forms' bound of mpmath (four pairs a 1e-6 step apart among forty apart)."""
    import divergences.distributions._host as host_module

    monkeypatch.setattr(host_module, "_FEW", few)
    rng = np.random.default_rng(37)
    step = np.where(np.arange(44) < 4, 1.0 + 1e-6, 3.0)
    if case == "bernoulli":
        probs = rng.uniform(0.2, 0.3, 44)
        family, p, q = dv.Bernoulli, (probs,), (probs * step,)
    elif case == "normal":
        loc, scale = rng.normal(size=44), np.exp(rng.uniform(-3, 3, 44))
        family, p, q = dv.Normal, (loc, scale), (loc, scale * step)
    else:
        rate = np.exp(rng.uniform(-3, 3, 44))
        family, p, q = (dv.Exponential if case == "exponential" else dv.Poisson), (rate,), (rate * step,)
    ref = {"normal": _normal, "exponential": _exponential, "poisson": _poisson, "bernoulli": _bernoulli}[case]
    expected = np.array([ref(*(float(c[i]) for c in (*p, *q))) for i in range(44)])
    _check(np.asarray(dv.kl(family(*p), family(*q))), expected, TIGHT.get(case, 25 * 2.0**-52))


def test_blocks_of_the_plain_pass_against_mpmath() -> None:
    """A batch of several blocks (``_host.blockwise_into``): near elements, far ones and ratios
    out of the normal range in every block, each within the bounds of the unblocked form."""
    from divergences.distributions._host import _BLOCK

    rng = np.random.default_rng(41)
    n = 3 * _BLOCK + 17
    l1 = np.exp(rng.uniform(-5.0, 5.0, n))
    l2 = _moved(l1, rng)
    l2[:: _BLOCK // 3] *= 1e-310 / l2[:: _BLOCK // 3]  # ratios below the normal range, in every block
    values = np.asarray(dv.kl(dv.Exponential(l1), dv.Exponential(l2)))
    sample = np.concatenate([np.arange(0, n, _BLOCK // 3), rng.integers(0, n, 200), [_BLOCK - 1, _BLOCK, n - 1]])
    expected = np.array([_exponential(float(l1[i]), float(l2[i])) for i in sample])
    _check(values[sample], expected, TIGHT["exponential"])
