"""Hypervolume, IGD, IGD+, crowding distance and the archive against moocore and plain Python."""
from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from oneproxy import (
    ParetoArchive,
    crowding_distance,
    hypervolume,
    hypervolume_ratio,
    igd,
    igd_plus,
    is_nondominated,
)

moocore = pytest.importorskip("moocore")


def fronts(rng, n, m):
    yield "uniform", rng.random((n, m))
    simplex = rng.random((n, m))
    simplex /= simplex.sum(axis=1, keepdims=True)
    yield "near a front", simplex
    yield "integer grid", rng.integers(0, 4, (n, m)).astype(float)


def box_hypervolume(F, ref):
    """Inclusion-exclusion over subsets (plain Python, small n only)."""
    F = [p for p in np.asarray(F, float) if np.all(p < ref)]
    total = 0.0
    for k in range(1, len(F) + 1):
        for subset in itertools.combinations(F, k):
            corner = np.max(subset, axis=0)
            total += (-1) ** (k + 1) * np.prod(ref - corner)
    return total


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
def test_hypervolume_small_sets_by_inclusion_exclusion(m):
    rng = np.random.default_rng(m)
    for name, F in fronts(rng, 9, m):
        ref = np.full(m, 1.0 if name != "integer grid" else 4.0)
        assert hypervolume(F, ref) == pytest.approx(box_hypervolume(F, ref), rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("m, n", [(1, 1000), (2, 1), (2, 20000), (3, 2), (3, 20000), (4, 300), (5, 80)])
def test_hypervolume_equals_moocore(m, n):
    rng = np.random.default_rng(n + m)
    for name, F in fronts(rng, n, m):
        maximise = rng.random(m) < 0.5
        sense = ["max" if x else "min" for x in maximise]
        ref = np.where(maximise, -0.5, 1.1) if name != "integer grid" else np.where(maximise, -1, 4.0)
        expected = moocore.hypervolume(F, ref=ref, maximise=maximise)
        assert hypervolume(F, ref, sense) == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_hypervolume_edge_cases():
    assert hypervolume(np.zeros((0, 2)), [1, 1]) == 0.0
    assert hypervolume([[2.0, 0.0]], [1, 1]) == 0.0          # outside the box
    assert hypervolume([[1.0, 0.0]], [1, 1]) == 0.0          # on its boundary
    assert hypervolume([[0.0, 0.0], [0.0, 0.0]], [1, 1]) == 1.0  # duplicates count once
    assert hypervolume([[-np.inf, 0.5]], [1, 1]) == np.inf
    assert hypervolume_ratio([[0.5, 0.5]], [[0.5, 0.5], [0.0, 0.9]], [1, 1]) == pytest.approx(0.25 / 0.3)


def test_igd_equals_moocore():
    rng = np.random.default_rng(7)
    for m in (2, 3, 5):
        F, R = rng.random((300, m)), rng.random((200, m))
        maximise = rng.random(m) < 0.5
        sense = ["max" if x else "min" for x in maximise]
        assert igd(F, R, sense) == pytest.approx(moocore.igd(F, R, maximise=maximise), rel=1e-12)
        assert igd_plus(F, R, sense) == pytest.approx(moocore.igd_plus(F, R, maximise=maximise), rel=1e-12)
    assert igd(R, R) == 0.0 and igd_plus(R, R) == 0.0


def plain_crowding(F):
    n, m = F.shape
    out = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = sorted(range(n), key=lambda i: (F[i, j], i))
        out[order[0]] = out[order[-1]] = np.inf
        span = F[order[-1], j] - F[order[0], j]
        if span > 0:
            for k in range(1, n - 1):
                out[order[k]] += (F[order[k + 1], j] - F[order[k - 1], j]) / span
    return out


def test_crowding_distance():
    rng = np.random.default_rng(8)
    for F in (rng.random((50, 2)), rng.integers(0, 3, (40, 3)).astype(float), np.ones((5, 2)), rng.random((2, 3))):
        np.testing.assert_array_equal(crowding_distance(F), plain_crowding(F))


def test_crowding_distance_within_fronts():
    """With front labels, each front's distances are those of the front alone (gaps in the
    labels, one-point fronts and ties included); bad labels raise ValueError."""
    rng = np.random.default_rng(10)
    for F in (rng.random((60, 2)), rng.integers(0, 4, (50, 3)).astype(float), rng.random((1, 2)), np.zeros((0, 2))):
        fronts = rng.integers(0, min(6, max(len(F), 1)), len(F))  # labels must be < n
        expected = np.zeros(len(F))
        for f in np.unique(fronts):
            expected[fronts == f] = plain_crowding(F[fronts == f])
        np.testing.assert_array_equal(crowding_distance(F, fronts), expected)
        if len(F):
            np.testing.assert_array_equal(crowding_distance(F, np.zeros(len(F), int)), plain_crowding(F))
    for bad, message in ((np.array([0, -1]), "fronts\\[1\\] = -1"), (np.array([0]), "one label per row"),
                         (np.array([0.0, 1.0]), "integer")):
        with pytest.raises(ValueError, match=message):
            crowding_distance([[1.0, 2.0], [2.0, 1.0]], bad)


def test_archive_equals_one_filter_over_everything():
    rng = np.random.default_rng(9)
    F = rng.random((5000, 2))
    F[100:110] = F[0]  # identical objectives, different ids
    archive = ParetoArchive(2, sense=["min", "max"])
    for lo in range(0, 5000, 700):
        archive.add(F[lo:lo + 700], ids=np.arange(lo, min(lo + 700, 5000)))
    expected = np.flatnonzero(is_nondominated(F, ["min", "max"]))
    assert sorted(archive.ids.tolist()) == expected.tolist()
    np.testing.assert_array_equal(archive.front, F[archive.ids])

    again = pickle.loads(pickle.dumps(archive))
    assert again.ids.tolist() == archive.ids.tolist()
    assert again.add(F[:50], np.arange(50)) == int(is_nondominated(F, ["min", "max"])[:50].sum())
    assert len(again) == len(archive)  # nothing new: the same pairs are not added twice

    left, right = ParetoArchive(2, ["min", "max"]), ParetoArchive(2, ["min", "max"])
    left.add(F[:2500], np.arange(2500))
    right.add(F[2500:], np.arange(2500, 5000))
    left.merge(right)
    assert sorted(left.ids.tolist()) == expected.tolist()


def test_archive_ids_beyond_64_bits_and_bad_input():
    archive = ParetoArchive(1)
    big = [2**70, 2**70 + 1]
    archive.add([[1.0], [1.0]], ids=np.array(big, dtype=object))
    assert archive.ids.tolist() == big
    with pytest.raises(ValueError, match="2 objectives"):
        ParetoArchive(2).add([[1.0]], [0])
    with pytest.raises(ValueError, match="ids must have one entry per row"):
        ParetoArchive(1).add([[1.0], [2.0]], [0])
    with pytest.raises(ValueError, match="n_objectives"):
        ParetoArchive(0)
    with pytest.raises(ValueError, match="sense"):
        ParetoArchive(2, ["min"])
    with pytest.raises(ValueError, match="same n_objectives"):
        ParetoArchive(2).merge(ParetoArchive(2, ["max", "min"]))


def test_bad_input():
    with pytest.raises(ValueError, match="ref must have one value per objective"):
        hypervolume([[1, 2]], [3])
    with pytest.raises(ValueError, match="ref contains NaN"):
        hypervolume([[1, 2]], [3, np.nan])
    with pytest.raises(ValueError, match="F has NaN in row 0"):
        hypervolume([[np.nan, 2]], [3, 3])
    with pytest.raises(ValueError, match="same number of objectives"):
        igd([[1, 2]], [[1, 2, 3]])
    with pytest.raises(ValueError, match="must not be empty"):
        igd(np.zeros((0, 2)), [[1, 2]])
    with pytest.raises(ValueError, match="reference_front has NaN in row 1"):
        igd_plus([[1, 2]], [[1, 2], [np.nan, 0]])
