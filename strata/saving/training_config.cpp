// Compile state in Keras' formats: training_config (tf.keras 2.x .h5), compile_config (Keras 3
// .keras), and the optimizer variables of both; see training_config.hpp for the layouts.
#include "strata/saving/training_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/losses/losses.hpp"
#include "strata/metrics/metrics.hpp"
#include "strata/optimizers/optimizers.hpp"

namespace strata {

using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw ValueError(source + ": " + message);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "Custom>Adam" (TF 2.11) and registered names like "keras.optimizers>Adam" -> "Adam".
std::string strip_registration(const std::string& class_name) {
  const auto pos = class_name.rfind('>');
  return pos == std::string::npos ? class_name : class_name.substr(pos + 1);
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

void require_compiled(const Model& model, const char* who) {
  if (!model.compiled() || !model.optimizer())
    throw ValueError(std::string(who) + ": model '" + model.name() +
                     "' is not compiled, so it has no compile state to save");
}

// ---------------------------------------------------------------------------------------------
// Writing

json keras3_object(const std::string& module, const std::string& class_name, json config) {
  return json{{"module", module},
              {"class_name", class_name},
              {"config", std::move(config)},
              {"registered_name", nullptr}};
}

json object_json(const std::string& module, const std::string& class_name, json config,
                 bool keras3) {
  if (keras3) return keras3_object(module, class_name, std::move(config));
  return json{{"class_name", class_name}, {"config", std::move(config)}};
}

json loss_json(const Model& m, size_t i, bool keras3) {
  const LossSpec& spec = m.loss_specs()[i];
  if (!spec.identifier().empty()) return spec.identifier();
  const LossPtr& loss = m.losses()[i];
  return object_json("keras.losses", loss->class_name(), loss->get_config(), keras3);
}

json metric_json(const MetricSpec& spec, bool keras3) {
  if (!spec.identifier().empty()) return spec.identifier();
  MetricPtr metric = spec.resolve(nullptr, Shape{-1, 1}, Shape{-1, 1});
  return object_json("keras.metrics", metric->class_name(), metric->get_config(), keras3);
}

json losses_json(const Model& m, bool keras3) {
  const auto names = m.output_names();
  if (names.size() == 1) return loss_json(m, 0, keras3);
  json by_name = json::object();
  for (size_t i = 0; i < names.size(); ++i)
    if (!m.loss_specs()[i].empty()) by_name[names[i]] = loss_json(m, i, keras3);
  return by_name;
}

json metrics_json(const Model& m, bool keras3) {
  if (m.compiled_output_metrics().empty()) {
    json list = json::array();
    for (const auto& s : m.compiled_metrics()) list.push_back(metric_json(s, keras3));
    return list;
  }
  json by_name = json::object();
  for (const auto& name : m.output_names()) {
    json list = json::array();
    for (const auto& s : m.compiled_metrics()) list.push_back(metric_json(s, keras3));
    auto it = m.compiled_output_metrics().find(name);
    if (it != m.compiled_output_metrics().end())
      for (const auto& s : it->second) list.push_back(metric_json(s, keras3));
    if (!list.empty()) by_name[name] = std::move(list);
  }
  return by_name;
}

json loss_weights_json(const Model& m) {
  const auto& w = m.loss_weights();
  if (std::all_of(w.begin(), w.end(), [](double v) { return v == 1.0; })) return nullptr;
  return json(w);
}

// tf.keras 2.x (optimizer_v2) names its optimizers after the class: "Adam", "RMSprop", "SGD".
std::string keras2_name(const Optimizer& opt) {
  return lower(opt.name()) == lower(opt.class_name()) ? opt.class_name() : opt.name();
}

const std::set<std::string>& keras3_base_keys() {
  static const std::set<std::string> keys = {
      "name",        "learning_rate",   "weight_decay", "clipnorm",
      "global_clipnorm", "clipvalue",   "use_ema",      "ema_momentum",
      "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"};
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Reading

// Reads the keys of one config object, remembering which were used and what is unsupported.
class ConfigReader {
 public:
  ConfigReader(const json& config, std::string source, std::string what)
      : config_(config), source_(std::move(source)), what_(std::move(what)) {
    if (!config_.is_object() && !config_.is_null())
      fail(source_, what_ + ": config must be a JSON object, got " + config_.dump());
  }

  bool has(const std::string& key) const {
    return config_.is_object() && config_.contains(key) && !config_[key].is_null();
  }
  const json& raw(const std::string& key) {
    used_.insert(key);
    return config_[key];
  }
  void use(const std::string& key) { used_.insert(key); }

  double number(const std::string& key, double fallback) {
    used_.insert(key);
    if (!has(key)) return fallback;
    const json& v = config_[key];
    if (!v.is_number()) {
      problems_.push_back(key + "=" + v.dump() + " (expected a number)");
      return fallback;
    }
    return v.get<double>();
  }
  bool boolean(const std::string& key, bool fallback) {
    used_.insert(key);
    if (!has(key)) return fallback;
    const json& v = config_[key];
    if (!v.is_boolean()) {
      problems_.push_back(key + "=" + v.dump() + " (expected true or false)");
      return fallback;
    }
    return v.get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback) {
    used_.insert(key);
    if (!has(key)) return fallback;
    const json& v = config_[key];
    if (!v.is_string()) {
      problems_.push_back(key + "=" + v.dump() + " (expected a string)");
      return fallback;
    }
    return v.get<std::string>();
  }
  // Accepts the key when absent, null or one of `defaults`; anything else is unsupported.
  void only_default(const std::string& key, const std::vector<json>& defaults, const char* why) {
    used_.insert(key);
    if (!has(key)) return;
    const json& v = config_[key];
    for (const auto& d : defaults)
      if (v == d) return;
    problems_.push_back(key + "=" + v.dump() + " (" + why + ")");
  }
  void problem(const std::string& text) { problems_.push_back(text); }

  // Throws, naming every unsupported or unknown key at once.
  void finish() {
    if (config_.is_object())
      for (const auto& [k, v] : config_.items())
        if (!used_.count(k)) problems_.push_back(k + "=" + v.dump() + " (unknown option)");
    if (!problems_.empty())
      fail(source_, what_ + ": Strata cannot honour " + joined(problems_) +
                        "; refusing rather than training differently");
  }

 private:
  const json& config_;
  std::string source_;
  std::string what_;
  std::set<std::string> used_;
  std::vector<std::string> problems_;
};

template <class F>
auto wrapped(const std::string& source, const std::string& what, F&& f) {
  try {
    return f();
  } catch (const ValueError& e) {
    fail(source, what + ": " + e.what());
  }
}

// Keras 3 writes plain functions as {"class_name": "function", "config": "<name>"}.
bool is_function_object(const json& j) {
  return j.is_object() && j.value("class_name", "") == "function" && j.contains("config") &&
         j["config"].is_string();
}

std::string class_name_of(const json& j, const std::string& source, const std::string& what) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    fail(source, what + ": expected a name or {\"class_name\", \"config\"}, got " + j.dump());
  return strip_registration(j["class_name"].get<std::string>());
}

LossSpec loss_from_json(const json& j, const std::string& source, const std::string& what) {
  if (j.is_null()) return LossSpec();
  if (j.is_string() || is_function_object(j)) {
    const std::string name = j.is_string() ? j.get<std::string>() : j["config"].get<std::string>();
    wrapped(source, what, [&] { return get_loss(name); });
    return LossSpec(name);
  }
  const std::string cls = class_name_of(j, source, what);
  const json config = j.value("config", json::object());
  ConfigReader r(config, source, what + " " + cls);
  r.use("name");
  r.use("dtype");
  r.only_default("reduction", {"auto", "sum_over_batch_size"}, "only the mean over the batch");
  LossPtr loss;
  wrapped(source, what, [&] {
    if (cls == "MeanSquaredError") {
      loss = std::make_shared<MeanSquaredError>();
    } else if (cls == "MeanAbsoluteError") {
      loss = std::make_shared<MeanAbsoluteError>();
    } else if (cls == "BinaryCrossentropy" || cls == "CategoricalCrossentropy") {
      const bool from_logits = r.boolean("from_logits", false);
      const auto smoothing = static_cast<float>(r.number("label_smoothing", 0.0));
      const int axis = static_cast<int>(r.number("axis", -1));
      if (cls == "BinaryCrossentropy")
        loss = std::make_shared<BinaryCrossentropy>(BinaryCrossentropyOptions{
            .from_logits = from_logits, .label_smoothing = smoothing, .axis = axis});
      else
        loss = std::make_shared<CategoricalCrossentropy>(CategoricalCrossentropyOptions{
            .from_logits = from_logits, .label_smoothing = smoothing, .axis = axis});
    } else if (cls == "SparseCategoricalCrossentropy") {
      SparseCategoricalCrossentropyOptions o;
      o.from_logits = r.boolean("from_logits", false);
      if (r.has("ignore_class")) o.ignore_class = static_cast<int>(r.number("ignore_class", 0));
      else r.use("ignore_class");
      o.axis = static_cast<int>(r.number("axis", -1));
      loss = std::make_shared<SparseCategoricalCrossentropy>(o);
    } else {
      throw ValueError("unknown loss class '" + cls +
                       "'; Strata supports MeanSquaredError, MeanAbsoluteError, "
                       "BinaryCrossentropy, CategoricalCrossentropy, "
                       "SparseCategoricalCrossentropy and their function names");
    }
    return 0;
  });
  r.finish();
  return LossSpec(loss);
}

const Shape kAnyShape{-1, 1};

MetricSpec metric_from_json(const json& j, const std::string& source) {
  const std::string what = "metric";
  if (j.is_string() || is_function_object(j)) {
    const std::string name = j.is_string() ? j.get<std::string>() : j["config"].get<std::string>();
    wrapped(source, what, [&] { return get_metric(name, nullptr, kAnyShape, kAnyShape); });
    return MetricSpec(name);
  }
  const std::string cls = class_name_of(j, source, what);
  const json config = j.value("config", json::object());
  ConfigReader r(config, source, what + " " + cls);
  r.only_default("dtype", {"float32"}, "Strata's metrics compute in float32/double");
  const std::string name = r.string("name", "");
  MetricPtr metric;
  MetricSpec spec("");
  wrapped(source, what, [&] {
    auto named = [&](auto options) {
      if (!name.empty()) options.name = name;
      return options;
    };
    if (cls == "MeanMetricWrapper") {
      // tf.keras 2.x: {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}.
      const std::string fn = r.string("fn", "");
      if (fn.empty()) throw ValueError("MeanMetricWrapper without a function name ('fn')");
      const std::string lf = lower(fn);
      if (lf == "accuracy" || lf == "acc") {
        spec = MetricSpec(name.empty() ? fn : name);  // resolved from the loss at fit time
        get_metric(spec.identifier(), nullptr, kAnyShape, kAnyShape);
        return 0;
      }
      metric = get_metric(fn, nullptr, kAnyShape, kAnyShape);
      if (!name.empty()) metric->set_name(name);
    } else if (cls == "BinaryAccuracy") {
      metrics::BinaryAccuracyOptions o = named(metrics::BinaryAccuracyOptions{});
      o.threshold = static_cast<float>(r.number("threshold", 0.5));
      metric = std::make_shared<metrics::BinaryAccuracy>(o);
    } else if (cls == "CategoricalAccuracy") {
      metric = std::make_shared<metrics::CategoricalAccuracy>(
          named(metrics::CategoricalAccuracyOptions{}));
    } else if (cls == "SparseCategoricalAccuracy") {
      metric = std::make_shared<metrics::SparseCategoricalAccuracy>(
          named(metrics::SparseCategoricalAccuracyOptions{}));
    } else if (cls == "Accuracy") {
      metric = std::make_shared<metrics::Accuracy>(named(metrics::AccuracyOptions{}));
    } else if (cls == "MeanSquaredError") {
      metric = std::make_shared<metrics::MeanSquaredError>(
          named(metrics::MeanSquaredErrorOptions{}));
    } else if (cls == "MeanAbsoluteError") {
      metric = std::make_shared<metrics::MeanAbsoluteError>(
          named(metrics::MeanAbsoluteErrorOptions{}));
    } else {
      throw ValueError("unknown metric class '" + cls +
                       "'; Strata supports Accuracy, BinaryAccuracy, CategoricalAccuracy, "
                       "SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, "
                       "MeanMetricWrapper and their function names");
    }
    return 0;
  });
  r.finish();
  if (metric) return MetricSpec(metric);
  return spec;
}

std::vector<MetricSpec> metric_list(const json& j, const std::string& source) {
  std::vector<MetricSpec> out;
  if (j.is_null()) return out;
  if (j.is_array()) {
    for (const auto& e : j)
      if (!e.is_null()) out.push_back(metric_from_json(e, source));
    return out;
  }
  out.push_back(metric_from_json(j, source));
  return out;
}

bool has_object(const json& list) {
  for (const auto& e : list)
    if (e.is_object() && !is_function_object(e)) return true;
  return false;
}

void read_metrics(const json& j, const std::vector<std::string>& outputs, CompileOptions& o,
                  const std::string& source) {
  if (j.is_null()) return;
  if (j.is_string() || (j.is_object() && j.contains("class_name"))) {
    o.metrics = metric_list(j, source);
    return;
  }
  if (j.is_object()) {  // by output name
    for (const auto& [name, v] : j.items()) {
      if (std::find(outputs.begin(), outputs.end(), name) == outputs.end())
        fail(source, "metrics name output '" + name + "', but the model's outputs are " +
                         joined(outputs));
      o.output_metrics[name] = metric_list(v, source);
    }
    return;
  }
  if (!j.is_array()) fail(source, "metrics must be a list or a dict, got " + j.dump());
  const bool nested = std::any_of(j.begin(), j.end(), [](const json& e) { return e.is_array(); });
  if (nested) {  // one list per output, by position (tf.keras 2.4's [[...]])
    if (j.size() != outputs.size())
      fail(source, "metrics has " + std::to_string(j.size()) + " per-output lists, but the model has " +
                       std::to_string(outputs.size()) + " outputs: " + joined(outputs));
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto list = metric_list(j[i], source);
      if (!list.empty()) o.output_metrics[outputs[i]] = std::move(list);
    }
    return;
  }
  if (outputs.size() > 1 && has_object(j)) {
    // Metric objects cannot be shared by outputs: one fresh copy per output.
    for (const auto& name : outputs) o.output_metrics[name] = metric_list(j, source);
    return;
  }
  o.metrics = metric_list(j, source);
}

void read_loss(const json& j, CompileOptions& o, const std::string& source) {
  if (j.is_null()) fail(source, "the compile state has no loss");
  if (j.is_string() || (j.is_object() && j.contains("class_name"))) {
    o.loss = loss_from_json(j, source, "loss");
  } else if (j.is_object()) {
    std::map<std::string, LossSpec> by_name;
    for (const auto& [name, v] : j.items())
      by_name[name] = loss_from_json(v, source, "loss for output '" + name + "'");
    o.loss = PerOutput<LossSpec>(std::move(by_name));
  } else if (j.is_array()) {
    std::vector<LossSpec> by_position;
    for (size_t i = 0; i < j.size(); ++i)
      by_position.push_back(loss_from_json(j[i], source, "loss " + std::to_string(i)));
    o.loss = PerOutput<LossSpec>(std::move(by_position));
  } else {
    fail(source, "loss must be a name, an object, a dict or a list, got " + j.dump());
  }
}

void read_loss_weights(const json& j, CompileOptions& o, const std::string& source) {
  auto number = [&](const json& v) {
    if (!v.is_number()) fail(source, "loss_weights entry " + v.dump() + " is not a number");
    return v.get<double>();
  };
  if (j.is_null()) return;
  if (j.is_number()) {
    o.loss_weights = number(j);
  } else if (j.is_array()) {
    std::vector<double> w;
    for (const auto& v : j) w.push_back(number(v));
    o.loss_weights = PerOutput<double>(std::move(w));
  } else if (j.is_object()) {
    std::map<std::string, double> w;
    for (const auto& [name, v] : j.items()) w[name] = number(v);
    o.loss_weights = PerOutput<double>(std::move(w));
  } else {
    fail(source, "loss_weights must be a list or a dict, got " + j.dump());
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizer variables

Tensor int64_scalar(int64_t v) { return Tensor::from_vector(Shape{}, std::vector<int64_t>{v}); }

int64_t integer_of(const Tensor& t, const std::string& source, const std::string& name) {
  if (t.numel() != 1)
    fail(source, "optimizer variable '" + name + "' (the iteration count) should be a scalar, got shape " +
                     t.shape().str());
  switch (t.dtype()) {
    case DType::int64: return t.to_vector<int64_t>()[0];
    case DType::int32: return t.to_vector<int32_t>()[0];
    case DType::float32: {
      const float v = t.item();
      if (!std::isfinite(v) || v < 0 || v != std::floor(v))
        fail(source, "optimizer variable '" + name + "' (the iteration count) is " +
                         std::to_string(v) + ", not a whole number");
      return static_cast<int64_t>(v);
    }
  }
  return 0;
}

// "<layer>/<weight>" for every weight of the model's layers (nested models included).
void collect_weight_names(const Model& m,
                          std::unordered_map<const TensorImpl*, std::string>& names) {
  for (const auto& layer : m.layers()) {
    if (auto sub = std::dynamic_pointer_cast<Model>(layer)) {
      collect_weight_names(*sub, names);
      continue;
    }
    for (const auto& w : layer->weight_entries())
      if (w.value.defined()) names.emplace(w.value.impl().get(), layer->name() + "/" + w.name);
  }
}

std::vector<std::string> trainable_names(const Model& m, const std::vector<Tensor>& params) {
  std::unordered_map<const TensorImpl*, std::string> names;
  collect_weight_names(m, names);
  std::vector<std::string> out;
  for (size_t i = 0; i < params.size(); ++i) {
    auto it = names.find(params[i].impl().get());
    out.push_back(it != names.end() ? it->second : "variable_" + std::to_string(i));
  }
  return out;
}

std::string keras2_slot_name(const Optimizer& opt, const std::string& keras3_slot) {
  static const std::map<std::pair<std::string, std::string>, std::string> names = {
      {{"Adam", "momentum"}, "m"},      {{"Adam", "velocity"}, "v"},
      {{"Adam", "velocity_hat"}, "vhat"}, {{"RMSprop", "velocity"}, "rms"},
      {{"RMSprop", "momentum"}, "momentum"}, {{"RMSprop", "average_gradient"}, "mg"},
      {{"SGD", "momentum"}, "momentum"}};
  auto it = names.find({opt.class_name(), keras3_slot});
  return it != names.end() ? it->second : keras3_slot;
}

bool has_any_state(const Optimizer& opt, const std::vector<Tensor>& params) {
  return std::any_of(params.begin(), params.end(),
                     [&](const Tensor& p) { return !opt.slots(p).empty(); });
}

struct Slot {
  std::string name;
  Tensor value;  // live (or zeros where the optimizer has no state for the weight)
};

// tf.keras 2.x order: every weight's first slot, then every weight's second slot, ...
std::vector<Slot> keras2_slots(const Model& m, const Optimizer& opt) {
  const auto params = m.trainable_weights();
  std::vector<Slot> out;
  if (!has_any_state(opt, params)) return out;
  const auto names = trainable_names(m, params);
  const auto kinds = opt.slot_names();
  const std::string prefix = keras2_name(opt) + "/";
  for (size_t k = 0; k < kinds.size(); ++k)
    for (size_t i = 0; i < params.size(); ++i) {
      auto s = opt.slots(params[i]);
      Tensor v = s.empty() ? Tensor::zeros(params[i].shape()) : s[k];
      out.push_back({prefix + names[i] + "/" + keras2_slot_name(opt, kinds[k]) + ":0", v});
    }
  return out;
}

// Keras 3 order: Optimizer::variables_for(trainable weights), named after Keras 3's
// add_variable_from_reference ("<layer>_<weight>_<slot>").
std::vector<Slot> keras3_slots(const Model& m, const Optimizer& opt) {
  const auto params = m.trainable_weights();
  std::vector<Slot> out;
  if (!has_any_state(opt, params)) return out;
  const auto names = trainable_names(m, params);
  const auto kinds = opt.slot_names();
  std::unordered_map<const TensorImpl*, std::string> slot_names;
  for (size_t i = 0; i < params.size(); ++i) {
    auto s = opt.slots(params[i]);
    std::string base = names[i];
    std::replace(base.begin(), base.end(), '/', '_');
    for (size_t k = 0; k < s.size() && k < kinds.size(); ++k)
      slot_names[s[k].impl().get()] = opt.name() + "/" + base + "_" + kinds[k];
  }
  const auto vars = opt.variables_for(params);
  for (size_t i = 0; i < vars.size(); ++i) {
    auto it = slot_names.find(vars[i].impl().get());
    out.push_back({it != slot_names.end() ? it->second
                                          : opt.name() + "/variable_" + std::to_string(i + 2),
                   vars[i]});
  }
  return out;
}

void check_slot_values(const std::vector<Slot>& slots, const std::vector<std::string>& names,
                       const std::vector<Tensor>& values, size_t first,
                       const std::string& source) {
  for (size_t i = 0; i < slots.size(); ++i) {
    const Tensor& v = values[first + i];
    const std::string& file_name = names[first + i];
    if (!v.defined())
      fail(source, "optimizer variable '" + file_name + "' has no value");
    if (v.dtype() != DType::float32)
      fail(source, "optimizer variable '" + file_name + "' is " + dtype_name(v.dtype()) +
                       ", expected float32 (for " + slots[i].name + ")");
    if (v.shape() != slots[i].value.shape())
      fail(source, "optimizer variable '" + file_name + "' has shape " + v.shape().str() +
                       ", but the model's '" + slots[i].name + "' has shape " +
                       slots[i].value.shape().str());
  }
}

}  // namespace

// -----------------------------------------------------------------------------------------------

nlohmann::json optimizer_to_keras2_config(const Optimizer& opt) {
  json config = {{"name", keras2_name(opt)},
                 {"learning_rate", config_number(opt.learning_rate())},
                 {"decay", 0.0}};
  const json own = opt.get_config();
  for (const auto& [k, v] : own.items())
    if (!keras3_base_keys().count(k)) config[k] = v;
  return json{{"class_name", opt.class_name()}, {"config", std::move(config)}};
}

OptimizerPtr optimizer_from_config(const nlohmann::json& j, const std::string& source) {
  if (j.is_string())
    return wrapped(source, "optimizer", [&] { return get_optimizer(j.get<std::string>()); });
  const std::string cls = class_name_of(j, source, "optimizer");
  const std::string key = lower(cls);
  if (key != "sgd" && key != "adam" && key != "rmsprop")
    fail(source, "unknown optimizer '" + cls + "'; Strata supports SGD, Adam, RMSprop");
  const json config = j.value("config", json::object());
  ConfigReader r(config, source, "optimizer " + cls);

  // The base keys every Keras version writes.
  std::string name = r.string("name", "");
  if (name == "Adam" || name == "RMSprop") name = lower(name);  // tf.keras 2.x default names
  double lr = -1;
  for (const char* k : {"learning_rate", "lr"}) {
    if (!r.has(k)) {
      r.use(k);
      continue;
    }
    if (r.raw(k).is_object())
      r.problem(std::string(k) + "=" + r.raw(k).dump() +
                " (learning-rate schedules are not supported; use a LearningRateScheduler)");
    else
      lr = r.number(k, -1);
  }
  r.only_default("decay", {0, 0.0}, "Keras 2 learning-rate decay is not supported");
  r.only_default("weight_decay", {0, 0.0}, "weight decay is not supported");
  r.only_default("clipnorm", {}, "gradient clipping is not supported");
  r.only_default("global_clipnorm", {}, "gradient clipping is not supported");
  r.only_default("clipvalue", {}, "gradient clipping is not supported");
  const bool ema = r.boolean("use_ema", false);
  if (ema) r.problem("use_ema=true (exponential moving averages are not supported)");
  r.use("ema_momentum");             // only used with use_ema
  r.use("ema_overwrite_frequency");  // only used with use_ema
  r.only_default("loss_scale_factor", {1, 1.0}, "loss scaling is not supported");
  r.only_default("gradient_accumulation_steps", {1}, "gradient accumulation is not supported");
  r.use("jit_compile");
  r.use("is_legacy_optimizer");

  OptimizerPtr opt = wrapped(source, "optimizer " + cls, [&]() -> OptimizerPtr {
    if (key == "sgd") {
      SGDOptions o;
      if (lr >= 0) o.learning_rate = lr;
      o.momentum = r.number("momentum", o.momentum);
      o.nesterov = r.boolean("nesterov", o.nesterov);
      if (!name.empty()) o.name = name;
      return std::make_shared<SGD>(o);
    }
    if (key == "adam") {
      AdamOptions o;
      if (lr >= 0) o.learning_rate = lr;
      o.beta_1 = r.number("beta_1", o.beta_1);
      o.beta_2 = r.number("beta_2", o.beta_2);
      o.epsilon = r.number("epsilon", o.epsilon);  // null in Keras 2.2: K.epsilon() = 1e-7
      o.amsgrad = r.boolean("amsgrad", o.amsgrad);
      if (!name.empty()) o.name = name;
      return std::make_shared<Adam>(o);
    }
    RMSpropOptions o;
    if (lr >= 0) o.learning_rate = lr;
    o.rho = r.number("rho", o.rho);
    o.momentum = r.number("momentum", o.momentum);
    o.epsilon = r.number("epsilon", o.epsilon);
    o.centered = r.boolean("centered", o.centered);
    if (!name.empty()) o.name = name;
    return std::make_shared<RMSprop>(o);
  });
  r.finish();
  return opt;
}

nlohmann::json training_config(const Model& model) {
  require_compiled(model, "training_config");
  return json{{"loss", losses_json(model, false)},
              {"metrics", metrics_json(model, false)},
              {"weighted_metrics", nullptr},
              {"loss_weights", loss_weights_json(model)},
              {"optimizer_config", optimizer_to_keras2_config(*model.optimizer())}};
}

nlohmann::json compile_config(const Model& model) {
  require_compiled(model, "compile_config");
  const Optimizer& opt = *model.optimizer();
  return json{{"optimizer", keras3_object("keras.optimizers", opt.class_name(), opt.get_config())},
              {"loss", losses_json(model, true)},
              {"loss_weights", loss_weights_json(model)},
              {"metrics", metrics_json(model, true)},
              {"weighted_metrics", nullptr},
              {"run_eagerly", false},
              {"steps_per_execution", 1},
              {"jit_compile", false}};
}

void compile_from_config(Model& model, const nlohmann::json& config, const std::string& source) {
  if (!config.is_object())
    fail(source, "the training/compile config must be a JSON object, got " + config.dump());
  const bool keras3 = config.contains("optimizer");
  if (!keras3 && !config.contains("optimizer_config"))
    fail(source, "the training config has neither 'optimizer_config' (Keras 2) nor "
                 "'optimizer' (Keras 3)");
  std::set<std::string> known = {"loss", "metrics", "weighted_metrics", "loss_weights"};
  if (keras3)
    known.insert({"optimizer", "run_eagerly", "steps_per_execution", "jit_compile",
                  "auto_scale_loss"});
  else
    known.insert({"optimizer_config", "sample_weight_mode", "target_tensors"});
  for (const auto& [k, v] : config.items())
    if (!known.count(k)) fail(source, "unknown compile option '" + k + "'=" + v.dump());

  auto null_or_empty = [](const json& v) { return v.is_null() || (v.is_structured() && v.empty()); };
  if (config.contains("weighted_metrics") && !null_or_empty(config["weighted_metrics"]))
    fail(source, "weighted_metrics " + config["weighted_metrics"].dump() +
                     " are not supported (Strata's fit takes no sample weights)");
  if (config.contains("sample_weight_mode") && !config["sample_weight_mode"].is_null())
    fail(source, "sample_weight_mode " + config["sample_weight_mode"].dump() + " is not supported");
  if (config.contains("target_tensors") && !config["target_tensors"].is_null())
    fail(source, "target_tensors are not supported");

  CompileOptions o;
  o.optimizer = optimizer_from_config(keras3 ? config["optimizer"] : config["optimizer_config"],
                                      source);
  read_loss(config.contains("loss") ? config["loss"] : json(), o, source);
  if (config.contains("loss_weights")) read_loss_weights(config["loss_weights"], o, source);
  if (config.contains("metrics")) read_metrics(config["metrics"], model.output_names(), o, source);
  wrapped(source, "compile", [&] {
    model.compile(std::move(o));
    return 0;
  });
}

std::vector<std::pair<std::string, Tensor>> optimizer_weights_h5(const Model& model) {
  require_compiled(model, "optimizer_weights_h5");
  const Optimizer& opt = *model.optimizer();
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back(keras2_name(opt) + "/iter:0", int64_scalar(opt.iterations()));
  for (const auto& s : keras2_slots(model, opt)) out.emplace_back(s.name, s.value.clone());
  return out;
}

void restore_optimizer_weights_h5(Model& model, const std::vector<std::string>& names,
                                  const std::vector<Tensor>& values, const std::string& source) {
  if (!model.compiled() || !model.optimizer())
    fail(source, "model '" + model.name() + "' must be compiled before its optimizer weights "
                 "are restored (compile_from_config)");
  if (names.size() != values.size())
    fail(source, "optimizer_weights: " + std::to_string(names.size()) + " names but " +
                     std::to_string(values.size()) + " values");
  Optimizer& opt = *model.optimizer();
  opt.build(model.trainable_weights());
  auto slots = keras2_slots(model, opt);
  if (values.size() != 1 + slots.size() && values.size() != 1) {
    const auto n = model.trainable_weights().size();
    fail(source, "optimizer_weights holds " + std::to_string(values.size()) + " variables, but " +
                     opt.class_name() + " for the model's " + std::to_string(n) +
                     " trainable weights has " + std::to_string(1 + slots.size()) +
                     " (the iteration count, then " + std::to_string(opt.slot_names().size()) +
                     " slot(s) per weight)");
  }
  const int64_t iterations = integer_of(values[0], source, names[0]);
  if (values.size() > 1) {
    check_slot_values(slots, names, values, 1, source);
    for (size_t i = 0; i < slots.size(); ++i) slots[i].value.copy_(values[1 + i]);
  }
  opt.set_iterations(iterations);
}

std::vector<std::pair<std::string, Tensor>> optimizer_variables_keras3(const Model& model) {
  require_compiled(model, "optimizer_variables_keras3");
  const Optimizer& opt = *model.optimizer();
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back(opt.name() + "/iteration", int64_scalar(opt.iterations()));
  out.emplace_back(opt.name() + "/learning_rate", Tensor::scalar(opt.learning_rate()));
  for (const auto& s : keras3_slots(model, opt)) out.emplace_back(s.name, s.value.clone());
  return out;
}

void restore_optimizer_variables_keras3(Model& model, const std::vector<Tensor>& values,
                                        const std::string& source) {
  if (!model.compiled() || !model.optimizer())
    fail(source, "model '" + model.name() + "' must be compiled before its optimizer variables "
                 "are restored (compile_from_config)");
  Optimizer& opt = *model.optimizer();
  opt.build(model.trainable_weights());
  auto slots = keras3_slots(model, opt);
  if (values.size() != 2 + slots.size() && values.size() != 2) {
    const auto n = model.trainable_weights().size();
    fail(source, "optimizer/vars holds " + std::to_string(values.size()) + " variables, but " +
                     opt.class_name() + " for the model's " + std::to_string(n) +
                     " trainable weights has " + std::to_string(2 + slots.size()) +
                     " (iteration, learning_rate, then " +
                     std::to_string(opt.slot_names().size()) + " slot(s) per weight)");
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < values.size(); ++i) names.push_back("optimizer/vars/" + std::to_string(i));
  const int64_t iterations = integer_of(values[0], source, names[0]);
  const Tensor& lr = values[1];
  if (!lr.defined() || lr.numel() != 1 || lr.dtype() != DType::float32)
    fail(source, "optimizer variable 'optimizer/vars/1' (the learning rate) should be a float32 "
                 "scalar");
  const float rate = lr.item();
  if (values.size() > 2) check_slot_values(slots, names, values, 2, source);
  wrapped(source, "optimizer/vars/1", [&] {
    opt.set_learning_rate(rate);
    return 0;
  });
  if (values.size() > 2)
    for (size_t i = 0; i < slots.size(); ++i) slots[i].value.copy_(values[2 + i]);
  opt.set_iterations(iterations);
}

}  // namespace strata
