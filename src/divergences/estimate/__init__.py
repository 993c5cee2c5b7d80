"""Divergences, entropies and mutual information estimated from samples.

Every public function goes through one path (:func:`_estimate`): the samples are checked,
repeated values are resolved by one tie policy (``ties=``), the method in the table
:data:`_METHODS` computes the value in nats, and the result is clipped, converted to the unit
of ``base`` and, with ``ci=``, wrapped in a bootstrap :class:`Estimate`.

Methods
-------
- ``"knn"``: k-nearest neighbours (Kozachenko-Leonenko entropy, Wang-Kulkarni-Verdu KL,
  JS from three k-NN entropies); ``"knn_adaptive"``: WKV with adaptive neighbour counts.
- ``"kde"``: plug-in of Gaussian kernel density estimates.
- ``"histogram"``: plug-in of counts on common bins.
- ``"ksg"``, ``"ksg2"``: Kraskov-Stoegbauer-Grassberger mutual information, algorithms 1 and 2;
  ``"mixed"``: Ross (2014) for a continuous x and a discrete y.
- ``"plugin"``, ``"miller_madow"``, ``"chao_shen"``, ``"nsb"``: entropy of discrete samples;
  ``"discrete"``: KL, JS or mutual information of discrete samples by plug-in.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from ..distributions._scipy import as_distribution, is_distribution
from . import _discrete, _histogram, _kde, _knn, _mutual
from ._samples import (
    _to_host,
    as_labels,
    as_samples,
    check_k,
    check_ties,
    log_base,
    looks_discrete,
    resolve_ties,
    rng,
)
from ._uncertainty import Estimate, Scheme, TestResult, bootstrap, check_ci, test

__all__ = ["Estimate", "TestResult", "entropy", "js", "kl", "mutual_information", "test"]

#: The estimator used for discrete data (``ties="discrete"``, or ``"auto"`` on data that look discrete).
DISCRETE_ENTROPY = "miller_madow"


@dataclass(frozen=True)
class _Method:
    """One estimator: ``run(*samples, **options)`` in nats, and how its samples are prepared."""

    run: Callable[..., float]
    options: tuple[str, ...]
    #: "continuous" samples as (n, d) floats that may need tie resolution; "robust" (n, d)
    #: floats where repeated values do no harm (histograms, kernels); "discrete" symbols.
    kind: str
    #: how the bootstrap may resample: duplicates break k-NN and leave-one-out estimates.
    scheme: Scheme


def _k(options: dict[str, Any]) -> int:
    return int(options["k"])


_METHODS: dict[str, dict[str, _Method]] = {
    "entropy": {
        "knn": _Method(lambda x, **o: _knn.entropy(x, _k(o)), ("k",), "continuous", "subsample"),
        "kde": _Method(
            lambda x, **o: _kde.entropy(x, o["bandwidth"], o["evaluation"]),
            ("bandwidth", "evaluation"),
            "robust",
            "subsample",
        ),
        "histogram": _Method(lambda x, **o: _histogram.entropy(x, o["bins"]), ("bins",), "robust", "replacement"),
        **{
            name: _Method(lambda x, _name=name, **o: _discrete.entropy(x, _name), (), "discrete", "replacement")
            for name in ("plugin", "miller_madow", "chao_shen", "grassberger")
        },
        "nsb": _Method(
            lambda x, **o: _discrete.entropy(x, "nsb", alphabet_size=o["alphabet_size"]),
            ("alphabet_size",),
            "discrete",
            "replacement",
        ),
    },
    "kl": {
        "knn": _Method(lambda x, y, **o: _knn.kl(x, y, _k(o)), ("k",), "continuous", "subsample"),
        "knn_adaptive": _Method(
            lambda x, y, **o: _knn.kl_adaptive(x, y, _k(o)), ("k",), "continuous", "subsample"
        ),
        "kde": _Method(
            lambda x, y, **o: _kde.kl(x, y, o["bandwidth"], o["evaluation"]),
            ("bandwidth", "evaluation"),
            "robust",
            "subsample",
        ),
        "histogram": _Method(
            lambda x, y, **o: _histogram.kl(x, y, o["bins"], o["smoothing"]),
            ("bins", "smoothing"),
            "robust",
            "replacement",
        ),
        "discrete": _Method(
            lambda x, y, **o: _discrete.kl(x, y, o["smoothing"]), ("smoothing",), "discrete", "replacement"
        ),
    },
    "js": {
        "knn": _Method(
            lambda x, y, **o: _knn.js(x, y, _k(o), rng(o["random_state"])),
            ("k", "random_state"),
            "continuous",
            "subsample",
        ),
        "kde": _Method(
            lambda x, y, **o: _kde.js(x, y, o["bandwidth"], o["evaluation"]),
            ("bandwidth", "evaluation"),
            "robust",
            "subsample",
        ),
        "histogram": _Method(
            lambda x, y, **o: _histogram.js(x, y, o["bins"], o["smoothing"]),
            ("bins", "smoothing"),
            "robust",
            "replacement",
        ),
        "discrete": _Method(
            lambda x, y, **o: _discrete.js(x, y, o["smoothing"]), ("smoothing",), "discrete", "replacement"
        ),
    },
    "mutual_information": {
        "ksg": _Method(lambda x, y, **o: _mutual.ksg(x, y, _k(o), 1), ("k",), "continuous", "subsample"),
        "ksg2": _Method(lambda x, y, **o: _mutual.ksg(x, y, _k(o), 2), ("k",), "continuous", "subsample"),
        "mixed": _Method(lambda x, y, **o: _mutual.mixed(x, y, _k(o)), ("k",), "mixed", "subsample"),
        "discrete": _Method(
            lambda x, y, **o: _discrete.mutual_information(x, y, "plugin"), (), "discrete", "replacement"
        ),
    },
}

def _method(metric: str, method: object, options: dict[str, Any], k_default: int) -> tuple[_Method, dict[str, Any]]:
    """The table entry for ``method`` and its options; options that do not apply are an error."""
    table = _METHODS[metric]
    if method not in table:
        raise InvalidInputError(f"method must be one of {', '.join(map(repr, table))} for {metric}, got {method!r}")
    entry = table[str(method)]
    for name, value in options.items():
        # random_state seeds every method's randomness; it is not a method option.
        if value is not None and name not in entry.options and name != "random_state":
            users = [m for m, e in table.items() if name in e.options]
            raise InvalidInputError(
                f"{name} does not apply to method={method!r}"
                + (f"; it is an option of method {', '.join(map(repr, users))}" if users else "")
            )
    # Unset options stay None: each estimator module's own check supplies its default.
    chosen = {name: options.get(name) for name in entry.options}
    if "k" in chosen and chosen["k"] is None:
        chosen["k"] = k_default
    return entry, chosen


def resampling_scheme(metric: str, method: str) -> Scheme:
    """How the bootstrap may resample for ``metric`` by ``method``: "subsample" (without
    replacement) where repeated points would break the estimator, else "replacement"."""
    return _METHODS[metric][method].scheme


def _discrete_fallback(metric: str) -> _Method:
    if metric == "entropy":
        return _METHODS["entropy"][DISCRETE_ENTROPY]
    return _METHODS[metric]["discrete"]


def _finish(
    metric: str,
    statistic: Callable[..., float],
    samples: tuple[np.ndarray, ...],
    *,
    scheme: Scheme,
    base: object,
    clip: bool,
    ci: object,
    n_resamples: int,
    random_state: Any,
) -> float | Estimate:
    """Clip, convert to the unit of ``base`` and, with ``ci``, bootstrap."""
    unit = log_base(base)
    if not isinstance(clip, bool):
        raise InvalidInputError(f"clip must be True or False, got {clip!r}")

    def converted(value: float) -> float:
        return (max(value, 0.0) if clip else value) / unit

    if ci is None:
        return converted(statistic(*samples))
    level = check_ci(ci)
    result = bootstrap(
        statistic,
        samples,
        ci=level,
        n_resamples=n_resamples,
        random_state=random_state,
        paired=metric == "mutual_information",
        scheme=scheme,
    )
    return Estimate(converted(result.value), converted(result.low), converted(result.high))


def _plan(
    metric: str,
    x: Any,
    y: Any,
    *,
    method: object,
    options: dict[str, Any],
    k_default: int,
    ties: str,
    random_state: Any,
) -> tuple[_Method, dict[str, Any], tuple[np.ndarray, ...], bool]:
    """The estimator, its options and the checked samples, ties resolved; True where the
    data made it fall back to the discrete estimator."""
    options = {**options, "random_state": random_state}
    entry, chosen = _method(metric, method, options, k_default)
    names = ("x",) if y is None else ("x", "y")
    samples = _prepare(entry.kind, metric, x, y)
    fell_back = False
    if metric == "mutual_information":
        entry, samples = _mutual_information_route(entry, samples, ties, random_state)
    elif entry.kind == "continuous" or (entry.kind == "robust" and ties != "auto"):
        route, resolved = resolve_ties(dict(zip(names, samples)), ties, random_state)
        samples = tuple(resolved[n] for n in names)
        if route == "discrete":
            # The rows of the checked samples are the symbols; the discrete estimators align them.
            entry, fell_back = _discrete_fallback(metric), True
    # A tie fallback may have changed the estimator: keep the options that apply to it.
    chosen = {name: chosen.get(name, options.get(name)) for name in entry.options}
    if "k" in chosen:
        chosen["k"] = check_k(chosen["k"], min(s.shape[0] for s in samples), " and ".join(names))
    return entry, chosen, samples, fell_back


def _estimate(
    metric: str,
    x: Any,
    y: Any = None,
    *,
    method: object,
    options: dict[str, Any],
    k_default: int,
    base: object,
    ties: object,
    clip: bool,
    ci: object,
    n_resamples: int,
    random_state: Any,
) -> float | Estimate:
    """The one path every public estimator takes."""
    ties = check_ties(ties)
    entry, chosen, samples, fell_back = _plan(
        metric, x, y, method=method, options=options, k_default=k_default, ties=ties, random_state=random_state
    )
    if fell_back and ties == "auto":
        _warn_entropy_fallback(metric, samples[0])
    run = entry.run
    return _finish(
        metric,
        lambda *arrays: run(*arrays, **chosen),
        samples,
        scheme=entry.scheme,
        base=base,
        clip=clip,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def _prepare(kind: str, metric: str, x: Any, y: Any) -> tuple[np.ndarray, ...]:
    """Samples for an estimator of ``kind``: checked (n, d) floats, symbols, or one of each.

    Symbols are handed over as arrays: the discrete estimators check them and align the
    alphabets of x and y themselves.
    """
    if kind == "discrete":
        return tuple(np.asarray(_to_host(s)) for s in (x, y) if s is not None)
    if kind == "mixed":
        return as_samples(x, "x"), as_labels(y, "y")
    if y is None:
        return (as_samples(x, "x"),)
    a, b = as_samples(x, "x"), as_samples(y, "y")
    if metric != "mutual_information" and a.shape[1] != b.shape[1]:
        raise InvalidInputError(f"x has {a.shape[1]} dimensions but y has {b.shape[1]}")
    return a, b


def _warn_entropy_fallback(metric: str, x: np.ndarray) -> None:
    """Say so when "auto" answers a differential-entropy question with a Shannon entropy."""
    if metric == "entropy":
        distinct = len(np.unique(x, axis=0)) if x.ndim == 2 else len(np.unique(x))
        warnings.warn(
            f"x looks discrete ({distinct} distinct values among {x.shape[0]} points): returned the "
            f"{DISCRETE_ENTROPY} estimate of its Shannon entropy, not a differential entropy. "
            "Pass ties='discrete' to ask for it, or ties='dequantise' for rounded continuous data",
            UserWarning,
            stacklevel=4,
        )


def _mutual_information_route(
    entry: _Method, samples: tuple[np.ndarray, ...], ties: object, random_state: Any
) -> tuple[_Method, tuple[np.ndarray, ...]]:
    """KSG needs distinct pairs; a discrete side turns it into the mixed or discrete estimator."""
    table = _METHODS["mutual_information"]
    a, b = samples
    if a.shape[0] != b.shape[0]:
        raise InvalidInputError(f"x and y must be paired samples of the same length, got {a.shape[0]} and {b.shape[0]}")
    if entry.kind != "continuous":
        return entry, samples
    if ties == "discrete":
        return table["discrete"], samples
    if ties == "auto":
        # At most half as many distinct values as points implies repeats: one np.unique per side.
        discrete = [looks_discrete(s) for s in samples]
        if all(discrete):
            return table["discrete"], samples
        if discrete[1]:
            return table["mixed"], samples
        if discrete[0]:
            swapped = _Method(lambda p, q, **o: table["mixed"].run(q, p, **o), ("k",), "mixed", "subsample")
            return swapped, samples
    joint = np.concatenate(samples, axis=1)
    dx = a.shape[1]
    _, resolved = resolve_ties({"the (x, y) pairs": joint}, "raise" if ties == "auto" else ties, random_state)
    joint = resolved["the (x, y) pairs"]
    return entry, (joint[:, :dx], joint[:, dx:])


def entropy(
    x: Any,
    *,
    method: str = "knn",
    k: int | None = None,
    base: float | None = None,
    bins: Any = None,
    bandwidth: Any = None,
    evaluation: str | None = None,
    alphabet_size: int | None = None,
    ties: str = "auto",
    ci: float | None = None,
    n_resamples: int = 200,
    random_state: Any = None,
) -> float | Estimate:
    r"""Entropy of the distribution that generated the samples ``x``.

    Continuous samples give the differential entropy (``method`` "knn", "kde", "histogram");
    discrete samples (symbols: numbers, strings, or rows of a 2-D array) give the Shannon
    entropy (``method`` "plugin", "miller_madow", "chao_shen", "grassberger", "nsb").

    - ``"knn"``: Kozachenko-Leonenko, :math:`\psi(n) - \psi(k) + \log c_d + \frac{d}{n}\sum_i \log \rho_k(i)`
      with :math:`\rho_k(i)` the Euclidean distance from :math:`x_i` to its k-th neighbour and
      :math:`c_d` the volume of the unit ball.
    - ``"kde"``: minus the mean log of a Gaussian kernel density estimate, leave-one-out at each
      point (``evaluation="resubstitution"``) or integrated (``"integration"``, 1-D).
    - ``"histogram"``: the plug-in entropy of the counts plus the log of the bin widths.
    - ``"plugin"`` (maximum likelihood, biased low by about (K - 1)/(2n)), ``"miller_madow"``
      (that bias added back), ``"chao_shen"`` (coverage-adjusted, for many unseen symbols),
      ``"grassberger"`` (Grassberger 2003, digamma-based), ``"nsb"`` (Nemenman-Shafee-Bialek
      Bayesian estimate; give ``alphabet_size`` when symbols may be unseen, else it is the
      number observed and the estimate is about as biased as the plug-in).

      Bias measured at 50 equally likely symbols and 60 draws (200 repetitions, nats):
      plug-in -0.48, Miller-Madow -0.19, Chao-Shen +0.06, Grassberger -0.02, NSB -0.09 with
      ``alphabet_size=50`` and -0.38 without.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        The samples.
    method : str, default "knn"
        The estimator (above).
    k : int, optional
        The neighbour used by "knn" (default 1).
    base : float or None
        Logarithm base (``None``: nats).
    bins : str, int or array_like, optional
        "histogram" bins: "fd" (default), "sturges", "auto", "quantiles", a count or edges.
    bandwidth : str or float, optional
        "kde" bandwidth: "scott" (default), "silverman" or a factor.
    evaluation : {"resubstitution", "integration"}, optional
        How "kde" evaluates the entropy integral.
    alphabet_size : int, optional
        "nsb": the number of possible symbols, seen or not.
    ties : {"auto", "raise", "dequantise", "discrete"}
        Repeated values. "auto": data that look discrete (at most half as many distinct
        values as points) get the Miller-Madow Shannon entropy, with a warning, and other
        repeats an error; "dequantise": uniform noise at the data's resolution; "discrete":
        the Shannon entropy of the symbols.
    ci : float, optional
        A confidence level such as 0.95: return an :class:`Estimate` from a bootstrap.
    n_resamples : int, default 200
        Bootstrap resamples for ``ci``.
    random_state : int, numpy.random.Generator or None
        Seeds the bootstrap and dequantisation.

    Returns
    -------
    float or Estimate

    Raises
    ------
    InvalidInputError
        Repeated points that cannot be resolved, NaN or inf, too few points, bad options.

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> x = np.random.default_rng(0).normal(size=20000)
    >>> round(dv.estimate.entropy(x, k=3), 2)  # 0.5 log(2 pi e) = 1.419
    1.42
    >>> round(dv.estimate.entropy(["a", "b", "b", "c"] * 50, method="plugin", base=2), 3)
    1.5
    """
    return _estimate(
        "entropy",
        x,
        method=method,
        options={"k": k, "bins": bins, "bandwidth": bandwidth, "evaluation": evaluation, "alphabet_size": alphabet_size},
        k_default=1,
        base=base,
        ties=ties,
        clip=False,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def kl(
    x: Any,
    y: Any,
    *,
    method: str = "knn",
    k: int | None = None,
    base: float | None = None,
    bins: Any = None,
    smoothing: float | None = None,
    bandwidth: Any = None,
    evaluation: str | None = None,
    ties: str = "auto",
    clip: bool = False,
    ci: float | None = None,
    n_resamples: int = 200,
    random_state: Any = None,
) -> float | Estimate:
    r"""KL divergence :math:`KL(P \| Q)` from samples ``x`` of P, with Q given by samples or by its density.

    ``y`` a sample of Q (shape ``(m,)`` or ``(m, d)``):

    - ``"knn"``: Wang-Kulkarni-Verdu (2009),
      :math:`\frac{d}{n} \sum_i \log \frac{\nu_k(i)}{\rho_k(i)} + \log \frac{m}{n-1}`, with
      :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th neighbour in x and
      :math:`\nu_k(i)` to its k-th neighbour in y.
    - ``"knn_adaptive"``: the same with neighbour counts adapted per point so both balls have
      the same radius (WKV section III.B): less bias when P and Q differ in scale.
    - ``"kde"``: :math:`\frac1n\sum_i \log \hat p(x_i) - \log \hat q(x_i)` with Gaussian kernel
      density estimates, :math:`\hat p` leave-one-out (``evaluation="resubstitution"``), or the
      integral of the two estimates (``"integration"``, 1-D).
    - ``"histogram"``: the plug-in KL of the counts on common bins; an empty bin of y where x
      has counts makes it inf unless ``smoothing`` adds a pseudo-count to every bin.
    - ``"discrete"``: the plug-in KL of discrete samples' frequencies.

    ``y`` a distribution object (``dv.Normal(0, 1)``, ``scipy.stats.norm()``, ...): the
    cross-entropy term is exact in expectation, :math:`-\frac{1}{n} \sum_i \log q(x_i)`, and
    only the entropy of P is estimated (by ``method``: "knn", "kde" or "histogram"), which is
    much less noisy than estimating both sides.

    Estimates can be slightly negative when P and Q are close; they are returned as they are
    (``clip=True`` returns 0 instead), and :func:`test` says whether a value is significant.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P.
    y : array_like or distribution
        Samples of Q, or Q itself.
    method : str, default "knn"
        The estimator (above).
    k : int, optional
        The neighbour used by the k-NN methods (default 1).
    base : float or None
        Logarithm base (``None``: nats).
    bins : str, int or array_like, optional
        "histogram" bins: "fd" (default), "sturges", "auto", "quantiles" (of x), a count or edges.
    smoothing : float, optional
        Pseudo-count added to every bin by "histogram" and "discrete".
    bandwidth : str or float, optional
        "kde" bandwidth: "scott" (default), "silverman" or a factor.
    evaluation : {"resubstitution", "integration"}, optional
        How "kde" evaluates the integral.
    ties : {"auto", "raise", "dequantise", "discrete"}
        Repeated values. "auto": samples that all look discrete get the "discrete" estimator,
        other repeats an error; "dequantise": uniform noise at the data's resolution.
    clip : bool, default False
        Return 0 for a negative estimate (and interval bounds).
    ci : float, optional
        A confidence level such as 0.95: return an :class:`Estimate` from a bootstrap.
    n_resamples : int, default 200
        Bootstrap resamples for ``ci``.
    random_state : int, numpy.random.Generator or None
        Seeds the bootstrap and dequantisation.

    Returns
    -------
    float or Estimate

    Raises
    ------
    InvalidInputError
        Repeated points, mismatched dimensions, NaN or inf, too few points, bad options.

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 1.0, size=20000)  # samples of N(0, 1)
    >>> round(dv.estimate.kl(x, dv.Normal(1.0, 2.0), k=3), 2)  # exact: 0.443
    0.44
    >>> y = rng.normal(1.0, 2.0, size=20000)
    >>> round(dv.estimate.kl(x, y, k=5), 1)
    0.4
    """
    options = {"k": k, "bins": bins, "smoothing": smoothing, "bandwidth": bandwidth, "evaluation": evaluation}
    if is_distribution(y):
        return _kl_to_density(
            x, y, method=method, options=options, ties=ties, base=base, clip=clip, ci=ci,
            n_resamples=n_resamples, random_state=random_state,
        )  # fmt: skip
    return _estimate(
        "kl",
        x,
        y,
        method=method,
        options=options,
        k_default=1,
        base=base,
        ties=ties,
        clip=clip,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def _kl_to_density(x: Any, y: Any, *, method: str, options: dict[str, Any], ties: str,
                   **finish: Any) -> float | Estimate:  # fmt: skip
    """KL(P || Q) = -H(P) - E_P log q with H(P) estimated from x and the expectation exact per point."""
    q = as_distribution(y, "y")
    if q.batch_shape:
        raise InvalidInputError(f"y must be a single distribution, got batch shape {q.batch_shape}")
    if method not in ("knn", "kde", "histogram"):
        raise InvalidInputError(f"method must be 'knn', 'kde' or 'histogram' when y is a distribution, got {method!r}")
    # A discrete fallback needs no warning here: -H - E log q is the KL against a pmf either way.
    entry, chosen, (pts,), _ = _plan(
        "entropy", x, None, method=method, options=options, k_default=1, ties=check_ties(ties),
        random_state=finish["random_state"],
    )  # fmt: skip
    if q.event_ndim == 0 and pts.shape[1] != 1:
        raise InvalidInputError(f"x has {pts.shape[1]} dimensions but y is a one-dimensional distribution")
    run = entry.run

    def statistic(points: np.ndarray) -> float:
        log_q = np.asarray(q.log_prob(points[:, 0] if q.event_ndim == 0 else points), dtype=np.float64)
        return -run(points, **chosen) - float(np.mean(log_q))

    return _finish("kl", statistic, (pts,), scheme=entry.scheme, **finish)


def js(
    x: Any,
    y: Any,
    *,
    method: str = "knn",
    k: int | None = None,
    base: float | None = None,
    bins: Any = None,
    smoothing: float | None = None,
    bandwidth: Any = None,
    evaluation: str | None = None,
    ties: str = "auto",
    clip: bool = False,
    ci: float | None = None,
    n_resamples: int = 200,
    random_state: Any = None,
) -> float | Estimate:
    r"""Jensen-Shannon divergence between the distributions of two samples, equal weights 1/2.

    - ``"knn"``: :math:`H(M) - \frac12 H(P) - \frac12 H(Q)` with three Kozachenko-Leonenko
      entropies, M's from the pooled samples (the larger sample subsampled to the smaller
      size, seeded by ``random_state``, when n and m differ). Their biases largely cancel.
    - ``"kde"``, ``"histogram"``, ``"discrete"``: plug-in of the density estimates or counts.

    Values lie in [0, log 2] up to estimation error; ``clip=True`` returns 0 for a negative
    estimate. Options as in :func:`kl`.

    Parameters
    ----------
    x, y : array_like, shape (n,) or (n, d) and (m,) or (m, d)
        Samples of P and Q.
    method : str, default "knn"
        The estimator.
    k : int, optional
        The neighbour used by "knn" (default 1).
    base : float or None
        Logarithm base (``None``: nats; 2 gives values in [0, 1]).
    bins, smoothing, bandwidth, evaluation, ties, clip, ci, n_resamples, random_state
        As in :func:`kl`.

    Returns
    -------
    float or Estimate

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, size=5000), rng.normal(1, 2, size=5000)
    >>> round(dv.estimate.js(x, y, k=3), 2)  # exact: 0.128
    0.13
    """
    return _estimate(
        "js",
        x,
        y,
        method=method,
        options={"k": k, "bins": bins, "smoothing": smoothing, "bandwidth": bandwidth, "evaluation": evaluation},
        k_default=1,
        base=base,
        ties=ties,
        clip=clip,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def mutual_information(
    x: Any,
    y: Any,
    *,
    method: str = "ksg",
    k: int | None = None,
    base: float | None = None,
    ties: str = "auto",
    clip: bool = False,
    ci: float | None = None,
    n_resamples: int = 200,
    random_state: Any = None,
) -> float | Estimate:
    r"""Mutual information :math:`I(X; Y)` from paired samples.

    - ``"ksg"``: Kraskov-Stoegbauer-Grassberger (2004) algorithm 1, max-norm balls in the joint
      space, :math:`\psi(k) + \psi(n) - \langle \psi(n_x + 1) + \psi(n_y + 1) \rangle` with
      strict counts :math:`n_x(i) = \#\{j \ne i: \|x_j - x_i\| < \varepsilon_i\}`.
    - ``"ksg2"``: algorithm 2, per-marginal radii, :math:`\psi(k) - 1/k + \psi(n) - \langle\psi(n_x) + \psi(n_y)\rangle`.
    - ``"mixed"``: Ross (2014) for a continuous x and a discrete y (class labels).
    - ``"discrete"``: the plug-in MI of the contingency table of two discrete samples.

    With ``ties="auto"`` a side that looks discrete (repeated values, at most half as many
    distinct values as points) switches "ksg"/"ksg2" to "mixed", or to "discrete" when both
    do. Estimates can be negative for independent variables; they are returned as they are
    (``clip=True`` returns 0), and :func:`test` gives a permutation p-value for independence.

    Parameters
    ----------
    x, y : array_like, shapes (n,) or (n, dx) and (n,) or (n, dy)
        Paired samples: row i of x goes with row i of y.
    method : str, default "ksg"
        The estimator.
    k : int, optional
        The neighbour (default 3, as scikit-learn).
    base : float or None
        Logarithm base (``None``: nats).
    ties, clip, ci, n_resamples, random_state
        As in :func:`kl`; the bootstrap resamples pairs.

    Returns
    -------
    float or Estimate

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=5000)
    >>> round(dv.estimate.mutual_information(xy[:, 0], xy[:, 1]), 2)  # exact: -0.5 log(1 - 0.81) = 0.830
    0.86
    """
    return _estimate(
        "mutual_information",
        x,
        y,
        method=method,
        options={"k": k},
        k_default=3,
        base=base,
        ties=ties,
        clip=clip,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )
