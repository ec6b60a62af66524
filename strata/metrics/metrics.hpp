// All of Strata's metrics in one include (namespace strata::metrics, so the names do not clash
// with the losses): Metric, MeanMetric, get_metric(), MetricSpec, and Accuracy, BinaryAccuracy,
// CategoricalAccuracy, SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError.
//
//   #include "strata/metrics/metrics.hpp"
//   metrics::SparseCategoricalAccuracy acc;
//   acc.update_state(labels, probabilities);
//   double a = acc.result();
#pragma once

#include "strata/metrics/accuracy.hpp"
#include "strata/metrics/binary_accuracy.hpp"
#include "strata/metrics/categorical_accuracy.hpp"
#include "strata/metrics/mean_absolute_error.hpp"
#include "strata/metrics/mean_metric.hpp"
#include "strata/metrics/mean_squared_error.hpp"
#include "strata/metrics/metric.hpp"
#include "strata/metrics/sparse_categorical_accuracy.hpp"
