// Concatenate: joins a list of inputs along `axis` (Keras' default -1, the last). The inputs
// need the same rank and equal dims except on `axis`; the batch axis cannot be concatenated.
//
//   Concatenate()({a, b});               // (N, 3), (N, 5) -> (N, 8)
//   Concatenate({.axis = 1})({a, b});    // (N, 2, 4), (N, 3, 4) -> (N, 5, 4)
#pragma once

#include <memory>

#include "strata/layers/merge.hpp"

namespace strata {

struct ConcatenateOptions {
  int axis = -1;  // negative counts from the end; 0 (batch) is refused
  std::string name;
};

class Concatenate : public Merge {
  STRATA_LAYER(Concatenate)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Concatenate> from_config(const nlohmann::json& config);
  explicit Concatenate(ConcatenateOptions o = {});
  explicit Concatenate(int axis) : Concatenate(ConcatenateOptions{.axis = axis}) {}
  int axis() const { return o_.axis; }
  nlohmann::json get_config() const override;
  // Along the time axis (1) of sequences the masks are joined too (missing ones count as all
  // ones); along any other axis they are ANDed, as Keras does.
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;

 protected:
  Shape merged_shape(const std::vector<Shape>& inputs) const override;
  Tensor merge(const std::vector<Tensor>& inputs, bool training) override;

 private:
  ConcatenateOptions o_;
};

}  // namespace strata
