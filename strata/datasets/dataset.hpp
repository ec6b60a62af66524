// Dataset: the inputs and targets of one split (train or test), as returned by the loaders in
// strata::datasets. x holds the samples along its first dimension, y the matching targets (or is
// undefined for unlabelled data).
//
//   auto [train, test] = strata::datasets::fashion_mnist::load();
//   train.x.shape();   // (60000, 28, 28, 1), float32 in [0, 1]
//   train.y.shape();   // (60000,), int32 class labels
#pragma once

#include "strata/autodiff/tensor.hpp"

namespace strata::datasets {

struct Dataset {
  Tensor x;
  Tensor y;
};

}  // namespace strata::datasets
