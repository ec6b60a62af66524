// The compile state of a model in Keras' file formats: what compile() was given (optimizer, loss,
// metrics, loss weights) and the optimizer's variables, so that a saved model resumes training
// exactly where it stopped.
//
// Written formats:
//   training_config(m)  tf.keras 2.x legacy .h5 root attribute `training_config`:
//     {"loss": "sparse_categorical_crossentropy" | {"class_name", "config"}
//              | {"<output>": loss, ...} (several outputs; outputs without a loss left out),
//      "metrics": ["accuracy", {"class_name", "config"}, ...]
//                 | {"<output>": [...], ...} (when per-output metrics were given),
//      "weighted_metrics": null,
//      "loss_weights": null (all 1) | [w per output],
//      "optimizer_config": {"class_name": "Adam",
//                           "config": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0,
//                                      "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
//                                      "amsgrad": false}}}
//     optimizer_v2's config: its default names are "Adam", "RMSprop", "SGD" (Keras 3's "adam" and
//     "rmsprop" are written so), and "decay" is always 0.
//   compile_config(m)  Keras 3 `.keras` config.json `compile_config`:
//     {"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
//                    "config": Optimizer::get_config(), "registered_name": null},
//      "loss": as above with Keras 3 objects ({"module": "keras.losses", "class_name", "config",
//              "registered_name": null}), "loss_weights", "metrics" (objects with module
//      "keras.metrics"), "weighted_metrics": null, "run_eagerly": false,
//      "steps_per_execution": 1, "jit_compile": false}
//
// compile_from_config() reads both, and the Keras 2.0-2.3 spellings: "lr" for "learning_rate",
// "decay" (only 0 is accepted), epsilon null (K.epsilon() = 1e-7), "Custom>Adam" (TF 2.11),
// loss as a string, an object, a dict by output name or a list by position, metrics as a list,
// a list of per-output lists (tf.keras 2.4's [[{"class_name": "MeanMetricWrapper", ...}]]) or a
// dict by output name, "acc" for accuracy, Keras 3's {"class_name": "function", "config": name}.
// Everything that would change training and that Strata does not implement is a ValueError
// naming `source` and the item: unknown optimizer / loss / metric names, learning-rate schedules,
// weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, decay != 0, gradient accumulation,
// loss-scale factors, sample_weight_mode, weighted_metrics, loss reductions other than the mean.
// Options at their defaults are accepted; keys Strata does not know are refused.
//
// Optimizer variables:
//   optimizer_weights_h5(m)  tf.keras 2.x (optimizer_v2) `optimizer_weights`: "<opt>/iter:0"
//     (int64 scalar), then for each slot kind in order, that slot of every trainable weight:
//     Adam "<opt>/<layer>/<weight>/m:0" for all weights, then ".../v:0" (then ".../vhat:0" with
//     amsgrad); SGD with momentum ".../momentum:0"; RMSprop ".../rms:0", then ".../momentum:0"
//     (momentum > 0), then ".../mg:0" (centered). <opt> is the tf.keras name ("Adam", ...).
//   optimizer_variables_keras3(m)  Keras 3 `optimizer/vars/<i>` of model.weights.h5:
//     0 = "<opt>/iteration" (int64 scalar), 1 = "<opt>/learning_rate" (float32 scalar), then
//     Optimizer::variables() order for the trainable weights ("<opt>/<layer>_<weight>_<slot>").
// Both restore functions are positional (as in Keras): they compile-check that the model is
// compiled, build the optimizer for model.trainable_weights(), check the count and every shape
// (ValueError naming `source` and the variable), then set iterations (and, for Keras 3, the
// learning rate) and copy the slots. A legacy file holding only the iteration count (an unbuilt
// optimizer) restores iterations and leaves the slots at zero.
//
//   nlohmann::json tc = training_config(model);
//   auto opt_weights = optimizer_weights_h5(model);
//   ... later, on a model rebuilt from model_to_config with set_weights():
//   compile_from_config(copy, tc, "model.h5");
//   restore_optimizer_weights_h5(copy, names, values, "model.h5");
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/api/model.hpp"

namespace strata {

// tf.keras 2.x training_config of a compiled model (ValueError if not compiled).
nlohmann::json training_config(const Model& model);
// Keras 3 compile_config of a compiled model (ValueError if not compiled).
nlohmann::json compile_config(const Model& model);
// Compiles `model` from a tf.keras / Keras 2 training_config or a Keras 3 compile_config.
void compile_from_config(Model& model, const nlohmann::json& training_or_compile_config,
                         const std::string& source);

// The optimizer alone: {"class_name", "config"} in the tf.keras 2.x form, and a new optimizer
// from that form, Keras 3's object form or a string name.
nlohmann::json optimizer_to_keras2_config(const Optimizer& optimizer);
OptimizerPtr optimizer_from_config(const nlohmann::json& optimizer, const std::string& source);

std::vector<std::pair<std::string, Tensor>> optimizer_weights_h5(const Model& model);
void restore_optimizer_weights_h5(Model& model, const std::vector<std::string>& names,
                                  const std::vector<Tensor>& values, const std::string& source);

std::vector<std::pair<std::string, Tensor>> optimizer_variables_keras3(const Model& model);
void restore_optimizer_variables_keras3(Model& model, const std::vector<Tensor>& values,
                                        const std::string& source);

}  // namespace strata
