"""LogisticNormal: a diagonal normal on R^(K-1) carried onto the simplex of K parts by torch's stick-breaking map.

The map is ``torch.distributions.transforms.StickBreakingTransform``: with ``t_i = x_i -
log(K - 1 - i)`` (0-based), ``z_i = sigmoid(t_i)``, the parts are ``y_i = z_i prod_{j<i} (1 -
z_j)`` and ``y_{K-1} = prod_j (1 - z_j)``. It is a bijection, so every f-divergence (KL, Renyi
of every order, chi-square, Hellinger, Bhattacharyya, total variation) between two
LogisticNormals is the one between their normals: the forms here are the univariate normal
forms summed over the K - 1 coordinates (each exact as ``q -> p``), and total variation is the
normal one for K = 2 (no closed form exists for the total variation of normals in more
dimensions: the numerical route answers there, as it does for Jensen-Shannon).

Entropy and cross entropy are not invariant under the map, but they are one-dimensional
Gaussian expectations. The density is ``N(x; loc, scale) / prod_k y_k``, so ``H(Y) = H(X) +
sum_k E[log y_k]`` and ``H(p, q) = H(N_p, N_q) + sum_k E_p[log y_k]``. Each ``log y_k`` is a
sum of ``log sigmoid(+-t_j)``, and ``log sigmoid(t) = min(t, 0) - softplus(-|t|)``, so with
``mu_j = loc_j - log(K - 1 - j)``:

``sum_k E[log y_k] = sum_j [min(mu_j, 0) + (K - 1 - j) min(-mu_j, 0) - (K - j) G(|mu_j|, scale_j)]``,

``G(m, s) = E[softplus(-(m + s Z))]``, ``Z ~ N(0, 1)``, ``m >= 0`` (:func:`_softplus_mean`): the
mean of a positive function, integrated by adaptive Gauss-Kronrod quadrature on both sides of
the point where ``m + s Z = 0`` (no closed form exists). Nothing is subtracted, so ``G`` has
full relative accuracy; its error estimate is some 1e-14 of it, and mpmath finds it within a
few ulps. The forms return it as an ``Estimated`` value, so ``return_error=True`` reports the
bound (summed over the parts, with the rounding of the sum) instead of the closed forms' 0.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array_api import is_numpy, to_numpy
from .._exceptions import InvalidInputError
from .._special import HALF_LOG_2PI
from .._validation import sum_tolerance
from ._base import Distribution, param
from ._closed_univariate import (
    _normal_bhattacharyya,
    _normal_cross_entropy,
    _normal_kl,
    _normal_renyi,
    _normal_total_variation,
)
from ._registry import Estimated, NoClosedForm, register, register_kl

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
    variation too for K = 2. The entropy and cross entropy are the normals' plus ``sum_k
    E[log y_k]``, a sum of one-dimensional Gaussian expectations integrated by adaptive
    quadrature to some 1e-15 relative (see the module docstring; computed on the host, so
    torch and JAX parameters get a value without a gradient). Jensen-Shannon, and total
    variation in more dimensions, take the numerical route (Monte Carlo). SciPy has no
    logistic-normal family, so there is no SciPy equivalent.

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
    >>> round(float(dv.entropy(p)), 12)  # by quadrature, not sampling
    -1.044314646994
    >>> bool(abs(dv.cross_entropy(p, q) - dv.entropy(p) - dv.kl(p, q)) < 1e-14)
    True
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


# ------------------------------------------------------------ entropy and cross entropy

_RTOL = 2e-14  # the least QUADPACK accepts without an absolute tolerance (50 ulps)
_REACH = 40.0  # standard deviations: exp(-40^2 / 2) ~ 1e-348 of the peak lies beyond


def _softplus_mean(m: float, s: float) -> tuple[float, float]:
    """``G(m, s) = E[log(1 + exp(-(m + s Z)))]``, ``Z ~ N(0, 1)``, ``m >= 0``, with an error bound.

    Split at ``z0 = -m / s`` (where ``t = m + s z`` is 0): on ``z > z0`` the integrand is
    ``log1p(exp(-m) exp(-s z)) phi(z)`` (``exp(-m)`` apart, so a large ``m`` costs no
    digits); on ``z < z0``, with ``z = z0 - u``, it is ``softplus(s u) phi(a + u)``, ``a = m /
    s``, taken as ``exp(log phi(a) - a u - u^2 / 2)`` so that ``phi(a)`` may be tiny. Both
    integrands are positive and log-concave, so each has one peak: on ``z > z0`` it lies in
    ``[-s, 0]``, on ``u > 0`` at ``u <= 1``; ``_REACH`` standard deviations beyond it is
    nothing in double precision. Breakpoints sit where ``softplus`` bends (``|t|`` of order 1,
    ``1 / s`` in ``z``) and where the Gaussian factor falls (``1 / a`` in ``u``), so that the
    adaptive rule sees every feature at any scale. The result has the relative accuracy of the
    rule, which is asked for 2e-14; it is typically a few ulps (see the tests).

    Examples
    --------
    >>> value, error = _softplus_mean(0.0, 1e-9)  # nearly softplus(0) = log 2
    >>> abs(value - 0.6931471805599453) < 1e-15, error < 1e-13
    (True, True)
    """
    from scipy.integrate import IntegrationWarning, quad

    a = m / s
    exp_m = math.exp(-m)

    def above(z: float) -> float:
        return math.log1p(exp_m * math.exp(-s * z)) * math.exp(-0.5 * z * z - HALF_LOG_2PI)

    log_phi_a = -0.5 * a * a - HALF_LOG_2PI

    def below(u: float) -> float:
        su = s * u
        return (su + math.log1p(math.exp(-su))) * math.exp(log_phi_a - a * u - 0.5 * u * u)

    lo, hi = max(-a, -s - _REACH), _REACH
    bends = (-a + 0.5 / s, -a + 4.0 / s, -a + 32.0 / s, -s, 0.0)
    points_above = sorted({z for z in bends if lo < z < hi})
    points_below = sorted({u for u in (1.0 / (a + 1.0), 8.0 / (a + 1.0), 1.0 / s, 8.0 / s) if 0.0 < u < _REACH})
    with warnings.catch_warnings():
        # QUADPACK warns when rounding stops it short of 2e-14; its error estimate says how far.
        warnings.simplefilter("ignore", IntegrationWarning)
        upper, upper_error = quad(above, lo, hi, points=points_above or None, epsabs=0.0, epsrel=_RTOL, limit=200)
        lower, lower_error = (
            quad(below, 0.0, _REACH, points=points_below or None, epsabs=0.0, epsrel=_RTOL, limit=200)
            if log_phi_a > -800.0  # else below < 1e-347: nothing in double precision
            else (0.0, 0.0)
        )
    return upper + lower, upper_error + lower_error


def _mean_log_parts(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_k E[log y_k]`` over the batch of ``loc`` and ``scale`` (shapes ``(..., K - 1)``,
    broadcast), with an error bound: the sum of the module docstring, each distinct ``(|mu_j|,
    scale_j)`` integrated once.

    Examples
    --------
    >>> value, error = _mean_log_parts(np.array([0.0]), np.array([1e-12]))  # K = 2, y ~ (1/2, 1/2)
    >>> bool(abs(value - 2 * np.log(0.5)) < 1e-15), bool(error < 1e-13)
    (True, True)
    """
    loc, scale = np.broadcast_arrays(loc, scale)
    k = loc.shape[-1] + 1
    left = np.arange(k - 1, 0, -1, dtype=np.float64)  # K - 1 - j: the parts after part j
    mu = loc - np.log(left)
    pairs, where = np.unique(np.stack([np.abs(mu), scale], axis=-1).reshape(-1, 2), axis=0, return_inverse=True)
    found = np.array([_softplus_mean(float(m), float(s)) for m, s in pairs]).reshape(-1, 2)
    g, g_error = (found[where.reshape(-1), i].reshape(mu.shape) for i in (0, 1))
    # log sigmoid(t_j) once (part j) and log sigmoid(-t_j) once per later part: both are
    # min(+-mu_j, 0) - G in mean, so only G carries an error, (K - j) times.
    terms = np.minimum(mu, 0.0) + left * np.minimum(-mu, 0.0) - (left + 1.0) * g
    rounding = 4 * np.finfo(np.float64).eps * np.abs(terms).sum(axis=-1)
    return terms.sum(axis=-1), ((left + 1.0) * g_error).sum(axis=-1) + rounding


@register("cross_entropy", LogisticNormal, LogisticNormal)
def _ce_logistic_normal(p: LogisticNormal, q: LogisticNormal, *, xp: Any) -> Array:
    # H(p, q) = H(N_p, N_q) + E_p[sum_k log y_k]; entropy is H(p, p). Computed on the host in
    # float64 (the quadrature is SciPy's) and handed back in the parameters' library.
    (p_loc, p_scale), (q_loc, q_scale) = p._numpy(), q._numpy()
    normal = _normal_cross_entropy(p_loc, p_scale, q_loc, q_scale, np).sum(axis=-1)
    mean_log, error = _mean_log_parts(p_loc, p_scale)
    value = normal + mean_log
    error = error + 4.0 * np.finfo(np.float64).eps * np.abs(normal)  # the sum's own rounding
    if is_numpy(xp):
        dtype = np.result_type(p.dtype, q.dtype)
        return Estimated(value.astype(dtype, copy=False), error.astype(dtype, copy=False))
    device = getattr(p.loc, "device", None)
    kwargs = {"dtype": xp.result_type(p.dtype, q.dtype)} | ({"device": device} if device else {})
    return Estimated(xp.asarray(value, **kwargs), xp.asarray(error, **kwargs))
