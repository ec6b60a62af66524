#include "strata/layers/cropping2d.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/window_geometry.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Cropping2D::Cropping2D(Cropping2DOptions o) : Layer("Cropping2D", o.name), o_(std::move(o)) {
  if (o_.cropping.any_negative())
    throw ValueError(label() + ": cropping must not be negative, got " + o_.cropping.str());
  check_data_format(label(), o_.data_format);
}

Shape Cropping2D::compute_output_shape(const Shape& in) const {
  if (in.rank() != 4)
    throw ValueError(label() + ": expected input of rank 4 (batch, rows, cols, channels), got " +
                     in.str());
  const int r = o_.data_format == "channels_first" ? 2 : 1;
  Shape out = in;
  out[r] = in[r] - o_.cropping.top - o_.cropping.bottom;
  out[r + 1] = in[r + 1] - o_.cropping.left - o_.cropping.right;
  if (out[r] <= 0 || out[r + 1] <= 0)
    throw ValueError(label() + ": cropping " + o_.cropping.str() + " leaves nothing of input " +
                     in.str());
  return out;
}

Tensor Cropping2D::call(const Tensor& x, bool) {
  const int r = o_.data_format == "channels_first" ? 2 : 1;
  std::vector<int64_t> offsets(4, 0);
  offsets[static_cast<size_t>(r)] = o_.cropping.top;
  offsets[static_cast<size_t>(r + 1)] = o_.cropping.left;
  return ops::crop(x, compute_output_shape(x.shape()), offsets);
}

nlohmann::json Cropping2D::get_config() const {
  auto c = Layer::get_config();
  c["cropping"] = o_.cropping.json();
  c["data_format"] = o_.data_format;
  return c;
}

std::shared_ptr<Cropping2D> Cropping2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Cropping2D");
  return std::make_shared<Cropping2D>(Cropping2DOptions{
      .cropping = r.margins2d("cropping", 0),
      .data_format = r.get_or<std::string>("data_format", "channels_last"),
      .name = r.name()});
}

}  // namespace strata
