"""Measuring on this machine: NAS-Bench-201 networks as ONNX graphs, ONNX Runtime timing, and
the SQLite store (resume, concurrent writers, CSV)."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from oneproxy import datasets, measure  # noqa: E402
from oneproxy.cli import main  # noqa: E402
from oneproxy.spaces import NASBench201  # noqa: E402

NB = NASBench201()


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


def test_measure_checks_its_arguments(tmp_path):
    for kwargs, name in ((dict(threads=0), "threads"), (dict(repeats=0), "repeats"),
                         (dict(warmup=-1), "warmup"), (dict(batch=0), "batch")):
        with pytest.raises(ValueError, match=f"{name} must be >="):
            measure.measure(2, db=tmp_path / "m.sqlite", **kwargs)


def test_none_edges_are_computed_not_removed():
    """A cell of only `none` ops still multiplies every edge's input by zero (6 Mul per cell)."""
    model = measure.build_nb201([0] * 6)
    assert sum(n.op_type == "Mul" for n in model.graph.node) == 6 * 15


def test_measure_stores_resumes_and_exports(tmp_path):
    db, csv = tmp_path / "m.sqlite", tmp_path / "m.csv"
    first = measure.measure(4, seed=1, db=db, repeats=3, warmup=1)
    assert len(first) == 4 and all(m > 0 and q >= 0 and r == 3 for m, q, r in first.values())
    stamps = dict(sqlite3.connect(db).execute("SELECT arch_index, measured_at FROM measurements"))
    time.sleep(1.1)
    again = measure.measure(6, seed=1, db=db, repeats=3, warmup=1)  # the same first 4, then 2 more
    assert set(first) <= set(again) and len(again) == 6
    later = dict(sqlite3.connect(db).execute("SELECT arch_index, measured_at FROM measurements"))
    assert all(later[i] == stamps[i] for i in first)  # nothing measured twice
    assert measure.export_csv(db, csv) == 6
    header, *rows = csv.read_text().splitlines()
    assert header == "arch_index,median_ms,iqr_ms,repeats"
    back = {int(a): (float(m), float(q), int(r)) for a, m, q, r in (row.split(",") for row in rows)}
    assert back == again


RUN = textwrap.dedent("""
    import sys
    from oneproxy import measure
    measure.measure(int(sys.argv[2]), seed=5, db=sys.argv[1], repeats=5, warmup=1, group=1)
""")


def test_killed_run_resumes_without_remeasuring(tmp_path):
    db = tmp_path / "k.sqlite"
    child = subprocess.Popen([sys.executable, "-c", RUN, str(db), "200"])
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        if db.exists() and len(measure.stored(db)) >= 3:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = measure.stored(db)
    assert 3 <= len(kept) < 200
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stamps = dict(con.execute("SELECT arch_index, measured_at FROM measurements"))
    con.close()
    n = len(kept) + 2
    measure.measure(n, seed=5, db=db, repeats=5, warmup=1, group=1)
    after = dict(sqlite3.connect(db).execute("SELECT arch_index, measured_at FROM measurements"))
    assert len(after) == n and all(after[i] == stamps[i] for i in kept)


def test_two_processes_share_one_db(tmp_path):
    """Two writers on one db (overlapping samples) leave a consistent table."""
    db = tmp_path / "two.sqlite"
    kids = [subprocess.Popen([sys.executable, "-c", RUN, str(db), "8"], stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for kid in kids:
        _, err = kid.communicate(timeout=120)
        assert kid.returncode == 0, err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute("SELECT arch_index FROM measurements").fetchall()
    assert len(rows) == len(set(rows)) == 8


@pytest.mark.parametrize("argv, message", [
    (["measure", "--space", "fbnet", "--db", "x.sqlite"], "only nb201"),
    (["measure", "--n", "0", "--db", "x.sqlite"], "n must be >= 1"),
    (["measure", "--db", "/nonexistent/folder/m.sqlite"], "does not exist"),
])
def test_measure_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_adapt_from_measurements(tmp_path, capsys):
    db, out = tmp_path / "m.sqlite", tmp_path / "mine.npz"
    measure.measure(20, seed=4, db=db, repeats=3, warmup=1)
    assert main(["adapt", "--db", str(db), "--dataset", "nb201", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "proxy chosen:" in text and out.exists()
    from oneproxy import predictors

    model = predictors.load(out)
    assert model.predict(NB.decode(np.arange(5))).shape == (5,)


def test_missing_runtime_says_what_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    assert main(["measure", "--n", "2", "--db", str(tmp_path / "m.sqlite")]) == 2
    assert "pip install 'oneproxy[measure]'" in capsys.readouterr().err
