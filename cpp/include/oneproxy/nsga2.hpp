// One NSGA-II generation (Deb et al., 2002) over the store of evaluated architectures:
// survival of parents and evaluated children, the hypervolume of the survivors, and the next
// children. The objective values live in the store, so the caller only evaluates new rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "oneproxy/hypervolume.hpp"
#include "oneproxy/survival.hpp"
#include "oneproxy/variation.hpp"

namespace oneproxy {

struct Generation {
    std::vector<std::uint8_t> genotypes;  // survivors then children, rows of P
    std::vector<std::int64_t> at;         // their positions in Evaluated
    std::size_t survivors = 0;
    double hypervolume = 0.0;             // of the feasible survivors
};

// The members (genotypes N x P, positions `at` in `evaluated`) of the last generation, parents
// and children alike, all evaluated and their values recorded. Keeps the best n (constrained
// rank, then crowding), measures the hypervolume of the feasible ones with respect to ref (m)
// and breeds `children` new ones, each different from the survivors and from each other.
inline Generation nsga2_generation(const std::uint8_t* genotypes, const std::int64_t* at, std::size_t N,
                                   std::size_t n, const double* ref, std::size_t children, const Breeding& how,
                                   const Layout& L, Evaluated& evaluated, std::uint64_t seed) {
    const std::size_t P = L.P, m = evaluated.objectives();
    std::vector<double> F(N * m), cv(N), crowd(N);
    for (std::size_t i = 0; i < N; ++i) {
        const auto e = static_cast<std::size_t>(at[i]);
        std::copy(evaluated.values(e), evaluated.values(e) + m, F.begin() + static_cast<std::ptrdiff_t>(i * m));
        cv[i] = evaluated.violation(e);
    }
    std::vector<std::int64_t> rank(N);
    constrained_ranks(F.data(), cv.data(), N, m, rank.data(), crowd.data());
    const std::vector<std::size_t> keep = survivors(rank.data(), crowd.data(), N, n);
    const std::size_t k = keep.size();

    Generation out;
    out.survivors = k;
    out.genotypes.resize((k + children) * P);
    out.at.resize(k + children);
    std::vector<double> kF(k * m), kcv(k), kcrowd(k), feasible;
    PositionSet taken(k + children);
    for (std::size_t j = 0; j < k; ++j) {
        const std::size_t i = keep[j];
        std::copy(genotypes + i * P, genotypes + (i + 1) * P, out.genotypes.begin() + static_cast<std::ptrdiff_t>(j * P));
        out.at[j] = at[i];
        std::copy(F.begin() + static_cast<std::ptrdiff_t>(i * m), F.begin() + static_cast<std::ptrdiff_t>((i + 1) * m),
                  kF.begin() + static_cast<std::ptrdiff_t>(j * m));
        kcv[j] = cv[i];
        kcrowd[j] = crowd[i];
        taken.insert(at[i]);  // children must differ from these
        if (cv[i] <= 0.0) feasible.insert(feasible.end(), F.begin() + static_cast<std::ptrdiff_t>(i * m),
                                          F.begin() + static_cast<std::ptrdiff_t>((i + 1) * m));
    }
    out.hypervolume = feasible.empty() ? 0.0 : hypervolume(feasible.data(), feasible.size() / m, m, ref);
    if (children > 0) {
        Xoshiro256 g(seed);
        const Population pop{out.genotypes.data(), k, m, kF.data(), kcv.data(), kcrowd.data()};
        const std::size_t made = offspring(pop, children, how, L, evaluated, taken, g,
                                           out.genotypes.data() + k * P, out.at.data() + k);
        out.genotypes.resize((k + made) * P);
        out.at.resize(k + made);
    }
    return out;
}

}  // namespace oneproxy
