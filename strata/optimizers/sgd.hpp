// SGD: gradient descent with optional (Nesterov) momentum, Keras 3's keras.optimizers.SGD.
//   momentum == 0: w -= lr g
//   else:          v = momentum v - lr g;  w += nesterov ? momentum v - lr g : v
// With momentum 0 there is no slot state; otherwise one "momentum" slot per tensor.
//
//   SGD sgd({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
//   sgd.apply_gradients(weights);
#pragma once

#include <string>

#include "strata/optimizers/optimizer.hpp"

namespace strata {

struct SGDOptions {
  double learning_rate = 0.01;  // >= 0
  double momentum = 0.0;        // in [0, 1]
  bool nesterov = false;
  std::string name = "SGD";
};

class SGD : public Optimizer {
 public:
  // Throws ValueError naming the bad hyper-parameter and its value.
  explicit SGD(SGDOptions options = {});
  std::string class_name() const override { return "SGD"; }
  nlohmann::json get_config() const override;
  std::vector<std::string> slot_names() const override;
  const SGDOptions& options() const { return options_; }

 protected:
  size_t num_slots() const override { return options_.momentum != 0.0 ? 1 : 0; }
  void update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
              int64_t step) override;

 private:
  SGDOptions options_;
};

}  // namespace strata
