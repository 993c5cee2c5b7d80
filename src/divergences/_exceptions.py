"""Exception hierarchy: every error is a ``DivergenceError`` and also the builtin it refines."""

from __future__ import annotations

__all__ = ["BackendMismatchError", "DivergenceError", "InvalidInputError"]


class DivergenceError(Exception):
    """Base class of every error raised by ``divergences``."""


class InvalidInputError(DivergenceError, ValueError):
    """An argument has a value the function cannot accept; the message names it."""


class BackendMismatchError(DivergenceError, TypeError):
    """Arrays from different array libraries (e.g. NumPy and torch) were mixed."""
