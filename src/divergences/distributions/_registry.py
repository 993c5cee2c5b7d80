"""Closed forms keyed by pairs of distribution types, one registry per measure.

The structure follows ``torch.distributions.kl`` (a table plus a cache that every
registration clears), the duplicate refusal and messages follow TFP's ``RegisterKL``, and the
lookup takes the registered pair with the smallest summed distance along both classes' method
resolution orders. Two different functions at the same distance are an error that names the
pair to register, rather than a warning.

Any class may be registered. Instances of a class that is not a :class:`Distribution` (a
user's own family) are then accepted by the measures, which answer with its registered
closed forms only: the numerical routes need a ``Distribution``'s ``log_prob`` and ``sample``.

A registered form may answer for some instances of its pair only (an ``Independent`` pair
sums its bases' closed form, which those bases may lack): it then raises :class:`NoClosedForm`
and the dispatch goes on as if nothing were registered (the numerical route, or
``NotRegisteredError`` with the reason under ``method="closed_form"``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numpy as np

from .._exceptions import AmbiguousRegistrationError, InvalidInputError, NotRegisteredError
from ._base import Distribution

__all__ = [
    "REGISTRIES", "Estimated", "NoClosedForm", "PairRegistry", "Partial", "is_registered_instance", "register", "register_kl", "registered_pairs",
]

F = TypeVar("F", bound=Callable[..., Any])
Pair = tuple[type, type]


class Estimated(NamedTuple):
    """What a registered form returns where its value is computed numerically (a quadrature,
    a truncated series) rather than in closed form: the value and a bound on its error, which
    ``return_error=True`` reports (closed forms report 0)."""

    value: Any
    error: Any


class Partial(NamedTuple):
    """What a registered form returns where it settles some elements of a batch but not all
    (masses that cancel, a crossing beyond the doubles): its ``value`` (meaningless where
    ``unsettled``), the ``unsettled`` mask and the ``reason``. The dispatch computes those
    elements by the numerical route, the others keep the form's value (and its gradient);
    under ``method="closed_form"`` it raises with the reason."""

    value: Any
    unsettled: Any
    reason: str


class NoClosedForm(NotRegisteredError):
    """Raised by a registered closed form that has no answer for the instances it was given
    (the message says why); the dispatch then takes the numerical route."""


def _mro_distance(cls: type, base: type) -> int | None:
    mro = cls.__mro__
    return mro.index(base) if base in mro else None


class PairRegistry:
    """Closed forms of one measure between pairs of distribution types.

    A function registered for ``(P, Q)`` is called as ``fn(p, q, xp=xp, **params)`` with
    instances of (subclasses of) ``P`` and ``Q`` and must return an array of the broadcast
    batch shape, in nats for logarithmic measures.
    """

    def __init__(self, name: str, *, symmetric: bool = False) -> None:
        self.name = name
        self.symmetric = symmetric
        self._table: dict[Pair, Callable[..., Any]] = {}
        self._cache: dict[Pair, tuple[Callable[..., Any], bool] | None] = {}

    def register(self, type_p: type, type_q: type, *, override: bool = False) -> Callable[[F], F]:
        """Decorator that registers ``fn`` as the closed form for ``(type_p, type_q)``."""
        for arg, t in (("type_p", type_p), ("type_q", type_q)):
            if not isinstance(t, type):
                raise InvalidInputError(
                    f"{arg} must be a subclass of divergences.Distribution or a class of your own, got {t!r}"
                )
            if t.__module__ == "builtins" or issubclass(t, (np.ndarray, np.generic, numbers.Number)):
                raise InvalidInputError(
                    f"{arg} must be a subclass of divergences.Distribution or a class of your own, not "
                    f"{t.__name__}: its instances are read as numbers or arrays"
                )

        def decorator(fn: F) -> F:
            if not callable(fn):
                raise InvalidInputError(f"a closed form must be callable, got {fn!r}")
            key = (type_p, type_q)
            if key in self._table and not override:
                raise InvalidInputError(
                    f"{self.name}({type_p.__name__}, {type_q.__name__}) is already registered "
                    f"({self._table[key].__qualname__}); pass override=True to replace it"
                )
            self._table[key] = fn
            self._cache.clear()
            _refresh_foreign()
            return fn

        return decorator

    def _unregister(self, type_p: type, type_q: type) -> None:
        """Remove a registration (for tests that register a family of their own)."""
        del self._table[(type_p, type_q)]
        self._cache.clear()
        _refresh_foreign()

    def lookup(self, type_p: type, type_q: type) -> tuple[Callable[..., Any], bool] | None:
        """The closed form for the pair and whether its arguments must be swapped; ``None`` if none."""
        key = (type_p, type_q)
        if key not in self._cache:
            found = self._best(type_p, type_q, swapped=False)
            if found is None and self.symmetric:
                found = self._best(type_q, type_p, swapped=True)
            self._cache[key] = found
        return self._cache[key]

    def _best(self, type_p: type, type_q: type, *, swapped: bool) -> tuple[Callable[..., Any], bool] | None:
        scored: list[tuple[int, Pair]] = []
        for p, q in self._table:
            dp, dq = _mro_distance(type_p, p), _mro_distance(type_q, q)
            if dp is not None and dq is not None:
                scored.append((dp + dq, (p, q)))
        if not scored:
            return None
        scored.sort(key=lambda s: s[0])
        best = [pair for score, pair in scored if score == scored[0][0]]
        if len({self._table[pair] for pair in best}) > 1:
            names = " and ".join(f"({p.__name__}, {q.__name__})" for p, q in best)
            raise AmbiguousRegistrationError(
                f"{self.name}({type_p.__name__}, {type_q.__name__}) matches {names} equally well; "
                f"register ({type_p.__name__}, {type_q.__name__}) itself"
            )
        return self._table[best[0]], swapped

    def pairs(self) -> list[Pair]:
        """The registered pairs, sorted by name."""
        return sorted(self._table, key=lambda pq: (pq[0].__name__, pq[1].__name__))

    def described_for(self, type_p: type) -> str:
        """The registered partners of ``type_p`` (for error messages)."""
        partners = sorted(q.__name__ for p, q in self._table if issubclass(type_p, p))
        if self.symmetric:
            partners += sorted(p.__name__ for p, q in self._table if issubclass(type_p, q))
        return ", ".join(sorted(set(partners))) or "nothing"


# One registry per measure that has closed forms. Hellinger comes from the Bhattacharyya
# coefficient and js_distance from js (see _dispatch), so they need no registry of their own.
REGISTRIES: dict[str, PairRegistry] = {
    "kl": PairRegistry("kl"),
    "cross_entropy": PairRegistry("cross_entropy"),
    "js": PairRegistry("js", symmetric=True),
    "bhattacharyya": PairRegistry("bhattacharyya", symmetric=True),
    "total_variation": PairRegistry("total_variation", symmetric=True),
    "renyi": PairRegistry("renyi"),
    "chi2": PairRegistry("chi2"),
}


#: The registered classes that are not Distribution subclasses (kept for a fast isinstance).
_FOREIGN: tuple[type, ...] = ()
#: The dispatch's closed forms found per (measure, type of p, type of q, options): emptied by
#: every registration, like each registry's own cache.
FOUND: dict[Any, Any] = {}


def _refresh_foreign() -> None:
    global _FOREIGN
    FOUND.clear()
    found = {t for registry in REGISTRIES.values() for pair in registry._table for t in pair}
    _FOREIGN = tuple(sorted((t for t in found if not issubclass(t, Distribution)), key=lambda t: t.__qualname__))


def is_registered_instance(x: object) -> bool:
    """True for an instance of a registered class that is not a :class:`Distribution` (a
    user's own family, served by its registered closed forms only)."""
    return bool(_FOREIGN) and isinstance(x, _FOREIGN) and not isinstance(x, Distribution)


def register(metric: str, type_p: type, type_q: type, *, override: bool = False) -> Callable[[F], F]:
    """Decorator adding a closed form of ``metric`` between two distribution types.

    Parameters
    ----------
    metric : str
        One of ``"kl"``, ``"cross_entropy"``, ``"js"``, ``"bhattacharyya"``,
        ``"total_variation"``, ``"renyi"`` (called with ``alpha=``) or ``"chi2"``.
    type_p, type_q : type
        Any classes; the most specific registered pair (smallest summed distance along both
        classes' method resolution orders) wins. Subclasses of
        :class:`divergences.Distribution` also have the numerical routes; instances of a
        class of your own are accepted by the measures too, and answered by their registered
        closed forms only (``NotRegisteredError`` for a pair without one).
    override : bool, default False
        Replace an existing registration instead of refusing it.

    Examples
    --------
    >>> import divergences as dv
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, eq=False)
    ... class Interval(dv.Uniform):  # a user's own family
    ...     pass
    >>> @dv.register("total_variation", Interval, Interval)
    ... def tv_interval(p, q, *, xp):
    ...     overlap = xp.clip(xp.minimum(p.high, q.high) - xp.maximum(p.low, q.low), 0, None)
    ...     return 1 - overlap / xp.maximum(p.high - p.low, q.high - q.low)
    >>> float(dv.total_variation(Interval(0.0, 1.0), Interval(0.0, 2.0)))
    0.5
    """
    if metric not in REGISTRIES:
        raise InvalidInputError(f"metric must be one of {sorted(REGISTRIES)}, got {metric!r}")
    return REGISTRIES[metric].register(type_p, type_q, override=override)


def register_kl(type_p: type, type_q: type, *, override: bool = False) -> Callable[[F], F]:
    """Decorator adding a closed-form KL divergence ``KL(p || q)`` for a pair of types.

    The function receives the two distributions and the array namespace ``xp`` and returns
    the divergence in nats, broadcast over the batch. Registering a pair twice is refused
    unless ``override=True``. The types may be any classes (see :func:`register`): a
    :class:`divergences.Distribution` subclass, or a class of your own whose instances are then
    accepted by ``dv.kl`` with this closed form as their only route.

    Examples
    --------
    >>> import divergences as dv
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, eq=False)
    ... class Shifted(dv.Normal):  # a user's own family, here a Normal subclass
    ...     pass
    >>> @dv.register_kl(Shifted, Shifted)
    ... def _(p, q, *, xp):
    ...     return 0.5 * ((p.loc - q.loc) / p.scale) ** 2  # equal scales assumed
    >>> float(dv.kl(Shifted(0.0, 1.0), Shifted(1.0, 1.0)))
    0.5
    """
    return REGISTRIES["kl"].register(type_p, type_q, override=override)


def registered_pairs(metric: str = "kl") -> list[tuple[str, str]]:
    """The pairs of types with a closed form of ``metric``, as sorted names.

    Examples
    --------
    >>> import divergences as dv
    >>> ("Normal", "Normal") in dv.registered_pairs("kl")
    True
    """
    if metric not in REGISTRIES:
        raise InvalidInputError(f"metric must be one of {sorted(REGISTRIES)}, got {metric!r}")
    return [(p.__name__, q.__name__) for p, q in REGISTRIES[metric].pairs()]
