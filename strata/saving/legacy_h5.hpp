// Keras' legacy HDF5 format (`model.save("m.h5")`, `model.save_weights("w.h5")` in Keras 2 and
// tf.keras), read from any Keras version and written as tf.keras 2.13 writes it.
//
//   save_h5(model, "model.h5");                      // architecture + weights
//   std::shared_ptr<Model> m = load_h5_model("model.h5");
//   save_weights_h5(model, "weights.h5");            // weights only
//   load_weights_h5(*m, "weights.h5");               // positional (Keras' topological loading)
//   load_weights_h5(*m, "other.h5", {.by_name = true, .skip_mismatch = true});
//
// Layout written (keras_version "2.13.1", backend "tensorflow"; string encodings as tf.keras 2.13
// with h5py 3 for scalars, and as numpy byte arrays for lists, which every Keras version reads):
//   /  attrs keras_version (vlen UTF-8 str), backend (vlen UTF-8 str),
//            model_config (vlen ASCII str: model_to_config JSON, non-ASCII escaped)
//            [training_config (vlen ASCII str) — only when H5TrainingState provides it]
//   /model_weights  attrs layer_names (fixed-length NUL-padded |S<n> array: every layer of
//                         model.layers() in order, weightless ones too; split into layer_names0,
//                         layer_names1, ... above 64,512 bytes), backend, keras_version (vlen
//                         ASCII str)
//     /<layer>       one group per layer, created in name order; attr weight_names (|S<n> array
//                    of "<layer>/<weight>:0", or float64 shape (0,) when the layer has none)
//       /<layer>/<weight>:0   float32 datasets (the "/" in the weight name makes the subgroup)
//     /top_level_model_weights   attr weight_names empty (tf.keras >= 2.11 writes it)
//   [/optimizer_weights  attr weight_names; datasets by those names — only when provided]
// A nested model is one layer whose group holds all its inner weights (trainable first), named
// after the inner layers: /model_weights/encoder/dense_1/kernel:0. The weights-only file is the
// model_weights group placed at the root.
//
// Reading accepts fixed- and variable-length strings, split attributes, files from Keras 1 (no
// keras_version: Keras 1 weight names such as "dense_1_W"; Conv1D's (filters, in, k, 1) and
// channels_first Conv2D / Conv2DTranspose kernels are converted as tf.keras'
// preprocess_weights_for_loading does), Keras 2, tf.keras and Keras 3. Weights are taken in each
// layer's weight_names order. Conv kernels of files written with the Theano backend (attribute
// backend "theano") have their spatial axes reversed, as Keras 2's _need_convert_kernel does.
// Errors: IOError for unreadable, corrupt or incomplete files (naming the file and the object),
// ValueError for weights that do not fit the model (naming the layer, the expected and found
// counts or shapes, and the file).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/api/model.hpp"

namespace strata {

// What tf.keras stamps into files Strata writes.
inline constexpr const char* kH5KerasVersion = "2.13.1";
inline constexpr const char* kH5Backend = "tensorflow";

struct NamedTensor {
  std::string name;  // e.g. "Adam/iter:0", "Adam/dense/kernel/m:0"
  Tensor value;
};

// The training part of a whole-model file, kept apart from architecture and weights so the
// compile/optimizer code can fill it in: `training_config` becomes the root attribute of that name
// (JSON), `optimizer_weights` the /optimizer_weights group (weight_names + one float32 dataset per
// name, in order). save_h5(model, path) writes neither.
struct H5TrainingState {
  std::optional<nlohmann::json> training_config;
  std::vector<NamedTensor> optimizer_weights;
};

struct LoadWeightsOptions {
  // Match saved layers to model layers by name instead of by position among weighted layers.
  bool by_name = false;
  // With by_name: skip (with a warning on std::cerr) layers whose weight count differs and
  // weights whose shape differs, instead of throwing. Refused without by_name, as in Keras.
  bool skip_mismatch = false;
};

void save_h5(const Model& model, const std::filesystem::path& path);
void save_h5(const Model& model, const std::filesystem::path& path, const H5TrainingState& training);
void save_weights_h5(const Model& model, const std::filesystem::path& path);

std::shared_ptr<Model> load_h5_model(const std::filesystem::path& path);
// Whole-model files (their model_weights group) and weights-only files alike.
void load_weights_h5(Model& model, const std::filesystem::path& path,
                     LoadWeightsOptions options = {});
// The training_config JSON (when present) and the optimizer_weights datasets, in weight_names
// order, of a whole-model file.
H5TrainingState load_h5_training_state(const std::filesystem::path& path);

}  // namespace strata
