"""The progress bar that long subcommands draw on stderr, and whether to draw it."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from types import TracebackType

__all__ = ["PROGRESS_STEPS", "Progress", "progress_bar"]

PROGRESS_STEPS = 100  # redraws of a progress bar, at most


class Progress:
    """A bar redrawn in place on stderr with carriage returns, about ``PROGRESS_STEPS`` times
    in all, from ``update(done, total)`` calls; cleared if the run fails."""

    def __init__(self, label: str) -> None:
        self.label, self.start, self.width, self.shown = label, time.perf_counter(), 0, -1

    def update(self, done: int, total: int) -> None:
        fraction = min(done / max(total, 1), 1.0)
        step = int(fraction * PROGRESS_STEPS)
        if step == self.shown and fraction < 1.0:
            return
        self.shown = step
        elapsed = time.perf_counter() - self.start
        left = f", {elapsed / fraction - elapsed:.0f} s left" if 0 < fraction < 1 else ""
        filled = round(30 * fraction)
        line = f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {100 * fraction:3.0f}% {elapsed:.1f} s{left}"
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(line))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.width:  # keep the finished bar; wipe a broken one so that the error is the only line
            sys.stderr.write("\n" if kind is None else "\r" + " " * self.width + "\r")
            sys.stderr.flush()


@contextlib.contextmanager
def progress_bar(label: str, forced: bool | None, long: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar, or None where no bar is wanted.

    ``forced`` is the choice of ``--progress`` (True) or ``--no-progress`` (False); without
    either (None) the bar is shown when stderr is a terminal and the work is ``long``.
    """
    if not (forced or (forced is None and sys.stderr.isatty() and long)):
        yield None
        return
    with Progress(label) as bar:
        yield bar.update
