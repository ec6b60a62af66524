#include "strata/layers/rescaling.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Rescaling::Rescaling(RescalingOptions o) : Layer("Rescaling", o.name), o_(std::move(o)) {
  if (!std::isfinite(o_.scale) || !std::isfinite(o_.offset))
    throw ValueError(label() + ": scale and offset must be finite, got scale " +
                     std::to_string(o_.scale) + ", offset " + std::to_string(o_.offset));
}

Tensor Rescaling::call(const Tensor& x, bool) { return ops::affine(x, o_.scale, o_.offset); }

nlohmann::json Rescaling::get_config() const {
  auto c = Layer::get_config();
  c["scale"] = config_number(o_.scale);
  c["offset"] = config_number(o_.offset);
  return c;
}

std::shared_ptr<Rescaling> Rescaling::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Rescaling");
  // scale is required in Keras; a per-channel list scale (Keras 3) is not supported and fails
  // as a type error on 'scale'.
  return std::make_shared<Rescaling>(RescalingOptions{.scale = r.get<float>("scale"),
                                                      .offset = r.get_or<float>("offset", 0.f),
                                                      .name = r.name()});
}

}  // namespace strata
