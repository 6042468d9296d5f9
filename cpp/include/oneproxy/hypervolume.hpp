// Hypervolume: the measure of the region dominated by a point set and bounded by a reference
// point, all objectives minimised (callers negate maximised objectives and their reference).
//   m = 1    r - min(f);
//   m = 2    one sweep in f1 order: O(n log n);
//   m = 3    a sweep in f3 order over a staircase of (f1, f2) whose area is updated as points
//            enter it (the HV3D idea): O(n log n);
//   m >= 4   WFG (L. While, L. Bradstreet, L. Barone, "A fast way of calculating exact
//            hypervolumes", IEEE Trans. Evol. Comput. 16(1), 2012): with the points sorted by
//            f_m ascending, HV(S) = sum_a (r_m - f_m(p_a)) * [box(p_a) - HV(limit_a)] in
//            m - 1 objectives, where limit_a = {max(p_a, p_j) : j < a} (the part of p_a's box
//            that earlier points already cover) is cut down to its non-dominated points and
//            computed the same way, down to the 3-D sweep. Worst case exponential in m like
//            every known exact algorithm, but limit sets shrink fast: 100 x 9 random points
//            take a fraction of a second where slicing (HSO, the previous method) took 14 min.
// Points that do not dominate the reference point strictly in every objective add nothing and
// are dropped first; duplicates and dominated points add nothing either.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "oneproxy/rank.hpp"

namespace oneproxy {

// Thrown when the caller's `interrupted` callback asks a long computation to stop.
struct HypervolumeInterrupted : std::exception {
    const char* what() const noexcept override { return "hypervolume interrupted"; }
};

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
    return hypervolume_3d(P, ref);
}

// ---------------------------------------------------------------------------- m >= 4: WFG

// Volume of the box between p and the reference point in the first d objectives.
inline double box_volume(const double* p, const double* ref, std::size_t d) {
    double v = 1.0;
    for (std::size_t j = 0; j < d; ++j) v *= ref[j] - p[j];
    return v;
}

// Points of a 3-D set (stride 3) in ascending f3 order, swept with a staircase of (f1, f2)
// kept in one flat vector: WFG's limit sets are small (tens to a few hundred points), where a
// contiguous array beats a tree by far.
class FlatSweep3 {
public:
    double volume(const double* P, std::size_t k, const double* ref) {
        steps_.clear();
        double volume = 0.0, area = 0.0;
        for (std::size_t a = 0; a < k; ++a) {
            const double* p = P + 3 * a;
            area += add(p[0], p[1], ref);
            const double z_next = a + 1 < k ? P[3 * (a + 1) + 2] : ref[2];
            volume += area * (z_next - p[2]);
        }
        return volume;
    }

    void clear() { steps_.clear(); }

    // Adds (x, y) and returns the area it adds to the staircase's dominated region.
    double add(double x, double y, const double* ref) {
        auto first = std::lower_bound(steps_.begin(), steps_.end(), x,
                                      [](const Step& s, double v) { return s.x < v; });
        if (first != steps_.end() && first->x == x && first->y <= y) return 0.0;
        double h = first == steps_.begin() ? ref[1] : std::prev(first)->y;
        if (h <= y) return 0.0;  // a step left of x is lower: (x, y) is dominated
        double added = 0.0, at = x;
        auto last = first;
        for (; last != steps_.end() && last->y >= y; ++last) {  // the steps (x, y) covers
            added += (last->x - at) * (h - y);
            at = last->x;
            h = last->y;
        }
        added += ((last == steps_.end() ? ref[0] : last->x) - at) * (h - y);
        if (first == last) {
            steps_.insert(first, Step{x, y});
        } else {
            *first = Step{x, y};
            steps_.erase(first + 1, last);
        }
        return added;
    }

private:
    struct Step { double x, y; };  // x increasing, y strictly decreasing
    std::vector<Step> steps_;
};

// WFG (While, Bradstreet & Barone 2012): the hypervolume of points p_1..p_k sorted by the
// last objective f_d ascending is the sum of their exclusive contributions, p_a's taken
// against p_1..p_(a-1) only:
//   HV(S) = sum_a [ box(p_a) - HV(limit_a) ],   limit_a = { max(p_a, p_j) : j < a }.
// Every point of limit_a has f_d = f_d(p_a) (p_j has the smaller f_d), so both terms share
// the factor (r_d - f_d(p_a)) and the bracket is a (d-1)-dimensional hypervolume of limit_a
// projected on f_1..f_(d-1). Limit sets shrink fast once their dominated points are dropped,
// which is what makes WFG fast. The recursion ends in the 3-D sweep.
class Wfg {
public:
    Wfg(const double* ref, std::size_t m, const std::function<bool()>& interrupted)
        : ref_(ref), interrupted_(interrupted), levels_(m + 1) {}

    // Hypervolume of the k rows of P (stride m, inside the box, any order).
    double operator()(const double* P, std::size_t k, std::size_t m) {
        const std::size_t kept = sorted_nondominated(P, k, m, true);
        return volume(levels_[m].kept.data(), kept, m);
    }

private:
    struct Key { double last, sum; std::uint32_t index; };
    struct Level {                        // scratch for sets of d objectives
        std::vector<double> limit, kept;  // rows of stride d
        std::vector<Key> order;
    };
    static constexpr std::size_t kCovered = static_cast<std::size_t>(-1);

    void poll() const {
        if (interrupted_ && interrupted_()) throw HypervolumeInterrupted();
    }

    // Hypervolume of k points (stride d) in ascending f_d order.
    double volume(const double* P, std::size_t k, std::size_t d) {
        if (k == 0) return 0.0;
        if (k == 1) return box_volume(P, ref_, d);
        if (d == 3) return sweep3_.volume(P, k, ref_);
        if (d == 4) return volume4(P, k);
        double total = 0.0;
        Level& L = levels_[d - 1];
        if (L.limit.size() < k * (d - 1)) L.limit.resize(k * (d - 1));
        for (std::size_t a = 1; a < k; ++a) {  // p_1's limit set is empty
            poll();
            const double* p = P + a * d;
            if (limit_set(P, a, d, L.limit.data()) == kCovered) continue;
            // the kept set stays valid through the recursion: deeper levels use their own
            const std::size_t kept = sorted_nondominated(L.limit.data(), a, d - 1, d - 1 > 3);
            total += (ref_[d - 1] - p[d - 1]) *
                     (box_volume(p, ref_, d - 1) - volume(L.kept.data(), kept, d - 1));
        }
        return total + box_volume(P, ref_, d);
    }

    // The same sum for d = 4, with limit sets that need no sorting or filtering (the idea of
    // HV4D, Guerreiro & Fonseca 2018): the points so far that are not covered by the others
    // in (f1, f2, f3) are kept in f3 order; max(p_a, q) keeps that order, so limit_a streams
    // straight into the 3-D sweep. A point whose box the others cover entirely is dropped: it
    // adds to no later limit set either, as box(max(p, q)) = box(p) ∩ box(q).
    double volume4(const double* P, std::size_t k) {
        const double* r = ref_;
        front_.clear();
        double total = 0.0;
        for (std::size_t a = 0; a < k; ++a) {
            poll();
            const double* p = P + 4 * a;
            const double full = (r[0] - p[0]) * (r[1] - p[1]);
            sweep3_.clear();
            double covered = 0.0, area = 0.0, z = p[2];
            bool filled = false, dropped = false;  // the staircase covers p's whole (f1, f2) box
            std::size_t keep = 0;
            for (std::size_t j = 0; j < front_.size(); ++j) {
                const Point3 q = front_[j];
                const double x = std::max(p[0], q.x), y = std::max(p[1], q.y), qz = std::max(p[2], q.z);
                // drop q if p covers it, but not a copy of p (which then drops p below)
                const bool copy = q.x == p[0] && q.y == p[1] && q.z == p[2];
                if (copy || !(x == q.x && y == q.y && qz == q.z)) front_[keep++] = q;
                if (filled) continue;
                covered += area * (qz - z);
                z = qz;
                area += sweep3_.add(x, y, r);
                if (x == p[0] && y == p[1]) {
                    filled = true;
                    dropped = qz == p[2];
                }
            }
            front_.resize(keep);
            if (dropped) continue;  // p adds nothing: p's box is covered, so is any later part
            covered += (filled ? full : area) * (r[2] - z);
            total += (r[3] - p[3]) * ((r[2] - p[2]) * full - covered);
            const Point3 pp{p[0], p[1], p[2]};
            front_.insert(std::upper_bound(front_.begin(), front_.end(), pp,
                                           [](const Point3& u, const Point3& v) { return u.z < v.z; }),
                          pp);
        }
        return total;
    }

    // Sorts k points (stride d) by f_d ascending into levels_[d].kept, dropping weakly
    // dominated ones when `filter`. Only the speed depends on the filter (a dominated point
    // adds nothing); the 3-D sweep rejects them itself in O(log k), cheaper than the O(k^2)
    // filter (volume4 could too, but is slower fed unfiltered sets). Returns the count kept.
    std::size_t sorted_nondominated(const double* Q, std::size_t k, std::size_t d, bool filter) {
        Level& L = levels_[d];
        L.order.clear();
        for (std::size_t j = 0; j < k; ++j) {
            const double* q = Q + j * d;
            // ties in f_d broken by the sum, so that a weakly dominating point comes first
            // (a sum rounded to nearest is monotone in each term)
            L.order.push_back({q[d - 1], std::accumulate(q, q + d - 1, 0.0), static_cast<std::uint32_t>(j)});
        }
        std::sort(L.order.begin(), L.order.end(), [](const Key& x, const Key& y) {
            if (x.last != y.last) return x.last < y.last;
            if (x.sum != y.sum) return x.sum < y.sum;
            return x.index < y.index;
        });
        if (L.kept.size() < k * d) L.kept.resize(k * d);
        double* out = L.kept.data();
        std::size_t kept = 0;
        for (std::size_t t = 0; t < k; ++t) {
            if (filter && (t & 255) == 255) poll();
            const double* q = Q + L.order[t].index * d;
            if (filter && covered(q, out, kept, d)) continue;
            std::copy(q, q + d, out + kept * d);
            ++kept;
        }
        return kept;
    }

    // limit_a of P (stride d) projected on f_1..f_(d-1), into out (a rows); kCovered when
    // some p_j (j < a) is at least as good as p_a there: p_a then contributes nothing.
    static std::size_t limit_set(const double* P, std::size_t a, std::size_t d, double* out) {
        const double* p = P + a * d;
        for (std::size_t j = 0; j < a; ++j) {
            const double* q = P + j * d;
            double* o = out + j * (d - 1);
            bool same = true;
            for (std::size_t t = 0; t + 1 < d; ++t) {
                o[t] = std::max(p[t], q[t]);
                same = same && o[t] == p[t];
            }
            if (same) return kCovered;
        }
        return a;
    }

    // Some row of R (c rows, stride d) is <= q in every objective.
    static bool covered(const double* q, const double* R, std::size_t c, std::size_t d) {
        for (std::size_t i = 0; i < c; ++i) {
            const double* r = R + i * d;
            std::size_t t = 0;
            while (t < d && r[t] <= q[t]) ++t;
            if (t == d) return true;
        }
        return false;
    }

    struct Point3 { double x, y, z; };
    std::vector<Point3> front_;  // volume4's points so far, f3 ascending
    const double* ref_;
    const std::function<bool()>& interrupted_;
    std::vector<Level> levels_;  // by the number of objectives d = 3..m
    FlatSweep3 sweep3_;
};

}  // namespace detail

// Hypervolume of the rows of P (n x m, minimised) with respect to ref (m values). For m >= 4
// `interrupted` (if given) is called between steps, a few times per microsecond of work at
// most, and when it returns true the computation stops with HypervolumeInterrupted.
inline double hypervolume(const double* P, std::size_t n, std::size_t m, const double* ref,
                          const std::function<bool()>& interrupted = {}) {
    const std::vector<double> inside = detail::inside_box(P, n, m, ref);
    const std::size_t k = inside.size() / m;
    if (k == 0) return 0.0;
    // An infinite side gives an infinite volume (the sweeps' and WFG's differences would make it
    // inf - inf = nan).
    if (std::any_of(ref, ref + m, [](double r) { return std::isinf(r); }) ||
        std::any_of(inside.begin(), inside.end(), [](double v) { return std::isinf(v); }))
        return std::numeric_limits<double>::infinity();
    if (m <= 3) return detail::hypervolume_inside(inside, m, ref);
    return detail::Wfg(ref, m, interrupted)(inside.data(), k, m);
}

}  // namespace oneproxy
