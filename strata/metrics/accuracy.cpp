#include "strata/metrics/accuracy.hpp"

namespace strata::metrics {

std::vector<double> Accuracy::samplewise(const HostBatch& y_true, const HostBatch& y_pred) const {
  HostBatch t = y_true, p = y_pred;
  match_ranks(t, p);
  if (t.shape != p.shape) fail_shapes("shapes must match", y_true, y_pred);
  std::vector<double> eq(t.values.size());
  for (size_t i = 0; i < eq.size(); ++i) eq[i] = t.values[i] == p.values[i] ? 1.0 : 0.0;
  return per_sample_mean(t.shape, eq);
}

}  // namespace strata::metrics
