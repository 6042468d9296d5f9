// Pareto dominance: non-dominated filtering and full non-dominated sorting.
//
// Points are rows of an n x m objective matrix, all objectives minimised (maximised ones are
// negated when their keys are built). q dominates p when q <= p in every objective and
// q != p; identical points do not dominate each other, so duplicates share a front.
// Every comparison is on order-preserving 64-bit keys (rank.hpp), so -0.0 equals +0.0 and
// +-inf are ordinary values. All algorithms start from the lexicographic order of the rows:
//   m = 1    the smallest value (with its duplicates) / ranks of distinct values;
//   m = 2    one sweep (filter), binary search over the fronts' last points (sort): O(n log n);
//   m = 3    a staircase (staircase.hpp) of the non-dominated (f2, f3) seen so far (filter),
//            one staircase per front with a binary search over fronts (sort): O(n log n);
//   m >= 4   each point against the non-dominated points before it in lexicographic order
//            (only those can dominate it), fronts found by binary search: exact, O(n^2 m) worst.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "oneproxy/dominance.hpp"
#include "oneproxy/rank.hpp"
#include "oneproxy/staircase.hpp"

namespace oneproxy {

// Keys of an n x m row-major matrix, a row per point; maximised objectives negated.
struct ObjectiveKeys {
    std::size_t n = 0, m = 0;
    std::vector<std::uint64_t> key;  // n * m
    std::size_t first_nan_row;       // n when there is no NaN (then the keys are usable)

    ObjectiveKeys(const double* F, std::size_t n_, std::size_t m_, const std::vector<char>& maximise)
        : n(n_), m(m_), key(n_ * m_), first_nan_row(n_) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < m; ++j) {
                const double v = F[i * m + j];
                if (std::isnan(v) && first_nan_row == n) first_nan_row = i;
                key[i * m + j] = sort_key(maximise[j] ? -v : v);
            }
    }
    const std::uint64_t* row(std::size_t i) const { return &key[i * m]; }

    bool identical(std::size_t a, std::size_t b) const {
        return std::equal(row(a), row(a) + m, row(b));
    }
    bool weakly_dominates(std::size_t a, std::size_t b) const { return oneproxy::weakly_dominates(row(a), row(b), m); }
    bool dominates(std::size_t a, std::size_t b) const { return oneproxy::dominates(row(a), row(b), m); }
};

// Point indices in lexicographic order of their rows, ties by index (so the first of
// identical points in input order comes first). Radix sort on the first objective, then
// the (usually tiny) groups tied in it by comparison. If `first_sorted` is given, it receives
// the first objective's keys in that order.
inline std::vector<std::uint32_t> lexicographic_order(const ObjectiveKeys& K,
                                                      std::vector<std::uint64_t>* first_sorted = nullptr) {
    std::vector<std::uint32_t> order(K.n);
    if (first_sorted != nullptr) first_sorted->resize(K.n);
    auto leaf = [&](const KeyIndex* a, std::size_t m, std::size_t start) {
        if (first_sorted != nullptr)
            for (std::size_t k = 0; k < m; ++k) (*first_sorted)[start + k] = a[k].key;
        for_each_tie_group(a, m, [&](std::size_t i, std::size_t j) {
            for (std::size_t k = i; k < j; ++k) order[start + k] = a[k].index;
            if (j - i > 1 && K.m > 1)
                std::sort(order.begin() + start + i, order.begin() + start + j,
                          [&](std::uint32_t p, std::uint32_t q) {
                              const auto *rp = K.row(p) + 1, *rq = K.row(q) + 1;
                              const auto diff = std::mismatch(rp, rp + K.m - 1, rq);
                              return diff.first == rp + K.m - 1 ? p < q : *diff.first < *diff.second;
                          });
            else if (j - i > 1)
                std::sort(order.begin() + start + i, order.begin() + start + j);
        });
    };
    for_each_sorted_run(K.key.data(), K.n, leaf, K.m);  // the first column, in place
    return order;
}

// Column j of the keys in the given order: one gather loop of independent loads, so that the
// sweeps below run over contiguous memory instead of chasing rows (3x faster at n = 1e7).
inline std::vector<std::uint64_t> sorted_column(const ObjectiveKeys& K,
                                                const std::vector<std::uint32_t>& order, std::size_t j) {
    std::vector<std::uint64_t> column(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) column[k] = K.row(order[k])[j];
    return column;
}

// ---------------------------------------------------------------------------- filtering

// out[i] = 1 where point i is non-dominated. keep_duplicates = false keeps only the first
// (in input order) of identical non-dominated points. `swept`, if given, receives the
// lexicographic order of the points (identical ones adjacent, in input order).
inline void nondominated_mask(const ObjectiveKeys& K, bool keep_duplicates, char* out,
                              std::vector<std::uint32_t>* swept = nullptr) {
    const std::size_t n = K.n, m = K.m;
    if (n == 0) return;
    std::vector<std::uint64_t> f1;
    std::vector<std::uint32_t> order = lexicographic_order(K, m <= 3 ? &f1 : nullptr);
    if (m == 2 || m == 3) {  // sweeps over gathered columns, f1 ascending
        const std::vector<std::uint64_t> f2 = sorted_column(K, order, 1);
        const std::vector<std::uint64_t> f3 = m == 3 ? sorted_column(K, order, 2) : std::vector<std::uint64_t>();
        std::uint64_t best = f2[0];  // m = 2: the smallest f2 so far
        Staircase<std::uint64_t> stairs;  // m = 3: the non-dominated (f2, f3) so far
        bool free = false;
        for (std::size_t k = 0; k < n; ++k) {
            if (k > 0 && f1[k] == f1[k - 1] && f2[k] == f2[k - 1] && (m == 2 || f3[k] == f3[k - 1])) {
                out[order[k]] = free && keep_duplicates;  // a copy of the previous point
                continue;
            }
            if (m == 2) {
                free = k == 0 || f2[k] < best;
                best = std::min(best, f2[k]);
            } else {
                free = stairs.add(f2[k], f3[k]);
            }
            out[order[k]] = free;
        }
    } else {
        std::vector<std::uint32_t> front;  // m = 1 or m >= 4: non-dominated so far
        bool free = false;                 // whether the previous point is non-dominated
        for (std::size_t k = 0; k < n; ++k) {
            const std::uint32_t p = order[k];
            // Identical rows are adjacent in lexicographic order: the first decides for all.
            if (k > 0 && K.identical(order[k - 1], p)) {
                out[p] = free && keep_duplicates;
                continue;
            }
            if (m == 1) {
                free = k == 0;
            } else {  // only points before p in lexicographic order can dominate it
                free = std::none_of(front.begin(), front.end(),
                                    [&](std::uint32_t q) { return K.weakly_dominates(q, p); });
                if (free) front.push_back(p);
            }
            out[p] = free;
        }
    }
    if (swept != nullptr) *swept = std::move(order);
}

// ---------------------------------------------------------------------------- sorting

// Index of the first element of sorted v greater than x. Branch-free: the comparisons of a
// binary search over front boundaries are unpredictable, and a mispredicted branch per step
// tripled the time of the 2-D sort.
inline std::size_t first_greater(const std::vector<std::uint64_t>& v, std::uint64_t x) {
    const std::uint64_t* base = v.data();
    std::size_t len = v.size();
    while (len > 1) {
        const std::size_t half = len / 2;
        base = (base[half - 1] <= x) ? base + half : base;
        len -= half;
    }
    return static_cast<std::size_t>(base - v.data()) + (len == 1 && *base <= x);
}

// rank[i] = index of point i's front (0 = non-dominated). Identical points share a front.
inline void nondominated_sort(const ObjectiveKeys& K, std::int64_t* rank) {
    const std::size_t n = K.n, m = K.m;
    if (n == 0) return;
    std::vector<std::uint64_t> f1;
    const std::vector<std::uint32_t> order = lexicographic_order(K, m <= 3 ? &f1 : nullptr);
    // place(): the first front none of whose points dominates the point. Fronts are
    // nested (a point dominated by front f is dominated by every front before f), so the
    // predicate "front f dominates p" is true then false along f: binary search.
    auto place = [&](std::size_t fronts, auto&& dominated_by_front) {
        std::size_t lo = 0, hi = fronts;
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (dominated_by_front(mid)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    };
    if (m == 1 || m == 2) {
        const std::vector<std::uint64_t> fm = m == 1 ? f1 : sorted_column(K, order, 1);
        std::vector<std::uint64_t> last;  // f2 (or f1) of each front's last point
        for (std::size_t k = 0; k < n; ++k) {
            if (k > 0 && f1[k] == f1[k - 1] && fm[k] == fm[k - 1]) {  // a copy of the previous point
                rank[order[k]] = rank[order[k - 1]];
                continue;
            }
            // m = 2: front f's last point dominates p iff its f2 <= p's (its f1 is <=);
            // m = 1: every new value opens a front
            const std::size_t f = m == 2 ? first_greater(last, fm[k]) : last.size();
            if (f == last.size()) last.push_back(fm[k]);
            else last[f] = fm[k];
            rank[order[k]] = static_cast<std::int64_t>(f);
        }
    } else if (m == 3) {
        const std::vector<std::uint64_t> f2 = sorted_column(K, order, 1), f3 = sorted_column(K, order, 2);
        std::vector<Staircase<std::uint64_t>> fronts;
        for (std::size_t k = 0; k < n; ++k) {
            if (k > 0 && f1[k] == f1[k - 1] && f2[k] == f2[k - 1] && f3[k] == f3[k - 1]) {
                rank[order[k]] = rank[order[k - 1]];  // a copy of the previous point
                continue;
            }
            const std::size_t f = place(fronts.size(), [&](std::size_t g) { return fronts[g].covers(f2[k], f3[k]); });
            if (f == fronts.size()) fronts.emplace_back();
            fronts[f].add(f2[k], f3[k]);
            rank[order[k]] = static_cast<std::int64_t>(f);
        }
    } else {
        std::vector<std::vector<std::uint32_t>> fronts;
        for (std::size_t k = 0; k < n; ++k) {
            const std::uint32_t p = order[k];
            if (k > 0 && K.identical(order[k - 1], p)) {
                rank[p] = rank[order[k - 1]];
                continue;
            }
            const std::size_t f = place(fronts.size(), [&](std::size_t g) {
                return std::any_of(fronts[g].begin(), fronts[g].end(),
                                   [&](std::uint32_t q) { return K.dominates(q, p); });
            });
            if (f == fronts.size()) fronts.emplace_back();
            fronts[f].push_back(p);
            rank[p] = static_cast<std::int64_t>(f);
        }
    }
}

}  // namespace oneproxy
