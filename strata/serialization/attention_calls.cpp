#include "strata/serialization/attention_calls.hpp"

#include "strata/layers/attention.hpp"
#include "strata/layers/multi_head_attention.hpp"

namespace strata::config_detail {

using nlohmann::json;

bool is_multi_head_attention(const Layer& layer) {
  return dynamic_cast<const MultiHeadAttention*>(&layer) != nullptr;
}

bool is_dense_attention(const Layer& layer) {
  return dynamic_cast<const BaseDenseAttention*>(&layer) != nullptr;
}

json call_option_kwargs(const Layer& layer, Dialect dialect) {
  json kwargs = json::object();
  bool causal = false, scores = false;
  if (const auto* mha = dynamic_cast<const MultiHeadAttention*>(&layer)) {
    causal = mha->options().use_causal_mask;
    scores = mha->options().return_attention_scores;
  } else if (const auto* att = dynamic_cast<const BaseDenseAttention*>(&layer)) {
    causal = att->use_causal_mask() && dialect == Dialect::keras3;
    scores = att->return_attention_scores();
  }
  if (causal) kwargs["use_causal_mask"] = true;
  if (scores) kwargs["return_attention_scores"] = true;
  return kwargs;
}

void strip_call_options(const Layer& layer, json& config, Dialect dialect) {
  if (!config.is_object()) return;
  if (is_multi_head_attention(layer)) {
    config.erase("use_causal_mask");
    config.erase("return_attention_scores");
    if (dialect == Dialect::keras3)
      for (const char* key : {"query_shape", "value_shape", "key_shape"}) config.erase(key);
  } else if (is_dense_attention(layer)) {
    config.erase("return_attention_scores");
    if (dialect == Dialect::keras3) config.erase("causal");
  }
}

}  // namespace strata::config_detail
