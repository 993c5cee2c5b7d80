"""The public divergence functions (``dv.kl``, ``dv.js``, ...), each made from its row of the table.

Every function takes arrays of any supported library (NumPy, PyTorch, JAX, CuPy, Dask,
array-api-strict, or Python lists), reduces the event ``axis`` and broadcasts the others;
or distribution objects. Its signature and docstring are assembled from its row of
``_metadata.DIVERGENCES`` (the measure's own options, such as Renyi's ``alpha``, come from
the row's option parser) and it calls the one pipeline, ``_evaluate.evaluate``. The names
are bound here one by one so that type checkers and editors see them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ._evaluate import evaluate, evaluate_defaults  # noqa: F401 - called by the functions made below
from ._metadata import DIVERGENCES, Divergence

# Written out (with the bindings at the end) so that type checkers see the names; a test
# fails unless they are exactly the table's.
__all__ = [
    "kl", "cross_entropy", "entropy", "js", "js_distance", "hellinger", "total_variation", "bhattacharyya",
    "renyi", "chi2", "psi", "f_divergence",
]

_P = """p : array_like
        Probability vectors (or, with ``normalize=True``, non-negative weights or counts)
        along ``axis``; the other axes are batch axes and broadcast like NumPy."""
_PQ = """p, q : array_like
        Probability vectors (or, with ``normalize=True``, non-negative weights or counts)
        along ``axis``; the other axes are batch axes and broadcast like NumPy (an empty
        batch gives an empty result). Values are read by position: a pandas Series or
        DataFrame is refused against another whose labels (index, columns) differ; align them
        first (``p, q = p.align(q, fill_value=0)``)."""
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
    log : bool, default False
        The inputs are log-probabilities (``-inf`` for an event of probability 0); with
        ``normalize=True``, unnormalised logits, normalised by their ``logsumexp``. The
        measure is computed in log space from the log ratios, so extreme logits give exact,
        finite values where ``softmax`` would round a probability to 0, and gradients stay
        finite.
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

# The options every measure takes, after its own; ``base`` only where there is a logarithm.
_SHARED = (
    ("axis", -1), ("keepdims", False), ("base", None), ("normalize", False), ("smoothing", None), ("log", False),
    ("validate", True), ("return_error", False), ("method", "auto"), ("n_samples", 100_000), ("random_state", None),
)


def signature(row: Divergence) -> inspect.Signature:
    """The public function's signature: the distributions, the measure's own options (those
    without a default positional, like Renyi's ``alpha``), then the shared keywords."""
    kind = inspect.Parameter
    dists = [kind(n, kind.POSITIONAL_OR_KEYWORD) for n in ("p", "q")[: row.arity]]
    own = list(inspect.signature(row.options).parameters.values())
    positional = [kind(p.name, kind.POSITIONAL_OR_KEYWORD) for p in own if p.default is p.empty]
    keywords = [kind(p.name, kind.KEYWORD_ONLY, default=p.default) for p in own if p.default is not p.empty]
    shared = [kind(n, kind.KEYWORD_ONLY, default=d) for n, d in _SHARED if n != "base" or row.logarithmic]
    return inspect.Signature(dists + positional + keywords + shared)


def docstring(row: Divergence) -> str:
    """The public function's docstring: the row's own text around the shared parameters."""
    doc = row.doc
    inputs = doc.inputs or (_PQ if row.arity == 2 else _P)
    params = [inputs, doc.params, _AXIS, _BASE if row.logarithmic else "", _NORM, _DIST]
    parts = [doc.summary, doc.notes, "Parameters\n    ----------\n    " + "\n    ".join(p for p in params if p),
             _RETURNS, _RAISES]
    if doc.see_also:
        parts.append("See Also\n    --------\n    " + doc.see_also)
    if doc.examples:
        parts.append("Examples\n    --------\n    " + doc.examples)
    return "\n\n    ".join(p for p in parts if p) + "\n"


def public(name: str) -> Callable[..., Any]:
    """The public function of measure ``name``, from its row: a plain function with the
    row's signature (made by ``exec``, as ``dataclasses`` makes ``__init__``, so a call
    costs no argument binding) that hands every argument to ``evaluate``."""
    row = DIVERGENCES[name]
    sig = signature(row)
    params = list(sig.parameters)
    dists = params[: row.arity]
    forwarded = ", ".join(f"{n}={n}" for n in params[row.arity :])
    # Every option at its default (the common call, such as kl(p, q)): the options checked
    # once, not at each call. Only for measures without options of their own.
    fast = ""
    if len(params) == row.arity + len(_SHARED) - (not row.logarithmic):
        defaults = " and ".join(
            "type(axis) is int and axis == -1" if n == "axis" else f"{n} is {d!r}" if d in (None, True, False)
            else f"type({n}) is {type(d).__name__} and {n} == {d!r}"
            for n, d in _SHARED if n in params
        )
        fast = f"        if {defaults}:\n            return evaluate_defaults(_row, ({', '.join(dists)},))\n"
    source = (
        f"def _make(_row):\n"
        f"    def {name}{sig}:\n"
        f"{fast}"
        f"        return evaluate(_row, ({', '.join(dists)},), {forwarded})\n"
        f"    return {name}\n"
    )
    scope: dict[str, Any] = {}
    # This module's globals, so that the function belongs to it (doctest, pickle, help).
    exec(source, globals(), scope)  # noqa: S102 - the source is built above from the table
    function = scope["_make"](row)
    function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = docstring(row)
    return function  # type: ignore[no-any-return]


kl = public("kl")
cross_entropy = public("cross_entropy")
entropy = public("entropy")
js = public("js")
js_distance = public("js_distance")
hellinger = public("hellinger")
total_variation = public("total_variation")
bhattacharyya = public("bhattacharyya")
renyi = public("renyi")
chi2 = public("chi2")
psi = public("psi")
f_divergence = public("f_divergence")

