// GraphNode: one call of a layer on symbolic tensors — the edge list of a Functional graph.
// Nodes own their layer and their input tensors (hence the producing nodes), so a model keeps its
// whole graph alive by holding its output tensors; layers point back to their nodes weakly.
#pragma once

#include <memory>
#include <vector>

#include "strata/functional/symbolic_tensor.hpp"

namespace strata {

struct GraphNode {
  std::shared_ptr<Layer> layer;
  std::vector<SymbolicTensor> inputs;  // empty for an Input(...) node
  std::vector<Shape> output_shapes;
};

// Records `layer` called on `inputs`: builds the layer for their shapes (a mismatch throws
// ValueError naming it) and returns one symbolic tensor per output.
std::vector<SymbolicTensor> call_symbolic(const std::shared_ptr<Layer>& layer,
                                          const std::vector<SymbolicTensor>& inputs);

}  // namespace strata
