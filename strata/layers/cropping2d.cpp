#include "strata/layers/cropping2d.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/window_geometry.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

// Keras' three spellings of `key`: an int, [rows, cols] or [[top, bottom], [left, right]] (each
// half an int or a pair, as Keras' normalize_tuple takes them).
Margins2D read_margins(const ConfigReader& r, const char* key, Margins2D fallback) {
  if (!r.has(key) || r.raw().at(key).is_null()) return fallback;
  const nlohmann::json& v = r.raw().at(key);
  auto bad = [&] {
    r.fail(std::string("'") + key + "' must be an integer, [rows, cols] or [[top, bottom], "
           "[left, right]], got " + v.dump());
  };
  if (v.is_number_integer()) return Margins2D(v.get<int64_t>());
  if (!v.is_array() || v.size() != 2) bad();
  std::array<int64_t, 2> half[2]{};
  for (size_t i = 0; i < 2; ++i) {
    const nlohmann::json& h = v[i];
    if (h.is_number_integer()) {
      half[i] = {h.get<int64_t>(), h.get<int64_t>()};
    } else if (h.is_array() && h.size() == 2 && h[0].is_number_integer() &&
               h[1].is_number_integer()) {
      half[i] = {h[0].get<int64_t>(), h[1].get<int64_t>()};
    } else {
      bad();
    }
  }
  return Margins2D(half[0], half[1]);
}

}  // namespace

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
      .cropping = read_margins(r, "cropping", 0),
      .data_format = r.get_or<std::string>("data_format", "channels_last"),
      .name = r.name()});
}

}  // namespace strata
