"""The table of divergences, the spine of the library: one row per measure, read by every route.

A row says what a measure is (its formula, bounds, symmetry), how each route computes it (the
array kernel and its NumPy fast path, the integrand of the numerical routes for distribution
objects, the matrix-product form of ``pairwise``), which options of its own it takes (the
parser of ``alpha`` for Renyi, of ``f`` for an f-divergence), the text of its public
function's docstring, and example options for the tests. The public functions
(``discrete.py``), ``__all__``, the CLI's ``list``, the numerical routes, ``pairwise`` and the
test parametrisation read it. Adding a divergence is one row here plus one kernel; its
public function is made from the row, and its name is written out in ``discrete.py`` (bound
and in ``__all__``, so that type checkers see it; a test fails if it is missing).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from . import _integrands, _kernels, _log_kernels, _numpy_engine, _product_forms
from ._exceptions import InvalidInputError
from ._integrands import Measure
from ._special import sqrt_with_zero_gradient
from ._validation import check_alpha

__all__ = ["DIVERGENCES", "Divergence", "Doc"]


class Doc(NamedTuple):
    """The parts of a public function's docstring that are the measure's own; the parameters
    every measure shares are written once, in ``discrete.py``."""

    summary: str  # the first line, with the formula
    notes: str = ""  # paragraphs after it
    examples: str = ""  # doctest lines
    see_also: str = ""
    params: str = ""  # the measure's own options (numpydoc entries)
    inputs: str = ""  # in place of the shared description of p (and q), where it differs


def _no_options() -> dict[str, Any]:
    return {}


def _renyi_options(alpha: object) -> dict[str, Any]:
    return {"alpha": check_alpha(alpha)}


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


def _f_options(f: object, slope_at_infinity: object = None) -> dict[str, Any]:
    """``f`` checked (callable, ``f(1) = 0``, midpoint convex on a grid of ratios) with its
    limits at 0 and infinity."""
    if not callable(f):
        raise InvalidInputError(f"f must be a callable of the ratio p/q, got {f!r}")
    try:
        f1 = _at(f, 1.0)
    except Exception as exc:  # any failure of user code is reported as bad input
        raise InvalidInputError(f"f could not be evaluated on a NumPy array: {exc}") from None
    if not abs(f1) <= 1e-12:
        raise InvalidInputError(f"f must satisfy f(1) = 0, got f(1) = {f1:g}")
    # Convexity, as far as it can be checked: f((a + b)/2) <= (f(a) + f(b))/2 for neighbours
    # a, b of 121 ratios spaced evenly in log from 1e-6 to 1e6, up to rounding (1e-9 relative).
    grid = np.logspace(-6.0, 6.0, 121)
    points = np.concatenate([grid, (grid[:-1] + grid[1:]) / 2])
    try:
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(f(points), dtype=np.float64), points.shape)
    except Exception:  # f of one ratio at a time (it may read 0-d arrays only)
        try:
            values = np.array([_at(f, float(t)) for t in points])
        except Exception as exc:
            raise InvalidInputError(f"f could not be evaluated on ratios from 1e-6 to 1e6: {exc}") from None
    ends, middle = values[: grid.size], values[grid.size :]
    if np.isnan(values).any():
        at = float(points[np.argmax(np.isnan(values))])
        raise InvalidInputError(f"f must be defined for every ratio p/q > 0, got f({at:.6g}) = nan")
    with np.errstate(all="ignore"):
        chord = ends[:-1] / 2 + ends[1:] / 2
        slack = 1e-9 * (np.abs(ends[:-1]) + np.abs(ends[1:]) + np.abs(middle))
        bad = ~(middle <= chord + slack)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(
            f"f must be convex (an f-divergence needs a convex f), but f((a + b)/2) = {middle[i]:.6g} exceeds "
            f"(f(a) + f(b))/2 = {chord[i]:.6g} at a = {grid[i]:.4g}, b = {grid[i + 1]:.4g} (midpoint convexity "
            "is checked between neighbours of 121 ratios spaced evenly in log from 1e-6 to 1e6)"
        )
    if slope_at_infinity is None:
        slope = _slope_at_infinity(f)
    else:
        if isinstance(slope_at_infinity, bool) or not isinstance(slope_at_infinity, (int, float, np.floating)):
            raise InvalidInputError(f"slope_at_infinity must be a real number or None, got {slope_at_infinity!r}")
        slope = float(slope_at_infinity)
        if math.isnan(slope):
            raise InvalidInputError("slope_at_infinity must be a number, got NaN")
    return {"f": f, "value_at_zero": _value_at_zero(f), "slope_at_infinity": slope}


def _example_f(t: Any) -> Any:
    """``(t - 1)^2``: the chi-square divergence as an f-divergence (example options for tests)."""
    return (t - 1.0) ** 2


@dataclass(frozen=True)
class Divergence:
    """Properties of one measure and the code that computes it on every route."""

    name: str
    formula: str
    kernel: Callable[..., Any]
    doc: Doc
    arity: int = 2
    symmetric: bool = False
    metric: bool = False
    logarithmic: bool = True
    lower: str = "0"
    upper: str = "inf"
    # transform(values, xp, out=None): the reported value from the kernel's (NumPy: into out)
    transform: Callable[..., Any] | None = None
    fast: Callable[..., Any] | None = None
    trusted_above: float = 0.0
    # The fast kernel returns NaN for a row with a negative entry (log of it), so the
    # engine's validation need not look for the minimum.
    fast_nan_if_negative: bool = False
    # The measure's own options: a parser whose parameters are their names (those without a
    # default are positional in the public function) and which returns the kernel's keywords.
    options: Callable[..., dict[str, Any]] = _no_options
    # The numerical routes' integrand for distribution objects: a Measure from the kernel's
    # keywords (those the option parser returns); None where there is none.
    integrand: Callable[..., Measure] | None = None
    # pairwise's block form (a matrix product, or JS from the mixture's entropy; None: the
    # kernel pair by pair), and the form where a torch gradient flows (None: the same).
    product_form: _product_forms.Form | None = None
    graded_form: _product_forms.Form | None = None
    # The kernel of log-probabilities (``log=True``): the same measure from ``lp``, ``lq``.
    log_kernel: Callable[..., Any] | None = None
    # Options of the measure for tests and examples (the parser's arguments).
    examples: Mapping[str, Any] = field(default_factory=dict)

    # The names the option parser takes, and those it requires (read on every call).
    own_options: frozenset[str] = field(init=False, repr=False)
    required_options: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.graded_form is None:
            object.__setattr__(self, "graded_form", self.product_form)
        parameters = inspect.signature(self.options).parameters.values()
        object.__setattr__(self, "own_options", frozenset(p.name for p in parameters))
        object.__setattr__(self, "required_options", frozenset(p.name for p in parameters if p.default is p.empty))

    def log_view(self) -> Divergence:
        """This measure computed from log-probabilities: the log kernel, run by the engine's
        blocks (no fast kernel, no product form)."""
        if self.log_kernel is None:
            raise InvalidInputError(f"{self.name} has no form for log-probabilities (log=True)")
        return replace(self, kernel=self.log_kernel, fast=None, trusted_above=0.0, fast_nan_if_negative=False,
                       product_form=None, graded_form=None)

    @property
    def bound(self) -> str:
        return f"[{self.lower}, {self.upper}]"


_DISTRIBUTIONS = """Or two distribution objects (``dv.Normal(0.0, 1.0)``, ``scipy.stats.norm(1, 2)``, ...)."""

_TABLE = (
    Divergence(
        "kl", "sum p log(p/q)", _kernels.kl, fast=_numpy_engine.fast_kl, trusted_above=0.1,
        log_kernel=_log_kernels.kl,
        integrand=_integrands.kl, product_form=_product_forms.KL, graded_form=_product_forms.KL_GRADED,
        doc=Doc(
            r"Kullback-Leibler divergence (relative entropy) :math:`\sum_i p_i \log(p_i/q_i)`.",
            """Events with ``p = 0`` contribute 0; an event with ``p > 0 = q`` makes the divergence
    ``+inf``. Computed as a sum of non-negative terms ``p log(p/q) - p + q`` plus the
    separately summed ``sum(p - q)``, so nearly identical ``p`` and ``q`` keep full relative
    accuracy (never as a difference of entropies).""",
            """>>> import divergences as dv
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> print(f"{dv.kl(p, q, base=2):.3f} bits, {dv.kl(p, q):.3f} nats")
    1.927 bits, 1.336 nats""",
            "cross_entropy, js, renyi",
        ),
    ),
    Divergence(
        "cross_entropy", "-sum p log q", _kernels.cross_entropy, fast=_numpy_engine.fast_cross_entropy,
        log_kernel=_log_kernels.cross_entropy,
        integrand=_integrands.cross_entropy, product_form=_product_forms.CROSS_ENTROPY,
        graded_form=_product_forms.CROSS_ENTROPY_GRADED,
        doc=Doc(
            r"Cross-entropy :math:`-\sum_i p_i \log q_i = H(p) + KL(p \| q)`.",
            examples=""">>> import divergences as dv
    >>> float(dv.cross_entropy([1, 0], [0.1, 0.9], base=2))  # truth vs a confident wrong guess
    3.321928094887362""",
            see_also="entropy, kl",
        ),
    ),
    Divergence(
        "entropy", "-sum p log p", _kernels.entropy, arity=1, upper="log K", fast=_numpy_engine.fast_entropy,
        log_kernel=_log_kernels.entropy,
        fast_nan_if_negative=True, integrand=_integrands.cross_entropy,  # H(p) = H(p, p)
        doc=Doc(
            r"Shannon entropy :math:`-\sum_i p_i \log p_i`, with :math:`0 \log 0 = 0`.",
            """Unlike ``scipy.stats.entropy`` the input is not normalised silently and the events
    lie along the last axis by default. For a distribution object this is its entropy
    :math:`-E_p[\\log p(X)]`: differential for a continuous distribution (it may be negative),
    Shannon for a discrete one. The closed form is used where the family has one (the
    cross entropy of ``p`` with itself where that is registered, and StudentT, Logistic and
    Dirichlet), otherwise quadrature, summation or Monte Carlo (Poisson, Binomial, mixtures,
    other SciPy distributions).""",
            """>>> import divergences as dv
    >>> float(dv.entropy([0.5, 0.5], base=2))
    1.0
    >>> round(float(dv.entropy(dv.Normal(0.0, 1.0))), 6)  # (1 + log(2 pi)) / 2
    1.418939
    >>> value, error = dv.entropy(dv.Poisson(3.0), return_error=True)  # summed numerically
    >>> print(f"{value:.6f} nats, error below 1e-12: {error < 1e-12}")
    1.931470 nats, error below 1e-12: True""",
            "cross_entropy, divergences.estimate.entropy : the entropy of samples",
            inputs="""p : array_like or distribution
        Probability vectors (or weights with ``normalize=True``) along ``axis``, or a
        distribution object (``dv.Normal(0.0, 1.0)``, ``scipy.stats.gamma(2.0)``, ...).""",
        ),
    ),
    Divergence(
        "js", "kl(p, m)/2 + kl(q, m)/2, m = (p+q)/2", _kernels.js, symmetric=True, upper="log 2",
        log_kernel=_log_kernels.js,
        fast=_numpy_engine.fast_js, trusted_above=0.01, integrand=_integrands.js, product_form=_product_forms.JS_MIXTURE,
        doc=Doc(
            r"Jensen-Shannon divergence :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)`, :math:`m = (p+q)/2`.",
            """Symmetric, finite (``0 <= js <= log 2``, 1 bit) even for disjoint supports. Summed
    from per-event terms that are each non-negative, so it never comes out negative and
    keeps its relative accuracy for nearly identical inputs. ``scipy.spatial.distance.
    jensenshannon`` returns the square root of this: see :func:`js_distance`.""",
            """>>> import divergences as dv
    >>> round(float(dv.js([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2)), 3)
    0.42""",
            "js_distance, kl",
        ),
    ),
    Divergence(
        "js_distance", "sqrt(js)", _kernels.js, symmetric=True, metric=True, upper="sqrt(log 2)",
        log_kernel=_log_kernels.js,
        transform=sqrt_with_zero_gradient, fast=_numpy_engine.fast_js, trusted_above=0.01,
        integrand=_integrands.js, product_form=_product_forms.JS_MIXTURE,  # the route takes the root
        doc=Doc(
            r"Jensen-Shannon distance :math:`\sqrt{JS(p, q)}`, a metric.",
            """The same quantity as ``scipy.spatial.distance.jensenshannon``, but without NaN for
    nearly identical inputs, and with gradient 0 (a subgradient, not NaN) at ``p = q``. A
    ``base`` below 1 is refused: it would make the divergence negative.""",
            """>>> import divergences as dv
    >>> round(float(dv.js_distance([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2)), 3)
    0.648""",
            "js",
        ),
    ),
    Divergence(
        "hellinger", "sqrt(1 - sum sqrt(p q))", _kernels.hellinger_squared, symmetric=True, metric=True,
        log_kernel=_log_kernels.hellinger_squared,
        logarithmic=False, upper="1", transform=sqrt_with_zero_gradient, fast=_numpy_engine.fast_hellinger_squared,
        integrand=_integrands.hellinger, product_form=_product_forms.HELLINGER,
        doc=Doc(
            r"Hellinger distance :math:`\sqrt{1 - \sum_i \sqrt{p_i q_i}}`, a metric in [0, 1].",
            r"""Computed as :math:`\sqrt{\tfrac12 \sum_i (\sqrt{p_i} - \sqrt{q_i})^2}` with
    ``sqrt p - sqrt q = (p - q)/(sqrt p + sqrt q)``: equal to the definition for normalised
    input, free of its cancellation (full relative accuracy for nearly identical inputs),
    exactly 0 at ``p = q``, where the gradient is 0 (a subgradient).""",
            """>>> import divergences as dv
    >>> round(float(dv.hellinger([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 6)
    0.259893""",
            "bhattacharyya, total_variation",
        ),
    ),
    Divergence(
        "total_variation", "sum |p - q| / 2", _kernels.total_variation, symmetric=True, metric=True,
        log_kernel=_log_kernels.total_variation,
        logarithmic=False, upper="1", integrand=_integrands.total_variation,
        doc=Doc(
            r"Total variation distance :math:`\tfrac12 \sum_i |p_i - q_i|`, a metric in [0, 1].",
            examples=""">>> import divergences as dv
    >>> round(float(dv.total_variation([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 12)
    0.3""",
            see_also="hellinger",
        ),
    ),
    Divergence(
        "bhattacharyya", "-log sum sqrt(p q)", _kernels.bhattacharyya, symmetric=True,
        log_kernel=_log_kernels.bhattacharyya,
        integrand=_integrands.bhattacharyya, product_form=_product_forms.BHATTACHARYYA,
        doc=Doc(
            r"Bhattacharyya distance :math:`-\log \sum_i \sqrt{p_i q_i}`; ``+inf`` for disjoint supports.",
            """Equal to ``renyi(p, q, 0.5) / 2``. Computed as ``-log1p(-h^2)`` from the squared
    Hellinger distance, exact for nearly identical inputs.""",
            """>>> import divergences as dv
    >>> round(float(dv.bhattacharyya([0.5, 0.3, 0.2], [0.2, 0.3, 0.5])), 6)
    0.069934""",
            "hellinger, renyi",
        ),
    ),
    Divergence(
        "renyi", "log(sum p^a q^(1-a)) / (a - 1)", _kernels.renyi, options=_renyi_options, examples={"alpha": 2.0},
        log_kernel=_log_kernels.renyi,
        integrand=_integrands.renyi,
        doc=Doc(
            r"Renyi divergence of order ``alpha``: :math:`\frac{1}{\alpha-1} \log \sum_i p_i^\alpha q_i^{1-\alpha}`.",
            """``alpha = 1`` is :func:`kl`, ``alpha = inf`` is ``log max p/q``, ``alpha = 0`` is
    ``-log sum_{p>0} q``, and ``alpha = 1/2`` is twice :func:`bhattacharyya`. For
    ``alpha >= 1`` an event with ``p > 0 = q`` makes it ``+inf``; disjoint supports make it
    ``+inf`` for every ``alpha``. Summed from per-event gaps that are each second order
    in ``log(p/q)`` and of one sign, so it keeps its relative accuracy as ``alpha -> 1``
    (within 1e-12 of the exact value at ``1 +- 1e-15``) and near ``p = q``; formed in log
    space where the terms could overflow (large ``alpha``) or the overlap is small.""",
            """>>> import divergences as dv
    >>> round(float(dv.renyi([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], 2, base=2)), 6)
    0.704872""",
            "kl, bhattacharyya",
            params="""alpha : float
        The order, ``>= 0`` (``inf`` allowed).""",
        ),
    ),
    Divergence(
        "chi2", "sum (p - q)^2 / q", _kernels.chi2, logarithmic=False, integrand=_integrands.chi2,
        log_kernel=_log_kernels.chi2,
        doc=Doc(
            r"Pearson chi-square divergence :math:`\sum_i (p_i - q_i)^2 / q_i`; ``+inf`` if ``p > 0 = q``.",
            examples=""">>> import divergences as dv
    >>> round(float(dv.chi2([0.5, 0.5], [0.25, 0.75])), 6)
    0.333333""",
            see_also="renyi : of order 2 it is ``log1p(chi2)``",
        ),
    ),
    Divergence(
        "psi", "sum (p - q) log(p/q)", _kernels.psi, symmetric=True, integrand=_integrands.psi,
        fast=_numpy_engine.fast_psi, trusted_above=0.04,
        log_kernel=_log_kernels.psi,
        doc=Doc(
            r"Population stability index :math:`\sum_i (p_i - q_i) \log(p_i / q_i) = KL(p\|q) + KL(q\|p)`.",
            """Symmetric; ``+inf`` when either support exceeds the other. Used for drift monitoring
    (``p`` the reference bins, ``q`` the current ones); add ``smoothing`` for empty bins.""",
            """>>> import divergences as dv
    >>> round(float(dv.psi([0.5, 0.5], [0.25, 0.75])), 6)
    0.274653""",
            "kl",
        ),
    ),
    Divergence(
        "f_divergence", "sum q f(p/q)", _kernels.f_divergence, logarithmic=False, options=_f_options,
        log_kernel=_log_kernels.f_divergence,
        examples={"f": _example_f, "slope_at_infinity": math.inf}, integrand=_integrands.f_divergence,
        doc=Doc(
            r"Csiszar f-divergence :math:`\sum_i q_i f(p_i / q_i)` for a convex ``f`` with ``f(1) = 0``.",
            r"""``f(t) = t log t`` gives KL, ``f(t) = |t - 1|/2`` total variation, ``(t - 1)^2`` chi-square.
    An event with ``q = 0 < p`` contributes ``p * lim_{t->inf} f(t)/t``, one with
    ``p = 0 < q`` contributes ``q f(0+)``. For distribution objects the sum is the integral
    :math:`\int q f(p/q)`, computed numerically (quadrature for one-dimensional continuous
    pairs, summation for discrete ones, Monte Carlo over draws of ``q`` otherwise) even where
    the ``f`` of a measure with a closed form is given: call that measure for its closed form.""",
            """>>> import numpy as np
    >>> import divergences as dv
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> round(float(dv.f_divergence(p, q, lambda t: t * np.log(t))), 3)  # KL
    1.336
    >>> value, error = dv.f_divergence(dv.Normal(0.0, 1.0), dv.Normal(1.0, 1.0),
    ...                                lambda t: (t - 1) ** 2, return_error=True)
    >>> round(float(value), 8), bool(error < 1e-9)  # chi-square: e - 1
    (1.71828183, True)""",
            "kl, chi2, total_variation",
            params="""f : callable
        Elementwise function of an array of ratios ``p/q`` in the inputs' library (for
        NumPy input, NumPy functions such as ``np.log`` work; distribution objects always
        pass NumPy arrays); must satisfy ``f(1) = 0``.
    slope_at_infinity : float or None, default None
        ``lim f(t)/t`` as ``t -> inf``. ``None`` estimates it from ``f`` at 1e150 and 1e300
        with NumPy (``inf`` when it has not settled, as for ``t log t``).""",
            inputs="""p, q : array_like
        Probability vectors (or, with ``normalize=True``, non-negative weights or counts)
        along ``axis``; the other axes are batch axes and broadcast like NumPy.
        """ + _DISTRIBUTIONS,
        ),
    ),
)

DIVERGENCES: dict[str, Divergence] = {d.name: d for d in _TABLE}
