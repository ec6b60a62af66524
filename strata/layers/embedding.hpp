// Embedding: maps integer token ids to dense vectors, as Keras. Weight "embeddings"
// (input_dim, output_dim); an int32/int64 input of shape (N, ...) gives a float32 output
// (N, ..., output_dim) whose rows are rows of the table. Ids outside [0, input_dim) are refused
// with a ValueError naming the id and its position. Trainable: the gradient scatter-adds the
// output gradient's rows into the table.
//
//   Sequential m({Input({5}, {.dtype = DType::int32}), Embedding(20, 4), Flatten(), Dense(2)});
//   Embedding({.input_dim = 1000, .output_dim = 64, .name = "tokens"})
// With mask_zero, id 0 is padding: the layer emits a mask (N, ...) that is 0 where the id is 0,
// which recurrent, attention and pooling layers downstream use to skip those steps (so the
// vocabulary's real ids start at 1, as in Keras).
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct EmbeddingOptions {
  int64_t input_dim = 0;   // vocabulary size: ids lie in [0, input_dim)
  int64_t output_dim = 0;  // width of each embedding vector
  InitializerSpec embeddings_initializer = "uniform";  // Keras: RandomUniform(-0.05, 0.05)
  bool mask_zero = false;  // id 0 is padding: emit a mask of the non-zero ids
  std::string name;
};

class Embedding : public Layer {
  STRATA_LAYER(Embedding)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Embedding> from_config(const nlohmann::json& config);
  explicit Embedding(EmbeddingOptions o);
  Embedding(int64_t input_dim, int64_t output_dim)
      : Embedding(EmbeddingOptions{input_dim, output_dim}) {}
  Shape compute_output_shape(const Shape& input_shape) const override;
  nlohmann::json get_config() const override;
  // mask_zero: 1 where the id is not 0 (shape of the ids); else no mask.
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  const EmbeddingOptions& options() const { return o_; }
  Tensor embeddings() const { return embeddings_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  EmbeddingOptions o_;
  Tensor embeddings_;
};

}  // namespace strata
