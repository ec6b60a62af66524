#include "strata/metrics/metric.hpp"

namespace strata::metrics {

nlohmann::json Metric::get_config() const { return {{"name", name_}, {"dtype", "float32"}}; }

}  // namespace strata::metrics
