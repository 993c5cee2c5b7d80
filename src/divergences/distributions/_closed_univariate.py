"""Closed forms between one-dimensional continuous families of the same kind."""

from __future__ import annotations

from typing import Any

from ._families import Normal
from ._registry import register, register_kl

Array = Any


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal, *, xp: Any) -> Array:
    # TFP's form: expm1 keeps the accuracy when the scales are nearly equal.
    log_ratio = xp.log(p.scale) - xp.log(q.scale)
    return 0.5 * ((p.loc - q.loc) / q.scale) ** 2 + 0.5 * xp.expm1(2.0 * log_ratio) - log_ratio


@register("bhattacharyya", Normal, Normal)
def _bhattacharyya_normal_normal(p: Normal, q: Normal, *, xp: Any) -> Array:
    var_sum = p.scale**2 + q.scale**2
    return 0.25 * (p.loc - q.loc) ** 2 / var_sum + 0.5 * xp.log(var_sum / (2.0 * p.scale * q.scale))
