#include "strata/layers/activation.hpp"

#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"
#include "strata/serialization/config_reader.hpp"

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

std::shared_ptr<Activation> Activation::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Activation");
  if (!r.has("activation") || r.raw().at("activation").is_null()) r.fail("missing 'activation'");
  // The reader maps "linear" to "" (no activation), but this layer needs a name to apply.
  std::string activation = r.activation("activation");
  if (activation.empty()) activation = "linear";
  return std::make_shared<Activation>(ActivationOptions{std::move(activation), r.name()});
}

}  // namespace strata
