"""Drift on a table larger than is comfortable in memory: ``dv.drift.compare`` through Polars lazy and Dask.

What is measured
----------------
A parquet file of ``--rows`` rows (default 5 x 10^7) by 10 float64 columns and a timestamp is
written once, in row groups of 10^6 rows (so that writing it never holds the table), to
``--dir`` (default: a ``divergences-drift-scale`` folder in the system's temporary folder; it
is kept and reused: 4 GB at the default size). A reference profile is fitted on the first 10^6
rows. Then, each in a fresh Python process (so that the peak resident memory, ``ru_maxrss``,
is the run's own):

* ``polars``: ``compare(profile, pl.scan_parquet(path), time_column="ts", every="1d")``;
* ``dask``: the same on ``dd.read_parquet(path)`` (the threaded scheduler, all cores);
* ``pandas``: ``pd.read_parquet(path)`` then ``compare`` on the frame, reading included, where
  the table fits (``--pandas-max-rows``, default 2 x 10^7 rows: above it the pandas run is skipped).

The engines bin and count inside (one scan for the ten numeric columns, grouped by day): only
counts come back. Printed per engine: seconds, values per second (rows x 10 / seconds, the
target at least 2 x 10^7 on this 2-core machine), peak memory (the target under 2 GB), and
whether the engine's records equal Polars' (the same counts give the same values, bit for bit).

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/drift_scale.py                 # 5 x 10^7 rows (writes 4 GB once)
    .venv/bin/python benchmarks/drift_scale.py --rows 5000000  # a smaller run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 20_240_601
COLUMNS = 10
GROUP = 1_000_000
RUNNER = r"""
import json, resource, sys, time
import divergences as dv
engine, path, profile_path, out_path = sys.argv[1:5]
ref = dv.drift.load(profile_path)
start = time.perf_counter()
if engine == "polars":
    import polars as pl
    data = pl.scan_parquet(path)
elif engine == "dask":
    import dask
    import dask.dataframe as dd
    dask.config.set(scheduler="threads")
    data = dd.read_parquet(path)
else:
    import pandas as pd
    data = pd.read_parquet(path)
report = dv.drift.compare(ref, data, time_column="ts", every="1d", random_state=0)
seconds = time.perf_counter() - start
records = [(r["column"], r["window_start"], r["metric"], r["value"]) for r in report.to_records()]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json.dump({"seconds": seconds, "peak_mib": peak, "records": records, "drifted": report.drifted_columns},
          open(out_path, "w"))
"""


def write_table(path: Path, rows: int) -> None:
    """The parquet file, a row group at a time: x0 drifts (mean +0.5 sd) over the second half of the days."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    start = np.datetime64("2026-01-01T00:00:00", "s")
    ms_per_row = 60 * 86_400 * 1000 / rows  # 60 days in all
    writer = None
    try:
        for lo in range(0, rows, GROUP):
            n = min(GROUP, rows - lo)
            ts = start + (np.arange(lo, lo + n) * ms_per_row).astype("timedelta64[ms]")
            cols = {f"x{j}": rng.normal(size=n) for j in range(COLUMNS)}
            cols["x0"] = cols["x0"] + 0.5 * (lo >= rows // 2)
            table = pa.table({"ts": ts, **cols})
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "divergences-drift-scale")
    parser.add_argument("--pandas-max-rows", type=int, default=20_000_000)
    args = parser.parse_args()
    import pyarrow.parquet as pq

    import divergences as dv

    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"table-{args.rows}-60d.parquet"
    if not path.exists():
        t = time.perf_counter()
        write_table(path, args.rows)
        print(f"wrote {path} ({path.stat().st_size / 2**30:.1f} GiB) in {time.perf_counter() - t:.0f} s")
    first = pq.ParquetFile(path).read_row_group(0)
    profile_path = args.dir / f"profile-{args.rows}.json"
    dv.drift.profile(first.drop(["ts"])).save(profile_path)
    print(f"divergences {dv.__version__}; {args.rows:_} rows x {COLUMNS} columns of float64 + a timestamp, "
          f"windows of a day; profile of the first {GROUP:_} rows")
    print(f"{'engine':8} {'seconds':>8} {'values/s':>12} {'peak MiB':>9}  records as polars  drifted")
    base = None
    for engine in ("polars", "dask", "pandas"):
        if engine == "pandas" and args.rows > args.pandas_max_rows:
            print(f"{engine:8} skipped: {args.rows:_} rows > --pandas-max-rows {args.pandas_max_rows:_}")
            continue
        out = args.dir / f"result-{engine}.json"
        done = subprocess.run([sys.executable, "-c", RUNNER, engine, str(path), str(profile_path), str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{engine:8} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
            continue
        result = json.loads(out.read_text())
        base = base if base is not None else result["records"]
        rate = args.rows * COLUMNS / result["seconds"]
        print(f"{engine:8} {result['seconds']:8.1f} {rate:12.3g} {result['peak_mib']:9.0f}  "
              f"{str(result['records'] == base):17}  {','.join(result['drifted'])}")


if __name__ == "__main__":
    main()
