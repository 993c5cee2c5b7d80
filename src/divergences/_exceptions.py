"""Exception hierarchy: every error is a ``DivergenceError`` and also the builtin it refines."""

from __future__ import annotations

__all__ = [
    "AmbiguousRegistrationError",
    "BackendMismatchError",
    "DivergenceError",
    "InvalidInputError",
    "NotRegisteredError",
]


class DivergenceError(Exception):
    """Base class of every error raised by ``divergences``."""


class InvalidInputError(DivergenceError, ValueError):
    """An argument has a value the function cannot accept; the message names it."""


class BackendMismatchError(DivergenceError, TypeError):
    """Arrays from different array libraries (e.g. NumPy and torch) were mixed."""


class NotRegisteredError(DivergenceError, NotImplementedError):
    """No closed form and no numerical route for a pair of distribution types."""


class AmbiguousRegistrationError(DivergenceError, LookupError):
    """Two registered closed forms match a pair of types equally well; register the pair itself."""
