// A thread-safe pool of 64-byte-aligned host blocks, with one free list per (rounded) size.
// Training allocates the same sizes every batch, so after the first batch every request is
// served from a free list and the system allocator is never reached again.
//
//   MemoryPool pool;
//   void* p = pool.acquire(4096);
//   pool.give_back(p, 4096);          // p is handed out again by the next acquire(4096)
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace strata::onednn {

class MemoryPool {
 public:
  static constexpr size_t kAlignment = 64;

  MemoryPool() = default;
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;
  ~MemoryPool();

  // Throws std::bad_alloc when the system is out of memory even after the pool's free blocks
  // have been returned to it.
  void* acquire(size_t bytes);
  // `bytes` is the size passed to the acquire() that returned `p`.
  void give_back(void* p, size_t bytes);
  // Frees every block currently in the free lists.
  void trim();
  // How many blocks were ever taken from the system allocator (steady state: constant).
  int64_t system_allocations() const;

 private:
  static size_t rounded(size_t bytes);
  void trim_locked();

  mutable std::mutex mutex_;
  int64_t system_allocations_ = 0;
  std::unordered_map<size_t, std::vector<void*>> free_;
};

// Standard allocator drawing from a MemoryPool, for std::allocate_shared: the shared_ptr control
// block of every Buffer then comes from the pool too, so allocate() stays malloc-free as well.
template <class T>
struct PoolAllocator {
  using value_type = T;
  MemoryPool* pool;

  explicit PoolAllocator(MemoryPool* p) : pool(p) {}
  template <class U>
  PoolAllocator(const PoolAllocator<U>& other) : pool(other.pool) {}
  T* allocate(size_t n) { return static_cast<T*>(pool->acquire(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { pool->give_back(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PoolAllocator<U>& other) const { return pool == other.pool; }
};

}  // namespace strata::onednn
