#include "strata/layers/masks.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata::masks {

Tensor all_of(const std::vector<Tensor>& ms) {
  Tensor out;
  for (const auto& m : ms)
    if (m.defined()) out = out.defined() ? ops::mul(out, m) : m;
  return out;
}

void check(const std::string& who, const Tensor& mask, const Tensor& x) {
  const bool ok = mask.defined() && mask.dtype() == DType::float32 && mask.rank() == 2 &&
                  x.rank() >= 2 && mask.dim(0) == x.dim(0) && mask.dim(1) == x.dim(1);
  if (!ok)
    throw ValueError(who + ": expected a float32 mask of shape (" + std::to_string(x.dim(0)) +
                     ", " + std::to_string(x.rank() >= 2 ? x.dim(1) : 0) + ") for input " +
                     x.shape().str() + ", got " +
                     (mask.defined() ? std::string(dtype_name(mask.dtype())) + " " +
                                           mask.shape().str()
                                     : std::string("an undefined mask")));
}

Tensor not_equal(const Tensor& x, double value, bool reduce_last_axis) {
  const auto v = x.to_vector<float>();
  const int64_t inner = reduce_last_axis ? x.dim(-1) : 1;
  Shape out_shape;
  for (int d = 0; d < x.rank() - (reduce_last_axis ? 1 : 0); ++d) out_shape.push_back(x.dim(d));
  std::vector<float> out(static_cast<size_t>(out_shape.numel()), 0.f);
  for (size_t i = 0; i < out.size(); ++i)
    for (int64_t k = 0; k < inner && out[i] == 0.f; ++k)
      if (v[i * static_cast<size_t>(inner) + static_cast<size_t>(k)] != static_cast<float>(value))
        out[i] = 1.f;
  return Tensor::from_vector(out_shape, out, x.backend());
}

Tensor apply(const Tensor& x, const Tensor& mask) {
  Shape s = mask.shape();
  while (s.rank() < x.rank()) s.push_back(1);
  return ops::mul(x, ops::reshape(mask, s));
}

}  // namespace strata::masks
