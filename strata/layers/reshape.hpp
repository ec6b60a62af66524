// Reshape: reshapes everything but the batch dimension; one target dimension may be -1.
//
//   Reshape({28, 28, 1})
#pragma once

#include "strata/layers/layer.hpp"

namespace strata {

struct ReshapeOptions {
  Shape target_shape;
  std::string name;
};

class Reshape : public Layer {
 public:
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
