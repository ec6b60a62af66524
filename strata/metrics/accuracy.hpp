// metrics::Accuracy: how often y_pred equals y_true exactly (keras.metrics.Accuracy), for
// predictions that are already labels. y_true (N,) pairs with y_pred (N, 1) as in Keras. Note
// the string "accuracy" in compile() resolves to a binary/categorical/sparse variant instead
// (see get_metric); this class is what Keras' Accuracy() object is.
//
//   metrics::Accuracy acc;
//   acc.update_state(Tensor::from_vector({4}, {1, 2, 3, 4}),
//                    Tensor::from_vector({4}, {0, 2, 3, 4}));
//   acc.result();   // 0.75
#pragma once

#include <string>

#include "strata/metrics/mean_metric.hpp"

namespace strata::metrics {

struct AccuracyOptions {
  std::string name = "accuracy";
};

class Accuracy : public MeanMetric {
 public:
  explicit Accuracy(AccuracyOptions options = {}) : MeanMetric(std::move(options.name)) {}
  std::string class_name() const override { return "Accuracy"; }

 protected:
  std::vector<double> samplewise(const HostBatch& y_true, const HostBatch& y_pred) const override;
};

}  // namespace strata::metrics
