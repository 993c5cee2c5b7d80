"""The parameter containers' base class: parameters as arrays of one library, checked once.

A distribution here is nothing but its parameters: a frozen dataclass whose fields are arrays
(NumPy, torch, JAX, ...) with batch dimensions. Closed forms read the fields directly, so they
broadcast over the batch and carry gradients. Numerical routes (quadrature, summation, Monte
Carlo) go through :meth:`Distribution.to_scipy`, one batch element at a time, on NumPy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .._array_api import NUMPY, as_float_arrays, has_dtype, is_lazy, namespace, to_numpy
from .._exceptions import InvalidInputError
from .._validation import sum_tolerance

__all__ = ["Distribution", "param"]

Array = Any

# What each constraint accepts, as (test on a NumPy copy, phrase for the error message).
_CONSTRAINTS: dict[str, tuple[Any, str]] = {
    "real": (np.isfinite, "finite"),
    "positive": (lambda v: np.isfinite(v) & (v > 0), "positive and finite"),
    "nonnegative": (lambda v: np.isfinite(v) & (v >= 0), "finite and >= 0"),
    "probability": (lambda v: (v >= 0) & (v <= 1), "in [0, 1]"),
    "open_probability": (lambda v: (v > 0) & (v < 1), "in the open interval (0, 1)"),
    "count": (lambda v: np.isfinite(v) & (v >= 0) & (v == np.round(v)), "a whole number >= 0"),
}
# The constraints that two reductions settle (min and max; NaN propagates into them and fails
# every comparison): a valid parameter is checked without a mask, the mask finds the culprit.
_RANGES: dict[str, Any] = {
    "real": lambda lo, hi: -np.inf < lo and hi < np.inf,
    "positive": lambda lo, hi: lo > 0 and hi < np.inf,
    "nonnegative": lambda lo, hi: lo >= 0 and hi < np.inf,
    "probability": lambda lo, hi: lo >= 0 and hi <= 1,
    "open_probability": lambda lo, hi: lo > 0 and hi < 1,
}


def param(
    constraint: str, *, default: object = dataclasses.MISSING, event_ndim: int = 0
) -> Any:
    """Declare a parameter field of a family: its constraint, default and number of event dimensions.

    The families of the library declare their fields with it, and so does a family of your
    own (e.g. a subclass of :class:`divergences.ExponentialFamily`): on construction each
    field becomes an array of the parameters' library and is checked once, with a message
    that names the family, the parameter and the first bad value.

    Parameters
    ----------
    constraint : str
        ``"real"`` (finite), ``"positive"``, ``"nonnegative"``, ``"probability"`` ([0, 1]),
        ``"open_probability"`` ((0, 1)), ``"count"`` (whole numbers >= 0), ``"simplex"``
        (>= 0, summing to 1 along the last axis), ``"positive_definite"`` (symmetric
        matrices with a Cholesky factor) or ``"any"`` (unchecked).
    default : optional
        The value when the argument is left out.
    event_ndim : int, default 0
        Trailing axes that belong to one outcome (1 for a vector parameter, 2 for a matrix).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from typing import Any
    >>> import divergences as dv
    >>> @dataclass(frozen=True, eq=False)
    ... class Rate(dv.Distribution):
    ...     rate: Any = dv.param("positive", default=1.0)
    >>> Rate([1.0, 2.0]).batch_shape
    (2,)
    >>> Rate(-1.0)
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: Rate rate must be positive and finite, got -1
    """
    if constraint not in _CONSTRAINTS and constraint not in ("simplex", "positive_definite", "any"):
        raise ValueError(f"unknown constraint {constraint!r}")
    metadata = {"constraint": constraint, "event_ndim": event_ndim}
    return dataclasses.field(default=default, metadata=metadata)


def _where(values: np.ndarray, ok: np.ndarray) -> str:
    """The first failing value, with its index when the parameter is batched."""
    bad = np.argwhere(~ok)[0] if values.ndim else ()
    value = values[tuple(bad)]
    at = f" at index {[int(i) for i in bad]}" if values.ndim else ""
    return f"{value!r}{at}" if not isinstance(value, np.floating) else f"{float(value):.6g}{at}"


# The last parameter with event axes, per family (``Distribution.event_shape``).
_LAST_EVENT_FIELD: dict[type, str | None] = {}


_SPECS: dict[type, list[tuple[str, Any]]] = {}


def _specs(cls: type) -> list[tuple[str, Any]]:
    """The parameters of a distribution class: each field's name and metadata, in order
    (read once per class)."""
    specs = _SPECS.get(cls)
    if specs is None:
        specs = _SPECS[cls] = [(f.name, f.metadata) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return specs


@dataclasses.dataclass(frozen=True, eq=False)
class Distribution:
    """Base class of the distribution objects ``dv.kl`` and friends accept.

    Subclasses are frozen dataclasses whose fields are declared with :func:`param`. On
    construction every parameter becomes an array of one library and one floating dtype
    (Python numbers follow the arrays given; NumPy float64 when none is), and the
    constraints are checked when the values can be read (not under ``jax.jit``).
    """

    #: True for distributions on integers (numerical routes sum instead of integrate).
    discrete: ClassVar[bool] = False
    #: Number of dimensions of one outcome: 0 for scalars, 1 for vectors.
    event_ndim: ClassVar[int] = 0
    #: ``_scipy(**numpy_parameters)``: the frozen SciPy distribution, defined by each family
    #: that has one (its keyword names are the family's parameters).
    _scipy: ClassVar[Callable[..., Any]]
    #: True for distributions of an angle (periodic densities, integrated over one period).
    circular: ClassVar[bool] = False
    #: True for location-scale families, parameters ``loc`` and ``scale`` (density
    #: ``f((x - loc) / scale) / scale``): their numerical routes integrate in standard units.
    location_scale: ClassVar[bool] = False

    def __post_init__(self) -> None:
        specs = _specs(type(self))
        given = {name: getattr(self, name) for name, _ in specs}
        if all(type(v) is float or (type(v) is np.ndarray and v.dtype == np.float64) for v in given.values()):
            # the common case, without the general path's conversions: Python floats as 0-d
            # float64 arrays, the arrays themselves
            for name, v in given.items():
                if type(v) is float:
                    object.__setattr__(self, name, np.asarray(v))
            typed = any(type(v) is np.ndarray for v in given.values())
            self._settle(specs, NUMPY, np.dtype(np.float64), typed, readable=True)
            return
        xp = namespace(*given.values())
        label = type(self).__name__
        # Python numbers take the dtype of the arrays given, so float32 stays float32.
        arrays = as_float_arrays(given, xp, f"{label} ")
        typed_arrays = [arrays[n] for n, v in given.items() if has_dtype(v)]
        dtype = xp.result_type(*typed_arrays) if typed_arrays else next(iter(arrays.values())).dtype
        # Sums are checked at the precision of the least precise parameter given (float32
        # weights with float64 means were only ever accurate to float32).
        loosest = max((a.dtype for a in arrays.values()), key=lambda t: float(xp.finfo(t).eps))
        for name, _ in specs:
            a = arrays[name]
            object.__setattr__(self, name, a if a.dtype == dtype else xp.astype(a, dtype))
        readable = not any(is_lazy(getattr(self, n)) for n, _ in specs)
        self._settle(specs, xp, loosest, bool(typed_arrays), readable)

    def _settle(self, specs: list[tuple[str, Any]], xp: Any, check_dtype: Any, typed: bool, readable: bool) -> None:
        """With the parameters set as arrays of ``xp``: their event dimensions and batch shape
        checked, the namespace and facts kept, the constraints checked where the values can be
        read (``readable``: not under ``jax.jit``). ``typed``: some parameter was given as an
        array (else the law may adopt the library of the one it meets)."""
        label = type(self).__name__
        object.__setattr__(self, "_check_dtype", check_dtype)
        batch_shapes = []
        for name, meta in specs:
            a = getattr(self, name)
            nd = meta["event_ndim"]
            if a.ndim < nd:
                raise InvalidInputError(f"{label} {name} needs at least {nd} dimension(s), got shape {tuple(a.shape)}")
            batch_shapes.append(tuple(a.shape[: a.ndim - nd]))
        try:
            batch = tuple(np.broadcast_shapes(*batch_shapes))
        except ValueError:
            shapes = ", ".join(f"{n} {tuple(getattr(self, n).shape)}" for n, _ in specs)
            raise InvalidInputError(f"{label} parameters do not broadcast: {shapes}") from None
        object.__setattr__(self, "_xp", xp)
        object.__setattr__(self, "_batch_shape", batch)
        object.__setattr__(self, "_neutral", not typed)
        if readable:
            for name, meta in specs:
                self._check_constraint(name, meta["constraint"])
            self._check()

    def _check_constraint(self, name: str, constraint: str) -> None:
        values = np.asarray(to_numpy(getattr(self, name)), dtype=np.float64)  # no copy of float64 input
        label = f"{type(self).__name__} {name}"
        if constraint in _RANGES and values.size and _RANGES[constraint](values.min(), values.max()):
            return
        if constraint in _CONSTRAINTS:
            test, phrase = _CONSTRAINTS[constraint]
            ok = np.asarray(test(values))
            if not ok.all():
                raise InvalidInputError(f"{label} must be {phrase}, got {_where(values, ok)}")
        elif constraint == "simplex":
            if not (values.size == 0 or _RANGES["nonnegative"](values.min(), values.max())):
                raise InvalidInputError(f"{label} must be finite and >= 0")
            # row sums (einsum's are the fast ones), then their extremes against the tolerance
            sums = np.einsum("ij->i", values.reshape(-1, values.shape[-1])) if values.size else values.sum(axis=-1)
            tol = sum_tolerance(getattr(self, "_check_dtype", getattr(self, name).dtype), self.xp)
            if sums.size and not (sums.max() - 1 <= tol and 1 - sums.min() <= tol):
                raise InvalidInputError(f"{label} must sum to 1 along its last axis, got {float(sums.flat[np.argmax(np.abs(sums - 1))]):.10g}")
        elif constraint == "positive_definite":
            if values.shape[-1] != values.shape[-2] or not np.isfinite(values).all():
                raise InvalidInputError(f"{label} must be a finite square matrix, got shape {values.shape}")
            if not np.allclose(values, np.swapaxes(values, -1, -2), rtol=1e-10, atol=0):
                raise InvalidInputError(f"{label} must be symmetric")
            try:
                factor = np.linalg.cholesky(values)
            except np.linalg.LinAlgError:
                raise InvalidInputError(f"{label} must be positive definite (its Cholesky factorisation failed)") from None
            given = getattr(self, name)
            if isinstance(given, np.ndarray) and given.dtype == np.float64:  # the check's factor is the one a form needs
                object.__setattr__(self, f"_cholesky_{name}", factor)

    def _check(self) -> None:
        """Checks that involve several parameters (e.g. ``low < high``); none by default."""

    # -- array facts -------------------------------------------------------------------
    @property
    def xp(self) -> Any:
        """The array namespace of the parameters."""
        return self._xp  # type: ignore[attr-defined]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The broadcast shape of the parameters without their event dimensions."""
        return self._batch_shape  # type: ignore[attr-defined]

    @property
    def event_shape(self) -> tuple[int, ...] | None:
        """The shape of one outcome: ``()`` for scalar outcomes; for vector outcomes
        (``event_ndim = 1``) the last axis of the last parameter with event axes (a mean's
        length, a covariance's side, a concentration's length). ``None`` where it is not known;
        a family whose parameters are laid out otherwise overrides it."""
        if self.event_ndim == 0:
            return ()
        cls = type(self)
        name = _LAST_EVENT_FIELD.get(cls, "")
        if name == "":  # once per family
            name = _LAST_EVENT_FIELD[cls] = next(
                (f.name for f in reversed(dataclasses.fields(self)) if f.metadata.get("event_ndim", 0)), None)
        return None if name is None else (int(getattr(self, name).shape[-1]),)

    @property
    def dtype(self) -> Any:
        return getattr(self, dataclasses.fields(self)[0].name).dtype

    def params(self) -> dict[str, Array]:
        """The parameters by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def broadcast_to(self, batch_shape: tuple[int, ...]) -> Distribution:
        """The same distribution with every parameter broadcast to ``batch_shape``."""
        xp, new = self.xp, {}
        for f in dataclasses.fields(self):
            a = getattr(self, f.name)
            event = tuple(a.shape[a.ndim - f.metadata["event_ndim"] :])
            new[f.name] = xp.broadcast_to(a, tuple(batch_shape) + event)
        return type(self)(**new)

    @property
    def neutral(self) -> bool:
        """True when every parameter was a Python number or list (no array library chosen)."""
        return bool(getattr(self, "_neutral", False))

    def like(self, other: Distribution) -> Distribution:
        """This distribution with parameters in ``other``'s library, dtype and device."""
        xp, ref = other.xp, next(iter(other.params().values()))
        device = getattr(ref, "device", None)
        extra = {"device": device} if device is not None and not isinstance(ref, np.ndarray) else {}
        return type(self)(**{n: xp.asarray(to_numpy(v), dtype=ref.dtype, **extra) for n, v in self.params().items()})

    def numpy_items(self, only: np.ndarray | None = None) -> list[Distribution]:
        """One unbatched NumPy copy per batch element, in C order (for numerical routes); only
        of the elements where the boolean ``only``, of the batch's shape, holds, if given."""
        full = self.broadcast_to(self.batch_shape)
        # The dtype is kept: float32 parameters are checked at float32 precision again.
        arrays = {f.name: to_numpy(getattr(full, f.name)) for f in dataclasses.fields(self)}
        return [type(self)(**{n: a[index] for n, a in arrays.items()})
                for index in np.ndindex(*self.batch_shape) if only is None or only[index]]

    # -- numerical routes --------------------------------------------------------------
    def to_scipy(self) -> Any:
        """The equivalent frozen SciPy distribution (unbatched NumPy parameters only)."""
        if self.batch_shape:
            raise InvalidInputError(
                f"{type(self).__name__} has batch shape {self.batch_shape}; to_scipy needs a single distribution"
            )
        make = getattr(self, "_scipy", None)
        if make is None:
            raise NotImplementedError(f"{type(self).__name__} has no SciPy equivalent")
        return make(**{n: to_numpy(v).astype(np.float64) for n, v in self.params().items()})

    def _entropy(self, xp: Any) -> Array:
        """Closed-form entropy in nats, broadcast over the batch, for a family whose entropy is
        elementary but whose cross entropy has no registered closed form.

        ``dv.entropy(p)`` tries the registered ``cross_entropy(p, p)`` first, then this method
        where a family overrides it, then a numerical route.
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy of its own")

    def log_prob(self, x: Array) -> np.ndarray:
        """Log density (or log mass) at ``x`` (NumPy, unbatched distributions)."""
        d = self.to_scipy()
        if self.discrete:
            return np.asarray(d.logpmf(x))
        return np.asarray(d.logpdf(x))

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        """``n`` independent draws as a NumPy array of shape ``(n,) + event_shape``."""
        return np.asarray(self.to_scipy().rvs(size=n, random_state=random_state))
