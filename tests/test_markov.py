"""Markov chain rates, each against an independent reference: whole-path divergences and
entropies by enumeration, hand-computed sums, and a 50-digit linear solve."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import raises_invalid as raises
from conftest import to_numpy
from divergences import markov

P_ISSUE = [[0.9, 0.1], [0.4, 0.6]]
UNIFORM = [[0.5, 0.5], [0.5, 0.5]]
ISSUE_NATS = 0.2984784684


def reference_stationary(P: np.ndarray) -> np.ndarray:
    """Least-squares solution of pi (P - I) = 0, sum(pi) = 1 (a different method from GTH)."""
    S = P.shape[0]
    A = np.vstack([P.T - np.eye(S), np.ones((1, S))])
    b = np.zeros(S + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(A, b, rcond=None)[0]


def path_probabilities(pi: np.ndarray, P: np.ndarray, n: int) -> np.ndarray:
    """Probabilities of all S**n paths of n states started from pi, as an array (S,) * n."""
    joint = pi
    for _ in range(n - 1):
        joint = joint[..., None] * P  # joint[..., x_k] * P[x_k, x_{k+1}]
    return joint


def path_kl(p: np.ndarray, q: np.ndarray) -> float:
    p, q = p.ravel(), q.ravel()
    on = p > 0
    if np.any(q[on] == 0):
        return math.inf
    return math.fsum(p[on] * np.log(p[on] / q[on]))


def path_entropy(p: np.ndarray) -> float:
    p = p.ravel()
    p = p[p > 0]
    return -math.fsum(p * np.log(p))


def random_chain(rng: np.random.Generator, S: int, zeros: bool = False) -> np.ndarray:
    P = rng.dirichlet(np.ones(S), size=S)
    if zeros:
        # Knock out some transitions but keep the cycle 0 -> 1 -> ... -> 0: still irreducible.
        keep = (rng.random((S, S)) < 0.6) | (np.roll(np.eye(S), 1, axis=1) > 0)
        P = np.where(keep, P, 0.0)
    return P / P.sum(axis=1, keepdims=True)


# --- the issue's example ------------------------------------------------------------------


def test_issue_value_in_nats_and_bits():
    assert markov.kl_rate(P_ISSUE, UNIFORM) == pytest.approx(ISSUE_NATS, abs=1e-10)
    assert markov.kl_rate(P_ISSUE, UNIFORM, base=2) == pytest.approx(ISSUE_NATS / math.log(2), abs=1e-10)


def test_issue_value_by_hand():
    # pi = (0.8, 0.2); row divergences from the uniform row written out.
    row0 = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    row1 = 0.4 * math.log(0.4 / 0.5) + 0.6 * math.log(0.6 / 0.5)
    assert markov.kl_rate(P_ISSUE, UNIFORM) == pytest.approx(0.8 * row0 + 0.2 * row1, rel=1e-14)


def test_scalar_results_are_numpy_scalars_of_the_input_dtype():
    value = markov.kl_rate(P_ISSUE, UNIFORM)
    assert isinstance(value, np.float64)
    single = markov.entropy_rate(np.asarray(P_ISSUE, dtype=np.float32))
    assert isinstance(single, np.float32)
    assert markov.stationary(np.asarray(P_ISSUE, dtype=np.float32)).dtype == np.float32


# --- path enumeration ---------------------------------------------------------------------


@pytest.mark.parametrize("S, n, seed, zeros", [(2, 8, 0, False), (3, 7, 1, False), (3, 7, 2, True),
                                               (4, 6, 3, False), (4, 6, 4, True)])
def test_kl_rate_is_path_kl_per_step(S, n, seed, zeros):
    rng = np.random.default_rng(seed)
    P, Q = random_chain(rng, S, zeros), random_chain(rng, S)
    pi = reference_stationary(P)
    expected = path_kl(path_probabilities(pi, P, n), path_probabilities(pi, Q, n)) / (n - 1)
    assert markov.kl_rate(P, Q) == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("S, n, seed, zeros", [(2, 8, 5, False), (3, 7, 6, True), (4, 6, 7, False),
                                               (4, 6, 8, True)])
def test_entropy_rate_is_path_entropy_per_step(S, n, seed, zeros):
    rng = np.random.default_rng(seed)
    P = random_chain(rng, S, zeros)
    pi = reference_stationary(P)
    expected = (path_entropy(path_probabilities(pi, P, n)) - path_entropy(pi)) / (n - 1)
    assert markov.entropy_rate(P) == pytest.approx(expected, rel=1e-12)
    assert markov.entropy_rate(P, base=2) == pytest.approx(expected / math.log(2), rel=1e-12)


def test_kl_rate_inf_exactly_when_paths_of_p_are_impossible_under_q():
    P = [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]]
    Q_forbids_what_p_does = [[1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]]
    Q_forbids_what_p_never_does = [[0.3, 0.7, 0.0], [0.0, 0.9, 0.1], [0.6, 0.0, 0.4]]
    pi = reference_stationary(np.asarray(P))
    paths_p = path_probabilities(pi, np.asarray(P), 5)
    assert markov.kl_rate(P, Q_forbids_what_p_does) == math.inf
    assert path_kl(paths_p, path_probabilities(pi, np.asarray(Q_forbids_what_p_does), 5)) == math.inf
    finite = markov.kl_rate(P, Q_forbids_what_p_never_does)
    expected = path_kl(paths_p, path_probabilities(pi, np.asarray(Q_forbids_what_p_never_does), 5)) / 4
    assert math.isfinite(finite)
    assert finite == pytest.approx(expected, rel=1e-12)


# --- stationary distributions -------------------------------------------------------------


def test_periodic_chain_has_a_unique_stationary_distribution():
    np.testing.assert_array_equal(markov.stationary([[0, 1], [1, 0]]), [0.5, 0.5])
    cycle = np.roll(np.eye(5), 1, axis=1)
    np.testing.assert_allclose(markov.stationary(cycle), np.full(5, 0.2), rtol=1e-15)
    assert markov.entropy_rate(cycle) == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_stationary_is_stationary(seed):
    P = random_chain(np.random.default_rng(seed), 6, zeros=True)
    pi = markov.stationary(P)
    np.testing.assert_allclose(pi @ P, pi, rtol=1e-13)
    np.testing.assert_allclose(pi, reference_stationary(P), rtol=1e-11)


def mp_stationary(P: np.ndarray) -> list:
    """The stationary distribution at 50 digits by a linear solve.

    The diagonal is taken as 1 - (sum of the off-diagonal entries) in exact arithmetic: the
    stored diagonal is rounded to float64, and for weakly coupled blocks that rounding alone
    moves pi by far more than float64 precision."""
    with mpmath.workdps(50):
        S = P.shape[0]
        off = [[mpmath.mpf(float(P[i, j])) if i != j else mpmath.mpf(0) for j in range(S)] for i in range(S)]
        A = mpmath.matrix(S, S)
        for i in range(S):
            for j in range(S):
                A[j, i] = off[i][j] if i != j else -mpmath.fsum(off[i])
        A[S - 1, :] = mpmath.matrix([[1] * S])
        b = mpmath.matrix([0] * (S - 1) + [1])
        return list(mpmath.lu_solve(A, b))


def test_stationary_of_a_nearly_decomposable_chain_against_50_digits():
    # Two blocks coupled by transitions of probability 1e-10 and 3e-12; state 4 is rarely visited.
    P = np.array([
        [0.7, 0.3, 0.0, 0.0, 0.0],
        [0.4, 0.6 - 1e-10, 1e-10, 0.0, 0.0],
        [0.0, 0.0, 0.5, 0.5, 0.0],
        [3e-12, 0.0, 0.2, 0.8 - 3e-12 - 1e-9, 1e-9],
        [0.0, 0.0, 0.0, 0.9, 0.1],
    ])
    expected = np.array([float(x) for x in mp_stationary(P)])
    pi = markov.stationary(P)
    np.testing.assert_allclose(pi, expected, rtol=1e-13)
    assert pi[4] == pytest.approx(expected[4], rel=1e-13)  # about 1e-10 of the mass


# --- reducible chains ---------------------------------------------------------------------


REDUCIBLE = [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.25, 0.75]]


def test_reducible_chain_needs_pi():
    with raises(r"P is reducible: it has 2 closed communicating classes \(\[0\], \[1, 2\]\).*pass .* as pi"):
        markov.kl_rate(REDUCIBLE, np.full((3, 3), 1 / 3))
    with raises(r"P is reducible: it has 2 closed communicating classes"):
        markov.entropy_rate(REDUCIBLE)
    with raises(r"P is reducible.*stationary\(\) needs an irreducible chain"):
        markov.stationary(REDUCIBLE)


def test_transient_states_are_reported():
    with raises(r"P is reducible: states \[1\] are transient.*pass .* as pi"):
        markov.kl_rate([[1.0, 0.0], [0.5, 0.5]], UNIFORM)


def test_reducible_chain_with_pi_ignores_states_of_zero_weight():
    pi = [0.0, 1 / 3, 2 / 3]
    # Q forbids the transition 0 -> 0 that P always makes, but pi gives state 0 no weight.
    Q = [[0.0, 1.0, 0.0], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]
    expected = (1 / 3) * (0.5 * math.log(0.5 / 0.6) + 0.5 * math.log(0.5 / 0.3)) + (2 / 3) * (
        0.25 * math.log(0.25 / 0.2) + 0.75 * math.log(0.75 / 0.6)
    )
    assert markov.kl_rate(REDUCIBLE, Q, pi) == pytest.approx(expected, rel=1e-14)
    h = (1 / 3) * math.log(2) - (2 / 3) * (0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert markov.entropy_rate(REDUCIBLE, pi) == pytest.approx(h, rel=1e-14)
    # The other closed class: now the forbidden transition counts.
    assert markov.kl_rate(REDUCIBLE, Q, [1.0, 0.0, 0.0]) == math.inf


# --- invalid input ------------------------------------------------------------------------


@pytest.mark.parametrize("P, Q, match", [
    ([[0.5, 0.5], [0.5, 0.6]], UNIFORM, r"row 1 of P sums to 1.1, not 1 \(tolerance"),
    (P_ISSUE, [[0.5, 0.5], [0.3, 0.3]], r"row 1 of Q sums to 0.6, not 1"),
    ([[1.5, -0.5], [0.5, 0.5]], UNIFORM, r"P has negative entries \(first -0.5 at index \[0, 1\]\)"),
    (P_ISSUE, [[math.nan, 1.0], [0.5, 0.5]], r"Q contains NaN \(first at index \[0, 0\]\)"),
    ([[math.inf, 0.0], [0.5, 0.5]], UNIFORM, r"P contains inf"),
    ([0.5, 0.5], UNIFORM, r"P must be a square transition matrix .* got shape \(2,\)"),
    (np.full((2, 3), 1 / 3), UNIFORM, r"P is not square: its last two axes have shape \(2, 3\)"),
    (P_ISSUE, np.eye(3), r"P has 2 states but Q has 3"),
    (np.stack([P_ISSUE] * 2), np.stack([UNIFORM] * 3), r"batch axes of the matrices do not broadcast"),
    (np.zeros((0, 0)), np.zeros((0, 0)), r"P has no states"),
    ([["a", "b"], ["c", "d"]], UNIFORM, r"P has dtype"),
])
def test_invalid_matrices_name_the_argument(P, Q, match):
    with raises(match):
        markov.kl_rate(P, Q)


def test_wrong_row_in_a_batch_names_the_matrix():
    batch = np.stack([P_ISSUE, [[0.5, 0.5], [0.9, 0.9]]])
    with raises(r"row 1 of P\[1\] sums to 1.8"):
        markov.entropy_rate(batch)


@pytest.mark.parametrize("pi, match", [
    ([0.5, 0.5], r"pi is not stationary for P: pi @ P differs from pi by 0.15 at state 0"),
    ([0.8, 0.2, 0.0], r"pi must have length 2, one entry per state, got shape \(3,\)"),
    (0.5, r"pi must have length 2"),
    ([0.9, 0.3], r"pi sums to 1.2, not 1"),
    ([1.2, -0.2], r"pi has negative entries"),
    ([math.nan, 0.2], r"pi contains NaN"),
    (np.full((3, 2), 0.5), r"batch axes of pi \(3, 2\) do not broadcast with those of P \(2, 2, 2\)"),
])
def test_invalid_pi(pi, match):
    P = np.stack([P_ISSUE, P_ISSUE]) if np.ndim(pi) == 2 else P_ISSUE
    with raises(match):
        markov.kl_rate(P, UNIFORM, pi)


def test_invalid_base():
    with raises(r"base must be positive, finite and not 1"):
        markov.kl_rate(P_ISSUE, UNIFORM, base=1)
    with raises(r"base must be a real number"):
        markov.entropy_rate(P_ISSUE, base="2")


def test_given_stationary_pi_is_accepted_and_validate_false_agrees():
    pi = [0.8, 0.2]
    expected = markov.kl_rate(P_ISSUE, UNIFORM)
    assert markov.kl_rate(P_ISSUE, UNIFORM, pi) == pytest.approx(expected, rel=1e-15)
    assert markov.kl_rate(P_ISSUE, UNIFORM, validate=False) == expected
    np.testing.assert_array_equal(markov.stationary(P_ISSUE, validate=False), markov.stationary(P_ISSUE))


# --- batches ------------------------------------------------------------------------------


def test_batches_match_one_chain_at_a_time():
    rng = np.random.default_rng(11)
    P = np.stack([random_chain(rng, 3, zeros=bool(i % 2)) for i in range(4)]).reshape(2, 2, 3, 3)
    Q = random_chain(rng, 3)  # broadcast against every chain of the batch
    kl = markov.kl_rate(P, Q)
    h = markov.entropy_rate(P, base=2)
    pi = markov.stationary(P)
    assert kl.shape == h.shape == (2, 2) and pi.shape == (2, 2, 3)
    for index in np.ndindex(2, 2):
        assert kl[index] == pytest.approx(markov.kl_rate(P[index], Q), rel=1e-15)
        assert h[index] == pytest.approx(markov.entropy_rate(P[index], base=2), rel=1e-15)
        np.testing.assert_allclose(pi[index], reference_stationary(P[index]), rtol=1e-12)
    np.testing.assert_allclose(markov.kl_rate(P, Q, pi), kl, rtol=1e-15)


def test_reducible_member_of_a_batch_is_located():
    with raises(r"P\[1\] is reducible"):
        markov.stationary(np.stack([P_ISSUE, np.eye(2)]))


# --- array libraries ----------------------------------------------------------------------


def test_every_library_gives_the_numpy_values(xp):
    rng = np.random.default_rng(12)
    P, Q = random_chain(rng, 4, zeros=True), random_chain(rng, 4)
    kl = markov.kl_rate(xp.asarray(P), xp.asarray(Q))
    h = markov.entropy_rate(xp.asarray(P), base=2)
    pi = markov.stationary(xp.asarray(P))
    assert type(pi) is type(xp.asarray(P))
    assert type(kl) is (np.float64 if xp is np else type(xp.asarray(P)))
    assert to_numpy(kl) == pytest.approx(markov.kl_rate(P, Q), rel=1e-14)
    assert to_numpy(h) == pytest.approx(markov.entropy_rate(P, base=2), rel=1e-14)
    np.testing.assert_allclose(to_numpy(pi), reference_stationary(P), rtol=1e-12)
    with raises(r"P is reducible"):
        markov.kl_rate(xp.asarray(REDUCIBLE), xp.asarray(np.full((3, 3), 1 / 3)))


def test_torch_keeps_dtype_and_differentiates():
    torch = pytest.importorskip("torch")
    assert markov.kl_rate(torch.tensor(P_ISSUE), torch.tensor(UNIFORM), [0.8, 0.2]).dtype == torch.float32

    def rate(logits_p, logits_q):
        return markov.kl_rate(torch.softmax(logits_p, dim=-1), torch.softmax(logits_q, dim=-1))

    gen = torch.Generator().manual_seed(0)
    args = (torch.randn(3, 3, generator=gen, dtype=torch.float64, requires_grad=True),
            torch.randn(3, 3, generator=gen, dtype=torch.float64, requires_grad=True))
    # Finite differences: the gradient flows through the computed stationary distribution too.
    assert torch.autograd.gradcheck(rate, args)


def test_torch_gradient_is_finite_when_q_forbids_a_transition_of_an_ignored_state():
    torch = pytest.importorskip("torch")
    P = torch.tensor(REDUCIBLE, dtype=torch.float64, requires_grad=True)
    Q = torch.tensor([[0.0, 1.0, 0.0], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]], dtype=torch.float64, requires_grad=True)
    value = markov.kl_rate(P, Q, torch.tensor([0.0, 1 / 3, 2 / 3], dtype=torch.float64))
    value.backward()
    assert torch.isfinite(value)
    assert torch.all(torch.isfinite(P.grad)) and torch.all(torch.isfinite(Q.grad))


def test_jax_jit_runs_without_checks():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    value = jax.jit(markov.kl_rate)(jnp.asarray(P_ISSUE), jnp.asarray(UNIFORM))
    assert float(value) == pytest.approx(ISSUE_NATS, abs=1e-10)


# --- properties ---------------------------------------------------------------------------


@st.composite
def chains(draw, states=None):
    S = draw(st.integers(1, 5)) if states is None else states
    w = draw(arrays(np.float64, (S, S), elements=st.floats(0, 1)))
    # A pinch of the cycle 0 -> 1 -> ... -> 0 keeps every chain irreducible, zeros and all.
    cycle = np.roll(np.eye(S), 1, axis=1)
    w = w / np.where(w.sum(axis=1, keepdims=True) > 0, w.sum(axis=1, keepdims=True), 1.0)
    a = draw(st.floats(0.01, 1))
    P = (1 - a) * w + a * cycle
    return P / P.sum(axis=1, keepdims=True)


@given(st.data())
def test_kl_rate_is_non_negative_and_zero_for_equal_chains(data):
    P = data.draw(chains())
    Q = data.draw(chains(states=P.shape[0]))
    assert markov.kl_rate(P, Q) >= 0
    assert markov.kl_rate(P, P) == 0


@given(chains())
def test_entropy_rate_lies_between_zero_and_log_states(P):
    h = markov.entropy_rate(P)
    assert 0 <= h <= math.log(P.shape[0]) * (1 + 1e-12)
    pi = markov.stationary(P)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-14)
