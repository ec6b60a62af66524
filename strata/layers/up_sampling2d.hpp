// UpSampling2D: enlarges each image by integer factors, (batch, rows, cols, channels) ->
// (batch, rows * size[0], cols * size[1], channels), or channels first. 'nearest' repeats each
// pixel; 'bilinear' interpolates with half-pixel centres, as Keras' image.resize.
//
//   UpSampling2D()                                        // 2x in both directions
//   UpSampling2D({.size = {2, 3}, .interpolation = "bilinear"})
#pragma once

#include "strata/layers/layer.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

struct UpSampling2DOptions {
  IntPair size = 2;
  std::string data_format = "channels_last";
  std::string interpolation = "nearest";
  std::string name;
};

class UpSampling2D : public Layer {
  STRATA_LAYER(UpSampling2D)
 public:
  explicit UpSampling2D(UpSampling2DOptions o = {});
  // size: an int or [rows, cols]; Keras 2 before TF 2.1 wrote no interpolation (nearest).
  static std::shared_ptr<UpSampling2D> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  UpSampling2DOptions o_;
};

}  // namespace strata
