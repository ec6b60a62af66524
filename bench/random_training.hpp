// The training-speed harness of the workloads that run on fixed random data (W3, W5): speed does
// not depend on the values, so samples are standard-normal and labels uniform over 10 classes.
//
//   auto [x, y] = bench::random_classification(3200, {50, 32});
//   double rate = bench::training_rate(model, x, y, /*batch=*/64, /*warmup=*/640);
#pragma once

#include <random>
#include <utility>
#include <vector>

#include <strata/strata.hpp>

#include "bench_common.hpp"

namespace strata::bench {

// n samples of shape `sample` and n int32 labels in [0, 10), the same on every run.
inline std::pair<Tensor, Tensor> random_classification(int64_t n, const Shape& sample) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> xs(static_cast<size_t>(n * sample.numel()));
  for (auto& v : xs) v = normal(rng);
  std::vector<int32_t> ys(static_cast<size_t>(n));
  for (auto& v : ys) v = static_cast<int32_t>(rng() % 10);
  return {Tensor::from_vector(sample.with_front(n), xs), Tensor::from_vector({n}, ys)};
}

// Samples per second of one epoch of `model` (compiled) on x, y after a warm-up epoch on the
// first `warmup` samples, which creates every primitive and fills the memory pool.
inline double training_rate(Model& model, const Tensor& x, const Tensor& y, int64_t batch,
                            int64_t warmup) {
  model.fit(x.slice_rows(0, warmup), y.slice_rows(0, warmup),
            {.batch_size = batch, .verbose = 0});
  const double t0 = now_s();
  model.fit(x, y, {.batch_size = batch, .epochs = 1, .verbose = 0});
  return double(x.dim(0)) / (now_s() - t0);
}

}  // namespace strata::bench
