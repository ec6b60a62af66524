#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

Tensor dropout(const Tensor& x, float rate, uint64_t seed, uint64_t offset) {
  require_float(x, "dropout");
  if (!(rate >= 0.f && rate < 1.f))
    throw ValueError("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (rate == 0.f) return x;
  Tensor y = empty_like_shape(x, x.shape());
  PayloadPtr saved = x.backend().dropout_forward(x.view(), y.view(), rate, seed, offset);
  if (needs_grad({&x}))
    attach_node(y, "dropout", {x}, [saved](const Tensor& g) {
      Tensor dx = Tensor::empty(g.shape(), DType::float32, g.backend());
      g.backend().dropout_backward(g.view(), *saved, dx.view());
      return std::vector<Tensor>{dx};
    });
  return y;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  if (labels.rank() != 1)
    throw ValueError("one_hot: labels must have shape (N,), got " + labels.shape().str());
  Tensor y = Tensor::empty(Shape{labels.dim(0), num_classes}, DType::float32, labels.backend());
  labels.backend().one_hot(labels.view(), y.view());
  return y;
}

}  // namespace strata::ops
