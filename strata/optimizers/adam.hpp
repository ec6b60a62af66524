// Adam: Keras 3's keras.optimizers.Adam. With t the 1-based step,
//   alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m)(1 - beta_1);  v += (g² - v)(1 - beta_2)
//   amsgrad: vhat = max(vhat, v), used in place of v
//   w -= alpha m / (sqrt(v) + epsilon)
// Slots per tensor: "momentum" (m), "velocity" (v) and, with amsgrad, "velocity_hat".
//
//   Adam adam({.learning_rate = 1e-3, .amsgrad = true});
//   adam.apply_gradients(weights);
#pragma once

#include <string>

#include "strata/optimizers/optimizer.hpp"

namespace strata {

struct AdamOptions {
  double learning_rate = 0.001;  // >= 0
  double beta_1 = 0.9;           // in [0, 1)
  double beta_2 = 0.999;         // in [0, 1)
  double epsilon = 1e-7;         // >= 0
  bool amsgrad = false;
  std::string name = "adam";
};

class Adam : public Optimizer {
 public:
  // Throws ValueError naming the bad hyper-parameter and its value.
  explicit Adam(AdamOptions options = {});
  std::string class_name() const override { return "Adam"; }
  nlohmann::json get_config() const override;
  std::vector<std::string> slot_names() const override;
  const AdamOptions& options() const { return options_; }

 protected:
  size_t num_slots() const override { return options_.amsgrad ? 3 : 2; }
  // Keras 3 adds m and v together, interleaved per tensor, then the vhat of every tensor.
  std::vector<std::vector<size_t>> slot_groups() const override;
  void update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
              int64_t step) override;

 private:
  AdamOptions options_;
};

}  // namespace strata
