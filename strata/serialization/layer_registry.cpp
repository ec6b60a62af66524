#include "strata/serialization/layer_registry.hpp"

#include <map>
#include <mutex>

#include "strata/core/error.hpp"
#include "strata/serialization/builtin_layers.hpp"

namespace strata {

namespace {

std::mutex g_mutex;

std::map<std::string, LayerFactory>& table() {
  static std::map<std::string, LayerFactory> t = [] {
    std::map<std::string, LayerFactory> m;
    register_builtin_layers(m);
    return m;
  }();
  return t;
}

}  // namespace

void register_layer(const std::string& class_name, LayerFactory factory) {
  if (class_name.empty() || !factory)
    throw ValueError("register_layer: needs a class name and a factory");
  std::lock_guard lock(g_mutex);
  table()[class_name] = std::move(factory);
}

std::vector<std::string> registered_layers() {
  std::lock_guard lock(g_mutex);
  std::vector<std::string> names;
  for (const auto& [k, _] : table()) names.push_back(k);
  return names;
}

LayerPtr layer_from_config(const nlohmann::json& layer) {
  if (!layer.is_object() || !layer.contains("class_name") || !layer["class_name"].is_string())
    throw ValueError("layer config: expected {\"class_name\": ..., \"config\": ...}, got " +
                     layer.dump().substr(0, 200));
  std::string cls = layer["class_name"].get<std::string>();
  // TF 2.11+ writes registered custom objects as "Custom>Name".
  if (cls.rfind("Custom>", 0) == 0) cls = cls.substr(7);
  if (cls == "Lambda")
    throw ValueError("layer config: a Lambda layer holds Python code, which cannot be loaded in "
                     "C++; rewrite it as a custom layer class and register_layer it");
  LayerFactory factory;
  {
    std::lock_guard lock(g_mutex);
    auto it = table().find(cls);
    if (it != table().end()) factory = it->second;
  }
  if (!factory)
    throw ValueError("layer config: unknown layer class '" + cls +
                     "'; if it is your own layer, register it with register_layer<" + cls +
                     ">(\"" + cls + "\")");
  const nlohmann::json config = layer.contains("config") ? layer["config"] : nlohmann::json::object();
  LayerPtr built = factory(config);
  if (config.is_object() && config.contains("trainable") && config["trainable"].is_boolean())
    built->set_trainable(config["trainable"].get<bool>());
  return built;
}

nlohmann::json layer_to_config(const Layer& layer) {
  return {{"class_name", layer.class_name()}, {"config", layer.get_config()}};
}

}  // namespace strata
