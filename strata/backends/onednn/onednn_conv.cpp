// Convolution forward and backward on dnnl::convolution_*. Activations stay channels-last in the
// caller's buffers and are handed to oneDNN as nwc / nhwc; the Keras kernel (k..., Cin/groups,
// Cout) is described in place through explicit strides, and the primitive descriptors pick the
// kernel layout they run fastest with (format_tag::any), reached through cached reorders.
#include <cstring>
#include <string>

#include "strata/backends/onednn/onednn_conv_plan.hpp"
#include "strata/backends/onednn/onednn_eltwise_alg.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;
using dnnl::prop_kind;

constexpr auto kDirect = dnnl::algorithm::convolution_direct;

bool is_identity(const Eltwise& act) {
  return act.alg == EltwiseAlg::linear && act.alpha == 1.f && act.beta == 0.f;
}

std::string shape_list(const View& x, const char* xn, const View& w, const char* wn,
                       const View& y, const char* yn) {
  return std::string(xn) + " " + x.shape.str() + ", " + wn + " " + w.shape.str() + ", " + yn +
         " " + y.shape.str();
}

// Checks a convolution's operands and returns its geometry. `x` is the input-side activation
// (x or dx), `y` the output side (y or dy), `w` the Keras kernel (w or dw).
ConvGeom conv_geometry(const char* op, const View& x, const char* xn, const View& w,
                       const char* wn, const View& y, const char* yn, const WindowParams& p) {
  require_f32(op, x, xn);
  require_f32(op, w, wn);
  require_f32(op, y, yn);
  if (p.spatial != 1 && p.spatial != 2)
    op_error(op, "only 1-D and 2-D convolutions are supported, got spatial=" +
                     std::to_string(p.spatial));
  const int r = p.spatial + 2;
  if (x.shape.rank() != r || w.shape.rank() != r || y.shape.rank() != r)
    op_error(op, "every operand must have rank " + std::to_string(r) + ", got " +
                     shape_list(x, xn, w, wn, y, yn));
  ConvGeom g;
  g.spatial = p.spatial;
  g.n = x.shape[0];
  g.ic = x.shape[r - 1];
  g.oc = w.shape[r - 1];
  g.groups = p.groups;
  if (g.groups < 1 || g.ic % g.groups != 0 || g.oc % g.groups != 0 ||
      w.shape[r - 2] * g.groups != g.ic)
    op_error(op, "channels do not match the kernel with groups=" + std::to_string(p.groups) +
                     ": " + shape_list(x, xn, w, wn, y, yn));
  Shape expected{g.n};
  for (int d = 0; d < p.spatial; ++d) {
    if (p.strides[d] < 1 || p.dilation[d] < 1 || p.pad_begin[d] < 0 || p.pad_end[d] < 0)
      op_error(op, "strides and dilation must be >= 1 and padding >= 0");
    g.src[d] = x.shape[1 + d];
    g.k[d] = w.shape[d];
    const int64_t span =
        g.src[d] + p.pad_begin[d] + p.pad_end[d] - p.dilation[d] * (g.k[d] - 1) - 1;
    expected.push_back(span < 0 ? 0 : span / p.strides[d] + 1);
    g.dst[d] = expected[1 + d];
    g.strides.push_back(p.strides[d]);
    g.dilates.push_back(p.dilation[d] - 1);
    g.pad_l.push_back(p.pad_begin[d]);
    g.pad_r.push_back(p.pad_end[d]);
  }
  expected.push_back(g.oc);
  if (y.shape != expected || g.dst[0] < 1 || g.dst[p.spatial - 1] < 1)
    op_error(op, std::string(yn) + " must have shape " + expected.str() +
                     " (and the window must fit the padded input), got " +
                     shape_list(x, xn, w, wn, y, yn));
  return g;
}

void check_bias(const char* op, const View* bias, const char* name, int64_t oc) {
  if (!bias) return;
  require_f32(op, *bias, name);
  if (bias->shape != Shape{oc})
    op_error(op, std::string(name) + " must have shape (" + std::to_string(oc) + ",), got " +
                     bias->shape.str());
}

// The Keras kernel [k..., Cin/G, Cout] in place: output channel o of group gi is column
// gi * Cout/G + o, so the group stride is Cout/G elements.
memory::desc keras_weights_md(const ConvGeom& g) {
  const int64_t icg = g.ic / g.groups, ocg = g.oc / g.groups;
  memory::dims kdims, kstrides;
  if (g.spatial == 2) {
    kdims = {g.k[0], g.k[1]};
    kstrides = {g.k[1] * icg * g.oc, icg * g.oc};
  } else {
    kdims = {g.k[0]};
    kstrides = {icg * g.oc};
  }
  memory::dims dims, strides;
  if (g.groups > 1) {
    dims = {g.groups, ocg, icg};
    strides = {ocg, 1, g.oc};
  } else {
    dims = {g.oc, icg};
    strides = {1, g.oc};
  }
  dims.insert(dims.end(), kdims.begin(), kdims.end());
  strides.insert(strides.end(), kstrides.begin(), kstrides.end());
  return memory::desc(dims, memory::data_type::f32, strides);
}

memory::desc weights_any_md(const ConvGeom& g) {
  return any_md(keras_weights_md(g).dims());
}

// The forward descriptor: the forward op's own, and the hint of the backward ones.
dnnl::convolution_forward::primitive_desc forward_pd(const ConvGeom& g, bool bias,
                                                     const Eltwise& act) {
  const memory::desc src = channels_last_md(g.src_dims()), dst = channels_last_md(g.dst_dims());
  const auto d = bias ? dnnl::convolution_forward::desc(
                            prop_kind::forward_training, kDirect, src, weights_any_md(g),
                            bias_md(g.oc), dst, g.strides, g.dilates, g.pad_l, g.pad_r)
                      : dnnl::convolution_forward::desc(
                            prop_kind::forward_training, kDirect, src, weights_any_md(g), dst,
                            g.strides, g.dilates, g.pad_l, g.pad_r);
  dnnl::primitive_attr attr;
  if (!is_identity(act)) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, eltwise_algorithm(act.alg), act.alpha, act.beta);
    attr.set_post_ops(ops);
  }
  return dnnl::convolution_forward::primitive_desc(d, attr, engine());
}

}  // namespace

void conv_forward(const View& x, const View& w, const View* bias, const View& y,
                  const WindowParams& p, const Eltwise& act) {
  constexpr const char* kOp = "conv_forward";
  const ConvGeom g = conv_geometry(kOp, x, "x", w, "w", y, "y", p);
  check_bias(kOp, bias, "bias", g.oc);
  if (y.shape.numel() == 0) return;

  const bool has_act = !is_identity(act);
  PrimKey key = conv_key(ConvOp::conv_fwd, g);
  key.add(static_cast<int64_t>(bias != nullptr));
  if (has_act) {
    key.add(static_cast<int64_t>(act.alg));
    key.add(act.alpha);
    key.add(act.beta);
  }
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const auto pd = forward_pd(g, bias != nullptr, act);
    pl.set_primitive(dnnl::convolution_forward(pd));
    pl.add(DNNL_ARG_SRC, channels_last_md(g.src_dims()), pd.src_desc(), false);
    pl.add(DNNL_ARG_WEIGHTS, keras_weights_md(g), pd.weights_desc(), false);
    if (bias) pl.add(DNNL_ARG_BIAS, bias_md(g.oc), pd.bias_desc(), false);
    pl.add(DNNL_ARG_DST, channels_last_md(g.dst_dims()), pd.dst_desc(), true);
  });
  if (bias)
    plan.run(key, {x.data, w.data, bias->data, y.data});
  else
    plan.run(key, {x.data, w.data, y.data});
}

void conv_backward_data(const View& dy, const View& w, const View& dx, const WindowParams& p) {
  constexpr const char* kOp = "conv_backward_data";
  const ConvGeom g = conv_geometry(kOp, dx, "dx", w, "w", dy, "dy", p);
  if (dx.shape.numel() == 0) return;

  const PrimKey key = conv_key(ConvOp::conv_bwd_data, g);
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const memory::desc dsrc = channels_last_md(g.src_dims()), ddst = channels_last_md(g.dst_dims());
    const dnnl::convolution_backward_data::desc d(kDirect, dsrc, weights_any_md(g), ddst,
                                                  g.strides, g.dilates, g.pad_l, g.pad_r);
    const dnnl::convolution_backward_data::primitive_desc pd(d, engine(),
                                                             forward_pd(g, false, {}));
    pl.set_primitive(dnnl::convolution_backward_data(pd));
    pl.add(DNNL_ARG_DIFF_DST, ddst, pd.diff_dst_desc(), false);
    pl.add(DNNL_ARG_WEIGHTS, keras_weights_md(g), pd.weights_desc(), false);
    pl.add(DNNL_ARG_DIFF_SRC, dsrc, pd.diff_src_desc(), true);
  });
  plan.run(key, {dy.data, w.data, dx.data});
}

void conv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                           const WindowParams& p) {
  constexpr const char* kOp = "conv_backward_weights";
  const ConvGeom g = conv_geometry(kOp, x, "x", dw, "dw", dy, "dy", p);
  check_bias(kOp, dbias, "dbias", g.oc);
  if (g.n == 0 || dy.shape.numel() == 0) return zero_weight_gradients(dw, dbias, g.oc);

  PrimKey key = conv_key(ConvOp::conv_bwd_weights, g);
  key.add(static_cast<int64_t>(dbias != nullptr));
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const memory::desc src = channels_last_md(g.src_dims()), ddst = channels_last_md(g.dst_dims());
    const auto d = dbias ? dnnl::convolution_backward_weights::desc(
                               kDirect, src, weights_any_md(g), bias_md(g.oc), ddst, g.strides,
                               g.dilates, g.pad_l, g.pad_r)
                         : dnnl::convolution_backward_weights::desc(
                               kDirect, src, weights_any_md(g), ddst, g.strides, g.dilates,
                               g.pad_l, g.pad_r);
    const dnnl::convolution_backward_weights::primitive_desc pd(
        d, engine(), forward_pd(g, dbias != nullptr, {}));
    pl.set_primitive(dnnl::convolution_backward_weights(pd));
    pl.add(DNNL_ARG_SRC, src, pd.src_desc(), false);
    pl.add(DNNL_ARG_DIFF_DST, ddst, pd.diff_dst_desc(), false);
    pl.add(DNNL_ARG_DIFF_WEIGHTS, keras_weights_md(g), pd.diff_weights_desc(), true);
    if (dbias) pl.add(DNNL_ARG_DIFF_BIAS, bias_md(g.oc), pd.diff_bias_desc(), true);
  });
  if (dbias)
    plan.run(key, {x.data, dy.data, dw.data, dbias->data});
  else
    plan.run(key, {x.data, dy.data, dw.data});
}

}  // namespace strata::onednn
