#include "strata/layers/up_sampling2d.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

UpSampling2D::UpSampling2D(UpSampling2DOptions o)
    : Layer("UpSampling2D", o.name), o_(std::move(o)) {
  check_positive(label(), "size", o_.size, 2);
  check_data_format(label(), o_.data_format);
  // Keras also offers bicubic and lanczos; the backends implement these two.
  if (o_.interpolation != "nearest" && o_.interpolation != "bilinear")
    throw ValueError(label() + ": interpolation must be 'nearest' or 'bilinear', got '" +
                     o_.interpolation + "'");
}

Shape UpSampling2D::compute_output_shape(const Shape& in) const {
  if (in.rank() != 4)
    throw ValueError(label() + ": expected input of rank 4 (batch, rows, cols, channels), got " +
                     in.str());
  const int r = o_.data_format == "channels_first" ? 2 : 1;
  Shape out = in;
  out[r] = in[r] * o_.size[0];
  out[r + 1] = in[r + 1] * o_.size[1];
  return out;
}

Tensor UpSampling2D::call(const Tensor& x, bool) {
  const bool first = o_.data_format == "channels_first";
  const bool bilinear = o_.interpolation == "bilinear";
  Tensor cl = first ? to_channels_last(x) : x;
  Tensor y = ops::resize(cl, cl.dim(1) * o_.size[0], cl.dim(2) * o_.size[1], bilinear);
  return first ? to_channels_first(y) : y;
}

nlohmann::json UpSampling2D::get_config() const {
  auto c = Layer::get_config();
  c["size"] = o_.size.json(2);
  c["data_format"] = o_.data_format;
  c["interpolation"] = o_.interpolation;
  return c;
}

std::shared_ptr<UpSampling2D> UpSampling2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "UpSampling2D");
  return std::make_shared<UpSampling2D>(UpSampling2DOptions{
      .size = r.int_pair("size", 2, IntPair(2)),
      .data_format = r.get_or<std::string>("data_format", "channels_last"),
      .interpolation = r.get_or<std::string>("interpolation", "nearest"),
      .name = r.name()});
}

}  // namespace strata
