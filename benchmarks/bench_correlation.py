"""Rank correlation: oneproxy against scipy.stats on the same data in the same run."""
from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from conftest import goal
from scipy import stats

import oneproxy
from oneproxy import datasets

N = 1_000_000


@functools.cache
def data(case: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(len(case))
    if case == "vectors":
        x = rng.random(N)
        return x, x + rng.random(N)
    if case == "nb201":
        return (datasets.load("nb201").latency,)
    if case == "wide":
        return (rng.random((20, N)),)
    raise KeyError(case)


def scipy_kendall_matrix(L: np.ndarray) -> np.ndarray:
    d = L.shape[0]
    R = np.eye(d)
    for i in range(d):
        for j in range(i + 1, d):
            R[i, j] = R[j, i] = stats.kendalltau(L[i], L[j]).statistic
    return R


CASES = {
    # group: (data case, oneproxy call, reference call, tolerance)
    "rank n=1e6": ("vectors", lambda x, y: oneproxy.rank(x), lambda x, y: stats.rankdata(x), 0),
    goal("spearman n=1e6", 10): ("vectors", oneproxy.spearman, lambda x, y: stats.spearmanr(x, y).statistic, 1e-12),
    goal("kendall n=1e6", 3): ("vectors", oneproxy.kendall, lambda x, y: stats.kendalltau(x, y).statistic, 1e-10),
    goal("spearman_matrix 21x15625 (nb201)", 5): (
        "nb201", oneproxy.spearman_matrix, lambda L: stats.spearmanr(L, axis=1).statistic, 1e-12),
    goal("spearman_matrix 20x1e6", 10): (
        "wide", oneproxy.spearman_matrix, lambda L: stats.spearmanr(L, axis=1).statistic, 1e-12),
    "kendall_matrix 21x15625 (nb201)": ("nb201", oneproxy.kendall_matrix, scipy_kendall_matrix, 1e-10),
}


@pytest.mark.parametrize("impl", ["oneproxy", "scipy"])
@pytest.mark.parametrize("case", list(CASES))
def test_correlation(benchmark, case, impl):
    which, ours, reference, tol = CASES[case]
    args = data(which)
    benchmark.group = case
    rounds = 3 if which == "wide" or case.startswith("kendall_matrix") else 7
    function = ours if impl == "oneproxy" else reference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = benchmark.pedantic(function, args=args, rounds=rounds, warmup_rounds=1)
        expected = reference(*args) if impl == "oneproxy" else got
    np.testing.assert_allclose(got, expected, atol=tol, rtol=0)
