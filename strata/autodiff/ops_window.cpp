#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

namespace {

void check_window(const char* op, const Shape& small, const Shape& big,
                  const std::vector<int64_t>& offsets) {
  bool ok = small.rank() == big.rank() && static_cast<int>(offsets.size()) == big.rank();
  for (int i = 0; ok && i < big.rank(); ++i)
    ok = offsets[i] >= 0 && offsets[i] + small[i] <= big[i];
  if (!ok)
    throw ValueError(std::string(op) + ": a window of shape " + small.str() +
                     " at the given offsets does not fit in " + big.str());
}

}  // namespace

Tensor pad(const Tensor& x, const Shape& out, const std::vector<int64_t>& offsets) {
  require_float(x, "pad");
  check_window("pad", x.shape(), out, offsets);
  Tensor y = Tensor::zeros(out, DType::float32, x.backend());
  x.backend().window_copy(x.view(), y.view(), offsets, true);
  if (needs_grad({&x}))
    attach_node(y, "pad", {x}, [xs = x.shape(), offsets](const Tensor& g) {
      Tensor dx = Tensor::empty(xs, DType::float32, g.backend());
      g.backend().window_copy(dx.view(), g.view(), offsets, false);
      return std::vector<Tensor>{dx};
    });
  return y;
}

Tensor crop(const Tensor& x, const Shape& out, const std::vector<int64_t>& offsets) {
  require_float(x, "crop");
  check_window("crop", out, x.shape(), offsets);
  Tensor y = empty_like_shape(x, out);
  x.backend().window_copy(y.view(), x.view(), offsets, false);
  if (needs_grad({&x}))
    attach_node(y, "crop", {x}, [xs = x.shape(), offsets](const Tensor& g) {
      Tensor dx = Tensor::zeros(xs, DType::float32, g.backend());
      g.backend().window_copy(g.view(), dx.view(), offsets, true);
      return std::vector<Tensor>{dx};
    });
  return y;
}

Tensor resize(const Tensor& x, int64_t oh, int64_t ow, bool bilinear) {
  require_float(x, "resize");
  if (x.rank() != 4 || oh <= 0 || ow <= 0)
    throw ValueError("resize: expected (N, H, W, C) input and a positive size, got " +
                     x.shape().str() + " -> (" + std::to_string(oh) + ", " + std::to_string(ow) +
                     ")");
  Tensor y = empty_like_shape(x, Shape{x.dim(0), oh, ow, x.dim(3)});
  x.backend().resample_forward(x.view(), y.view(), bilinear);
  if (needs_grad({&x}))
    attach_node(y, "resize", {x}, [xs = x.shape(), bilinear](const Tensor& g) {
      Tensor dx = Tensor::empty(xs, DType::float32, g.backend());
      g.backend().resample_backward(g.view(), dx.view(), bilinear);
      return std::vector<Tensor>{dx};
    });
  return y;
}

}  // namespace strata::ops
