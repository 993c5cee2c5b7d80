"""Drift between datasets: has the current data moved away from the reference, column by column, and is it real?

Fit the reference once (:func:`profile`: bins at its quantiles, its categories, counts, with
missing values and infinities in bins of their own), save it as plain JSON
(:meth:`Profile.save`, :func:`load`), and compare later data with it (:func:`compare`):
every section-1 divergence on the binned counts, with an exact permutation p-value, per
column and per time window.

>>> import numpy as np, pyarrow as pa, divergences as dv
>>> rng = np.random.default_rng(0)
>>> reference = pa.table({"x": rng.normal(size=5000), "y": rng.normal(size=5000)})
>>> current = pa.table({"x": rng.normal(size=5000), "y": rng.normal(0.5, 1.0, size=5000)})
>>> report = dv.drift.compare(dv.drift.profile(reference), current, random_state=0)
>>> report.drifted_columns
['y']
"""

from ._compare import compare
from ._fit import profile
from ._multivariate import multivariate
from ._profile import ColumnProfile, Profile, load
from ._report import Report

__all__ = ["ColumnProfile", "Profile", "Report", "compare", "load", "multivariate", "profile"]
