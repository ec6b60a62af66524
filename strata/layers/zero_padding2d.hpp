// ZeroPadding2D: adds rows and columns of zeros around each image, (batch, rows, cols, channels)
// -> (batch, top + rows + bottom, left + cols + right, channels), or channels first.
//
//   ZeroPadding2D()                                    // one pixel on every side
//   ZeroPadding2D({.padding = {{1, 0}, {1, 0}}})        // top and left only
#pragma once

#include "strata/layers/layer.hpp"
#include "strata/layers/margins2d.hpp"

namespace strata {

struct ZeroPadding2DOptions {
  Margins2D padding = 1;
  std::string data_format = "channels_last";
  std::string name;
};

class ZeroPadding2D : public Layer {
  STRATA_LAYER(ZeroPadding2D)
 public:
  explicit ZeroPadding2D(ZeroPadding2DOptions o = {});
  // padding: an int, [rows, cols] or [[top, bottom], [left, right]], as Keras writes it.
  static std::shared_ptr<ZeroPadding2D> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ZeroPadding2DOptions o_;
};

}  // namespace strata
