#include "strata/saving/keras_v3.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"
#include "strata/io/hdf5.hpp"
#include "strata/io/zip.hpp"
#include "strata/layers/sublayer_variables.hpp"
#include "strata/layers/time_distributed.hpp"
#include "strata/saving/keras_weights.hpp"
#include "strata/saving/training_config.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/serialization/model_config.hpp"

namespace strata {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kConfigName = "config.json";
constexpr const char* kMetadataName = "metadata.json";
constexpr const char* kWeightsName = "model.weights.h5";

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

// ------------------------------------------------------------------ the variable layout

// One `vars` group: the object's H5 path (".../vars"), its name attribute and its variables.
struct VarsEntry {
  std::string path;
  std::string name;
  std::string label;  // how messages name the owner
  std::vector<Tensor> vars;
};

// Keras 3's Layer.save_own_variables order: _trainable_variables + _non_trainable_variables, by
// each variable's own flag (freezing a layer does not reorder its file entries).
std::vector<Tensor> own_variables(const Layer& layer) {
  std::vector<Tensor> out;
  for (const auto& w : layer.weight_entries())
    if (w.trainable) out.push_back(w.value);
  for (const auto& w : layer.weight_entries())
    if (!w.trainable) out.push_back(w.value);
  return out;
}

// One layer's vars. A recurrent layer's variables belong to its `cell` child ("cell/vars"); a
// wrapper (TimeDistributed, Bidirectional) has none of its own and saves each wrapped layer under
// its attribute ("layer/", "forward_layer/", "backward_layer/"), as Keras 3 saves attributes.
void walk(const Model& model, const std::string& prefix, std::vector<VarsEntry>& out);
void push_layer(const Layer& l, const std::string& p, std::vector<VarsEntry>& out) {
  // A layer built from sublayers in Keras 3 (MultiHeadAttention) owns no variables itself.
  if (const auto* sub = dynamic_cast<const SublayerVariables*>(&l)) {
    out.push_back({p + "vars", l.name(), l.label(), {}});
    for (const auto& g : sub->keras3_sublayers())
      out.push_back({p + g.attribute + "/vars", g.name, l.label() + " " + g.attribute, g.vars});
    return;
  }
  if (keras_weights::cell_scope(l).empty()) {
    out.push_back({p + "vars", l.name(), l.label(), own_variables(l)});
  } else {
    out.push_back({p + "vars", l.name(), l.label(), {}});
    out.push_back(
        {p + "cell/vars", keras_weights::cell_scope(l), l.label() + "'s cell", own_variables(l)});
  }
  for (const auto& w : keras_weights::wrapped_layers(l)) {
    if (const auto* nested = dynamic_cast<const Model*>(w.layer.get()))
      walk(*nested, p + w.attribute + "/", out);
    else
      push_layer(*w.layer, p + w.attribute + "/", out);
  }
}

// saving_lib._save_state / _save_container_state: the model's own vars, then each of
// model.layers under layers/<snake_case class, de-duplicated with _1, _2, ...>, recursing into
// nested models.
void walk(const Model& model, const std::string& prefix, std::vector<VarsEntry>& out) {
  out.push_back({prefix + "vars", model.name(), model.label(), {}});
  std::map<std::string, int> used;
  for (const auto& l : model.layers()) {
    std::string key = to_snake_case(l->class_name());
    auto it = used.find(key);
    if (it == used.end()) {
      used[key] = 0;
    } else {
      key += '_';
      key += std::to_string(++it->second);
    }
    const std::string p = prefix + "layers/" + key + "/";
    if (const auto* nested = dynamic_cast<const Model*>(l.get()))
      walk(*nested, p, out);
    else
      push_layer(*l, p, out);
  }
}

std::vector<VarsEntry> variable_layout(const Model& model) {
  std::vector<VarsEntry> out;
  walk(model, "", out);
  return out;
}

// ------------------------------------------------------------------ writing

void write_tensor(h5::Group& g, const std::string& name, const Tensor& t, const std::string& owner) {
  switch (t.dtype()) {
    case DType::float32:
      g.write_dataset(name, t.shape().vec(), t.to_vector<float>());
      return;
    case DType::int64: {
      const auto v = t.to_vector<int64_t>();
      g.write_dataset(name, t.shape().vec(), v.data());
      return;
    }
    default:
      throw ValueError(owner + ": variable " + name + " is " + dtype_name(t.dtype()) +
                       "; only float32 and int64 variables can be saved");
  }
}

void write_weights(h5::File& f, const Model& model) {
  for (const auto& e : variable_layout(model)) {
    h5::Group g = f.create_group(e.path);
    g.write_string_attr("name", e.name);
    for (size_t i = 0; i < e.vars.size(); ++i) write_tensor(g, std::to_string(i), e.vars[i], e.label);
  }
  if (model.compiled() && model.optimizer()) {
    h5::Group g = f.create_group("optimizer/vars");
    g.write_string_attr("name", model.optimizer()->name());
    const auto vars = optimizer_variables_keras3(model);
    for (size_t i = 0; i < vars.size(); ++i)
      write_tensor(g, std::to_string(i), vars[i].second, "optimizer of model '" + model.name() + "'");
  }
}

// Runs `fn`, rewriting the temporary file's path in IOErrors to `shown` (what the user knows).
template <class Fn>
auto renaming_errors(const fs::path& tmp, const std::string& shown, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const IOError& e) {
    std::string msg = e.what();
    const std::string t = tmp.string();
    for (size_t p; !t.empty() && (p = msg.find(t)) != std::string::npos;) msg.replace(p, t.size(), shown);
    throw IOError(msg);
  } catch (const ValueError& e) {
    std::string msg = e.what();
    const std::string t = tmp.string();
    for (size_t p; !t.empty() && (p = msg.find(t)) != std::string::npos;) msg.replace(p, t.size(), shown);
    throw ValueError(msg);
  }
}

struct RemoveOnExit {
  fs::path path;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
  }
};

std::string read_whole_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw IOError(p.string() + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IOError(p.string() + ": read error");
  return ss.str();
}

std::string now_keras_format() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

void require_weights_suffix(const fs::path& path, const char* who) {
  const std::string s = path.filename().string();
  const std::string suffix = ".weights.h5";
  if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0)
    throw ValueError(std::string(who) + ": the filename must end in `.weights.h5` (Keras 3's " +
                     "weights format), got '" + path.string() + "'; for the legacy Keras 2 " +
                     "layout use save_weights_h5 / load_weights_h5");
}

// ------------------------------------------------------------------ reading

// A tensor from dataset `name` of `g`: int64 for integer datasets (the iteration count), float32
// otherwise.
Tensor read_tensor(const h5::Group& g, const std::string& name, const std::string& file,
                   const std::string& where) {
  const h5::ObjectInfo info = g.dataset_info(name);
  if (info.shape.size() > static_cast<size_t>(Shape::kMaxRank))
    throw ValueError(file + ": " + where + " has rank " + std::to_string(info.shape.size()) +
                     ", more than Strata supports");
  if (info.type.cls == h5::TypeClass::integer) {
    std::vector<int64_t> shape;
    auto v = g.read_int64_dataset(name, &shape);
    return Tensor::from_vector(Shape(shape), v);
  }
  if (info.type.cls != h5::TypeClass::floating)
    throw ValueError(file + ": " + where + " is not a numeric dataset");
  h5::FloatArray a = g.read_dataset(name);
  return Tensor::from_vector(Shape(a.shape), a.values);
}

// The datasets "0", "1", ... of a vars group; anything else in it is an error.
size_t count_vars(const h5::Group& g, const std::string& file, const std::string& path) {
  const auto children = g.children();
  size_t n = 0;
  while (g.has_dataset(std::to_string(n))) ++n;
  if (children.size() != n)
    throw ValueError(file + ": " + path + " holds " + std::to_string(children.size()) +
                     " entries, but only datasets named 0.." +
                     (n ? std::to_string(n - 1) : std::string("(none)")) +
                     " in sequence are variables; the group does not have Keras 3's layout");
  return n;
}

void load_weights_from(const h5::File& f, Model& model, const std::string& file) {
  struct Assignment {
    Tensor target;
    h5::FloatArray value;
  };
  std::vector<Assignment> todo;
  for (const auto& e : variable_layout(model)) {
    const std::string owner = e.label + " (" + e.path + ")";
    if (!f.has_group(e.path)) {
      if (e.vars.empty()) continue;  // nothing to load; Keras may leave such groups out
      throw ValueError(file + ": no weights for " + owner + ", which has " +
                       std::to_string(e.vars.size()) + " variable(s); the file's layers do not " +
                       "match the model's structure");
    }
    const h5::Group g = f.open_group(e.path);
    const size_t n = count_vars(g, file, e.path);
    if (n != e.vars.size())
      throw ValueError(file + ": " + owner + " expects " + std::to_string(e.vars.size()) +
                       " variable(s), the file has " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      const std::string name = std::to_string(i);
      const h5::ObjectInfo info = g.dataset_info(name);
      const auto expected = e.vars[i].shape().vec();
      if (info.shape != expected)
        throw ValueError(file + ": shape mismatch for variable " + name + " of " + owner +
                         ": expected " + shape_str(expected) + ", found " + shape_str(info.shape));
      if (info.type.cls != h5::TypeClass::floating && info.type.cls != h5::TypeClass::integer)
        throw ValueError(file + ": variable " + e.path + "/" + name + " is not numeric");
      if (e.vars[i].dtype() != DType::float32)
        throw ValueError(file + ": variable " + name + " of " + owner + " is not float32");
      todo.push_back({e.vars[i], g.read_dataset(name)});
    }
  }
  for (auto& a : todo)
    a.target.copy_(Tensor::from_vector(a.target.shape(), a.value.values, a.target.backend()));
}

void load_optimizer_from(const h5::File& f, Model& model, const std::string& file) {
  if (!model.compiled() || !f.has_group("optimizer/vars")) return;
  const h5::Group g = f.open_group("optimizer/vars");
  const size_t n = count_vars(g, file, "optimizer/vars");
  std::vector<Tensor> values;
  for (size_t i = 0; i < n; ++i)
    values.push_back(read_tensor(g, std::to_string(i), file, "optimizer/vars/" + std::to_string(i)));
  restore_optimizer_variables_keras3(model, values, file);
}

json parse_json(const std::string& text, const std::string& file, const char* entry) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw ValueError(file + ": " + entry + " is not valid JSON (at byte " + std::to_string(e.byte) +
                     "): " + e.what());
  }
}

bool looks_like_hdf5(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  static const char sig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  for (std::streamoff off : {0, 512, 1024, 2048}) {
    char buf[8] = {};
    in.clear();
    in.seekg(off);
    if (!in.read(buf, 8)) return false;
    if (std::equal(buf, buf + 8, sig)) return true;
  }
  return false;
}

// Builds, fills and compiles the model from an archive's (or directory's) parts.
std::shared_ptr<Model> build_loaded(const std::string& config_text,
                                    const std::optional<std::string>& metadata_text,
                                    const std::optional<fs::path>& weights_file,
                                    const std::string& file, bool compile) {
  const json config = parse_json(config_text, file, kConfigName);
  if (!config.is_object())
    throw ValueError(file + ": config.json must hold a JSON object (the model's config), got " +
                     config.dump().substr(0, 200));
  ModelConfigOptions options{.placeholder_initializers = true};
  if (metadata_text) {
    const json meta = parse_json(*metadata_text, file, kMetadataName);
    if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
      options.keras_version = meta["keras_version"].get<std::string>();
  }
  std::shared_ptr<Model> model;
  try {
    model = model_from_config(config, options);
  } catch (const ValueError& e) {
    throw ValueError(file + ": config.json: " + e.what());
  }
  if (!weights_file) return model;
  const std::string shown = file + "/" + kWeightsName;
  renaming_errors(*weights_file, shown, [&] {
    h5::File f = h5::File::open(weights_file->string());
    load_weights_from(f, *model, shown);
    const json cc = config.value("compile_config", json());
    if (compile && cc.is_object() && !cc.empty()) {
      compile_from_config(*model, cc, file + ": compile_config");
      load_optimizer_from(f, *model, shown);
    }
    return 0;
  });
  return model;
}

}  // namespace

void save_keras(const Model& model, const fs::path& path) {
  // Everything that can be refused is refused before a file is touched.
  json config = model_to_keras3_config(model);
  if (model.compiled()) config["compile_config"] = compile_config(model);
  const json metadata = {{"keras_version", kKeras3Version}, {"date_saved", now_keras_format()}};
  const std::string shown = path.string() + "/" + kWeightsName;
  const fs::path tmp = io::create_temp_beside(path);
  RemoveOnExit cleanup{tmp};
  const std::string weights = renaming_errors(tmp, shown, [&] {
    h5::File f = h5::File::create(tmp.string());
    write_weights(f, model);
    f.close();
    return read_whole_file(tmp);
  });
  io::ZipWriter zip(path);
  zip.add(kMetadataName, metadata.dump(-1, ' ', true), false);
  zip.add(kConfigName, config.dump(-1, ' ', true), false);
  zip.add(kWeightsName, weights, false);
  zip.close();
}

std::shared_ptr<Model> load_keras(const fs::path& path, bool compile) {
  const std::string file = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {  // model.save(path, zipped=False)
    const fs::path cfg = path / kConfigName;
    if (!fs::is_regular_file(cfg, ec))
      throw IOError(file + ": a directory without config.json, so not an unzipped Keras model");
    std::optional<std::string> meta;
    if (fs::is_regular_file(path / kMetadataName, ec)) meta = read_whole_file(path / kMetadataName);
    const fs::path w = path / kWeightsName;
    if (!fs::is_regular_file(w, ec))
      throw IOError(file + ": no " + kWeightsName + " next to config.json");
    return build_loaded(read_whole_file(cfg), meta, w, file, compile);
  }
  if (!fs::exists(path, ec)) throw IOError(file + ": no such file");
  if (looks_like_hdf5(path))
    throw IOError(file + ": an HDF5 file, not a Keras 3 `.keras` archive (a zip); legacy Keras " +
                  "`.h5` models load with load_h5_model (load_model), and `.weights.h5` files " +
                  "with load_weights_keras3 or load_weights_h5");
  io::ZipReader zip(path);
  if (!zip.contains(kConfigName)) {
    std::string names;
    for (const auto& n : zip.names()) {
      if (!names.empty()) names += ", ";
      names += n;
    }
    throw IOError(file + ": not a Keras archive: the zip has no config.json (entries: " +
                  (names.empty() ? std::string("none") : names.substr(0, 300)) + ")");
  }
  const std::string config_text = zip.read(kConfigName);
  std::optional<std::string> meta;
  if (zip.contains(kMetadataName)) meta = zip.read(kMetadataName);
  if (!zip.contains(kWeightsName)) {
    if (zip.contains("model.weights.npz"))
      throw IOError(file + ": the weights are in model.weights.npz (weights_format=\"npz\"), " +
                    "which Strata does not read; save with the default HDF5 weights");
    throw IOError(file + ": the archive has no " + kWeightsName);
  }
  const fs::path tmp = io::create_temp_beside(fs::temp_directory_path() / "strata-keras.weights.h5");
  RemoveOnExit cleanup{tmp};
  zip.extract(kWeightsName, tmp);
  return build_loaded(config_text, meta, tmp, file, compile);
}

void load_keras_weights(Model& model, const fs::path& path) {
  const std::string file = path.string();
  io::ZipReader zip(path);
  if (!zip.contains(kWeightsName)) throw IOError(file + ": the archive has no " + kWeightsName);
  const fs::path tmp = io::create_temp_beside(fs::temp_directory_path() / "strata-keras.weights.h5");
  RemoveOnExit cleanup{tmp};
  zip.extract(kWeightsName, tmp);
  const std::string shown = file + "/" + kWeightsName;
  renaming_errors(tmp, shown, [&] {
    h5::File f = h5::File::open(tmp.string());
    load_weights_from(f, model, shown);
    return 0;
  });
}

void save_weights_keras3(const Model& model, const fs::path& path) {
  require_weights_suffix(path, "save_weights_keras3");
  io::write_file_atomically(path, [&](const fs::path& tmp) {
    renaming_errors(tmp, path.string(), [&] {
      h5::File f = h5::File::create(tmp.string());
      write_weights(f, model);
      f.close();
      return 0;
    });
  });
}

void load_weights_keras3(Model& model, const fs::path& path) {
  require_weights_suffix(path, "load_weights_keras3");
  const std::string file = path.string();
  h5::File f = h5::File::open(file);
  if (f.has_attr("layer_names") || f.has_attr("layer_names0") || f.has_group("model_weights"))
    throw IOError(file + ": a legacy Keras 2 weights file (layer_names attribute), not Keras 3's " +
                  "layout; load it with load_weights_h5");
  load_weights_from(f, model, file);
  load_optimizer_from(f, model, file);
}

}  // namespace strata
