#include "strata/metrics/mean_metric.hpp"

#include "strata/core/error.hpp"

namespace strata::metrics {

namespace {

HostBatch to_host(const Tensor& t) { return {t.shape(), t.to_vector<float>()}; }

Shape without_last(const Shape& s) {
  Shape out;
  for (int i = 0; i + 1 < s.rank(); ++i) out.push_back(s[i]);
  return out;
}

Shape with_last_one(const Shape& s) {
  Shape out = s;
  out.push_back(1);
  return out;
}

}  // namespace

void MeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred) {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError(class_name() + " '" + name() + "': got an undefined " +
                     (y_true.defined() ? "y_pred" : "y_true") + " tensor");
  std::vector<double> values = samplewise(to_host(y_true), to_host(y_pred));
  for (double v : values) total_ += v;
  count_ += static_cast<int64_t>(values.size());
}

void MeanMetric::fail_shapes(const std::string& what, const HostBatch& y_true,
                             const HostBatch& y_pred) const {
  throw ValueError(class_name() + " '" + name() + "': " + what + "; got y_true shape " +
                   y_true.shape.str() + " and y_pred shape " + y_pred.shape.str());
}

void match_ranks(HostBatch& y_true, HostBatch& y_pred) {
  Shape& t = y_true.shape;
  Shape& p = y_pred.shape;
  if (t.rank() == p.rank() + 1 && t.rank() > 0 && t[t.rank() - 1] == 1) {
    if (p.rank() == 1)
      p = with_last_one(p);
    else
      t = without_last(t);
  } else if (p.rank() == t.rank() + 1 && p.rank() > 0 && p[p.rank() - 1] == 1) {
    if (t.rank() == 1)
      t = with_last_one(t);
    else
      p = without_last(p);
  }
}

std::vector<double> per_sample_mean(const Shape& shape, const std::vector<double>& values) {
  if (shape.rank() == 0) return values;
  const int64_t samples = shape[0];
  if (samples == 0) return {};
  const size_t group = values.size() / static_cast<size_t>(samples);
  std::vector<double> out(static_cast<size_t>(samples), 0.0);
  if (group == 0) return {};
  for (size_t s = 0; s < out.size(); ++s) {
    double sum = 0.0;
    for (size_t j = 0; j < group; ++j) sum += values[s * group + j];
    out[s] = sum / static_cast<double>(group);
  }
  return out;
}

std::vector<int64_t> argmax_rows(const HostBatch& batch) {
  const int64_t cols = batch.shape.rank() > 0 ? batch.shape[batch.shape.rank() - 1] : 1;
  std::vector<int64_t> out;
  if (cols <= 0) return out;
  const size_t rows = batch.values.size() / static_cast<size_t>(cols);
  out.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = batch.values.data() + r * static_cast<size_t>(cols);
    int64_t best = 0;
    for (int64_t c = 1; c < cols; ++c)
      if (row[c] > row[best]) best = c;
    out[r] = best;
  }
  return out;
}

}  // namespace strata::metrics
