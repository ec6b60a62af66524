#include "strata/metrics/mean_squared_error.hpp"

namespace strata::metrics {

std::vector<double> MeanSquaredError::samplewise(const HostBatch& y_true,
                                                 const HostBatch& y_pred) const {
  HostBatch t = y_true, p = y_pred;
  match_ranks(t, p);
  if (t.shape != p.shape) fail_shapes("shapes must match", y_true, y_pred);
  std::vector<double> e(t.values.size());
  for (size_t i = 0; i < e.size(); ++i) {
    const double d = static_cast<double>(t.values[i]) - static_cast<double>(p.values[i]);
    e[i] = d * d;
  }
  return per_sample_mean(t.shape, e);
}

}  // namespace strata::metrics
