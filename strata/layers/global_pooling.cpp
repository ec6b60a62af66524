#include "strata/layers/global_pooling.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/layers/window_geometry.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

GlobalPooling::GlobalPooling(std::string class_name, PoolKind kind, int spatial,
                             GlobalPoolingOptions o)
    : Layer(std::move(class_name), o.name), kind_(kind), spatial_(spatial), o_(std::move(o)) {
  check_data_format(label(), o_.data_format);
}

Shape GlobalPooling::compute_output_shape(const Shape& in) const {
  if (in.rank() != spatial_ + 2)
    throw ValueError(label() + ": expected input of rank " + std::to_string(spatial_ + 2) +
                     (spatial_ == 1 ? " (batch, steps, channels)" : " (batch, rows, cols, channels)") +
                     ", got " + in.str());
  const bool first = o_.data_format == "channels_first";
  const int64_t channels = first ? in[1] : in[in.rank() - 1];
  if (!o_.keepdims) return Shape{in[0], channels};
  Shape out{in[0]};
  if (first) out.push_back(channels);
  for (int d = 0; d < spatial_; ++d) out.push_back(1);
  if (!first) out.push_back(channels);
  return out;
}

Tensor GlobalPooling::call(const Tensor& x, bool) {
  const bool first = o_.data_format == "channels_first";
  Shape out = compute_output_shape(x.shape());
  out[0] = x.dim(0);
  if (kind_ == PoolKind::average) {
    std::vector<int> axes;
    for (int d = 0; d < spatial_; ++d) axes.push_back(first ? 2 + d : 1 + d);
    return ops::mean(x, axes, o_.keepdims);
  }
  // One window covering every pixel: the pooling op keeps the argmax for the backward pass,
  // which a plain max reduction would not.
  Tensor cl = first ? to_channels_last(x) : x;
  WindowParams p;
  p.spatial = spatial_;
  for (int d = 0; d < spatial_; ++d) p.kernel[d] = p.strides[d] = cl.dim(1 + d);
  // (N, 1[, 1], C) has the same element order as every output layout, so a reshape suffices.
  return ops::reshape(ops::pool(cl, PoolKind::max, p), out);
}

std::vector<Tensor> GlobalPooling::call_masked(const std::vector<Tensor>& inputs,
                                               const std::vector<Tensor>& ms, bool training) {
  if (kind_ != PoolKind::average || spatial_ != 1 || ms.empty() || !ms[0].defined())
    return Layer::call_masked(inputs, ms, training);
  const Tensor x = inputs.at(0);
  if (!built()) build(x.shape());
  check_input(x.shape());
  const bool first = o_.data_format == "channels_first";
  masks::check(label(), ms[0], first ? ops::transpose(x, {0, 2, 1}) : x);
  // (N, T) -> (N, T, 1) or (N, 1, T) to broadcast over the channels.
  Tensor m = ops::reshape(ms[0], first ? Shape{x.dim(0), 1, x.dim(2)} : Shape{x.dim(0), x.dim(1), 1});
  const int steps = first ? 2 : 1;
  return {ops::div(ops::sum(ops::mul(x, m), {steps}, o_.keepdims),
                   ops::sum(m, {steps}, o_.keepdims))};
}

nlohmann::json GlobalPooling::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = o_.data_format;
  c["keepdims"] = o_.keepdims;
  return c;
}

namespace {

// Keras 2 before TF 2.6 wrote no keepdims; data_format null means the default channels_last.
GlobalPoolingOptions global_pooling_options(const nlohmann::json& config, const char* class_name) {
  ConfigReader r(config, class_name);
  return {.data_format = r.get_or<std::string>("data_format", "channels_last"),
          .keepdims = r.get_or<bool>("keepdims", false),
          .name = r.name()};
}

}  // namespace

std::shared_ptr<GlobalAveragePooling1D> GlobalAveragePooling1D::from_config(const nlohmann::json& config) {
  return std::make_shared<GlobalAveragePooling1D>(global_pooling_options(config, "GlobalAveragePooling1D"));
}

std::shared_ptr<GlobalAveragePooling2D> GlobalAveragePooling2D::from_config(const nlohmann::json& config) {
  return std::make_shared<GlobalAveragePooling2D>(global_pooling_options(config, "GlobalAveragePooling2D"));
}

std::shared_ptr<GlobalMaxPooling1D> GlobalMaxPooling1D::from_config(const nlohmann::json& config) {
  return std::make_shared<GlobalMaxPooling1D>(global_pooling_options(config, "GlobalMaxPooling1D"));
}

std::shared_ptr<GlobalMaxPooling2D> GlobalMaxPooling2D::from_config(const nlohmann::json& config) {
  return std::make_shared<GlobalMaxPooling2D>(global_pooling_options(config, "GlobalMaxPooling2D"));
}

}  // namespace strata
