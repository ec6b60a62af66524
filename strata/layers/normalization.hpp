// Normalization: the preprocessing layer that standardises features, y = (x - mean) /
// max(sqrt(variance), 1e-7), with one mean and variance per position of the kept `axis` (default
// the last; several axes keep their joint positions; {} is Keras' axis=None, one statistic for
// everything). The statistics come from `mean` / `variance` or from adapt(data), which computes
// them over every other axis (biased variance), as Keras 3. invert = true maps normalised values
// back: y = x * max(sqrt(variance), 1e-7) + mean. Adapted statistics are the non-trainable
// weights "mean" and "variance" (Keras 3 also keeps an int "count", unused, left out here).
//
//   Normalization norm;
//   norm.adapt(train_x);                                  // per-feature mean and variance
//   Normalization({.mean = {{0.5f, 0.2f}}, .variance = {{0.04f, 0.01f}}})
#pragma once

#include <optional>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

struct NormalizationOptions {
  std::vector<int> axis{-1};
  // Both or neither: one value for every kept position, or a single value for all.
  std::optional<std::vector<float>> mean;
  std::optional<std::vector<float>> variance;
  bool invert = false;
  std::string name;
};

class Normalization : public Layer {
  STRATA_LAYER(Normalization)
 public:
  explicit Normalization(NormalizationOptions o = {});
  // axis: an int, a list, or null (Keras' axis=None: {}); mean / variance null, a number or a
  // (possibly nested) list, flattened in order.
  static std::shared_ptr<Normalization> from_config(const nlohmann::json& config);
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;
  // Computes the statistics of `data` (batch first, the shape the layer takes; builds it when
  // needed). Throws when the layer was given mean / variance, or data does not fit its shape.
  void adapt(const Tensor& data);
  // The statistics in the kept axes' shape (undefined before build).
  Tensor mean() const { return mean_; }
  Tensor variance() const { return variance_; }

 protected:
  void build_weights(const Shape& in) override;
  Tensor call(const Tensor& x, bool training) override;
  // Like Keras: the built rank and the kept axes' sizes; reduced axes may vary.
  void check_input(const Shape& shape) const override;

 private:
  // The kept axes of an input of shape `in`, ascending; throws on bad or repeated axes.
  std::vector<int> keep_axes(const Shape& in) const;
  // The statistics' shape broadcast against an input of shape `in`.
  Shape broadcast_shape(const Shape& in) const;

  NormalizationOptions o_;
  Tensor mean_, variance_;
  bool ready_ = false;  // statistics given or adapted
};

}  // namespace strata
