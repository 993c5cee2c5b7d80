"""``divergences drift``: the table, exit statuses, saved profiles, strict JSON, windows, the bundled example."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("narwhals")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import divergences as dv  # noqa: E402
from conftest import run_cli  # noqa: E402
from divergences.drift._example import example_paths, make_tables  # noqa: E402


def _strict_json(text: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"non-strict JSON literal {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A reference and a current parquet file: x shifted by one standard deviation, y not."""
    rng = np.random.default_rng(5)
    folder = tmp_path_factory.mktemp("drift")
    ref = pa.table({"x": rng.normal(size=3000), "y": rng.normal(size=3000), "c": rng.choice(["a", "b"], 3000)})
    cur = pa.table({"x": rng.normal(1.0, 1.0, size=2000), "y": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000),
                    "ts": np.datetime64("2026-01-05") + np.sort(rng.integers(0, 3 * 86_400, 2000)).astype("timedelta64[s]")})
    pq.write_table(ref, folder / "ref.parquet")
    pq.write_table(cur, folder / "cur.parquet")
    return folder


def test_the_table_names_the_drifted_column_first_and_exit_status_follows_fail_on_drift(capsys, tables):
    code, out, err = run_cli(capsys, "drift", tables / "ref.parquet", tables / "cur.parquet", "--seed", 0)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["column", "js_distance"]
    assert lines[1].startswith("x") and lines[1].rstrip().endswith("DRIFT")
    assert not any(line.startswith(("y ", "c ")) and line.endswith("DRIFT") for line in lines)
    assert "1 of 3 columns drifted" in out and "nats" in out
    code, _, _ = run_cli(capsys, "drift", tables / "ref.parquet", tables / "cur.parquet", "--fail-on-drift")
    assert code == 3
    code, _, _ = run_cli(capsys, "drift", tables / "ref.parquet", tables / "cur.parquet", "--columns", "y,c",
                         "--fail-on-drift")
    assert code == 0


def test_a_saved_profile_gives_the_same_report_as_the_table(capsys, tables, tmp_path):
    profile = tmp_path / "ref.json"
    code, out, err = run_cli(capsys, "drift", tables / "ref.parquet", "--save-profile", profile)
    assert code == 0 and out == "" and "saved" in err
    assert dv.drift.load(profile) == dv.drift.profile(tables / "ref.parquet")
    runs = [run_cli(capsys, "drift", ref, tables / "cur.parquet", "--seed", 3, "--json", "-")[1]
            for ref in (tables / "ref.parquet", profile)]
    assert runs[0] == runs[1]
    report = _strict_json(runs[0])
    assert report["settings"]["n_permutations"] == 1000 and report["drifted_columns"] == ["x"]


def test_json_file_and_windows(capsys, tables, tmp_path):
    out_file = tmp_path / "report.json"
    code, out, _ = run_cli(capsys, "drift", tables / "ref.parquet", tables / "cur.parquet", "--time-column", "ts",
                           "--every", "1d", "--metrics", "psi", "--threshold", "psi=0.25", "--correction", "holm",
                           "--json", out_file, "--seed", 1)
    assert code == 0 and "window" in out.splitlines()[0]
    report = _strict_json(out_file.read_text())
    starts = {r["window_start"] for r in report["records"]}
    assert starts == {"2026-01-05T00:00:00", "2026-01-06T00:00:00", "2026-01-07T00:00:00"}
    assert {r["metric"] for r in report["records"]} == {"psi"}
    assert all(r["threshold"] == 0.25 and "pvalue_adjusted" in r for r in report["records"])
    assert sum(r["n_current"] for r in report["records"] if r["column"] == "x") == 2000
    assert "ts" not in report["columns"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{ref}", "{cur}", "--every", "1d"], "every needs time_column"),
        (["{ref}", "{cur}", "--time-column", "x", "--every", "1d"], "time_column 'x' must hold dates"),
        (["{ref}", "{cur}", "--time-column", "ts", "--every", "1d", "--chunk-size", "10"], "not both"),
        (["{ref}", "{cur}", "--metrics", "nope"], "metrics must be one of"),
        (["{ref}", "{cur}", "--metrics", "entropy"], "takes one distribution"),
        (["{ref}", "{cur}", "--alpha", "2"], "alpha must be a number in (0, 1)"),
        (["{ref}", "{cur}", "--threshold", "psi"], "--threshold must be METRIC=VALUE"),
        (["{ref}", "{cur}", "--columns", "zz"], "column 'zz' is not in the reference"),
        (["{ref}", "missing.csv"], "no such file"),
        (["{ref}"], "give CURRENT"),
        ([], "give REFERENCE and CURRENT"),
        (["--example", "{ref}"], "--example runs on the bundled data"),
        (["{cur}", "{ref}"], "column 'ts'"),  # the time column named in columns: reference has no 'ts'
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, tables, argv, message):
    args = [a.format(ref=tables / "ref.parquet", cur=tables / "cur.parquet") for a in argv]
    if args[:1] == [str(tables / "cur.parquet")]:  # current as reference: its time column is skipped, not compared
        args += ["--columns", "ts"]
    code, out, err = run_cli(capsys, "drift", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_a_profile_of_another_format_is_refused(capsys, tables, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "something else", "version": 1}')
    code, _, err = run_cli(capsys, "drift", wrong, tables / "cur.parquet")
    assert code == 2 and "is not a divergences drift profile" in err
    wrong.write_text('{"format": "divergences.drift.profile", "version": 99, "columns": []}')
    code, _, err = run_cli(capsys, "drift", wrong, tables / "cur.parquet")
    assert code == 2 and "version 99" in err


def test_the_example_shows_the_drift_it_was_made_with(capsys):
    code, out, err = run_cli(capsys, "drift", "--example", "--no-progress", "--seed", 0)
    assert code == 0 and err == ""
    drifted = {line.split()[0] for line in out.splitlines() if line.rstrip().endswith("DRIFT")}
    assert drifted == {"income", "score", "country"}
    assert "categories the reference never saw, in country: BR" in out
    assert run_cli(capsys, "drift", "--example", "--fail-on-drift")[0] == 3


def test_the_bundled_files_are_what_the_generator_writes():
    ref_head, ref_rows, cur_head, cur_rows = make_tables()
    for path, head, rows in zip(example_paths(), (ref_head, cur_head), (ref_rows, cur_rows)):
        assert path.read_text(encoding="utf-8") == "\n".join(",".join(r) for r in [head, *rows]) + "\n"


def test_the_console_script_runs_the_example():
    done = subprocess.run([sys.executable, "-m", "divergences", "drift", "--example", "--fail-on-drift"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "DRIFT" in done.stdout


def test_the_guide_shows_what_the_example_prints(capsys):
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "drift.md").read_text(encoding="utf-8")
    _, out, _ = run_cli(capsys, "drift", "--example", "--no-progress")
    shown = out.splitlines()[3:12]  # the header and the first rows of the table
    assert "\n".join(shown) in guide
