// Softmax / log-softmax on softmax_v2. Any shape is seen as [outer, C, inner] (or [outer, C]
// when the axis is last, the case oneDNN's fastest kernels handle), so shapes that differ only
// in how the outer dims are split share a primitive.
#include <string>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

// Kept on the stack: it is built on every call, the dnnl::dims vector only on a cache miss.
struct Collapsed {
  int64_t d[3];
  int rank;
  memory::dims dims() const { return memory::dims(d, d + rank); }
};

Collapsed collapse(const char* op, const Shape& s, int axis) {
  if (axis < 0 || axis >= s.rank())
    op_error(op, "axis " + std::to_string(axis) + " is out of range for shape " + s.str());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < s.rank(); ++i) inner *= s[i];
  if (inner == 1) return {{outer, s[axis], 1}, 2};
  return {{outer, s[axis], inner}, 3};
}

dnnl::algorithm softmax_alg(bool log) {
  return log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
}

}  // namespace

void softmax_forward(const View& x, const View& y, int axis, bool log) {
  require_f32("softmax_forward", x, "x");
  require_f32("softmax_forward", y, "y");
  require_same_shape("softmax_forward", x, "x", y, "y");
  if (x.shape.numel() == 0) return;
  const Collapsed c = collapse("softmax_forward", x.shape, axis);

  PrimKey key(PrimKey::softmax_fwd);
  key.add(static_cast<int64_t>(log));
  key.add(c.d, c.rank);
  run_cached(
      key,
      [&] {
        const memory::desc md = plain_md(c.dims(), memory::data_type::f32);
        dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference, softmax_alg(log),
                                         md, md, 1);
        dnnl::softmax_v2_forward::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::softmax_v2_forward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_DST, md);
        return p;
      },
      {x.data, y.data});
}

void softmax_backward(const View& dy, const View& y, const View& dx, int axis, bool log) {
  require_f32("softmax_backward", dy, "dy");
  require_f32("softmax_backward", y, "y");
  require_f32("softmax_backward", dx, "dx");
  require_same_shape("softmax_backward", dy, "dy", y, "y");
  require_same_shape("softmax_backward", dy, "dy", dx, "dx");
  if (y.shape.numel() == 0) return;
  const Collapsed c = collapse("softmax_backward", y.shape, axis);

  PrimKey key(PrimKey::softmax_bwd);
  key.add(static_cast<int64_t>(log));
  key.add(c.d, c.rank);
  run_cached(
      key,
      [&] {
        const memory::desc md = plain_md(c.dims(), memory::data_type::f32);
        dnnl::softmax_v2_forward::desc fd(dnnl::prop_kind::forward_training, softmax_alg(log),
                                          md, md, 1);
        dnnl::softmax_v2_forward::primitive_desc hint(fd, engine());
        dnnl::softmax_v2_backward::desc bd(softmax_alg(log), md, md, md, 1);
        dnnl::softmax_v2_backward::primitive_desc pd(bd, engine(), hint);
        Prim p;
        p.primitive = dnnl::softmax_v2_backward(pd);
        p.bind(DNNL_ARG_DIFF_DST, md);
        p.bind(DNNL_ARG_DST, md);
        p.bind(DNNL_ARG_DIFF_SRC, md);
        return p;
      },
      {dy.data, y.data, dx.data});
}

}  // namespace strata::onednn
