"""A full measurement on this machine (not part of the test suite): 30 NAS-Bench-201 cells with
the default 10 warm-up and 30 timed runs, twice, and the two runs' SRCC (issue 8: >= 0.97)."""
from __future__ import annotations

import pytest

from oneproxy import spearman

measure = pytest.importorskip("oneproxy.measure")
pytest.importorskip("onnxruntime")


def test_two_runs_rank_alike(benchmark, tmp_path):
    runs = []

    def once():
        db = tmp_path / f"run{len(runs)}.sqlite"
        runs.append(measure.measure(30, seed=7, db=db))

    benchmark.group = "measure 30 nb201 cells (ONNX Runtime, 1 thread)"
    benchmark.extra_info["impl"] = "oneproxy"
    benchmark.pedantic(once, rounds=2)
    keys = sorted(runs[0])
    r = spearman([runs[0][k][0] for k in keys], [runs[1][k][0] for k in keys])
    print(f"\ntwo runs of the same 30 cells: SRCC {r:.3f}")
    assert r >= 0.97
