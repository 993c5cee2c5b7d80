"""The public sample estimators: entropy, kl, js, mutual_information and the permutation test.

Each function checks nothing itself: it documents the options, gathers them and hands them to
the one path every estimate takes (:func:`divergences.estimate._pipeline.run`); :func:`test`
hands its estimator to :func:`divergences.estimate._uncertainty.estimator_test`. The functions
are re-exported by :mod:`divergences.estimate` and carry that module's name, so ``help()``,
the documentation and the doctests find them there.
"""

from __future__ import annotations

from typing import Any

from .._exceptions import InvalidInputError
from ..distributions._scipy import is_distribution
from . import _pipeline
from ._uncertainty import Estimate, TestResult, estimator_test

__all__ = ["entropy", "js", "kl", "mutual_information", "test"]

#: The metrics :func:`test` takes: estimators of two samples.
_TEST_METRICS = ("kl", "js", "mutual_information")


def entropy(
    x: Any,
    *,
    method: str = "knn",
    k: int | None = None,
    base: float | None = None,
    bins: Any = None,
    bandwidth: Any = None,
    evaluation: str | None = None,
    support: tuple[float | None, float | None] | None = None,
    alphabet_size: int | None = None,
    ties: str = "auto",
    ci: float | None = None,
    n_resamples: int = 200,
    random_state: Any = None,
) -> float | Estimate:
    r"""Entropy of the distribution that generated the samples ``x``.

    Continuous samples give the differential entropy (``method`` "knn", "knn_weighted", "kde", "histogram",
    "spacing");
    discrete samples (symbols: numbers, strings, or rows of a 2-D array) give the Shannon
    entropy (``method`` "plugin", "miller_madow", "chao_shen", "grassberger", "nsb").

    - ``"knn"``: Kozachenko-Leonenko, :math:`\psi(n) - \psi(k) + \log c_d + \frac{d}{n}\sum_i \log \rho_k(i)`
      with :math:`\rho_k(i)` the Euclidean distance from :math:`x_i` to its k-th neighbour and
      :math:`c_d` the volume of the unit ball.
    - ``"knn_weighted"``: a weighted average of the k-NN estimates at k = 1..K (``k``, default
      32) whose weights cancel the leading bias terms (Berrett, Samworth and Yuan 2019, in a
      relaxed form that stays stable in high dimension): the lowest RMSE measured at d >= 15.
    - ``"kde"``: minus the mean log of a Gaussian kernel density estimate, leave-one-out at each
      point (``evaluation="resubstitution"``) or integrated (``"integration"``, 1-D).
    - ``"histogram"``: the plug-in entropy of the counts plus the log of the bin widths.
    - ``"spacing"`` (1-D): Ebrahimi's m-spacing estimate from the sorted sample, the most
      accurate here in one dimension (RMSE 2-5x below k = 1 k-NN on bounded and unbounded laws).
    - ``"auto"``: the method (and k) with the lowest RMSE for the sample size and dimension in
      the measured table ``docs/estimator-rmse.md``, at or below the best peer's in every cell
      (``divergences.estimate._methods.auto`` states the rule); symbols: the discrete estimator.
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
    support : (low, high), optional
        "kde" in one dimension: the interval the data live on, as in :func:`kl`.
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
    return _pipeline.run(
        "entropy",
        x,
        method=method,
        options={"k": k, "bins": bins, "bandwidth": bandwidth, "evaluation": evaluation, "support": support,
                 "alphabet_size": alphabet_size},
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
    support: tuple[float | None, float | None] | None = None,
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
    - ``"knn_weighted"``: a weighted ensemble of the estimates at k = 1..K (``k``, default 32)
      whose weights cancel the leading bias terms (Moon, Sricharan, Greenewald and Hero 2018):
      the lowest RMSE measured at d = 3-14 with n >= 3000.
    - ``"kde"``: :math:`\frac1n\sum_i \log \hat p(x_i) - \log \hat q(x_i)` with Gaussian kernel
      density estimates, :math:`\hat p` leave-one-out (``evaluation="resubstitution"``), or the
      integral of the two estimates (``"integration"``, 1-D).
    - ``"histogram"``: the plug-in KL of the counts on common bins; an empty bin of y where x
      has counts makes it inf unless ``smoothing`` adds a pseudo-count to every bin.
    - ``"discrete"``: the plug-in KL of discrete samples' frequencies.
    - ``"auto"``: the method (and k) with the lowest RMSE for the sample size and dimension in
      the measured table ``docs/estimator-rmse.md``, at or below the best peer's in every cell
      (``divergences.estimate._methods.auto`` states the rule); symbols: the discrete estimator.

    ``y`` a distribution object (``dv.Normal(0, 1)``, ``scipy.stats.norm()``, ...): the
    cross-entropy term is exact in expectation, :math:`-\frac{1}{n} \sum_i \log q(x_i)`, and
    only the entropy of P is estimated (by ``method``: "knn", "knn_weighted", "kde", "histogram" or
    "spacing"), which is
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
    support : (low, high), optional
        "kde" in one dimension: the interval the data live on, an end None where it is open,
        e.g. ``(0, 1)`` or ``(0, None)``. Each kernel's mass beyond an end is reflected back
        inside (Schuster's boundary correction), which removes the estimate's bias at the
        edge of a bounded support (entropy of U(0, 1), n = 10^4: +0.044 nats without, +0.0004
        with). Every value must lie inside.
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
    options = {"k": k, "bins": bins, "smoothing": smoothing, "bandwidth": bandwidth, "evaluation": evaluation,
               "support": support}
    if is_distribution(y):
        return _pipeline.kl_to_density(
            x, y, method=method, options=options, ties=ties, base=base, clip=clip, ci=ci,
            n_resamples=n_resamples, random_state=random_state,
        )  # fmt: skip
    return _pipeline.run(
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
    support: tuple[float | None, float | None] | None = None,
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
    bins, smoothing, bandwidth, evaluation, support, ties, clip, ci, n_resamples, random_state
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
    return _pipeline.run(
        "js",
        x,
        y,
        method=method,
        options={"k": k, "bins": bins, "smoothing": smoothing, "bandwidth": bandwidth, "evaluation": evaluation,
                 "support": support},
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
    - ``"lnc"``: algorithm 2 with the local non-uniformity correction of Gao, Ver Steeg and
      Galstyan (2015): where a point's neighbours fill a much thinner box along their
      principal axes than the max-norm box, the density is not locally uniform and the log of
      the volume ratio is added back. For strong dependence in several dimensions, where KSG
      is biased low by nats (5 coordinate pairs of correlation 0.9, n = 1000: KSG -1.5 on a
      truth of 4.15, LNC -0.16). k defaults to max(5, 2 (dx + dy)) and must exceed dx + dy.
    - ``"mixed"``: Ross (2014) for a continuous x and a discrete y (class labels).
    - ``"discrete"``: the plug-in MI of the contingency table of two discrete samples.
    - ``"auto"``: the method (and k) with the lowest RMSE for the sample size and dimension in
      the measured table ``docs/estimator-rmse.md``, at or below the best peer's in every cell
      (``divergences.estimate._methods.auto`` states the rule); symbols: the discrete estimator.

    With ``ties="auto"`` a side of symbols (few values on a coarse grid) switches the k-NN
    methods to "mixed", or to "discrete" when both are; a rounded side is dequantised. Estimates can be negative for independent variables; they are returned as they are
    (``clip=True`` returns 0), and :func:`test` gives a permutation p-value for independence.

    Parameters
    ----------
    x, y : array_like, shapes (n,) or (n, dx) and (n,) or (n, dy)
        Paired samples: row i of x goes with row i of y.
    method : str, default "ksg"
        The estimator.
    k : int, optional
        The neighbour (default 3, as scikit-learn; for "lnc", max(5, 2 (dx + dy))).
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
    return _pipeline.run(
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


def test(
    x: Any,
    y: Any,
    metric: str = "kl",
    *,
    statistic: str | None = None,
    n_permutations: int = 200,
    random_state: Any = None,
    **options: Any,
) -> TestResult:
    r"""Permutation test of "no difference" (kl, js) or "independence" (mutual_information), with the estimate.

    For ``kl`` and ``js`` the rows of x and y are pooled and split again at random (null: one
    distribution); for ``mutual_information`` the rows of y are permuted against x (null:
    independence). The p-value ``(1 + #{permuted >= observed}) / (1 + n_permutations)``
    counts the data as one of the permutations, which makes the test exact and keeps it above 0.

    The test statistic (``statistic``):

    - ``"energy"`` (the default for numbers): the energy distance of Székely and Rizzo for two
      samples, the distance covariance for paired ones, on coordinates scaled by their pooled
      standard deviation. Their noise is of order 1/n, so the test has power where a k-NN
      estimate is too noisy: at n = 500 per side, 1-D normals 0.3 apart, it rejects at
      alpha = 0.05 in about 95% of pairs, the k = 1 KL estimate as statistic in about 7%.
      ``dv.estimate.<metric>(x, y, **options)`` is computed once and reported beside it.
    - ``"estimate"``: the estimate itself is the statistic, recomputed on every permutation
      (the default with ``method="discrete"`` or ``"mixed"``, or ``ties="discrete"``, where
      the samples are symbols).

    Parameters
    ----------
    x, y : array_like, shape (n,) or (n, d)
        Samples (for ``mutual_information``, paired rows: y may be labels for
        ``method="mixed"`` or ``"discrete"``). ``y`` cannot be a distribution object: a
        permutation test needs samples of both sides.
    metric : {"kl", "js", "mutual_information"}
        The divergence estimated and reported.
    statistic : {"energy", "estimate"} or None
        The test statistic; None chooses as above.
    n_permutations : int, default 200
        Number of random permutations; the smallest p-value is ``1 / (n_permutations + 1)``.
    random_state : int, numpy Generator or None
        Seed of the permutations (and of the estimator's own randomness, the same for every
        permutation).
    **options
        Passed to the estimator: ``method``, ``k``, ``base``, ``ties``, ... (not ``ci``).

    Returns
    -------
    TestResult
        ``(statistic, pvalue, n_permutations, estimate, statistic_name)``.

    Raises
    ------
    InvalidInputError
        An unknown metric, statistic or option, bad counts or seed, y a distribution,
        mismatched samples, symbols with ``statistic="energy"``, or an estimator failure on
        the data or a permutation.

    Examples
    --------
    >>> import numpy as np, divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, size=300), rng.normal(0.3, 1.0, size=300)  # KL = 0.045
    >>> result = dv.estimate.test(x, y, "kl", k=5, n_permutations=99, random_state=1)
    >>> result.statistic_name, result.pvalue  # no permutation beat the data: the smallest p, 1 / (99 + 1)
    ('energy distance', 0.01)
    >>> round(result.estimate, 2)  # the KL estimate (k = 5) beside the test: noisy at n = 300
    0.03
    >>> dv.estimate.test(x, rng.normal(0.0, 1.0, size=300), n_permutations=99, random_state=1).pvalue > 0.05
    True
    """
    if metric not in _TEST_METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(map(repr, _TEST_METRICS))}, got {metric!r}")
    estimator = {"kl": kl, "js": js, "mutual_information": mutual_information}[metric]
    return estimator_test(
        estimator, x, y, name=metric, paired=metric == "mutual_information",
        n_permutations=n_permutations, random_state=random_state, options=options, statistic=statistic,
    )  # fmt: skip


test.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test

# Documented, listed and doctested as divergences.estimate.<name>, where users find them.
for _public in (entropy, kl, js, mutual_information, test):
    _public.__module__ = __name__.rpartition(".")[0]
del _public
