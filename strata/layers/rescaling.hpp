// Rescaling: the preprocessing layer y = x * scale + offset, e.g. pixel values [0, 255] to
// [0, 1] or [-1, 1]. Same in training and inference.
//
//   Rescaling(1.f / 255)
//   Rescaling({.scale = 1.f / 127.5f, .offset = -1.f})
#pragma once

#include "strata/layers/layer.hpp"

namespace strata {

struct RescalingOptions {
  float scale = 1.f;
  float offset = 0.f;
  std::string name;
};

class Rescaling : public Layer {
  STRATA_LAYER(Rescaling)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  explicit Rescaling(RescalingOptions o);
  explicit Rescaling(float scale, float offset = 0.f) : Rescaling(RescalingOptions{scale, offset}) {}
  static std::shared_ptr<Rescaling> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  RescalingOptions o_;
};

}  // namespace strata
