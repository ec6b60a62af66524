// metrics::MeanSquaredError and metrics::MeanAbsoluteError: the running mean of
// square(y_true - y_pred) / abs(y_true - y_pred) per sample (keras.metrics.MeanSquaredError,
// default name "mean_squared_error", and MeanAbsoluteError, "mean_absolute_error"). y_true (N,)
// pairs with y_pred (N, 1) as in Keras.
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

struct MeanAbsoluteErrorOptions {
  std::string name = "mean_absolute_error";
};

class MeanAbsoluteError : public MeanMetric {
 public:
  explicit MeanAbsoluteError(MeanAbsoluteErrorOptions options = {})
      : MeanMetric(std::move(options.name)) {}
  std::string class_name() const override { return "MeanAbsoluteError"; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;
};

}  // namespace strata::metrics
