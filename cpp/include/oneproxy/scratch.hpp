// Reusable scratch memory for the sorts.
//
// A fresh large buffer costs one page fault per 4 KiB page on first touch; on virtual machines
// that is a third of the time of ranking a million values. Buffers given back are kept (up to
// kKeptMax bytes in all) and handed out again, so repeated calls touch warm pages.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace oneproxy {

class ScratchPool {
public:
    static constexpr std::size_t kKeptMax = std::size_t{256} << 20;  // bytes kept between calls
    static constexpr std::size_t kAlign = std::size_t{2} << 20;      // one huge page

    static ScratchPool& instance() {
        static ScratchPool* pool = new ScratchPool;  // never destroyed: used until exit
        return *pool;
    }

    // A buffer of at least `bytes` bytes; its capacity is stored in `bytes`.
    void* take(std::size_t& bytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            std::size_t best = free_.size();
            for (std::size_t i = 0; i < free_.size(); ++i)
                if (free_[i].second >= bytes &&
                    (best == free_.size() || free_[i].second < free_[best].second))
                    best = i;
            if (best != free_.size()) {
                auto [p, size] = free_[best];
                free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
                kept_ -= size;
                bytes = size;
                return p;
            }
        }
        bytes = (bytes + kAlign - 1) / kAlign * kAlign;
        void* p = std::aligned_alloc(kAlign, bytes);
        if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, bytes, MADV_HUGEPAGE);  // fewer faults and TLB misses; a hint only
#endif
        return p;
    }

    void give(void* p, std::size_t bytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (kept_ + bytes <= kKeptMax) {
                free_.emplace_back(p, bytes);
                kept_ += bytes;
                return;
            }
        }
        std::free(p);
    }

private:
    std::mutex mutex_;
    std::vector<std::pair<void*, std::size_t>> free_;
    std::size_t kept_ = 0;
};

// An uninitialised array of n trivially copyable T from the pool, returned on destruction.
template <class T>
class Scratch {
public:
    explicit Scratch(std::size_t n) : n_(n), bytes_(n * sizeof(T)) {
        if (n_ > 0) data_ = static_cast<T*>(ScratchPool::instance().take(bytes_));
    }
    ~Scratch() {
        if (data_ != nullptr) ScratchPool::instance().give(data_, bytes_);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::size_t size() const noexcept { return n_; }

private:
    std::size_t n_;
    std::size_t bytes_;
    T* data_ = nullptr;
};

}  // namespace oneproxy
