"""LogisticNormal: a diagonal normal on R^(K-1) carried onto the simplex of K parts by torch's stick-breaking map.

The map is ``torch.distributions.transforms.StickBreakingTransform``: with ``t_i = x_i -
log(K - 1 - i)`` (0-based), ``z_i = sigmoid(t_i)``, the parts are ``y_i = z_i prod_{j<i} (1 -
z_j)`` and ``y_{K-1} = prod_j (1 - z_j)``. It is a bijection, so every f-divergence (KL, Renyi
of every order, chi-square, Hellinger, Bhattacharyya, total variation) between two
LogisticNormals is the one between their normals: the forms here are the univariate normal
forms summed over the K - 1 coordinates (each exact as ``q -> p``), and total variation is the
normal one for K = 2 (no closed form exists for the total variation of normals in more
dimensions: the numerical route answers there, as it does for Jensen-Shannon). Entropy and
cross entropy are not invariant under the map (they need ``E[log y_i]``, which has no closed
form): the numerical route answers with :meth:`LogisticNormal.sample` and
:meth:`LogisticNormal.log_prob`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import to_numpy
from .._exceptions import InvalidInputError
from .._validation import sum_tolerance
from ._base import Distribution, param
from ._closed_univariate import _normal_bhattacharyya, _normal_kl, _normal_renyi, _normal_total_variation
from ._registry import NoClosedForm, register, register_kl

__all__ = ["LogisticNormal"]

Array = Any


@dataclass(frozen=True, eq=False)
class LogisticNormal(Distribution):
    """Logistic-normal law on the simplex of K parts, parametrised as ``torch.distributions.LogisticNormal``.

    ``X ~ Normal(loc, scale)`` coordinate-wise in R^(K-1), mapped onto the simplex by torch's
    ``StickBreakingTransform`` (``y_i = z_i prod_{j<i} (1 - z_j)``, ``y_{K-1} = prod_j (1 -
    z_j)``, ``z_i = sigmoid(x_i - log(K - 1 - i))``), so that samples and ``log_prob`` agree
    with torch's. (Aitchison's additive logistic map, ``y = softmax([x, 0])``, gives another
    law on the simplex for the same ``loc`` and ``scale``; divergences between two laws made
    with one map are the same for both maps.) The density is ``N(x; loc, scale) / prod_k y_k``.

    KL, Renyi, Bhattacharyya, Hellinger and chi-square between two LogisticNormals are those
    of their normals in closed form (every f-divergence is invariant under a bijection), total
    variation too for K = 2; the entropy, cross entropy, Jensen-Shannon and total variation
    in more dimensions take the numerical route (Monte Carlo). SciPy has no logistic-normal
    family, so there is no SciPy equivalent.

    Parameters
    ----------
    loc : array of shape (..., K - 1)
        Means of the normal coordinates (finite).
    scale : array of shape (..., K - 1)
        Their standard deviations (positive), one per coordinate as in ``loc``.

    Examples
    --------
    >>> import divergences as dv
    >>> p = dv.LogisticNormal([0.0, 0.5], [1.0, 1.0])
    >>> q = dv.LogisticNormal([1.0, 0.5], [1.0, 2.0])
    >>> p.event_shape  # outcomes on the simplex of 3 parts
    (3,)
    >>> round(float(dv.kl(p, q)), 6)  # 0.5 + KL(N(0.5, 1) || N(0.5, 2))
    0.818147
    >>> round(float(p.log_prob([0.2, 0.3, 0.5])), 6)
    0.91757
    """

    event_ndim = 1
    loc: Array = param("real", event_ndim=1)
    scale: Array = param("positive", event_ndim=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        # Shapes are known even under jax.jit, where the base class skips value checks.
        d = int(self.loc.shape[-1])
        if d < 1:
            raise InvalidInputError(
                f"LogisticNormal loc has shape {tuple(self.loc.shape)}: it needs K - 1 >= 1 coordinates on its last axis"
            )
        if tuple(self.scale.shape[-1:]) != (d,):
            raise InvalidInputError(
                f"LogisticNormal scale has shape {tuple(self.scale.shape)}; its last axis must match loc's {d} "
                "(one standard deviation per coordinate)"
            )

    @property
    def event_shape(self) -> tuple[int, ...]:
        """``(K,)``: one more part than normal coordinates."""
        return (int(self.loc.shape[-1]) + 1,)

    def _numpy(self) -> tuple[np.ndarray, np.ndarray]:
        return to_numpy(self.loc).astype(np.float64), to_numpy(self.scale).astype(np.float64)

    def log_prob(self, x: Array) -> np.ndarray:
        """Log density at points ``x`` of shape ``(..., K)`` on the simplex (``-inf`` off it):
        the normal log density at the inverse map, less ``sum_k log y_k``."""
        from scipy.stats import norm

        y = np.asarray(to_numpy(x), dtype=np.float64)
        k = self.event_shape[0]
        if y.ndim == 0 or y.shape[-1] != k:
            raise InvalidInputError(f"x has shape {y.shape}; its last axis must hold the K = {k} parts")
        loc, scale = self._numpy()
        on = np.all(y > 0, axis=-1) & (np.abs(y.sum(axis=-1) - 1.0) <= sum_tolerance(np.float64, np))
        y = np.where(on[..., None], y, 1.0 / k)  # a harmless point off the simplex
        # What is left of the stick after part i: the sum of the later parts (not 1 - cumsum).
        rest = np.cumsum(y[..., ::-1], axis=-1)[..., ::-1][..., 1:]
        logs = np.log(y)
        x_normal = logs[..., :-1] - np.log(rest) + np.log(np.arange(k - 1, 0, -1, dtype=np.float64))
        value = norm.logpdf(x_normal, loc, scale).sum(axis=-1) - logs.sum(axis=-1)
        return np.asarray(np.where(on, value, -np.inf))

    def sample(self, n: int, random_state: Any = None) -> np.ndarray:
        """``n`` draws of shape ``(n, *batch_shape, K)``: normal draws through the stick-breaking map,
        in logarithms (``log_expit``), so no part underflows to an inexact value before it must."""
        from scipy.special import log_expit

        rng = np.random.default_rng(random_state)
        loc, scale = self._numpy()
        shape = (n, *np.broadcast_shapes(loc.shape, scale.shape))
        t = loc + scale * rng.standard_normal(shape) - np.log(np.arange(shape[-1], 0, -1, dtype=np.float64))
        taken, left = log_expit(t), np.cumsum(log_expit(-t), axis=-1)
        log_y = np.concatenate([taken[..., :1], taken[..., 1:] + left[..., :-1], left[..., -1:]], axis=-1)
        return np.asarray(np.exp(log_y))


# Every f-divergence is the normals': sums over the coordinates of the univariate forms.
def _parts(p: LogisticNormal, q: LogisticNormal) -> tuple[Array, Array, Array, Array]:
    return p.loc, p.scale, q.loc, q.scale


@register_kl(LogisticNormal, LogisticNormal)
def _kl_logistic_normal(p: LogisticNormal, q: LogisticNormal, *, xp: Any) -> Array:
    return xp.sum(_normal_kl(*_parts(p, q), xp), axis=-1)


@register("renyi", LogisticNormal, LogisticNormal)
def _renyi_logistic_normal(p: LogisticNormal, q: LogisticNormal, *, xp: Any, alpha: float) -> Array:
    return xp.sum(_normal_renyi(*_parts(p, q), xp, alpha), axis=-1)


@register("bhattacharyya", LogisticNormal, LogisticNormal)
def _bhattacharyya_logistic_normal(p: LogisticNormal, q: LogisticNormal, *, xp: Any) -> Array:
    return xp.sum(_normal_bhattacharyya(*_parts(p, q), xp), axis=-1)


@register("total_variation", LogisticNormal, LogisticNormal)
def _tv_logistic_normal_two_parts(p: LogisticNormal, q: LogisticNormal, *, xp: Any) -> Array:
    if p.loc.shape[-1] != 1:
        raise NoClosedForm("the total variation of normals has a closed form in one dimension only (K = 2 parts)")
    return _normal_total_variation(*_parts(p, q), xp)[..., 0]
