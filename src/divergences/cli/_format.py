"""How the command line prints a number (``--digits``) and names the unit of a logarithmic one."""

from __future__ import annotations

import math

__all__ = ["format_value", "unit"]


def unit(base: float | None) -> str:
    """The name of the unit of a logarithmic quantity in ``base``.

    Examples
    --------
    >>> unit(None), unit(2), unit(10), unit(3)
    ('nats', 'bits', 'hartleys', 'log-base-3 units')
    """
    if base is None or base == math.e:
        return "nats"
    return {2.0: "bits", 10.0: "hartleys"}.get(float(base), f"log-base-{base:g} units")


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
