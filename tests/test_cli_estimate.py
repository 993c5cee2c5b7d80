"""`divergences estimate`: values equal to dv.estimate, intervals and p-values equal to the
library's resampling at the same seed, columns chosen by name, bad input exits 2 with one line."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

import divergences as dv
from conftest import run_cli as run
from divergences.cli import main

unc = importlib.import_module("divergences.estimate._uncertainty")  # the module, whatever the package binds to the name


def write_csv(path, data, names):
    np.savetxt(path, data, delimiter=",", header=",".join(names), comments="", fmt="%.17g")
    return path


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 2)), rng.normal(1.0, 2.0, size=(250, 2))
    both = np.column_stack([x[:, 0], x[:, 1], x[:, 0] + rng.normal(size=300)])
    return {
        "x": write_csv(tmp_path / "x.csv", x, ["a", "b"]),
        "y": write_csv(tmp_path / "y.csv", y, ["a", "b"]),
        "both": write_csv(tmp_path / "both.csv", both, ["a", "b", "c"]),
        "arrays": (x, y, both),
    }


def test_kl_of_two_files_equals_the_library(capsys, files):
    x, y, _ = files["arrays"]
    code, out, err = run(capsys, "estimate", "kl", files["x"], files["y"], "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result == {"metric": "kl", "unit": "nats", "value": dv.estimate.kl(x, y), "n": [300, 250]}
    code, out, _ = run(capsys, "estimate", "kl", files["x"], files["y"], "--k", "3", "--base", "2")
    assert out == f"{dv.estimate.kl(x, y, k=3, base=2):.3f} bits\n"


def test_entropy_of_chosen_columns(capsys, files):
    x = files["arrays"][0]
    code, out, _ = run(capsys, "estimate", "entropy", files["x"], "--columns", "b", "--k", "3", "--json")
    assert code == 0 and json.loads(out)["value"] == dv.estimate.entropy(x[:, 1], k=3)
    code, out, _ = run(capsys, "estimate", "entropy", files["x"], "--x", "b,a", "--digits", "5")
    assert out == f"{dv.estimate.entropy(x[:, [1, 0]]):.5f} nats\n"


def test_two_samples_side_by_side_in_one_file(capsys, files):
    both = files["arrays"][2]
    code, out, _ = run(capsys, "estimate", "kl", files["both"], "--x", "a", "--y", "c", "--json")
    assert code == 0 and json.loads(out)["value"] == dv.estimate.kl(both[:, [0]], both[:, [2]])


def test_columns_are_matched_by_name_and_other_columns_ignored(capsys, files, tmp_path):
    x, y, _ = files["arrays"]
    ids = np.arange(250)
    path = tmp_path / "y_shuffled.csv"
    with path.open("w") as f:  # Q's columns in another order, plus a text column that is never read
        f.write("id,b,a\n")
        for i, row in zip(ids, y):
            f.write(f"item-{i},{row[1]:.17g},{row[0]:.17g}\n")
    code, out, _ = run(capsys, "estimate", "kl", files["x"], path, "--json")
    assert code == 0 and json.loads(out)["value"] == dv.estimate.kl(x, y)
    code, out, _ = run(capsys, "estimate", "kl", files["x"], path, "--columns", "a", "--json")
    assert code == 0 and json.loads(out)["value"] == dv.estimate.kl(x[:, 0], y[:, 0])


def test_confidence_interval_is_the_library_bootstrap(capsys, files):
    x, y, _ = files["arrays"]
    argv = ["estimate", "kl", files["x"], files["y"], "--k", "3", "--ci", "0.9", "--n-resamples", "40",
            "--random-state", "7"]
    code, out, err = run(capsys, *argv, "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    expected = unc.bootstrap(lambda a, b: dv.estimate.kl(a, b, k=3), (x, y), ci=0.9, n_resamples=40, random_state=7,
                             paired=False, scheme="subsample")
    assert (result["value"], result["low"], result["high"]) == tuple(expected)
    assert result["low"] < result["value"] < result["high"]
    assert (result["ci"], result["n_resamples"], result["resampling"]) == (0.9, 40, "subsample")
    code, out, _ = run(capsys, *argv)
    assert out.splitlines() == [
        f"{expected.value:.3f} nats",
        f"90% CI: [{expected.low:.3f}, {expected.high:.3f}] nats (40 half-sample resamples)",
    ]


def test_permutation_test_gives_the_library_p_value(capsys, files, tmp_path):
    x, y, _ = files["arrays"]
    code, out, _ = run(capsys, "estimate", "kl", files["x"], files["y"], "--test", "--n-permutations", "19",
                       "--random-state", "3", "--json")
    result = json.loads(out)
    assert code == 0 and (result["pvalue"], result["n_permutations"]) == (1 / 20, 19)  # KL 0.44: clear alternative
    assert result["statistic"] == "energy distance"
    assert (result["pvalue"], result["statistic_value"]) == dv.estimate.test(x, y, "kl", n_permutations=19,
                                                                             random_state=3)[1::-1]
    code, out, _ = run(capsys, "estimate", "kl", files["x"], files["y"], "--test", "--n-permutations", "19",
                       "--random-state", "3", "--statistic", "estimate", "--json")
    result = json.loads(out)
    assert result["pvalue"] == dv.estimate.test(x, y, "kl", statistic="estimate", n_permutations=19,
                                                random_state=3).pvalue
    same = write_csv(tmp_path / "same.csv", np.random.default_rng(9).normal(size=(300, 2)), ["a", "b"])
    code, out, _ = run(capsys, "estimate", "kl", files["x"], same, "--test", "--n-permutations", "19",
                       "--random-state", "3")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[1].endswith("(energy distance, 19 permutations)")
    assert float(lines[1].split()[1]) > 0.05  # one distribution: no evidence at this seed


def test_mutual_information_pairs_rows_of_named_columns(capsys, files, tmp_path, monkeypatch):
    # The command's job is choosing the samples and pairing rows; a stand-in estimator records them,
    # so this test does not depend on the KSG estimator.
    both = files["arrays"][2]
    seen = []

    def fake(x, y, *, method="ksg", k=3, base=None):
        seen.append((x, y))
        return abs(float(np.corrcoef(x[:, 0], y[:, 0])[0, 1]))

    monkeypatch.setattr(dv.estimate, "mutual_information", fake, raising=False)
    code, out, err = run(capsys, "estimate", "mutual_information", files["both"], "--x", "a,b", "--y", "c",
                         "--ci", "0.9", "--n-resamples", "20", "--test", "--n-permutations", "9",
                         "--statistic", "estimate", "--json")
    assert (code, err) == (0, "")
    x, y = seen[0]
    np.testing.assert_array_equal(x, both[:, :2])
    np.testing.assert_array_equal(y, both[:, [2]])
    result = json.loads(out)
    assert result["pvalue"] == 0.1 and result["n"] == [300, 300]
    assert len(seen) == 1 + 20 + 1 + 9  # the value, the resamples, then the test's value and permutations
    for a, b in seen[1:21]:  # after the value: half-samples of rows
        assert a.shape == (150, 2) and b.shape == (150, 1)
        assert all(any((both[:, :3] == np.r_[ra, rb]).all(axis=1)) for ra, rb in zip(a[:5], b[:5]))
    # two files: X's columns against Y's, rows paired
    other = write_csv(tmp_path / "c.csv", both[:, [2]], ["c"])
    seen.clear()
    code, _, _ = run(capsys, "estimate", "mutual_information", files["x"], other)
    assert code == 0 and np.array_equal(seen[0][1], both[:, [2]]) and seen[0][0].shape == (300, 2)
    code, _, err = run(capsys, "estimate", "mutual_information", files["y"], other)
    assert code == 2 and "x has 250 rows and y 300: mutual information pairs the rows" in err


def test_options_reach_the_estimator_and_unknown_ones_are_refused(capsys, files, monkeypatch):
    got = {}

    def with_ties(x, y, *, method="knn", k=1, base=None, ties="auto", random_state=None):
        got.update(method=method, k=k, ties=ties, random_state=random_state)
        return 0.5

    monkeypatch.setattr(dv.estimate, "kl", with_ties)
    code, _, _ = run(capsys, "estimate", "kl", files["x"], files["y"], "--method", "kde", "--ties", "dequantise",
                     "--random-state", "4", "--k", "2")
    assert code == 0 and got == {"method": "kde", "k": 2, "ties": "dequantise", "random_state": 4}
    monkeypatch.setattr(dv.estimate, "kl", lambda x, y, *, method="knn", k=1, base=None: 0.5)
    code, out, err = run(capsys, "estimate", "kl", files["x"], files["y"], "--ties", "raise")
    assert (code, out) == (2, "") and "--ties is not an option of estimate kl" in err


@pytest.mark.parametrize(
    "metric, argv, kwargs",
    [
        ("kl", ["--method", "histogram", "--bins", "12", "--smoothing", "0.5"], {"method": "histogram", "bins": 12,
                                                                              "smoothing": 0.5}),
        ("kl", ["--method", "histogram", "--bins", "sturges"], {"method": "histogram", "bins": "sturges"}),
        ("js", ["--method", "kde", "--bandwidth", "silverman"], {"method": "kde", "bandwidth": "silverman"}),
        ("entropy", ["--columns", "a", "--method", "kde", "--bandwidth", "0.8", "--evaluation", "integration"],
         {"method": "kde", "bandwidth": 0.8, "evaluation": "integration"}),
        ("kl", ["--clip"], {"clip": True}),
    ],
)
def test_estimator_option_flags_give_the_library_value(capsys, files, metric, argv, kwargs):
    second = [] if metric == "entropy" else [files["y"]]
    code, out, err = run(capsys, "estimate", metric, files["x"], *second, *argv, "--json")
    assert code == 0, err
    x = np.loadtxt(files["x"], delimiter=",", skiprows=1)
    samples = [x[:, :1]] if metric == "entropy" else [x, np.loadtxt(files["y"], delimiter=",", skiprows=1)]
    expected = getattr(dv.estimate, metric)(*samples, **kwargs)
    assert float(json.loads(out)["value"]) == pytest.approx(expected, rel=1e-12)  # "inf" is a string in strict JSON


def test_an_option_of_another_estimator_is_refused_by_its_flag(capsys, files):
    code, out, err = run(capsys, "estimate", "mutual_information", files["x"], "--x", "a", "--y", "b", "--bins", "5")
    assert (code, out) == (2, "") and "--bins is not an option of estimate mutual_information" in err
    code, out, err = run(capsys, "estimate", "entropy", files["x"], "--method", "nsb", "--alphabet-size", "0")
    assert (code, out) == (2, "") and "alphabet_size" in err


def test_histogram_and_discrete_methods_use_the_ordinary_bootstrap(capsys, files, monkeypatch):
    sizes = []

    def counting(x, *, method="knn", k=1, base=None):
        sizes.append((x.shape[0], len(np.unique(x, axis=0))))
        return float(np.mean(x))

    monkeypatch.setattr(dv.estimate, "entropy", counting)
    code, out, _ = run(capsys, "estimate", "entropy", files["x"], "--method", "histogram", "--ci", "0.9",
                       "--n-resamples", "10", "--json")
    assert code == 0 and json.loads(out)["resampling"] == "replacement"
    assert len(sizes) == 1 + 10  # the full sample once, then each resample
    assert all(n == 300 for n, _ in sizes) and any(distinct < 300 for _, distinct in sizes[1:])
    sizes.clear()
    code, out, _ = run(capsys, "estimate", "entropy", files["x"], "--ci", "0.9", "--n-resamples", "10", "--json")
    assert json.loads(out)["resampling"] == "subsample" and all(s == (150, 150) for s in sizes[1:])


def test_parquet_files(capsys, files, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    x, y, _ = files["arrays"]
    pq.write_table(pa.table({"b": y[:, 1], "a": y[:, 0]}), tmp_path / "y.parquet")
    code, out, _ = run(capsys, "estimate", "kl", files["x"], tmp_path / "y.parquet", "--json")
    assert code == 0 and json.loads(out)["value"] == dv.estimate.kl(x, y)
    code, _, err = run(capsys, "estimate", "kl", files["x"], tmp_path / "y.parquet", "--x", "a", "--y", "z")
    assert code == 2 and "Y: no column 'z'" in err and "(its columns: b, a)" in err


def test_progress_bar_on_request_only(capsys, files):
    argv = ["estimate", "kl", files["x"], files["y"], "--ci", "0.9", "--n-resamples", "30", "--random-state", "0"]
    code, out, err = run(capsys, *argv, "--progress")
    redraws = err.split("\r")[1:]
    assert code == 0 and len(redraws) == 30 and err.endswith("\n")  # one per resample, the last kept
    assert redraws[0].startswith("kl bootstrap [") and " 100% " in redraws[-1]
    code, out2, err = run(capsys, *argv)  # stderr is not a terminal here
    assert (out2, err) == (out, "")
    code, _, err = run(capsys, *argv, "--no-progress")
    assert err == ""


def test_help_explains_the_samples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["estimate", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for text in ("mutual_information", "--x a,b --y c", "half-samples without replacement", "(1 + #(permuted"):
        assert text in out


BAD_FILES = {
    "letters.csv": "a,b\n1,2\n3,x\n",
    "empty_cell.csv": "a,b\n1,2\n,4\n",
    "no_header.csv": "1,2\n3,4\n",
    "ragged.csv": "a,b\n1,2\n3\n",
    "header_only.csv": "a,b\n",
    "twice.csv": "a,a\n1,2\n3,4\n",
    "empty.csv": "",
}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["kl", "{x}", "{dir}/missing.csv"], "Y: no such file"),
        (["kl", "{x}", "{dir}/letters.csv"], "Y: column 'b' of '{dir}/letters.csv' has 'x', not a number in row 2"),
        (["entropy", "{dir}/empty_cell.csv"], "column 'a' of '{dir}/empty_cell.csv' has a missing value in row 2"),
        (["entropy", "{dir}/no_header.csv"], "the first line of '{dir}/no_header.csv' must name the columns"),
        (["entropy", "{dir}/ragged.csv"], "row 2 of '{dir}/ragged.csv' has 1 fields, the header 2"),
        (["entropy", "{dir}/header_only.csv"], "has a header but no rows"),
        (["entropy", "{dir}/twice.csv"], "column 'a' appears 2 times"),
        (["entropy", "{dir}/empty.csv"], "is empty"),
        (["entropy", "{dir}/data.npy"], "X must be a .csv file with a header row or a .parquet file"),
        (["kl", "{x}", "{y}", "--columns", "a,zz"], "X: no column 'zz' in '{x}' (its columns: a, b)"),
        (["kl", "{both}", "--x", "a,b", "--y", "c"], "the samples must have the same columns: x has a, b and y has c"),
        (["kl", "{x}"], "kl needs two samples: a second file Y, or --x and --y naming columns of X"),
        (["kl", "{x}", "--x", "a"], "kl needs two samples"),
        (["kl", "{x}", "{y}", "--columns", "a", "--x", "b"], "give --columns, or --x and --y, not both"),
        (["kl", "{x}", "{y}", "--columns", "a,,b"], "--columns must be comma-separated column names"),
        (["entropy", "{x}", "{y}"], "entropy takes one sample"),
        (["entropy", "{x}", "--test"], "--test applies to kl, js and mutual_information"),
        (["kl", "{x}", "{y}", "--n-resamples", "10"], "--n-resamples applies with --ci"),
        (["kl", "{x}", "{y}", "--n-permutations", "10"], "--n-permutations applies with --test"),
        (["kl", "{x}", "{y}", "--statistic", "estimate"], "--statistic applies with --test"),
        (["kl", "{x}", "{y}", "--ci", "1.5"], "ci must be a confidence level strictly between 0 and 1"),
        (["kl", "{x}", "{y}", "--ci", "0.9", "--n-resamples", "0"], "--n-resamples must be an integer >= 1, got 0"),
        (["kl", "{x}", "{y}", "--test", "--n-permutations", "-1"], "--n-permutations must be an integer >= 1"),
        (["kl", "{x}", "{y}", "--k", "0"], "k must be an integer >= 1"),
        (["kl", "{x}", "{y}", "--base", "-2"], "base"),
        (["kl", "{dir}/rounded.csv", "{y}"], "repeated"),
        (["hellinger", "{x}", "{y}"], "invalid choice: 'hellinger'"),
        (["kl", "{x}", "{y}", "--ties", "sometimes"], "invalid choice: 'sometimes'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, files, tmp_path, argv, message):
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    np.save(tmp_path / "data.npy", np.ones((5, 2)))
    write_csv(tmp_path / "rounded.csv", np.round(files["arrays"][0], 1), ["a", "b"])
    paths = {"x": files["x"], "y": files["y"], "both": files["both"], "dir": tmp_path}
    argv = [a.format(**paths) for a in argv]
    try:
        code = main(["estimate", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message.format(**paths) in err, err


def test_estimate_does_not_shadow_the_metric_commands(capsys):
    assert "estimate" not in dv.DIVERGENCES
    code, out, _ = run(capsys, "entropy", "1,1", "--normalize", "--base", "2")
    assert (code, out.strip()) == (0, "1.000 bits")


def test_method_auto_with_an_interval(capsys, files):
    x, y, _ = files["arrays"]
    code, out, err = run(capsys, "estimate", "kl", files["x"], files["y"], "--method", "auto", "--ci", "0.9",
                         "--n-resamples", "20", "--random-state", "3", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    expected = dv.estimate.kl(x, y, method="auto", ci=0.9, n_resamples=20, random_state=3)
    assert (result["value"], result["low"], result["high"]) == tuple(expected)
    assert result["resampling"] == "subsample"


def test_kde_support(capsys, tmp_path):
    u = np.random.default_rng(8).random(500)
    path = tmp_path / "u.csv"
    np.savetxt(path, u[:, None], delimiter=",", header="u", comments="")
    code, out, err = run(capsys, "estimate", "entropy", str(path), "--method", "kde", "--support", "0,1", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["value"] == dv.estimate.entropy(u, method="kde", support=(0.0, 1.0))
    code, out, _ = run(capsys, "estimate", "entropy", str(path), "--method", "kde", "--support", "0,", "--json")
    assert json.loads(out)["value"] == dv.estimate.entropy(u, method="kde", support=(0.0, None))
