// W5 of DESIGN.md: one Transformer encoder block — dim 128, 4 heads (key_dim 32), FFN 512,
// sequences of 64, post-norm residuals — then GlobalAveragePooling1D and Dense(10), Adam,
// batch 32; training samples/s on fixed random data.
// Prints one machine-readable line: "strata W5 samples_per_s=<v> gflops=<v>".
//   w5_transformer [train_samples]   (default 1600 = 50 batches)
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "random_training.hpp"
#include "strata/layers/multi_head_attention.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1600;
  const int64_t seq = 64, dim = 128, heads = 4, ffn = 512;
  set_random_seed(0);
  const auto [x, y] = bench::random_classification(n, Shape{seq, dim});

  SymbolicTensor in = Input({seq, dim});
  SymbolicTensor attended =
      MultiHeadAttention({.num_heads = heads, .key_dim = dim / heads})({in, in});
  SymbolicTensor h = LayerNormalization()(Add()({in, attended}));
  SymbolicTensor f = Dense(dim)(Dense({.units = ffn, .activation = "relu"})(h));
  h = LayerNormalization()(Add()({h, f}));
  Model model(in, Dense(10)(GlobalAveragePooling1D()(h)));
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true})});
  const double rate = bench::training_rate(model, x, y, /*batch=*/32, /*warmup=*/320);
  // Forward per sample: q/k/v/output projections 4·2·seq·dim², scores and weighted sum
  // 2·2·seq²·dim, FFN 2·2·seq·dim·ffn; training ≈ 3× forward.
  const double fwd = 8.0 * seq * dim * dim + 4.0 * seq * seq * dim + 4.0 * seq * dim * ffn;
  std::printf("strata W5 samples_per_s=%.0f gflops=%.1f\n", rate, rate * 3 * fwd / 1e9);
  return 0;
}
