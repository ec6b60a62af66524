// Cropping2D: removes rows and columns from the borders of each image, (batch, rows, cols,
// channels) -> (batch, rows - top - bottom, cols - left - right, channels), or channels first.
// Cropping everything away is a ValueError at build, as in Keras.
//
//   Cropping2D({.cropping = {{2, 2}, {4, 4}}})
//   Cropping2D({.cropping = 1, .data_format = "channels_first"})
#pragma once

#include "strata/layers/layer.hpp"
#include "strata/layers/margins2d.hpp"

namespace strata {

struct Cropping2DOptions {
  Margins2D cropping = 0;
  std::string data_format = "channels_last";
  std::string name;
};

class Cropping2D : public Layer {
  STRATA_LAYER(Cropping2D)
 public:
  explicit Cropping2D(Cropping2DOptions o = {});
  // cropping: an int, [rows, cols] or [[top, bottom], [left, right]], as Keras writes it.
  static std::shared_ptr<Cropping2D> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Cropping2DOptions o_;
};

}  // namespace strata
