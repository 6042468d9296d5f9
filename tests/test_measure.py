"""Measuring on this machine: NAS-Bench-201 cells and once-for-all subnets as ONNX graphs, timed by
ONNX Runtime or OpenVINO, and the SQLite store (keyed by space and device, resume, concurrent
writers, failures, migration of 0.1 databases, CSV in and out)."""
from __future__ import annotations

import csv
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from oneproxy import datasets, fronts, measure, networks  # noqa: E402
from oneproxy.cli import main  # noqa: E402
from oneproxy.spaces import NASBench201, OFAMobileNetV3  # noqa: E402

NB = NASBench201()
OFA128 = OFAMobileNetV3((128,))  # the cheapest subnets to time


def latency_rows(db) -> dict[tuple[str, str, str], tuple[int, float, str]]:
    """(space, device, arch) -> (rowid, median_ms, measured_at): a rewritten row gets a new rowid."""
    con = sqlite3.connect(db)
    try:
        return {(s, d, a): (rowid, m, t) for rowid, s, d, a, m, t in
                con.execute("SELECT rowid, space, device, arch, median_ms, measured_at FROM latency")}
    finally:
        con.close()


def cpu_model() -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)


def kill_once_stored(child: subprocess.Popen, db: Path, space, rows: int, timeout: float) -> None:
    """SIGKILL `child` as soon as `db` holds `rows` measurements of `space` (or after `timeout` s)."""
    deadline = time.time() + timeout
    while time.time() < deadline and child.poll() is None:
        time.sleep(0.2)
        if db.exists() and len(measure.stored(db, space=space)) >= rows:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()


class Logging:
    """A backend that runs `inner`, logs each load and each run (network index, input shape), and
    raises for the network `fail`: when it is loaded (``at="load"``) or at its third run."""

    name = "logging"

    def __init__(self, inner, networks=None, fail=None, at="load"):
        self.inner, self.runtime, self.threads = inner, inner.runtime, inner.threads
        self.networks = networks or {}  # serialised model -> index
        self.fail, self.at = fail, at
        self.loads: list[int | None] = []
        self.runs: list[tuple[int | None, tuple[int, ...]]] = []

    def load(self, model):
        i = self.networks.get(model)
        self.loads.append(i)
        if i is not None and i == self.fail and self.at == "load":
            raise RuntimeError(f"cannot compile network {i}\n(a second line the store leaves out)")
        call = self.inner.load(model)

        def run(x):
            self.runs.append((i, x.shape))
            if i is not None and i == self.fail and self.at == "run" and [j for j, _ in self.runs].count(i) == 3:
                raise RuntimeError(f"device lost in network {i}")
            return call(x)
        return run


# ---------------------------------------------------------------------------- NAS-Bench-201 graphs

def test_parameter_counts_equal_the_bundled_table():
    """The builder's learnable parameters equal NAS-Bench-201's params_M for every cell whose
    stored count is a whole number of parameters (15,421 of 15,625). The other 204 store
    fractional counts (thirds of an op's parameters off), which no network can have."""
    ds = datasets.load("nb201")
    counts = np.array([measure.parameter_count(row) for row in ds.columns["ops"]])
    stored = ds.columns["params_M"] * 1e6
    equal = np.abs(stored - counts) < 1e-3
    assert equal.sum() == 15_421
    thirds = (stored[~equal] - counts[~equal]) * 3  # the others are off by thirds of parameters
    assert np.allclose(thirds, np.round(thirds), atol=0.05)
    assert (np.abs(stored[~equal] - np.round(stored[~equal])) > 0.1).sum() >= 190  # mostly fractional


@pytest.mark.parametrize("index", [0, 6111, 15624])
def test_graphs_are_valid_and_run(index):
    """onnx.checker accepts the model, its learnable initializers add up to parameter_count,
    and ONNX Runtime runs it to (batch, 10) logits."""
    choices = NB.decode(index)
    model = measure.build_nb201(choices, batch=2)
    onnx.checker.check_model(model, full_check=True)
    inits = {i.name: int(np.prod(i.dims)) for i in model.graph.initializer}
    bn_stats = {n.input[k] for n in model.graph.node if n.op_type == "BatchNormalization" for k in (3, 4)}
    zeros = {n.input[1] for n in model.graph.node if n.op_type == "Mul"}
    assert sum(v for k, v in inits.items() if k not in bn_stats | zeros) == measure.parameter_count(choices)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": np.ones((2, 3, 32, 32), np.float32)})[0]
    assert out.shape == (2, 10) and np.isfinite(out).all()


@pytest.mark.parametrize("choices", [[0] * 5, [0] * 7, [0, 1, 2, 3, 4, 5], [-1, 0, 0, 0, 0, 0]])
def test_bad_cells_are_refused(choices):
    with pytest.raises(ValueError, match="6 op codes 0-4"):
        measure.build_nb201(choices)


@pytest.mark.parametrize("space", ["nb201", "ofa-mbv3"])
def test_sample_indices_names_a_bad_count_or_seed(space):
    """A float n gave "'float' object cannot be interpreted as an integer" (FBNet, OFA) and a bad
    seed numpy's SeedSequence text."""
    for n in (1.5, 10.0, True, "3"):
        with pytest.raises(ValueError, match="n must be an integer >= 0, got"):
            measure.sample_indices(space, n)
    for seed in ("x", 1.5, -1, True):
        with pytest.raises(ValueError, match="seed must be a non-negative integer, got"):
            measure.sample_indices(space, 3, seed=seed)
    assert measure.sample_indices(space, np.int64(3), seed=np.int64(1)) == measure.sample_indices(space, 3, seed=1)


def test_none_edges_are_computed_not_removed():
    """A cell of only `none` ops still multiplies every edge's input by zero (6 Mul per cell)."""
    model = measure.build_nb201([0] * 6)
    assert sum(n.op_type == "Mul" for n in model.graph.node) == 6 * 15


# ---------------------------------------------------------------------------- arguments and backends

@pytest.mark.parametrize("kwargs, message", [
    (dict(threads=0), "threads must be a positive integer, got 0"), (dict(repeats=0), "repeats must be >= 1"),
    (dict(warmup=-1), "warmup must be >= 0"), (dict(batch=0), "batch must be >= 1"),
    (dict(group=0), "group must be >= 1"), (dict(archs=[1]), "give either n"),
    (dict(n=None, archs=[15_625]), r"indices must be in \[0, 15625\)"),
    (dict(backend="tpu"), "backend must be one of onnxruntime, openvino, onnxruntime-cuda, got 'tpu'"),
    (dict(space="imagenet"), "space must be one of nb201, fbnet, ofa-mbv3, got 'imagenet'"),
    (dict(space="fbnet"), "has no network builder"),
    (dict(n=2.0), "n must be an integer >= 1, got 2.0"),
    (dict(n=None, archs=[1, 2.0]), r"archs\[1\] must be an integer >= 0, got 2.0"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seed="x"), "seed must be a non-negative integer, got 'x'"),
    (dict(threads="2"), "threads must be a positive integer, got '2'"),
])
def test_measure_checks_its_arguments_before_any_work(kwargs, message, tmp_path):
    db = tmp_path / "m.sqlite"
    with pytest.raises(ValueError, match=message):
        measure.measure(**{"n": 2, "db": db, **kwargs})
    assert not db.exists()


def test_cuda_without_a_gpu_is_unavailable(tmp_path, capsys):
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider")
    with pytest.raises(measure.BackendUnavailable, match="needs onnxruntime-gpu and a CUDA GPU") as err:
        measure.get_backend("onnxruntime-cuda")
    assert "CPUExecutionProvider" in str(err.value)  # what this onnxruntime offers instead
    db = tmp_path / "m.sqlite"
    assert main(["measure", "--backend", "onnxruntime-cuda", "--n", "2", "--db", str(db)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("oneproxy: error: backend 'onnxruntime-cuda' needs")
    assert not db.exists()


@pytest.mark.parametrize("module, name, extra", [("onnxruntime", "onnxruntime", "measure"),
                                                 ("openvino", "openvino", "openvino")])
def test_missing_runtime_says_what_to_install(module, name, extra, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ImportError, match=rf"backend '{name}' needs the {module} package"):
        measure.get_backend(name)
    assert main(["measure", "--backend", name, "--n", "2", "--db", str(tmp_path / "m.sqlite")]) == 2
    assert f"pip install 'oneproxy[{extra}]'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- the store

def test_measure_stores_resumes_and_exports(tmp_path):
    db, out = tmp_path / "m.sqlite", tmp_path / "m.csv"
    first = measure.measure(4, seed=1, db=db, repeats=3, warmup=1)
    assert list(first) == measure.sample_indices(NB, 4, seed=1)
    assert all(m > 0 and q >= 0 and r == 3 for m, q, r in first.values())
    before = latency_rows(db)
    assert {a for _, _, a in before} == {NB.to_string(i) for i in first}
    again = measure.measure(6, seed=1, db=db, repeats=3, warmup=1)  # the same first 4, then 2 more
    assert list(again) == measure.sample_indices(NB, 6, seed=1) and set(first) < set(again)
    after = latency_rows(db)
    assert len(after) == 6 and all(after[k] == v for k, v in before.items())  # nothing measured twice
    assert measure.export_csv(db, out) == 6
    header, *rows = out.read_text().splitlines()
    assert header == "arch_index,median_ms,iqr_ms,repeats"
    back = {int(a): (float(m), float(q), int(r)) for a, m, q, r in (row.split(",") for row in rows)}
    assert back == again


@pytest.mark.parametrize("name", ["onnxruntime", "openvino"])
def test_ofa_subnets_are_measured_and_keyed_by_space(name, tmp_path):
    """once-for-all subnets at 128 px, with 2 threads and batch 2, stored beside NAS-Bench-201
    cells of the same db under their own space and device; each network ran warm-up + repeats
    times on a (2, 3, 128, 128) input."""
    if name == "openvino":
        ov = pytest.importorskip("openvino")
    db = tmp_path / "m.sqlite"
    cells = measure.measure(2, seed=0, db=db, backend=name, repeats=2, warmup=0)
    run = Logging(measure.get_backend(name, threads=2))
    subnets = measure.measure(3, space=OFA128, seed=0, db=db, backend=run, batch=2, repeats=2, warmup=1)
    assert list(subnets) == measure.sample_indices(OFA128, 3, seed=0)
    assert all(m > 0 and r == 2 for m, _, r in subnets.values())
    assert run.runs == [(None, (2, 3, 128, 128))] * (3 * (1 + 2))

    assert measure.stored(db, space=OFA128) == subnets and measure.stored(db) == cells
    keys = set(latency_rows(db))
    assert {(s, a) for s, _, a in keys} == {("nb201", NB.to_string(i)) for i in cells} | \
        {("ofa-mbv3", OFA128.to_string(i)) for i in subnets}
    nb_device = measure.this_device(1, 1, name).fingerprint
    ofa_device = measure.this_device(2, 2, name).fingerprint
    assert measure.devices(db) == {"nb201": {nb_device: 2}, "ofa-mbv3": {ofa_device: 3}}
    assert measure.devices(db, "ofa-mbv3") == {"ofa-mbv3": {ofa_device: 3}}
    assert measure.stored(db, nb_device, space=OFA128) == {}  # the other device has no subnets

    cpu, runtime, threads, batch = ofa_device.split(" | ")
    assert (threads, batch) == ("threads=2", "batch=2")
    assert cpu == (cpu_model() or cpu)
    if name == "onnxruntime":
        assert runtime == f"onnxruntime {ort.__version__} CPU"
    else:
        version = ov.__version__.split("-")[0]
        assert runtime.startswith(f"openvino {version} CPU ") and runtime.split()[-1] in ("f32", "bf16", "f16")

    choices, median = measure.measured_latency(db, space=OFA128)
    order = sorted(subnets)
    np.testing.assert_array_equal(choices, OFA128.decode(order))
    np.testing.assert_array_equal(median, [subnets[i][0] for i in order])
    out = tmp_path / "ofa.csv"
    assert measure.export_csv(db, out, space=OFA128) == 3
    with open(out) as f:  # indices beyond 2**64, written and read back exactly
        assert {int(r["arch_index"]): float(r["median_ms"]) for r in csv.DictReader(f)} == \
            {i: m for i, (m, _, _) in subnets.items()}


def test_a_failing_network_is_recorded_and_skipped(tmp_path):
    """A network that fails to load, or fails at its third run, is kept in `failures` with the
    first line of its error, left out of the results and warned about; the other networks are
    timed interleaved in groups as if it were not there. A rerun retries only the failed one."""
    archs = measure.sample_indices(NB, 6, seed=2)
    built = {networks.build(NB, NB.decode(i)).SerializeToString(): i for i in archs}
    bad = archs[1]
    shape = (1, 3, 32, 32)
    for at, ran in (("load", [archs[0], archs[2]] * 4), ("run", archs[:3] * 3 + [archs[0], archs[2]])):
        db = tmp_path / f"{at}.sqlite"
        run = Logging(measure.get_backend("onnxruntime"), built, fail=bad, at=at)
        warning = rf"1 of 6 architectures could not be measured .*{re.escape(NB.to_string(bad))}"
        with pytest.warns(UserWarning, match=warning):
            got = measure.measure(archs=archs, db=db, backend=run, repeats=3, warmup=1, group=3)
        assert list(got) == [i for i in archs if i != bad] and all(r == 3 for _, _, r in got.values())
        # warm-up of each network, then the group's runs interleaved: repeat r of all before r + 1
        assert run.runs == [(i, shape) for i in ran + archs[3:] * 4]
        error = f"RuntimeError: cannot compile network {bad}" if at == "load" else \
            f"RuntimeError: device lost in network {bad}"
        assert measure.failures(db) == {bad: error}
        assert measure.stored(db) == got
        device = measure.this_device(backend=run).fingerprint
        assert measure.devices(db) == {"nb201": {device: 5}}

        before = latency_rows(db)
        run.loads.clear()
        run.runs.clear()
        with pytest.warns(UserWarning, match="1 of 6"):
            assert measure.measure(archs=archs, db=db, backend=run, repeats=3, warmup=1) == got
        assert run.loads == [bad] and latency_rows(db) == before  # nothing measured twice

        healthy = Logging(measure.get_backend("onnxruntime"), built)  # the same device, now working
        every = measure.measure(archs=archs, db=db, backend=healthy, repeats=3, warmup=1)
        assert healthy.loads == [bad] and list(every) == archs
        assert measure.failures(db) == {}
        assert all(latency_rows(db)[k] == v for k, v in before.items())


def test_run_returns_what_was_requested_measured_and_failed(tmp_path):
    """`run` samples n or takes archs (indices, or a CSV of them, duplicates once), measures like
    `measure`, and returns the failures with their errors instead of warning."""
    db = tmp_path / "m.sqlite"
    drawn = measure.run(db, n=3, seed=4, repeats=2, warmup=0)
    assert drawn.requested == tuple(measure.sample_indices(NB, 3, seed=4)) and drawn.space == NB
    assert drawn.results == measure.stored(db) and list(drawn.results) == list(drawn.requested)
    assert drawn.failed == {} and drawn.device == measure.this_device()

    archs = measure.sample_indices(NB, 4, seed=7)
    built = {networks.build(NB, NB.decode(i)).SerializeToString(): i for i in archs}
    listed = tmp_path / "archs.csv"
    listed.write_text("index\n" + "".join(f"{i}\n" for i in [archs[2], *archs, archs[0]]))
    failing = Logging(measure.get_backend("onnxruntime"), built, fail=archs[1])
    seen: list[tuple[int, int]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # run reports failures, it does not warn of them
        got = measure.run(db, archs=listed, backend=failing, repeats=2, warmup=0,
                          progress=lambda done, total: seen.append((done, total)))
    assert got.requested == (archs[2], archs[0], archs[1], archs[3])
    assert list(got.results) == [archs[2], archs[0], archs[3]]
    assert got.failed == {archs[1]: f"RuntimeError: cannot compile network {archs[1]}"}
    assert got.failed == measure.failures(db) and seen[-1][0] == seen[-1][1]
    assert measure.run(db, archs=[archs[3], archs[1]], backend=failing, repeats=2, warmup=0).failed == got.failed
    with pytest.warns(UserWarning, match="1 of 4 architectures could not be measured"):
        assert measure.measure(archs=archs, db=db, backend=failing, repeats=2, warmup=0) == \
            {i: got.results[i] for i in archs if i != archs[1]}
    for kwargs, message in [(dict(), "give either n"), (dict(n=2, archs=[1]), "give either n"),
                            (dict(n=0), "n must be >= 1, got 0"), (dict(archs=tmp_path / "none.csv"), "cannot be read")]:
        with pytest.raises(ValueError, match=message):
            measure.run(tmp_path / "new.sqlite", **kwargs)
    assert not (tmp_path / "new.sqlite").exists()


def old_database(path: Path, rows: list[tuple[str, int, float, float, int, str]]) -> None:
    """A oneproxy 0.1 store: NAS-Bench-201 only, keyed by device and official index."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE measurements (device TEXT NOT NULL, arch_index INTEGER NOT NULL, "
                "median_ms REAL NOT NULL, iqr_ms REAL NOT NULL, repeats INTEGER NOT NULL, "
                "measured_at TEXT NOT NULL, PRIMARY KEY (device, arch_index))")
    con.executemany("INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()


OLD = [("Xeon | onnxruntime 1.17.0 CPU | threads=1 | batch=1", 6111, 1.25, 0.125, 30, "2024-05-01T10:00:00"),
       ("Xeon | onnxruntime 1.17.0 CPU | threads=1 | batch=1", 0, 0.5, 0.0625, 30, "2024-05-01T10:00:01"),
       ("Xeon | onnxruntime 1.17.0 CPU | threads=4 | batch=1", 15624, 2.5, 0.25, 10, "2024-05-02T09:30:00")]


def test_old_databases_are_migrated(tmp_path):
    db = tmp_path / "old.sqlite"
    old_database(db, OLD)
    a, b = OLD[0][0], OLD[2][0]
    assert measure.stored(db, a) == {6111: (1.25, 0.125, 30), 0: (0.5, 0.0625, 30)}
    assert measure.stored(db, b) == {15624: (2.5, 0.25, 10)}
    assert measure.devices(db) == {"nb201": {a: 2, b: 1}}
    con = sqlite3.connect(db)
    tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    moved = con.execute("SELECT space, device, arch, measured_at FROM latency").fetchall()
    con.close()
    assert "measurements" not in tables and {"latency", "failures"} <= tables
    ops = datasets.load("nb201").columns["ops"]
    assert sorted(moved) == sorted(("nb201", d, NB.to_string(i), t) for d, i, *_, t in OLD)
    for _, _, arch, _ in moved:  # the string is the cell the old index named
        index = next(i for _, i, *_ in OLD if NB.to_string(i) == arch)
        np.testing.assert_array_equal(NB.from_string(arch), ops[index])
    again = latency_rows(db)
    assert measure.stored(db, a) == {6111: (1.25, 0.125, 30), 0: (0.5, 0.0625, 30)}
    assert latency_rows(db) == again  # opened again: nothing moved twice


def test_migration_by_another_process_meanwhile(tmp_path, monkeypatch):
    """Two processes open one old db at once: the one that waited for the write lock while the
    other migrated finds the rows moved and carries on."""
    db = tmp_path / "old.sqlite"
    old_database(db, OLD)
    real_connect = sqlite3.connect
    other: list[dict] = []

    def other_process_first(statement):
        if statement == "BEGIN IMMEDIATE" and not other:  # ours is about to wait for the lock
            other.append({})
            other[0] = measure.stored(db, OLD[0][0])  # the other opener, all the way

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        if not other:
            con.set_trace_callback(other_process_first)
        return con

    monkeypatch.setattr(sqlite3, "connect", connect)
    assert measure.stored(db, OLD[0][0]) == other[0] == {6111: (1.25, 0.125, 30), 0: (0.5, 0.0625, 30)}
    assert measure.devices(db) == {"nb201": {OLD[0][0]: 2, OLD[2][0]: 1}}


RUN = textwrap.dedent("""
    import sys
    from oneproxy import measure
    from oneproxy.spaces import NASBench201, OFAMobileNetV3
    space = NASBench201() if sys.argv[3] == "nb201" else OFAMobileNetV3((128,))
    measure.measure(int(sys.argv[2]), space=space, seed=5, db=sys.argv[1], repeats=2, warmup=0, group=1)
""")


@pytest.mark.parametrize("space", [NB, OFA128], ids=["nb201", "ofa-mbv3"])
def test_killed_run_resumes_without_remeasuring(space, tmp_path):
    db = tmp_path / "k.sqlite"
    child = subprocess.Popen([sys.executable, "-c", RUN, str(db), "200", space.name])
    kill_once_stored(child, db, space, 3, timeout=60)
    assert child.returncode == -signal.SIGKILL
    kept = measure.stored(db, space=space)
    assert 3 <= len(kept) < 200
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    before = latency_rows(db)
    n = len(kept) + 2
    assert set(kept) <= set(measure.sample_indices(space, n, seed=5))  # the run's prefix
    got = measure.measure(n, space=space, seed=5, db=db, repeats=2, warmup=0, group=1)
    after = latency_rows(db)
    assert len(got) == len(after) == n and all(after[k] == v for k, v in before.items())


def test_two_processes_share_one_db(tmp_path):
    """Two writers on one db (overlapping samples) leave a consistent table."""
    db = tmp_path / "two.sqlite"
    kids = [subprocess.Popen([sys.executable, "-c", RUN, str(db), "8", "nb201"], stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for kid in kids:
        _, err = kid.communicate(timeout=120)
        assert kid.returncode == 0, err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute("SELECT space, arch, repeats FROM latency").fetchall()
    con.close()
    assert sorted(rows) == sorted(("nb201", NB.to_string(i), 2) for i in measure.sample_indices(NB, 8, seed=5))


# ---------------------------------------------------------------------------- the command line

def test_archs_csv_measures_exactly_the_listed_architectures(tmp_path, capsys):
    """--archs by index (NAS-Bench-201, duplicates and blank lines), by string (once-for-all at
    128 px), and a front written by 'oneproxy search' over 160-224 px measured in the default
    128-224 px space: its strings name the architectures, its indices would name others."""
    db = tmp_path / "m.sqlite"
    by_index = tmp_path / "cells.csv"
    by_index.write_text("name,arch_index\na,6111\nb,0\n\nc,6111\nd,15624\n")
    assert main(["measure", "--archs", str(by_index), "--db", str(db), "--repeats", "1", "--warmup", "0"]) == 0
    assert set(measure.stored(db)) == {6111, 0, 15624}

    subnets = measure.sample_indices(OFA128, 2, seed=9)
    by_string = tmp_path / "subnets.csv"
    by_string.write_text("arch\n" + "".join(f'"{OFA128.to_string(i)}"\n' for i in subnets))
    assert main(["measure", "--space", "ofa-mbv3", "--resolutions", "128", "--archs", str(by_string),
                 "--db", str(db), "--repeats", "1", "--warmup", "0"]) == 0
    assert set(measure.stored(db, space=OFA128)) == set(subnets)

    front = tmp_path / "front.csv"
    assert main(["search", "--space", "ofa-mbv3", "--objectives", "accuracy,note10", "--population", "6",
                 "--generations", "1", "--seed", "3", "--out", str(front)]) == 0
    with open(front) as f:
        listed = [row["architecture"] for row in csv.DictReader(f)]
    assert 2 <= len(listed)
    assert main(["measure", "--space", "ofa-mbv3", "--archs", str(front), "--db", str(db), "--repeats", "1",
                 "--warmup", "0"]) == 0
    measured = {a for s, _, a in latency_rows(db) if s == "ofa-mbv3"}
    assert measured == set(listed) | {OFA128.to_string(i) for i in subnets}
    out = capsys.readouterr().out
    assert f"{len(set(listed))} ofa-mbv3 architectures stored in {db}" in out

    nb_front = tmp_path / "nb_front.csv"  # fronts.write_csv: index and string, both read back
    fronts.write_csv(nb_front, NB, [5, 15624], [[1.0], [2.0]], ["latency"])
    assert fronts.read_csv(nb_front, NB) == [5, 15624]


@pytest.mark.parametrize("text, message", [
    ("name,accuracy\na,0.5\n", "has no index column (index, arch_index) nor string column"),
    ("index\n5\n15625\n", "line 3: not an architecture of NASBench201()"),
    ("index\n5\n-1\n", "line 3: not an architecture of NASBench201(): an index must be a whole number"),
    ("architecture\n|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|\nr=128 d=2-2-2-2-2\n",
     "line 3: not an architecture"),
    ("", "is empty"),
])
def test_bad_archs_csv_names_the_file_and_line(text, message, tmp_path, capsys):
    path, db = tmp_path / "archs.csv", tmp_path / "m.sqlite"
    path.write_text(text)
    assert main(["measure", "--archs", str(path), "--db", str(db)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("oneproxy: error: ")
    assert repr(str(path)) in lines[0] and message in lines[0]
    assert not db.exists()


@pytest.mark.parametrize("argv, messages", [
    (["--n", "0"], ["--n must be >= 1, got 0"]),
    (["--space", "nb201", "--resolutions", "160"], ["--resolutions is for ofa-mbv3, not nb201"]),
    (["--space", "ofa-mbv3", "--resolutions", "160-abc"], ["--resolutions must look like 160-224", "'160-abc'"]),
    (["--space", "ofa-mbv3", "--resolutions", "0,160"], ["--resolutions must be", "'0,160'"]),
    (["--space", "ofa-mbv3", "--resolutions", "100"], ["--resolutions must be", "'100'"]),
    (["--space", "ofa-mbv3", "--resolutions", "200-160"], ["--resolutions must be", "'200-160'"]),
    (["--space", "ofa-mbv3", "--resolutions", "160,160"], ["resolutions must be 1 to 255 distinct"]),
    (["--threads", "0"], ["threads must be a positive integer, got 0"]),
])
def test_measure_errors(argv, messages, capsys, tmp_path):
    db = tmp_path / "x.sqlite"
    assert main(["measure", "--db", str(db), *argv]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("oneproxy: error: ")
    assert all(m in lines[0] for m in messages), lines[0]
    assert not db.exists()


def test_missing_folder_is_named(capsys):
    assert main(["measure", "--db", "/nonexistent/folder/m.sqlite"]) == 2
    assert "folder '/nonexistent/folder' does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("argv, value", [(["--space", "fbnet"], "'fbnet'"), (["--backend", "tpu"], "'tpu'")])
def test_unknown_space_and_backend_are_refused_by_the_parser(argv, value, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["measure", "--db", str(tmp_path / "x.sqlite"), *argv])
    assert exit_.value.code == 2
    assert f"invalid choice: {value}" in capsys.readouterr().err


def test_adapt_from_measurements(tmp_path, capsys):
    db, out = tmp_path / "m.sqlite", tmp_path / "mine.npz"
    measure.measure(20, seed=4, db=db, repeats=3, warmup=1)
    assert main(["adapt", "--db", str(db), "--dataset", "nb201", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "proxy chosen:" in text and "20 measurements" in text and out.exists()
    from oneproxy import predictors

    model = predictors.load(out)
    assert model.predict(NB.decode(np.arange(5))).shape == (5,)


# ---------------------------------------------------------------------------- damaged stores

def damaged_stores(tmp_path):
    """(name, path) of stores damaged in each way a file can be."""
    good = tmp_path / "good.sqlite"
    measure.measure(3, seed=2, db=good, repeats=1, warmup=0)
    out = []
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(np.random.default_rng(0).bytes(8192))
    out.append(("random bytes", garbage))
    page = tmp_path / "page.sqlite"
    raw = bytearray(good.read_bytes())
    raw[4096:8192] = np.random.default_rng(1).bytes(4096)  # the second page overwritten
    page.write_bytes(bytes(raw))
    out.append(("an overwritten page", page))
    schema = tmp_path / "schema.sqlite"
    with sqlite3.connect(schema) as con:
        con.execute("CREATE TABLE measurements (who TEXT, what REAL)")
        con.execute("INSERT INTO measurements VALUES ('x', 1.0)")
    out.append(("a measurements table of another schema", schema))
    columns = tmp_path / "columns.sqlite"
    with sqlite3.connect(columns) as con:
        con.execute("CREATE TABLE latency (space TEXT, device TEXT, arch TEXT, ms REAL)")
    out.append(("a latency table of other columns", columns))
    edited = tmp_path / "edited.sqlite"
    edited.write_bytes(good.read_bytes())
    with sqlite3.connect(edited) as con:
        con.execute("UPDATE latency SET median_ms = -1 WHERE rowid = (SELECT MIN(rowid) FROM latency)")
    out.append(("a latency edited to -1", edited))
    alien = tmp_path / "alien.sqlite"
    alien.write_bytes(good.read_bytes())
    with sqlite3.connect(alien) as con:
        con.execute("UPDATE latency SET arch = 'not a cell' WHERE rowid = (SELECT MIN(rowid) FROM latency)")
    out.append(("an architecture edited to garbage", alien))
    return out


def test_a_damaged_store_is_refused_with_one_error_naming_it(tmp_path, capsys):
    for name, db in damaged_stores(tmp_path):
        with pytest.raises(ValueError, match=rf"db '{re.escape(str(db))}' is not a usable oneproxy measurement "
                                             rf"store .*delete it"):
            measure.stored(db)
        for argv in (["measure", "--n", "2", "--repeats", "1", "--warmup", "0", "--db", str(db)],
                     ["adapt", "--db", str(db), "--dataset", "nb201"]):
            capsys.readouterr()
            assert main(argv) == 2, name
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and "is not a usable oneproxy measurement store" in err[0], (name, err)


def test_reading_never_creates_a_store(tmp_path, capsys):
    typo = tmp_path / "typo.sqlite"
    for read in (lambda: measure.stored(typo), lambda: measure.devices(typo), lambda: measure.failures(typo)):
        with pytest.raises(ValueError, match="does not exist"):
            read()
    assert main(["adapt", "--db", str(typo), "--dataset", "nb201"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not typo.exists()


@pytest.mark.parametrize("choices", [[5] * 6, [-1] * 6, [2**70] * 6, [0.5] * 6, [0] * 5])
def test_parameter_count_refuses_what_is_not_a_cell(choices):
    with pytest.raises(ValueError, match="6 op codes 0-4"):
        measure.parameter_count(choices)
