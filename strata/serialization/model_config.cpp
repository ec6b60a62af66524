#include "strata/serialization/model_config.hpp"

#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/layer_registry.hpp"

namespace strata {

using nlohmann::json;

namespace {

// tf.keras 2.x's InputLayer entry (batch_input_shape), which Keras 2, Keras 3 and tfjs all read.
json input_layer_config(const std::string& name, const Shape& batch_shape) {
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

// Keras before 3 defined hard_sigmoid as clip(0.2x + 0.5, 0, 1); Keras 3 (and Strata) use
// relu6(x + 3) / 6. Loading such a layer with today's formula would silently change the model.
void reject_legacy_hard_sigmoid(const json& layers, bool legacy) {
  if (!legacy || !layers.is_array()) return;
  for (const auto& entry : layers) {
    const json cfg = entry.is_object() ? entry.value("config", json::object()) : json();
    for (const char* key : {"activation", "recurrent_activation"})
      if (cfg.is_object() && cfg.contains(key) && cfg[key] == "hard_sigmoid")
        throw ValueError("model config: layer '" + cfg.value("name", std::string("?")) +
                         "' uses Keras 2's hard_sigmoid (slope 0.2), which differs from Keras 3's "
                         "(slope 1/6); loading it is not supported yet");
  }
}

std::shared_ptr<Model> sequential_from_config(const json& config, bool legacy) {
  // Keras 2.0/2.1 wrote the layer list itself as the config.
  const json& layers = config.is_array() ? config : config.value("layers", json::array());
  const std::string name = config.is_object() ? config.value("name", "") : "";
  if (!layers.is_array()) throw ValueError("Sequential config: 'layers' must be a list");
  reject_legacy_hard_sigmoid(layers, legacy);
  auto model = std::make_shared<Sequential>(std::vector<LayerRef>{}, name);
  for (size_t i = 0; i < layers.size(); ++i) {
    const json& entry = layers[i];
    const json cfg = entry.is_object() ? entry.value("config", json::object()) : json();
    if (i == 0 && entry.is_object() && entry.value("class_name", "") != "InputLayer") {
      std::optional<json> shape = declared_batch_shape(cfg);
      if (!shape && config.is_object() && config.contains("build_input_shape"))
        shape = config["build_input_shape"];  // Keras 3 Sequential without an InputLayer
      if (shape)
        model->add(layer_from_config(
            {{"class_name", "InputLayer"},
             {"config", {{"batch_input_shape", *shape}, {"name", cfg.value("name", "layer") + "_input"}}}}));
    }
    try {
      model->add(layer_from_config(entry));
    } catch (const ValueError& e) {
      throw ValueError("Sequential '" + model->name() + "', layer " + std::to_string(i) + ": " +
                       e.what());
    }
  }
  return model;
}

}  // namespace

json model_to_config(const Model& model) {
  const auto* seq = dynamic_cast<const Sequential*>(&model);
  if (!seq) throw ValueError("model_to_config: only Sequential models can be described yet");
  json layers = json::array();
  const auto ls = seq->layers();
  if (seq->built()) {
    // Keras names an implicit input after the first layer: "dense_input".
    const std::string name = seq->input_layer() ? seq->input_layer()->name()
                             : ls.empty()       ? "input"
                                                : ls.front()->name() + "_input";
    layers.push_back(input_layer_config(name, seq->input_shape()));
  }
  for (const auto& l : ls) layers.push_back(layer_to_config(*l));
  // The tf.keras 2 layout would make Keras 2 and tfjs read it with their own slope (0.2).
  for (const auto& entry : layers)
    if (entry["config"].value("activation", json()) == "hard_sigmoid")
      throw ValueError("model_to_config: layer '" + entry["config"].value("name", std::string("?")) +
                       "' uses hard_sigmoid, whose Keras 3 meaning the Keras 2 config layout "
                       "cannot express (Keras 2 and tfjs would read slope 0.2)");
  return {{"class_name", "Sequential"}, {"config", {{"name", model.name()}, {"layers", layers}}}};
}

std::string to_json(const Model& model, int indent) { return model_to_config(model).dump(indent); }

std::shared_ptr<Model> model_from_config(const json& doc) {
  // tfjs' model.json wraps the topology; converted files add a model_config level.
  const json* c = &doc;
  if (c->contains("modelTopology")) c = &(*c)["modelTopology"];
  // Keras 1/2 and tfjs stamp their version; Keras 3 configs carry "module" fields instead.
  const std::string version = c->is_object() && c->contains("keras_version") && (*c)["keras_version"].is_string()
                                  ? (*c)["keras_version"].get<std::string>() : "";
  if (c->contains("model_config")) c = &(*c)["model_config"];
  const bool legacy = version.empty() ? !c->contains("module") : version[0] != '3';
  if (!c->is_object() || !c->contains("class_name"))
    throw ValueError("model config: expected {\"class_name\": ..., \"config\": ...}");
  const std::string cls = (*c)["class_name"].get<std::string>();
  const json config = c->contains("config") ? (*c)["config"] : json::object();
  if (cls == "Sequential") return sequential_from_config(config, legacy);
  if (cls == "Functional" || cls == "Model")
    throw ValueError("model config: Functional models ('" + cls +
                     "') cannot be rebuilt yet; only Sequential configs are supported");
  throw ValueError("model config: unknown model class '" + cls + "'");
}

std::shared_ptr<Model> model_from_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ValueError("model_from_json: malformed JSON at byte " + std::to_string(e.byte) + ": " +
                     e.what());
  }
  return model_from_config(doc);
}

}  // namespace strata
