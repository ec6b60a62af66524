#include "strata/layers/multi_head_attention.hpp"

#include <algorithm>
#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/attention_masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

nlohmann::json shape_json(const Shape& s) {
  auto j = nlohmann::json::array();
  for (int d = 0; d < s.rank(); ++d) j.push_back(s[d] < 0 ? nlohmann::json(nullptr) : nlohmann::json(s[d]));
  return j;
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(MultiHeadAttentionOptions o)
    : ListInputLayer("MultiHeadAttention", o.name),
      o_(std::move(o)),
      seed_(o_.seed ? o_.seed : next_seed()) {
  if (o_.num_heads <= 0)
    throw ValueError(label() + ": num_heads must be a positive integer, got " +
                     std::to_string(o_.num_heads));
  if (o_.key_dim <= 0)
    throw ValueError(label() + ": key_dim must be a positive integer, got " +
                     std::to_string(o_.key_dim));
  if (o_.value_dim < 0)
    throw ValueError(label() + ": value_dim must be positive (or 0 for key_dim), got " +
                     std::to_string(o_.value_dim));
  if (o_.output_shape < 0)
    throw ValueError(label() + ": output_shape must be positive (or 0 for the query's last "
                     "dimension), got " + std::to_string(o_.output_shape));
  if (!(o_.dropout >= 0.f && o_.dropout < 1.f))
    throw ValueError(label() + ": dropout must be in [0, 1), got " + std::to_string(o_.dropout));
  if (o_.value_dim == 0) o_.value_dim = o_.key_dim;
}

std::string MultiHeadAttention::list_message() const {
  return label() + ": expects a list of inputs [query, value], [query, value, key] or "
                   "[query, value, key, attention_mask]";
}

std::vector<Shape> MultiHeadAttention::output_shapes(const std::vector<Shape>& all) const {
  if (all.size() < 2 || all.size() > 4) wrong_count(all.size());
  // A Keras file's attention_mask call argument arrives as a fourth graph input (N, T, S).
  const std::vector<Shape> inputs(all.begin(), all.begin() + std::min<size_t>(all.size(), 3));
  if (all.size() == 4) {
    const Shape& m = all[3];
    const Shape want{-1, inputs[0].rank() > 1 ? inputs[0][1] : -1, inputs[1].rank() > 1 ? inputs[1][1] : -1};
    bool ok = m.rank() == 3;
    for (int d = 1; ok && d < 3; ++d) ok = m[d] < 0 || want[d] < 0 || m[d] == want[d];
    if (!ok)
      throw ValueError(label() + ": the attention_mask input must be (batch, query steps, value "
                       "steps) = " + want.str() + ", got " + m.str());
  }
  attention_masks::check_sequences(label(), inputs, "; attention runs over axis 1 only");
  if (inputs.size() == 3 && inputs[1][1] >= 0 && inputs[2][1] >= 0 && inputs[1][1] != inputs[2][1])
    throw ValueError(label() + ": value and key must have the same number of steps (all "
                     "dimensions but the last equal, as Keras), got " +
                     attention_masks::named_shapes(inputs));
  const Shape& q = inputs[0];
  std::vector<Shape> out{Shape{-1, q[1], o_.output_shape ? o_.output_shape : q[2]}};
  if (o_.return_attention_scores) out.push_back(Shape{-1, o_.num_heads, q[1], inputs[1][1]});
  return out;
}

std::vector<Shape> MultiHeadAttention::build_for(const std::vector<Shape>& inputs) {
  auto out = output_shapes(inputs);  // validates with the given shapes, batch included
  // The weights depend on query, value and key only, never on an attention_mask input.
  std::vector<Shape> shapes(inputs.begin(), inputs.begin() + std::min<size_t>(inputs.size(), 3));
  for (auto& s : shapes) s[0] = -1;
  for (const Shape& s : shapes)
    for (int d = 1; d < 3; ++d)
      if (s[d] < 0)
        throw ValueError(label() + ": input dimensions must be known to build, got " +
                         attention_masks::named_shapes(shapes));
  if (!built()) {
    build_all(shapes);
    return out;
  }
  // Steps may change between calls; features and the presence of a separate key may not.
  attention_masks::check_features(label(), built_shapes_, shapes);
  return out;
}

void MultiHeadAttention::build_all(const std::vector<Shape>& shapes) {
  const int64_t h = o_.num_heads, k = o_.key_dim, v = o_.value_dim;
  const int64_t dq = shapes[0][2], dv = shapes[1][2];
  const int64_t dk = shapes.size() == 3 ? shapes[2][2] : dv;
  const int64_t out = o_.output_shape ? o_.output_shape : dq;
  auto make = [&](const std::string& scope, const Shape& kernel, const Shape& bias) {
    // A config's num_heads / key_dim multiply into the kernel size: refuse sizes that overflow
    // int64 rather than build a tensor whose element count has wrapped around.
    int64_t elements = 1;
    for (int64_t d : kernel)
      if (__builtin_mul_overflow(elements, d, &elements))
        throw ValueError(label() + ": the " + scope + " kernel " + kernel.str() +
                         " is too large (num_heads=" + std::to_string(h) + ", key_dim=" +
                         std::to_string(k) + ", value_dim=" + std::to_string(v) + ")");
    Projection p;
    p.kernel = add_weight(scope + "/kernel", kernel, o_.kernel_initializer);
    if (o_.use_bias) p.bias = add_weight(scope + "/bias", bias, o_.bias_initializer);
    return p;
  };
  query_ = make("query", Shape{dq, h, k}, Shape{h, k});
  key_ = make("key", Shape{dk, h, k}, Shape{h, k});
  value_ = make("value", Shape{dv, h, v}, Shape{h, v});
  output_ = make("attention_output", Shape{h, v, out}, Shape{out});
  built_shapes_ = shapes;
  mark_built_for(shapes, output_shapes(shapes)[0]);
}

void MultiHeadAttention::check_inputs(const std::vector<Tensor>& inputs) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined())
      throw ValueError(label() + ": the " + attention_masks::input_role(i) +
                       " input is undefined");
}

Tensor MultiHeadAttention::project(const Tensor& x, const Projection& p, int64_t dim) const {
  const int64_t n = x.dim(0), len = x.dim(1), h = o_.num_heads;
  // Keras' einsum "abc,cde->abde" is one matrix product with the kernel viewed as (D, H·dim).
  Tensor w = ops::reshape(p.kernel, Shape{x.dim(2), h * dim});
  Tensor b = p.bias.defined() ? ops::reshape(p.bias, Shape{h * dim}) : Tensor();
  Tensor y = ops::reshape(ops::linear(x, w, b), Shape{n, len, h, dim});
  return ops::transpose(y, {0, 2, 1, 3});
}

std::vector<Tensor> MultiHeadAttention::run(const Tensor& query, const Tensor& value,
                                            const Tensor& key, const std::vector<float>& keep,
                                            bool training) {
  const int64_t n = query.dim(0), t = query.dim(1), s = value.dim(1);
  const int64_t h = o_.num_heads, vd = o_.value_dim;
  const float inv_sqrt = static_cast<float>(1.0 / std::sqrt(static_cast<double>(o_.key_dim)));
  Tensor q = ops::mul(project(query, query_, o_.key_dim), inv_sqrt);
  Tensor k = project(key, key_, o_.key_dim);
  Tensor v = project(value, value_, vd);
  Tensor scores = ops::matmul(q, k, false, true);  // (N, H, T, S)
  if (!keep.empty())
    scores = ops::add(scores, attention_masks::adder(keep, Shape{n, 1, t, s}, scores.backend()));
  Tensor probs = ops::softmax(scores, -1);
  Tensor used = probs;
  if (training && o_.dropout > 0.f) {
    used = ops::dropout(probs, o_.dropout, seed_, offset_);
    offset_ += static_cast<uint64_t>(probs.numel());
  }
  Tensor ctx = ops::transpose(ops::matmul(used, v), {0, 2, 1, 3});  // (N, T, H, V)
  ctx = ops::reshape(ctx, Shape{n, t, h * vd});
  const int64_t out_dim = output_.kernel.dim(2);
  Tensor wo = ops::reshape(output_.kernel, Shape{h * vd, out_dim});
  Tensor y = ops::linear(ctx, wo, output_.bias);
  if (o_.return_attention_scores) return {y, probs};
  return {y};
}

std::vector<Tensor> MultiHeadAttention::call_masked(const std::vector<Tensor>& inputs,
                                                    const std::vector<Tensor>& masks,
                                                    bool training) {
  if (inputs.size() < 2 || inputs.size() > 4) wrong_count(inputs.size());
  check_inputs(inputs);
  std::vector<Shape> shapes;
  for (const auto& x : inputs) shapes.push_back(x.shape());
  build_for(shapes);
  const Tensor& query = inputs[0];
  const Tensor& value = inputs[1];
  const Tensor& key = inputs.size() >= 3 ? inputs[2] : inputs[1];
  // Sequence masks come for query, value and key only; an attention_mask input's own mask
  // (if any) means nothing here.
  auto mask_at = [&](size_t i) {
    return i < masks.size() && i < inputs.size() && i < 3 ? masks[i] : Tensor();
  };
  attention_masks::Parts parts{.query_mask = mask_at(0), .value_mask = mask_at(1),
                               .key_mask = mask_at(2),
                               .attention_mask = inputs.size() == 4 ? inputs[3] : Tensor(),
                               .causal = o_.use_causal_mask};
  auto keep = attention_masks::combine(label(), parts, query.dim(0), query.dim(1), value.dim(1));
  return run(query, value, key, keep, training);
}

std::vector<Tensor> MultiHeadAttention::call_on(const std::vector<Tensor>& inputs, bool training) {
  return call_masked(inputs, {}, training);
}

std::vector<Tensor> MultiHeadAttention::attend(const Tensor& query, const Tensor& value,
                                               const Tensor& key, const Tensor& attention_mask,
                                               bool training) {
  std::vector<Tensor> inputs{query, value};
  if (key.defined()) inputs.push_back(key);
  check_inputs(inputs);
  std::vector<Shape> shapes;
  for (const auto& x : inputs) shapes.push_back(x.shape());
  build_for(shapes);
  attention_masks::Parts parts{.attention_mask = attention_mask, .causal = o_.use_causal_mask};
  auto keep = attention_masks::combine(label(), parts, query.dim(0), query.dim(1), value.dim(1));
  return run(query, value, key.defined() ? key : value, keep, training);
}

std::vector<Tensor> MultiHeadAttention::compute_mask(const std::vector<Tensor>& /*inputs*/,
                                                     const std::vector<Tensor>& masks) const {
  return attention_masks::query_mask_outputs(masks, o_.return_attention_scores);
}

nlohmann::json MultiHeadAttention::get_config() const {
  auto c = Layer::get_config();
  c["num_heads"] = o_.num_heads;
  c["key_dim"] = o_.key_dim;
  c["value_dim"] = o_.value_dim;
  c["dropout"] = config_number(o_.dropout);
  c["use_bias"] = o_.use_bias;
  c["output_shape"] = o_.output_shape ? nlohmann::json(o_.output_shape) : nlohmann::json(nullptr);
  // tf.keras resolves the default axes when it builds: (1,) for rank-3 inputs.
  c["attention_axes"] = built() ? nlohmann::json::array({1}) : nlohmann::json(nullptr);
  c["kernel_initializer"] = initializer_config(o_.kernel_initializer);
  c["bias_initializer"] = initializer_config(o_.bias_initializer);
  add_null_regularizers(c);
  const bool have = built() && !built_shapes_.empty();
  c["query_shape"] = have ? shape_json(built_shapes_[0]) : nlohmann::json(nullptr);
  c["value_shape"] = have ? shape_json(built_shapes_[1]) : nlohmann::json(nullptr);
  c["key_shape"] = have ? shape_json(built_shapes_.size() == 3 ? built_shapes_[2] : built_shapes_[1])
                        : nlohmann::json(nullptr);
  // Keras passes these per call: the Functional writers move them into the call's kwargs
  // (and the reader back), so only a lone layer's config keeps them; written only when set.
  if (o_.use_causal_mask) c["use_causal_mask"] = true;
  if (o_.return_attention_scores) c["return_attention_scores"] = true;
  return c;
}

std::vector<SublayerGroup> MultiHeadAttention::keras3_sublayers() const {
  auto group = [](const char* attr, const char* name, const Projection& p) {
    SublayerGroup g{attr, name, {}};
    if (p.kernel.defined()) g.vars.push_back(p.kernel);
    if (p.bias.defined()) g.vars.push_back(p.bias);
    return g;
  };
  return {group("_query_dense", "query", query_), group("_key_dense", "key", key_),
          group("_value_dense", "value", value_),
          group("_output_dense", "attention_output", output_)};
}

std::shared_ptr<MultiHeadAttention> MultiHeadAttention::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "MultiHeadAttention");
  r.require_null({"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                  "kernel_constraint", "bias_constraint"});
  if (r.has("attention_axes") && !r.raw().at("attention_axes").is_null()) {
    const auto& a = r.raw().at("attention_axes");
    const bool axis1 = (a.is_number_integer() && (a.get<int>() == 1 || a.get<int>() == -3)) ||
                       (a.is_array() && a.size() == 1 && a[0].is_number_integer() &&
                        (a[0].get<int>() == 1 || a[0].get<int>() == -3));
    // -3 is axis 1 of the rank-4 projected tensors Keras resolves negative axes against.
    if (!axis1)
      r.fail("'attention_axes' is " + a.dump() + ", but only attention over axis 1 ([1] or "
             "null, rank-3 inputs) is supported");
  }
  MultiHeadAttentionOptions o;
  o.num_heads = r.get<int64_t>("num_heads");
  o.key_dim = r.get<int64_t>("key_dim");
  o.value_dim = r.get_or<int64_t>("value_dim", 0);
  o.dropout = r.get_or<float>("dropout", 0.f);
  o.use_bias = r.get_or<bool>("use_bias", true);
  if (r.has("output_shape") && !r.raw().at("output_shape").is_null()) {
    const auto& s = r.raw().at("output_shape");
    if (s.is_number_integer()) o.output_shape = s.get<int64_t>();
    else if (s.is_array() && s.size() == 1 && s[0].is_number_integer()) o.output_shape = s[0].get<int64_t>();
    else r.fail("'output_shape' is " + s.dump() + ", but only one output dimension is supported");
  }
  o.kernel_initializer = r.initializer("kernel_initializer", "glorot_uniform");
  o.bias_initializer = r.initializer("bias_initializer", "zeros");
  o.seed = r.get_or<uint64_t>("seed", 0);
  o.use_causal_mask = r.get_or<bool>("use_causal_mask", false);
  o.return_attention_scores = r.get_or<bool>("return_attention_scores", false);
  o.name = r.name();
  // query_shape / value_shape / key_shape (tf.keras 2 build info) need no reading: the graph
  // builds the layer from its inputs. They must be shapes when present.
  for (const char* key : {"query_shape", "value_shape", "key_shape"})
    if (r.has(key) && !r.raw().at(key).is_null() && !r.raw().at(key).is_array())
      r.fail(std::string("'") + key + "' must be a shape list or null, got " + r.raw().at(key).dump());
  auto layer = std::make_shared<MultiHeadAttention>(std::move(o));
  layer->set_trainable(r.trainable());
  return layer;
}

}  // namespace strata
