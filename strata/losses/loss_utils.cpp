#include "strata/losses/loss_utils.hpp"

#include <cstring>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata::loss_detail {

nlohmann::json base_config(const std::string& name) {
  return {{"name", name}, {"reduction", "sum_over_batch_size"}};
}

void fail_shapes(const std::string& loss, const std::string& what, const Tensor& y_true,
                 const Tensor& y_pred) {
  throw ValueError(loss + ": " + what + "; got y_true shape " + y_true.shape().str() +
                   " and y_pred shape " + y_pred.shape().str());
}

void check_label_smoothing(const std::string& loss, float label_smoothing) {
  if (!(label_smoothing >= 0.f && label_smoothing <= 1.f))
    throw ValueError(loss + ": label_smoothing must be in [0, 1], got " +
                     std::to_string(label_smoothing));
}

void check_axis(const std::string& loss, int axis) {
  if (axis != -1)
    throw ValueError(
        loss + ": only axis=-1 (the last axis) is supported, got axis=" + std::to_string(axis));
}

void check_inputs(const std::string& loss, const Tensor& y_true, const Tensor& y_pred) {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError(loss + ": got an undefined " + (y_true.defined() ? "y_pred" : "y_true") +
                     " tensor");
  if (y_pred.dtype() != DType::float32)
    throw ValueError(loss + ": y_pred must be float32, got " + dtype_name(y_pred.dtype()) +
                     " of shape " + y_pred.shape().str());
  if (y_pred.numel() == 0 || y_true.numel() == 0)
    fail_shapes(loss, "got an empty batch", y_true, y_pred);
}

Tensor as_float(const Tensor& y_true) {
  if (y_true.dtype() == DType::float32) return y_true;
  return Tensor::from_vector(y_true.shape(), y_true.to_vector<float>(), y_true.backend());
}

namespace {

Tensor drop_last(const Tensor& t) {
  Shape s;
  for (int i = 0; i + 1 < t.rank(); ++i) s.push_back(t.shape()[i]);
  return ops::reshape(t, s);
}

Tensor add_last(const Tensor& t) {
  Shape s = t.shape();
  s.push_back(1);
  return ops::reshape(t, s);
}

}  // namespace

std::pair<Tensor, Tensor> match_ranks(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = y_true, p = y_pred;
  if (t.rank() == p.rank() + 1 && t.rank() > 0 && t.dim(-1) == 1) {
    if (p.rank() == 1)
      p = add_last(p);
    else
      t = drop_last(t);
  } else if (p.rank() == t.rank() + 1 && p.rank() > 0 && p.dim(-1) == 1) {
    if (t.rank() == 1)
      t = add_last(t);
    else
      p = drop_last(p);
  }
  return {t, p};
}

Tensor recorded_logits(const Tensor& y_pred, const char* activation, const Shape& shape) {
  const auto& impl = y_pred.impl();
  if (!impl->logits || !impl->logits_of || std::strcmp(impl->logits_of, activation) != 0)
    return Tensor();
  Tensor z(impl->logits);
  if (z.numel() != shape.numel()) return Tensor();
  return ops::reshape(z, shape);
}

}  // namespace strata::loss_detail
