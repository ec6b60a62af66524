// Flatten: (batch, d1, d2, ...) -> (batch, d1·d2·...). Channels-last, as Keras' default.
//
//   Flatten()
#pragma once

#include "strata/layers/layer.hpp"

namespace strata {

struct FlattenOptions {
  std::string name;
};

class Flatten : public Layer {
 public:
  explicit Flatten(FlattenOptions o = {}) : Layer("Flatten", o.name) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace strata
