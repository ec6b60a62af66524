// The string registry behind get_metric(), and Keras' resolution of "accuracy".
#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/losses/binary_crossentropy.hpp"
#include "strata/losses/categorical_crossentropy.hpp"
#include "strata/losses/sparse_categorical_crossentropy.hpp"
#include "strata/metrics/binary_accuracy.hpp"
#include "strata/metrics/categorical_accuracy.hpp"
#include "strata/metrics/mean_absolute_error.hpp"
#include "strata/metrics/mean_squared_error.hpp"
#include "strata/metrics/metric.hpp"
#include "strata/metrics/sparse_categorical_accuracy.hpp"

namespace strata::metrics {

namespace {

using Factory = std::function<MetricPtr(const std::string& name)>;

template <class M>
Factory make() {
  return [](const std::string& name) {
    auto m = std::make_shared<M>();
    m->set_name(name);
    return m;
  };
}

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> entries = [] {
    std::vector<std::pair<std::string, Factory>> e;
    auto add = [&e](std::vector<std::string> names, const Factory& f) {
      for (auto& n : names) e.emplace_back(std::move(n), f);
    };
    add({"binary_accuracy", "BinaryAccuracy"}, make<BinaryAccuracy>());
    add({"categorical_accuracy", "CategoricalAccuracy"}, make<CategoricalAccuracy>());
    add({"sparse_categorical_accuracy", "SparseCategoricalAccuracy"},
        make<SparseCategoricalAccuracy>());
    add({"mean_squared_error", "MeanSquaredError", "mse", "MSE"}, make<MeanSquaredError>());
    add({"mean_absolute_error", "MeanAbsoluteError", "mae", "MAE"}, make<MeanAbsoluteError>());
    return e;
  }();
  return entries;
}

int64_t last_dim(const Shape& s) { return s.rank() > 0 ? s[s.rank() - 1] : 1; }

// The accuracy variant for "accuracy": from the three crossentropy losses directly, else from
// Keras 3's shape rule (compile_utils.is_binary_or_sparse_categorical).
Factory accuracy_for(const Loss* loss, const Shape& y_true, const Shape& y_pred) {
  if (dynamic_cast<const BinaryCrossentropy*>(loss)) return make<BinaryAccuracy>();
  if (dynamic_cast<const CategoricalCrossentropy*>(loss)) return make<CategoricalAccuracy>();
  if (dynamic_cast<const SparseCategoricalCrossentropy*>(loss))
    return make<SparseCategoricalAccuracy>();
  if (last_dim(y_pred) == 1) return make<BinaryAccuracy>();
  if (y_true.rank() < y_pred.rank() || (last_dim(y_true) == 1 && last_dim(y_pred) > 1))
    return make<SparseCategoricalAccuracy>();
  return make<CategoricalAccuracy>();
}

}  // namespace

MetricPtr get_metric(const std::string& name, const Loss* loss, const Shape& y_true_shape,
                     const Shape& y_pred_shape) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "accuracy" || lower == "acc")
    return accuracy_for(loss, y_true_shape, y_pred_shape)(name);
  for (const auto& [n, factory] : registry())
    if (n == name) return factory(name);
  std::string valid = "accuracy, acc";
  for (const auto& [n, factory] : registry()) valid += ", " + n;
  throw ValueError("unknown metric '" + name + "'; valid names: " + valid);
}

}  // namespace strata::metrics
