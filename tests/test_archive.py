"""The core's Pareto archive (archive.hpp, `_core.ParetoArchive`) against a plain Python filter on
random and adversarial batches; pickling, merging, threads, bad input; ParetoArchive's ids."""
from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneproxy import ParetoArchive, _core

M64 = (1 << 64) - 1


def nondominated(points):
    """Indices of the non-dominated rows of `points`, by an O(n^2) loop."""
    return [i for i, p in enumerate(points) if not any((q <= p).all() and (q < p).any() for q in points)]


def plain_archive(points, tags, copies="all"):
    """Indices, in input order, of the non-dominated points of everything added: every copy of
    identical points (-0.0 equals 0.0), the first of each tag ("per_tag"), or the first."""
    kept, seen = [], set()
    for i in nondominated(points):
        point = tuple((points[i] + 0.0).tolist())
        key = {"all": i, "per_tag": (point, int(tags[i])), "first": point}[copies]
        if key not in seen:
            seen.add(key)
            kept.append(i)
    return kept


def check_against_plain(batches, copies="per_tag"):
    """Feed the batches [(points, tags), ...] to an archive one add each: it holds the plain
    filter of them all, and each add's return says which points it holds, from where."""
    archive = _core.ParetoArchive(batches[0][0].shape[1], copies)
    held: list[int] = []  # indices into all the batches together
    first = 0
    for points, tags in batches:
        kept = archive.add(points, tags)
        held = [(held + list(range(first, first + len(tags))))[k] for k in kept]
        first += len(tags)
    points = np.concatenate([p for p, _ in batches])
    tags = np.concatenate([t for _, t in batches])
    expected = plain_archive(points, tags, copies)
    assert held == expected
    np.testing.assert_array_equal(archive.points, points[expected].reshape(-1, points.shape[1]))
    np.testing.assert_array_equal(archive.tags, tags[expected])
    assert (archive.tags_hi == 0).all() and len(archive) == len(expected)
    return archive


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("kind", ["random", "grid", "anti"])
def test_archive_equals_a_plain_filter(m, kind):
    """Random reals, a small integer grid (ties in every objective, identical points, repeated
    (point, tag) pairs) and points near a front (most non-dominated), in batches of 0 to 60."""
    rng = np.random.default_rng(m * 10 + len(kind))
    batches = []
    for b in range(12):
        n = int(rng.integers(0, 60))
        if kind == "random":
            F = rng.random((n, m))
        elif kind == "grid":
            F = rng.integers(0, 3, (n, m)).astype(float)
        else:
            F = rng.random((n, m))
            F /= F.sum(axis=1, keepdims=True) if m > 1 else 1.0
        batches.append((F, rng.integers(0, 4 if kind == "grid" else 10**6, n).astype(np.uint64)))
    for copies in ("all", "per_tag", "first"):
        check_against_plain(batches, copies)


def test_adversarial_batches():
    one = np.array([[1.0, 2.0]])
    tag = np.array([7], dtype=np.uint64)
    # empty archive, empty batch, one point, the same pair again, the same point under another tag
    archive = check_against_plain([(np.zeros((0, 2)), np.zeros(0, np.uint64)), (one, tag), (one, tag),
                                   (one, tag + 1), (np.zeros((0, 2)), np.zeros(0, np.uint64))])
    assert archive.tags.tolist() == [7, 8]
    # -0.0 is 0.0: one pair; infinities are ordinary values
    zeros = np.array([[0.0, -0.0], [-0.0, 0.0], [-np.inf, np.inf], [np.inf, -np.inf], [np.inf, np.inf]])
    archive = check_against_plain([(zeros, np.array([1, 1, 2, 3, 4], dtype=np.uint64))])
    assert archive.tags.tolist() == [1, 2, 3]
    # a batch that sweeps the whole archive away, and one point dominated by everything
    grid = np.array([[a, 10.0 - a] for a in range(10)])
    check_against_plain([(grid, np.arange(10, dtype=np.uint64)), (np.array([[-1.0, -1.0]]), tag),
                         (np.array([[50.0, 50.0]]), tag + 1)])
    # a batch of copies of one point, several tags repeated
    same = [(np.repeat(one, 50, axis=0), (np.arange(50) % 5).astype(np.uint64))]
    assert check_against_plain(same).tags.tolist() == [0, 1, 2, 3, 4]
    assert len(check_against_plain(same, "all")) == 50 and len(check_against_plain(same, "first")) == 1


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=12),
                                   min_size=1, max_size=6), st.integers(0, 2**32))
def test_archive_property(m, batches, seed):
    """Any split of the same points into batches gives the plain filter of all of them."""
    rng = np.random.default_rng(seed)
    out = []
    for batch in batches:
        values = np.array([v for v, _ in batch], dtype=float).reshape(-1, 1)
        F = np.hstack([values, rng.integers(0, 3, (len(batch), m - 1)).astype(float)]) if m > 1 else values
        out.append((F.reshape(-1, m), np.array([t for _, t in batch], dtype=np.uint64)))
    for copies in ("all", "per_tag", "first"):
        check_against_plain(out, copies)


def test_tags_of_128_bits_merge_and_pickle():
    rng = np.random.default_rng(2)
    F = rng.random((300, 3))
    lo = rng.integers(0, 2**63, 300).astype(np.uint64)
    hi = rng.integers(0, 2**63, 300).astype(np.uint64)
    whole = _core.ParetoArchive(3, "per_tag")
    whole.add(F, lo, hi)
    left, right = _core.ParetoArchive(3, "per_tag"), _core.ParetoArchive(3, "per_tag")
    left.add(F[:150], lo[:150], hi[:150])
    right.add(F[150:], lo[150:], hi[150:])
    kept = left.merge(right)
    for name in ("points", "tags", "tags_hi"):
        np.testing.assert_array_equal(getattr(left, name), getattr(whole, name))
    assert len(kept) == len(whole)
    before = left.points
    assert len(left.merge(left)) == len(left)  # itself: every pair is there already
    np.testing.assert_array_equal(left.points, before)
    again = pickle.loads(pickle.dumps(whole))
    for name in ("points", "tags", "tags_hi", "n_objectives", "copies", "__len__"):
        a, b = getattr(again, name), getattr(whole, name)
        np.testing.assert_array_equal(a() if callable(a) else a, b() if callable(b) else b)
    for copies, kept in (("all", 3), ("per_tag", 2), ("first", 1)):
        archive = pickle.loads(pickle.dumps(_core.ParetoArchive(2, copies)))
        assert archive.copies == copies
        assert len(archive.add(np.ones((3, 2)), np.array([0, 1, 1], dtype=np.uint64))) == kept


def test_adds_from_several_threads_give_the_same_front():
    """add releases the GIL and holds the archive's lock: four threads adding to one archive
    leave the front that one thread adding everything leaves (as a set: the order may differ)."""
    rng = np.random.default_rng(3)
    F = rng.random((40_000, 2))
    F /= F.sum(axis=1, keepdims=True)
    tags = np.arange(40_000, dtype=np.uint64)
    alone = _core.ParetoArchive(2)
    alone.add(F, tags)
    shared = _core.ParetoArchive(2)

    states = []

    def feed(k):
        for lo in range(k * 10_000, (k + 1) * 10_000, 500):
            shared.add(F[lo:lo + 500], tags[lo:lo + 500])
            states.append(shared.__getstate__())  # one consistent snapshot while others add

    threads = [threading.Thread(target=feed, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(shared.tags.tolist()) == sorted(alone.tags.tolist())
    assert all(len(points) == len(lo) == len(hi) for _, _, points, lo, hi in states)


@pytest.mark.parametrize("call, error, message", [
    (lambda a: a.add(np.array([[1.0, np.nan]]), np.zeros(1, np.uint64)), ValueError, "points has NaN in row 0"),
    (lambda a: a.add(np.array([[1.0, 2.0], [np.nan, 1.0]]), np.zeros(2, np.uint64)), ValueError,
     "points has NaN in row 1"),
    (lambda a: a.add(np.zeros((1, 3)), np.zeros(1, np.uint64)), ValueError, "points must have 2 columns"),
    (lambda a: a.add(np.zeros(2), np.zeros(1, np.uint64)), ValueError, "points must be 2-dimensional"),
    (lambda a: a.add(np.array([["a", "b"]]), np.zeros(1, np.uint64)), TypeError, "points must hold real numbers"),
    (lambda a: a.add([[1.0, 2.0]], np.zeros(1, np.uint64)), TypeError, "points must be a NumPy array, got list"),
    (lambda a: a.add(np.zeros((1, 2)), np.zeros(1, np.int64)), TypeError, "tags must have dtype uint64, got int64"),
    (lambda a: a.add(np.zeros((2, 2)), np.zeros(1, np.uint64)), ValueError, r"tags must have one entry per row of points \(2\)"),
    (lambda a: a.add(np.zeros((1, 2)), np.zeros(1, np.uint64), np.zeros(2, np.uint64)), ValueError,
     "tags_hi must have one entry per row"),
    (lambda a: a.add(np.zeros((1, 2)), np.zeros((1, 1), np.uint64)), ValueError, "tags must be 1-dimensional"),
    (lambda a: a.merge(_core.ParetoArchive(3)), ValueError, "other must have 2 objectives, got 3"),
    (lambda a: a.merge(ParetoArchive(2)), TypeError, "incompatible function arguments"),
    (lambda a: _core.ParetoArchive(0), ValueError, "n_objectives must be >= 1, got 0"),
    (lambda a: _core.ParetoArchive(2, "some"), ValueError, "copies must be 'all', 'per_tag' or 'first', got 'some'"),
    (lambda a: _core.ParetoArchive.__new__(_core.ParetoArchive).__setstate__((2, "all")), ValueError,
     "an archive's state has 5 entries, got 2"),
])
def test_bad_input_is_refused_and_changes_nothing(call, error, message):
    archive = _core.ParetoArchive(2)
    archive.add(np.array([[1.0, 2.0]]), np.array([5], dtype=np.uint64))
    with pytest.raises(error, match=message):
        call(archive)
    assert archive.points.tolist() == [[1.0, 2.0]] and archive.tags.tolist() == [5]


def test_integer_points_convert():
    archive = _core.ParetoArchive(2)
    archive.add(np.array([[1, 2], [2, 1], [2, 2]], dtype=np.int32), np.arange(3, dtype=np.uint64)[::-1])
    assert archive.points.dtype == np.float64 and archive.points.tolist() == [[1.0, 2.0], [2.0, 1.0]]


# ---------------------------------------------------------------------------- ParetoArchive's ids

def test_ids_of_any_kind_against_a_plain_archive():
    """ParetoArchive keeps the ids in Python and gives the core one tag per distinct id: string,
    negative, uint64-sized and beyond-64-bit ids give the plain archive's pairs."""
    rng = np.random.default_rng(5)
    kinds = {"strings": lambda n: rng.choice(["a", "b", "c", "dd"], n),
             "int64": lambda n: rng.integers(-3, 3, n),
             "uint64": lambda n: (rng.integers(0, 3, n).astype(np.uint64) + np.uint64(2**63)),
             "python ints": lambda n: np.array([int(v) * 2**70 - 1 for v in rng.integers(-2, 2, n)], dtype=object)}
    for kind, draw in kinds.items():
        archive = ParetoArchive(2, ["min", "max"])
        points, ids = [], []
        for _ in range(8):
            F = rng.integers(0, 3, (30, 2)).astype(float)
            batch = draw(30)
            archive.add(F, batch)
            points.append(F)
            ids.extend(batch.tolist())
        F = np.concatenate(points)
        expected = {(tuple(F[i].tolist()), ids[i]) for i in nondominated(F * [1, -1])}
        got = list(zip(map(tuple, archive.front.tolist()), archive.ids.tolist()))
        assert len(got) == len(set(got)) and set(got) == expected, kind


def test_a_stream_of_ids_does_not_grow_the_tags_forever():
    """Tags of ids no longer archived are forgotten (the table stays near the archive's size)."""
    archive = ParetoArchive(2)
    for k in range(200):
        archive.add([[float(k), float(-k)], [float(k) + 0.5, 10.0**6]], [f"id{k}", f"gone{k}"])
    assert len(archive) == 200 and len(archive._tags) <= 2 * len(archive) + 1024
    archive.add([[-1.0, -10.0**9]], ["top"])  # dominates all but itself
    for k in range(1100):
        archive.add([[float(k), 0.0]], [f"x{k}"])  # all dominated: forgotten again
    assert archive.ids.tolist() == ["top"] and len(archive._tags) <= 1026
    assert archive.add([[-1.0, -10.0**9]], ["top"]) == 0  # its tag is still known: not added twice
