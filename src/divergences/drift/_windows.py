"""Windows of the current data: calendar periods of a time column (``every``) or runs of rows (``chunk_size``).

:func:`windows` gives each row its window and each window its bounds. Calendar windows are
aligned on the epoch in UTC (days start at midnight, ``"6h"`` windows at 0, 6, 12 and 18 h),
weeks on Mondays; only windows that hold rows are reported, in time order. Row chunks run in
the frame's order; a last chunk of fewer than half ``chunk_size`` rows joins the one before,
so no window is smaller than half a chunk (unless the whole frame is).
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError

__all__ = ["Windows", "parse_every", "windows", "windows_of"]

_UNITS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "min": 60 * 10**9, "h": 3600 * 10**9, "d": 86_400 * 10**9,
          "w": 7 * 86_400 * 10**9}
_MONDAY = 4 * 86_400 * 10**9  # 1970-01-05, the first Monday after the epoch (a Thursday), in ns


class Windows:
    """``index``: each row's window (int64), ``bounds``: per window (start, end) — ISO times
    (end exclusive) or row numbers (end exclusive); None for the single window of no windowing."""

    def __init__(self, index: np.ndarray | None, bounds: list[tuple[Any, Any]]) -> None:
        self.index, self.bounds = index, bounds

    def __len__(self) -> int:
        return len(self.bounds)


def parse_every(every: object) -> int:
    """A duration such as ``"1d"``, ``"6h"``, ``"30min"``, ``"1w"`` in nanoseconds."""
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|min|m|h|d|w)\s*", every) if isinstance(every, str) else None
    if match is None or int(match.group(1)) == 0:
        raise InvalidInputError(
            f"every must be a positive duration such as '1d', '6h', '30min', '1w' (units ms, s, m/min, h, d, w); got {every!r}"
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def windows(n_rows: int, times: np.ndarray | None, every: object, chunk_size: object) -> Windows:
    """The windows of ``n_rows`` rows: by ``every`` over ``times`` (int64 ns), by ``chunk_size``, or one."""
    if every is not None:
        assert times is not None
        return windows_of(times, every)
    if chunk_size is not None:
        size = chunk_size
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise InvalidInputError(f"chunk_size must be a positive integer (rows per window), got {chunk_size!r}")
        size = int(size)
        cuts = list(range(0, n_rows, size)) + [n_rows]
        if len(cuts) > 2 and cuts[-1] - cuts[-2] < size / 2:
            del cuts[-2]  # a short last chunk joins the one before
        bounds = list(zip(cuts[:-1], cuts[1:]))
        index = np.repeat(np.arange(len(bounds), dtype=np.int64), np.diff(cuts))
        return Windows(index, bounds)
    return Windows(None, [(None, None)])


def windows_of(times: np.ndarray, every: object) -> Windows:
    """Calendar windows of ``every`` over int64 ns ``times``: each time's window, in time order."""
    step = parse_every(every)
    origin = _MONDAY if step % _UNITS["w"] == 0 else 0
    start = (times - origin) // step * step + origin
    starts, index = np.unique(start, return_inverse=True)
    fmt = "s" if step % 10**9 == 0 else "ms"
    bounds: list[tuple[Any, Any]] = [(_iso(s, fmt), _iso(s + step, fmt)) for s in starts.tolist()]
    return Windows(index.astype(np.int64), bounds)


def _iso(ns: int, unit: str) -> str:
    return str(np.datetime64(ns, "ns").astype(f"datetime64[{unit}]"))
