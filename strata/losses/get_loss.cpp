// The string registry behind get_loss(): Keras 3's losses.get() names (class names, their
// snake_case forms and the short aliases) for the losses Strata implements.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/losses/binary_crossentropy.hpp"
#include "strata/losses/categorical_crossentropy.hpp"
#include "strata/losses/loss.hpp"
#include "strata/losses/mean_absolute_error.hpp"
#include "strata/losses/mean_squared_error.hpp"
#include "strata/losses/sparse_categorical_crossentropy.hpp"

namespace strata {

namespace {

using Factory = std::function<LossPtr()>;

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> entries = [] {
    std::vector<std::pair<std::string, Factory>> e;
    auto add = [&e](std::vector<std::string> names, Factory f) {
      for (auto& n : names) e.emplace_back(std::move(n), f);
    };
    add({"mean_squared_error", "MeanSquaredError", "mse", "MSE"},
        [] { return std::make_shared<MeanSquaredError>(); });
    add({"mean_absolute_error", "MeanAbsoluteError", "mae", "MAE"},
        [] { return std::make_shared<MeanAbsoluteError>(); });
    add({"binary_crossentropy", "BinaryCrossentropy", "bce", "BCE"},
        [] { return std::make_shared<BinaryCrossentropy>(); });
    add({"categorical_crossentropy", "CategoricalCrossentropy"},
        [] { return std::make_shared<CategoricalCrossentropy>(); });
    add({"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
        [] { return std::make_shared<SparseCategoricalCrossentropy>(); });
    return e;
  }();
  return entries;
}

}  // namespace

LossPtr get_loss(const std::string& name) {
  for (const auto& [n, make] : registry())
    if (n == name) return make();
  std::string valid;
  for (const auto& [n, make] : registry()) valid += (valid.empty() ? "" : ", ") + n;
  throw ValueError("unknown loss '" + name + "'; valid names: " + valid);
}

}  // namespace strata
