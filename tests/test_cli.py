"""The command line: values with units, files, JSON, exit status 2 with one line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import divergences as dv
from conftest import run_cli as run
from divergences.cli import main

P, Q = "0.1,0.4,0.5", "0.8,0.15,0.05"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["kl", P, Q, "--base", "2"], "1.927 bits"),
        (["kl", Q, P, "--base", "2"], "2.022 bits"),
        (["kl", P, Q], "1.336 nats"),
        (["js", P, Q, "--base", "2"], "0.420 bits"),
        (["js_distance", P, Q, "--base", "2"], "0.648"),
        (["cross_entropy", "1,0", "0.1,0.9", "--base", "2"], "3.322 bits"),
        (["entropy", "1,1", "--normalize", "--base", "2"], "1.000 bits"),
        (["hellinger", P, Q], "0.560"),
        (["renyi", P, Q, "--alpha", "2"], "1.805 nats"),
        (["f_divergence", P, Q, "--f", "t*log(t)"], "1.336"),
        (["kl", "1,4,5", "8,1.5,0.5", "--normalize", "--base", "2"], "1.927 bits"),
    ],
)
def test_prints_the_value_with_its_unit(capsys, argv, expected):
    code, out, err = run(capsys, *argv)
    assert (code, out.strip(), err) == (0, expected, "")


def test_every_metric_has_a_command(capsys):
    for name, info in dv.DIVERGENCES.items():
        argv = [name, P] + ([Q] if info.arity == 2 else [])
        argv += {"renyi": ["--alpha", "0.5"], "f_divergence": ["--f", "(t-1)**2"]}.get(name, [])
        code, out, err = run(capsys, *argv, "--json")
        assert code == 0, (name, err)
        expected = getattr(dv, name)(*[np.array([float(v) for v in a.split(",")]) for a in argv[1 : 1 + info.arity]],
                                     *{"renyi": (0.5,), "f_divergence": (lambda t: (t - 1) ** 2,)}.get(name, ()))
        assert json.loads(out)["value"] == pytest.approx(float(expected), rel=1e-15)


def test_json_output_has_full_precision(capsys):
    code, out, _ = run(capsys, "kl", P, Q, "--json", "--base", "2")
    assert json.loads(out) == {"metric": "kl", "unit": "bits", "value": float(dv.kl([0.1, 0.4, 0.5], [0.8, 0.15, 0.05], base=2))}


def test_csv_and_npy_files_with_one_distribution_per_row(capsys, tmp_path):
    p = np.array([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4]])
    q = np.array([[0.8, 0.15, 0.05], [0.3, 0.3, 0.4]])
    np.savetxt(tmp_path / "p.csv", p, delimiter=",")
    np.save(tmp_path / "q.npy", q)
    code, out, _ = run(capsys, "kl", str(tmp_path / "p.csv"), str(tmp_path / "q.npy"), "--json")
    assert code == 0
    np.testing.assert_allclose(json.loads(out)["values"], dv.kl(p, q), rtol=1e-15)
    code, out, _ = run(capsys, "kl", str(tmp_path / "p.csv"), str(tmp_path / "q.npy"))
    assert out.splitlines() == ["0: 1.336 nats", "1: 0.000 nats"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["kl", "0.2,0.4,0.5", Q], "p sums to 1.1, not 1"),
        (["kl", "0.5,-0.5,1", Q], "p has negative entries"),
        (["kl", "a,b", Q], "P must be comma-separated numbers"),
        (["kl", "missing.csv", Q], "P: no such file"),
        (["kl", P], "kl compares two distributions"),
        (["kl", P, Q, "--base", "1"], "base must be positive"),
        (["hellinger", P, Q, "--base", "2"], "hellinger has no logarithm: base does not apply"),
        (["renyi", P, Q], "renyi needs --alpha"),
        (["f_divergence", P, Q, "--f", "__import__('os')"], "is not allowed"),
        (["nosuchmetric", P, Q], "invalid choice"),
        (["kl", P, Q, "--base", "two"], "base must be a real number, got 'two'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err, err


def test_list_prints_the_metadata_table(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name, info in dv.DIVERGENCES.items():
        line = next(row for row in out.splitlines() if row.startswith(name + " "))
        assert info.formula in line and info.bound in line


def test_demo_walks_through_the_seed_examples(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--plot", str(tmp_path / "demo.png"))
    assert code == 0
    for text in ("KL(P||Q) = 1.927 bits = 1.336 nats", "KL(Q||P) = 2.022 bits = 1.401 nats",
                 "JS(P, Q) = 0.420 bits, JS distance = 0.648", "3.32 bits", "0.152 bits",
                 "sums to 1.1", "normalize=True"):
        assert text in out
    assert (tmp_path / "demo.png").stat().st_size > 1000


def test_demo_without_matplotlib_draws_text_bars(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now fails
    code, out, _ = run(capsys, "demo", "--plot", str(tmp_path / "demo.png"))
    assert code == 0 and "event 0  P  ####" in out and not (tmp_path / "demo.png").exists()


def test_console_script_and_python_m_never_print_a_traceback():
    for cmd in (["divergences"], [sys.executable, "-m", "divergences"]):
        exe = cmd if cmd[0] != "divergences" else [str(__import__("pathlib").Path(sys.executable).with_name("divergences"))]
        ok = subprocess.run([*exe, "kl", P, Q, "--base", "2"], capture_output=True, text=True)
        assert (ok.returncode, ok.stdout.strip()) == (0, "1.927 bits")
        bad = subprocess.run([*exe, "kl", "0.2,0.4,0.5", Q], capture_output=True, text=True)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
