"""Speed, memory and reported values of ``dv.drift`` (``profile`` + ``compare``) against Evidently 0.7
and NannyML, on the same data in one run.

What is measured
----------------
Data: a reference frame and a current frame of ``--rows`` rows (default 10^6; ``--quick``: 10^4)
by 10 float64 columns ``x0`` ... ``x9``, drawn with ``numpy.random.default_rng`` and a fixed seed.
Every column is the same distribution on both sides (normal with its own mean and scale; ``x3``,
``x5``, ... lognormal), except three drifted columns of the current frame:

* ``x0``: mean shift of 0.1 standard deviation;
* ``x1``: standard deviation times 1.2 (same mean);
* ``x2``: the same distribution, with 5% of the rows set to NaN (a jump in missing values).

The two frames are written once to parquet files in a temporary directory. Each tool then runs in
its own fresh Python process, the same small timing script (``RUNNER`` below) reading the parquet
files into pandas frames and timing the tool's own work on them, reading not included:

* ours, in this virtualenv: ``dv.drift.profile(reference, bins=10)`` then
  ``dv.drift.compare(profile, current, metrics=("js_distance", "psi"), n_permutations=1000,
  random_state=0).to_records()``: two metrics and permutation p-values on every column;
* Evidently 0.7: ``Report([DataDriftPreset()]).run(current, reference).dict()``, its defaults
  (on numeric columns of over 1000 rows that is the normed Wasserstein distance per column, no
  p-value);
* NannyML: ``UnivariateDriftCalculator(column_names=..., continuous_methods=["jensen_shannon"])``,
  ``.fit(reference)``, ``.calculate(current).filter(period="analysis").to_df()`` with its default
  chunking (10 chunks of each frame, the reference chunks scored too).

Evidently and NannyML each live in their own virtualenv, which the script creates on first use
under ``.bench-envs/<name>`` in the repository root (git-ignored) with ``python3 -m venv`` and
``pip install``: ``evidently==0.7.*`` and ``nannyml``, both with ``pandas<3`` (Evidently 0.7.23
fails to import under pandas 3; NannyML 0.13 predates it), NannyML with ``statsmodels``, which it
imports without declaring it. This takes a few minutes once; a virtualenv that cannot be made (no
network, no wheel for this Python) prints ``peer unavailable: <reason>`` and the run goes on.

Times are the best of ``--repeat`` wall-clock runs (``time.perf_counter``) after one warm-up run;
a tool whose warm-up takes over ``SLOW_S`` gets the best of the warm-up and one more run.
``tool/dv`` is the tool's time over ours (above 1x ours is faster). Memory: the peak resident set
size of the tool's process during its warm-up run, over its size once the frames are loaded
(``VmHWM`` reset through ``/proc/self/clear_refs``; where that is refused the high-water mark
includes the loading, and is marked ``*``); for ours also the peak traced by ``tracemalloc``
(NumPy reports its buffers to it) during one call in this process after a warm-up call, next to
the data's size.

A second table puts side by side the JS distance and PSI each tool reports for the drifted columns
and one undrifted column, computed on the whole current frame (NannyML with one chunk, Evidently with
``DataDriftPreset(method="jensenshannon")`` and ``method="psi"``), each with its binning, smoothing
and logarithm base, so that the documentation can show why the numbers differ between tools.
NannyML has no PSI.

A third table scales ours alone: ``--rows`` rows by 10, 50 and 100 columns (``--scaling``), in
this process: seconds, milliseconds per column and the per-column time over that at 10 columns
(the target: linear in columns, 10^6 x 100 in seconds), and the peak memory traced.

How to run
----------
From the repository root::

    .venv/bin/python benchmarks/drift.py                # full run; the first one installs the peers
    .venv/bin/python benchmarks/drift.py --quick        # 10^4 rows: ~30 s with the peers (their imports)
    .venv/bin/python benchmarks/drift.py --skip-peers   # ours only (time, memory, scaling); --quick: seconds
    .venv/bin/python benchmarks/drift.py --scaling      # no scaling table
    .venv/bin/python benchmarks/drift.py --repeat 5     # best of 5 instead of 3

Quote the ratios (tool time / our time, time per column at 100 columns / at 10), not the absolute
times: the machines these run on are shared and noisy, and the ratios, measured back to back on the
same data, are what carries over from one machine to another.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow
from _common import MIB, print_row, shape_str

import divergences as dv

SEED = 20_240_601
FULL_ROWS = 1_000_000
QUICK_ROWS = 10_000
N_COLUMNS = 10
SCALING_COLUMNS = [10, 50, 100]
BINS = 10
METRICS = ("js_distance", "psi")
N_PERMUTATIONS = 1000
SLOW_S = 10.0  # a run whose warm-up takes longer is timed by the best of two runs
TABLE_COLUMNS = ["x0", "x1", "x2", "x3"]  # the side-by-side: the three drifted columns and an undrifted one
DRIFT = {"x0": "mean +0.1 sd", "x1": "sd x 1.2", "x2": "5% NaN", "x3": "none (lognormal)"}
ENVS_DIR = Path(__file__).resolve().parents[1] / ".bench-envs"
PIP_TIMEOUT_S = 1800
PEER_TIMEOUT_S = 3600


@dataclass(frozen=True)
class PeerEnv:
    name: str
    requirements: tuple[str, ...]
    module: str  # imported once after installing, to check that the install works


PEERS = [
    # Evidently 0.7.23 imports pandas.core.dtypes.common.infer_dtype_from_object, gone in pandas 3.
    PeerEnv("evidently", ("evidently==0.7.*", "pandas<3", "pyarrow"), "evidently"),
    # NannyML 0.13 predates pandas 3 and imports statsmodels (its plots) without requiring it.
    PeerEnv("nannyml", ("nannyml", "pandas<3", "statsmodels", "pyarrow"), "nannyml"),
]

# The timing script, run by each tool's Python (3.9 or newer, pandas and pyarrow installed):
# ``python runner.py TOOL REFERENCE.parquet CURRENT.parquet CONFIG_JSON``; it prints one JSON line.
RUNNER = r'''
from __future__ import annotations

import gc
import json
import math
import os
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
tool, ref_path, cur_path = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.loads(sys.argv[4])
MIB = 2.0 ** 20


def rss_mib():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except OSError:
        return None


def reset_peak():
    """Reset the kernel's resident high-water mark (Linux 4.0+); False where that is refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (MIB if sys.platform == "darwin" else 1024.0)


def setup_dv():
    import divergences as dv

    def work(ref, cur):
        prof = dv.drift.profile(ref, bins=config["bins"])
        rep = dv.drift.compare(prof, cur, metrics=tuple(config["metrics"]), n_permutations=config["n_permutations"],
                               random_state=0)
        return rep, rep.to_records()

    def values(ref, cur, result):
        rep, records = result
        report = json.loads(rep.to_json())
        out = {}
        for r in records:
            out.setdefault(r["column"], {})[r["metric"]] = r["value"]
        for col in config["columns"]:
            info = report["columns"].get(col, {})
            out.setdefault(col, {})["bins"] = len(info.get("edges", [])) + 1
        return {"values": out, "flagged": list(rep.drifted_columns), "settings": report["settings"]}

    return dv.__version__, work, values


def setup_evidently():
    import evidently
    from evidently import Report
    from evidently.presets import DataDriftPreset

    def work(ref, cur):
        return Report([DataDriftPreset()]).run(cur, ref).dict()

    def drift_values(result):
        out = {}
        for m in result["metrics"]:
            cfg = m.get("config", {})
            if cfg.get("type", "").endswith("ValueDrift"):
                out[cfg["column"]] = (m["value"], cfg.get("method", ""), cfg.get("threshold"))
        return out

    def values(ref, cur, result):
        default = drift_values(result)
        # p-value methods (small data) drift below the threshold, distances at or above it
        flagged = [c for c, (v, method, t) in default.items()
                   if t is not None and (v < t if "p_value" in method else v >= t)]
        cols = config["columns"]
        out = {c: {} for c in cols}
        for method, key in (("jensenshannon", "js_distance"), ("psi", "psi")):
            res = Report([DataDriftPreset(columns=cols, method=method)]).run(cur[cols], ref[cols]).dict()
            for c, (v, _, _) in drift_values(res).items():
                out[c][key] = v
        for c in cols:  # its get_binned_data: Sturges equal-width bins on reference + current, NaN dropped
            both = pd.concat([ref[c], cur[c]]).replace([np.inf, -np.inf], np.nan).dropna()
            out[c]["bins"] = len(np.histogram_bin_edges(both.to_numpy(), bins="sturges")) - 1
        methods = sorted({method for _, method, _ in default.values()})
        return {"values": out, "flagged": flagged, "default_methods": methods}

    return evidently.__version__, work, values


def setup_nannyml():
    import nannyml as nml

    def calculator(cols, **chunking):
        return nml.UnivariateDriftCalculator(column_names=cols, continuous_methods=["jensen_shannon"], **chunking)

    def work(ref, cur):
        calc = calculator(list(ref.columns))
        calc.fit(ref)
        return calc.calculate(cur).filter(period="analysis").to_df()

    def values(ref, cur, result):
        flagged = [c for c in ref.columns if bool(result[(c, "jensen_shannon", "alert")].any())]
        cols = config["columns"]
        calc = calculator(cols, chunk_number=1)
        calc.fit(ref[cols])
        whole = calc.calculate(cur[cols]).filter(period="analysis").to_df()
        out = {}
        for c in cols:  # its ContinuousJensenShannonDistance: Doane equal-width bins on the reference
            edges = np.histogram_bin_edges(ref[c].dropna().to_numpy(), bins="doane")
            out[c] = {"js_distance": float(whole[(c, "jensen_shannon", "value")].iloc[0]), "bins": len(edges) - 1}
        return {"values": out, "flagged": flagged, "chunks": int(len(result))}

    return nml.__version__, work, values


version, work, values = {"dv": setup_dv, "evidently": setup_evidently, "nannyml": setup_nannyml}[tool]()
ref = pd.read_parquet(ref_path)
cur = pd.read_parquet(cur_path)
gc.collect()
loaded = rss_mib()
reset = reset_peak()
times = []
start = time.perf_counter()
result = work(ref, cur)
times.append(time.perf_counter() - start)
peak = peak_mib()
runs = 1 if times[0] > config["slow_s"] else config["repeat"]
for _ in range(runs):
    gc.collect()
    start = time.perf_counter()
    work(ref, cur)
    times.append(time.perf_counter() - start)
best = min(times) if times[0] > config["slow_s"] else min(times[1:])
out = {"tool": tool, "version": version, "seconds": best, "runs": times, "loaded_mib": loaded,
       "peak_mib": peak, "peak_reset": reset, "pandas": pd.__version__, "numpy": np.__version__,
       "python": sys.version.split()[0]}
out.update(values(ref, cur, result))
print(json.dumps(out, default=float))
'''


# --- data -------------------------------------------------------------------------------------------

def make_frames(n_rows: int, n_columns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames; the current one drifted in ``x0`` (mean), ``x1`` (scale) and
    ``x2`` (5% NaN), every other column drawn from the reference's distribution."""
    rng = np.random.default_rng(SEED)
    ref, cur = {}, {}
    for j in range(n_columns):
        name = f"x{j}"
        if j >= 3 and j % 2 == 1:
            ref[name] = rng.lognormal(0.0, 1.0, n_rows)
            cur[name] = rng.lognormal(0.0, 1.0, n_rows)
            continue
        loc, scale = float(j), 1.0 + j / 10.0
        ref[name] = rng.normal(loc, scale, n_rows)
        if name == "x0":
            cur[name] = rng.normal(loc + 0.1 * scale, scale, n_rows)
        elif name == "x1":
            cur[name] = rng.normal(loc, 1.2 * scale, n_rows)
        else:
            cur[name] = rng.normal(loc, scale, n_rows)
            if name == "x2":
                cur[name][rng.choice(n_rows, size=n_rows // 20, replace=False)] = np.nan
    return pd.DataFrame(ref), pd.DataFrame(cur)


def frames_mib(*frames: pd.DataFrame) -> float:
    return sum(float(f.memory_usage(index=False, deep=False).sum()) for f in frames) / MIB


# --- ours, in this process ----------------------------------------------------------------------------

def ours_missing() -> str | None:
    """Why our side cannot run, or None."""
    if not hasattr(dv, "drift"):
        return f"dv.drift is not in this build of divergences ({dv.__version__}): ours is skipped"
    return None


def ours(ref: pd.DataFrame, cur: pd.DataFrame) -> Any:
    prof = dv.drift.profile(ref, bins=BINS)
    return dv.drift.compare(prof, cur, metrics=METRICS, n_permutations=N_PERMUTATIONS, random_state=0).to_records()


def ours_best(ref: pd.DataFrame, cur: pd.DataFrame, repeat: int) -> float:
    times = []
    for i in range(1 + repeat):
        gc.collect()
        start = time.perf_counter()
        ours(ref, cur)
        times.append(time.perf_counter() - start)
        if i == 0 and times[0] > SLOW_S:
            return min(times + [best_of_one(ref, cur)])
    return min(times[1:])


def best_of_one(ref: pd.DataFrame, cur: pd.DataFrame) -> float:
    gc.collect()
    start = time.perf_counter()
    ours(ref, cur)
    return time.perf_counter() - start


def ours_traced_mib(ref: pd.DataFrame, cur: pd.DataFrame) -> float:
    """Peak memory (MiB) traced by tracemalloc during one call after a warm-up call (which pays
    the one-off imports), its result included."""
    ours(ref, cur)
    gc.collect()
    tracemalloc.start()
    try:
        ours(ref, cur)
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


# --- the peers' virtualenvs and the timing subprocesses -----------------------------------------------

def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def last_error(text: str) -> str:
    """The most telling line of pip's or Python's output (pip's warnings about ignored index
    locations skipped)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "is ignored" not in ln]
    errors = [ln for ln in lines if ln.startswith("ERROR") or "Error" in ln]
    return (errors or lines or ["no output"])[-1][:300]


def ensure_env(peer: PeerEnv, python: str, envs_dir: Path) -> tuple[Path | None, str]:
    """The peer's virtualenv Python, made and installed on first use; or None and the reason."""
    root = envs_dir / peer.name
    py = venv_python(root)
    marker = root / ".installed"
    spec = " ".join(peer.requirements)
    if py.exists() and marker.exists() and marker.read_text() == spec:
        return py, ""
    print(f"  {peer.name}: installing {spec} into {root} (once; a few minutes)", flush=True)
    try:
        if not py.exists():
            made = subprocess.run([python, "-m", "venv", str(root)], capture_output=True, text=True, timeout=300)
            if made.returncode != 0:
                return None, f"python3 -m venv failed: {last_error(made.stderr + made.stdout)}"
        pip = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              *peer.requirements], capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
        if pip.returncode != 0:
            return None, f"pip install {spec} failed: {last_error(pip.stderr + pip.stdout)}"
        check = subprocess.run([str(py), "-c", f"import {peer.module}"], capture_output=True, text=True,
                               timeout=300, env=peer_environ())
        if check.returncode != 0:
            return None, f"import {peer.module} failed after installing: {last_error(check.stderr)}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    marker.write_text(spec)
    return py, ""


def peer_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(DO_NOT_TRACK="1", NML_DISABLE_USAGE_LOGGING="1")  # no usage telemetry from the peers
    return env


def run_tool(tool: str, python: Path | str, workdir: Path, repeat: int, timeout: float) -> tuple[dict | None, str]:
    """Run the timing script for ``tool`` with ``python``: its JSON result, or None and the reason."""
    runner = workdir / "runner.py"
    config = {"bins": BINS, "metrics": list(METRICS), "n_permutations": N_PERMUTATIONS, "columns": TABLE_COLUMNS,
              "repeat": repeat, "slow_s": SLOW_S}
    cmd = [str(python), str(runner), tool, str(workdir / "reference.parquet"), str(workdir / "current.parquet"),
           json.dumps(config)]
    env = peer_environ() if tool != "dv" else dict(os.environ)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return None, f"exit {done.returncode}: {last_error(done.stderr + done.stdout)}"
    return json.loads(lines[-1]), ""


# --- tables -------------------------------------------------------------------------------------------

TIME_ROW = "{:<10}  {:<8}  {:>9}  {:>8}  {:>13}  {:<18}  {}"
TIME_COLUMNS = ["tool", "version", "seconds", "tool/dv", "RSS +MiB", "flagged drifted", "what is timed"]
WHAT = {
    "dv": f"profile(bins={BINS}) + compare({', '.join(METRICS)}; {N_PERMUTATIONS} permutations).to_records()",
    "evidently": "Report([DataDriftPreset()]).run(cur, ref).dict()",
    "nannyml": "UnivariateDriftCalculator(jensen_shannon).fit(ref) + .calculate(cur).to_df()",
}
VALUE_ROW = "{:<10}  {:<11}  " + "  ".join(["{:>9}"] * len(TABLE_COLUMNS)) + "  {}"
SCALING_ROW = "{:>7}  {:<17}  {:>9}  {:>10}  {:>12}  {:>9}  {:>9}"
SCALING_COLUMNS_HEAD = ["columns", "shape", "seconds", "ms/column", "per col /10", "data MiB", "dv MiB"]


def time_table(results: dict[str, dict | None], reasons: dict[str, str], traced: float | None, data_mib: float) -> None:
    print("\nTime of one drift check on the same data (best of runs; tool/dv = tool time / our time, above 1x "
          "ours is faster);\nRSS +MiB: the process's resident peak during its first run minus its size with the "
          "frames loaded")
    print_row(TIME_ROW, TIME_COLUMNS)
    dv_s = results["dv"]["seconds"] if results.get("dv") else None
    for tool in ("dv", "evidently", "nannyml"):
        if tool not in results:
            continue
        res = results[tool]
        if res is None:
            label = "ours unavailable" if tool == "dv" else "peer unavailable"
            print(f"{tool:<10}  {label}: {reasons[tool]}", flush=True)
            continue
        ratio = f"{res['seconds'] / dv_s:.1f}x" if dv_s else "n/a"
        mark = "" if res["peak_reset"] else "*"
        rss = f"{res['peak_mib'] - res['loaded_mib']:.0f}{mark}" if res.get("loaded_mib") is not None else "n/a"
        flagged = ",".join(res["flagged"]) or "-"
        print_row(TIME_ROW, [tool, res["version"], f"{res['seconds']:.3f}", ratio, rss, flagged, WHAT[tool]])
    if any(r and not r["peak_reset"] for r in results.values()):
        print("  * the resident high-water mark could not be reset: it includes reading the parquet files")
    if traced is not None:
        print(f"ours, traced by tracemalloc during one call in this process: peak {traced:.1f} MiB, "
              f"{traced / data_mib:.2f}x the data ({data_mib:.1f} MiB, reference + current)")
    for tool in ("evidently", "nannyml"):
        res = results.get(tool)
        if res:
            extra = (f"; default method(s): {', '.join(res['default_methods'])}" if tool == "evidently"
                     else f"; {res['chunks']} chunks of current")
            print(f"{tool} ran on Python {res['python']}, pandas {res['pandas']}, numpy {res['numpy']}{extra}")


def fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, int):
        return str(v)
    return "inf" if math.isinf(v) else f"{v:.4g}"


def values_table(results: dict[str, dict | None]) -> None:
    print("\nValues each tool reports on the whole current frame (drift: " +
          "; ".join(f"{c} {d}" for c, d in DRIFT.items()) + ")")
    print_row(VALUE_ROW, ["tool", "metric", *TABLE_COLUMNS, "binning, smoothing, log base"])
    ln2 = math.log(2.0)
    dv_res = results.get("dv")
    if dv_res:
        s = dv_res["settings"]
        base = f"log base {s['base']}" if s["base"] is not None else "natural log"
        how = (f"{s['bins']} reference-quantile bins (open outer edges) + missing/+inf/-inf bins, "
               f"pseudo-count {s['smoothing']} per bin, {base} ({s['unit']})")
    rows: list[tuple[str, str, dict[str, Any], str]] = []
    for metric in METRICS:
        if dv_res:
            vals = {c: dv_res["values"].get(c, {}).get(metric) for c in TABLE_COLUMNS}
            rows.append(("dv", metric, vals, how))
            if metric == "js_distance" and dv_res["settings"]["base"] is None:
                rows.append(("dv", "js_d bits", {c: (v / math.sqrt(ln2) if v is not None else None)
                                                 for c, v in vals.items()}, "the same in bits: nats / sqrt(ln 2)"))
        ev = results.get("evidently")
        if ev:
            how_ev = ("Sturges equal-width bins on reference + current, NaN/inf dropped, " +
                      ("no smoothing, natural log (scipy jensenshannon)" if metric == "js_distance" else
                       "empty bins set to share 1e-4 (or min/1e6), natural log"))
            rows.append(("evidently", metric, {c: ev["values"][c].get(metric) for c in TABLE_COLUMNS}, how_ev))
        nm = results.get("nannyml")
        if nm:
            if metric == "js_distance":
                rows.append(("nannyml", metric, {c: nm["values"][c].get(metric) for c in TABLE_COLUMNS},
                             "Doane equal-width bins on reference, NaN dropped, current outside them pooled "
                             "in one extra bin, no smoothing, log base 2 (bits), 1 chunk"))
            else:
                rows.append(("nannyml", metric, {c: None for c in TABLE_COLUMNS}, "NannyML has no PSI method"))
    for tool, metric, vals, how_ in rows:
        print_row(VALUE_ROW, [tool, metric, *(fmt(vals[c]) for c in TABLE_COLUMNS), how_])
    for tool in ("dv", "evidently", "nannyml"):
        res = results.get(tool)
        if res:
            note = " (+3 for missing/+inf/-inf)" if tool == "dv" else ""
            print_row(VALUE_ROW, [tool, "value bins", *(fmt(res["values"][c].get("bins")) for c in TABLE_COLUMNS),
                                  f"bins over the values{note}"])


def scaling_table(n_rows: int, columns: list[int], repeat: int) -> None:
    print(f"\nOurs alone, in this process: {n_rows:_} rows by more columns (target: linear in columns; "
          f"per col /{columns[0]} = time per column over that at {columns[0]} columns)")
    print_row(SCALING_ROW, SCALING_COLUMNS_HEAD)
    ref_all, cur_all = make_frames(n_rows, max(columns))
    first = None
    for k in columns:
        names = [f"x{j}" for j in range(k)]
        ref, cur = ref_all[names], cur_all[names]
        secs = ours_best(ref, cur, repeat)
        per = secs / k
        first = per if first is None else first
        print_row(SCALING_ROW, [str(k), shape_str((n_rows, k)), f"{secs:.3f}", f"{per * 1e3:.1f}",
                                f"{per / first:.2f}x", f"{frames_mib(ref, cur):.0f}", f"{ours_traced_mib(ref, cur):.1f}"])
        del ref, cur
    del ref_all, cur_all


# --- main ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:_} rows, for a smoke run in seconds")
    parser.add_argument("--rows", type=int, default=None, metavar="N",
                        help=f"rows of each frame (default {FULL_ROWS:_}; --quick {QUICK_ROWS:_})")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="best of N runs (default 3)")
    parser.add_argument("--skip-peers", action="store_true", help="time ours only: no Evidently, no NannyML")
    parser.add_argument("--scaling", type=int, nargs="*", default=SCALING_COLUMNS, metavar="COLUMNS",
                        help="column counts of the scaling table (default 10 50 100; none to skip)")
    parser.add_argument("--peer-python", default=shutil.which("python3") or sys.executable, metavar="PATH",
                        help="the Python that makes the peers' virtualenvs (default: python3 on PATH)")
    parser.add_argument("--envs-dir", type=Path, default=ENVS_DIR, metavar="DIR",
                        help="where the peers' virtualenvs live (default: .bench-envs in the repository root)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    n_rows = args.rows if args.rows is not None else (QUICK_ROWS if args.quick else FULL_ROWS)

    print(f"divergences {dv.__version__}, numpy {np.__version__}, pandas {pd.__version__}, pyarrow {pyarrow.__version__}")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; best of {args.repeat} "
          f"(one more run instead after a warm-up over {SLOW_S:.0f} s); seed {SEED}")
    print(f"data: reference and current {shape_str((n_rows, N_COLUMNS))} float64, drifted: " +
          ", ".join(f"{c} {d}" for c, d in DRIFT.items() if c != "x3"))
    missing = ours_missing()
    if missing:
        print(f"ours unavailable: {missing}")

    results: dict[str, dict | None] = {}
    reasons: dict[str, str] = {}
    traced = None
    with tempfile.TemporaryDirectory(prefix="dv-drift-bench-") as tmp:
        workdir = Path(tmp)
        ref, cur = make_frames(n_rows, N_COLUMNS)
        data_mib = frames_mib(ref, cur)
        ref.to_parquet(workdir / "reference.parquet")
        cur.to_parquet(workdir / "current.parquet")
        (workdir / "runner.py").write_text(RUNNER)
        if not missing:
            traced = ours_traced_mib(ref, cur)
        del ref, cur
        gc.collect()

        pythons: dict[str, Path] = {}
        if not args.skip_peers:
            for peer in PEERS:
                py, why = ensure_env(peer, args.peer_python, args.envs_dir)
                if py is None:
                    results[peer.name], reasons[peer.name] = None, why
                    print(f"peer unavailable: {peer.name}: {why}", flush=True)
                else:
                    pythons[peer.name] = py
        if missing:
            results["dv"], reasons["dv"] = None, missing
        else:
            results["dv"], reasons["dv"] = run_tool("dv", sys.executable, workdir, args.repeat, PEER_TIMEOUT_S)
        for name, py in pythons.items():
            print(f"  timing {name} ...", flush=True)
            results[name], reasons[name] = run_tool(name, py, workdir, args.repeat, PEER_TIMEOUT_S)
            if results[name] is None:
                print(f"peer unavailable: {name}: {reasons[name]}", flush=True)

    time_table(results, reasons, traced, data_mib)
    values_table(results)
    if args.scaling and not missing:
        scaling_table(n_rows, sorted(args.scaling), args.repeat)


if __name__ == "__main__":
    main()
