#include "strata/layers/zero_padding2d.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/window_geometry.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

ZeroPadding2D::ZeroPadding2D(ZeroPadding2DOptions o)
    : Layer("ZeroPadding2D", o.name), o_(std::move(o)) {
  if (o_.padding.any_negative())
    throw ValueError(label() + ": padding must not be negative, got " + o_.padding.str());
  check_data_format(label(), o_.data_format);
}

Shape ZeroPadding2D::compute_output_shape(const Shape& in) const {
  if (in.rank() != 4)
    throw ValueError(label() + ": expected input of rank 4 (batch, rows, cols, channels), got " +
                     in.str());
  const int r = o_.data_format == "channels_first" ? 2 : 1;
  Shape out = in;
  out[r] = in[r] + o_.padding.top + o_.padding.bottom;
  out[r + 1] = in[r + 1] + o_.padding.left + o_.padding.right;
  return out;
}

Tensor ZeroPadding2D::call(const Tensor& x, bool) {
  const int r = o_.data_format == "channels_first" ? 2 : 1;
  std::vector<int64_t> offsets(4, 0);
  offsets[static_cast<size_t>(r)] = o_.padding.top;
  offsets[static_cast<size_t>(r + 1)] = o_.padding.left;
  Shape out = compute_output_shape(x.shape());
  return ops::pad(x, out, offsets);
}

nlohmann::json ZeroPadding2D::get_config() const {
  auto c = Layer::get_config();
  c["padding"] = o_.padding.json();
  c["data_format"] = o_.data_format;
  return c;
}

std::shared_ptr<ZeroPadding2D> ZeroPadding2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "ZeroPadding2D");
  return std::make_shared<ZeroPadding2D>(ZeroPadding2DOptions{
      .padding = r.margins2d("padding", 1),
      .data_format = r.get_or<std::string>("data_format", "channels_last"),
      .name = r.name()});
}

}  // namespace strata
