// Keras 3's native formats: the `.keras` archive (`model.save("m.keras")`, `keras.saving.
// load_model`) and the standalone `.weights.h5` file (`model.save_weights("m.weights.h5")`).
//
//   save_keras(model, "model.keras");                 // architecture + weights (+ compile state)
//   std::shared_ptr<Model> m = load_keras("model.keras");
//   save_weights_keras3(model, "model.weights.h5");   // weights only; the suffix is required
//   load_weights_keras3(*m, "model.weights.h5");      // by structure, not by names
//
// Archive written (a zip whose entries are all stored, compression method 0, as Keras writes it):
//   metadata.json     {"keras_version": kKeras3Version, "date_saved": "%Y-%m-%d@%H:%M:%S"} (local
//                     time)
//   config.json       model_to_keras3_config(model) (strata/serialization/keras3_config.hpp), plus
//                     "compile_config" (strata/saving/training_config.hpp) when the model is
//                     compiled; JSON with non-ASCII characters escaped, as Python's json.dumps
//   model.weights.h5  the weights file below
// Weights file layout (Keras 3's H5IOStore / _save_state; keys follow the model's structure, not
// its layer names):
//   /vars                          attr name = <model name>; empty (a model owns no variables)
//   /layers/<snake_class>/vars     attr name = <layer name>; float32 datasets "0", "1", ... in
//                                  the layer's trainable-then-non-trainable variable order (by
//                                  each variable's own trainable flag, not the layer's);
//                                  <snake_class> is the snake_case class name de-duplicated in
//                                  layers() order: dense, dense_1, batch_normalization, conv2d,
//                                  ... (InputLayers of Functional models included, as Keras 3's
//                                  model.layers lists them; Sequential omits its InputLayer)
//   /layers/<functional|sequential...>/vars and .../layers/<snake_class>/vars   nested models
//   /optimizer/vars/0..N           when the model is compiled: 0 = iteration (int64 scalar),
//                                  1 = learning_rate (float32 scalar), then the slots in Keras 3
//                                  order (optimizer_variables_keras3); Keras creates those two
//                                  with the optimizer, so they are written before the first step
//                                  too, and the slots once the optimizer has state.
// The standalone weights file is the same layout.
//
// load_keras reads archives and the unzipped directory form (`model.save(path, zipped=False)`: a
// directory holding the same three files). It rebuilds the model from config.json (Keras 3 or any
// other form model_from_config reads; unknown custom initializers become placeholders), copies
// the weights by walking the model as the writer does (every shape checked before anything is
// assigned), compiles from compile_config when present and restores optimizer/vars when the file
// has them. Variables of metrics and other groups Strata does not have are ignored; bfloat16
// datasets and the sharded / npz weight formats are not supported.
// Errors: IOError for files that cannot be read (missing, not a zip, damaged, no config.json, a
// legacy HDF5 file, a corrupt model.weights.h5), ValueError for contents that do not fit (bad
// JSON, a config Strata cannot build, missing or extra variables, wrong shapes), each naming the
// file and the layer path.
#pragma once

#include <filesystem>
#include <memory>

#include "strata/api/model.hpp"

namespace strata {

// What metadata.json says wrote an archive (a Keras 3 release whose config format this matches).
inline constexpr const char* kKeras3Version = "3.10.0";

void save_keras(const Model& model, const std::filesystem::path& path);
// compile = false leaves the model uncompiled even when the archive has a compile_config.
std::shared_ptr<Model> load_keras(const std::filesystem::path& path, bool compile = true);
// Only the weights of an archive, into an existing model of the same structure.
void load_keras_weights(Model& model, const std::filesystem::path& path);

// The path must end in ".weights.h5" (ValueError otherwise), as Keras 3 requires.
void save_weights_keras3(const Model& model, const std::filesystem::path& path);
void load_weights_keras3(Model& model, const std::filesystem::path& path);

}  // namespace strata
