// RepeatVector: repeats a (batch, features) input n times along a new axis 1.
//
//   RepeatVector(3)   // (None, 32) -> (None, 3, 32)
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct RepeatVectorOptions {
  int64_t n = 1;
  std::string name;
};

class RepeatVector : public Layer {
  STRATA_LAYER(RepeatVector)
 public:
  // Rebuilds the layer from a Keras config (key "n").
  static std::shared_ptr<RepeatVector> from_config(const nlohmann::json& config);
  explicit RepeatVector(RepeatVectorOptions o);
  explicit RepeatVector(int64_t n) : RepeatVector(RepeatVectorOptions{n}) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  RepeatVectorOptions o_;
};

}  // namespace strata
