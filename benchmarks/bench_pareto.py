"""Non-dominated filtering and sorting: oneproxy against moocore on the same data, same run."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import goal

import oneproxy
from oneproxy.bench import _deb_sort, _numpy_front_2d

moocore = pytest.importorskip("moocore")


@functools.cache
def points(kind: str, n: int, m: int) -> np.ndarray:
    rng = np.random.default_rng(n + m)
    F = rng.random((n, m))
    if kind == "anti":  # points near a front: many non-dominated
        F /= F.sum(axis=1, keepdims=True)
        F += 1e-3 * rng.random((n, m))
    return F


CASES = {
    # group: (kind, n, m, oneproxy call, moocore call, rounds)
    goal("2-D filter n=1e6 (anti-correlated)", 4): (
        "anti", 10**6, 2, oneproxy.is_nondominated, lambda F: moocore.is_nondominated(F, keep_weakly=True), 5),
    goal("2-D filter n=1e7 (anti-correlated)", 4): (
        "anti", 10**7, 2, oneproxy.is_nondominated, lambda F: moocore.is_nondominated(F, keep_weakly=True), 1),
    goal("3-D filter n=1e6 (anti-correlated)", 2): (
        "anti", 10**6, 3, oneproxy.is_nondominated, lambda F: moocore.is_nondominated(F, keep_weakly=True), 3),
    goal("2-D full sort n=1e6", 2): ("uniform", 10**6, 2, oneproxy.nondominated_sort, moocore.pareto_rank, 3),
    goal("3-D full sort n=1e6", 10): ("uniform", 10**6, 3, oneproxy.nondominated_sort, moocore.pareto_rank, 1),
    goal("2-D hypervolume n=1e6", 1.5): (
        "anti", 10**6, 2, lambda F: oneproxy.hypervolume(F, [1.1, 1.1]),
        lambda F: moocore.hypervolume(F, ref=[1.1, 1.1]), 3),
    goal("3-D hypervolume n=1e6", 1.5): (
        "anti", 10**6, 3, lambda F: oneproxy.hypervolume(F, [1.1, 1.1, 1.1]),
        lambda F: moocore.hypervolume(F, ref=[1.1, 1.1, 1.1]), 3),
}


# Pure-NumPy baselines: a vectorised 2-D filter, and Deb's fast non-dominated sort (its
# n x n dominance matrix limits it to small n).
NUMPY_CASES = {
    "2-D filter n=1e6 (anti-correlated)": ("anti", 10**6, 2, oneproxy.is_nondominated, _numpy_front_2d, 3),
    "2-D full sort n=2000 (Deb, NumPy)": ("uniform", 2000, 2, oneproxy.nondominated_sort, _deb_sort, 3),
}


@pytest.mark.parametrize("impl", ["oneproxy", "numpy"])
@pytest.mark.parametrize("case", list(NUMPY_CASES))
def test_pareto_numpy(benchmark, case, impl):
    kind, n, m, ours, reference, rounds = NUMPY_CASES[case]
    F = points(kind, n, m)
    benchmark.group = case
    got = benchmark.pedantic(ours if impl == "oneproxy" else reference, args=(F,), rounds=rounds)
    np.testing.assert_array_equal(got, reference(F) if impl == "oneproxy" else ours(F))


@pytest.mark.parametrize("impl", ["oneproxy", "moocore"])
@pytest.mark.parametrize("case", list(CASES))
def test_pareto(benchmark, case, impl):
    kind, n, m, ours, reference, rounds = CASES[case]
    F = points(kind, n, m)
    benchmark.group = case
    function = ours if impl == "oneproxy" else reference
    got = benchmark.pedantic(function, args=(F,), rounds=rounds, warmup_rounds=0)
    expected = reference(F) if impl == "oneproxy" else got
    if isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-9)
    else:
        np.testing.assert_array_equal(got, expected)


# Hypervolume in 4 to 9 objectives (HV4D+ and WFG, issue 18), on non-dominated fronts, uniform
# points (mostly dominated) and the sets.
@functools.cache
def front(kind: str, n: int, m: int) -> np.ndarray:
    rng = np.random.default_rng(10 * n + m)
    if kind == "moocore ran.10pts.9d.10":  # moocore's bundled test data: 10 sets of 10 points
        return moocore.get_dataset("ran.10pts.9d.10")[:, :-1]
    if kind == "uniform":
        return rng.random((n, m))
    X = np.abs(rng.normal(size=(n, m)))
    if kind == "simplex":
        return X / X.sum(axis=1, keepdims=True)
    X /= np.linalg.norm(X, axis=1, keepdims=True)  # a sphere
    if kind == "sphere with duplicates":  # n rows, a sixth of them twice (n - n // 6 distinct)
        X = np.concatenate([X[: n - 2 * (n // 6)], X[n - 2 * (n // 6): n - n // 6], X[n - 2 * (n // 6): n - n // 6]])
    return X


HV_CASES = {
    # group: (kind, n, m, reference value, rounds)
    goal("4-D hypervolume 100 on a sphere", 2): ("sphere", 100, 4, 1.1, 50),
    goal("4-D hypervolume 300 on a simplex", 2): ("simplex", 300, 4, 1.0, 20),
    goal("4-D hypervolume 1000 on a sphere", 2): ("sphere", 1000, 4, 1.1, 10),
    goal("4-D hypervolume 100 x 4 uniform", 2): ("uniform", 100, 4, 1.0, 50),
    goal("4-D hypervolume 300 x 4 uniform", 2): ("uniform", 300, 4, 1.0, 50),
    goal("4-D hypervolume 1000 x 4 uniform", 2): ("uniform", 1000, 4, 1.0, 20),
    goal("5-D hypervolume 100 on a simplex", 2): ("simplex", 100, 5, 1.0, 100),
    goal("5-D hypervolume 100 on a sphere", 2): ("sphere", 100, 5, 1.1, 100),
    goal("5-D hypervolume 300 on a simplex", 2): ("simplex", 300, 5, 1.0, 20),
    goal("5-D hypervolume 300 on a sphere", 2): ("sphere", 300, 5, 1.1, 20),
    goal("5-D hypervolume 1000 on a simplex", 2): ("simplex", 1000, 5, 1.0, 10),
    goal("5-D hypervolume 1000 on a sphere", 2): ("sphere", 1000, 5, 1.1, 10),
    goal("5-D hypervolume 100 x 5 uniform", 2): ("uniform", 100, 5, 1.0, 50),
    goal("5-D hypervolume 300 x 5 uniform", 2): ("uniform", 300, 5, 1.0, 50),
    goal("5-D hypervolume 1000 x 5 uniform", 2): ("uniform", 1000, 5, 1.0, 20),
    goal("6-D hypervolume 306 x 6 with duplicates", 2): ("sphere with duplicates", 306, 6, 1.1, 3),
    goal("6-D hypervolume 500 on a simplex", 2): ("simplex", 500, 6, 1.0, 3),
    goal("9-D hypervolume 100 x 9 uniform", 2): ("uniform", 100, 9, 1.0, 1),
    goal("9-D hypervolume 100 on a sphere", 2): ("sphere", 100, 9, 1.1, 1),
    goal("9-D hypervolume moocore ran.10pts.9d.10", 2): ("moocore ran.10pts.9d.10", 100, 9, 10.0, 3),
}


@pytest.mark.parametrize("impl", ["oneproxy", "moocore"])
@pytest.mark.parametrize("case", list(HV_CASES))
def test_hypervolume_many_objectives(benchmark, case, impl):
    kind, n, m, r, rounds = HV_CASES[case]
    F, ref = front(kind, n, m), np.full(m, r)
    benchmark.group = case
    if impl == "oneproxy":
        got = benchmark.pedantic(oneproxy.hypervolume, args=(F, ref), rounds=rounds, warmup_rounds=0)
        assert got == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12)
    else:
        benchmark.pedantic(lambda: moocore.hypervolume(F, ref=ref), rounds=rounds, warmup_rounds=0)


# ParetoArchive fed a stream in batches (issue 20: the front in the core's archive), against the
# same stream kept the plain way: each batch concatenated to the front and filtered by moocore.
def moocore_stream(F: np.ndarray, batch: int) -> np.ndarray:
    front, ids = np.zeros((0, F.shape[1])), np.zeros(0, dtype=np.int64)
    for lo in range(0, len(F), batch):
        P = np.concatenate([front, F[lo:lo + batch]])
        I = np.concatenate([ids, np.arange(lo, min(lo + batch, len(F)))])
        keep = moocore.is_nondominated(P, keep_weakly=True)
        front, ids = P[keep], I[keep]
    return ids


def archive_stream(F: np.ndarray, batch: int) -> np.ndarray:
    archive = oneproxy.ParetoArchive(F.shape[1])
    for lo in range(0, len(F), batch):
        archive.add(F[lo:lo + batch], np.arange(lo, min(lo + batch, len(F))))
    return archive.ids


STREAM_CASES = {
    "ParetoArchive 2-D 1e5 (anti) in batches of 1000": ("anti", 10**5, 2, 1000, 5),
    "ParetoArchive 3-D 1e5 (anti) in batches of 1000": ("anti", 10**5, 3, 1000, 1),
}


@pytest.mark.parametrize("impl", ["oneproxy", "moocore"])
@pytest.mark.parametrize("case", list(STREAM_CASES))
def test_archive_stream(benchmark, case, impl):
    kind, n, m, batch, rounds = STREAM_CASES[case]
    F = points(kind, n, m)
    benchmark.group = case
    if impl == "oneproxy":
        got = benchmark.pedantic(archive_stream, args=(F, batch), rounds=rounds, warmup_rounds=0)
        assert sorted(got.tolist()) == sorted(moocore_stream(F, batch).tolist())
    else:
        benchmark.pedantic(moocore_stream, args=(F, batch), rounds=rounds, warmup_rounds=0)
