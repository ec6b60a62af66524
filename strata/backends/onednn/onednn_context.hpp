// Process-wide oneDNN state shared by the op files: one CPU engine, one stream, and the cache of
// ready-to-run primitives. A cached entry owns its primitive and the dnnl::memory objects bound
// to its arguments, so running an op for a shape seen before only swaps data pointers and
// executes: no descriptor, primitive or memory object is created per call.
//
//   PrimKey key(PrimKey::eltwise_fwd);
//   key.add(n);
//   run_cached(key, [&] { return build_eltwise(n); }, {x.data, y.data});
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>

#include <oneapi/dnnl/dnnl.hpp>

namespace strata::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

// A fixed-size, heap-free cache key: an op tag followed by whatever integers identify the
// primitive (shapes, flags, bit patterns of float attributes).
class PrimKey {
 public:
  enum Op : int64_t {
    matmul = 1, binary, reduce, reduce_rows, transpose, eltwise_fwd, eltwise_bwd, softmax_fwd,
    softmax_bwd
  };
  static constexpr int kCapacity = 64;

  explicit PrimKey(Op op) { add(static_cast<int64_t>(op)); }
  void add(int64_t v);
  void add(float f);
  // Rank first, so shapes of different ranks never produce the same sequence.
  void add(const int64_t* dims, int rank);

  size_t hash() const;
  friend bool operator==(const PrimKey& a, const PrimKey& b) {
    return a.n_ == b.n_ && std::memcmp(a.v_.data(), b.v_.data(), a.n_ * sizeof(int64_t)) == 0;
  }

 private:
  std::array<int64_t, kCapacity> v_;
  int n_ = 0;
};

// A primitive with its arguments. Bound arguments are memories created without data
// (DNNL_MEMORY_NONE) that get the caller's pointers right before each execution, in the order
// they were declared; fixed arguments (constants such as a ones vector) keep their own memory.
struct Prim {
  static constexpr int kMaxArgs = 10;  // normalisation backward binds 9
  dnnl::primitive primitive;
  std::array<dnnl::memory, kMaxArgs> memories;
  std::array<dnnl_exec_arg_t, kMaxArgs> args{};
  int n_args = 0;
  int n_bound = 0;

  // Declares the next bound argument; the n-th pointer passed to run_cached binds to it.
  void bind(int arg, const dnnl::memory::desc& md);
  // Adds an argument whose memory never changes; declare it after every bound one.
  void fix(int arg, const dnnl::memory& mem);
};

using PrimBuilder = Prim (*)(void* ctx);

// Looks `key` up, building the entry with build(ctx) on a miss, binds `ptrs` and executes on
// the shared stream; returns when the results are in memory. Executions are serialised: each
// primitive already uses every OpenMP thread, and the bound memories belong to the entry.
void run_cached(const PrimKey& key, PrimBuilder build, void* ctx,
                std::initializer_list<void*> ptrs);

// Convenience for lambdas: `run_cached(key, [&] { return ...; }, {ptrs})`.
template <class F>
void run_cached(const PrimKey& key, F&& build, std::initializer_list<void*> ptrs) {
  using Fn = std::remove_reference_t<F>;
  run_cached(
      key, [](void* f) { return (*static_cast<Fn*>(f))(); }, static_cast<void*>(&build), ptrs);
}

size_t cached_primitive_count();

// Row-major dims (rank 0 becomes {1}: oneDNN has no scalars) and their dense strides.
dnnl::memory::dims to_dims(const int64_t* dims, int rank);
dnnl::memory::dims dense_strides(const dnnl::memory::dims& dims);
inline dnnl::memory::desc plain_md(const dnnl::memory::dims& dims, dnnl::memory::data_type t) {
  return dnnl::memory::desc(dims, t, dense_strides(dims));
}

}  // namespace strata::onednn
