// SymbolicTensor: a placeholder for data in the Functional API, as Keras' KerasTensor. It carries
// a shape (batch first, -1 unknown) and the layer call that produces it; calling layers on
// symbolic tensors records a graph that Model(inputs, outputs) turns into a model.
//
//   SymbolicTensor in = Input({784});
//   SymbolicTensor h = Dense({.units = 64, .activation = "relu"})(in);
//   Model model(in, Dense({.units = 10})(h));
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/dtype.hpp"
#include "strata/core/shape.hpp"

namespace strata {

class Layer;
struct GraphNode;

class SymbolicTensor {
 public:
  SymbolicTensor() = default;
  SymbolicTensor(std::shared_ptr<GraphNode> node, int index);

  bool defined() const { return node_ != nullptr; }
  // Batch dimension first, -1 where unknown.
  const Shape& shape() const;
  DType dtype() const { return DType::float32; }
  // The layer whose call produced this tensor (an InputLayer for Input(...)).
  const std::shared_ptr<Layer>& layer() const;
  const std::shared_ptr<GraphNode>& node() const { return node_; }
  // Which of the producing call's outputs this is.
  int index() const { return index_; }
  // "dense_1" or, for a layer with several outputs, "model_2:1" — how messages name a tensor.
  std::string name() const;

 private:
  std::shared_ptr<GraphNode> node_;
  int index_ = 0;
};

// One or several symbolic tensors, so Model(in, out) and Model({a, b}, {y, z}) read alike.
class SymbolicTensors {
 public:
  SymbolicTensors(const SymbolicTensor& t) : items_{t} {}
  SymbolicTensors(std::initializer_list<SymbolicTensor> ts) : items_(ts) {}
  SymbolicTensors(std::vector<SymbolicTensor> ts) : items_(std::move(ts)) {}
  const std::vector<SymbolicTensor>& items() const { return items_; }

 private:
  std::vector<SymbolicTensor> items_;
};

}  // namespace strata
