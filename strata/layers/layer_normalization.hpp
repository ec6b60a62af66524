// LayerNormalization: normalises each sample over `axis` (default the last; several axes are
// normalised jointly), y = gamma * (x - mean) / sqrt(var + epsilon) + beta, with gamma and beta
// shaped like the normalised dims (in ascending axis order). Same in training and inference.
// Keras' rms_scaling mode is not offered.
//
//   LayerNormalization()
//   LayerNormalization({.axis = {1, 2, 3}, .epsilon = 1e-6f})   // whole feature maps
#pragma once

#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

struct LayerNormalizationOptions {
  std::vector<int> axis{-1};
  float epsilon = 1e-3f;
  bool center = true;
  bool scale = true;
  InitializerSpec beta_initializer = "zeros";
  InitializerSpec gamma_initializer = "ones";
  std::string name;
};

class LayerNormalization : public Layer {
  STRATA_LAYER(LayerNormalization)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  explicit LayerNormalization(LayerNormalizationOptions o = {});
  // Keras 2 and 3 configs; axis an int or a list. rms_scaling = true is an error.
  static std::shared_ptr<LayerNormalization> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;
  const LayerNormalizationOptions& options() const { return o_; }
  Tensor gamma() const { return gamma_; }
  Tensor beta() const { return beta_; }

 protected:
  void build_weights(const Shape& in) override;
  Tensor call(const Tensor& x, bool training) override;
  // Like Keras (no input spec): the built rank and sizes of the normalised axes; other dims,
  // e.g. a sequence length, may vary.
  void check_input(const Shape& shape) const override;

 private:
  // The normalised axes of a shape of rank `rank`, ascending; throws on bad or repeated axes.
  std::vector<int> axes(const Shape& in) const;

  LayerNormalizationOptions o_;
  Tensor gamma_, beta_;
};

}  // namespace strata
