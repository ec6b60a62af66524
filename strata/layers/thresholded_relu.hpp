// ThresholdedReLU (Keras 1/2; Keras 3 dropped it in favour of ReLU(threshold=...), whose values
// below the threshold differ): y = x where x > theta, else 0. Kept so older model files load.
//
//   ThresholdedReLU({.theta = 2.f})
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct ThresholdedReLUOptions {
  float theta = 1.f;
  std::string name;
};

class ThresholdedReLU : public Layer {
  STRATA_LAYER(ThresholdedReLU)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<ThresholdedReLU> from_config(const nlohmann::json& config);
  explicit ThresholdedReLU(ThresholdedReLUOptions o = {});
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ThresholdedReLUOptions o_;
};

}  // namespace strata
