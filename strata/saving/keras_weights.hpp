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

// A layer that Keras saves inside another one: TimeDistributed's `layer`, Bidirectional's
// `forward_layer` and `backward_layer`. Keras 3 saves it under "<outer path>/<attribute>/";
// tf.keras 2 names its weights inside the outer layer's name scope, followed by the inner layer's
// own name where `own_name_scope` ("bidirectional/forward_lstm/lstm_cell/kernel:0") or not
// ("time_distributed/kernel:0").
struct WrappedLayer {
  std::string attribute;
  LayerPtr layer;
  bool own_name_scope = false;
};
std::vector<WrappedLayer> wrapped_layers(const Layer& layer);

// Keras keeps a recurrent layer's weights in its cell object: Keras 3 saves them under
// "<layer path>/cell/vars" (the layer's own vars group stays empty) and tf.keras 2 names them in
// the cell's name scope, "lstm/lstm_cell/kernel:0". The cell's scope name ("lstm_cell",
// "gru_cell", "simple_rnn_cell") for such a layer, else "".
std::string cell_scope(const Layer& layer);

// Keras 1 / Keras 2 naming without the ":0" suffix and without the layer prefix, e.g.
// "dense/kernel:0" -> "kernel", "sequential/dense/kernel" -> "kernel", "dense_1_W" -> "dense_1_W".
std::string short_weight_name(const std::string& keras_name);

}  // namespace strata::keras_weights
