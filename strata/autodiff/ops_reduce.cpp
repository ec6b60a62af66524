#include <algorithm>

#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

namespace {

// The keepdims shape of reducing `s` over `axes` (empty = all).
Shape reduced_shape(const Shape& s, std::vector<int> axes, const char* op) {
  Shape out = s;
  if (axes.empty())
    for (int i = 0; i < s.rank(); ++i) axes.push_back(i);
  for (int a : axes) {
    int n = a < 0 ? a + s.rank() : a;
    if (n < 0 || n >= s.rank())
      throw ValueError(std::string(op) + ": axis " + std::to_string(a) +
                       " is out of range for shape " + s.str());
    out[n] = 1;
  }
  return out;
}

Tensor reduce_op(ReduceOp op, const char* name, const Tensor& x, std::vector<int> axes,
                 bool keepdims) {
  require_float(x, name);
  Shape kept = reduced_shape(x.shape(), axes, name);
  Tensor y = empty_like_shape(x, kept);
  x.backend().reduce(op, x.view(), y.view());
  Tensor out = y;
  if (!keepdims) {
    // Drop exactly the reduced axes (also those that were already 1).
    Shape s;
    Shape marks = reduced_shape(Shape(std::vector<int64_t>(x.rank(), 2)), axes, name);
    for (int i = 0; i < x.rank(); ++i)
      if (marks[i] != 1) s.push_back(kept[i]);
    out = y.detach();
    out.impl()->shape = s;
  }
  if (needs_grad({&x})) {
    float scale = op == ReduceOp::mean ? static_cast<float>(kept.numel()) /
                                             static_cast<float>(x.numel())
                                       : 1.f;
    attach_node(out, name, {x}, [xs = x.shape(), kept, scale](const Tensor& g) {
      Tensor gk = reshape(g, kept);
      if (scale != 1.f) gk = affine(gk, scale, 0.f);
      return std::vector<Tensor>{broadcast_to(gk, xs)};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, std::vector<int> axes, bool keepdims) {
  return reduce_op(ReduceOp::sum, "sum", x, std::move(axes), keepdims);
}

Tensor mean(const Tensor& x, std::vector<int> axes, bool keepdims) {
  return reduce_op(ReduceOp::mean, "mean", x, std::move(axes), keepdims);
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Shape padded;
  for (int i = shape.rank(); i < g.rank(); ++i) padded.push_back(1);
  for (int64_t d : shape) padded.push_back(d);
  if (padded.rank() != g.rank())
    throw ValueError("sum_to: cannot reduce " + g.shape().str() + " to " + shape.str());
  std::vector<int> axes;
  for (int i = 0; i < g.rank(); ++i)
    if (padded[i] == 1 && g.shape()[i] != 1) axes.push_back(i);
  Tensor s = axes.empty() ? g : sum(g, axes, true);
  return reshape(s, shape);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  require_float(x, "broadcast_to");
  if (x.shape() == shape) return x;
  broadcast_shape(x.shape(), shape, "broadcast_to");
  Tensor y = Tensor::empty(shape, DType::float32, x.backend());
  x.backend().fill(y.view(), 0.0);
  x.backend().binary(BinaryOp::add, y.view(), padded_view(x, shape.rank()), y.view());
  if (needs_grad({&x}))
    attach_node(y, "broadcast_to", {x}, [xs = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{sum_to(g, xs)};
    });
  return y;
}

}  // namespace strata::ops
