// Reshape: reshapes everything but the batch dimension; one target dimension may be -1.
//
//   Reshape({28, 28, 1})
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct ReshapeOptions {
  Shape target_shape;
  std::string name;
};

class Reshape : public Layer {
  STRATA_LAYER(Reshape)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Reshape> from_config(const nlohmann::json& config);
  explicit Reshape(ReshapeOptions o);
  explicit Reshape(Shape target_shape) : Reshape(ReshapeOptions{target_shape}) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ReshapeOptions o_;
};

}  // namespace strata
