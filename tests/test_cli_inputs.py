"""Every input the command line is given gets a clear answer (issue 14): one line on stderr and
exit status 2 for anything wrong, never a traceback or a hang; strict JSON; ``--version``;
``-`` for standard input. Each row of a table is an input a user tried, and what must come back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import divergences as dv
from divergences.cli import _measure, main

P, Q = "0.1,0.4,0.5", "0.8,0.15,0.05"
ALLOWED_F = "--f may use t, numbers, + - * / ** and log, log1p, exp, expm1, sqrt, abs, maximum, minimum"


def _run(capsys, argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``main(argv)``, argparse's own exits included."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """Files as users gave them, by name: good ones and every kind of bad one."""
    np.save(tmp_path / "cube.npy", np.full((2, 2, 3), 1 / 3))
    np.save(tmp_path / "rows.npy", np.array([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4]]))
    np.savez(tmp_path / "one.npz", p=np.array([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4]]))
    np.savez(tmp_path / "two.npz", p=np.array([0.5, 0.5]), q=np.array([0.5, 0.5]))
    np.savez(tmp_path / "none.npz")
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    np.save(tmp_path / "zero.npy", np.zeros((3, 0)))
    (tmp_path / "random.npy").write_bytes(np.random.default_rng(0).bytes(200))
    (tmp_path / "random.npz").write_bytes(b"PK\x03\x04" + np.random.default_rng(1).bytes(200))
    (tmp_path / "truncated.npy").write_bytes((tmp_path / "cube.npy").read_bytes()[:140])
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "comments.csv").write_text("# p\n\n# nothing else\n")
    (tmp_path / "ragged.csv").write_text("0.5,0.5\n0.2\n")
    (tmp_path / "header.csv").write_text("a,b\n0.5,0.5\n")
    (tmp_path / "hole.csv").write_text("0.5,,0.5\n")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n2,3\n3,1\n4,5\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.csv").mkdir()
    return {path.name.replace(".", "_"): path for path in tmp_path.iterdir()}  # "{cube_npy}" in the tables


# ------------------------------------------------------------------ refused: one line, exit 2

BAD = [
    # a 3-D array (a traceback before)
    (["kl", "{cube_npy}", "0.3,0.3,0.4"], "P: '{cube_npy}' has 3 dimensions, shape (2, 2, 3); give one distribution per row (at most 2)"),
    (["pairwise", "{rows_npy}", "{cube_npy}"], "Q: '{cube_npy}' has 3 dimensions"),
    # empty fields in a list of numbers (silently dropped before)
    (["kl", "0.5,,0.5", "0.5,0.5"], "P: field 2 of '0.5,,0.5' is empty; give comma-separated numbers such as 0.1,0.4,0.5"),
    (["kl", "0.5,0.5", "0.5,0.5,"], "Q: field 3 of '0.5,0.5,' is empty"),
    (["kl", ",0.5,0.5", "0.5,0.5"], "P: field 1 of ',0.5,0.5' is empty"),
    (["entropy", "0.5, ,0.5"], "P: field 2 of '0.5, ,0.5' is empty"),
    (["kl", "", "0.5,0.5"], "P is empty: give comma-separated numbers such as 0.1,0.4,0.5, or a file"),
    # --digits out of 0..17 (a format error or 1000 decimals before)
    (["kl", P, Q, "--digits", "-1"], "argument --digits: must be a whole number from 0 to 17 (decimals of a float64), got '-1'"),
    (["kl", P, Q, "--digits", "18"], "argument --digits: must be a whole number from 0 to 17"),
    (["kl", P, Q, "--digits", "1000"], "got '1000'"),
    (["kl", P, Q, "--digits", "2.5"], "got '2.5'"),
    (["pairwise", "{rows_npy}", "--digits", "-1"], "argument --digits: must be a whole number from 0 to 17"),
    (["estimate", "entropy", "{x_csv}", "--digits", "99"], "argument --digits: must be a whole number from 0 to 17"),
    # a directory ("no such file" before)
    (["kl", "{folder}", Q], "P: '{folder}' is a directory, not a file"),
    (["kl", P, "{folder_csv}"], "Q: '{folder_csv}' is a directory, not a file"),
    (["pairwise", "{folder}"], "P: '{folder}' is a directory, not a file"),
    (["estimate", "entropy", "{folder_csv}"], "X: '{folder_csv}' is a directory, not a file"),
    (["estimate", "kl", "{x_csv}", "{folder}"], "Y: '{folder}' is a directory, not a file"),
    (["kl", "missing.csv", Q], "P: no such file 'missing.csv'"),
    # .npz files (a UTF-8 decoding error before)
    (["kl", "{two_npz}", "0.5,0.5"], "P: '{two_npz}' holds 2 arrays (p, q); give a .npz of one array, or that array as .npy"),
    (["pairwise", "{none_npz}"], "P: '{none_npz}' holds no arrays"),
    (["kl", "{random_npz}", Q], "P: '{random_npz}' is not a valid .npz file of numbers"),
    # not NumPy's format (NumPy's advice on allow_pickle before)
    (["kl", "{random_npy}", Q], "P: '{random_npy}' is not a valid .npy file of numbers"),
    (["pairwise", "{random_npy}"], "P: '{random_npy}' is not a valid .npy file of numbers"),
    (["kl", "{truncated_npy}", Q], "P: '{truncated_npy}' is not a valid .npy file of numbers"),
    (["kl", "{text_npy}", Q], "P: '{text_npy}' is not a valid .npy file of numbers (it holds <U1 values)"),
    (["kl", "{zero_npy}", Q], "P: '{zero_npy}' is empty (shape (3, 0))"),
    # CSV files: empty ("event axis lengths differ" before), not text, ragged, a header, a hole
    (["kl", "{empty_csv}", Q], "P: '{empty_csv}' is empty"),
    (["kl", P, "{comments_csv}"], "Q: '{comments_csv}' is empty (no numbers)"),
    (["pairwise", "{empty_csv}"], "P: '{empty_csv}' is empty"),
    (["kl", "{binary_csv}", Q], "P: '{binary_csv}' is not a text file of comma-separated numbers"),
    (["estimate", "entropy", "{binary_csv}"], "X: '{binary_csv}' is not a text file of comma-separated values"),
    (["pairwise", "{ragged_csv}"], "P: row 2 of '{ragged_csv}' has 1 number, the rows before it 2: every distribution needs the same events"),
    (["kl", "{header_csv}", "0.5,0.5"], "P: row 1 of '{header_csv}' has 'a', not a number, in column 1 (a header line must start with #)"),
    (["kl", "{hole_csv}", Q], "P: row 1 of '{hole_csv}' has an empty field in column 2"),
    # standard input can be read once
    (["kl", "-", "-"], "P and Q are both - (standard input), which can be read once: give all but one as files"),
    (["pairwise", "-", "-"], "P and Q are both - (standard input)"),
    (["estimate", "kl", "-", "-"], "X and Y are both - (standard input)"),
    # --f: only t, numbers, arithmetic and a few NumPy functions; numbers bounded when read
    (["f_divergence", P, Q, "--f", "9**9**9"], "--f: 9**9**9 overflows a float64 (at most about 1.8e308)"),
    (["f_divergence", P, Q, "--f", "t**(10**400)"], "--f: 10**400 overflows a float64"),
    (["f_divergence", P, Q, "--f", "t*1e400"], "--f: 1e400 overflows a float64"),
    (["f_divergence", P, Q, "--f", "t*log(t) + 1/0"], "--f: 1/0 divides by zero"),
    (["f_divergence", P, Q, "--f", "(-8)**(1/3)*t"], "--f: (-8)**(1/3) is not a real number"),
    (["f_divergence", P, Q, "--f", "__import__('os')"], f"{ALLOWED_F}; '__import__' is not allowed"),
    (["f_divergence", P, Q, "--f", "t.__class__"], f"{ALLOWED_F}; 't.__class__' is not allowed"),
    (["f_divergence", P, Q, "--f", "[t for t in t]"], "'[t for t in t]' is not allowed"),
    (["f_divergence", P, Q, "--f", "'t'"], "'t' is not allowed"),
    (["f_divergence", P, Q, "--f", "log"], "'log' is not allowed (a function: write log(...))"),
    (["f_divergence", P, Q, "--f", "log(t, t)"], "--f: log takes 1 argument: log(t, t) is not allowed"),
    (["f_divergence", P, Q, "--f", "maximum(t)"], "--f: maximum takes 2 arguments"),
    (["f_divergence", P, Q, "--f", "t*log(t"], "--f is not an expression in t ('(' was never closed)"),
    (["f_divergence", P, Q, "--f", "+".join(["t"] * 600)], "--f is 1199 characters long; at most 1000"),
    (["pairwise", "{rows_npy}", "--metric", "f_divergence", "--f", "9**9**9"], "--f: 9**9**9 overflows"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_exits_2_with_one_clear_line(capsys, files, argv, message):
    code, out, err = _run(capsys, [a.format(**files) for a in argv])
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message.format(**files) in err, err


@pytest.mark.parametrize(
    "failure, message",
    [
        (TypeError("must be real number, not list"), "unexpected TypeError: must be real number, not list (please report this)"),
        (RuntimeError(""), "unexpected RuntimeError (please report this)"),
        (MemoryError(), "not enough memory"),
        (PermissionError(13, "Permission denied", "out.png"), "[Errno 13] Permission denied: 'out.png'"),
        (OverflowError("(34, 'Numerical result out of range')\nmore"),
         "unexpected OverflowError: (34, 'Numerical result out of range') (please report this)"),
    ],
)
def test_no_exception_escapes_as_a_traceback(capsys, monkeypatch, failure, message):
    def fail(args):
        raise failure

    monkeypatch.setattr(_measure, "run", fail)
    code, out, err = _run(capsys, ["kl", P, Q])
    assert (code, out, err) == (2, "", f"divergences: error: {message}\n")


# ------------------------------------------------------------------ accepted

def test_version(capsys):
    assert _run(capsys, ["--version"]) == (0, f"divergences {dv.__version__}\n", "")


@pytest.mark.parametrize("digits, expected", [("0", "1"), ("17", "1.33568009353372985"), ("3", "1.336")])
def test_digits_from_0_to_17(capsys, digits, expected):
    code, out, err = _run(capsys, ["kl", P, Q, "--digits", digits])
    assert (code, out, err) == (0, f"{expected} nats\n", "")


def test_a_npz_of_one_array_is_read(capsys, files):
    code, out, err = _run(capsys, ["kl", files["one_npz"], files["rows_npy"], "--json"])
    assert (code, json.loads(out)["values"], err) == (0, [0.0, 0.0], "")
    code, out, _ = _run(capsys, ["pairwise", files["one_npz"], "--json"])
    assert code == 0 and np.allclose(json.loads(out)["values"], dv.pairwise(np.load(files["rows_npy"])))


def _strict(text: str):
    """``json.loads`` that refuses Infinity and NaN, as strict parsers do."""
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["kl", "1,0", "0,1", "--json"], {"metric": "kl", "unit": "nats", "value": "inf"}),
        (["kl", "1,0", "0.5,0.5", "--json"], {"metric": "kl", "unit": "nats", "value": float(np.log(2))}),
        (["kl", "{rows_npy}", "0,0,1", "--json"], {"metric": "kl", "unit": "nats", "values": ["inf", "inf"]}),
        (["pairwise", "{identity}", "--json"], {"metric": "kl", "unit": "nats", "values": [[0.0, "inf"], ["inf", 0.0]]}),
        (["pairwise", "{identity}", "0,1", "--nearest", "1", "--json"],
         {"metric": "kl", "unit": "nats", "indices": [[0], [0]], "values": [["inf"], [0.0]]}),
        (["estimate", "kl", "{low}", "{high}", "--method", "histogram", "--json"],
         {"metric": "kl", "unit": "nats", "value": "inf", "n": [4, 4]}),
    ],
)
def test_json_is_strict_with_inf_and_nan_as_strings(capsys, files, tmp_path, argv, expected):
    np.save(tmp_path / "identity.npy", np.eye(2))
    (tmp_path / "low.csv").write_text("a\n1\n2\n3\n4\n")
    (tmp_path / "high.csv").write_text("a\n10\n11\n12\n13\n")
    paths = {**files, "identity": tmp_path / "identity.npy", "low": tmp_path / "low.csv", "high": tmp_path / "high.csv"}
    code, out, err = _run(capsys, [a.format(**paths) for a in argv])
    assert (code, err) == (0, "")
    assert _strict(out) == expected


# ------------------------------------------------------------------ standard input and hangs (subprocesses)

def _cli(*argv, stdin: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "divergences", *map(str, argv)], input=stdin,
                          capture_output=True, timeout=timeout)


X = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 1.0], [4.0, 5.0]])
Y = np.array([[1.5, 2.5], [2.5, 3.5], [3.5, 1.5], [4.5, 5.5], [0.0, 0.0]])


@pytest.mark.parametrize(
    "argv, stdin, expected",
    [
        (["kl", "-", Q, "--base", "2"], b"0.1,0.4,0.5\n", "1.927 bits"),
        (["kl", P, "-", "--base", "2"], b"\xef\xbb\xbf# q\n0.8,0.15,0.05\n", "1.927 bits"),  # a byte-order mark, a comment
        (["pairwise", "-", "--metric", "js", "--digits", "2"], b"1,0\n0,1\n", "0.00,0.69\n0.69,0.00"),
        (["estimate", "entropy", "-", "--columns", "a", "--json"], b"a,b\n1,2\n2,3\n3,1\n4,5\n",
         {"metric": "entropy", "unit": "nats", "value": dv.estimate.entropy(X[:, :1]), "n": [4]}),
        (["estimate", "kl", "{x_csv}", "-", "--json"], b"b,a\n2.5,1.5\n3.5,2.5\n1.5,3.5\n5.5,4.5\n0,0\n",  # by name
         {"metric": "kl", "unit": "nats", "value": dv.estimate.kl(X, Y), "n": [4, 5]}),
    ],
)
def test_dash_reads_csv_from_standard_input(files, argv, stdin, expected):
    done = _cli(*[a.format(**files) for a in argv], stdin=stdin)
    assert (done.returncode, done.stderr) == (0, b"")
    out = done.stdout.decode().strip()
    assert (json.loads(out) if isinstance(expected, dict) else out) == expected


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (["kl", "-", Q], b"", "P: standard input is empty (no numbers)"),
        (["kl", P, "-"], b"0.8,0.15\n0.1\n", "Q: row 2 of standard input has 1 number, the rows before it 2"),
        (["kl", "-", Q], b"\xff\xfe\x00", "P: standard input is not UTF-8 text"),
        (["estimate", "entropy", "-"], b"", "X: standard input is empty"),
        (["estimate", "entropy", "-"], b"1,2\n3,4\n", "X: the first line of standard input must name the columns"),
    ],
)
def test_bad_standard_input_exits_2_with_one_line(argv, stdin, message):
    done = _cli(*argv, stdin=stdin)
    err = done.stderr.decode()
    assert (done.returncode, done.stdout) == (2, b"")
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("f", ["9**9**9", "9**9**9**9", "t**(9**9**9) - 1", "2**2**2**2**2**2 * t"])
def test_a_formula_with_huge_powers_is_refused_at_once(f):
    done = _cli("f_divergence", P, Q, "--f", f, timeout=30)  # it hung before
    err = done.stderr.decode()
    assert done.returncode == 2 and err.count("\n") == 1 and "overflows a float64" in err, err


def test_a_reader_that_stops_early_gets_no_traceback(files):
    """``divergences pairwise ... | head``: stdout closed before the output, exit 141 in silence."""
    r = np.random.default_rng(0).random((100, 30))
    big = files["folder"].parent / "big.npy"
    np.save(big, r / r.sum(axis=1, keepdims=True))
    proc = subprocess.Popen([sys.executable, "-m", "divergences", "pairwise", str(big), "--digits", "17"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the child has imported NumPy, let alone printed
    err = proc.stderr.read()
    assert (proc.wait(timeout=60), err) == (141, b"")
