// Sentiment of raw text with a bidirectional LSTM: strings -> TextVectorization -> Embedding
// (mask_zero, so padding is skipped) -> Bidirectional(LSTM) -> Dense. Trains on the synthetic
// reviews of strata/datasets/synthetic_text.hpp — short sentences such as "the plot was good but
// the acting was not great", labelled by the clause after "but" with "not"/"never" flipping it,
// so word order matters and a bag of words cannot solve it (a bag-of-words baseline is trained
// first for comparison). Prints the test accuracy (chance is 0.5), saves the model as a Keras 3
// archive and the vocabulary as a Keras-style asset, and reloads both to classify new sentences.
//   text_bilstm [epochs]
#include <cstdio>
#include <cstdlib>

#include <strata/strata.hpp>

#include "strata/datasets/synthetic_text.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/preprocessing/text_vectorization.hpp"

using namespace strata;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 6;
  set_random_seed(42);
  const auto train = datasets::synthetic_text::reviews(4000, /*seed=*/1);
  const auto test = datasets::synthetic_text::reviews(1000, /*seed=*/2);
  std::printf("e.g. \"%s\" -> %d\n", train.texts[0].c_str(), train.labels[0]);

  // The vocabulary comes from the training texts only; unseen words map to "[UNK]" (1).
  TextVectorization vectorize({.max_tokens = 1000, .output_sequence_length = 16});
  vectorize.adapt(train.texts);
  const Tensor x_train = vectorize(train.texts), x_test = vectorize(test.texts);
  std::printf("vocabulary: %lld tokens\n", static_cast<long long>(vectorize.vocabulary_size()));

  // Baseline: a bag of words (the mean of the token embeddings, order lost) and an MLP.
  {
    SymbolicTensor in = Input({16}, {.dtype = DType::int32});
    SymbolicTensor bag = GlobalAveragePooling1D()(Embedding(
        {.input_dim = vectorize.vocabulary_size(), .output_dim = 32, .mask_zero = true})(in));
    Model baseline(in, Dense(2, "softmax")(Dense({.units = 64, .activation = "relu"})(bag)));
    baseline.compile({.optimizer = Adam({.learning_rate = 3e-3}),
                      .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    baseline.fit(x_train, train.y(), {.batch_size = 64, .epochs = 10, .verbose = 0});
    std::printf("Bag-of-words baseline test accuracy: %.4f\n",
                baseline.evaluate(x_test, test.y(), {.verbose = 0})["accuracy"]);
  }

  SymbolicTensor ids = Input({16}, {.name = "token_ids", .dtype = DType::int32});
  SymbolicTensor x = Embedding({.input_dim = vectorize.vocabulary_size(), .output_dim = 32,
                                .mask_zero = true})(ids);
  x = Bidirectional(LSTM({.units = 32}))(x);
  Model model(ids, Dense({.units = 2, .activation = "softmax"})(x), "text_bilstm");
  model.summary();
  model.compile({.optimizer = Adam({.learning_rate = 3e-3}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(x_train, train.y(), {.batch_size = 64, .epochs = epochs, .verbose = 2,
                                 .validation_data = {x_test, test.y()}});
  std::printf("Test accuracy: %.4f\n", model.evaluate(x_test, test.y(), {.verbose = 0})["accuracy"]);
  save_model(model, "text_bilstm.keras");
  vectorize.save_vocabulary("text_bilstm_vocabulary.txt");
  std::printf("Saved text_bilstm.keras and text_bilstm_vocabulary.txt\n");

  // Serving: the archive and the vocabulary file rebuild the whole pipeline.
  auto reloaded = load_model("text_bilstm.keras");
  TextVectorization serving({.output_sequence_length = 16});
  serving.load_vocabulary("text_bilstm_vocabulary.txt");
  const std::vector<std::string> reviews{"the acting was not bad",
                                         "the plot was fun but the ending was dull"};
  const auto probs = reloaded->predict(serving(reviews)).to_vector();
  for (size_t i = 0; i < reviews.size(); ++i)
    std::printf("\"%s\": positive with p=%.3f\n", reviews[i].c_str(), probs[2 * i + 1]);
}
