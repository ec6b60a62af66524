#include "strata/layers/dense.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Dense::Dense(DenseOptions o) : Layer("Dense", o.name), o_(std::move(o)) {
  if (o_.units <= 0)
    throw ValueError(label() + ": units must be a positive integer, got " +
                     std::to_string(o_.units));
  activations::validate(o_.activation, label());
}

Shape Dense::compute_output_shape(const Shape& in) const {
  if (in.rank() < 2)
    throw ValueError(label() + ": expected input of rank >= 2 (batch, ..., features), got " +
                     in.str());
  Shape out = in;
  out[out.rank() - 1] = o_.units;
  return out;
}

void Dense::check_input(const Shape& shape) const {
  // Keras' input spec for Dense: rank >= 2 and a fixed last dimension.
  if (shape.rank() < 2 || shape[shape.rank() - 1] != input_shape()[input_shape().rank() - 1])
    throw ValueError(label() + ": expected input with last dimension " +
                     std::to_string(input_shape()[input_shape().rank() - 1]) + " (built for " +
                     input_shape().str() + "), got " + shape.str());
}

void Dense::build_weights(const Shape& in) {
  kernel_ = add_weight("kernel", Shape{in[in.rank() - 1], o_.units}, o_.kernel_initializer);
  if (o_.use_bias) bias_ = add_weight("bias", Shape{o_.units}, o_.bias_initializer);
}

Tensor Dense::call(const Tensor& x, bool) {
  if (auto fused = activations::fusable(o_.activation))
    return ops::linear(x, kernel_, bias_, *fused);
  return activations::apply(o_.activation, ops::linear(x, kernel_, bias_));
}

nlohmann::json Dense::get_config() const {
  auto c = Layer::get_config();
  c["units"] = o_.units;
  c["activation"] = o_.activation.empty() ? "linear" : o_.activation;
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = initializer_config(o_.kernel_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  add_null_regularizers(c);
  return c;
}

std::shared_ptr<Dense> Dense::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Dense");
  // Keras 1 spelled the regularizers and constraints W_/b_.
  r.require_null({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                  "kernel_constraint", "bias_constraint", "W_regularizer", "b_regularizer",
                  "W_constraint", "b_constraint"});
  DenseOptions o;
  o.units = r.get<int64_t>("units", {"output_dim"});
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true, {"bias"});
  o.kernel_initializer =
      r.initializer(r.has("kernel_initializer") || !r.has("init") ? "kernel_initializer" : "init",
                    "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<Dense>(std::move(o));
}

}  // namespace strata
