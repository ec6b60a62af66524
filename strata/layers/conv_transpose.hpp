// Conv2DTranspose: the transposed 2-D convolution (Keras' "deconvolution"). Kernel layout is
// Keras' (kh, kw, filters, in); output sizes follow Keras' deconv_output_length, output_padding
// included.
//
//   Conv2DTranspose({.filters = 16, .kernel_size = 3, .strides = 2, .padding = "same"})
#pragma once

#include <memory>
#include <optional>

#include "strata/layers/layer.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

struct Conv2DTransposeOptions {
  int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::optional<IntPair> output_padding;
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  std::string activation;
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

class Conv2DTranspose : public Layer {
  STRATA_LAYER(Conv2DTranspose)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Conv2DTranspose> from_config(const nlohmann::json& config);
  explicit Conv2DTranspose(Conv2DTransposeOptions o);
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;

 protected:
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  int64_t output_length(int d, int64_t in) const;
  Tensor kernel_, bias_;
  Conv2DTransposeOptions o_;
};

}  // namespace strata
