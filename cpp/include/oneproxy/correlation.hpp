// Spearman's rho and Kendall's tau-b between vectors and between the rows of a matrix.
//
// Spearman: Pearson correlation of average ranks (as scipy.stats.spearmanr).
// Kendall: tau-b by Knight's O(n log n) method (as scipy.stats.kendalltau): order the pairs
// by (x, y), count discordant pairs as inversions of y, correct for ties in x, y and both.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "oneproxy/parallel.hpp"
#include "oneproxy/rank.hpp"

namespace oneproxy {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class T>
inline bool is_missing(T v) noexcept {
    if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
    else return false;
}

// Inputs below this many elements are ranked on one thread: a thread costs more than it saves.
constexpr std::size_t kParallelMin = 1 << 15;

// ---------------------------------------------------------------------------- Spearman

// Sums of products of centred ranks, which are integers below n in magnitude, are kept exact:
// runs short enough that every partial sum is an integer below 2**53 are summed in double
// (fast, and exact), and the runs' sums are added in 128-bit integers. Plain double sums lose
// ~1e-12 of the correlation at n = 2e6.
#if defined(__SIZEOF_INT128__)
using ExactSum = __int128;
#else
using ExactSum = long double;  // exact to 2**64 on x86; elsewhere as good as double
#endif

// Length of a run of products of integers of magnitude below n whose sum is exact in double.
inline std::size_t exact_run(std::size_t n) {
    const double square = std::max(1.0, static_cast<double>(n) * static_cast<double>(n));
    return std::clamp<std::size_t>(static_cast<std::size_t>(9007199254740992.0 / square), 64, 4096);
}

// sum(a[k] * b[k]) over k < len, for a run no longer than exact_run(): four partial sums for
// instruction-level parallelism, each exact, so their total is exact too.
template <class R>
double run_dot(const R* a, const R* b, std::size_t len) {
    double s[4] = {0, 0, 0, 0};
    std::size_t k = 0;
    for (; k + 4 <= len; k += 4)
        for (int u = 0; u < 4; ++u)
            s[u] += static_cast<double>(a[k + u]) * static_cast<double>(b[k + u]);
    for (; k < len; ++k) s[0] += static_cast<double>(a[k]) * static_cast<double>(b[k]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

inline double correlation_of_sums(ExactSum ab, ExactSum aa, ExactSum bb) {
    if (aa == 0 || bb == 0) return kNaN;
    const double r = static_cast<double>(ab) /
                     std::sqrt(static_cast<double>(aa) * static_cast<double>(bb));
    return std::clamp(r, -1.0, 1.0);
}

// Pearson correlation of centred rank vectors a, b (as centred_ranks writes them); nan when
// either is constant.
inline double centred_correlation(const double* a, const double* b, std::size_t n) {
    const std::size_t run = exact_run(n);
    ExactSum ab = 0, aa = 0, bb = 0;
    for (std::size_t lo = 0; lo < n; lo += run) {
        const std::size_t len = std::min(run, n - lo);
        ab += static_cast<ExactSum>(run_dot(a + lo, b + lo, len));
        aa += static_cast<ExactSum>(run_dot(a + lo, a + lo, len));
        bb += static_cast<ExactSum>(run_dot(b + lo, b + lo, len));
    }
    return correlation_of_sums(ab, aa, bb);
}

// Spearman's rho of x[0..n) and y[0..n), which hold no NaN. n < 2 gives nan.
template <class T, class U>
double spearman(const T* x, const U* y, std::size_t n, unsigned threads) {
    if (n < 2) return kNaN;
    Scratch<double> cx(n), cy(n);
    parallel_for(2, n >= kParallelMin ? threads : 1, [&](std::size_t which) {
        if (which == 0) centred_ranks(x, n, cx.data());
        else centred_ranks(y, n, cy.data());
    });
    return centred_correlation(cx.data(), cy.data(), n);
}

// ---------------------------------------------------------------------------- Kendall

// Merges sorted a[lo..mid) and a[mid..hi) into out[lo..hi); returns the pairs (i < mid <= j)
// with a[i] > a[j]. Branch-free: on random data a branch per element mispredicts half the time.
inline std::uint64_t merge_counting(const std::uint32_t* a, std::size_t lo, std::size_t mid,
                                    std::size_t hi, std::uint32_t* out) {
    std::uint64_t count = 0;
    std::size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) {
        const bool right = a[j] < a[i];
        out[k++] = right ? a[j] : a[i];
        count += right ? mid - i : 0;
        j += right;
        i += !right;
    }
    while (i < mid) out[k++] = a[i++];
    while (j < hi) out[k++] = a[j++];
    return count;
}

// Sorts a[0..n) ascending and returns the number of pairs i < j with a[i] > a[j]
// (bottom-up merge sort; equal values are not inversions).
inline std::uint64_t count_inversions(std::uint32_t* a, std::size_t n, std::uint32_t* tmp) {
    constexpr std::size_t kRun = 16;
    std::uint64_t count = 0;
    for (std::size_t lo = 0; lo < n; lo += kRun) {  // insertion sort of short runs
        const std::size_t hi = std::min(lo + kRun, n);
        for (std::size_t i = lo + 1; i < hi; ++i) {
            const std::uint32_t v = a[i];
            std::size_t j = i;
            for (; j > lo && a[j - 1] > v; --j) a[j] = a[j - 1];
            count += i - j;
            a[j] = v;
        }
    }
    std::uint32_t* src = a;
    std::uint32_t* dst = tmp;
    for (std::size_t width = kRun; width < n; width *= 2) {
        for (std::size_t lo = 0; lo < n; lo += 2 * width)
            count += merge_counting(src, lo, std::min(lo + width, n), std::min(lo + 2 * width, n), dst);
        std::swap(src, dst);
    }
    if (src != a) std::copy(src, src + n, a);
    return count;
}

// Inversions of a[0..n), the two halves counted on two threads when there are two.
inline std::uint64_t count_inversions(std::vector<std::uint32_t>& a, unsigned threads) {
    const std::size_t n = a.size();
    std::vector<std::uint32_t> tmp(n);
    if (threads < 2 || n < kParallelMin) return count_inversions(a.data(), n, tmp.data());
    const std::size_t mid = n / 2;
    std::uint64_t halves[2] = {0, 0};
    parallel_for(2, 2, [&](std::size_t h) {
        const std::size_t lo = h == 0 ? 0 : mid, len = h == 0 ? mid : n - mid;
        halves[h] = count_inversions(a.data() + lo, len, tmp.data() + lo);
    });
    const std::uint64_t cross = merge_counting(a.data(), 0, mid, n, tmp.data());
    a.swap(tmp);
    return halves[0] + halves[1] + cross;
}

// Calls run(i, j) for each run [i, j) of equal values in v[0..n).
template <class F>
void for_each_run(const std::uint32_t* v, std::size_t n, F&& run) {
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && v[j] == v[i]) ++j;
        run(i, j);
        i = j;
    }
}

// Kendall's tau-b from the dense ranks of x and y (same length n).
inline double kendall_from_ranks(const DenseRanks& rx, const DenseRanks& ry, unsigned threads) {
    const std::size_t n = rx.rank.size();
    if (n < 2) return kNaN;
    const std::uint64_t total = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    if (rx.tied_pairs == total || ry.tied_pairs == total) return kNaN;  // a constant input

    // y ranks of the pairs sorted by (x, y).
    std::vector<std::uint32_t> ys(n);
    if (4 * static_cast<std::size_t>(rx.distinct) >= n) {
        // Mostly distinct x: gather y in x order, then sort y within the (small) x tie groups.
        for (std::size_t k = 0; k < n; ++k) ys[k] = ry.rank[rx.order[k]];
        for_each_run(rx.rank_sorted.data(), n, [&](std::size_t i, std::size_t j) {
            if (j - i > 1) std::sort(ys.begin() + i, ys.begin() + j);
        });
    } else {
        // Heavy ties in x: stable counting sort of the y order by x rank.
        std::vector<std::uint32_t> next(rx.distinct + 1, 0);
        for (std::uint32_t r : rx.rank) ++next[r + 1];
        for (std::size_t g = 1; g <= rx.distinct; ++g) next[g] += next[g - 1];
        for (std::uint32_t pos : ry.order) ys[next[rx.rank[pos]]++] = ry.rank[pos];
    }
    // Runs of equal y inside an x tie group are the pairs tied in both.
    std::uint64_t joint_ties = 0;
    for_each_run(rx.rank_sorted.data(), n, [&](std::size_t i, std::size_t j) {
        for_each_run(ys.data() + i, j - i, [&](std::size_t a, std::size_t b) {
            const std::uint64_t t = b - a;
            joint_ties += t * (t - 1) / 2;
        });
    });

    const std::uint64_t discordant = count_inversions(ys, threads);
    const std::int64_t untied = static_cast<std::int64_t>(total - rx.tied_pairs - ry.tied_pairs +
                                                          joint_ties);
    const double con_minus_dis =
        static_cast<double>(untied - 2 * static_cast<std::int64_t>(discordant));
    const double tau = con_minus_dis / std::sqrt(static_cast<double>(total - rx.tied_pairs)) /
                       std::sqrt(static_cast<double>(total - ry.tied_pairs));
    return std::clamp(tau, -1.0, 1.0);
}

// Kendall's tau-b of x[0..n) and y[0..n), which hold no NaN. n < 2 gives nan.
template <class T, class U>
double kendall(const T* x, const U* y, std::size_t n, unsigned threads) {
    if (n < 2) return kNaN;
    DenseRanks rx, ry;
    parallel_for(2, n >= kParallelMin ? threads : 1, [&](std::size_t which) {
        if (which == 0) rx = dense_ranks(x, n);
        else ry = dense_ranks(y, n);
    });
    return kendall_from_ranks(rx, ry, threads);
}

// ---------------------------------------------------------------------------- missing values

// Copies the pairs (x[i], y[i]) in which neither value is NaN.
template <class T, class U>
std::size_t complete_pairs(const T* x, const U* y, std::size_t n, std::vector<T>& xs,
                           std::vector<U>& ys) {
    xs.clear();
    ys.clear();
    for (std::size_t i = 0; i < n; ++i)
        if (!is_missing(x[i]) && !is_missing(y[i])) {
            xs.push_back(x[i]);
            ys.push_back(y[i]);
        }
    return xs.size();
}

// Correlation of complete pairs only ("omit"): `corr` is spearman<T,U> or kendall<T,U>.
template <class T, class U, class Corr>
double omitting_missing(const T* x, const U* y, std::size_t n, unsigned threads, Corr corr) {
    std::vector<T> xs;
    std::vector<U> ys;
    const std::size_t m = complete_pairs(x, y, n, xs, ys);
    return corr(xs.data(), ys.data(), m, threads);
}

// ---------------------------------------------------------------------------- matrices

enum class MissingRows { propagate, pairwise };

template <class T>
std::vector<char> rows_with_missing(const T* L, std::size_t d, std::size_t n, unsigned threads) {
    std::vector<char> missing(d, 0);
    if constexpr (std::is_floating_point_v<T>)
        parallel_for(d, threads, [&](std::size_t i) {
            missing[i] = std::any_of(L + i * n, L + (i + 1) * n, [](T v) { return std::isnan(v); });
        });
    return missing;
}

// Fills out[d*d] for pairs touching a row with NaN: nan, or the pair's complete observations.
template <class T, class Corr>
void fill_missing_pairs(const T* L, std::size_t d, std::size_t n, const std::vector<char>& missing,
                        MissingRows policy, double* out, unsigned threads, Corr corr) {
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = i; j < d; ++j)
            if (missing[i] || missing[j]) pairs.emplace_back(i, j);
    parallel_for(pairs.size(), threads, [&](std::size_t p) {
        const auto [i, j] = pairs[p];
        const double r = policy == MissingRows::propagate
                             ? kNaN
                             : omitting_missing(L + i * n, L + j * n, n, 1, corr);
        out[i * d + j] = out[j * d + i] = r;
    });
    // A variable correlates perfectly with itself unless it is constant (rounding aside).
    for (std::size_t i = 0; i < d; ++i)
        if (!std::isnan(out[i * d + i])) out[i * d + i] = 1.0;
}

// Spearman matrix of the rows of L (d x n, row-major) into out (d x d). Returns which rows
// hold a NaN.
template <class T>
std::vector<char> spearman_matrix(const T* L, std::size_t d, std::size_t n, MissingRows policy, double* out,
                     unsigned threads) {
    const std::vector<char> missing = rows_with_missing(L, d, n, threads);
    std::vector<std::size_t> full;  // rows without NaN
    for (std::size_t i = 0; i < d; ++i)
        if (!missing[i]) full.push_back(i);
    const std::size_t f = full.size();

    // int32 centred ranks (the binding keeps n below 2**31): half the memory of doubles (a
    // fresh 160 MB costs 80 ms of page faults at 20 x 1e6), left uninitialised so that the
    // pages are first touched by the ranking threads, in parallel.
    const std::unique_ptr<std::int32_t[]> C(new std::int32_t[f * n]);
    parallel_for(f, threads, [&](std::size_t a) { centred_ranks(L + full[a] * n, n, &C[a * n]); });

    // Gram matrix of the centred rank rows, over column runs that stay in cache (and whose
    // sums are exact, see exact_run), each chunk of runs summed on any thread into its own
    // accumulators, which add up exactly in a fixed order: the result is deterministic.
    const std::size_t run = exact_run(n);
    const std::size_t runs = (n + run - 1) / run;
    const std::size_t chunks = std::min<std::size_t>(runs, 8);
    std::vector<ExactSum> gram(chunks * f * f, 0);
    parallel_for(chunks, threads, [&](std::size_t c) {
        ExactSum* g = &gram[c * f * f];
        for (std::size_t b = c; b < runs; b += chunks) {
            const std::size_t lo = b * run, len = std::min(run, n - lo);
            for (std::size_t a = 0; a < f; ++a)
                for (std::size_t e = a; e < f; ++e)
                    g[a * f + e] += static_cast<ExactSum>(run_dot(&C[a * n + lo], &C[e * n + lo], len));
        }
    });
    for (std::size_t c = 1; c < chunks; ++c)
        for (std::size_t k = 0; k < f * f; ++k) gram[k] += gram[c * f * f + k];
    for (std::size_t a = 0; a < f; ++a)
        for (std::size_t e = a; e < f; ++e) {
            const double r = n < 2 ? kNaN
                                   : correlation_of_sums(gram[a * f + e], gram[a * f + a], gram[e * f + e]);
            out[full[a] * d + full[e]] = out[full[e] * d + full[a]] = r;
        }
    fill_missing_pairs(L, d, n, missing, policy, out, threads,
                       [](const T* x, const T* y, std::size_t m, unsigned t) {
                           return spearman(x, y, m, t);
                       });
    return missing;
}

// Kendall tau-b matrix of the rows of L (d x n, row-major) into out (d x d). Returns which
// rows hold a NaN.
template <class T>
std::vector<char> kendall_matrix(const T* L, std::size_t d, std::size_t n, MissingRows policy, double* out,
                    unsigned threads) {
    const std::vector<char> missing = rows_with_missing(L, d, n, threads);
    std::vector<DenseRanks> ranks(d);
    parallel_for(d, threads, [&](std::size_t i) {
        if (!missing[i]) ranks[i] = dense_ranks(L + i * n, n);
    });
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = i; j < d; ++j)
            if (!missing[i] && !missing[j]) pairs.emplace_back(i, j);
    parallel_for(pairs.size(), threads, [&](std::size_t p) {
        const auto [i, j] = pairs[p];
        out[i * d + j] = out[j * d + i] = kendall_from_ranks(ranks[i], ranks[j], 1);
    });
    fill_missing_pairs(L, d, n, missing, policy, out, threads,
                       [](const T* x, const T* y, std::size_t m, unsigned t) {
                           return kendall(x, y, m, t);
                       });
    return missing;
}

}  // namespace oneproxy
