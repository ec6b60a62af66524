// Keras' names and order for a layer's weights, shared by the weight file formats.
//
// Order is tf.keras' `_legacy_weights(layer)`: trainable weights, then non-trainable ones (for a
// nested model: every inner layer's trainable weights, then every inner layer's non-trainable
// ones). Names are TF-style variable names "<owning layer>/<weight>:0", e.g. "dense/kernel:0",
// and for weights inside a nested model the name of the inner layer that owns them
// ("dense_1/kernel:0" in the group of the nested model), as tf.keras 2.x writes them.
//
//   for (const auto& w : keras_weights::legacy_weights(*model.get_layer("dense")))
//     std::cout << w.name << " " << w.value.shape().str() << "\n";   // dense/kernel:0 (4, 8)
#pragma once

#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"
#include "strata/layers/layer.hpp"

namespace strata::keras_weights {

struct NamedWeight {
  std::string name;  // "dense/kernel:0"
  Tensor value;      // the layer's own tensor (not a copy)
};

// The layer's weights in _legacy_weights order with their tf.keras 2.x names.
std::vector<NamedWeight> legacy_weights(const Layer& layer);

// Keras 1 / Keras 2 naming without the ":0" suffix and without the layer prefix, e.g.
// "dense/kernel:0" -> "kernel", "sequential/dense/kernel" -> "kernel", "dense_1_W" -> "dense_1_W".
std::string short_weight_name(const std::string& keras_name);

}  // namespace strata::keras_weights
