"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<name>.py``, which puts
this folder on ``sys.path``): memory tracing, value comparison, table rows, the header."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy

import divergences as dv

MIB = 2.0**20


def peak_mib(fn: Callable[[np.ndarray, np.ndarray], Any], p: np.ndarray, q: np.ndarray) -> float:
    """Peak memory (MiB) traced while ``fn`` runs, its result included."""
    tracemalloc.start()
    try:
        fn(p, q)
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def _per_call(fn: Callable[[], Any], sample_s: float) -> tuple[int, float]:
    """How many calls make one sample last ``sample_s``, and the first sample's per-call time."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= sample_s:
            return number, elapsed / number
        number *= 2 if elapsed > sample_s / 10 else 10


def race(fns: list[Callable[[], Any]], repeat: int, sample_s: float) -> list[float]:
    """Best per-call seconds of each of ``fns`` over ``repeat`` samples taken in turns (a burst
    of load from other jobs then hits them alike), a sample repeating the call until it lasts
    ``sample_s``; the first sample also warms up."""
    numbers, best = zip(*(_per_call(fn, sample_s) for fn in fns))
    best_list = list(best)
    for _ in range(repeat - 1):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(numbers[i]):
                fn()
            best_list[i] = min(best_list[i], (time.perf_counter() - start) / numbers[i])
    return best_list


def max_rel_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest ``|ours - theirs| / |theirs|``; equal entries (zeros, infinities) count 0, NaN
    in either propagates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ours == theirs, 0.0, np.abs(ours - theirs) / np.abs(theirs))
    return float(np.max(rel))


def shape_str(shape: tuple[int, ...]) -> str:
    return " x ".join(f"{n:_}" for n in shape)


def print_row(template: str, cells: list[str]) -> None:
    print(template.format(*cells).rstrip(), flush=True)


def versions(torch: Any) -> str:
    """The first header line: the versions of what is timed (``torch`` may be None)."""
    torch_info = f"torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "torch not importable"
    return f"divergences {dv.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, {torch_info}"
