#include "strata/saving/tfjs.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "strata/core/error.hpp"
#include "strata/saving/keras_weights.hpp"
#include "strata/serialization/model_config.hpp"

namespace strata {

namespace {

std::string read_bytes(const std::filesystem::path& p, const std::string& what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw IOError(what + ": cannot open " + p.string());
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IOError(what + ": error reading " + p.string());
  return data;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu, bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exp = 113;
    while (!(mant & 0x400u)) mant <<= 1, --exp;
    bits = sign | (exp << 23) | ((mant & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

struct Entry {
  Shape shape;
  std::vector<float> values;
};

// Decodes one manifest group (its shards concatenated) into named float32 arrays.
void decode_group(const nlohmann::json& group, const std::filesystem::path& dir,
                  const std::string& file, std::map<std::string, Entry>& out) {
  if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() ||
      !group.contains("weights") || !group["weights"].is_array())
    throw IOError(file + ": each weightsManifest group needs 'paths' and 'weights' lists");
  std::string data;
  for (const auto& p : group["paths"]) {
    if (!p.is_string()) throw IOError(file + ": weightsManifest paths must be strings");
    data += read_bytes(dir / p.get<std::string>(), file + " (weight shard)");
  }
  size_t offset = 0;
  for (const auto& w : group["weights"]) {
    if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
        !w["shape"].is_array())
      throw IOError(file + ": a weightsManifest entry lacks 'name' or 'shape'");
    const std::string name = w["name"].get<std::string>();
    std::vector<int64_t> dims;
    for (const auto& d : w["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        throw IOError(file + ": weight '" + name + "' has an invalid shape " + w["shape"].dump());
      dims.push_back(d.get<int64_t>());
    }
    Entry e{Shape(dims), {}};
    const int64_t n = e.shape.numel();
    const std::string dtype = w.value("dtype", std::string("float32"));
    if (dtype != "float32")
      throw IOError(file + ": weight '" + name + "' has dtype " + dtype +
                    "; only float32 weights are supported");
    std::string qtype;
    double scale = 1, min = 0;
    if (w.contains("quantization")) {
      const auto& q = w["quantization"];
      qtype = q.value("dtype", std::string());
      if (qtype != "uint8" && qtype != "uint16" && qtype != "float16")
        throw IOError(file + ": weight '" + name + "' has unknown quantization " + q.dump());
      if (qtype != "float16") {
        if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") ||
            !q["min"].is_number())
          throw IOError(file + ": weight '" + name + "' is " + qtype +
                        "-quantized without numeric 'scale' and 'min'");
        scale = q["scale"].get<double>();
        min = q["min"].get<double>();
      }
    }
    const size_t width = qtype == "uint8" ? 1 : (qtype.empty() ? 4 : 2);
    if (n > int64_t((data.size() - offset) / width))
      throw IOError(file + ": the weight shards end inside weight '" + name + "' (" +
                    std::to_string(data.size()) + " bytes in the group's shards)");
    e.values.resize(static_cast<size_t>(n));
    const char* src = data.data() + offset;
    for (int64_t i = 0; i < n; ++i) {
      const char* p = src + size_t(i) * width;
      float v;
      if (qtype.empty()) {
        std::memcpy(&v, p, 4);
      } else if (qtype == "uint8") {
        v = float(double(static_cast<uint8_t>(*p)) * scale + min);
      } else {
        uint16_t q;
        std::memcpy(&q, p, 2);
        v = qtype == "uint16" ? float(double(q) * scale + min) : half_to_float(q);
      }
      e.values[size_t(i)] = v;
    }
    offset += size_t(n) * width;
    if (!out.emplace(name, std::move(e)).second)
      throw IOError(file + ": weight '" + name + "' is listed twice in the weightsManifest");
  }
  if (offset != data.size())
    throw IOError(file + ": the weight shards hold " + std::to_string(data.size()) +
                  " bytes but the manifest describes " + std::to_string(offset));
}

// Copies the named arrays into one layer's weights, "<prefix><weight>" (prefix "dense/"). A
// wrapped layer's weights sit inside the wrapper's prefix, under their own layer's name where
// tf.keras scopes them so ("bidirectional/forward_lstm/kernel").
void assign_layer(const Layer& layer, const std::string& prefix,
                  std::map<std::string, Entry>& weights, std::set<std::string>& used,
                  const std::string& file) {
  for (const auto& w : layer.weight_entries()) {
    std::string key = prefix + w.name;
    auto it = weights.find(key);
    // tfjs names a recurrent layer's weights "lstm/kernel"; files converted from tf.keras 2 keep
    // its cell scope, "lstm/lstm_cell/kernel".
    if (const std::string cell = keras_weights::cell_scope(layer);
        it == weights.end() && !cell.empty()) {
      const std::string scoped = prefix + cell + "/" + w.name;
      if (auto alt = weights.find(scoped); alt != weights.end()) key = scoped, it = alt;
    }
    if (it == weights.end())
      throw ValueError(file + ": no weight '" + key + "' for " + layer.label() +
                       " in the weightsManifest");
    if (it->second.shape != w.value.shape())
      throw ValueError(file + ": " + layer.label() + " weight '" + w.name + "' expects shape " +
                       w.value.shape().str() + ", the file has " + it->second.shape.str());
    Tensor dst = w.value;
    dst.copy_(Tensor::from_vector(it->second.shape, it->second.values));
    used.insert(key);
  }
  for (const auto& inner : keras_weights::wrapped_layers(layer))
    assign_layer(*inner.layer, inner.own_name_scope ? prefix + inner.layer->name() + "/" : prefix,
                 weights, used, file);
}

// Copies the named arrays into every layer's weights (nested models' layers included).
void assign(const Model& model, std::map<std::string, Entry>& weights, std::set<std::string>& used,
            const std::string& file) {
  for (const auto& layer : model.layers()) {
    if (auto nested = std::dynamic_pointer_cast<Model>(layer)) {
      assign(*nested, weights, used, file);
      continue;
    }
    assign_layer(*layer, layer->name() + "/", weights, used, file);
  }
}

}  // namespace

std::shared_ptr<Model> load_tfjs_model(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string text = read_bytes(path, "load_tfjs_model");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw IOError(file + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  if (!doc.is_object() || !doc.contains("modelTopology"))
    throw IOError(file + ": not a tfjs model.json (no 'modelTopology')");
  if (doc.contains("format") && doc["format"] != "layers-model")
    throw IOError(file + ": format " + doc["format"].dump() +
                  " is not a tfjs layers model (graph models are converted TensorFlow graphs)");
  std::shared_ptr<Model> model = model_from_config(doc);
  std::map<std::string, Entry> weights;
  if (doc.contains("weightsManifest")) {
    if (!doc["weightsManifest"].is_array())
      throw IOError(file + ": 'weightsManifest' must be a list of groups");
    for (const auto& group : doc["weightsManifest"])
      decode_group(group, path.parent_path(), file, weights);
  }
  std::set<std::string> used;
  assign(*model, weights, used, file);
  for (const auto& [name, e] : weights)
    if (!used.count(name))
      throw ValueError(file + ": weight '" + name + "' in the weightsManifest matches no layer weight");
  return model;
}

}  // namespace strata
