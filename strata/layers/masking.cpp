#include "strata/layers/masking.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Masking::Masking(MaskingOptions o) : Layer("Masking", o.name), o_(std::move(o)) {
  if (std::isnan(o_.mask_value))
    throw ValueError(label() + ": mask_value must be a number, got NaN (NaN never equals a value)");
}

Shape Masking::compute_output_shape(const Shape& in) const {
  if (in.rank() < 3)
    throw ValueError(label() + ": expected input of rank >= 3 (batch, time, features), got " +
                     in.str());
  return in;
}

Tensor Masking::call(const Tensor& x, bool) {
  return masks::apply(x, masks::not_equal(x, o_.mask_value, /*reduce_last_axis=*/true));
}

std::vector<Tensor> Masking::compute_mask(const std::vector<Tensor>& inputs,
                                          const std::vector<Tensor>&) const {
  // Keras replaces an incoming mask with its own.
  if (inputs.empty()) return {};
  return {masks::not_equal(inputs[0], o_.mask_value, /*reduce_last_axis=*/true)};
}

nlohmann::json Masking::get_config() const {
  auto c = Layer::get_config();
  c["mask_value"] = config_number(o_.mask_value);
  return c;
}

std::shared_ptr<Masking> Masking::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Masking");
  return std::make_shared<Masking>(
      MaskingOptions{.mask_value = r.get_or<float>("mask_value", 0.f), .name = r.name()});
}

}  // namespace strata
