// Conv1D and Conv2D: Keras' convolution layers on oneDNN. Activations are channels-last unless
// data_format = "channels_first"; the kernel has Keras' layout (k..., in / groups, filters).
//
//   Conv2D({.filters = 32, .kernel_size = 3, .activation = "relu"})
//   Conv2D({.filters = 64, .kernel_size = {5, 3}, .strides = 2, .padding = "same"})
//   Conv1D({.filters = 8, .kernel_size = 3, .padding = "causal", .dilation_rate = 2})
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

struct Conv2DOptions {
  int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  int64_t groups = 1;
  std::string activation;
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

struct Conv1DOptions {
  int64_t filters = 0;
  int64_t kernel_size = 0;
  int64_t strides = 1;
  std::string padding = "valid";  // also "causal"
  std::string data_format = "channels_last";
  int64_t dilation_rate = 1;
  int64_t groups = 1;
  std::string activation;
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

// The N-d convolution behind Conv1D / Conv2D.
class Conv : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  Tensor kernel() const { return kernel_; }
  Tensor bias() const { return bias_; }

 protected:
  Conv(const char* class_name, int spatial, Conv2DOptions o);
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  void check_rank(const Shape& in) const;
  // The window for a channels-last input shape; validates rank and channels.
  WindowParams window(const Shape& channels_last_in) const;
  int spatial_;
  Conv2DOptions o_;
  Tensor kernel_, bias_;
};

class Conv2D : public Conv {
  STRATA_LAYER(Conv2D)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Conv2D> from_config(const nlohmann::json& config);
  explicit Conv2D(Conv2DOptions o) : Conv("Conv2D", 2, std::move(o)) {}
};

class Conv1D : public Conv {
  STRATA_LAYER(Conv1D)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Conv1D> from_config(const nlohmann::json& config);
  explicit Conv1D(Conv1DOptions o);
};

}  // namespace strata
