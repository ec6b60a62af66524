#include "strata/metrics/categorical_accuracy.hpp"

namespace strata::metrics {

std::vector<double> CategoricalAccuracy::samplewise(const HostBatch& y_true,
                                                    const HostBatch& y_pred) const {
  if (y_true.shape != y_pred.shape || y_pred.shape.rank() < 1)
    fail_shapes("y_true must be one-hot with y_pred's shape (batch, ..., classes)", y_true, y_pred);
  const std::vector<int64_t> t = argmax_rows(y_true), p = argmax_rows(y_pred);
  std::vector<double> eq(t.size());
  for (size_t i = 0; i < eq.size(); ++i) eq[i] = t[i] == p[i] ? 1.0 : 0.0;
  Shape rows;
  for (int i = 0; i + 1 < y_pred.shape.rank(); ++i) rows.push_back(y_pred.shape[i]);
  return per_sample_mean(rows, eq);
}

}  // namespace strata::metrics
