// CategoricalCrossentropy: Keras' "categorical_crossentropy" for one-hot (or soft) targets,
// -Σ_c y_c log p_c over the last axis, averaged over the batch. With from_logits, y_pred holds
// logits and log_softmax is used; the same stable path is taken when y_pred came straight from
// ops::softmax over the last axis, whose input is recorded on it (as Keras' TF backend does).
// Other probabilities are normalised to sum 1 and clipped to [1e-7, 1 - 1e-7].
// label_smoothing mixes in the uniform distribution: y (1 - ls) + ls / C.
//
//   CategoricalCrossentropy cce({.label_smoothing = 0.1f});
//   Tensor l = cce(one_hot_labels, ops::softmax(logits));   // both (N, C)
#pragma once

#include "strata/losses/loss.hpp"

namespace strata {

struct CategoricalCrossentropyOptions {
  bool from_logits = false;
  float label_smoothing = 0.f;  // in [0, 1]
  int axis = -1;                // only the last axis is supported
};

class CategoricalCrossentropy : public Loss {
 public:
  // Throws ValueError for label_smoothing outside [0, 1] or an axis other than -1.
  explicit CategoricalCrossentropy(CategoricalCrossentropyOptions options = {});

  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "categorical_crossentropy"; }
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  const CategoricalCrossentropyOptions& options() const { return options_; }

 private:
  CategoricalCrossentropyOptions options_;
};

}  // namespace strata
