// Helpers for sequence masks (see Layer::compute_mask): float32 (N, T) tensors of 0 and 1.
//
//   Tensor m = masks::all_of({mask_a, Tensor()});        // mask_a (an undefined mask is all ones)
//   masks::check(layer.label(), m, x);                  // m must be (N, T) of x (N, T, ...)
#pragma once

#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata::masks {

// The element-wise AND of the defined masks (undefined when none is defined).
Tensor all_of(const std::vector<Tensor>& masks);

// Throws ValueError naming `who` unless `mask` is float32 (N, T) for x (N, T, ...).
void check(const std::string& who, const Tensor& mask, const Tensor& x);

// 1 where some feature of x (N, T, ..., D) differs from `value`, else 0: (N, T, ...) — what
// Masking and Embedding(mask_zero) with value 0 compute.
Tensor not_equal(const Tensor& x, double value, bool reduce_last_axis);

// x with every masked step zeroed: x (N, T, ...) times mask (N, T) broadcast. Differentiable in x.
Tensor apply(const Tensor& x, const Tensor& mask);

}  // namespace strata::masks
