#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

namespace {

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  require_float(a, name);
  require_float(b, name);
  Shape out = broadcast_shape(a.shape(), b.shape(), name);
  Tensor y = empty_like_shape(a, out);
  a.backend().binary(op, padded_view(a, out.rank()), padded_view(b, out.rank()), y.view());
  return y;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(BinaryOp::add, a, b, "add");
  if (needs_grad({&a, &b}))
    attach_node(y, "add", {a, b}, [as = a.shape(), bs = b.shape()](const Tensor& g) {
      return std::vector<Tensor>{sum_to(g, as), sum_to(g, bs)};
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(BinaryOp::sub, a, b, "sub");
  if (needs_grad({&a, &b}))
    attach_node(y, "sub", {a, b}, [as = a.shape(), bs = b.shape(), rb = b.requires_grad()](
                                      const Tensor& g) {
      return std::vector<Tensor>{sum_to(g, as), rb ? sum_to(neg(g), bs) : Tensor()};
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(BinaryOp::mul, a, b, "mul");
  if (needs_grad({&a, &b}))
    attach_node(y, "mul", {a, b}, [sa = saved(a), sb = saved(b), ra = a.requires_grad(),
                                   rb = b.requires_grad()](const Tensor& g) {
      return std::vector<Tensor>{ra ? sum_to(mul(g, sb), sa.shape()) : Tensor(),
                                 rb ? sum_to(mul(g, sa), sb.shape()) : Tensor()};
    });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(BinaryOp::div, a, b, "div");
  if (needs_grad({&a, &b}))
    attach_node(y, "div", {a, b}, [as = a.shape(), sb = saved(b), sy = saved(y),
                                   ra = a.requires_grad(), rb = b.requires_grad()](
                                      const Tensor& g) {
      Tensor ga = div(g, sb);  // d(a/b)/da = 1/b
      // d(a/b)/db = -a/b² = -y/b
      return std::vector<Tensor>{ra ? sum_to(ga, as) : Tensor(),
                                 rb ? sum_to(neg(mul(ga, sy)), sb.shape()) : Tensor()};
    });
  return y;
}

namespace {

// max (is_max) or min of a and b. The backward builds the 0/1 mask of where b was chosen
// (b > a for max, a > b for min: strict, so ties go to a) and splits g with it.
Tensor extremum(const Tensor& a, const Tensor& b, bool is_max) {
  const char* name = is_max ? "maximum" : "minimum";
  Tensor y = binary_forward(is_max ? BinaryOp::max : BinaryOp::min, a, b, name);
  if (needs_grad({&a, &b}))
    attach_node(y, name, {a, b}, [sa = saved(a), sb = saved(b), is_max, name,
                                  ra = a.requires_grad(), rb = b.requires_grad()](
                                     const Tensor& g) {
      Tensor to_b = is_max ? binary_forward(BinaryOp::gt, sb, sa, name)
                           : binary_forward(BinaryOp::gt, sa, sb, name);
      Tensor ga, gb;
      if (ra) ga = sum_to(mul(g, affine(to_b, -1.f, 1.f)), sa.shape());
      if (rb) gb = sum_to(mul(g, to_b), sb.shape());
      return std::vector<Tensor>{ga, gb};
    });
  return y;
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(a, b, true); }

Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(a, b, false); }

Tensor affine(const Tensor& x, float alpha, float beta) {
  require_float(x, "affine");
  Tensor y = empty_like_shape(x, x.shape());
  x.backend().eltwise_forward({EltwiseAlg::linear, alpha, beta}, x.view(), y.view());
  if (needs_grad({&x}))
    attach_node(y, "affine", {x}, [alpha](const Tensor& g) {
      return std::vector<Tensor>{affine(g, alpha, 0.f)};
    });
  return y;
}

namespace {

// Shape of op(a)·op(b) for equal-rank operands; throws naming both shapes.
Shape matmul_shape(const Shape& a, bool ta, const Shape& b, bool tb) {
  int r = a.rank();
  if (r < 2 || b.rank() != r)
    throw ValueError("matmul: operands need rank >= 2, got " + a.str() + " and " + b.str());
  int64_t m = ta ? a[r - 1] : a[r - 2], ka = ta ? a[r - 2] : a[r - 1];
  int64_t kb = tb ? b[r - 1] : b[r - 2], n = tb ? b[r - 2] : b[r - 1];
  if (ka != kb)
    throw ValueError("matmul: inner dimensions differ: " + a.str() + (ta ? "ᵀ" : "") + " · " +
                     b.str() + (tb ? "ᵀ" : ""));
  Shape out;
  for (int i = 0; i < r - 2; ++i) {
    if (a[i] != b[i] && a[i] != 1 && b[i] != 1)
      throw ValueError("matmul: batch dimensions of " + a.str() + " and " + b.str() +
                       " cannot be broadcast");
    out.push_back(a[i] == 1 ? b[i] : a[i]);
  }
  out.push_back(m);
  out.push_back(n);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0, bool ta, bool tb) {
  require_float(a0, "matmul");
  require_float(b0, "matmul");
  int r = std::max(a0.rank(), b0.rank());
  Tensor a = a0.rank() < r ? reshape(a0, padded_view(a0, r).shape) : a0;
  Tensor b = b0.rank() < r ? reshape(b0, padded_view(b0, r).shape) : b0;
  Tensor y = empty_like_shape(a, matmul_shape(a.shape(), ta, b.shape(), tb));
  a.backend().matmul(a.view(), ta, b.view(), tb, nullptr, y.view());
  if (needs_grad({&a, &b}))
    attach_node(y, "matmul", {a, b}, [sa = saved(a), sb = saved(b), ta, tb,
                                      ra = a.requires_grad(), rb = b.requires_grad()](
                                         const Tensor& g) {
      Tensor ga, gb;
      // The four transpose cases of d(op(A)·op(B)), each one more product with flags, no copies.
      if (!ta && !tb) {
        if (ra) ga = matmul(g, sb, false, true);
        if (rb) gb = matmul(sa, g, true, false);
      } else if (!ta && tb) {
        if (ra) ga = matmul(g, sb, false, false);
        if (rb) gb = matmul(g, sa, true, false);
      } else if (ta && !tb) {
        if (ra) ga = matmul(sb, g, false, true);
        if (rb) gb = matmul(sa, g, false, false);
      } else {
        if (ra) ga = matmul(sb, g, true, true);
        if (rb) gb = matmul(g, sa, true, true);
      }
      return std::vector<Tensor>{ga.defined() ? sum_to(ga, sa.shape()) : ga,
                                 gb.defined() ? sum_to(gb, sb.shape()) : gb};
    });
  return y;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b, Eltwise act) {
  require_float(x, "linear");
  require_float(w, "linear");
  if (w.rank() != 2 || x.rank() < 1 || x.dim(-1) != w.dim(0))
    throw ValueError("linear: input " + x.shape().str() + " does not match kernel " +
                     w.shape().str());
  const bool fused = !(act.alg == EltwiseAlg::linear && act.alpha == 1.f && act.beta == 0.f);
  if (fused && !eltwise_backward_uses_dst(act))
    throw ValueError("linear: only activations whose gradient follows from their output can be "
                     "fused");
  const int64_t k = w.dim(0), n = w.dim(1);
  int64_t m = 1;  // rows: every dim of x but the last (x.numel() / k fails for k == 0)
  for (int d = 0; d + 1 < x.rank(); ++d) m *= x.dim(d);
  Tensor x2 = reshape(x, Shape{m, k});
  Shape out = x.shape();
  out[out.rank() - 1] = n;
  Tensor y = empty_like_shape(x, out);
  View y2{y.data(), Shape{m, n}};
  View bias;
  if (b.defined()) {
    require_float(b, "linear");
    if (b.shape() != Shape{n})
      throw ValueError("linear: bias " + b.shape().str() + " does not match kernel " +
                       w.shape().str());
    bias = b.view();
  }
  x.backend().matmul(x2.view(), false, w.view(), false, b.defined() ? &bias : nullptr, y2,
                     0.f, act);
  if (needs_grad({&x, &w, &b}))
    attach_node(y, "linear", {x, w, b}, [sx = saved(x2), sw = saved(w), sy = saved(y), act,
                                         fused, xs = x.shape(), has_b = b.defined(),
                                         rx = x.requires_grad(), rw = w.requires_grad(),
                                         rb = b.defined() && b.requires_grad()](const Tensor& g) {
      Backend& be = g.backend();
      const int64_t m = sx.dim(0), n = sw.dim(1);
      Tensor gz = reshape(g, Shape{m, n});
      if (fused) {
        Tensor dz = Tensor::empty(Shape{m, n}, DType::float32, be);
        be.eltwise_backward(act, gz.view(), View{sy.data(), Shape{m, n}}, dz.view());
        gz = dz;
      }
      Tensor gx, gw, gb;
      if (rx) gx = reshape(matmul(gz, sw, false, true), xs);
      if (rw) gw = matmul(sx, gz, true, false);
      if (has_b && rb) gb = sum(gz, {0});
      return std::vector<Tensor>{gx, gw, gb};
    });
  return y;
}

}  // namespace strata::ops
