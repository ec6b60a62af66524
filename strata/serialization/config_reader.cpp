#include "strata/serialization/config_reader.hpp"

#include "strata/initializers/placeholder.hpp"

namespace strata {

using nlohmann::json;

ConfigReader::ConfigReader(const json& config, std::string class_name)
    : c_(config), class_name_(std::move(class_name)) {
  if (!c_.is_object()) fail("expected a JSON object, got " + c_.dump());
}

void ConfigReader::fail(const std::string& what) const {
  throw ValueError(class_name_ + " config: " + what);
}

const json* ConfigReader::find(const std::string& key,
                               std::initializer_list<const char*> aliases) const {
  if (c_.contains(key)) return &c_.at(key);
  for (const char* a : aliases)
    if (c_.contains(a)) return &c_.at(a);
  return nullptr;
}

bool ConfigReader::has(const std::string& key) const { return c_.contains(key); }

std::string ConfigReader::activation(const std::string& key) const {
  const json* v = find(key, {});
  if (!v || v->is_null()) return "";
  std::string name;
  if (v->is_string()) {
    name = v->get<std::string>();
  } else if (v->is_object() && v->contains("config") && (*v)["config"].is_string()) {
    name = (*v)["config"].get<std::string>();  // Keras 3: {"module": "keras.activations", ...}
  } else if (v->is_object() && v->contains("class_name") && (*v)["class_name"].is_string()) {
    name = (*v)["class_name"].get<std::string>();
  } else {
    fail("'" + key + "' is not an activation: " + v->dump());
  }
  return name == "linear" ? "" : name;
}

InitializerSpec ConfigReader::initializer(const std::string& key, const char* fallback) const {
  const json* v = find(key, {});
  if (!v || v->is_null()) return InitializerSpec(fallback);
  // Resolved here, not at build time, so an unknown name fails while the layer is named.
  auto by_name = [&](const std::string& name) {
    try {
      return InitializerSpec(get_initializer(name));
    } catch (const ValueError& e) {
      // Keras 2.13 writes a custom Python function as {"class_name": "function", "config": name}.
      if (PlaceholderInitializers::allowed())
        return InitializerSpec(initializers::Placeholder("function", name));
      fail("'" + key + "': " + e.what() +
           " (a custom initializer from Python cannot run in C++; loading the model with its "
           "weights, e.g. load_model, accepts it)");
    }
  };
  if (v->is_string()) return by_name(v->get<std::string>());
  if (!v->is_object() || !v->contains("class_name") || !(*v)["class_name"].is_string())
    fail("'" + key + "' is not an initializer: " + v->dump());
  const std::string cls = (*v)["class_name"].get<std::string>();
  if (cls == "function" && v->contains("config") && (*v)["config"].is_string())
    return by_name((*v)["config"].get<std::string>());
  const json cfg = v->contains("config") ? (*v)["config"] : json::object();
  try {
    return InitializerSpec(initializer_from_config(cls, cfg));
  } catch (const ValueError& e) {
    if (PlaceholderInitializers::allowed())
      return InitializerSpec(initializers::Placeholder(cls, cfg));
    fail("'" + key + "': " + e.what() +
         " (a custom initializer from Python cannot run in C++; loading the model with its "
         "weights, e.g. load_model, accepts it)");
  }
}

IntPair ConfigReader::int_pair(const std::string& key, int n, std::optional<IntPair> fallback) const {
  const json* v = find(key, {});
  if (!v || v->is_null()) {
    if (fallback) return *fallback;
    fail("missing '" + key + "'");
  }
  if (v->is_number_integer()) return IntPair(v->get<int64_t>());
  bool ints = v->is_array() && static_cast<int>(v->size()) == n;
  for (size_t i = 0; ints && i < v->size(); ++i) ints = (*v)[i].is_number_integer();
  if (ints) {
    if (n == 1) return IntPair((*v)[0].get<int64_t>());
    return IntPair((*v)[0].get<int64_t>(), (*v)[1].get<int64_t>());
  }
  fail("'" + key + "' must be an integer or a list of " + std::to_string(n) + ", got " + v->dump());
}

// Keras' three spellings of `key`: an int, [rows, cols] or [[top, bottom], [left, right]] (each
// half an int or a pair, as Keras' normalize_tuple takes them).
Margins2D ConfigReader::margins2d(const char* key, Margins2D fallback) const {
  if (!has(key) || c_.at(key).is_null()) return fallback;
  const nlohmann::json& v = c_.at(key);
  auto bad = [&] {
    fail(std::string("'") + key + "' must be an integer, [rows, cols] or [[top, bottom], "
           "[left, right]], got " + v.dump());
  };
  if (v.is_number_integer()) return Margins2D(v.get<int64_t>());
  if (!v.is_array() || v.size() != 2) bad();
  std::array<int64_t, 2> half[2]{};
  for (size_t i = 0; i < 2; ++i) {
    const nlohmann::json& h = v[i];
    if (h.is_number_integer()) {
      half[i] = {h.get<int64_t>(), h.get<int64_t>()};
    } else if (h.is_array() && h.size() == 2 && h[0].is_number_integer() &&
               h[1].is_number_integer()) {
      half[i] = {h[0].get<int64_t>(), h[1].get<int64_t>()};
    } else {
      bad();
    }
  }
  return Margins2D(half[0], half[1]);
}

void ConfigReader::require_null(std::initializer_list<const char*> keys) const {
  for (const char* k : keys)
    if (c_.contains(k) && !c_.at(k).is_null())
      fail(std::string("'") + k + "' is set (" + c_.at(k).dump() +
           "), but regularizers and constraints are not supported yet");
}

}  // namespace strata
