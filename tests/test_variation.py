"""The Numba genetic operators and NSGA-II's offspring kernel against plain NumPy/Python."""
from __future__ import annotations

import numpy as np
import pytest

from oneproxy import _variation
from oneproxy.search import _Archive
from oneproxy.spaces import FBNet, NASBench201, OFAMobileNetV3

OFA = OFAMobileNetV3(range(160, 225, 4))


def plain_canonical_ofa(c):
    """Once-for-all's rule written out: block j of a stage is used when j < depth (code + 2)."""
    out = c.copy()
    for s in range(5):
        depth = c[:, 1 + s].astype(int) + 2
        for j in range(4):
            unused = j >= depth
            out[unused, 6 + 4 * s + j] = 0
            out[unused, 26 + 4 * s + j] = 0
    return out


def test_canonical_follows_depth():
    g = OFA.sample_genotypes(5000, seed=1)
    np.testing.assert_array_equal(OFA.canonical(g), plain_canonical_ofa(g))
    for space in (NASBench201(), FBNet()):
        g = space.sample_genotypes(100, seed=2)
        np.testing.assert_array_equal(space.canonical(g), g)


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.3, 0.9, 1.0])
def test_mutation_rate_is_per_entry(rate):
    """Geometric gaps between mutated entries: each entry changes with probability `rate`
    (binomial bounds at 5 standard deviations), independently of its position."""
    n, P = 4000, 46
    c = np.zeros((n, P), dtype=np.uint8)
    _variation.mutate(c, 7, rate, np.full(P, 3, dtype=np.int64), np.full(P, -1, dtype=np.int64),
                      np.zeros(P, dtype=np.int64), False)
    changed = c != 0
    sd = np.sqrt(rate * (1 - rate) / changed.size)
    assert abs(changed.mean() - rate) <= 5 * sd + 1e-12
    per_column = changed.mean(axis=0)
    assert np.abs(per_column - rate).max() <= 5 * np.sqrt(rate * (1 - rate) / n) + 1e-12


def test_crossover_coins_are_fair_past_52_columns():
    """One random draw gives 52 coins; wider rows draw again (each column about half from b)."""
    n, P = 20_000, 130
    a = np.zeros((n, P), dtype=np.uint8)
    b = np.ones((n, P), dtype=np.uint8)
    out = np.empty_like(a)
    _variation.crossover(a, b, 3, out)
    share = out.mean(axis=0)
    assert np.abs(share - 0.5).max() < 5 * np.sqrt(0.25 / n)
    # neighbouring columns are independent (no repeated coins)
    assert abs(np.corrcoef(out[:, 51], out[:, 52])[0, 1]) < 0.05


def test_archive_finds_every_row_once():
    """Positions agree with a dict of row bytes, through growth (rehashing) and adversarial rows
    that differ in a single entry."""
    rng = np.random.default_rng(4)
    archive = _Archive(46, 2, capacity=8)
    seen: dict[bytes, int] = {}
    base = OFA.canonical(OFA.sample_genotypes(1, rng))[0]
    for batch in range(30):
        rows = OFA.canonical(OFA.sample_genotypes(50, rng))
        near = np.repeat(base[None, :], 20, axis=0)
        cols = rng.integers(6, 46, 20)
        near[np.arange(20), cols] = (near[np.arange(20), cols] + 1) % 3  # one entry changed (unused: equal)
        rows = np.concatenate([rows, OFA.canonical(near), rows[:5]])
        where = archive.add(rows)
        for row, w in zip(rows, where):
            assert seen.setdefault(row.tobytes(), int(w)) == w
        assert archive.n == len(seen)
        np.testing.assert_array_equal(archive.rows[where], rows)


def test_offspring_are_new_distinct_and_recorded():
    rng = np.random.default_rng(5)
    archive = _Archive(46, 2, capacity=64)
    pop = OFA.sample_genotypes(40, rng)
    pop_at = archive.add(OFA.canonical(pop))
    F = rng.random((40, 2))
    crowd = rng.random(40)
    archive.reserve(40)
    archive.stamp[pop_at] = 3
    before = archive.n
    kids, kids_at, n = _variation.offspring(11, pop, F, np.zeros(40), crowd, 40, 20, 0.5, 0.05, OFA.n_choices,
                                            OFA._switch, OFA._threshold, archive.rows, archive.n, archive.table,
                                            archive.stamp, 3)
    assert len(kids) == 40 and n >= before
    np.testing.assert_array_equal(archive.rows[kids_at], OFA.canonical(kids))
    assert len(set(kids_at.tolist())) == 40 and not set(kids_at.tolist()) & set(pop_at.tolist())
    assert (archive.stamp[kids_at] == 3).all()
    assert (kids < OFA.n_choices).all()
    # every child is a mix of two population genotypes plus a few mutated entries
    from_pop = (kids[:, None, :] == pop[None, :, :]).any(axis=1)
    assert from_pop.mean() > 0.9
    # the same seed gives the same children
    archive2 = _Archive(46, 2, capacity=64)
    archive2.add(OFA.canonical(pop))
    archive2.reserve(40)
    archive2.stamp[pop_at] = 3
    again = _variation.offspring(11, pop, F, np.zeros(40), crowd, 40, 20, 0.5, 0.05, OFA.n_choices, OFA._switch,
                                 OFA._threshold, archive2.rows, archive2.n, archive2.table, archive2.stamp, 3)
    np.testing.assert_array_equal(again[0], kids)


def test_offspring_give_up_when_nothing_new_can_be_made():
    """Without crossover or mutation every child copies a parent: the kernel stops after its
    attempts with no child instead of looping forever."""
    pop = OFA.sample_genotypes(8, seed=6)
    archive = _Archive(46, 2, capacity=16)
    pop_at = archive.add(OFA.canonical(pop))
    archive.stamp[pop_at] = 0
    kids, kids_at, n = _variation.offspring(1, pop, np.zeros((8, 2)), np.zeros(8), np.zeros(8), 8, 20, 0.0, 0.0,
                                            OFA.n_choices, OFA._switch, OFA._threshold, archive.rows, archive.n,
                                            archive.table, archive.stamp, 0)
    assert len(kids) == 0 and len(kids_at) == 0 and n == 8


def test_tournament_prefers_feasible_then_dominating_then_crowded():
    """Population of two: the winner of every tournament is the better member, so every child is
    a mutated copy of it (crossover off)."""
    pop = np.stack([np.zeros(46, np.uint8), np.full(46, 2, np.uint8)])
    for F, cv, crowd, best in (
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0]), np.zeros(2), 1),  # feasible first
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.zeros(2), np.zeros(2), 0),  # dominance
            (np.array([[0.0, 1.0], [1.0, 0.0]]), np.zeros(2), np.array([0.0, 5.0]), 1)):  # crowding
        archive = _Archive(46, 2, capacity=64)
        pop_at = archive.add(OFA.canonical(pop))
        archive.stamp[pop_at] = 0
        kids, _, _ = _variation.offspring(2, pop, F, cv, crowd, 20, 20, 0.0, 0.02, OFA.n_choices, OFA._switch,
                                          OFA._threshold, archive.rows, archive.n, archive.table, archive.stamp, 0)
        assert len(kids) > 0
        assert ((kids == pop[best]).mean(axis=1) > 0.75).all()


def test_hash_spreads_rows():
    """20,000 distinct once-for-all rows in a table of 65,536 slots leave only short runs of
    occupied slots (a hash that collapses rows to a few values makes runs of hundreds)."""
    rows = np.unique(OFA.canonical(OFA.sample_genotypes(20_000, seed=1)), axis=0)
    table = np.full(1 << 16, -1, dtype=np.int64)
    _variation.add_rows(rows, np.zeros_like(rows), 0, table)
    occupied = np.r_[0, (table >= 0).astype(int), 0]
    edges = np.flatnonzero(np.diff(occupied))
    runs = edges[1::2] - edges[::2]
    assert runs.sum() == len(rows) and runs.max() < 40 and runs.mean() < 2.5
