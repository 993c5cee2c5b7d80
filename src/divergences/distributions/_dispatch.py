"""``dv.kl(a, b)`` and friends on distribution objects: closed form first, then a numerical route.

The order is fixed and documented:

1. a registered closed form of the measure;
2. a closed form derived from another measure's *registered* closed form (:data:`DERIVED`
   lists them): Renyi of order 1 from KL, of order 1/2 from Bhattacharyya and of order 2
   from chi-square; Bhattacharyya from Renyi of order 1/2 (``D_B = D_{1/2} / 2``);
   chi-square from Renyi of order 2 (``expm1(D_2)``); Hellinger from Bhattacharyya
   (registered or derived); PSI from KL both ways. Deriving only from registered forms keeps
   two measures that derive from each other (Renyi 1/2 and Bhattacharyya) from calling each
   other forever. :func:`closed_form` answers for a pair of types, so the docs page lists the
   derived forms from the same code;
3. quadrature, summation or Monte Carlo (``_numerical``);
4. otherwise ``NotRegisteredError`` naming both types.

A registered form that has no answer for the instances it was given raises
``_registry.NoClosedForm`` (an ``Independent`` pair whose bases have no closed form of the
measure, an ``ExponentialFamily`` pair of two different families): the pair then goes on to
step 3 as if nothing were registered.

Before any of them, the batch shapes of ``p`` and ``q`` must broadcast and their outcomes have
one shape (``InvalidInputError`` naming both). An instance of a registered class of one's own
(not a :class:`Distribution`) has step 1 and 2 only.

``entropy(p)`` is the cross entropy ``H(p, p)``: a registered cross-entropy form serves, else
the family's own closed form (:meth:`Distribution._entropy`), else the numerical cross
entropy of ``p`` with itself. ``f_divergence`` has numerical routes only, with the user's ``f``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._array_api import device, is_numpy, namespace, to_numpy
from .._exceptions import InvalidInputError, NotRegisteredError
from .._metadata import DIVERGENCES
from .._options import METHODS, Options
from .._special import full_like, sqrt_with_zero_gradient, substitute
from . import _numerical
from ._base import Distribution
from ._independent import Independent
from ._registry import FOUND, REGISTRIES, Estimated, NoClosedForm, Partial, is_registered_instance
from ._scipy import as_distribution

__all__ = ["DERIVED", "METHODS", "ClosedForm", "closed_form", "divergence"]

Array = Any
Form = Callable[[Distribution, Distribution, Any], Array]  # (p, q, xp) -> the value


class ClosedForm(NamedTuple):
    """A closed form of a measure for a pair of types."""

    form: Form
    #: The registered function (or functions) it reads, after the derivation's formula if derived.
    source: str
    derived: bool = False


def _registered(name: str, type_p: type, type_q: type, params: dict[str, Any]) -> ClosedForm | None:
    """The registered closed form of ``name`` for the pair of types."""
    registry = REGISTRIES.get(name)
    found = registry.lookup(type_p, type_q) if registry is not None else None
    if found is None:
        return None
    fn, swapped = found
    where = f"`{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}`"
    if swapped:
        return ClosedForm(lambda p, q, xp: fn(q, p, xp=xp, **params), where)
    return ClosedForm(lambda p, q, xp: fn(p, q, xp=xp, **params), where)


def _then(form: Form, transform: Callable[[Array, Any], Array]) -> Form:
    """``transform(form(p, q, xp), xp)`` (of a :class:`~._registry.Partial`'s value, its
    unsettled elements kept)."""

    def derived(p: Any, q: Any, xp: Any) -> Any:
        value = form(p, q, xp)
        if type(value) is Partial:
            return value._replace(value=transform(value.value, xp))
        return transform(value, xp)

    return derived


def _sum(first: Any, second: Any) -> Any:
    """``first + second``, a :class:`~._registry.Partial` where either is (unsettled where
    either is)."""
    if type(first) is not Partial and type(second) is not Partial:
        return first + second
    parts = [v if type(v) is Partial else Partial(v, False, "") for v in (first, second)]
    return Partial(parts[0].value + parts[1].value, parts[0].unsettled | parts[1].unsettled,
                   "; ".join(v.reason for v in parts if v.reason))


def _expm1(value: Array, xp: Any) -> Array:
    """``expm1``, full relative accuracy for tiny values; ``inf`` with a zero gradient."""
    finite = xp.isfinite(value)
    out = xp.expm1(substitute(finite, value, 0.0, xp))
    return xp.where(finite, out, full_like(out, math.inf, xp))


@dataclass(frozen=True)
class _Derivation:
    """``measure`` (of order ``alpha`` for Renyi) as ``transform`` of ``source``'s registered form."""

    measure: str
    alpha: float | None
    source: str
    source_params: dict[str, float]
    transform: Callable[[Array, Any], Array]
    formula: str


# Derivations read *registered* forms only: Renyi 1/2 and Bhattacharyya, which derive from each
# other, would otherwise call each other forever.
_DERIVATIONS = (
    _Derivation("renyi", 1.0, "kl", {}, lambda v, xp: v, "Renyi of order 1 = KL"),
    _Derivation("renyi", 0.5, "bhattacharyya", {}, lambda b, xp: 2.0 * b, "Renyi of order 1/2 = 2 Bhattacharyya"),
    _Derivation("renyi", 2.0, "chi2", {}, lambda c, xp: xp.log1p(c), "Renyi of order 2 = log(1 + chi-square)"),
    _Derivation("bhattacharyya", None, "renyi", {"alpha": 0.5}, lambda d, xp: 0.5 * d,
                "Bhattacharyya = Renyi of order 1/2 / 2"),
    _Derivation("chi2", None, "renyi", {"alpha": 2.0}, _expm1, "chi-square = expm1(Renyi of order 2)"),
)
_HELLINGER = "Hellinger = sqrt(1 - exp(-Bhattacharyya))"
_PSI = "PSI(p, q) = KL(p, q) + KL(q, p)"
#: Every derivation of a closed form from another measure's, in words (listed on the docs page).
DERIVED = (
    *(d.formula for d in _DERIVATIONS),
    f"{_HELLINGER}, the Bhattacharyya registered or derived",
    f"{_PSI}, both registered",
    "entropy H(p) = cross entropy H(p, p), else the family's own closed form (`_entropy`)",
)


def closed_form(name: str, type_p: type, type_q: type, params: dict[str, Any]) -> ClosedForm | None:
    """The closed form of ``name`` for a pair of types, registered or derived (see
    :data:`DERIVED`), or ``None``. ``entropy`` reads ``type_p`` only.

    Examples
    --------
    >>> import divergences as dv
    >>> found = closed_form("hellinger", dv.Normal, dv.Normal, {})
    >>> found.derived, found.source
    (True, 'Hellinger = sqrt(1 - exp(-Bhattacharyya)), from `_closed_univariate._bhattacharyya_normal_normal`')
    >>> round(float(found.form(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), np)), 6)
    0.342787
    """
    if name == "entropy":
        cross = _registered("cross_entropy", type_p, type_p, {})
        if cross is not None:
            return ClosedForm(cross.form, f"H(p, p), from {cross.source}", derived=True)
        own = getattr(type_p, "_entropy", None)
        if own is not None and own is not Distribution._entropy:
            return ClosedForm(lambda p, q, xp: p._entropy(xp), f"`{type_p.__name__}._entropy`")
        return None
    direct = _registered(name, type_p, type_q, params)
    if direct is not None:
        return direct
    for d in (d for d in _DERIVATIONS if d.measure == name and d.alpha == params.get("alpha")):
        source = _registered(d.source, type_p, type_q, d.source_params)
        if source is not None:
            return ClosedForm(_then(source.form, d.transform), f"{d.formula}, from {source.source}", derived=True)
    if name == "hellinger":
        bhattacharyya = closed_form("bhattacharyya", type_p, type_q, {})
        if bhattacharyya is not None:
            hellinger = _then(bhattacharyya.form, lambda b, xp: sqrt_with_zero_gradient(-xp.expm1(-b), xp))
            return ClosedForm(hellinger, f"{_HELLINGER}, from {bhattacharyya.source}", derived=True)
    if name == "psi":
        forward, backward = _registered("kl", type_p, type_q, {}), _registered("kl", type_q, type_p, {})
        if forward is not None and backward is not None:
            f, b = forward.form, backward.form
            how = f"{_PSI}, from {forward.source} and {backward.source}"
            return ClosedForm(lambda p, q, xp: _sum(f(p, q, xp), b(q, p, xp)), how, derived=True)
    return None


def _cached_closed_form(name: str, type_p: type, type_q: type, params: Any) -> ClosedForm | None:
    """:func:`closed_form`, remembered per measure, pair of types and options until the next
    registration (``_registry.FOUND``, which every registration empties)."""
    try:
        key = (name, type_p, type_q, tuple(sorted(params.items())) if params else ())
        hash(key)
    except TypeError:  # an option that cannot be a key (never for the registered measures)
        return closed_form(name, type_p, type_q, dict(params))
    found = FOUND.get(key, FOUND)
    if found is FOUND:
        found = FOUND[key] = closed_form(name, type_p, type_q, dict(params))
    return found  # type: ignore[return-value]


def _not_registered(name: str, p: Distribution, q: Distribution, why: str,
                    declined: NoClosedForm | None = None) -> NotRegisteredError:
    """The error for a pair without a closed form; ``why`` says why nothing else applies, and
    ``declined`` is the refusal of a registered form that had no answer for these two."""
    if declined is not None:
        call = f"entropy({type(p).__name__})" if name == "entropy" else f"{name}({type(p).__name__}, {type(q).__name__})"
        return NotRegisteredError(f"{call}: no closed form for these two: {declined}; {why}")
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


def _broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """``np.broadcast_shapes(a, b)``, without its cost when the shapes are equal."""
    return a if a == b else tuple(np.broadcast_shapes(a, b))


_EVENT_FIELDS: dict[type, tuple[tuple[str, int], ...]] = {}


def _event_fields(cls: type) -> tuple[tuple[str, int], ...]:
    """The parameters of a family that have event dimensions, with their number (per class, once)."""
    found = _EVENT_FIELDS.get(cls)
    if found is None:
        found = _EVENT_FIELDS[cls] = tuple((f.name, f.metadata.get("event_ndim", 0)) for f in dataclasses.fields(cls)
                                           if f.metadata.get("event_ndim", 0))
    return found


def _check_shapes(p: Distribution, q: Distribution) -> None:
    """The batch shapes of ``p`` and ``q`` broadcast, their outcomes have one shape, and two of
    one family with scalar outcomes have parameters of one event shape (Categorical's number
    of categories); else ``InvalidInputError`` naming both."""
    try:
        _broadcast_shapes(p.batch_shape, q.batch_shape)
    except ValueError:
        raise InvalidInputError(
            f"the batch shapes of p ({type(p).__name__}), {p.batch_shape}, and of q ({type(q).__name__}), "
            f"{q.batch_shape}, do not broadcast"
        ) from None
    if type(p) is type(q) and not p.event_ndim and not isinstance(p, Independent) and not _event_fields(type(p)):
        return  # scalar outcomes and no parameter with event dimensions: nothing more to compare
    kinds = f"p ({type(p).__name__})", f"q ({type(q).__name__})"
    ep, eq = p.event_shape, q.event_shape
    # A scalar outcome and a one-dimensional one of length 1 are the same outcome (a Normal
    # against a univariate GaussianMixture): only the number of coordinates must agree.
    if ep is not None and eq is not None and ep != eq and math.prod(ep) != math.prod(eq):
        raise InvalidInputError(
            f"{kinds[0]} and {kinds[1]} have outcomes of different shapes: event shapes {ep} and {eq}"
        )
    if isinstance(p, Independent) and isinstance(q, Independent):
        n_p, n_q = p.reinterpreted_batch_ndims, q.reinterpreted_batch_ndims
        if n_p != n_q:
            raise InvalidInputError(
                f"{kinds[0]} reinterprets {n_p} batch dimension(s) of its base as event dimensions and "
                f"{kinds[1]} {n_q}: two Independent laws are compared only when they reinterpret as many"
            )
        if ep != eq:
            raise InvalidInputError(f"{kinds[0]} and {kinds[1]} have different event shapes, {ep} and {eq}")
        _check_shapes(p.base, q.base)
    if type(p) is type(q) and not p.event_ndim:
        for name, nd in _event_fields(type(p)):
            sp, sq = (tuple(getattr(d, name).shape[-nd:]) for d in (p, q))
            if sp != sq:
                raise InvalidInputError(
                    f"{kinds[0]} and {kinds[1]} have {name} of different event shapes, {sp} and {sq}"
                )


def _scalar_twin(d: Distribution) -> Distribution:
    """``d`` (unbatched, NumPy) with its zero-dimensional parameters as NumPy scalars, whose
    arithmetic costs a tenth of a 0-d array's: the closed forms of an unbatched pair then
    cost little more than their Python. Made once per object (it is immutable) and kept on it;
    a parameter with event dimensions stays as it is."""
    twin = d.__dict__.get("_scalar_twin")
    if twin is None:
        twin = object.__new__(type(d))
        twin.__dict__.update(d.__dict__)
        for f in dataclasses.fields(d):
            value = getattr(d, f.name)
            if isinstance(value, np.ndarray) and value.ndim == 0:
                object.__setattr__(twin, f.name, value[()])
        object.__setattr__(twin, "_scalar_twin", twin)
        object.__setattr__(d, "_scalar_twin", twin)
    return twin  # type: ignore[no-any-return]


def _arrays_of(d: object) -> list[object]:
    """The parameters of a distribution; the attributes of an instance of one's own class."""
    if isinstance(d, Distribution):
        return list(d.params().values())
    return [v for v in getattr(d, "__dict__", {}).values() if hasattr(v, "shape") and hasattr(v, "dtype")]


def _registered_only(opts: Options, p: Any, q: Any) -> Any:
    """The measure of ``opts`` where ``p`` or ``q`` is an instance of a registered class of
    one's own (not a Distribution): its registered closed forms (direct or derived) only."""
    info = opts.measure
    assert info is not None
    name, params = info.name, dict(opts.params)
    foreign = next(type(d).__name__ for d in (p, q) if not isinstance(d, Distribution))
    call = f"{name}({type(p).__name__})" if name == "entropy" else f"{name}({type(p).__name__}, {type(q).__name__})"
    why = (f"{foreign} is not a divergences.Distribution, so only registered closed forms apply to it; "
           "the numerical routes need log_prob and sample (subclass divergences.Distribution for them)")
    if opts.method not in ("auto", "closed_form"):
        raise NotRegisteredError(f"{call}: method={opts.method!r} is not available: {why}")
    closed = closed_form(name, type(p), type(q), params)
    if closed is None:
        raise NotRegisteredError(f"{call}: no closed form is registered and {why}")
    xp = namespace(*_arrays_of(p), *_arrays_of(q))
    value, error = closed.form(p, q, xp), None
    if isinstance(value, Partial):
        raise NotRegisteredError(f"{call}: {value.reason}, and {why}")
    if isinstance(value, Estimated):
        value, error = value
    if not hasattr(value, "shape"):  # a Python number
        value = xp.asarray(value)
    batch = [d.batch_shape for d in (p, q) if isinstance(d, Distribution)]
    if batch:
        value = xp.broadcast_to(value, tuple(np.broadcast_shapes(tuple(value.shape), *batch)))
    error = xp.zeros_like(value) if error is None else xp.broadcast_to(xp.asarray(error), value.shape)
    if opts.log_base is not None:
        value, error = value / opts.log_base, error / abs(opts.log_base)
    if is_numpy(xp) and value.ndim == 0:
        value, error = value[()], error[()]
    return (value, error) if opts.return_error else value


def _closed_value(closed: ClosedForm, p: Distribution, q: Distribution, batch: tuple[int, ...], xp: Any) -> Any:
    """``closed``'s value for ``p`` and ``q``: an unbatched NumPy pair on its scalar twins."""
    if batch or not is_numpy(xp):
        return closed.form(p, q, xp)
    value = closed.form(_scalar_twin(p), _scalar_twin(q), xp)
    if isinstance(value, np.floating | np.ndarray) and np.ndim(value) == 0 and not math.isfinite(value):
        # NumPy scalars take the forms' array-API branches, without the guards of the in-place
        # path for parameters at the ends of the range (NaN, or inf for a finite value): a
        # batch of one takes that path
        value = closed.form(p.broadcast_to((1,)), q.broadcast_to((1,)), xp)[0]
    return value


# A value of the quadrature or the summation whose error estimate exceeds this share of it
# (and rounding's size) is reported with a warning where the caller did not ask for the
# error (return_error=True): the route could not resolve it.
_UNCERTAIN = 0.01
_ROUNDING = 2.0**-50


def _warn_if_uncertain(name: str, values: np.ndarray, errors: np.ndarray) -> None:
    """Warn where a numerical route's error estimate is more than ``_UNCERTAIN`` of its value
    (a law whose mass lies beyond what doubles resolve: Beta(2.3e-244, 2.3e277) against
    Beta(1e-293, 3.6e-266) has a total variation of 0.5 +- 0.5)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(errors > _ROUNDING, errors / np.abs(values), 0.0)
    uncertain = share > _UNCERTAIN
    if not uncertain.any():
        return
    worst = int(np.argmax(np.where(uncertain, share, -1.0)))
    value, error = float(values.reshape(-1)[worst]), float(errors.reshape(-1)[worst])
    where = f" (the worst of {int(uncertain.sum())} of {values.size} elements)" if values.size > 1 else ""
    warnings.warn(
        f"{name} = {value:.6g} by the numerical route, whose error estimate is {error:.2g}{where}: "
        "pass return_error=True to get the error with the value",
        UserWarning,
        stacklevel=_outside_package(),
    )


def _outside_package() -> int:
    """The stack level of the first caller outside this package (for ``warnings.warn``,
    called from the function that calls this)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(root):
        frame, level = frame.f_back, level + 1
    return level


def _numerically(opts: Options, p: Distribution, q: Distribution, xp: Any, declined: NoClosedForm | None,
                 only: np.ndarray | None = None) -> tuple[Any, Any]:
    """The numerical route's values and errors for every batch element (or the ``only`` ones:
    0 elsewhere), as arrays of ``xp`` of the laws' dtype and device."""
    info = opts.measure
    assert info is not None and info.integrand is not None
    name, method = info.name, opts.method
    try:
        # H(p) = H(p, p): entropy's row names the cross-entropy integrand.
        values, errors = _numerical.numerical(info.integrand(**opts.params), p, q, method=method,
                                              n_samples=opts.n_samples, random_state=opts.random_state, only=only)
    except NotImplementedError as exc:  # no SciPy form, no sampler: nothing numerical either
        if isinstance(exc, NotRegisteredError):
            if declined is not None:
                raise _not_registered(name, p, q, str(exc), declined) from None
            raise
        raise _not_registered(name, p, q, f"and no numerical route: {exc}", declined) from None
    way = _numerical.route(p, q) if method in ("auto", "numerical") else method
    if not opts.return_error and way != "monte_carlo":  # (a sample's standard error is its own matter)
        _warn_if_uncertain(name, values, errors)
    dtype = xp.result_type(*[d.dtype for d in (p, q) if d.params()] or [np.float64])
    on = getattr(next(iter(p.params().values()), None), "device", None)
    kwargs = {"dtype": dtype} | ({"device": on} if on is not None and not is_numpy(xp) else {})
    return xp.asarray(values, **kwargs), xp.asarray(errors, **kwargs)


def divergence(opts: Options, p: object, q: object = None) -> Any:
    """The measure of ``opts`` (checked options, from ``_options.parse``) between two
    distribution objects (see the module docstring); ``entropy`` takes ``p`` alone.

    ``js_distance`` is the square root of ``js`` in the requested base.
    """
    info = opts.measure
    assert info is not None
    name = info.name
    if name == "js_distance":  # the square root of js in the requested base
        # (without return_error, js's own warning says where its error is large)
        found = divergence(opts._replace(measure=DIVERGENCES["js"]), p, q)
        js, js_error = found if opts.return_error else (found, None)
        xp = namespace(js)
        value = sqrt_with_zero_gradient(xp.asarray(js), xp)
        scalar = is_numpy(xp) and value.ndim == 0
        if js_error is None:
            return value[()] if scalar else value
        error = xp.where(value > 0, js_error / (2 * value + (value == 0)), xp.sqrt(xp.asarray(js_error)))
        return (value[()], error[()]) if scalar else (value, error)
    if not isinstance(p, Distribution):
        p = p if is_registered_instance(p) else as_distribution(p, "p")
    if name == "entropy":
        q = p
    elif not isinstance(q, Distribution):
        q = q if is_registered_instance(q) else as_distribution(q, "q")
    if not (isinstance(p, Distribution) and isinstance(q, Distribution)):
        return _registered_only(opts, p, q)
    _check_shapes(p, q)
    # dv.Normal(0.0, 1.0) against torch parameters: the plain-number side follows the arrays.
    p_neutral, q_neutral = p.neutral, q.neutral
    if p_neutral and not q_neutral and q.params():
        p = p.like(q)
    elif q_neutral and not p_neutral and p.params():
        q = q.like(p)
    method, params = opts.method, opts.params
    # The namespace was found when each was made: one look-up, unless the two differ.
    xp = p.xp if p.xp is q.xp else namespace(*p.params().values(), *q.params().values())

    value = error = None
    declined: NoClosedForm | None = None
    partial: Partial | None = None
    if method in ("auto", "closed_form"):
        closed = _cached_closed_form(name, type(p), type(q), params)
        if closed is not None:
            batch = _broadcast_shapes(p.batch_shape, q.batch_shape)
            # A form computes the branches it does not take too (``where``), and overflows there
            # by design: NumPy's warnings of them would only mislead.
            quiet = np.errstate(all="ignore") if is_numpy(xp) else contextlib.nullcontext()
            try:
                with quiet:
                    value = _closed_value(closed, p, q, batch, xp)
            except NoClosedForm as exc:  # registered for the types, not for these two
                declined = exc
            else:
                if type(value) is Partial:  # some elements unsettled: the numerical route below
                    if method == "closed_form":
                        raise _not_registered(name, p, q, "method='closed_form' allows no numerical route",
                                              NoClosedForm(value.reason))
                    partial, value = value, value.value
                if type(value) is Estimated:
                    value, error = value
                if type(value) is not np.float64 and (not hasattr(value, "shape") or tuple(value.shape) != batch):
                    value = xp.broadcast_to(xp.asarray(value), batch)
                if opts.return_error:
                    error = xp.zeros_like(value) if error is None else xp.broadcast_to(xp.asarray(error), batch)
        if value is None and method == "closed_form":
            raise _not_registered(name, p, q, "method='closed_form' allows no numerical route", declined)
    if value is None:
        if info.integrand is None:
            raise _not_registered(name, p, q, "and no numerical route", declined)
        value, error = _numerically(opts, p, q, xp, declined)
    elif partial is not None:  # the closed form's value, the numerical route's where it is unsettled
        unsettled = np.array(np.broadcast_to(to_numpy(partial.unsettled), tuple(value.shape)))  # (writable: torch)
        found, found_error = _numerically(opts, p, q, xp, NoClosedForm(partial.reason), only=unsettled)
        mask = unsettled if is_numpy(xp) else xp.asarray(unsettled, device=device(value))
        value = xp.where(mask, found, value)
        if error is not None:
            error = xp.where(mask, found_error, error)

    if not opts.return_error:
        if opts.log_base is not None:
            value = value / opts.log_base
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        return value
    if opts.log_base is not None:
        value, error = value / opts.log_base, error / abs(opts.log_base)
    if is_numpy(xp) and value.ndim == 0:
        value, error = value[()], error[()]
    return value, error
