#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

namespace {

void check_affine(const char* op, const Tensor& x, const Tensor& t, const char* what) {
  if (!t.defined()) return;
  require_float(t, op);
  if (t.shape() != Shape{x.dim(-1)})
    throw ValueError(std::string(op) + ": " + what + " " + t.shape().str() +
                     " does not match the last dimension of " + x.shape().str());
}

}  // namespace

Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& mean, Tensor& var) {
  require_float(x, "batch_norm");
  if (x.rank() < 2) throw ValueError("batch_norm: input needs rank >= 2, got " + x.shape().str());
  check_affine("batch_norm", x, gamma, "gamma");
  check_affine("batch_norm", x, beta, "beta");
  const Shape c{x.dim(-1)};
  mean = Tensor::empty(c, DType::float32, x.backend());
  var = Tensor::empty(c, DType::float32, x.backend());
  Tensor y = empty_like_shape(x, x.shape());
  View gv = gamma.defined() ? gamma.view() : View{}, bv = beta.defined() ? beta.view() : View{};
  x.backend().batchnorm_forward(x.view(), y.view(), gamma.defined() ? &gv : nullptr,
                                beta.defined() ? &bv : nullptr, mean.view(), var.view(), eps,
                                true);
  if (needs_grad({&x, &gamma, &beta}))
    attach_node(y, "batch_norm", {x, gamma, beta},
                [sx = saved(x), sg = gamma.defined() ? saved(gamma) : Tensor(), sm = mean,
                 sv = var, eps, rg = gamma.defined() && gamma.requires_grad(),
                 rb = beta.defined() && beta.requires_grad()](const Tensor& g) {
                  Backend& be = g.backend();
                  Tensor dx = Tensor::empty(sx.shape(), DType::float32, be);
                  Tensor dg = rg ? Tensor::empty(sm.shape(), DType::float32, be) : Tensor();
                  Tensor db = rb ? Tensor::empty(sm.shape(), DType::float32, be) : Tensor();
                  View gv = sg.defined() ? sg.view() : View{};
                  View dgv = rg ? dg.view() : View{}, dbv = rb ? db.view() : View{};
                  be.batchnorm_backward(g.view(), sx.view(), sg.defined() ? &gv : nullptr,
                                        sm.view(), sv.view(), dx.view(), rg ? &dgv : nullptr,
                                        rb ? &dbv : nullptr, eps);
                  return std::vector<Tensor>{dx, dg, db};
                });
  return y;
}

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  require_float(x, "layer_norm");
  if (x.rank() < 1) throw ValueError("layer_norm: input needs rank >= 1");
  check_affine("layer_norm", x, gamma, "gamma");
  check_affine("layer_norm", x, beta, "beta");
  Tensor y = empty_like_shape(x, x.shape());
  View gv = gamma.defined() ? gamma.view() : View{}, bv = beta.defined() ? beta.view() : View{};
  PayloadPtr stats = x.backend().layernorm_forward(x.view(), y.view(),
                                                   gamma.defined() ? &gv : nullptr,
                                                   beta.defined() ? &bv : nullptr, eps);
  if (needs_grad({&x, &gamma, &beta}))
    attach_node(y, "layer_norm", {x, gamma, beta},
                [sx = saved(x), sg = gamma.defined() ? saved(gamma) : Tensor(), stats,
                 eps, rg = gamma.defined() && gamma.requires_grad(),
                 rb = beta.defined() && beta.requires_grad()](const Tensor& g) {
                  Backend& be = g.backend();
                  const Shape c{sx.dim(-1)};
                  Tensor dx = Tensor::empty(sx.shape(), DType::float32, be);
                  Tensor dg = rg ? Tensor::empty(c, DType::float32, be) : Tensor();
                  Tensor db = rb ? Tensor::empty(c, DType::float32, be) : Tensor();
                  View gv = sg.defined() ? sg.view() : View{};
                  View dgv = rg ? dg.view() : View{}, dbv = rb ? db.view() : View{};
                  be.layernorm_backward(g.view(), sx.view(), sg.defined() ? &gv : nullptr,
                                        *stats, dx.view(), rg ? &dgv : nullptr,
                                        rb ? &dbv : nullptr, eps);
                  return std::vector<Tensor>{dx, dg, db};
                });
  return y;
}

}  // namespace strata::ops
