// W3 of DESIGN.md: LSTM(128) over sequences of 50 steps × 32 features, then Dense(10), Adam,
// batch 64; training samples/s on fixed random data (speed does not depend on the values).
// Prints one machine-readable line: "strata W3 samples_per_s=<v> gflops=<v>".
//   w3_lstm [train_samples]   (default 3200 = 50 batches)
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "random_training.hpp"
#include "strata/layers/recurrent.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 3200;
  const int64_t steps = 50, features = 32, units = 128;
  set_random_seed(0);
  const auto [x, y] = bench::random_classification(n, Shape{steps, features});

  Sequential model({Input({steps, features}), LSTM({.units = units}), Dense(10)});
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true})});
  const double rate = bench::training_rate(model, x, y, /*batch=*/64, /*warmup=*/640);
  // Forward per sample: 4 gates · 2·units·(features + units) per step; training ≈ 3× forward
  // (input and weight gradients each cost about one forward).
  const double fwd = double(steps) * 4 * 2 * units * (features + units) + 2.0 * units * 10;
  std::printf("strata W3 samples_per_s=%.0f gflops=%.1f\n", rate, rate * 3 * fwd / 1e9);
  return 0;
}
