"""Drift between datasets (``dv.drift``, API.md section 6): binning, values, significance,
profiles, frames, windows, edge cases and bad input.

References are independent of the code under test: bins are checked with a plain loop over
the definition ``e_{i-1} < v <= e_i`` (and ``np.searchsorted``), edges with ``np.quantile``,
values with numpy formulas of section 1 on the smoothed shares, permutation p-values with
the exact hypergeometric distribution (``scipy.stats.hypergeom``) and a calibration count,
corrections with a hand-written Holm and ``scipy.stats.false_discovery_control``, windows
with Python ``datetime`` arithmetic and with ``compare`` on the window's rows alone.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import numpy as np
import pytest

import divergences as dv

pytest.importorskip("narwhals")
pa = pytest.importorskip("pyarrow")

LN2 = math.log(2.0)
SPECIAL = ("missing", "+inf", "-inf")
SYMMETRIC = ("psi", "js_distance", "hellinger", "total_variation")


# ----------------------------------------------------------------------------- references


def open_bin(v: float, edges) -> int:
    """The open bin of a finite v by the definition: i where e_{i-1} < v <= e_i."""
    for i, e in enumerate(edges):
        if v <= e:
            return i
    return len(edges)


def numeric_counts(values, edges) -> list[int]:
    """value bins | missing | +inf | -inf, by a plain loop."""
    out = [0] * (len(edges) + 4)
    k = len(edges) + 1
    for v in values:
        if v is None or math.isnan(v):
            out[k] += 1
        elif v == math.inf:
            out[k + 1] += 1
        elif v == -math.inf:
            out[k + 2] += 1
        else:
            out[open_bin(v, edges)] += 1
    return out


def categorical_counts(values, categories) -> tuple[list[int], dict[str, int]]:
    """category bins | missing | +inf | -inf, and the unseen categories with their counts."""
    tally = Counter("\0missing" if v is None else str(v) for v in values)
    counts = [tally.pop(c, 0) for c in categories] + [tally.pop("\0missing", 0), 0, 0]
    return counts, dict(tally)


def shares(r, c, smoothing):
    """The smoothed shares of the bins that hold a row on either side."""
    r, c = np.asarray(r, dtype=np.float64), np.asarray(c, dtype=np.float64)
    active = (r > 0) | (c > 0)
    p, q = r[active] + smoothing, c[active] + smoothing
    return p / p.sum(), q / q.sum()


def _kl(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    on = p > 0
    if np.any(q[on] == 0):
        return math.inf
    return float(np.sum(p[on] * np.log(p[on] / q[on])))


def _psi(p, q):
    return _kl(p, q) + _kl(q, p)


def _js_distance(p, q):
    m = 0.5 * (p + q)
    return math.sqrt(max(0.0, 0.5 * _kl(p, m) + 0.5 * _kl(q, m)))


def _hellinger(p, q):
    return math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(p * q)))))


def _total_variation(p, q):
    return 0.5 * float(np.sum(np.abs(p - q)))


def _chi2(p, q):
    if np.any((q == 0) & (p > 0)):
        return math.inf
    on = q > 0
    return float(np.sum((p[on] - q[on]) ** 2 / q[on]))


FORMULAS = {"psi": _psi, "js_distance": _js_distance, "hellinger": _hellinger,
            "total_variation": _total_variation, "kl": _kl, "chi2": _chi2}


def holm(p):
    """Holm's step-down adjusted p-values, written out."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def strict_json(text: str):
    """json.loads that refuses NaN / Infinity literals."""
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def records_by(rep, *keys):
    return {tuple(r[k] for k in keys): r for r in rep.to_records()}


def pd_or_skip():
    return pytest.importorskip("pandas")


def pl_or_skip():
    return pytest.importorskip("polars")


# ----------------------------------------------------------------------------- data


def mixed_table(seed: int, n: int = 400, shift: float = 0.0):
    """A PyArrow table with a float column (NaN, +inf, -inf in it), few-valued integers,
    many-valued integers, strings and booleans."""
    rng = np.random.default_rng(seed)
    f = np.round(rng.normal(shift, 1.0, n), 4)
    f[rng.choice(n, 12, replace=False)] = np.nan
    f[rng.choice(n, 5, replace=False)] = np.inf
    f[rng.choice(n, 3, replace=False)] = -np.inf
    return pa.table({
        "f": f,
        "i": rng.integers(0, 5 + int(shift > 0), n),
        "big": rng.integers(0, 1000, n) + int(200 * shift),
        "s": rng.choice(["red", "green", "blue", "cyan"], n, p=[0.4, 0.3, 0.2, 0.1] if not shift else [0.25] * 4),
        "b": rng.random(n) < (0.5 + 0.2 * shift),
    })


def normal_table(seed: int, n: int, shift: float = 0.0, columns=("x",)):
    rng = np.random.default_rng(seed)
    return pa.table({c: rng.normal(shift, 1.0, n) for c in columns})


# ============================================================================= 1. binning


def test_numeric_edges_are_reference_quantiles():
    x = np.random.default_rng(1).normal(size=1000)
    for k in (2, 5, 10):
        col = dv.drift.profile(pa.table({"x": x}), bins=k).columns["x"]
        assert col.kind == "numeric"
        np.testing.assert_allclose(col.edges, np.quantile(x, np.arange(1, k) / k), rtol=1e-14, atol=0)
        assert len(col.counts) == k


def test_every_numeric_value_lands_in_its_open_bin():
    rng = np.random.default_rng(2)
    ref_x = rng.normal(size=500)
    ref = dv.drift.profile(pa.table({"x": ref_x}), bins=7)
    edges = list(ref.columns["x"].edges)
    # values on the edges, just around them, far outside the reference, and random ones
    probe = [*edges, *(np.nextafter(e, np.inf) for e in edges), *(np.nextafter(e, -np.inf) for e in edges),
             -1e300, 1e300, *rng.normal(0, 3, 200)]
    probe = [float(v) for v in probe]
    # the definition vs np.searchsorted on a few values (an independent second reading)
    for v in probe[:10] + [-1e300, 1e300]:
        assert open_bin(v, edges) == int(np.searchsorted(edges, v, side="left"))
    cur = dv.drift.profile(pa.table({"x": probe}), like=ref).columns["x"]
    expected = numeric_counts(probe, edges)
    assert [*cur.counts, cur.missing, cur.posinf, cur.neginf] == expected
    assert sum(cur.counts) == len(probe)
    # the reference's own counts by the same loop
    r = ref.columns["x"]
    assert [*r.counts, r.missing, r.posinf, r.neginf] == numeric_counts(ref_x, edges)
    assert r.n == 500 and ref.n_rows == 500


def test_one_value_per_bin_edge_goes_to_the_bin_it_closes():
    ref = dv.drift.profile(pa.table({"x": np.arange(100.0)}), bins=4)
    edges = ref.columns["x"].edges
    cur = dv.drift.profile(pa.table({"x": list(edges)}), like=ref).columns["x"]
    assert cur.counts == tuple([1] * len(edges) + [0])


def test_missing_and_infinities_have_their_own_bins_on_both_sides():
    rng = np.random.default_rng(3)
    ref_x = np.concatenate([rng.normal(size=200), [np.nan] * 7, [np.inf] * 3, [-np.inf] * 2])
    cur_x = np.concatenate([rng.normal(size=100), [np.nan] * 30, [np.inf] * 1, [-np.inf] * 9])
    ref_t = pa.table({"x": ref_x})
    cur_t = pa.table({"x": pa.array(list(cur_x[:-5]) + [None] * 5, type=pa.float64())})  # NaN and null
    ref = dv.drift.profile(ref_t)
    col = ref.columns["x"]
    assert (col.missing, col.posinf, col.neginf) == (7, 3, 2)
    cur = dv.drift.profile(cur_t, like=ref).columns["x"]
    # the last 5 values (-inf in cur_x) were replaced by nulls: missing 30 NaN + 5 null, -inf 9 - 5
    assert (cur.missing, cur.posinf, cur.neginf) == (35, 1, 4)
    expected = numeric_counts([None if v is None else v for v in cur_t.column("x").to_pylist()], list(col.edges))
    assert [*cur.counts, cur.missing, cur.posinf, cur.neginf] == expected
    rep = dv.drift.compare(ref, cur_t, metrics="psi", n_permutations=0)
    (rec,) = rep.to_records()
    assert rec["n_reference"] == len(ref_x) and rec["n_current"] == len(cur_x)
    hist = rep.histogram("x")
    n_ref, n_cur = len(ref_x), len(cur_x)
    for label, r_count, c_count in zip(SPECIAL, (7, 3, 2), expected[-3:]):
        i = hist["labels"].index(label)
        assert hist["reference"][i] == pytest.approx(r_count / n_ref, rel=1e-15)
        assert hist["current"][i] == pytest.approx(c_count / n_cur, rel=1e-15)
    summary = strict_json(rep.to_json())["columns"]["x"]["shares"]
    assert summary["missing"] == {"reference": 7 / n_ref, "current": expected[-3] / n_cur}
    assert summary["+inf"]["current"] == expected[-2] / n_cur and summary["-inf"]["reference"] == 2 / n_ref


def test_a_jump_in_missing_values_is_drift():
    rng = np.random.default_rng(4)
    ref = dv.drift.profile(pa.table({"x": rng.normal(size=2000)}))
    x = rng.normal(size=2000)
    x[:600] = np.nan
    rep = dv.drift.compare(ref, pa.table({"x": x}), metrics="psi", n_permutations=200, random_state=0)
    assert rep.drifted_columns == ["x"]


def test_categorical_keeps_the_most_frequent_and_pools_the_rest():
    values = ["a"] * 10 + ["b"] * 8 + ["c"] * 6 + ["d"] * 4 + ["e"] * 2 + [None] * 3
    col = dv.drift.profile(pa.table({"s": values}), max_categories=3).columns["s"]
    assert col.kind == "categorical" and col.categories == ("a", "b", "c") and col.pooled
    assert col.counts == (10, 8, 6, 6) and col.missing == 3
    assert col.labels()[:4] == ["a", "b", "c", "other"]
    full = dv.drift.profile(pa.table({"s": values}), max_categories=50).columns["s"]
    assert full.categories == ("a", "b", "c", "d", "e") and not full.pooled
    counts, unseen = categorical_counts(values, full.categories)
    assert [*full.counts, full.missing, full.posinf, full.neginf] == counts and unseen == {}
    # a later batch: a pooled category goes to "other"
    cur = dv.drift.profile(pa.table({"s": ["d", "d", "a", None]}), like=dv.drift.profile(pa.table({"s": values}),
                                                                                          max_categories=3))
    assert cur.columns["s"].counts == (1, 0, 0, 2) and cur.columns["s"].missing == 1


def _kind_frames():
    """(library, frame builder) for every installed frame library."""
    out = [("pyarrow", lambda d: pa.table(d))]
    try:
        import pandas as pd

        out.append(("pandas", lambda d: pd.DataFrame(d)))
    except ImportError:
        pass
    try:
        import polars as pl

        out.append(("polars", lambda d: pl.DataFrame(d)))
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("library,make", _kind_frames(), ids=[n for n, _ in _kind_frames()])
def test_column_kinds(library, make):
    n = 60
    rng = np.random.default_rng(5)
    data = {
        "float": rng.normal(size=n),
        "float_few": np.repeat([1.0, 2.0, 3.0], n // 3),  # floats are numeric, however few values
        "int_20": np.arange(n) % 20,  # exactly 20 distinct: categorical
        "int_21": np.arange(n) % 21,  # 21 distinct: numeric
        "bool": np.arange(n) % 3 == 0,
        "str": np.array(["x", "y", "z"])[np.arange(n) % 3],
        "time": np.datetime64("2024-01-01T00:00:00", "us") + np.arange(n).astype("timedelta64[h]"),
    }
    ref = dv.drift.profile(make(data))
    kinds = {name: col.kind for name, col in ref.columns.items()}
    assert kinds == {"float": "numeric", "float_few": "numeric", "int_20": "categorical", "int_21": "numeric",
                     "bool": "categorical", "str": "categorical"}
    assert list(ref.skipped) == ["time"]
    assert set(ref.columns["bool"].categories) == {"true", "false"}
    assert set(ref.columns["int_20"].categories) == set(map(str, range(20))) and ref.columns["int_20"].counts == (3,) * 20
    # categorical= forces it
    forced = dv.drift.profile(make(data), categorical=["float_few", "int_21"])
    assert forced.columns["float_few"].kind == "categorical" and len(forced.columns["float_few"].categories) == 3
    assert forced.columns["int_21"].kind == "categorical" and len(forced.columns["int_21"].categories) == 21
    # the report lists the skipped column too
    rep = dv.drift.compare(ref, make(data), n_permutations=0)
    assert "time" in rep.skipped and all(r["column"] != "time" for r in rep.to_records())


def test_pandas_categorical_and_nullable_columns_are_categorical():
    pd = pd_or_skip()
    df = pd.DataFrame({
        "cat": pd.Categorical(["lo", "hi", None, "lo"] * 10),
        "nullable_int": pd.array([1, 2, None, 1] * 10, dtype="Int64"),
        "obj_bool": [True, False, None, True] * 10,
        "string": pd.array(["a", None, "b", "a"] * 10, dtype="string"),
    })
    ref = dv.drift.profile(df)
    for name, cats in [("cat", ("lo", "hi")), ("nullable_int", ("1", "2")), ("obj_bool", ("true", "false")),
                       ("string", ("a", "b"))]:
        col = ref.columns[name]
        assert col.kind == "categorical" and col.categories == cats, name
        assert col.counts == (20, 10) and col.missing == 10, name


def test_booleans_read_the_same_in_every_library():
    frames = [make({"b": [True, False, True, True]}) for _, make in _kind_frames()]
    profiles = [dv.drift.profile(f) for f in frames]
    for p in profiles:
        assert p == profiles[0]
        assert p.columns["b"].categories == ("true", "false") and p.columns["b"].counts == (3, 1)


def test_datetime_named_in_columns_is_an_error():
    t = pa.table({"when": pa.array([dt.datetime(2024, 1, d) for d in range(1, 6)]), "x": np.arange(5.0)})
    assert "when" in dv.drift.profile(t).skipped
    with pytest.raises(dv.InvalidInputError, match="'when'"):
        dv.drift.profile(t, columns=["when", "x"])


# ============================================================================= 2. values


def _value_case(seed=6):
    """A shifted numeric column and a categorical with an unseen category; the counts by the loops."""
    rng = np.random.default_rng(seed)
    ref_x = rng.normal(size=800)
    ref_x[:20] = np.nan
    cur_x = rng.normal(0.4, 1.2, size=500)
    cur_x[:50] = np.nan
    cur_x[50:53] = np.inf
    ref_s = list(rng.choice(["a", "b", "c"], 800, p=[0.5, 0.3, 0.2]))
    cur_s = list(rng.choice(["a", "b", "c", "new"], 500, p=[0.3, 0.3, 0.3, 0.1]))
    ref = dv.drift.profile(pa.table({"x": ref_x, "s": ref_s}), bins=8)
    cur = pa.table({"x": cur_x, "s": cur_s})
    edges = list(ref.columns["x"].edges)
    cats = ref.columns["s"].categories
    counts = {"x": (numeric_counts(ref_x, edges), numeric_counts(cur_x, edges))}
    r_s, _ = categorical_counts(ref_s, cats)
    c_s, unseen = categorical_counts(cur_s, cats)
    counts["s"] = (r_s + [0] * len(unseen), c_s + list(unseen.values()))
    return ref, cur, counts


@pytest.mark.parametrize("smoothing", [0.5, 2.0, 0.0])
def test_values_equal_the_formulas_on_smoothed_shares(smoothing):
    ref, cur, counts = _value_case()
    rep = dv.drift.compare(ref, cur, metrics=list(SYMMETRIC), smoothing=smoothing, n_permutations=0)
    recs = rep.to_records()
    assert len(recs) == 2 * len(SYMMETRIC)
    for r in recs:
        p, q = shares(*counts[r["column"]], smoothing)
        expected = FORMULAS[r["metric"]](p, q)
        if math.isinf(expected):
            assert r["value"] == math.inf, r
        else:
            assert r["value"] == pytest.approx(expected, rel=1e-12, abs=0), r
        assert not math.isnan(r["value"])


@pytest.mark.parametrize("metric", ["kl", "chi2"])
def test_asymmetric_values_are_current_against_reference(metric):
    ref, cur, counts = _value_case()
    rep = dv.drift.compare(ref, cur, metrics=metric, smoothing=0.5, n_permutations=0)
    for r in rep.to_records():
        p_ref, q_cur = shares(*counts[r["column"]], 0.5)
        assert r["value"] == pytest.approx(FORMULAS[metric](q_cur, p_ref), rel=1e-12, abs=0), r


@pytest.mark.parametrize("metric,factor", [("psi", LN2), ("kl", LN2), ("js_distance", math.sqrt(LN2)),
                                           ("js", LN2), ("bhattacharyya", LN2)])
def test_base_2_divides_by_ln2_and_thresholds_follow(metric, factor):
    ref, cur, _ = _value_case()
    nats = dv.drift.compare(ref, cur, metrics=metric, n_permutations=0)
    bits = dv.drift.compare(ref, cur, metrics=metric, base=2, n_permutations=0)
    for a, b in zip(nats.to_records(), bits.to_records()):
        assert b["value"] == pytest.approx(a["value"] / factor, rel=1e-12)
        assert b["threshold"] == pytest.approx(a["threshold"] / factor, rel=1e-15)
    assert bits.settings["unit"] == "bits" and nats.settings["unit"] == "nats"
    # a threshold the user gives is taken as it is, in the unit of base
    given = dv.drift.compare(ref, cur, metrics=metric, base=2, thresholds={metric: 0.3}, n_permutations=0)
    assert {r["threshold"] for r in given.to_records()} == {0.3}


def test_default_thresholds_in_nats():
    from divergences.drift._compare import DEFAULT_THRESHOLDS

    ref, cur, _ = _value_case()
    rep = dv.drift.compare(ref, cur, metrics=list(SYMMETRIC) + ["kl"], n_permutations=0)
    for r in rep.to_records():
        assert r["threshold"] == DEFAULT_THRESHOLDS[r["metric"]]
        assert r["drifted"] == (r["value"] >= r["threshold"])  # no test: the threshold alone


def test_base_applies_only_to_metrics_with_a_logarithm():
    ref, cur, _ = _value_case()
    metrics = ["js_distance", "hellinger", "total_variation"]
    nats = records_by(dv.drift.compare(ref, cur, metrics=metrics, n_permutations=0), "column", "metric")
    bits = records_by(dv.drift.compare(ref, cur, metrics=metrics, base=2, n_permutations=0), "column", "metric")
    for key, a in nats.items():
        b = bits[key]
        factor = math.sqrt(LN2) if key[1] == "js_distance" else 1.0
        assert b["value"] == pytest.approx(a["value"] / factor, rel=1e-12)
        assert b["threshold"] == pytest.approx(a["threshold"] / factor, rel=1e-15)


# ============================================================================= 3. significance


def _exact_pvalue(ref_counts, cur_counts, metric, smoothing):
    """P(stat >= observed) under the hypergeometric draw of the current side's first-bin count."""
    from scipy.stats import hypergeom

    pooled = np.add(ref_counts, cur_counts)
    total, n_cur = int(pooled.sum()), int(sum(cur_counts))
    law = hypergeom(total, int(pooled[0]), n_cur)

    def stat(x):
        cur = np.array([x, n_cur - x])
        return FORMULAS[metric](*shares(pooled - cur, cur, smoothing))

    observed = stat(cur_counts[0])
    lo, hi = max(0, n_cur - int(pooled[1])), min(n_cur, int(pooled[0]))
    return sum(law.pmf(x) for x in range(lo, hi + 1) if stat(x) >= observed * (1 - 1e-9))


@pytest.mark.parametrize("ref_counts,cur_counts,metric", [
    ((12, 8), (3, 9), "psi"),
    ((12, 8), (3, 9), "js_distance"),
    ((5, 15), (6, 4), "hellinger"),
    ((30, 10), (7, 3), "total_variation"),  # near the null: a large p-value
])
def test_permutation_pvalue_matches_the_exact_hypergeometric_one(ref_counts, cur_counts, metric):
    pytest.importorskip("scipy")
    ref = pa.table({"s": ["a"] * ref_counts[0] + ["b"] * ref_counts[1]})
    cur = pa.table({"s": ["a"] * cur_counts[0] + ["b"] * cur_counts[1]})
    b = 20000
    (rec,) = dv.drift.compare(ref, cur, metrics=metric, n_permutations=b, random_state=1).to_records()
    exact = _exact_pvalue(ref_counts, cur_counts, metric, 0.5)
    assert 0 < exact <= 1
    se = math.sqrt(exact * (1 - exact) / b)
    assert abs(rec["pvalue"] - exact) <= 4.5 * se + 1 / (b + 1), (rec["pvalue"], exact)


def test_pvalues_are_calibrated_without_drift():
    n_cols, n, draws, alpha = 200, 300, 200, 0.05
    names = [f"c{j}" for j in range(n_cols)]
    ref = normal_table(10, n, columns=names)
    cur = normal_table(11, n, columns=names)
    rep = dv.drift.compare(ref, cur, metrics="js_distance", n_permutations=draws, random_state=0)
    p = np.array([r["pvalue"] for r in rep.to_records()])
    assert p.size == n_cols
    assert np.all((p >= 1 / (draws + 1)) & (p <= 1))
    for level in (alpha, 0.2, 0.5):
        sigma = math.sqrt(level * (1 - level) / n_cols)
        frac = float(np.mean(p < level))
        assert abs(frac - level) <= 3 * sigma, (level, frac)


def test_categorical_pvalues_are_calibrated_without_drift():
    rng = np.random.default_rng(12)
    n_cols, n = 200, 300
    ref = pa.table({f"c{j}": rng.integers(0, 4, n) for j in range(n_cols)})
    cur = pa.table({f"c{j}": rng.integers(0, 4, n) for j in range(n_cols)})
    rep = dv.drift.compare(ref, cur, metrics="psi", n_permutations=200, random_state=0)
    p = np.array([r["pvalue"] for r in rep.to_records()])
    frac, sigma = float(np.mean(p < 0.05)), math.sqrt(0.05 * 0.95 / n_cols)
    assert frac <= 0.05 + 3 * sigma and frac >= 0.05 - 3 * sigma, frac


def test_eight_rows_do_not_raise_alarms_however_large_the_value():
    """8 rows from the reference's own distribution: the value is noise that is mostly over the
    threshold, but the p-value gate keeps the false alarms at about alpha."""
    ref = dv.drift.profile(normal_table(20, 2000))
    over, alarms, trials = 0, 0, 40
    for seed in range(trials):
        (rec,) = dv.drift.compare(ref, normal_table(100 + seed, 8), metrics="psi", n_permutations=500,
                                  random_state=seed).to_records()
        assert rec["n_current"] == 8
        over += rec["value"] >= rec["threshold"]
        alarms += rec["drifted"]
    assert over >= 0.8 * trials  # the threshold alone would cry wolf
    assert alarms <= 0.05 * trials + 3 * math.sqrt(trials * 0.05 * 0.95)


def test_negligible_shift_on_large_samples_is_not_drift():
    n = 50_000
    ref = dv.drift.profile(normal_table(21, n))
    rep = dv.drift.compare(ref, normal_table(22, n, shift=0.05), metrics=["psi", "js_distance"],
                           n_permutations=200, random_state=0)
    for rec in rep.to_records():
        assert rec["pvalue"] < 0.05  # real ...
        assert rec["value"] < rec["threshold"]  # ... but negligible
        assert not rec["drifted"]
    assert rep.drifted_columns == []


def _shifted_columns(seed=30):
    shifts = [0.0, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.0, 0.4, 0.6]
    rng = np.random.default_rng(seed)
    ref = pa.table({f"c{j}": rng.normal(size=300) for j in range(len(shifts))})
    cur = pa.table({f"c{j}": rng.normal(s, 1.0, 300) for j, s in enumerate(shifts)})
    return ref, cur


def test_holm_correction_against_a_hand_written_reference():
    ref, cur = _shifted_columns()
    rep = dv.drift.compare(ref, cur, metrics=["psi", "js_distance"], correction="holm", n_permutations=300,
                           random_state=0, thresholds={"psi": 0.0, "js_distance": 0.0})
    assert rep.settings["correction"] == "holm"
    for metric in ("psi", "js_distance"):
        recs = [r for r in rep.to_records() if r["metric"] == metric]
        expected = holm([r["pvalue"] for r in recs])
        assert [r["pvalue_adjusted"] for r in recs] == pytest.approx(expected, rel=1e-12)
        assert any(e != r["pvalue"] for e, r in zip(expected, recs))
        for r in recs:
            assert r["drifted"] == (r["pvalue_adjusted"] < 0.05)  # thresholds 0: the adjusted p-value decides


def test_bh_correction_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    ref, cur = _shifted_columns()
    rep = dv.drift.compare(ref, cur, metrics="psi", correction="bh", n_permutations=300, random_state=0)
    recs = rep.to_records()
    expected = stats.false_discovery_control([r["pvalue"] for r in recs], method="bh")
    assert [r["pvalue_adjusted"] for r in recs] == pytest.approx(list(expected), rel=1e-12)
    for r in recs:
        assert r["drifted"] == (r["value"] >= r["threshold"] and r["pvalue_adjusted"] < 0.05)


def test_corrections_are_per_metric_across_columns_and_windows():
    stats = pytest.importorskip("scipy.stats")
    ref, cur = _shifted_columns()
    rep = dv.drift.compare(ref, cur, metrics=["psi", "hellinger"], correction="bh", chunk_size=100,
                           n_permutations=100, random_state=0)
    families: dict = {}
    for r in rep.to_records():
        families.setdefault(r["metric"], []).append(r)
    assert len(families) == 2
    for family in families.values():
        assert len(family) == 10 * 3  # 10 columns x 3 windows
        expected = stats.false_discovery_control([r["pvalue"] for r in family])
        assert [r["pvalue_adjusted"] for r in family] == pytest.approx(list(expected), rel=1e-12)
    holm_rep = dv.drift.compare(ref, cur, metrics="psi", correction="holm", chunk_size=100, n_permutations=100,
                                random_state=0)
    recs = holm_rep.to_records()
    assert [r["pvalue_adjusted"] for r in recs] == pytest.approx(holm([r["pvalue"] for r in recs]), rel=1e-12)


def test_holm_and_bh_with_ties_through_adjust():
    from divergences.drift._significance import adjust

    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(31)
    for _ in range(20):
        p = list(np.round(rng.random(rng.integers(1, 15)) ** 2, 2))  # rounding makes ties
        assert adjust(p, "holm") == pytest.approx(holm(p), rel=1e-12)
        assert adjust(p, "bh") == pytest.approx(list(stats.false_discovery_control(p)), rel=1e-12)


def test_same_random_state_same_pvalues():
    ref, cur = _shifted_columns()

    def pvalues(state):
        rep = dv.drift.compare(ref, cur, metrics=["psi", "js_distance"], n_permutations=200, random_state=state)
        return [r["pvalue"] for r in rep.to_records()]

    assert pvalues(7) == pvalues(7)
    assert pvalues(np.random.default_rng(7)) == pvalues(np.random.default_rng(7))
    assert pvalues(7) != pvalues(8)


def test_no_permutations_means_no_test():
    ref, cur = _shifted_columns()
    rep = dv.drift.compare(ref, cur, metrics="psi", n_permutations=0)
    for r in rep.to_records():
        assert r["pvalue"] is None
        assert r["drifted"] == (r["value"] >= r["threshold"])


# ============================================================================= 4. profiles


def test_save_load_round_trip_and_identical_compare(tmp_path):
    ref_t = mixed_table(40)
    cur_t = mixed_table(41, n=300, shift=0.3)
    ref = dv.drift.profile(ref_t, max_categories=3)
    path = tmp_path / "ref.json"
    ref.save(path)
    loaded = dv.drift.load(path)
    assert loaded == ref
    a = dv.drift.compare(loaded, cur_t, n_permutations=100, random_state=3).to_records()
    b = dv.drift.compare(dv.drift.profile(ref_t, max_categories=3), cur_t, n_permutations=100,
                         random_state=3).to_records()
    assert a == b
    # the default profile of a frame given to compare directly, too
    default = tmp_path / "default.json"
    dv.drift.profile(ref_t).save(default)
    assert (dv.drift.compare(dv.drift.load(default), cur_t, n_permutations=100, random_state=3).to_records()
            == dv.drift.compare(ref_t, cur_t, n_permutations=100, random_state=3).to_records())


def test_profile_json_is_plain_and_versioned(tmp_path):
    ref = dv.drift.profile(mixed_table(42))
    path = tmp_path / "ref.json"
    ref.save(path)
    text = path.read_text(encoding="utf-8")
    data = strict_json(text)
    assert "NaN" not in text and "Infinity" not in text
    assert isinstance(data["format"], str) and isinstance(data["version"], int)
    assert data["n_rows"] == 400
    # a profile with unseen categories and pooled ones round-trips too
    batch = dv.drift.profile(mixed_table(43, n=50, shift=1.0), like=ref)
    assert batch.columns["i"].unseen  # 5 never seen in the reference
    batch.save(tmp_path / "batch.json")
    assert dv.drift.load(tmp_path / "batch.json") == batch


@pytest.mark.parametrize("edit,match", [
    (lambda d: d.update(format="something.else"), "format"),
    (lambda d: d.pop("format"), "format"),
    (lambda d: d.update(version=d["version"] + 1), "version"),
    (lambda d: d.update(version="1"), "version"),
    (lambda d: d["columns"][0].update(counts=[1, 2]), "counts"),
    (lambda d: d["columns"][0].update(missing=-1), "malformed"),
])
def test_profile_of_another_format_or_version_is_refused(tmp_path, edit, match):
    ref = dv.drift.profile(pa.table({"x": np.arange(50.0)}))
    data = json.loads(ref.to_json())
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(dv.InvalidInputError, match=match):
        dv.drift.load(path)


@pytest.mark.parametrize("edit", [
    lambda d: d.update(skipped=[1]),
    lambda d: d["columns"][0].update(unseen=[1]),
    lambda d: d.update(columns=[]),
], ids=["skipped-list", "unseen-list", "no-columns"])
def test_malformed_profile_is_refused_on_load(tmp_path, edit):
    ref = dv.drift.profile(pa.table({"x": np.arange(50.0)}))
    data = json.loads(ref.to_json())
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(dv.InvalidInputError):
        dv.drift.compare(dv.drift.load(path), pa.table({"x": np.arange(50.0)}), n_permutations=0)


def test_load_refuses_what_is_not_a_profile(tmp_path):
    ref_t, cur_t = mixed_table(44), mixed_table(45)
    report = tmp_path / "report.json"
    report.write_text(dv.drift.compare(ref_t, cur_t, n_permutations=0).to_json(), encoding="utf-8")
    with pytest.raises(dv.InvalidInputError, match="not a divergences drift profile"):
        dv.drift.load(report)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(dv.InvalidInputError, match="not JSON"):
        dv.drift.load(bad)
    with pytest.raises(dv.InvalidInputError, match="no such file"):
        dv.drift.load(tmp_path / "absent.json")
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(dv.InvalidInputError):
        dv.drift.load(listed)


def test_profiles_of_batches_add_up_to_the_profile_of_all():
    ref_t = mixed_table(50)
    b1, b2 = mixed_table(51, n=120, shift=1.0), mixed_table(52, n=80, shift=0.5)
    ref = dv.drift.profile(ref_t)
    summed = dv.drift.profile(b1, like=ref) + dv.drift.profile(b2, like=ref)
    whole = dv.drift.profile(pa.concat_tables([b1, b2]), like=ref)
    assert summed == whole
    assert summed.n_rows == 200
    for name, col in whole.columns.items():
        assert summed.columns[name].unseen == col.unseen
        assert col.n == 200
    assert whole.columns["i"].unseen == {"5": sum(v == 5 for v in pa.concat_tables([b1, b2]).column("i").to_pylist())}
    # values from the summed profile equal those from the concatenated frame
    a = records_by(dv.drift.compare(ref, summed, n_permutations=0), "column", "metric")
    b = records_by(dv.drift.compare(ref, pa.concat_tables([b1, b2]), n_permutations=0), "column", "metric")
    assert a.keys() == b.keys()
    for key in a:
        assert a[key]["value"] == pytest.approx(b[key]["value"], rel=1e-12)


def test_a_current_profile_compares_like_its_frame():
    ref_t, cur_t = mixed_table(53), mixed_table(54, n=250, shift=0.4)
    ref = dv.drift.profile(ref_t)
    from_profile = dv.drift.compare(ref, dv.drift.profile(cur_t, like=ref), n_permutations=100, random_state=5)
    from_frame = dv.drift.compare(ref, cur_t, n_permutations=100, random_state=5)
    assert from_profile.to_records() == from_frame.to_records()
    assert from_profile.unseen("i") == from_frame.unseen("i")


def test_profiles_on_other_bins_do_not_add():
    ref1 = dv.drift.profile(normal_table(55, 100))
    ref2 = dv.drift.profile(normal_table(56, 100))
    with pytest.raises(dv.InvalidInputError, match="'x'"):
        dv.drift.profile(normal_table(57, 10), like=ref1) + dv.drift.profile(normal_table(58, 10), like=ref2)
    with pytest.raises(dv.InvalidInputError, match="'x'"):
        dv.drift.compare(ref1, dv.drift.profile(normal_table(57, 10), like=ref2))


# ============================================================================= 5. frames


def _frames_of(table, tmp_path):
    """The same data as every frame kind and file that is installed."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = {"pyarrow": table}
    try:
        out["pandas"] = table.to_pandas()
    except ImportError:
        pass
    try:
        import polars as pl

        out["polars"] = pl.from_arrow(table)
    except ImportError:
        pass
    csv, parquet = tmp_path / "data.csv", tmp_path / "data.parquet"
    pacsv.write_csv(table, csv)
    pq.write_table(table, parquet)
    out["csv"], out["parquet"] = csv, str(parquet)
    return out


def test_every_frame_kind_gives_the_same_records(tmp_path):
    ref_t, cur_t = mixed_table(60), mixed_table(61, n=300, shift=0.3)
    (tmp_path / "ref").mkdir()
    (tmp_path / "cur").mkdir()
    refs, curs = _frames_of(ref_t, tmp_path / "ref"), _frames_of(cur_t, tmp_path / "cur")
    assert len(refs) >= 3
    profiles = {kind: dv.drift.profile(data) for kind, data in refs.items()}
    for kind, p in profiles.items():
        assert p == profiles["pyarrow"], kind
    base = dv.drift.compare(profiles["pyarrow"], curs["pyarrow"], n_permutations=100, random_state=0).to_records()
    assert {r["column"] for r in base} == {"f", "i", "big", "s", "b"}
    for kind, data in curs.items():
        assert dv.drift.compare(profiles["pyarrow"], data, n_permutations=100, random_state=0).to_records() == base, kind
    # a frame as the reference of compare gives the same as its profile
    for kind, data in refs.items():
        assert dv.drift.compare(data, curs["pyarrow"], n_permutations=100, random_state=0).to_records() == base, kind


def test_integer_categories_read_the_same_from_a_float_column():
    pd = pd_or_skip()
    ref = dv.drift.profile(pd.DataFrame({"i": [1, 2, 3] * 50}))
    cur = pd.DataFrame({"i": [1.0, 2.0, 3.0] * 49 + [1.0, 2.0, np.nan]})  # how pandas holds ints with a NaN
    rep = dv.drift.compare(ref, cur, metrics="psi", n_permutations=0)
    assert rep.unseen("i") == {}
    assert rep.to_records()[0]["value"] < 0.01


def test_pandas_integer_column_names():
    pd = pd_or_skip()
    df = pd.DataFrame(np.random.default_rng(62).normal(size=(100, 2)))
    try:
        ref = dv.drift.profile(df)
    except dv.InvalidInputError as exc:  # a clear refusal would do as well
        assert "0" in str(exc)
        return
    assert len(ref.columns) == 2
    assert all(r["value"] == 0 for r in dv.drift.compare(ref, df, n_permutations=0).to_records())


# ============================================================================= 6. windows


def _timed(seed=70, n=600, days=20):
    """Rows at random times over ``days`` days from a Wednesday morning, shuffled."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2024, 1, 3, 5, 17, 11)  # a Wednesday
    seconds = np.sort(rng.integers(0, days * 86400, n))
    times = [start + dt.timedelta(seconds=int(s)) for s in seconds]
    x = rng.normal(size=n) + np.linspace(0, 1, n)  # drifting over time
    s = rng.choice(["a", "b", "c"], n)
    order = rng.permutation(n)
    return [times[i] for i in order], x[order], s[order]


def _floor(t: dt.datetime, every: str) -> dt.datetime:
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if every == "1d":
        return midnight
    if every == "6h":
        return midnight.replace(hour=t.hour // 6 * 6)
    if every == "1w":
        return midnight - dt.timedelta(days=t.weekday())
    raise AssertionError(every)


LENGTH = {"1d": dt.timedelta(days=1), "6h": dt.timedelta(hours=6), "1w": dt.timedelta(weeks=1)}


@pytest.mark.parametrize("library", ["pyarrow", "pandas", "polars"])
@pytest.mark.parametrize("every", ["1d", "6h", "1w"])
def test_time_windows_partition_the_rows(library, every):
    times, x, s = _timed()
    ref = dv.drift.profile(pa.table({"x": np.random.default_rng(71).normal(size=500), "s": list("abc") * 100 + ["a"] * 200}))
    data = {"when": times, "x": x, "s": s}
    if library == "pyarrow":
        cur = pa.table({"when": pa.array(times, type=pa.timestamp("us")), "x": x, "s": s})
    elif library == "pandas":
        cur = pd_or_skip().DataFrame(data)
    else:
        cur = pl_or_skip().DataFrame(data)
    rep = dv.drift.compare(ref, cur, metrics="psi", time_column="when", every=every, n_permutations=0)
    starts = [_floor(t, every) for t in times]
    expected = Counter(starts)
    assert [w[0] for w in rep.windows] == [k.isoformat() for k in sorted(expected)]
    assert [w[1] for w in rep.windows] == [(k + LENGTH[every]).isoformat() for k in sorted(expected)]
    recs = rep.to_records()
    assert {r["column"] for r in recs} == {"x", "s"}  # never the time column
    for column in ("x", "s"):
        mine = [r for r in recs if r["column"] == column]
        assert sum(r["n_current"] for r in mine) == len(times)
        for r in mine:
            start = dt.datetime.fromisoformat(r["window_start"])
            assert dt.datetime.fromisoformat(r["window_end"]) - start == LENGTH[every]
            assert r["n_current"] == expected[start]
            if every == "1w":
                assert start.weekday() == 0
            if every == "6h":
                assert start.hour % 6 == 0 and start.minute == 0
    # a window is found by its window_start too
    first = rep.windows[0][0]
    assert rep.histogram("x", window=first) == rep.histogram("x", window=0)
    assert sum(rep.histogram("s", window=first)["current"]) == pytest.approx(1.0, abs=1e-12)
    # each window's value is compare on that window's rows alone
    if library == "pyarrow":
        for r in recs[:6]:
            start = dt.datetime.fromisoformat(r["window_start"])
            rows = [i for i, k in enumerate(starts) if k == start]
            alone = dv.drift.compare(ref, pa.table({"x": x[rows], "s": s[rows]}), metrics="psi", n_permutations=0)
            (single,) = [a for a in alone.to_records() if a["column"] == r["column"]]
            assert r["value"] == pytest.approx(single["value"], rel=1e-12)
            assert r["n_current"] == single["n_current"]


def test_time_column_with_nulls_is_refused():
    ref = dv.drift.profile(normal_table(72, 100))
    cur = pa.table({"when": pa.array([dt.datetime(2024, 1, 1), None] * 5, type=pa.timestamp("us")),
                    "x": np.arange(10.0)})
    with pytest.raises(dv.InvalidInputError, match="'when'"):
        dv.drift.compare(ref, cur, time_column="when", every="1d")


@pytest.mark.parametrize("n,size,sizes", [
    (100, 30, [30, 30, 40]),  # a last chunk of 10 < 15 joins the one before
    (105, 30, [30, 30, 30, 15]),  # 15 is half a chunk: kept
    (104, 30, [30, 30, 44]),
    (90, 30, [30, 30, 30]),
    (31, 30, [31]),
    (20, 30, [20]),  # the whole frame is smaller than a chunk
    (7, 1, [1] * 7),
])
def test_row_chunks(n, size, sizes):
    rng = np.random.default_rng(n)
    ref = dv.drift.profile(normal_table(73, 300))
    x = rng.normal(size=n)
    rep = dv.drift.compare(ref, pa.table({"x": x}), metrics="js_distance", chunk_size=size, n_permutations=0)
    recs = rep.to_records()
    assert [r["n_current"] for r in recs] == sizes
    assert sum(r["n_current"] for r in recs) == n
    bounds = np.cumsum([0, *sizes])
    assert [(r["window_start"], r["window_end"]) for r in recs] == list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    if n >= size:
        assert min(sizes) >= size / 2
    for r in recs:
        alone = dv.drift.compare(ref, pa.table({"x": x[r["window_start"]:r["window_end"]]}), metrics="js_distance",
                                 n_permutations=0)
        assert r["value"] == pytest.approx(alone.to_records()[0]["value"], rel=1e-12)


def test_histogram_and_unseen_per_window():
    ref = dv.drift.profile(pa.table({"s": ["a", "b"] * 50}))
    cur = pa.table({"s": ["a"] * 20 + ["new"] * 5 + ["b"] * 25})
    rep = dv.drift.compare(ref, cur, chunk_size=25, n_permutations=0)
    assert rep.unseen("s", window=0) == {"new": 5}
    assert rep.unseen("s", window=1) == {}
    assert rep.unseen("s") == {"new": 5}
    h0 = rep.histogram("s", window=0)
    assert dict(zip(h0["labels"], h0["current"])) == {"a": 0.8, "b": 0.0, "new": 0.2}
    h1 = rep.histogram("s", window=1)
    assert dict(zip(h1["labels"], h1["current"])) == {"a": 0.0, "b": 1.0}


# ============================================================================= 7. edge cases


ALL = list(SYMMETRIC) + ["kl"]


@pytest.mark.parametrize("ref_values,cur_values,zero", [
    ([3.0] * 50, [3.0] * 40, True),  # constant, the same
    ([3.0] * 50, [4.0] * 40, False),  # constant, moved
    ([np.nan] * 50, [np.nan] * 40, True),  # all missing (float)
    ([np.nan] * 50, [1.0] * 20 + [np.nan] * 20, False),
    (["only"] * 50, ["only"] * 40, True),  # a single category
    (["only"] * 50, ["only"] * 30 + ["other"] * 10, False),
    ([True] * 50, [True] * 40, True),
])
def test_degenerate_columns_give_zero_or_a_finite_value(ref_values, cur_values, zero):
    ref = dv.drift.profile(pa.table({"c": ref_values}))
    rep = dv.drift.compare(ref, pa.table({"c": cur_values}), metrics=ALL, n_permutations=50, random_state=0)
    recs = rep.to_records()
    assert len(recs) == len(ALL)
    for r in recs:
        assert math.isfinite(r["value"]), r
        assert (r["value"] == 0) if zero else (r["value"] > 0), r
        assert 0 < r["pvalue"] <= 1
    strict_json(rep.to_json())


def _all_missing_strings():
    return [("pyarrow", lambda: pa.table({"c": pa.array([None] * 30, type=pa.string())})),
            ("pandas-object", lambda: pd_or_skip().DataFrame({"c": [None] * 30})),
            ("pandas-string", lambda: pd_or_skip().DataFrame({"c": pd_or_skip().array([None] * 30, dtype="string")}))]


def _all_null_typed():
    return [("pyarrow", lambda: pa.table({"c": pa.nulls(30)})),
            ("polars", lambda: pl_or_skip().DataFrame({"c": [None] * 30}))]


@pytest.mark.parametrize("kind,make", _all_missing_strings(), ids=[k for k, _ in _all_missing_strings()])
def test_all_missing_string_column(kind, make):
    ref = dv.drift.profile(make())
    assert ref.columns["c"].missing == 30
    (rec,) = dv.drift.compare(ref, make(), metrics="psi", n_permutations=0).to_records()
    assert rec["value"] == 0


@pytest.mark.parametrize("kind,make", _all_null_typed(), ids=[k for k, _ in _all_null_typed()])
def test_all_null_typed_column(kind, make):
    ref = dv.drift.profile(make())
    assert ref.columns["c"].missing == 30
    (rec,) = dv.drift.compare(ref, make(), metrics="psi", n_permutations=0).to_records()
    assert rec["value"] == 0


def test_all_missing_polars_string_column():
    pl = pl_or_skip()
    df = pl.DataFrame({"c": pl.Series([None] * 30, dtype=pl.String)})
    ref = dv.drift.profile(df)
    assert ref.columns["c"].missing == 30 and ref.columns["c"].counts == ()
    (rec,) = dv.drift.compare(ref, df, metrics="psi", n_permutations=0).to_records()
    assert rec["value"] == 0


def test_unseen_categories_by_name_and_infinite_without_smoothing():
    ref = dv.drift.profile(pa.table({"s": ["a"] * 40 + ["b"] * 60}))
    cur = pa.table({"s": ["a"] * 30 + ["b"] * 50 + ["zeta"] * 5 + ["eta"] * 12})
    rep = dv.drift.compare(ref, cur, metrics=["psi", "js_distance"], smoothing=0, n_permutations=100, random_state=0)
    assert rep.unseen("s") == {"eta": 12, "zeta": 5}
    hist = rep.histogram("s")
    assert dict(zip(hist["labels"], hist["current"])) == pytest.approx(
        {"a": 30 / 97, "b": 50 / 97, "eta": 12 / 97, "zeta": 5 / 97}, rel=1e-15)
    values = {r["metric"]: r["value"] for r in rep.to_records()}
    assert values["psi"] == math.inf
    p, q = shares([40, 60, 0, 0], [30, 50, 12, 5], 0)
    assert values["js_distance"] == pytest.approx(_js_distance(p, q), rel=1e-12)
    data = strict_json(rep.to_json())
    (psi,) = [r for r in data["records"] if r["metric"] == "psi"]
    assert psi["value"] == "inf"
    assert data["columns"]["s"]["unseen"] == {"eta": 12, "zeta": 5}
    # smoothing makes it finite again
    smoothed = dv.drift.compare(ref, cur, metrics="psi", smoothing=0.5, n_permutations=0).to_records()[0]
    assert math.isfinite(smoothed["value"])


@pytest.mark.parametrize("metric", ["kl", "chi2"])
def test_unseen_category_makes_kl_and_chi2_infinite_without_smoothing(metric):
    ref = dv.drift.profile(pa.table({"s": ["a"] * 40 + ["b"] * 60}))
    cur = pa.table({"s": ["a"] * 30 + ["b"] * 50 + ["zeta"] * 5})
    (rec,) = dv.drift.compare(ref, cur, metrics=metric, smoothing=0, n_permutations=0).to_records()
    assert rec["value"] == math.inf


def test_unseen_category_reported_when_the_reference_pooled():
    ref = dv.drift.profile(pa.table({"s": ["a"] * 10 + ["b"] * 8 + ["c"] * 2}), max_categories=2)
    rep = dv.drift.compare(ref, pa.table({"s": ["a"] * 5 + ["brand-new"] * 5}), n_permutations=0)
    assert rep.unseen("s") == {"brand-new": 5}


def test_drifted_columns_most_severe_first():
    rng = np.random.default_rng(80)
    shifts = {"small": 0.4, "none": 0.0, "huge": 3.0, "medium": 1.0}
    ref = pa.table({c: rng.normal(size=1000) for c in shifts})
    cur = pa.table({c: rng.normal(s, 1.0, 1000) for c, s in shifts.items()})
    rep = dv.drift.compare(ref, cur, metrics=["psi", "js_distance"], n_permutations=100, random_state=0)
    severity: dict = {}
    for r in rep.to_records():
        if r["drifted"]:
            severity[r["column"]] = max(severity.get(r["column"], 0.0), r["value"] / r["threshold"])
    assert set(rep.drifted_columns) == set(severity) == {"small", "huge", "medium"}
    assert rep.drifted_columns == sorted(severity, key=severity.get, reverse=True)
    assert rep.drifted_columns[0] == "huge"
    assert strict_json(rep.to_json())["drifted_columns"] == rep.drifted_columns


def test_histogram_shares_sum_to_one():
    ref_t, cur_t = mixed_table(81), mixed_table(82, n=250, shift=0.5)
    rep = dv.drift.compare(ref_t, cur_t, n_permutations=0)
    for column in ("f", "i", "big", "s", "b"):
        h = rep.histogram(column)
        assert len(h["labels"]) == len(h["reference"]) == len(h["current"])
        assert sum(h["reference"]) == pytest.approx(1.0, abs=1e-12)
        assert sum(h["current"]) == pytest.approx(1.0, abs=1e-12)
        assert all(v >= 0 for v in h["reference"] + h["current"])
    with pytest.raises(dv.InvalidInputError, match="'nope'"):
        rep.histogram("nope")


def test_to_frame_has_one_row_per_record():
    pd_or_skip()
    rep = dv.drift.compare(mixed_table(83), mixed_table(84, shift=0.5), metrics=["psi", "hellinger", "kl"],
                           n_permutations=20, random_state=0)
    recs = rep.to_records()
    frame = rep.to_frame()
    assert len(frame) == len(recs) == 5 * 3
    assert list(frame["column"]) == [r["column"] for r in recs]
    assert list(frame["value"]) == [r["value"] for r in recs]
    assert {"column", "window_start", "window_end", "metric", "value", "pvalue", "threshold", "drifted",
            "n_reference", "n_current"} <= set(frame.columns)


def test_report_json_records_every_choice():
    rep = dv.drift.compare(mixed_table(85), mixed_table(86, shift=0.5), metrics="psi", smoothing=0.25, alpha=0.01,
                           n_permutations=30, random_state=0, correction="holm")
    data = strict_json(rep.to_json())
    s = data["settings"]
    assert (s["metrics"], s["smoothing"], s["alpha"], s["correction"], s["n_permutations"], s["bins"]) == \
        (["psi"], 0.25, 0.01, "holm", 30, 10)
    assert "pvalue_adjusted" in s["rule"]
    assert len(data["records"]) == len(rep.to_records())
    assert str(rep) and repr(rep)


# ============================================================================= 8. bad input


def _base_frames():
    rng = np.random.default_rng(90)
    n = 40
    ref = pa.table({"x": rng.normal(size=n), "s": rng.choice(["a", "b"], n)})
    cur = pa.table({"x": rng.normal(size=n), "s": rng.choice(["a", "b"], n),
                    "when": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(n)])})
    return ref, cur


BAD_COMPARE = [
    ({"metrics": "nope"}, "nope"),
    ({"metrics": "entropy"}, "entropy"),
    ({"metrics": []}, "metrics"),
    ({"alpha": 0}, "alpha"),
    ({"alpha": 1}, "alpha"),
    ({"alpha": -0.1}, "alpha"),
    ({"alpha": 1.5}, "alpha"),
    ({"alpha": True}, "alpha"),
    ({"alpha": "0.05"}, "alpha"),
    ({"alpha": float("nan")}, "alpha"),
    ({"n_permutations": -1}, "n_permutations"),
    ({"n_permutations": 2.5}, "n_permutations"),
    ({"n_permutations": True}, "n_permutations"),
    ({"n_permutations": "100"}, "n_permutations"),
    ({"correction": "bonferroni"}, "correction"),
    ({"thresholds": {"psi": -1.0}}, "psi"),
    ({"thresholds": {"psi": float("nan")}}, "psi"),
    ({"thresholds": {"psi": float("inf")}}, "psi"),
    ({"thresholds": {"psi": "0.1"}}, "psi"),
    ({"thresholds": {"kl": 0.1}}, "kl"),  # not among the metrics
    ({"thresholds": [0.1]}, "thresholds"),
    ({"smoothing": -1.0}, "smoothing"),
    ({"base": 1}, "base"),
    ({"base": 0}, "base"),
    ({"every": "1d"}, "time_column"),
    ({"time_column": "when"}, "every"),
    ({"time_column": "when", "every": "1d", "chunk_size": 10}, "chunk_size"),
    ({"time_column": "x", "every": "1d"}, "'x'"),  # not a time
    ({"time_column": "absent", "every": "1d"}, "'absent'"),
    ({"time_column": "when", "every": "1 day"}, "every"),
    ({"time_column": "when", "every": "1day"}, "every"),
    ({"time_column": "when", "every": "0d"}, "every"),
    ({"time_column": "when", "every": "d"}, "every"),
    ({"time_column": "when", "every": "1y"}, "every"),
    ({"time_column": "when", "every": "1.5h"}, "every"),
    ({"time_column": "when", "every": ""}, "every"),
    ({"time_column": "when", "every": 86400}, "every"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"chunk_size": -5}, "chunk_size"),
    ({"chunk_size": 2.5}, "chunk_size"),
    ({"chunk_size": True}, "chunk_size"),
]


@pytest.mark.parametrize("kwargs,match", BAD_COMPARE, ids=[f"{next(iter(k))}={list(k.values())[-1]!r}"
                                                           for k, _ in BAD_COMPARE])
def test_bad_options_of_compare(kwargs, match):
    ref, cur = _base_frames()
    with pytest.raises(dv.InvalidInputError, match=match):
        dv.drift.compare(ref, cur, metrics=kwargs.pop("metrics", "psi"), n_permutations=kwargs.pop("n_permutations", 10),
                         **kwargs)


def test_bad_frames_name_the_column():
    ref, cur = _base_frames()
    with pytest.raises(dv.InvalidInputError, match="'s'"):
        dv.drift.compare(ref, cur.drop(["s"]))
    with pytest.raises(dv.InvalidInputError, match="'s'"):
        dv.drift.profile(cur.drop(["s"]), like=dv.drift.profile(ref))
    with pytest.raises(dv.InvalidInputError, match="empty"):
        dv.drift.profile(ref.slice(0, 0))
    with pytest.raises(dv.InvalidInputError, match="current is empty"):
        dv.drift.compare(ref, cur.slice(0, 0))
    with pytest.raises(dv.InvalidInputError, match="'absent'"):
        dv.drift.profile(ref, columns=["absent"])
    with pytest.raises(dv.InvalidInputError, match="'absent'"):
        dv.drift.profile(ref, categorical="absent")
    with pytest.raises(dv.InvalidInputError, match="max_categories"):
        dv.drift.profile(ref, max_categories=0)
    with pytest.raises(dv.InvalidInputError, match="like"):
        dv.drift.profile(ref, like="not a profile")
    with pytest.raises(dv.InvalidInputError, match="data frame"):
        dv.drift.profile([[1, 2], [3, 4]])
    with pytest.raises(dv.InvalidInputError, match="column 'x'"):
        dv.drift.compare(ref, pa.table({"x": ["a", "b"], "s": ["a", "b"]}))  # numbers expected
    with pytest.raises(dv.InvalidInputError, match="windows"):
        dv.drift.compare(ref, dv.drift.profile(cur, like=dv.drift.profile(ref)), chunk_size=10)


def test_bad_files(tmp_path):
    ref, _ = _base_frames()
    with pytest.raises(dv.InvalidInputError, match="no such file"):
        dv.drift.profile(tmp_path / "absent.csv")
    (tmp_path / "data.txt").write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(dv.InvalidInputError, match=".csv or .parquet"):
        dv.drift.profile(tmp_path / "data.txt")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(dv.InvalidInputError, match="cannot read"):
        dv.drift.compare(ref, tmp_path / "broken.parquet")


def test_unsupported_reference_column_type_is_named():
    pl = pl_or_skip()
    df = pl.DataFrame({"x": [1.0, 2.0, 3.0], "tags": [[1], [2, 3], []]})
    with pytest.raises(dv.InvalidInputError, match="'tags'"):
        dv.drift.profile(df)
    assert list(dv.drift.profile(df, columns=["x"]).columns) == ["x"]


@pytest.mark.parametrize("column,values", [("x", [[1.0]] * 4), ("s", [[1.0]] * 4), ("x", ["a", "b", "c", "d"])])
def test_unsupported_current_column_type_is_named(column, values):
    pl = pl_or_skip()
    ref = dv.drift.profile(pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": ["a", "b", "a", "b"]}))
    cur = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": ["a", "b", "a", "b"]}).with_columns(pl.Series(column, values))
    with pytest.raises(dv.InvalidInputError, match=f"'{column}'"):
        dv.drift.compare(ref, cur, n_permutations=0)


def test_baseline_is_the_value_expected_without_drift():
    """Small samples bias a divergence up; ``baseline``, the mean over the permutation draws,
    tracks that bias: on many columns without drift the values average to the baselines, and
    a real shift stands far above its baseline."""
    rng = np.random.default_rng(11)
    n_columns = 40
    reference = pa.table({f"c{i}": rng.normal(size=2000) for i in range(n_columns)})
    current = pa.table({f"c{i}": rng.normal(size=100) for i in range(n_columns)})
    records = dv.drift.compare(dv.drift.profile(reference), current, metrics="js_distance", n_permutations=300,
                               random_state=0).to_records()
    values = np.array([r["value"] for r in records])
    baselines = np.array([r["baseline"] for r in records])
    assert values.mean() > 0.05  # 100 rows in 13 bins: biased well above 0 with no drift at all
    assert abs(values.mean() - baselines.mean()) < 3 * values.std() / np.sqrt(n_columns)
    shifted = pa.table({"c0": rng.normal(1.0, 1.0, size=100)})
    ref0 = dv.drift.profile(reference, columns=["c0"])
    (record,) = dv.drift.compare(ref0, shifted, metrics="js_distance", random_state=0).to_records()
    assert record["value"] > 3 * record["baseline"] and record["pvalue"] < 0.01
    (quiet,) = dv.drift.compare(ref0, shifted, metrics="js_distance", n_permutations=0).to_records()
    assert quiet["baseline"] is None and quiet["pvalue"] is None


def test_metrics_with_options_take_them_from_metric_options():
    """Renyi needs its order and an f-divergence its f: ``metric_options`` passes them, checked by the
    metric's own parser; with f = (t - 1)^2 the f-divergence is chi-square exactly."""
    rng = np.random.default_rng(5)
    reference = pa.table({"x": rng.normal(size=800)})
    current = pa.table({"x": rng.normal(0.4, 1.0, size=600)})
    ref = dv.drift.profile(reference)
    records = dv.drift.compare(ref, current, metrics=["renyi", "f_divergence", "chi2"], n_permutations=20,
                               metric_options={"renyi": {"alpha": 2.0}, "f_divergence": {"f": lambda t: (t - 1) ** 2}},
                               random_state=0).to_records()
    value = {r["metric"]: r["value"] for r in records}
    assert value["f_divergence"] == pytest.approx(value["chi2"], rel=1e-12)
    assert value["renyi"] == pytest.approx(math.log1p(value["chi2"]), rel=1e-12)  # D_2 = log(1 + chi2)
    for options, message in [(None, "pass metric_options"), ({"renyi": {"alpha": -1}}, "alpha must be >= 0"),
                             ({"kl": {}}, "not among metrics"), ({"renyi": 2}, "dict of options")]:
        with pytest.raises(dv.InvalidInputError, match=message):
            dv.drift.compare(ref, current, metrics="renyi", metric_options=options)
