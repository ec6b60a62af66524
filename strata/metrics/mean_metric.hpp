// MeanMetric: the base of metrics that average a per-sample value, like Keras'
// MeanMetricWrapper: each batch yields one value per sample (the mean over the sample's
// elements), and result() is their mean over every sample seen since the last reset.
// Subclasses implement samplewise() on host copies of the batch.
//
//   class Exact : public metrics::MeanMetric {
//     ...
//     std::vector<double> samplewise(const HostBatch& t, const HostBatch& p) const override;
//   };
#pragma once

#include <cstdint>
#include <vector>

#include "strata/metrics/metric.hpp"

namespace strata::metrics {

// A host copy of one batch tensor, converted to float.
struct HostBatch {
  Shape shape;
  std::vector<float> values;
};

class MeanMetric : public Metric {
 public:
  using Metric::Metric;
  void update_state(const Tensor& y_true, const Tensor& y_pred) final;
  double result() const override { return count_ > 0 ? total_ / static_cast<double>(count_) : 0.0; }
  void reset_state() override {
    total_ = 0.0;
    count_ = 0;
  }

 protected:
  // One value per sample of the batch; throws ValueError on shapes that do not fit.
  virtual std::vector<double> samplewise(const HostBatch& y_true,
                                         const HostBatch& y_pred) const = 0;
  // Throws ValueError "<class_name> '<name>': <what>; got y_true shape .. and y_pred shape ..".
  [[noreturn]] void fail_shapes(const std::string& what, const HostBatch& y_true,
                                const HostBatch& y_pred) const;

 private:
  double total_ = 0.0;
  int64_t count_ = 0;
};

// Keras' squeeze_or_expand_to_same_rank on shapes (the data layout is unchanged by it).
void match_ranks(HostBatch& y_true, HostBatch& y_pred);

// Means of `values` (laid out as `shape`) over every axis but the first: one per sample. A
// rank-0 shape is one sample.
std::vector<double> per_sample_mean(const Shape& shape, const std::vector<double>& values);

// Index of the first maximum of each row of `values` seen as (numel / last, last).
std::vector<int64_t> argmax_rows(const HostBatch& batch);

}  // namespace strata::metrics
