// MaxPooling1D/2D and AveragePooling1D/2D: Keras' local pooling over windows of `pool_size`
// moved by `strides` (default: pool_size). padding 'valid' drops windows that do not fit;
// 'same' pads TF-style (the odd pixel at the end) so the output is ceil(size / stride), and
// average pooling then divides by the number of real pixels only, as Keras. Inputs are
// (batch, steps, channels) / (batch, rows, cols, channels), or channels first.
//
//   MaxPooling2D()                                          // 2x2 windows, stride 2
//   MaxPooling2D({.pool_size = 3, .strides = 2, .padding = "same"})
//   AveragePooling1D({.pool_size = 4, .data_format = "channels_first"})
#pragma once

#include <optional>

#include "strata/layers/layer.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

// Keras' strides=None (use pool_size) or one int or two: `.strides = 2`, `.strides = {2, 1}`.
struct PoolStrides {
  std::optional<IntPair> v;
  PoolStrides() = default;
  PoolStrides(int64_t a) : v(IntPair(a)) {}
  PoolStrides(int64_t a, int64_t b) : v(IntPair(a, b)) {}
};

struct Pooling1DOptions {
  int64_t pool_size = 2;
  std::optional<int64_t> strides;  // none = pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name;
};

struct Pooling2DOptions {
  IntPair pool_size = 2;
  PoolStrides strides;  // none = pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name;
};

// The shared implementation; use the four Keras classes below.
class Pooling : public Layer {
 public:
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Pooling(std::string class_name, std::string name, PoolKind kind, int spatial, IntPair pool,
          IntPair strides, std::string padding, std::string data_format);
  Tensor call(const Tensor& x, bool training) override;

 private:
  // The window over a channels-last shape; throws when it does not fit.
  WindowParams params(const Shape& channels_last) const;
  void check_rank(const Shape& in) const;

  PoolKind kind_;
  int spatial_;
  IntPair pool_, strides_;
  std::string padding_, data_format_;
};

class MaxPooling1D : public Pooling {
  STRATA_LAYER(MaxPooling1D)
 public:
  explicit MaxPooling1D(Pooling1DOptions o = {});
  static std::shared_ptr<MaxPooling1D> from_config(const nlohmann::json& config);
};

class MaxPooling2D : public Pooling {
  STRATA_LAYER(MaxPooling2D)
 public:
  explicit MaxPooling2D(Pooling2DOptions o = {});
  static std::shared_ptr<MaxPooling2D> from_config(const nlohmann::json& config);
};

class AveragePooling1D : public Pooling {
  STRATA_LAYER(AveragePooling1D)
 public:
  explicit AveragePooling1D(Pooling1DOptions o = {});
  static std::shared_ptr<AveragePooling1D> from_config(const nlohmann::json& config);
};

class AveragePooling2D : public Pooling {
  STRATA_LAYER(AveragePooling2D)
 public:
  explicit AveragePooling2D(Pooling2DOptions o = {});
  static std::shared_ptr<AveragePooling2D> from_config(const nlohmann::json& config);
};

}  // namespace strata
