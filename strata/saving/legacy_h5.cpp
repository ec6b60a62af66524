#include "strata/saving/legacy_h5.hpp"

#include <algorithm>
#include <iostream>
#include <map>

#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"
#include "strata/io/hdf5.hpp"
#include "strata/saving/keras_weights.hpp"
#include "strata/serialization/model_config.hpp"

namespace strata {

namespace fs = std::filesystem;

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) out += ",";
  return out + ")";
}

// ------------------------------------------------------------------ writing

void write_weight_subset(h5::Group& g, const std::vector<keras_weights::NamedWeight>& weights,
                         const std::string& owner) {
  std::vector<std::string> names;
  for (const auto& w : weights) names.push_back(w.name);
  g.write_keras_string_list("weight_names", names, h5::StringType::fixed);
  for (const auto& w : weights) {
    // An optimizer's iteration count is int64 in tf.keras files; everything else is float32.
    if (w.value.dtype() == DType::int64) {
      const auto v = w.value.to_vector<int64_t>();
      g.write_dataset(w.name, w.value.shape().vec(), v.data());
      continue;
    }
    if (w.value.dtype() != DType::float32)
      throw ValueError(owner + ": weight '" + w.name + "' is " + dtype_name(w.value.dtype()) +
                       "; only float32 and int64 values can be saved to HDF5");
    g.write_dataset(w.name, w.value.shape().vec(), w.value.to_vector<float>());
  }
}

// tf.keras' save_weights_to_hdf5_group: into the file root (weights-only) or model_weights.
void write_model_weights(h5::Group& g, const Model& model) {
  const auto layers = model.layers();
  std::vector<std::string> names;
  for (const auto& l : layers) names.push_back(l->name());
  g.write_keras_string_list("layer_names", names, h5::StringType::fixed);
  g.write_string_attr("backend", kH5Backend, h5::StringType::vlen_ascii);
  g.write_string_attr("keras_version", kH5KerasVersion, h5::StringType::vlen_ascii);
  std::vector<LayerPtr> sorted = layers;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const LayerPtr& a, const LayerPtr& b) { return a->name() < b->name(); });
  for (const auto& l : sorted) {
    h5::Group lg = g.create_group(l->name());
    write_weight_subset(lg, keras_weights::legacy_weights(*l), l->label());
  }
  // The model's own weights (tf.keras >= 2.11): a Strata model owns none.
  h5::Group top = g.create_group("top_level_model_weights");
  write_weight_subset(top, {}, "model '" + model.name() + "'");
}

// Runs `write` on a temporary file that replaces `path` only when complete; HDF5 errors name the
// target, not the temporary file.
void write_h5_file(const fs::path& path, const std::function<void(h5::File&)>& write) {
  io::write_file_atomically(path, [&](const fs::path& tmp) {
    try {
      h5::File f = h5::File::create(tmp.string());
      write(f);
      f.close();
    } catch (const IOError& e) {
      std::string msg = e.what();
      const std::string t = tmp.string();
      for (size_t p; (p = msg.find(t)) != std::string::npos;) msg.replace(p, t.size(), path.string());
      throw IOError(msg);
    }
  });
}

// ------------------------------------------------------------------ reading

using Array = h5::FloatArray;

Array transpose(const Array& a, const std::vector<int>& perm) {
  const size_t r = a.shape.size();
  if (r == 0 || perm.size() != r) return a;
  Array out;
  out.shape.resize(r);
  for (size_t i = 0; i < r; ++i) out.shape[i] = a.shape[static_cast<size_t>(perm[i])];
  out.values.resize(a.values.size());
  std::vector<int64_t> in_strides(r, 1);
  for (size_t i = r; i-- > 1;) in_strides[i - 1] = in_strides[i] * a.shape[i];
  std::vector<int64_t> idx(r, 0);
  for (size_t o = 0; o < out.values.size(); ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < r; ++i) src += idx[i] * in_strides[static_cast<size_t>(perm[i])];
    out.values[o] = a.values[static_cast<size_t>(src)];
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out.shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

// Keras' conv_utils.convert_kernel: every axis reversed except the last two (input and output
// channels).
Array flip_spatial(const Array& a) {
  const size_t r = a.shape.size();
  if (r < 3) return a;
  Array out = a;
  std::vector<int64_t> stride(r, 1);
  for (size_t d = r - 1; d-- > 0;) stride[d] = stride[d + 1] * a.shape[d + 1];
  const int64_t n = static_cast<int64_t>(a.values.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, j = 0;
    for (size_t d = 0; d < r; ++d) {
      int64_t idx = rest / stride[d];
      rest %= stride[d];
      if (d + 2 < r) idx = a.shape[d] - 1 - idx;
      j += idx * stride[d];
    }
    out.values[static_cast<size_t>(j)] = a.values[static_cast<size_t>(i)];
  }
  return out;
}

std::vector<int64_t> config_ints(const nlohmann::json& v) {
  std::vector<int64_t> out;
  if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_number_integer()) out.push_back(e.get<int64_t>());
  return out;
}

// tf.keras' preprocess_weights_for_loading for the layer classes Strata has: nested models are
// converted sublayer by sublayer; Keras 1 Conv1D / channels_first Conv2D / Conv2DTranspose
// kernels get the Keras 2 layout; a conv kernel whose shape differs from the layer's is read as
// Theano's (out, in, kh, kw) and transposed (3, 2, 0, 1). Files written with the Theano backend
// hold true-convolution kernels: Keras 2 (_need_convert_kernel) flips their spatial axes for
// the correlating backends, and so do we.
std::vector<Array> preprocess(const Layer& layer, std::vector<Array> w,
                              const std::string& keras_version, bool theano) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) {
    const size_t nt = layer.trainable_weights().size();
    if (w.size() != layer.trainable_weights().size() + layer.non_trainable_weights().size())
      return w;  // the count check reports it
    // w = [trainable of every sublayer..., non-trainable of every sublayer...]: hand each sublayer
    // its slice of both parts, then put the converted values back in the same places.
    std::vector<Array> out = w;
    size_t ti = 0, ni = nt;
    for (const auto& sub : model->layers()) {
      const size_t st = sub->trainable_weights().size(), sn = sub->non_trainable_weights().size();
      if (st + sn == 0) continue;
      if (ti + st > nt || ni + sn > w.size()) return w;
      std::vector<Array> part;
      for (size_t i = 0; i < st; ++i) part.push_back(w[ti + i]);
      for (size_t i = 0; i < sn; ++i) part.push_back(w[ni + i]);
      std::vector<Array> pre = preprocess(*sub, std::move(part), keras_version, theano);
      if (pre.size() != st + sn) return w;
      for (size_t i = 0; i < st; ++i) out[ti + i] = std::move(pre[i]);
      for (size_t i = 0; i < sn; ++i) out[ni + i] = std::move(pre[st + i]);
      ti += st;
      ni += sn;
    }
    return out;
  }
  const std::string& cls = layer.class_name();
  const bool conv = cls == "Conv1D" || cls == "Conv2D" || cls == "Conv3D" || cls == "Conv2DTranspose";
  if (!conv || w.empty()) return w;
  const nlohmann::json config = layer.get_config();
  const std::string data_format = config.value("data_format", std::string("channels_last"));
  if (keras_version == "1" && w[0].shape.size() == 4) {
    if (cls == "Conv1D") {
      const auto ks = config_ints(config.value("kernel_size", nlohmann::json()));
      const int64_t k = ks.empty() ? -1 : ks[0];
      const int64_t filters = config.value("filters", int64_t{-1});
      const auto& s = w[0].shape;
      // Keras 1.0's (filters, input_dim, filter_length, 1) -> (filter_length, 1, input_dim, filters).
      if ((s[0] != k || s[1] != 1 || s[3] != filters) && s[0] == filters && s[2] == k && s[3] == 1)
        w[0] = transpose(w[0], {2, 3, 1, 0});
      if (w[0].shape[1] == 1) {  // drop the unit axis: (k, 1, in, filters) -> (k, in, filters)
        w[0].shape.erase(w[0].shape.begin() + 1);
      }
    } else if (cls == "Conv2D" && data_format == "channels_first") {
      w[0] = transpose(w[0], {2, 3, 1, 0});
    } else if (cls == "Conv2DTranspose") {
      w[0] = transpose(w[0], data_format == "channels_first" ? std::vector<int>{2, 3, 0, 1}
                                                              : std::vector<int>{0, 1, 3, 2});
    }
  }
  const auto weights = layer.weights();
  if (!weights.empty() && w[0].shape.size() == 4 && weights[0].shape().vec() != w[0].shape) {
    Array t = transpose(w[0], {3, 2, 0, 1});
    if (t.shape == weights[0].shape().vec()) w[0] = std::move(t);
  }
  if (theano) w[0] = flip_spatial(w[0]);
  return w;
}

struct Source {
  h5::Group group;            // the group holding layer_names
  std::string file;           // for messages
  std::string keras_version;  // "1" when absent, as Keras assumes
  bool theano = false;        // written with the Theano backend (attribute backend)
};

// The backend attribute of the weights group, else of the file's root.
bool written_by_theano(const h5::File& f, const h5::Group& g) {
  for (const h5::Group* where : {&g, static_cast<const h5::Group*>(&f)})
    if (where->has_attr("backend")) return where->read_string_attr("backend") == "theano";
  return false;
}

// Keras' choice between a weights-only file and a whole-model file's model_weights group.
Source weights_source(const h5::File& f, const std::string& file) {
  auto has_names = [](const h5::Group& g) { return g.has_attr("layer_names") || g.has_attr("layer_names0"); };
  h5::Group g = f;
  if (!has_names(g) && g.has_group("model_weights")) g = g.open_group("model_weights");
  if (!has_names(g)) {
    if (g.has_attr("nb_layers"))
      throw IOError(file + ": Keras 0.x weight files (attribute nb_layers) are not supported");
    throw IOError(file + ": not a Keras HDF5 weights file (no layer_names attribute at the root " +
                  "nor in a model_weights group)");
  }
  Source s{g, file, "1"};
  if (g.has_attr("keras_version")) s.keras_version = g.read_string_attr("keras_version");
  s.theano = written_by_theano(f, g);
  return s;
}

// The saved weights of one layer group, in weight_names order.
std::vector<Array> read_saved_weights(const h5::Group& g, const std::vector<std::string>& names) {
  std::vector<Array> out;
  for (const auto& n : names) out.push_back(g.read_dataset(n));
  return out;
}

struct Assignment {
  Tensor target;
  Array value;
};

void assign_all(std::vector<Assignment>& todo) {
  for (auto& a : todo)
    a.target.copy_(Tensor::from_vector(a.target.shape(), a.value.values, a.target.backend()));
}

std::string layer_ref(size_t k, const Layer& layer, const std::string& saved_name) {
  std::string s = "layer #" + std::to_string(k) + " (" + layer.label() + " in the model";
  if (saved_name != layer.name()) s += ", '" + saved_name + "' in the file";
  return s + ")";
}

void check_float(const keras_weights::NamedWeight& w, const Layer& layer) {
  if (w.value.dtype() != DType::float32)
    throw ValueError(layer.label() + ": weight '" + w.name + "' is not float32");
}

void check_top_level(const Source& src) {
  if (!src.group.has_group("top_level_model_weights")) return;
  h5::Group top = src.group.open_group("top_level_model_weights");
  if (!top.has_attr("weight_names") && !top.has_attr("weight_names0")) return;
  const auto names = top.read_keras_string_list("weight_names");
  if (!names.empty())
    throw ValueError(src.file + ": weight count mismatch for top-level weights: the model has 0 " +
                     "top-level weights, the file has " + std::to_string(names.size()));
}

// load_weights_from_hdf5_group: the k-th saved layer with weights goes to the k-th model layer
// with weights.
void load_positional(const Source& src, Model& model) {
  std::vector<LayerPtr> filtered;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) filtered.push_back(l);
  const auto layer_names = src.group.read_keras_string_list("layer_names");
  struct Saved {
    std::string name;
    std::vector<std::string> weight_names;
  };
  std::vector<Saved> saved;
  std::map<std::string, int> seen;
  for (const auto& name : layer_names) {
    // HDF5 groups are unique, so a repeated name would load one group into two layers and
    // leave another layer's weights untouched.
    if (seen[name]++)
      throw ValueError(src.file + ": layer_names lists '" + name + "' twice; a Keras weights "
                       "file names each layer group once");
    h5::Group g = src.group.open_group(name);
    auto wn = g.read_keras_string_list("weight_names");
    if (!wn.empty()) saved.push_back({name, std::move(wn)});
  }
  // Keras lists a Functional model's layers by graph depth, Strata by call order; they can
  // differ on branching graphs. When the file names exactly the model's layers (a model rebuilt
  // from this file's config, or built with the same names), pair them by name so that order
  // does not matter.
  if (saved.size() == filtered.size()) {
    std::map<std::string, LayerPtr> by_name;
    for (const auto& l : filtered) by_name[l->name()] = l;
    std::vector<LayerPtr> in_file_order;
    for (const auto& s : saved)
      if (auto it = by_name.find(s.name); it != by_name.end()) in_file_order.push_back(it->second);
    if (in_file_order.size() == filtered.size() && by_name.size() == filtered.size())
      filtered = std::move(in_file_order);
  }
  if (saved.size() != filtered.size()) {
    std::string model_list, file_list;
    for (const auto& l : filtered) model_list += (model_list.empty() ? "" : ", ") + l->name();
    for (const auto& s : saved) file_list += (file_list.empty() ? "" : ", ") + s.name;
    throw ValueError(src.file + ": layer count mismatch when loading weights: the model has " +
                     std::to_string(filtered.size()) + " layers with weights [" + model_list +
                     "], the file has " + std::to_string(saved.size()) + " [" + file_list + "]");
  }
  std::vector<Assignment> todo;
  for (size_t k = 0; k < saved.size(); ++k) {
    const Layer& layer = *filtered[k];
    const auto symbolic = keras_weights::legacy_weights(layer);
    h5::Group g = src.group.open_group(saved[k].name);
    auto values = preprocess(layer, read_saved_weights(g, saved[k].weight_names), src.keras_version, src.theano);
    if (values.size() != symbolic.size())
      throw ValueError(src.file + ": weight count mismatch for " +
                       layer_ref(k, layer, saved[k].name) + ": the layer expects " +
                       std::to_string(symbolic.size()) + " weight(s), the file has " +
                       std::to_string(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      check_float(symbolic[i], layer);
      const auto expected = symbolic[i].value.shape().vec();
      if (expected != values[i].shape)
        throw ValueError(src.file + ": shape mismatch in " + layer_ref(k, layer, saved[k].name) +
                         " for weight " + symbolic[i].name + " (saved as '" +
                         saved[k].weight_names[i] + "'): expected " + shape_str(expected) +
                         ", found " + shape_str(values[i].shape));
      todo.push_back({symbolic[i].value, std::move(values[i])});
    }
  }
  check_top_level(src);
  assign_all(todo);
}

// load_weights_from_hdf5_group_by_name.
void load_by_name(const Source& src, Model& model, bool skip_mismatch) {
  std::map<std::string, std::vector<LayerPtr>> index;
  for (const auto& l : model.layers()) index[l->name()].push_back(l);
  const auto layer_names = src.group.read_keras_string_list("layer_names");
  std::vector<Assignment> todo;
  for (size_t k = 0; k < layer_names.size(); ++k) {
    auto it = index.find(layer_names[k]);
    if (it == index.end()) continue;
    h5::Group g = src.group.open_group(layer_names[k]);
    const auto weight_names = g.read_keras_string_list("weight_names");
    for (const auto& lp : it->second) {
      const Layer& layer = *lp;
      const auto symbolic = keras_weights::legacy_weights(layer);
      auto values = preprocess(layer, read_saved_weights(g, weight_names), src.keras_version, src.theano);
      if (values.size() != symbolic.size()) {
        const std::string msg = "weight count mismatch for " + layer_ref(k, layer, layer_names[k]) +
                                ": the layer expects " + std::to_string(symbolic.size()) +
                                " weight(s), the file has " + std::to_string(values.size());
        if (skip_mismatch) {
          std::cerr << "WARNING: " << src.file << ": skipping loading weights for " << msg << "\n";
          continue;
        }
        throw ValueError(src.file + ": " + msg);
      }
      for (size_t i = 0; i < values.size(); ++i) {
        check_float(symbolic[i], layer);
        const auto expected = symbolic[i].value.shape().vec();
        if (expected != values[i].shape) {
          const std::string msg = "shape mismatch in " + layer_ref(k, layer, layer_names[k]) +
                                  " for weight " + symbolic[i].name + ": expected " +
                                  shape_str(expected) + ", found " + shape_str(values[i].shape);
          if (skip_mismatch) {
            std::cerr << "WARNING: " << src.file << ": skipping loading weight for " << msg << "\n";
            continue;
          }
          throw ValueError(src.file + ": " + msg);
        }
        todo.push_back({symbolic[i].value, std::move(values[i])});
      }
    }
  }
  assign_all(todo);
}

}  // namespace

void save_h5(const Model& model, const fs::path& path) { save_h5(model, path, H5TrainingState{}); }

void save_h5(const Model& model, const fs::path& path, const H5TrainingState& training) {
  // Python's json.dumps escapes non-ASCII characters; so does dump(..., ensure_ascii = true).
  const std::string config = model_to_config(model).dump(-1, ' ', true);
  write_h5_file(path, [&](h5::File& f) {
    f.write_string_attr("keras_version", kH5KerasVersion, h5::StringType::vlen_utf8);
    f.write_string_attr("backend", kH5Backend, h5::StringType::vlen_utf8);
    f.write_string_attr("model_config", config, h5::StringType::vlen_ascii);
    if (training.training_config)
      f.write_string_attr("training_config", training.training_config->dump(-1, ' ', true),
                          h5::StringType::vlen_ascii);
    h5::Group weights = f.create_group("model_weights");
    write_model_weights(weights, model);
    if (!training.optimizer_weights.empty()) {
      h5::Group opt = f.create_group("optimizer_weights");
      std::vector<keras_weights::NamedWeight> named;
      for (const auto& t : training.optimizer_weights) named.push_back({t.name, t.value});
      write_weight_subset(opt, named, "optimizer of model '" + model.name() + "'");
    }
  });
}

void save_weights_h5(const Model& model, const fs::path& path) {
  write_h5_file(path, [&](h5::File& f) { write_model_weights(f, model); });
}

std::shared_ptr<Model> load_h5_model(const fs::path& path) {
  const std::string file = path.string();
  h5::File f = h5::File::open(file);
  if (!f.has_attr("model_config"))
    throw IOError(file + ": no model_config attribute, so no model architecture to rebuild (a " +
                  "weights-only file? build the model from its config and use load_weights_h5)");
  const std::string config = f.read_string_attr("model_config");
  // The stored config carries no version stamp; the file's attribute says which Keras meant it.
  ModelConfigOptions options{.placeholder_initializers = true};
  if (f.has_attr("keras_version")) options.keras_version = f.read_string_attr("keras_version");
  std::shared_ptr<Model> model;
  try {
    model = model_from_json(config, options);
  } catch (const ValueError& e) {
    throw ValueError(file + ": model_config: " + e.what());
  }
  if (!f.has_group("model_weights"))
    throw IOError(file + ": no model_weights group next to model_config");
  h5::Group g = f.open_group("model_weights");
  if (!g.has_attr("layer_names") && !g.has_attr("layer_names0"))
    throw IOError(file + ": /model_weights has no layer_names attribute");
  Source src{g, file, "1"};
  if (g.has_attr("keras_version")) src.keras_version = g.read_string_attr("keras_version");
  src.theano = written_by_theano(f, g);
  load_positional(src, *model);
  return model;
}

void load_weights_h5(Model& model, const fs::path& path, LoadWeightsOptions options) {
  const std::string file = path.string();
  if (options.skip_mismatch && !options.by_name)
    throw ValueError("load_weights_h5(" + file + "): skip_mismatch can only be used with " +
                     "by_name = true (as in Keras)");
  h5::File f = h5::File::open(file);
  const Source src = weights_source(f, file);
  if (options.by_name)
    load_by_name(src, model, options.skip_mismatch);
  else
    load_positional(src, model);
}

H5TrainingState load_h5_training_state(const fs::path& path) {
  const std::string file = path.string();
  h5::File f = h5::File::open(file);
  H5TrainingState state;
  if (f.has_attr("training_config")) {
    const std::string text = f.read_string_attr("training_config");
    try {
      state.training_config = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(file + ": training_config is not valid JSON: " + e.what());
    }
  }
  if (f.has_group("optimizer_weights")) {
    h5::Group g = f.open_group("optimizer_weights");
    for (const auto& name : g.read_keras_string_list("weight_names")) {
      h5::FloatArray a = g.read_dataset(name);
      if (a.shape.size() > static_cast<size_t>(Shape::kMaxRank))
        throw IOError(file + ": optimizer weight '" + name + "' has rank " +
                      std::to_string(a.shape.size()) + ", more than Strata supports");
      Shape shape(a.shape);
      // Integer datasets (the iteration count) are read exactly, not through float32.
      if (g.dataset_info(name).type.cls == h5::TypeClass::integer)
        state.optimizer_weights.push_back({name, Tensor::from_vector(shape, g.read_int64_dataset(name))});
      else
        state.optimizer_weights.push_back({name, Tensor::from_vector(shape, a.values)});
    }
  }
  return state;
}

}  // namespace strata
