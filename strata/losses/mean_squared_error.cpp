#include "strata/losses/mean_squared_error.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/losses/loss_utils.hpp"

namespace strata {

using namespace loss_detail;

Tensor MeanSquaredError::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  check_inputs(class_name(), y_true, y_pred);
  auto [t, p] = match_ranks(as_float(y_true), y_pred);
  if (t.shape() != p.shape()) fail_shapes(class_name(), "shapes must match", y_true, y_pred);
  // Keras averages over the last axis, then over the rest: with equal rows that is one mean.
  return ops::mean(ops::square(ops::sub(p, t)));
}

nlohmann::json MeanSquaredError::get_config() const { return base_config(name()); }

}  // namespace strata
