// Flatten: (batch, d1, d2, ...) -> (batch, d1·d2·...). Channels-last, as Keras' default.
//
//   Flatten()
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct FlattenOptions {
  std::string name;
};

class Flatten : public Layer {
  STRATA_LAYER(Flatten)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Flatten> from_config(const nlohmann::json& config);
  explicit Flatten(FlattenOptions o = {}) : Layer("Flatten", o.name) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace strata
