// Hypervolume: the measure of the region dominated by a point set and bounded by a reference
// point, all objectives minimised (callers negate maximised objectives and their reference).
//   m = 1    r - min(f);
//   m = 2    one sweep in f1 order: O(n log n);
//   m = 3    a sweep in f3 order over a staircase of (f1, f2) whose area is updated as points
//            enter it (the HV3D idea): O(n log n);
//   m >= 4   slicing along the last objective, each slice a hypervolume in m - 1 dimensions
//            (HSO): exact, O(n^(m-2) log n).
// Points that do not dominate the reference point strictly in every objective add nothing and
// are dropped first.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <vector>

#include "oneproxy/rank.hpp"

namespace oneproxy {

namespace detail {

// Rows of P (n x m) inside the reference box, as a compact row-major copy.
inline std::vector<double> inside_box(const double* P, std::size_t n, std::size_t m, const double* ref) {
    std::vector<double> out;
    out.reserve(n * m);
    for (std::size_t i = 0; i < n; ++i) {
        const double* p = P + i * m;
        if (std::equal(p, p + m, ref, [](double a, double r) { return a < r; })) out.insert(out.end(), p, p + m);
    }
    return out;
}

// Order of the rows of P (n x m) by column c (radix sort; ties in any order, which no sweep
// below depends on).
inline std::vector<std::uint32_t> order_by(const std::vector<double>& P, std::size_t m, std::size_t c) {
    const std::size_t n = P.size() / m;
    std::vector<double> column(n);
    for (std::size_t i = 0; i < n; ++i) column[i] = P[i * m + c];
    std::vector<std::uint32_t> order(n);
    for_each_sorted_run(column.data(), n, [&](const KeyIndex* a, std::size_t len, std::size_t first) {
        for (std::size_t k = 0; k < len; ++k) order[first + k] = a[k].index;
    });
    return order;
}

inline double hypervolume_2d(const std::vector<double>& P, const double* ref) {
    double volume = 0.0, height = ref[1];
    for (const std::uint32_t i : order_by(P, 2, 0)) {
        const double x = P[2 * i], y = P[2 * i + 1];
        if (y < height) {
            volume += (ref[0] - x) * (height - y);
            height = y;
        }
    }
    return volume;
}

// Area dominated by a 2-D staircase within the reference box, kept up to date as points enter.
class AreaStaircase {
public:
    explicit AreaStaircase(double rx, double ry) : rx_(rx), ry_(ry) {}

    void add(double x, double y) {
        auto next = steps_.lower_bound(x);  // first step with key >= x
        if (next != steps_.end() && next->first == x && next->second <= y) return;  // dominated
        double h = ry_;                     // height of the boundary just left of x
        if (next != steps_.begin()) h = std::prev(next)->second;
        if (h <= y) return;                 // dominated
        double at = x;                      // left end of the segment being covered
        while (next != steps_.end() && next->second >= y) {  // steps (x, y) now dominates
            area_ += (next->first - at) * (h - y);
            at = next->first;
            h = next->second;
            next = steps_.erase(next);
        }
        area_ += ((next == steps_.end() ? rx_ : next->first) - at) * (h - y);
        steps_.emplace_hint(next, x, y);
    }
    double area() const { return area_; }

private:
    double rx_, ry_, area_ = 0.0;
    std::map<double, double> steps_;  // x increasing, y strictly decreasing
};

inline double hypervolume_3d(const std::vector<double>& P, const double* ref) {
    const std::vector<std::uint32_t> order = order_by(P, 3, 2);
    AreaStaircase stairs(ref[0], ref[1]);
    double volume = 0.0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const double* p = &P[3 * order[k]];
        stairs.add(p[0], p[1]);
        const double z_next = k + 1 < order.size() ? P[3 * order[k + 1] + 2] : ref[2];
        volume += stairs.area() * (z_next - p[2]);
    }
    return volume;
}

inline double hypervolume_inside(const std::vector<double>& P, std::size_t m, const double* ref) {
    if (P.empty()) return 0.0;
    if (m == 1) return ref[0] - *std::min_element(P.begin(), P.end());
    if (m == 2) return hypervolume_2d(P, ref);
    if (m == 3) return hypervolume_3d(P, ref);
    // Slices along the last objective: between consecutive values z_k and z_(k+1), the
    // points with last value <= z_k dominate an (m-1)-dimensional region.
    const std::vector<std::uint32_t> order = order_by(P, m, m - 1);
    std::vector<double> slice;
    double volume = 0.0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const double* p = &P[m * order[k]];
        slice.insert(slice.end(), p, p + m - 1);
        const double z_next = k + 1 < order.size() ? P[m * order[k + 1] + m - 1] : ref[m - 1];
        if (z_next > p[m - 1]) volume += hypervolume_inside(slice, m - 1, ref) * (z_next - p[m - 1]);
    }
    return volume;
}

}  // namespace detail

// Hypervolume of the rows of P (n x m, minimised) with respect to ref (m values).
inline double hypervolume(const double* P, std::size_t n, std::size_t m, const double* ref) {
    return detail::hypervolume_inside(detail::inside_box(P, n, m, ref), m, ref);
}

}  // namespace oneproxy
