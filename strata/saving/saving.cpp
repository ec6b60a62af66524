#include "strata/saving/saving.hpp"

#include <fstream>

#include "strata/core/error.hpp"
#include "strata/io/hdf5.hpp"
#include "strata/io/zip.hpp"
#include "strata/saving/keras_v3.hpp"
#include "strata/saving/tfjs.hpp"
#include "strata/saving/training_config.hpp"

namespace strata {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_hdf5_signature(std::ifstream& in) {
  // The superblock sits at 0 or, after a user block, at 512, 1024, 2048, ...
  static const char sig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char buf[8];
  for (std::streamoff at = 0; at <= (1 << 20); at = at ? at * 2 : 512) {
    in.clear();
    in.seekg(at);
    if (!in.read(buf, 8)) return false;
    if (std::equal(buf, buf + 8, sig)) return true;
  }
  return false;
}

std::string string_attr_or_empty(const h5::Group& g, const char* name) {
  return g.has_attr(name) ? g.read_string_attr(name) : std::string();
}

FileInfo inspect_hdf5(const fs::path& path) {
  const std::string file = path.string();
  h5::File f = h5::File::open(file);
  FileInfo info{};
  info.keras_version = string_attr_or_empty(f, "keras_version");
  info.backend = string_attr_or_empty(f, "backend");
  if (f.has_attr("model_config")) {
    info.format = FileFormat::legacy_h5_model;
    info.format_name = "Keras legacy HDF5 model (.h5)";
    info.has_training_config = f.has_attr("training_config");
  } else if (f.has_attr("layer_names") || f.has_attr("layer_names0")) {
    info.format = FileFormat::legacy_h5_weights;
    info.format_name = "Keras legacy HDF5 weights (.h5)";
  } else if (f.has_group("layers") || f.has_group("vars")) {
    info.format = FileFormat::keras3_weights;
    info.format_name = "Keras 3 weights (.weights.h5)";
  } else {
    throw IOError(file + ": an HDF5 file, but not one Keras wrote (no model_config, layer_names "
                         "or layers group)");
  }
  return info;
}

}  // namespace

FileInfo inspect_model_file(const fs::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "model.json"))
      throw IOError(file + ": a directory; pass its model.json to load a tfjs model");
    throw IOError(file + ": a directory, not a model file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(file + ": cannot open the file");
  if (has_hdf5_signature(in)) return inspect_hdf5(path);
  in.clear();
  in.seekg(0);
  char head[4] = {};
  in.read(head, 4);
  if (in.gcount() == 4 && head[0] == 'P' && head[1] == 'K' &&
      ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
    io::ZipReader zip(path);
    if (!zip.contains("config.json"))
      throw IOError(file + ": a zip archive without config.json, so not a Keras model");
    FileInfo info{FileFormat::keras_archive, "Keras 3 archive (.keras)"};
    if (zip.contains("metadata.json")) {
      const auto meta = nlohmann::json::parse(zip.read("metadata.json"), nullptr, false);
      if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
        info.keras_version = meta["keras_version"].get<std::string>();
    }
    const auto config = nlohmann::json::parse(zip.read("config.json"), nullptr, false);
    if (config.is_discarded()) throw IOError(file + ": config.json is not valid JSON");
    info.has_training_config = config.is_object() && config.contains("compile_config") &&
                               config["compile_config"].is_object();
    return info;
  }
  in.clear();
  in.seekg(0);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  if (in && c == '{') {
    in.seekg(0);
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      throw IOError(file + ": starts like JSON but is not valid JSON (byte " +
                    std::to_string(e.byte) + ")");
    }
    if (doc.is_object() && doc.contains("modelTopology")) {
      FileInfo info{FileFormat::tfjs_layers_model, "TensorFlow.js layers model (model.json)"};
      const auto& t = doc["modelTopology"];
      if (t.is_object()) {
        if (t.contains("keras_version") && t["keras_version"].is_string())
          info.keras_version = t["keras_version"].get<std::string>();
        if (t.contains("backend") && t["backend"].is_string())
          info.backend = t["backend"].get<std::string>();
      }
      info.has_training_config = doc.contains("trainingConfig") && !doc["trainingConfig"].is_null();
      return info;
    }
    if (doc.is_object() && doc.contains("class_name"))
      throw IOError(file + ": a model config without weights; build it with model_from_json");
    throw IOError(file + ": JSON, but neither a tfjs model.json nor a Keras model config");
  }
  throw IOError(file + ": not a Keras model file (expected an HDF5 file, a .keras zip archive "
                       "or a tfjs model.json)");
}

static std::shared_ptr<Model> load_model_as(const fs::path& path, const FileInfo& info,
                                     LoadModelOptions options);

std::shared_ptr<Model> load_model(const fs::path& path, LoadModelOptions options) {
  const FileInfo info = inspect_model_file(path);
  try {
    return load_model_as(path, info, options);
  } catch (const ValueError& e) {
    // Keras would load such a model uncompiled with a warning; we say how to ask for that.
    const std::string msg = e.what();
    if (options.compile && (msg.find("compile_config") != std::string::npos ||
                            msg.find("training_config") != std::string::npos))
      throw ValueError(msg + " (load_model(path, {.compile = false}) loads the model without its "
                             "compile state)");
    throw;
  }
}

static std::shared_ptr<Model> load_model_as(const fs::path& path, const FileInfo& info,
                                     LoadModelOptions options) {
  const std::string file = path.string();
  switch (info.format) {
    case FileFormat::keras_archive:
      return load_keras(path, options.compile);
    case FileFormat::legacy_h5_model: {
      auto model = load_h5_model(path);
      if (options.compile && info.has_training_config) {
        H5TrainingState state = load_h5_training_state(path);
        compile_from_config(*model, *state.training_config, file + ": training_config");
        if (!state.optimizer_weights.empty()) {
          std::vector<std::string> names;
          std::vector<Tensor> values;
          for (const auto& w : state.optimizer_weights) names.push_back(w.name), values.push_back(w.value);
          restore_optimizer_weights_h5(*model, names, values, file);
        }
      }
      return model;
    }
    case FileFormat::tfjs_layers_model:
      return load_tfjs_model(path);
    case FileFormat::legacy_h5_weights:
    case FileFormat::keras3_weights:
      throw IOError(file + ": a weights-only file (" + info.format_name +
                    "); build the model first, then call load_weights");
  }
  throw IOError(file + ": unsupported format");
}

void save_model(const Model& model, const fs::path& path) {
  const std::string name = lower(path.filename().string());
  if (ends_with(name, ".keras")) return save_keras(model, path);
  if (ends_with(name, ".h5") || ends_with(name, ".hdf5")) {
    if (!model.compiled()) return save_h5(model, path);
    H5TrainingState training;
    training.training_config = training_config(model);
    for (auto& [n, t] : optimizer_weights_h5(model)) training.optimizer_weights.push_back({n, t});
    return save_h5(model, path, training);
  }
  throw ValueError("save_model: '" + path.string() +
                   "' needs the extension .keras (Keras 3 archive) or .h5 / .hdf5 (legacy HDF5)");
}

void load_weights(Model& model, const fs::path& path, LoadWeightsOptions options) {
  const FileInfo info = inspect_model_file(path);
  switch (info.format) {
    case FileFormat::legacy_h5_model:
    case FileFormat::legacy_h5_weights:
      return load_weights_h5(model, path, options);
    case FileFormat::keras_archive:
    case FileFormat::keras3_weights:
      if (options.by_name)
        throw ValueError("load_weights: " + path.string() + " is a Keras 3 file, whose weights are "
                         "matched by structure; by_name works with legacy .h5 files only");
      if (info.format == FileFormat::keras3_weights) return load_weights_keras3(model, path);
      return load_keras_weights(model, path);
    case FileFormat::tfjs_layers_model:
      throw ValueError("load_weights: " + path.string() +
                       " is a tfjs model; load it with load_model");
  }
}

void save_weights(const Model& model, const fs::path& path) {
  const std::string name = lower(path.filename().string());
  if (ends_with(name, ".weights.h5")) return save_weights_keras3(model, path);
  if (ends_with(name, ".h5") || ends_with(name, ".hdf5")) return save_weights_h5(model, path);
  throw ValueError("save_weights: '" + path.string() +
                   "' needs the extension .weights.h5 (Keras 3) or .h5 / .hdf5 (legacy HDF5)");
}

}  // namespace strata
