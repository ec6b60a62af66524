// RMSprop: Keras 3's keras.optimizers.RMSprop (the compile() default).
//   ms = rho ms + (1 - rho) g²
//   centered: mg = rho mg + (1 - rho) g, denom = ms - mg² + epsilon; else denom = ms + epsilon
//   inc = lr g / sqrt(denom)
//   momentum > 0: mom = momentum mom + inc, w -= mom; else w -= inc
// Slots per tensor: "velocity" (ms), then "momentum" when momentum > 0, then "average_gradient"
// when centered.
//
//   RMSprop rms({.learning_rate = 1e-3, .momentum = 0.9, .centered = true});
//   rms.apply_gradients(weights);
#pragma once

#include <string>

#include "strata/optimizers/optimizer.hpp"

namespace strata {

struct RMSpropOptions {
  double learning_rate = 0.001;  // >= 0
  double rho = 0.9;              // in [0, 1)
  double momentum = 0.0;         // in [0, 1]
  double epsilon = 1e-7;         // >= 0
  bool centered = false;
  std::string name = "rmsprop";
};

class RMSprop : public Optimizer {
 public:
  // Throws ValueError naming the bad hyper-parameter and its value.
  explicit RMSprop(RMSpropOptions options = {});
  std::string class_name() const override { return "RMSprop"; }
  nlohmann::json get_config() const override;
  std::vector<std::string> slot_names() const override;
  const RMSpropOptions& options() const { return options_; }

 protected:
  size_t num_slots() const override { return slot_names().size(); }
  // Keras 3 adds each kind of slot for every tensor before the next kind.
  std::vector<std::vector<size_t>> slot_groups() const override;
  void update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
              int64_t step) override;

 private:
  RMSpropOptions options_;
};

}  // namespace strata
