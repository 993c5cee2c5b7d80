"""Closed forms keyed by pairs of distribution types, one registry per measure.

The structure follows ``torch.distributions.kl`` (a table plus a cache that every
registration clears), the duplicate refusal and messages follow TFP's ``RegisterKL``, and the
lookup takes the registered pair with the smallest summed distance along both classes' method
resolution orders. Two different functions at the same distance are an error that names the
pair to register, rather than a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .._exceptions import AmbiguousRegistrationError, InvalidInputError
from ._base import Distribution

__all__ = ["REGISTRIES", "PairRegistry", "register", "register_kl", "registered_pairs"]

F = TypeVar("F", bound=Callable[..., Any])
Pair = tuple[type, type]


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
            if not (isinstance(t, type) and issubclass(t, Distribution)):
                raise InvalidInputError(
                    f"{arg} must be a subclass of divergences.Distribution, got {t!r}"
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
            return fn

        return decorator

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


def register(metric: str, type_p: type, type_q: type, *, override: bool = False) -> Callable[[F], F]:
    """Decorator adding a closed form of ``metric`` between two distribution types.

    Parameters
    ----------
    metric : str
        One of ``"kl"``, ``"cross_entropy"``, ``"js"``, ``"bhattacharyya"``,
        ``"total_variation"``, ``"renyi"`` (called with ``alpha=``) or ``"chi2"``.
    type_p, type_q : type
        Subclasses of :class:`divergences.Distribution`; the most specific registered pair
        (smallest summed distance along both classes' method resolution orders) wins.
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
    unless ``override=True``.

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
