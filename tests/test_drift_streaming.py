"""Drift beyond one table: batches streamed into per-day profiles without keeping rows, and a
multivariate verdict that sees a change of correlation no single column shows."""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pytest.importorskip("narwhals")

import divergences as dv  # noqa: E402


def test_a_service_adding_batch_profiles_per_day_gets_the_windows_of_the_whole_table():
    """The recipe of docs/drift.md: each batch counted on the reference's bins, per day, added;
    nothing but counts kept. Per day, the values equal those of compare on the whole table."""
    rng = np.random.default_rng(4)
    n = 6000
    reference = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(["a", "b"], 3000)})
    ts = pd.Timestamp("2026-03-02") + pd.to_timedelta(np.sort(rng.integers(0, 5 * 86_400, n)), unit="s")
    current = pd.DataFrame({"ts": ts, "x": rng.normal(0.2, 1.0, n), "c": rng.choice(["a", "b", "z"], n)})
    ref = dv.drift.profile(reference)
    per_day: dict[str, dv.drift.Profile] = {}
    cuts = np.sort(rng.choice(np.arange(1, n), 40, replace=False))
    for lo, hi in zip([0, *cuts], [*cuts, n]):  # batches of any size, straddling midnight
        batch = current.iloc[lo:hi]
        for day, rows in batch.groupby(batch["ts"].dt.floor("1D")):
            counted = dv.drift.profile(rows.drop(columns="ts"), like=ref)
            key = day.strftime("%Y-%m-%dT%H:%M:%S")
            per_day[key] = per_day[key] + counted if key in per_day else counted
    whole = dv.drift.compare(ref, current, time_column="ts", every="1d", random_state=0)
    expected = {(r["window_start"], r["column"], r["metric"]): (r["value"], r["n_current"]) for r in whole.to_records()}
    got = {}
    for day, counts in per_day.items():
        for r in dv.drift.compare(ref, counts, random_state=0).to_records():
            got[(day, r["column"], r["metric"])] = (r["value"], r["n_current"])
    assert got == expected
    assert sum(p.n_rows for p in per_day.values()) == n


def _correlated(rho: float, n: int, seed: int):
    x = np.random.default_rng(seed).multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)
    return pa.table({"a": x[:, 0], "b": x[:, 1], "noise": np.random.default_rng(seed + 1).normal(size=n)})


def test_a_flipped_correlation_is_seen_together_and_not_column_by_column():
    reference, flipped, same = _correlated(0.8, 1200, 0), _correlated(-0.8, 1200, 1), _correlated(0.8, 1200, 2)
    per_column = dv.drift.compare(dv.drift.profile(reference), flipped, random_state=0)
    assert per_column.drifted_columns == []  # the marginals did not move
    found = dv.drift.multivariate(reference, flipped, ["a", "b"], sample=600, n_permutations=60, random_state=0)
    assert found["drifted"] and found["pvalue"] <= 1 / 61 + 1e-12 and found["value"] > 0.1
    calm = dv.drift.multivariate(reference, same, ["a", "b"], sample=600, n_permutations=60, random_state=0)
    assert not calm["drifted"] and calm["pvalue"] > 0.05
    assert found["n_reference"] == found["n_current"] == 600


def test_multivariate_states_dropped_rows_and_refuses_bad_input():
    reference = pd.DataFrame({"a": [0.0, 1.0, np.nan, 3.0] * 10, "b": np.arange(40.0), "s": ["u"] * 40})
    found = dv.drift.multivariate(reference, reference, ["a", "b"], n_permutations=10, random_state=0)
    assert found["dropped_reference"] == found["dropped_current"] == 10 and found["n_reference"] == 30
    for kwargs, message in [({"columns": ["a"]}, "two or more"), ({"columns": ["a", "zz"]}, "column 'zz'"),
                            ({"columns": ["a", "s"]}, "not numeric"), ({"columns": ["a", "b"], "metric": "tv"}, "metric"),
                            ({"columns": ["a", "b"], "sample": 3}, "sample")]:
        with pytest.raises(dv.InvalidInputError, match=message):
            dv.drift.multivariate(reference, reference, **kwargs)
