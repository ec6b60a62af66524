// Dot: the dot product of two inputs along one axis each, per sample (Keras' batch_dot). axes is
// one axis for both inputs or a pair (axis of a, axis of b); negative axes count from the end and
// the batch axis cannot be contracted. The output keeps a's other dims, then b's (batch dropped);
// a rank-1 result gets a trailing 1: (N, n)·(N, n) -> (N, 1). With normalize, each input is
// L2-normalised along its dot axis first (cosine proximity), as Keras:
// x / sqrt(max(sum(x²), 1e-14)) (Keras 3 clamps the norm at epsilon 1e-7).
//
//   Dot(1)({a, b});                               // (N, 4), (N, 4) -> (N, 1)
//   Dot({.axes = {2, 1}})({a, b});                // (N, 2, 3), (N, 3, 5) -> (N, 2, 5)
//   Dot({.axes = {1}, .normalize = true})({a, b});  // cosine similarity, (N, 1)
#pragma once

#include <memory>
#include <vector>

#include "strata/layers/merge.hpp"

namespace strata {

struct DotOptions {
  std::vector<int> axes;  // one axis (both inputs) or two (a's, b's)
  bool normalize = false;
  std::string name;
};

class Dot : public Merge {
  STRATA_LAYER(Dot)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Dot> from_config(const nlohmann::json& config);
  explicit Dot(DotOptions o);
  explicit Dot(int axes, bool normalize = false)
      : Dot(DotOptions{.axes = {axes}, .normalize = normalize}) {}
  const std::vector<int>& axes() const { return o_.axes; }
  bool normalize() const { return o_.normalize; }
  nlohmann::json get_config() const override;

 protected:
  Shape merged_shape(const std::vector<Shape>& inputs) const override;
  Tensor merge(const std::vector<Tensor>& inputs, bool training) override;

 private:
  // The two contracted axes as indices into shapes a and b; throws naming the layer.
  std::pair<int, int> resolve_axes(const Shape& a, const Shape& b) const;
  DotOptions o_;
};

}  // namespace strata
