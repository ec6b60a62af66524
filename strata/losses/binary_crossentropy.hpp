// BinaryCrossentropy: Keras' "binary_crossentropy", the mean over every element of
// -(y log p + (1 - y) log(1 - p)). With from_logits, y_pred holds logits and the stable form
// max(z, 0) - z y + log(1 + exp(-|z|)) is used; the same form is used when y_pred came straight
// from ops::sigmoid, whose input is recorded on it (Keras' TF backend does the same), so a
// saturated sigmoid does not stall at the 1e-7 clip. Other probabilities are clipped to
// [1e-7, 1 - 1e-7]. label_smoothing moves targets towards 0.5: y (1 - ls) + 0.5 ls.
//
//   BinaryCrossentropy bce({.from_logits = true, .label_smoothing = 0.1f});
//   Tensor l = bce(labels, logits);   // labels (N,) or (N, 1), logits (N, 1)
#pragma once

#include "strata/losses/loss.hpp"

namespace strata {

struct BinaryCrossentropyOptions {
  bool from_logits = false;
  float label_smoothing = 0.f;  // in [0, 1]
  int axis = -1;                // only the last axis is supported
};

class BinaryCrossentropy : public Loss {
 public:
  // Throws ValueError for label_smoothing outside [0, 1] or an axis other than -1.
  explicit BinaryCrossentropy(BinaryCrossentropyOptions options = {});

  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "binary_crossentropy"; }
  std::string class_name() const override { return "BinaryCrossentropy"; }
  nlohmann::json get_config() const override;
  const BinaryCrossentropyOptions& options() const { return options_; }

 private:
  BinaryCrossentropyOptions options_;
};

}  // namespace strata
