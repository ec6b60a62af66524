// MultiHeadAttention: scaled dot-product attention with several heads, as Keras 3's
// keras.layers.MultiHeadAttention on rank-3 inputs (attention over axis 1). Called on
// {query, value} or {query, value, key} (key defaults to value): query (N, T, D_q), value
// (N, S, D_v), key (N, S, D_k). Each head projects query and key to key_dim and value to
// value_dim, attends with softmax(q·kᵀ / sqrt(key_dim)), and the heads' results are projected
// to output_shape (default D_q): the output is (N, T, output_shape). With
// return_attention_scores the layer has a second output, the attention probabilities
// (N, num_heads, T, S), taken before dropout as Keras returns them. A fourth graph input
// {query, value, key, attention_mask} carries Keras' attention_mask call argument (N, T, S) of
// 0/1, as a Keras Functional file passes it (model_from_config reads it so).
//
//   SymbolicTensor y = MultiHeadAttention({.num_heads = 4, .key_dim = 32})({x, x});
//   MultiHeadAttention mha({.num_heads = 2, .key_dim = 8, .return_attention_scores = true});
//   auto outs = mha.attend(q, v, Tensor(), mask, /*training=*/false);  // {output, scores}
//   auto both = call_symbolic(std::make_shared<MultiHeadAttention>(...), {q, v});  // 2 tensors
//
// Masks combine as Keras' _compute_attention_mask: the query's mask (hides whole query rows),
// the value's and the key's masks (hide keys), use_causal_mask (key j only for query i >= j)
// and an explicit attention_mask (N, T, S) of 0/1 (attend()); masked scores get -1e9 before the
// softmax, as Keras' Softmax layer. The output carries the query's mask. num_heads need not
// divide any dimension here (key_dim is explicit); only attention over axis 1 is supported and
// a config with other attention_axes is refused.
//
// Weights in Keras order: query/kernel (D_q, H, key_dim), query/bias (H, key_dim), key/...,
// value/kernel (D_v, H, value_dim), value/bias, attention_output/kernel (H, value_dim, out),
// attention_output/bias (out,) — named as tf.keras 2 scopes them, saved where Keras 3 does
// (SublayerVariables).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/layers/list_input_layer.hpp"
#include "strata/layers/sublayer_variables.hpp"

namespace strata {

struct MultiHeadAttentionOptions {
  int64_t num_heads = 0;
  int64_t key_dim = 0;
  int64_t value_dim = 0;      // 0 = key_dim
  float dropout = 0.f;        // on the attention probabilities, training only
  bool use_bias = true;
  int64_t output_shape = 0;   // 0 = the query's last dimension
  bool use_causal_mask = false;          // Keras' call argument, kept on the layer
  bool return_attention_scores = false;  // then a second output (N, heads, T, S)
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec bias_initializer = "zeros";
  uint64_t seed = 0;  // dropout seed (0 = draw from the global seed)
  std::string name;
};

class MultiHeadAttention : public ListInputLayer, public SublayerVariables {
  STRATA_LAYER(MultiHeadAttention)
 public:
  // Rebuilds the layer from a Keras config (tf.keras 2 or Keras 3 spelling).
  static std::shared_ptr<MultiHeadAttention> from_config(const nlohmann::json& config);
  explicit MultiHeadAttention(MultiHeadAttentionOptions o);
  const MultiHeadAttentionOptions& options() const { return o_; }

  // Eager calls on {query, value} or {query, value, key} return the first output.
  using ListInputLayer::operator();

  // The layer on query, value, optional key (undefined = value) and optional attention_mask
  // (N, T, S) of 0/1 (undefined = none), besides use_causal_mask. Builds on first use. Returns
  // {output} or {output, scores}.
  std::vector<Tensor> attend(const Tensor& query, const Tensor& value, const Tensor& key,
                             const Tensor& attention_mask, bool training);

  // Output shapes for {query, value[, key]} (batch -1); throws ValueError naming the layer.
  std::vector<Shape> output_shapes(const std::vector<Shape>& inputs) const;
  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;
  // masks: query (N, T), value (N, S), key (N, S), each optional.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  bool supports_masking() const override { return true; }
  // The query's mask on the output (none on the scores).
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  std::vector<SublayerGroup> keras3_sublayers() const override;

 protected:
  std::string list_message() const override;

 private:
  struct Projection {
    Tensor kernel, bias;
  };
  void build_all(const std::vector<Shape>& inputs);
  void check_inputs(const std::vector<Tensor>& inputs) const;
  std::vector<Tensor> run(const Tensor& query, const Tensor& value, const Tensor& key,
                          const std::vector<float>& keep, bool training);
  // x (N, L, D) projected to heads: (N, H, L, dim).
  Tensor project(const Tensor& x, const Projection& p, int64_t dim) const;

  MultiHeadAttentionOptions o_;
  uint64_t seed_;
  uint64_t offset_ = 0;
  std::vector<Shape> built_shapes_;  // query, value, key (batch -1)
  Projection query_, key_, value_, output_;
};

}  // namespace strata
