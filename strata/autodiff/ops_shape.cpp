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

}  // namespace strata::ops
