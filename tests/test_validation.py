"""One test per error message: each names the argument and the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest

import divergences as dv
from conftest import raises_invalid as raises

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]


def test_negative_entry_names_argument_value_and_index():
    with raises(r"q has negative entries \(first -0.1 at index \[1\]\)"):
        dv.kl(P, [0.9, -0.1, 0.2])


@pytest.mark.parametrize("bad, word", [(math.nan, "NaN"), (math.inf, "inf"), (-math.inf, "inf")])
def test_nan_and_inf_are_refused(bad, word):
    with raises(rf"p contains {word} \(first at index \[2\]\)"):
        dv.js([0.5, 0.5, bad], [0.2, 0.3, 0.5])


def test_wrong_sum_reports_the_sum_and_suggests_normalize():
    with raises(r"p sums to 1.1, not 1 .*pass normalize=True"):
        dv.kl([0.20, 0.40, 0.50], Q)


def test_wrong_sum_in_a_batch_names_the_distribution():
    p = np.full((2, 3), 1 / 3)
    p[1] = [0.5, 0.5, 0.5]
    with raises(r"p\[1\] sums to 1.5"):
        dv.entropy(p)


def test_wrong_sum_is_also_a_value_error():
    with pytest.raises(ValueError):
        dv.kl([0.5, 0.6], [0.5, 0.5])


def test_all_zero_under_normalize():
    with raises(r"q is all zeros: an all-zero distribution cannot be normalised"):
        dv.kl([1, 2, 3], [0, 0, 0], normalize=True)


def test_shapes_that_do_not_broadcast():
    with raises(r"shapes do not broadcast: p \(2, 3\), q \(4, 3\)"):
        dv.kl(np.full((2, 3), 1 / 3), np.full((4, 3), 1 / 3))


def test_event_axis_lengths_must_match():
    with raises(r"the event axis lengths differ: p has 3 but q has 2 events"):
        dv.kl(P, [0.5, 0.5])


def test_empty_event_axis():
    with raises(r"p has an empty axis"):
        dv.entropy(np.empty((3, 0)))


def test_scalar_is_not_a_distribution():
    with raises(r"p is a scalar"):
        dv.entropy(1.0)


@pytest.mark.parametrize("base", [0, -2, 1, math.inf, math.nan])
def test_bad_base(base):
    with raises(r"base must be"):
        dv.kl(P, Q, base=base)


def test_base_must_be_a_number():
    with raises(r"base must be a real number, got '2'"):
        dv.kl(P, Q, base="2")


def test_negative_alpha():
    with raises(r"alpha must be >= 0, got -0.5"):
        dv.renyi(P, Q, -0.5)


@pytest.mark.parametrize("smoothing", [-1, math.inf])
def test_bad_smoothing(smoothing):
    with raises(r"smoothing must be a finite number >= 0"):
        dv.kl(P, Q, smoothing=smoothing)


def test_axis_out_of_range():
    with raises(r"axis 2 is out of range for inputs with 1 dimension"):
        dv.kl(P, Q, axis=2)


def test_axis_must_be_an_integer():
    with raises(r"axis must be an integer or None, got 1.0"):
        dv.kl(P, Q, axis=1.0)


def test_normalize_must_be_a_bool():
    with raises(r"normalize must be True or False"):
        dv.kl(P, Q, normalize="yes")


def test_complex_and_text_dtypes_are_refused():
    with raises(r"p has dtype complex128"):
        dv.entropy(np.array([0.5, 0.5], dtype=complex))
    with raises(r"p could not be read as an array of numbers|p has dtype"):
        dv.entropy(["a", "b"])


def test_masked_arrays_are_refused():
    with raises(r"p is a masked array"):
        dv.entropy(np.ma.masked_array([0.5, 0.5], mask=[0, 1]))


def test_f_must_vanish_at_one():
    with raises(r"f must satisfy f\(1\) = 0, got f\(1\) = 1"):
        dv.f_divergence(P, Q, lambda t: t)


def test_f_must_be_callable():
    with raises(r"f must be a callable"):
        dv.f_divergence(P, Q, 3)


def test_mixing_libraries_is_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(dv.BackendMismatchError, match="different libraries"):
        dv.kl(np.array(P), torch.tensor(Q))


def test_validate_false_skips_the_checks():
    # No error: the caller promised valid input (the value is then the formula's).
    assert np.isfinite(dv.kl([0.2, 0.4, 0.5], Q, validate=False))


def test_invalid_lazy_input_gives_nan_instead_of_raising():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    f = jax.jit(lambda p, q: dv.kl(p, q))
    assert np.isnan(float(f(jnp.asarray([0.2, 0.4, 0.5]), jnp.asarray(Q))))
    assert float(f(jnp.asarray(P), jnp.asarray(Q))) == pytest.approx(1.3356800935337299, rel=1e-14)


def test_eager_jax_input_is_validated():
    jax = pytest.importorskip("jax")
    with raises(r"p sums to 1.1"):
        dv.kl(jax.numpy.asarray([0.2, 0.4, 0.5]), jax.numpy.asarray(Q))


def test_a_distance_needs_a_base_above_one():
    with raises(r"js_distance needs base > 1"):
        dv.js_distance(P, Q, base=0.5)
