// Permute: reorders the non-batch axes. `dims` is a permutation of 1..rank-1 (1-based, the batch
// axis excluded), as in Keras.
//
//   Permute({2, 1})   // (None, 10, 64) -> (None, 64, 10)
#pragma once

#include <memory>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

struct PermuteOptions {
  std::vector<int> dims;
  std::string name;
};

class Permute : public Layer {
  STRATA_LAYER(Permute)
 public:
  // Rebuilds the layer from a Keras config (key "dims").
  static std::shared_ptr<Permute> from_config(const nlohmann::json& config);
  // Throws ValueError naming the layer when `dims` is not a permutation of 1..dims.size().
  explicit Permute(PermuteOptions o);
  explicit Permute(std::vector<int> dims) : Permute(PermuteOptions{std::move(dims)}) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  PermuteOptions o_;
};

}  // namespace strata
