// W2 and W4 of DESIGN.md: Keras' mnist_cnn (Conv32-Conv64-MaxPool-Dropout-Dense128-Dropout-
// Dense10) on Fashion-MNIST — training samples/s at batch 128 (W2) and predict samples/s at
// batch 256 (W4). Prints machine-readable lines:
//   "strata W2 samples_per_s=<v> gflops=<v>" and "strata W4 samples_per_s=<v>".
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "bench_common.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int64_t train_samples = argc > 1 ? std::atoll(argv[1]) : 12800;
  set_random_seed(0);
  auto [train, test] = datasets::fashion_mnist::load();
  Sequential model({Input({28, 28, 1}),
                    Conv2D({.filters = 32, .kernel_size = 3, .activation = "relu"}),
                    Conv2D({.filters = 64, .kernel_size = 3, .activation = "relu"}),
                    MaxPooling2D({.pool_size = 2}), Dropout(0.25), Flatten(),
                    Dense({.units = 128, .activation = "relu"}), Dropout(0.5), Dense(10)});
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true})});
  Tensor x = train.x.slice_rows(0, train_samples), y = train.y.slice_rows(0, train_samples);
  // Warm-up: creates every primitive and fills the memory pool.
  model.fit(x.slice_rows(0, 1280), y.slice_rows(0, 1280), {.batch_size = 128, .verbose = 0});
  double t0 = bench::now_s();
  model.fit(x, y, {.batch_size = 128, .epochs = 1, .verbose = 0});
  const double train_rate = double(train_samples) / (bench::now_s() - t0);
  // Forward MACs per sample: conv1 26·26·32·9, conv2 24·24·64·9·32, dense 9216·128 + 128·10.
  // Training = forward + weight gradients (same) + input gradients of all but conv1.
  const double conv1 = 2.0 * 26 * 26 * 32 * 9, conv2 = 2.0 * 24 * 24 * 64 * 9 * 32;
  const double dense = 2.0 * (9216 * 128 + 128 * 10);
  const double flops = 2 * (conv1 + conv2 + dense) + conv2 + dense;
  std::printf("strata W2 samples_per_s=%.0f gflops=%.1f\n", train_rate, train_rate * flops / 1e9);

  model.predict(test.x.slice_rows(0, 512), {.batch_size = 256});
  t0 = bench::now_s();
  model.predict(test.x, {.batch_size = 256});
  std::printf("strata W4 samples_per_s=%.0f\n", double(test.x.dim(0)) / (bench::now_s() - t0));
  return 0;
}
