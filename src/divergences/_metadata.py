"""The table of divergences: one row per measure, read by the public functions, the CLI's
``list``, the docs and the tests. Adding a divergence is one row here plus one kernel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _kernels, _numpy_engine
from ._special import sqrt_with_zero_gradient

__all__ = ["DIVERGENCES", "Divergence"]


@dataclass(frozen=True)
class Divergence:
    """Properties of one measure and the code that computes it."""

    name: str
    formula: str
    kernel: Callable[..., Any]
    arity: int = 2
    symmetric: bool = False
    metric: bool = False
    logarithmic: bool = True
    lower: str = "0"
    upper: str = "inf"
    # transform(values, xp, out=None): the reported value from the kernel's (NumPy: into out)
    transform: Callable[..., Any] | None = None
    fast: Callable[..., Any] | None = None
    trusted_above: float = 0.0
    # The fast kernel returns NaN for a row with a negative entry (log of it), so the
    # engine's validation need not look for the minimum.
    fast_nan_if_negative: bool = False

    @property
    def bound(self) -> str:
        return f"[{self.lower}, {self.upper}]"


_TABLE = (
    Divergence("kl", "sum p log(p/q)", _kernels.kl, fast=_numpy_engine.fast_kl, trusted_above=0.1),
    Divergence("cross_entropy", "-sum p log q", _kernels.cross_entropy, fast=_numpy_engine.fast_cross_entropy),
    Divergence("entropy", "-sum p log p", _kernels.entropy, arity=1, upper="log K", fast=_numpy_engine.fast_entropy,
        fast_nan_if_negative=True,
    ),
    Divergence(
        "js", "kl(p, m)/2 + kl(q, m)/2, m = (p+q)/2", _kernels.js, symmetric=True, upper="log 2",
        fast=_numpy_engine.fast_js, trusted_above=0.01,
    ),
    Divergence(
        "js_distance", "sqrt(js)", _kernels.js, symmetric=True, metric=True, upper="sqrt(log 2)",
        transform=sqrt_with_zero_gradient, fast=_numpy_engine.fast_js, trusted_above=0.01,
    ),
    Divergence(
        "hellinger", "sqrt(1 - sum sqrt(p q))", _kernels.hellinger_squared, symmetric=True, metric=True,
        logarithmic=False, upper="1", transform=sqrt_with_zero_gradient, fast=_numpy_engine.fast_hellinger_squared,
    ),
    Divergence(
        "total_variation", "sum |p - q| / 2", _kernels.total_variation, symmetric=True, metric=True,
        logarithmic=False, upper="1",
    ),
    Divergence("bhattacharyya", "-log sum sqrt(p q)", _kernels.bhattacharyya, symmetric=True),
    Divergence("renyi", "log(sum p^a q^(1-a)) / (a - 1)", _kernels.renyi),
    Divergence("chi2", "sum (p - q)^2 / q", _kernels.chi2, logarithmic=False),
    Divergence("psi", "sum (p - q) log(p/q)", _kernels.psi, symmetric=True),
    Divergence("f_divergence", "sum q f(p/q)", _kernels.f_divergence, logarithmic=False),
)

DIVERGENCES: dict[str, Divergence] = {d.name: d for d in _TABLE}
