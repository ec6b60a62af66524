#include "strata/layers/thresholded_relu.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

ThresholdedReLU::ThresholdedReLU(ThresholdedReLUOptions o)
    : Layer("ThresholdedReLU", o.name), o_(std::move(o)) {
  // tf.keras 2 refuses a negative theta too.
  if (!(o_.theta >= 0.f) || !std::isfinite(o_.theta))
    throw ValueError(label() + ": theta must be finite and >= 0, got " + std::to_string(o_.theta));
}

// Keras: x * (x > theta). The strict comparison matters at x == theta (output 0).
Tensor ThresholdedReLU::call(const Tensor& x, bool) {
  return ops::thresholded_relu(x, o_.theta, 0.f);
}

nlohmann::json ThresholdedReLU::get_config() const {
  auto c = Layer::get_config();
  c["theta"] = config_number(o_.theta);
  return c;
}

std::shared_ptr<ThresholdedReLU> ThresholdedReLU::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "ThresholdedReLU");
  return std::make_shared<ThresholdedReLU>(
      ThresholdedReLUOptions{r.get_or<float>("theta", 1.f), r.name()});
}

}  // namespace strata
