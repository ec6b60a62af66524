#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

int64_t conv_output_size(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end) {
  const int64_t span = in + pad_begin + pad_end - dilation * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

namespace {

void check_conv_operands(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                         const WindowParams& p, int64_t in_channels_of_w, int64_t out_channels) {
  require_float(x, op);
  require_float(w, op);
  if (p.spatial < 1 || p.spatial > 2)
    throw ValueError(std::string(op) + ": only 1-D and 2-D windows are supported");
  if (x.rank() != p.spatial + 2 || w.rank() != p.spatial + 2)
    throw ValueError(std::string(op) + ": input " + x.shape().str() + " and kernel " +
                     w.shape().str() + " must both have rank " + std::to_string(p.spatial + 2));
  if (p.groups < 1 || x.dim(-1) % p.groups || out_channels % p.groups ||
      x.dim(-1) / p.groups != in_channels_of_w)
    throw ValueError(std::string(op) + ": input channels " + std::to_string(x.dim(-1)) +
                     " do not match kernel " + w.shape().str() + " with groups=" +
                     std::to_string(p.groups));
  if (b.defined() && b.shape() != Shape{out_channels})
    throw ValueError(std::string(op) + ": bias " + b.shape().str() + " does not match " +
                     std::to_string(out_channels) + " output channels");
}

std::vector<Tensor> conv_grads(const Tensor& g, const Tensor& sx, const Tensor& sw, bool has_b,
                               bool rx, bool rw, bool rb, const WindowParams& p, bool transposed) {
  Backend& be = g.backend();
  Tensor gx, gw, gb;
  if (rx) {
    gx = Tensor::empty(sx.shape(), DType::float32, be);
    if (transposed) be.deconv_backward_data(g.view(), sw.view(), gx.view(), p);
    else be.conv_backward_data(g.view(), sw.view(), gx.view(), p);
  }
  if (rw || rb) {
    gw = Tensor::empty(sw.shape(), DType::float32, be);
    if (has_b) gb = Tensor::empty(Shape{g.dim(-1)}, DType::float32, be);
    View gbv = has_b ? gb.view() : View{};
    if (transposed)
      be.deconv_backward_weights(g.view(), sx.view(), gw.view(), has_b ? &gbv : nullptr, p);
    else
      be.conv_backward_weights(g.view(), sx.view(), gw.view(), has_b ? &gbv : nullptr, p);
    if (!rw) gw = Tensor();
    if (!rb) gb = Tensor();
  }
  return {gx, gw, gb};
}

}  // namespace

Tensor conv(const Tensor& x, const Tensor& w, const Tensor& b, const WindowParams& p,
            Eltwise act) {
  const int64_t out_channels = w.defined() ? w.dim(-1) : 0;
  check_conv_operands("conv", x, w, b, p, w.defined() ? w.dim(-2) : 0, out_channels);
  const bool fused = !(act.alg == EltwiseAlg::linear && act.alpha == 1.f && act.beta == 0.f);
  if (fused && !eltwise_backward_uses_dst(act))
    throw ValueError("conv: only activations whose gradient follows from their output can be fused");
  Shape out{x.dim(0)};
  for (int d = 0; d < p.spatial; ++d) {
    const int64_t o = conv_output_size(x.dim(1 + d), w.dim(d), p.strides[d], p.dilation[d],
                                       p.pad_begin[d], p.pad_end[d]);
    if (o <= 0)
      throw ValueError("conv: kernel " + w.shape().str() + " (dilation " +
                       std::to_string(p.dilation[d]) + ") does not fit input " +
                       x.shape().str() + " with this padding");
    out.push_back(o);
  }
  out.push_back(out_channels);
  Tensor y = empty_like_shape(x, out);
  View bv = b.defined() ? b.view() : View{};
  x.backend().conv_forward(x.view(), w.view(), b.defined() ? &bv : nullptr, y.view(), p, act);
  if (needs_grad({&x, &w, &b}))
    attach_node(y, "conv", {x, w, b}, [sx = saved(x), sw = saved(w), sy = saved(y), p, act, fused,
                                       has_b = b.defined(), rx = x.requires_grad(),
                                       rw = w.requires_grad(),
                                       rb = b.defined() && b.requires_grad()](const Tensor& g) {
      Tensor gz = g;
      if (fused) {
        gz = Tensor::empty(g.shape(), DType::float32, g.backend());
        g.backend().eltwise_backward(act, g.view(), sy.view(), gz.view());
      }
      return conv_grads(gz, sx, sw, has_b, rx, rw, rb, p, false);
    });
  return y;
}

Tensor conv_transpose(const Tensor& x, const Tensor& w, const Tensor& b, const WindowParams& p,
                      const Shape& out) {
  const int64_t out_channels = w.defined() ? w.dim(-2) : 0;
  check_conv_operands("conv_transpose", x, w, b, p, w.defined() ? w.dim(-1) : 0, out_channels);
  if (out.rank() != x.rank() || out[0] != x.dim(0) || out[out.rank() - 1] != out_channels)
    throw ValueError("conv_transpose: output shape " + out.str() + " does not fit input " +
                     x.shape().str() + " and kernel " + w.shape().str());
  Tensor y = empty_like_shape(x, out);
  View bv = b.defined() ? b.view() : View{};
  x.backend().deconv_forward(x.view(), w.view(), b.defined() ? &bv : nullptr, y.view(), p);
  if (needs_grad({&x, &w, &b}))
    attach_node(y, "conv_transpose", {x, w, b},
                [sx = saved(x), sw = saved(w), p, has_b = b.defined(), rx = x.requires_grad(),
                 rw = w.requires_grad(), rb = b.defined() && b.requires_grad()](const Tensor& g) {
                  return conv_grads(g, sx, sw, has_b, rx, rw, rb, p, true);
                });
  return y;
}

}  // namespace strata::ops
