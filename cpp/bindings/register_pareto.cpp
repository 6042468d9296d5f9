// Pareto fronts and their quality: the non-dominated filter and sort (pareto.hpp), the
// archive (archive.hpp), the hypervolume (hypervolume.hpp), IGD and the crowding distance
// (quality.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "oneproxy/archive.hpp"
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

// ---------------------------------------------------------------------------- the archive

using Archive = Shared<oneproxy::ParetoArchive>;

constexpr const char* kCopies[] = {"all", "per_tag", "first"};  // oneproxy::Copies by value

std::unique_ptr<Archive> new_archive(std::int64_t n_objectives, const std::string& copies) {
    if (n_objectives < 1) throw py::value_error("n_objectives must be >= 1, got " + std::to_string(n_objectives));
    for (int c = 0; c < 3; ++c)
        if (copies == kCopies[c])
            return std::make_unique<Archive>(static_cast<std::size_t>(n_objectives), static_cast<oneproxy::Copies>(c));
    throw py::value_error("copies must be 'all', 'per_tag' or 'first', got '" + copies + "'");
}

std::string copies_of(const oneproxy::ParetoArchive& a) { return kCopies[static_cast<int>(a.copies())]; }

// Adds points (n, m) with tags (n,) and tags_hi (n,) or none, checked; what archive.add returns.
py::array_t<std::int64_t> add(Archive& archive, const py::handle& points, const py::handle& tags,
                              const py::handle& tags_hi) {
    const std::size_t m = archive.read([](const oneproxy::ParetoArchive& a) { return a.objectives(); });
    const Matrix F = real_array(points, "points", 2);
    const auto n = static_cast<std::size_t>(F.shape(0));
    if (static_cast<std::size_t>(F.shape(1)) != m)
        throw py::value_error("points must have " + std::to_string(m) + " columns (objectives), got " +
                              std::to_string(F.shape(1)));
    require_no_nan_rows(F.data(), n, m, "points");
    const auto lo = typed_array<std::uint64_t>(tags, "tags", 1);
    require_length(lo, "tags", n, "row of points");
    std::optional<py::array_t<std::uint64_t, py::array::c_style>> hi;
    if (!tags_hi.is_none()) {
        hi = typed_array<std::uint64_t>(tags_hi, "tags_hi", 1);
        require_length(*hi, "tags_hi", n, "row of points");
    }
    const std::vector<oneproxy::u128> t = joined_words(lo.data(), hi ? hi->data() : nullptr, n);
    const std::vector<std::size_t> kept = archive.released([&](oneproxy::ParetoArchive& a) {
        if (a.size() + n > std::numeric_limits<std::uint32_t>::max())
            throw py::value_error("the archive would hold more than 2**32 - 1 points");
        return a.add(F.data(), t.data(), n);
    });
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(kept.size()));
    std::copy(kept.begin(), kept.end(), out.mutable_data());
    return out;
}

py::array_t<std::int64_t> merge(Archive& archive, const Archive& other) {
    // a copy first: merging two archives into each other from two threads must not deadlock
    const oneproxy::ParetoArchive theirs = other.read([](const oneproxy::ParetoArchive& a) { return a; });
    const std::size_t m = archive.read([](const oneproxy::ParetoArchive& a) { return a.objectives(); });
    if (theirs.objectives() != m)
        throw py::value_error("other must have " + std::to_string(m) + " objectives, got " +
                              std::to_string(theirs.objectives()));
    const std::vector<std::size_t> kept = archive.released([&](oneproxy::ParetoArchive& a) {
        if (a.size() + theirs.size() > std::numeric_limits<std::uint32_t>::max())
            throw py::value_error("the archive would hold more than 2**32 - 1 points");
        return a.merge(theirs);
    });
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(kept.size()));
    std::copy(kept.begin(), kept.end(), out.mutable_data());
    return out;
}

py::array_t<double> points_of(const oneproxy::ParetoArchive& a) {
    py::array_t<double> out({static_cast<py::ssize_t>(a.size()), static_cast<py::ssize_t>(a.objectives())});
    std::copy(a.points().begin(), a.points().end(), out.mutable_data());
    return out;
}

py::array_t<double> archived_points(const Archive& archive) { return archive.read(&points_of); }

py::array_t<std::uint64_t> archived_tags(const Archive& archive, bool high) {
    return archive.read([high](const oneproxy::ParetoArchive& a) { return words(a.tags(), high); });
}

// (n_objectives, copies, points, tags, tags_hi): what unpickling adds again.
py::tuple archive_state(const Archive& archive) {
    return archive.read([](const oneproxy::ParetoArchive& a) {  // one read: a consistent state
        return py::make_tuple(a.objectives(), copies_of(a), points_of(a), words(a.tags(), false),
                              words(a.tags(), true));
    });
}

std::unique_ptr<Archive> archive_from_state(const py::tuple& state) {
    if (state.size() != 5) throw py::value_error("an archive's state has 5 entries, got " + std::to_string(state.size()));
    auto archive = new_archive(state[0].cast<std::int64_t>(), state[1].cast<std::string>());
    add(*archive, state[2], state[3], state[4]);
    return archive;
}

void bind_archive(py::module_& m) {
    py::class_<Archive>(m, "ParetoArchive",
                        "The non-dominated points (all objectives minimised) of everything added, each "
                        "with a 128-bit tag (tags: low words, tags_hi: high words); of identical points "
                        "(-0.0 equal to 0.0) it keeps every copy (copies='all'), one per tag ('per_tag') "
                        "or the first ('first'). Pickles.")
        .def(py::init(&new_archive), py::arg("n_objectives"), py::arg("copies") = "all")
        .def("add", &add, py::arg("points"), py::arg("tags"), py::arg("tags_hi") = py::none(),
             "Adds points (n, m) with tags (n,) uint64 (and tags_hi (n,) uint64, default 0); returns what "
             "the archive holds afterwards as positions (int64) into its former points followed by these.")
        .def("merge", &merge, py::arg("other"), "Adds another archive's points and tags; returns as add.")
        .def_property_readonly("n_objectives", [](const Archive& a) {
            return a.read([](const oneproxy::ParetoArchive& x) { return x.objectives(); });
        })
        .def_property_readonly("copies", [](const Archive& a) { return a.read(&copies_of); })
        .def_property_readonly("points", &archived_points, "The archived points (len, m), float64 (a copy).")
        .def_property_readonly("tags", [](const Archive& a) { return archived_tags(a, false); },
                               "Low 64 bits of the points' tags (len,), uint64.")
        .def_property_readonly("tags_hi", [](const Archive& a) { return archived_tags(a, true); },
                               "High 64 bits of the points' tags (len,), uint64.")
        .def("__len__", [](const Archive& a) {
            return a.read([](const oneproxy::ParetoArchive& x) { return x.size(); });
        })
        .def(py::pickle(&archive_state, &archive_from_state));
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
    bind_archive(m);
}
