// Pareto fronts and their quality: the non-dominated filter and sort (pareto.hpp), the
// hypervolume (hypervolume.hpp), IGD and the crowding distance (quality.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "oneproxy/hypervolume.hpp"
#include "oneproxy/parallel.hpp"
#include "oneproxy/pareto.hpp"
#include "oneproxy/quality.hpp"

namespace py = pybind11;
using namespace oneproxy::binding;

namespace {

// Objective keys of F (n x m, float64, C order) with the maximised columns negated.
oneproxy::ObjectiveKeys objective_keys(const py::array_t<double>& F, const std::vector<bool>& maximise) {
    require_ndim(F, "F", 2);
    if (!(F.flags() & py::array::c_style)) throw py::value_error("F must be C-contiguous");
    const auto n = static_cast<std::size_t>(F.shape(0)), m = static_cast<std::size_t>(F.shape(1));
    if (maximise.size() != m)
        throw py::value_error("maximise must have one entry per objective (" + std::to_string(m) +
                              "), got " + std::to_string(maximise.size()));
    if (n > std::numeric_limits<std::uint32_t>::max())
        throw py::value_error("F has more than 2**32 - 1 rows");
    const std::vector<char> flags(maximise.begin(), maximise.end());
    std::optional<oneproxy::ObjectiveKeys> K;
    {
        py::gil_scoped_release release;
        K.emplace(F.data(), n, m, flags);  // finds the first NaN as it goes: no second pass
    }
    if (K->first_nan_row < n) throw nan_in_row("F", K->first_nan_row);
    return std::move(*K);
}

py::array_t<bool> is_nondominated(const py::array_t<double>& F, const std::vector<bool>& maximise,
                                  bool keep_duplicates) {
    const oneproxy::ObjectiveKeys K = objective_keys(F, maximise);
    std::vector<char> mask(K.n, 0);
    {
        py::gil_scoped_release release;
        oneproxy::nondominated_mask(K, keep_duplicates, mask.data());
    }
    py::array_t<bool> out(static_cast<py::ssize_t>(K.n));
    std::copy(mask.begin(), mask.end(), out.mutable_data());
    return out;
}

py::array_t<std::int64_t> nondominated_sort(const py::array_t<double>& F,
                                            const std::vector<bool>& maximise) {
    const oneproxy::ObjectiveKeys K = objective_keys(F, maximise);
    py::array_t<std::int64_t> rank(static_cast<py::ssize_t>(K.n));
    std::int64_t* dst = rank.mutable_data();
    py::gil_scoped_release release;
    oneproxy::nondominated_sort(K, dst);
    return rank;
}

double hypervolume(const Matrix& F, const Matrix& ref) {
    const auto [n, m] = matrix_shape(F, "F");
    require_ndim(ref, "ref", 1);
    if (static_cast<std::size_t>(ref.size()) != m)
        throw py::value_error("ref must have one value per objective (" + std::to_string(m) +
                              "), got " + std::to_string(ref.size()));
    require_no_nan_rows(F.data(), n, m, "F");  // here, not in Python: two NumPy reductions cost
    require_no_nan(ref.data(), m, "ref");      // more than a 100-point 4-D volume takes
    // m >= 4 can take minutes: every 20 ms of work the GIL is taken back to check for signals,
    // and Ctrl-C stops the computation with KeyboardInterrupt.
    bool interrupted = false;
    double volume = 0.0;
    {
        py::gil_scoped_release release;
        auto last = std::chrono::steady_clock::now();
        const std::function<bool()> poll = [&] {
            const auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::milliseconds(20)) return false;
            last = now;
            py::gil_scoped_acquire acquire;
            return interrupted = PyErr_CheckSignals() != 0;
        };
        try {
            volume = oneproxy::hypervolume(F.data(), n, m, ref.data(), poll);
        } catch (const oneproxy::HypervolumeInterrupted&) {
        }
    }
    if (interrupted) throw py::error_already_set();
    return volume;
}

double igd(const Matrix& F, const Matrix& R, bool plus, int threads) {
    const auto [n, m] = matrix_shape(F, "F");
    const auto [r, mr] = matrix_shape(R, "reference_front");
    if (mr != m)
        throw py::value_error("F and reference_front must have the same number of objectives, got " +
                              std::to_string(m) + " and " + std::to_string(mr));
    if (n == 0 || r == 0) throw py::value_error("F and reference_front must not be empty");
    const unsigned t = oneproxy::resolve_threads(threads);
    py::gil_scoped_release release;
    return oneproxy::inverted_generational_distance(F.data(), n, R.data(), r, m, plus, t);
}

py::array_t<double> crowding_distance(const Matrix& F, const py::object& fronts) {
    const auto [n, m] = matrix_shape(F, "F");
    py::array_t<double> out(static_cast<py::ssize_t>(n));
    double* dst = out.mutable_data();
    if (fronts.is_none()) {
        std::vector<std::size_t> rows(n);
        std::iota(rows.begin(), rows.end(), std::size_t{0});
        py::gil_scoped_release release;
        oneproxy::crowding_distance(F.data(), m, rows.data(), n, dst);
        return out;
    }
    const auto labels = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(fronts);
    if (!labels || labels.ndim() != 1 || static_cast<std::size_t>(labels.size()) != n)
        throw py::value_error("fronts must be a 1-D integer array with one label per row of F (" +
                              std::to_string(n) + ")");
    const std::int64_t* f = labels.data();
    std::int64_t top = -1;
    for (std::size_t i = 0; i < n; ++i) {
        if (f[i] < 0 || f[i] >= static_cast<std::int64_t>(n))
            throw py::value_error("fronts[" + std::to_string(i) + "] = " + std::to_string(f[i]) +
                                  " is not a front label in [0, " + std::to_string(n) + ")");
        top = std::max(top, f[i]);
    }
    py::gil_scoped_release release;
    oneproxy::crowding_distance_by_front(F.data(), n, m, f, static_cast<std::size_t>(top + 1), dst);
    return out;
}

}  // namespace

void register_pareto(py::module_& m) {
    m.def("is_nondominated", &is_nondominated, py::arg("F"), py::arg("maximise"),
          py::arg("keep_duplicates") = true,
          "Mask of the non-dominated rows of F (n, m); maximise has m flags; NaN raises.");
    m.def("nondominated_sort", &nondominated_sort, py::arg("F"), py::arg("maximise"),
          "Front index (0 = non-dominated) of each row of F (n, m); NaN raises.");
    m.def("hypervolume", &hypervolume, py::arg("F"), py::arg("ref"),
          "Hypervolume of the rows of F (n, m), all minimised, bounded by ref (m,).");
    m.def("igd", &igd, py::arg("F"), py::arg("reference_front"), py::arg("plus") = false,
          py::arg("threads") = 0,
          "Mean distance from each reference point to its nearest row of F (IGD, or IGD+).");
    m.def("crowding_distance", &crowding_distance, py::arg("F"), py::arg("fronts") = py::none(),
          "NSGA-II crowding distance of each row of F (n, m) within its front (fronts (n,) labels "
          "0..k-1, or all rows one front); inf at each front's extremes in each objective.");
}
