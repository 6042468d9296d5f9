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
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "oneproxy/archive.hpp"

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

// ---------------------------------------------------------------------------- arrays by dtype

// `a` as a NumPy array of `ndim` dimensions, else TypeError or ValueError naming `name`.
inline py::array array_argument(const py::handle& a, const char* name, py::ssize_t ndim) {
    if (!py::isinstance<py::array>(a))
        throw py::type_error(std::string(name) + " must be a NumPy array, got " +
                             std::string(py::str(a.get_type().attr("__name__"))));
    auto arr = py::reinterpret_borrow<py::array>(a);
    require_ndim(arr, name, ndim);
    return arr;
}

// `a` (`ndim`-dimensional, any real dtype) as C-contiguous float64.
inline Matrix real_array(const py::handle& a, const char* name, py::ssize_t ndim) {
    const py::array arr = array_argument(a, name, ndim);
    const char kind = arr.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
        throw py::type_error(std::string(name) + " must hold real numbers, got dtype " +
                             std::string(py::str(arr.dtype())));
    return Matrix::ensure(arr);
}

// `a` (`ndim`-dimensional, of T's dtype exactly: uint8 codes, uint64 words) as C-contiguous.
template <class T>
py::array_t<T, py::array::c_style> typed_array(const py::handle& a, const char* name, py::ssize_t ndim) {
    const py::array arr = array_argument(a, name, ndim);
    if (!py::isinstance<py::array_t<T>>(arr))
        throw py::type_error(std::string(name) + " must have dtype " + std::string(py::str(py::dtype::of<T>())) +
                             ", got " + std::string(py::str(arr.dtype())));
    return py::array_t<T, py::array::c_style>::ensure(arr);
}

inline void require_length(const py::array& a, const char* name, std::size_t n, const char* per) {
    if (static_cast<std::size_t>(a.shape(0)) != n)
        throw py::value_error(std::string(name) + " must have one entry per " + per + " (" + std::to_string(n) +
                              "), got " + std::to_string(a.shape(0)));
}

// ---------------------------------------------------------------------------- 128-bit words

// hi * 2**64 + lo of each pair of words (n each; no hi: 0).
inline std::vector<u128> joined_words(const std::uint64_t* lo, const std::uint64_t* hi, std::size_t n) {
    std::vector<u128> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = (u128{hi != nullptr ? hi[i] : 0} << 64) | lo[i];
    return out;
}

// The low or high words of `v` (`high`) as a uint64 array.
inline py::array_t<std::uint64_t> words(const std::vector<u128>& v, bool high) {
    py::array_t<std::uint64_t> out(static_cast<py::ssize_t>(v.size()));
    std::uint64_t* w = out.mutable_data();
    for (std::size_t i = 0; i < v.size(); ++i) w[i] = static_cast<std::uint64_t>(high ? v[i] >> 64 : v[i]);
    return out;
}

// ---------------------------------------------------------------------------- shared objects

// A core object bound as a Python class whose long methods release the GIL: those methods and
// every reader take its lock, so that two Python threads never see it half changed. A thread
// holding the lock never waits for the GIL, so the two cannot deadlock.
template <class T>
class Shared {
public:
    template <class... Args>
    explicit Shared(Args&&... args) : value_(std::forward<Args>(args)...) {}

    // f(object) with the GIL released.
    template <class F>
    decltype(auto) released(F&& f) {
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> hold(lock_);
        return f(value_);
    }
    // f(object) with the GIL held (to read it into Python objects).
    template <class F>
    decltype(auto) read(F&& f) const {
        const std::lock_guard<std::mutex> hold(lock_);
        return f(static_cast<const T&>(value_));
    }

private:
    T value_;
    mutable std::mutex lock_;
};

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
