// ConfigReader: typed access to one Keras layer config with errors that name the layer class
// and the key, tolerant of the variants Keras versions wrote (ints as lists, activations as
// strings or objects, initializers as names or {class_name, config}, DTypePolicy objects,
// renamed arguments). Every from_config uses it.
//
//   ConfigReader r(config, "Dense");
//   DenseOptions o{.units = r.get<int64_t>("units"), .activation = r.activation("activation")};
//   o.name = r.name();
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/initializers/initializer.hpp"
#include "strata/layers/margins2d.hpp"
#include "strata/layers/window_geometry.hpp"

namespace strata {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string class_name);

  bool has(const std::string& key) const;
  // The value at `key` (the first of `key` and its older `aliases` present); throws ValueError
  // "<class> config: missing 'key'" or "... 'key' must be <type>, got <json>".
  template <class T>
  T get(const std::string& key, std::initializer_list<const char*> aliases = {}) const;
  template <class T>
  T get_or(const std::string& key, T fallback, std::initializer_list<const char*> aliases = {}) const;
  // nullopt when the key is absent or null.
  template <class T>
  std::optional<T> optional(const std::string& key) const;

  std::string name() const { return get_or<std::string>("name", ""); }
  bool trainable() const { return get_or<bool>("trainable", true); }
  // "relu", {"class_name": "ReLU"...} or {"module": "keras.activations", "config": "relu"...}; "linear" -> "".
  std::string activation(const std::string& key) const;
  // A name or a serialized initializer object; absent -> `fallback`.
  InitializerSpec initializer(const std::string& key, const char* fallback) const;
  // One int or a list of `n` ints (Keras stores kernel_size (3,) or [3, 3]).
  IntPair int_pair(const std::string& key, int n, std::optional<IntPair> fallback = {}) const;
  // Keras' padding / cropping spellings: an int, [rows, cols] or [[top, bottom], [left, right]].
  Margins2D margins2d(const char* key, Margins2D fallback) const;
  // Regularizers and constraints are not supported yet: a non-null one is an error, never a
  // silent drop.
  void require_null(std::initializer_list<const char*> keys) const;

  [[noreturn]] void fail(const std::string& what) const;
  const nlohmann::json& raw() const { return c_; }

 private:
  const nlohmann::json* find(const std::string& key, std::initializer_list<const char*> aliases) const;
  const nlohmann::json& c_;
  std::string class_name_;
};

template <class T>
T ConfigReader::get(const std::string& key, std::initializer_list<const char*> aliases) const {
  const nlohmann::json* v = find(key, aliases);
  if (!v || v->is_null()) fail("missing '" + key + "'");
  try {
    return v->get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("'" + key + "' has an unexpected type: " + v->dump());
  }
}

template <class T>
T ConfigReader::get_or(const std::string& key, T fallback,
                       std::initializer_list<const char*> aliases) const {
  const nlohmann::json* v = find(key, aliases);
  if (!v || v->is_null()) return fallback;
  return get<T>(key, aliases);
}

template <class T>
std::optional<T> ConfigReader::optional(const std::string& key) const {
  if (!has(key) || c_.at(key).is_null()) return std::nullopt;
  return get<T>(key);
}

}  // namespace strata
