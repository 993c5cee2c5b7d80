"""Closed forms between Independent laws: the base pair's, summed over the reinterpreted dimensions.

For product laws ``p = prod_i p_i`` and ``q = prod_i q_i`` the log density ratio is the sum of
the coordinates' ratios, so KL, cross entropy, entropy, the Renyi divergence of every order
(``log int p^a q^(1-a)`` factorises) and the Bhattacharyya distance add up over coordinates;
chi-square (``expm1`` of Renyi 2), Hellinger (from Bhattacharyya) and PSI follow by the
dispatch's derivations. Each form here asks the dispatch for the base pair's closed form,
registered or derived (:func:`~divergences.distributions._dispatch.closed_form`), so it
serves every pair of bases that has one, cross-family pairs included, and keeps the base
form's accuracy near ``p = q`` (a sum of non-negative terms). Where the bases have none it
raises :class:`~divergences.distributions._registry.NoClosedForm`, and the pair takes the
numerical route. Total variation and Jensen-Shannon do not add up over coordinates: they have
no form here and take the numerical route too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._dispatch import closed_form
from ._independent import Independent
from ._registry import Estimated, NoClosedForm, Partial, register, register_kl

Array = Any


def _summed(name: str, p: Independent, q: Independent, xp: Any, params: dict[str, Any]) -> Array:
    """The base pair's closed form of ``name``, summed over the reinterpreted dimensions."""
    bp, bq = p.base, q.base
    found = closed_form(name, type(bp), type(bq), params)
    if found is None:
        raise NoClosedForm(
            f"their bases, {type(bp).__name__} and {type(bq).__name__}, have no closed form of {name}, "
            "registered or derived"
        )
    return _sum_inner(found.form(bp, bq, xp), p, q, xp)


def _sum_inner(value: Array, p: Independent, q: Independent, xp: Any) -> Array:
    """``value`` (of the bases' batch shape, or broadcastable to it) summed over the last
    ``reinterpreted_batch_ndims`` axes; an ``Estimated`` one with its error bound summed alike."""
    if isinstance(value, Partial):  # (an element of the bases unsettled: the whole sum is)
        raise NoClosedForm(value.reason)
    if isinstance(value, Estimated):
        return Estimated(*(_sum_inner(part, p, q, xp) for part in value))
    value = value if hasattr(value, "shape") else xp.asarray(value)
    shape = tuple(np.broadcast_shapes(p.base.batch_shape, q.base.batch_shape))
    value = xp.broadcast_to(value, shape)
    n = p.reinterpreted_batch_ndims
    return xp.sum(value, axis=tuple(range(-n, 0))) if n else value


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent, *, xp: Any) -> Array:
    return _summed("kl", p, q, xp, {})


@register("renyi", Independent, Independent)
def _renyi_independent_independent(p: Independent, q: Independent, *, xp: Any, alpha: float) -> Array:
    # Every order adds up: int prod p_i^a q_i^(1-a) = prod int p_i^a q_i^(1-a); so do order 0
    # (-log Q(supp P)) and order inf (log sup p/q of a product).
    return _summed("renyi", p, q, xp, {"alpha": alpha})


@register("bhattacharyya", Independent, Independent)
def _bhattacharyya_independent_independent(p: Independent, q: Independent, *, xp: Any) -> Array:
    return _summed("bhattacharyya", p, q, xp, {})


@register("cross_entropy", Independent, Independent)
def _cross_entropy_independent_independent(p: Independent, q: Independent, *, xp: Any) -> Array:
    if p is q:  # dv.entropy(p): the base's entropy, which may be its family's own (_entropy)
        found = closed_form("entropy", type(p.base), type(p.base), {})
        if found is None:
            raise NoClosedForm(f"its base, {type(p.base).__name__}, has no closed-form entropy")
        return _sum_inner(found.form(p.base, p.base, xp), p, q, xp)
    return _summed("cross_entropy", p, q, xp, {})
