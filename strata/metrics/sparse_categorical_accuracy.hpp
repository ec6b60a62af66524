// metrics::SparseCategoricalAccuracy: how often argmax(y_pred) over the last axis equals the
// integer label (keras.metrics.SparseCategoricalAccuracy, default name
// "sparse_categorical_accuracy"). Labels are shaped like y_pred without its class axis, or with
// it set to 1: (N,) or (N, 1) for y_pred (N, C). Ties pick the first index.
//
//   metrics::SparseCategoricalAccuracy acc;
//   acc.update_state(Tensor::from_vector({2}, std::vector<int32_t>{2, 1}), probabilities);
//   acc.result();
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

struct SparseCategoricalAccuracyOptions {
  std::string name = "sparse_categorical_accuracy";
};

class SparseCategoricalAccuracy : public MeanMetric {
 public:
  explicit SparseCategoricalAccuracy(SparseCategoricalAccuracyOptions options = {})
      : MeanMetric(std::move(options.name)) {}
  std::string class_name() const override { return "SparseCategoricalAccuracy"; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;
};

}  // namespace strata::metrics
