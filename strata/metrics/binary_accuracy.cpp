#include "strata/metrics/binary_accuracy.hpp"

#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"

namespace strata::metrics {

BinaryAccuracy::BinaryAccuracy(BinaryAccuracyOptions options)
    : MeanMetric(std::move(options.name)), threshold_(options.threshold) {
  if (!(threshold_ > 0.f && threshold_ < 1.f))
    throw ValueError("BinaryAccuracy '" + name() + "': threshold must be in (0, 1), got " +
                     std::to_string(threshold_));
}

nlohmann::json BinaryAccuracy::get_config() const {
  nlohmann::json c = Metric::get_config();
  c["threshold"] = config_number(threshold_);
  return c;
}

std::vector<double> BinaryAccuracy::samplewise(const HostBatch& y_true,
                                               const HostBatch& y_pred) const {
  HostBatch t = y_true, p = y_pred;
  match_ranks(t, p);
  if (t.shape != p.shape) fail_shapes("shapes must match", y_true, y_pred);
  std::vector<double> eq(t.values.size());
  for (size_t i = 0; i < eq.size(); ++i) {
    const float predicted = p.values[i] > threshold_ ? 1.f : 0.f;
    eq[i] = t.values[i] == predicted ? 1.0 : 0.0;
  }
  return per_sample_mean(t.shape, eq);
}

}  // namespace strata::metrics
