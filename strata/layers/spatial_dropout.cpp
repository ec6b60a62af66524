#include "strata/layers/spatial_dropout.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/window_geometry.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

// Keras seeds are null (draw one) or a non-negative int.
std::optional<uint64_t> read_seed(const ConfigReader& r) {
  if (!r.has("seed") || r.raw().at("seed").is_null()) return std::nullopt;
  const nlohmann::json& v = r.raw().at("seed");
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  r.fail("'seed' must be null or a non-negative integer, got " + v.dump());
}

}  // namespace

SpatialDropout::SpatialDropout(std::string class_name, std::string name, int spatial, float rate,
                               std::string data_format, std::optional<uint64_t> seed)
    : Layer(std::move(class_name), std::move(name)),
      spatial_(spatial),
      rate_(rate),
      data_format_(std::move(data_format)),
      seed_option_(seed),
      seed_(seed ? *seed : next_seed()) {
  if (!(rate_ >= 0.f && rate_ < 1.f))
    throw ValueError(label() + ": rate must be in [0, 1), got " + std::to_string(rate_));
  check_data_format(label(), data_format_);
}

Shape SpatialDropout::compute_output_shape(const Shape& in) const {
  if (in.rank() != spatial_ + 2)
    throw ValueError(label() + ": expected input of rank " + std::to_string(spatial_ + 2) +
                     (spatial_ == 1 ? " (batch, steps, channels)" : " (batch, rows, cols, channels)") +
                     ", got " + in.str());
  return in;
}

Tensor SpatialDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.f) return x;
  // One mask value per (sample, channel), broadcast over the spatial dims.
  const bool first = data_format_ == "channels_first";
  Shape mask_shape{x.dim(0)};
  if (first) mask_shape.push_back(x.dim(1));
  for (int d = 0; d < spatial_; ++d) mask_shape.push_back(1);
  if (!first) mask_shape.push_back(x.dim(-1));
  Tensor mask = Tensor::empty(mask_shape, DType::float32, x.backend());
  x.backend().dropout_mask(mask.view(), rate_, seed_, offset_);
  offset_ += static_cast<uint64_t>(mask.numel());
  return ops::mul(x, mask);
}

nlohmann::json SpatialDropout::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = config_number(rate_);
  c["seed"] = seed_option_ ? nlohmann::json(*seed_option_) : nlohmann::json(nullptr);
  if (spatial_ == 2) c["data_format"] = data_format_;
  return c;
}

// Keras 2's noise_shape is always null for these layers (they set their own), so it is not read.
std::shared_ptr<SpatialDropout1D> SpatialDropout1D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "SpatialDropout1D");
  return std::make_shared<SpatialDropout1D>(
      SpatialDropout1DOptions{.rate = r.get<float>("rate"), .seed = read_seed(r), .name = r.name()});
}

std::shared_ptr<SpatialDropout2D> SpatialDropout2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "SpatialDropout2D");
  return std::make_shared<SpatialDropout2D>(SpatialDropout2DOptions{
      .rate = r.get<float>("rate"),
      .data_format = r.get_or<std::string>("data_format", "channels_last"),
      .seed = read_seed(r),
      .name = r.name()});
}

}  // namespace strata
