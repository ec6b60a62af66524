// The string registry behind get_optimizer(): Keras' optimizer identifiers, matched without
// regard to case as Keras' optimizers.get() does.
#include <algorithm>
#include <cctype>

#include "strata/core/error.hpp"
#include "strata/optimizers/adam.hpp"
#include "strata/optimizers/optimizer.hpp"
#include "strata/optimizers/rmsprop.hpp"
#include "strata/optimizers/sgd.hpp"

namespace strata {

OptimizerPtr get_optimizer(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (key == "sgd") return std::make_shared<SGD>();
  if (key == "adam") return std::make_shared<Adam>();
  if (key == "rmsprop") return std::make_shared<RMSprop>();
  throw ValueError("unknown optimizer '" + name + "'; valid names: sgd, adam, rmsprop");
}

}  // namespace strata
