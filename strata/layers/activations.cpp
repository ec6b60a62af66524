#include "strata/layers/activations.hpp"

#include <functional>
#include <map>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata::activations {

namespace {

using Fn = std::function<Tensor(const Tensor&)>;

const std::map<std::string, Fn>& table() {
  static const std::map<std::string, Fn> t = {
      {"linear", [](const Tensor& x) { return x; }},
      {"relu", [](const Tensor& x) { return ops::relu(x); }},
      {"relu6", [](const Tensor& x) { return ops::clip(x, 0.f, 6.f); }},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }},
      {"softmax", [](const Tensor& x) { return ops::softmax(x, -1); }},
      {"log_softmax", [](const Tensor& x) { return ops::log_softmax(x, -1); }},
      {"elu", [](const Tensor& x) { return ops::elu(x, 1.f); }},
      {"selu", [](const Tensor& x) { return ops::selu(x); }},
      {"gelu", [](const Tensor& x) { return ops::gelu(x, false); }},
      {"softplus", [](const Tensor& x) { return ops::softplus(x); }},
      {"softsign", [](const Tensor& x) { return ops::softsign(x); }},
      {"exponential", [](const Tensor& x) { return ops::exp(x); }},
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x, 0.2f); }},  // Keras 3 default slope
      {"silu", [](const Tensor& x) { return ops::mul(x, ops::sigmoid(x)); }},
      {"swish", [](const Tensor& x) { return ops::mul(x, ops::sigmoid(x)); }},
      // Keras 3 definition relu6(x + 3) / 6 (Keras 2 used slope 0.2; see keras.md).
      {"hard_sigmoid", [](const Tensor& x) { return ops::clip(ops::affine(x, 1.f / 6.f, 0.5f), 0.f, 1.f); }},
      // Keras 1/2 (tf.keras, tfjs) definition clip(0.2x + 0.5, 0, 1): what "hard_sigmoid" means in
      // their configs. model_from_config maps their name to this one and to_json maps it back.
      {"hard_sigmoid_legacy", [](const Tensor& x) { return ops::clip(ops::affine(x, 0.2f, 0.5f), 0.f, 1.f); }},
      {"mish", [](const Tensor& x) { return ops::mul(x, ops::tanh(ops::softplus(x))); }},
  };
  return t;
}

}  // namespace

std::vector<std::string> names() {
  std::vector<std::string> n;
  for (const auto& [k, _] : table()) n.push_back(k);
  return n;
}

void validate(const std::string& name, const std::string& who) {
  if (name.empty() || table().count(name)) return;
  std::string valid;
  for (const auto& n : names()) valid += (valid.empty() ? "" : ", ") + n;
  throw ValueError(who + ": unknown activation '" + name + "'; valid names: " + valid);
}

Tensor apply(const std::string& name, const Tensor& x) {
  if (name.empty()) return x;
  validate(name, "activation");
  return table().at(name)(x);
}

// sigmoid and softmax stay separate ops on purpose: the cross-entropy losses recognise their
// outputs and use the logits underneath (as Keras does), which a fused matmul would hide.
std::optional<Eltwise> fusable(const std::string& name) {
  if (name.empty() || name == "linear") return Eltwise{};
  if (name == "relu") return Eltwise{EltwiseAlg::relu, 0.f};
  if (name == "tanh") return Eltwise{EltwiseAlg::tanh};
  if (name == "elu") return Eltwise{EltwiseAlg::elu, 1.f};
  return std::nullopt;
}

}  // namespace strata::activations
