// The layer registry: Keras class name -> factory that rebuilds the layer from its config. Every
// built-in layer is registered; users add their own so custom layers round-trip through configs.
//
//   register_layer<MyLayer>("MyLayer");          // MyLayer::from_config(const json&) must exist
//   LayerPtr l = layer_from_config({{"class_name", "Dense"}, {"config", {{"units", 4}}}});
//   nlohmann::json j = layer_to_config(*l);     // {"class_name": "Dense", "config": {...}}
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/layers/layer.hpp"

namespace strata {

using LayerFactory = std::function<LayerPtr(const nlohmann::json& config)>;

// Registers (or replaces) the factory for `class_name`.
void register_layer(const std::string& class_name, LayerFactory factory);
template <class L>
void register_layer(const std::string& class_name) {
  register_layer(class_name, [](const nlohmann::json& c) -> LayerPtr { return L::from_config(c); });
}
std::vector<std::string> registered_layers();

// Builds a layer from {"class_name": ..., "config": {...}} in any Keras version's spelling
// ("Custom>" prefixes, "module"/"registered_name" fields). Unknown classes throw ValueError that
// names the class and points at register_layer; Lambda layers explain why they cannot load.
LayerPtr layer_from_config(const nlohmann::json& layer);
nlohmann::json layer_to_config(const Layer& layer);

}  // namespace strata
