"""Entropy, KL, JS and mutual information of discrete samples (symbols), in nats.

Each row of a sample is one symbol; the estimators only see how often each symbol occurs.
The plug-in entropy is biased low when many symbols are rare, because the unseen mass and the
spread of the rare ones are invisible; the corrections here differ in what they assume about
the unseen part:

- ``"miller_madow"``: first-order bias term ``(K - 1) / (2N)``, ``K`` observed symbols.
- ``"chao_shen"``: estimates the unseen mass from the singletons (Good-Turing coverage) and
  reweights each observed symbol by its chance of being seen (Horvitz-Thompson).
- ``"grassberger"``: replaces ``log n_i`` by a digamma-like ``G(n_i)`` with a smaller bias.
- ``"nsb"``: Bayesian posterior mean under a mixture of Dirichlet priors chosen to be flat in
  the entropy (Nemenman, Shafee and Bialek 2002), given the alphabet size.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import discrete
from .._exceptions import InvalidInputError
from ._samples import _to_host, as_labels

__all__ = [
    "ENTROPY_METHODS",
    "MI_METHODS",
    "check_entropy_method",
    "check_mi_method",
    "entropy",
    "entropy_from_counts",
    "js",
    "kl",
    "mutual_information",
]

ENTROPY_METHODS = ("plugin", "miller_madow", "chao_shen", "grassberger", "nsb")
MI_METHODS = ("plugin", "miller_madow")


def check_entropy_method(method: object) -> str:
    """The name of a discrete entropy estimator, one of :data:`ENTROPY_METHODS`."""
    if method not in ENTROPY_METHODS:
        raise InvalidInputError(
            f"method must be one of {', '.join(map(repr, ENTROPY_METHODS))} for discrete samples, got {method!r}"
        )
    return str(method)


def check_mi_method(method: object) -> str:
    """The name of a discrete mutual-information estimator, one of :data:`MI_METHODS`."""
    if method not in MI_METHODS:
        raise InvalidInputError(
            f"method must be one of {', '.join(map(repr, MI_METHODS))} for discrete mutual information, got {method!r}"
        )
    return str(method)


def _check_alphabet_size(alphabet_size: object, observed: int) -> int:
    if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, (int, np.integer)):
        raise InvalidInputError(f"alphabet_size must be None or an integer, got {alphabet_size!r}")
    if alphabet_size < observed:
        raise InvalidInputError(
            f"alphabet_size must be at least the number of distinct symbols observed ({observed}), got {alphabet_size}"
        )
    return int(alphabet_size)


# ---------------------------------------------------------------------------------------------
# Entropy


def entropy(x: object, method: str = "plugin", *, alphabet_size: int | None = None) -> float:
    """Entropy (nats) of the distribution of the symbols ``x``.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Symbols (numbers, strings, ...); each row of 2-D input is one symbol.
    method : {"plugin", "miller_madow", "chao_shen", "grassberger", "nsb"}
        The estimator (see the module docstring).
    alphabet_size : int or None
        Number of possible symbols, used by ``"nsb"`` only; ``None`` takes the number observed.

    Returns
    -------
    float

    Examples
    --------
    >>> from divergences.estimate._discrete import entropy
    >>> x = ["a", "a", "b", "c"]
    >>> round(entropy(x), 4)  # -(1/2 log 1/2 + 2 * 1/4 log 1/4)
    1.0397
    >>> round(entropy(x, "miller_madow"), 4)  # + (3 - 1) / (2 * 4)
    1.2897
    """
    codes = as_labels(x, "x")
    return entropy_from_counts(np.bincount(codes), method, alphabet_size=alphabet_size)


def entropy_from_counts(counts: np.ndarray, method: str = "plugin", *, alphabet_size: int | None = None) -> float:
    """Entropy (nats) from the occurrence counts of the symbols (zeros allowed, ignored).

    The histogram estimators share this with the symbol estimators; ``counts`` is assumed to
    hold non-negative integers with a positive sum.

    Examples
    --------
    >>> from divergences.estimate._discrete import entropy_from_counts
    >>> round(entropy_from_counts([5, 5, 0]), 6)  # log 2
    0.693147
    """
    method = check_entropy_method(method)
    n = np.asarray(counts, dtype=np.float64)
    n = n[n > 0]
    if alphabet_size is not None and method != "nsb":
        raise InvalidInputError(f"alphabet_size is used by method='nsb' only, got method={method!r}")
    if method == "plugin":
        return _plugin(n)
    if method == "miller_madow":
        return _plugin(n) + (len(n) - 1) / (2.0 * float(n.sum()))
    if method == "chao_shen":
        return _chao_shen(n)
    if method == "grassberger":
        return _grassberger(n)
    size = len(n) if alphabet_size is None else _check_alphabet_size(alphabet_size, len(n))
    return _nsb(n, size)


def _plugin(n: np.ndarray) -> float:
    return float(discrete.entropy(n, normalize=True))


def _chao_shen(n: np.ndarray) -> float:
    """Chao & Shen (2003): coverage-adjusted probabilities, Horvitz-Thompson weighted."""
    from scipy import special

    total = n.sum()
    singletons = np.count_nonzero(n == 1)
    if singletons == total:  # every symbol seen once: coverage 0 would erase the sample
        singletons = total - 1
    coverage = 1.0 - singletons / total
    pa = coverage * n / total
    with np.errstate(divide="ignore"):
        seen = -np.expm1(total * np.log1p(-pa))  # P(symbol observed at least once) = 1 - (1 - pa)^N
    return float(np.sum(special.entr(pa) / seen))


def _grassberger(n: np.ndarray) -> float:
    """Grassberger (2003), eq. 35: log N - (1/N) sum n_i G(n_i)."""
    from scipy import special

    total = n.sum()
    sign = np.where(n % 2 == 0, 1.0, -1.0)
    g = special.digamma(n) + 0.5 * sign * (special.digamma((n + 1) / 2) - special.digamma(n / 2))
    return float(math.log(total) - np.sum(n * g) / total)


def _nsb(n: np.ndarray, size: int) -> float:
    r"""Nemenman-Shafee-Bialek (2002) posterior mean of the entropy, alphabet of ``size`` symbols.

    Under a symmetric Dirichlet(beta) prior the entropy has prior mean
    :math:`\xi(\beta) = \psi(K\beta + 1) - \psi(\beta + 1)`; NSB weights beta by
    :math:`d\xi/d\beta`, so the prior on the entropy is nearly flat on :math:`[0, \log K]`.
    The posterior mean is a one-dimensional integral over beta, done in :math:`t = \log\beta`
    with every factor in logs: the likelihood through ``betaln`` (which keeps its precision
    where a difference of two ``gammaln`` would cancel).
    """
    from scipy import special

    if size == 1:
        return 0.0
    values, multiplicity = np.unique(n, return_counts=True)
    total = float(n.sum())
    unseen = size - len(n)

    def log_weight(t: np.ndarray) -> np.ndarray:
        beta = np.exp(t)
        # log p(n | beta) up to a constant: Gamma(K b)/Gamma(N + K b) * prod Gamma(n_i + b)/Gamma(b)
        like = special.betaln(size * beta, total) - special.betaln(beta[:, None], values) @ multiplicity
        return like + np.log(_dxi(beta, size)) + t

    def mean_entropy(t: np.ndarray) -> np.ndarray:
        # E[H | n, beta]: the posterior is Dirichlet(n_i + beta) (Wolpert & Wolf 1995)
        beta = np.exp(t)
        a = total + size * beta
        seen = ((values + beta[:, None]) * special.digamma(values + beta[:, None] + 1.0)) @ multiplicity
        return special.digamma(a + 1.0) - (seen + unseen * beta * special.digamma(beta + 1.0)) / a

    # The weight falls like beta^K_obs below 1/K and like 1/beta above ~N: this grid brackets
    # every mode, and the window kept (where the weight is within e^-40 of its largest value on
    # the grid) holds all the mass but its negligible tails.
    coarse = np.arange(-math.log(size) - 45.0, math.log(total) + 45.0, 0.05)
    w = log_weight(coarse)
    inside = np.nonzero(w > w.max() - 40.0)[0]
    # The weight is smooth and negligible at both ends of the window, where the trapezoid rule
    # converges faster than any power of the step: a fine uniform grid is as good as adaptive
    # quadrature, and vectorises.
    t = np.linspace(coarse[max(inside[0] - 1, 0)], coarse[min(inside[-1] + 1, len(coarse) - 1)], 801)
    w = log_weight(t)
    density = np.exp(w - w.max())
    return float(np.sum(density * mean_entropy(t)) / np.sum(density))


def _dxi(beta: np.ndarray, size: int) -> np.ndarray:
    """d/dbeta of the prior mean entropy: K psi'(K beta + 1) - psi'(beta + 1)."""
    from scipy import special

    beta = np.asarray(beta, dtype=np.float64)
    direct = size * special.polygamma(1, size * beta + 1.0) - special.polygamma(1, beta + 1.0)
    # For large beta the two terms agree to ~1/beta and cancel; psi'(1 + x) = 1/x - 1/(2x^2)
    # + 1/(6x^3) - 1/(30x^5) + ... gives the difference without cancellation.
    inv = 1.0 / np.maximum(beta, 1.0)
    series = inv**2 * (
        (1 - 1 / size) / 2 - inv * (1 - 1 / size**2) / 6 + inv**3 * (1 - 1 / size**4) / 30
    )
    return np.where(beta > 1e3, series, direct)


# ---------------------------------------------------------------------------------------------
# Two samples: KL and JS on the union alphabet


def _union_counts(x: object, y: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of the symbols of ``x`` and of ``y`` over the symbols of either, and those symbols."""
    arrays = []
    for sample, name in ((x, "x"), (y, "y")):
        as_labels(sample, name)  # the checks, naming the argument
        arr = np.asarray(_to_host(sample))
        arrays.append(arr[:, 0] if arr.ndim == 2 and arr.shape[1] == 1 else arr)
    ax, ay = arrays
    if ax.ndim != ay.ndim or ax.shape[1:] != ay.shape[1:]:
        raise InvalidInputError(f"x and y must hold symbols of the same shape, got {ax.shape} and {ay.shape}")
    both = np.concatenate([ax, ay])
    symbols = np.unique(both, axis=0 if both.ndim == 2 else None)
    codes = as_labels(both, "x and y")
    size = int(codes.max()) + 1
    return np.bincount(codes[: len(ax)], minlength=size), np.bincount(codes[len(ax) :], minlength=size), symbols


def kl(x: object, y: object, smoothing: float | None = None) -> float:
    """Plug-in KL divergence (nats) between the symbol frequencies of ``x`` and of ``y``.

    ``inf`` when a symbol of ``x`` never occurs in ``y``, unless ``smoothing`` (a pseudo-count
    added to every symbol seen in either sample, in both) is positive; that inf comes with a
    warning that names the symbols.

    Examples
    --------
    >>> import warnings
    >>> from divergences.estimate._discrete import kl
    >>> round(kl([0, 0, 1, 1], [0, 1, 1, 1]), 4)  # 1/2 log(2/1) + 1/2 log(2/3)
    0.1438
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kl([0, 1, 2], [0, 1, 1])
    inf
    >>> print(caught[0].message)
    KL is infinite: 1 of the 3 points of x are symbols that y never shows (2); pass smoothing= (a pseudo-count, e.g. 0.5) to estimate it from counts
    """
    cx, cy, symbols = _union_counts(x, y)
    value = float(discrete.kl(cx, cy, normalize=True, smoothing=smoothing))
    unseen = np.flatnonzero((cx > 0) & (cy == 0))
    if value == math.inf and len(unseen):
        shown = ", ".join(_symbol(symbols[i]) for i in unseen[:5]) + (", ..." if len(unseen) > 5 else "")
        warnings.warn(
            f"KL is infinite: {int(cx[unseen].sum())} of the {int(cx.sum())} points of x are symbols that y never "
            f"shows ({shown}); pass smoothing= (a pseudo-count, e.g. 0.5) to estimate it from counts",
            UserWarning,
            stacklevel=2,
        )
    return value


def _symbol(value: object) -> str:
    """A symbol for a message: a row as a tuple, a number without NumPy's wrapper."""
    if isinstance(value, np.ndarray):
        return "(" + ", ".join(_symbol(v) for v in value) + ")"
    value = value.item() if isinstance(value, np.generic) else value
    return f"{value:g}" if isinstance(value, float) else str(value)


def js(x: object, y: object, smoothing: float | None = None) -> float:
    """Plug-in Jensen-Shannon divergence (nats, weights 1/2) between the symbol frequencies of ``x`` and ``y``.

    Examples
    --------
    >>> import math
    >>> from divergences.estimate._discrete import js
    >>> js(["a", "a"], ["b", "b"]) == math.log(2)
    True
    """
    cx, cy, _ = _union_counts(x, y)
    return float(discrete.js(cx, cy, normalize=True, smoothing=smoothing))


# ---------------------------------------------------------------------------------------------
# Mutual information from the contingency table


def mutual_information(x: object, y: object, method: str = "plugin") -> float:
    """Mutual information (nats) between two discrete samples of the same length.

    ``"plugin"`` is the MI of the empirical joint distribution (``sklearn.metrics.mutual_info_score``);
    ``"miller_madow"`` applies the Miller-Madow term to each entropy of
    ``H(X) + H(Y) - H(X, Y)``, adding ``(K_x + K_y - K_xy - 1) / (2N)`` with ``K`` the numbers of
    observed symbols and observed pairs. Both are 0 when either variable is constant.

    Examples
    --------
    >>> from divergences.estimate._discrete import mutual_information
    >>> round(mutual_information([0, 0, 1, 1], ["a", "a", "b", "b"]), 6)  # log 2
    0.693147
    """
    method = check_mi_method(method)
    cx, cy = as_labels(x, "x"), as_labels(y, "y")
    if len(cx) != len(cy):
        raise InvalidInputError(f"x and y must have the same number of samples, got {len(cx)} and {len(cy)}")
    nx, ny = int(cx.max()) + 1, int(cy.max()) + 1
    joint = np.bincount(cx * ny + cy, minlength=nx * ny).reshape(nx, ny).astype(np.float64)
    total = float(len(cx))
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    i, j = np.nonzero(joint)
    cell = joint[i, j]
    # sum p_xy log(p_xy / (p_x p_y)) with the ratio taken in counts: no entropy differences.
    value = float(np.sum(cell * np.log(cell * total / (rows[i] * cols[j]))) / total)
    value = max(value, 0.0)  # the plug-in MI is a KL, >= 0: a negative is rounding
    if method == "miller_madow":
        value += (nx + ny - len(cell) - 1) / (2.0 * total)
    return value
