// NSGA-II's environmental selection (Deb et al., 2002, with Deb's constrained domination):
// rank the rows, crowd each front, keep the best. All objectives minimised.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "oneproxy/pareto.hpp"
#include "oneproxy/quality.hpp"

namespace oneproxy {

// Ranks (N) and crowding distances (N) of the rows of F (N x m, row-major, no NaN) with
// constraint violations cv (N): feasible rows (cv <= 0) by non-dominated front, then the
// infeasible ones by violation, each distinct violation its own front after the feasible ones;
// crowding within each front of feasible rows, 0 for infeasible ones.
inline void constrained_ranks(const double* F, const double* cv, std::size_t N, std::size_t m,
                              std::int64_t* rank, double* crowd) {
    std::vector<std::size_t> feasible, infeasible;
    for (std::size_t i = 0; i < N; ++i) (cv[i] <= 0.0 ? feasible : infeasible).push_back(i);
    std::vector<double> G(feasible.size() * m);
    for (std::size_t k = 0; k < feasible.size(); ++k)
        std::copy(F + feasible[k] * m, F + (feasible[k] + 1) * m, G.begin() + static_cast<std::ptrdiff_t>(k * m));
    std::vector<std::int64_t> r(feasible.size());
    std::vector<double> c(feasible.size());
    const ObjectiveKeys K(G.data(), feasible.size(), m, std::vector<char>(m, 0));
    nondominated_sort(K, r.data());
    const std::int64_t fronts = r.empty() ? 0 : *std::max_element(r.begin(), r.end()) + 1;
    crowding_distance_by_front(G.data(), feasible.size(), m, r.data(), static_cast<std::size_t>(fronts), c.data());
    for (std::size_t k = 0; k < feasible.size(); ++k) rank[feasible[k]] = r[k], crowd[feasible[k]] = c[k];
    std::sort(infeasible.begin(), infeasible.end(), [&](std::size_t a, std::size_t b) { return cv[a] < cv[b]; });
    std::int64_t level = fronts - 1;
    for (std::size_t k = 0; k < infeasible.size(); ++k) {
        if (k == 0 || cv[infeasible[k]] != cv[infeasible[k - 1]]) ++level;
        rank[infeasible[k]] = level, crowd[infeasible[k]] = 0.0;
    }
}

// The n best rows (indices into F, best first) by constrained rank, then larger crowding, then
// row order; `rank` and `crowd` (N) as constrained_ranks gives them.
inline std::vector<std::size_t> survivors(const std::int64_t* rank, const double* crowd, std::size_t N,
                                          std::size_t n) {
    std::vector<std::size_t> order(N);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return rank[a] != rank[b] ? rank[a] < rank[b] : crowd[a] > crowd[b];
    });
    order.resize(std::min(n, N));
    return order;
}

}  // namespace oneproxy
