#include "strata/layers/depthwise_conv.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

DepthwiseBase::DepthwiseBase(const char* class_name, const std::string& name, IntPair kernel_size,
                             IntPair strides, std::string padding, int64_t depth_multiplier,
                             std::string data_format, IntPair dilation_rate,
                             std::string activation, int64_t filters)
    : Layer(class_name, name), kernel_size_(kernel_size), strides_(strides),
      dilation_rate_(dilation_rate), padding_(std::move(padding)),
      data_format_(std::move(data_format)), activation_(std::move(activation)),
      depth_multiplier_(depth_multiplier), filters_(filters) {
  check_positive(label(), "kernel_size", kernel_size_, 2);
  check_positive(label(), "strides", strides_, 2);
  check_positive(label(), "dilation_rate", dilation_rate_, 2);
  check_padding(label(), padding_, {"valid", "same"});
  check_data_format(label(), data_format_);
  if (depth_multiplier_ <= 0)
    throw ValueError(label() + ": depth_multiplier must be positive, got " +
                     std::to_string(depth_multiplier_));
  activations::validate(activation_, label());
}

void DepthwiseBase::check_rank(const Shape& in) const {
  if (in.rank() != 4)
    throw ValueError(label() + ": expected input of rank 4 (batch, height, width, channels), got " +
                     in.str());
}

WindowParams DepthwiseBase::window(const Shape& in) const {
  check_rank(in);
  return window_params(label(), in, 2, kernel_size_, strides_, dilation_rate_, padding_,
                       in[3]);
}

Shape DepthwiseBase::compute_output_shape(const Shape& in0) const {
  check_rank(in0);
  const bool first = data_format_ == "channels_first";
  const Shape in = first ? to_channels_last(in0) : in0;
  const int64_t channels = filters_ > 0 ? filters_ : in[3] * depth_multiplier_;
  Shape out = window_output_shape(in, window(in), kernel_size_, channels);
  return first ? to_channels_first(out) : out;
}

Tensor DepthwiseBase::call(const Tensor& x0, bool) {
  const bool first = data_format_ == "channels_first";
  Tensor x = first ? to_channels_last(x0) : x0;
  const int64_t c = x.dim(3);
  // (kh, kw, in, dm) has the memory of a grouped kernel (kh, kw, 1, in·dm) with groups = in.
  Tensor k = ops::reshape(depthwise_, Shape{kernel_size_[0], kernel_size_[1], 1, c * depth_multiplier_});
  Tensor y;
  if (filters_ == 0) {
    y = ops::conv(x, k, bias_, window(x.shape()));
  } else {
    WindowParams pointwise;
    pointwise.spatial = 2;
    y = ops::conv(ops::conv(x, k, Tensor(), window(x.shape())), pointwise_, bias_, pointwise);
  }
  y = activations::apply(activation_, y);
  return first ? to_channels_first(y) : y;
}

void DepthwiseBase::add_common_config(nlohmann::json& c) const {
  c["kernel_size"] = kernel_size_.json(2);
  c["strides"] = strides_.json(2);
  c["padding"] = padding_;
  c["data_format"] = data_format_;
  c["dilation_rate"] = dilation_rate_.json(2);
  c["depth_multiplier"] = depth_multiplier_;
  c["activation"] = activation_.empty() ? "linear" : activation_;
}

DepthwiseConv2D::DepthwiseConv2D(DepthwiseConv2DOptions o)
    : DepthwiseBase("DepthwiseConv2D", o.name, o.kernel_size, o.strides, o.padding,
                    o.depth_multiplier, o.data_format, o.dilation_rate, o.activation, 0),
      o_(std::move(o)) {}

void DepthwiseConv2D::build_weights(const Shape& in0) {
  const Shape in = data_format_ == "channels_first" ? to_channels_last(in0) : in0;
  depthwise_ = add_weight("depthwise_kernel",
                          Shape{kernel_size_[0], kernel_size_[1], in[3], depth_multiplier_},
                          o_.depthwise_initializer);
  if (o_.use_bias)
    bias_ = add_weight("bias", Shape{in[3] * depth_multiplier_}, o_.bias_initializer);
}

nlohmann::json DepthwiseConv2D::get_config() const {
  auto c = Layer::get_config();
  add_common_config(c);
  c["use_bias"] = o_.use_bias;
  c["depthwise_initializer"] = initializer_config(o_.depthwise_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  for (const char* k : {"depthwise_regularizer", "bias_regularizer", "activity_regularizer",
                        "depthwise_constraint", "bias_constraint"})
    c[k] = nullptr;
  return c;
}

SeparableConv2D::SeparableConv2D(SeparableConv2DOptions o)
    : DepthwiseBase("SeparableConv2D", o.name, o.kernel_size, o.strides, o.padding,
                    o.depth_multiplier, o.data_format, o.dilation_rate, o.activation,
                    o.filters),
      o_(std::move(o)) {
  if (o_.filters <= 0)
    throw ValueError(label() + ": filters must be positive, got " + std::to_string(o_.filters));
}

void SeparableConv2D::build_weights(const Shape& in0) {
  const Shape in = data_format_ == "channels_first" ? to_channels_last(in0) : in0;
  depthwise_ = add_weight("depthwise_kernel",
                          Shape{kernel_size_[0], kernel_size_[1], in[3], depth_multiplier_},
                          o_.depthwise_initializer);
  pointwise_ = add_weight("pointwise_kernel", Shape{1, 1, in[3] * depth_multiplier_, filters_},
                          o_.pointwise_initializer);
  if (o_.use_bias) bias_ = add_weight("bias", Shape{filters_}, o_.bias_initializer);
}

nlohmann::json SeparableConv2D::get_config() const {
  auto c = Layer::get_config();
  c["filters"] = filters_;
  add_common_config(c);
  c["use_bias"] = o_.use_bias;
  c["depthwise_initializer"] = initializer_config(o_.depthwise_initializer);
  c["pointwise_initializer"] = initializer_config(o_.pointwise_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  for (const char* k : {"depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                        "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                        "bias_constraint"})
    c[k] = nullptr;
  return c;
}

std::shared_ptr<DepthwiseConv2D> DepthwiseConv2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "DepthwiseConv2D");
  r.require_null({"depthwise_regularizer", "bias_regularizer", "activity_regularizer",
                  "depthwise_constraint", "bias_constraint", "kernel_regularizer",
                  "kernel_constraint"});
  DepthwiseConv2DOptions o;
  o.kernel_size = r.int_pair("kernel_size", 2);
  o.strides = r.int_pair("strides", 2, IntPair(1));
  o.padding = r.get_or<std::string>("padding", "valid");
  o.depth_multiplier = r.get_or<int64_t>("depth_multiplier", 1);
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.dilation_rate = r.int_pair("dilation_rate", 2, IntPair(1));
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true);
  o.depthwise_initializer = r.initializer("depthwise_initializer", "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<DepthwiseConv2D>(std::move(o));
}

std::shared_ptr<SeparableConv2D> SeparableConv2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "SeparableConv2D");
  r.require_null({"depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                  "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                  "bias_constraint", "kernel_regularizer", "kernel_constraint"});
  SeparableConv2DOptions o;
  o.filters = r.get<int64_t>("filters");
  o.kernel_size = r.int_pair("kernel_size", 2);
  o.strides = r.int_pair("strides", 2, IntPair(1));
  o.padding = r.get_or<std::string>("padding", "valid");
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.dilation_rate = r.int_pair("dilation_rate", 2, IntPair(1));
  o.depth_multiplier = r.get_or<int64_t>("depth_multiplier", 1);
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true);
  o.depthwise_initializer = r.initializer("depthwise_initializer", "glorot_uniform");
  o.pointwise_initializer = r.initializer("pointwise_initializer", "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<SeparableConv2D>(std::move(o));
}

}  // namespace strata
