// NSGA-II and its genetic operators: survival (survival.hpp), the space's Layout, crossover,
// mutation, the canonical form and the Evaluated store (variation.hpp), and one generation
// (nsga2.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
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

// ---------------------------------------------------------------------------- Layout

// A space's layout from n_choices, switch and threshold (P entries each), checked.
oneproxy::Layout new_layout(const py::handle& n_choices, const py::handle& switch_, const py::handle& threshold) {
    const auto k = typed_array<std::int64_t>(n_choices, "n_choices", 1);
    const auto s = typed_array<std::int64_t>(switch_, "switch", 1);
    const auto t = typed_array<std::int64_t>(threshold, "threshold", 1);
    const auto P = static_cast<std::size_t>(k.size());
    require_length(s, "switch", P, "position");
    require_length(t, "threshold", P, "position");
    for (std::size_t p = 0; p < P; ++p) {
        if (k.data()[p] < 1 || k.data()[p] > 256)
            throw py::value_error("n_choices must be in 1-256, got " + std::to_string(k.data()[p]) + " at " + std::to_string(p));
        if (s.data()[p] >= static_cast<std::int64_t>(P))
            throw py::value_error("switch must name a position or be negative, got " + std::to_string(s.data()[p]) +
                                  " at " + std::to_string(p));
    }
    return {P, {k.data(), k.data() + P}, {s.data(), s.data() + P}, {t.data(), t.data() + P}};
}

py::array_t<std::int64_t> int64_array(const std::vector<std::int64_t>& v) {
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

// ---------------------------------------------------------------------------- Evaluated

using Evaluated = Shared<oneproxy::Evaluated>;

std::unique_ptr<Evaluated> new_evaluated(std::int64_t n_positions, std::int64_t n_objectives) {
    if (n_positions < 1) throw py::value_error("n_positions must be >= 1, got " + std::to_string(n_positions));
    if (n_objectives < 1) throw py::value_error("n_objectives must be >= 1, got " + std::to_string(n_objectives));
    return std::make_unique<Evaluated>(static_cast<std::size_t>(n_positions), static_cast<std::size_t>(n_objectives));
}

std::pair<std::size_t, std::size_t> evaluated_shape(const Evaluated& E) {
    return E.read([](const oneproxy::Evaluated& e) { return std::make_pair(e.positions(), e.objectives()); });
}

// Positions (k,) of the canonical rows (k, P), adding the new ones.
Ints evaluated_add(Evaluated& E, const py::handle& rows) {
    const auto codes = typed_array<std::uint8_t>(rows, "rows", 2);
    const std::size_t P = evaluated_shape(E).first, k = rows_shape(codes, "rows", P).first;
    Ints where(static_cast<py::ssize_t>(k));
    std::int64_t* at = where.mutable_data();
    const std::uint8_t* c = codes.data();
    E.released([&](oneproxy::Evaluated& e) {
        for (std::size_t i = 0; i < k; ++i) at[i] = e.add(c + i * P);
    });
    return where;
}

// The rows of positions [start, size).
Codes rows_since(const Evaluated& E, std::size_t start) {
    return E.read([start](const oneproxy::Evaluated& e) {
        if (start > e.size())
            throw py::value_error("start = " + std::to_string(start) + " exceeds the " + std::to_string(e.size()) +
                                  " rows evaluated");
        Codes out({e.size() - start, e.positions()});
        std::copy(e.rows().begin() + static_cast<std::ptrdiff_t>(start * e.positions()), e.rows().end(),
                  out.mutable_data());
        return out;
    });
}

// The values F (k, m) and violations cv (k,) of positions [start, start + k).
void evaluated_record(Evaluated& E, std::size_t start, const py::handle& F, const py::handle& cv) {
    const std::size_t m = evaluated_shape(E).second;
    const Matrix values = real_array(F, "F", 2), violations = real_array(cv, "cv", 1);
    const auto k = static_cast<std::size_t>(values.shape(0));
    if (static_cast<std::size_t>(values.shape(1)) != m)
        throw py::value_error("F must have " + std::to_string(m) + " columns (objectives), got " +
                              std::to_string(values.shape(1)));
    require_length(violations, "cv", k, "row of F");
    require_no_nan_rows(values.data(), k, m, "F");
    require_no_nan(violations.data(), k, "cv");
    E.released([&](oneproxy::Evaluated& e) {
        if (start + k > e.size())
            throw py::value_error("start + len(F) = " + std::to_string(start + k) + " exceeds the " +
                                  std::to_string(e.size()) + " rows evaluated");
        e.record(start, k, values.data(), violations.data());
    });
}

void bind_evaluated(py::module_& m) {
    py::class_<Evaluated>(m, "Evaluated",
                          "Every architecture evaluated, by position in order of first appearance: its "
                          "canonical row, its minimised objective values and constraint violation (NaN until "
                          "recorded), found by a hash table of the rows.")
        .def(py::init(&new_evaluated), py::arg("n_positions"), py::arg("n_objectives"))
        .def("add", &evaluated_add, py::arg("rows"),
             "Positions (k,) int64 of the canonical uint8 rows (k, P), adding the new ones (first copy first).")
        .def("record", &evaluated_record, py::arg("start"), py::arg("F"), py::arg("cv"),
             "Records the values F (k, m) and violations cv (k,) of positions [start, start + k).")
        .def_property_readonly("n_positions", [](const Evaluated& E) { return evaluated_shape(E).first; })
        .def_property_readonly("n_objectives", [](const Evaluated& E) { return evaluated_shape(E).second; })
        .def_property_readonly("rows", [](const Evaluated& E) { return rows_since(E, 0); },
                               "The canonical rows (len, P), uint8 (a copy).")
        .def("rows_since", &rows_since, py::arg("start"),
             "The canonical rows of positions [start, len) (len - start, P), uint8 (a copy).")
        .def_property_readonly("F", [](const Evaluated& E) {
            return E.read([](const oneproxy::Evaluated& e) {
                py::array_t<double> out({e.size(), e.objectives()});
                std::copy(e.values().begin(), e.values().end(), out.mutable_data());
                return out;
            });
        }, "Their minimised objective values (len, m), float64 (a copy).")
        .def_property_readonly("cv", [](const Evaluated& E) {
            return E.read([](const oneproxy::Evaluated& e) {
                py::array_t<double> out(static_cast<py::ssize_t>(e.size()));
                std::copy(e.violations().begin(), e.violations().end(), out.mutable_data());
                return out;
            });
        }, "Their constraint violations (len,), float64 (a copy).")
        .def_property_readonly("table", [](const Evaluated& E) {
            return E.read([](const oneproxy::Evaluated& e) { return int64_array(e.table()); });
        }, "The hash table's slots (positions, -1 empty), int64 (a copy).")
        .def("__len__", [](const Evaluated& E) {
            return E.read([](const oneproxy::Evaluated& e) { return e.size(); });
        });
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

void mutate(Codes& c, std::uint64_t seed, double rate, const oneproxy::Layout& L, bool used_only, bool at_least_one) {
    const auto [n, P] = rows_shape(c, "c", L.P);
    if (!(rate >= 0.0 && rate <= 1.0)) throw py::value_error("rate must be in [0, 1]");
    std::uint8_t* rows = c.mutable_data();
    py::gil_scoped_release release;
    oneproxy::mutate(rows, n, L, rate, used_only, at_least_one, seed);
}

Codes canonical(const Codes& c, const oneproxy::Layout& L) {
    const auto [n, P] = rows_shape(c, "c", L.P);
    Codes out({n, P});
    std::uint8_t* dst = out.mutable_data();
    py::gil_scoped_release release;
    oneproxy::canonical(c.data(), n, L, dst);
    return out;
}

py::array_t<bool> active(const Codes& c, const oneproxy::Layout& L) {
    const auto [n, P] = rows_shape(c, "c", L.P);
    py::array_t<bool> out({n, P});
    bool* dst = out.mutable_data();
    py::gil_scoped_release release;
    oneproxy::active(c.data(), n, L, dst);
    return out;
}

// ---------------------------------------------------------------------------- one generation

oneproxy::Breeding new_breeding(double crossover_rate, double mutation_rate, std::size_t attempts) {
    if (!(crossover_rate >= 0.0 && crossover_rate <= 1.0))
        throw py::value_error("crossover_rate must be in [0, 1], got " + std::to_string(crossover_rate));
    if (!(mutation_rate >= 0.0 && mutation_rate <= 1.0))
        throw py::value_error("mutation_rate must be in [0, 1], got " + std::to_string(mutation_rate));
    return {crossover_rate, mutation_rate, attempts};
}

py::tuple nsga2_generation(const Codes& genotypes, const Ints& at, Evaluated& E, const oneproxy::Layout& L,
                           const oneproxy::Breeding& how, std::size_t n, const Matrix& ref, std::size_t children,
                           std::uint64_t seed) {
    const std::size_t N = rows_shape(genotypes, "genotypes", L.P).first, P = L.P;
    const std::pair<std::size_t, std::size_t> shape = evaluated_shape(E);
    const std::size_t m = shape.second;
    if (shape.first != P)
        throw py::value_error("evaluated must hold rows of " + std::to_string(P) + " positions (the layout's), got " +
                              std::to_string(shape.first));
    require_ndim(at, "at", 1);
    require_length(at, "at", N, "genotype");
    require_ndim(ref, "ref", 1);
    require_length(ref, "ref", m, "objective");
    oneproxy::Generation G;
    E.released([&](oneproxy::Evaluated& e) {
        for (std::size_t i = 0; i < N; ++i) {
            const std::int64_t a = at.data()[i];
            if (a < 0 || static_cast<std::size_t>(a) >= e.size())
                throw py::value_error("at[" + std::to_string(i) + "] = " + std::to_string(a) +
                                      " is not a position in evaluated (of " + std::to_string(e.size()) + " rows)");
            const auto row = static_cast<std::size_t>(a);
            if (first_nan(e.values(row), m) < m || std::isnan(e.violation(row)))
                throw py::value_error("evaluated has no values recorded for the member at " + std::to_string(a));
        }
        G = oneproxy::nsga2_generation(genotypes.data(), at.data(), N, n, ref.data(), children, how, L, e, seed);
    });
    const std::size_t k = G.at.size();
    Codes out({k, P});
    std::copy(G.genotypes.begin(), G.genotypes.end(), out.mutable_data());
    return py::make_tuple(out, int64_array(G.at), G.survivors, G.hypervolume);
}

py::array_t<std::uint64_t> random_bits(std::uint64_t seed, std::size_t n) {
    py::array_t<std::uint64_t> out(static_cast<py::ssize_t>(n));
    oneproxy::Xoshiro256 g(seed);
    for (std::size_t i = 0; i < n; ++i) out.mutable_data()[i] = g.bits();
    return out;
}

}  // namespace

void register_search(py::module_& m) {
    py::class_<oneproxy::Layout>(m, "Layout",
                                 "A space's rows: n_choices codes per position, and position p used when "
                                 "switch[p] < 0 or row[switch[p]] >= threshold[p] (int64 (P,) each). Pickles.")
        .def(py::init(&new_layout), py::arg("n_choices"), py::arg("switch"), py::arg("threshold"))
        .def_property_readonly("n_positions", [](const oneproxy::Layout& L) { return L.P; })
        .def_property_readonly("n_choices", [](const oneproxy::Layout& L) { return int64_array(L.n_choices); })
        .def_property_readonly("switch", [](const oneproxy::Layout& L) { return int64_array(L.switch_); })
        .def_property_readonly("threshold", [](const oneproxy::Layout& L) { return int64_array(L.threshold); })
        .def(py::pickle(
            [](const oneproxy::Layout& L) {
                return py::make_tuple(int64_array(L.n_choices), int64_array(L.switch_), int64_array(L.threshold));
            },
            [](const py::tuple& t) {
                if (t.size() != 3) throw py::value_error("a layout's state has 3 entries, got " + std::to_string(t.size()));
                return new_layout(t[0], t[1], t[2]);
            }));
    py::class_<oneproxy::Breeding>(m, "Breeding",
                                   "How NSGA-II breeds: the probability a child is its parents' crossover (else "
                                   "a copy of the first), the mutation rate per entry, and matings per child "
                                   "wanted before a generation settles for fewer.")
        .def(py::init(&new_breeding), py::arg("crossover_rate"), py::arg("mutation_rate"), py::arg("attempts"))
        .def_readonly("crossover_rate", &oneproxy::Breeding::crossover_rate)
        .def_readonly("mutation_rate", &oneproxy::Breeding::mutation_rate)
        .def_readonly("attempts", &oneproxy::Breeding::attempts);
    bind_evaluated(m);
    m.def("survivors", &survivors, py::arg("F"), py::arg("cv"), py::arg("n"),
          "NSGA-II survival: the n best rows of F (N, m, minimised) by constrained rank (feasible "
          "cv <= 0 by Pareto front, then by violation), then larger crowding, then row order; "
          "returns (indices, their crowding).");
    m.def("crossover", &crossover, py::arg("a"), py::arg("b"), py::arg("seed"),
          "Uniform crossover of uint8 rows a and b (n, P): each entry from either with equal odds.");
    m.def("mutate", &mutate, py::arg("c").noconvert(), py::arg("seed"), py::arg("rate"), py::arg("layout"),
          py::arg("used_only"), py::arg("at_least_one") = false,
          "In place: each entry of the uint8 rows c (n, P) (each used one if used_only, judged before "
          "the row changes) moves with probability rate to one of its other codes, uniformly; with "
          "at_least_one, conditioned on at least one draw per row.");
    m.def("canonical", &canonical, py::arg("c"), py::arg("layout"),
          "The uint8 rows c (n, P) with unused entries set to 0.");
    m.def("active", &active, py::arg("c"), py::arg("layout"),
          "Which entries of the uint8 rows c (n, P) are used (bool (n, P)).");
    m.def("nsga2_generation", &nsga2_generation, py::arg("genotypes"), py::arg("at"), py::arg("evaluated"),
          py::arg("layout"), py::arg("breeding"), py::arg("n"), py::arg("ref"), py::arg("children"), py::arg("seed"),
          "One NSGA-II generation: the n survivors of the evaluated members (genotypes, positions at "
          "in evaluated) followed by up to `children` new children (genotypes, positions; new rows "
          "join evaluated), how many survived, and the survivors' feasible hypervolume.");
    m.def("random_bits", &random_bits, py::arg("seed"), py::arg("n"),
          "The first n outputs of the xoshiro256** generator the variation operators use.");
}
