#include "strata/metrics/mean_squared_error.hpp"

#include <cmath>
#include <optional>

namespace strata::metrics {

namespace {

// Per-sample mean of f(y_true - y_pred) after Keras' rank matching; nullopt when the shapes
// still differ.
template <class F>
std::optional<std::vector<double>> error_per_sample(const HostBatch& y_true,
                                                    const HostBatch& y_pred, F f) {
  HostBatch t = y_true, p = y_pred;
  match_ranks(t, p);
  if (t.shape != p.shape) return std::nullopt;
  std::vector<double> e(t.values.size());
  for (size_t i = 0; i < e.size(); ++i)
    e[i] = f(static_cast<double>(t.values[i]) - static_cast<double>(p.values[i]));
  return per_sample_mean(t.shape, e);
}

}  // namespace

std::vector<double> MeanSquaredError::samplewise(const HostBatch& y_true,
                                                 const HostBatch& y_pred) const {
  auto v = error_per_sample(y_true, y_pred, [](double d) { return d * d; });
  if (!v) fail_shapes("shapes must match", y_true, y_pred);
  return *v;
}

std::vector<double> MeanAbsoluteError::samplewise(const HostBatch& y_true,
                                                  const HostBatch& y_pred) const {
  auto v = error_per_sample(y_true, y_pred, [](double d) { return std::abs(d); });
  if (!v) fail_shapes("shapes must match", y_true, y_pred);
  return *v;
}

}  // namespace strata::metrics
