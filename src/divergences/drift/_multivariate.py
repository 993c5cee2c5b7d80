"""A dataset-level drift verdict on several numeric columns together: k-NN divergence with a permutation p-value.

Column by column, drift in the joint distribution is invisible: two columns whose correlation
flips from +0.8 to -0.8 keep their marginals. :func:`multivariate` compares the rows of the
chosen columns as points: both sides are subsampled (``sample`` rows each, stated in the
result), standardised by the reference's means and standard deviations (so that no column's
unit dominates the distances); the value is the library's k-NN Jensen-Shannon (or KL)
estimate, and the p-value that of the energy-distance permutation test (``dv.estimate.test``:
rows of both sides pooled and split again at random), far more powerful than a test on the
noisy k-NN estimate itself. Rows with a missing or infinite value in a chosen column are left
out and counted (``dropped``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._exceptions import InvalidInputError
from .._validation import check_count
from ..estimate import test as permutation_test
from . import _frames
from ._lazy import lazy_frame
from ._significance import check_level

__all__ = ["multivariate"]

DEFAULT_THRESHOLDS = {"js": 0.02, "kl": 0.05}  # nats: above the k-NN estimators' noise at a few thousand rows


def _rows(data: object, columns: list[str], name: str) -> tuple[np.ndarray, int]:
    if lazy_frame(data) is not None:
        raise InvalidInputError(f"{name}: multivariate drift needs rows; collect a sample of the lazy frame first")
    df = _frames.frame(data, name)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InvalidInputError(f"column {missing[0]!r} is not in {name}")
    kinds = {c: _frames.column_kind(df[c], False) for c in columns}
    for c, kind in kinds.items():
        if kind != "numeric" and not df[c].dtype.is_numeric():
            raise InvalidInputError(f"column {c!r} is not numeric: multivariate drift compares numeric columns")
    points = np.column_stack([_frames.numbers(df[c], c) for c in columns])
    keep = np.isfinite(points).all(axis=1)
    return points[keep], int(points.shape[0] - keep.sum())


def multivariate(
    reference: object,
    current: object,
    columns: list[str],
    *,
    metric: str = "js",
    sample: int = 2000,
    n_permutations: int = 200,
    threshold: float | None = None,
    alpha: float = 0.05,
    k: int = 5,
    random_state: Any = None,
) -> dict[str, Any]:
    """Has the joint distribution of ``columns`` moved? One verdict for the columns together.

    Parameters
    ----------
    reference, current : data frame or path
        pandas, Polars or PyArrow frames, or .csv / .parquet files (rows are needed: not a profile).
    columns : list of str
        Two or more numeric columns.
    metric : {"js", "kl"}, default "js"
        The k-NN estimator of ``dv.estimate`` that gives the value (nats).
    sample : int, default 2000
        Rows drawn at random from each side (all rows when fewer).
    n_permutations : int, default 200
        Permutations of the test; the smallest p-value is ``1 / (1 + n_permutations)``.
    threshold : float, optional
        The effect that matters (default: 0.02 nats for JS, 0.05 for KL: above the estimators' noise).
    alpha : float, default 0.05
    k : int, default 5
        Neighbours of the estimator.
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    dict
        ``columns, metric, method, value, pvalue, threshold, drifted, n_reference, n_current,
        sample, dropped_reference, dropped_current``.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa, divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> before = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=1500)
    >>> after = rng.multivariate_normal([0, 0], [[1, -0.8], [-0.8, 1]], size=1500)
    >>> ref, cur = (pa.table({"a": x[:, 0], "b": x[:, 1]}) for x in (before, after))
    >>> result = dv.drift.multivariate(ref, cur, ["a", "b"], n_permutations=50, random_state=0)
    >>> result["drifted"], result["pvalue"] < 0.05
    (True, True)
    """
    if isinstance(columns, str) or not isinstance(columns, (list, tuple)) or len(columns) < 2:
        raise InvalidInputError(f"columns must be a list of two or more numeric columns, got {columns!r}")
    if metric not in DEFAULT_THRESHOLDS:
        raise InvalidInputError(f"metric must be 'js' or 'kl' (k-NN estimators), got {metric!r}")
    check_count(sample, "sample (rows per side)", 10)
    alpha = check_level(alpha)
    limit = DEFAULT_THRESHOLDS[metric] if threshold is None else float(threshold)
    if not (limit >= 0 and math.isfinite(limit)):
        raise InvalidInputError(f"threshold must be a finite number >= 0, got {threshold!r}")
    names = [str(c) for c in columns]
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    x, dropped_x = _rows(reference, names, "reference")
    y, dropped_y = _rows(current, names, "current")
    if min(x.shape[0], y.shape[0]) < k + 2:
        raise InvalidInputError(f"too few complete rows to compare (reference {x.shape[0]}, current {y.shape[0]}; "
                                f"the estimator needs more than k + 1 = {k + 1})")
    x = x[rng.choice(x.shape[0], sample, replace=False)] if x.shape[0] > sample else x
    y = y[rng.choice(y.shape[0], sample, replace=False)] if y.shape[0] > sample else y
    centre, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column: left in its own unit
    x, y = (x - centre) / scale, (y - centre) / scale
    # Repeated rows (integer columns, a table against itself) would make k-NN distances 0: a
    # jitter of 1e-6 standard deviations tells them apart (both sides alike, so the test stays exact).
    x, y = x + 1e-6 * rng.standard_normal(x.shape), y + 1e-6 * rng.standard_normal(y.shape)
    result = permutation_test(x, y, metric, n_permutations=n_permutations, random_state=rng, k=k)
    value, pvalue = float(result.estimate), float(result.pvalue)
    return {"columns": names, "metric": metric,
            "method": f"k-NN estimate (k = {k}) on columns standardised by the reference (jitter 1e-6 sd); "
                      "energy-distance permutation test",
            "value": value, "pvalue": pvalue, "threshold": limit, "drifted": bool(value >= limit and pvalue < alpha),
            "n_reference": int(x.shape[0]), "n_current": int(y.shape[0]), "sample": int(sample),
            "dropped_reference": dropped_x, "dropped_current": dropped_y, "n_permutations": int(n_permutations)}
