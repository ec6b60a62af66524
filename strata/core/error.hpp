// Exception types thrown by public entry points. Every message names the layer, file or argument
// at fault and what was expected, e.g.
//   ValueError: Dense 'dense_1': expected input with last dimension 784, got shape (None, 28, 28)
// ValueError matches Keras' ValueError (bad shapes, names, data); IOError covers files.
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

struct ValueError : std::invalid_argument {
  explicit ValueError(const std::string& what) : std::invalid_argument(what) {}
};

struct IOError : std::runtime_error {
  explicit IOError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace strata
