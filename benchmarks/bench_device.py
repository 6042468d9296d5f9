"""The new-device figures of docs/measure.md (not part of the test suite; minutes per backend).

For ONNX Runtime and OpenVINO on 1 thread, on this machine's CPU:
- two runs of the same 30 once-for-all subnets rank alike (SRCC >= 0.99);
- the predictor adapted from 30 measured subnets ranks >= 100 held-out measured ones at
  SRCC >= 0.9;
- the front found with it, as measured, reaches >= 0.99 of the hypervolume of the front found
  with a predictor fitted on 300 measured subnets;
- `oneproxy device` with 30 samples (no oracle) runs in under 5 minutes on a fresh store.

Run: ``python -m pytest benchmarks/bench_device.py -s`` (``-k openvino`` for one backend).
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from oneproxy import spearman

measure = pytest.importorskip("oneproxy.measure")
pytest.importorskip("onnx")

BACKENDS = ["onnxruntime", "openvino"]


def _cpu() -> str:
    return measure._cpu_model()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_runs_rank_alike(benchmark, tmp_path, backend):
    pytest.importorskip(backend)
    from oneproxy.device import RESOLUTIONS
    from oneproxy.spaces import OFAMobileNetV3

    space = OFAMobileNetV3(RESOLUTIONS)
    runs = []

    def once():
        runs.append(measure.measure(30, space=space, seed=11, db=tmp_path / f"run{len(runs)}.sqlite",
                                    backend=backend, repeats=10, warmup=3))

    benchmark.group = f"measure 30 ofa-mbv3 subnets ({backend}, 1 thread)"
    benchmark.extra_info.update(impl="oneproxy", items=30)
    benchmark.pedantic(once, rounds=2)
    keys = sorted(runs[0])
    r = spearman([runs[0][k][0] for k in keys], [runs[1][k][0] for k in keys])
    print(f"\n{backend} on {_cpu()}: two runs of the same 30 subnets: SRCC {r:.4f}; "
          f"{30 / benchmark.stats.stats.median * 60:.0f} subnets per minute")
    assert r >= 0.99


@pytest.mark.parametrize("backend", BACKENDS)
def test_adapted_front_against_the_oracle(tmp_path, backend):
    pytest.importorskip(backend)
    from oneproxy import device

    t = time.perf_counter()
    result = device.run(tmp_path / "d.sqlite", tmp_path / "report", samples=30, oracle=300,
                        backend=backend, progress=False)
    a, ratio = result.adapted, result.hv_ratio
    print(f"\n{backend} on {_cpu()}: {result.measured} subnets in {time.perf_counter() - t:.0f} s; "
          f"proxy {a.proxy} (SRCC {a.scores[a.proxy]:.3f} on 30), kept {a.kind} ({a.model.method}); "
          f"held-out n={len(result.heldout)} SRCC {result.heldout_srcc:.3f} (proxy alone "
          f"{result.proxy_heldout_srcc:.3f}) MAPE {result.heldout_mape:.1%}; HV ratio to the oracle: "
          f"adapted {ratio['adapted']:.4f}, proxy-only {ratio['proxy-only']:.4f}; {result.seconds}")
    assert len(result.heldout) >= 100
    assert result.heldout_srcc >= 0.9
    assert ratio["adapted"] >= 0.99


@pytest.mark.parametrize("backend", BACKENDS)
def test_device_command_wall_time(tmp_path, backend):
    pytest.importorskip(backend)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "oneproxy", "device", "--samples", "30", "--db",
                    str(tmp_path / "fresh.sqlite"), "--out", str(tmp_path / "r"), "--backend", backend,
                    "--no-progress"], check=True)
    seconds = time.perf_counter() - t
    print(f"\n{backend} on {_cpu()}: oneproxy device --samples 30 on a fresh store: {seconds:.0f} s")
    assert seconds < 300
