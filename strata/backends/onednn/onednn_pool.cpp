// Max and average pooling on pooling_v2. Channels-last activations (N, W, C) / (N, H, W, C) are
// described as ncw / nchw dims with nwc / nhwc strides, so oneDNN reads them in place. Max
// pooling in training mode keeps its workspace (the argmax of every window) in pooled backend
// memory inside the returned payload; pool_backward hands it back to oneDNN.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "strata/backends/onednn/onednn_channels_last.hpp"
#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

// Cache-key tags of this file, outside PrimKey::Op's own values (the 0x100 block belongs to
// pooling, normalisation, resampling and windows), so they never meet another op's key.
constexpr auto kPoolFwd = static_cast<PrimKey::Op>(0x101);
constexpr auto kPoolBwd = static_cast<PrimKey::Op>(0x102);

struct PoolPayload : Payload {
  std::shared_ptr<Buffer> workspace;
  Shape x_shape, y_shape;
  WindowParams p;
};

bool same_window(const WindowParams& a, const WindowParams& b) {
  if (a.spatial != b.spatial) return false;
  for (int d = 0; d < a.spatial; ++d)
    if (a.kernel[d] != b.kernel[d] || a.strides[d] != b.strides[d] ||
        a.dilation[d] != b.dilation[d] || a.pad_begin[d] != b.pad_begin[d] ||
        a.pad_end[d] != b.pad_end[d])
      return false;
  return true;
}

std::string window_str(const WindowParams& p) {
  std::string s;
  for (int d = 0; d < p.spatial; ++d)
    s += (d ? ", " : "") + std::string("kernel ") + std::to_string(p.kernel[d]) + " stride " +
         std::to_string(p.strides[d]) + " dilation " + std::to_string(p.dilation[d]) + " pads " +
         std::to_string(p.pad_begin[d]) + "/" + std::to_string(p.pad_end[d]);
  return s;
}

// x is the pooling input, y its output (or dx / dy in backward).
void check_pool(const char* op, const View& x, const char* xn, const View& y, const char* yn,
                const WindowParams& p) {
  require_f32(op, x, xn);
  require_f32(op, y, yn);
  if (p.spatial != 1 && p.spatial != 2)
    op_error(op, "spatial must be 1 or 2, got " + std::to_string(p.spatial));
  const int r = p.spatial + 2;
  bool ok = x.shape.rank() == r && y.shape.rank() == r && x.shape[0] == y.shape[0] &&
            x.shape[r - 1] == y.shape[r - 1];
  for (int d = 0; ok && d < p.spatial; ++d) {
    const int64_t span = (p.kernel[d] - 1) * p.dilation[d] + 1;
    // A window lying wholly in the padding would leave avg pooling nothing to average.
    ok = p.kernel[d] >= 1 && p.strides[d] >= 1 && p.dilation[d] >= 1 && p.pad_begin[d] >= 0 &&
         p.pad_end[d] >= 0 && p.pad_begin[d] < span && p.pad_end[d] < span &&
         x.shape[d + 1] + p.pad_begin[d] + p.pad_end[d] >= span &&
         y.shape[d + 1] ==
             (x.shape[d + 1] + p.pad_begin[d] + p.pad_end[d] - span) / p.strides[d] + 1;
  }
  if (!ok)
    op_error(op, std::string(xn) + " " + x.shape.str() + " and " + yn + " " + y.shape.str() +
                     " do not fit the window (" + window_str(p) + ")");
}

struct Geometry {
  memory::dims strides, kernel, dilation, pad_l, pad_r;
};

Geometry geometry(const WindowParams& p) {
  Geometry g;
  for (int d = 0; d < p.spatial; ++d) {
    g.strides.push_back(p.strides[d]);
    g.kernel.push_back(p.kernel[d]);
    g.dilation.push_back(p.dilation[d] - 1);  // oneDNN counts the gaps: 0 is dense
    g.pad_l.push_back(p.pad_begin[d]);
    g.pad_r.push_back(p.pad_end[d]);
  }
  return g;
}

dnnl::algorithm pool_alg(PoolKind kind) {
  return kind == PoolKind::max ? dnnl::algorithm::pooling_max
                               : dnnl::algorithm::pooling_avg_exclude_padding;
}

void add_window(PrimKey& key, const WindowParams& p) {
  for (int d = 0; d < p.spatial; ++d) {
    key.add(p.kernel[d]);
    key.add(p.strides[d]);
    key.add(p.dilation[d]);
    key.add(p.pad_begin[d]);
    key.add(p.pad_end[d]);
  }
}

dnnl::pooling_v2_forward::primitive_desc forward_pd(PoolKind kind, const Shape& x,
                                                    const Shape& y, const WindowParams& p,
                                                    bool training) {
  const Geometry g = geometry(p);
  dnnl::pooling_v2_forward::desc d(
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
      pool_alg(kind), channels_last_md(x), channels_last_md(y), g.strides, g.kernel, g.dilation,
      g.pad_l, g.pad_r);
  return {d, engine()};
}

// Workspace sizes per forward key: the pooled buffer must be allocated before the cached
// primitive runs, and the size is only known from its primitive descriptor.
size_t workspace_bytes(const PrimKey& key, const Shape& x, const Shape& y,
                       const WindowParams& p) {
  struct Hash {
    size_t operator()(const PrimKey& k) const { return k.hash(); }
  };
  static std::mutex mutex;
  static auto* sizes = new std::unordered_map<PrimKey, size_t, Hash>;
  std::lock_guard lock(mutex);
  auto it = sizes->find(key);
  if (it == sizes->end()) {
    size_t bytes;
    try {
      bytes = forward_pd(PoolKind::max, x, y, p, true).workspace_desc().get_size();
    } catch (const dnnl::error& e) {
      throw std::runtime_error(std::string("oneDNN could not create a primitive: ") + e.what());
    }
    it = sizes->emplace(key, bytes).first;
  }
  return it->second;
}

}  // namespace

PayloadPtr pool_forward(Backend& be, PoolKind kind, const View& x, const View& y,
                        const WindowParams& p, bool training) {
  check_pool("pool_forward", x, "x", y, "y", p);
  if (y.shape.numel() == 0) return nullptr;
  // Only max pooling has a workspace; average pooling's backward needs nothing saved.
  const bool keep = training && kind == PoolKind::max;

  PrimKey key(kPoolFwd);
  key.add(static_cast<int64_t>(kind) | static_cast<int64_t>(keep) << 1);
  key.add(x.shape.begin(), x.shape.rank());
  key.add(y.shape.begin(), y.shape.rank());
  add_window(key, p);
  auto build = [&] {
    const auto pd = forward_pd(kind, x.shape, y.shape, p, keep);
    Prim prim;
    prim.primitive = dnnl::pooling_v2_forward(pd);
    prim.bind(DNNL_ARG_SRC, pd.src_desc());
    prim.bind(DNNL_ARG_DST, pd.dst_desc());
    if (keep) prim.bind(DNNL_ARG_WORKSPACE, pd.workspace_desc());
    return prim;
  };
  if (!keep) {
    run_cached(key, build, {x.data, y.data});
    return nullptr;
  }
  auto saved = std::make_shared<PoolPayload>();
  saved->workspace = be.allocate(workspace_bytes(key, x.shape, y.shape, p));
  saved->x_shape = x.shape;
  saved->y_shape = y.shape;
  saved->p = p;
  run_cached(key, build, {x.data, y.data, saved->workspace->data()});
  return saved;
}

void pool_backward(PoolKind kind, const View& dy, const Payload* saved, const View& dx,
                   const WindowParams& p) {
  check_pool("pool_backward", dx, "dx", dy, "dy", p);
  if (dx.shape.numel() == 0) return;  // an empty batch has no forward payload to speak of
  void* workspace = nullptr;
  if (kind == PoolKind::max) {
    const auto* s = dynamic_cast<const PoolPayload*>(saved);
    if (!s)
      op_error("pool_backward", "max pooling needs the payload of a training-mode pool_forward");
    if (s->x_shape != dx.shape || s->y_shape != dy.shape || !same_window(s->p, p))
      op_error("pool_backward", "the payload comes from a pool_forward of " + s->x_shape.str() +
                                    " -> " + s->y_shape.str() + " (" + window_str(s->p) +
                                    "), not dx " + dx.shape.str() + ", dy " + dy.shape.str() +
                                    " (" + window_str(p) + ")");
    workspace = s->workspace->data();
  }

  PrimKey key(kPoolBwd);
  key.add(static_cast<int64_t>(kind));
  key.add(dx.shape.begin(), dx.shape.rank());
  key.add(dy.shape.begin(), dy.shape.rank());
  add_window(key, p);
  auto build = [&] {
    const auto hint = forward_pd(kind, dx.shape, dy.shape, p, true);
    const Geometry g = geometry(p);
    dnnl::pooling_v2_backward::desc d(pool_alg(kind), channels_last_md(dx.shape),
                                      channels_last_md(dy.shape), g.strides, g.kernel,
                                      g.dilation, g.pad_l, g.pad_r);
    dnnl::pooling_v2_backward::primitive_desc pd(d, engine(), hint);
    Prim prim;
    prim.primitive = dnnl::pooling_v2_backward(pd);
    prim.bind(DNNL_ARG_DIFF_DST, pd.diff_dst_desc());
    prim.bind(DNNL_ARG_DIFF_SRC, pd.diff_src_desc());
    if (kind == PoolKind::max) prim.bind(DNNL_ARG_WORKSPACE, pd.workspace_desc());
    return prim;
  };
  if (kind == PoolKind::max)
    run_cached(key, build, {dy.data, dx.data, workspace});
  else
    run_cached(key, build, {dy.data, dx.data});
}

}  // namespace strata::onednn
