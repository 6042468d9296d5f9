"""Export: once-for-all net configs, ONNX networks and CSV, from the fronts the commands write."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from oneproxy import export, fronts, spaces
from oneproxy.cli import main

OFA = spaces.OFAMobileNetV3()
NB = spaces.NASBench201()


def test_ofa_json_matches_spec_and_parses_back(tmp_path):
    archs = [int(i) for i in OFA.encode(OFA.sample(6, seed=1))]
    front = tmp_path / "front.csv"
    fronts.write_csv(front, OFA, archs, np.arange(12.0).reshape(6, 2), ["accuracy", "ms"])
    written = export.export(front, "ofa-mbv3", "ofa-json", tmp_path / "out")
    assert [p.name for p in written] == ["subnets.json", "architectures.csv"]
    configs = json.loads(written[0].read_text())
    assert configs == [OFA.spec(i) for i in archs]
    back = [OFA.encode(OFA.from_spec(c["r"], c["d"], c["ks"], c["e"])) for c in configs]
    assert back == archs
    with open(written[1], newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["index"]) for r in rows] == archs
    assert [r["architecture"] for r in rows] == [OFA.to_string(i) for i in archs]


def test_onnx_export_opens_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    archs = [0, 15624]
    written = export.export(archs, NB, "onnx", tmp_path)
    assert [p.name for p in written] == ["arch-000.onnx", "arch-001.onnx", "architectures.csv"]
    for path in written[:2]:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (out,) = session.run(None, {"x": np.zeros((1, 3, 32, 32), np.float32)})
        assert out.shape == (1, 10)
    ofa = export.export([int(OFA.encode(OFA.from_spec(128, [2] * 5, [3] * 20, [3] * 20)))], OFA, "onnx",
                        tmp_path / "ofa")
    session = ort.InferenceSession(str(ofa[0]), providers=["CPUExecutionProvider"])
    assert session.run(None, {"x": np.zeros((1, 3, 128, 128), np.float32)})[0].shape == (1, 1000)


def test_nb201_csv_gives_official_indices_and_strings(tmp_path):
    (table,) = export.export([6111, 0], "nb201", "csv", tmp_path)
    lines = table.read_text().splitlines()
    assert lines[0] == "index,architecture"
    assert lines[1] == "6111,|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_invalid_architectures_and_formats(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("index\n5\n15625\n")
    with pytest.raises(ValueError, match=r"line 3: not an architecture of NASBench201\(\)"):
        export.export(bad, NB, "csv", tmp_path / "o")
    with pytest.raises(ValueError, match=r"archs\[1\]: not an architecture"):
        export.export([1, -2], NB, "csv", tmp_path / "o")
    with pytest.raises(ValueError, match="space must be ofa-mbv3"):
        export.export([1], NB, "ofa-json", tmp_path / "o")
    with pytest.raises(ValueError, match="has no network builder"):
        export.export([1], "fbnet", "onnx", tmp_path / "o")
    with pytest.raises(ValueError, match="format must be one of"):
        export.export([1], NB, "tflite", tmp_path / "o")


def test_cli_export(tmp_path, capsys):
    front = tmp_path / "front.csv"
    assert main(["front", "--space", "nb201", "--dataset", "nb201", "--objectives", "pixel3,gold_6240",
                 "--exact", "--out", str(front)]) == 0
    assert main(["export", str(front), "--space", "nb201", "--format", "csv", "--out", str(tmp_path / "x")]) == 0
    assert "wrote 1 files" in capsys.readouterr().out
    assert [int(r.split(",")[0]) for r in (tmp_path / "x" / "architectures.csv").read_text().splitlines()[1:]] \
        == fronts.read_csv(front, NB)
    bad = tmp_path / "bad.csv"
    bad.write_text("architecture\nr=128 d=2-2\n")
    assert main(["export", str(bad), "--space", "ofa-mbv3", "--format", "ofa-json", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("oneproxy: error: ") and "line 2" in err[0]
