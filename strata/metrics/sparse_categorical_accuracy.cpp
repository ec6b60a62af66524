#include "strata/metrics/sparse_categorical_accuracy.hpp"

namespace strata::metrics {

std::vector<double> SparseCategoricalAccuracy::samplewise(const HostBatch& y_true,
                                                          const HostBatch& y_pred) const {
  Shape rows;
  for (int i = 0; i + 1 < y_pred.shape.rank(); ++i) rows.push_back(y_pred.shape[i]);
  Shape rows_one = rows;
  rows_one.push_back(1);
  if (y_pred.shape.rank() < 1 || (y_true.shape != rows && y_true.shape != rows_one))
    fail_shapes(
        "y_true must hold one class index per row of y_pred, shaped like y_pred without its "
        "last axis (or with it set to 1)",
        y_true, y_pred);
  const std::vector<int64_t> p = argmax_rows(y_pred);
  std::vector<double> eq(p.size());
  for (size_t i = 0; i < eq.size(); ++i)
    eq[i] = y_true.values[i] == static_cast<float>(p[i]) ? 1.0 : 0.0;
  return per_sample_mean(rows, eq);
}

}  // namespace strata::metrics
