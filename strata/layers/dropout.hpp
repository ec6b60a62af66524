// Dropout: in training, zeroes each input element with probability `rate` and scales the rest by
// 1 / (1 - rate) (inverted dropout, as Keras); identity at inference. The masks are a pure
// function of the layer's seed and a per-layer call counter, so seeded runs repeat exactly.
//
//   Dropout(0.5)
//   Dropout({.rate = 0.2, .seed = 7})
#pragma once

#include <memory>
#include <optional>

#include "strata/layers/layer.hpp"

namespace strata {

struct DropoutOptions {
  float rate = 0.f;
  std::optional<uint64_t> seed;
  std::string name;
};

class Dropout : public Layer {
  STRATA_LAYER(Dropout)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Dropout> from_config(const nlohmann::json& config);
  explicit Dropout(DropoutOptions o);
  explicit Dropout(float rate) : Dropout(DropoutOptions{rate}) {}
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  DropoutOptions o_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

}  // namespace strata
