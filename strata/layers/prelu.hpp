// PReLU: a leaky relu whose negative slope is learned per element, y = x for x >= 0 and
// alpha * x below (Keras: relu(x) - alpha * relu(-x)). alpha has the input's shape without the
// batch axis, with every axis in shared_axes set to 1 (shared_axes = {1, 2} on (N, H, W, C)
// inputs learns one slope per channel).
//
//   PReLU()                                           // alpha starts at 0 (Keras' "zeros")
//   PReLU({.alpha_initializer = Constant(0.25f), .shared_axes = {1, 2}})
#pragma once

#include <memory>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

struct PReLUOptions {
  InitializerSpec alpha_initializer = "zeros";
  // Axes (1 = the first after the batch) along which one slope is shared; empty: none.
  std::vector<int> shared_axes;
  std::string name;
};

class PReLU : public Layer {
  STRATA_LAYER(PReLU)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (Keras 2 and 3; shared_axes null, an int or a list).
  // A non-null alpha_regularizer or alpha_constraint is an error.
  static std::shared_ptr<PReLU> from_config(const nlohmann::json& config);
  explicit PReLU(PReLUOptions o = {});
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;
  const PReLUOptions& options() const { return o_; }
  Tensor alpha() const { return alpha_; }

 protected:
  void build_weights(const Shape& in) override;
  Tensor call(const Tensor& x, bool training) override;
  // Like Keras' input spec: the built rank and sizes on the axes that are not shared.
  void check_input(const Shape& shape) const override;

 private:
  bool shared(int axis) const;

  PReLUOptions o_;
  Tensor alpha_;
};

}  // namespace strata
