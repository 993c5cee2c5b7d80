r"""Uncertainty of sample estimates: bootstrap confidence intervals and permutation tests.

Why not the ordinary bootstrap everywhere
-----------------------------------------
Resampling with replacement repeats points. A k-NN or KDE estimator sees a repeated point as a
neighbour at distance 0 (log 0 = -inf) or as a spike of density, so the ordinary bootstrap of
those estimators is wrong or fails outright. ``scheme="subsample"`` draws **half-samples without
replacement** instead (the m-out-of-n bootstrap without replacement, Politis & Romano 1994, at
m = n // 2): every resample is a set of distinct original points.

The half-sample interval
------------------------
Let :math:`\hat\theta_n` be the full-sample estimate and :math:`\hat\theta_m^*` the estimate on a
random subset S of m of the n points. For an estimator that is asymptotically linear,
:math:`\hat\theta_n \approx \theta + \frac1n \sum_i \psi(X_i)` with
:math:`\operatorname{Var}\psi = \sigma^2`, writing
:math:`\hat\theta_m^* - \hat\theta_n \approx (\frac1m - \frac1n)\sum_{i \in S}\psi(X_i) -
\frac1n \sum_{i \notin S}\psi(X_i)` gives

.. math::

    \operatorname{Var}(\hat\theta_m^* - \hat\theta_n) = \sigma^2 \Big(\frac1m - \frac1n\Big),
    \qquad \operatorname{Var}(\hat\theta_n - \theta) = \frac{\sigma^2}{n},

so the spread of the resamples is that of :math:`\hat\theta_n - \theta` times :math:`1/c` with
:math:`c = \sqrt{m / (n - m)}`. (Politis-Romano's factor :math:`\sqrt{m/n}` assumes m/n -> 0;
at m = n/2 it ignores the finite-population correction and makes 95% intervals 1/sqrt(2) as
wide, covering about 83%.) At m = n // 2, c = 1 for even n and sqrt((n-1)/(n+1)) for odd n;
with several samples m and n are the totals over the samples, each halved.

With :math:`q_a` the a-quantile of the B resampled estimates and :math:`\tilde q = q_{1/2}`
their median, the interval at level 1 - alpha is

.. math::

    \big[\hat\theta_n - c\,(q_{1-\alpha/2} - \tilde q),\;
         \hat\theta_n - c\,(q_{\alpha/2} - \tilde q)\big],

the basic (reflected) bootstrap interval, centred on the full-sample value, with the
resamples measured from their own median rather than from :math:`\hat\theta_n`. Why: a k-NN
estimate is a linear part plus a local noise from the neighbour distances, and every
half-sample has new neighbours, so it draws that noise afresh. Measuring the resamples from
:math:`\hat\theta_n` would add the full sample's own noise to the offset of the interval a
second time; on KL(N(0, 1) || N(1, 2)) against the density (k = 3, n = 100 and 200) that gave
80% coverage for a nominal 90%, against 92-93% measured from the median. The fresh noise also
makes the half-sample spread a little wider than needed (the noise part scales as 1/m rather
than 1/m - 1/n), so intervals of k-NN estimates err on the conservative side. The interval
does not correct the estimator's bias; the k-NN estimators' bias is small beside their
standard error at the sample sizes where intervals matter.

``scheme="replacement"`` is the ordinary bootstrap (n out of n with replacement) with the same
interval and c = 1, for histogram and discrete estimators, where repeated points are harmless.

Failures are never averaged away: a resample whose statistic raises or is not finite stops the
bootstrap with an error that says how many failed and why, rather than returning NaN bounds.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from .._exceptions import DivergenceError, InvalidInputError
from .._validation import check_count
from ._samples import _to_host, as_samples, rng

__all__ = [
    "Estimate",
    "TestResult",
    "bootstrap",
    "check_ci",
    "check_count",
    "estimator_test",
    "permutation_test",
    "rng",
]

Scheme = Literal["subsample", "replacement"]
Progress = Callable[[int, int], object]


class Estimate(NamedTuple):
    """An estimate with a confidence interval.

    ``value`` is the estimate on the whole sample. ``low`` and ``high`` are a basic bootstrap
    interval centred on it: the spread of estimates on half-samples drawn without replacement,
    rescaled to the full sample size, for k-NN and KDE estimators; the spread of the ordinary
    bootstrap for histogram and discrete ones (:mod:`divergences.estimate._uncertainty` has the
    derivation).
    """

    value: float
    low: float
    high: float


class TestResult(NamedTuple):
    """A permutation test: the test statistic on the data, its p-value, and the divergence estimate beside it.

    ``statistic`` is the value of the test statistic named by ``statistic_name`` ("energy
    distance", "distance covariance", or the metric's own name when the estimate is the
    statistic); ``estimate`` is the metric's estimate on the data (the same number as
    ``statistic`` in that last case). The smallest possible p-value is ``1 / (n_permutations + 1)``.
    """

    statistic: float
    pvalue: float
    n_permutations: int
    estimate: float
    statistic_name: str


TestResult.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class, whatever its name


def check_ci(ci: object) -> float:
    """The confidence level, a number strictly between 0 and 1."""
    if isinstance(ci, bool) or not isinstance(ci, (int, float, np.integer, np.floating)) or not 0 < ci < 1:
        raise InvalidInputError(f"ci must be a confidence level strictly between 0 and 1 (e.g. 0.95), got {ci!r}")
    return float(ci)


def _evaluate(statistic: Callable[..., Any], arrays: Sequence[np.ndarray], what: str, hint: str = "") -> float:
    try:
        value = float(statistic(*arrays))
    except (DivergenceError, ValueError) as exc:
        raise InvalidInputError(f"{what} failed: {exc}{hint}") from exc
    return value


def bootstrap(
    statistic: Callable[..., Any],
    samples: Sequence[np.ndarray],
    *,
    ci: float,
    n_resamples: int,
    random_state: object,
    paired: bool,
    scheme: Scheme,
    progress: Progress | None = None,
    value: float | None = None,
) -> Estimate:
    """A basic bootstrap interval for ``statistic(*samples)`` (module docstring: the derivation).

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays) -> float``.
    samples : sequence of arrays
        Resampled along axis 0: each on its own (``paired=False``, e.g. the two samples of a KL
        divergence) or the same rows of all (``paired=True``, e.g. x and y of a mutual
        information, which must then have the same length).
    ci : float
        Confidence level, strictly between 0 and 1.
    n_resamples : int
        Number of resamples, >= 1.
    random_state : int, numpy Generator or None
        Seed of the resampling.
    paired : bool
        Resample rows jointly.
    scheme : {"subsample", "replacement"}
        Half-samples without replacement (k-NN, KDE) or the ordinary bootstrap (histogram,
        discrete estimators).
    progress : callable, optional
        ``progress(done, total)`` after each resample.
    value : float, optional
        ``statistic(*samples)``, where the caller has it already (it is not evaluated again).

    Returns
    -------
    Estimate
        The full-sample value and the interval.

    Raises
    ------
    InvalidInputError
        Bad arguments, a sample too small to halve, a non-finite full-sample value, or a
        resample on which the statistic fails or is not finite (the message says how many).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=400)
    >>> est = bootstrap(np.mean, (x,), ci=0.95, n_resamples=500, random_state=1, paired=False, scheme="subsample")
    >>> bool(est.low < 0 < est.high), round(est.high - est.low, 2)  # 2 * 1.96 * sd / sqrt(400) = 0.195
    (True, 0.19)
    """
    ci = check_ci(ci)
    n_resamples = check_count(n_resamples, "n_resamples")
    if scheme not in ("subsample", "replacement"):
        raise InvalidInputError(f"scheme must be 'subsample' or 'replacement', got {scheme!r}")
    arrays = [np.asarray(s) for s in samples]
    if not arrays:
        raise InvalidInputError("bootstrap needs at least one sample")
    sizes = [a.shape[0] if a.ndim else 0 for a in arrays]
    if paired and len(set(sizes)) > 1:
        raise InvalidInputError(f"paired samples must have the same number of rows, got {', '.join(map(str, sizes))}")
    if scheme == "subsample" and min(sizes) < 2:
        raise InvalidInputError(f"the half-sample bootstrap needs at least 2 points per sample, got {min(sizes)}")
    generator = rng(random_state)

    if value is None:
        value = _evaluate(statistic, arrays, "the statistic on the full sample")
    if not math.isfinite(value):
        raise InvalidInputError(f"the estimate is {value} on the full sample, so it has no confidence interval")

    groups = [sizes[0]] if paired else sizes
    halves = [n // 2 for n in groups]
    scale = math.sqrt(sum(halves) / (sum(groups) - sum(halves))) if scheme == "subsample" else 1.0
    hint = (
        "; resampling with replacement repeats points, which k-NN and KDE estimators cannot take: "
        "use scheme='subsample'"
        if scheme == "replacement"
        else ""
    )

    def draw(n: int, m: int) -> np.ndarray:
        return generator.permutation(n)[:m] if scheme == "subsample" else generator.integers(0, n, size=n)

    values = np.empty(n_resamples)
    for b in range(n_resamples):
        if paired:
            rows = draw(groups[0], halves[0])
            resample = [a[rows] for a in arrays]
        else:
            resample = [a[draw(n, m)] for a, n, m in zip(arrays, groups, halves)]
        with warnings.catch_warnings():  # what the data warrant was said on the full sample
            warnings.simplefilter("ignore")
            values[b] = _evaluate(statistic, resample, f"resample {b + 1} of {n_resamples} ({scheme})", hint)
        if progress is not None:
            progress(b + 1, n_resamples)

    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidInputError(
            f"{int(bad.sum())} of {n_resamples} resamples gave a non-finite estimate "
            f"(e.g. {values[bad][0]}), so the interval is not defined: the estimator is unstable at "
            f"{'half' if scheme == 'subsample' else 'resampled'} sample size "
            "(empty bins or cells: add smoothing, use fewer bins, or more data)"
        )
    alpha = 1.0 - ci
    q_low, centre, q_high = (float(q) for q in np.quantile(values, [alpha / 2, 0.5, 1 - alpha / 2]))
    return Estimate(value, value - scale * (q_high - centre), value - scale * (q_low - centre))


def permutation_test(
    statistic: Callable[..., Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    paired: bool,
    n_permutations: int,
    random_state: object,
    progress: Progress | None = None,
    value: float | None = None,
) -> TestResult:
    r"""A one-sided permutation test: large ``statistic(x, y)`` is evidence against the null.

    - ``paired=False``, two-sample test (KL, JS): the null is "x and y come from the same
      distribution"; the rows of x and y are pooled and split again at random into sizes n and m.
    - ``paired=True``, independence test (mutual information): the null is "x and y are
      independent"; the rows of y are permuted against those of x.

    The p-value is :math:`(1 + \#\{T^*_b \ge T\}) / (1 + B)`: under the null the observed
    statistic T is one more draw from the same distribution as the B permuted ones, so counting it
    makes the test exact, P(p <= a) <= a, and a p-value is never 0 (Phipson & Smyth 2010).
    ``value``, where the caller has it, is ``statistic(x, y)`` (not evaluated again).

    Raises
    ------
    InvalidInputError
        Bad arguments, a statistic that fails or is NaN on the data or on a permutation.
    """
    n_permutations = check_count(n_permutations, "n_permutations")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise InvalidInputError("x and y must be arrays of samples, not scalars")
    n = x.shape[0]
    if paired and y.shape[0] != n:
        raise InvalidInputError(f"x and y must have the same number of rows (paired samples), got {n} and {y.shape[0]}")
    if not paired:
        if x.shape[1:] != y.shape[1:]:
            raise InvalidInputError(f"x and y must have the same dimensions, got shapes {x.shape} and {y.shape}")
        pooled = np.concatenate([x, y])
    generator = rng(random_state)

    observed = _evaluate(statistic, (x, y), "the statistic on the data") if value is None else value
    if math.isnan(observed):
        raise InvalidInputError("the statistic is NaN on the data")
    if math.isinf(observed):  # every permutation may be infinite too, and inf >= inf would give p = 1
        raise InvalidInputError(f"the statistic is {observed} on the data, which no permutation can be ranked "
                                "against (a discrete KL with symbols of x unseen in y: give smoothing=, or test "
                                "with statistic='energy')")
    exceed = 0
    for b in range(n_permutations):
        if paired:
            args = (x, y[generator.permutation(n)])
        else:
            order = generator.permutation(pooled.shape[0])
            args = (pooled[order[:n]], pooled[order[n:]])
        with warnings.catch_warnings():  # what the data warrant was said on the data
            warnings.simplefilter("ignore")
            null = _evaluate(statistic, args, f"permutation {b + 1} of {n_permutations}")
        if math.isnan(null):
            raise InvalidInputError(f"the statistic is NaN on permutation {b + 1} of {n_permutations}")
        exceed += null >= observed
        if progress is not None:
            progress(b + 1, n_permutations)
    return TestResult(observed, (1 + exceed) / (1 + n_permutations), n_permutations, observed, "estimate")


def estimator_test(
    estimator: Callable[..., Any],
    x: Any,
    y: Any,
    *,
    name: str,
    paired: bool,
    n_permutations: object,
    random_state: object,
    options: dict[str, Any],
    statistic: str | None = None,
    progress: Progress | None = None,
) -> TestResult:
    """A permutation test of ``estimator(x, y, **options)``: the engine of ``dv.estimate.test``.

    The estimator is passed in, so this module needs nothing from the estimators: ``name`` is
    the metric it computes (for messages), ``options`` are checked against its keyword-only
    parameters (``ci`` and ``n_resamples`` are refused: a test gives a p-value, not an
    interval), and where it takes ``random_state``, its own randomness gets one seed drawn
    from ``random_state``, the same for the data and every permutation, so that only the
    split differs between them. ``paired``: permute y against x (independence) rather than
    pool and re-split (two samples). ``statistic``: ``"estimate"`` tests with the estimate
    itself; ``"energy"`` with the energy distance (two samples) or the distance covariance
    (paired), :mod:`divergences.estimate._energy`, and reports the estimate beside it; None
    is "estimate" where the options say the samples are symbols (``method`` "discrete" or
    "mixed", ``ties="discrete"``) and "energy" otherwise.

    Raises
    ------
    InvalidInputError
        An unknown option, bad counts or seed, y a distribution, mismatched samples, or an
        estimator failure on the data or a permutation.

    Examples
    --------
    >>> import numpy as np
    >>> def gap(a, b, *, scale=1.0):  # a toy statistic: the distance between the means
    ...     return scale * abs(float(np.mean(a) - np.mean(b)))
    >>> x, y = np.arange(20.0), np.arange(20.0) + 30
    >>> estimator_test(gap, x, y, name="gap", paired=False, n_permutations=19, random_state=0, options={},
    ...                statistic="estimate").pvalue
    0.05
    >>> estimator_test(gap, x, y, name="gap", paired=False, n_permutations=19, random_state=0, options={"k": 3})
    Traceback (most recent call last):
    ...
    divergences._exceptions.InvalidInputError: gap takes no option 'k'; its options are scale
    """
    from ..distributions._scipy import is_distribution

    n_permutations = check_count(n_permutations, "n_permutations")
    if statistic is None:
        symbols = options.get("method") in ("discrete", "mixed") or options.get("ties") == "discrete"
        statistic = "estimate" if symbols else "energy"
    if statistic not in ("energy", "estimate"):
        raise InvalidInputError(f"statistic must be 'energy' or 'estimate', got {statistic!r}")
    generator = rng(random_state)
    accepted = inspect.signature(estimator).parameters
    for option in options:
        if option in ("ci", "n_resamples"):
            raise InvalidInputError(f"{option} does not apply to a test, which returns a p-value rather than an interval")
        if option not in accepted or accepted[option].kind is not inspect.Parameter.KEYWORD_ONLY:
            keywords = [p for p, v in accepted.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
            raise InvalidInputError(f"{name} takes no option {option!r}; its options are {', '.join(keywords)}")
    if is_distribution(y):
        raise InvalidInputError("y must be samples: a permutation test needs samples of both sides, not a distribution")
    x_arr, y_arr = np.asarray(_to_host(x)), np.asarray(_to_host(y))
    for arg, arr in (("x", x_arr), ("y", y_arr)):
        if arr.ndim not in (1, 2) or arr.shape[0] == 0:
            raise InvalidInputError(f"{arg} must have shape (n,) or (n, d) with n >= 1, got {arr.shape}")
    if not paired:  # a 1-D sample and an (n, 1) one pool together
        x_arr, y_arr = x_arr.reshape(x_arr.shape[0], -1), y_arr.reshape(y_arr.shape[0], -1)
        if x_arr.shape[1] != y_arr.shape[1]:
            raise InvalidInputError(f"x and y must have the same dimensions, got shapes {x_arr.shape} and {y_arr.shape}")

    if "random_state" in accepted:
        # The estimator's own randomness (dequantisation, JS's subsample of the larger side) gets one
        # seed for the data and every permutation alike, so that only the split differs between them.
        options = {**options, "random_state": int(generator.integers(2**63))}

    def estimate(a: np.ndarray, b: np.ndarray) -> float:
        return float(estimator(a, b, **options))

    if statistic == "estimate":
        result = permutation_test(estimate, x_arr, y_arr, paired=paired, n_permutations=n_permutations,
                                  random_state=generator, progress=progress)
        return result._replace(statistic_name=name)
    return _energy_test(x_arr, y_arr, _evaluate(estimate, (x_arr, y_arr), f"the {name} estimate on the data"),
                        paired=paired, n_permutations=n_permutations, generator=generator, progress=progress)


def _energy_test(x: np.ndarray, y: np.ndarray, estimate: float, *, paired: bool, n_permutations: int,
                 generator: np.random.Generator, progress: Progress | None) -> TestResult:
    """The energy-statistic test of x and y (numbers), with the estimate reported beside it."""
    from ._energy import distance_covariance, energy_distance

    for arg, arr in (("x", x), ("y", y)):
        if arr.dtype.kind not in "biuf":
            raise InvalidInputError(f"statistic='energy' needs numbers; {arg} has dtype {arr.dtype} "
                                    "(use statistic='estimate' for symbols)")
    samples = [as_samples(x, "x"), as_samples(y, "y")]
    if paired:
        if samples[0].shape[0] != samples[1].shape[0]:
            raise InvalidInputError(f"x and y must have the same number of rows (paired samples), "
                                    f"got {samples[0].shape[0]} and {samples[1].shape[0]}")
        value, nulls, _ = distance_covariance(samples[0], samples[1], n_permutations, generator, progress)
        what = "distance covariance"
    else:
        value, nulls = energy_distance(samples[0], samples[1], n_permutations, generator, progress)
        what = "energy distance"
    # A re-split that equals the data's split gives the same value up to rounding: it must count.
    exceed = int(np.count_nonzero(nulls >= value - 1e-12 * (1.0 + abs(value))))
    return TestResult(value, (1 + exceed) / (1 + n_permutations), n_permutations, estimate, what)
