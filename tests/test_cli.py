"""The command line: output files, errors as one line and a non-zero exit."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import oneproxy
from oneproxy import datasets
from oneproxy.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert oneproxy.__version__ in capsys.readouterr().out
    assert main([]) == 0
    help_text = capsys.readouterr().out
    assert all(c in help_text for c in ("srcc", "demo", "reuse", "adapt", "bench"))


def test_srcc_writes_matrix_and_heatmap(tmp_path, capsys):
    csv, png = tmp_path / "m.csv", tmp_path / "h.png"
    devices = ["pixel3", "gold_6240", "1080ti_1", "eyeriss"]
    code = main(["srcc", "--dataset", "nb201", "--devices", ",".join(devices),
                 "--csv", str(csv), "--out", str(png)])
    assert code == 0
    out = capsys.readouterr().out
    assert "median" in out and "pairs >= 0.9" in out

    header, *rows = csv.read_text().splitlines()
    assert header.split(",")[1:] == devices
    got = np.array([[float(v) for v in row.split(",")[1:]] for row in rows])
    data = datasets.load("nb201")
    for i, a in enumerate(devices):
        for j, b in enumerate(devices):
            expected = stats.spearmanr(data.latency_of(a), data.latency_of(b)).statistic
            assert got[i, j] == pytest.approx(expected, abs=1e-6)

    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and min(image.shape[:2]) > 300
    assert image.std() > 0.05  # not a blank canvas


def test_srcc_skips_missing_latencies_pairwise(tmp_path):
    csv = tmp_path / "m.csv"
    assert main(["srcc", "--dataset", "nb201-oneproxy", "--method", "kendall",
                 "--devices", "rice_edgetpu,rice_pixel3", "--csv", str(csv)]) == 0
    data = datasets.load("nb201-oneproxy")
    a, b = data.latency_of("rice_edgetpu"), data.latency_of("rice_pixel3")
    keep = ~np.isnan(a)
    expected = stats.kendalltau(a[keep], b[keep]).statistic
    value = float(csv.read_text().splitlines()[1].split(",")[2])
    assert value == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["srcc", "--devices", "pixel3,no_such_device"], "no_such_device"),
        (["srcc", "--devices", "pixel3"], "at least two"),
        (["srcc", "--out", "/nonexistent-dir/x.png", "--devices", "pixel3,raspi4"], "nonexistent-dir"),
    ],
)
def test_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("oneproxy: error:") and message in err
    assert "Traceback" not in err


def test_unknown_dataset_is_a_one_line_error(capsys):
    assert main(["srcc", "--dataset", "imagenet"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["oneproxy: error: --dataset must be a bundled dataset (nb201, nb201-oneproxy, fbnet, "
                   "ofa-mbv3) or a CSV file, got 'imagenet' (no such file)"]


def test_console_script_runs():
    done = subprocess.run([sys.executable, "-m", "oneproxy", "--version"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("oneproxy ")


def test_demo_writes_a_report_whose_figures_exist(tmp_path, capsys):
    """`oneproxy demo --quick` writes report.md; every figure it links exists and is a PNG, and
    its headline adaptation figures are the ones `study` computes."""
    import re

    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--no-progress", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    links = re.findall(r"\]\(([^)]+\.png)\)", report)
    assert len(links) >= 7
    for link in links:
        assert (out / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link
    summary = oneproxy.study("nb201-oneproxy", samples=70, seeds=[0], threshold=0.9).summary()
    row = next(line for line in report.splitlines() if line.startswith("| oneproxy `adapt`, one proxy"))
    assert f"| {summary['pairs']} | {summary['before']:.3f} | {summary['adaproxy']:.3f} |" in row


def test_reuse_and_adapt_commands(tmp_path, capsys):
    png, npz = tmp_path / "r.png", tmp_path / "a.npz"
    assert main(["reuse", "--proxy", "gold_6240", "--target", "pixel3", "--out", str(png)]) == 0
    text = capsys.readouterr().out
    ds = datasets.load("nb201")
    expected = oneproxy.reuse(ds.accuracy, ds.latency_of("gold_6240"), ds.latency_of("pixel3"))
    assert f"hypervolume ratio on the target: {expected.hv_ratio:.4f}" in text
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["adapt", "--dataset", "nb201-oneproxy", "--proxy", "eagle_gtx", "--target",
                 "true_vpu", "--samples", "40", "--out", str(npz)]) == 0
    text = capsys.readouterr().out
    model = oneproxy.predictors.load(npz)
    assert f"kept: {model.method}" in text
    assert main(["reuse", "--dataset", "nb201-oneproxy", "--proxy", "eagle_gtx", "--target",
                 "true_vpu", "--predictor", str(npz)]) == 0
    assert f"predictor {npz}" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["adapt", "--proxy", "nope", "--target", "pixel3"], "device must be one of"),
    (["adapt", "--proxy", "pixel3", "--target", "gold_6240", "--samples", "0"], "--samples"),
    (["adapt", "--proxy", "pixel3", "--target", "gold_6240", "--seed", "-1"],
     "--seed must be a non-negative integer, got -1"),
    (["search", "--space", "nb201", "--objectives", "pixel3,raspi4", "--seed", "-1"],
     "seed must be a non-negative integer, got -1"),
    (["reuse", "--dataset", "fbnet", "--proxy", "pixel3", "--target", "raspi4"], "no accuracies"),
])
def test_workflow_command_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_scan_and_front_commands_write_the_api_front(tmp_path, capsys):
    from oneproxy import predictors, spaces
    from oneproxy.scan import exact_front, scan

    out = tmp_path / "front.csv"
    assert main(["scan", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--sense", "min,max",
                 "--stop", "2e6", "--out", str(out)]) == 0
    fb = spaces.FBNet()
    objs = [predictors.linear_latency("fbnet", d) for d in ("pixel3", "gold_6240")]
    expected = scan(fb, objs, ["min", "max"], stop=2 * 10**6, progress=False)
    header, *rows = out.read_text().splitlines()
    assert header == "index,pixel3,gold_6240,architecture"
    assert [int(r.split(",")[0]) for r in rows] == [int(i) for i in expected.indices]
    assert all(r.split(",", 3)[3].strip('"') == fb.to_string(int(r.split(",")[0])) for r in rows)
    capsys.readouterr()
    assert main(["front", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--sense", "min,max",
                 "--exact", "--out", str(out)]) == 0
    whole = exact_front(fb, objs, ["min", "max"])
    assert len(out.read_text().splitlines()) == len(whole.front) + 1


def test_search_command_writes_the_api_front(tmp_path, capsys):
    """`oneproxy search` gives evolve's front for the same arguments, as CSV and a PNG."""
    from oneproxy import predictors, spaces
    from oneproxy.search import evolve

    out = tmp_path / "front.csv"
    argv = ["search", "--space", "ofa-mbv3", "--objectives", "accuracy,note10", "--population", "16",
            "--generations", "3", "--seed", "2", "--crossover-rate", "0.6", "--mutation-rate", "0.05",
            "--budget", "1<=30", "--out", str(out)]
    assert main(argv) == 0
    ofa = spaces.OFAMobileNetV3(range(160, 225, 4))
    r = evolve(ofa, [predictors.ofa_accuracy(ofa), predictors.ofa_note10_latency(ofa)], ["max", "min"],
               population=16, generations=3, seed=2, crossover_rate=0.6, mutation_rate=0.05,
               constraints={1: ("<=", 30.0)}, progress=False)
    header, *rows = out.read_text().splitlines()
    assert header.startswith("index,accuracy,note10")
    assert [int(row.split(",")[0]) for row in rows] == r.indices.tolist()
    assert all(float(row.split(",")[2]) <= 30.0 for row in rows)
    assert out.with_suffix(".png").stat().st_size > 0
    assert f"{len(r.evaluated_values)} evaluated" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["search", "--space", "ofa-mbv3", "--objectives", "accuracy,note10", "--crossover-rate", "2"], "crossover_rate"),
    (["search", "--space", "ofa-mbv3", "--objectives", "accuracy,note10", "--budget", "1<25"], "--budget"),
    (["scan", "--space", "fbnet", "--objectives", "pixel3", "--stop", "1.5"], "--stop must be a whole number"),
    (["scan", "--space", "fbnet", "--objectives", "pixel3", "--stop", "1e30"], "stop <= size"),
    (["scan", "--space", "fbnet", "--objectives", "nope"], "device must be one of"),
    (["scan", "--space", "fbnet", "--objectives", "pixel3,raspi4", "--sense", "min"], "sense must have one entry"),
    (["front", "--space", "ofa-mbv3", "--objectives", "accuracy,note10", "--exact"], "not additive"),
])
def test_scan_command_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_senses_is_a_deprecated_spelling_of_sense(tmp_path, capsys):
    """--senses still works, says once on stderr that it is deprecated, and is not in --help."""
    argv = ["front", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--exact"]
    assert main([*argv, "--sense", "min,max", "--out", str(tmp_path / "new.csv")]) == 0
    assert capsys.readouterr().err == ""
    assert main([*argv, "--senses", "min,max", "--out", str(tmp_path / "old.csv")]) == 0
    assert capsys.readouterr().err.splitlines() == ["oneproxy: warning: --senses is deprecated; use --sense"]
    assert (tmp_path / "old.csv").read_text() == (tmp_path / "new.csv").read_text()
    for command in ("scan", "search", "front"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "--sense min,max" in text and "--senses" not in text


def test_device_defaults_are_the_loops(capsys):
    """`oneproxy device` without options runs `device.run` with its own defaults, and its --help
    says so (the timing options differ from `oneproxy measure`'s)."""
    import inspect

    from oneproxy import device
    from oneproxy.cli import _parser

    args = _parser().parse_args(["device", "--db", "x.sqlite"])
    defaults = {k: p.default for k, p in inspect.signature(device.run).parameters.items()}
    for name in ("samples", "holdout", "oracle", "front_size", "population", "generations", "seed", "repeats",
                 "warmup", "backend", "threads"):
        assert getattr(args, name) == defaults[name], name
    assert args.resolutions is None and defaults["resolutions"] == device.RESOLUTIONS
    assert not hasattr(args, "batch")  # the loop measures at batch 1
    with pytest.raises(SystemExit):
        main(["device", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "timed runs per network (default 10)" in text and "untimed runs first (default 3)" in text
    assert "(default: the Note10 table's 160-224)" in text and "--batch" not in text


# ---------------------------------------------------------------------------- user data

@pytest.fixture
def small_csv(tmp_path):
    """120 nb201-oneproxy cells on 3 of its devices, with accuracy, as a user's CSV."""
    ds = datasets.load("nb201-oneproxy")
    keep = np.random.default_rng(0).choice(ds.n_archs, 120, replace=False)
    path = tmp_path / "mine.csv"
    with open(path, "w") as f:
        f.write("architecture,phone,cpu,npu,accuracy\n")
        for k in keep:
            lat = ",".join("" if np.isnan(v) else repr(float(v)) for v in ds.latency[:3, k])
            f.write(f"{ds.space.to_string(ds.choices[k])},{lat},{float(ds.accuracy[k])!r}\n")
    return path


def test_commands_run_on_a_users_csv(small_csv, tmp_path, capsys):
    base = ["--dataset", str(small_csv), "--space", "nb201"]
    assert main(["srcc", *base, "--csv", str(tmp_path / "m.csv")]) == 0
    out = capsys.readouterr().out
    assert "between 3 devices over 120 architectures of mine" in out
    header = (tmp_path / "m.csv").read_text().splitlines()[0]
    assert header == "device,phone,cpu,npu"
    assert main(["reuse", *base, "--proxy", "phone", "--target", "npu"]) == 0
    assert "mine: proxy phone -> target npu over 120 architectures" in capsys.readouterr().out
    assert main(["adapt", *base, "--proxy", "phone", "--target", "npu", "--samples", "30",
                 "--out", str(tmp_path / "p.npz")]) == 0
    assert "SRCC on the other 90 measured architectures" in capsys.readouterr().out
    assert main(["scan", "--space", "nb201", "--dataset", str(small_csv), "--objectives", "phone,npu",
                 "--out", str(tmp_path / "front.csv")]) == 0
    capsys.readouterr()
    report = tmp_path / "report"
    assert main(["demo", *base, "--out", str(report), "--quick", "--no-progress"]) == 0
    text = (report / "report.md").read_text()
    assert "# oneproxy demo: mine" in text and "## 3. Adapting" in text and "Left out" in text
    assert (report / "srcc.png").exists() and (report / "reuse-fronts.png").exists()


def test_demo_on_data_without_accuracy_says_what_is_left_out(small_csv, tmp_path):
    from oneproxy import demo

    no_acc = datasets.from_csv(small_csv, "nb201", devices=["phone", "cpu"])
    no_acc = datasets.from_frame({"architecture": [no_acc.space.to_string(c) for c in no_acc.choices[:15]],
                                  "a": list(no_acc.latency[0, :15]), "b": list(no_acc.latency[1, :15])},
                                 "nb201", name="tiny")
    text = demo.run(tmp_path / "r", quick=True, progress=False, dataset=no_acc).read_text()
    assert "_Left out: the dataset has no accuracy column" in text
    assert "_Left out: a device has 15 measured architectures" in text


@pytest.mark.parametrize("argv, message", [
    (["srcc", "--dataset", "{csv}"], "a CSV needs --space"),
    (["srcc", "--dataset", "nowhere.csv", "--space", "nb201"], "or a CSV file, got 'nowhere.csv'"),
    (["srcc", "--dataset", "{npz}", "--space", "nb201"], "cannot be read as a CSV text file"),
    (["srcc", "--dataset", "{csv}", "--space", "fbnet"], "line 2, column 'architecture': not an architecture"),
    (["srcc", "--dataset", "fbnet", "--space", "nb201"], "--space nb201: dataset fbnet is over fbnet"),
    (["reuse", "--dataset", "{csv}", "--space", "nb201", "--proxy", "phone", "--target", "tpu"],
     "device must be one of the devices of 'mine'"),
])
def test_bad_user_data_is_one_line(argv, message, small_csv, tmp_path, capsys):
    npz = tmp_path / "x.npz"
    np.savez(npz, a=np.arange(100))
    argv = [a.format(csv=small_csv, npz=npz) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("oneproxy: error: ") and message in err[0]


def test_srcc_out_without_a_suffix_names_the_file_it_wrote(tmp_path, capsys):
    out = tmp_path / "heatmap"
    assert main(["srcc", "--dataset", "nb201", "--devices", "pixel3,gold_6240", "--out", str(out)]) == 0
    assert f"wrote {out}.png" in capsys.readouterr().out
    assert (tmp_path / "heatmap.png").exists() and not out.exists()


@pytest.mark.parametrize("budget", ["1<=nan", "<=5", "1<=2<=3", "x<=3", "1<=inf"])
def test_a_malformed_budget_is_refused(budget, capsys):
    argv = ["search", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--budget", budget]
    assert main(argv) == 2
    assert "--budget must be an objective's position" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--out", "--checkpoint"])
def test_an_output_in_a_missing_folder_is_refused_before_the_run(option, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "file"
    argv = ["scan", "--space", "fbnet", "--objectives", "pixel3,gold_6240", "--stop", "1e12", option, str(target)]
    assert main(argv) == 2  # at once: a scan of 1e12 would take long
    assert "does not exist" in capsys.readouterr().err


def test_a_file_that_is_not_a_predictor_is_named_as_such(tmp_path, capsys):
    from oneproxy import predictors

    for content in (b"", b"not an npz", b"PK\x03\x04 broken zip"):
        bad = tmp_path / "bad.npz"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="is not a oneproxy predictor"):
            predictors.load(bad)
    no_header = tmp_path / "plain.npz"
    np.savez(no_header, x=np.zeros(3))
    with pytest.raises(ValueError, match="is not a oneproxy predictor"):
        predictors.load(no_header)
    assert main(["reuse", "--proxy", "pixel3", "--target", "gold_6240", "--predictor", str(no_header)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "allow_pickle" not in err[0]
