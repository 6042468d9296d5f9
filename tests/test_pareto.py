"""Non-dominated filtering and sorting against a plain O(n^2) reference and moocore."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneproxy import is_nondominated, nondominated_sort, pareto_front

moocore = pytest.importorskip("moocore")


# ---------------------------------------------------------------------------- reference

def dominates(q, p) -> bool:
    return bool(np.all(q <= p) and np.any(q < p))


def reference_mask(F: np.ndarray, keep_duplicates: bool = True) -> np.ndarray:
    n = len(F)
    mask = np.array([not any(dominates(F[j], F[i]) for j in range(n)) for i in range(n)], dtype=bool)
    if not keep_duplicates:
        for i in range(n):
            if mask[i] and any(np.array_equal(F[j], F[i]) for j in range(i)):
                mask[i] = False
    return mask


def reference_ranks(F: np.ndarray) -> np.ndarray:
    """Peel fronts one by one with the reference filter."""
    ranks = np.full(len(F), -1)
    remaining = np.arange(len(F))
    front = 0
    while remaining.size:
        mask = reference_mask(F[remaining])
        ranks[remaining[mask]] = front
        remaining = remaining[~mask]
        front += 1
    return ranks


# ---------------------------------------------------------------------------- generators

def point_sets(rng: np.random.Generator, n: int, m: int):
    yield "uniform", rng.random((n, m))
    simplex = rng.random((n, m))
    simplex /= np.maximum(simplex.sum(axis=1, keepdims=True), 1e-12)
    yield "anti-correlated", simplex + 1e-3 * rng.random((n, m))
    yield "integer grid", rng.integers(0, 3, (n, m)).astype(float)
    base = rng.random((max(n // 3, 1), m))
    yield "duplicates", base[rng.integers(0, len(base), n)]
    yield "infinities", np.where(rng.random((n, m)) < 0.1, np.inf * rng.choice([-1, 1], (n, m)), rng.random((n, m)))
    yield "signed zeros", rng.choice([-0.0, 0.0, 1.0], (n, m))


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 200])
def test_equal_to_the_plain_reference(n, m):
    rng = np.random.default_rng(10 * n + m)
    for name, F in point_sets(rng, n, m):
        for keep in (True, False):
            np.testing.assert_array_equal(is_nondominated(F, keep_duplicates=keep),
                                          reference_mask(F, keep), err_msg=f"{name} keep={keep}")
        np.testing.assert_array_equal(nondominated_sort(F), reference_ranks(F), err_msg=name)


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("n", [1000, 20000])
def test_equal_to_moocore(n, m):
    if m >= 4 and n > 1000:
        n = 5000  # the exact m >= 4 path is quadratic on anti-correlated fronts
    rng = np.random.default_rng(n + m)
    for name, F in point_sets(rng, n, m):
        if name == "infinities":
            continue  # moocore 0.3.2 crashes on 3-D points with inf (the plain reference covers them)
        # an array, not a list: moocore 0.3.2's pareto_rank maximises for maximise=[False]
        maximise = rng.random(m) < 0.5
        sense = ["max" if x else "min" for x in maximise]
        np.testing.assert_array_equal(is_nondominated(F, sense),
                                      moocore.is_nondominated(F, maximise=maximise, keep_weakly=True), err_msg=name)
        np.testing.assert_array_equal(is_nondominated(F, sense, keep_duplicates=False),
                                      moocore.is_nondominated(F, maximise=maximise), err_msg=name)
        np.testing.assert_array_equal(nondominated_sort(F, sense), moocore.pareto_rank(F, maximise=maximise),
                                      err_msg=name)


def test_senses_are_negations():
    rng = np.random.default_rng(3)
    F = rng.random((500, 3))
    sense = ["min", "max", "max"]
    flipped = F * [1, -1, -1]
    np.testing.assert_array_equal(is_nondominated(F, sense), is_nondominated(flipped))
    np.testing.assert_array_equal(nondominated_sort(F, sense), nondominated_sort(flipped))


def test_dtypes_and_layouts():
    rng = np.random.default_rng(4)
    F = rng.integers(0, 20, (300, 3))
    expected = reference_mask(F.astype(float))
    for variant in (F, F.astype(np.int8), F.astype(np.float32), np.asfortranarray(F), F.tolist()):
        np.testing.assert_array_equal(is_nondominated(variant), expected)
    wide = np.hstack([F, F])[:, ::2]  # a strided view
    np.testing.assert_array_equal(is_nondominated(wide), reference_mask(wide.astype(float)))


def test_pareto_front_is_indices_in_input_order():
    F = np.array([[3, 1], [1, 3], [2, 2], [3, 3], [2, 2]], dtype=float)
    assert pareto_front(F).tolist() == [0, 1, 2, 4]
    assert pareto_front(F, ["max", "max"]).tolist() == [3]


def test_empty_and_single():
    for m in (1, 2, 3, 5):
        assert is_nondominated(np.zeros((0, m))).shape == (0,)
        assert nondominated_sort(np.zeros((0, m))).shape == (0,)
        assert is_nondominated(np.ones((1, m))).tolist() == [True]
        assert nondominated_sort(np.ones((1, m))).tolist() == [0]


@pytest.mark.parametrize("function", [is_nondominated, pareto_front, nondominated_sort])
def test_bad_input(function):
    with pytest.raises(ValueError, match=r"F has NaN in row 1"):
        function([[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="F must be 2-dimensional"):
        function([1.0, 2.0])
    with pytest.raises(ValueError, match="at least one objective"):
        function(np.zeros((3, 0)))
    with pytest.raises(TypeError, match="F must hold real numbers"):
        function([["a", "b"]])
    with pytest.raises(ValueError, match=r"one entry per objective \(2\), got 3"):
        function([[1, 2]], ["min", "min", "max"])
    with pytest.raises(ValueError, match="'min' or 'max', got 'minimise'"):
        function([[1, 2]], ["minimise", "max"])
    with pytest.raises(ValueError, match="sequence"):
        function([[1, 2]], "min")


# ---------------------------------------------------------------------------- properties

grids = st.integers(1, 4).flatmap(lambda m: st.lists(
    st.lists(st.integers(0, 4).map(float), min_size=m, max_size=m), min_size=1, max_size=60))


@settings(max_examples=200, deadline=None)
@given(grids)
def test_property_fronts(rows):
    F = np.array(rows)
    mask = is_nondominated(F)
    ranks = nondominated_sort(F)
    front = F[mask]
    # the front is mutually non-dominated, and every other point is dominated by it
    assert not any(dominates(a, b) for a in front for b in front)
    assert all(any(dominates(a, p) for a in front) for p in F[~mask])
    # ranks: front 0 is the mask; a point of front r > 0 is dominated by one of front r - 1,
    # and by nothing in its own or a later front
    np.testing.assert_array_equal(ranks == 0, mask)
    for i, r in enumerate(ranks):
        if r > 0:
            assert any(dominates(F[j], F[i]) for j in np.flatnonzero(ranks == r - 1))
        assert not any(dominates(F[j], F[i]) for j in np.flatnonzero(ranks >= r))


# ---------------------------------------------------------------------------- arguments and the archive's ids

def test_keep_duplicates_and_sense_must_say_what_they_mean():
    """keep_duplicates='no' was taken as True; a dict sense has no order (its keys were read
    as senses). Both are refused, naming the argument."""
    F = [[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]]
    for bad in ("no", 0, None):
        with pytest.raises(ValueError, match="keep_duplicates must be True or False"):
            is_nondominated(F, keep_duplicates=bad)
    assert is_nondominated(F, keep_duplicates=np.bool_(False)).tolist() == [True, True, False]
    for function in (is_nondominated, pareto_front, nondominated_sort):
        for bad in ({"min": 0, "max": 1}, {"min", "max"}):
            with pytest.raises(ValueError, match="sense must be a sequence of 'min'/'max'"):
                function(F, sense=bad)
    assert pareto_front(F, sense=np.array(["min", "max"])).tolist() == [0, 2]


def test_archive_integer_ids_stay_exact_integers():
    """Integer ids of any width are kept exactly, whatever mix of int64, uint64 and Python ints
    the batches bring (uint64 ids turned every id into float64 before)."""
    from oneproxy import ParetoArchive

    a = ParetoArchive(2)
    a.add([[4, 1]], [2**62 + 1])
    a.add([[3, 2]], np.array([2**63 + 5], dtype=np.uint64))
    assert a.ids.dtype == np.uint64 and a.ids.tolist() == [2**62 + 1, 2**63 + 5]
    a.add([[2, 3]], [-1])  # neither int64 nor uint64 holds -1 and 2**63 + 5: Python ints
    a.add([[1, 4]], [2**70])
    assert a.ids.dtype == object and a.ids.tolist() == [2**62 + 1, 2**63 + 5, -1, 2**70]
    b = ParetoArchive(2)
    b.add([[1, 2], [2, 1]], [-1, 2**63])  # NumPy alone would make these two floats
    assert b.ids.tolist() == [-1, 2**63] and all(type(v) is int for v in b.ids.tolist())


@pytest.mark.parametrize("first, then, message", [
    ([2**53 + 1], [1.5], "ids must be integers like the archive's .* got floats"),
    (["x"], [3], "ids must be strings like the archive's .* got integers"),
    ([1.5], [2], "ids must be floats like the archive's .* got integers"),
    ([3], ["x"], "ids must be integers like the archive's .* got strings"),
])
def test_archive_ids_of_another_kind_are_refused(first, then, message):
    """A later batch of another kind of ids raises TypeError instead of converting the ids
    (2**53 + 1 rounded to a float, 3 turned into '3')."""
    from oneproxy import ParetoArchive

    a = ParetoArchive(2)
    a.add([[1, 2]], first)
    with pytest.raises(TypeError, match=message):
        a.add([[0, 3]], then)
    assert a.ids.tolist() == first and len(a) == 1  # the archive is unchanged
    other = ParetoArchive(2)
    other.add([[0, 3]], then)
    with pytest.raises(TypeError, match="ids must be"):
        a.merge(other)


def test_archive_same_kind_ids_join():
    from oneproxy import ParetoArchive

    a = ParetoArchive(2)
    a.add([[1, 2]], ["x"])
    a.add([[0, 3]], ["longer"])
    assert a.ids.tolist() == ["x", "longer"]
    f = ParetoArchive(1)
    f.add([[1.0]], [0.5])
    f.add([[1.0]], np.array([0.25], dtype=np.float32))
    assert f.ids.tolist() == [0.5, 0.25]


def test_archive_signed_zeros_are_one_point():
    """(0.0, 2) and (-0.0, 2) are equal objectives: with the same id the pair is kept once."""
    from oneproxy import ParetoArchive

    a = ParetoArchive(2)
    assert a.add([[0.0, 2.0]], [1]) == 1
    assert a.add([[-0.0, 2.0]], [1]) == 0
    assert len(a) == 1 and a.front.tolist() == [[0.0, 2.0]]
    assert a.add([[-0.0, 2.0], [0.0, 2.0]], [2, 2]) == 1  # within one batch too
    assert a.ids.tolist() == [1, 2]
