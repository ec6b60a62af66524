#include "strata/saving/keras_weights.hpp"

#include <map>

#include "strata/api/model.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/layers/time_distributed.hpp"

namespace strata::keras_weights {

namespace {

// Every weight tensor reachable from `layer` (recursing into nested models) -> its Keras name.
void collect_names(const Layer& layer, std::map<const TensorImpl*, std::string>& names) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) {
    for (const auto& inner : model->layers()) collect_names(*inner, names);
    return;
  }
  const std::string cell = cell_scope(layer);
  for (const auto& e : layer.weight_entries())
    names.emplace(e.value.impl().get(),
                  layer.name() + "/" + (cell.empty() ? "" : cell + "/") + e.name + ":0");
  // tf.keras builds a wrapped layer inside the wrapper's name scope.
  for (const auto& w : wrapped_layers(layer)) {
    std::map<const TensorImpl*, std::string> inner;
    collect_names(*w.layer, inner);
    for (auto& [impl, n] : inner) {
      const auto slash = n.find('/');
      const std::string rest =
          w.own_name_scope || slash == std::string::npos ? n : n.substr(slash + 1);
      names.emplace(impl, layer.name() + "/" + rest);
    }
  }
}

}  // namespace

std::vector<WrappedLayer> wrapped_layers(const Layer& layer) {
  if (const auto* td = dynamic_cast<const TimeDistributed*>(&layer))
    return {{"layer", td->layer(), false}};
  if (const auto* bi = dynamic_cast<const Bidirectional*>(&layer))
    return {{"forward_layer", bi->forward_layer(), true},
            {"backward_layer", bi->backward_layer(), true}};
  return {};
}

std::string cell_scope(const Layer& layer) {
  if (!dynamic_cast<const Recurrent*>(&layer)) return "";
  return to_snake_case(layer.class_name()) + "_cell";
}

std::vector<NamedWeight> legacy_weights(const Layer& layer) {
  std::map<const TensorImpl*, std::string> names;
  collect_names(layer, names);
  std::vector<Tensor> tensors = layer.trainable_weights();
  for (auto& t : layer.non_trainable_weights()) tensors.push_back(t);
  std::vector<NamedWeight> out;
  out.reserve(tensors.size());
  for (auto& t : tensors) {
    auto it = names.find(t.impl().get());
    // A weight not listed in any weight_entries() (custom layers) gets a positional name.
    std::string name = it != names.end()
                           ? it->second
                           : layer.name() + "/weight_" + std::to_string(out.size()) + ":0";
    out.push_back({std::move(name), std::move(t)});
  }
  return out;
}

std::string short_weight_name(const std::string& keras_name) {
  std::string s = keras_name;
  const auto slash = s.rfind('/');
  if (slash != std::string::npos) s = s.substr(slash + 1);
  const auto colon = s.rfind(':');
  if (colon != std::string::npos && colon + 1 < s.size() &&
      s.find_first_not_of("0123456789", colon + 1) == std::string::npos)
    s = s.substr(0, colon);
  return s;
}

}  // namespace strata::keras_weights
