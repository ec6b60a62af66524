// BatchNormalization: y = gamma * (x - mean) / sqrt(var + epsilon) + beta per feature of `axis`
// (default the last: channels). In training (and only while the layer is trainable, as Keras 3)
// mean/var are the batch's statistics over every other axis (biased variance) and the moving
// statistics move towards them: moving = moving * momentum + batch * (1 - momentum). Otherwise
// the moving statistics are used, and the output stays differentiable in x, gamma and beta (for
// fine-tuning through a frozen layer). Weights in Keras order: gamma, beta (trainable; left out
// when scale / center is false), moving_mean, moving_variance (non-trainable).
//
//   BatchNormalization()
//   BatchNormalization({.axis = 1, .momentum = 0.9f})   // channels_first feature maps
#pragma once

#include "strata/layers/layer.hpp"

namespace strata {

struct BatchNormalizationOptions {
  int axis = -1;
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true;
  bool scale = true;
  InitializerSpec beta_initializer = "zeros";
  InitializerSpec gamma_initializer = "ones";
  InitializerSpec moving_mean_initializer = "zeros";
  InitializerSpec moving_variance_initializer = "ones";
  std::string name;
};

class BatchNormalization : public Layer {
  STRATA_LAYER(BatchNormalization)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // In training, a (N, T) mask on an (N, T, C) input leaves the masked steps out of the batch
  // statistics (Keras 3's masked moments); otherwise the mask does not change the result.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  explicit BatchNormalization(BatchNormalizationOptions o = {});
  // Keras 2 and 3 configs; axis may be an int or a one-element list, e.g. Keras 2's [3] after
  // build (a positive axis counts the batch, as Keras).
  static std::shared_ptr<BatchNormalization> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;
  const BatchNormalizationOptions& options() const { return o_; }
  // Undefined when scale / center is false.
  Tensor gamma() const { return gamma_; }
  Tensor beta() const { return beta_; }
  Tensor moving_mean() const { return moving_mean_; }
  Tensor moving_variance() const { return moving_variance_; }

 protected:
  void build_weights(const Shape& in) override;
  Tensor call(const Tensor& x, bool training) override;
  // Keras' input spec: the built rank and the built size of `axis`; other dims may vary.
  void check_input(const Shape& shape) const override;

 private:
  int resolved_axis(const Shape& in) const;

  BatchNormalizationOptions o_;
  Tensor gamma_, beta_, moving_mean_, moving_variance_;
};

}  // namespace strata
