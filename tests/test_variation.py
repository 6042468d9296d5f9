"""The core's genetic operators and NSGA-II generation step against plain NumPy/Python."""
from __future__ import annotations

from math import comb

import numpy as np
import pytest

from oneproxy import _core
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


def test_active_follows_depth():
    """`active` is the same rule as `canonical`: a block's entries count when j < depth."""
    g = OFA.sample_genotypes(2000, seed=3)
    depth = g[:, 1:6].astype(int) + 2  # (n, stages)
    blocks = np.arange(4)[None, None, :] < depth[:, :, None]  # (n, stage, block)
    expected = np.concatenate([np.ones((len(g), 6), bool), blocks.reshape(-1, 20), blocks.reshape(-1, 20)], axis=1)
    np.testing.assert_array_equal(OFA.active(g), expected)
    with pytest.raises(ValueError, match=r"choices\[0, 0\] = 17 is out of range"):
        OFA.active(np.full((1, 46), 17, dtype=np.uint8))


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.3, 0.9, 1.0])
def test_mutation_rate_is_per_entry(rate):
    """Geometric gaps between mutated entries: each entry changes with probability `rate`
    (binomial bounds at 5 standard deviations), independently of its position."""
    n, P = 4000, 46
    c = np.zeros((n, P), dtype=np.uint8)
    _core.mutate(c, 7, rate, free_layout(P, 3), False)
    changed = c != 0
    sd = np.sqrt(rate * (1 - rate) / changed.size)
    assert abs(changed.mean() - rate) <= 5 * sd + 1e-12
    per_column = changed.mean(axis=0)
    assert np.abs(per_column - rate).max() <= 5 * np.sqrt(rate * (1 - rate) / n) + 1e-12


def free_layout(P, codes):
    """P positions of `codes` codes each, all always used."""
    return _core.Layout(np.full(P, codes, dtype=np.int64), np.full(P, -1, dtype=np.int64), np.zeros(P, dtype=np.int64))


def plain_xoshiro256starstar(seed, n):
    """Blackman and Vigna's xoshiro256** seeded with splitmix64, in Python integers."""
    mask = (1 << 64) - 1
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & mask  # noqa: E731
    state, x = [], seed
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        state.append(z ^ (z >> 31))
    out = []
    for _ in range(n):
        s0, s1, s2, s3 = state
        out.append((rotl((s1 * 5) & mask, 7) * 9) & mask)
        t = (s1 << 17) & mask
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        state = [s0, s1, s2, rotl(s3, 45)]
    return out


def _mutations(seed, rows, P, rate, at_least_one):
    """Rows of zeros (rows, P) mutated among 2 codes (so every draw changes an entry)."""
    c = np.zeros((rows, P), dtype=np.uint8)
    _core.mutate(c, seed, rate, free_layout(P, 2), False, at_least_one)
    return c


@pytest.mark.parametrize("seed", [0, 1, 2**64 - 5])
def test_generator_is_xoshiro256starstar(seed):
    np.testing.assert_array_equal(_core.random_bits(seed, 1000),
                                  np.array(plain_xoshiro256starstar(seed, 1000), dtype=np.uint64))


@pytest.mark.parametrize("rate", [0.005, 0.0109, 0.2])
def test_mutation_of_at_least_one_is_binomial_given_one(rate):
    """Conditioned on at least one change, a row's number of changes follows the binomial law
    given >= 1 (what drawing again until a change gives), at every position alike."""
    rows, P = 40_000, 46
    c = _mutations(3, rows, P, rate, True)
    k = c.sum(axis=1)
    assert k.min() >= 1
    law = np.array([comb(P, j) * rate**j * (1 - rate) ** (P - j) for j in range(P + 1)])
    law[0] = 0
    law /= law.sum()
    for j in range(1, 4):
        expected = rows * law[j]
        assert abs((k == j).sum() - expected) <= 5 * np.sqrt(expected * (1 - law[j])) + 1
    column = c.mean(axis=0)
    p_col = rate / (1 - (1 - rate) ** P)  # P(change at a position | at least one)
    assert np.abs(column - p_col).max() <= 5 * np.sqrt(p_col * (1 - p_col) / rows)


def test_mutation_of_tiny_rates_stays_in_the_row():
    """Rates so small that the geometric gap overflows int64: no change, or exactly one when
    conditioned, at a position spread over the row."""
    assert _mutations(4, 100, 46, 1e-300, False).sum() == 0
    c = _mutations(4, 4600, 46, 1e-300, True)
    assert (c.sum(axis=1) == 1).all()
    assert c.sum(axis=0).min() > 50  # about 100 per position


def test_crossover_coins_are_fair_past_64_columns():
    """One random draw gives 64 coins; wider rows draw again (each column about half from b)."""
    n, P = 20_000, 130
    a = np.zeros((n, P), dtype=np.uint8)
    b = np.ones((n, P), dtype=np.uint8)
    out = _core.crossover(a, b, 3)
    share = out.mean(axis=0)
    assert np.abs(share - 0.5).max() < 5 * np.sqrt(0.25 / n)
    # neighbouring columns are independent (no repeated coins)
    assert abs(np.corrcoef(out[:, 63], out[:, 64])[0, 1]) < 0.05


def test_evaluated_finds_every_row_once():
    """Positions agree with a dict of row bytes, through growth (rehashing) and adversarial rows
    that differ in a single entry; values are NaN until recorded."""
    rng = np.random.default_rng(4)
    evaluated = _core.Evaluated(46, 2)
    seen: dict[bytes, int] = {}
    base = OFA.canonical(OFA.sample_genotypes(1, rng))[0]
    for batch in range(30):
        rows = OFA.canonical(OFA.sample_genotypes(50, rng))
        near = np.repeat(base[None, :], 20, axis=0)
        cols = rng.integers(6, 46, 20)
        near[np.arange(20), cols] = (near[np.arange(20), cols] + 1) % 3  # one entry changed (unused: equal)
        rows = np.concatenate([rows, OFA.canonical(near), rows[:5]])
        where = evaluated.add(rows)
        for row, w in zip(rows, where):
            assert seen.setdefault(row.tobytes(), int(w)) == w
        assert len(evaluated) == len(seen)
        np.testing.assert_array_equal(evaluated.rows[where], rows)
        np.testing.assert_array_equal(evaluated.rows_since(len(seen) - 3), evaluated.rows[-3:])
    assert np.isnan(evaluated.F).all() and np.isnan(evaluated.cv).all()
    F = rng.random((len(seen), 2))
    evaluated.record(0, F[:10], np.zeros(10))
    evaluated.record(10, F[10:], np.ones(len(seen) - 10))
    np.testing.assert_array_equal(evaluated.F, F)
    assert evaluated.cv.tolist() == [0.0] * 10 + [1.0] * (len(seen) - 10)


def test_evaluated_refuses_bad_input():
    evaluated = _core.Evaluated(46, 2)
    evaluated.add(OFA.canonical(OFA.sample_genotypes(4, seed=1)))
    for call, error, message in (
            (lambda: evaluated.add(np.zeros((2, 46), dtype=np.int64)), TypeError, "rows must have dtype uint8, got int64"),
            (lambda: evaluated.add(np.zeros((2, 45), dtype=np.uint8)), ValueError, "rows must have 46 columns"),
            (lambda: evaluated.add(np.zeros(46, dtype=np.uint8)), ValueError, "rows must be 2-dimensional"),
            (lambda: evaluated.add([[0] * 46]), TypeError, "rows must be a NumPy array, got list"),
            (lambda: evaluated.record(3, np.zeros((2, 2)), np.zeros(2)), ValueError, "exceeds the 4 rows"),
            (lambda: evaluated.rows_since(5), ValueError, "start = 5 exceeds the 4 rows"),
            (lambda: evaluated.record(0, np.zeros((2, 3)), np.zeros(2)), ValueError, "F must have 2 columns"),
            (lambda: evaluated.record(0, np.zeros((2, 2)), np.zeros(3)), ValueError, "cv must have one entry per row"),
            (lambda: evaluated.record(0, np.array([[0.0, np.nan]]), np.zeros(1)), ValueError, "F has NaN in row 0"),
            (lambda: evaluated.record(0, np.zeros((1, 2)), np.array([np.nan])), ValueError, "cv has NaN at 0"),
            (lambda: evaluated.record(0, np.zeros((1, 2), dtype=str), np.zeros(1)), TypeError, "F must hold real numbers"),
            (lambda: _core.Evaluated(0, 2), ValueError, "n_positions must be >= 1, got 0"),
            (lambda: _core.Evaluated(46, 0), ValueError, "n_objectives must be >= 1, got 0")):
        with pytest.raises(error, match=message):
            call()
    assert len(evaluated) == 4 and np.isnan(evaluated.F).all()  # unchanged by what it refused


def test_layout_is_checked_and_pickles():
    import pickle

    again = pickle.loads(pickle.dumps(OFA.layout))
    g = OFA.sample_genotypes(100, seed=3)
    np.testing.assert_array_equal(_core.canonical(g, again), OFA.canonical(g))
    for name in ("n_choices", "switch", "threshold"):
        np.testing.assert_array_equal(getattr(again, name), getattr(OFA.layout, name))
    P = 4
    good = dict(n_choices=np.full(P, 3, dtype=np.int64), switch=np.full(P, -1, dtype=np.int64),
                threshold=np.zeros(P, dtype=np.int64))
    assert _core.Layout(**good).n_positions == P
    for change, error, message in (
            (dict(n_choices=np.full(P, 3.0)), TypeError, "n_choices must have dtype int64, got float64"),
            (dict(switch=np.full(P - 1, -1, dtype=np.int64)), ValueError, "switch must have one entry per position"),
            (dict(n_choices=np.array([3, 0, 3, 3], dtype=np.int64)), ValueError, "n_choices must be in 1-256, got 0 at 1"),
            (dict(switch=np.array([-1, 4, -1, -1], dtype=np.int64)), ValueError, "switch must name a position")):
        with pytest.raises(error, match=message):
            _core.Layout(**{**good, **change})
    with pytest.raises(ValueError, match="c must have 46 columns"):
        _core.canonical(np.zeros((1, 6), dtype=np.uint8), OFA.layout)


def generation(pop, F, cv, children, seed, crossover_rate=0.5, mutation_rate=0.05, evaluated=None):
    """One `nsga2_generation` over the genotypes `pop` with values F (minimised) and violations
    cv: (survivors and children, their positions, survivor count, hypervolume, evaluated)."""
    if evaluated is None:
        evaluated = _core.Evaluated(46, F.shape[1])
    at = evaluated.add(OFA.canonical(pop))
    for i, e in enumerate(at):
        evaluated.record(int(e), F[i:i + 1], cv[i:i + 1])
    members, members_at, survived, hv = _core.nsga2_generation(
        pop, at, evaluated, OFA.layout, _core.Breeding(crossover_rate, mutation_rate, 20), len(pop),
        np.full(F.shape[1], 10.0), children, seed)
    return members, members_at, survived, hv, evaluated


def test_offspring_are_new_distinct_and_recorded():
    rng = np.random.default_rng(5)
    pop = OFA.sample_genotypes(40, rng)
    F = rng.random((40, 2))
    members, at, survived, _, evaluated = generation(pop, F, np.zeros(40), 40, 11)
    kids, kids_at = members[survived:], at[survived:]
    pop_at = evaluated.add(OFA.canonical(pop))
    assert survived == 40 and len(kids) == 40 and len(evaluated) == 80
    np.testing.assert_array_equal(evaluated.rows[kids_at], OFA.canonical(kids))
    assert len(set(kids_at.tolist())) == 40 and not set(kids_at.tolist()) & set(pop_at.tolist())
    assert (kids < OFA.n_choices).all()
    # every child is a mix of two population genotypes plus a few mutated entries
    from_pop = (kids[:, None, :] == pop[None, :, :]).any(axis=1)
    assert from_pop.mean() > 0.9
    # the same seed gives the same children, another seed others
    np.testing.assert_array_equal(generation(pop, F, np.zeros(40), 40, 11)[0], members)
    assert (generation(pop, F, np.zeros(40), 40, 12)[0] != members).any()


def test_children_already_evaluated_keep_their_position():
    """A child that an earlier generation evaluated is found in `evaluated` (not added again)."""
    rng = np.random.default_rng(8)
    pop = OFA.sample_genotypes(30, rng)
    F = rng.random((30, 2))
    first, first_at, survived, _, evaluated = generation(pop, F, np.zeros(30), 30, 4)
    n = len(evaluated)
    again, again_at, _, _, evaluated = generation(pop, F, np.zeros(30), 30, 4, evaluated=evaluated)
    np.testing.assert_array_equal(again, first)  # the same draws ...
    np.testing.assert_array_equal(again_at, first_at)  # ... found where they were
    assert len(evaluated) == n


def test_offspring_give_up_when_nothing_new_can_be_made():
    """Without crossover or mutation every child copies a parent: the step stops after its
    attempts with no child instead of looping forever."""
    pop = OFA.sample_genotypes(8, seed=6)
    members, at, survived, _, evaluated = generation(pop, np.zeros((8, 2)), np.zeros(8), 8, 1, 0.0, 0.0)
    assert survived == 8 and len(members) == 8 and len(evaluated) == 8


def test_tournament_prefers_feasible_then_dominating_then_crowded():
    """Every tournament's winner is the better member, so with crossover off every child is a
    mutated copy of a winner: the feasible member, the dominating one, or (three members on one
    front) one of the two ends, whose crowding is infinite, never the middle."""
    pop = np.stack([np.zeros(46, np.uint8), np.full(46, 2, np.uint8), np.ones(46, np.uint8)])
    for F, cv, winners in (
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0]), [1]),  # feasible first
            (np.array([[0.0, 0.0], [1.0, 1.0]]), np.zeros(2), [0]),  # dominance
            (np.array([[0.0, 2.0], [2.0, 0.0], [1.0, 1.0]]), np.zeros(3), [0, 1])):  # crowding
        members, _, survived, _, _ = generation(pop[:len(F)], F, cv, 20, 2, 0.0, 0.02)
        kids = members[survived:]
        assert len(kids) > 0
        near = np.stack([(kids == pop[w]).mean(axis=1) for w in range(len(F))], axis=1)  # (kids, members)
        assert (near.argmax(axis=1)[:, None] == np.array(winners)[None, :]).any(axis=1).all()
        assert (near.max(axis=1) > 0.75).all()


def test_generation_keeps_the_best_and_measures_them():
    """The survivors are `_core.survivors`' choice and the hypervolume theirs (plain reference)."""
    rng = np.random.default_rng(9)
    pop = OFA.sample_genotypes(60, rng)
    F = rng.random((60, 2))
    cv = np.where(rng.random(60) < 0.2, rng.random(60), 0.0)
    evaluated = _core.Evaluated(46, 2)
    at = evaluated.add(OFA.canonical(pop))
    assert at.tolist() == list(range(60))
    evaluated.record(0, F, cv)
    members, members_at, survived, hv = _core.nsga2_generation(
        pop, at, evaluated, OFA.layout, _core.Breeding(0.3, 0.01, 20), 25, np.array([1.0, 1.0]), 0, 1)
    keep, _ = _core.survivors(F, cv, 25)
    assert survived == 25
    np.testing.assert_array_equal(members, pop[keep])
    np.testing.assert_array_equal(members_at, at[keep])
    kept = F[keep][cv[keep] <= 0]
    assert hv == pytest.approx(plain_hypervolume_2d(kept, np.array([1.0, 1.0])))


def plain_hypervolume_2d(F, ref):
    """Area dominated by the rows of F (minimised) inside the box below `ref`, by a sweep."""
    front = sorted((float(a), float(b)) for a, b in F if a < ref[0] and b < ref[1])
    area, best_b = 0.0, float(ref[1])
    for a, b in front:
        if b < best_b:
            area += (ref[0] - a) * (best_b - b)
            best_b = b
    return area


def test_generation_refuses_bad_arguments():
    pop = OFA.sample_genotypes(4, seed=1)
    evaluated = _core.Evaluated(46, 2)
    at = evaluated.add(OFA.canonical(pop))
    evaluated.record(0, np.zeros((3, 2)), np.zeros(3))  # the last member's values are missing
    args = dict(genotypes=pop[:3], at=at[:3], evaluated=evaluated, layout=OFA.layout,
                breeding=_core.Breeding(0.3, 0.1, 20), n=3, ref=np.ones(2), children=0, seed=0)
    assert _core.nsga2_generation(**args)[2] == 3
    for change, error, message in (
            (dict(genotypes=pop, at=at), ValueError, "no values recorded for the member at 3"),
            (dict(at=at[:3] + 4), ValueError, r"at\[0\] = 4 is not a position in evaluated"),
            (dict(at=at[:2]), ValueError, "at must have one entry per genotype"),
            (dict(ref=np.ones(3)), ValueError, "ref must have one entry per objective"),
            (dict(evaluated=_core.Evaluated(6, 2)), ValueError, "evaluated must hold rows of 46 positions"),
            (dict(layout=NASBench201().layout), ValueError, "genotypes must have 6 columns"),
            (dict(evaluated=pop), TypeError, "incompatible function arguments"),
            (dict(breeding=(0.3, 0.1, 20)), TypeError, "incompatible function arguments")):
        with pytest.raises(error, match=message):
            _core.nsga2_generation(**{**args, **change})
    for rates, message in (((1.5, 0.1), "crossover_rate must be in"), ((0.3, -0.1), "mutation_rate must be in")):
        with pytest.raises(ValueError, match=message):
            _core.Breeding(*rates, 20)


def test_hash_spreads_rows():
    """20,000 distinct once-for-all rows in a table of 65,536 slots leave only short runs of
    occupied slots (a hash that collapses rows to a few values makes runs of hundreds)."""
    rows = np.unique(OFA.canonical(OFA.sample_genotypes(20_000, seed=1)), axis=0)
    evaluated = _core.Evaluated(46, 2)
    evaluated.add(rows)
    table = evaluated.table
    assert len(table) == 1 << 16
    occupied = np.r_[0, (table >= 0).astype(int), 0]
    edges = np.flatnonzero(np.diff(occupied))
    runs = edges[1::2] - edges[::2]
    assert runs.sum() == len(rows) and runs.max() < 40 and runs.mean() < 2.5


def test_operators_give_the_same_rows_from_several_threads():
    """crossover, mutate, canonical, active and Evaluated.add release the GIL: called from four
    threads at once on their own arrays, each gives what it gives alone."""
    from concurrent.futures import ThreadPoolExecutor

    def operators(seed):
        a, b = OFA.sample_genotypes(3000, seed=seed), OFA.sample_genotypes(3000, seed=seed + 100)
        child = _core.crossover(a, b, seed)
        _core.mutate(child, seed, 0.1, OFA.layout, True)
        canon = _core.canonical(child, OFA.layout)
        used = _core.active(child, OFA.layout)
        evaluated = _core.Evaluated(46, 2)
        where = evaluated.add(canon)
        return child, canon, used, where, evaluated.rows

    alone = [operators(seed) for seed in range(4)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(operators, range(4)))
    for one, other in zip(alone, together):
        for x, y in zip(one, other):
            np.testing.assert_array_equal(x, y)
