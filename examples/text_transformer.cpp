// Sentiment of raw text with one Transformer encoder block: strings -> TextVectorization ->
// token Embedding + PositionEmbedding (Add) -> MultiHeadAttention self-attention -> residual +
// LayerNormalization -> feed-forward (Dense relu, Dense) -> residual + LayerNormalization ->
// GlobalAveragePooling1D -> Dense. Trains on the synthetic reviews of
// strata/datasets/synthetic_text.hpp ("the plot was good but the acting was not great": the
// clause after "but" decides, "not"/"never" flip it), where word order matters, and prints the
// test accuracy (chance is 0.5).
//   text_transformer [epochs]
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "strata/datasets/synthetic_text.hpp"
#include "strata/layers/multi_head_attention.hpp"
#include "strata/layers/position_embedding.hpp"
#include "strata/preprocessing/text_vectorization.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 15;
  const int64_t seq = 16, dim = 32;
  set_random_seed(42);
  const auto train = datasets::synthetic_text::reviews(4000, /*seed=*/1);
  const auto test = datasets::synthetic_text::reviews(1000, /*seed=*/2);

  TextVectorization vectorize({.max_tokens = 1000, .output_sequence_length = seq});
  vectorize.adapt(train.texts);
  const Tensor x_train = vectorize(train.texts), x_test = vectorize(test.texts);

  SymbolicTensor ids = Input({seq}, {.name = "token_ids", .dtype = DType::int32});
  SymbolicTensor tokens = Embedding(vectorize.vocabulary_size(), dim)(ids);
  SymbolicTensor x = Add()({tokens, PositionEmbedding(seq)(tokens)});
  // Encoder block (post-norm, as the original Transformer and Keras' text-classification example).
  SymbolicTensor attended = MultiHeadAttention({.num_heads = 2, .key_dim = 16})({x, x});
  x = LayerNormalization()(Add()({x, attended}));
  SymbolicTensor ffn = Dense(dim)(Dense({.units = 64, .activation = "relu"})(x));
  x = LayerNormalization()(Add()({x, ffn}));
  SymbolicTensor out = Dense(2, "softmax")(GlobalAveragePooling1D()(x));
  Model model(ids, out, "text_transformer");
  model.summary();

  model.compile({.optimizer = Adam({.learning_rate = 2e-3}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(x_train, train.y(), {.batch_size = 64, .epochs = epochs, .verbose = 2,
                                 .validation_data = {x_test, test.y()}});
  std::printf("Test accuracy: %.4f\n", model.evaluate(x_test, test.y(), {.verbose = 0})["accuracy"]);
}
