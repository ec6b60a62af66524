// MeanAbsoluteError: the mean of abs(y_pred - y_true) over every element, Keras'
// "mean_absolute_error" ("mae"). y_true of shape (N,) pairs with y_pred (N, 1) as in Keras; int
// targets are converted to float32. Any other shape mismatch is a ValueError.
//
//   MeanAbsoluteError mae;
//   Tensor l = mae(Tensor::from_vector({2}, {1.f, 2.f}), model_output);   // output (2, 1)
#pragma once

#include "strata/losses/loss.hpp"

namespace strata {

class MeanAbsoluteError : public Loss {
 public:
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "mean_absolute_error"; }
  std::string class_name() const override { return "MeanAbsoluteError"; }
  nlohmann::json get_config() const override;
};

}  // namespace strata
