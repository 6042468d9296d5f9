// Quality of a front: distances to a reference front (IGD, IGD+) and NSGA-II's crowding
// distance. All objectives minimised (callers negate maximised ones).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
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

// NSGA-II crowding distance of the rows of F (n x m): per objective, the gap between the two
// neighbours in that objective's order over the objective's range, summed; the extremes of
// every objective get +inf. Ties are ordered by row index; a constant objective adds 0.
inline void crowding_distance(const double* F, std::size_t n, std::size_t m, double* out) {
    std::fill(out, out + n, 0.0);
    if (n <= 2) {
        std::fill(out, out + n, std::numeric_limits<double>::infinity());
        return;
    }
    std::vector<std::size_t> order(n);
    for (std::size_t j = 0; j < m; ++j) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return F[a * m + j] < F[b * m + j]; });
        const double low = F[order.front() * m + j], high = F[order.back() * m + j];
        out[order.front()] = out[order.back()] = std::numeric_limits<double>::infinity();
        const double range = high - low;
        if (!(range > 0.0) || !std::isfinite(range)) continue;
        for (std::size_t k = 1; k + 1 < n; ++k)
            out[order[k]] += (F[order[k + 1] * m + j] - F[order[k - 1] * m + j]) / range;
    }
}

}  // namespace oneproxy
