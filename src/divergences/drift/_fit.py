"""``profile``: the one entry that fits a reference (or counts a batch on one), eager frame, file or lazy engine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._exceptions import InvalidInputError
from .._validation import check_count
from . import _frames
from ._lazy import lazy_counts, lazy_frame, lazy_profile
from ._profile import Profile, _names, fit_frame

__all__ = ["profile"]


def profile(
    data: object,
    *,
    columns: object = None,
    categorical: object = None,
    bins: object = 10,
    max_categories: object = 50,
    like: Profile | None = None,
) -> Profile:
    """Bin a table's columns and count them: the reference side of drift, fitted once.

    Parameters
    ----------
    data : pandas / Polars / PyArrow data frame, or str / path-like
        The table, or a .csv / .parquet file.
    columns : str or list of str, optional
        The columns to profile (default: all, but date and time columns, which are listed in
        ``Profile.skipped``).
    categorical : str or list of str, optional
        Columns to treat as categories whatever their type (integers with at most 20
        distinct values, strings, booleans and categoricals are categories anyway).
    bins : int or str or array_like, default 10
        Bins of numeric columns: ``k`` bins at the reference's quantiles (equal quantiles
        merge; an atom such as a frequent 0 gets its own bin), a rule, or interior edges; the
        outer bins are open, so no later value falls outside (``_open_bins.reference_edges``).
    max_categories : int, default 50
        The most frequent categories kept per column; the rest are pooled as "other" (their
        names are kept, up to 10 000, so that a category the reference never saw is still
        told apart from a pooled one).
    like : Profile, optional
        Count ``data`` on this profile's bins instead (a current batch); categories it never
        saw are kept by name. ``columns``, ``categorical``, ``bins`` and ``max_categories``
        then come from it.

    Returns
    -------
    Profile

    Examples
    --------
    >>> import numpy as np, pyarrow as pa, divergences as dv
    >>> table = pa.table({"amount": np.arange(100.0), "country": ["fr", "de", "fr", "it"] * 25})
    >>> ref = dv.drift.profile(table, bins=4)
    >>> ref.columns["amount"].counts, ref.columns["country"].categories
    ((25, 25, 25, 25), ('fr', 'de', 'it'))
    """
    lazy = lazy_frame(data)
    if lazy is None:
        df = _frames.frame(data, "data" if like is not None else "reference")
        return fit_frame(df, columns=columns, categorical=categorical, bins=bins, max_categories=max_categories,
                         like=like)
    if like is not None:
        if not isinstance(like, Profile):
            raise InvalidInputError(f"like must be a Profile (from dv.drift.profile or dv.drift.load), got {type(like).__name__}")
        counts, _ = lazy_counts(lazy, like, None, None, None)
        n_rows = int(lazy.select(_frames._narwhals().len()).collect().item())
        return replace(like, columns={k: c.col.counted(c.table[0], c.unseen) for k, c in counts.items()}, n_rows=n_rows)
    return lazy_profile(lazy, _names(columns, "columns"), set(_names(categorical, "categorical") or ()),
                        list(np.asarray(bins, dtype=np.float64)) if not isinstance(bins, (str, int)) else bins,
                        check_count(max_categories, "max_categories"))
