"""The one options path: a user's options checked once, into a frozen ``Options`` every route reads.

Every public entry point (the array functions, ``pairwise``/``nearest``, Dask, distribution
objects, ``markov``, the estimators and the CLI) turns what the user passed into an
``Options`` through :func:`parse` before it does anything else, so a bad option gives the
same ``InvalidInputError``, with the same message, whichever route it came by. The
measure's own options (``alpha`` for Renyi; ``f`` and its limits for an f-divergence) are
checked by the parser its row of ``_metadata.DIVERGENCES`` names.

>>> from divergences._options import parse
>>> opts = parse("kl", base=2)
>>> opts.base, round(opts.log_base, 6)
(2.0, 0.693147)
>>> parse("js_distance", base=0.5)
Traceback (most recent call last):
...
divergences._exceptions.InvalidInputError: js_distance needs base > 1 (a base below 1 makes the divergence negative), got 0.5
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ._exceptions import InvalidInputError
from ._metadata import DIVERGENCES, Divergence
from ._validation import check_base, check_smoothing

__all__ = ["METHODS", "Options", "measure", "parse", "unit"]

#: How a measure between distribution objects may be computed (``method=``).
METHODS = ("auto", "closed_form", "numerical", "quadrature", "summation", "monte_carlo")



_NO_PARAMS: Mapping[str, Any] = {}  # read, never written


class Options(NamedTuple):
    """A user's options, checked. ``log_base`` divides a value in nats into the unit of
    ``base`` (None: nats, or a measure with no logarithm); ``params`` are the measure's own
    options as its kernel takes them (read, never written). A tuple: immutable, cheap to
    make on every call, and it pickles to Dask workers."""

    measure: Divergence | None = None
    base: float | None = None
    log_base: float | None = None
    smoothing: float | None = None
    normalize: bool = False
    log: bool = False  # the inputs are log-probabilities (measure is then the row's log view)
    validate: bool = True
    axis: int | None = -1
    keepdims: bool = False
    return_error: bool = False
    method: str = "auto"
    n_samples: int = 100_000
    random_state: Any = None
    params: Mapping[str, Any] = _NO_PARAMS

    @property
    def rescale(self) -> bool:
        """Whether inputs are divided by their sums (``normalize``, or after ``smoothing``)."""
        return self.normalize or self.smoothing is not None

    @property
    def shift(self) -> float:
        """The pseudocount added to every event."""
        return self.smoothing or 0.0

    def in_unit(self, nats: Any) -> Any:
        """A value in nats converted to the unit of ``base``."""
        return nats if self.log_base is None else nats / self.log_base


def measure(name: object, *, what: str = "metric", pairs: bool = False) -> Divergence:
    """The row of measure ``name``; ``InvalidInputError`` naming the argument ``what`` if there
    is none (or, with ``pairs``, if it takes one distribution: pairwise needs two)."""
    row = DIVERGENCES.get(name) if isinstance(name, str) else None
    if row is None:
        names = ", ".join(n for n, d in DIVERGENCES.items() if not pairs or d.arity == 2)
        raise InvalidInputError(f"{what} must be one of {names}; got {name!r}")
    if pairs and row.arity != 2:
        raise InvalidInputError(f"{what} {name!r} takes one distribution; pairwise needs a divergence of two")
    return row


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _axis(axis: object) -> int | None:
    if axis is None or type(axis) is int:
        return axis
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise InvalidInputError(f"axis must be an integer or None, got {axis!r}")
    return int(axis)


def _method(method: object) -> str:
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    return str(method)


def _n_samples(n: object) -> int:
    if type(n) is int and n >= 2:
        return n
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise InvalidInputError(f"n_samples must be an integer >= 2, got {n!r}")
    return int(n)


def _base_for(row: Divergence | None, base: object) -> float | None:
    checked = check_base(base)
    if checked is None or row is None:
        return checked
    if not row.logarithmic:
        raise InvalidInputError(f"{row.name} has no logarithm: base does not apply (leave it None)")
    if checked < 1 and row.transform is not None:
        raise InvalidInputError(
            f"{row.name} needs base > 1 (a base below 1 makes the divergence negative), got {checked:g}"
        )
    return checked


def _params(row: Divergence | None, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The measure's own options through its row's parser, which names what it takes."""
    if row is None:
        if params:
            raise InvalidInputError(f"unexpected options: {', '.join(params)}")
        return _NO_PARAMS
    if not params and not row.required_options:  # the common case: a measure without options
        return row.options()
    if not (params.keys() <= row.own_options and row.required_options <= params.keys()):
        names = list(inspect.signature(row.options).parameters)
        wanted = f"takes {', '.join(names)}" if names else "takes no options"
        raise InvalidInputError(f"{row.name} {wanted}; got {', '.join(params) or 'none'}")
    return row.options(**params)


def parse(
    name: str | Divergence | None,
    *,
    base: object = None,
    smoothing: object = None,
    normalize: object = False,
    log: object = False,
    validate: object = True,
    axis: object = -1,
    keepdims: object = False,
    return_error: object = False,
    method: object = "auto",
    n_samples: object = 100_000,
    random_state: Any = None,
    what: str = "metric",
    **params: Any,
) -> Options:
    """Check every option of a call of measure ``name`` (``None``: a quantity outside the
    table, such as mutual information, for which only the shared options are checked).

    ``what`` names the argument that gave ``name`` in the message for an unknown measure.
    Options that depend on the data (the axis against the number of dimensions, ``k``
    against the rows) are checked where the data are, by ``_validation``.

    Examples
    --------
    >>> from divergences._options import parse
    >>> parse("renyi", alpha=2).params["alpha"]
    2.0
    >>> parse("renyi", alpha=-1)
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: alpha must be >= 0, got -1
    """
    row = name if isinstance(name, Divergence) or name is None else measure(name, what=what)
    checked_base = _base_for(row, base)
    in_logs = _flag(log, "log")
    return Options(
        measure=row.log_view() if in_logs and row is not None else row,
        base=checked_base,
        log_base=math.log(checked_base) if checked_base is not None else None,
        smoothing=check_smoothing(smoothing),
        normalize=_flag(normalize, "normalize"),
        log=in_logs,
        validate=_flag(validate, "validate"),
        axis=_axis(axis),
        keepdims=_flag(keepdims, "keepdims"),
        return_error=_flag(return_error, "return_error"),
        method=_method(method),
        n_samples=_n_samples(n_samples),
        random_state=random_state,
        params=_params(row, params),
    )


def unit(base: float | None) -> str:
    """The name of the unit of a logarithmic quantity in ``base``.

    Examples
    --------
    >>> from divergences._options import unit
    >>> unit(None), unit(2), unit(10), unit(3)
    ('nats', 'bits', 'hartleys', 'log-base-3 units')
    """
    if base is None or base == math.e:
        return "nats"
    return {2.0: "bits", 10.0: "hartleys"}.get(float(base), f"log-base-{base:g} units")
