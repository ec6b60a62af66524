// Element-wise activations on eltwise_forward / eltwise_backward. Element-wise functions do not
// care about shape, so every tensor is seen as 1-D: one cached primitive serves all shapes with
// the same element count.
#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_eltwise_alg.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

memory::desc flat_md(int64_t n) { return plain_md({n}, memory::data_type::f32); }

}  // namespace

void eltwise_forward(const Eltwise& e, const View& x, const View& y) {
  require_f32("eltwise_forward", x, "x");
  require_f32("eltwise_forward", y, "y");
  require_same_numel("eltwise_forward", x, "x", y, "y");
  const int64_t n = x.shape.numel();
  if (n == 0) return;

  PrimKey key(PrimKey::eltwise_fwd);
  key.add(static_cast<int64_t>(e.alg));
  key.add(e.alpha);
  key.add(e.beta);
  key.add(n);
  run_cached(
      key,
      [&] {
        const memory::desc md = flat_md(n);
        dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference,
                                      eltwise_algorithm(e.alg), md, e.alpha, e.beta);
        dnnl::eltwise_forward::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::eltwise_forward(pd);
        p.bind(DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_DST, md);
        return p;
      },
      {x.data, y.data});
}

void eltwise_backward(const Eltwise& e, const View& dy, const View& saved, const View& dx) {
  require_f32("eltwise_backward", dy, "dy");
  require_f32("eltwise_backward", saved, "saved");
  require_f32("eltwise_backward", dx, "dx");
  require_same_numel("eltwise_backward", dy, "dy", saved, "saved");
  require_same_numel("eltwise_backward", dy, "dy", dx, "dx");
  const int64_t n = dy.shape.numel();
  if (n == 0) return;

  const bool use_dst = eltwise_backward_uses_dst(e);
  PrimKey key(PrimKey::eltwise_bwd);
  key.add(static_cast<int64_t>(e.alg));
  key.add(e.alpha);
  key.add(e.beta);
  key.add(n);
  run_cached(
      key,
      [&] {
        const memory::desc md = flat_md(n);
        // The backward pd requires a forward pd of the same algorithm variant as its hint.
        const dnnl::algorithm alg = eltwise_algorithm(e.alg, use_dst);
        dnnl::eltwise_forward::desc fd(dnnl::prop_kind::forward_training, alg, md, e.alpha,
                                       e.beta);
        dnnl::eltwise_forward::primitive_desc hint(fd, engine());
        dnnl::eltwise_backward::desc bd(alg, md, md, e.alpha, e.beta);
        dnnl::eltwise_backward::primitive_desc pd(bd, engine(), hint);
        Prim p;
        p.primitive = dnnl::eltwise_backward(pd);
        p.bind(DNNL_ARG_DIFF_DST, md);
        p.bind(use_dst ? DNNL_ARG_DST : DNNL_ARG_SRC, md);
        p.bind(DNNL_ARG_DIFF_SRC, md);
        return p;
      },
      {dy.data, saved.data, dx.data});
}

}  // namespace strata::onednn
