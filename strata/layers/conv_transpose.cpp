#include "strata/layers/conv_transpose.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/activations.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Conv2DTranspose::Conv2DTranspose(Conv2DTransposeOptions o)
    : Layer("Conv2DTranspose", o.name), o_(std::move(o)) {
  if (o_.filters <= 0)
    throw ValueError(label() + ": filters must be positive, got " + std::to_string(o_.filters));
  check_positive(label(), "kernel_size", o_.kernel_size, 2);
  check_positive(label(), "strides", o_.strides, 2);
  check_positive(label(), "dilation_rate", o_.dilation_rate, 2);
  check_padding(label(), o_.padding, {"valid", "same"});
  check_data_format(label(), o_.data_format);
  if (o_.output_padding)
    for (int d = 0; d < 2; ++d)
      if ((*o_.output_padding)[d] < 0 || (*o_.output_padding)[d] >= o_.strides[d])
        throw ValueError(label() + ": output_padding " + o_.output_padding->json(2).dump() +
                         " must be >= 0 and smaller than strides " + o_.strides.json(2).dump());
  activations::validate(o_.activation, label());
}

// Keras' conv_utils.deconv_output_length.
int64_t Conv2DTranspose::output_length(int d, int64_t in) const {
  const int64_t k = o_.kernel_size[d] + (o_.kernel_size[d] - 1) * (o_.dilation_rate[d] - 1);
  const int64_t s = o_.strides[d];
  if (!o_.output_padding)
    return o_.padding == "valid" ? in * s + std::max<int64_t>(k - s, 0) : in * s;
  const int64_t pad = o_.padding == "same" ? k / 2 : 0;
  return (in - 1) * s + k - 2 * pad + (*o_.output_padding)[d];
}

Shape Conv2DTranspose::compute_output_shape(const Shape& in0) const {
  if (in0.rank() != 4)
    throw ValueError(label() + ": expected input of rank 4 (batch, height, width, channels), got " +
                     in0.str());
  const bool first = o_.data_format == "channels_first";
  const Shape in = first ? to_channels_last(in0) : in0;
  Shape out{in[0], output_length(0, in[1]), output_length(1, in[2]), o_.filters};
  return first ? to_channels_first(out) : out;
}

void Conv2DTranspose::build_weights(const Shape& in0) {
  const Shape in = o_.data_format == "channels_first" ? to_channels_last(in0) : in0;
  kernel_ = add_weight("kernel", Shape{o_.kernel_size[0], o_.kernel_size[1], o_.filters, in[3]},
                       o_.kernel_initializer);
  if (o_.use_bias) bias_ = add_weight("bias", Shape{o_.filters}, o_.bias_initializer);
}

Tensor Conv2DTranspose::call(const Tensor& x0, bool) {
  const bool first = o_.data_format == "channels_first";
  Tensor x = first ? to_channels_last(x0) : x0;
  Shape out = compute_output_shape(x.shape());
  out[0] = x.dim(0);
  // The transposed conv is the gradient of a conv from `out` down to x, so it pads as that conv
  // would. Where Keras' size exceeds the kernel's reach (output_padding, or stride > kernel) the
  // end padding is negative and those trailing pixels get only the bias, as in TF.
  WindowParams p;
  p.spatial = 2;
  for (int d = 0; d < 2; ++d) {
    const int64_t k = o_.dilation_rate[d] * (o_.kernel_size[d] - 1) + 1;
    const int64_t total = (x.dim(1 + d) - 1) * o_.strides[d] + k - out[1 + d];
    p.kernel[d] = o_.kernel_size[d];
    p.strides[d] = o_.strides[d];
    p.dilation[d] = o_.dilation_rate[d];
    p.pad_begin[d] = o_.padding == "same" && total > 0 ? total / 2 : 0;
    p.pad_end[d] = total - p.pad_begin[d];
  }
  Tensor y = ops::conv_transpose(x, kernel_, bias_, p, out);
  y = activations::apply(o_.activation, y);
  return first ? to_channels_first(y) : y;
}

nlohmann::json Conv2DTranspose::get_config() const {
  auto c = Layer::get_config();
  c["filters"] = o_.filters;
  c["kernel_size"] = o_.kernel_size.json(2);
  c["strides"] = o_.strides.json(2);
  c["padding"] = o_.padding;
  c["output_padding"] = o_.output_padding ? o_.output_padding->json(2) : nlohmann::json(nullptr);
  c["data_format"] = o_.data_format;
  c["dilation_rate"] = o_.dilation_rate.json(2);
  c["activation"] = o_.activation.empty() ? "linear" : o_.activation;
  c["use_bias"] = o_.use_bias;
  c["kernel_initializer"] = initializer_config(o_.kernel_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  add_null_regularizers(c);
  return c;
}

std::shared_ptr<Conv2DTranspose> Conv2DTranspose::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Conv2DTranspose");
  r.require_null({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                  "kernel_constraint", "bias_constraint"});
  Conv2DTransposeOptions o;
  o.filters = r.get<int64_t>("filters");
  o.kernel_size = r.int_pair("kernel_size", 2);
  o.strides = r.int_pair("strides", 2, IntPair(1));
  o.padding = r.get_or<std::string>("padding", "valid");
  // null (the default) means "derive from padding", which differs from output_padding 0.
  if (r.optional<nlohmann::json>("output_padding")) o.output_padding = r.int_pair("output_padding", 2);
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.dilation_rate = r.int_pair("dilation_rate", 2, IntPair(1));
  o.activation = r.activation("activation");
  o.use_bias = r.get_or<bool>("use_bias", true);
  o.kernel_initializer = r.initializer("kernel_initializer", "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.name = r.name();
  return std::make_shared<Conv2DTranspose>(std::move(o));
}

}  // namespace strata
