#include "strata/core/error.hpp"
#include "strata/metrics/metric.hpp"

namespace strata::metrics {

MetricPtr MetricSpec::resolve(const Loss* loss, const Shape& y_true_shape,
                              const Shape& y_pred_shape) const {
  if (metric_) return metric_;
  if (identifier_.empty()) throw ValueError("compile: empty metric (no name and no object)");
  return get_metric(identifier_, loss, y_true_shape, y_pred_shape);
}

}  // namespace strata::metrics
