"""The method table: for each metric and ``method=`` name, the estimator that computes it in nats.

Each entry (:class:`Method`) says what to call, which options it takes, what kind of samples
it needs (continuous, robust to repeats, symbols, or a continuous x with labels y) and how the
bootstrap may resample for it. :func:`select` looks a method up and checks the options given
to it; :func:`discrete_fallback` is the estimator a tie policy falls back to when the data
are symbols.

The methods, described for users, are listed in the package docstring (``divergences.estimate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidInputError
from . import _discrete, _ensemble, _histogram, _kde, _knn, _mutual
from ._samples import rng
from ._uncertainty import Scheme

__all__ = ["AUTO_METRICS", "DISCRETE_ENTROPY", "METHODS", "Method", "auto", "discrete_fallback", "resampling_scheme",
           "select"]

#: The estimator used for discrete data (``ties="discrete"``, or ``"auto"`` on data that look discrete).
DISCRETE_ENTROPY = "miller_madow"


@dataclass(frozen=True)
class Method:
    """One estimator: ``run(*samples, **options)`` in nats, and how its samples are prepared."""

    run: Callable[..., float]
    options: tuple[str, ...]
    #: "continuous" samples as (n, d) floats that may need tie resolution; "robust" (n, d)
    #: floats where repeated values do no harm (histograms, kernels); "discrete" symbols;
    #: "mixed" (n, d) floats x with labels y.
    kind: str
    #: how the bootstrap may resample: duplicates break k-NN and leave-one-out estimates.
    scheme: Scheme
    #: the default k as a function of the dimension of the samples (together), where the
    #: metric's one default does not suit the method.
    k_for_dimension: Callable[[int], int] | None = None


def _k(options: dict[str, Any]) -> int:
    return int(options["k"])


def _weighted_k(dimension: int) -> int:
    """The weighted ensembles' default largest k, whatever the dimension."""
    return _ensemble.DEFAULT_K


METHODS: dict[str, dict[str, Method]] = {
    "entropy": {
        "knn": Method(lambda x, **o: _knn.entropy(x, _k(o)), ("k",), "continuous", "subsample"),
        "knn_weighted": Method(
            lambda x, **o: _knn.entropy_weighted(x, _k(o)), ("k",), "continuous", "subsample", _weighted_k
        ),
        "kde": Method(
            lambda x, **o: _kde.entropy(x, o["bandwidth"], o["evaluation"], o["support"]),
            ("bandwidth", "evaluation", "support"),
            "robust",
            "subsample",
        ),
        "histogram": Method(lambda x, **o: _histogram.entropy(x, o["bins"]), ("bins",), "robust", "replacement"),
        "spacing": Method(lambda x, **o: _knn.spacing_entropy(x), (), "continuous", "subsample"),
        **{
            name: Method(lambda x, _name=name, **o: _discrete.entropy(x, _name), (), "discrete", "replacement")
            for name in ("plugin", "miller_madow", "chao_shen", "grassberger")
        },
        "nsb": Method(
            lambda x, **o: _discrete.entropy(x, "nsb", alphabet_size=o["alphabet_size"]),
            ("alphabet_size",),
            "discrete",
            "replacement",
        ),
    },
    "kl": {
        "knn": Method(lambda x, y, **o: _knn.kl(x, y, _k(o)), ("k",), "continuous", "subsample"),
        "knn_adaptive": Method(
            lambda x, y, **o: _knn.kl_adaptive(x, y, _k(o)), ("k",), "continuous", "subsample"
        ),
        "knn_weighted": Method(
            lambda x, y, **o: _knn.kl_weighted(x, y, _k(o)), ("k",), "continuous", "subsample", _weighted_k
        ),
        "kde": Method(
            lambda x, y, **o: _kde.kl(x, y, o["bandwidth"], o["evaluation"], o["support"]),
            ("bandwidth", "evaluation", "support"),
            "robust",
            "subsample",
        ),
        "histogram": Method(
            lambda x, y, **o: _histogram.kl(x, y, o["bins"], o["smoothing"]),
            ("bins", "smoothing"),
            "robust",
            "replacement",
        ),
        "discrete": Method(
            lambda x, y, **o: _discrete.kl(x, y, o["smoothing"]), ("smoothing",), "discrete", "replacement"
        ),
    },
    "js": {
        "knn": Method(
            lambda x, y, **o: _knn.js(x, y, _k(o), rng(o["random_state"])),
            ("k", "random_state"),
            "continuous",
            "subsample",
        ),
        "kde": Method(
            lambda x, y, **o: _kde.js(x, y, o["bandwidth"], o["evaluation"], o["support"]),
            ("bandwidth", "evaluation", "support"),
            "robust",
            "subsample",
        ),
        "histogram": Method(
            lambda x, y, **o: _histogram.js(x, y, o["bins"], o["smoothing"]),
            ("bins", "smoothing"),
            "robust",
            "replacement",
        ),
        "discrete": Method(
            lambda x, y, **o: _discrete.js(x, y, o["smoothing"]), ("smoothing",), "discrete", "replacement"
        ),
    },
    "mutual_information": {
        "ksg": Method(lambda x, y, **o: _mutual.ksg(x, y, _k(o), 1), ("k",), "continuous", "subsample"),
        "ksg2": Method(lambda x, y, **o: _mutual.ksg(x, y, _k(o), 2), ("k",), "continuous", "subsample"),
        "lnc": Method(lambda x, y, **o: _mutual.lnc(x, y, _k(o)), ("k",), "continuous", "subsample", _mutual.lnc_k),
        "mixed": Method(lambda x, y, **o: _mutual.mixed(x, y, _k(o)), ("k",), "mixed", "subsample"),
        "discrete": Method(
            lambda x, y, **o: _discrete.mutual_information(x, y, "plugin"), (), "discrete", "replacement"
        ),
    },
}


def select(metric: str, method: object, options: dict[str, Any], k_default: int) -> tuple[Method, dict[str, Any]]:
    """The table entry for ``method`` and its options; options that do not apply are an error.

    Examples
    --------
    >>> entry, chosen = select("kl", "histogram", {"bins": 20, "smoothing": None, "k": None}, 1)
    >>> entry.kind, entry.scheme, chosen
    ('robust', 'replacement', {'bins': 20, 'smoothing': None})
    >>> select("kl", "histogram", {"k": 3}, 1)
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: k does not apply to method='histogram'; it is an option of method 'knn', 'knn_adaptive', 'knn_weighted'
    """
    table = METHODS[metric]
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
    if "k" in chosen and chosen["k"] is None and entry.k_for_dimension is None:
        chosen["k"] = k_default
    return entry, chosen


#: The metrics whose ``method="auto"`` is measured (``docs/estimator-rmse.md``).
AUTO_METRICS = ("kl", "entropy", "mutual_information")
_FEW = 3000  # points below which the rule of the n = 10^3 cells applies, from the n = 10^4 cells' on


def auto(metric: str, n: int, d: int) -> tuple[str, int | None]:
    """``method="auto"``: the method and k with the lowest RMSE of ours in the table of
    ``docs/estimator-rmse.md`` for samples of ``n`` points in ``d`` dimensions (for mutual
    information ``d`` is the joint dimension ``dx + dy``); k None: the method's own default.

    Every choice is at or below the best peer's RMSE in its cells (Gaussian samples, the
    table's cells at n = 10^3 and 10^4; a choice for a cell the table does not have is that
    of its nearest cells).

    Examples
    --------
    >>> auto("kl", 500, 1), auto("kl", 10_000, 2), auto("kl", 10_000, 5), auto("kl", 1000, 20)
    (('knn_weighted', None), ('knn', 5), ('knn_weighted', None), ('knn_adaptive', None))
    >>> auto("entropy", 1000, 1), auto("entropy", 50_000, 2), auto("entropy", 1000, 20)
    (('spacing', None), ('knn', 5), ('knn_weighted', None))
    >>> auto("mutual_information", 1000, 2), auto("mutual_information", 1000, 10)
    (('ksg', 5), ('lnc', None))
    """
    few = n < _FEW
    if metric == "kl":
        if d == 1:
            return "knn_weighted", None  # RMSE 0.024 / 0.0095 at n = 10^3 / 10^4 (k = 1: 0.053 / 0.022)
        if d == 2:
            return ("knn_adaptive", None) if few else ("knn", 5)  # 0.037 / 0.011 (k = 1: 0.068 / 0.027)
        if d <= 5:
            return "knn_weighted", None  # d = 5: 0.089 / 0.036 (k = 1: 0.13 / 0.043)
        if d < 15 and not few:
            return "knn_weighted", None  # d = 10, n = 10^4: 0.12 (knn_adaptive 0.20, k = 1: 0.28)
        return "knn_adaptive", None  # d = 10, n = 10^3: 0.21; d = 20: 0.39 / 0.04 (k = 1: 1.04 / 0.88)
    if metric == "entropy":
        if d == 1:  # 0.009-0.040 / 0.002-0.009 (bounded laws included)
            return ("spacing", None) if few else ("knn_weighted", None)
        if d == 2:
            return "knn", 5  # 0.037 / 0.009 (k = 1: 0.066 / 0.018)
        if 6 <= d <= 10 and not few:
            return "knn", 5  # d = 10, n = 10^4: 0.025 (k = 1: 0.047)
        if d >= 15:
            return "knn_weighted", None  # d = 20: 0.34 / 0.27 (k = 1: 0.89 / 0.53)
        return "knn", 1  # d = 5: 0.081 / 0.050, d = 10, n = 10^3: 0.065
    if d <= 2 or (d <= 4 and not few):
        return "ksg", 5  # one pair: 0.046 / 0.013 (k = 3: 0.048 / 0.015; NPEET_LNC 0.047 / 0.014)
    return ("ksg", 3) if d <= 4 else ("lnc", None)  # more than 4 joint coordinates: LNC (5 pairs: 0.12 against 1.5)


def resampling_scheme(metric: str, method: str) -> Scheme:
    """How the bootstrap may resample for ``metric`` by ``method``: "subsample" (without
    replacement) where repeated points would break the estimator, else "replacement".

    Examples
    --------
    >>> resampling_scheme("kl", "knn"), resampling_scheme("kl", "histogram")
    ('subsample', 'replacement')
    """
    return METHODS[metric][method].scheme


def discrete_fallback(metric: str) -> Method:
    """The estimator for ``metric`` when the samples turn out to be symbols.

    Examples
    --------
    >>> discrete_fallback("entropy") is METHODS["entropy"][DISCRETE_ENTROPY]
    True
    """
    if metric == "entropy":
        return METHODS["entropy"][DISCRETE_ENTROPY]
    return METHODS[metric]["discrete"]
