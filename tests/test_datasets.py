"""The bundled data against the shared CSVs they were packed from: every cell, exactly."""
from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from oneproxy import datasets

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the repo")


def read_csv(relative: str) -> dict[str, list[str]]:
    with open(SHARED / relative, newline="") as f:
        header, *rows = list(csv.reader(f))
    return {name: [r[i] for r in rows] for i, name in enumerate(header)}


def as_float(cells: list[str]) -> np.ndarray:
    return np.array([float(c) if c.strip() else np.nan for c in cells])


def assert_same(got: np.ndarray, cells: list[str]) -> None:
    expected = as_float(cells)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert np.array_equal(got, expected, equal_nan=True)  # bit-exact, not approximate


SOURCES = {
    "nb201": ("nb201/latency_help.csv", "arch_index"),
    "nb201-oneproxy": ("nb201/latency_oneproxy.csv", "arch_index"),
    "fbnet": ("fbnet/latency_help.csv", "arch_id"),
    "ofa-mbv3": ("ofa_mbv3/latency_help.csv", "arch_id"),
}


@needs_shared
@pytest.mark.parametrize("name", datasets.available())
def test_latency_equals_the_csv_exactly(name):
    data = datasets.load(name)
    path, key = SOURCES[name]
    table = read_csv(path)
    np.testing.assert_array_equal(data.arch_index, [int(v) for v in table[key]])
    assert data.arch_index.dtype == np.int64
    assert data.latency.shape == (len(data.devices), len(table[key]))
    for device in data.devices:
        assert_same(data.latency_of(device), table[device])


@needs_shared
def test_shapes_and_device_counts():
    expected = {"nb201": (21, 15625), "nb201-oneproxy": (18, 1999), "fbnet": (21, 5000),
                "ofa-mbv3": (10, 5000)}
    for name, shape in expected.items():
        data = datasets.load(name)
        assert data.latency.shape == shape == (data.n_devices, data.n_archs)


@needs_shared
def test_missing_values_are_nan_where_the_csv_is_empty():
    one = datasets.load("nb201-oneproxy")
    assert int(np.isnan(one.latency_of("rice_edgetpu")).sum()) == 259
    assert np.isnan(one.latency).sum() == 259
    ofa = datasets.load("ofa-mbv3")
    empty = np.array([c == "" for c in read_csv("ofa_mbv3/latency_help.csv")["note10_lut_ms"]])
    np.testing.assert_array_equal(np.isnan(ofa.latency_of("note10_lut_ms")), empty)
    resolution = ofa.columns["resolution"]
    assert not np.isnan(ofa.latency_of("note10_lut_ms")[(resolution >= 160) & (resolution <= 224)]).any()


@needs_shared
def test_accuracy_and_extra_columns():
    acc = read_csv("nb201/accuracy.csv")
    nb201 = datasets.load("nb201")
    assert nb201.accuracy_name == "c10_test_200ep"
    assert_same(nb201.accuracy, acc["c10_test_200ep"])
    for column in ("params_M", "naswot_score", "c100_test_12ep", "in16_val_12ep"):
        assert_same(nb201.columns[column], acc[column])
    ops = np.array([[int(v) for v in acc[c]] for c in
                    ("op_1_0", "op_2_0", "op_2_1", "op_3_0", "op_3_1", "op_3_2")]).T
    np.testing.assert_array_equal(nb201.columns["ops"], ops)
    # README: the best CIFAR-10 cell is index 6111 at 94.3733 %, the all-none cell reads 10 %.
    best = int(np.argmax(nb201.accuracy))
    assert nb201.arch_index[best] == 6111 and round(nb201.accuracy[best], 4) == 94.3733
    assert nb201.accuracy[np.flatnonzero((ops == 0).all(axis=1))[0]] == 10.0

    one = datasets.load("nb201-oneproxy")  # accuracy joined by arch_index
    by_index = dict(zip(nb201.arch_index.tolist(), nb201.accuracy.tolist()))
    assert one.accuracy.tolist() == [by_index[i] for i in one.arch_index.tolist()]
    assert one.columns["ops"].tolist() == nb201.columns["ops"][one.arch_index].tolist()

    fb = datasets.load("fbnet")
    assert fb.accuracy is None and fb.accuracy_name is None
    op_idx = read_csv("fbnet/latency_help.csv")["op_idx"]
    assert fb.columns["op_idx"].tolist() == [[int(v) for v in s.split("-")] for s in op_idx]

    ofa = datasets.load("ofa-mbv3")
    table = read_csv("ofa_mbv3/latency_help.csv")
    assert ofa.accuracy_name == "ofa_pred_top1"
    assert_same(ofa.accuracy, table["ofa_pred_top1"])
    assert ofa.columns["depths"].tolist() == [[int(v) for v in s.split("-")] for s in table["depths"]]
    assert ofa.columns["resolution"].tolist() == [int(v) for v in table["resolution"]]


def test_arrays_are_read_only_and_loads_are_cached():
    data = datasets.load("nb201")
    assert datasets.load("nb201") is data
    for array in (data.latency, data.accuracy, data.arch_index, data.columns["ops"],
                  data.latency_of("pixel3")):
        with pytest.raises(ValueError):
            array[0] = 0
    with pytest.raises(TypeError):
        data.columns["new"] = np.zeros(1)  # type: ignore[index]


def test_unknown_name_and_device_list_the_valid_ones():
    with pytest.raises(ValueError, match="available: nb201, nb201-oneproxy, fbnet, ofa-mbv3"):
        datasets.load("imagenet")
    with pytest.raises(ValueError, match=r"unknown device 'iphone'.*pixel3"):
        datasets.load("nb201").latency_of("iphone")


def test_the_data_is_small_and_has_its_notices():
    folder = files("oneproxy") / "data"
    size = sum(p.stat().st_size for p in Path(str(folder)).iterdir())
    assert size < 5e6
    assert (Path(str(folder)) / "NOTICE.md").is_file()
