#include "strata/layers/dropout.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Dropout::Dropout(DropoutOptions o)
    : Layer("Dropout", o.name), o_(std::move(o)), seed_(o_.seed ? *o_.seed : next_seed()) {
  if (!(o_.rate >= 0.f && o_.rate < 1.f))
    throw ValueError(label() + ": rate must be in [0, 1), got " + std::to_string(o_.rate));
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || o_.rate == 0.f) return x;
  Tensor y = ops::dropout(x, o_.rate, seed_, offset_);
  offset_ += static_cast<uint64_t>(x.numel());
  return y;
}

nlohmann::json Dropout::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = config_number(o_.rate);
  c["seed"] = o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json(nullptr);
  c["noise_shape"] = nullptr;
  return c;
}

std::shared_ptr<Dropout> Dropout::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Dropout");
  // A noise_shape shares one mask along some axes; dropping it would change the layer silently.
  if (r.has("noise_shape") && !r.raw().at("noise_shape").is_null())
    r.fail("'noise_shape' is set (" + r.raw().at("noise_shape").dump() +
           "), but only noise_shape = null is supported");
  DropoutOptions o;
  o.rate = r.get<float>("rate", {"p"});  // Keras 1 called it p
  o.seed = r.optional<uint64_t>("seed");
  o.name = r.name();
  return std::make_shared<Dropout>(std::move(o));
}

}  // namespace strata
