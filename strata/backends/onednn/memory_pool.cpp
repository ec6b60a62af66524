#include "strata/backends/onednn/memory_pool.hpp"

#include <cstdlib>
#include <new>

namespace strata::onednn {

MemoryPool::~MemoryPool() { trim(); }

size_t MemoryPool::rounded(size_t bytes) {
  // aligned_alloc needs a multiple of the alignment; zero-byte requests still get a real block
  // so every buffer has a distinct, valid address.
  if (bytes == 0) return kAlignment;
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

void* MemoryPool::acquire(size_t bytes) {
  const size_t size = rounded(bytes);
  std::lock_guard lock(mutex_);
  auto it = free_.find(size);
  if (it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    return p;
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (!p) {
    // Blocks cached for other sizes may be what stands between us and success.
    trim_locked();
    p = std::aligned_alloc(kAlignment, size);
    if (!p) throw std::bad_alloc();
  }
  ++system_allocations_;
  return p;
}

void MemoryPool::give_back(void* p, size_t bytes) {
  if (!p) return;
  std::lock_guard lock(mutex_);
  free_[rounded(bytes)].push_back(p);
}

int64_t MemoryPool::system_allocations() const {
  std::lock_guard lock(mutex_);
  return system_allocations_;
}

void MemoryPool::trim() {
  std::lock_guard lock(mutex_);
  trim_locked();
}

void MemoryPool::trim_locked() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) std::free(p);
    blocks.clear();
  }
}

}  // namespace strata::onednn
