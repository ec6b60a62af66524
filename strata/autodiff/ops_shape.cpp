#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw ValueError("reshape: only one dimension can be -1, got " + s.str());
      infer = i;
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0 && known > 0 && x.numel() % known == 0) s[infer] = x.numel() / known;
  if (s.numel() != x.numel() || (infer >= 0 && s[infer] < 0))
    throw ValueError("reshape: cannot reshape " + x.shape().str() + " (" +
                     std::to_string(x.numel()) + " elements) into " + shape.str());
  if (s == x.shape()) return x;
  Tensor y = x.detach();
  y.impl()->shape = s;
  if (needs_grad({&x}))
    attach_node(y, "reshape", {x}, [xs = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{reshape(g, xs)};
    });
  return y;
}

Tensor transpose(const Tensor& x, const std::vector<int>& perm) {
  require_float(x, "transpose");
  if (static_cast<int>(perm.size()) != x.rank())
    throw ValueError("transpose: permutation of " + std::to_string(perm.size()) +
                     " axes for a tensor of shape " + x.shape().str());
  Shape out;
  std::vector<int> inverse(perm.size(), -1);
  for (size_t i = 0; i < perm.size(); ++i) {
    int p = perm[i];
    if (p < 0 || p >= x.rank() || inverse[p] != -1)
      throw ValueError("transpose: invalid permutation for shape " + x.shape().str());
    inverse[p] = static_cast<int>(i);
    out.push_back(x.shape()[p]);
  }
  Tensor y = empty_like_shape(x, out);
  x.backend().transpose(x.view(), y.view(), perm);
  if (needs_grad({&x}))
    attach_node(y, "transpose", {x}, [inverse](const Tensor& g) {
      return std::vector<Tensor>{transpose(g, inverse)};
    });
  return y;
}

Tensor flatten(const Tensor& x) {
  if (x.rank() < 1) throw ValueError("flatten: needs a batch dimension, got a scalar");
  return reshape(x, Shape{x.dim(0), x.rank() == 1 ? 1 : x.numel() / std::max<int64_t>(x.dim(0), 1)});
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw ValueError("concat: needs at least one tensor");
  for (const Tensor& x : xs) require_float(x, "concat");
  const Shape& first = xs[0].shape();
  const int r = first.rank();
  const int a = axis < 0 ? axis + r : axis;
  auto shapes = [&] {
    std::string s;
    for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + xs[i].shape().str();
    return s;
  };
  if (r == 0 || a < 0 || a >= r)
    throw ValueError("concat: axis " + std::to_string(axis) + " is out of range for shapes " +
                     shapes());
  Shape out = first;
  out[a] = 0;
  for (const Tensor& x : xs) {
    bool ok = x.rank() == r;
    for (int d = 0; ok && d < r; ++d) ok = d == a || x.shape()[d] == first[d];
    if (!ok)
      throw ValueError("concat: shapes must match except on axis " + std::to_string(axis) +
                       ", got " + shapes());
    out[a] += x.shape()[a];
  }
  if (xs.size() == 1) return xs[0];
  // Each input is one window of the output: a strided copy per input, forward and backward.
  Tensor y = empty_like_shape(xs[0], out);
  std::vector<std::vector<int64_t>> offsets;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    std::vector<int64_t> off(r, 0);
    off[a] = at;
    at += x.shape()[a];
    if (x.numel() > 0) y.backend().window_copy(x.view(), y.view(), off, true);
    offsets.push_back(std::move(off));
  }
  bool grad = false;
  for (const Tensor& x : xs) grad = grad || needs_grad({&x});
  if (grad) {
    std::vector<Shape> in_shapes;
    std::vector<bool> wants;
    for (const Tensor& x : xs) {
      in_shapes.push_back(x.shape());
      wants.push_back(x.requires_grad());
    }
    attach_node(y, "concat", xs, [in_shapes, wants, offsets](const Tensor& g) {
      std::vector<Tensor> grads(in_shapes.size());
      for (size_t i = 0; i < in_shapes.size(); ++i) {
        if (!wants[i]) continue;
        grads[i] = Tensor::empty(in_shapes[i], DType::float32, g.backend());
        if (grads[i].numel() > 0)
          g.backend().window_copy(grads[i].view(), g.view(), offsets[i], false);
      }
      return grads;
    });
  }
  return y;
}

}  // namespace strata::ops
