// Graph: the checked, ordered form of a Functional model's layer calls — what Model(inputs,
// outputs) keeps and runs. Construction validates the graph (inputs are Input(...) tensors, every
// output reachable from them, every input used, layer names unique) and orders the calls so each
// runs after the calls it depends on.
//
//   Graph g({x}, {y}, "my_model");
//   std::vector<Tensor> out = g.run({batch}, /*training=*/false);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"
#include "strata/functional/graph_node.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

class Graph {
 public:
  // `owner` names the model in error messages.
  Graph(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
        std::string owner);

  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
  // Every call, inputs' nodes first, each after the calls it consumes.
  const std::vector<std::shared_ptr<GraphNode>>& nodes() const { return nodes_; }
  // Each layer once (a shared layer at its first call), InputLayers included, in call order.
  const std::vector<LayerPtr>& layers() const { return layers_; }

  // Runs the graph on one tensor per input; checks their count and shapes (naming the input).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, bool training) const;
  // The same with a mask per input (undefined = none); `output_masks`, when non-null, receives
  // the outputs' masks (what a model nested in another passes on).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, const std::vector<Tensor>& input_masks,
                          bool training, std::vector<Tensor>* output_masks) const;

 private:
  std::string owner_;
  std::vector<SymbolicTensor> inputs_;
  std::vector<SymbolicTensor> outputs_;
  std::vector<std::shared_ptr<GraphNode>> nodes_;
  std::vector<LayerPtr> layers_;
};

}  // namespace strata
