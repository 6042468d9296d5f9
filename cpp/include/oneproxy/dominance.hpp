// Pareto dominance between two points of m objectives, all minimised (callers negate maximised
// ones): a weakly dominates b when a <= b in every objective, and dominates b when besides
// a < b in one. Identical points do not dominate each other. The values are doubles without
// NaN (callers check) or the order-preserving keys of rank.hpp, on which -0.0 equals +0.0.
#pragma once

#include <algorithm>
#include <cstddef>

namespace oneproxy {

// Both stop at the first objective where a is worse, and dominates() compares for equality
// only after that: the sorts, filters and archives ask them of many points that usually fail
// early. (A branch-free loop over the objectives made a 4-D sort 1.2x slower and a 3-D scan
// with a large front 2.2x slower; one loop that also tracks "a < b somewhere", 1.1x.)
template <class T>
bool weakly_dominates(const T* a, const T* b, std::size_t m) {
    for (std::size_t j = 0; j < m; ++j)
        if (!(a[j] <= b[j])) return false;
    return true;
}

template <class T>
bool dominates(const T* a, const T* b, std::size_t m) {
    return weakly_dominates(a, b, m) && !std::equal(a, a + m, b);
}

// +1 when a dominates b, -1 when b dominates a, 0 when neither does (equal or incomparable):
// both questions in one pass.
template <class T>
int compare_dominance(const T* a, const T* b, std::size_t m) {
    bool a_less = false, b_less = false;
    for (std::size_t j = 0; j < m; ++j) {
        a_less |= a[j] < b[j];
        b_less |= b[j] < a[j];
    }
    return a_less == b_less ? 0 : a_less ? 1 : -1;
}

}  // namespace oneproxy
