"""Profiles: a table's columns binned once (edges or categories) with their counts, saved as plain JSON.

A :class:`Profile` is all that drift needs of the reference: per column its kind, its bins
(interior edges of open bins at the reference's quantiles, or its categories, most frequent
first) and how many rows fell in each bin, including the missing values and the infinities,
which have bins of their own. ``profile(batch, like=ref)`` counts a later batch on the
reference's bins (categories the reference never saw are kept by name), and profiles on the
same bins add, so a stream of batches accumulates without keeping rows.

Each column's counts are one vector, in this order (:meth:`ColumnProfile.vector`)::

    value bins | missing | +inf | -inf | unseen categories (by name)

where the value bins are ``len(edges) + 1`` open bins (numeric) or one per category and,
when the reference had more than ``max_categories``, one "other" for the rest (categorical).
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .._exceptions import InvalidInputError
from .._numpy_engine import parallel
from .._open_bins import bin_labels, fit_open_bins
from .._tally import tally
from .._validation import check_count
from . import _frames

__all__ = ["FORMAT", "VERSION", "ColumnProfile", "Profile", "category_codes", "column_counts", "each_column", "fit_frame",
           "load"]

FORMAT = "divergences.drift.profile"
VERSION = 1
SPECIAL = ("missing", "+inf", "-inf")  # the bins after the value bins, in this order
MAX_POOLED_NAMES = 10_000  # the pooled categories' names a profile keeps (to tell unseen ones apart)
T = TypeVar("T")


@dataclass(frozen=True)
class ColumnProfile:
    """One column's bins and counts (see the module docstring for the order of the counts)."""

    name: str
    kind: str  # "numeric" or "categorical"
    counts: tuple[int, ...]  # the value bins
    missing: int = 0
    posinf: int = 0
    neginf: int = 0
    edges: tuple[float, ...] = ()  # numeric: interior edges of the open bins
    categories: tuple[str, ...] = ()  # categorical: the reference's, most frequent first
    pooled: bool = False  # categorical: the reference's other categories are pooled in "other"
    others: tuple[str, ...] = ()  # categorical: the pooled categories' names (when at most MAX_POOLED_NAMES)
    unseen: Mapping[str, int] = field(default_factory=dict)  # categories the reference never saw

    @property
    def n(self) -> int:
        """Rows counted."""
        return sum(self.counts) + self.missing + self.posinf + self.neginf + sum(self.unseen.values())

    def vector(self, unseen: Sequence[str] | None = None) -> np.ndarray:
        """The counts as one int64 vector; ``unseen`` fixes the unseen categories' order (0 for absent ones)."""
        names = list(self.unseen) if unseen is None else list(unseen)
        return np.array([*self.counts, self.missing, self.posinf, self.neginf, *(self.unseen.get(u, 0) for u in names)],
                        dtype=np.int64)

    def labels(self, unseen: Sequence[str] | None = None) -> list[str]:
        """The names of the entries of :meth:`vector`."""
        if self.kind == "numeric":
            values = bin_labels(np.asarray(self.edges, dtype=np.float64))
        else:
            values = list(self.categories) + ["other"] * self.pooled
        return [*values, *SPECIAL, *(list(self.unseen) if unseen is None else unseen)]

    def same_bins(self, other: ColumnProfile) -> bool:
        return (self.kind, self.edges, self.categories, self.pooled, self.others) == (
            other.kind, other.edges, other.categories, other.pooled, other.others)

    def counted(self, vector: np.ndarray, unseen: Sequence[str]) -> ColumnProfile:
        """These bins with the counts ``vector`` (laid out as :meth:`vector` with ``unseen``)."""
        k = len(self.counts)
        v = [int(c) for c in vector]
        new_unseen = {name: c for name, c in zip(unseen, v[k + 3 :]) if c}
        return replace(self, counts=tuple(v[:k]), missing=v[k], posinf=v[k + 1], neginf=v[k + 2], unseen=new_unseen)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "numeric":
            out["edges"] = list(self.edges)
        else:
            out["categories"] = list(self.categories)
            out["pooled"] = self.pooled
            if self.others:
                out["others"] = list(self.others)
        out.update(counts=list(self.counts), missing=self.missing, posinf=self.posinf, neginf=self.neginf,
                   unseen=dict(self.unseen))
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str) -> ColumnProfile:
        try:
            kind = d["kind"]
            if kind not in ("numeric", "categorical"):
                raise ValueError(f"unknown kind {kind!r}")
            col = cls(
                name=str(d["name"]), kind=kind, counts=tuple(_count(c) for c in d["counts"]),
                missing=_count(d["missing"]), posinf=_count(d["posinf"]), neginf=_count(d["neginf"]),
                edges=tuple(float(e) for e in d.get("edges", ())), categories=tuple(str(c) for c in d.get("categories", ())),
                pooled=bool(d.get("pooled", False)), others=tuple(str(c) for c in _list(d.get("others", []), "others")),
                unseen={str(k): _count(v) for k, v in _mapping(d.get("unseen", {}), "unseen").items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInputError(f"{where}: a column entry is malformed ({exc})") from None
        expected = len(col.edges) + 1 if kind == "numeric" else len(col.categories) + col.pooled
        if len(col.counts) != expected:
            raise InvalidInputError(f"{where}: column {col.name!r} has {len(col.counts)} counts for {expected} bins")
        return col


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list, got {type(value).__name__}")
    return value


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object (name -> value), got {type(value).__name__}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ValueError(f"a count must be a non-negative integer, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Profile:
    """A table's columns binned and counted (see :func:`profile`); ``save`` writes plain JSON.

    ``n_rows``: rows counted; ``skipped``: columns left out, with the reason (date and time
    columns); ``bins``, ``max_categories``: the settings the bins were fitted with.
    """

    columns: Mapping[str, ColumnProfile]
    n_rows: int
    bins: Any = 10
    max_categories: int = 50
    skipped: Mapping[str, str] = field(default_factory=dict)
    quantiles: str = "exact"  # how the edges were found: "exact", or "approximate (the engine's)" on Dask and Spark

    def __add__(self, other: object) -> Profile:
        """The counts of two profiles on the same bins, added (a stream of batches)."""
        if not isinstance(other, Profile):
            return NotImplemented
        if list(self.columns) != list(other.columns):
            raise InvalidInputError(f"profiles to add must have the same columns: {list(self.columns)} and {list(other.columns)}")
        merged = {}
        for name, a in self.columns.items():
            b = other.columns[name]
            if not a.same_bins(b):
                raise InvalidInputError(f"column {name!r}: profiles to add must share bins: make the second with like=the first")
            unseen = list(dict.fromkeys([*a.unseen, *b.unseen]))
            merged[name] = a.counted(a.vector(unseen) + b.vector(unseen), unseen)
        return replace(self, columns=merged, n_rows=self.n_rows + other.n_rows)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "n_rows": self.n_rows, "bins": self.bins,
                "max_categories": self.max_categories, "quantiles": self.quantiles, "skipped": dict(self.skipped),
                "columns": [c.to_dict() for c in self.columns.values()]}

    def to_json(self) -> str:
        """The profile as JSON text (every number exact: floats are written to round-trip)."""
        d = self.to_dict()
        columns = d.pop("columns")
        head = json.dumps(d, allow_nan=False)[:-1]  # one line per column: readable, and short
        body = ",\n  ".join(json.dumps(c, allow_nan=False) for c in columns)
        return f'{head}, "columns": [\n  {body}\n]}}'


    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile to ``path`` as JSON (never pickle); :func:`load` reads it back."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, d: object, where: str = "profile") -> Profile:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise InvalidInputError(f"{where} is not a divergences drift profile (no \"format\": \"{FORMAT}\")")
        version = d.get("version")
        if type(version) is not int or version != VERSION:
            raise InvalidInputError(f"{where} is a profile of version {version!r}; this release reads version {VERSION}")
        try:
            entries = _list(d["columns"], "columns")
            if not entries:
                raise ValueError("it has no column")
            cols = [ColumnProfile.from_dict(c if isinstance(c, dict) else {}, where) for c in entries]
            skipped = {str(k): str(v) for k, v in _mapping(d.get("skipped", {}), "skipped").items()}
            return cls(columns={c.name: c for c in cols}, n_rows=_count(d["n_rows"]), bins=d.get("bins", 10),
                       max_categories=_count(d.get("max_categories", 50)), skipped=skipped,
                       quantiles=str(d.get("quantiles", "exact")))
        except (KeyError, ValueError) as exc:
            raise InvalidInputError(f"{where}: malformed ({exc})") from None


def load(path: str | os.PathLike[str]) -> Profile:
    """A profile saved by :meth:`Profile.save`.

    Examples
    --------
    >>> import os, tempfile, pyarrow as pa, divergences as dv
    >>> ref = dv.drift.profile(pa.table({"x": [1.0, 2.0, 3.0, 4.0]}), bins=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "ref.json")
    >>> ref.save(path)
    >>> dv.drift.load(path) == ref
    True
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"profile: no such file: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"profile {p} is not JSON ({exc})") from None
    return Profile.from_dict(data, f"profile {p}")


def _names(value: object, option: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise InvalidInputError(f"{option} must be a column name or a list of them, got {value!r}")
    return [str(v) for v in value]


def fit_frame(
    df: Any,
    *,
    columns: object = None,
    categorical: object = None,
    bins: object = 10,
    max_categories: object = 50,
    like: Profile | None = None,
) -> Profile:
    """:func:`divergences.drift.profile` of an eager narwhals frame ``df``."""
    if like is not None:
        if not isinstance(like, Profile):
            raise InvalidInputError(f"like must be a Profile (from dv.drift.profile or dv.drift.load), got {type(like).__name__}")
        present = set(df.columns)
        for name in like.columns:
            if name not in present:
                raise InvalidInputError(f"column {name!r} of the reference profile is missing from data")
        def count(name: str) -> ColumnProfile:
            col = like.columns[name]
            return col.counted(*column_counts(df[name], col))

        counted = dict(zip(like.columns, each_column(list(like.columns), count, int(df.shape[0]))))
        return replace(like, columns=counted, n_rows=int(df.shape[0]))
    n_categories = check_count(max_categories, "max_categories")
    if not isinstance(bins, (str, numbers.Integral)) or isinstance(bins, bool):
        bins = [float(e) for e in np.asarray(bins, dtype=np.float64).ravel()]
    chosen = _names(columns, "columns")
    forced = set(_names(categorical, "categorical") or ())
    for name in [*(chosen or ()), *forced]:
        if name not in df.columns:
            raise InvalidInputError(f"column {name!r} is not in the reference (its columns: {', '.join(df.columns)})")
    kinds, skipped = {}, {}
    for name in chosen or df.columns:
        kind = _frames.column_kind(df[name], name in forced)
        if kind == "datetime":
            reason = "dates and times are not compared (time moves by design): use it as time_column= to cut windows"
            if chosen is not None:
                raise InvalidInputError(f"column {name!r}: {reason}")
            skipped[name] = reason
        elif kind is None:
            raise InvalidInputError(f"column {name!r} has type {df[name].dtype}, which cannot be binned: "
                                    "leave it out with columns=, or cast it")
        else:
            kinds[name] = kind
    fitted = each_column(list(kinds), lambda name: _fit_numeric(df[name], name, bins) if kinds[name] == "numeric"
                         else _fit_categorical(df[name], name, n_categories), int(df.shape[0]))
    profiles = dict(zip(kinds, fitted))
    if not profiles:
        raise InvalidInputError("the reference has no column to compare: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    return Profile(columns=profiles, n_rows=int(df.shape[0]), bins=bins, max_categories=n_categories, skipped=skipped)


def _fit_numeric(series: Any, name: str, bins: object) -> ColumnProfile:
    edges, counts = fit_open_bins(_frames.numbers(series, name), bins, name=f"column {name!r}")
    k = edges.size + 1
    return ColumnProfile(name=name, kind="numeric", counts=tuple(int(c) for c in counts[:k]), missing=int(counts[k]),
                         posinf=int(counts[k + 1]), neginf=int(counts[k + 2]), edges=tuple(float(e) for e in edges))


def _fit_categorical(series: Any, name: str, max_categories: int) -> ColumnProfile:
    text, missing = _frames.labels(series)
    present = text.filter(_frames.mask_series(~missing, text)) if missing.any() else text
    pairs = sorted(((str(v), int(c)) for v, c in present.value_counts().iter_rows()), key=lambda vc: (-vc[1], vc[0]))
    kept, rest = pairs[:max_categories], pairs[max_categories:]
    col = ColumnProfile(name=name, kind="categorical", counts=(0,) * (len(kept) + bool(rest)),
                        categories=tuple(v for v, _ in kept), pooled=bool(rest),
                        others=tuple(v for v, _ in rest) if len(rest) <= MAX_POOLED_NAMES else ())
    codes, _ = category_codes(series, col)
    return col.counted(np.bincount(codes, minlength=len(col.counts) + 3), ())


def each_column(names: list[str], work: Callable[[str], T], n_rows: int) -> list[T]:
    """``work(name)`` for every column, the columns spread over the cores (sorting and binning
    release the GIL), results in the order of ``names``."""
    results: list[Any] = [None] * len(names)

    def run(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            results[i] = work(names[i])

    parallel(run, len(names), len(names) * n_rows, balance=True)  # columns of unequal cost
    return results


def column_counts(series: Any, col: ColumnProfile, groups: np.ndarray | None = None,
                  n_groups: int = 1) -> tuple[np.ndarray, list[str]]:
    """``col``'s counts vector of a column (with ``groups``, each row's window: a
    ``(n_groups, entries)`` table), and the unseen categories. Numeric columns are counted by
    ``_tally.tally`` with no code per row; categories through :func:`category_codes`."""
    if col.kind == "numeric":
        counted = tally(_frames.numbers(series, col.name), np.asarray(col.edges, dtype=np.float64), groups, n_groups)
        return counted, []
    codes, unseen = category_codes(series, col)
    width = len(col.counts) + 3 + len(unseen)
    if groups is None:
        return np.bincount(codes, minlength=width), unseen
    return np.bincount(groups * width + codes, minlength=n_groups * width).reshape(n_groups, width), unseen


def category_codes(series: Any, col: ColumnProfile) -> tuple[np.ndarray, list[str]]:
    """Each row's entry of a categorical ``col``'s counts vector (see :meth:`ColumnProfile.vector`),
    and the names of the unseen categories the codes past the special bins stand for, most
    frequent first."""
    k = len(col.counts)
    codes: np.ndarray
    nw = _frames._narwhals()
    text, missing = _frames.labels(series)
    known = list(col.categories) + list(col.others)  # the pooled ones' code: the "other" bin, k - 1
    if known:
        codes = np.asarray(text.replace_strict(known, list(range(len(col.categories))) + [k - 1] * len(col.others),
                                               default=-1, return_dtype=nw.Int64).to_numpy(), dtype=np.int64).copy()
    else:  # a reference with no value at all (all missing)
        codes = np.full(len(missing), -1, dtype=np.int64)
    codes[missing] = k
    outside = codes < 0
    if not outside.any():
        return codes, []
    if col.pooled and not col.others:  # too many pooled names to keep: any other value is "other"
        codes[outside] = k - 1
        return codes, []
    strangers = text.filter(_frames.mask_series(outside, text))
    pairs = sorted(((str(v), int(c)) for v, c in strangers.value_counts().iter_rows()), key=lambda vc: (-vc[1], vc[0]))
    unseen = [v for v, _ in pairs]
    codes[outside] = k + 3 + np.asarray(strangers.replace_strict(unseen, list(range(len(unseen))),
                                                                 return_dtype=nw.Int64).to_numpy(), dtype=np.int64)
    return codes, unseen
