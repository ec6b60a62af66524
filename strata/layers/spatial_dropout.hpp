// SpatialDropout1D/2D: dropout of whole channels. In training each (sample, channel) pair is
// dropped with probability `rate` across all its steps / pixels at once, and kept channels are
// scaled by 1 / (1 - rate); identity at inference. Useful after convolutions, whose neighbouring
// pixels are too correlated for element-wise dropout to regularise. Seeded layers repeat their
// masks exactly, as Dropout.
//
//   SpatialDropout1D(0.2)                                  // (batch, steps, channels)
//   SpatialDropout2D({.rate = 0.3f, .data_format = "channels_first", .seed = 1})
#pragma once

#include <optional>

#include "strata/layers/layer.hpp"

namespace strata {

struct SpatialDropout1DOptions {
  float rate = 0.f;
  std::optional<uint64_t> seed;
  std::string name;
};

struct SpatialDropout2DOptions {
  float rate = 0.f;
  std::string data_format = "channels_last";
  std::optional<uint64_t> seed;
  std::string name;
};

// The shared implementation; use SpatialDropout1D / SpatialDropout2D.
class SpatialDropout : public Layer {
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  SpatialDropout(std::string class_name, std::string name, int spatial, float rate,
                 std::string data_format, std::optional<uint64_t> seed);
  Tensor call(const Tensor& x, bool training) override;

 private:
  int spatial_;
  float rate_;
  std::string data_format_;
  std::optional<uint64_t> seed_option_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

class SpatialDropout1D : public SpatialDropout {
  STRATA_LAYER(SpatialDropout1D)
 public:
  explicit SpatialDropout1D(SpatialDropout1DOptions o)
      : SpatialDropout("SpatialDropout1D", o.name, 1, o.rate, "channels_last", o.seed) {}
  explicit SpatialDropout1D(float rate) : SpatialDropout1D(SpatialDropout1DOptions{rate}) {}
  static std::shared_ptr<SpatialDropout1D> from_config(const nlohmann::json& config);
};

class SpatialDropout2D : public SpatialDropout {
  STRATA_LAYER(SpatialDropout2D)
 public:
  explicit SpatialDropout2D(SpatialDropout2DOptions o)
      : SpatialDropout("SpatialDropout2D", o.name, 2, o.rate, o.data_format, o.seed) {}
  explicit SpatialDropout2D(float rate) : SpatialDropout2D(SpatialDropout2DOptions{rate}) {}
  static std::shared_ptr<SpatialDropout2D> from_config(const nlohmann::json& config);
};

}  // namespace strata
