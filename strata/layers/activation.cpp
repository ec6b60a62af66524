#include "strata/layers/activation.hpp"

#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"

namespace strata {

Activation::Activation(ActivationOptions o) : Layer("Activation", o.name), o_(std::move(o)) {
  if (o_.activation.empty()) throw ValueError(label() + ": no activation name given");
  activations::validate(o_.activation, label());
}

Tensor Activation::call(const Tensor& x, bool) { return activations::apply(o_.activation, x); }

nlohmann::json Activation::get_config() const {
  auto c = Layer::get_config();
  c["activation"] = o_.activation;
  return c;
}

}  // namespace strata
