// Mini-batch assembly for fit/evaluate/predict: rows of a dataset gathered (for shuffled
// epochs) or sliced (in order, no copy) into batch tensors.
//
//   Tensor xb = take_rows(x, order, 128, 256);   // rows order[128..256) of x
#pragma once

#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata {

// Rows order[begin..end) of `src` as one tensor. A contiguous ascending run is returned as a
// view without copying.
Tensor take_rows(const Tensor& src, const std::vector<int64_t>& order, int64_t begin,
                 int64_t end);

// Writes `rows` into dst rows [begin, begin + rows.dim(0)).
void put_rows(Tensor& dst, const Tensor& rows, int64_t begin);

}  // namespace strata
