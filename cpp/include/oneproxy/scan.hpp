// Exhaustive scans of a mixed-radix architecture space under additive objectives: every index
// in [start, stop) is decoded by an odometer, its m objective values summed from per-position
// tables, and tested against a Pareto archive (all objectives minimised; the caller negates
// maximised ones). Nothing per candidate touches memory beyond a small inner table and a grid:
//
// - the last few positions (radix product <= kInnerMax) form one "inner digit" whose sums are
//   tabulated, so a candidate costs m additions of a prefix sum and a table entry; prefix sums
//   of the outer digits are recomputed only from the digit that changed;
// - a grid over the first objective (m = 2) or the first two (m = 3) holds, per cell, the
//   lowest last objective among archive points in strictly lower cells. A candidate above it
//   is dominated (strictly, so exact duplicates of archive points are never rejected here) and
//   costs one load and one compare; the rest go through the exact archive test.
//
// Those sums group the terms otherwise than a predictor's left-to-right sum (constant, then
// digit 0, 1, ...), so they may differ from the prediction in the last bits, and such a bit
// decides dominance between points that tie under the predictor. So the grid rejects a
// candidate only when an archive point is better by more than a slack (at least twice the
// largest such difference) in every objective, and what reaches the archive is summed again
// left to right. Where that is the predictor's own sum (`exact`), the archive compares exactly;
// elsewhere (a predictor whose terms are finer than the digits, in another order; the caller
// gives a slack that covers them) it drops a point only when another is better by more than
// the slack, and the caller evaluates the survivors again and filters them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "oneproxy/archive.hpp"
#include "oneproxy/parallel.hpp"

namespace oneproxy {

// An additive problem: value_k(index) = constant[k] + sum_p table[p][digit_p][k].
struct AdditiveProblem {
    std::size_t positions = 0, objectives = 0, max_choices = 0;
    std::vector<std::uint32_t> radix;  // per position, position 0 most significant
    std::vector<double> table;         // [p][c][k], c < max_choices (padded)
    std::vector<double> constant;      // [k]
    std::vector<double> slack;         // [k], >= 0: at least the scan's own bound (empty: that)
    std::vector<char> exact;           // [k]: the left-to-right sum is the objective (empty: all)

    double at(std::size_t p, std::size_t c, std::size_t k) const {
        return table[(p * max_choices + c) * objectives + k];
    }
};

// A thread's archive in the scan: the Pareto archive (archive.hpp) of (point, index) with
// duplicates kept, behind a grid filter. The grid rejects v when an archive point a has
// a < v - slack in every objective; the archive drops v when a <= v - margin in every
// objective and < in one (margin: 0 where exact, else slack).
class ScanArchive {
public:
    static constexpr int kGrid1 = 1024, kGrid2 = 64;

    ScanArchive(std::size_t m, const std::vector<double>& lo, const std::vector<double>& hi,
                const std::vector<double>& slack, const std::vector<double>& margin)
        : m_(m), slack_(slack), margin_(margin), archive_(m) {
        for (std::size_t k = 0; k < std::min<std::size_t>(m, 2); ++k) {
            const double span = hi[k] - lo[k];
            lo_[k] = lo[k];
            query_lo_[k] = lo[k] + slack[k];  // the cell of v - slack, without a subtraction per candidate
            inv_[k] = span > 0 ? (m == 2 ? kGrid1 : kGrid2) / span : 0.0;
        }
        if (m == 2) grid_.assign(kGrid1, kInf);
        if (m == 3) grid_.assign(kGrid2 * kGrid2, kInf);
    }

    // True when `v` is certainly dominated (one load and a compare).
    bool quick_reject(const double* v) const {
        if (m_ == 2) return v[1] > grid_[cell(v[0], query_lo_[0], 0, kGrid1)];
        if (m_ == 3)
            return v[2] > grid_[cell(v[0], query_lo_[0], 0, kGrid2) * kGrid2 + cell(v[1], query_lo_[1], 1, kGrid2)];
        return false;
    }

    // The exact test; inserts `v` (removing what it dominates) unless it is dominated.
    void offer(const double* v, u128 id) {
        if (archive_.offer(v, id, margin_.data())) update_grid(v);
    }

    const ParetoArchive& archive() const { return archive_; }

private:
    static constexpr double kInf = std::numeric_limits<double>::infinity();

    // floor((x - lo) * inv), clamped: monotone in x, so a lower cell means a lower x.
    int cell(double x, double lo, int k, int cells) const {
        const double c = (x - lo) * inv_[k];
        return c <= 0 ? 0 : c >= cells - 1 ? cells - 1 : static_cast<int>(c);
    }

    // The grid holds last objective + slack, so that quick_reject compares v itself.
    void update_grid(const double* a) {
        if (m_ == 2) {
            const double y = a[1] + slack_[1];
            for (int c = cell(a[0], lo_[0], 0, kGrid1) + 1; c < kGrid1; ++c) grid_[c] = std::min(grid_[c], y);
        } else if (m_ == 3) {
            const double y = a[2] + slack_[2];
            const int c0 = cell(a[0], lo_[0], 0, kGrid2), c1 = cell(a[1], lo_[1], 1, kGrid2);
            for (int i = c0 + 1; i < kGrid2; ++i)
                for (int j = c1 + 1; j < kGrid2; ++j) grid_[i * kGrid2 + j] = std::min(grid_[i * kGrid2 + j], y);
        }
    }

    std::size_t m_;
    std::vector<double> slack_, margin_;
    double lo_[2] = {0, 0}, query_lo_[2] = {0, 0}, inv_[2] = {0, 0};
    std::vector<double> grid_;
    ParetoArchive archive_;
};

// The space's digits of `index` (position 0 most significant).
inline void digits_of(u128 index, const std::vector<std::uint32_t>& radix, std::uint32_t* out) {
    for (std::size_t p = radix.size(); p-- > 0;) {
        out[p] = static_cast<std::uint32_t>(index % radix[p]);
        index /= radix[p];
    }
}

struct ScanResult {
    std::vector<double> points;  // (F, m)
    std::vector<u128> ids;
    std::uint64_t evaluated = 0;
};

// Scans [start, stop) on `threads` threads; `stop_flag` (polled every chunk) ends it early.
// The archives of the threads are concatenated (the caller filters the union).
inline ScanResult scan_additive(const AdditiveProblem& pr, u128 start, u128 stop, unsigned threads,
                                const std::atomic<bool>& stop_flag, std::atomic<std::uint64_t>& done) {
    const std::size_t P = pr.positions, m = pr.objectives;
    if (P == 0 || m == 0) throw std::invalid_argument("an additive problem needs positions and objectives");
    // Inner digit: the last positions whose radix product stays small.
    constexpr std::uint64_t kInnerMax = 1024;
    std::size_t Q = P;  // outer positions [0, Q)
    std::uint64_t inner = 1;
    while (Q > 1 && inner * pr.radix[Q - 1] <= kInnerMax) inner *= pr.radix[--Q];
    if (Q == P) {  // a last radix above kInnerMax: it is the inner digit on its own
        inner = pr.radix[--Q];
    }
    std::vector<double> T(inner * m, 0.0);  // inner sums, left to right
    {
        std::vector<std::uint32_t> d(P - Q, 0);
        for (std::uint64_t j = 0; j < inner; ++j) {
            std::uint64_t r = j;
            for (std::size_t q = P - Q; q-- > 0;) {
                d[q] = static_cast<std::uint32_t>(r % pr.radix[Q + q]);
                r /= pr.radix[Q + q];
            }
            for (std::size_t k = 0; k < m; ++k) {
                double s = 0;
                for (std::size_t q = 0; q < P - Q; ++q) s += pr.at(Q + q, d[q], k);
                T[j * m + k] = s;
            }
        }
    }
    // Bounds of every objective over the whole space, for the grids, and the largest sum of a
    // point's |terms|, for the slack.
    std::vector<double> lo(pr.constant), hi(pr.constant), magnitude(m);
    for (std::size_t k = 0; k < m; ++k) magnitude[k] = std::abs(pr.constant[k]);
    for (std::size_t p = 0; p < P; ++p)
        for (std::size_t k = 0; k < m; ++k) {
            double a = pr.at(p, 0, k), b = a;
            for (std::size_t c = 1; c < pr.radix[p]; ++c) {
                a = std::min(a, pr.at(p, c, k));
                b = std::max(b, pr.at(p, c, k));
            }
            lo[k] += a;
            hi[k] += b;
            magnitude[k] += std::max(std::abs(a), std::abs(b));
        }

    const u128 total = stop - start;
    const u128 chunk = std::max<u128>(inner, (total / (64 * std::max(threads, 1u))) / inner * inner);
    const u128 clamped = std::min<u128>(chunk, u128{1} << 26);
    const u128 step = std::max<u128>(clamped, 1);
    const std::uint64_t n_chunks = static_cast<std::uint64_t>((total + step - 1) / step);

    if (!(pr.slack.empty() || pr.slack.size() == m) || !(pr.exact.empty() || pr.exact.size() == m))
        throw std::invalid_argument("slack and exact must hold one value per objective");
    // Any two orders of adding P + 1 terms differ by at most 2 gamma_P sum |terms|, gamma_n =
    // n u / (1 - n u) (Higham 2002, sec. 4.2); twice that for the two points compared, and room
    // for the rounding of the comparisons: 16 (P + 3) u sum |terms|.
    std::vector<double> slack(m), margin(m, 0.0);
    constexpr double u = std::numeric_limits<double>::epsilon() / 2;
    for (std::size_t k = 0; k < m; ++k) {
        slack[k] = std::max(pr.slack.empty() ? 0.0 : pr.slack[k], 16.0 * static_cast<double>(P + 3) * u * magnitude[k]);
        if (!(pr.exact.empty() || pr.exact[k])) margin[k] = slack[k];
    }
    std::vector<ScanArchive> archives(std::max(threads, 1u), ScanArchive(m, lo, hi, slack, margin));
    std::atomic<std::uint64_t> next{0};
    parallel_for(archives.size(), threads, [&](std::size_t t) {
        ScanArchive& archive = archives[t];
        std::vector<std::uint32_t> digits(P);
        std::vector<std::uint32_t> tail(P - Q);
        std::vector<double> S((Q + 1) * m), v(m), x(m);
        // A candidate past the grid, summed left to right: the prefix, then its inner digits.
        auto offer = [&](const double* base, std::uint64_t j_inner, u128 id) {
            for (std::size_t q = P - Q; q-- > 0;) {
                tail[q] = static_cast<std::uint32_t>(j_inner % pr.radix[Q + q]);
                j_inner /= pr.radix[Q + q];
            }
            for (std::size_t k = 0; k < m; ++k) {
                double s = base[k];
                for (std::size_t q = 0; q < P - Q; ++q) s += pr.at(Q + q, tail[q], k);
                x[k] = s;
            }
            archive.offer(x.data(), id);
        };
        for (std::uint64_t c; (c = next.fetch_add(1)) < n_chunks;) {
            if (stop_flag.load(std::memory_order_relaxed)) break;
            u128 index = start + step * c;
            std::uint64_t count = static_cast<std::uint64_t>(std::min<u128>(step, stop - index));
            digits_of(index, pr.radix, digits.data());
            std::uint64_t j = 0;
            for (std::size_t q = Q; q < P; ++q) j = j * pr.radix[q] + digits[q];
            for (std::size_t k = 0; k < m; ++k) S[k] = pr.constant[k];
            std::size_t from = 0;
            while (true) {
                for (std::size_t q = from; q < Q; ++q)
                    for (std::size_t k = 0; k < m; ++k) S[(q + 1) * m + k] = S[q * m + k] + pr.at(q, digits[q], k);
                const double* base = &S[Q * m];
                const std::uint64_t n = std::min<std::uint64_t>(inner - j, count);
                if (m == 2) {
                    const double b0 = base[0], b1 = base[1];
                    for (std::uint64_t t2 = 0; t2 < n; ++t2) {
                        v[0] = b0 + T[(j + t2) * 2];
                        v[1] = b1 + T[(j + t2) * 2 + 1];
                        if (!archive.quick_reject(v.data())) offer(base, j + t2, index + t2);
                    }
                } else {
                    for (std::uint64_t t2 = 0; t2 < n; ++t2) {
                        for (std::size_t k = 0; k < m; ++k) v[k] = base[k] + T[(j + t2) * m + k];
                        if (!archive.quick_reject(v.data())) offer(base, j + t2, index + t2);
                    }
                }
                index += n;
                count -= n;
                if (count == 0) break;
                j = 0;
                std::size_t q = Q;
                while (q-- > 0) {  // odometer step of the outer digits
                    if (++digits[q] < pr.radix[q]) break;
                    digits[q] = 0;
                }
                from = q;  // prefixes from the changed digit on are stale
            }
            done.fetch_add(static_cast<std::uint64_t>(std::min<u128>(step, stop - (start + step * c))),
                           std::memory_order_relaxed);
        }
    });

    ScanResult out;
    for (const auto& a : archives) {
        out.points.insert(out.points.end(), a.archive().points().begin(), a.archive().points().end());
        out.ids.insert(out.ids.end(), a.archive().tags().begin(), a.archive().tags().end());
    }
    out.evaluated = done.load();
    return out;
}

}  // namespace oneproxy
