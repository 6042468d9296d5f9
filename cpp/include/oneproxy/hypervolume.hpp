// Hypervolume: the measure of the region dominated by a point set and bounded by a reference
// point, all objectives minimised (callers negate maximised objectives and their reference).
//   m = 1    r - min(f);
//   m = 2    one sweep in f1 order: O(n log n);
//   m = 3    a sweep in f3 order over a staircase of (f1, f2) whose area is updated as points
//            enter it (the HV3D idea): O(n log n);
//   m = 4    HV4D+ (A. P. Guerreiro, C. M. Fonseca, "Computing and updating hypervolume
//            contributions in up to four dimensions", IEEE Trans. Evol. Comput. 22(3), 2018):
//            a sweep in f4 that adds each point's exclusive 3-D contribution, found in O(n)
//            from linked lists that need no sorting: O(n^2);
//   m >= 5   WFG (L. While, L. Bradstreet, L. Barone, "A fast way of calculating exact
//            hypervolumes", IEEE Trans. Evol. Comput. 16(1), 2012): with the points sorted by
//            f_m ascending, HV(S) = sum_a (r_m - f_m(p_a)) * [box(p_a) - HV(limit_a)] in
//            m - 1 objectives, where limit_a = {max(p_a, p_j) : j < a} (the part of p_a's box
//            that earlier points already cover) is cut down to its non-dominated points and
//            computed the same way, down to HV4D+. Worst case exponential in m like every
//            known exact algorithm, but limit sets shrink fast: 100 x 9 random points take a
//            fraction of a second where slicing (HSO, an earlier method) took 14 min. At the
//            last level (5 objectives) the limit sets come sorted and are cut down by cheap
//            bounds instead of a full filter, and each bracket is taken in the smaller box
//            that those bounds leave open; that beats the dimension sweep over HV4D+
//            (Fonseca, Paquete, Lopez-Ibanez 2006) that moocore uses for m = 5, by 1.15-1.3x at
//            100 points on a front to 2x and more from 1,000 (benchmarks/bench_pareto.py).
// Points that do not dominate the reference point strictly in every objective add nothing and
// are dropped first; duplicates and dominated points add nothing either.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

#include "oneproxy/dominance.hpp"
#include "oneproxy/rank.hpp"
#include "oneproxy/staircase.hpp"

namespace oneproxy {

// Thrown when the caller's `interrupted` callback asks a long computation to stop.
struct HypervolumeInterrupted : std::exception {
    const char* what() const noexcept override { return "hypervolume interrupted"; }
};

namespace detail {

// Rows of P (n x m) inside the reference box, as a compact row-major copy: each row is
// written, and the next overwrites it unless it was inside (no branch, no growth).
inline std::vector<double> inside_box(const double* P, std::size_t n, std::size_t m, const double* ref) {
    std::vector<double> out(n * m);
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double* p = P + i * m;
        bool inside = true;
        for (std::size_t j = 0; j < m; ++j) {
            out[k * m + j] = p[j];
            inside &= p[j] < ref[j];
        }
        k += inside;
    }
    out.resize(k * m);
    return out;
}

// Order of the rows of P (n x m) by column c (ties in any order, which no sweep below depends
// on): a comparison sort for small sets, where the radix sort's passes and scratch cost more
// than the sort (at 100 points in 4-D they were a fifth of the hypervolume's time).
inline std::vector<std::uint32_t> order_by(const std::vector<double>& P, std::size_t m, std::size_t c) {
    constexpr std::size_t kSmall = 256;
    const std::size_t n = P.size() / m;
    if (n <= kSmall) {
        std::pair<double, std::uint32_t> key[kSmall];
        for (std::size_t i = 0; i < n; ++i) key[i] = {P[i * m + c], static_cast<std::uint32_t>(i)};
        std::sort(key, key + n);
        std::vector<std::uint32_t> order(n);
        for (std::size_t i = 0; i < n; ++i) order[i] = key[i].second;
        return order;
    }
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
        steps_.add(x, y, ry_, rx_,
                   [&](double from, double to, double height) { area_ += (to - from) * (height - y); });
    }
    double area() const { return area_; }

private:
    double rx_, ry_, area_ = 0.0;
    Staircase<double> steps_;
};

// The points are gathered in f3 order first: one loop of independent loads, where the sweep
// would wait on each (1.6x faster at n = 1e6).
inline double hypervolume_3d(const std::vector<double>& P, const double* ref) {
    const std::vector<std::uint32_t> order = order_by(P, 3, 2);
    std::vector<double> sorted(P.size());
    for (std::size_t k = 0; k < order.size(); ++k) std::copy_n(&P[3 * order[k]], 3, &sorted[3 * k]);
    AreaStaircase stairs(ref[0], ref[1]);
    double volume = 0.0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const double* p = &sorted[3 * k];
        stairs.add(p[0], p[1]);
        const double z_next = k + 1 < order.size() ? p[5] : ref[2];
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

// ---------------------------------------------------------------------------- m >= 4: HV4D+, WFG

// Lets the caller stop a long computation.
inline void poll(const std::function<bool()>& interrupted) {
    if (interrupted && interrupted()) throw HypervolumeInterrupted();
}

// Volume of the box between p and the reference point in the first d objectives.
inline double box_volume(const double* p, const double* ref, std::size_t d) {
    double v = 1.0;
    for (std::size_t j = 0; j < d; ++j) v *= ref[j] - p[j];
    return v;
}

// HV4D+ (A. P. Guerreiro, C. M. Fonseca, "Computing and updating hypervolume contributions in
// up to four dimensions", IEEE Trans. Evol. Comput. 22(3), 2018): the 4-D volume as a sweep in
// f4, HV = sum_a V3(S_a) * (f4(p_(a+1)) - f4(p_a)) with S_a the first a points, where the 3-D
// volume V3 grows by the exclusive 3-D contribution of each point as it enters. Those are found
// in O(n) each, so the whole takes O(n^2):
//  - L, the points so far not weakly dominated in (f1, f2, f3) by another, is one list in
//    (f3, f2, f1) lexicographic order. Each q in L keeps two neighbours among the points B(q)
//    before it in L (the HV3D+ structure): cx(q), the one of least (f1, f2) with f2 < q.f2, and
//    cy(q), the one of least (f2, f1) with f1 < q.f1. In the (f1, f2) staircase of B(q) they
//    are q's neighbours, and the steps between them are the ones q covers.
//  - So walking L in order and linking each q between cy(q) and cx(q) rebuilds the staircase
//    of the points below any height without sorting. One pass does so up to a new point p,
//    finds p's neighbours on that staircase and links p into L; the next sweeps upwards from p,
//    taking from p's exclusive (f1, f2) area what each q covers of it (walking from cy(q) over
//    the steps q hides, each hidden once) until a point covers p's box in (f1, f2). The same
//    pass drops from L the points p dominates and makes p the cx or cy of the points above it
//    where p is the better neighbour.
// Sentinels close the staircase at (-inf, r2) and (r1, -inf) and the list at f3 = r3.
class Hv4dPlus {
public:
    explicit Hv4dPlus(const std::function<bool()>& interrupted) : interrupted_(interrupted) {}

    // Hypervolume of the k rows of P (stride 4, inside the box, f4 ascending; dominated points
    // and copies allowed).
    double operator()(const double* P, std::size_t k, const double* ref) {
        reset(k, ref);
        double hv = 0.0, v3 = 0.0;
        Node* witness = &nodes_[1];  // the last point found to dominate another
        for (std::size_t a = 0; a < k; ++a) {
            if ((a & 63) == 63) poll(interrupted_);
            const double* p = P + 4 * a;
            Node* node = &nodes_[3 + a];
            *node = Node{p[0], p[1], p[2]};
            // in a run of dominated points, one point often dominates the next too
            const bool shadowed = (witness->x <= p[0]) & (witness->y <= p[1]) & (witness->z <= p[2]);
            if (!shadowed && enter(node, witness)) v3 += sweep(node);
            hv += v3 * ((a + 1 < k ? P[4 * (a + 1) + 3] : ref[3]) - p[3]);
        }
        return hv;
    }

private:
    struct Node {
        double x, y, z;
        Node* next = nullptr;   // L, (z, y, x) ascending
        Node* right = nullptr;  // the staircase being rebuilt, x ascending
        Node* cx = nullptr;
        Node* cy = nullptr;
    };

    void reset(std::size_t k, const double* ref) {
        constexpr double inf = std::numeric_limits<double>::infinity();
        nodes_.resize(k + 3);
        nodes_[0] = Node{-inf, ref[1], -inf};  // the staircase's left end, and L's head
        nodes_[1] = Node{ref[0], -inf, -inf};  // the staircase's right end
        nodes_[2] = Node{-inf, -inf, ref[2]};  // L's tail: covers everything at f3 = r3
        nodes_[0].next = &nodes_[2];
    }

    // (z, y, x) lexicographic order of L.
    static bool before(const Node* q, const Node* p) {
        if (q->z != p->z) return q->z < p->z;
        if (q->y != p->y) return q->y < p->y;
        return q->x < p->x;
    }
    // Orders in which cx and cy are the least: (x, y, z) and (y, x, z).
    static bool less_x(const Node* a, const Node* b) {
        if (a->x != b->x) return a->x < b->x;
        return a->y != b->y ? a->y < b->y : a->z < b->z;
    }
    static bool less_y(const Node* a, const Node* b) {
        if (a->y != b->y) return a->y < b->y;
        return a->x != b->x ? a->x < b->x : a->z < b->z;
    }

    // Area of [a, r1) x [b, r2) that the staircase leaves open, s being its last step with
    // x < a: the strips under the steps from s on that are above b.
    static double open_area(double a, double b, const Node* s) {
        double area = 0.0;
        for (double from = a; s->y > b; s = s->right) {
            area += (s->right->x - from) * (s->y - b);
            from = s->right->x;
        }
        return area;
    }

    // Rebuilds the staircase of the points of L before p, sets p's neighbours and links p into
    // L; false, leaving p out, when a point of L weakly dominates p in (f1, f2, f3).
    bool enter(Node* p, Node*& witness) {
        const double px = p->x, py = p->y, pz = p->z;
        Node* left = &nodes_[0];
        left->right = &nodes_[1];
        Node* prev = left;
        Node* q = left->next;
        for (; before(q, p); prev = q, q = q->next) {
            if ((q->x <= px) & (q->y <= py)) {  // q->z <= pz
                witness = q;
                return false;
            }
            q->cy->right = q;
            q->right = q->cx;
        }
        if (q->x <= px && q->y <= py && q->z <= pz) return false;  // a copy of p
        // p's neighbours on the staircase: cy the last step with x < px, cx the first with
        // y < py (none at x = px has y <= py: it would dominate p)
        Node* s = left;
        while (s->right->x < px) s = s->right;
        p->cy = s;
        while (s->y >= py) s = s->right;
        p->cx = s;
        p->next = q;
        prev->next = p;
        return true;
    }

    // p's exclusive 3-D volume against the other points of L (p just entered), updating L.
    double sweep(Node* p) {
        double area = open_area(p->x, p->y, p->cy), volume = 0.0, z = p->z;
        Node* left = p->cy;  // the last step with x < p->x
        bool open = true;    // some of p's (f1, f2) box is not covered yet
        Node* prev = p;
        for (Node* q = p->next;; q = q->next) {
            const bool below_left = (q->x <= p->x) & (q->y <= p->y);
            if (open) {
                volume += area * (q->z - z);
                z = q->z;
                open = !below_left;
                if (open) cover(p, q, area, left);
            }
            if (below_left && (q->x != p->x || q->y != p->y)) return volume;  // so is every later q
            if ((p->x <= q->x) & (p->y <= q->y)) {  // p dominates q: q adds nothing from now on
                prev->next = q->next;
                continue;
            }
            if (p->y < q->y) {  // then p->x > q->x
                if (less_x(p, q->cx)) q->cx = p;
            } else if (p->x < q->x && less_y(p, q->cy)) {
                q->cy = p;
            }
            prev = q;
        }
    }

    // Takes from p's open area what q (above p in L, not covering p) covers of it, and links q
    // into the staircase.
    static void cover(const Node* p, Node* q, double& area, Node*& left) {
        if (q->x < p->x) {  // q->y > p->y: q may cut the top off p's box
            if (q->y <= left->y) {
                area -= open_area(p->x, q->y, left);
                left = q;
            }
        } else {
            area -= open_area(q->x, std::max(q->y, p->y), q->cy);
        }
        q->cy->right = q;
        q->right = q->cx;
    }

    const std::function<bool()>& interrupted_;
    std::vector<Node> nodes_;  // the three sentinels, then the points in f4 order
};

// Two doubles side by side, for the 4-objective rows of WFG's last level: SSE2 where there is
// one (every x86-64), a plain pair elsewhere. Comparisons give one bit a lane.
#if defined(__SSE2__) || defined(_M_X64)
struct Lanes2 {
    __m128d v;
    Lanes2(__m128d x) : v(x) {}
    Lanes2(double a, double b) : v(_mm_setr_pd(a, b)) {}
    static Lanes2 load(const double* p) { return _mm_loadu_pd(p); }
    void store(double* p) const { _mm_storeu_pd(p, v); }
    static Lanes2 firsts(Lanes2 a, Lanes2 b) { return _mm_unpacklo_pd(a.v, b.v); }
    static Lanes2 seconds(Lanes2 a, Lanes2 b) { return _mm_unpackhi_pd(a.v, b.v); }
    Lanes2 swapped() const { return _mm_shuffle_pd(v, v, 1); }
    double largest() const { return _mm_cvtsd_f64(_mm_max_sd(v, _mm_unpackhi_pd(v, v))); }
    friend Lanes2 max(Lanes2 a, Lanes2 b) { return _mm_max_pd(a.v, b.v); }
    friend Lanes2 operator-(Lanes2 a, Lanes2 b) { return _mm_sub_pd(a.v, b.v); }
    friend unsigned greater(Lanes2 a, Lanes2 b) { return unsigned(_mm_movemask_pd(_mm_cmpgt_pd(a.v, b.v))); }
    friend unsigned at_least(Lanes2 a, Lanes2 b) { return unsigned(_mm_movemask_pd(_mm_cmpge_pd(a.v, b.v))); }
    friend unsigned less(Lanes2 a, Lanes2 b) { return unsigned(_mm_movemask_pd(_mm_cmplt_pd(a.v, b.v))); }
};
#else
struct Lanes2 {
    double a, b;
    static Lanes2 load(const double* p) { return {p[0], p[1]}; }
    void store(double* p) const { p[0] = a, p[1] = b; }
    static Lanes2 firsts(Lanes2 x, Lanes2 y) { return {x.a, y.a}; }
    static Lanes2 seconds(Lanes2 x, Lanes2 y) { return {x.b, y.b}; }
    Lanes2 swapped() const { return {b, a}; }
    double largest() const { return std::max(a, b); }
    friend Lanes2 max(Lanes2 x, Lanes2 y) { return {std::max(x.a, y.a), std::max(x.b, y.b)}; }
    friend Lanes2 operator-(Lanes2 x, Lanes2 y) { return {x.a - y.a, x.b - y.b}; }
    friend unsigned greater(Lanes2 x, Lanes2 y) { return unsigned{x.a > y.a} | unsigned{x.b > y.b} << 1; }
    friend unsigned at_least(Lanes2 x, Lanes2 y) { return unsigned{x.a >= y.a} | unsigned{x.b >= y.b} << 1; }
    friend unsigned less(Lanes2 x, Lanes2 y) { return unsigned{x.a < y.a} | unsigned{x.b < y.b} << 1; }
};
#endif

// WFG (While, Bradstreet & Barone 2012): the hypervolume of points p_1..p_k sorted by the
// last objective f_d ascending is the sum of their exclusive contributions, p_a's taken
// against p_1..p_(a-1) only:
//   HV(S) = sum_a [ box(p_a) - HV(limit_a) ],   limit_a = { max(p_a, p_j) : j < a }.
// Every point of limit_a has f_d = f_d(p_a) (p_j has the smaller f_d), so both terms share
// the factor (r_d - f_d(p_a)) and the bracket is a (d-1)-dimensional hypervolume of limit_a
// projected on f_1..f_(d-1). Limit sets shrink fast once their dominated points are dropped,
// which is what makes WFG fast. The recursion ends in HV4D+.
class Wfg {
public:
    Wfg(const double* ref, std::size_t m, const std::function<bool()>& interrupted)
        : ref_(ref), interrupted_(interrupted), levels_(m + 1), hv4d_(interrupted) {}

    // Hypervolume of the rows of P (stride m, inside the box, any order).
    double operator()(const std::vector<double>& P, std::size_t m) {
        const std::size_t k = P.size() / m;
        if (m > 5) {
            const std::size_t kept = sorted_nondominated(P.data(), k, m, true);
            return volume(levels_[m].kept.data(), kept, m);
        }
        // HV4D+ and volume5 drop dominated points themselves and take ties in any order
        std::vector<double> sorted(P.size());
        const std::vector<std::uint32_t> order = order_by(P, m, m - 1);
        for (std::size_t i = 0; i < k; ++i) std::copy_n(&P[order[i] * m], m, &sorted[i * m]);
        return volume(sorted.data(), k, m);
    }

private:
    struct Key { double last, sum; std::uint32_t index; };
    struct Level {                        // scratch for sets of d objectives
        std::vector<double> limit, kept;  // rows of stride d
        std::vector<Key> order;
    };
    static constexpr std::size_t kCovered = static_cast<std::size_t>(-1);
    static constexpr std::size_t kPollRows = 4096;

    void poll() const { detail::poll(interrupted_); }

    // Hypervolume of k points (stride d) in ascending f_d order.
    double volume(const double* P, std::size_t k, std::size_t d) {
        if (k == 0) return 0.0;
        if (k == 1) return box_volume(P, ref_, d);
        if (d == 4) return hv4d_(P, k, ref_);
        if (d == 5) return volume5(P, k);
        double total = 0.0;
        Level& L = levels_[d - 1];
        if (L.limit.size() < k * (d - 1)) L.limit.resize(k * (d - 1));
        for (std::size_t a = 1; a < k; ++a) {  // p_1's limit set is empty
            poll();
            const double* p = P + a * d;
            if (limit_set(P, a, d, L.limit.data()) == kCovered) continue;
            // the kept set stays valid through the recursion: deeper levels use their own
            const std::size_t kept = sorted_nondominated(L.limit.data(), a, d - 1, d - 1 > 5);
            total += (ref_[d - 1] - p[d - 1]) *
                     (box_volume(p, ref_, d - 1) - volume(L.kept.data(), kept, d - 1));
        }
        return total + box_volume(P, ref_, d);
    }

    // The same sum for d = 5, ending in HV4D+, with limit sets that need no sorting: max(p_a,
    // p_j) keeps the f4 order of the p_j, so a limit set comes sorted from the earlier points
    // kept in f4 order. A point found covered by an earlier one is dominated, adds nothing, and
    // is left out of later limit sets, so the points need no filter first. The bracket is
    // taken in the smaller box limit5 finds, [p_a, box_) instead of [p_a, r): the rest of p_a's
    // box is covered.
    double volume5(const double* P, std::size_t k) {
        std::vector<double>& limit = levels_[4].limit;
        if (limit.size() < k * 4) limit.resize(k * 4);
        by_f4_.clear();
        rows_.clear();
        double total = 0.0;
        for (std::size_t a = 0; a < k; ++a) {
            const double* p = P + a * 5;
            if (a > 0) {
                // the caller's check (a clock read) costs as much as a small limit set: made
                // every few thousand rows looked at instead of at every point
                unpolled_ += by_f4_.size();
                if (unpolled_ >= kPollRows) {
                    unpolled_ = 0;
                    poll();
                }
                const std::size_t kept = limit5(p, limit.data());
                if (kept == kCovered) continue;
                total += (ref_[4] - p[4]) * (box_volume(p, box_, 4) - hv4d_(limit.data(), kept, box_));
            }
            const double* R = rows_.data();
            const auto at = std::upper_bound(by_f4_.begin(), by_f4_.end(), p[3],
                                             [R](double v, std::uint32_t j) { return v < R[j * 4 + 3]; });
            by_f4_.insert(at, static_cast<std::uint32_t>(rows_.size() / 4));
            rows_.insert(rows_.end(), p, p + 4);
        }
        return total + box_volume(P, ref_, 5);
    }

    // p's limit set among rows_, projected on f1..f4, into out in f4 order, less most of its
    // dominated points, and box_, a box [p, box_) outside which p's box is covered; kCovered
    // when a row is at least as good as p in f1..f4.
    // Most limit points are dominated, most of those by the limit point max(p, q) of a row q
    // worse than p in one objective t only, or in one pair s, t only: it is p but for f_t = q_t
    // (and f_s = q_s), so it is below every limit point with f_t >= q_t (and f_s >= q_s). Of
    // each kind the q of least max_t (q_t - p_t) makes the bound. A single bound covers all of
    // p's box with f_t >= q_t, so box_t = min(r_t, q_t), and the limit points not strictly
    // inside the box add nothing there (the bound points themselves among them). One pass
    // writes the limit points and finds the bounds, two more drop the points outside the box
    // and those the pair bounds dominate (ties with a pair bound are kept; HV4D+ drops the
    // dominated points left). Branch-free: about three in four points are left out,
    // unpredictably.
    std::size_t limit5(const double* p, double* out) {
        constexpr double inf = std::numeric_limits<double>::infinity();
        std::size_t n = by_f4_.size();
        const auto none = static_cast<std::uint32_t>(n);
        const Lanes2 p01 = Lanes2::load(p), p23 = Lanes2::load(p + 2);
        double best[16];  // by the set of objectives in which q is worse than p, as bits
        std::uint32_t who[16];
        std::fill(best, best + 16, inf);
        std::fill(who, who + 16, none);
        const double* R = rows_.data();
        for (std::uint32_t i = 0; i < n; ++i) {
            const double* q = R + std::size_t{by_f4_[i]} * 4;
            const Lanes2 q01 = Lanes2::load(q), q23 = Lanes2::load(q + 2);
            max(p01, q01).store(out + std::size_t{i} * 4);
            max(p23, q23).store(out + std::size_t{i} * 4 + 2);
            const unsigned worse = greater(q01, p01) | greater(q23, p23) << 2;
            const double excess = max(q01 - p01, q23 - p23).largest();
            const double was = best[worse];
            const std::uint32_t had = who[worse];
            best[worse] = std::min(excess, was);  // no branch: a store under a branch mispredicts
            who[worse] = excess < was ? i : had;
            if ((i & 15) == 15 && who[0] != none) return kCovered;
            if (worse == 8) {  // the first q worse in f4 only: every later limit point has f4 >= box_3
                n = i + 1;
                break;
            }
        }
        if (who[0] != none) return kCovered;
        // the bounds' coordinates: of q where it is worse than p (there max(p, q) = q)
        const auto bound = [&](unsigned set, unsigned t) {
            const std::uint32_t i = who[set];
            return i != none ? out[std::size_t{i} * 4 + t] : inf;
        };
        for (unsigned t = 0; t < 4; ++t) box_[t] = std::min(ref_[t], bound(1u << t, t));
        const Lanes2 box01 = Lanes2::load(box_), box23 = Lanes2::load(box_ + 2);
        // the six pairs as three of two lanes: (0,1) (2,3), (0,2) (1,3), (0,3) (1,2), each pair's
        // bound row as (its f_s, its f_t)
        const Lanes2 sA{bound(3, 0), bound(12, 2)}, tA{bound(3, 1), bound(12, 3)};
        const Lanes2 sB{bound(5, 0), bound(10, 1)}, tB{bound(5, 2), bound(10, 3)};
        const Lanes2 sC{bound(9, 0), bound(6, 1)}, tC{bound(9, 3), bound(6, 2)};
        std::size_t kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const Lanes2 o01 = Lanes2::load(out + i * 4), o23 = Lanes2::load(out + i * 4 + 2);
            o01.store(out + kept * 4);
            o23.store(out + kept * 4 + 2);
            kept += (less(o01, box01) & less(o23, box23)) == 3;
        }
        // pair (s, t)'s bound row dominates o when o_s, o_t >= its f_s, f_t, one of them >
        const auto below = [](Lanes2 os, Lanes2 ot, Lanes2 bs, Lanes2 bt) {
            return at_least(os, bs) & at_least(ot, bt) & (greater(os, bs) | greater(ot, bt));
        };
        std::size_t left = 0;
        for (std::size_t i = 0; i < kept; ++i) {
            const Lanes2 o01 = Lanes2::load(out + i * 4), o23 = Lanes2::load(out + i * 4 + 2);
            const unsigned dominated = below(Lanes2::firsts(o01, o23), Lanes2::seconds(o01, o23), sA, tA) |
                                       below(o01, o23, sB, tB) | below(o01, o23.swapped(), sC, tC);
            o01.store(out + left * 4);
            o23.store(out + left * 4 + 2);
            left += dominated == 0;
        }
        return left;
    }

    // Sorts k points (stride d) by f_d ascending into levels_[d].kept, dropping weakly
    // dominated ones when `filter`. Only the speed depends on the filter (a dominated point
    // adds nothing): it pays from d = 6 on, while volume5 and HV4D+ drop dominated points
    // themselves for less than the O(k^2) filter costs. Returns the count kept.
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
        for (std::size_t i = 0; i < c; ++i)
            if (weakly_dominates(R + i * d, q, d)) return true;
        return false;
    }

    const double* ref_;
    const std::function<bool()>& interrupted_;
    std::vector<Level> levels_;  // by the number of objectives d = 3..m
    std::size_t unpolled_ = 0;          // rows volume5 looked at since it last polled
    double box_[4];                     // limit5's box for the point it looked at last
    std::vector<double> rows_;          // volume5's points so far that no other covers
    std::vector<std::uint32_t> by_f4_;  // their order by f4
    Hv4dPlus hv4d_;
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
    return detail::Wfg(ref, m, interrupted)(inside, m);
}

}  // namespace oneproxy
