"""Scans: the C++ odometer against a vectorised NumPy block enumeration of the same range (both
keep the Pareto front), the non-additive loop against calling its predictors on the same batches
directly, exact_front on the whole FBNet space, Dask against threads, and how soon Ctrl-C ends a
scan against how soon it ends an idle process.

Goals (issue 7): additive scan >= 2e8 candidates/s on 2 cores (1e9 range); the non-additive
loop's overhead <= 30 % (ratio >= 0.77); exact_front on all of FBNet <= 10 s; Dask LocalCluster
(2 workers) <= 25 % slower than threads (ratio >= 0.8).
"""
from __future__ import annotations

import functools
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import goal

from oneproxy import is_nondominated, predictors
from oneproxy.scan import exact_front, scan
from oneproxy.spaces import FBNet, OFAMobileNetV3


@functools.cache
def fbnet() -> tuple:
    a = predictors.linear_latency("fbnet", "pixel3")
    b = predictors.linear_latency("fbnet", "gold_6240")
    return FBNet(), [a, b], ["min", "max"]


def numpy_blocks(space, objs, senses, stop, low=7):
    """Vectorised reference: the last `low` digits tabulated once (9**7 rows), each block of the
    range = a prefix sum plus that table, filtered with the compiled non-dominated filter."""
    sign = np.array([1.0 if s == "min" else -1.0 for s in senses])
    W = np.stack([o.weights for o in objs], axis=2) * sign  # (22, 9, m)
    const = np.array([o.constant for o in objs]) * sign
    P = W.shape[0]
    grid = np.indices((9,) * low).reshape(low, -1).T
    T = sum(W[P - low + q, grid[:, q]] for q in range(low))  # (9**low, m)
    block = 9**low
    front, ids = np.zeros((0, len(objs))), np.zeros(0, dtype=np.int64)
    for b in range(0, stop // block):
        digits = np.array(space.decode(b * block))[: P - low]
        prefix = const + sum(W[p, digits[p]] for p in range(P - low))
        values = prefix + T
        keep = is_nondominated(values)
        front = np.concatenate([front, values[keep]])
        ids = np.concatenate([ids, b * block + np.flatnonzero(keep)])
        keep = is_nondominated(front)
        front, ids = front[keep], ids[keep]
    return ids


@pytest.mark.parametrize("impl", ["oneproxy", "reference"])
def test_additive_scan(benchmark, impl):
    space, objs, senses = fbnet()
    n = 9**7 * 20  # 9.6e7 candidates, whole blocks for the reference
    benchmark.group = "scan additive fbnet 9.6e7, 2 objectives"
    benchmark.extra_info["items"] = n
    benchmark.extra_info["impl"] = "numpy-blocks" if impl == "reference" else impl
    if impl == "oneproxy":
        got = benchmark.pedantic(lambda: scan(space, objs, senses, stop=n, progress=False), rounds=3)
        assert sorted(int(i) for i in got.indices) == sorted(numpy_blocks(space, objs, senses, n).tolist())
    else:
        benchmark.pedantic(numpy_blocks, args=(space, objs, senses, n), rounds=1)


def test_additive_scan_1e9(benchmark):
    space, objs, senses = fbnet()
    group = goal("scan additive fbnet 1e9 (rate)", rate=2e8)
    benchmark.group = group
    benchmark.extra_info["items"] = 10**9
    benchmark.extra_info["impl"] = "oneproxy"
    got = benchmark.pedantic(lambda: scan(space, objs, senses, stop=10**9, progress=False), rounds=3)
    assert got.n_evaluated == 10**9


@functools.cache
def ofa() -> tuple:
    space = OFAMobileNetV3(range(160, 225, 4))
    return space, [predictors.ofa_accuracy(space), predictors.ofa_note10_latency(space)], ["max", "min"]


def direct_batches(n=10**6, batch=1 << 17, seed=0):
    """The predictors on the same sampled batches, nothing else."""
    space, (acc, lat), _ = ofa()
    for position in range(0, n, batch):
        c = space.sample(min(batch, n - position), np.random.default_rng([seed, position]))
        acc.predict(c)
        lat.predict(c)


@pytest.mark.parametrize("impl", ["oneproxy", "reference"])
def test_non_additive_scan(benchmark, impl):
    space, objs, senses = ofa()
    group = goal("scan sample 1e6 OFA MLP + Note10", 0.77)
    benchmark.group = group
    benchmark.extra_info["items"] = 10**6
    benchmark.extra_info["impl"] = "predictors-alone" if impl == "reference" else impl
    if impl == "oneproxy":
        benchmark.pedantic(lambda: scan(space, objs, senses, sample=10**6, progress=False), rounds=3)
    else:
        benchmark.pedantic(direct_batches, rounds=3)


def test_exact_front_fbnet(benchmark):
    space, objs, senses = fbnet()
    benchmark.group = "exact_front all of FBNet (9**22), 2 objectives"
    benchmark.extra_info["impl"] = "oneproxy"
    got = benchmark.pedantic(lambda: exact_front(space, objs, senses), rounds=3)
    assert len(got.front) > 100 and got.seconds < 10


@pytest.mark.parametrize("impl", ["oneproxy", "reference"])
def test_dask_local_cluster(benchmark, impl):
    distributed = pytest.importorskip("dask.distributed")
    space, objs, senses = fbnet()
    n = 4 * 10**9
    benchmark.group = goal("scan additive fbnet 4e9: Dask LocalCluster (2 workers) vs threads", 0.8)
    benchmark.extra_info["items"] = n
    if impl == "reference":  # threads, the baseline the goal compares Dask with
        benchmark.extra_info["impl"] = "threads"
        benchmark.pedantic(lambda: scan(space, objs, senses, stop=n, progress=False), rounds=2)
        return
    with distributed.Client(distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)) as client:
        scan(space, objs, senses, stop=10**7, progress=False, client=client)  # workers warm
        got = benchmark.pedantic(lambda: scan(space, objs, senses, stop=n, progress=False, client=client), rounds=2)
    assert got.n_evaluated == n


# A process that prints "ready", then scans all of FBNet (9**22 candidates: years of work), or,
# as the reference, sleeps; both with oneproxy loaded, so that their teardown costs the same.
CHILD = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background shell ignores SIGINT
    from oneproxy import predictors
    from oneproxy.scan import scan
    objs = [predictors.linear_latency("fbnet", d) for d in ("pixel3", "gold_6240")]
    print("ready", flush=True)
    if sys.argv[1] == "scan":
        scan("fbnet", objs, ["min", "max"], progress=False)
    else:
        time.sleep(10**6)
    print("finished", flush=True)
""")


def started(what: str) -> tuple[tuple[subprocess.Popen], dict]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, what], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"ready"
    time.sleep(1.0)  # well inside the scan
    return (child,), {}


def interrupted(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=60)
    finally:
        child.kill()
    out, err = child.communicate()
    assert b"KeyboardInterrupt" in err and b"finished" not in out and child.returncode != 0


@pytest.mark.parametrize("impl", ["oneproxy", "reference"])
def test_ctrl_c_ends_a_scan(benchmark, impl):
    """SIGINT to exit: a scan of all of FBNet against the same process asleep (issue 7: the scan
    polls for signals every 50 ms and stops its threads within a chunk)."""
    benchmark.group = goal("Ctrl-C to exit: scan of all FBNet vs idle process", 0.2)
    benchmark.extra_info["impl"] = "sleeping-process" if impl == "reference" else impl
    benchmark.pedantic(interrupted, setup=functools.partial(started, "scan" if impl == "oneproxy" else "sleep"),
                       rounds=3)
