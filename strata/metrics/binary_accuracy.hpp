// metrics::BinaryAccuracy: how often (y_pred > threshold) equals y_true, for 0/1 labels and
// probabilities (keras.metrics.BinaryAccuracy, default name "binary_accuracy"). y_true (N,)
// pairs with y_pred (N, 1); multi-label (N, K) rows score the fraction of labels right.
//
//   metrics::BinaryAccuracy acc({.threshold = 0.7f});
//   acc.update_state(labels, ops::sigmoid(logits));
//   acc.result();
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

struct BinaryAccuracyOptions {
  std::string name = "binary_accuracy";
  float threshold = 0.5f;  // in (0, 1)
};

class BinaryAccuracy : public MeanMetric {
 public:
  // Throws ValueError for a threshold outside (0, 1), as Keras does.
  explicit BinaryAccuracy(BinaryAccuracyOptions options = {});
  std::string class_name() const override { return "BinaryAccuracy"; }
  nlohmann::json get_config() const override;
  float threshold() const { return threshold_; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;

 private:
  float threshold_;
};

}  // namespace strata::metrics
