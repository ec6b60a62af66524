// W1 of DESIGN.md: MLP 784-512-512-10, Adam, batch 128, on Fashion-MNIST; training samples/s.
// Prints one machine-readable line: "strata W1 samples_per_s=<v> gflops=<v> peak_gflops=<v>".
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "bench_common.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;
  set_random_seed(0);
  auto [train, test] = datasets::fashion_mnist::load();
  Sequential model({Input({28, 28, 1}), Flatten(), Dense({.units = 512, .activation = "relu"}),
                    Dense({.units = 512, .activation = "relu"}), Dense(10)});
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true})});
  // One warm-up epoch creates every primitive and fills the memory pool.
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = 1, .verbose = 0});
  const double t0 = bench::now_s();
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = epochs, .verbose = 0});
  const double secs = bench::now_s() - t0;
  const double samples = double(train.x.dim(0)) * epochs;
  // Forward 2·Σ(in·out); backward the same for weight gradients plus input gradients of every
  // layer but the first (the data needs none).
  const double fwd = 2.0 * (784 * 512 + 512 * 512 + 512 * 10);
  const double flops = 2 * fwd + 2.0 * (512 * 512 + 512 * 10);
  const double rate = samples / secs;
  std::printf("strata W1 samples_per_s=%.0f gflops=%.1f peak_gflops=%.1f\n", rate,
              rate * flops / 1e9, bench::fma_peak_gflops());
  return 0;
}
