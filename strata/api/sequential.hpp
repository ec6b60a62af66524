// Sequential: a plain stack of layers, each fed the previous one's output. Starting it with
// Input(...) builds every layer immediately, so a shape error surfaces at construction or add()
// and names the layer; otherwise the model builds on its first call, fit or predict.
//
//   Sequential model({
//       Input({28, 28, 1}),
//       Flatten(),
//       Dense({.units = 128, .activation = "relu"}),
//       Dense({.units = 10, .activation = "softmax"}),
//   });
//   model.add(Dropout(0.2));
//   model.pop();
#pragma once

#include "strata/api/model.hpp"
#include "strata/layers/input_layer.hpp"

namespace strata {

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<LayerRef> layers = {}, std::string name = "");

  // Appends a layer, building it at once when the input shape is known.
  void add(LayerRef layer);
  // Removes the last layer; throws ValueError when there is none.
  void pop();

  std::vector<LayerPtr> layers() const override { return layers_; }
  // The Input(...) the model started with, or null.
  const std::shared_ptr<InputLayer>& input_layer() const { return input_; }
  bool built() const override { return built_; }
  void build(const Shape& input_shape) override;
  Shape input_shape() const override;
  Shape output_shape() const override;
  std::vector<SymbolicTensor> inputs() const override;
  std::vector<SymbolicTensor> outputs() const override;
  std::vector<std::shared_ptr<GraphNode>> graph_nodes() const override;

 protected:
  std::vector<Tensor> call_all(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                               bool training) override;

 private:
  std::shared_ptr<InputLayer> input_;
  std::vector<LayerPtr> layers_;
  Shape input_shape_;
  bool built_ = false;
  // With an Input(...): its tensor, then each layer's output.
  std::vector<SymbolicTensor> chain_;
};

}  // namespace strata
