// The extension module oneproxy._core: converts arrays, checks what the C++ core assumes,
// releases the GIL and calls the algorithms in cpp/include/oneproxy. Argument checking that
// users see (names, NaN policies, dtype conversion) happens in the Python layer above.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "oneproxy/correlation.hpp"
#include "oneproxy/hypervolume.hpp"
#include "oneproxy/nsga2.hpp"
#include "oneproxy/pareto.hpp"
#include "oneproxy/quality.hpp"
#include "oneproxy/rank.hpp"
#include "oneproxy/scan.hpp"
#include "oneproxy/survival.hpp"
#include "oneproxy/variation.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace py = pybind11;

namespace {

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

void require_ndim(const py::array& a, const char* name, py::ssize_t ndim) {
    if (a.ndim() != ndim)
        throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) +
                              "-dimensional, got " + std::to_string(a.ndim()) + " dimensions");
}

void require_same_length(const py::array& x, const py::array& y) {
    if (x.size() != y.size())
        throw py::value_error("x and y must have the same length, got " +
                              std::to_string(x.size()) + " and " + std::to_string(y.size()));
}

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
        K.emplace(F.data(), n, m, flags);
    }
    if (K->first_nan_row < n)
        throw py::value_error("F has NaN in row " + std::to_string(K->first_nan_row));
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

using Matrix = py::array_t<double, py::array::c_style | py::array::forcecast>;

// (rows, columns) of a 2-D matrix argument.
std::pair<std::size_t, std::size_t> matrix_shape(const Matrix& M, const char* name) {
    require_ndim(M, name, 2);
    return {static_cast<std::size_t>(M.shape(0)), static_cast<std::size_t>(M.shape(1))};
}

double hypervolume(const Matrix& F, const Matrix& ref) {
    const auto [n, m] = matrix_shape(F, "F");
    require_ndim(ref, "ref", 1);
    if (static_cast<std::size_t>(ref.size()) != m)
        throw py::value_error("ref must have one value per objective (" + std::to_string(m) +
                              "), got " + std::to_string(ref.size()));
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

// NSGA-II survival: (keep (k,), crowding of the kept rows (k,)) for F (N, m) minimised and
// violations cv (N,), k = min(n, N).
py::tuple survivors(const Matrix& F, const py::array_t<double, py::array::c_style | py::array::forcecast>& cv,
                    std::size_t n) {
    const auto [N, m] = matrix_shape(F, "F");
    require_ndim(cv, "cv", 1);
    if (static_cast<std::size_t>(cv.size()) != N)
        throw py::value_error("cv must have one value per row of F (" + std::to_string(N) + "), got " +
                              std::to_string(cv.size()));
    const double* f = F.data();
    const double* v = cv.data();
    for (std::size_t i = 0; i < N * m; ++i)
        if (std::isnan(f[i])) throw py::value_error("F has NaN in row " + std::to_string(i / m));
    for (std::size_t i = 0; i < N; ++i)
        if (std::isnan(v[i])) throw py::value_error("cv has NaN at " + std::to_string(i));
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


// ---------------------------------------------------------------- variation and NSGA-II

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

Codes crossover(const Codes& a, const Codes& b, std::uint64_t seed) {
    require_ndim(a, "a", 2);
    const auto [n, P] = rows_shape(b, "b", static_cast<std::size_t>(a.shape(1)));
    if (static_cast<std::size_t>(a.shape(0)) != n) throw py::value_error("a and b must have the same shape");
    Codes out({n, P});
    oneproxy::crossover(a.data(), b.data(), n, P, seed, out.mutable_data());
    return out;
}

void mutate(Codes& c, std::uint64_t seed, double rate, const Ints& n_choices, const Ints& switch_,
            const Ints& threshold, bool used_only, bool at_least_one) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    if (!(rate >= 0.0 && rate <= 1.0)) throw py::value_error("rate must be in [0, 1]");
    oneproxy::mutate(c.mutable_data(), n, L, rate, used_only, at_least_one, seed);
}

Codes canonical(const Codes& c, const Ints& n_choices, const Ints& switch_, const Ints& threshold) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    Codes out({n, P});
    oneproxy::canonical(c.data(), n, L, out.mutable_data());
    return out;
}

py::array_t<bool> active(const Codes& c, const Ints& n_choices, const Ints& switch_, const Ints& threshold) {
    const oneproxy::Layout L = layout(n_choices, switch_, threshold);
    const auto [n, P] = rows_shape(c, "c", L.P);
    py::array_t<bool> out({n, P});
    oneproxy::active(c.data(), n, L, out.mutable_data());
    return out;
}

py::tuple archive_add(const Codes& rows, Codes& store, std::size_t n, Ints& table) {
    require_ndim(rows, "rows", 2);
    const auto [k, P] = rows_shape(rows, "rows", static_cast<std::size_t>(rows.shape(1)));
    oneproxy::Archive A = archive(store, n, table, P, k);
    Ints where(static_cast<py::ssize_t>(k));
    for (std::size_t i = 0; i < k; ++i) where.mutable_data()[i] = A.add(rows.data() + i * P);
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
        for (std::size_t j = 0; j < m; ++j)
            if (std::isnan(F_all.data()[e * m + j])) throw py::value_error("F_all is NaN for a member at " + std::to_string(e));
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

// Exhaustive additive scan of [start, stop) (128-bit indices as (hi, lo) pairs). The scan runs
// on its own threads with the GIL released; this thread wakes every 50 ms to check for
// signals (Ctrl-C stops the scan within a chunk, well under a second), returns as soon as
// the scan ends, and calls
// progress(evaluated) about twice a second.
py::tuple scan_additive(py::array_t<double, py::array::c_style | py::array::forcecast> tables,
                        py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast> radix,
                        py::array_t<double, py::array::c_style | py::array::forcecast> constant,
                        std::uint64_t start_hi, std::uint64_t start_lo, std::uint64_t stop_hi,
                        std::uint64_t stop_lo, int threads, py::object progress,
                        std::optional<py::array_t<double, py::array::c_style | py::array::forcecast>> slack,
                        std::optional<py::array_t<bool, py::array::c_style | py::array::forcecast>> exact) {
    require_ndim(tables, "tables", 3);
    require_ndim(radix, "radix", 1);
    require_ndim(constant, "constant", 1);
    oneproxy::AdditiveProblem pr;
    pr.positions = static_cast<std::size_t>(tables.shape(0));
    pr.max_choices = static_cast<std::size_t>(tables.shape(1));
    pr.objectives = static_cast<std::size_t>(tables.shape(2));
    if (static_cast<std::size_t>(radix.size()) != pr.positions || static_cast<std::size_t>(constant.size()) != pr.objectives)
        throw py::value_error("tables (P, C, m), radix (P,) and constant (m,) disagree");
    pr.radix.assign(radix.data(), radix.data() + radix.size());
    for (auto r : pr.radix)
        if (r < 1 || r > pr.max_choices) throw py::value_error("radix must be in [1, tables.shape[1]]");
    pr.table.assign(tables.data(), tables.data() + tables.size());
    pr.constant.assign(constant.data(), constant.data() + constant.size());
    if (slack) {
        if (slack->ndim() != 1 || static_cast<std::size_t>(slack->size()) != pr.objectives)
            throw py::value_error("slack must have shape (m,), one value per objective");
        pr.slack.assign(slack->data(), slack->data() + slack->size());
        for (double g : pr.slack)
            if (!(g >= 0) || !std::isfinite(g)) throw py::value_error("slack must be finite and >= 0");
    }
    if (exact) {
        if (exact->ndim() != 1 || static_cast<std::size_t>(exact->size()) != pr.objectives)
            throw py::value_error("exact must have shape (m,), one flag per objective");
        pr.exact.assign(exact->data(), exact->data() + exact->size());
    }
    const oneproxy::u128 start = (oneproxy::u128{start_hi} << 64) | start_lo;
    const oneproxy::u128 stop = (oneproxy::u128{stop_hi} << 64) | stop_lo;
    if (stop < start) throw py::value_error("stop must not be below start");
    oneproxy::u128 size = 1;
    bool beyond = false;  // size > 2**128 - 1: every 128-bit stop fits
    for (auto r : pr.radix) {
        if (size > ~oneproxy::u128{0} / r) beyond = true;
        size = beyond ? size : size * r;
    }
    if (!beyond && stop > size) throw py::value_error("stop must not exceed the space's size");

    std::atomic<bool> stop_flag{false};
    std::promise<void> finished;
    auto finished_future = finished.get_future();
    std::atomic<std::uint64_t> done{0};
    oneproxy::ScanResult result;
    std::exception_ptr error;
    const unsigned t = oneproxy::resolve_threads(threads);
    {
        py::gil_scoped_release release;
        std::thread worker([&] {
            try {
                result = oneproxy::scan_additive(pr, start, stop, t, stop_flag, done);
            } catch (...) {
                error = std::current_exception();
            }
            finished.set_value();
        });
        auto last = std::chrono::steady_clock::now();
        while (finished_future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
            py::gil_scoped_acquire acquire;
            if (PyErr_CheckSignals() != 0) {
                stop_flag = true;
                {
                    py::gil_scoped_release again;
                    worker.join();
                }
                throw py::error_already_set();
            }
            const auto now = std::chrono::steady_clock::now();
            if (!progress.is_none() && now - last > std::chrono::milliseconds(500)) {
                last = now;
                progress(done.load());
            }
        }
        worker.join();
    }
    if (error) std::rethrow_exception(error);
    const auto F = static_cast<py::ssize_t>(result.ids.size());
    py::array_t<double> points({F, static_cast<py::ssize_t>(pr.objectives)});
    std::copy(result.points.begin(), result.points.end(), points.mutable_data());
    py::array_t<std::uint64_t> hi(F), lo(F);
    for (py::ssize_t i = 0; i < F; ++i) {
        hi.mutable_data()[i] = static_cast<std::uint64_t>(result.ids[i] >> 64);
        lo.mutable_data()[i] = static_cast<std::uint64_t>(result.ids[i]);
    }
    return py::make_tuple(points, hi, lo, result.evaluated);
}

PYBIND11_MODULE(_core, m) {
    m.doc() = "Compiled core of oneproxy (use the functions in `oneproxy`, which check arguments).";
    m.def("last_team_size", [] { return oneproxy::last_team_size.load(); },
          "Threads the core's latest parallel loop ran on (1: serially; 0: none has run).");
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
    m.def("scan_additive", &scan_additive, py::arg("tables"), py::arg("radix"), py::arg("constant"),
          py::arg("start_hi"), py::arg("start_lo"), py::arg("stop_hi"), py::arg("stop_lo"),
          py::arg("threads") = 0, py::arg("progress") = py::none(), py::arg("slack") = py::none(),
          py::arg("exact") = py::none(),
          "Pareto archive (points (F, m), index hi (F,), index lo (F,), evaluated) of the indices "
          "in [start, stop) of a mixed-radix space under additive, minimised objectives "
          "tables (P, C, m) + constant (m,), summed left to right; the union of the threads' "
          "archives (filter it). slack (m,): the most by which two orders of summing a point's "
          "terms can differ, doubled (default 0); objectives not `exact` (default: all are) "
          "drop a point only when another is better by more than the slack.");
}
