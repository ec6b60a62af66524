#include "strata/layers/time_distributed.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"
#include "strata/serialization/layer_registry.hpp"

namespace strata {

TimeDistributed::TimeDistributed(LayerRef layer, std::string name)
    : Layer("TimeDistributed", std::move(name)), layer_(layer.get()) {
  if (!layer_) throw ValueError(label() + ": needs a layer to wrap, got none");
}

void TimeDistributed::set_trainable(bool t) {
  Layer::set_trainable(t);
  layer_->set_trainable(t);
}

std::vector<Tensor> TimeDistributed::weights() const { return layer_->weights(); }
std::vector<Tensor> TimeDistributed::trainable_weights() const {
  if (!trainable()) return {};
  return layer_->trainable_weights();
}
std::vector<Tensor> TimeDistributed::non_trainable_weights() const {
  if (!trainable()) return layer_->weights();
  return layer_->non_trainable_weights();
}
int64_t TimeDistributed::count_params() const { return layer_->count_params(); }

Shape TimeDistributed::inner_shape(const Shape& in) const {
  if (in.rank() < 3)
    throw ValueError(label() + ": expects input of rank 3 or more (batch, time, features...), got " +
                     in.str() + " (wrapping " + layer_->label() + ")");
  std::vector<int64_t> dims{-1};
  for (int i = 2; i < in.rank(); ++i) dims.push_back(in[i]);
  return Shape(dims);
}

Shape TimeDistributed::compute_output_shape(const Shape& in) const {
  const Shape inner_out = layer_->compute_output_shape(inner_shape(in));
  std::vector<int64_t> dims{in[0], in[1]};
  for (int i = 1; i < inner_out.rank(); ++i) dims.push_back(inner_out[i]);
  return Shape(dims);
}

void TimeDistributed::build_weights(const Shape& input_shape) {
  layer_->build(inner_shape(input_shape));
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  const Shape in = x.shape();
  Shape flat = inner_shape(in);
  flat[0] = in[0] * in[1];
  const Tensor y = (*layer_)(ops::reshape(x, flat), training);
  std::vector<int64_t> dims{in[0], in[1]};
  for (int i = 1; i < y.shape().rank(); ++i) dims.push_back(y.shape()[i]);
  return ops::reshape(y, Shape(dims));
}

nlohmann::json TimeDistributed::get_config() const {
  auto c = Layer::get_config();
  c["layer"] = layer_to_config(*layer_);
  return c;
}

std::shared_ptr<TimeDistributed> TimeDistributed::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "TimeDistributed");
  const auto inner = r.get<nlohmann::json>("layer");
  if (!inner.is_object() || !inner.contains("class_name"))
    r.fail("'layer' must be a layer object {\"class_name\": ..., \"config\": ...}, got " +
           inner.dump());
  return std::make_shared<TimeDistributed>(layer_from_config(inner), r.name());
}

}  // namespace strata
