// Validation of the arrays users hand to fit/evaluate/predict, so bad data fails up front with a
// message naming the call, the array and the first bad sample — never mid-epoch or silently.
//
//   check_xy("fit", x, y);                       // lengths, dtypes, emptiness, NaN/inf
//   check_sparse_labels("fit", y, 10);           // labels integral and in [0, 10)
#pragma once

#include <string>

#include "strata/autodiff/tensor.hpp"

namespace strata {

// `expected`: the dtype of the model input x feeds (float32, or int32/int64 for token ids).
void check_x(const std::string& who, const Tensor& x, DType expected = DType::float32);
void check_xy(const std::string& who, const Tensor& x, const Tensor& y,
              DType x_dtype = DType::float32);
void check_sparse_labels(const std::string& who, const Tensor& y, int64_t num_classes);

}  // namespace strata
