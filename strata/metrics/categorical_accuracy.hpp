// metrics::CategoricalAccuracy: how often argmax(y_pred) equals argmax(y_true) over the last
// axis, for one-hot labels (keras.metrics.CategoricalAccuracy, default name
// "categorical_accuracy"). y_pred may be probabilities or logits. Ties pick the first index.
//
//   metrics::CategoricalAccuracy acc;
//   acc.update_state(one_hot_labels, probabilities);   // both (N, C)
//   acc.result();
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

struct CategoricalAccuracyOptions {
  std::string name = "categorical_accuracy";
};

class CategoricalAccuracy : public MeanMetric {
 public:
  explicit CategoricalAccuracy(CategoricalAccuracyOptions options = {})
      : MeanMetric(std::move(options.name)) {}
  std::string class_name() const override { return "CategoricalAccuracy"; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;
};

}  // namespace strata::metrics
