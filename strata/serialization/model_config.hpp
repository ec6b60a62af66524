// Keras' model config JSON for Sequential and Functional models.
//
// Writing uses the tf.keras 2.x layout, which Keras 2, Keras 3 and tfjs all read:
//   Sequential: {"class_name": "Sequential", "config": {"name", "layers": [...]}} with an explicit
//     InputLayer first once the model is built.
//   Functional (Model(inputs, outputs)): {"class_name": "Functional", "config": {"name",
//     "layers": [{"class_name", "config", "name", "inbound_nodes"}, ...], "input_layers",
//     "output_layers"}}, layers in model.layers() order. inbound_nodes holds one list per call of
//     the layer within this model, each [[producer, node_index, tensor_index, {}], ...], where
//     node_index counts the producer's calls within this model's graph; InputLayers have [].
//     MultiHeadAttention calls are written as tf.keras 2 does: [[query, n, t, {"value": [layer,
//     node, tensor], "key": ..., "attention_mask": ...}]]; the attention layers' use_causal_mask /
//     return_attention_scores go into the call kwargs instead of their configs (Attention keeps
//     tf.keras 2's "causal" config key).
//     input_layers / output_layers are lists of [name, node_index, tensor_index]. A nested model
//     (Functional or Sequential) is written as its own full config plus its name and
//     inbound_nodes in the outer model.
//   No "keras_version" / "backend" stamps are written. An activation "hard_sigmoid_legacy" is
//     written as "hard_sigmoid" (what tf.keras 2 reads with slope 0.2); Keras 3's "hard_sigmoid"
//     is refused, since readers of this layout would change its slope.
//
// Reading accepts every variant Keras has written:
//   Sequential: Keras 2.0/2.1 list form, batch_input_shape on the first layer, an explicit
//     InputLayer with batch_input_shape or Keras 3's batch_shape, Keras 3's module /
//     registered_name / build_config fields.
//   Functional: class_name "Model" (Keras 1/2, TF <= 2.3) or "Functional" (TF >= 2.4, Keras 3);
//     list-form inbound nodes (Keras 2 [name, node, tensor, kwargs], Keras 1 without kwargs) and
//     Keras 3's {"args": [__keras_tensor__ ... or lists of them], "kwargs": {...}} form (call
//     kwargs such as training are ignored). MultiHeadAttention's value / key / attention_mask
//     passed by name (tf.keras 2 always does so) become its inputs 1 / 2 / 3, and the attention
//     layers' use_causal_mask / return_attention_scores call kwargs set the layer's option (all
//     calls of a layer must agree); any other tensor passed as a kwarg is refused naming the
//     layer and the kwarg (strata/serialization/inbound_nodes.hpp); input_layers /
//     output_layers as a list of triples or a single triple (Keras 3). Layers may be listed in any
//     order: calls are replayed as their inputs become available. Shared layers are called once
//     per inbound node; nested models (Functional / Model / Sequential entries) are rebuilt
//     recursively, inside Functional and Sequential models alike.
//   tfjs' model.json wrapping (modelTopology / model_config) around either kind.
// Errors are ValueErrors naming the model and layer at fault: malformed JSON (with the byte
// position), unknown layer classes (pointing at register_layer), Lambda layers (Python code
// cannot be loaded in C++), duplicate layer names, inbound nodes or input/output_layers naming an
// unknown layer or call, and cycles among the calls.
//
//   std::string text = to_json(model);
//   std::shared_ptr<Model> copy = model_from_json(text);
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/api/model.hpp"

namespace strata {

// {"class_name": "Sequential" | "Functional", "config": {...}} as described above.
nlohmann::json model_to_config(const Model& model);
std::string to_json(const Model& model, int indent = -1);
struct ModelConfigOptions {
  // The Keras version that wrote the config ("2.13.1", "3.3.3"), e.g. a file's keras_version
  // attribute. It decides what "hard_sigmoid" means: Keras 1/2 (and tfjs) clip(0.2x + 0.5, 0, 1),
  // loaded as "hard_sigmoid_legacy"; Keras 3 relu6(x + 3) / 6. Empty: the config's own
  // keras_version stamp, else Keras 3 when the model or layer entries carry "module" /
  // "registered_name" keys (Keras 3 writes them, Keras 1/2 never do), else Keras 1/2.
  std::string keras_version;
  // Custom (Python-defined) initializers Strata does not know become placeholders that fill zeros
  // and are written back unchanged, instead of an error. For configs whose weights are loaded
  // right after (load_model does this); off by default, so a model built from a config alone
  // never starts from weights nobody chose.
  bool placeholder_initializers = false;
};

// Builds (but does not train or load weights into) the model the config describes. Errors are
// ValueErrors naming the layer or field at fault; malformed JSON names the byte position.
std::shared_ptr<Model> model_from_config(const nlohmann::json& config,
                                         const ModelConfigOptions& options = {});
std::shared_ptr<Model> model_from_json(const std::string& json,
                                       const ModelConfigOptions& options = {});

}  // namespace strata
