#include "strata/core/error.hpp"
#include "strata/optimizers/optimizer.hpp"

namespace strata {

OptimizerPtr OptimizerSpec::resolve() const {
  if (optimizer_) return optimizer_;
  if (identifier_.empty())
    throw ValueError("compile: no optimizer given (null pointer or empty name)");
  return get_optimizer(identifier_);
}

}  // namespace strata
