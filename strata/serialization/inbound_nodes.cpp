#include "strata/serialization/inbound_nodes.hpp"

#include <array>
#include <optional>

#include "strata/core/error.hpp"

namespace strata::config_detail {

using nlohmann::json;

namespace {

// The call options Strata keeps on the attention layers rather than passing per call.
constexpr std::array<const char*, 2> kOptionKeys = {"use_causal_mask", "return_attention_scores"};

bool is_attention_class(const std::string& cls) {
  return cls == "MultiHeadAttention" || cls == "Attention" || cls == "AdditiveAttention";
}

size_t index_field(const json& v, const std::string& what) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    throw ValueError(what + " must be a non-negative integer, got " + v.dump());
  return static_cast<size_t>(v.get<int64_t>());
}

// tf.keras 2's _serialize_keras_tensor: a tensor in kwargs is exactly [layer, node, tensor].
bool is_triple(const json& j) {
  return j.is_array() && j.size() == 3 && j[0].is_string() && j[1].is_number_integer() &&
         j[2].is_number_integer();
}

bool is_keras_tensor(const json& j) {
  return j.is_object() && j.value("class_name", "") == "__keras_tensor__";
}

bool holds_tensor(const json& j, bool keras3) {
  if (keras3 ? is_keras_tensor(j) : is_triple(j)) return true;
  if (j.is_array() || j.is_object())
    for (const auto& v : j)
      if (holds_tensor(v, keras3)) return true;
  return false;
}

// The tensors in a call argument, in order: one tensor or (nested) lists of them; other values
// (None, constants) carry no graph edge.
void collect(const json& j, bool keras3, std::vector<TensorRef>& out, const std::string& who) {
  if (keras3 && is_keras_tensor(j)) {
    const json cfg = j.value("config", json::object());
    if (!cfg.is_object() || !cfg.contains("keras_history"))
      throw ValueError(who + ": a __keras_tensor__ has no keras_history");
    out.push_back(parse_triple(cfg["keras_history"], who + ": keras_history"));
  } else if (!keras3 && is_triple(j)) {
    out.push_back(parse_triple(j, who));
  } else if (j.is_array()) {
    for (const auto& v : j) collect(v, keras3, out, who);
  }
}

bool names_a_mask(const std::string& kwarg) {
  return kwarg == "mask" || kwarg == "query_mask" || kwarg == "value_mask" || kwarg == "key_mask";
}

[[noreturn]] void refuse_tensor_kwarg(const std::string& who, const std::string& cls,
                                      const std::string& kwarg) {
  std::string why =
      names_a_mask(kwarg)
          ? "Strata takes masks only from mask-producing layers (Embedding with mask_zero, "
            "Masking) through the graph, not as tensors passed to a call"
          : "only MultiHeadAttention's value, key and attention_mask call arguments can be "
            "rebuilt from tensors";
  throw ValueError(who + " (" + cls + "): passes a tensor as its call argument '" + kwarg +
                   "', which cannot be rebuilt: " + why);
}

// query / value / key / attention_mask of a MultiHeadAttention call, from positional tensors
// (Keras 3 mha(q, v, k), or Strata's earlier list form) and tensors by name.
std::vector<TensorRef> mha_inputs(const std::vector<TensorRef>& positional,
                                  const std::map<std::string, std::vector<TensorRef>>& named,
                                  const std::string& who) {
  static const char* const kSlots[] = {"query", "value", "key", "attention_mask"};
  std::array<std::optional<TensorRef>, 4> slot;
  if (positional.size() > 3)
    throw ValueError(who + " (MultiHeadAttention): a call passes " +
                     std::to_string(positional.size()) +
                     " positional tensors, but it takes at most query, value and key");
  for (size_t i = 0; i < positional.size(); ++i) slot[i] = positional[i];
  for (const auto& [kwarg, refs] : named) {
    size_t i = 0;
    while (i < 4 && kwarg != kSlots[i]) ++i;
    if (i == 4) refuse_tensor_kwarg(who, "MultiHeadAttention", kwarg);
    if (refs.size() != 1)
      throw ValueError(who + " (MultiHeadAttention): call argument '" + kwarg +
                       "' must be one tensor, got " + std::to_string(refs.size()));
    if (slot[i])
      throw ValueError(who + " (MultiHeadAttention): call argument '" + kwarg +
                       "' is given both positionally and by name");
    slot[i] = refs[0];
  }
  for (size_t i = 0; i < 2; ++i)
    if (!slot[i])
      throw ValueError(who + " (MultiHeadAttention): a call passes no '" + kSlots[i] +
                       "' tensor; it needs query and value");
  std::vector<TensorRef> inputs{*slot[0], *slot[1]};
  // The attention_mask is the fourth input, so a call with a mask but no key passes value twice
  // (Keras' key defaults to value).
  if (slot[2] || slot[3]) inputs.push_back(slot[2] ? *slot[2] : *slot[1]);
  if (slot[3]) inputs.push_back(*slot[3]);
  return inputs;
}

}  // namespace

TensorRef parse_triple(const json& t, const std::string& who) {
  if (!t.is_array() || t.size() < 3 || !t[0].is_string())
    throw ValueError(who + ": expected [layer_name, node_index, tensor_index], got " +
                     t.dump().substr(0, 200));
  return {t[0].get<std::string>(), index_field(t[1], who + ": node index"),
          index_field(t[2], who + ": tensor index")};
}

InboundCall parse_inbound_node(const json& node, const std::string& cls, const std::string& who) {
  std::vector<TensorRef> positional;
  json kwargs = json::object();
  bool keras3 = false;
  if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
    keras3 = true;
    collect(node.value("args", json::array()), true, positional, who);
    if (node.contains("kwargs")) kwargs = node["kwargs"];
  } else if (node.is_array()) {  // Keras 1/2: [[name, node, tensor(, kwargs)], ...]
    for (const auto& entry : node) {
      positional.push_back(parse_triple(entry, who));
      // tf.keras 2 attaches the same kwargs dict to every tensor of the first argument.
      if (entry.size() >= 4 && entry[3].is_object() && kwargs.empty()) kwargs = entry[3];
    }
  } else {
    throw ValueError(who + ": an inbound node must be a list or an {\"args\", \"kwargs\"} object, got " +
                     node.dump().substr(0, 200));
  }
  if (!kwargs.is_object())
    throw ValueError(who + ": an inbound node's kwargs must be an object, got " +
                     kwargs.dump().substr(0, 200));

  InboundCall call;
  const bool attention = is_attention_class(cls);
  std::map<std::string, std::vector<TensorRef>> named;
  for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (attention && (k == kOptionKeys[0] || k == kOptionKeys[1])) {
      if (v.is_boolean()) call.options[k] = v.get<bool>();
      else if (!v.is_null())
        throw ValueError(who + " (" + cls + "): call argument '" + k +
                         "' must be true or false, got " + v.dump().substr(0, 100));
      continue;
    }
    if (!holds_tensor(v, keras3)) continue;  // training, masks that are None, ...: no graph edge
    collect(v, keras3, named[k], who);
  }
  if (cls == "MultiHeadAttention") {
    call.inputs = mha_inputs(positional, named, who);
  } else {
    if (!named.empty()) refuse_tensor_kwarg(who, cls, named.begin()->first);
    call.inputs = std::move(positional);
  }
  if (call.inputs.empty()) throw ValueError(who + ": an inbound node consumes no tensors");
  return call;
}

json with_call_options(const json& entry, const std::vector<InboundCall>& calls,
                       const std::string& who) {
  bool any = false;
  for (const auto& c : calls) any = any || !c.options.empty();
  if (!any || !entry.is_object() || !entry.contains("config") || !entry["config"].is_object())
    return entry;
  json e = entry;
  json& cfg = e["config"];
  for (const char* key : kOptionKeys) {
    const bool causal = std::string(key) == "use_causal_mask";
    // tf.keras 2.4-2.10's Attention kept use_causal_mask in its config as "causal".
    bool base = false;
    if (cfg.contains(key) && cfg[key].is_boolean()) base = cfg[key].get<bool>();
    else if (causal && cfg.contains("causal") && cfg["causal"].is_boolean()) base = cfg["causal"].get<bool>();
    std::optional<bool> chosen;
    size_t first = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
      auto it = calls[i].options.find(key);
      const bool v = it != calls[i].options.end() ? it->second : base;
      if (!chosen) {
        chosen = v;
        first = i;
      } else if (*chosen != v) {
        throw ValueError(who + ": call " + std::to_string(first) + " has " + key + "=" +
                         (*chosen ? "true" : "false") + " but call " + std::to_string(i) +
                         " has " + key + "=" + (v ? "true" : "false") + "; Strata keeps " + key +
                         " on the layer, so all calls of a layer must agree");
      }
    }
    if (chosen && *chosen != base) {
      cfg[key] = *chosen;
      if (causal) cfg.erase("causal");
    }
  }
  return e;
}

}  // namespace strata::config_detail
