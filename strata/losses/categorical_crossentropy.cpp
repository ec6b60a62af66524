#include "strata/losses/categorical_crossentropy.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/losses/loss_utils.hpp"

namespace strata {

using namespace loss_detail;

CategoricalCrossentropy::CategoricalCrossentropy(CategoricalCrossentropyOptions options)
    : options_(options) {
  check_label_smoothing(class_name(), options_.label_smoothing);
  check_axis(class_name(), options_.axis);
}

Tensor CategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  check_inputs(class_name(), y_true, y_pred);
  auto [t, p] = match_ranks(as_float(y_true), y_pred);
  if (p.rank() < 1 || t.shape() != p.shape())
    fail_shapes(class_name(), "y_true must be one-hot with y_pred's shape (batch, ..., classes)",
                y_true, y_pred);
  const int64_t classes = p.dim(-1);
  const int64_t rows = p.numel() / classes;
  const float ls = options_.label_smoothing;
  if (ls > 0.f) t = ops::affine(t, 1.f - ls, ls / static_cast<float>(classes));

  Tensor z = options_.from_logits ? p : recorded_logits(y_pred, "softmax", p.shape());
  Tensor log_p;
  if (z.defined()) {
    log_p = ops::log_softmax(z, -1);
  } else {
    Tensor q = ops::div(p, ops::sum(p, {-1}, true));
    log_p = ops::log(ops::clip(q, kEpsilon, 1.f - kEpsilon));
  }
  // -Σ over classes, then the mean over the rows, folded into one scale.
  return ops::affine(ops::sum(ops::mul(t, log_p)), -1.f / static_cast<float>(rows), 0.f);
}

nlohmann::json CategoricalCrossentropy::get_config() const {
  nlohmann::json c = base_config(name());
  c["from_logits"] = options_.from_logits;
  c["label_smoothing"] = config_number(options_.label_smoothing);
  c["axis"] = options_.axis;
  return c;
}

}  // namespace strata
