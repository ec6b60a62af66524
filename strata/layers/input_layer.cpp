#include "strata/layers/input_layer.hpp"

#include "strata/core/error.hpp"

namespace strata {

InputLayer::InputLayer(Shape shape, InputOptions o)
    : Layer("InputLayer", o.name), batch_shape_(shape.with_front(-1)) {
  for (int64_t d : shape)
    if (d <= 0)
      throw ValueError(label() + ": shape dimensions must be positive, got " + shape.str());
  build(batch_shape_);
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

nlohmann::json InputLayer::get_config() const {
  nlohmann::json c;
  c["batch_shape"] = nlohmann::json::array();
  c["batch_shape"].push_back(nullptr);
  for (int i = 1; i < batch_shape_.rank(); ++i) c["batch_shape"].push_back(batch_shape_[i]);
  c["dtype"] = "float32";
  c["sparse"] = false;
  c["name"] = name();
  return c;
}

}  // namespace strata
