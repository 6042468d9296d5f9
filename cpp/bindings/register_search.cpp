// NSGA-II and its genetic operators: survival (survival.hpp), crossover, mutation, the
// canonical form and the archive of evaluated rows (variation.hpp), and one generation
// (nsga2.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "oneproxy/nsga2.hpp"
#include "oneproxy/survival.hpp"
#include "oneproxy/variation.hpp"

namespace py = pybind11;
using namespace oneproxy::binding;

namespace {

using Codes = py::array_t<std::uint8_t, py::array::c_style>;
using Ints = py::array_t<std::int64_t, py::array::c_style>;

// (n, P) of a 2-D uint8 array of rows of choices.
std::pair<std::size_t, std::size_t> rows_shape(const Codes& c, const char* name, std::size_t P) {
    require_ndim(c, name, 2);
    if (static_cast<std::size_t>(c.shape(1)) != P)
        throw py::value_error(std::string(name) + " must have " + std::to_string(P) + " columns, got " +
                              std::to_string(c.shape(1)));
    return {static_cast<std::size_t>(c.shape(0)), P};
}

// The layout of a space: n_choices, switch and threshold, one entry per position each.
oneproxy::Layout layout(const Ints& n_choices, const Ints& switch_, const Ints& threshold) {
    require_ndim(n_choices, "n_choices", 1);
    const auto P = static_cast<std::size_t>(n_choices.size());
    if (static_cast<std::size_t>(switch_.size()) != P || static_cast<std::size_t>(threshold.size()) != P)
        throw py::value_error("n_choices, switch and threshold must have one entry per position");
    for (std::size_t p = 0; p < P; ++p) {
        const std::int64_t k = n_choices.data()[p], s = switch_.data()[p];
        if (k < 1 || k > 256) throw py::value_error("n_choices must be in 1-256");
        if (s >= static_cast<std::int64_t>(P)) throw py::value_error("switch must name a position or be negative");
    }
    return {P, n_choices.data(), switch_.data(), threshold.data()};
}

// The caller's archive arrays: rows (capacity, P), n of them filled, and their hash table.
oneproxy::Archive archive(Codes& store, std::size_t n, Ints& table, std::size_t P, std::size_t room) {
    const auto [capacity, _] = rows_shape(store, "store", P);
    const auto size = static_cast<std::size_t>(table.size());
    if (size == 0 || (size & (size - 1)) != 0) throw py::value_error("table size must be a power of two");
    if (n + room > capacity || 2 * (n + room) > size)
        throw py::value_error("the archive has no room for " + std::to_string(room) + " more rows");
    return {store.mutable_data(), P, n, table.mutable_data(), size};
}

// NSGA-II survival: (keep (k,), crowding of the kept rows (k,)) for F (N, m) minimised and
// violations cv (N,), k = min(n, N).
py::tuple survivors(const Matrix& F, const Matrix& cv, std::size_t n) {
    const auto [N, m] = matrix_shape(F, "F");
    require_ndim(cv, "cv", 1);
    if (static_cast<std::size_t>(cv.size()) != N)
        throw py::value_error("cv must have one value per row of F (" + std::to_string(N) + "), got " +
                              std::to_string(cv.size()));
    const double* f = F.data();
    const double* v = cv.data();
    require_no_nan_rows(f, N, m, "F");
    require_no_nan(v, N, "cv");
    std::vector<std::int64_t> rank(N);
    std::vector<double> crowd(N);
    std::vector<std::size_t> keep;
    {
        py::gil_scoped_release release;
        oneproxy::constrained_ranks(f, v, N, m, rank.data(), crowd.data());
        keep = oneproxy::survivors(rank.data(), crowd.data(), N, n);
    }
    py::array_t<std::int64_t> kept(static_cast<py::ssize_t>(keep.size()));
    py::array_t<double> kept_crowd(static_cast<py::ssize_t>(keep.size()));
    for (std::size_t k = 0; k < keep.size(); ++k) {
        kept.mutable_data()[k] = static_cast<std::int64_t>(keep[k]);
        kept_crowd.mutable_data()[k] = crowd[keep[k]];
    }
    return py::make_tuple(kept, kept_crowd);
}

Codes crossover(const Codes& a, const Codes& b, std::uint64_t seed) {
    require_ndim(a, "a", 2);
    const auto [n, P] = rows_shape(b, "b", static_cast<std::size_t>(a.shape(1)));
    if (static_cast<std::size_t>(a.shape(0)) != n) throw py::value_error("a and b must have the same shape");
    Codes out({n, P});
    std::uint8_t* dst = out.mutable_data();
    py::gil_scoped_release release;
    oneproxy::crossover(a.data(), b.data(), n, P, seed, dst);
    return out;
}

void mutate(Codes& c, std::uint64_t seed, double rate, const Ints& n_choices, const Ints& switch_,
            const Ints& threshold, bool used_only, bool at_least_one) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    if (!(rate >= 0.0 && rate <= 1.0)) throw py::value_error("rate must be in [0, 1]");
    std::uint8_t* rows = c.mutable_data();
    py::gil_scoped_release release;
    oneproxy::mutate(rows, n, L, rate, used_only, at_least_one, seed);
}

Codes canonical(const Codes& c, const Ints& n_choices, const Ints& switch_, const Ints& threshold) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    Codes out({n, P});
    std::uint8_t* dst = out.mutable_data();
    py::gil_scoped_release release;
    oneproxy::canonical(c.data(), n, L, dst);
    return out;
}

py::array_t<bool> active(const Codes& c, const Ints& n_choices, const Ints& switch_, const Ints& threshold) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    py::array_t<bool> out({n, P});
    bool* dst = out.mutable_data();
    py::gil_scoped_release release;
    oneproxy::active(c.data(), n, L, dst);
    return out;
}

py::tuple archive_add(const Codes& rows, Codes& store, std::size_t n, Ints& table) {
    require_ndim(rows, "rows", 2);
    const auto [k, P] = rows_shape(rows, "rows", static_cast<std::size_t>(rows.shape(1)));
    oneproxy::Archive A = archive(store, n, table, P, k);
    Ints where(static_cast<py::ssize_t>(k));
    std::int64_t* at = where.mutable_data();
    {
        py::gil_scoped_release release;
        for (std::size_t i = 0; i < k; ++i) at[i] = A.add(rows.data() + i * P);
    }
    return py::make_tuple(where, A.size());
}

py::tuple nsga2_generation(const Codes& genotypes, const Ints& at, const Matrix& F_all, const Matrix& cv_all,
                           std::size_t n, const Matrix& ref, std::size_t children, double crossover_rate,
                           double mutation_rate, std::size_t attempts, const Ints& n_choices, const Ints& switch_,
                           const Ints& threshold, Codes& store, std::size_t n_store, Ints& table,
                           std::uint64_t seed) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [N, P] = rows_shape(genotypes, "genotypes", L.P);
    const auto [capacity, m] = matrix_shape(F_all, "F_all");
    require_ndim(at, "at", 1);
    require_ndim(cv_all, "cv_all", 1);
    if (static_cast<std::size_t>(at.size()) != N) throw py::value_error("at must have one entry per genotype");
    if (static_cast<std::size_t>(cv_all.size()) != capacity) throw py::value_error("cv_all must have one entry per row of F_all");
    if (static_cast<std::size_t>(ref.size()) != m) throw py::value_error("ref must have one entry per objective");
    for (std::size_t i = 0; i < N; ++i) {
        const std::int64_t e = at.data()[i];
        if (e < 0 || static_cast<std::size_t>(e) >= std::min(n_store, capacity)) throw py::value_error("at holds a position outside the archive");
        if (first_nan(F_all.data() + e * m, m) < m) throw py::value_error("F_all is NaN for a member at " + std::to_string(e));
        if (std::isnan(cv_all.data()[e])) throw py::value_error("cv_all is NaN for a member at " + std::to_string(e));
    }
    oneproxy::Archive A = archive(store, n_store, table, P, children);
    oneproxy::Generation G;
    {
        py::gil_scoped_release release;
        G = oneproxy::nsga2_generation(genotypes.data(), at.data(), N, F_all.data(), cv_all.data(), m, n, ref.data(),
                                       children, {crossover_rate, mutation_rate, attempts}, L, A, seed);
    }
    const std::size_t k = G.at.size();
    Codes out({k, P});
    std::copy(G.genotypes.begin(), G.genotypes.end(), out.mutable_data());
    Ints out_at(static_cast<py::ssize_t>(k));
    std::copy(G.at.begin(), G.at.end(), out_at.mutable_data());
    return py::make_tuple(out, out_at, G.survivors, G.hypervolume, A.size());
}

py::array_t<std::uint64_t> random_bits(std::uint64_t seed, std::size_t n) {
    py::array_t<std::uint64_t> out(static_cast<py::ssize_t>(n));
    oneproxy::Xoshiro256 g(seed);
    for (std::size_t i = 0; i < n; ++i) out.mutable_data()[i] = g.bits();
    return out;
}

}  // namespace

void register_search(py::module_& m) {
    m.def("survivors", &survivors, py::arg("F"), py::arg("cv"), py::arg("n"),
          "NSGA-II survival: the n best rows of F (N, m, minimised) by constrained rank (feasible "
          "cv <= 0 by Pareto front, then by violation), then larger crowding, then row order; "
          "returns (indices, their crowding).");
    m.def("crossover", &crossover, py::arg("a"), py::arg("b"), py::arg("seed"),
          "Uniform crossover of uint8 rows a and b (n, P): each entry from either with equal odds.");
    m.def("mutate", &mutate, py::arg("c").noconvert(), py::arg("seed"), py::arg("rate"), py::arg("n_choices"),
          py::arg("switch"), py::arg("threshold"), py::arg("used_only"), py::arg("at_least_one") = false,
          "In place: each entry of the uint8 rows c (n, P) (each used one if used_only, judged before "
          "the row changes) moves with probability rate to one of its other codes, uniformly; with "
          "at_least_one, conditioned on at least one draw per row.");
    m.def("canonical", &canonical, py::arg("c"), py::arg("n_choices"), py::arg("switch"), py::arg("threshold"),
          "The uint8 rows c (n, P) with unused entries set to 0.");
    m.def("active", &active, py::arg("c"), py::arg("n_choices"), py::arg("switch"), py::arg("threshold"),
          "Which entries of the uint8 rows c (n, P) are used (bool (n, P)).");
    m.def("archive_add", &archive_add, py::arg("rows"), py::arg("store").noconvert(), py::arg("n"),
          py::arg("table").noconvert(),
          "Archive positions (k,) of the canonical rows (k, P), adding new ones to store and its hash "
          "table; and the new fill count.");
    m.def("nsga2_generation", &nsga2_generation, py::arg("genotypes"), py::arg("at"), py::arg("F_all"),
          py::arg("cv_all"), py::arg("n"), py::arg("ref"), py::arg("children"), py::arg("crossover_rate"),
          py::arg("mutation_rate"), py::arg("attempts"), py::arg("n_choices"), py::arg("switch"),
          py::arg("threshold"), py::arg("store").noconvert(), py::arg("n_store"), py::arg("table").noconvert(),
          py::arg("seed"),
          "One NSGA-II generation: the n survivors of the evaluated members (genotypes, archive "
          "positions at) followed by up to `children` new children (genotypes, positions), how many "
          "survived, the survivors' feasible hypervolume and the archive's fill count.");
    m.def("random_bits", &random_bits, py::arg("seed"), py::arg("n"),
          "The first n outputs of the xoshiro256** generator the variation operators use.");
}
