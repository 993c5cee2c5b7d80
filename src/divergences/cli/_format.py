"""How the command line prints: a number (``--digits``, bounded), the unit of a logarithmic one,
and strict JSON (``--json``: non-finite numbers as strings)."""

from __future__ import annotations

import argparse
import math

from .._io import json_text
from .._options import unit

__all__ = ["JSON_NOTE", "MAX_DIGITS", "digits", "format_value", "json_text", "unit"]

MAX_DIGITS = 17  # decimals --digits may ask for: float64 holds about 17 significant digits

# The one convention of every subcommand's --json, in its help and the README.
JSON_NOTE = ('--json prints strict JSON (RFC 8259): an infinite value is the string "inf" (or "-inf") '
             'and a NaN the string "nan", which float() reads back; every other number is a JSON number.')


def digits(text: str) -> int:
    """``--digits``: a whole number from 0 to :data:`MAX_DIGITS` (argparse reports the error).

    Examples
    --------
    >>> digits("3")
    3
    >>> digits("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number from 0 to 17 (decimals of a float64), got '-1'
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_DIGITS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 0 to {MAX_DIGITS} (decimals of a float64), got {text!r}"
        )
    return value


def format_value(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, or ``digits + 1`` significant digits where decimals would hide it.

    Examples
    --------
    >>> format_value(1.92695, 3), format_value(1.23456e-7, 3), format_value(2.5e8, 3), format_value(0.0, 3)
    ('1.927', '1.235e-07', '2.5e+08', '0.000')
    """
    if value == 0 or math.isinf(value) or math.isnan(value) or 10.0**-digits <= abs(value) < 1e6:
        return f"{value:.{digits}f}"
    return f"{value:.{digits + 1}g}"


