// Input / InputLayer: declares the shape of one sample (batch dimension excluded), which lets a
// Sequential model build all its layers — and check their shapes — at construction time.
//
//   Sequential model({Input({28, 28, 1}), Flatten(), Dense(10)});
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct InputOptions {
  std::string name;
};

class InputLayer : public Layer {
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<InputLayer> from_config(const nlohmann::json& config);
  InputLayer(Shape shape, InputOptions o = {});
  // The sample shape with the unknown batch dimension in front, e.g. (None, 28, 28, 1).
  const Shape& batch_shape() const { return batch_shape_; }
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Shape batch_shape_;
};

inline InputLayer Input(Shape shape, InputOptions o = {}) { return InputLayer(shape, std::move(o)); }

}  // namespace strata
