"""``dv.kl(a, b)`` and friends on distribution objects: closed form first, then a numerical route.

The order is fixed and documented: a registered closed form of the measure; a closed form of
a measure it derives from (Hellinger from Bhattacharyya, PSI from KL both ways, Renyi of order 1 from KL and of order 1/2 from Bhattacharyya); quadrature,
summation or Monte Carlo; otherwise ``NotRegisteredError`` naming both types.
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
from .._special import sqrt_with_zero_gradient
from .._validation import check_alpha, check_base
from . import _numerical
from ._base import Distribution
from ._registry import REGISTRIES
from ._scipy import as_distribution

__all__ = ["METHODS", "divergence"]

METHODS = ("auto", "closed_form", "numerical", "quadrature", "summation", "monte_carlo")

Array = Any
ClosedForm = Callable[[Any], Array]  # xp -> the value


def _closed(name: str, p: Distribution, q: Distribution, params: dict[str, Any]) -> ClosedForm | None:
    """A function ``xp -> value`` computing the measure in closed form, or ``None``."""
    registry = REGISTRIES.get(name)
    found = registry.lookup(type(p), type(q)) if registry is not None else None
    if found is not None:
        fn, swapped = found
        a, b = (q, p) if swapped else (p, q)
        return lambda xp: fn(a, b, xp=xp, **params)
    if name == "renyi" and params["alpha"] == 1:
        return _closed("kl", p, q, {})
    if name == "renyi" and params["alpha"] == 0.5:
        half = _closed("bhattacharyya", p, q, {})
        if half is not None:
            return lambda xp: 2.0 * half(xp)
    if name == "hellinger":
        bc = _closed("bhattacharyya", p, q, {})
        if bc is not None:
            return lambda xp: sqrt_with_zero_gradient(-xp.expm1(-bc(xp)), xp)
    if name == "psi":
        forward, backward = _closed("kl", p, q, {}), _closed("kl", q, p, {})
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
    registry = REGISTRIES.get("bhattacharyya" if name == "hellinger" else "js" if name == "js_distance" else name)
    known = registry.described_for(type(p)) if registry is not None else "nothing"
    return NotRegisteredError(
        f"{name}({type(p).__name__}, {type(q).__name__}): no closed form is registered ({why}); "
        f"{type(p).__name__} has closed forms of {name} against: {known}"
    )


def divergence(
    name: str,
    p: object,
    q: object,
    *,
    base: float | None = None,
    return_error: bool = False,
    method: str = "auto",
    n_samples: int = 100_000,
    random_state: Any = None,
    **params: Any,
) -> Any:
    """Measure ``name`` between two distribution objects (see the module docstring).

    ``js_distance`` is the square root of ``js`` in the requested base.
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
    p, q = as_distribution(p, "p"), as_distribution(q, "q")
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
            values, errors = _numerical.numerical(
                name, p, q, alpha=params.get("alpha"), method=method, n_samples=n_samples,
                random_state=random_state,
            )
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
