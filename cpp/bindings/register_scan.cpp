// Exhaustive scans of a mixed-radix space under additive objectives (scan.hpp), with Ctrl-C
// and progress reports while the scan runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <utility>

#include "convert.hpp"
#include "oneproxy/parallel.hpp"
#include "oneproxy/scan.hpp"

namespace py = pybind11;
using namespace oneproxy::binding;
using oneproxy::u128;

namespace {

using Flags = py::array_t<bool, py::array::c_style | py::array::forcecast>;
using Radix = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>;

// The core's problem: tables (P, C, m), radix (P,), constant (m,), slack (m,), exact (m,).
oneproxy::AdditiveProblem additive_problem(const Matrix& tables, const Radix& radix, const Matrix& constant,
                                           const std::optional<Matrix>& slack, const std::optional<Flags>& exact) {
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
    return pr;
}

// [start, stop) from (hi, lo) pairs, inside the space of `radix`.
std::pair<u128, u128> index_range(const std::vector<std::uint32_t>& radix, std::uint64_t start_hi,
                                  std::uint64_t start_lo, std::uint64_t stop_hi, std::uint64_t stop_lo) {
    const u128 start = (u128{start_hi} << 64) | start_lo;
    const u128 stop = (u128{stop_hi} << 64) | stop_lo;
    if (stop < start) throw py::value_error("stop must not be below start");
    u128 size = 1;
    bool beyond = false;  // size > 2**128 - 1: every 128-bit stop fits
    for (auto r : radix) {
        if (size > ~u128{0} / r) beyond = true;
        size = beyond ? size : size * r;
    }
    if (!beyond && stop > size) throw py::value_error("stop must not exceed the space's size");
    return {start, stop};
}

// The scan runs on its own threads with the GIL released; this thread wakes every 50 ms to
// check for signals (Ctrl-C stops the scan within a chunk, well under a second), returns as
// soon as the scan ends, and calls progress(evaluated) about twice a second. A signal or an
// exception from progress stops the scan before it propagates.
oneproxy::ScanResult run(const oneproxy::AdditiveProblem& pr, u128 start, u128 stop, unsigned threads,
                         const py::object& progress) {
    std::atomic<bool> stop_flag{false};
    std::promise<void> finished;
    auto finished_future = finished.get_future();
    std::atomic<std::uint64_t> done{0};
    oneproxy::ScanResult result;
    std::exception_ptr error;
    {
        py::gil_scoped_release release;
        std::thread worker([&] {
            try {
                result = oneproxy::scan_additive(pr, start, stop, threads, stop_flag, done);
            } catch (...) {
                error = std::current_exception();
            }
            finished.set_value();
        });
        auto last = std::chrono::steady_clock::now();
        while (finished_future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
            py::gil_scoped_acquire acquire;
            try {
                if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                const auto now = std::chrono::steady_clock::now();
                if (!progress.is_none() && now - last > std::chrono::milliseconds(500)) {
                    last = now;
                    progress(done.load());
                }
            } catch (...) {
                stop_flag = true;
                {
                    py::gil_scoped_release again;
                    worker.join();
                }
                throw;
            }
        }
        worker.join();
    }
    if (error) std::rethrow_exception(error);
    return result;
}

// Exhaustive additive scan of [start, stop) (128-bit indices as (hi, lo) pairs).
py::tuple scan_additive(const Matrix& tables, const Radix& radix, const Matrix& constant, std::uint64_t start_hi,
                        std::uint64_t start_lo, std::uint64_t stop_hi, std::uint64_t stop_lo, int threads,
                        const py::object& progress, const std::optional<Matrix>& slack,
                        const std::optional<Flags>& exact) {
    const oneproxy::AdditiveProblem pr = additive_problem(tables, radix, constant, slack, exact);
    const auto [start, stop] = index_range(pr.radix, start_hi, start_lo, stop_hi, stop_lo);
    const oneproxy::ScanResult result = run(pr, start, stop, oneproxy::resolve_threads(threads), progress);
    const auto F = static_cast<py::ssize_t>(result.ids.size());
    py::array_t<double> points({F, static_cast<py::ssize_t>(pr.objectives)});
    std::copy(result.points.begin(), result.points.end(), points.mutable_data());
    return py::make_tuple(points, words(result.ids, true), words(result.ids, false), result.evaluated);
}

}  // namespace

void register_scan(py::module_& m) {
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
