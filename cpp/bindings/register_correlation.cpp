// Rank correlation: rank, spearman, kendall and their matrices (correlation.hpp, rank.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "convert.hpp"
#include "oneproxy/correlation.hpp"
#include "oneproxy/parallel.hpp"
#include "oneproxy/rank.hpp"

namespace py = pybind11;
using namespace oneproxy::binding;

namespace {

py::array_t<double> rank(const py::array& x) {
    require_ndim(x, "x", 1);
    py::array_t<double> out(x.size());
    double* dst = out.mutable_data();
    with_values(x, "x", [&](auto* px) {
        py::gil_scoped_release release;
        oneproxy::average_ranks(px, static_cast<std::size_t>(x.size()), dst);
    });
    return out;
}

// spearman / kendall of two vectors; `omit` drops pairs with a NaN first.
template <class Corr>
double pair_correlation(const py::array& x, const py::array& y, bool omit, int threads, Corr corr) {
    require_ndim(x, "x", 1);
    require_ndim(y, "y", 1);
    require_same_length(x, y);
    const auto n = static_cast<std::size_t>(x.size());
    const unsigned t = oneproxy::resolve_threads(threads);
    return with_values(x, "x", [&](auto* px) {
        return with_values(y, "y", [&](auto* py_) {
            py::gil_scoped_release release;
            return omit ? oneproxy::omitting_missing(px, py_, n, t, corr) : corr(px, py_, n, t);
        });
    });
}

struct Spearman {
    template <class T, class U>
    double operator()(const T* x, const U* y, std::size_t n, unsigned t) const {
        return oneproxy::spearman(x, y, n, t);
    }
};
struct Kendall {
    template <class T, class U>
    double operator()(const T* x, const U* y, std::size_t n, unsigned t) const {
        return oneproxy::kendall(x, y, n, t);
    }
};

// (d x d correlations, which of the d rows hold a NaN)
template <bool IsSpearman>
py::tuple correlation_matrix(const py::array& L, bool pairwise, int threads) {
    require_ndim(L, "L", 2);
    const auto d = static_cast<std::size_t>(L.shape(0)), n = static_cast<std::size_t>(L.shape(1));
    if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw py::value_error("L has more than 2**31 - 1 columns");
    py::array_t<double> out({d, d});
    double* dst = out.mutable_data();
    const auto policy = pairwise ? oneproxy::MissingRows::pairwise : oneproxy::MissingRows::propagate;
    const unsigned t = oneproxy::resolve_threads(threads);
    std::vector<char> missing = with_values(L, "L", [&](auto* pl) {
        py::gil_scoped_release release;
        if constexpr (IsSpearman) return oneproxy::spearman_matrix(pl, d, n, policy, dst, t);
        else return oneproxy::kendall_matrix(pl, d, n, policy, dst, t);
    });
    py::array_t<bool> rows(d);
    std::copy(missing.begin(), missing.end(), rows.mutable_data());
    return py::make_tuple(out, rows);
}

}  // namespace

void register_correlation(py::module_& m) {
    m.def("rank", &rank, py::arg("x"),
          "Average ranks (1-based) of a 1-D float64/int64/uint64 array without NaN.");
    m.def("spearman",
          [](const py::array& x, const py::array& y, bool omit, int threads) {
              return pair_correlation(x, y, omit, threads, Spearman{});
          },
          py::arg("x"), py::arg("y"), py::arg("omit") = false, py::arg("threads") = 0,
          "Spearman's rho of two 1-D arrays; nan for n < 2 or constant input.");
    m.def("kendall",
          [](const py::array& x, const py::array& y, bool omit, int threads) {
              return pair_correlation(x, y, omit, threads, Kendall{});
          },
          py::arg("x"), py::arg("y"), py::arg("omit") = false, py::arg("threads") = 0,
          "Kendall's tau-b of two 1-D arrays; nan for n < 2 or constant input.");
    m.def("spearman_matrix", &correlation_matrix<true>, py::arg("L"), py::arg("pairwise") = false,
          py::arg("threads") = 0,
          "Spearman matrix (d, d) of the rows of L (d, n) and a mask of the rows holding NaN; "
          "their correlations are nan, or use pairwise complete observations if pairwise.");
    m.def("kendall_matrix", &correlation_matrix<false>, py::arg("L"), py::arg("pairwise") = false,
          py::arg("threads") = 0,
          "Kendall tau-b matrix (d, d) of the rows of L (d, n) and a mask of the rows holding "
          "NaN, handled as in spearman_matrix.");
}
