#include "strata/layers/activation_layers.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"

namespace strata {

ReLU::ReLU(ReLUOptions o) : Layer("ReLU", o.name), o_(std::move(o)) {
  if (o_.max_value && !(*o_.max_value >= 0.f))
    throw ValueError(label() + ": max_value must be >= 0, got " + std::to_string(*o_.max_value));
  if (!(o_.negative_slope >= 0.f))
    throw ValueError(label() + ": negative_slope must be >= 0, got " +
                     std::to_string(o_.negative_slope));
  if (!std::isfinite(o_.threshold))
    throw ValueError(label() + ": threshold must be finite");
}

Tensor ReLU::call(const Tensor& x, bool) {
  // Shifting by the threshold turns every case into a leaky relu around 0:
  // relu_t(x) = leaky(x - t) + t for x >= t. With t == 0 this is a single fused primitive.
  Tensor y = o_.threshold == 0.f ? ops::leaky_relu(x, o_.negative_slope)
                                 : ops::thresholded_relu(x, o_.threshold, o_.negative_slope);
  if (o_.max_value) y = ops::minimum(y, *o_.max_value);
  return y;
}

nlohmann::json ReLU::get_config() const {
  auto c = Layer::get_config();
  c["max_value"] = o_.max_value ? nlohmann::json(config_number(*o_.max_value)) : nlohmann::json(nullptr);
  c["negative_slope"] = config_number(o_.negative_slope);
  c["threshold"] = config_number(o_.threshold);
  return c;
}

LeakyReLU::LeakyReLU(LeakyReLUOptions o) : Layer("LeakyReLU", o.name), o_(std::move(o)) {
  if (!(o_.negative_slope >= 0.f))
    throw ValueError(label() + ": negative_slope must be >= 0, got " +
                     std::to_string(o_.negative_slope));
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return ops::leaky_relu(x, o_.negative_slope); }

nlohmann::json LeakyReLU::get_config() const {
  auto c = Layer::get_config();
  c["negative_slope"] = config_number(o_.negative_slope);
  return c;
}

Shape Softmax::compute_output_shape(const Shape& in) const {
  if (o_.axis >= in.rank() || o_.axis < -in.rank())
    throw ValueError(label() + ": axis " + std::to_string(o_.axis) +
                     " is out of range for input " + in.str());
  return in;
}

Tensor Softmax::call(const Tensor& x, bool) { return ops::softmax(x, o_.axis); }

nlohmann::json Softmax::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = o_.axis;
  return c;
}

Tensor ELU::call(const Tensor& x, bool) { return ops::elu(x, o_.alpha); }

nlohmann::json ELU::get_config() const {
  auto c = Layer::get_config();
  c["alpha"] = config_number(o_.alpha);
  return c;
}

}  // namespace strata
