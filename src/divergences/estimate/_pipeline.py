"""The one path every sample estimate takes, from raw samples to the returned float or Estimate.

:func:`run` is what the public estimators call. In order:

1. :func:`plan`: look the method up in the table (:mod:`._methods`) and check its options,
   check the samples (:func:`prepare`), and resolve repeated values by the ``ties=`` policy,
   which may hand the work to the discrete estimator (for mutual information,
   :func:`mutual_information_route` may also switch KSG to the mixed estimator);
2. the method computes the value in nats;
3. :func:`finish`: clip, convert to the unit of ``base`` and, with ``ci=``, bootstrap an
   :class:`~divergences.estimate._uncertainty.Estimate`.

:func:`kl_to_density` is the variant for KL against a distribution object: only the entropy
of P goes through the plan, the cross-entropy is exact per point.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._metadata import DIVERGENCES
from .._options import parse
from ..distributions._scipy import as_distribution
from ._methods import AUTO_METRICS, DISCRETE_ENTROPY, METHODS, Method, auto, discrete_fallback, select
from ._samples import (
    _to_host,
    as_labels,
    as_samples,
    check_k,
    check_ties,
    count_repeated,
    dequantise,
    log_base,
    looks_discrete,
    repeated_values,
    resolve_ties,
    rng,
)
from ._uncertainty import Estimate, Scheme, bootstrap, check_ci

__all__ = ["finish", "kl_to_density", "mutual_information_route", "plan", "prepare", "resolve_auto", "run"]


def finish(
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


def plan(
    metric: str,
    x: Any,
    y: Any,
    *,
    method: object,
    options: dict[str, Any],
    k_default: int,
    ties: str,
    random_state: Any,
) -> tuple[Method, dict[str, Any], tuple[np.ndarray, ...], bool]:
    """The estimator, its options and the checked samples, ties resolved; True where the
    data made it fall back to the discrete estimator."""
    options = {**options, "random_state": random_state}
    if method == "auto":
        method, options = resolve_auto(metric, x, y, options)
    # smoothing is the discrete estimator's: a continuous method takes it for the data that
    # turn out to be symbols (ties="discrete", or "auto" on symbols), and refuses it otherwise.
    for_symbols = {"smoothing"} if ties in ("auto", "discrete") and metric in ("kl", "js") else set()
    entry, chosen = select(metric, method, {o: v for o, v in options.items() if o not in for_symbols}, k_default)
    chosen.update({o: options.get(o) for o in for_symbols & set(entry.options)})
    for_symbols &= {o for o, v in options.items() if v is not None} - set(entry.options)
    names = ("x",) if y is None else ("x", "y")
    samples = prepare(entry.kind, metric, x, y)
    fell_back = False
    if metric == "mutual_information":
        entry, samples = mutual_information_route(entry, samples, ties, random_state)
    elif entry.kind == "continuous" or (entry.kind == "robust" and ties != "auto"):
        route, resolved = resolve_ties(dict(zip(names, samples)), ties, random_state)
        samples = tuple(resolved[n] for n in names)
        if route == "discrete":
            # The rows of the checked samples are the symbols; the discrete estimators align them.
            entry, fell_back = discrete_fallback(metric), True
    if for_symbols and not fell_back:
        raise InvalidInputError(f"smoothing applies to symbols (the discrete estimator), and these samples were "
                                f"estimated as continuous by method={method!r}: give method='discrete' or "
                                "ties='discrete' to count them as symbols")
    # A tie fallback may have changed the estimator: keep the options that apply to it.
    chosen = {name: chosen.get(name, options.get(name)) for name in entry.options}
    if "k" in chosen:
        if chosen["k"] is None and entry.k_for_dimension is not None:
            chosen["k"] = entry.k_for_dimension(sum(s.shape[1] for s in samples))
        chosen["k"] = check_k(chosen["k"], min(s.shape[0] for s in samples), " and ".join(names))
    return entry, chosen, samples, fell_back


def resolve_auto(metric: str, x: Any, y: Any, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``method="auto"``: the measured best method and k for the samples' size and dimension."""
    if metric not in AUTO_METRICS:
        raise InvalidInputError(f"method='auto' is measured for {', '.join(AUTO_METRICS)}, not {metric}: give a method")
    if options.get("k") is not None:
        raise InvalidInputError("k does not apply to method='auto', which chooses it: give method='knn' (or another) with k")
    given = [np.asarray(_to_host(s)) for s in (x, y) if s is not None]
    if any(a.dtype.kind not in "biuf" for a in given):  # strings, objects: symbols
        return (DISCRETE_ENTROPY if metric == "entropy" else "discrete"), options
    n = min(a.shape[0] if a.ndim else 1 for a in given)
    dims = [a.shape[1] if a.ndim > 1 else 1 for a in given]
    method, k = auto(metric, n, sum(dims) if metric == "mutual_information" else dims[0])
    return method, {**options, "k": k}


def run(
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
    """The one path every public estimator takes: its options checked first (``base`` and
    ``smoothing`` by the library's one options path), then the estimate.

    Examples
    --------
    >>> round(run("entropy", ["a", "b"] * 10, method="plugin", options={}, k_default=1, base=2,
    ...           ties="auto", clip=False, ci=None, n_resamples=200, random_state=None), 12)
    1.0
    """
    check_options(metric, base, options)
    ties = check_ties(ties)
    entry, chosen, samples, fell_back = plan(
        metric, x, y, method=method, options=options, k_default=k_default, ties=ties, random_state=random_state
    )
    if fell_back and ties == "auto":
        _warn_entropy_fallback(metric, samples[0])
    estimator = entry.run
    return finish(
        metric,
        lambda *arrays: estimator(*arrays, **chosen),
        samples,
        scheme=entry.scheme,
        base=base,
        clip=clip,
        ci=ci,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def check_options(metric: str, base: object, options: dict[str, Any]) -> None:
    """``base`` and ``smoothing`` checked as every route of the library checks them."""
    parse(DIVERGENCES.get(metric), base=base, smoothing=options.get("smoothing"))


def prepare(kind: str, metric: str, x: Any, y: Any) -> tuple[np.ndarray, ...]:
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
    numbers = np.asarray(x)
    if numbers.dtype.kind in "biuf" and np.array_equal(numbers, np.round(numbers)):
        return  # integers: the Shannon entropy is the differential entropy of the values spread over unit cells
    if metric == "entropy":
        distinct = len(np.unique(x, axis=0)) if x.ndim == 2 else len(np.unique(x))
        warnings.warn(
            f"x looks discrete ({distinct} distinct values among {x.shape[0]} points): returned the "
            f"{DISCRETE_ENTROPY} estimate of its Shannon entropy, not a differential entropy. "
            "Pass ties='discrete' to ask for it, or ties='dequantise' for rounded continuous data",
            UserWarning,
            stacklevel=4,
        )


def mutual_information_route(
    entry: Method, samples: tuple[np.ndarray, ...], ties: object, random_state: Any
) -> tuple[Method, tuple[np.ndarray, ...]]:
    """KSG needs distinct pairs; a side of symbols turns it into the mixed or discrete estimator.

    With ``ties="auto"`` each side's repeated values are judged alone
    (:func:`~divergences.estimate._samples.repeated_values`): symbols go to the mixed (one side)
    or discrete (both) estimator, and a rounded side is dequantised on its own grid (which
    leaves the mutual information of the rounded variables unchanged) before KSG or the mixed
    estimator sees it.
    """
    table = METHODS["mutual_information"]
    a, b = samples
    if a.shape[0] != b.shape[0]:
        raise InvalidInputError(f"x and y must be paired samples of the same length, got {a.shape[0]} and {b.shape[0]}")
    if entry.kind != "continuous":
        return entry, samples
    if ties == "discrete":
        return table["discrete"], samples
    if ties == "auto":
        kinds = [repeated_values({"side": s}) if count_repeated(s) else "distinct" for s in samples]
        symbols = [k == "symbols" or (k == "other" and looks_discrete(s)) for k, s in zip(kinds, samples, strict=True)]
        generator = rng(random_state)
        a, b = (dequantise({"side": s}, generator)["side"] if k == "rounded" else s
                for k, s in zip(kinds, samples, strict=True))
        if all(symbols):
            return table["discrete"], samples
        if symbols[1]:
            return table["mixed"], (a, samples[1])
        if symbols[0]:
            swapped = Method(lambda p, q, **o: table["mixed"].run(q, p, **o), ("k",), "mixed", "subsample")
            return swapped, (samples[0], b)
    joint = np.concatenate((a, b), axis=1)
    dx = a.shape[1]
    _, resolved = resolve_ties({"the (x, y) pairs": joint}, "raise" if ties == "auto" else ties, random_state,
                               pooled=False)
    joint = resolved["the (x, y) pairs"]
    return entry, (joint[:, :dx], joint[:, dx:])


#: The entropy estimators that serve KL against a distribution object (continuous samples).
_TO_DENSITY = ("knn", "knn_weighted", "kde", "histogram", "spacing")


def kl_to_density(x: Any, y: Any, *, method: str, options: dict[str, Any], ties: str,
                  **finish_options: Any) -> float | Estimate:  # fmt: skip
    """KL(P || Q) = -H(P) - E_P log q with H(P) estimated from x and the expectation exact per point.

    ``finish_options`` are those of :func:`finish`: ``base``, ``clip``, ``ci``, ``n_resamples``
    and ``random_state``.
    """
    check_options("kl", finish_options["base"], options)
    q = as_distribution(y, "y")
    if q.batch_shape:
        raise InvalidInputError(f"y must be a single distribution, got batch shape {q.batch_shape}")
    if method not in _TO_DENSITY:
        raise InvalidInputError(
            f"method must be one of {', '.join(map(repr, _TO_DENSITY))} when y is a distribution, got {method!r}"
        )
    # A discrete fallback needs no warning here: -H - E log q is the KL against a pmf either way.
    entry, chosen, (pts,), _ = plan(
        "entropy", x, None, method=method, options=options, k_default=1, ties=check_ties(ties),
        random_state=finish_options["random_state"],
    )  # fmt: skip
    if q.event_ndim == 0 and pts.shape[1] != 1:
        raise InvalidInputError(f"x has {pts.shape[1]} dimensions but y is a one-dimensional distribution")
    entropy = entry.run

    def statistic(points: np.ndarray) -> float:
        log_q = np.asarray(q.log_prob(points[:, 0] if q.event_ndim == 0 else points), dtype=np.float64)
        return -entropy(points, **chosen) - float(np.mean(log_q))

    return finish("kl", statistic, (pts,), scheme=entry.scheme, **finish_options)
