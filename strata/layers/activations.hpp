// Keras' activation functions by name ("relu", "softmax", ...), used by Dense(activation=...) and
// the Activation layer.
//
//   Tensor y = activations::apply("gelu", x);
//   activations::fusable("relu");   // Eltwise{relu}: Dense fuses it into its matmul
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata::activations {

// Throws ValueError listing the valid names when `name` is unknown. "" and "linear" are identity.
// "hard_sigmoid" is Keras 3's relu6(x + 3) / 6; "hard_sigmoid_legacy" is Keras 1/2's
// clip(0.2x + 0.5, 0, 1), which their model configs call "hard_sigmoid".
Tensor apply(const std::string& name, const Tensor& x);
// Checks a name without running anything (for option validation at construction).
void validate(const std::string& name, const std::string& who);
// The activations a matmul can fuse (their gradient follows from their output).
std::optional<Eltwise> fusable(const std::string& name);
std::vector<std::string> names();

}  // namespace strata::activations
