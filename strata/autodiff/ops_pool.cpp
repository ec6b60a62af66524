#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

Tensor pool(const Tensor& x, PoolKind kind, const WindowParams& p) {
  require_float(x, "pool");
  if (p.spatial < 1 || p.spatial > 2 || x.rank() != p.spatial + 2)
    throw ValueError("pool: expected a channels-last input of rank " +
                     std::to_string(p.spatial + 2) + ", got " + x.shape().str());
  Shape out{x.dim(0)};
  for (int d = 0; d < p.spatial; ++d) {
    const int64_t o = conv_output_size(x.dim(1 + d), p.kernel[d], p.strides[d], 1,
                                       p.pad_begin[d], p.pad_end[d]);
    if (o <= 0)
      throw ValueError("pool: window " + std::to_string(p.kernel[d]) + " does not fit input " +
                       x.shape().str() + " with this padding");
    out.push_back(o);
  }
  out.push_back(x.dim(-1));
  Tensor y = empty_like_shape(x, out);
  const bool record = needs_grad({&x});
  PayloadPtr saved = x.backend().pool_forward(kind, x.view(), y.view(), p, record);
  if (record)
    attach_node(y, "pool", {x}, [kind, p, saved, xs = x.shape()](const Tensor& g) {
      Tensor dx = Tensor::empty(xs, DType::float32, g.backend());
      g.backend().pool_backward(kind, g.view(), saved.get(), dx.view(), p);
      return std::vector<Tensor>{dx};
    });
  return y;
}

}  // namespace strata::ops
