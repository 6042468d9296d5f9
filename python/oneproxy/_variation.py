"""Numba kernels: the genetic operators on rows of choices, and NSGA-II's offspring step.

Rows are uint8 codes (n, P); position p has ``n_choices[p]`` codes and is used when
``switch[p] < 0`` or ``row[switch[p]] >= threshold[p]`` (once-for-all: a block is used when its
stage is deep enough); canonical rows hold 0 where unused. Random numbers come from a xoshiro256** generator local
to each call (a few instructions a draw, all 64 bits usable), seeded by the caller's NumPy
generator, so a seed fixes the result.

Evaluated architectures live in an archive: canonical rows ``store`` (capacity, P), of which the
first ``n`` are filled, and an open-addressing hash ``table`` (power-of-two size, -1 empty) of
their positions, so a row is found or added in O(P).
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def crossover(a: NDArray[np.uint8], b: NDArray[np.uint8], seed: int, out: NDArray[np.uint8]) -> None:
    """Uniform crossover: ``out[i, p]`` is ``b[i, p]`` or ``a[i, p]`` with equal odds."""
    st = _generator(seed)
    for i in range(a.shape[0]):
        _crossover_row(a[i], b[i], out[i], st)


@njit(cache=True)
def mutate(c: NDArray[np.uint8], seed: int, rate: float, n_choices: NDArray[np.int64],
           switch: NDArray[np.int64], threshold: NDArray[np.int64], used_only: bool) -> None:
    """In place: each entry (each used one if `used_only`, judged before the row changes) moves
    with probability `rate` to one of its other codes, chosen uniformly."""
    st = _generator(seed)
    used = np.ones(c.shape[1], dtype=np.bool_)
    for i in range(c.shape[0]):
        if used_only:
            _used(c[i], switch, threshold, used)
        _mutate_row(c[i], rate, n_choices, used, False, st)


@njit(cache=True)
def canonical(c: NDArray[np.uint8], switch: NDArray[np.int64], threshold: NDArray[np.int64],
              out: NDArray[np.uint8]) -> None:
    """``out``: the rows of `c` with unused entries set to 0."""
    for i in range(c.shape[0]):
        _canonical_row(c[i], switch, threshold, out[i])


@njit(cache=True)
def add_rows(rows: NDArray[np.uint8], store: NDArray[np.uint8], n: int, table: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
    """Positions in the archive of canonical `rows`, adding those not yet there; and the new
    fill count. The caller guarantees room for ``len(rows)`` more."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    keys = _hash_keys(rows.shape[1])
    for i in range(rows.shape[0]):
        slot = _find(rows[i], store, table, keys)
        if table[slot] < 0:
            store[n] = rows[i]
            table[slot] = n
            n += 1
        out[i] = table[slot]
    return out, n


@njit(cache=True)
def offspring(seed: int, pop: NDArray[np.uint8], F: NDArray[np.float64], cv: NDArray[np.float64],
              crowd: NDArray[np.float64], n: int, attempts: int, crossover_rate: float, mutation_rate: float,
              n_choices: NDArray[np.int64], switch: NDArray[np.int64], threshold: NDArray[np.int64],
              store: NDArray[np.uint8], n_store: int, table: NDArray[np.int64], stamp: NDArray[np.int64],
              mark: int) -> tuple[NDArray[np.uint8], NDArray[np.int64], int]:
    """Up to `n` children of the genotypes `pop` (N, P): NSGA-II's binary tournaments between
    consecutive members of random permutations (less violation `cv`, then Pareto dominance in
    `F` (N, m, minimised), then larger `crowd`, then a coin), uniform crossover with
    probability `crossover_rate` (else a copy of the first parent), then mutation of every entry.

    A child whose canonical row carries ``stamp == mark`` in the archive (the population, or a
    child already made) is dropped and parents drawn again, up to ``attempts * n`` matings.
    New rows are added to the archive (room for `n` more is the caller's). Returns the
    children's genotypes (k, P), their archive positions (k,) and the archive's fill count.
    """
    st = _generator(seed)
    N, P = pop.shape
    kids = np.empty((n, P), dtype=np.uint8)
    where = np.empty(n, dtype=np.int64)
    order = np.arange(N)
    cursor = N  # next unused entry of the current permutation
    every = np.ones(P, dtype=np.bool_)
    canon = np.empty(P, dtype=np.uint8)
    parents = np.empty(2, dtype=np.int64)
    keys = _hash_keys(P)
    made = 0
    for _ in range(attempts * n):
        if made == n:
            break
        for k in range(2):
            if cursor + 2 > N:
                _shuffle(order, st)
                cursor = 0
            parents[k] = _winner(int(order[cursor]), int(order[cursor + 1]), F, cv, crowd, st)
            cursor += 2
        child = kids[made]
        crossed = _uniform(st) < crossover_rate
        if crossed:
            _crossover_row(pop[parents[0]], pop[parents[1]], child, st)
        else:
            child[:] = pop[parents[0]]
        if _mutate_row(child, mutation_rate, n_choices, every, not crossed, st) == 0 and not crossed:
            continue  # a parent's copy: in the population, so a duplicate (no need to look it up)
        _canonical_row(child, switch, threshold, canon)
        slot = _find(canon, store, table, keys)
        e = table[slot]
        if e >= 0 and stamp[e] == mark:
            continue
        if e < 0:
            e = n_store
            store[e] = canon
            table[slot] = e
            n_store += 1
        stamp[e] = mark
        where[made] = e
        made += 1
    return kids[:made], where[:made], n_store


@njit(inline="always")
def _crossover_row(a: NDArray[np.uint8], b: NDArray[np.uint8], out: NDArray[np.uint8],
                   st: NDArray[np.uint64]) -> None:
    bits = np.uint64(0)
    for p in range(a.shape[0]):
        if p % 64 == 0:  # one draw gives 64 coins
            bits = _bits(st)
        take_b = np.uint8(0) - np.uint8(bits & np.uint64(1))  # 0 or 255: branch-free choice
        out[p] = a[p] ^ ((a[p] ^ b[p]) & take_b)
        bits >>= np.uint64(1)


@njit(inline="always")
def _mutate_row(c: NDArray[np.uint8], rate: float, n_choices: NDArray[np.int64], used: NDArray[np.bool_],
                at_least_one: bool, st: NDArray[np.uint64]) -> int:
    """Each entry with probability `rate`: the gaps between mutated entries are geometric, so
    a row costs about 1 + P * rate draws instead of P. With `at_least_one` the draws are
    conditioned on at least one (the first gap on ending inside the row): the same law as
    drawing again until one. Returns how many entries changed."""
    changed = 0
    P = c.shape[0]
    if rate <= 0.0:
        return changed
    log_keep = np.log1p(-rate) if rate < 1.0 else -np.inf
    inside = -np.expm1(log_keep * P) if at_least_one else 1.0  # P(a first gap < P)
    p = _gap(st, log_keep, inside, P)
    while p < P:
        k = n_choices[p]
        if used[p] and k > 1:
            c[p] = (c[p] + 1 + int(_uniform(st) * (k - 1))) % k
            changed += 1
        p += 1 + _gap(st, log_keep, 1.0, P)
    return changed


@njit(inline="always")
def _gap(st: NDArray[np.uint64], log_keep: float, inside: float, cap: int) -> int:
    """Entries skipped before the next mutated one: geometric, drawn by inversion from its
    first `inside` of probability; capped at `cap` (tiny rates give gaps beyond int64)."""
    return int(min(np.log1p(-_uniform(st) * inside) / log_keep, cap))


@njit(inline="always")
def _used(c: NDArray[np.uint8], switch: NDArray[np.int64], threshold: NDArray[np.int64], out: NDArray[np.bool_]) -> None:
    for p in range(c.shape[0]):
        out[p] = switch[p] < 0 or c[switch[p]] >= threshold[p]


@njit(inline="always")
def _canonical_row(c: NDArray[np.uint8], switch: NDArray[np.int64], threshold: NDArray[np.int64],
                   out: NDArray[np.uint8]) -> None:
    for p in range(c.shape[0]):
        out[p] = c[p] if switch[p] < 0 or c[switch[p]] >= threshold[p] else 0


@njit(inline="always")
def _winner(a: int, b: int, F: NDArray[np.float64], cv: NDArray[np.float64], crowd: NDArray[np.float64],
            st: NDArray[np.uint64]) -> int:
    if cv[a] != cv[b]:
        return a if cv[a] < cv[b] else b
    a_better = b_better = False
    for j in range(F.shape[1]):
        if F[a, j] < F[b, j]:
            a_better = True
        elif F[b, j] < F[a, j]:
            b_better = True
    if a_better != b_better:
        return a if a_better else b
    if crowd[a] != crowd[b]:
        return a if crowd[a] > crowd[b] else b
    return a if _uniform(st) < 0.5 else b


@njit(inline="always")
def _shuffle(order: NDArray[np.int64], st: NDArray[np.uint64]) -> None:
    for i in range(order.shape[0] - 1, 0, -1):
        j = int(_uniform(st) * (i + 1))
        order[i], order[j] = order[j], order[i]


@njit(inline="always")
def _hash_keys(positions: int) -> NDArray[np.uint64]:
    """A pseudo-random odd 64-bit key per position (splitmix64 of the position)."""
    keys = np.empty(positions, dtype=np.uint64)
    for p in range(positions):
        k = np.uint64(p + 1) * np.uint64(0x9E3779B97F4A7C15)
        k = (k ^ (k >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        k = (k ^ (k >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        keys[p] = (k ^ (k >> np.uint64(31))) | np.uint64(1)
    return keys


@njit(inline="always")
def _find(row: NDArray[np.uint8], store: NDArray[np.uint8], table: NDArray[np.int64],
          keys: NDArray[np.uint64]) -> np.int64:
    """The slot of `row` in `table`, or the empty slot where it belongs (linear probing). The hash
    is multilinear, the sum of (code + 1) times each position's key, then mixed."""
    h = np.uint64(0)
    for p in range(row.shape[0]):
        h += np.uint64(row[p] + 1) * keys[p]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    mask = np.uint64(table.shape[0] - 1)
    slot = np.int64(h & mask)
    while True:
        e = table[slot]
        if e < 0:
            return slot
        same = True
        for p in range(row.shape[0]):
            if store[e, p] != row[p]:
                same = False
                break
        if same:
            return slot
        slot = np.int64(np.uint64(slot + 1) & mask)


@njit(inline="always")
def _generator(seed: int) -> NDArray[np.uint64]:
    """xoshiro256** state (4,) from `seed` through splitmix64."""
    st = np.empty(4, dtype=np.uint64)
    x = np.uint64(seed)
    for k in range(4):
        x += np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        st[k] = z ^ (z >> np.uint64(31))
    return st


@njit(inline="always")
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(inline="always")
def _bits(st: NDArray[np.uint64]) -> np.uint64:
    """64 random bits (xoshiro256**, Blackman and Vigna)."""
    out = _rotl(st[1] * np.uint64(5), 7) * np.uint64(9)
    t = st[1] << np.uint64(17)
    st[2] ^= st[0]
    st[3] ^= st[1]
    st[1] ^= st[2]
    st[0] ^= st[3]
    st[2] ^= t
    st[3] = _rotl(st[3], 45)
    return out


@njit(inline="always")
def _uniform(st: NDArray[np.uint64]) -> float:
    """A uniform float64 in [0, 1)."""
    return float(_bits(st) >> np.uint64(11)) * 1.1102230246251565e-16
