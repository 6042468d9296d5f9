// The extension module oneproxy._core: each register_*.cpp binds one topic of the C++ core in
// cpp/include/oneproxy (converting arrays, checking what the core assumes, releasing the GIL
// around the work); argument checking that users see happens in the Python layer above.
#include <pybind11/pybind11.h>

#include "oneproxy/parallel.hpp"

namespace py = pybind11;

void register_correlation(py::module_& m);
void register_pareto(py::module_& m);
void register_scan(py::module_& m);
void register_search(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "Compiled core of oneproxy (use the functions in `oneproxy`, which check arguments).";
    // the thread team behind every topic's parallel loops
    m.def("last_team_size", [] { return oneproxy::last_team_size.load(); },
          "Threads the core's latest parallel loop ran on (1: serially; 0: none has run).");
    register_correlation(m);
    register_pareto(m);
    register_scan(m);
    register_search(m);
}
