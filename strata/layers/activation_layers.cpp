#include "strata/layers/activation_layers.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

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
  // tf.keras 2 only knows `alpha` (it rejects negative_slope); Keras 3 still reads alpha.
  c["alpha"] = config_number(o_.negative_slope);
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

std::shared_ptr<ReLU> ReLU::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "ReLU");
  ReLUOptions o;
  o.max_value = r.optional<float>("max_value");
  o.negative_slope = r.get_or<float>("negative_slope", 0.f);
  o.threshold = r.get_or<float>("threshold", 0.f);
  o.name = r.name();
  return std::make_shared<ReLU>(std::move(o));
}

std::shared_ptr<LeakyReLU> LeakyReLU::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "LeakyReLU");
  // Keras 3 renamed Keras 2's alpha to negative_slope.
  LeakyReLUOptions o;
  o.negative_slope = r.get_or<float>("negative_slope", 0.3f, {"alpha"});
  o.name = r.name();
  return std::make_shared<LeakyReLU>(std::move(o));
}

std::shared_ptr<Softmax> Softmax::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Softmax");
  return std::make_shared<Softmax>(SoftmaxOptions{r.get_or<int>("axis", -1), r.name()});
}

std::shared_ptr<ELU> ELU::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "ELU");
  return std::make_shared<ELU>(ELUOptions{r.get_or<float>("alpha", 1.f), r.name()});
}

}  // namespace strata
