// SparseCategoricalCrossentropy: Keras' "sparse_categorical_crossentropy", the categorical
// crossentropy against integer class labels: -log p[label], averaged over the batch. Labels have
// y_pred's shape without the class axis, or with a trailing 1, e.g. (N,) or (N, 1) for y_pred
// (N, C); they may be int32, int64 or integral float32, in [0, C). from_logits and the recorded
// softmax logits work as in CategoricalCrossentropy. ignore_class (e.g. a "void" label such as
// -1 or 255) masks those entries out as in Keras 3: they contribute 0 and the mean is taken over
// the remaining entries only (0 when every entry is ignored).
//
//   SparseCategoricalCrossentropy scce({.from_logits = true});
//   Tensor l = scce(Tensor::from_vector({2}, std::vector<int32_t>{1, 2}), logits);   // (2, C)
#pragma once

#include <optional>

#include "strata/losses/loss.hpp"

namespace strata {

struct SparseCategoricalCrossentropyOptions {
  bool from_logits = false;
  std::optional<int> ignore_class = std::nullopt;
  int axis = -1;  // only the last axis is supported
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  // Throws ValueError for an axis other than -1.
  explicit SparseCategoricalCrossentropy(SparseCategoricalCrossentropyOptions options = {});

  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  const SparseCategoricalCrossentropyOptions& options() const { return options_; }

 private:
  SparseCategoricalCrossentropyOptions options_;
};

}  // namespace strata
