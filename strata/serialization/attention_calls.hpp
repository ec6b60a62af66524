// How the Functional config writers spell calls of the attention layers, as Keras records them:
// per-call options (use_causal_mask, return_attention_scores) travel in the call's kwargs, not
// in the layer config, and MultiHeadAttention's value / key / attention_mask are separate call
// arguments. Internal to model_config.cpp (tf.keras 2 layout) and keras3_config.cpp (Keras 3).
//
//   if (is_multi_head_attention(layer)) { ... value / key as kwargs ... }
//   json kwargs = call_option_kwargs(layer, Dialect::keras2);   // {"return_attention_scores": true}
//   strip_call_options(layer, config, Dialect::keras2);
#pragma once

#include <nlohmann/json.hpp>

#include "strata/layers/layer.hpp"

namespace strata::config_detail {

enum class Dialect { keras2, keras3 };

bool is_multi_head_attention(const Layer& layer);
// Attention or AdditiveAttention (a list of tensors as their one positional argument).
bool is_dense_attention(const Layer& layer);

// The options the layer's calls must pass, only those set: {} for other layers. tf.keras 2's
// Attention takes causality from its config ("causal", 2.4-2.15), so the keras2 dialect leaves it
// there.
nlohmann::json call_option_kwargs(const Layer& layer, Dialect dialect);

// Removes from a layer's config what the calls carry instead (and, for Keras 3's
// MultiHeadAttention, the tf.keras 2 build keys query_shape / value_shape / key_shape, which
// Keras 3's constructor refuses; its build_config holds the shapes).
void strip_call_options(const Layer& layer, nlohmann::json& config, Dialect dialect);

}  // namespace strata::config_detail
