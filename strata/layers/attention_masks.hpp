// Masks for the attention layers (MultiHeadAttention, Attention, AdditiveAttention), built on the
// host because they never need gradients: sequence masks (N, L) from Embedding(mask_zero) or
// Masking, an explicit attention mask (N, T, S) and the causal mask combine into one 0/1 keep
// mask over (N, T, S), as Keras' MultiHeadAttention._compute_attention_mask (logical AND; any
// nonzero value counts as true, as Keras' cast to bool).
//
//   attention_masks::Parts p{.value_mask = vm, .causal = true};
//   auto keep = attention_masks::combine(label(), p, n, t, s);   // empty: nothing masked
//   scores = ops::add(scores, attention_masks::adder(keep, Shape{n, 1, t, s}, scores.backend()));
#pragma once

#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata::attention_masks {

// Keras' Softmax(mask) and Attention._apply_scores add this to masked scores (float32).
inline constexpr float kLargeNegative = -1e9f;

struct Parts {
  Tensor query_mask;      // (N, T) or undefined
  Tensor value_mask;      // (N, S) or undefined
  Tensor key_mask;        // (N, S) or undefined
  Tensor attention_mask;  // (N, T, S) or undefined
  bool causal = false;    // key j visible from query i only when j <= i
};

// Throws ValueError naming `who` unless `mask` is (n, len) — `what` says which mask it is.
void check_sequence_mask(const std::string& who, const char* what, const Tensor& mask, int64_t n,
                         int64_t len);

// The AND of every defined part as N·T·S floats of 0/1, row-major; empty when no part is
// defined (nothing is masked). Checks each part's shape, throwing ValueError naming `who`.
std::vector<float> combine(const std::string& who, const Parts& parts, int64_t n, int64_t t,
                           int64_t s);

// kLargeNegative where keep is 0, else 0, as a tensor of `shape` (keep.size() elements).
Tensor adder(const std::vector<float>& keep, const Shape& shape, Backend& backend);

// 1 where `mask` (N, L) is nonzero, else 0, reshaped to `shape` (N·L elements) — for zeroing
// masked query rows.
Tensor binary(const Tensor& mask, const Shape& shape, Backend& backend);

// "query (None, 4, 8), value (None, 5, 8)": an attention layer's input shapes with their roles
// (query, value, key, attention_mask), for messages.
std::string named_shapes(const std::vector<Shape>& shapes);
// Throws ValueError naming `who` unless every input is (batch, steps, features) with at least
// one step and one feature and the known batch sizes agree; `rank_note` ends the rank message.
void check_sequences(const std::string& who, const std::vector<Shape>& inputs,
                     const char* rank_note);
// Throws ValueError naming `who` unless `got` has as many inputs as `built` with the same
// feature (last) dimensions: steps may change between calls of a built attention layer.
void check_features(const std::string& who, const std::vector<Shape>& built,
                    const std::vector<Shape>& got);
// "query", "value", "key", "attention_mask" for input i (0..3).
const char* input_role(size_t i);

// An attention layer's output masks: the query's mask on the output, none on the scores.
std::vector<Tensor> query_mask_outputs(const std::vector<Tensor>& masks, bool with_scores);

}  // namespace strata::attention_masks
