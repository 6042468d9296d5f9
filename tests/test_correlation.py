"""Rank correlation against scipy.stats (the reference) on random and adversarial input."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import oneproxy
from oneproxy import _core
from oneproxy import ConstantInputWarning, kendall, kendall_matrix, rank, spearman, spearman_ci, spearman_matrix

SPEARMAN_TOL = 1e-12
KENDALL_TOL = 1e-10


def scipy_spearman(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stats.spearmanr(x, y).statistic


def scipy_kendall(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stats.kendalltau(x, y).statistic


def same(got, expected, tol):
    return (np.isnan(got) and np.isnan(expected)) or abs(got - expected) <= tol


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        return f(*args, **kwargs)


# ---------------------------------------------------------------------------- generators

def cases(rng: np.random.Generator, n: int):
    """Named (x, y) pairs of length n: random, tied, all-equal, infinite, signed zeros."""
    yield "random", rng.random(n), rng.random(n)
    yield "correlated", (a := rng.random(n)), a + 0.3 * rng.random(n)
    yield "ties 0..2", rng.integers(0, 3, n).astype(float), rng.integers(0, 3, n).astype(float)
    yield "ties vs distinct", rng.integers(0, 2, n).astype(float), rng.normal(size=n)
    yield "duplicates", np.repeat(rng.random((n + 1) // 2), 2)[:n], np.repeat(rng.random((n + 1) // 2), 2)[:n][::-1].copy()
    yield "x constant", np.full(n, 3.5), rng.random(n)
    yield "both constant", np.zeros(n), np.ones(n)
    yield "infinities", np.where(rng.random(n) < 0.2, np.inf * rng.choice([-1, 1], n), rng.random(n)), rng.random(n)
    yield "signed zeros", rng.choice([-0.0, 0.0, 1.0], n), rng.choice([0.0, -0.0, 2.0, -1.0], n)
    yield "integers", rng.integers(-5, 5, n), rng.integers(-1000, 1000, n)
    yield "reversed", np.arange(n, dtype=float), np.arange(n, dtype=float)[::-1].copy()


SIZES = [1, 2, 3, 4, 5, 31, 32, 33, 100, 1000, 20_000, 100_000]


@pytest.mark.parametrize("n", SIZES)
def test_spearman_and_kendall_equal_scipy(n):
    rng = np.random.default_rng(n)
    for name, x, y in cases(rng, n):
        got_s, want_s = quiet(spearman, x, y), scipy_spearman(x, y)
        assert same(got_s, want_s, SPEARMAN_TOL), (name, n, got_s, want_s)
        got_k, want_k = quiet(kendall, x, y), scipy_kendall(x, y)
        assert same(got_k, want_k, KENDALL_TOL), (name, n, got_k, want_k)


@pytest.mark.parametrize("n", SIZES)
def test_rank_equals_rankdata(n):
    rng = np.random.default_rng(100 + n)
    for name, x, _ in cases(rng, n):
        np.testing.assert_array_equal(rank(x), stats.rankdata(x), err_msg=name)


def test_signed_zeros_tie():
    assert rank([0.0, -0.0, 1.0, -0.0]).tolist() == [2.0, 2.0, 4.0, 2.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.int16, np.int32, np.int64,
                                   np.uint8, np.uint32, np.uint64, bool])
def test_dtypes(dtype):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 50, 500).astype(dtype)
    y = (rng.random(500) * 100).astype(dtype)
    assert same(quiet(spearman, x, y), scipy_spearman(x, y), SPEARMAN_TOL)
    assert same(quiet(kendall, x, y), scipy_kendall(x, y), KENDALL_TOL)
    np.testing.assert_array_equal(rank(x), stats.rankdata(x))


def python_ranks(values) -> list[float]:
    """Average ranks by sorting Python objects (exact for any integers)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def test_wide_integers_rank_exactly():
    # float64 cannot tell these apart; the integer path must.
    big = 2**53
    x = np.array([big + 1, big, big + 2, big + 1, -big - 1, -big], dtype=np.int64)
    assert rank(x).tolist() == python_ranks(x.tolist())
    u = np.array([2**64 - 1, 2**63, 2**63 + 1, 5, 2**64 - 2, 2**63], dtype=np.uint64)
    assert rank(u).tolist() == python_ranks([int(v) for v in u])
    # spearman of x with its Python-exact ranks is 1
    assert spearman(x, np.array(python_ranks(x.tolist()))) == pytest.approx(1.0, abs=1e-15)


def test_non_contiguous_views():
    rng = np.random.default_rng(3)
    base = rng.random((6, 4000))
    x, y = base[0, ::2], base[3, 1::2]
    assert same(spearman(x, y), scipy_spearman(x, y), SPEARMAN_TOL)
    assert same(kendall(x, y), scipy_kendall(x, y), KENDALL_TOL)
    F = np.asfortranarray(base)
    np.testing.assert_allclose(spearman_matrix(F), stats.spearmanr(base, axis=1).statistic, atol=SPEARMAN_TOL, rtol=0)
    T = rng.random((300, 5)).T  # a transposed view
    np.testing.assert_allclose(spearman_matrix(T), stats.spearmanr(T, axis=1).statistic, atol=SPEARMAN_TOL, rtol=0)


def test_large_input():
    rng = np.random.default_rng(11)
    n = 2_000_000
    x = rng.random(n)
    y = x + rng.random(n)
    assert same(spearman(x, y), scipy_spearman(x, y), SPEARMAN_TOL)
    assert same(kendall(x, y), scipy_kendall(x, y), KENDALL_TOL)


# ---------------------------------------------------------------------------- matrices

@pytest.mark.parametrize("shape", [(3, 2), (3, 50), (21, 1000), (5, 33), (40, 200)])
def test_matrices_equal_scipy(shape):
    rng = np.random.default_rng(shape[0] * shape[1])
    L = rng.random(shape)
    L[1] = rng.integers(0, 3, shape[1])       # heavy ties
    L[2] = L[0] * 2 + 1                       # perfectly monotone with row 0
    np.testing.assert_allclose(spearman_matrix(L), stats.spearmanr(L, axis=1).statistic, atol=SPEARMAN_TOL, rtol=0)
    K = kendall_matrix(L)
    for i in range(shape[0]):
        for j in range(shape[0]):
            assert same(K[i, j], scipy_kendall(L[i], L[j]), KENDALL_TOL)


def test_matrix_constant_row_is_nan_with_a_warning():
    rng = np.random.default_rng(5)
    L = rng.random((4, 100))
    L[2] = 7.0
    with pytest.warns(ConstantInputWarning, match=r"rows \[2\]"):
        R = spearman_matrix(L)
    assert np.isnan(R[2]).all() and np.isnan(R[:, 2]).all()
    assert np.isfinite(np.delete(np.delete(R, 2, 0), 2, 1)).all()
    with pytest.warns(ConstantInputWarning):
        K = kendall_matrix(L)
    assert np.isnan(K[2]).all()


def test_matrix_single_row_and_column():
    assert spearman_matrix([[1.0, 2.0, 3.0]]).tolist() == [[1.0]]
    with pytest.warns(ConstantInputWarning):
        R = spearman_matrix([[1.0], [2.0]])
    assert np.isnan(R).all()


@pytest.mark.parametrize("correlation, reference, tol", [
    (spearman_matrix, scipy_spearman, SPEARMAN_TOL),
    (kendall_matrix, scipy_kendall, KENDALL_TOL),
])
def test_matrix_nan_policies(correlation, reference, tol):
    rng = np.random.default_rng(9)
    L = rng.random((5, 300))
    L[1, rng.choice(300, 40, replace=False)] = np.nan
    L[3, rng.choice(300, 25, replace=False)] = np.nan
    with pytest.raises(ValueError, match=r"L contains NaN in rows \[1, 3\]"):
        correlation(L)
    R = correlation(L, nan_policy="omit")
    for i in range(5):
        for j in range(5):
            keep = ~np.isnan(L[i]) & ~np.isnan(L[j])
            assert same(R[i, j], reference(L[i, keep], L[j, keep]), tol), (i, j)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstantInputWarning)  # NaN rows are not "constant"
        P = correlation(L, nan_policy="propagate")
    assert np.isnan(P[1]).all() and np.isnan(P[:, 3]).all()
    np.testing.assert_array_equal(P[np.ix_([0, 2, 4], [0, 2, 4])], R[np.ix_([0, 2, 4], [0, 2, 4])])


def test_threads_do_not_change_results():
    rng = np.random.default_rng(12)
    x, y = rng.random(300_000), rng.integers(0, 100, 300_000)
    assert spearman(x, y, threads=1) == spearman(x, y, threads=2)
    assert kendall(x, y, threads=1) == kendall(x, y, threads=2)
    L = rng.random((7, 50_000))
    np.testing.assert_array_equal(spearman_matrix(L, threads=1), spearman_matrix(L, threads=2))
    np.testing.assert_array_equal(kendall_matrix(L, threads=1), kendall_matrix(L, threads=2))


# ---------------------------------------------------------------------------- NaN, bad input

def test_vector_nan_policies():
    x = np.array([1.0, np.nan, 3.0, 4.0, 5.0, 2.0])
    y = np.array([2.0, 1.0, np.nan, 3.0, 5.0, 1.0])
    with pytest.raises(ValueError, match=r"x contains NaN \(first at index 1\)"):
        spearman(x, y)
    with pytest.raises(ValueError, match=r"y contains NaN \(first at index 2\)"):
        kendall(np.nan_to_num(x), y)
    keep = ~np.isnan(x) & ~np.isnan(y)
    assert same(spearman(x, y, nan_policy="omit"), scipy_spearman(x[keep], y[keep]), SPEARMAN_TOL)
    assert same(kendall(x, y, nan_policy="omit"), scipy_kendall(x[keep], y[keep]), KENDALL_TOL)
    assert np.isnan(spearman(x, y, nan_policy="propagate"))
    assert np.isnan(kendall(x, y, nan_policy="propagate"))
    with pytest.raises(ValueError, match="nan_policy"):
        spearman(x, y, nan_policy="ignore")  # type: ignore[arg-type]


def test_rank_nan_policies():
    x = np.array([3.0, np.nan, 1.0, 3.0])
    with pytest.raises(ValueError, match="x contains NaN"):
        rank(x)
    np.testing.assert_array_equal(rank(x, nan_policy="omit"), [2.5, np.nan, 1.0, 2.5])
    assert np.isnan(rank(x, nan_policy="propagate")).all()


def test_degenerate_inputs_warn():
    with pytest.warns(ConstantInputWarning, match="x is constant"):
        assert np.isnan(spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    with pytest.warns(ConstantInputWarning, match="x and y is constant|x and y"):
        assert np.isnan(kendall([2, 2], [5, 5]))
    with pytest.warns(ConstantInputWarning, match="at least 2"):
        assert np.isnan(spearman([1.0], [2.0]))
    with pytest.warns(ConstantInputWarning, match="at least 2"):
        assert np.isnan(spearman([1.0, np.nan], [np.nan, 2.0], nan_policy="omit"))


@pytest.mark.parametrize("args, error, message", [
    (([1, 2, 3], [1, 2]), ValueError, "same length, got 3 and 2"),
    (([[1, 2], [3, 4]], [1, 2]), ValueError, "x must be 1-dimensional"),
    (([1, 2], [[1, 2]]), ValueError, "y must be 1-dimensional"),
    (([], []), ValueError, "x must not be empty"),
    ((["a", "b"], [1, 2]), TypeError, "x must hold real numbers"),
    (([1, 2], [1 + 1j, 2]), TypeError, "y must hold real numbers"),
    (([1, None], [1, 2]), TypeError, "x must hold real numbers"),
])
@pytest.mark.parametrize("function", [spearman, kendall, spearman_ci])
def test_bad_vectors(function, args, error, message):
    with pytest.raises(error, match=message):
        function(*args)


@pytest.mark.parametrize("function", [spearman_matrix, kendall_matrix])
def test_bad_matrices(function):
    with pytest.raises(ValueError, match="L must be 2-dimensional"):
        function([1.0, 2.0])
    with pytest.raises(ValueError, match="L must not be empty"):
        function(np.zeros((0, 5)))
    with pytest.raises(TypeError, match="L must hold real numbers"):
        function([["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match="threads"):
        function(np.eye(3), threads=0)


def test_bad_threads():
    for threads in (0, -1, 1.5, "2"):
        with pytest.raises(ValueError, match="threads"):
            spearman([1, 2, 3], [1, 2, 3], threads=threads)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- confidence interval

def reference_ci(x, y, confidence):
    r = scipy_spearman(x, y)
    n = len(x)
    half = stats.norm.ppf((1 + confidence) / 2) * np.sqrt((1 + r**2 / 2) / (n - 3))
    z = np.arctanh(r) if abs(r) < 1 else np.inf * np.sign(r)
    return np.tanh(z - half), np.tanh(z + half)


def test_spearman_ci_matches_its_formula():
    rng = np.random.default_rng(4)
    for n, confidence in [(4, 0.9), (30, 0.95), (500, 0.99)]:
        x = rng.random(n)
        y = x + rng.random(n)
        np.testing.assert_allclose(spearman_ci(x, y, confidence), reference_ci(x, y, confidence), rtol=1e-12)
        low, high = spearman_ci(x, y, confidence)
        assert low <= spearman(x, y) <= high
    assert spearman_ci([1, 2, 3, 4], [2, 4, 6, 8]) == (1.0, 1.0)


def test_spearman_ci_covers_the_population_value():
    # For a bivariate normal, the population Spearman rho is (6 / pi) asin(rho / 2).
    rng = np.random.default_rng(2022)
    rho, n, reps = 0.6, 50, 400
    target = 6 / np.pi * np.arcsin(rho / 2)
    cov = [[1, rho], [rho, 1]]
    hits = 0
    for _ in range(reps):
        x, y = rng.multivariate_normal([0, 0], cov, n).T
        low, high = spearman_ci(x, y, 0.95)
        hits += low <= target <= high
    assert 0.90 <= hits / reps <= 0.99


def test_spearman_ci_bad_input():
    with pytest.raises(ValueError, match="at least 4 complete pairs, got 3"):
        spearman_ci([1, 2, 3], [1, 2, 3])
    for confidence in (0, 1, 1.5, -0.1, "0.9"):
        with pytest.raises(ValueError, match="confidence"):
            spearman_ci(range(10), range(10), confidence)  # type: ignore[arg-type]
    assert all(np.isnan(spearman_ci([1, 2, np.nan, 4, 5], [1, 2, 3, 4, 5], nan_policy="propagate")))


# ---------------------------------------------------------------------------- properties

values = st.one_of(st.integers(-3, 3).map(float), st.floats(allow_nan=False, allow_infinity=True, width=64))
pairs = st.integers(2, 120).flatmap(
    lambda n: st.tuples(st.lists(values, min_size=n, max_size=n), st.lists(values, min_size=n, max_size=n)))


@settings(max_examples=300, deadline=None)
@given(pairs)
def test_property_equal_to_scipy(xy):
    x, y = (np.array(v) for v in xy)
    assert same(quiet(spearman, x, y), scipy_spearman(x, y), SPEARMAN_TOL)
    assert same(quiet(kendall, x, y), scipy_kendall(x, y), KENDALL_TOL)
    np.testing.assert_array_equal(rank(x), stats.rankdata(x))


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_property_symmetric_and_invariant_to_monotone_maps(xy):
    x, y = (np.array(v) for v in xy)
    s, k = quiet(spearman, x, y), quiet(kendall, x, y)
    assert same(quiet(spearman, y, x), s, SPEARMAN_TOL)
    assert same(quiet(kendall, y, x), k, KENDALL_TOL)
    # rank() is a strictly increasing map of x: nothing changes
    assert same(quiet(spearman, rank(x), y), s, SPEARMAN_TOL)
    assert same(quiet(kendall, rank(x), y), k, KENDALL_TOL)
    if np.unique(x).size > 1:
        assert quiet(kendall, x, x) == pytest.approx(1.0, abs=1e-15)
        assert quiet(spearman, x, -x) == pytest.approx(-1.0, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda d: st.lists(
    st.lists(st.integers(0, 4), min_size=8, max_size=8), min_size=d, max_size=d)))
def test_property_matrix_symmetric_unit_diagonal(rows):
    L = np.array(rows, dtype=float)
    R = quiet(spearman_matrix, L)
    K = quiet(kendall_matrix, L)
    for M in (R, K):
        np.testing.assert_array_equal(np.isnan(M), np.isnan(M.T))
        assert np.array_equal(M, M.T, equal_nan=True)
        constant = np.ptp(L, axis=1) == 0
        assert np.all(np.diag(M)[~constant] == 1.0) and np.isnan(np.diag(M)[constant]).all()


# ---------------------------------------------------------------------------- the GIL

def test_long_calls_release_the_gil(assert_releases_gil):
    """Another Python thread runs while the core ranks and correlates 3 million pairs."""
    rng = np.random.default_rng(1)
    x, y = rng.random(3_000_000), rng.random(3_000_000)
    assert_releases_gil(_core.spearman, lambda: [oneproxy.spearman(x, y, threads=1) for _ in range(2)])
    X = rng.random((8, 400_000))
    assert_releases_gil(_core.spearman_matrix, lambda: oneproxy.spearman_matrix(X, threads=1))


def test_the_gil_check_can_fail(assert_releases_gil):
    """The check above fails for a C function that holds the GIL (sorting a Python list)."""
    values = np.random.default_rng(2).random(2_000_000).tolist()
    with pytest.raises(AssertionError, match="sorted held the GIL for the whole call"):
        assert_releases_gil(sorted, lambda: sorted(values))
