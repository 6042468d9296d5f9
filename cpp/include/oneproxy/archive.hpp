// The Pareto archive: the non-dominated points of everything added so far, all objectives
// minimised (callers negate maximised ones), each point with a 128-bit tag that the archive
// carries and never interprets (a scan's index; the number ParetoArchive gives an id).
// Identical points share the front; which copies stay is the archive's `Copies`: all of them
// (a sampling scan's architecture drawn twice), one per tag (ParetoArchive's (point, id)
// pairs) or the first. Points are compared as pareto.hpp compares them: -0.0 equals +0.0,
// +-inf are ordinary values, no NaN.
//
// Two ways in. add() takes a batch through one non-dominated filter (pareto.hpp) over the
// archive and the batch: O(N log N) for m <= 3, N the archive and the batch together. offer()
// takes one point against every archived point, O(size m): for a stream in which few points
// get that far (the scan's grid rejects the rest, scan.hpp), where a sort per point would cost
// more than the comparisons.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "oneproxy/dominance.hpp"
#include "oneproxy/pareto.hpp"

namespace oneproxy {

using u128 = unsigned __int128;

// Which copies of identical points an archive keeps: every one, one per tag, or the first.
enum class Copies { all, per_tag, first };

class ParetoArchive {
public:
    explicit ParetoArchive(std::size_t m, Copies copies = Copies::all)
        : m_(m), copies_(copies), minimised_(m, 0), shifted_(m) {}

    std::size_t objectives() const { return m_; }
    Copies copies() const { return copies_; }
    std::size_t size() const { return tags_.size(); }
    const std::vector<double>& points() const { return points_; }  // size x m, row-major
    const std::vector<u128>& tags() const { return tags_; }

    // Adds n points (n x m, row-major, no NaN; they may be this archive's own) and their tags.
    // Returns what the archive holds afterwards, in its order: positions into its former
    // points followed by the batch.
    std::vector<std::size_t> add(const double* F, const u128* tags, std::size_t n) {
        const std::size_t A = size(), N = A + n;
        std::vector<double> points(points_);
        points.insert(points.end(), F, F + n * m_);
        std::vector<u128> all(tags_);
        all.insert(all.end(), tags, tags + n);
        const ObjectiveKeys K(points.data(), N, m_, minimised_);
        std::vector<char> keep(N, 0);
        std::vector<std::uint32_t> order;
        nondominated_mask(K, copies_ != Copies::first, keep.data(), &order);
        if (copies_ == Copies::per_tag) drop_repeated_pairs(K, order, all, keep);
        std::vector<std::size_t> kept;
        for (std::size_t i = 0; i < N; ++i) {
            if (!keep[i]) continue;
            const std::size_t j = kept.size();
            std::copy(&points[i * m_], &points[(i + 1) * m_], &points[j * m_]);
            all[j] = all[i];
            kept.push_back(i);
        }
        points.resize(kept.size() * m_);
        all.resize(kept.size());
        points_.swap(points);
        tags_.swap(all);
        return kept;
    }

    std::vector<std::size_t> merge(const ParetoArchive& other) {
        return add(other.points_.data(), other.tags_.data(), other.size());
    }

    // Inserts v (m) with `tag` unless an archived point dominates v - margin (or is a copy of v
    // that `copies` rules out), after removing the points that v + margin dominates; returns
    // whether it did. margin (m, >= 0, or null for none) is for values known to within it: a
    // point then stays unless another is better by more than the margin.
    bool offer(const double* v, u128 tag, const double* margin = nullptr) {
        const std::size_t n = size();
        double* w = shifted_.data();
        for (std::size_t k = 0; k < m_; ++k) w[k] = margin != nullptr ? v[k] - margin[k] : v[k];
        for (std::size_t i = 0; i < n; ++i) {
            const double* a = &points_[i * m_];
            if (dominates(a, w, m_)) return false;
            if (copies_ != Copies::all && (copies_ == Copies::first || tags_[i] == tag) && std::equal(a, a + m_, v))
                return false;
        }
        for (std::size_t k = 0; k < m_; ++k) w[k] = margin != nullptr ? v[k] + margin[k] : v[k];
        std::size_t keep = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double* a = &points_[i * m_];
            if (dominates(w, a, m_)) continue;
            if (keep != i) {
                std::copy(a, a + m_, &points_[keep * m_]);
                tags_[keep] = tags_[i];
            }
            ++keep;
        }
        points_.resize(keep * m_);
        tags_.resize(keep);
        points_.insert(points_.end(), v, v + m_);
        tags_.push_back(tag);
        return true;
    }

private:
    // keep[i] = 0 for every kept point whose (point, tag) pair an earlier kept one has: identical
    // points are adjacent in `order` (in input order), so each run is checked on its own.
    static void drop_repeated_pairs(const ObjectiveKeys& K, const std::vector<std::uint32_t>& order,
                                    const std::vector<u128>& tags, std::vector<char>& keep) {
        std::vector<std::pair<u128, std::uint32_t>> run;
        for (std::size_t k = 0; k < order.size();) {
            std::size_t end = k + 1;
            while (end < order.size() && keep[order[k]] && K.identical(order[k], order[end])) ++end;
            if (end - k > 1) {
                run.clear();
                for (std::size_t j = k; j < end; ++j) run.emplace_back(tags[order[j]], order[j]);
                std::sort(run.begin(), run.end());
                for (std::size_t j = 1; j < run.size(); ++j)
                    if (run[j].first == run[j - 1].first) keep[run[j].second] = 0;
            }
            k = end;
        }
    }

    std::size_t m_;
    Copies copies_;
    std::vector<char> minimised_;  // no objective maximised: the keys' flags
    std::vector<double> shifted_;  // offer()'s v -+ margin
    std::vector<double> points_;
    std::vector<u128> tags_;
};

}  // namespace oneproxy
