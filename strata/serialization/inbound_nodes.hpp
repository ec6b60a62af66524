// One call of a layer in a Functional config ("inbound_nodes" entry), read into the tensors it
// consumes in Strata's input order plus the call options that live on Strata's layers. Internal
// to the model-config reader (strata/serialization/model_config.cpp).
//
// Both forms Keras writes are read:
//   Keras 1/2 lists  [[layer, node, tensor(, kwargs)], ...] — the first call argument's tensors;
//     tf.keras 2 records every further argument in kwargs, tensors as [layer, node, tensor]
//     triples: mha(q, v) is [["q", 0, 0, {"value": ["v", 0, 0]}]].
//   Keras 3 dicts    {"args": [...], "kwargs": {...}} with tensors as {"class_name":
//     "__keras_tensor__", "config": {"keras_history": [layer, node, tensor], ...}}.
// MultiHeadAttention's query / value / key (positional or by name) become inputs 0 / 1 / 2 and an
// attention_mask tensor input 3 (key = value when only the mask is given). Attention and
// AdditiveAttention take their list positionally. use_causal_mask / return_attention_scores
// booleans are collected for the layer's config (with_call_options). Any other kwarg holding a
// tensor (masks passed by hand, initial_state, ...) is refused naming the layer and the kwarg;
// kwargs without tensors (training, masks that are null) are ignored.
//
//   InboundCall c = parse_inbound_node(node, "MultiHeadAttention", "Functional 'm', layer 'mha'");
//   json entry = with_call_options(layer_entry, {c}, who);   // then layer_from_config(entry)
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strata::config_detail {

// Output `tensor` of call `node` of layer `layer`.
struct TensorRef {
  std::string layer;
  size_t node = 0;
  size_t tensor = 0;
};

// [name, node_index, tensor_index] (anything after the third element is not looked at).
TensorRef parse_triple(const nlohmann::json& t, const std::string& who);

struct InboundCall {
  std::vector<TensorRef> inputs;       // in the order the Strata layer takes them
  std::map<std::string, bool> options;  // use_causal_mask / return_attention_scores, when given
};

// `class_name` is the called layer's Keras class; `who` prefixes error messages.
InboundCall parse_inbound_node(const nlohmann::json& node, const std::string& class_name,
                               const std::string& who);

// The layer entry ({"class_name", "config", ...}) with the calls' options written into its
// config. Every call must agree (a call that does not give an option has the config's value,
// Keras' default false when absent); a disagreement is a ValueError naming the layer.
nlohmann::json with_call_options(const nlohmann::json& entry, const std::vector<InboundCall>& calls,
                                 const std::string& who);

}  // namespace strata::config_detail
