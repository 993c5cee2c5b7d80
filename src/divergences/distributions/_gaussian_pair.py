"""One pair of full-covariance Gaussians (no batch, float64 NumPy parameters): the KL of
``_closed_multivariate`` with LAPACK's triangular solve, NumPy's own functions on the small
arrays and Python floats, where the array API path's per-call overhead is most of the time."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array_api import NUMPY
from .._special import _EAGER_NEAR, _expm1mx_series, _log1pmx_series, expm1mx, log1pmx, log_ratio
from ._families import MultivariateNormal
from ._gaussian_factors import _trtrs

__all__ = ["kl_gaussian_pair"]


def kl_gaussian_pair(p: MultivariateNormal, q: MultivariateNormal) -> np.float64 | None:
    """``_closed_multivariate._kl_gaussian_gaussian`` for one pair (no batch) of float64 NumPy
    parameters, None for anything else: the same forms and tests, by LAPACK's triangular
    solve, NumPy's own functions on the small arrays and Python floats (d = 10: a ``dv.kl``
    call of some 170 us against 550 by the array API path). ``math``'s functions raise where
    a value leaves the range of doubles: the caller then takes the array path."""
    lp, lq = p.scale_tril(), q.scale_tril()
    arrays = (lp, lq, p.mean, q.mean)
    if not (lp.ndim == 2 and lp.shape == lq.shape and p.mean.shape == q.mean.shape == lp.shape[:1]
            and all(type(a) is np.ndarray and a.dtype == np.float64 for a in arrays)):
        return None
    solve = _trtrs()
    off, info = solve(lq, lp - lq, lower=1)
    z, info_z = solve(lq, (q.mean - p.mean)[:, None], lower=1)
    if info or info_z:
        return None
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        squares = off * off
        diagonal_off = off.diagonal()
        dp, dq = lp.diagonal(), lq.diagonal()
        total = squares.sum()
        if total == math.inf:  # a square overflowed, and the value with it
            return np.float64(math.inf)
        means_part = (z * z).sum()
        if total == 0.0:  # one covariance (its factor) for both: only the means' part
            return np.float64(0.5 * means_part)
        # _possibly_near's tests, then _eigen_form's (in _closed_multivariate), on the one pair;
        # the factors' form where they fail
        if np.abs(2.0 * diagonal_off + squares.sum(axis=-1)).max() <= 0.55:
            x = off + off.T + off @ off.T
            if (x * x).sum() <= lp.shape[0] * 0.55**2:
                half, _ = solve(lq, p.cov - q.cov, lower=1)
                white, _ = solve(lq, half.T, lower=1)
                eigen = np.linalg.eigvalsh(0.5 * (white + white.T))
                if np.abs(eigen).max() <= 0.5:
                    return np.float64(0.5 * (-_small(log1pmx, eigen) + means_part))
        x = (dp - dq) / dq
        # log1p of the difference, but for a ratio below 1/2 (where 1 + x loses the ratio's digits)
        log_r = np.log1p(x) if x.min() >= -0.5 and x.max() < math.inf else log_ratio(dp, dq, NUMPY)
        far = (total - (diagonal_off * diagonal_off).sum()) + _small(expm1mx, 2.0 * log_r)
        return np.float64(0.5 * (far + means_part))


def _small(form: Any, x: np.ndarray) -> float:
    """The sum of ``form(x, NUMPY)`` (``expm1mx`` or ``log1pmx``) over a short vector, on
    Python floats: the same values, the difference where ``|x| > 1/8`` and the series
    elsewhere (an exact 0 at 0), without the batch machinery."""
    series, far = (_expm1mx_series, math.expm1) if form is expm1mx else (_log1pmx_series, math.log1p)
    return math.fsum(series(v) if abs(v) <= _EAGER_NEAR else far(v) - v for v in x.tolist() if v != 0.0)
