"""The bundled example: a reference month of a loan-scoring model's inputs and four weeks of production.

``reference.csv`` (2 000 rows) and ``current.csv`` (28 days x 100 rows, with a ``timestamp``)
ship inside the package (``example_paths``) and are what :func:`make_tables` writes with its
fixed seed. What changes in the current data, so that every feature of drift shows:

- ``income``: from day 15 on, incomes are 25% higher (a real shift, in the later windows);
- ``score``: the share of missing values climbs from 2% to 30% over the four weeks;
- ``country``: a country the reference never saw (``"BR"``) appears in the last week;
- ``age``, ``is_mobile``, ``n_loans``: unchanged (no drift must be reported).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["example_paths", "make_tables"]

FOLDER = Path(__file__).with_name("example")
SEED = 20_260_105


def example_paths() -> tuple[Path, Path]:
    """The paths of the bundled ``reference.csv`` and ``current.csv``."""
    return FOLDER / "reference.csv", FOLDER / "current.csv"


def make_tables(seed: int = SEED) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """(reference header, rows, current header, rows) as CSV text cells."""
    rng = np.random.default_rng(seed)
    countries = np.array(["FR", "DE", "ES", "IT", "NL"])
    weights = np.array([0.35, 0.25, 0.2, 0.15, 0.05])

    def table(n: int, day: np.ndarray | None) -> dict[str, list[str]]:
        """``n`` rows; with ``day`` (each row's day, 0-27), the production drifts."""
        income = rng.lognormal(10.3, 0.45, n) * (1.0 if day is None else np.where(day >= 14, 1.25, 1.0))
        missing_share = 0.02 if day is None else 0.02 + 0.28 * day / 27
        score = np.round(rng.beta(5, 2, n), 4)
        country = countries[rng.choice(5, n, p=weights)].astype(object)
        if day is not None:
            country[(day >= 21) & (rng.random(n) < 0.15)] = "BR"
        return {
            "age": [str(a) for a in rng.integers(18, 80, n)],
            "income": [f"{v:.2f}" for v in income],
            "score": ["" if m else f"{s}" for s, m in zip(score, rng.random(n) < missing_share)],
            "country": [str(c) for c in country],
            "is_mobile": ["true" if b else "false" for b in rng.random(n) < 0.6],
            "n_loans": [str(k) for k in rng.poisson(1.2, n)],
        }

    ref = table(2000, None)
    day = np.repeat(np.arange(28), 100)
    cur = table(day.size, day)
    start = np.datetime64("2026-11-02T00:00:00", "s")  # a Monday
    seconds = day * 86_400 + rng.integers(0, 86_400, day.size)
    order = np.argsort(seconds, kind="stable")
    cur = {k: [v[i] for i in order] for k, v in cur.items()}
    cur = {"timestamp": [str(start + int(s)) for s in np.sort(seconds)], **cur}
    ref_head, cur_head = list(ref), list(cur)
    return ref_head, [list(r) for r in zip(*ref.values())], cur_head, [list(r) for r in zip(*cur.values())]


def write(folder: Path = FOLDER) -> None:
    """Write the example files (run once when the example changes: ``python -m divergences.drift._example``)."""
    ref_head, ref_rows, cur_head, cur_rows = make_tables()
    folder.mkdir(exist_ok=True)
    for name, head, rows in (("reference.csv", ref_head, ref_rows), ("current.csv", cur_head, cur_rows)):
        text = "\n".join(",".join(r) for r in [head, *rows]) + "\n"
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
