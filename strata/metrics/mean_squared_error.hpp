// metrics::MeanSquaredError: the running mean over samples of the per-sample mean of
// square(y_true - y_pred) (keras.metrics.MeanSquaredError, default name "mean_squared_error").
// y_true (N,) pairs with y_pred (N, 1) as in Keras.
//
//   metrics::MeanSquaredError mse({.name = "mse"});
//   mse.update_state(targets, predictions);
//   mse.result();
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

struct MeanSquaredErrorOptions {
  std::string name = "mean_squared_error";
};

class MeanSquaredError : public MeanMetric {
 public:
  explicit MeanSquaredError(MeanSquaredErrorOptions options = {})
      : MeanMetric(std::move(options.name)) {}
  std::string class_name() const override { return "MeanSquaredError"; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;
};

}  // namespace strata::metrics
