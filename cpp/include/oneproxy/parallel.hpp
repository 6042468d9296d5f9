// Minimal fork-join parallelism: run f(i) for i in [0, count) on a few threads,
// carrying the first exception back to the caller.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace oneproxy {

// Number of worker threads to use: `requested` if positive, else all hardware threads.
inline unsigned resolve_threads(int requested) {
    if (requested > 0) return static_cast<unsigned>(requested);
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1u : hw;
}

// Threads the latest parallel_for ran on (1 for a serial loop): what a caller's thread setting
// came to, for tests and benchmarks.
inline std::atomic<unsigned> last_team_size{0};

// Calls f(i) for every i in [0, count), items handed out dynamically to `threads` workers.
template <class F>
void parallel_for(std::size_t count, unsigned threads, F&& f) {
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
    last_team_size.store(std::max(threads, 1u));
    if (threads <= 1) {
        for (std::size_t i = 0; i < count; ++i) f(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&] {
        try {
            for (std::size_t i; (i = next.fetch_add(1)) < count;) f(i);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
            next.store(count);
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace oneproxy
