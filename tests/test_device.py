"""A new device end to end (`oneproxy.device`): once-for-all subnets measured on this machine at
160 px, the bundled proxies adapted to them, fronts searched and measured; the store is the
reference for every latency, scipy for every SRCC, a grid count for every hypervolume."""
from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import oneproxy  # noqa: E402
from oneproxy import datasets, device, measure  # noqa: E402
from oneproxy.adaptation import adapt  # noqa: E402
from oneproxy.cli import main  # noqa: E402
from oneproxy.predictors import LinearLatency, linear_latency, ofa_accuracy, ofa_note10_latency  # noqa: E402
from oneproxy.spaces import NASBench201, OFAMobileNetV3  # noqa: E402
from test_measure import kill_once_stored, latency_rows  # noqa: E402  (rowids show a rewritten row)

SPACE = OFAMobileNetV3((160,))
TINY = dict(samples=10, holdout=5, front_size=3, population=8, generations=2, repeats=1, warmup=0,
            resolutions=(160,), seed=0, progress=False)
TINY_ARGS = ["--samples", "10", "--holdout", "5", "--front-size", "3", "--population", "8", "--generations", "2",
             "--repeats", "1", "--warmup", "0", "--resolutions", "160", "--seed", "0", "--no-progress"]
NB = NASBench201()


def grid_hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Area dominated by (accuracy up, latency down) points within `ref`, summed over the cells
    of the grid of their coordinates."""
    xs, ys = np.unique(np.r_[points[:, 0], ref[0]]), np.unique(np.r_[points[:, 1], ref[1]])
    area = 0.0
    for x0, x1 in zip(xs[:-1], xs[1:]):
        for y0, y1 in zip(ys[:-1], ys[1:]):
            if any(a >= x1 and ms <= y0 for a, ms in points):
                area += (x1 - x0) * (y1 - y0)
    return area


def copy_db(src, dst) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    folder = tmp_path_factory.mktemp("device")
    db, out = folder / "d.sqlite", folder / "report"
    return db, out, device.run(db, out, **TINY)


# ---------------------------------------------------------------------------- the loop

def test_result_agrees_with_the_store(first):
    db, _, r = first
    assert r.device == measure.this_device().fingerprint and r.space == SPACE
    pool = measure.sample_indices(SPACE, 15, seed=0)
    assert r.samples == pool[:10] and r.heldout == pool[10:] and r.failed == {}
    have = measure.stored(db, r.device, space=SPACE)
    assert all(r.latency[i] == have[i][0] for i in pool) and set(r.latency) == set(pool)

    prox = device.proxies(SPACE)
    accuracy = ofa_accuracy(SPACE)
    predictors = {"adapted": r.adapted.model, "proxy-only": prox[r.adapted.proxy]}
    assert set(r.fronts) == set(predictors)
    for name, front in r.fronts.items():
        X = SPACE.decode(front.indices)
        assert 2 <= len(front.indices) <= 3 and front.front_size >= len(front.indices)
        np.testing.assert_array_equal(front.measured_ms, [have[i][0] for i in front.indices])
        np.testing.assert_allclose(front.accuracy, accuracy.predict(X), rtol=1e-12)
        np.testing.assert_allclose(front.predicted_ms, predictors[name].predict(X), rtol=1e-12)
        np.testing.assert_array_equal(front.points, np.column_stack([front.accuracy, front.measured_ms]))
    measured = set(pool) | {i for f in r.fronts.values() for i in f.indices}
    assert set(have) == measured and r.measured == len(measured)  # nothing else was measured

    y = np.array([have[i][0] for i in r.samples])
    for name, score in r.adapted.scores.items():
        assert score == pytest.approx(stats.spearmanr(prox[name].predict(SPACE.decode(r.samples)), y).statistic,
                                      abs=1e-12)
    assert list(r.adapted.scores.values()) == sorted(r.adapted.scores.values(), reverse=True)
    assert r.adapted.proxy == next(iter(r.adapted.scores))

    H = SPACE.decode(r.heldout)
    y_held = np.array([have[i][0] for i in r.heldout])
    pred = r.adapted.model.predict(H)
    assert r.heldout_srcc == pytest.approx(stats.spearmanr(pred, y_held).statistic, abs=1e-12)
    assert r.heldout_mape == pytest.approx(np.mean(np.abs(pred - y_held) / y_held), rel=1e-12)
    assert r.proxy_heldout_srcc == pytest.approx(
        stats.spearmanr(prox[r.adapted.proxy].predict(H), y_held).statistic, abs=1e-12)


def test_hypervolumes_of_the_measured_fronts(first):
    _, _, r = first
    union = np.vstack([f.points for f in r.fronts.values()])
    assert r.reference[0] < union[:, 0].min() and r.reference[1] > union[:, 1].max()
    for name, front in r.fronts.items():
        assert r.hypervolume[name] == pytest.approx(grid_hypervolume(front.points, r.reference), rel=1e-9)
        assert r.hypervolume[name] == pytest.approx(
            oneproxy.hypervolume(front.points, r.reference, ["max", "min"]), rel=1e-12)
        assert r.hv_ratio[name] == pytest.approx(r.hypervolume[name] / r.hypervolume["adapted"], rel=1e-12)


def test_report_and_figures(first):
    import matplotlib.image

    _, out, r = first
    text = (out / "report.md").read_text()
    assert f"Device: `{r.device}`." in text
    assert all(f"| {k} | {v:.3f} |" in text for k, v in r.adapted.scores.items())
    assert f"| held-out (adapted predictor) | 5 | {r.heldout_srcc:.3f} | {r.heldout_mape:.1%} |" in text
    assert all(f"| {r.hypervolume[k]:.4g} | {r.hv_ratio[k]:.4f} |" in text for k in r.fronts)
    assert "No oracle front" in text
    for png in ("device-predictions.png", "device-fronts.png"):
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and min(image.shape[:2]) > 300 and image.std() > 0.02


def test_rerun_measures_nothing(first, tmp_path):
    db, _, r = first
    before = latency_rows(db)
    again = device.run(db, tmp_path / "again", **TINY)
    assert latency_rows(db) == before
    assert again.latency == r.latency and again.hypervolume == r.hypervolume
    assert {k: f.indices for k, f in again.fronts.items()} == {k: f.indices for k, f in r.fronts.items()}


def test_oracle_adds_the_oracle_front(first, tmp_path):
    """oracle=20: 5 more subnets of the same draw, a predictor fitted on all 20 (target-only
    ridge, lambda by CV), its front measured; the samples and the other fronts are reused."""
    db = tmp_path / "copy.sqlite"
    copy_db(first[0], db)
    before = latency_rows(db)
    r = device.run(db, tmp_path / "out", **{**TINY, "oracle": 20})
    after = latency_rows(db)
    assert all(after[k] == v for k, v in before.items())
    pool = measure.sample_indices(SPACE, 20, seed=0)
    assert set(r.latency) == set(pool) and r.samples == first[2].samples
    assert set(r.fronts) == {"adapted", "proxy-only", "oracle"} and r.oracle == 20
    assert r.fronts["adapted"].indices == first[2].fronts["adapted"].indices
    oracle = adapt(device.proxies(SPACE)[r.adapted.proxy], SPACE.decode(pool), [r.latency[i] for i in pool],
                   seed=0, methods=["target-only"])
    front = r.fronts["oracle"]
    np.testing.assert_allclose(front.predicted_ms, oracle.predict(SPACE.decode(front.indices)), rtol=1e-9)
    assert r.hypervolume["oracle"] == pytest.approx(grid_hypervolume(front.points, r.reference), rel=1e-9)
    assert r.hv_ratio["oracle"] == 1.0
    assert r.hv_ratio["adapted"] == pytest.approx(r.hypervolume["adapted"] / r.hypervolume["oracle"], rel=1e-12)
    text = (tmp_path / "out" / "report.md").read_text()
    assert "oracle: fitted on 20 measured subnets" in text and f"**{r.hv_ratio['adapted']:.4f}**" in text


def test_killed_device_run_resumes(tmp_path):
    """SIGKILL to 'oneproxy device' while it measures its subnets; the rerun keeps every row the
    killed run stored and measures only what is missing."""
    db, err = tmp_path / "k.sqlite", tmp_path / "stderr.txt"
    argv = [sys.executable, "-m", "oneproxy", "device", "--db", str(db), "--out", str(tmp_path / "killed"),
            *TINY_ARGS]
    argv[argv.index("--holdout") + 1] = "300"  # far more than it can measure before the kill
    with open(err, "w") as stderr:
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        kill_once_stored(child, db, SPACE, 5, timeout=90)
    assert child.returncode == -signal.SIGKILL, err.read_text()
    kept = measure.stored(db, space=SPACE)
    pool = measure.sample_indices(SPACE, 310, seed=0)
    assert 5 <= len(kept) < 310 and set(kept) == set(pool[:len(kept)])  # committed in order
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    before = latency_rows(db)
    r = device.run(db, tmp_path / "out", **TINY)
    after = latency_rows(db)
    assert all(after[k] == v for k, v in before.items())  # nothing measured twice
    needed = set(pool[:15]) | {i for f in r.fronts.values() for i in f.indices}
    assert set(measure.stored(db, space=SPACE)) == set(kept) | needed


@pytest.mark.parametrize("kwargs, message", [
    (dict(samples=9), "samples must be >= 10, got 9"),
    (dict(holdout=-1), "holdout must be >= 0, got -1"),
    (dict(oracle=15), r"oracle must be 0 or at least samples \+ 10 = 20, got 15"),
    (dict(front_size=1), "front_size must be >= 2, got 1"),
    (dict(samples=20.0), "samples must be an integer >= 10, got 20.0"),
    (dict(seed=-1), "seed must be a non-negative integer, got -1"),
    (dict(seed="x"), "seed must be a non-negative integer, got 'x'"),
    (dict(resolutions=(128, 160)), "resolutions within 160-224"),
    (dict(backend="tpu"), "backend must be one of"),
])
def test_run_checks_its_arguments(kwargs, message, tmp_path):
    db = tmp_path / "d.sqlite"
    with pytest.raises(ValueError, match=message):
        device.run(db, **{**TINY, **kwargs})
    assert not db.exists()


# ---------------------------------------------------------------------------- proxies and adaptation

def test_adapt_measured_picks_the_proxy_that_orders_the_target():
    """Synthetic proxies over NAS-Bench-201: `b` orders the first target exactly (a nonlinear,
    increasing function of it); the second is a + c, which no single proxy orders but all of
    them together fit. A constant proxy scores nan and comes last."""
    rng = np.random.default_rng(0)
    shape = (len(NB.group_sizes), max(NB.group_sizes))
    proxies = {k: LinearLatency(NB, rng.random(shape), 1.0) for k in "abc"}
    proxies["flat"] = LinearLatency(NB, np.zeros(shape), 3.0)
    X = NB.decode(rng.choice(NB.size, 40, replace=False))
    P = {k: p.predict(X) for k, p in proxies.items()}
    for y, best, kind in ((np.exp(3 * P["b"]), "b", "single"), (P["a"] + P["c"], "a", "multi")):
        chosen = device.adapt_measured(proxies, X, y, seed=0)
        expected = {k: stats.spearmanr(P[k], y).statistic for k in "abc"}
        assert chosen.proxy == best == max(expected, key=expected.get)
        assert list(chosen.scores) == [*sorted(expected, key=expected.get, reverse=True), "flat"]
        assert all(chosen.scores[k] == pytest.approx(v, abs=1e-12) for k, v in expected.items())
        assert np.isnan(chosen.scores["flat"])
        assert chosen.single.cv_srcc == adapt(proxies[best], X, y, seed=0).cv_srcc
        assert chosen.multi.cv_srcc == adapt(proxies=list(proxies.values()), choices=X, target_latency_ms=y,
                                             seed=0).cv_srcc
        keep = chosen.single if chosen.single.cv_srcc >= chosen.multi.cv_srcc else chosen.multi
        assert chosen.model is keep and chosen.kind == kind
    assert device.adapt_measured({"b": proxies["b"]}, X, y, seed=0).kind == "single"  # one proxy: no multi
    with pytest.raises(ValueError, match="at least one predictor"):
        device.adapt_measured({}, X, y)


def test_proxies_are_the_bundled_devices_and_the_note10_table():
    ds = datasets.load("ofa-mbv3")
    prox = device.proxies(SPACE)
    assert list(prox) == [d for d in ds.devices if d != "note10_lut_ms"] + ["note10"]
    drawn = SPACE.sample(500, seed=1)
    table = ofa_note10_latency(OFAMobileNetV3(device.RESOLUTIONS))
    as_224 = np.array([OFAMobileNetV3(device.RESOLUTIONS).from_string(SPACE.to_string(c)) for c in drawn])
    assert stats.spearmanr(prox["note10"].predict(drawn), table.predict(as_224)).statistic > 0.98


@pytest.mark.parametrize("space", [OFAMobileNetV3((128,)), OFAMobileNetV3((160, 228)), NB])
def test_proxies_refuse_other_spaces(space):
    with pytest.raises(ValueError, match="resolutions within 160-224"):
        device.proxies(space)


# ---------------------------------------------------------------------------- beside the bundled devices

@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    """12 NAS-Bench-201 cells on one thread, the first 10 of them on two: two devices."""
    db = tmp_path_factory.mktemp("cells") / "nb.sqlite"
    measure.measure(12, seed=3, db=db, repeats=1, warmup=0)
    measure.measure(10, seed=3, db=db, threads=2, repeats=1, warmup=0)
    return db


def test_measured_latencies_beside_the_bundled_columns(cells):
    one, two = measure.this_device(1).fingerprint, measure.this_device(2).fingerprint
    names, L, indices = device.measured_latencies(cells, "nb201")
    ds = datasets.load("nb201")
    assert indices == sorted(measure.sample_indices(NB, 12, seed=3))
    assert names == (one.split(" | ", 1)[1], two.split(" | ", 1)[1], *ds.devices)
    first_ten = set(measure.sample_indices(NB, 10, seed=3))
    for row, fingerprint in enumerate((one, two)):
        have = measure.stored(cells, fingerprint)
        np.testing.assert_array_equal(L[row], [have[i][0] if i in have else np.nan for i in indices])
    np.testing.assert_array_equal(np.isnan(L[1]), [i not in first_ten for i in indices])
    assert np.isnan(L[1]).sum() == 2
    for row, d in enumerate(ds.devices, start=2):
        np.testing.assert_array_equal(L[row], ds.latency_of(d)[indices])


def test_measured_latencies_of_subnets(first):
    db, _, r = first
    names, L, indices = device.measured_latencies(db)
    default = OFAMobileNetV3()  # the store's strings read in 128-224 px
    have = {SPACE.to_string(i): m for i, (m, _, _) in measure.stored(db, space=SPACE).items()}
    assert indices == sorted(int(default.encode(default.from_string(s))) for s in have)
    np.testing.assert_array_equal(L[0], [have[default.to_string(i)] for i in indices])
    ds = datasets.load("ofa-mbv3")
    X = default.decode(indices)
    bundled = [d for d in ds.devices if d != "note10_lut_ms"]
    assert names == (r.device.split(" | ", 1)[1], *(f"{d} (predicted)" for d in bundled), "note10 (table)")
    for row, d in enumerate(bundled, start=1):
        np.testing.assert_allclose(L[row], linear_latency(ds, d).predict(X), rtol=1e-12)
    wide = OFAMobileNetV3(device.RESOLUTIONS)
    table = ofa_note10_latency(wide).predict(np.array([wide.from_string(default.to_string(i)) for i in indices]))
    np.testing.assert_allclose(L[-1], table, rtol=1e-12)


def test_stored_device_is_the_one_that_matches(cells, tmp_path):
    """The fingerprint equal to the text, else the only one containing it; otherwise a refusal
    that lists the store's devices of the space, calling the text as the caller names it."""
    one, two = measure.this_device(1).fingerprint, measure.this_device(2).fingerprint
    assert device.stored_device(cells, "nb201", "threads=2") == two
    assert device.stored_device(cells, NB, one) == one
    with pytest.raises(ValueError, match="holds 2 nb201 devices: pass device TEXT to pick one of") as err:
        device.stored_device(cells, "nb201")
    assert one in str(err.value) and two in str(err.value)
    with pytest.raises(ValueError, match="holds 0 nb201 devices matching 'threads=3': pass --device TEXT"):
        device.stored_device(cells, "nb201", "threads=3", name="--device")
    with pytest.raises(ValueError, match="holds 0 ofa-mbv3 devices: .* one of: none"):
        device.stored_device(cells, "ofa-mbv3")
    # a fingerprint that is also part of another's (batch=1 in batch=16) is taken as itself
    db = tmp_path / "batches.sqlite"
    copy_db(cells, db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE latency SET device = ? WHERE device = ?", (one.replace("batch=1", "batch=16"), two))
    assert device.stored_device(db, "nb201", one) == one
    with pytest.raises(ValueError, match="holds 2 nb201 devices matching 'batch=1'"):
        device.stored_device(db, "nb201", "batch=1")


def test_measured_space_is_the_one_the_store_holds(cells, first, tmp_path):
    assert device.measured_space(cells) == "nb201" == device.measured_space(cells, "nb201")
    with pytest.raises(ValueError, match="holds measurements of no space; pass space"):
        device.measured_space(cells, "ofa-mbv3")
    both = tmp_path / "both.sqlite"
    copy_db(first[0], both)
    measure.measure(archs=[0, 1], db=both, repeats=1, warmup=0)
    with pytest.raises(ValueError, match="holds measurements of nb201, ofa-mbv3; pass --space"):
        device.measured_space(both, name="--space")
    assert device.measured_space(both, "ofa-mbv3") == "ofa-mbv3"


def test_measured_latencies_of_an_empty_or_missing_db(tmp_path):
    missing = tmp_path / "typo.sqlite"
    with pytest.raises(ValueError, match="does not exist"):
        device.measured_latencies(missing)
    assert not missing.exists()  # reading never creates a store
    empty = tmp_path / "empty.sqlite"
    measure._connect(empty, create=True).close()
    with pytest.raises(ValueError, match="holds no ofa-mbv3 measurements"):
        device.measured_latencies(empty)


# ---------------------------------------------------------------------------- the command line

def test_cli_device_prints_the_hypervolumes(first, tmp_path, capsys):
    db, _, r = first
    before = latency_rows(db)
    out = tmp_path / "report"
    assert main(["device", "--db", str(db), "--out", str(out), *TINY_ARGS]) == 0
    text = capsys.readouterr().out
    for name in r.fronts:
        assert (f"front found with {name}: measured hypervolume {r.hypervolume[name]:.4g} "
                f"(ratio {r.hv_ratio[name]:.4f})") in text
    assert f"held-out subnets: 5, SRCC {r.heldout_srcc:.3f}" in text and f"best proxy {r.adapted.proxy}" in text
    assert (out / "report.md").exists() and latency_rows(db) == before


def test_cli_device_offers_only_the_space_it_runs_on(tmp_path, capsys):
    """--space lists ofa-mbv3 alone: nb201 is refused by the parser, before anything is opened."""
    db = tmp_path / "d.sqlite"
    with pytest.raises(SystemExit) as stop:
        main(["device", "--db", str(db), "--space", "nb201"])
    assert stop.value.code == 2
    err = capsys.readouterr().err  # argparse quotes the offered choices before Python 3.14, not after
    assert "[--space {ofa-mbv3}]" in err and "argument --space: invalid choice: 'nb201'" in err
    assert not db.exists()


@pytest.mark.parametrize("argv, message", [
    (["--resolutions", "128-160"], "resolutions within 160-224"),
    (["--samples", "5"], "samples must be >= 10, got 5"),
])
def test_cli_device_errors(argv, message, tmp_path, capsys):
    db = tmp_path / "d.sqlite"
    assert main(["device", "--db", str(db), "--out", str(tmp_path / "out"), *argv]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("oneproxy: error: ") and message in lines[0]
    assert not db.exists()


def test_cli_srcc_puts_this_machine_beside_the_bundled_devices(cells, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["srcc", "--db", str(cells), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    names, L, indices = device.measured_latencies(cells, "nb201")
    assert f"over {len(indices)} architectures of nb201 architectures measured in {cells}" in text
    assert all(n in text for n in names)
    with open(out) as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == list(names)
    R = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    ds = datasets.load("nb201")
    mine = L[0]
    for k, d in enumerate(ds.devices, start=2):
        assert R[0, k] == pytest.approx(stats.spearmanr(mine, ds.latency_of(d)[indices]).statistic, abs=1e-6)
    both = ~np.isnan(L[1])  # the second device: pairwise over the cells it has
    assert R[0, 1] == pytest.approx(stats.spearmanr(mine[both], L[1][both]).statistic, abs=1e-6)


def test_cli_adapt_asks_which_device(cells, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main(["adapt", "--db", str(cells), "--dataset", "nb201", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    one, two = measure.this_device(1).fingerprint, measure.this_device(2).fingerprint
    assert "holds 2 nb201 devices: pass --device TEXT to pick one of" in err and one in err and two in err
    assert not out.exists()
    assert main(["adapt", "--db", str(cells), "--dataset", "nb201", "--device", "threads=3"]) == 2
    assert "holds 0 nb201 devices matching 'threads=3'" in capsys.readouterr().err
    argv = ["adapt", "--db", str(cells), "--dataset", "nb201", "--device", "threads=2", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    ds = datasets.load("nb201")
    choices, y = measure.measured_latency(cells, two)
    srcc = {d: stats.spearmanr(linear_latency(ds, d).predict(choices), y).statistic for d in ds.devices}
    best = max(srcc, key=srcc.get)
    assert f"proxy chosen: {best} (SRCC {srcc[best]:.3f} with the 10 measured architectures)" in text
    assert out.exists()


def test_cli_adapt_from_measured_subnets(first, tmp_path, capsys):
    db, _, r = first
    out = tmp_path / "ofa.npz"
    assert main(["adapt", "--db", str(db), "--dataset", "ofa-mbv3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    wide = OFAMobileNetV3(device.RESOLUTIONS)
    choices, y = measure.measured_latency(db, r.device, space=wide)
    assert len(y) == r.measured
    srcc = {k: stats.spearmanr(p.predict(choices), y).statistic for k, p in device.proxies(wide).items()}
    best = max(srcc, key=srcc.get)
    assert f"proxy chosen: {best} (SRCC {srcc[best]:.3f} with the {len(y)} measured architectures)" in text
    from oneproxy import predictors

    assert predictors.load(out).space == wide
