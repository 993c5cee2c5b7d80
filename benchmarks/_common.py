"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<name>.py``, which puts
this folder on ``sys.path``): memory tracing, value comparison, table rows, the header."""

from __future__ import annotations

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
