"""Divergences between discrete distributions given as probability vectors.

Every function takes arrays of any supported library (NumPy, PyTorch, JAX, CuPy, Dask,
array-api-strict, or Python lists), reduces the event ``axis`` and broadcasts the others.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ._evaluate import evaluate
from ._exceptions import InvalidInputError
from ._validation import check_alpha

__all__ = [
    "bhattacharyya",
    "chi2",
    "cross_entropy",
    "entropy",
    "f_divergence",
    "hellinger",
    "js",
    "js_distance",
    "kl",
    "psi",
    "renyi",
    "total_variation",
]

Array = Any
F = TypeVar("F", bound=Callable[..., Any])

_PQ = """p, q : array_like
        Probability vectors (or, with ``normalize=True``, non-negative weights or counts)
        along ``axis``; the other axes are batch axes and broadcast like NumPy."""
_AXIS = """axis : int or None, default -1
        The axis that holds the events; ``None`` flattens the inputs.
    keepdims : bool, default False
        Keep the reduced axis with length 1."""
_BASE = """base : float or None, default None
        Logarithm base: ``None`` gives nats, ``2`` bits."""
_NORM = """normalize : bool, default False
        ``False``: each distribution must sum to 1 within ``sqrt(eps)`` of its dtype, else
        ``InvalidInputError``. ``True``: inputs are non-negative weights, divided by their sum.
    smoothing : float or None, default None
        A pseudocount added to every event, after which the distribution is renormalised
        (Laplace / add-epsilon smoothing for histograms with empty bins).
    validate : bool, default True
        ``False`` skips the input checks (for speed in training loops and under ``jit``);
        results on invalid input are then undefined. JAX tracers (under ``jit``) cannot be
        read for checks: an invalid distribution gives NaN there instead. Dask arrays are
        checked block by block when computed, and raise then."""
_DIST = """return_error : bool, default False
        Return ``(value, error)``: an estimate of the absolute error (0 for arrays and closed
        forms, the quadrature or summation error estimate, or the Monte Carlo standard error).
    method : str, default "auto"
        For distribution objects (``dv.Normal(...)``, ``scipy.stats.norm(...)``; see
        :mod:`divergences.distributions`): ``"auto"`` uses a registered closed form and
        otherwise a numerical route; ``"closed_form"``, ``"numerical"``, ``"quadrature"``,
        ``"summation"`` or ``"monte_carlo"`` force one.
    n_samples : int, default 100000
        Draws for the Monte Carlo route.
    random_state : int, numpy.random.Generator or None
        Seed of the Monte Carlo route."""
_RETURNS = """Returns
    -------
    array or NumPy scalar
        One value per distribution, in the input's library, dtype and device. A NumPy
        scalar when the result has no batch axes and the input was NumPy or a list."""
_RAISES = """Raises
    ------
    InvalidInputError
        Negative entries, NaN or inf, shapes that do not broadcast, an empty event axis, a
        sum other than 1 without ``normalize=True``, an all-zero distribution under
        ``normalize=True``, or an invalid option (``base``, ``axis``, ``smoothing``, ...)."""


def _doc(func: F) -> F:
    func.__doc__ = (func.__doc__ or "").format(
        pq=_PQ, axis=_AXIS, base=_BASE, norm=_NORM, dist=_DIST, returns=_RETURNS, raises=_RAISES
    )
    return func


@_doc
def kl(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Kullback-Leibler divergence (relative entropy) :math:`\sum_i p_i \log(p_i/q_i)`.

    Events with ``p = 0`` contribute 0; an event with ``p > 0 = q`` makes the divergence
    ``+inf``. Computed as a sum of non-negative terms ``p log(p/q) - p + q`` plus the
    separately summed ``sum(p - q)``, so nearly identical ``p`` and ``q`` keep full relative
    accuracy (never as a difference of entropies).

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    cross_entropy, js, renyi

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> print(f"{{dv.kl(p, q, base=2):.3f}} bits, {{dv.kl(p, q):.3f}} nats")
    1.927 bits, 1.336 nats
    """
    return evaluate("kl", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def cross_entropy(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Cross-entropy :math:`-\sum_i p_i \log q_i = H(p) + KL(p \| q)`.

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    entropy, kl

    Examples
    --------
    >>> import divergences as dv
    >>> float(dv.cross_entropy([1, 0], [0.1, 0.9], base=2))  # truth vs a confident wrong guess
    3.321928094887362
    """
    return evaluate("cross_entropy", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def entropy(
    p: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Shannon entropy :math:`-\sum_i p_i \log p_i`, with :math:`0 \log 0 = 0`.

    Unlike ``scipy.stats.entropy`` the input is not normalised silently and the events
    lie along the last axis by default. For a distribution object this is its entropy
    :math:`-E_p[\log p(X)]`: differential for a continuous distribution (it may be negative),
    Shannon for a discrete one. The closed form is used where the family has one (the
    cross entropy of ``p`` with itself where that is registered, and StudentT, Logistic and
    Dirichlet), otherwise quadrature, summation or Monte Carlo (Poisson, Binomial, mixtures,
    other SciPy distributions).

    Parameters
    ----------
    p : array_like or distribution
        Probability vectors (or weights with ``normalize=True``) along ``axis``, or a
        distribution object (``dv.Normal(0.0, 1.0)``, ``scipy.stats.gamma(2.0)``, ...).
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    cross_entropy, divergences.estimate.entropy : the entropy of samples

    Examples
    --------
    >>> import divergences as dv
    >>> float(dv.entropy([0.5, 0.5], base=2))
    1.0
    >>> round(float(dv.entropy(dv.Normal(0.0, 1.0))), 6)  # (1 + log(2 pi)) / 2
    1.418939
    >>> value, error = dv.entropy(dv.Poisson(3.0), return_error=True)  # summed numerically
    >>> print(f"{{value:.6f}} nats, error below 1e-12: {{error < 1e-12}}")
    1.931470 nats, error below 1e-12: True
    """
    return evaluate("entropy", {"p": p}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def js(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Jensen-Shannon divergence :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)`, :math:`m = (p+q)/2`.

    Symmetric, finite (``0 <= js <= log 2``, 1 bit) even for disjoint supports. Summed
    from per-event terms that are each non-negative, so it never comes out negative and
    keeps its relative accuracy for nearly identical inputs. ``scipy.spatial.distance.
    jensenshannon`` returns the square root of this: see :func:`js_distance`.

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    js_distance, kl

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.js([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2)), 3)
    0.42
    """
    return evaluate("js", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def js_distance(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Jensen-Shannon distance :math:`\sqrt{{JS(p, q)}}`, a metric.

    The same quantity as ``scipy.spatial.distance.jensenshannon``, but without NaN for
    nearly identical inputs, and with gradient 0 (a subgradient, not NaN) at ``p = q``.

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    js

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.js_distance([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2)), 3)
    0.648
    """
    return evaluate("js_distance", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def hellinger(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Hellinger distance :math:`\sqrt{{1 - \sum_i \sqrt{{p_i q_i}}}}`, a metric in [0, 1].

    Computed as :math:`\sqrt{{\tfrac12 \sum_i (\sqrt{{p_i}} - \sqrt{{q_i}})^2}}` with
    ``sqrt p - sqrt q = (p - q)/(sqrt p + sqrt q)``: equal to the definition for normalised
    input, free of its cancellation (full relative accuracy for nearly identical inputs),
    exactly 0 at ``p = q``, where the gradient is 0 (a subgradient).

    Parameters
    ----------
    {pq}
    {axis}
    {norm}
    {dist}

    {returns}

    {raises}

    See Also
    --------
    bhattacharyya, total_variation

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.hellinger([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 6)
    0.259893
    """
    return evaluate("hellinger", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=None,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def total_variation(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Total variation distance :math:`\tfrac12 \sum_i |p_i - q_i|`, a metric in [0, 1].

    Parameters
    ----------
    {pq}
    {axis}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.total_variation([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 12)
    0.3
    """
    return evaluate("total_variation", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=None,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def bhattacharyya(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Bhattacharyya distance :math:`-\log \sum_i \sqrt{{p_i q_i}}`; ``+inf`` for disjoint supports.

    Equal to ``renyi(p, q, 0.5) / 2``. Computed as ``-log1p(-h^2)`` from the squared
    Hellinger distance, exact for nearly identical inputs.

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.bhattacharyya([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 6)
    0.069934
    """
    return evaluate("bhattacharyya", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def renyi(
    p: Array, q: Array, alpha: float, *, axis: int | None = -1, keepdims: bool = False,
    base: float | None = None, normalize: bool = False, smoothing: float | None = None,
    validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Renyi divergence of order ``alpha``: :math:`\frac{{1}}{{\alpha-1}} \log \sum_i p_i^\alpha q_i^{{1-\alpha}}`.

    ``alpha = 1`` is :func:`kl`, ``alpha = inf`` is ``log max p/q``, ``alpha = 0`` is
    ``-log sum_{{p>0}} q``, and ``alpha = 1/2`` is twice :func:`bhattacharyya`. For
    ``alpha >= 1`` an event with ``p > 0 = q`` makes it ``+inf``; disjoint supports make it
    ``+inf`` for every ``alpha``. The sum is formed in log space (no overflow for large
    ``alpha``); its absolute error is a few ulps, so values far below 1e-10 near
    ``p = q`` and ``alpha != 1`` carry fewer correct digits than :func:`kl`.

    Parameters
    ----------
    {pq}
    alpha : float
        The order, ``>= 0`` (``inf`` allowed).
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.renyi([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], 2, base=2)), 6)
    0.704872
    """
    return evaluate("renyi", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state,
                    **kernel_params("renyi", {"alpha": alpha}))


@_doc
def chi2(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Pearson chi-square divergence :math:`\sum_i (p_i - q_i)^2 / q_i`; ``+inf`` if ``p > 0 = q``.

    Parameters
    ----------
    {pq}
    {axis}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.chi2([0.5, 0.5], [0.25, 0.75])), 6)
    0.333333
    """
    return evaluate("chi2", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=None,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


@_doc
def psi(
    p: Array, q: Array, *, axis: int | None = -1, keepdims: bool = False, base: float | None = None,
    normalize: bool = False, smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Population stability index :math:`\sum_i (p_i - q_i) \log(p_i / q_i) = KL(p\|q) + KL(q\|p)`.

    Symmetric; ``+inf`` when either support exceeds the other. Used for drift monitoring
    (``p`` the reference bins, ``q`` the current ones); add ``smoothing`` for empty bins.

    Parameters
    ----------
    {pq}
    {axis}
    {base}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import divergences as dv
    >>> round(float(dv.psi([0.5, 0.5], [0.25, 0.75])), 6)
    0.274653
    """
    return evaluate("psi", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=base,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state)


def _at(f: Callable[[Any], Any], t: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.asarray(f(np.asarray(t))))


def _slope_at_infinity(f: Callable[[Any], Any]) -> float:
    """``lim f(t)/t`` as ``t -> inf``: finite when ``f(t)/t`` has settled between 1e150 and 1e300."""
    a, b = _at(f, 1e150) / 1e150, _at(f, 1e300) / 1e300
    if math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-6 * max(1.0, abs(b)):
        return b
    return math.inf


def _value_at_zero(f: Callable[[Any], Any]) -> float:
    """``f(0+)``: ``f(0)``, or ``f`` at the smallest subnormal where ``f(0)`` is NaN (``0 log 0``)."""
    value = _at(f, 0.0)
    return _at(f, 5e-324) if math.isnan(value) else value


@_doc
def f_divergence(
    p: Array, q: Array, f: Callable[[Array], Array], *, slope_at_infinity: float | None = None,
    axis: int | None = -1, keepdims: bool = False, normalize: bool = False,
    smoothing: float | None = None, validate: bool = True,
    return_error: bool = False, method: str = "auto", n_samples: int = 100_000, random_state: Any = None,
) -> Array:
    r"""Csiszar f-divergence :math:`\sum_i q_i f(p_i / q_i)` for a convex ``f`` with ``f(1) = 0``.

    ``f(t) = t log t`` gives KL, ``f(t) = |t - 1|/2`` total variation, ``(t - 1)^2`` chi-square.
    An event with ``q = 0 < p`` contributes ``p * lim_{{t->inf}} f(t)/t``, one with
    ``p = 0 < q`` contributes ``q f(0+)``. For distribution objects the sum is the integral
    :math:`\int q f(p/q)`, computed numerically (quadrature for one-dimensional continuous
    pairs, summation for discrete ones, Monte Carlo over draws of ``q`` otherwise) even where
    the ``f`` of a measure with a closed form is given: call that measure for its closed form.

    Parameters
    ----------
    {pq}
        Or two distribution objects (``dv.Normal(0.0, 1.0)``, ``scipy.stats.norm(1, 2)``, ...).
    f : callable
        Elementwise function of an array of ratios ``p/q`` in the inputs' library (for
        NumPy input, NumPy functions such as ``np.log`` work; distribution objects always
        pass NumPy arrays); must satisfy ``f(1) = 0``.
    slope_at_infinity : float or None, default None
        ``lim f(t)/t`` as ``t -> inf``. ``None`` estimates it from ``f`` at 1e150 and 1e300
        with NumPy (``inf`` when it has not settled, as for ``t log t``).
    {axis}
    {norm}
    {dist}

    {returns}

    {raises}

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> round(float(dv.f_divergence(p, q, lambda t: t * np.log(t))), 3)  # KL
    1.336
    >>> value, error = dv.f_divergence(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0),
    ...                                lambda t: (t - 1) ** 2, return_error=True)
    >>> round(float(value), 8), bool(error < 1e-9)  # chi-square: e - 1
    (1.71828183, True)
    """
    return evaluate("f_divergence", {"p": p, "q": q}, axis=axis, keepdims=keepdims, base=None,
                    normalize=normalize, smoothing=smoothing, validate=validate,
                    return_error=return_error, method=method, n_samples=n_samples, random_state=random_state,
                    **kernel_params("f_divergence", {"f": f, "slope_at_infinity": slope_at_infinity}))


def _f_params(f: Callable[[Any], Any], slope_at_infinity: float | None = None) -> dict[str, Any]:
    if not callable(f):
        raise InvalidInputError(f"f must be a callable of the ratio p/q, got {f!r}")
    try:
        f1 = _at(f, 1.0)
    except Exception as exc:  # any failure of user code is reported as bad input
        raise InvalidInputError(f"f could not be evaluated on a NumPy array: {exc}") from None
    if not abs(f1) <= 1e-12:
        raise InvalidInputError(f"f must satisfy f(1) = 0, got f(1) = {f1:g}")
    slope = _slope_at_infinity(f) if slope_at_infinity is None else float(slope_at_infinity)
    return {"f": f, "value_at_zero": _value_at_zero(f), "slope_at_infinity": slope}


_OPTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "renyi": lambda alpha: {"alpha": check_alpha(alpha)},
    "f_divergence": _f_params,
}


def kernel_params(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The kernel's keyword arguments from the public options of measure ``name``
    (``alpha`` for renyi; ``f`` and ``slope_at_infinity`` for f_divergence), checked."""
    make = _OPTIONS.get(name, lambda: {})
    try:
        return make(**options)
    except TypeError:
        names = list(inspect.signature(make).parameters)
        wanted = f"takes {', '.join(names)}" if names else "takes no options"
        raise InvalidInputError(f"{name} {wanted}; got {', '.join(options) or 'none'}") from None
