"""`divergences pairwise`: the matrix and nearest rows from files, equal to dv.pairwise / dv.nearest,
with or without a progress bar; bad input exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import divergences as dv
from conftest import run_cli as run
from divergences.cli import _pairwise as cli  # PROGRESS_WORK lives there
from divergences.cli import main


def distributions(n, k=6, seed=0, zeros=True):
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.full(k, 0.7), size=n)
    if zeros:  # a missing event in some rows: KL and cross-entropy are then inf for some pairs
        x[::4, 0] = 0.0
        x /= x.sum(axis=1, keepdims=True)
    return x


@pytest.fixture
def files(tmp_path):
    P, Q = distributions(9, seed=1), distributions(7, seed=2)
    np.savetxt(tmp_path / "p.csv", P, delimiter=",", fmt="%.17g")
    np.save(tmp_path / "q.npy", Q)
    return tmp_path / "p.csv", tmp_path / "q.npy", P, Q


OPTIONS = {
    "kl": ([], {}),
    "kl-bits": (["--base", "2"], {"base": 2.0}),
    "js": (["--metric", "js"], {"metric": "js"}),
    "hellinger": (["--metric", "hellinger"], {"metric": "hellinger"}),
    "renyi": (["--metric", "renyi", "--alpha", "0.5"], {"metric": "renyi", "alpha": 0.5}),
    "cross_entropy": (["--metric", "cross_entropy", "--base", "2"], {"metric": "cross_entropy", "base": 2.0}),
}


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
@pytest.mark.parametrize("case", list(OPTIONS))
def test_matrix_file_equals_the_library(capsys, files, tmp_path, case, suffix):
    p, q, P, Q = files
    argv, kwargs = OPTIONS[case]
    out_path = tmp_path / f"D{suffix}"
    code, out, err = run(capsys, "pairwise", p, q, *argv, "--output", out_path)
    assert (code, out, err) == (0, "", "")
    got = np.load(out_path) if suffix == ".npy" else np.loadtxt(out_path, delimiter=",", ndmin=2)
    expected = dv.pairwise(P, Q, **kwargs)
    assert got.shape == (9, 7)
    np.testing.assert_array_equal(got, expected)  # %.17g round-trips exactly, inf included
    if case == "kl":
        assert np.isinf(got).any()


@pytest.mark.parametrize("case", list(OPTIONS))
def test_one_file_is_compared_with_itself(capsys, files, tmp_path, case):
    p, _, P, _ = files
    argv, kwargs = OPTIONS[case]
    code, _, _ = run(capsys, "pairwise", p, *argv, "--output", tmp_path / "D.npy")
    got = np.load(tmp_path / "D.npy")
    assert code == 0 and got.shape == (9, 9)
    np.testing.assert_array_equal(got, dv.pairwise(P, **kwargs))
    if case == "cross_entropy":
        np.testing.assert_allclose(np.diag(got), dv.entropy(P, base=2), rtol=1e-12)
    else:
        assert (np.diag(got) == 0).all()


def test_matrix_on_stdout_as_text_and_json(capsys, tmp_path):
    np.savetxt(tmp_path / "p.csv", [[0.1, 0.4, 0.5], [0.8, 0.15, 0.05]], delimiter=",")
    code, out, err = run(capsys, "pairwise", tmp_path / "p.csv", "--base", "2")
    assert (code, out.splitlines(), err) == (0, ["0.000,1.927", "2.022,0.000"], "")
    code, out, _ = run(capsys, "pairwise", tmp_path / "p.csv", "--metric", "js", "--json")
    P = np.loadtxt(tmp_path / "p.csv", delimiter=",")
    assert json.loads(out) == {"metric": "js", "unit": "nats", "values": dv.pairwise(P, metric="js").tolist()}
    code, out, _ = run(capsys, "pairwise", tmp_path / "p.csv", "--metric", "hellinger", "--json")
    assert "unit" not in json.loads(out)


def test_counts_single_rows_and_inline_numbers(capsys, tmp_path):
    np.savetxt(tmp_path / "counts.csv", [[1, 4, 5], [8, 1.5, 0.5]], delimiter=",")
    np.savetxt(tmp_path / "one.csv", [[8, 1.5, 0.5]], delimiter=",")  # a single row is one distribution
    code, out, _ = run(capsys, "pairwise", tmp_path / "counts.csv", tmp_path / "one.csv", "--normalize", "--json")
    assert code == 0
    expected = dv.pairwise([[1, 4, 5], [8, 1.5, 0.5]], [[8, 1.5, 0.5]], normalize=True)
    assert json.loads(out)["values"] == expected.tolist()
    code, out, _ = run(capsys, "pairwise", "0.1,0.4,0.5", tmp_path / "counts.csv", "--normalize", "--base", "2")
    assert (code, out.splitlines()) == (0, ["0.000,1.927"])  # inline numbers are one row


@pytest.mark.parametrize("two_files", [False, True])
@pytest.mark.parametrize("metric", ["kl", "js"])
def test_nearest_equals_the_library(capsys, files, tmp_path, two_files, metric):
    p, q, P, Q = files
    extra = [q] if two_files else []
    expected = dv.nearest(P, Q if two_files else None, 3, metric=metric)
    code, out, err = run(capsys, "pairwise", p, *extra, "--metric", metric, "--nearest", 3,
                         "--output", tmp_path / "nn.npz")
    assert (code, out, err) == (0, "", "")
    with np.load(tmp_path / "nn.npz") as saved:
        assert sorted(saved.files) == ["indices", "values"]
        np.testing.assert_array_equal(saved["indices"], expected.indices)
        np.testing.assert_array_equal(saved["values"], expected.values)
    code, _, _ = run(capsys, "pairwise", p, *extra, "--metric", metric, "--nearest", 3, "--output", tmp_path / "nn.csv")
    table = np.loadtxt(tmp_path / "nn.csv", delimiter=",", skiprows=1)
    assert open(tmp_path / "nn.csv").readline().strip() == "row,neighbour,value"
    np.testing.assert_array_equal(table[:, 0], np.repeat(np.arange(9), 3))
    np.testing.assert_array_equal(table[:, 1], expected.indices.ravel())
    np.testing.assert_array_equal(table[:, 2], expected.values.ravel())
    code, out, _ = run(capsys, "pairwise", p, *extra, "--metric", metric, "--nearest", 3, "--json")
    got = json.loads(out)
    assert (got["indices"], got["values"]) == (expected.indices.tolist(), expected.values.tolist())
    if not two_files:
        assert all(i not in row for i, row in enumerate(got["indices"]))


def test_nearest_on_stdout(capsys):
    code, out, _ = run(capsys, "pairwise", "0.65,0.25,0.1", "0.7,0.2,0.1", "--metric", "js", "--nearest", 1,
                       "--digits", "5")
    value = dv.js([0.65, 0.25, 0.1], [0.7, 0.2, 0.1])
    assert (code, out.splitlines()) == (0, ["row,neighbour,value", f"0,0,{value:.5f}"])


def test_parquet_input(capsys, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    counts = np.array([[3, 0, 1], [1, 1, 1], [0, 5, 2], [2, 2, 9]])
    table = pa.table({"a": counts[:, 0], "b": counts[:, 1].astype(np.float32), "c": counts[:, 2].astype(float)})
    pq.write_table(table, tmp_path / "counts.parquet")
    code, out, err = run(capsys, "pairwise", tmp_path / "counts.parquet", "--metric", "js", "--normalize", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["values"] == dv.pairwise(counts.astype(float), metric="js", normalize=True).tolist()
    code, out, _ = run(capsys, "js", tmp_path / "counts.parquet", tmp_path / "counts.parquet", "--normalize", "--json")
    assert (code, json.loads(out)["values"]) == (0, [0.0] * 4)  # the elementwise commands read parquet too
    pq.write_table(pa.table({"a": [0.5, 0.2], "label": ["x", "y"]}), tmp_path / "text.parquet")
    code, out, err = run(capsys, "pairwise", tmp_path / "text.parquet")
    assert code == 2 and err.count("\n") == 1 and "column 'label'" in err and "numeric" in err
    pq.write_table(pa.table({"a": [0.5, None], "b": [0.5, 0.5]}), tmp_path / "nulls.parquet")
    code, out, err = run(capsys, "pairwise", tmp_path / "nulls.parquet")
    assert code == 2 and err.count("\n") == 1 and "1 missing values" in err
    (tmp_path / "junk.parquet").write_text("not parquet\n")
    code, out, err = run(capsys, "pairwise", tmp_path / "junk.parquet")
    assert code == 2 and err.count("\n") == 1 and "cannot read" in err


def test_parquet_without_pyarrow_says_what_to_install(capsys, tmp_path, monkeypatch):
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import now fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    code, out, err = run(capsys, "pairwise", tmp_path / "d.parquet")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "pip install divergences[parquet]" in err


# ------------------------------------------------------------------ the progress bar


@pytest.mark.parametrize("two_files", [False, True])
@pytest.mark.parametrize("case", list(OPTIONS))
def test_matrix_with_a_progress_bar_equals_the_library(capsys, files, tmp_path, two_files, case):
    p, q, P, Q = files
    argv, kwargs = OPTIONS[case]
    extra = [q] if two_files else []
    code, out, err = run(capsys, "pairwise", p, *extra, *argv, "--progress", "--block-size", 2,
                         "--output", tmp_path / "D.npy")
    assert code == 0 and out == ""
    # A redraw per block of 2 rows: 5 x 4 blocks, or 15 on and above the diagonal of P.
    mirrored = not two_files and dv.DIVERGENCES[kwargs.get("metric", "kl")].symmetric
    assert err.count("\r") == (15 if mirrored else 20 if two_files else 25)
    assert "100%" in err and err.endswith("\n") and err.count("\n") == 1
    got = np.load(tmp_path / "D.npy")
    expected = dv.pairwise(P, Q if two_files else None, **kwargs)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert (np.isinf(got) == np.isinf(expected)).all()
    if not two_files and case != "cross_entropy":
        assert (np.diag(got) == 0).all()
        if dv.DIVERGENCES[kwargs.get("metric", "kl")].symmetric:
            assert (got == got.T).all()  # exactly, as in the one-shot call


@pytest.mark.parametrize("two_files", [False, True])
@pytest.mark.parametrize("k", [1, 3, 8])
def test_nearest_with_a_progress_bar_equals_the_library(capsys, tmp_path, two_files, k):
    P = distributions(10, seed=3)
    P[[2, 5, 6, 9]] = P[4]  # five identical rows: ties, and rows with more duplicates than k + 1
    Q = distributions(9, seed=4)
    np.save(tmp_path / "p.npy", P)
    np.save(tmp_path / "q.npy", Q)
    extra = [tmp_path / "q.npy"] if two_files else []
    code, _, err = run(capsys, "pairwise", tmp_path / "p.npy", *extra, "--metric", "js", "--nearest", k,
                       "--progress", "--block-size", 3, "--output", tmp_path / "nn.npz")
    assert code == 0 and "100%" in err
    expected = dv.nearest(P, Q if two_files else None, k, metric="js")
    with np.load(tmp_path / "nn.npz") as saved:
        np.testing.assert_array_equal(saved["indices"], expected.indices)
        np.testing.assert_allclose(saved["values"], expected.values, rtol=1e-13, atol=1e-300)
    if not two_files and k >= 3:
        np.testing.assert_array_equal(expected.indices[9, :3], [2, 4, 5])  # duplicates found, itself left out


def test_progress_bar_shows_on_a_terminal_only_for_large_work(capsys, files, tmp_path, monkeypatch):
    p, _, P, _ = files
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(cli, "PROGRESS_WORK", P.size * 9 - 1)
    code, _, err = run(capsys, "pairwise", p, "--output", tmp_path / "D.npy")
    assert code == 0 and "100%" in err
    code, _, err = run(capsys, "pairwise", p, "--output", tmp_path / "D.npy", "--no-progress")
    assert (code, err) == (0, "")
    monkeypatch.setattr(cli, "PROGRESS_WORK", P.size * 9)
    code, _, err = run(capsys, "pairwise", p, "--output", tmp_path / "D.npy")
    assert (code, err) == (0, "")


def test_errors_come_before_the_bar(capsys, tmp_path):
    P = distributions(10)
    P[7] *= 1.1
    np.save(tmp_path / "p.npy", P)
    code, out, err = run(capsys, "pairwise", tmp_path / "p.npy", "--progress", "--output", tmp_path / "D.npy")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "\r" not in err and "P[7] sums to 1.1" in err


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.csv"], "P: no such file 'missing.csv'"),
        (["{p}", "missing.npy"], "Q: no such file 'missing.npy'"),
        (["{p}", "--metric", "nosuch"], "metric must be one of kl, cross_entropy, js"),
        (["{p}", "--metric", "entropy"], "metric 'entropy' takes one distribution"),
        (["{p}", "{q4}"], "the event axis lengths differ: P has 6 but Q has 4 events"),
        (["{bad}"], "P[1] sums to 1.5, not 1"),
        (["{bad}", "--progress"], "P[1] sums to 1.5, not 1"),
        (["{p}", "{bad}"], "Q[1] sums to 1.5, not 1"),
        (["{big}"], "the result is 101 x 101 = 10201 numbers, too many to print"),
        (["{big}", "--json"], "write it with --output OUT.npy or OUT.csv"),
        (["{big}", "--nearest", "100"], "write it with --output OUT.npz or OUT.csv"),
        (["{p}", "--nearest", "9"], "--nearest must be from 1 to 8 (the rows searched), got 9"),
        (["{p}", "{q}", "--nearest", "0"], "--nearest must be from 1 to 7"),
        (["{p}", "--output", "{dir}/D.txt"], "--output for the matrix must end in .npy or .csv"),
        (["{p}", "--nearest", "2", "--output", "{dir}/D.npy"], "--output with --nearest must end in .npz or .csv"),
        (["{p}", "--output", "{dir}/nowhere/D.npy"], "--output: no such directory"),
        (["{p}", "--metric", "renyi"], "renyi needs --alpha"),
        (["{p}", "--metric", "renyi", "--alpha", "-1"], "alpha must be >= 0"),
        (["{p}", "--alpha", "2"], "kl takes no options; got alpha"),
        (["{p}", "--metric", "hellinger", "--base", "2"], "hellinger has no logarithm: base does not apply"),
        (["{p}", "--base", "1"], "base must be positive"),
        (["{p}", "--block-size", "0"], "block_size must be a positive integer"),
        (["{p}", "--metric", "f_divergence"], "f_divergence needs --f"),
        (["{p}", "--json", "--output", "{dir}/D.npy"], "not allowed with argument"),
        (["{p}", "--nearest", "two"], "invalid int value"),
        (["{cube}"], "has 3 dimensions, shape (2, 2, 2); give one distribution per row (at most 2)"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, files, tmp_path, argv, message):
    p, q, _, _ = files
    bad = distributions(3)
    bad[1] *= 1.5
    np.save(tmp_path / "bad.npy", bad)
    np.save(tmp_path / "q4.npy", distributions(3, k=4))
    np.save(tmp_path / "big.npy", distributions(101))
    np.save(tmp_path / "cube.npy", np.full((2, 2, 2), 0.5))
    names = {"p": p, "q": q, "bad": tmp_path / "bad.npy", "q4": tmp_path / "q4.npy", "big": tmp_path / "big.npy",
             "cube": tmp_path / "cube.npy", "dir": tmp_path}
    try:
        code = main(["pairwise", *(a.format(**names) for a in argv)])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "D.npy").exists()


def test_python_m_never_prints_a_traceback(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "divergences", "pairwise", str(tmp_path / "missing.parquet")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
