#include "strata/layers/conv.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

Conv2DOptions widen(Conv1DOptions o) {
  return {o.filters,    o.kernel_size,  o.strides, std::move(o.padding), std::move(o.data_format),
          o.dilation_rate, o.groups,    std::move(o.activation), o.use_bias,
          std::move(o.kernel_initializer), std::move(o.bias_initializer), std::move(o.name)};
}

}  // namespace

Conv1D::Conv1D(Conv1DOptions o) : Conv("Conv1D", 1, widen(std::move(o))) {}

Conv::Conv(const char* class_name, int spatial, Conv2DOptions o)
    : Layer(class_name, o.name), spatial_(spatial), o_(std::move(o)) {
  if (o_.filters <= 0)
    throw ValueError(label() + ": filters must be positive, got " + std::to_string(o_.filters));
  check_positive(label(), "kernel_size", o_.kernel_size, spatial_);
  check_positive(label(), "strides", o_.strides, spatial_);
  check_positive(label(), "dilation_rate", o_.dilation_rate, spatial_);
  if (spatial_ == 1) check_padding(label(), o_.padding, {"valid", "same", "causal"});
  else check_padding(label(), o_.padding, {"valid", "same"});
  check_data_format(label(), o_.data_format);
  if (o_.groups <= 0 || o_.filters % o_.groups)
    throw ValueError(label() + ": filters (" + std::to_string(o_.filters) +
                     ") must be a positive multiple of groups (" + std::to_string(o_.groups) + ")");
  for (int d = 0; d < spatial_; ++d)
    if (o_.strides[d] > 1 && o_.dilation_rate[d] > 1)
      throw ValueError(label() + ": strides > 1 cannot be combined with dilation_rate > 1");
  activations::validate(o_.activation, label());
}

void Conv::check_rank(const Shape& in) const {
  if (in.rank() != spatial_ + 2)
    throw ValueError(label() + ": expected input of rank " + std::to_string(spatial_ + 2) +
                     (spatial_ == 2 ? " (batch, height, width, channels)" : " (batch, steps, channels)") +
                     ", got " + in.str());
}

WindowParams Conv::window(const Shape& in) const {
  check_rank(in);
  if (in[in.rank() - 1] % o_.groups)
    throw ValueError(label() + ": input channels " + std::to_string(in[in.rank() - 1]) +
                     " are not divisible by groups=" + std::to_string(o_.groups));
  return window_params(label(), in, spatial_, o_.kernel_size, o_.strides, o_.dilation_rate,
                       o_.padding, o_.groups);
}

Shape Conv::compute_output_shape(const Shape& in) const {
  check_rank(in);
  const bool first = o_.data_format == "channels_first";
  const Shape last = first ? to_channels_last(in) : in;
  Shape out = window_output_shape(last, window(last), o_.kernel_size, o_.filters);
  return first ? to_channels_first(out) : out;
}

void Conv::build_weights(const Shape& in) {
  const Shape last = o_.data_format == "channels_first" ? to_channels_last(in) : in;
  Shape k;
  for (int d = 0; d < spatial_; ++d) k.push_back(o_.kernel_size[d]);
  k.push_back(last[last.rank() - 1] / o_.groups);
  k.push_back(o_.filters);
  kernel_ = add_weight("kernel", k, o_.kernel_initializer);
  if (o_.use_bias) bias_ = add_weight("bias", Shape{o_.filters}, o_.bias_initializer);
}

Tensor Conv::call(const Tensor& x0, bool) {
  const bool first = o_.data_format == "channels_first";
  Tensor x = first ? to_channels_last(x0) : x0;
  const WindowParams p = window(x.shape());
  Tensor y;
  if (auto fused = activations::fusable(o_.activation)) y = ops::conv(x, kernel_, bias_, p, *fused);
  else y = activations::apply(o_.activation, ops::conv(x, kernel_, bias_, p));
  return first ? to_channels_first(y) : y;
}

nlohmann::json Conv::get_config() const {
  auto c = Layer::get_config();
  c["filters"] = o_.filters;
  c["kernel_size"] = o_.kernel_size.json(spatial_);
  c["strides"] = o_.strides.json(spatial_);
  c["padding"] = o_.padding;
  c["data_format"] = o_.data_format;
  c["dilation_rate"] = o_.dilation_rate.json(spatial_);
  c["groups"] = o_.groups;
  c["activation"] = o_.activation.empty() ? "linear" : o_.activation;
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = initializer_config(o_.kernel_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  add_null_regularizers(c);
  return c;
}

namespace {

// The first of `keys` the config has (Keras 1 spellings come after the current one), else the
// current one, so missing-key errors name today's key.
const char* present_key(const ConfigReader& r, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (r.has(k)) return k;
  return *keys.begin();
}

// Keras 1's dim_ordering ("th" = channels first) when data_format is absent.
std::string read_data_format(const ConfigReader& r) {
  if (!r.has("data_format") && r.has("dim_ordering"))
    return r.get<std::string>("dim_ordering") == "th" ? "channels_first" : "channels_last";
  return r.get_or<std::string>("data_format", "channels_last");
}

void require_no_regularizers(const ConfigReader& r) {
  r.require_null({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                  "kernel_constraint", "bias_constraint", "W_regularizer", "b_regularizer",
                  "W_constraint", "b_constraint"});
}

}  // namespace

std::shared_ptr<Conv2D> Conv2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Conv2D");
  require_no_regularizers(r);
  Conv2DOptions o;
  o.filters = r.get<int64_t>("filters", {"nb_filter"});
  // Keras 1 gave the kernel as nb_row, nb_col.
  o.kernel_size = !r.has("kernel_size") && r.has("nb_row")
                      ? IntPair(r.get<int64_t>("nb_row"), r.get<int64_t>("nb_col"))
                      : r.int_pair("kernel_size", 2);
  o.strides = r.int_pair(present_key(r, {"strides", "subsample"}), 2, IntPair(1));
  o.padding = r.get_or<std::string>("padding", "valid", {"border_mode"});
  o.data_format = read_data_format(r);
  o.dilation_rate = r.int_pair("dilation_rate", 2, IntPair(1));
  o.groups = r.get_or<int64_t>("groups", 1);
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true, {"bias"});
  o.kernel_initializer =
      r.initializer(present_key(r, {"kernel_initializer", "init"}), "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<Conv2D>(std::move(o));
}

std::shared_ptr<Conv1D> Conv1D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Conv1D");
  require_no_regularizers(r);
  Conv1DOptions o;
  o.filters = r.get<int64_t>("filters", {"nb_filter"});
  o.kernel_size = r.int_pair(present_key(r, {"kernel_size", "filter_length"}), 1)[0];
  o.strides = r.int_pair(present_key(r, {"strides", "subsample_length"}), 1, IntPair(1))[0];
  o.padding = r.get_or<std::string>("padding", "valid", {"border_mode"});
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.dilation_rate = r.int_pair("dilation_rate", 1, IntPair(1))[0];
  o.groups = r.get_or<int64_t>("groups", 1);
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true, {"bias"});
  o.kernel_initializer =
      r.initializer(present_key(r, {"kernel_initializer", "init"}), "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<Conv1D>(std::move(o));
}

}  // namespace strata
