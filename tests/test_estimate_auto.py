"""``method="auto"``: the measured best method per sample size and dimension.

The rule (``_methods.auto``) is checked against the table it was read from,
``docs/estimator-rmse.md``: in every cell the method it picks has an RMSE at or below the
best peer's, within the table's own standard error (1 / sqrt(2 seeds) relative)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import divergences as dv
from divergences.estimate._methods import auto

TABLE = Path(__file__).resolve().parent.parent / "docs" / "estimator-rmse.md"
COLUMN = {("knn", 1): "knn k=1 (default) (ours)", ("knn", 5): "knn k=5 (ours)",
          ("knn_adaptive", None): "knn_adaptive k=3 (ours)", ("spacing", None): "spacing (ours)",
          ("knn_weighted", None): "knn_weighted (ours)",
          ("ksg", 3): "ksg k=3 (default) (ours)", ("ksg", 5): "ksg k=5 (ours)", ("lnc", None): "lnc (ours)"}
SECTIONS = {"KL(": "kl", "Differential entropy": "entropy", "Mutual information": "mutual_information"}


def _cells():
    """(metric, n, d, seeds, {column: rmse}, best peer rmse) for every row of the table."""
    metric, header = None, None
    for line in TABLE.read_text().splitlines():
        if line.startswith("## "):
            metric = next((m for key, m in SECTIONS.items() if line[3:].startswith(key)), None)
            header = None
        elif metric and line.startswith("| cell |"):
            header = [c.strip() for c in line.strip("|").split("|")]
        elif metric and header and line.startswith("| ") and not line.startswith("|---"):
            row = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
            joint = re.search(r"joint (\d+)", row["cell"])
            d = int(joint.group(1)) if joint else int(re.search(r"d = (\d+)", row["cell"]).group(1))
            best_peer = float(row["best peer"].split()[0])
            rmse = {c: float(v) for c, v in row.items() if c.endswith("(ours)") and re.fullmatch(r"[0-9.]+", v)}
            yield (metric, int(row["n"].replace(",", "")), d, int(row["seeds"]), rmse, best_peer, row["cell"])


CELLS = list(_cells())


def test_the_table_was_read():
    assert {c[0] for c in CELLS} == {"kl", "entropy", "mutual_information"} and len(CELLS) >= 30


@pytest.mark.parametrize("metric,n,d,seeds,rmse,best_peer,cell", CELLS, ids=[f"{c[0]}-{c[6]}-{c[1]}" for c in CELLS])
def test_auto_is_at_or_below_the_best_peer_in_every_cell(metric, n, d, seeds, rmse, best_peer, cell):
    method = auto(metric, n, d)
    ours = rmse[COLUMN[method]]
    assert ours <= best_peer * (1.0 + 1.0 / math.sqrt(2 * seeds)), (cell, n, method, ours, best_peer)


@pytest.mark.parametrize("metric,shape", [("kl", (400, 1)), ("kl", (4000, 2)), ("kl", (4000, 4)), ("kl", (500, 8)),
                                          ("entropy", (500, 1)), ("entropy", (4000, 1)), ("entropy", (600, 3)),
                                          ("mutual_information", (500, 1)), ("mutual_information", (500, 3))])
def test_auto_gives_the_value_of_the_method_it_picks(metric, shape):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=shape), rng.normal(0.3, 1.2, size=shape)
    args = (x,) if metric == "entropy" else (x, y)
    joint = 2 * shape[1] if metric == "mutual_information" else shape[1]
    method, k = auto(metric, shape[0], joint)
    estimate = getattr(dv.estimate, metric)
    assert estimate(*args, method="auto") == estimate(*args, method=method, k=k)
    with_ci = estimate(*args, method="auto", ci=0.9, n_resamples=20, random_state=1)
    assert with_ci == estimate(*args, method=method, k=k, ci=0.9, n_resamples=20, random_state=1)


def test_auto_counts_symbols_with_the_discrete_estimators():
    words = ["a", "b", "b", "c"] * 50
    assert dv.estimate.entropy(words, method="auto") == dv.estimate.entropy(words, method="miller_madow")
    assert dv.estimate.kl(words, words[::-1], method="auto") == dv.estimate.kl(words, words[::-1], method="discrete")


def test_auto_refuses_k_and_unmeasured_metrics():
    x = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.raises(dv.InvalidInputError, match="k does not apply to method='auto'"):
        dv.estimate.kl(x, x + 1, method="auto", k=3)
    with pytest.raises(dv.InvalidInputError, match="method='auto' is measured for kl, entropy, mutual_information"):
        dv.estimate.js(x, x + 1, method="auto")
