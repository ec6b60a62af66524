// Dense: y = activation(x·kernel + bias), kernel (in, units), bias (units,), as Keras. Inputs of
// rank > 2 are multiplied along their last axis. relu, tanh and elu are fused into the product.
//
//   Dense({.units = 64, .activation = "relu"})
//   Dense(10, "softmax")
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct DenseOptions {
  int64_t units = 0;
  std::string activation;  // "" = linear
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

class Dense : public Layer {
  STRATA_LAYER(Dense)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Dense> from_config(const nlohmann::json& config);
  explicit Dense(DenseOptions o);
  Dense(int64_t units, std::string activation = "") : Dense(DenseOptions{units, std::move(activation)}) {}
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  const DenseOptions& options() const { return o_; }
  Tensor kernel() const { return kernel_; }
  Tensor bias() const { return bias_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& shape) const override;

 private:
  DenseOptions o_;
  Tensor kernel_, bias_;
};

}  // namespace strata
