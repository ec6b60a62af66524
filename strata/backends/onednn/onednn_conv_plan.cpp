#include "strata/backends/onednn/onednn_conv_plan.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace strata::onednn {

namespace {

using dnnl::memory;

struct KeyHash {
  size_t operator()(const PrimKey& k) const { return k.hash(); }
};

struct PlanCache {
  std::mutex mutex;
  std::unordered_map<PrimKey, std::unique_ptr<ConvPlan>, KeyHash> plans;
};

PlanCache& plan_cache() {
  // Never destroyed, like the primitive cache: plans hold primitives and oneDNN memories.
  static PlanCache* c = new PlanCache;
  return *c;
}

// The key of one of the plan's primitives: role 0 is the convolution, 1 + i the reorder of
// argument i.
PrimKey role_key(const PrimKey& key, int role) {
  PrimKey k = key;
  k.add(static_cast<int64_t>(role));
  return k;
}

void reorder(const PrimKey& key, int role, const memory::desc& from, const memory::desc& to,
             void* src, void* dst) {
  run_cached(
      role_key(key, role),
      [&] {
        Prim p;
        p.primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
        p.bind(DNNL_ARG_FROM, from);
        p.bind(DNNL_ARG_TO, to);
        return p;
      },
      {src, dst});
}

}  // namespace

memory::dims ConvGeom::src_dims() const {
  return spatial == 1 ? memory::dims{n, ic, src[0]} : memory::dims{n, ic, src[0], src[1]};
}

memory::dims ConvGeom::dst_dims() const {
  return spatial == 1 ? memory::dims{n, oc, dst[0]} : memory::dims{n, oc, dst[0], dst[1]};
}

memory::desc channels_last_md(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32,
                      dims.size() == 3 ? memory::format_tag::nwc : memory::format_tag::nhwc);
}

memory::desc any_md(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

memory::desc bias_md(int64_t channels) {
  return memory::desc({channels}, memory::data_type::f32, memory::format_tag::a);
}

PrimKey conv_key(ConvOp op, const ConvGeom& g) {
  PrimKey key(static_cast<PrimKey::Op>(op));
  for (int64_t v : {g.n, g.ic, g.oc, g.groups, static_cast<int64_t>(g.spatial)}) key.add(v);
  for (int d = 0; d < g.spatial; ++d) {
    for (int64_t v : {g.src[d], g.dst[d], g.k[d], g.strides[d], g.dilates[d], g.pad_l[d],
                      g.pad_r[d]})
      key.add(v);
  }
  return key;
}

void ConvPlan::add(int arg, const memory::desc& user, const memory::desc& wanted, bool output) {
  if (n_args_ == kMaxArgs) throw std::logic_error("oneDNN convolution plan has too many arguments");
  Arg& a = args_[n_args_++];
  a.id = arg;
  a.output = output;
  a.user = user;
  a.wanted = wanted;
  if (user != wanted) a.scratch = memory(wanted, engine());
}

void ConvPlan::run(const PrimKey& key, std::initializer_list<void*> ptrs) {
  if (static_cast<int>(ptrs.size()) != n_args_)
    throw std::logic_error("oneDNN convolution plan run with the wrong number of pointers");
  std::lock_guard lock(mutex_);
  void* user[kMaxArgs];
  void* direct[kMaxArgs];
  int i = 0;
  for (void* p : ptrs) {
    user[i] = p;
    direct[i] = args_[i].scratch ? args_[i].scratch.get_data_handle() : p;
    ++i;
  }
  for (i = 0; i < n_args_; ++i)
    if (args_[i].scratch && !args_[i].output)
      reorder(key, 1 + i, args_[i].user, args_[i].wanted, user[i], direct[i]);

  auto build = [&] {
    Prim p;
    p.primitive = primitive_;
    for (int a = 0; a < n_args_; ++a) p.bind(args_[a].id, args_[a].wanted);
    return p;
  };
  const PrimKey main = role_key(key, 0);
  if (n_args_ == 3)
    run_cached(main, build, {direct[0], direct[1], direct[2]});
  else if (n_args_ == 4)
    run_cached(main, build, {direct[0], direct[1], direct[2], direct[3]});
  else
    throw std::logic_error("oneDNN convolution plan needs 3 or 4 arguments");

  for (i = 0; i < n_args_; ++i)
    if (args_[i].scratch && args_[i].output)
      reorder(key, 1 + i, args_[i].wanted, args_[i].user, direct[i], user[i]);
}

ConvPlan& conv_plan(const PrimKey& key, ConvPlanBuilder build, void* ctx) {
  PlanCache& c = plan_cache();
  std::lock_guard lock(c.mutex);
  auto it = c.plans.find(key);
  if (it != c.plans.end()) return *it->second;
  auto plan = std::make_unique<ConvPlan>();
  try {
    build(*plan, ctx);
  } catch (const dnnl::error& e) {
    throw std::runtime_error(std::string("oneDNN could not create a convolution primitive: ") +
                             e.what());
  }
  return *c.plans.emplace(key, std::move(plan)).first->second;
}

void zero_weight_gradients(const View& dw, const View* dbias, int64_t out_channels) {
  if (dw.shape.numel()) std::memset(dw.data, 0, static_cast<size_t>(dw.shape.numel()) * sizeof(float));
  if (dbias && out_channels)
    std::memset(dbias->data, 0, static_cast<size_t>(out_channels) * sizeof(float));
}

}  // namespace strata::onednn
