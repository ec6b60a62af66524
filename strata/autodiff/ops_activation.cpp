#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

Tensor eltwise(const Tensor& x, const Eltwise& e) {
  require_float(x, "eltwise");
  Tensor y = empty_like_shape(x, x.shape());
  x.backend().eltwise_forward(e, x.view(), y.view());
  if (e.alg == EltwiseAlg::logistic) {
    y.impl()->logits = x.impl();
    y.impl()->logits_of = "sigmoid";
  }
  if (needs_grad({&x})) {
    // Keep the output where the rule allows: it is alive anyway for the next op.
    Tensor keep = eltwise_backward_uses_dst(e) ? saved(y) : saved(x);
    attach_node(y, "eltwise", {x}, [e, keep](const Tensor& g) {
      Tensor dx = Tensor::empty(g.shape(), DType::float32, g.backend());
      g.backend().eltwise_backward(e, g.view(), keep.view(), dx.view());
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

Tensor selu(const Tensor& x) {
  // Constants of Klambauer et al., as in Keras.
  constexpr float kAlpha = 1.6732632423543772848170429916717f;
  constexpr float kScale = 1.0507009873554804934193349852946f;
  return affine(elu(x, kAlpha), kScale, 0.f);
}

Tensor thresholded_relu(const Tensor& x, float t, float slope) {
  require_float(x, "thresholded_relu");
  // The step mask is constant almost everywhere, so it carries no gradient.
  Tensor mask = empty_like_shape(x, x.shape());
  Tensor tt = Tensor::full(Shape(std::vector<int64_t>(x.rank(), 1)), t, DType::float32, x.backend());
  x.backend().binary(BinaryOp::gt, x.view(), tt.view(), mask.view());
  Tensor below = affine(relu(affine(x, -1.f, t)), -slope, 0.f);  // -slope * relu(t - x)
  return add(mul(x, mask), below);
}

Tensor softsign(const Tensor& x) { return div(x, affine(abs(x), 1.f, 1.f)); }

namespace {

Tensor softmax_impl(const Tensor& x, int axis, bool log, const char* name) {
  require_float(x, name);
  const int a = x.shape().axis(axis);
  Tensor y = empty_like_shape(x, x.shape());
  x.backend().softmax_forward(x.view(), y.view(), a, log);
  if (!log && a == x.rank() - 1) {
    y.impl()->logits = x.impl();
    y.impl()->logits_of = "softmax";
  }
  if (needs_grad({&x}))
    attach_node(
        y, name, {x},
        [sy = saved(y), a, log](const Tensor& g) {
          Tensor dx = Tensor::empty(g.shape(), DType::float32, g.backend());
          g.backend().softmax_backward(g.view(), sy.view(), dx.view(), a, log);
          return std::vector<Tensor>{dx};
        },
        a);
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_impl(x, axis, false, "softmax"); }
Tensor log_softmax(const Tensor& x, int axis) {
  return softmax_impl(x, axis, true, "log_softmax");
}

}  // namespace strata::ops
