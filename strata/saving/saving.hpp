// One entry point for Keras' files, as keras.models.load_model / Model.save: the format of a file
// to load is decided by its bytes (HDF5 signature, zip signature, JSON), never its name; the
// format to save is chosen by the extension, as Keras does.
//
//   save_model(model, "model.keras");            // Keras 3 archive; "model.h5": legacy HDF5
//   auto m = load_model("model.keras");          // .keras, .h5 (Keras 1/2/3), tfjs model.json
//   save_weights(model, "w.weights.h5");         // Keras 3 weights; "w.h5": legacy layout
//   load_weights(*m, "w.h5", {.by_name = true, .skip_mismatch = true});
//   FileInfo info = inspect_model_file("model.h5");   // format, Keras version, backend
//
// A loaded model comes back compiled — optimizer with its configuration and state, loss, metrics
// — when the file has a training config, so fit() resumes where the saved model stopped.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "strata/api/model.hpp"
#include "strata/saving/legacy_h5.hpp"

namespace strata {

enum class FileFormat {
  keras_archive,       // Keras 3 .keras zip
  keras3_weights,      // Keras 3 .weights.h5
  legacy_h5_model,     // tf.keras / Keras 1-2 whole-model .h5
  legacy_h5_weights,   // tf.keras / Keras 1-2 save_weights .h5
  tfjs_layers_model,   // TensorFlow.js model.json (+ weight shards)
};

struct FileInfo {
  FileFormat format;
  std::string format_name;    // e.g. "Keras 3 archive (.keras)"
  std::string keras_version;  // as the file states it; empty when it does not
  std::string backend;        // likewise ("tensorflow", "tensor_flow.js", ...)
  bool has_training_config = false;
};

struct LoadModelOptions {
  // Restore the compile state (and optimizer state) the file holds.
  bool compile = true;
};

// Throws IOError for a missing, unreadable or unrecognised file, naming it and what it found.
FileInfo inspect_model_file(const std::filesystem::path& path);

std::shared_ptr<Model> load_model(const std::filesystem::path& path, LoadModelOptions options = {});
// ".keras" or ".h5" / ".hdf5"; anything else is a ValueError naming the extensions. The file is
// written to a temporary beside the target and renamed, so a failed save leaves no damaged file.
void save_model(const Model& model, const std::filesystem::path& path);

// Weights from any supported file (whole-model files too) into `model`. by_name works with
// legacy .h5 files only, as in Keras.
void load_weights(Model& model, const std::filesystem::path& path, LoadWeightsOptions options = {});
// ".weights.h5": Keras 3 layout; other ".h5" / ".hdf5" names: the legacy (tf.keras) layout.
void save_weights(const Model& model, const std::filesystem::path& path);

}  // namespace strata
