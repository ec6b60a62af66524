// Batch and layer normalisation on dnnl::batch_normalization / layer_normalization. Both
// normalise channels-last data over its last axis C, so any array is seen as (rows, C): batch
// norm then takes statistics per column, layer norm per row, and shapes that differ only in
// how the leading dims split share a primitive.
//
// gamma / beta are optional. Every primitive binds the same argument list whatever its flags
// (oneDNN ignores arguments its flags do not use), so one code path serves every combination;
// where a flag must be on without a caller array behind it — scale 1 for a gradient wrt an
// absent gamma, the shift input backward insists on, or a diff_scale nobody asked for next to
// a wanted diff_shift — per-C constant and scratch vectors stand in.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/backends/onednn/cpu_kernels.hpp"
#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;
using dnnl::normalization_flags;

// Cache-key tags of this file, outside PrimKey::Op's own values (the 0x100 block belongs to
// pooling, normalisation, resampling and windows), so they never meet another op's key.
constexpr auto kBnFwd = static_cast<PrimKey::Op>(0x111);
constexpr auto kBnBwd = static_cast<PrimKey::Op>(0x112);
constexpr auto kLnFwd = static_cast<PrimKey::Op>(0x113);
constexpr auto kLnBwd = static_cast<PrimKey::Op>(0x114);

struct LayerNormPayload : Payload {
  std::shared_ptr<Buffer> mean, var;
  Shape x_shape;
};

// Per-C host vectors that live as long as the process (a model has a handful of widths):
// `ones` is read-only scale 1, `scratch` receives gradients the caller did not ask for. Both
// are only touched by executions, which run_cached serialises.
float* per_channel(int64_t c, bool ones) {
  static std::mutex mutex;
  static auto* maps = new std::unordered_map<int64_t, std::unique_ptr<std::vector<float>>>[2];
  std::lock_guard lock(mutex);
  auto& slot = maps[ones][c];
  if (!slot) slot = std::make_unique<std::vector<float>>(static_cast<size_t>(c), ones ? 1.f : 0.f);
  return slot->data();
}

struct Rows {
  int64_t rows, c;
};

Rows as_rows(const char* op, const View& x) {
  if (x.shape.rank() < 1) op_error(op, "x must have a channel axis, got shape " + x.shape.str());
  const int64_t c = x.shape[x.shape.rank() - 1];
  return {c ? x.shape.numel() / c : 0, c};
}

void require_vec(const char* op, const View* v, const char* name, int64_t c) {
  if (!v) return;
  require_f32(op, *v, name);
  if (v->shape.rank() != 1 || v->shape[0] != c)
    op_error(op, std::string(name) + " must have shape (" + std::to_string(c) + ",), got " +
                     v->shape.str());
}

void require_eps(const char* op, float eps) {
  if (!(eps >= 0.f)) op_error(op, "epsilon must be >= 0, got " + std::to_string(eps));
}

unsigned flags_of(bool scale, bool shift) {
  return (scale ? static_cast<unsigned>(normalization_flags::use_scale) : 0u) |
         (shift ? static_cast<unsigned>(normalization_flags::use_shift) : 0u);
}

normalization_flags as_flags(unsigned f) { return static_cast<normalization_flags>(f); }

// What a backward pass computes and which stand-ins it needs (see the file comment). oneDNN
// 2.6 only applies a scale in prop_kind::backward, which then also writes diff_scale.
struct BackwardPlan {
  bool scale, shift;
  void* scale_ptr;
  void* shift_ptr;  // oneDNN 2.6 wants a shift input whenever use_shift is on, though unread
  void* diff_scale_ptr;
  void* diff_shift_ptr;
};

BackwardPlan plan_backward(const View* gamma, const View* dgamma, const View* dbeta, int64_t c) {
  BackwardPlan b;
  b.scale = gamma || dgamma;
  b.shift = dbeta != nullptr;
  b.scale_ptr = gamma ? gamma->data : b.scale ? per_channel(c, true) : nullptr;
  b.shift_ptr = b.shift ? per_channel(c, true) : nullptr;
  b.diff_scale_ptr = dgamma ? dgamma->data : b.scale ? per_channel(c, false) : nullptr;
  b.diff_shift_ptr = dbeta ? dbeta->data : nullptr;
  return b;
}

void zero_param_grads(const View* dgamma, const View* dbeta) {
  if (dgamma) fill(*dgamma, 0.0);
  if (dbeta) fill(*dbeta, 0.0);
}

memory::desc rows_md(const Rows& r) { return plain_md({r.rows, r.c}, memory::data_type::f32); }

// Batch norm sees the rows as a batch of 1x1 nhwc images: oneDNN 2.6 runs its jit kernels on
// nhwc but only a plain C++ loop on 2-D nc data (10-30x slower for (128*13*13, 64)).
memory::desc bn_md(const Rows& r) {
  return memory::desc({r.rows, r.c, 1, 1}, memory::data_type::f32, memory::format_tag::nhwc);
}
memory::desc vec_md(int64_t n) { return plain_md({n}, memory::data_type::f32); }

}  // namespace

// ---- batch normalisation ------------------------------------------------------------------

void batchnorm_forward(const View& x, const View& y, const View* gamma, const View* beta,
                       const View& mean, const View& var, float eps, bool training) {
  constexpr const char* op = "batchnorm_forward";
  require_f32(op, x, "x");
  require_f32(op, y, "y");
  require_same_shape(op, x, "x", y, "y");
  const Rows r = as_rows(op, x);
  require_vec(op, gamma, "gamma", r.c);
  require_vec(op, beta, "beta", r.c);
  require_vec(op, &mean, "mean", r.c);
  require_vec(op, &var, "var", r.c);
  require_eps(op, eps);
  if (x.shape.numel() == 0) return;

  unsigned flags = flags_of(gamma != nullptr, beta != nullptr);
  if (!training) flags |= static_cast<unsigned>(normalization_flags::use_global_stats);
  PrimKey key(kBnFwd);
  key.add(r.rows);
  key.add(r.c);
  key.add(static_cast<int64_t>(flags));
  key.add(eps);
  run_cached(
      key,
      [&] {
        const memory::desc md = bn_md(r), cmd = vec_md(r.c);
        dnnl::batch_normalization_forward::desc d(
            training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
            md, eps, as_flags(flags));
        dnnl::batch_normalization_forward::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::batch_normalization_forward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_DST, md);
        p.bind(DNNL_ARG_SCALE, cmd);
        p.bind(DNNL_ARG_SHIFT, cmd);
        p.bind(DNNL_ARG_MEAN, cmd);
        p.bind(DNNL_ARG_VARIANCE, cmd);
        return p;
      },
      {x.data, y.data, gamma ? gamma->data : nullptr, beta ? beta->data : nullptr, mean.data,
       var.data});
}

void batchnorm_backward(const View& dy, const View& x, const View* gamma, const View& mean,
                        const View& var, const View& dx, const View* dgamma, const View* dbeta,
                        float eps) {
  constexpr const char* op = "batchnorm_backward";
  require_f32(op, dy, "dy");
  require_f32(op, x, "x");
  require_f32(op, dx, "dx");
  require_same_shape(op, dy, "dy", x, "x");
  require_same_shape(op, dx, "dx", x, "x");
  const Rows r = as_rows(op, x);
  require_vec(op, gamma, "gamma", r.c);
  require_vec(op, &mean, "mean", r.c);
  require_vec(op, &var, "var", r.c);
  require_vec(op, dgamma, "dgamma", r.c);
  require_vec(op, dbeta, "dbeta", r.c);
  require_eps(op, eps);
  if (x.shape.numel() == 0) return zero_param_grads(dgamma, dbeta);

  const BackwardPlan b = plan_backward(gamma, dgamma, dbeta, r.c);
  const unsigned flags = flags_of(b.scale, b.shift);
  PrimKey key(kBnBwd);
  key.add(r.rows);
  key.add(r.c);
  key.add(static_cast<int64_t>(flags));
  key.add(eps);
  run_cached(
      key,
      [&] {
        const memory::desc md = bn_md(r), cmd = vec_md(r.c);
        dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training, md, eps,
                                                   as_flags(flags));
        dnnl::batch_normalization_forward::primitive_desc hint(fd, engine());
        dnnl::batch_normalization_backward::desc d(
            flags ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, md, md, eps,
            as_flags(flags));
        dnnl::batch_normalization_backward::primitive_desc pd(d, engine(), hint);
        Prim p;
        p.primitive = dnnl::batch_normalization_backward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_MEAN, cmd);
        p.bind(DNNL_ARG_VARIANCE, cmd);
        p.bind(DNNL_ARG_DIFF_DST, md);
        p.bind(DNNL_ARG_SCALE, cmd);
        p.bind(DNNL_ARG_SHIFT, cmd);
        p.bind(DNNL_ARG_DIFF_SRC, md);
        p.bind(DNNL_ARG_DIFF_SCALE, cmd);
        p.bind(DNNL_ARG_DIFF_SHIFT, cmd);
        return p;
      },
      {x.data, mean.data, var.data, dy.data, b.scale_ptr, b.shift_ptr, dx.data,
       b.diff_scale_ptr, b.diff_shift_ptr});
}

// ---- layer normalisation ------------------------------------------------------------------

PayloadPtr layernorm_forward(Backend& be, const View& x, const View& y, const View* gamma,
                             const View* beta, float eps) {
  constexpr const char* op = "layernorm_forward";
  require_f32(op, x, "x");
  require_f32(op, y, "y");
  require_same_shape(op, x, "x", y, "y");
  const Rows r = as_rows(op, x);
  require_vec(op, gamma, "gamma", r.c);
  require_vec(op, beta, "beta", r.c);
  require_eps(op, eps);

  auto saved = std::make_shared<LayerNormPayload>();
  saved->x_shape = x.shape;
  saved->mean = be.allocate(static_cast<size_t>(r.rows) * sizeof(float));
  saved->var = be.allocate(static_cast<size_t>(r.rows) * sizeof(float));
  if (x.shape.numel() == 0) return saved;

  const unsigned flags = flags_of(gamma != nullptr, beta != nullptr);
  PrimKey key(kLnFwd);
  key.add(r.rows);
  key.add(r.c);
  key.add(static_cast<int64_t>(flags));
  key.add(eps);
  run_cached(
      key,
      [&] {
        const memory::desc md = rows_md(r), cmd = vec_md(r.c), smd = vec_md(r.rows);
        // Always forward_training: the statistics are the payload backward needs.
        dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_training, md, smd,
                                                  eps, as_flags(flags));
        dnnl::layer_normalization_forward::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::layer_normalization_forward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_DST, md);
        p.bind(DNNL_ARG_SCALE, cmd);
        p.bind(DNNL_ARG_SHIFT, cmd);
        p.bind(DNNL_ARG_MEAN, smd);
        p.bind(DNNL_ARG_VARIANCE, smd);
        return p;
      },
      {x.data, y.data, gamma ? gamma->data : nullptr, beta ? beta->data : nullptr,
       saved->mean->data(), saved->var->data()});
  return saved;
}

void layernorm_backward(const View& dy, const View& x, const View* gamma, const Payload& saved,
                        const View& dx, const View* dgamma, const View* dbeta, float eps) {
  constexpr const char* op = "layernorm_backward";
  require_f32(op, dy, "dy");
  require_f32(op, x, "x");
  require_f32(op, dx, "dx");
  require_same_shape(op, dy, "dy", x, "x");
  require_same_shape(op, dx, "dx", x, "x");
  const Rows r = as_rows(op, x);
  require_vec(op, gamma, "gamma", r.c);
  require_vec(op, dgamma, "dgamma", r.c);
  require_vec(op, dbeta, "dbeta", r.c);
  require_eps(op, eps);
  const auto* s = dynamic_cast<const LayerNormPayload*>(&saved);
  if (!s || s->x_shape != x.shape)
    op_error(op, "the payload does not come from a layernorm_forward of shape " + x.shape.str());
  if (x.shape.numel() == 0) return zero_param_grads(dgamma, dbeta);

  const BackwardPlan b = plan_backward(gamma, dgamma, dbeta, r.c);
  const unsigned flags = flags_of(b.scale, b.shift);
  PrimKey key(kLnBwd);
  key.add(r.rows);
  key.add(r.c);
  key.add(static_cast<int64_t>(flags));
  key.add(eps);
  run_cached(
      key,
      [&] {
        const memory::desc md = rows_md(r), cmd = vec_md(r.c), smd = vec_md(r.rows);
        dnnl::layer_normalization_forward::desc fd(dnnl::prop_kind::forward_training, md, smd,
                                                   eps, as_flags(flags));
        dnnl::layer_normalization_forward::primitive_desc hint(fd, engine());
        dnnl::layer_normalization_backward::desc d(
            flags ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, md, md, smd,
            eps, as_flags(flags));
        dnnl::layer_normalization_backward::primitive_desc pd(d, engine(), hint);
        Prim p;
        p.primitive = dnnl::layer_normalization_backward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_MEAN, smd);
        p.bind(DNNL_ARG_VARIANCE, smd);
        p.bind(DNNL_ARG_DIFF_DST, md);
        p.bind(DNNL_ARG_SCALE, cmd);
        p.bind(DNNL_ARG_SHIFT, cmd);
        p.bind(DNNL_ARG_DIFF_SRC, md);
        p.bind(DNNL_ARG_DIFF_SCALE, cmd);
        p.bind(DNNL_ARG_DIFF_SHIFT, cmd);
        return p;
      },
      {x.data, s->mean->data(), s->var->data(), dy.data, b.scale_ptr, b.shift_ptr, dx.data,
       b.diff_scale_ptr, b.diff_shift_ptr});
}

}  // namespace strata::onednn
