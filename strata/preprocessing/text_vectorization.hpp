// TextVectorization: turns host strings into padded int32 token ids, as Keras'
// TextVectorization(output_mode="int") does. Strata tensors have no string dtype, so this is a
// host-side tokenizer that runs before the model rather than a layer inside it: adapt() builds
// the vocabulary from sample texts, and calling it maps texts to an (N, L) int32 tensor ready for
// an Embedding.
//
//   TextVectorization tv({.max_tokens = 20000, .output_sequence_length = 64});
//   tv.adapt(train_texts);                   // std::vector<std::string>
//   Tensor ids = tv(test_texts);             // (N, 64) int32; 0 = padding, 1 = "[UNK]"
//   tv.save_vocabulary("vocab.txt");         // one token per line, like Keras' vocabulary asset
//
// Keras' rules: standardize (lowercase and/or strip the punctuation of DEFAULT_STRIP_REGEX), then
// split (on whitespace runs, or into UTF-8 characters). The vocabulary is "" (index 0, padding),
// "[UNK]" (1, every unknown token), then the adapted tokens by descending count, ties broken by
// descending byte order of the token (Keras' np.lexsort((tokens, counts))[::-1]), cut to
// max_tokens entries. Sequences are truncated or zero-padded at the end to output_sequence_length
// (0 = the longest in the call). Keras returns int64; int32 is what Strata's Embedding prefers.
//
// Lowercasing touches ASCII letters only (as tf.strings.lower without an encoding); other UTF-8
// bytes pass through unchanged, and "character" split keeps multi-byte characters whole and, as
// tf.strings.unicode_split, turns each malformed UTF-8 sequence into one U+FFFD token.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata {

struct TextVectorizationOptions {
  int64_t max_tokens = 0;  // vocabulary size including "" and "[UNK]"; 0 = unlimited, else >= 2
  // "lower_and_strip_punctuation", "lower", "strip_punctuation" or "none".
  std::string standardize = "lower_and_strip_punctuation";
  std::string split = "whitespace";  // "whitespace" or "character"
  int64_t output_sequence_length = 0;  // 0 = pad to the longest sequence of each call
  std::string name;
};

class TextVectorization {
 public:
  explicit TextVectorization(TextVectorizationOptions o = {});

  // Builds the vocabulary from `texts`, replacing any earlier one.
  void adapt(const std::vector<std::string>& texts);
  // (N, L) int32 token ids. Throws ValueError before adapt() / set_vocabulary().
  Tensor operator()(const std::vector<std::string>& texts) const;

  // The standardized tokens of one text, before lookup.
  std::vector<std::string> tokenize(const std::string& text) const;

  // The whole vocabulary, "" and "[UNK]" first.
  std::vector<std::string> get_vocabulary() const;
  // Accepts a list that starts with "" and "[UNK]" (as get_vocabulary returns) or one without
  // them (they are added). Refuses an empty list, repeated tokens, "" past index 0 and a list
  // longer than max_tokens.
  void set_vocabulary(const std::vector<std::string>& vocabulary);
  int64_t vocabulary_size() const;
  bool adapted() const { return !vocab_.empty(); }

  // One token per line, "" and "[UNK]" included, lines joined by '\n' (Keras' vocabulary.txt).
  // Throws ValueError for a token holding a line break, IOError when the file cannot be written.
  void save_vocabulary(const std::string& path) const;
  // Reads a file written by save_vocabulary (or Keras); trailing empty lines are ignored.
  void load_vocabulary(const std::string& path);

  const TextVectorizationOptions& options() const { return o_; }
  // "TextVectorization 'text_vectorization'": how error messages name this tokenizer.
  std::string label() const;

 private:
  std::string standardize_text(const std::string& text) const;
  void require_vocabulary(const char* what) const;

  TextVectorizationOptions o_;
  std::string name_;
  std::vector<std::string> vocab_;                      // index -> token
  std::unordered_map<std::string, int32_t> index_;  // token -> index
};

}  // namespace strata
