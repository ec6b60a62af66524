#include "strata/serialization/keras3_config.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/time_distributed.hpp"
#include "strata/serialization/attention_calls.hpp"
#include "strata/serialization/layer_registry.hpp"

namespace strata {

using nlohmann::json;

namespace {

json shape_json(const Shape& s) {
  json out = json::array();
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] < 0) out.push_back(nullptr);
    else out.push_back(s[i]);
  }
  return out;
}

json dtype_policy(const std::string& name) {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", name}}},
          {"registered_name", nullptr}};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool names_legacy_hard_sigmoid(const json& v) {
  if (v.is_string()) return v == "hard_sigmoid_legacy";
  if (v.is_object())
    for (const char* k : {"class_name", "config"})
      if (v.contains(k) && v[k].is_string() && v[k] == "hard_sigmoid_legacy") return true;
  return false;
}

// A layer's get_config() in Keras 3's spelling; refuses what Keras 3 cannot express.
json keras3_layer_config(const Layer& layer, json config) {
  if (layer.class_name() == "ThresholdedReLU")
    throw ValueError("model_to_keras3_config: layer '" + layer.name() +
                     "' is a ThresholdedReLU, a Keras 2 layer that Keras 3 removed; a Keras 3 "
                     "config cannot describe it (save in the legacy .h5 format, or replace it "
                     "with ReLU({.threshold = theta}))");
  if (!config.is_object()) return config;
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (names_legacy_hard_sigmoid(it.value()))
      throw ValueError("model_to_keras3_config: layer '" + layer.name() + "' (" +
                       layer.class_name() + ") uses Keras 2's hard_sigmoid (clip(0.2x + 0.5, 0, "
                       "1)) in '" + it.key() + "': the model came from a Keras 2 file, and Keras "
                       "3's hard_sigmoid is a different function (relu6(x + 3) / 6), so a Keras 3 "
                       "config cannot express it (save in the legacy .h5 format instead)");
    json& v = it.value();
    if (it.key() == "dtype" && v.is_string()) {
      v = dtype_policy(v.get<std::string>());
    } else if (ends_with(it.key(), "_initializer") && v.is_object() && v.contains("class_name") &&
               !v.contains("module")) {
      json obj = {{"module", "keras.initializers"},
                  {"class_name", v["class_name"]},
                  {"config", v.value("config", json::object())},
                  {"registered_name", nullptr}};
      v = std::move(obj);
    }
  }
  return config;
}

json input_layer_entry(const std::string& name, const Shape& batch_shape, DType dtype) {
  json shape = json::array({nullptr});
  for (int i = 1; i < batch_shape.rank(); ++i)
    shape.push_back(batch_shape[i] < 0 ? json(nullptr) : json(batch_shape[i]));
  return {{"module", "keras.layers"},
          {"class_name", "InputLayer"},
          {"config",
           {{"batch_shape", shape}, {"dtype", dtype_name(dtype)}, {"sparse", false},
            {"ragged", false}, {"name", name}}},
          {"registered_name", nullptr}};
}

json model_object(const Model& model);

// A layer (or nested model) with its build_config, if it has been built.
json layer_object(const Layer& layer, const std::optional<json>& build_input_shape) {
  if (const auto* nested = dynamic_cast<const Model*>(&layer)) return model_object(*nested);
  const json base = layer_to_config(layer);
  json obj = {{"module", "keras.layers"},
              {"class_name", layer.class_name()},
              {"config", keras3_layer_config(layer, base.value("config", json::object()))},
              {"registered_name", nullptr}};
  // PositionEmbedding is keras_hub's, not keras.layers': Keras 3 finds it only by the name
  // keras_hub registers it under (its keras_hub_export), so say so rather than "keras.layers".
  if (layer.class_name() == "PositionEmbedding") {
    obj["module"] = "keras_hub.src.layers.modeling.position_embedding";
    obj["registered_name"] = "keras_hub>PositionEmbedding";
  }
  // Keras 3's Wrapper.get_config serializes the wrapped layer as a full Keras 3 object.
  if (const auto* td = dynamic_cast<const TimeDistributed*>(&layer))
    obj["config"]["layer"] = layer_object(*td->layer(), std::nullopt);
  // Keras 3's Bidirectional writes its forward layer as "layer" and always the backward one.
  if (const auto* bi = dynamic_cast<const Bidirectional*>(&layer)) {
    obj["config"]["layer"] = layer_object(*bi->forward_layer(), std::nullopt);
    obj["config"]["backward_layer"] = layer_object(*bi->backward_layer(), std::nullopt);
  }
  if (build_input_shape && !dynamic_cast<const InputLayer*>(&layer))
    obj["build_config"] = {{"input_shape", *build_input_shape}};
  return obj;
}

json sequential_object(const Sequential& seq) {
  json layers = json::array();
  const auto ls = seq.layers();
  std::optional<Shape> cur;
  if (seq.built()) {
    cur = seq.input_shape();
    // Keras names an implicit input after the first layer: "dense_input".
    const std::string name = seq.input_layer() ? seq.input_layer()->name()
                             : ls.empty()      ? "input"
                                               : ls.front()->name() + "_input";
    layers.push_back(input_layer_entry(
        name, *cur, seq.input_layer() ? seq.input_layer()->dtype() : DType::float32));
  }
  for (const auto& l : ls) {
    std::optional<json> build;
    if (cur) {
      build = shape_json(*cur);
      cur = l->compute_output_shape(*cur);
    }
    layers.push_back(layer_object(*l, build));
  }
  json config = {{"name", seq.name()},
                 {"trainable", seq.trainable()},
                 {"dtype", dtype_policy("float32")},
                 {"layers", layers}};
  json obj = {{"module", "keras"}, {"class_name", "Sequential"}, {"config", config},
              {"registered_name", nullptr}};
  if (seq.built()) {
    obj["config"]["build_input_shape"] = shape_json(seq.input_shape());
    obj["build_config"] = {{"input_shape", shape_json(seq.input_shape())}};
  }
  return obj;
}

json functional_object(const Model& model) {
  const auto nodes = model.graph_nodes();
  if (nodes.empty())
    throw ValueError("model_to_keras3_config: model '" + model.name() + "' (" +
                     model.class_name() + ") has no graph of layer calls to describe");
  // Node indices count a layer's calls within this model's graph (Keras 3's node reindexing).
  std::map<const GraphNode*, int> node_index;
  std::map<const Layer*, int> calls;
  std::map<const Layer*, json> inbound;
  std::map<const Layer*, json> build_shape;
  std::map<const Layer*, json> build_dict;  // whole build_configs of several-argument builds
  auto keras_tensor = [&](const SymbolicTensor& t) {
    return json{{"class_name", "__keras_tensor__"},
                {"config",
                 {{"shape", shape_json(t.shape())},
                  {"dtype", "float32"},
                  {"keras_history",
                   json::array({t.layer()->name(), node_index.at(t.node().get()), t.index()})}}}};
  };
  for (const auto& n : nodes) {
    const Layer* layer = n->layer.get();
    node_index[n.get()] = calls[layer]++;
    json& list = inbound[layer];
    if (list.is_null()) list = json::array();
    if (n->inputs.empty()) continue;  // an Input(...) call
    json arg;
    json shapes = json::array();
    for (const auto& t : n->inputs) shapes.push_back(shape_json(t.shape()));
    json kwargs = config_detail::call_option_kwargs(*layer, config_detail::Dialect::keras3);
    if (config_detail::is_multi_head_attention(*layer) && n->inputs.size() >= 2) {
      // Keras 3 keeps call(query, value, key) positional as called, attention_mask by name, and
      // records the sequence masks its Layer.__call__ fills in (None: none, or found again from
      // the inputs when Keras replays the call).
      const size_t positional = std::min<size_t>(n->inputs.size(), 3);
      json args = json::array();
      json dict = {{"query_shape", shapes[0]}, {"value_shape", shapes[1]}};
      for (size_t i = 0; i < positional; ++i) args.push_back(keras_tensor(n->inputs[i]));
      kwargs["query_mask"] = nullptr;
      kwargs["value_mask"] = nullptr;
      if (positional == 3) {
        kwargs["key_mask"] = nullptr;
        dict["key_shape"] = shapes[2];
      }
      if (n->inputs.size() == 4) kwargs["attention_mask"] = keras_tensor(n->inputs[3]);
      // Layer.get_build_config: several build arguments make a shapes_dict, which Keras 3
      // passes to MultiHeadAttention.build(query_shape, value_shape, key_shape).
      if (!build_dict.count(layer)) build_dict[layer] = {{"shapes_dict", dict}};
      list.push_back({{"args", args}, {"kwargs", kwargs}});
      continue;
    }
    // Attention's one tensor argument is the list. Keras 3 replays a call with these kwargs and
    // fills in "mask" from the inputs only when it is None: a list of Nones (what Keras records
    // for unmasked inputs) would switch off Embedding(mask_zero) masks when Keras loads the file.
    if (config_detail::is_dense_attention(*layer)) kwargs["mask"] = nullptr;
    if (n->inputs.size() == 1) {
      arg = keras_tensor(n->inputs[0]);
      if (!build_shape.count(layer)) build_shape[layer] = shapes[0];
    } else {
      arg = json::array();
      for (const auto& t : n->inputs) arg.push_back(keras_tensor(t));
      if (!build_shape.count(layer)) build_shape[layer] = shapes;
    }
    list.push_back({{"args", json::array({arg})}, {"kwargs", kwargs}});
  }
  auto triple = [&](const SymbolicTensor& t) {
    return json::array({t.layer()->name(), node_index.at(t.node().get()), t.index()});
  };
  json layers = json::array();
  for (const auto& l : model.layers()) {
    std::optional<json> build;
    if (build_shape.count(l.get())) build = build_shape[l.get()];
    json entry = layer_object(*l, build);
    if (dynamic_cast<const Model*>(l.get()) && build) entry["build_config"] = {{"input_shape", *build}};
    if (build_dict.count(l.get())) entry["build_config"] = build_dict[l.get()];
    if (!dynamic_cast<const Model*>(l.get()) && entry.contains("config"))
      config_detail::strip_call_options(*l, entry["config"], config_detail::Dialect::keras3);
    entry["name"] = l->name();
    entry["inbound_nodes"] = inbound.count(l.get()) ? inbound[l.get()] : json::array();
    layers.push_back(std::move(entry));
  }
  json input_layers = json::array(), output_layers = json::array();
  for (const auto& t : model.inputs()) input_layers.push_back(triple(t));
  for (const auto& t : model.outputs()) output_layers.push_back(triple(t));
  json obj = {{"module", "keras.src.models.functional"},
              {"class_name", "Functional"},
              {"config",
               {{"name", model.name()},
                {"trainable", model.trainable()},
                {"layers", layers},
                {"input_layers", input_layers},
                {"output_layers", output_layers}}},
              {"registered_name", "Functional"}};
  const auto ins = model.inputs();
  if (ins.size() == 1) {
    obj["build_config"] = {{"input_shape", shape_json(ins[0].shape())}};
  } else {
    json shapes = json::array();
    for (const auto& t : ins) shapes.push_back(shape_json(t.shape()));
    obj["build_config"] = {{"input_shape", shapes}};
  }
  return obj;
}

json model_object(const Model& model) {
  if (const auto* seq = dynamic_cast<const Sequential*>(&model)) return sequential_object(*seq);
  return functional_object(model);
}

}  // namespace

json model_to_keras3_config(const Model& model) { return model_object(model); }

std::string to_keras3_json(const Model& model, int indent) {
  return model_to_keras3_config(model).dump(indent, ' ', true);
}

}  // namespace strata
