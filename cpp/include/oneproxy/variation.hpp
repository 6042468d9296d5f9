// Genetic operators on rows of choices (uint8 codes, P per row), the store of evaluated
// architectures they look children up in, and NSGA-II's offspring step.
//
// Position p of a row has n_choices[p] codes and is used when switch_[p] < 0 or
// row[switch_[p]] >= threshold[p] (once-for-all: a block is used when its stage is deep
// enough); canonical rows hold 0 where unused. Random numbers come from xoshiro256**, seeded
// per call by the caller, so a seed fixes every result.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "oneproxy/dominance.hpp"

namespace oneproxy {

// xoshiro256** (Blackman and Vigna), its state filled by splitmix64 from the seed.
class Xoshiro256 {
public:
    explicit Xoshiro256(std::uint64_t seed) {
        for (auto& s : s_) {
            seed += 0x9E3779B97F4A7C15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            s = z ^ (z >> 31);
        }
    }
    std::uint64_t bits() {
        const std::uint64_t out = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return out;
    }
    double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }  // [0, 1)
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

// A space's rows: how many codes each position has and when it is used (P entries each).
struct Layout {
    std::size_t P = 0;
    std::vector<std::int64_t> n_choices, switch_, threshold;

    bool used(const std::uint8_t* row, std::size_t p) const {
        return switch_[p] < 0 || row[switch_[p]] >= threshold[p];
    }
    void canonical(const std::uint8_t* row, std::uint8_t* out) const {
        for (std::size_t p = 0; p < P; ++p) out[p] = used(row, p) ? row[p] : 0;
    }
};

// Uniform crossover: each entry from b or a with equal odds (64 coins a draw).
inline void crossover_row(const std::uint8_t* a, const std::uint8_t* b, std::uint8_t* out, std::size_t P,
                          Xoshiro256& g) {
    std::uint64_t coins = 0;
    for (std::size_t p = 0; p < P; ++p) {
        if (p % 64 == 0) coins = g.bits();
        out[p] = (coins & 1) ? b[p] : a[p];
        coins >>= 1;
    }
}

// Entries skipped before the next mutated one: geometric with log(1 - rate) = log_keep, drawn
// by inversion from the first `inside` of its probability; capped at `cap` (tiny rates give
// gaps beyond any integer).
inline std::size_t geometric_gap(Xoshiro256& g, double log_keep, double inside, std::size_t cap) {
    const double x = std::log1p(-g.uniform() * inside) / log_keep;
    return x < static_cast<double>(cap) ? static_cast<std::size_t>(x) : cap;
}

// Each entry of c (P) with `used[p]` (all when null) and more than one code moves with
// probability `rate` to one of its other codes, chosen uniformly. The gaps between mutated
// entries are geometric, so a row costs about 1 + P * rate draws. With `at_least_one` the draws
// are conditioned on at least one (the first gap on ending inside the row): the law of drawing
// again until one. Returns how many entries changed.
inline std::size_t mutate_row(std::uint8_t* c, std::size_t P, double rate, const std::int64_t* n_choices,
                              const char* used, bool at_least_one, Xoshiro256& g) {
    if (!(rate > 0.0)) return 0;
    const double log_keep = rate < 1.0 ? std::log1p(-rate) : -std::numeric_limits<double>::infinity();
    const double inside = at_least_one ? -std::expm1(log_keep * static_cast<double>(P)) : 1.0;
    std::size_t changed = 0;
    for (std::size_t p = geometric_gap(g, log_keep, inside, P); p < P; p += 1 + geometric_gap(g, log_keep, 1.0, P)) {
        const auto k = static_cast<std::size_t>(n_choices[p]);
        if ((used == nullptr || used[p]) && k > 1) {
            c[p] = static_cast<std::uint8_t>((c[p] + 1 + g.below(k - 1)) % k);
            ++changed;
        }
    }
    return changed;
}

// The operators over n rows (row-major, L.P each), one generator seeded by `seed` for all.
inline void crossover(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, std::size_t P,
                      std::uint64_t seed, std::uint8_t* out) {
    Xoshiro256 g(seed);
    for (std::size_t i = 0; i < n; ++i) crossover_row(a + i * P, b + i * P, out + i * P, P, g);
}

// In place; with `used_only`, only the entries used before the row changes may move.
inline void mutate(std::uint8_t* rows, std::size_t n, const Layout& L, double rate, bool used_only,
                   bool at_least_one, std::uint64_t seed) {
    Xoshiro256 g(seed);
    std::vector<char> used(L.P, 1);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t* row = rows + i * L.P;
        if (used_only)
            for (std::size_t p = 0; p < L.P; ++p) used[p] = L.used(row, p);
        mutate_row(row, L.P, rate, L.n_choices.data(), used.data(), at_least_one, g);
    }
}

inline void canonical(const std::uint8_t* rows, std::size_t n, const Layout& L, std::uint8_t* out) {
    for (std::size_t i = 0; i < n; ++i) L.canonical(rows + i * L.P, out + i * L.P);
}

// out (n x P): whether each entry is used.
inline void active(const std::uint8_t* rows, std::size_t n, const Layout& L, bool* out) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t p = 0; p < L.P; ++p) out[i * L.P + p] = L.used(rows + i * L.P, p);
}

// Every architecture evaluated, by position in order of first appearance: its canonical row
// (P codes), its objective values (m, minimised) and its constraint violation, NaN until
// recorded. Rows are found through an open-addressing hash table of their positions
// (power-of-two size, -1 empty, linear probing), doubled to stay at most half full.
class Evaluated {
public:
    Evaluated(std::size_t P, std::size_t m) : P_(P), m_(m), table_(16, -1), keys_(P) {
        for (std::size_t p = 0; p < P; ++p) {  // a pseudo-random odd key per position (splitmix64)
            std::uint64_t k = (p + 1) * 0x9E3779B97F4A7C15ULL;
            k = (k ^ (k >> 30)) * 0xBF58476D1CE4E5B9ULL;
            k = (k ^ (k >> 27)) * 0x94D049BB133111EBULL;
            keys_[p] = (k ^ (k >> 31)) | 1;
        }
    }
    std::size_t size() const { return n_; }
    std::size_t positions() const { return P_; }
    std::size_t objectives() const { return m_; }
    const std::vector<std::uint8_t>& rows() const { return rows_; }       // size x P
    const std::vector<double>& values() const { return values_; }         // size x m
    const std::vector<double>& violations() const { return violations_; }  // size
    const std::vector<std::int64_t>& table() const { return table_; }
    const double* values(std::size_t e) const { return &values_[e * m_]; }
    double violation(std::size_t e) const { return violations_[e]; }

    // The position of canonical `row`, or -1 with `slot` where it belongs.
    std::int64_t find(const std::uint8_t* row, std::size_t& slot) const {
        const std::size_t mask = table_.size() - 1;
        for (slot = hash(row) & mask;; slot = (slot + 1) & mask) {
            const std::int64_t e = table_[slot];
            if (e < 0 || std::equal(row, row + P_, &rows_[static_cast<std::size_t>(e) * P_])) return e;
        }
    }
    // Adds canonical `row` (not stored yet) at the empty `slot` that find gave; returns its position.
    std::int64_t insert(const std::uint8_t* row, std::size_t slot) {
        if (2 * (n_ + 1) > table_.size()) {
            grow();
            find(row, slot);
        }
        rows_.insert(rows_.end(), row, row + P_);
        values_.resize(values_.size() + m_, std::numeric_limits<double>::quiet_NaN());
        violations_.push_back(std::numeric_limits<double>::quiet_NaN());
        table_[slot] = static_cast<std::int64_t>(n_);
        return static_cast<std::int64_t>(n_++);
    }
    std::int64_t add(const std::uint8_t* row) {
        std::size_t slot;
        const std::int64_t e = find(row, slot);
        return e >= 0 ? e : insert(row, slot);
    }
    // The values F (k x m) and violations cv (k) of positions [start, start + k).
    void record(std::size_t start, std::size_t k, const double* F, const double* cv) {
        std::copy(F, F + k * m_, values_.begin() + static_cast<std::ptrdiff_t>(start * m_));
        std::copy(cv, cv + k, violations_.begin() + static_cast<std::ptrdiff_t>(start));
    }

private:
    std::uint64_t hash(const std::uint8_t* row) const {
        std::uint64_t h = 0;  // multilinear: the sum of (code + 1) times each position's key, mixed
        for (std::size_t p = 0; p < P_; ++p) h += static_cast<std::uint64_t>(row[p] + 1) * keys_[p];
        h ^= h >> 31;
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 29;
        return h;
    }
    void grow() {
        table_.assign(2 * table_.size(), -1);
        const std::size_t mask = table_.size() - 1;
        for (std::size_t e = 0; e < n_; ++e) {
            std::size_t slot = hash(&rows_[e * P_]) & mask;
            while (table_[slot] >= 0) slot = (slot + 1) & mask;
            table_[slot] = static_cast<std::int64_t>(e);
        }
    }

    std::size_t P_, m_, n_ = 0;
    std::vector<std::uint8_t> rows_;
    std::vector<double> values_, violations_;
    std::vector<std::int64_t> table_;
    std::vector<std::uint64_t> keys_;
};

// A set of positions in Evaluated (open addressing, room for `capacity`): the members a child must
// differ from, small enough to stay in the first-level cache.
class PositionSet {
public:
    explicit PositionSet(std::size_t capacity) {
        std::size_t size = 16;
        while (size < 2 * capacity) size *= 2;
        slots_.assign(size, -1);
    }
    // Adds e (>= 0); false if it was there.
    bool insert(std::int64_t e) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t s = (static_cast<std::uint64_t>(e) * 0x9E3779B97F4A7C15ULL) >> 40 & mask;; s = (s + 1) & mask) {
            if (slots_[s] == e) return false;
            if (slots_[s] < 0) {
                slots_[s] = e;
                return true;
            }
        }
    }

private:
    std::vector<std::int64_t> slots_;
};

// The population NSGA-II's tournaments draw from: genotypes (N x P), minimised objectives
// F (N x m), constraint violations cv (N) and crowding distances (N).
struct Population {
    const std::uint8_t* genotypes;
    std::size_t N, m;
    const double* F;
    const double* cv;
    const double* crowd;

    // The crowded comparison: less violation, then Pareto dominance, then more crowding, then a coin.
    std::size_t winner(std::size_t a, std::size_t b, Xoshiro256& g) const {
        if (cv[a] != cv[b]) return cv[a] < cv[b] ? a : b;
        if (const int d = compare_dominance(F + a * m, F + b * m, m); d != 0) return d > 0 ? a : b;
        if (crowd[a] != crowd[b]) return crowd[a] > crowd[b] ? a : b;
        return g.uniform() < 0.5 ? a : b;
    }
};

struct Breeding {
    double crossover_rate;    // probability a child is the crossover of its parents, else a copy of the first
    double mutation_rate;     // per entry
    std::size_t attempts;     // matings per child wanted before giving up on the rest
};

// Up to n children of `pop` into kids (n x P) and their positions in `evaluated` into where (n):
// binary tournaments between consecutive members of random permutations, uniform crossover
// with probability crossover_rate (else a copy of the first parent), then mutation (of at least
// one entry for a copy). A child whose canonical row is in `taken` (the population's positions,
// and each child's as it is made) is dropped and parents drawn again, up to attempts * n
// matings; new rows join `evaluated`. Returns how many were made.
inline std::size_t offspring(const Population& pop, std::size_t n, const Breeding& how, const Layout& L,
                             Evaluated& evaluated, PositionSet& taken, Xoshiro256& g, std::uint8_t* kids,
                             std::int64_t* where) {
    const std::size_t N = pop.N, P = L.P;
    std::vector<std::size_t> order(N);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::size_t cursor = N;  // next unused entry of the current permutation
    std::vector<std::uint8_t> canon(P);
    std::size_t made = 0;
    for (std::size_t mating = 0; mating < how.attempts * n && made < n && N >= 2; ++mating) {
        std::size_t parents[2];
        for (auto& parent : parents) {
            if (cursor + 2 > N) {
                for (std::size_t i = N - 1; i > 0; --i) std::swap(order[i], order[g.below(i + 1)]);
                cursor = 0;
            }
            parent = pop.winner(order[cursor], order[cursor + 1], g);
            cursor += 2;
        }
        std::uint8_t* child = kids + made * P;
        const std::uint8_t* first = pop.genotypes + parents[0] * P;
        const bool crossed = g.uniform() < how.crossover_rate;
        if (crossed)
            crossover_row(first, pop.genotypes + parents[1] * P, child, P, g);
        else
            std::copy(first, first + P, child);
        if (mutate_row(child, P, how.mutation_rate, L.n_choices.data(), nullptr, !crossed, g) == 0 && !crossed)
            continue;  // a parent's copy: in the population, so a duplicate
        L.canonical(child, canon.data());
        std::size_t slot;
        std::int64_t e = evaluated.find(canon.data(), slot);
        if (e >= 0 && !taken.insert(e)) continue;  // a member, or a child already made
        if (e < 0) taken.insert(e = evaluated.insert(canon.data(), slot));
        where[made++] = e;
    }
    return made;
}

}  // namespace oneproxy
