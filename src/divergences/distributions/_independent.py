"""Independent: the last batch dimensions of a base family read as event dimensions (torch's ``Independent``).

``Independent(base, n)`` is the joint law of the independent coordinates that ``base``
describes along its last ``n`` batch dimensions: its event shape is ``base.batch_shape[-n:]
+ base.event_shape``, its batch shape what is left. The measures that add up over
independent coordinates are the base pair's closed forms summed over those dimensions
(``_closed_independent``); the others take the numerical route, Monte Carlo over
:meth:`Independent.sample` and :meth:`Independent.log_prob`, which loop over the coordinates
and call the base's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import to_numpy
from .._exceptions import InvalidInputError
from .._validation import check_count
from ._base import Distribution
from ._scipy import as_distribution, is_distribution

__all__ = ["Independent"]

Array = Any


@dataclass(frozen=True, eq=False)
class Independent(Distribution):
    """The joint law of independent coordinates: ``base``'s last ``reinterpreted_batch_ndims``
    batch dimensions become event dimensions, as in ``torch.distributions.Independent``.

    ``Independent(dv.Normal(loc, scale), 1)`` with ``loc`` and ``scale`` of shape ``(..., d)``
    is the normal law on R^d with diagonal covariance ``scale ** 2``. KL, cross entropy,
    entropy, Renyi divergences of every order and Bhattacharyya are sums over the
    reinterpreted dimensions of the base pair's closed form, registered or derived, for every
    pair of bases that has one (cross-family pairs too); chi-square, Hellinger and PSI follow
    from them. Total variation and Jensen-Shannon do not add up over coordinates: they, and
    every measure whose base pair has no closed form, take the numerical route (Monte Carlo,
    with its standard error under ``return_error=True``). SciPy has no product of independent
    laws, so there is no SciPy equivalent (``to_scipy`` answers only for
    ``reinterpreted_batch_ndims = 0``, where the law is the base's).

    Parameters
    ----------
    base : Distribution
        Any distribution object of the library, or a SciPy frozen distribution (converted
        as ``dv.kl`` converts it), with at least ``reinterpreted_batch_ndims`` batch
        dimensions.
    reinterpreted_batch_ndims : int
        How many of the base's last batch dimensions are event dimensions (>= 0).

    Raises
    ------
    InvalidInputError
        If ``base`` is not a distribution, or ``reinterpreted_batch_ndims`` is not an integer
        between 0 and the number of the base's batch dimensions. ``dv.kl`` and friends also
        refuse two ``Independent`` laws that reinterpret different numbers of dimensions or
        have different event shapes.

    Examples
    --------
    >>> import divergences as dv
    >>> p = dv.Independent(dv.Normal([0.0, 1.0, 2.0], 1.0), 1)
    >>> q = dv.Independent(dv.Normal([1.0, 1.0, 1.0], 1.0), 1)
    >>> p.batch_shape, p.event_shape
    ((), (3,))
    >>> float(dv.kl(p, q))  # 0.5 + 0 + 0.5
    1.0
    >>> round(float(dv.hellinger(p, q)), 6)  # sqrt(1 - exp(-1/4)): the Bhattacharyya distances add up
    0.470318
    """

    base: Distribution
    reinterpreted_batch_ndims: int

    def __post_init__(self) -> None:
        if not is_distribution(self.base):
            raise InvalidInputError(
                f"Independent base must be a distribution object (dv.Normal(...), a SciPy frozen "
                f"distribution, ...), got {type(self.base).__name__}"
            )
        base = as_distribution(self.base, "Independent base")
        n = check_count(self.reinterpreted_batch_ndims, "Independent reinterpreted_batch_ndims", low=0)
        batch = tuple(base.batch_shape)
        if n > len(batch):
            raise InvalidInputError(
                f"Independent reinterpreted_batch_ndims is {n}, but the base {type(base).__name__} has batch "
                f"shape {batch} ({len(batch)} dimension(s)): it can reinterpret at most {len(batch)}"
            )
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "reinterpreted_batch_ndims", n)
        object.__setattr__(self, "_xp", base.xp)
        object.__setattr__(self, "_batch_shape", batch[: len(batch) - n])

    # -- facts -------------------------------------------------------------------------------
    @property
    def discrete(self) -> bool:  # type: ignore[override]
        return bool(self.base.discrete)

    @property
    def circular(self) -> bool:  # type: ignore[override]
        return bool(self.base.circular) and not self.reinterpreted_batch_ndims

    @property
    def event_ndim(self) -> int:  # type: ignore[override]
        return self.reinterpreted_batch_ndims + self.base.event_ndim

    @property
    def event_shape(self) -> tuple[int, ...] | None:
        inner = self._inner_shape
        base_event = self.base.event_shape
        return None if base_event is None else inner + tuple(base_event)

    @property
    def _inner_shape(self) -> tuple[int, ...]:
        """The reinterpreted dimensions: the last ``reinterpreted_batch_ndims`` of the base's batch."""
        batch = tuple(self.base.batch_shape)
        return batch[len(batch) - self.reinterpreted_batch_ndims :]

    @property
    def dtype(self) -> Any:
        return self.base.dtype

    @property
    def neutral(self) -> bool:
        return self.base.neutral

    def params(self) -> dict[str, Array]:
        """The base's parameters (their arrays fix the library, dtype and device)."""
        return self.base.params()

    def broadcast_to(self, batch_shape: tuple[int, ...]) -> Distribution:
        return Independent(self.base.broadcast_to(tuple(batch_shape) + self._inner_shape), self.reinterpreted_batch_ndims)

    def like(self, other: Distribution) -> Distribution:
        return Independent(self.base.like(other), self.reinterpreted_batch_ndims)

    def numpy_items(self, only: np.ndarray | None = None) -> list[Distribution]:
        """One unbatched NumPy copy per batch element, in C order (for numerical routes; where
        ``only`` holds, if given); for ``reinterpreted_batch_ndims = 0`` the base's own copies
        (the same law)."""
        full = self.base.broadcast_to(tuple(self.batch_shape) + self._inner_shape)
        if not self.reinterpreted_batch_ndims:
            return full.numpy_items(only)
        copy = _numpy_copy(full)
        return [Independent(_element(copy, index), self.reinterpreted_batch_ndims) for index in np.ndindex(*self.batch_shape)
                if only is None or only[index]]

    # -- numerical routes --------------------------------------------------------------------
    def to_scipy(self) -> Any:
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError(
                "Independent has no SciPy equivalent (SciPy has no product of independent laws); "
                "its numerical route is Monte Carlo over sample and log_prob"
            )
        return self.base.to_scipy()

    def _coordinates(self, what: str) -> list[tuple[tuple[int, ...], Distribution]]:
        """Each reinterpreted coordinate's index and its base law (unbatched, NumPy)."""
        if self.batch_shape:
            raise InvalidInputError(
                f"Independent has batch shape {self.batch_shape}; {what} needs a single distribution "
                "(batch shape (), e.g. one of numpy_items())"
            )
        copy = _numpy_copy(self.base)
        return [(index, _element(copy, index)) for index in np.ndindex(*self._inner_shape)]

    def log_prob(self, x: Array) -> np.ndarray:
        """Log density (or mass) at ``x`` of shape ``(..., *event_shape)``: the sum of the base's
        log densities over the reinterpreted dimensions."""
        points = np.asarray(to_numpy(x))
        event = self.event_shape or ()
        if points.shape[points.ndim - len(event) :] != tuple(event) or points.ndim < len(event):
            raise InvalidInputError(f"x has shape {points.shape}; its last axes must be the event shape {event}")
        tail = (slice(None),) * self.base.event_ndim
        total: Any = 0.0
        for index, law in self._coordinates("log_prob"):
            where: tuple[Any, ...] = (Ellipsis, *index, *tail)
            total = total + np.asarray(law.log_prob(points[where]), dtype=np.float64)
        return np.asarray(total)

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        """``n`` independent draws of shape ``(n, *event_shape)``, each coordinate from its base law."""
        rng = np.random.default_rng(random_state)
        draws = [np.asarray(law.sample(n, rng)) for _, law in self._coordinates("sample")]
        return np.stack(draws, axis=1).reshape((n, *(self.event_shape or ())))


def _numpy_copy(d: Distribution) -> Distribution:
    """``d`` with NumPy parameters, each broadcast to its full batch shape (so that indexing
    the leading axes picks batch elements)."""
    if isinstance(d, Independent):
        return Independent(_numpy_copy(d.base), d.reinterpreted_batch_ndims)
    if not d.batch_shape:
        return d.numpy_items()[0]
    full = d.broadcast_to(d.batch_shape)
    return type(d)(**{name: to_numpy(value) for name, value in full.params().items()})


def _element(d: Distribution, index: tuple[int, ...]) -> Distribution:
    """The batch element of ``d`` (a :func:`_numpy_copy`) at ``index``, over its leading batch axes."""
    if not index:
        return d
    if isinstance(d, Independent):
        return Independent(_element(d.base, index), d.reinterpreted_batch_ndims)
    return type(d)(**{name: value[index] for name, value in d.params().items()})
