// Input / InputLayer: declares the shape of one sample (batch dimension excluded); -1 marks a
// size that may change from batch to batch, like Keras' None (e.g. Input({-1, 8}) for sequences
// of any length). Input(...)
// returns the symbolic tensor a Functional model starts from; as the first entry of a Sequential
// it lets the model build all its layers — and check their shapes — at construction time.
//
//   SymbolicTensor x = Input({28, 28, 1}, {.name = "pixels"});
//   Sequential model({Input({28, 28, 1}), Flatten(), Dense(10)});
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct InputOptions {
  std::string name;
  // float32 (features) or int32/int64 (token ids, e.g. for Embedding). Models check that the
  // tensors they are given have this dtype.
  DType dtype = DType::float32;
};

class InputLayer : public Layer {
  STRATA_LAYER(InputLayer)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<InputLayer> from_config(const nlohmann::json& config);
  InputLayer(Shape shape, InputOptions o = {});
  // The sample shape with the unknown batch dimension in front, e.g. (None, 28, 28, 1).
  const Shape& batch_shape() const { return batch_shape_; }
  DType dtype() const { return dtype_; }
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Shape batch_shape_;
  DType dtype_ = DType::float32;
};

// A new InputLayer's output tensor.
SymbolicTensor Input(Shape shape, InputOptions o = {});

}  // namespace strata
