// Activation: applies a named activation function (see activations.hpp) element-wise.
//
//   Activation("relu")
//   Activation({.activation = "softmax", .name = "probs"})
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct ActivationOptions {
  std::string activation;
  std::string name;
};

class Activation : public Layer {
  STRATA_LAYER(Activation)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Activation> from_config(const nlohmann::json& config);
  explicit Activation(ActivationOptions o);
  explicit Activation(std::string activation) : Activation(ActivationOptions{std::move(activation)}) {}
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ActivationOptions o_;
};

}  // namespace strata
