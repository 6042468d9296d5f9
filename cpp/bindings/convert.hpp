// What the register_*.cpp files share: taking NumPy arrays apart into what the C++ core
// assumes (dtype, contiguity, shape, no NaN where the core cannot take it). Each file builds
// its topic's structures from these. Argument checking that users see (names, NaN policies,
// dtype conversion) happens in the Python layer above; these checks guard the core itself.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace oneproxy::binding {

namespace py = pybind11;

using Matrix = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Calls f with a typed pointer to the data of `a` (float64, int64 or uint64, C-contiguous).
template <class F>
decltype(auto) with_values(const py::array& a, const char* name, F&& f) {
    if (!(a.flags() & py::array::c_style))
        throw py::value_error(std::string(name) + " must be C-contiguous");
    if (static_cast<std::uint64_t>(a.size()) > std::numeric_limits<std::uint32_t>::max())
        throw py::value_error(std::string(name) + " has more than 2**32 - 1 elements");
    const char kind = a.dtype().kind();
    const auto size = a.dtype().itemsize();
    if (kind == 'f' && size == 8) return f(static_cast<const double*>(a.data()));
    if (kind == 'i' && size == 8) return f(static_cast<const std::int64_t*>(a.data()));
    if (kind == 'u' && size == 8) return f(static_cast<const std::uint64_t*>(a.data()));
    throw py::type_error(std::string(name) + " must have dtype float64, int64 or uint64, got " +
                         std::string(py::str(a.dtype())));
}

inline void require_ndim(const py::array& a, const char* name, py::ssize_t ndim) {
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) +
                              "-dimensional, got " + std::to_string(a.ndim()) + " dimensions");
}

inline void require_same_length(const py::array& x, const py::array& y) {
    if (x.size() != y.size())
        throw py::value_error("x and y must have the same length, got " +
                              std::to_string(x.size()) + " and " + std::to_string(y.size()));
}

// (rows, columns) of a 2-D matrix argument.
inline std::pair<std::size_t, std::size_t> matrix_shape(const Matrix& M, const char* name) {
    require_ndim(M, name, 2);
    return {static_cast<std::size_t>(M.shape(0)), static_cast<std::size_t>(M.shape(1))};
}

// ---------------------------------------------------------------------------- NaN

// Index of the first NaN of v[0, n), or n.
inline std::size_t first_nan(const double* v, std::size_t n) {
    std::size_t i = 0;
    while (i < n && !std::isnan(v[i])) ++i;
    return i;
}

inline py::value_error nan_in_row(const char* name, std::size_t row) {
    return py::value_error(std::string(name) + " has NaN in row " + std::to_string(row));
}

// M (rows x columns, row-major) holds no NaN.
inline void require_no_nan_rows(const double* M, std::size_t rows, std::size_t columns, const char* name) {
    const std::size_t i = first_nan(M, rows * columns);
    if (i < rows * columns) throw nan_in_row(name, i / columns);
}

// v (n) holds no NaN.
inline void require_no_nan(const double* v, std::size_t n, const char* name) {
    const std::size_t i = first_nan(v, n);
    if (i < n) throw py::value_error(std::string(name) + " has NaN at " + std::to_string(i));
}

}  // namespace oneproxy::binding
