#include "strata/core/error.hpp"
#include "strata/losses/loss.hpp"

namespace strata {

LossPtr LossSpec::resolve() const {
  if (loss_) return loss_;
  if (identifier_.empty()) throw ValueError("compile: no loss given");
  return get_loss(identifier_);
}

}  // namespace strata
