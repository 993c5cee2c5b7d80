"""Is a drift real? Exact permutation p-values on binned counts, and corrections across columns.

Under "no drift" the reference rows and the current rows are exchangeable: given the pooled
counts ``r + c`` of each bin, the current side is a draw of ``n_c`` rows without replacement
from the pooled table, a multivariate hypergeometric draw of the bins' counts (O(bins) per
draw, whatever the rows). Each metric is computed on the observed table and on every drawn
one (the existing batched functions, one call); the p-value is
``(1 + #{drawn >= observed}) / (1 + n_permutations)``, exact in the sense of a permutation
test (never below its true level) for any metric and any pair of sample sizes, and needing
nothing but the counts, so a saved profile suffices.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from .._exceptions import InvalidInputError

__all__ = ["CORRECTIONS", "adjust", "check_level", "permutation_summary", "permutation_tables"]

CORRECTIONS = ("holm", "bh")
_TIES = 1e-9  # a drawn value within this relative distance of the observed one counts as a tie (>=)


def check_level(alpha: object) -> float:
    """A significance level: a number strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 < float(alpha) < 1.0:
        raise InvalidInputError(f"alpha must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def permutation_tables(reference: np.ndarray, current: np.ndarray, n_permutations: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The observed counts and ``n_permutations`` tables drawn under "no drift": reference and
    current counts, shape ``(1 + n_permutations, bins)``, the observed table first."""
    if n_permutations == 0:
        return reference[None, :], current[None, :]
    pooled = reference + current
    drawn = rng.multivariate_hypergeometric(pooled, int(current.sum()), size=n_permutations)
    cur = np.vstack([current[None, :], drawn])
    return pooled[None, :] - cur, cur


def permutation_summary(values: np.ndarray) -> tuple[float, float | None, float | None]:
    """A metric's values on :func:`permutation_tables` (observed first): the observed value, its
    p-value and its mean over the drawn tables (the value expected with no drift at these
    sample sizes: divergences of small samples are biased up); None for both without draws."""
    observed = float(values[0])
    drawn = values[1:]
    if drawn.size == 0:
        return observed, None, None
    at_least = np.count_nonzero(drawn >= observed - _TIES * abs(observed)) if math.isfinite(observed) else \
        np.count_nonzero(drawn == observed)
    return observed, float((1.0 + at_least) / (1.0 + drawn.size)), float(np.mean(drawn))


def adjust(pvalues: Sequence[float], method: str) -> list[float]:
    """P-values adjusted for testing them together: Holm's step-down (family-wise error) or
    Benjamini-Hochberg's step-up (false discovery rate)."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif method == "bh":
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
        adjusted = np.minimum(1.0, adjusted)
    else:
        raise InvalidInputError(f"correction must be None, 'holm' or 'bh'; got {method!r}")
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()
