"""Hypervolume, IGD, IGD+, crowding distance and the archive against moocore and plain Python."""
from __future__ import annotations

import itertools
import pickle
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_scan import assert_ctrl_c_stops  # the same SIGINT protocol as the scan's

from oneproxy import _core
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


# ---------------------------------------------------------------------------- m >= 4 (WFG)

def slicing_hypervolume(F, ref):
    """Slicing along the last objective (HSO, the previous C++ method), plain NumPy: tiny n only."""
    F = np.asarray(F, float)
    F = F[np.all(F < ref, axis=1)]
    if len(F) == 0:
        return 0.0
    if F.shape[1] == 1:
        return float(ref[0] - F[:, 0].min())
    F = F[np.argsort(F[:, -1], kind="stable")]
    bounds = np.append(F[1:, -1], ref[-1])
    return sum(slicing_hypervolume(F[:k + 1, :-1], ref[:-1]) * (bounds[k] - F[k, -1])
               for k in range(len(F)) if bounds[k] > F[k, -1])


def sphere(rng, n, m):
    X = np.abs(rng.normal(size=(n, m)))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def simplex(rng, n, m):
    X = rng.random((n, m))
    return X / X.sum(axis=1, keepdims=True)


def many_objective_sets(rng, n, m):
    """Random and adversarial sets: fronts, uniform points, few distinct values, duplicates,
    points on and beyond the box's faces."""
    yield "sphere", sphere(rng, n, m), np.full(m, 1.1)
    yield "simplex", simplex(rng, n, m), np.full(m, 1.0)
    yield "uniform", rng.random((n, m)), np.full(m, 1.0)
    grid = rng.integers(0, 3, (n, m)).astype(float)  # ties in every objective, duplicates
    yield "grid", grid, np.full(m, 3.0)
    yield "grid on the box", grid, np.full(m, 2.0)  # many points on the reference's faces
    S = sphere(rng, n, m)
    repeated = np.concatenate([S, S[: n // 2], np.minimum(S + 0.1, 1.5)])  # copies, dominated
    yield "repeated + dominated", rng.permutation(repeated), np.full(m, 1.2)


@pytest.mark.parametrize("m", [4, 5, 6])
def test_many_objectives_equal_slicing_and_inclusion_exclusion(m):
    rng = np.random.default_rng(40 + m)
    for n in (1, 2, 3, 7, 12):
        for name, F, ref in many_objective_sets(rng, n, m):
            expected = slicing_hypervolume(F, ref)
            assert hypervolume(F, ref) == pytest.approx(expected, rel=1e-12, abs=1e-15), (name, n)
            if len(F) <= 10:
                assert expected == pytest.approx(box_hypervolume(F, ref), rel=1e-12, abs=1e-15), (name, n)


@pytest.mark.parametrize("m, sizes", [(4, (1, 10, 100, 300, 1000)), (5, (1, 10, 100, 300, 1000)),
                                      (6, (2, 30, 150)), (9, (5, 20, 40))])
def test_many_objectives_equal_moocore(m, sizes):
    rng = np.random.default_rng(m)
    for n in sizes:
        for name, F, ref in many_objective_sets(rng, n, m):
            expected = moocore.hypervolume(F, ref=ref)
            assert hypervolume(F, ref) == pytest.approx(expected, rel=1e-12, abs=1e-15), (name, n)


def grid_hypervolume(F, ref):
    """Exact volume on the grid of the points' distinct coordinates (plain NumPy): each cell
    between consecutive values is dominated or not, as a whole. Few distinct values only."""
    F, ref = np.asarray(F, float), np.asarray(ref, float)
    F = F[np.all(F < ref, axis=1)]
    if len(F) == 0:
        return 0.0
    axes = [np.unique(np.append(F[:, j], ref[j])) for j in range(F.shape[1])]
    corner = np.stack([c.ravel() for c in np.meshgrid(*[a[:-1] for a in axes], indexing="ij")], axis=1)
    size = np.prod([w.ravel() for w in np.meshgrid(*[np.diff(a) for a in axes], indexing="ij")], axis=0)
    covered = np.zeros(len(corner), bool)
    for p in F:
        covered |= np.all(p <= corner, axis=1)
    return float(size[covered].sum())


def four_and_five_objective_sets(rng, n, m):
    """many_objective_sets and more adversarial ones: all points equal, points on the box's
    faces mixed with points inside, a dominated copy of every point one step worse."""
    yield from many_objective_sets(rng, n, m)
    yield "all equal", np.full((n, m), 0.25), np.ones(m)
    F = sphere(rng, n, m)
    F[rng.random((n, m)) < 0.15] = 1.1  # on a face of the box: dropped
    yield "on the faces", F, np.full(m, 1.1)
    G = np.round(simplex(rng, n, m), 1)
    yield "ties + dominated", rng.permutation(np.concatenate([G, G + 0.1])), np.full(m, 1.0)


@pytest.mark.parametrize("m, n", [(4, 1), (4, 2), (4, 7), (4, 20), (5, 1), (5, 2), (5, 6), (5, 10)])
def test_four_and_five_objectives_equal_the_grid_reference(m, n):
    rng = np.random.default_rng(10 * m + n)
    for name, F, ref in four_and_five_objective_sets(rng, n, m):
        expected = grid_hypervolume(F, ref)
        assert hypervolume(F, ref) == pytest.approx(expected, rel=1e-12, abs=1e-15), (name, n)
        if len(F) <= 10:  # the reference itself, against inclusion-exclusion
            assert expected == pytest.approx(box_hypervolume(F, ref), rel=1e-12, abs=1e-15), (name, n)


@pytest.mark.parametrize("m", [4, 5])
def test_integer_grids_up_to_1000_points_equal_the_grid_reference(m):
    """Few distinct values: ties in every objective, many copies and dominated points."""
    rng = np.random.default_rng(m)
    for n in (30, 300, 1000):
        for top in (2, 3, 5):
            F = rng.integers(0, top, (n, m)).astype(float)
            for r in (top, top - 1):  # the second puts many points on the box's faces
                ref = np.full(m, float(r))
                assert hypervolume(F, ref) == pytest.approx(grid_hypervolume(F, ref), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("m, n", [(4, 1000), (5, 1000)])
def test_four_and_five_objectives_equal_moocore_on_adversarial_sets(m, n):
    rng = np.random.default_rng(m + n)
    for name, F, ref in four_and_five_objective_sets(rng, n, m):
        expected = moocore.hypervolume(F, ref=ref)
        assert hypervolume(F, ref) == pytest.approx(expected, rel=1e-12, abs=1e-15), name


@given(st.integers(4, 5), st.lists(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=5,
                                             max_size=5), min_size=1, max_size=40))
@settings(max_examples=80, deadline=None)
def test_four_and_five_objectives_with_ties_equal_the_grid_reference(m, rows):
    """Values from a five-point set: ties everywhere, copies, points on the reference's faces."""
    F = np.array(rows)[:, :m]
    ref = np.ones(m)
    assert hypervolume(F, ref) == pytest.approx(grid_hypervolume(F, ref), rel=1e-12, abs=1e-15)


def five_objective_bound_sets(rng, n):
    """5-D points around a few centres, each copy moved up by a step in one or two of f1..f4
    and down or up in f5: the earlier points that are worse than a later one in one objective
    only or in one pair only (the single and pair bounds of WFG's 5-objective level), ties with
    those bounds, copies of them, moves in f4 only (where its scan stops), and moves that end
    on the reference box's faces. Values are multiples of 0.25, for the grid reference."""
    centres = rng.integers(0, 4, (max(1, n // 12), 5)) / 4
    rows = []
    for c in centres:
        rows.append(c)
        for t in range(4):
            for step in (0.25, 0.5):
                rows.append(c + step * np.eye(5)[t] - 0.25 * np.eye(5)[4])
        for s, t in itertools.combinations(range(4), 2):
            rows.append(c + 0.25 * (np.eye(5)[s] + np.eye(5)[t]) + rng.choice([-0.25, 0.25]) * np.eye(5)[4])
        rows.append(c + 0.25 * np.eye(5)[3] - 0.5 * np.eye(5)[4])  # a tie in f4 with a move above
    F = np.array(rows)[:n]
    return rng.permutation(np.concatenate([F, F[: len(F) // 5]]))  # and copies


@pytest.mark.parametrize("n", [1, 5, 14, 40, 120])
def test_five_objectives_around_the_bounds_equal_the_grid_reference_and_moocore(n):
    rng = np.random.default_rng(500 + n)
    for ref in (np.full(5, 1.5), np.full(5, 1.0), np.full(5, 0.75)):  # the last two on the faces
        F = five_objective_bound_sets(rng, n)
        expected = grid_hypervolume(F, ref)
        assert hypervolume(F, ref) == pytest.approx(expected, rel=1e-12, abs=1e-15), (n, ref[0])
        assert expected == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12, abs=1e-15)


def test_five_objectives_on_fronts_equal_moocore():
    """Fronts where every limit set is large (nothing is dominated), from 2 to 1,500 points."""
    rng = np.random.default_rng(5)
    for n in (2, 17, 100, 300, 1500):
        for F, ref in ((simplex(rng, n, 5), np.ones(5)), (sphere(rng, n, 5), np.full(5, 1.1))):
            assert hypervolume(F, ref) == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12), n


def test_many_objectives_uniform_nine_objectives_equal_moocore():
    rng = np.random.default_rng(9)
    F = rng.random((100, 9))  # the 100 x 9 case: 839 s by slicing
    assert hypervolume(F, np.ones(9)) == pytest.approx(moocore.hypervolume(F, ref=np.ones(9)), rel=1e-12)


def test_many_objectives_on_moocores_test_data():
    """moocore's bundled ran.10pts.9d.10 (10 sets of 10 points in 9-D) and the issue's 306 x 6
    set with duplicates (moocore's own sets, repeated)."""
    data = moocore.get_dataset("ran.10pts.9d.10")
    ref = np.full(9, 10.0)
    for s in np.unique(data[:, -1]):
        F = data[data[:, -1] == s, :-1]
        assert hypervolume(F, ref) == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12), s
        assert hypervolume(F[:, :6], ref[:6]) == pytest.approx(moocore.hypervolume(F[:, :6], ref=ref[:6]), rel=1e-12)
    F = data[:, :-1]
    assert hypervolume(F, ref) == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12)
    rng = np.random.default_rng(306)
    F = np.concatenate([sphere(rng, 204, 6)] * 1 + [sphere(rng, 51, 6)] * 2)  # 306 rows, 51 twice
    assert hypervolume(F, np.full(6, 1.1)) == pytest.approx(moocore.hypervolume(F, ref=np.full(6, 1.1)), rel=1e-12)


def test_many_objectives_edge_cases():
    for m in (4, 5, 9):
        ref = np.ones(m)
        assert hypervolume(np.zeros((0, m)), ref) == 0.0
        assert hypervolume(np.full((1, m), 0.5), ref) == pytest.approx(0.5**m, rel=1e-15)
        assert hypervolume(np.full((5, m), 0.5), ref) == pytest.approx(0.5**m, rel=1e-15)  # duplicates
        assert hypervolume(np.full((3, m), 1.0), ref) == 0.0            # on the reference point
        on_face = np.full((1, m), 0.5)
        on_face[0, -1] = 1.0
        assert hypervolume(on_face, ref) == 0.0                         # on a face: adds nothing
        assert hypervolume(np.full((1, m), 2.0), ref) == 0.0            # outside
        assert hypervolume(np.eye(m), ref) == 0.0                       # each on a face
        assert hypervolume(np.eye(m), 2 * ref) == pytest.approx(moocore.hypervolume(np.eye(m), ref=2 * ref), rel=1e-12)
        inf = np.full((2, m), 0.5)
        inf[0, 0] = -np.inf
        assert hypervolume(inf, ref) == np.inf
        assert hypervolume(np.full((1, m), 0.5), np.full(m, np.inf)) == np.inf
        # maximised objectives are negations
        rng = np.random.default_rng(m)
        F = sphere(rng, 30, m)
        flip = rng.random(m) < 0.5
        sense = ["max" if f else "min" for f in flip]
        G = np.where(flip, -F, F)
        assert hypervolume(G, np.where(flip, -1.1, 1.1), sense) == pytest.approx(hypervolume(F, np.full(m, 1.1)), rel=1e-12)


@given(st.integers(1, 25), st.integers(4, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_many_objectives_do_not_depend_on_order(n, m, seed):
    """The same volume whatever the order of the points and of the objectives."""
    rng = np.random.default_rng(seed)
    F = np.round(sphere(rng, n, m), 1)  # ties
    ref = np.full(m, 1.05)
    v = hypervolume(F, ref)
    cols = rng.permutation(m)
    assert hypervolume(F[rng.permutation(n)][:, cols], ref[cols]) == pytest.approx(v, rel=1e-12, abs=1e-15)
    assert v == pytest.approx(moocore.hypervolume(F, ref=ref), rel=1e-12, abs=1e-15)


INTERRUPTED = textwrap.dedent("""
    import signal
    # a shell's background job starts with SIGINT ignored, and children inherit that
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    from oneproxy import hypervolume
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=({n}, {m})))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    print("ready", flush=True)
    hypervolume(X, np.full({m}, 1.1))  # minutes of work
    print("finished", flush=True)
""")


@pytest.mark.parametrize("n, m", [(400, 10), (300_000, 5)])
def test_hypervolume_honours_ctrl_c(n, m):
    """SIGINT to a process inside a long hypervolume (400 x 10 through WFG's levels, 300,000 x 5
    at its 5-objective level) ends it with KeyboardInterrupt (the core polls for signals every
    20 ms)."""
    assert_ctrl_c_stops(INTERRUPTED.format(n=n, m=m))


def test_hypervolume_releases_the_gil(assert_releases_gil):
    """Another Python thread runs while a long hypervolume (9 objectives) runs."""
    F = sphere(np.random.default_rng(1), 100, 9)
    assert_releases_gil(_core.hypervolume, lambda: hypervolume(F, np.full(9, 1.1)))


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
    with pytest.raises(ValueError, match="ref has NaN at 1"):
        hypervolume([[1, 2]], [3, np.nan])
    with pytest.raises(ValueError, match="F has NaN in row 0"):
        hypervolume([[np.nan, 2]], [3, 3])
    with pytest.raises(ValueError, match="same number of objectives"):
        igd([[1, 2]], [[1, 2, 3]])
    with pytest.raises(ValueError, match="must not be empty"):
        igd(np.zeros((0, 2)), [[1, 2]])
    with pytest.raises(ValueError, match="reference_front has NaN in row 1"):
        igd_plus([[1, 2]], [[1, 2], [np.nan, 0]])


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_an_infinite_side_gives_an_infinite_hypervolume(m):
    """moocore's answer: a point at -inf in one objective dominates an unbounded box."""
    F = np.zeros((2, m))
    F[1] = 1.0
    F[:, -1] = -np.inf
    assert hypervolume(F, ref=np.full(m, 2.0)) == np.inf
    assert hypervolume(np.zeros((1, m)), ref=np.full(m, np.inf)) == np.inf


def test_hypervolume_ratio_against_a_zero_volume_front_is_refused():
    with pytest.raises(ValueError, match="zero hypervolume"):
        hypervolume_ratio([[1, 1]], [[5, 5]], ref=[4, 4])
