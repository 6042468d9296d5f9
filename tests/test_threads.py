"""One thread setting: set_threads, thread_limit, ONEPROXY_NUM_THREADS; the C++ core, the Numba
kernels and BLAS respect it, and nothing stays changed after a call."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import oneproxy
from oneproxy import _core, datasets, predictors, spaces, threads
from oneproxy.scan import scan

LONG = np.random.default_rng(0).standard_normal((2, 200_000))  # long enough to rank in parallel


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture(autouse=True)
def fresh_setting():
    threads.set_threads(None)
    yield
    threads.set_threads(None)


def test_default_is_the_cores_or_the_environment(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a local Dask cluster leaves this behind: not read
    assert oneproxy.get_threads() == threads.cores() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(threads.ENV, "3")
    assert oneproxy.get_threads() == 3


def test_a_task_of_a_one_thread_dask_worker_runs_on_one_thread():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as client:
        assert client.submit(oneproxy.get_threads).result() == 1
    assert oneproxy.get_threads() == threads.cores()


@pytest.mark.parametrize("value", ["x", "0", "-2", "1.5", "2 threads"])
def test_a_bad_environment_variable_is_refused(monkeypatch, value):
    monkeypatch.setenv(threads.ENV, value)
    with pytest.raises(ValueError, match=f"environment variable {threads.ENV} must be a positive integer"):
        oneproxy.get_threads()
    with pytest.raises(ValueError, match=threads.ENV):
        oneproxy.spearman([1, 2, 3], [3, 1, 2])


def test_the_environment_variable_reaches_a_new_process():
    code = "import oneproxy; print(oneproxy.get_threads())"
    env = {**os.environ, threads.ENV: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, 10**6])
def test_bad_values_are_refused(bad):
    with pytest.raises(ValueError, match="must be a positive integer|more threads than"):
        oneproxy.set_threads(bad)
    with pytest.raises(ValueError, match="must be a positive integer|more threads than"):
        with oneproxy.thread_limit(bad):
            pass
    with pytest.raises(ValueError, match="threads"):
        oneproxy.spearman(LONG[0][:10], LONG[1][:10], threads=bad)


def test_scan_refuses_absurd_thread_counts():
    fb = spaces.FBNet()
    with pytest.raises(ValueError, match="threads = 100000 is more threads"):
        scan(fb, [predictors.linear_latency("fbnet", "pixel3")], stop=100, threads=100_000, progress=False)


def test_the_core_runs_on_the_setting_and_an_argument_overrides_it(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    oneproxy.spearman(*LONG)
    assert _core.last_team_size() == min(2, threads.cores())
    oneproxy.set_threads(1)
    oneproxy.spearman(*LONG)
    assert _core.last_team_size() == 1
    oneproxy.spearman_matrix(LONG)
    assert _core.last_team_size() == 1
    oneproxy.spearman(*LONG, threads=2)  # the call's own argument wins
    assert _core.last_team_size() == 2
    oneproxy.set_threads(None)
    oneproxy.spearman(*LONG)
    assert _core.last_team_size() == min(2, threads.cores())


def test_thread_limit_is_scoped_to_the_block_and_the_thread():
    oneproxy.set_threads(2)
    seen = []
    with oneproxy.thread_limit(1):
        assert oneproxy.get_threads() == 1
        other = threading.Thread(target=lambda: seen.append(oneproxy.get_threads()))
        other.start()
        other.join()
        with oneproxy.thread_limit(2):
            assert oneproxy.get_threads() == 2
        assert oneproxy.get_threads() == 1
    assert oneproxy.get_threads() == 2 and seen == [2]
    with pytest.raises(RuntimeError):
        with oneproxy.thread_limit(1):
            raise RuntimeError
    assert oneproxy.get_threads() == 2


def test_numba_kernels_follow_the_setting_and_restore_numba(monkeypatch):
    fb = spaces.FBNet()
    model = predictors.linear_latency("fbnet", "pixel3")
    rows = fb.sample(50_000, seed=0)  # above the serial threshold
    before = numba.get_num_threads()
    expected = model.predict(rows)
    called = []
    from oneproxy import _additive

    parallel = _additive.predict
    monkeypatch.setattr(_additive, "predict", lambda *a: (called.append(numba.get_num_threads()), parallel(*a))[1])
    with oneproxy.thread_limit(1):  # one thread: the serial kernel, no thread team
        np.testing.assert_array_equal(model.predict(rows), expected)
    assert called == []
    with oneproxy.thread_limit(2):
        np.testing.assert_array_equal(model.predict(rows), expected)
    assert called == [min(2, numba.config.NUMBA_NUM_THREADS)]
    assert numba.get_num_threads() == before


def test_adaptation_runs_blas_on_one_thread_and_restores_it(monkeypatch):
    ds = datasets.load("nb201-oneproxy")
    proxy = predictors.linear_latency(ds, "eagle_gtx")
    rows = np.random.default_rng(0).choice(ds.n_archs, 70, replace=False)
    from oneproxy import adaptation

    inside = []
    fit = adaptation._Ridge.cv_srcc
    monkeypatch.setattr(adaptation._Ridge, "cv_srcc", lambda *a: (inside.append(blas_threads()), fit(*a))[1])
    before = blas_threads()
    model = oneproxy.adapt(proxy, ds.choices[rows], ds.latency_of("true_vpu")[rows])
    assert inside and all(t == [1] * len(before) for t in inside)
    assert blas_threads() == before
    unlimited = adaptation.adapt.__wrapped__(proxy, ds.choices[rows], ds.latency_of("true_vpu")[rows])
    assert model.cv_srcc == pytest.approx(unlimited.cv_srcc, abs=1e-12)  # the same answer, fewer threads
    np.testing.assert_allclose(model.weights, unlimited.weights, rtol=1e-9, atol=1e-12)


def test_least_squares_fits_run_blas_on_the_setting(monkeypatch):
    ds = datasets.load("nb201")
    inside = []
    solve = predictors._ridge_solve
    monkeypatch.setattr(predictors, "_ridge_solve", lambda *a: (inside.append(blas_threads()), solve(*a))[1])
    before = blas_threads()
    with oneproxy.thread_limit(1):
        one = predictors.linear_latency(ds, "pixel3")
    assert inside and all(t == [1] * len(before) for t in inside)
    assert blas_threads() == before
    np.testing.assert_allclose(predictors.linear_latency(ds, "pixel3").weights, one.weights, rtol=1e-9, atol=1e-12)


_TWINS = """
import os, sys
import numpy as np
from oneproxy import _additive, _radix
radices = np.array([7, 300, 5], dtype=np.uint64)
starts, products = _radix.chunks(radices)
digits = np.array([[1, 2, 3], [6, 255, 4]], dtype=np.uint8)
hi, lo, back = np.zeros(2, np.uint64), np.zeros(2, np.uint64), np.zeros_like(digits)
codes, sizes = np.array([[0, 1], [1, -1]], dtype=np.int8), np.array([2, 2])
W, constant, out = np.ones((1, 2, 2)), np.zeros(1), np.zeros(2)
kernels = [(_radix.encode, _radix.encode_serial, (digits, radices, starts, products, hi, lo)),
           (_radix.decode, _radix.decode_serial, (hi, lo, radices, starts, products, back)),
           (_additive.predict, _additive.predict_serial, (codes, sizes, W, constant, False, out))]
tasks = lambda: len(os.listdir("/proc/self/task"))
before = tasks()
for parallel, serial, args in kernels:
    (parallel if sys.argv[1] == "parallel" else serial)(*args)
print(tasks() - before)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_serial_twins_never_start_a_thread_team(tmp_path):
    """The small-batch twins of the parallel kernels run on the calling thread, also when the
    parallel kernels were compiled and cached first (two compilations of one function share one
    Numba cache entry, so a twin compiled from the parallel kernel's source loaded its parallel
    build and woke a thread team for every small batch)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_NUM_THREADS": "2"}

    def new_threads(which: str) -> int:
        done = subprocess.run([sys.executable, "-c", _TWINS, which], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    assert new_threads("parallel") >= 1  # the team exists: the check below can see one
    assert new_threads("serial") == 0  # from the cache the parallel run filled
