#include "strata/layers/attention.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/attention_masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

// A scalar or vector weight viewed with leading 1s so it broadcasts against rank `rank`.
Tensor broadcastable(const Tensor& w, int rank) {
  Shape s;
  for (int d = 0; d < rank - 1; ++d) s.push_back(1);
  s.push_back(w.rank() == 0 ? 1 : w.dim(0));
  return ops::reshape(w, s);
}

}  // namespace

// ------------------------------------------------------------------ BaseDenseAttention

BaseDenseAttention::BaseDenseAttention(std::string class_name, std::string name, bool use_scale,
                                       float dropout, bool use_causal_mask, bool return_scores,
                                       uint64_t seed)
    : ListInputLayer(std::move(class_name), std::move(name)),
      use_scale_(use_scale),
      dropout_(dropout),
      use_causal_mask_(use_causal_mask),
      return_scores_(return_scores),
      seed_(seed ? seed : next_seed()) {
  if (!(dropout_ >= 0.f && dropout_ < 1.f))
    throw ValueError(label() + ": dropout must be in [0, 1), got " + std::to_string(dropout_));
}

std::string BaseDenseAttention::list_message() const {
  return label() + ": expects a list of inputs [query, value] or [query, value, key]";
}

std::vector<Shape> BaseDenseAttention::output_shapes(const std::vector<Shape>& inputs) const {
  if (inputs.size() != 2 && inputs.size() != 3) wrong_count(inputs.size());
  attention_masks::check_sequences(label(), inputs, "");
  const Shape& q = inputs[0];
  const Shape& v = inputs[1];
  const Shape& k = inputs.size() == 3 ? inputs[2] : inputs[1];
  if (q[2] >= 0 && k[2] >= 0 && q[2] != k[2])
    throw ValueError(label() + ": query and key must have the same feature dimension, got " +
                     attention_masks::named_shapes(inputs));
  if (v[1] >= 0 && k[1] >= 0 && v[1] != k[1])
    throw ValueError(label() + ": value and key must have the same number of steps, got " +
                     attention_masks::named_shapes(inputs));
  std::vector<Shape> out{Shape{-1, q[1], v[2]}};
  if (return_scores_) out.push_back(Shape{-1, q[1], v[1]});
  return out;
}

std::vector<Shape> BaseDenseAttention::build_for(const std::vector<Shape>& inputs) {
  auto out = output_shapes(inputs);  // validates with the given shapes, batch included
  std::vector<Shape> shapes = inputs;
  for (auto& s : shapes) s[0] = -1;
  if (!built()) {
    for (const Shape& s : shapes)
      if (s[2] < 0)
        throw ValueError(label() + ": feature dimensions must be known to build, got " +
                         attention_masks::named_shapes(shapes));
    build_scores(shapes);
    built_shapes_ = shapes;
    mark_built_for(shapes, out[0]);
    return out;
  }
  attention_masks::check_features(label(), built_shapes_, shapes);
  return out;
}

std::vector<Tensor> BaseDenseAttention::call_masked(const std::vector<Tensor>& inputs,
                                                    const std::vector<Tensor>& masks,
                                                    bool training) {
  if (inputs.size() != 2 && inputs.size() != 3) wrong_count(inputs.size());
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw ValueError(label() + ": the " + attention_masks::input_role(i) + " input is undefined");
    shapes.push_back(inputs[i].shape());
  }
  build_for(shapes);
  const Tensor& q = inputs[0];
  const Tensor& v = inputs[1];
  const Tensor& k = inputs.size() == 3 ? inputs[2] : inputs[1];
  const int64_t n = q.dim(0), tq = q.dim(1), tv = v.dim(1);
  const Tensor q_mask = !masks.empty() ? masks[0] : Tensor();
  const Tensor v_mask = masks.size() > 1 ? masks[1] : Tensor();
  if (q_mask.defined()) attention_masks::check_sequence_mask(label(), "query mask", q_mask, n, tq);
  attention_masks::Parts parts{.value_mask = v_mask, .causal = use_causal_mask_};
  const auto keep = attention_masks::combine(label(), parts, n, tq, tv);

  Tensor s = scores(q, k);
  if (!keep.empty()) s = ops::add(s, attention_masks::adder(keep, Shape{n, tq, tv}, s.backend()));
  Tensor weights = ops::softmax(s, -1);
  if (training && dropout_ > 0.f) {
    weights = ops::dropout(weights, dropout_, seed_, offset_);
    offset_ += static_cast<uint64_t>(weights.numel());
  }
  Tensor result = ops::matmul(weights, v);
  if (q_mask.defined())
    result = ops::mul(result, attention_masks::binary(q_mask, Shape{n, tq, 1}, result.backend()));
  if (return_scores_) return {result, weights};
  return {result};
}

std::vector<Tensor> BaseDenseAttention::call_on(const std::vector<Tensor>& inputs, bool training) {
  return call_masked(inputs, {}, training);
}

std::vector<Tensor> BaseDenseAttention::compute_mask(const std::vector<Tensor>& /*inputs*/,
                                                     const std::vector<Tensor>& masks) const {
  return attention_masks::query_mask_outputs(masks, return_scores_);
}

nlohmann::json BaseDenseAttention::get_config() const {
  auto c = Layer::get_config();
  c["use_scale"] = use_scale_;
  c["dropout"] = config_number(dropout_);
  // tf.keras 2.4-2.10 took causal as a constructor argument (later versions still accept it);
  // return_attention_scores has no Keras config key and is written only when set.
  if (use_causal_mask_) c["causal"] = true;
  if (return_scores_) c["return_attention_scores"] = true;
  return c;
}

namespace {

struct CommonArgs {
  float dropout;
  bool causal, return_scores;
  uint64_t seed;
};

CommonArgs common_args(const ConfigReader& r) {
  return {r.get_or<float>("dropout", 0.f),
          r.get_or<bool>("use_causal_mask", false, {"causal"}),
          r.get_or<bool>("return_attention_scores", false), r.get_or<uint64_t>("seed", 0)};
}

}  // namespace

// ------------------------------------------------------------------ Attention

Attention::Attention(AttentionOptions o)
    : BaseDenseAttention("Attention", o.name, o.use_scale, o.dropout, o.use_causal_mask,
                         o.return_attention_scores, o.seed),
      score_mode_(o.score_mode) {
  if (score_mode_ != "dot" && score_mode_ != "concat")
    throw ValueError(label() + ": score_mode must be \"dot\" or \"concat\", got \"" +
                     score_mode_ + "\"");
}

void Attention::build_scores(const std::vector<Shape>&) {
  if (use_scale()) scale_ = add_weight("scale", Shape{}, "ones");
  if (score_mode_ == "concat") concat_score_weight_ = add_weight("concat_score_weight", Shape{}, "ones");
}

Tensor Attention::scores(const Tensor& q, const Tensor& k) const {
  if (score_mode_ == "dot") {
    Tensor s = ops::matmul(q, k, false, true);
    return scale_.defined() ? ops::mul(s, broadcastable(scale_, 3)) : s;
  }
  // (N, Tq, 1, dim) + (N, 1, Tv, dim) -> (N, Tq, Tv, dim)
  Tensor sum = ops::add(ops::reshape(q, Shape{q.dim(0), q.dim(1), 1, q.dim(2)}),
                        ops::reshape(k, Shape{k.dim(0), 1, k.dim(1), k.dim(2)}));
  if (scale_.defined()) sum = ops::mul(broadcastable(scale_, 4), sum);
  return ops::mul(broadcastable(concat_score_weight_, 3), ops::sum(ops::tanh(sum), {-1}));
}

nlohmann::json Attention::get_config() const {
  auto c = BaseDenseAttention::get_config();
  c["score_mode"] = score_mode_;
  return c;
}

std::shared_ptr<Attention> Attention::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Attention");
  const auto a = common_args(r);
  AttentionOptions o{.use_scale = r.get_or<bool>("use_scale", false),
                     .score_mode = r.get_or<std::string>("score_mode", "dot"),
                     .dropout = a.dropout,
                     .use_causal_mask = a.causal,
                     .return_attention_scores = a.return_scores,
                     .seed = a.seed,
                     .name = r.name()};
  auto layer = std::make_shared<Attention>(std::move(o));
  layer->set_trainable(r.trainable());
  return layer;
}

// ------------------------------------------------------------------ AdditiveAttention

AdditiveAttention::AdditiveAttention(AdditiveAttentionOptions o)
    : BaseDenseAttention("AdditiveAttention", o.name, o.use_scale, o.dropout, o.use_causal_mask,
                         o.return_attention_scores, o.seed) {}

void AdditiveAttention::build_scores(const std::vector<Shape>& inputs) {
  if (use_scale()) scale_ = add_weight("scale", Shape{inputs[0][2]}, "glorot_uniform");
}

Tensor AdditiveAttention::scores(const Tensor& q, const Tensor& k) const {
  Tensor t = ops::tanh(ops::add(ops::reshape(q, Shape{q.dim(0), q.dim(1), 1, q.dim(2)}),
                                ops::reshape(k, Shape{k.dim(0), 1, k.dim(1), k.dim(2)})));
  if (scale_.defined()) t = ops::mul(broadcastable(scale_, 4), t);
  return ops::sum(t, {-1});
}

std::shared_ptr<AdditiveAttention> AdditiveAttention::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "AdditiveAttention");
  const auto a = common_args(r);
  AdditiveAttentionOptions o{.use_scale = r.get_or<bool>("use_scale", true),
                             .dropout = a.dropout,
                             .use_causal_mask = a.causal,
                             .return_attention_scores = a.return_scores,
                             .seed = a.seed,
                             .name = r.name()};
  auto layer = std::make_shared<AdditiveAttention>(std::move(o));
  layer->set_trainable(r.trainable());
  return layer;
}

}  // namespace strata
