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
    assert "srcc" in capsys.readouterr().out


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


def test_unknown_dataset_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["srcc", "--dataset", "imagenet"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_runs():
    done = subprocess.run([sys.executable, "-m", "oneproxy", "--version"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("oneproxy ")
