// Transposed convolution (Keras Conv2DTranspose / Conv1DTranspose) on dnnl::deconvolution_*.
// Activations stay channels-last; the Keras kernel (k..., Cout, Cin) is described in place through
// explicit strides and reordered into the layout the primitive descriptor picks.
#include <cstring>
#include <string>

#include "strata/backends/onednn/onednn_conv_plan.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;
using dnnl::prop_kind;

constexpr auto kDirect = dnnl::algorithm::deconvolution_direct;

std::string shape_list(const View& x, const char* xn, const View& w, const char* wn,
                       const View& y, const char* yn) {
  return std::string(xn) + " " + x.shape.str() + ", " + wn + " " + w.shape.str() + ", " + yn +
         " " + y.shape.str();
}

// Checks a transposed convolution's operands and returns its geometry. `x` is the input side (x
// or dx), `y` the output side (y or dy), `w` the Keras kernel (w or dw). The output size is the
// caller's: Keras' output_padding and 'same' rounding only change how much of the full
// (in - 1) * stride + dilation * (k - 1) + 1 result is cut off at the end, so the end padding is
// derived from y's shape rather than taken from p.pad_end. It may be negative (output_padding
// adds rows no input reaches), down to 1 - stride, which is Keras' own output_padding < stride.
ConvGeom deconv_geometry(const char* op, const View& x, const char* xn, const View& w,
                         const char* wn, const View& y, const char* yn, const WindowParams& p) {
  require_f32(op, x, xn);
  require_f32(op, w, wn);
  require_f32(op, y, yn);
  if (p.spatial != 1 && p.spatial != 2)
    op_error(op, "only 1-D and 2-D transposed convolutions are supported, got spatial=" +
                     std::to_string(p.spatial));
  if (p.groups != 1)
    op_error(op, "transposed convolutions take groups=1 (as Keras), got groups=" +
                     std::to_string(p.groups));
  const int r = p.spatial + 2;
  if (x.shape.rank() != r || w.shape.rank() != r || y.shape.rank() != r)
    op_error(op, "every operand must have rank " + std::to_string(r) + ", got " +
                     shape_list(x, xn, w, wn, y, yn));
  ConvGeom g;
  g.spatial = p.spatial;
  g.n = x.shape[0];
  g.ic = x.shape[r - 1];
  g.oc = y.shape[r - 1];
  if (y.shape[0] != g.n || w.shape[r - 1] != g.ic || w.shape[r - 2] != g.oc)
    op_error(op, "batch or channels do not match the kernel (k..., out, in): " +
                     shape_list(x, xn, w, wn, y, yn));
  for (int d = 0; d < p.spatial; ++d) {
    if (p.strides[d] < 1 || p.dilation[d] < 1 || p.pad_begin[d] < 0)
      op_error(op, "strides and dilation must be >= 1 and pad_begin >= 0");
    g.src[d] = x.shape[1 + d];
    g.dst[d] = y.shape[1 + d];
    g.k[d] = w.shape[d];
    const int64_t full = (g.src[d] - 1) * p.strides[d] + p.dilation[d] * (g.k[d] - 1) + 1;
    const int64_t pad_end = full - p.pad_begin[d] - g.dst[d];
    if (g.src[d] < 1 || g.dst[d] < 1 || pad_end <= -p.strides[d])
      op_error(op, std::string(yn) + " spatial size " + std::to_string(g.dst[d]) +
                       " does not fit: the full output is " + std::to_string(full) +
                       " with pad_begin " + std::to_string(p.pad_begin[d]) +
                       " (output_padding too large, or empty operands): " +
                       shape_list(x, xn, w, wn, y, yn));
    g.strides.push_back(p.strides[d]);
    g.dilates.push_back(p.dilation[d] - 1);
    g.pad_l.push_back(p.pad_begin[d]);
    g.pad_r.push_back(pad_end);
  }
  return g;
}

void check_bias(const char* op, const View* bias, const char* name, int64_t oc) {
  if (!bias) return;
  require_f32(op, *bias, name);
  if (bias->shape != Shape{oc})
    op_error(op, std::string(name) + " must have shape (" + std::to_string(oc) + ",), got " +
                     bias->shape.str());
}

// The Keras kernel [k..., Cout, Cin] in place, as oneDNN's (OC, IC, k...).
memory::desc keras_weights_md(const ConvGeom& g) {
  const int64_t tap = g.oc * g.ic;
  if (g.spatial == 1)
    return memory::desc({g.oc, g.ic, g.k[0]}, memory::data_type::f32, {g.ic, 1, tap});
  return memory::desc({g.oc, g.ic, g.k[0], g.k[1]}, memory::data_type::f32,
                      {g.ic, 1, g.k[1] * tap, tap});
}

dnnl::deconvolution_forward::primitive_desc forward_pd(const ConvGeom& g, bool bias) {
  const memory::desc src = channels_last_md(g.src_dims()), dst = channels_last_md(g.dst_dims());
  const memory::desc w = any_md(keras_weights_md(g).dims());
  const auto d = bias ? dnnl::deconvolution_forward::desc(prop_kind::forward_training, kDirect,
                                                          src, w, bias_md(g.oc), dst, g.strides,
                                                          g.dilates, g.pad_l, g.pad_r)
                      : dnnl::deconvolution_forward::desc(prop_kind::forward_training, kDirect,
                                                          src, w, dst, g.strides, g.dilates,
                                                          g.pad_l, g.pad_r);
  return dnnl::deconvolution_forward::primitive_desc(d, engine());
}

}  // namespace

void deconv_forward(const View& x, const View& w, const View* bias, const View& y,
                    const WindowParams& p) {
  constexpr const char* kOp = "deconv_forward";
  const ConvGeom g = deconv_geometry(kOp, x, "x", w, "w", y, "y", p);
  check_bias(kOp, bias, "bias", g.oc);
  if (y.shape.numel() == 0) return;

  PrimKey key = conv_key(ConvOp::deconv_fwd, g);
  key.add(static_cast<int64_t>(bias != nullptr));
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const auto pd = forward_pd(g, bias != nullptr);
    pl.set_primitive(dnnl::deconvolution_forward(pd));
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

void deconv_backward_data(const View& dy, const View& w, const View& dx, const WindowParams& p) {
  constexpr const char* kOp = "deconv_backward_data";
  const ConvGeom g = deconv_geometry(kOp, dx, "dx", w, "w", dy, "dy", p);
  if (dx.shape.numel() == 0) return;

  const PrimKey key = conv_key(ConvOp::deconv_bwd_data, g);
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const memory::desc dsrc = channels_last_md(g.src_dims()), ddst = channels_last_md(g.dst_dims());
    const dnnl::deconvolution_backward_data::desc d(kDirect, dsrc,
                                                    any_md(keras_weights_md(g).dims()), ddst,
                                                    g.strides, g.dilates, g.pad_l, g.pad_r);
    const dnnl::deconvolution_backward_data::primitive_desc pd(d, engine(), forward_pd(g, false));
    pl.set_primitive(dnnl::deconvolution_backward_data(pd));
    pl.add(DNNL_ARG_DIFF_DST, ddst, pd.diff_dst_desc(), false);
    pl.add(DNNL_ARG_WEIGHTS, keras_weights_md(g), pd.weights_desc(), false);
    pl.add(DNNL_ARG_DIFF_SRC, dsrc, pd.diff_src_desc(), true);
  });
  plan.run(key, {dy.data, w.data, dx.data});
}

void deconv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                             const WindowParams& p) {
  constexpr const char* kOp = "deconv_backward_weights";
  const ConvGeom g = deconv_geometry(kOp, x, "x", dw, "dw", dy, "dy", p);
  check_bias(kOp, dbias, "dbias", g.oc);
  if (g.n == 0 || dy.shape.numel() == 0) return zero_weight_gradients(dw, dbias, g.oc);

  PrimKey key = conv_key(ConvOp::deconv_bwd_weights, g);
  key.add(static_cast<int64_t>(dbias != nullptr));
  ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
    const memory::desc src = channels_last_md(g.src_dims()), ddst = channels_last_md(g.dst_dims());
    const memory::desc w = any_md(keras_weights_md(g).dims());
    const auto d = dbias ? dnnl::deconvolution_backward_weights::desc(
                               kDirect, src, w, bias_md(g.oc), ddst, g.strides, g.dilates,
                               g.pad_l, g.pad_r)
                         : dnnl::deconvolution_backward_weights::desc(
                               kDirect, src, w, ddst, g.strides, g.dilates, g.pad_l, g.pad_r);
    const dnnl::deconvolution_backward_weights::primitive_desc pd(
        d, engine(), forward_pd(g, dbias != nullptr));
    pl.set_primitive(dnnl::deconvolution_backward_weights(pd));
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
