// SublayerVariables: implemented by a layer whose Keras 3 counterpart keeps its weights in
// sublayers (MultiHeadAttention's _query_dense, _key_dense, ...), so the .keras writer and reader
// (strata/saving/keras_v3.cpp) place them where Keras 3 does:
//   layers/<layer>/vars               (empty: the layer owns no variables itself)
//   layers/<layer>/<attribute>/vars   (each sublayer's variables, in Keras' save order)
// A layer's weight_entries() stay its full Keras-order weight list; legacy .h5 names come from
// the entry names ("query/kernel" -> "<layer>/query/kernel:0", tf.keras 2's name scopes).
//
//   class MultiHeadAttention : public Layer, public SublayerVariables { ...
//     std::vector<SublayerGroup> keras3_sublayers() const override;
#pragma once

#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata {

struct SublayerGroup {
  std::string attribute;     // the Python attribute Keras 3 saves it under: "_query_dense"
  std::string name;          // the sublayer's own name: "query"
  std::vector<Tensor> vars;  // its variables in save_own_variables order (may be empty)
};

class SublayerVariables {
 public:
  virtual ~SublayerVariables() = default;
  virtual std::vector<SublayerGroup> keras3_sublayers() const = 0;
};

}  // namespace strata
