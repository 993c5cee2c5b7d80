"""One options path: the same bad option gives the same InvalidInputError message on every route.

The expected message is the one ``_options.parse`` gives; every route (arrays, ``pairwise``,
Dask, distribution objects, ``markov``, the estimators and the command line) must raise
exactly it, so a check cannot drift apart between routes again (``js_distance`` of two
Normals with ``base=0.5`` once returned NaN while the same call on arrays raised).
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import divergences as dv
from divergences._options import Options, parse
from divergences.cli import main

P = np.array([[0.5, 0.5], [0.25, 0.75]])
Q = np.array([[0.4, 0.6], [0.5, 0.5]])
CHAIN = [[0.9, 0.1], [0.4, 0.6]]


def _own(measure: str) -> dict:
    """The measure's own required options, valid (Renyi's alpha, an f-divergence's f)."""
    return {"renyi": {"alpha": 2.0}, "f_divergence": {"f": lambda t: (t - 1) ** 2}}.get(measure, {})


def _arrays(measure, options):
    return getattr(dv, measure)(P, Q, **{**_own(measure), **options})


def _pairwise(measure, options):
    return dv.pairwise(P, Q, metric=measure, **{**_own(measure), **options})


def _nearest(measure, options):
    return dv.nearest(P, Q, 1, metric=measure, **{**_own(measure), **options})


def _dask(measure, options):
    da = pytest.importorskip("dask.array")
    return getattr(dv, measure)(da.from_array(P, chunks=1), Q, **{**_own(measure), **options})


def _dask_pairwise(measure, options):
    da = pytest.importorskip("dask.array")
    return dv.pairwise(da.from_array(P, chunks=1), Q, metric=measure, **{**_own(measure), **options})


def _distributions(measure, options):
    return getattr(dv, measure)(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0), **{**_own(measure), **options})


def _markov(measure, options):
    return dv.markov.kl_rate(CHAIN, CHAIN, **options)


def _estimators(measure, options):
    x = np.random.default_rng(0).normal(size=(50, 1))
    method = "histogram" if "smoothing" in options else "knn"
    return getattr(dv.estimate, measure)(x, x + 0.5, method=method, **options)


def _cli(measure, options):
    argv = [measure, "0.5,0.5", "0.4,0.6"]
    for name, value in options.items():
        argv += [f"--{name}", str(value)]
    return main(argv)


ROUTES = {
    "arrays": _arrays, "pairwise": _pairwise, "nearest": _nearest, "dask": _dask, "dask_pairwise": _dask_pairwise,
    "distributions": _distributions, "markov": _markov, "estimators": _estimators, "cli": _cli,
}
# The (measure, option, value) cases, and the routes that take that measure and option.
ARRAY_ROUTES = ("arrays", "pairwise", "nearest", "dask", "dask_pairwise", "distributions", "cli")
CASES = [
    *[("kl", "base", b, (*ARRAY_ROUTES, "markov", "estimators")) for b in (1, 0, -2, "e", math.nan, math.inf)],
    ("js_distance", "base", 0.5, ARRAY_ROUTES),
    ("hellinger", "base", 2, ("pairwise", "nearest", "dask_pairwise", "cli")),
    ("renyi", "alpha", -1, ARRAY_ROUTES),
    ("renyi", "alpha", math.nan, ARRAY_ROUTES),
    ("kl", "smoothing", -1, (*ARRAY_ROUTES, "estimators")),
    ("kl", "smoothing", math.inf, (*ARRAY_ROUTES, "estimators")),
    ("f_divergence", "f", "chi2", ("arrays", "pairwise", "nearest", "dask", "dask_pairwise", "distributions")),
    ("f_divergence", "f", lambda t: t, ("arrays", "pairwise", "dask", "distributions")),
    ("kl", "normalize", "yes", ("arrays", "pairwise", "nearest", "dask", "dask_pairwise", "distributions")),
    ("kl", "log", "yes", ("arrays", "pairwise", "nearest", "dask", "dask_pairwise", "distributions")),
    ("kl", "method", "fast", ("arrays", "dask", "distributions")),
    ("kl", "n_samples", 0, ("arrays", "dask", "distributions")),
    ("kl", "alpha", 2, ("pairwise", "nearest", "dask_pairwise")),
]
PAIRS = [pytest.param(route, m, o, v, id=f"{route}-{m}-{o}={'function' if callable(v) else repr(v)}")
         for m, o, v, routes in CASES for route in routes]  # ids without addresses: the same in every process


@pytest.mark.parametrize(("route", "measure", "option", "value"), PAIRS)
def test_a_bad_option_gives_the_same_message_on_every_route(route, measure, option, value, capsys):
    with pytest.raises(dv.InvalidInputError) as expected:
        parse(measure, **{**_own(measure), option: value})
    message = str(expected.value)
    if route == "cli":
        assert _cli(measure, {option: value}) == 2
        assert capsys.readouterr().err == f"divergences: error: {message}\n"
        return
    with pytest.raises(dv.InvalidInputError) as raised:
        ROUTES[route](measure, {option: value})
    assert str(raised.value) == message


@pytest.mark.parametrize("route", ["arrays", "distributions", "pairwise", "cli"])
def test_js_distance_with_a_base_below_one_is_refused_not_nan(route, capsys):
    # The bug that made the options one path: the distribution route computed sqrt of a
    # negative JS (NaN and a RuntimeWarning) where arrays refused the base.
    if route == "cli":
        assert _cli("js_distance", {"base": 0.5}) == 2
        assert "needs base > 1" in capsys.readouterr().err
        return
    with pytest.raises(dv.InvalidInputError, match="needs base > 1"):
        ROUTES[route]("js_distance", {"base": 0.5})


def test_options_are_frozen_checked_and_picklable():
    opts = parse("renyi", base=2, alpha=3, smoothing=0.5, normalize=True)
    assert opts.measure is dv.DIVERGENCES["renyi"]
    assert opts.params == {"alpha": 3.0} and opts.log_base == pytest.approx(math.log(2))
    assert opts.rescale and opts.shift == 0.5
    assert opts.in_unit(math.log(2)) == pytest.approx(1.0)
    with pytest.raises(AttributeError):
        opts.base = 3  # type: ignore[misc]
    # Dask ships options to its workers.
    assert pickle.loads(pickle.dumps(opts)) == opts
    assert isinstance(opts, Options)


def test_a_measure_without_a_logarithm_has_no_log_divisor():
    assert parse("total_variation").log_base is None
    assert parse("kl").log_base is None  # nats: nothing to divide by
    with pytest.raises(dv.InvalidInputError, match="total_variation has no logarithm"):
        parse("total_variation", base=2)


def test_an_unknown_measure_names_the_argument():
    with pytest.raises(dv.InvalidInputError, match="metric must be one of kl, cross_entropy"):
        parse("kld")
    with pytest.raises(dv.InvalidInputError, match=r"metric must be one of .*got 'kld'"):
        dv.pairwise(P, metric="kld")
