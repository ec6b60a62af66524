#include "strata/backends/onednn/onednn_context.hpp"

#include <bit>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace strata::onednn {

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

void PrimKey::add(int64_t v) {
  // Keys are built by our own op files with bounded ranks; overflowing means a bug there.
  if (n_ == kCapacity) throw std::logic_error("oneDNN primitive key capacity exceeded");
  v_[n_++] = v;
}

void PrimKey::add(float f) { add(static_cast<int64_t>(std::bit_cast<uint32_t>(f))); }

void PrimKey::add(const int64_t* dims, int rank) {
  add(static_cast<int64_t>(rank));
  for (int i = 0; i < rank; ++i) add(dims[i]);
}

size_t PrimKey::hash() const {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < n_; ++i) {
    h ^= static_cast<uint64_t>(v_[i]) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return static_cast<size_t>(h);
}

void Prim::bind(int arg, const dnnl::memory::desc& md) {
  if (n_bound != n_args)
    throw std::logic_error("oneDNN bound argument declared after a fixed one");
  fix(arg, dnnl::memory(md, engine(), DNNL_MEMORY_NONE));
  n_bound = n_args;
}

void Prim::fix(int arg, const dnnl::memory& mem) {
  if (n_args == kMaxArgs) throw std::logic_error("oneDNN primitive has too many arguments");
  memories[n_args] = mem;
  args[n_args] = {arg, mem.get()};
  ++n_args;
}

namespace {

struct KeyHash {
  size_t operator()(const PrimKey& k) const { return k.hash(); }
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<PrimKey, Prim, KeyHash> entries;
};

Cache& cache() {
  // Never destroyed: primitives must not be torn down after oneDNN's own statics at exit.
  static Cache* c = new Cache;
  return *c;
}

void check(dnnl_status_t status, const char* what) {
  if (status != dnnl_success)
    throw std::runtime_error(std::string("oneDNN ") + what + " failed with status " +
                             std::to_string(static_cast<int>(status)));
}

}  // namespace

void run_cached(const PrimKey& key, PrimBuilder build, void* ctx,
                std::initializer_list<void*> ptrs) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  auto it = c.entries.find(key);
  if (it == c.entries.end()) {
    Prim built;
    try {
      built = build(ctx);
    } catch (const dnnl::error& e) {
      throw std::runtime_error(std::string("oneDNN could not create a primitive: ") + e.what());
    }
    it = c.entries.emplace(key, std::move(built)).first;
  }
  Prim& p = it->second;
  if (static_cast<int>(ptrs.size()) != p.n_bound)
    throw std::logic_error("oneDNN primitive bound with the wrong number of pointers");
  int i = 0;
  for (void* ptr : ptrs) {
    check(dnnl_memory_set_data_handle_v2(p.args[i].memory, ptr, nullptr), "set_data_handle");
    ++i;
  }
  check(dnnl_primitive_execute(p.primitive.get(), stream().get(), p.n_args, p.args.data()),
        "execute");
  check(dnnl_stream_wait(stream().get()), "stream wait");
}

size_t cached_primitive_count() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.entries.size();
}

dnnl::memory::dims to_dims(const int64_t* dims, int rank) {
  if (rank == 0) return {1};
  return dnnl::memory::dims(dims, dims + rank);
}

dnnl::memory::dims dense_strides(const dnnl::memory::dims& dims) {
  dnnl::memory::dims s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

}  // namespace strata::onednn
