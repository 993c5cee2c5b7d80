"""``dv.kl(a, b)`` and friends on distribution objects: closed form first, then a numerical route.

The order is fixed and documented:

1. a registered closed form of the measure;
2. a closed form derived from another measure's *registered* closed form: Renyi of order 1
   from KL, of order 1/2 from Bhattacharyya and of order 2 from chi-square; Bhattacharyya
   from Renyi of order 1/2 (``D_B = D_{1/2} / 2``); chi-square from Renyi of order 2
   (``expm1(D_2)``); Hellinger from Bhattacharyya (registered or derived); PSI from KL both
   ways. Deriving only from registered forms keeps two measures that derive from each other
   (Renyi 1/2 and Bhattacharyya) from calling each other forever;
3. quadrature, summation or Monte Carlo (``_numerical``);
4. otherwise ``NotRegisteredError`` naming both types.

``entropy(p)`` is the cross entropy ``H(p, p)``: a registered cross-entropy form serves, else
the family's own closed form (:meth:`Distribution._entropy`), else the numerical cross
entropy of ``p`` with itself. ``f_divergence`` has numerical routes only, with the user's ``f``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array_api import is_numpy, namespace
from .._exceptions import InvalidInputError, NotRegisteredError
from .._metadata import DIVERGENCES
from .._special import full_like, sqrt_with_zero_gradient, substitute
from .._validation import check_alpha, check_base
from . import _numerical
from ._base import Distribution
from ._registry import REGISTRIES
from ._scipy import as_distribution

__all__ = ["METHODS", "divergence"]

METHODS = ("auto", "closed_form", "numerical", "quadrature", "summation", "monte_carlo")

Array = Any
ClosedForm = Callable[[Any], Array]  # xp -> the value


def _registered(name: str, p: Distribution, q: Distribution, params: dict[str, Any]) -> ClosedForm | None:
    """The registered closed form of ``name`` for the pair, as ``xp -> value``, or ``None``."""
    registry = REGISTRIES.get(name)
    found = registry.lookup(type(p), type(q)) if registry is not None else None
    if found is None:
        return None
    fn, swapped = found
    a, b = (q, p) if swapped else (p, q)
    return lambda xp: fn(a, b, xp=xp, **params)


def _then(source: ClosedForm | None, transform: Callable[[Array, Any], Array]) -> ClosedForm | None:
    """``transform(source(xp), xp)``, or ``None`` without a source."""
    if source is None:
        return None
    return lambda xp: transform(source(xp), xp)


def _expm1(value: Array, xp: Any) -> Array:
    """``expm1``, full relative accuracy for tiny values; ``inf`` with a zero gradient."""
    finite = xp.isfinite(value)
    out = xp.expm1(substitute(finite, value, 0.0, xp))
    return xp.where(finite, out, full_like(out, math.inf, xp))


def _closed(name: str, p: Distribution, q: Distribution, params: dict[str, Any]) -> ClosedForm | None:
    """A function ``xp -> value`` computing the measure in closed form, or ``None``."""
    if name == "entropy":  # H(p) = H(p, p), else the family's own form
        cross = _registered("cross_entropy", p, p, {})
        if cross is None and type(p)._entropy is not Distribution._entropy:
            return p._entropy
        return cross
    direct = _registered(name, p, q, params)
    if direct is not None:
        return direct
    alpha = params.get("alpha")
    if name == "renyi" and alpha == 1:
        return _registered("kl", p, q, {})
    if name == "renyi" and alpha == 0.5:
        return _then(_registered("bhattacharyya", p, q, {}), lambda b, xp: 2.0 * b)
    if name == "renyi" and alpha == 2:
        return _then(_registered("chi2", p, q, {}), lambda c, xp: xp.log1p(c))
    if name == "bhattacharyya":
        return _then(_registered("renyi", p, q, {"alpha": 0.5}), lambda d, xp: 0.5 * d)
    if name == "chi2":
        return _then(_registered("renyi", p, q, {"alpha": 2.0}), _expm1)
    if name == "hellinger":
        return _then(_closed("bhattacharyya", p, q, {}),
                     lambda b, xp: sqrt_with_zero_gradient(-xp.expm1(-b), xp))
    if name == "psi":
        forward, backward = _registered("kl", p, q, {}), _registered("kl", q, p, {})
        if forward is not None and backward is not None:
            return lambda xp: forward(xp) + backward(xp)
    return None


def _check_method(method: object, n_samples: object) -> tuple[str, int]:
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 2:
        raise InvalidInputError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    return str(method), int(n_samples)


def _not_registered(name: str, p: Distribution, q: Distribution, why: str) -> NotRegisteredError:
    if name == "entropy":
        return NotRegisteredError(f"entropy({type(p).__name__}): no closed form ({why})")
    if name == "f_divergence":
        return NotRegisteredError(
            f"f_divergence({type(p).__name__}, {type(q).__name__}): no closed form for a general f ({why}); "
            "call the measure itself (dv.kl, dv.chi2, dv.total_variation, ...) for its closed form"
        )
    registry = REGISTRIES.get("bhattacharyya" if name == "hellinger" else "js" if name == "js_distance" else name)
    known = registry.described_for(type(p)) if registry is not None else "nothing"
    return NotRegisteredError(
        f"{name}({type(p).__name__}, {type(q).__name__}): no closed form is registered ({why}); "
        f"{type(p).__name__} has closed forms of {name} against: {known}"
    )


def _f_measure(f: Callable[[Any], Any], value_at_zero: float, slope_at_infinity: float) -> _numerical.Measure:
    """The f-divergence ``integral q f(p/q)`` as a measure of the numerical routes.

    Formed from the log densities, as ``exp(log q + log|f(t)|)`` with ``t = exp(log p - log q)``,
    so that a term stays right where ``q`` alone underflows. ``q = 0 < p`` contributes
    ``p * slope_at_infinity`` and ``p = 0 < q`` contributes ``q f(0+)``.
    """

    def f_of(t: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(f(t), dtype=np.float64), t.shape)

    def at_zero_and_infinity(lp: np.ndarray, lq: np.ndarray, body: np.ndarray) -> np.ndarray:
        p_pos, q_pos = ~np.isneginf(lp), ~np.isneginf(lq)
        with np.errstate(all="ignore"):
            lone_p = math.inf if math.isinf(slope_at_infinity) else np.exp(lp) * slope_at_infinity
            lone_q = math.inf if math.isinf(value_at_zero) else np.exp(lq) * value_at_zero
        out = np.where(p_pos & q_pos, body, 0.0)
        out = np.where(p_pos & ~q_pos, lone_p, out)
        return np.where(~p_pos & q_pos, lone_q, out)

    def pointwise(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            ft = f_of(np.exp(lp - lq))
            body = np.sign(ft) * np.exp(lq + np.log(np.abs(ft)))
        return at_zero_and_infinity(lp, lq, body)

    def rounding(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
        # t carries a relative error of about eps (1 + |log p| + |log q|); f'(t) by differences.
        with np.errstate(all="ignore"):
            t, h = np.exp(lp - lq), 1e-6
            slope = (f_of(t * (1 + h)) - f_of(t * (1 - h))) / (2 * h)
            size = np.abs(f_of(t)) + np.abs(slope) * (1 + np.abs(lp) + np.abs(lq))
            return 4 * _numerical.EPS * np.exp(lq) * size

    def monte_carlo(lp_x: np.ndarray, lq_x: np.ndarray, lp_y: np.ndarray, lq_y: np.ndarray) -> tuple[float, float]:
        # E_q f(p/q) over draws of q, plus slope * P(q = 0) over draws of p (an infinite slope
        # with such draws is +inf before this is called).
        with np.errstate(all="ignore"):
            terms = np.where(np.isneginf(lp_y), value_at_zero, f_of(np.exp(lp_y - lq_y)))
        missed = np.where(np.isneginf(lq_x) & ~np.isneginf(lp_x), slope_at_infinity, 0.0)
        if math.isinf(value_at_zero) and np.isneginf(lp_y).any():
            return math.inf, 0.0
        (a, sa), (b, sb) = _numerical._mean_se(terms), _numerical._mean_se(missed)
        return a + b, math.hypot(sa, sb)

    return _numerical.Measure(
        pointwise, lambda total, error: (total, error), monte_carlo, union=True,
        infinite_if_q_misses_p=math.isinf(slope_at_infinity), needs_q_samples=True, rounding=rounding,
    )


def _numerical_values(
    name: str, p: Distribution, q: Distribution, params: dict[str, Any], method: str, n_samples: int,
    random_state: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and errors of every batch element by a numerical route (NumPy float64)."""
    if name != "f_divergence":
        measure = "cross_entropy" if name == "entropy" else name  # H(p) = H(p, p)
        return _numerical.numerical(measure, p, q, alpha=params.get("alpha"), method=method,
                                    n_samples=n_samples, random_state=random_state)
    # The f-divergence's measure depends on f: the routes of _numerical, one element at a time.
    f_measure = _f_measure(**params)
    batch = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    ps, qs = p.broadcast_to(batch).numpy_items(), q.broadcast_to(batch).numpy_items()
    way = _numerical.route(p, q) if method in ("auto", "numerical") else method
    values, errors = np.empty(len(ps)), np.empty(len(ps))
    for i, (pi, qi) in enumerate(zip(ps, qs)):
        if way == "monte_carlo":
            values[i], errors[i] = _numerical._monte_carlo(f_measure, pi, qi, n_samples, random_state)
        elif way == "quadrature":
            values[i], errors[i] = _numerical._quadrature(f_measure, pi, qi)
        else:
            values[i], errors[i] = _numerical._summation(f_measure, pi.to_scipy(), qi.to_scipy())
    return values.reshape(batch), errors.reshape(batch)


def divergence(
    name: str,
    p: object,
    q: object = None,
    *,
    base: float | None = None,
    return_error: bool = False,
    method: str = "auto",
    n_samples: int = 100_000,
    random_state: Any = None,
    **params: Any,
) -> Any:
    """Measure ``name`` between two distribution objects (see the module docstring).

    ``js_distance`` is the square root of ``js`` in the requested base; ``entropy`` takes
    ``p`` alone; ``f_divergence`` takes ``f``, ``value_at_zero`` and ``slope_at_infinity``
    (``discrete.kernel_params``).
    """
    if name == "js_distance":  # the square root of js in the requested base
        js, js_error = divergence("js", p, q, base=base, return_error=True, method=method,
                                  n_samples=n_samples, random_state=random_state)
        xp = namespace(js)
        value = sqrt_with_zero_gradient(xp.asarray(js), xp)
        error = xp.where(value > 0, js_error / (2 * value + (value == 0)), xp.sqrt(xp.asarray(js_error)))
        if is_numpy(xp) and value.ndim == 0:
            value, error = value[()], error[()]
        return (value, error) if return_error else value
    info = DIVERGENCES[name]
    p = as_distribution(p, "p")
    q = p if name == "entropy" else as_distribution(q, "q")
    # dv.Normal(0.0, 1.0) against torch parameters: the plain-number side follows the arrays.
    if p.neutral and not q.neutral and q.params():
        p = p.like(q)
    elif q.neutral and not p.neutral and p.params():
        q = q.like(p)
    method, n_samples = _check_method(method, n_samples)
    checked_base = check_base(base)
    if checked_base is not None and not info.logarithmic:
        raise InvalidInputError(f"{name} has no logarithm: base does not apply (leave it None)")
    if not isinstance(return_error, bool):
        raise InvalidInputError(f"return_error must be True or False, got {return_error!r}")
    if name == "renyi":
        params["alpha"] = check_alpha(params["alpha"])
    xp = namespace(*p.params().values(), *q.params().values())
    dtype = xp.result_type(*[d.dtype for d in (p, q) if d.params()] or [np.float64])

    value = error = None
    if method in ("auto", "closed_form"):
        closed = _closed(name, p, q, params)
        if closed is not None:
            value = closed(xp)
            value = xp.broadcast_to(value, tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape)))
            error = xp.zeros_like(value)
        elif method == "closed_form":
            raise _not_registered(name, p, q, "method='closed_form' allows no numerical route")
    if value is None:
        try:
            values, errors = _numerical_values(name, p, q, params, method, n_samples, random_state)
        except NotImplementedError as exc:  # no SciPy form, no sampler: nothing numerical either
            if isinstance(exc, NotRegisteredError):
                raise
            raise _not_registered(name, p, q, f"and no numerical route: {exc}") from None
        device = getattr(next(iter(p.params().values()), None), "device", None)
        kwargs = {"dtype": dtype} | ({"device": device} if device is not None and not is_numpy(xp) else {})
        value, error = xp.asarray(values, **kwargs), xp.asarray(errors, **kwargs)

    if checked_base is not None:
        scale = math.log(checked_base)
        value, error = value / scale, error / abs(scale)
    if is_numpy(xp) and value.ndim == 0:
        value, error = value[()], error[()]
    return (value, error) if return_error else value
