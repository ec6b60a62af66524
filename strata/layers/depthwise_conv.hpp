// DepthwiseConv2D and SeparableConv2D. Depthwise: each input channel convolved with its own
// depth_multiplier filters (kernel (kh, kw, in, depth_multiplier)); separable: that, then a 1x1
// pointwise conv to `filters` (kernel (1, 1, in * depth_multiplier, filters)). Both run as
// grouped oneDNN convolutions.
//
//   DepthwiseConv2D({.kernel_size = 3, .padding = "same", .depth_multiplier = 2})
//   SeparableConv2D({.filters = 64, .kernel_size = 3, .activation = "relu"})
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

struct DepthwiseConv2DOptions {
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  std::string activation;
  bool use_bias = true;
  InitializerSpec depthwise_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

struct SeparableConv2DOptions {
  int64_t filters = 0;
  IntPair kernel_size = 0;
  IntPair strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  IntPair dilation_rate = 1;
  int64_t depth_multiplier = 1;
  std::string activation;
  bool use_bias = true;
  InitializerSpec depthwise_initializer = "glorot_uniform";
  InitializerSpec pointwise_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  std::string name;
};

// The shared part: a depthwise stage, optionally followed by a pointwise stage.
class DepthwiseBase : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  DepthwiseBase(const char* class_name, const std::string& name, IntPair kernel_size,
                IntPair strides, std::string padding, int64_t depth_multiplier,
                std::string data_format, IntPair dilation_rate, std::string activation,
                int64_t filters);
  Tensor call(const Tensor& x, bool training) override;
  void add_common_config(nlohmann::json& c) const;
  // Depthwise kernel (kh, kw, in, dm); pointwise (1, 1, in·dm, filters) when filters_ > 0.
  Tensor depthwise_, pointwise_, bias_;
  IntPair kernel_size_, strides_, dilation_rate_;
  std::string padding_, data_format_, activation_;
  int64_t depth_multiplier_, filters_;

 private:
  void check_rank(const Shape& in) const;
  WindowParams window(const Shape& channels_last_in) const;
};

class DepthwiseConv2D : public DepthwiseBase {
  STRATA_LAYER(DepthwiseConv2D)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<DepthwiseConv2D> from_config(const nlohmann::json& config);
  explicit DepthwiseConv2D(DepthwiseConv2DOptions o);
  nlohmann::json get_config() const override;

 protected:
  void build_weights(const Shape& input_shape) override;

 private:
  DepthwiseConv2DOptions o_;
};

class SeparableConv2D : public DepthwiseBase {
  STRATA_LAYER(SeparableConv2D)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<SeparableConv2D> from_config(const nlohmann::json& config);
  explicit SeparableConv2D(SeparableConv2DOptions o);
  nlohmann::json get_config() const override;

 protected:
  void build_weights(const Shape& input_shape) override;

 private:
  SeparableConv2DOptions o_;
};

}  // namespace strata
