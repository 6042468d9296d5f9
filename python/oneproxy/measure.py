"""Measure real latency on this machine: NAS-Bench-201 networks as ONNX graphs, timed with ONNX
Runtime, stored in SQLite so that an interrupted run resumes.

The graphs are built in code (``onnx.helper``), following NAS-Bench-201's CIFAR network: a 3x3
stem convolution to 16 channels with batch norm, three stages of 5 cells at 16/32/64 channels
with a residual reduction block between stages, batch norm, ReLU, global average pooling and a
linear layer to 10 classes. A cell's 6 edges apply its ops; ``none`` multiplies by zero, as the
original implementation does, so the graph stays connected and the op is still computed.
Weights are random but fixed by a seed; latency does not depend on their values.

Needs the optional extra ``oneproxy[measure]`` (``onnx``, ``onnxruntime``).
"""
from __future__ import annotations

import os
import platform
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oneproxy.spaces import NASBench201

__all__ = ["build_nb201", "parameter_count", "Device", "this_device", "measure", "stored", "export_csv"]

_INSTALL = "pip install 'oneproxy[measure]'  (or: pip install onnx onnxruntime)"


def _onnx() -> Any:
    try:
        import onnx
        import onnx.helper  # noqa: F401
        import onnx.numpy_helper  # noqa: F401
    except ImportError:
        raise ImportError(f"measuring needs onnx and onnxruntime: {_INSTALL}") from None
    return onnx


def _runtime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(f"measuring needs onnx and onnxruntime: {_INSTALL}") from None
    return onnxruntime


# ---------------------------------------------------------------------------- the network

class _Graph:
    """Collects nodes and initializers; ``count_only`` skips creating tensors."""

    def __init__(self, seed: int, count_only: bool = False) -> None:
        self.onnx: Any = None if count_only else _onnx()  # counting parameters needs no onnx
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.params = 0
        self.rng = np.random.default_rng(seed)
        self.count_only = count_only
        self.k = 0

    def name(self, prefix: str) -> str:
        self.k += 1
        return f"{prefix}{self.k}"

    def tensor(self, shape: tuple[int, ...], learnable: bool = True, fill: float | None = None) -> str:
        name = self.name("w")
        if learnable:
            self.params += int(np.prod(shape))
        if not self.count_only:
            value = np.full(shape, fill, dtype=np.float32) if fill is not None else \
                (self.rng.standard_normal(shape) * 0.1).astype(np.float32)
            self.inits.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name("t")
        if not self.count_only:
            self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1) -> str:
        return self.node("Conv", [x, self.tensor((c_out, c_in, k, k))], kernel_shape=[k, k],
                         strides=[stride, stride], pads=[k // 2] * 4 if k > 1 else [0, 0, 0, 0])

    def bn(self, x: str, c: int) -> str:
        scale, bias = self.tensor((c,)), self.tensor((c,))
        mean = self.tensor((c,), learnable=False, fill=0.0)
        var = self.tensor((c,), learnable=False, fill=1.0)
        return self.node("BatchNormalization", [x, scale, bias, mean, var])

    def relu_conv_bn(self, x: str, c_in: int, c_out: int, k: int, stride: int = 1) -> str:
        return self.bn(self.conv(self.node("Relu", [x]), c_in, c_out, k, stride), c_out)


def _cell(g: _Graph, x: str, ops: Sequence[int], c: int) -> str:
    nodes = [x]
    edges = NASBench201.EDGES
    for i in (1, 2, 3):
        terms = []
        for k, (to, frm) in enumerate(edges):
            if to != i:
                continue
            src, op = nodes[frm], ops[k]
            if op == 0:  # none: zeros, still computed
                terms.append(g.node("Mul", [src, g.tensor((1,), learnable=False, fill=0.0)]))
            elif op == 1:
                terms.append(g.node("Identity", [src]))
            elif op == 2:
                terms.append(g.relu_conv_bn(src, c, c, 1))
            elif op == 3:
                terms.append(g.relu_conv_bn(src, c, c, 3))
            else:
                terms.append(g.node("AveragePool", [src], kernel_shape=[3, 3], strides=[1, 1],
                                    pads=[1, 1, 1, 1], count_include_pad=0))
        total = terms[0]
        for t in terms[1:]:
            total = g.node("Add", [total, t])
        nodes.append(total)
    return nodes[3]


def _network(ops: Sequence[int], g: _Graph) -> str:
    x = g.bn(g.conv("x", 3, 16, 3), 16)
    c_prev = 16
    for stage, c in enumerate((16, 32, 64)):
        if stage:
            a = g.relu_conv_bn(x, c_prev, c, 3, stride=2)
            b = g.relu_conv_bn(a, c, c, 3)
            pooled = g.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
            x = g.node("Add", [g.conv(pooled, c_prev, c, 1), b])
        for _ in range(5):
            x = _cell(g, x, ops, c)
        c_prev = c
    x = g.node("Relu", [g.bn(x, 64)])
    x = g.node("Flatten", [g.node("GlobalAveragePool", [x])])
    return g.node("Gemm", [x, g.tensor((10, 64)), g.tensor((10,))], transB=1)


def parameter_count(choices: Sequence[int] | NDArray[np.integer]) -> int:
    """Learnable parameters of the NAS-Bench-201 CIFAR-10 network of a cell (6 op codes)."""
    g = _Graph(0, count_only=True)
    _network([int(v) for v in choices], g)
    return g.params


def build_nb201(choices: Sequence[int] | NDArray[np.integer], *, batch: int = 1, seed: int = 0) -> Any:
    """The ONNX model (``onnx.ModelProto``, opset 17) of a NAS-Bench-201 cell's CIFAR-10
    network; input ``x`` (batch, 3, 32, 32) float32, output (batch, 10)."""
    onnx = _onnx()
    from onnx import TensorProto, helper

    ops = [int(v) for v in np.asarray(choices).ravel()]
    if len(ops) != 6 or not all(0 <= v < 5 for v in ops):
        raise ValueError(f"choices must be 6 op codes 0-4 (a NAS-Bench-201 cell), got {ops}")
    g = _Graph(seed)
    out = _network(ops, g)
    graph = helper.make_graph(
        g.nodes, "nb201", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 32, 32])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [batch, 10])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="oneproxy")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# ---------------------------------------------------------------------------- devices and storage

@dataclass(frozen=True)
class Device:
    """What a measurement depends on: the CPU, the runtime and its settings."""

    cpu: str
    runtime: str
    threads: int
    batch: int

    @property
    def fingerprint(self) -> str:
        return f"{self.cpu} | {self.runtime} | threads={self.threads} | batch={self.batch}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def this_device(threads: int = 1, batch: int = 1) -> Device:
    """This machine with ONNX Runtime on the CPU."""
    ort = _runtime()
    return Device(_cpu_model(), f"onnxruntime {ort.__version__} CPU", int(threads), int(batch))


_SCHEMA = """CREATE TABLE IF NOT EXISTS measurements (
    device TEXT NOT NULL, arch_index INTEGER NOT NULL, median_ms REAL NOT NULL,
    iqr_ms REAL NOT NULL, repeats INTEGER NOT NULL, measured_at TEXT NOT NULL,
    PRIMARY KEY (device, arch_index))"""


def _connect(db: str | os.PathLike[str]) -> sqlite3.Connection:
    path = Path(db)
    if path.parent and not path.parent.exists():
        raise ValueError(f"db {str(path)!r}: folder {str(path.parent)!r} does not exist")
    deadline = time.monotonic() + 30
    while True:
        try:
            # autocommit: every write is its own BEGIN IMMEDIATE ... COMMIT (see _insert)
            con = sqlite3.connect(path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")  # readers and one writer at a time, crash-safe
            con.execute(_SCHEMA)
            return con
        except sqlite3.OperationalError as err:
            # Switching a new file to WAL does not wait for another process doing the same.
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise ValueError(f"db {str(path)!r} cannot be opened for writing: {err}") from None
            time.sleep(0.05)
        except sqlite3.Error as err:
            raise ValueError(f"db {str(path)!r} cannot be opened for writing: {err}") from None


def stored(db: str | os.PathLike[str], device: Device | None = None) -> dict[int, tuple[float, float, int]]:
    """Measurements in `db` (of `device`, default: all): arch_index -> (median_ms, iqr_ms, repeats)."""
    con = _connect(db)
    try:
        rows = con.execute("SELECT device, arch_index, median_ms, iqr_ms, repeats FROM measurements").fetchall()
    finally:
        con.close()
    return {int(a): (m, q, int(r)) for d, a, m, q, r in rows if device is None or d == device.fingerprint}


def export_csv(db: str | os.PathLike[str], path: str | os.PathLike[str], device: Device | None = None) -> int:
    """Write ``arch_index,median_ms,iqr_ms,repeats`` for the measurements in `db`; returns the rows."""
    rows = sorted(stored(db, device).items())
    lines = ["arch_index,median_ms,iqr_ms,repeats"] + [f"{a},{m!r},{q!r},{r}" for a, (m, q, r) in rows]
    Path(path).write_text("\n".join(lines) + "\n")
    return len(rows)


# ---------------------------------------------------------------------------- measuring

def measure(n: int, *, seed: int = 0, db: str | os.PathLike[str], threads: int = 1, repeats: int = 30,
            warmup: int = 10, batch: int = 1, group: int = 5,
            progress: Callable[[int, int], None] | None = None) -> dict[int, tuple[float, float, int]]:
    """Measure `n` NAS-Bench-201 cells drawn with `seed` (the first n of a permutation of the
    official indices, so a larger n extends a smaller one), except those `db` already holds for
    this device; returns their measurements, arch_index -> (median_ms, iqr_ms, repeats).

    Cells are timed in groups of `group`: each is warmed up, then the group's runs are
    interleaved (repeat r of every cell before repeat r + 1) to spread slow drift over the
    cells, and each cell's median and interquartile range (ms) is committed as soon as its
    group is done. An interrupted run therefore loses at most one group.
    """
    for name, value, low in (("n", n, 1), ("threads", threads, 1), ("repeats", repeats, 1),
                             ("warmup", warmup, 0), ("batch", batch, 1), ("group", group, 1)):
        if int(value) < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    ort = _runtime()
    device = this_device(threads, batch)
    space = NASBench201()
    # a prefix of one permutation per seed: a larger n extends a smaller one's sample
    indices = [int(i) for i in np.random.default_rng(seed).permutation(space.size)[:n]]
    con = _connect(db)
    try:
        have = {a for (a,) in con.execute("SELECT arch_index FROM measurements WHERE device = ?",
                                          (device.fingerprint,))}
        todo = [i for i in indices if i not in have]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        x = np.random.default_rng(0).standard_normal((batch, 3, 32, 32)).astype(np.float32)
        done = len(indices) - len(todo)
        for start in range(0, len(todo), group):
            chunk = todo[start:start + group]
            sessions = [ort.InferenceSession(build_nb201(space.decode(i), batch=batch).SerializeToString(),
                                             options, providers=["CPUExecutionProvider"]) for i in chunk]
            feeds = [{s.get_inputs()[0].name: x} for s in sessions]
            for s, f in zip(sessions, feeds):
                for _ in range(warmup):
                    s.run(None, f)
            times = np.empty((repeats, len(chunk)))
            for r in range(repeats):
                for k, (s, f) in enumerate(zip(sessions, feeds)):
                    t = time.perf_counter()
                    s.run(None, f)
                    times[r, k] = (time.perf_counter() - t) * 1e3
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            for k, i in enumerate(chunk):
                q1, med, q3 = np.percentile(times[:, k], [25, 50, 75])
                con.execute("BEGIN IMMEDIATE")  # takes the write lock, waiting for another writer
                con.execute("INSERT OR REPLACE INTO measurements VALUES (?, ?, ?, ?, ?, ?)",
                            (device.fingerprint, i, float(med), float(q3 - q1), repeats, stamp))
                con.execute("COMMIT")  # one architecture at a time
            done += len(chunk)
            if progress is not None:
                progress(done, len(indices))
    finally:
        con.close()
    have_now = stored(db, device)
    return {i: have_now[i] for i in indices}


def latency_column(db: str | os.PathLike[str], device: Device | None = None
                   ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(arch_index (k,), median_ms (k,)) of the measurements in `db`, sorted by index."""
    rows = sorted(stored(db, device).items())
    return (np.array([a for a, _ in rows], dtype=np.int64), np.array([m for _, (m, _, _) in rows]))
