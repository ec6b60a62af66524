// GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D: the mean or maximum of each channel over
// all steps / pixels, (batch, ..., channels) -> (batch, channels), or with keepdims the spatial
// dims kept as 1s, as Keras. Max pooling routes the gradient to each channel's maximum.
//
//   GlobalAveragePooling2D()                                 // (N, 7, 7, 512) -> (N, 512)
//   GlobalMaxPooling1D({.data_format = "channels_first", .keepdims = true})  // (N, C, 1)
#pragma once

#include "strata/layers/layer.hpp"

namespace strata {

struct GlobalPoolingOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;
  std::string name;
};

// The shared implementation; use the four Keras classes below.
class GlobalPooling : public Layer {
 public:
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;
  // GlobalAveragePooling1D averages only the unmasked steps (Keras); the others ignore masks.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;

 protected:
  GlobalPooling(std::string class_name, PoolKind kind, int spatial, GlobalPoolingOptions o);
  Tensor call(const Tensor& x, bool training) override;

 private:
  PoolKind kind_;
  int spatial_;
  GlobalPoolingOptions o_;
};

class GlobalAveragePooling1D : public GlobalPooling {
  STRATA_LAYER(GlobalAveragePooling1D)
 public:
  explicit GlobalAveragePooling1D(GlobalPoolingOptions o = {})
      : GlobalPooling("GlobalAveragePooling1D", PoolKind::average, 1, std::move(o)) {}
  static std::shared_ptr<GlobalAveragePooling1D> from_config(const nlohmann::json& config);
};

class GlobalAveragePooling2D : public GlobalPooling {
  STRATA_LAYER(GlobalAveragePooling2D)
 public:
  explicit GlobalAveragePooling2D(GlobalPoolingOptions o = {})
      : GlobalPooling("GlobalAveragePooling2D", PoolKind::average, 2, std::move(o)) {}
  static std::shared_ptr<GlobalAveragePooling2D> from_config(const nlohmann::json& config);
};

class GlobalMaxPooling1D : public GlobalPooling {
  STRATA_LAYER(GlobalMaxPooling1D)
 public:
  explicit GlobalMaxPooling1D(GlobalPoolingOptions o = {})
      : GlobalPooling("GlobalMaxPooling1D", PoolKind::max, 1, std::move(o)) {}
  static std::shared_ptr<GlobalMaxPooling1D> from_config(const nlohmann::json& config);
};

class GlobalMaxPooling2D : public GlobalPooling {
  STRATA_LAYER(GlobalMaxPooling2D)
 public:
  explicit GlobalMaxPooling2D(GlobalPoolingOptions o = {})
      : GlobalPooling("GlobalMaxPooling2D", PoolKind::max, 2, std::move(o)) {}
  static std::shared_ptr<GlobalMaxPooling2D> from_config(const nlohmann::json& config);
};

}  // namespace strata
