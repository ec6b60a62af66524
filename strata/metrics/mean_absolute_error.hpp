// metrics::MeanAbsoluteError: the running mean over samples of the per-sample mean of
// abs(y_true - y_pred) (keras.metrics.MeanAbsoluteError, default name "mean_absolute_error").
// y_true (N,) pairs with y_pred (N, 1) as in Keras.
//
//   metrics::MeanAbsoluteError mae({.name = "mae"});
//   mae.update_state(targets, predictions);
//   mae.result();
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

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
