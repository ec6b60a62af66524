#include "strata/losses/mean_absolute_error.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/losses/loss_utils.hpp"

namespace strata {

using namespace loss_detail;

Tensor MeanAbsoluteError::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  check_inputs(class_name(), y_true, y_pred);
  auto [t, p] = match_ranks(as_float(y_true), y_pred);
  if (t.shape() != p.shape()) fail_shapes(class_name(), "shapes must match", y_true, y_pred);
  // Keras averages over the last axis, then over the rest: with equal rows that is one mean.
  return ops::mean(ops::abs(ops::sub(p, t)));
}

nlohmann::json MeanAbsoluteError::get_config() const { return base_config(name()); }

}  // namespace strata
