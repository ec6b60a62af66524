// Keras 3's model config JSON: what `keras.saving.serialize_keras_object(model)` produces and a
// `.keras` archive stores as config.json (strata/saving/keras_v3.hpp writes the archive).
//
// Every object is {"module", "class_name", "config", "registered_name"[, "build_config"]}:
//   Sequential  {"module": "keras", "class_name": "Sequential", "config": {"name", "trainable",
//     "dtype": <DTypePolicy>, "layers": [InputLayer entry, ...], "build_input_shape"},
//     "registered_name": null, "build_config": {"input_shape": [null, ...]}}; the InputLayer entry
//     (written once the model is built) is {"module": "keras.layers", "class_name": "InputLayer",
//     "config": {"batch_shape", "dtype": "float32", "sparse": false, "ragged": false, "name"},
//     "registered_name": null}.
//   Functional  {"module": "keras.src.models.functional", "class_name": "Functional",
//     "registered_name": "Functional", "config": {"name", "trainable", "layers",
//     "input_layers", "output_layers"}, "build_config"} (Functional is not a public Keras class, so
//     Keras 3 names its source module). Each layer entry adds "name" and "inbound_nodes":
//     [{"args": [<__keras_tensor__>], "kwargs": {}}, ...] with one dict per call of the layer
//     within this model; a layer called on several tensors (merge layers, nested models with
//     several inputs) has args[0] = the list of them, except MultiHeadAttention, whose args are
//     [query, value(, key)] with kwargs {"query_mask": null, "value_mask": null(, "key_mask":
//     null)(, "attention_mask": <tensor>)} and build_config {"shapes_dict": {"query_shape",
//     "value_shape"(, "key_shape")}}, as Keras 3 records a call mha(q, v(, k)). The attention
//     layers' use_causal_mask / return_attention_scores are call kwargs there, not config keys
//     (Attention's kwargs also hold Keras' "mask": [null, ...]). A __keras_tensor__ is {"class_name":
//     "__keras_tensor__", "config": {"shape": [null, ...], "dtype": "float32", "keras_history":
//     [layer, node_index, tensor_index]}}, node_index counting the producer's calls within this
//     model. input_layers / output_layers are lists of [name, node_index, tensor_index].
//   Layers      {"module": "keras.layers", "class_name", "config", "registered_name": null,
//     "build_config": {"input_shape": [null, ...]} (a list of shapes for several inputs; left out
//     for unbuilt layers and InputLayers)}. The config is the layer's get_config() with "dtype"
//     as a DTypePolicy {"module": "keras", "class_name": "DTypePolicy", "config": {"name":
//     "float32"}, "registered_name": null} and every initializer {"class_name", "config"} as
//     {"module": "keras.initializers", "class_name", "config", "registered_name": null}.
// Nested models are written as their own full object plus "name" / "inbound_nodes" (Functional)
// inside the outer model's "layers".
//
// What Keras 3 cannot express is refused with a ValueError naming the layer: the legacy
// "hard_sigmoid_legacy" activation (Keras 2's clip(0.2x + 0.5, 0, 1), from a Keras 2 file) and
// the ThresholdedReLU layer (removed in Keras 3).
//
// model_from_config (strata/serialization/model_config.hpp) reads this form back.
//
//   nlohmann::json c = model_to_keras3_config(model);
//   std::shared_ptr<Model> copy = model_from_config(c);
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "strata/api/model.hpp"

namespace strata {

nlohmann::json model_to_keras3_config(const Model& model);
std::string to_keras3_json(const Model& model, int indent = -1);

}  // namespace strata
