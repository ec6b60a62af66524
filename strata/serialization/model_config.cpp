#include "strata/serialization/model_config.hpp"

#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"
#include "strata/initializers/placeholder.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/serialization/attention_calls.hpp"
#include "strata/serialization/inbound_nodes.hpp"
#include "strata/serialization/layer_registry.hpp"

namespace strata {

using nlohmann::json;

namespace {

// tf.keras 2.x's InputLayer entry (batch_input_shape), which Keras 2, Keras 3 and tfjs all read.
// A Sequential started with Input(...) keeps that layer's config (its dtype above all); one built
// from a shape gets a float32 entry.
json input_layer_config(const std::string& name, const Shape& batch_shape,
                        const InputLayer* declared) {
  if (declared) return {{"class_name", "InputLayer"}, {"config", declared->get_config()}};
  json shape = json::array({nullptr});
  for (int i = 1; i < batch_shape.rank(); ++i) shape.push_back(batch_shape[i]);
  return {{"class_name", "InputLayer"},
          {"config",
           {{"batch_input_shape", shape}, {"dtype", "float32"}, {"sparse", false},
            {"ragged", false}, {"name", name}}}};
}

// The batch shape a Keras 1/2 first layer carries instead of an InputLayer, if any.
std::optional<json> declared_batch_shape(const json& config) {
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (config.contains(key) && config[key].is_array()) return config[key];
  if (config.contains("input_shape") && config["input_shape"].is_array()) {
    json s = json::array({nullptr});
    for (const auto& d : config["input_shape"]) s.push_back(d);
    return s;
  }
  if (config.contains("input_dim") && config["input_dim"].is_number_integer())
    return json::array({nullptr, config["input_dim"]});
  return std::nullopt;
}

// Keras before 3 (and tfjs) defined hard_sigmoid as clip(0.2x + 0.5, 0, 1); Keras 3 (and
// Strata's "hard_sigmoid") use relu6(x + 3) / 6. A legacy config's name means the first, which
// Strata calls "hard_sigmoid_legacy".
constexpr const char* kActivationKeys[] = {"activation", "recurrent_activation"};

bool names_hard_sigmoid(const json& v) {
  if (v.is_string()) return v == "hard_sigmoid";
  if (!v.is_object()) return false;
  if (v.contains("config") && v["config"].is_string()) return v["config"] == "hard_sigmoid";
  return v.value("class_name", json()) == "hard_sigmoid";
}

// Layers a wrapper keeps in its config ("layer", "backward_layer" of Bidirectional): objects
// with a class_name and a config object.
bool is_layer_object(const json& v) {
  return v.is_object() && v.contains("class_name") && v.contains("config") &&
         v["config"].is_object();
}

// A layer entry of a legacy config with its hard_sigmoid activations renamed to the legacy one,
// wrapped layers included.
json with_legacy_hard_sigmoid(const json& entry) {
  if (!is_layer_object(entry)) return entry;
  json e = entry;
  for (const char* key : kActivationKeys)
    if (e["config"].contains(key) && names_hard_sigmoid(e["config"][key]))
      e["config"][key] = "hard_sigmoid_legacy";
  for (auto it = e["config"].begin(); it != e["config"].end(); ++it)
    if (is_layer_object(*it)) *it = with_legacy_hard_sigmoid(*it);
  return e;
}

// Writing uses the tf.keras 2 layout, so the legacy activation is written by its Keras 2 name. Keras
// 3's hard_sigmoid is refused: Keras 2 and tfjs would read that name with their own slope (0.2).
void write_hard_sigmoid(json& layers) {
  for (auto& entry : layers) {
    if (!entry.contains("config") || !entry["config"].is_object()) continue;
    json& cfg = entry["config"];
    for (auto it = cfg.begin(); it != cfg.end(); ++it)
      if (is_layer_object(*it)) {
        json wrapped = json::array({*it});
        write_hard_sigmoid(wrapped);
        *it = std::move(wrapped[0]);
      }
    for (const char* key : kActivationKeys) {
      auto it = cfg.find(key);
      if (it == cfg.end()) continue;
      if (*it == "hard_sigmoid")
        throw ValueError("model_to_config: layer '" + cfg.value("name", std::string("?")) +
                         "' uses hard_sigmoid, whose Keras 3 meaning the Keras 2 config layout "
                         "cannot express (Keras 2 and tfjs would read slope 0.2)");
      if (*it == "hard_sigmoid_legacy") *it = "hard_sigmoid";
    }
  }
}

// Keras 3 writes "module" / "registered_name" in the model's entry and in every layer entry;
// Keras 1/2 and tfjs never do (they may inside initializer objects, which are not looked at).
bool written_by_keras3(const json& c) {
  auto marked = [](const json& e) {
    return e.is_object() && (e.contains("module") || e.contains("registered_name"));
  };
  if (marked(c)) return true;
  if (!c.is_object() || !c.contains("config")) return false;
  const json& cfg = c["config"];
  const json& layers = cfg.is_object() ? cfg.value("layers", json()) : cfg;  // Keras 2.0 list form
  if (layers.is_array())
    for (const auto& e : layers)
      if (marked(e)) return true;
  return false;
}

// "2.13.1", "3.3.3", "tfjs-layers 4.2.0" (tfjs keeps Keras 2's definitions): major 3 or later.
bool keras3_version(const std::string& v) {
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return false;
  return std::strtol(v.c_str(), nullptr, 10) >= 3;
}

bool is_model_class(const json& entry) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string())
    return false;
  const std::string cls = entry["class_name"].get<std::string>();
  return cls == "Sequential" || cls == "Functional" || cls == "Model";
}

std::shared_ptr<Model> build_model(const json& entry, bool legacy);

// A layer entry of a model's "layers" list: a registered layer or a nested model.
LayerPtr layer_or_model_from_config(const json& entry, bool legacy) {
  if (is_model_class(entry)) return build_model(entry, legacy);
  return layer_from_config(legacy ? with_legacy_hard_sigmoid(entry) : entry);
}

std::shared_ptr<Model> sequential_from_config(const json& config, bool legacy) {
  // Keras 2.0/2.1 wrote the layer list itself as the config.
  const json& layers = config.is_array() ? config : config.value("layers", json::array());
  const std::string name = config.is_object() ? config.value("name", "") : "";
  if (!layers.is_array()) throw ValueError("Sequential config: 'layers' must be a list");
  auto model = std::make_shared<Sequential>(std::vector<LayerRef>{}, name);
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& entry = layers[i];
    const json cfg = entry.is_object() ? entry.value("config", json::object()) : json();
    if (i == 0 && entry.is_object() && entry.value("class_name", "") != "InputLayer" &&
        cfg.is_object()) {
      std::optional<json> shape = declared_batch_shape(cfg);
      if (!shape && config.is_object() && config.contains("build_input_shape"))
        shape = config["build_input_shape"];  // Keras 3 Sequential without an InputLayer
      if (shape)
        model->add(layer_from_config(
            {{"class_name", "InputLayer"},
             {"config", {{"batch_input_shape", *shape}, {"name", cfg.value("name", "layer") + "_input"}}}}));
    }
    try {
      model->add(layer_or_model_from_config(entry, legacy));
    } catch (const ValueError& e) {
      throw ValueError("Sequential '" + model->name() + "', layer " + std::to_string(i) + ": " +
                       e.what());
    }
  }
  return model;
}

// ---- Functional models ------------------------------------------------------------------------

using config_detail::InboundCall;
using config_detail::parse_triple;
using config_detail::TensorRef;

// input_layers / output_layers: a list of triples, or (Keras 3, one tensor) a single triple,
// possibly nested further.
void collect_triples(const json& j, std::vector<TensorRef>& out, const std::string& who) {
  if (!j.is_array()) throw ValueError(who + ": expected a list of [layer_name, node_index, tensor_index], got " + j.dump().substr(0, 200));
  if (!j.empty() && j[0].is_string()) {
    out.push_back(parse_triple(j, who));
    return;
  }
  for (const auto& item : j) collect_triples(item, out, who);
}

std::shared_ptr<Model> functional_from_config(const json& config, const std::string& cls,
                                              bool legacy) {
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array())
    throw ValueError(cls + " config: 'layers' must be a list of layer entries");
  const json& layers = config["layers"];
  const std::string name = config.value("name", "");
  const std::string who = cls + " '" + name + "'";
  for (const char* key : {"input_layers", "output_layers"})
    if (!config.contains(key)) throw ValueError(who + ": config has no '" + key + "'");

  struct Entry {
    std::string name;
    LayerPtr layer;
    std::vector<std::vector<TensorRef>> nodes;
    size_t done = 0;
  };
  std::vector<Entry> entries;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& e = layers[i];
    if (!e.is_object())
      throw ValueError(who + ": layer " + std::to_string(i) + " is not an object: " + e.dump().substr(0, 200));
    const json cfg = e.value("config", json::object());
    std::string lname = e.contains("name") && e["name"].is_string() ? e["name"].get<std::string>()
                        : cfg.is_object() && cfg.contains("name") && cfg["name"].is_string()
                            ? cfg["name"].get<std::string>() : "";
    if (lname.empty())
      throw ValueError(who + ": layer " + std::to_string(i) + " has no name, which its callers need");
    if (!index.emplace(lname, entries.size()).second)
      throw ValueError(who + ": two layers are named '" + lname +
                       "' (duplicate layer name); layer names must be unique within a model");
    Entry entry{lname, nullptr, {}, 0};
    const std::string at = who + ", layer '" + lname + "'";
    const json inbound = e.value("inbound_nodes", json::array());
    if (!inbound.is_array()) throw ValueError(at + ": 'inbound_nodes' must be a list");
    // Calls are read first: options Keras passes per call (use_causal_mask, ...) belong in the
    // config Strata builds the layer from.
    const std::string layer_class = e.contains("class_name") && e["class_name"].is_string()
                                        ? e["class_name"].get<std::string>() : "";
    std::vector<InboundCall> calls;
    if (layer_class != "InputLayer")
      for (const auto& node : inbound)
        calls.push_back(config_detail::parse_inbound_node(node, layer_class, at));
    try {
      entry.layer = layer_or_model_from_config(config_detail::with_call_options(e, calls, at), legacy);
    } catch (const ValueError& ex) {
      throw ValueError(at + ": " + ex.what());
    }
    if (std::dynamic_pointer_cast<InputLayer>(entry.layer)) {
      // An InputLayer is its own (only) call; Keras writes inbound_nodes [] for it.
      entry.nodes.push_back({});
    } else {
      for (auto& c : calls) entry.nodes.push_back(std::move(c.inputs));
    }
    entries.push_back(std::move(entry));
  }

  // Every reference must name a listed layer and one of its calls, or the graph cannot be built.
  auto check_ref = [&](const TensorRef& r, const std::string& at) {
    auto it = index.find(r.layer);
    if (it == index.end())
      throw ValueError(at + " refers to layer '" + r.layer + "', which is not among the model's layers");
    const size_t calls = entries[it->second].nodes.size();
    if (r.node >= calls)
      throw ValueError(at + " refers to node " + std::to_string(r.node) + " of layer '" + r.layer +
                       "', which is called only " + std::to_string(calls) + " time" +
                       (calls == 1 ? "" : "s"));
  };
  for (const auto& e : entries)
    for (const auto& node : e.nodes)
      for (const auto& r : node) check_ref(r, who + ": an inbound node of layer '" + e.name + "'");
  std::vector<TensorRef> in_refs, out_refs;
  collect_triples(config["input_layers"], in_refs, who + ": input_layers");
  collect_triples(config["output_layers"], out_refs, who + ": output_layers");
  for (const auto& r : in_refs) check_ref(r, who + ": input_layers");
  for (const auto& r : out_refs) check_ref(r, who + ": output_layers");

  // Replay the calls. A layer's k-th call may consume layers listed after it, so sweep until no
  // call can be made; calls of one layer are made in their listed order (node indices).
  std::vector<std::vector<std::vector<SymbolicTensor>>> produced(entries.size());
  auto tensor_of = [&](const TensorRef& r, const std::string& at) -> const SymbolicTensor* {
    const auto& outs = produced[index.at(r.layer)];
    if (r.node >= outs.size()) return nullptr;
    if (r.tensor >= outs[r.node].size())
      throw ValueError(at + " refers to output " + std::to_string(r.tensor) + " of layer '" +
                       r.layer + "', which has " + std::to_string(outs[r.node].size()) + " output" +
                       (outs[r.node].size() == 1 ? "" : "s"));
    return &outs[r.node][r.tensor];
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      while (e.done < e.nodes.size()) {
        const std::string at = who + ", layer '" + e.name + "'";
        std::vector<SymbolicTensor> args;
        bool ready = true;
        for (const auto& r : e.nodes[e.done]) {
          const SymbolicTensor* t = tensor_of(r, at);
          if (!t) {
            ready = false;
            break;
          }
          args.push_back(*t);
        }
        if (!ready) break;
        try {
          produced[i].push_back(call_symbolic(e.layer, args));
        } catch (const ValueError& ex) {
          throw ValueError(at + ": " + ex.what());
        }
        ++e.done;
        progress = true;
      }
    }
  }
  std::string stuck;
  for (const auto& e : entries) {
    if (e.done == e.nodes.size()) continue;
    std::string waits;
    for (const auto& r : e.nodes[e.done])
      if (produced[index.at(r.layer)].size() <= r.node)
        waits += (waits.empty() ? "'" : ", '") + r.layer + "'";
    stuck += (stuck.empty() ? "" : "; ") + std::string("layer '") + e.name + "' (node " +
             std::to_string(e.done) + ", waiting for " + waits + ")";
  }
  if (!stuck.empty())
    throw ValueError(who + ": the layer calls form a cycle, so they cannot be rebuilt: " + stuck);

  std::vector<SymbolicTensor> inputs, outputs;
  for (const auto& r : in_refs) inputs.push_back(*tensor_of(r, who + ": input_layers"));
  for (const auto& r : out_refs) outputs.push_back(*tensor_of(r, who + ": output_layers"));
  return std::make_shared<Model>(inputs, outputs, name);
}

json functional_to_config(const Model& model) {
  const auto nodes = model.graph_nodes();
  if (nodes.empty())
    throw ValueError("model_to_config: model '" + model.name() + "' (" + model.class_name() +
                     ") has no graph of layer calls to describe");
  // Node indices count a layer's calls within this model's graph, in graph order — the order in
  // which the reader replays them.
  std::map<const GraphNode*, int> node_index;
  std::map<const Layer*, int> calls;
  std::map<const Layer*, json> inbound;
  auto triple = [&](const SymbolicTensor& t) {
    return json::array({t.layer()->name(), node_index.at(t.node().get()), t.index()});
  };
  for (const auto& n : nodes) {
    node_index[n.get()] = calls[n->layer.get()]++;
    json& list = inbound[n->layer.get()];
    if (list.is_null()) list = json::array();
    if (n->inputs.empty()) continue;  // an Input(...) call
    const Layer& layer = *n->layer;
    const json options = config_detail::call_option_kwargs(layer, config_detail::Dialect::keras2);
    json node = json::array();
    if (config_detail::is_multi_head_attention(layer) && n->inputs.size() >= 2) {
      // tf.keras 2 writes the first call argument (query) positionally and every further one
      // (value, key, attention_mask) as a kwarg triple — its Node.serialize.
      static const char* const kNames[] = {"query", "value", "key", "attention_mask"};
      json kwargs = options;
      for (size_t i = 1; i < n->inputs.size() && i < 4; ++i)
        kwargs[kNames[i]] = triple(n->inputs[i]);
      const SymbolicTensor& q = n->inputs[0];
      node.push_back({q.layer()->name(), node_index.at(q.node().get()), q.index(), kwargs});
    } else {
      for (const auto& t : n->inputs)
        node.push_back({t.layer()->name(), node_index.at(t.node().get()), t.index(), options});
    }
    list.push_back(std::move(node));
  }
  json layers = json::array();
  for (const auto& l : model.layers()) {
    const auto* nested = dynamic_cast<const Model*>(l.get());
    json entry = nested ? model_to_config(*nested) : layer_to_config(*l);
    if (!nested && entry.contains("config"))
      config_detail::strip_call_options(*l, entry["config"], config_detail::Dialect::keras2);
    entry["name"] = l->name();
    entry["inbound_nodes"] = inbound.count(l.get()) ? inbound[l.get()] : json::array();
    layers.push_back(std::move(entry));
  }
  write_hard_sigmoid(layers);
  json input_layers = json::array(), output_layers = json::array();
  for (const auto& t : model.inputs()) input_layers.push_back(triple(t));
  for (const auto& t : model.outputs()) output_layers.push_back(triple(t));
  return {{"class_name", model.class_name()},
          {"config",
           {{"name", model.name()}, {"layers", layers}, {"input_layers", input_layers},
            {"output_layers", output_layers}}}};
}

std::shared_ptr<Model> build_model(const json& c, bool legacy) {
  if (!c.is_object() || !c.contains("class_name") || !c["class_name"].is_string())
    throw ValueError("model config: expected {\"class_name\": ..., \"config\": ...}");
  const std::string cls = c["class_name"].get<std::string>();
  const json config = c.contains("config") ? c["config"] : json::object();
  if (cls == "Sequential") return sequential_from_config(config, legacy);
  if (cls == "Functional" || cls == "Model") return functional_from_config(config, cls, legacy);
  throw ValueError("model config: unknown model class '" + cls +
                   "'; expected Sequential, Functional or Model");
}

}  // namespace

json model_to_config(const Model& model) {
  const auto* seq = dynamic_cast<const Sequential*>(&model);
  if (!seq) return functional_to_config(model);
  json layers = json::array();
  const auto ls = seq->layers();
  if (seq->built()) {
    // Keras names an implicit input after the first layer: "dense_input".
    const std::string name = seq->input_layer() ? seq->input_layer()->name()
                             : ls.empty()       ? "input"
                                                : ls.front()->name() + "_input";
    layers.push_back(input_layer_config(name, seq->input_shape(), seq->input_layer().get()));
  }
  for (const auto& l : ls) {
    const auto* nested = dynamic_cast<const Model*>(l.get());
    layers.push_back(nested ? model_to_config(*nested) : layer_to_config(*l));
  }
  write_hard_sigmoid(layers);
  return {{"class_name", "Sequential"}, {"config", {{"name", model.name()}, {"layers", layers}}}};
}

std::string to_json(const Model& model, int indent) { return model_to_config(model).dump(indent); }

std::shared_ptr<Model> model_from_config(const json& doc, const ModelConfigOptions& options) {
  // tfjs' model.json wraps the topology; converted files add a model_config level.
  const json* c = &doc;
  if (c->contains("modelTopology")) c = &(*c)["modelTopology"];
  // Keras 1/2 and tfjs stamp their version; Keras 3 configs carry "module" fields instead.
  std::string version = options.keras_version;
  if (version.empty() && c->is_object() && c->contains("keras_version") && (*c)["keras_version"].is_string())
    version = (*c)["keras_version"].get<std::string>();
  if (c->contains("model_config")) c = &(*c)["model_config"];
  const bool legacy = version.empty() ? !written_by_keras3(*c) : !keras3_version(version);
  PlaceholderInitializers placeholders(options.placeholder_initializers);
  return build_model(*c, legacy);
}

std::shared_ptr<Model> model_from_json(const std::string& text, const ModelConfigOptions& options) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ValueError("model_from_json: malformed JSON at byte " + std::to_string(e.byte) + ": " +
                     e.what());
  }
  return model_from_config(doc, options);
}

}  // namespace strata
