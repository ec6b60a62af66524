#include "strata/losses/binary_crossentropy.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/losses/loss_utils.hpp"

namespace strata {

using namespace loss_detail;

BinaryCrossentropy::BinaryCrossentropy(BinaryCrossentropyOptions options) : options_(options) {
  check_label_smoothing(class_name(), options_.label_smoothing);
  check_axis(class_name(), options_.axis);
}

Tensor BinaryCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  check_inputs(class_name(), y_true, y_pred);
  auto [t, p] = match_ranks(as_float(y_true), y_pred);
  if (t.shape() != p.shape()) fail_shapes(class_name(), "shapes must match", y_true, y_pred);
  const float ls = options_.label_smoothing;
  if (ls > 0.f) t = ops::affine(t, 1.f - ls, 0.5f * ls);

  Tensor z = options_.from_logits ? p : recorded_logits(y_pred, "sigmoid", p.shape());
  if (z.defined()) {
    // log(1 + exp(-|z|)) is written softplus(z - 2 relu(z)): the same value, but its gradient is
    // right at z == 0 too, whatever side relu' and abs' pick there (abs' = 0 would give -y).
    Tensor r = ops::relu(z);
    Tensor per_element =
        ops::add(ops::sub(r, ops::mul(z, t)), ops::softplus(ops::add(z, ops::mul(r, -2.f))));
    return ops::mean(per_element);
  }
  Tensor pc = ops::clip(p, kEpsilon, 1.f - kEpsilon);
  Tensor log_likelihood =
      ops::add(ops::mul(t, ops::log(pc)),
               ops::mul(ops::affine(t, -1.f, 1.f), ops::log(ops::affine(pc, -1.f, 1.f))));
  return ops::neg(ops::mean(log_likelihood));
}

nlohmann::json BinaryCrossentropy::get_config() const {
  nlohmann::json c = base_config(name());
  c["from_logits"] = options_.from_logits;
  c["label_smoothing"] = config_number(options_.label_smoothing);
  c["axis"] = options_.axis;
  return c;
}

}  // namespace strata
