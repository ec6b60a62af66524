// Attention (Luong, dot-product) and AdditiveAttention (Bahdanau), as Keras 3's
// keras.layers.Attention / AdditiveAttention. Called on {query, value} or {query, value, key}
// (key defaults to value): query (N, Tq, dim), value (N, Tv, dim_v), key (N, Tv, dim). The
// scores (N, Tq, Tv) are
//   Attention "dot":    q·kᵀ, times the scalar weight "scale" with use_scale
//   Attention "concat": concat_score_weight · Σ tanh(scale · (q + k)) over dim (scale if use_scale)
//   AdditiveAttention:  Σ scale · tanh(q + k) over dim ("scale" (dim,) with use_scale)
// then softmax over Tv (dropout on it when training), times value: the output is (N, Tq, dim_v).
// With return_attention_scores the softmax result (after dropout, as Keras) is a second output.
//
//   SymbolicTensor y = Attention()({q, v});
//   AdditiveAttention({.use_causal_mask = true})({q, v, k});
//   Attention({.score_mode = "concat", .return_attention_scores = true})  // 2 outputs
//
// Masks as Keras: the value's mask hides keys (-1e9 added to their scores), use_causal_mask
// hides keys j > i from query i, and the query's mask zeroes the output rows of masked query
// steps and is passed on as the output's mask. The key's mask is ignored (Keras ignores it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/layers/list_input_layer.hpp"

namespace strata {

struct AttentionOptions {
  bool use_scale = false;
  std::string score_mode = "dot";  // "dot" or "concat"
  float dropout = 0.f;             // on the attention distribution, training only
  bool use_causal_mask = false;          // Keras' call argument, kept on the layer
  bool return_attention_scores = false;  // then a second output (N, Tq, Tv)
  uint64_t seed = 0;                     // dropout seed (0 = draw from the global seed)
  std::string name;
};

struct AdditiveAttentionOptions {
  bool use_scale = true;
  float dropout = 0.f;
  bool use_causal_mask = false;
  bool return_attention_scores = false;
  uint64_t seed = 0;
  std::string name;
};

// What Attention and AdditiveAttention share (Keras 2's BaseDenseAttention): inputs, masks,
// softmax, dropout, outputs and config keys; subclasses compute the scores.
class BaseDenseAttention : public ListInputLayer {
 public:
  float dropout() const { return dropout_; }
  bool use_scale() const { return use_scale_; }
  bool use_causal_mask() const { return use_causal_mask_; }
  bool return_attention_scores() const { return return_scores_; }

  // Eager calls on {query, value} or {query, value, key} return the first output.
  using ListInputLayer::operator();

  // Output shapes for {query, value[, key]} (batch -1); throws ValueError naming the layer.
  std::vector<Shape> output_shapes(const std::vector<Shape>& inputs) const;
  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;
  // masks: query (N, Tq), value (N, Tv), key (ignored), each optional.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  bool supports_masking() const override { return true; }
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;

 protected:
  BaseDenseAttention(std::string class_name, std::string name, bool use_scale, float dropout,
                     bool use_causal_mask, bool return_scores, uint64_t seed);
  // Creates the weights for the validated input shapes (batch -1).
  virtual void build_scores(const std::vector<Shape>& inputs) = 0;
  // (N, Tq, Tv) scores of query (N, Tq, dim) against key (N, Tv, dim).
  virtual Tensor scores(const Tensor& query, const Tensor& key) const = 0;
  std::string list_message() const override;

 private:

  bool use_scale_;
  float dropout_;
  bool use_causal_mask_;
  bool return_scores_;
  uint64_t seed_;
  uint64_t offset_ = 0;
  std::vector<Shape> built_shapes_;
};

class Attention : public BaseDenseAttention {
  STRATA_LAYER(Attention)
 public:
  // Rebuilds the layer from a Keras config (tf.keras 2 or Keras 3 spelling; "causal" of
  // tf.keras 2.4-2.10 reads as use_causal_mask).
  static std::shared_ptr<Attention> from_config(const nlohmann::json& config);
  explicit Attention(AttentionOptions o = {});
  const std::string& score_mode() const { return score_mode_; }
  Tensor scale() const { return scale_; }  // undefined without use_scale
  Tensor concat_score_weight() const { return concat_score_weight_; }  // "concat" only
  nlohmann::json get_config() const override;

 protected:
  void build_scores(const std::vector<Shape>& inputs) override;
  Tensor scores(const Tensor& query, const Tensor& key) const override;

 private:
  std::string score_mode_;
  Tensor scale_, concat_score_weight_;
};

class AdditiveAttention : public BaseDenseAttention {
  STRATA_LAYER(AdditiveAttention)
 public:
  static std::shared_ptr<AdditiveAttention> from_config(const nlohmann::json& config);
  explicit AdditiveAttention(AdditiveAttentionOptions o = {});
  Tensor scale() const { return scale_; }  // (dim,); undefined without use_scale

 protected:
  void build_scores(const std::vector<Shape>& inputs) override;
  Tensor scores(const Tensor& query, const Tensor& key) const override;

 private:
  Tensor scale_;
};

}  // namespace strata
