// Helpers shared by the loss sources (internal; not part of the public API).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "strata/autodiff/tensor.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"

namespace strata::loss_detail {

// Keras' backend.epsilon(): the clip margin of the probability paths.
inline constexpr float kEpsilon = 1e-7f;

// The keys every Keras 3 loss config has: {"name": name, "reduction": "sum_over_batch_size"}.
nlohmann::json base_config(const std::string& name);


// Throws ValueError "<loss>: <what>; got y_true shape (..) and y_pred shape (..)".
[[noreturn]] void fail_shapes(const std::string& loss, const std::string& what,
                              const Tensor& y_true, const Tensor& y_pred);

// Constructor checks: label_smoothing in [0, 1]; axis -1 (the only one supported).
void check_label_smoothing(const std::string& loss, float label_smoothing);
void check_axis(const std::string& loss, int axis);

// Both defined, y_pred float32 and non-empty; throws ValueError naming `loss` otherwise.
void check_inputs(const std::string& loss, const Tensor& y_true, const Tensor& y_pred);

// y_true as float32: itself when it already is, else a converted copy (int labels are small).
Tensor as_float(const Tensor& y_true);

// Keras' squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer one ends in
// 1, that dimension is dropped, except that a rank-1 partner is expanded to (N, 1) instead.
std::pair<Tensor, Tensor> match_ranks(const Tensor& y_true, const Tensor& y_pred);

// The logits recorded on `y_pred` when it is the output of `activation` ("softmax" over the last
// axis, or "sigmoid"), reshaped to `shape`; an undefined Tensor otherwise.
Tensor recorded_logits(const Tensor& y_pred, const char* activation, const Shape& shape);

// Calls f(), prefixing the message of a ValueError it throws with "<loss>: " (the backend's
// one_hot names the bad label but not the loss).
template <class F>
auto with_context(const std::string& loss, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ValueError& e) {
    throw ValueError(loss + ": " + e.what());
  }
}

}  // namespace strata::loss_detail
