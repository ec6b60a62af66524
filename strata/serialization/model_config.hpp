// Keras' model config JSON for Sequential models: writing in the tf.keras 2.x layout (which
// Keras 2, Keras 3 and tfjs all read) and reading every Sequential variant Keras has written —
// Keras 2.0/2.1 list form, batch_input_shape on the first layer, an explicit InputLayer with
// batch_input_shape or Keras 3's batch_shape, Keras 3's module / registered_name / build_config
// fields, and tfjs' model.json wrapping (modelTopology / model_config).
//
//   std::string text = to_json(model);
//   std::shared_ptr<Model> copy = model_from_json(text);
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/api/model.hpp"

namespace strata {

// {"class_name": "Sequential", "config": {"name": ..., "layers": [...]}}.
nlohmann::json model_to_config(const Model& model);
std::string to_json(const Model& model, int indent = -1);
// Builds (but does not train or load weights into) the model the config describes. Errors are
// ValueErrors naming the layer or field at fault; malformed JSON names the byte position.
std::shared_ptr<Model> model_from_config(const nlohmann::json& config);
std::shared_ptr<Model> model_from_json(const std::string& json);

}  // namespace strata
