#include "strata/layers/flatten.hpp"

#include "strata/autodiff/ops.hpp"

namespace strata {

Shape Flatten::compute_output_shape(const Shape& in) const {
  return Shape{in[0], in.rank() == 1 ? 1 : in.drop_front().numel()};
}

Tensor Flatten::call(const Tensor& x, bool) { return ops::flatten(x); }

nlohmann::json Flatten::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  return c;
}

}  // namespace strata
