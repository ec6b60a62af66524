// W3 of DESIGN.md: LSTM(128) over sequences of 50 steps × 32 features, then Dense(10), Adam,
// batch 64; training samples/s on fixed random data (speed does not depend on the values).
// Prints one machine-readable line: "strata W3 samples_per_s=<v> gflops=<v>".
//   w3_lstm [train_samples]   (default 3200 = 50 batches)
#include <cstdio>
#include <cstdlib>
#include <random>

#include <strata/strata.hpp>

#include "bench_common.hpp"
#include "strata/layers/recurrent.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 3200;
  const int64_t steps = 50, features = 32, units = 128;
  set_random_seed(0);
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> xs(static_cast<size_t>(n * steps * features));
  for (auto& v : xs) v = normal(rng);
  std::vector<int32_t> ys(static_cast<size_t>(n));
  for (auto& v : ys) v = static_cast<int32_t>(rng() % 10);
  Tensor x = Tensor::from_vector({n, steps, features}, xs), y = Tensor::from_vector({n}, ys);

  Sequential model({Input({steps, features}), LSTM({.units = units}), Dense(10)});
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true})});
  // Warm-up: creates every primitive and fills the memory pool.
  model.fit(x.slice_rows(0, 640), y.slice_rows(0, 640), {.batch_size = 64, .verbose = 0});
  const double t0 = bench::now_s();
  model.fit(x, y, {.batch_size = 64, .epochs = 1, .verbose = 0});
  const double rate = double(n) / (bench::now_s() - t0);
  // Forward per sample: 4 gates · 2·units·(features + units) per step; training ≈ 3× forward
  // (input and weight gradients each cost about one forward).
  const double fwd = double(steps) * 4 * 2 * units * (features + units) + 2.0 * units * 10;
  std::printf("strata W3 samples_per_s=%.0f gflops=%.1f\n", rate, rate * 3 * fwd / 1e9);
  return 0;
}
