// Quality of a front: distances to a reference front (IGD, IGD+) and NSGA-II's crowding
// distance. All objectives minimised (callers negate maximised ones).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "oneproxy/parallel.hpp"

namespace oneproxy {

// Mean over the reference points of the distance to the nearest point of F: Euclidean (IGD),
// or counting only the objectives in which the point is worse (IGD+, Ishibuchi et al. 2015).
// F is n x m, R is r x m, both row-major.
inline double inverted_generational_distance(const double* F, std::size_t n, const double* R,
                                             std::size_t r, std::size_t m, bool plus,
                                             unsigned threads) {
    std::vector<double> nearest(r);
    parallel_for(r, r >= 256 ? threads : 1, [&](std::size_t k) {
        const double* z = R + k * m;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < n; ++i) {
            const double* f = F + i * m;
            double d2 = 0.0;
            for (std::size_t j = 0; j < m; ++j) {
                const double d = plus ? std::max(f[j] - z[j], 0.0) : f[j] - z[j];
                d2 += d * d;
            }
            best = std::min(best, d2);
        }
        nearest[k] = std::sqrt(best);
    });
    return std::accumulate(nearest.begin(), nearest.end(), 0.0) / static_cast<double>(r);
}

// NSGA-II crowding distance of the rows `rows` (k of them) of F (n x m, row-major), written to
// out[rows[i]]: per objective, the gap between the two neighbours in that objective's order
// over the objective's range, summed; the extremes of every objective get +inf. Ties are
// ordered by position in `rows`; a constant objective adds 0.
inline void crowding_distance(const double* F, std::size_t m, const std::size_t* rows, std::size_t k,
                              double* out) {
    for (std::size_t i = 0; i < k; ++i) out[rows[i]] = k <= 2 ? std::numeric_limits<double>::infinity() : 0.0;
    if (k <= 2) return;
    std::vector<std::size_t> order(k);
    for (std::size_t j = 0; j < m; ++j) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return F[rows[a] * m + j] < F[rows[b] * m + j];
        });
        auto f = [&](std::size_t pos) { return F[rows[order[pos]] * m + j]; };
        const double range = f(k - 1) - f(0);
        out[rows[order.front()]] = out[rows[order.back()]] = std::numeric_limits<double>::infinity();
        if (!(range > 0.0) || !std::isfinite(range)) continue;
        for (std::size_t p = 1; p + 1 < k; ++p) out[rows[order[p]]] += (f(p + 1) - f(p - 1)) / range;
    }
}

// Crowding distance of every row of F (n x m) within its front: rows with equal fronts[i]
// (labels 0 .. n_fronts - 1, as nondominated_sort gives) form one front.
inline void crowding_distance_by_front(const double* F, std::size_t n, std::size_t m,
                                       const std::int64_t* fronts, std::size_t n_fronts, double* out) {
    std::vector<std::size_t> start(n_fronts + 1, 0), rows(n);
    for (std::size_t i = 0; i < n; ++i) ++start[static_cast<std::size_t>(fronts[i]) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<std::size_t> fill(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) rows[fill[static_cast<std::size_t>(fronts[i])]++] = i;
    for (std::size_t f = 0; f < n_fronts; ++f)
        crowding_distance(F, m, rows.data() + start[f], start[f + 1] - start[f], out);
}

}  // namespace oneproxy
