// PositionEmbedding: a learned embedding per sequence position, as keras_hub's
// PositionEmbedding. Weight "embeddings" (sequence_length, feature_dim); an input (N, T, D) with
// T <= sequence_length gives the first T rows broadcast to (N, T, D). The layer returns only the
// position embeddings — the caller adds them to the token embeddings, as in keras_hub:
//
//   SymbolicTensor tokens = Embedding(20000, 128)(ids);                    // (None, 64, 128)
//   SymbolicTensor x = Add()({tokens, PositionEmbedding(64)(tokens)});
//   PositionEmbedding({.sequence_length = 64, .initializer = "glorot_uniform"})
//
// Shorter sequences than the built one are accepted (T may vary up to sequence_length); the
// input's mask passes through unchanged.
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct PositionEmbeddingOptions {
  int64_t sequence_length = 0;  // the longest sequence the table covers
  InitializerSpec initializer = "glorot_uniform";
  std::string name;
};

class PositionEmbedding : public Layer {
  STRATA_LAYER(PositionEmbedding)
 public:
  // Rebuilds the layer from a keras_hub config (sequence_length, initializer).
  static std::shared_ptr<PositionEmbedding> from_config(const nlohmann::json& config);
  explicit PositionEmbedding(PositionEmbeddingOptions o);
  explicit PositionEmbedding(int64_t sequence_length)
      : PositionEmbedding(PositionEmbeddingOptions{sequence_length}) {}
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool supports_masking() const override { return true; }
  nlohmann::json get_config() const override;
  const PositionEmbeddingOptions& options() const { return o_; }
  Tensor embeddings() const { return embeddings_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  // Any T up to sequence_length, with the built feature width.
  void check_input(const Shape& shape) const override;

 private:
  PositionEmbeddingOptions o_;
  Tensor embeddings_;
};

}  // namespace strata
