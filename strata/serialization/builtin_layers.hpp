// Registration of every built-in layer class (internal to the registry).
#pragma once

#include <map>
#include <string>

#include "strata/serialization/layer_registry.hpp"

namespace strata {

void register_builtin_layers(std::map<std::string, LayerFactory>& table);

}  // namespace strata
