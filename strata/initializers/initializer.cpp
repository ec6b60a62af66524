#include "strata/initializers/initializer.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/initializers/orthogonal.hpp"

namespace strata {

using nlohmann::json;

Tensor Initializer::make(const Shape& shape, Backend& backend) const {
  return Tensor::from_vector(shape, values(shape), backend);
}

std::pair<double, double> compute_fans(const Shape& shape) {
  if (shape.rank() == 0) return {1, 1};
  if (shape.rank() == 1) return {double(shape[0]), double(shape[0])};
  double rf = 1;
  for (int i = 0; i < shape.rank() - 2; ++i) rf *= double(shape[i]);
  return {double(shape[shape.rank() - 2]) * rf, double(shape[shape.rank() - 1]) * rf};
}

InitializerPtr initializer_from_config(const std::string& class_name, const json& config) {
  using namespace initializers;
  auto num = [&](const char* key, double fallback) {
    return config.contains(key) && config[key].is_number() ? config[key].get<double>() : fallback;
  };
  std::optional<uint64_t> seed;
  if (config.contains("seed") && config["seed"].is_number_integer()) seed = config["seed"].get<uint64_t>();
  if (class_name == "Constant") return std::make_shared<Constant>(ConstantOptions{float(num("value", 0))});
  if (class_name == "RandomNormal")
    return std::make_shared<RandomNormal>(RandomNormalOptions{num("mean", 0), num("stddev", 0.05), seed});
  if (class_name == "TruncatedNormal")
    return std::make_shared<TruncatedNormal>(RandomNormalOptions{num("mean", 0), num("stddev", 0.05), seed});
  if (class_name == "RandomUniform")
    return std::make_shared<RandomUniform>(RandomUniformOptions{num("minval", -0.05), num("maxval", 0.05), seed});
  if (class_name == "Orthogonal")
    return std::make_shared<Orthogonal>(OrthogonalOptions{num("gain", 1.0), seed});
  if (class_name == "VarianceScaling") {
    VarianceScalingOptions o{num("scale", 1.0), "fan_in", "truncated_normal", seed};
    if (config.contains("mode")) o.mode = config["mode"].get<std::string>();
    if (config.contains("distribution")) o.distribution = config["distribution"].get<std::string>();
    return std::make_shared<VarianceScaling>(o);
  }
  InitializerPtr named = get_initializer(class_name);  // Zeros, Ones, GlorotUniform, ... (throws)
  if (!seed) return named;
  if (class_name == "GlorotUniform") return std::make_shared<GlorotUniform>(Seeded{seed});
  if (class_name == "GlorotNormal") return std::make_shared<GlorotNormal>(Seeded{seed});
  if (class_name == "HeNormal") return std::make_shared<HeNormal>(Seeded{seed});
  if (class_name == "HeUniform") return std::make_shared<HeUniform>(Seeded{seed});
  if (class_name == "LecunNormal") return std::make_shared<LecunNormal>(Seeded{seed});
  if (class_name == "LecunUniform") return std::make_shared<LecunUniform>(Seeded{seed});
  return named;
}

json initializer_config(const InitializerSpec& spec) {
  auto p = spec.resolve();
  return {{"class_name", p->class_name()}, {"config", p->get_config()}};
}

namespace {

json seed_json(const std::optional<uint64_t>& s) { return s ? json(*s) : json(nullptr); }

std::mt19937_64 engine(const std::optional<uint64_t>& seed) {
  return std::mt19937_64(seed ? *seed : next_seed());
}

// Normal draws kept within two standard deviations (Keras/TF truncated_normal).
std::vector<float> truncated(const Shape& shape, double mean, double stddev,
                             const std::optional<uint64_t>& seed) {
  auto gen = engine(seed);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) {
    double z;
    do z = n(gen);
    while (std::abs(z) > 2.0);
    x = static_cast<float>(mean + stddev * z);
  }
  return v;
}

}  // namespace

namespace initializers {

VarianceScaling::VarianceScaling(VarianceScalingOptions o)
    : VarianceScaling(std::move(o), "VarianceScaling") {}

VarianceScaling::VarianceScaling(VarianceScalingOptions o, std::string class_name)
    : o_(std::move(o)), class_name_(std::move(class_name)) {
  if (!(o_.scale > 0))
    throw ValueError(class_name_ + ": scale must be positive, got " + std::to_string(o_.scale));
  if (o_.mode != "fan_in" && o_.mode != "fan_out" && o_.mode != "fan_avg")
    throw ValueError(class_name_ + ": mode must be one of fan_in, fan_out, fan_avg; got '" +
                     o_.mode + "'");
  if (o_.distribution == "normal") o_.distribution = "truncated_normal";
  if (o_.distribution != "truncated_normal" && o_.distribution != "untruncated_normal" &&
      o_.distribution != "uniform")
    throw ValueError(class_name_ +
                     ": distribution must be one of truncated_normal, untruncated_normal, "
                     "uniform; got '" + o_.distribution + "'");
}

std::vector<float> VarianceScaling::values(const Shape& shape) const {
  auto [fan_in, fan_out] = compute_fans(shape);
  double n = o_.mode == "fan_in" ? fan_in : o_.mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
  double scale = o_.scale / std::max(1.0, n);
  if (o_.distribution == "truncated_normal")
    return truncated(shape, 0.0, std::sqrt(scale) / 0.87962566103423978, o_.seed);
  auto gen = engine(o_.seed);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  if (o_.distribution == "untruncated_normal") {
    std::normal_distribution<double> d(0.0, std::sqrt(scale));
    for (auto& x : v) x = static_cast<float>(d(gen));
  } else {
    double limit = std::sqrt(3.0 * scale);
    std::uniform_real_distribution<double> d(-limit, limit);
    for (auto& x : v) x = static_cast<float>(d(gen));
  }
  return v;
}

json VarianceScaling::get_config() const {
  if (class_name_ != "VarianceScaling") return {{"seed", seed_json(o_.seed)}};
  return {{"scale", o_.scale}, {"mode", o_.mode}, {"distribution", o_.distribution},
          {"seed", seed_json(o_.seed)}};
}

std::vector<float> Constant::values(const Shape& shape) const {
  return std::vector<float>(static_cast<size_t>(shape.numel()), value_);
}

std::vector<float> RandomNormal::values(const Shape& shape) const {
  auto gen = engine(o_.seed);
  std::normal_distribution<double> d(o_.mean, o_.stddev);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) x = static_cast<float>(d(gen));
  return v;
}

json RandomNormal::get_config() const {
  return {{"mean", o_.mean}, {"stddev", o_.stddev}, {"seed", seed_json(o_.seed)}};
}

std::vector<float> TruncatedNormal::values(const Shape& shape) const {
  return truncated(shape, o_.mean, o_.stddev, o_.seed);
}

json TruncatedNormal::get_config() const {
  return {{"mean", o_.mean}, {"stddev", o_.stddev}, {"seed", seed_json(o_.seed)}};
}

std::vector<float> RandomUniform::values(const Shape& shape) const {
  if (!(o_.maxval > o_.minval))
    throw ValueError("RandomUniform: maxval must exceed minval");
  auto gen = engine(o_.seed);
  std::uniform_real_distribution<double> d(o_.minval, o_.maxval);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) x = static_cast<float>(d(gen));
  return v;
}

json RandomUniform::get_config() const {
  return {{"minval", o_.minval}, {"maxval", o_.maxval}, {"seed", seed_json(o_.seed)}};
}

}  // namespace initializers

InitializerPtr get_initializer(const std::string& name) {
  using namespace initializers;
  static const std::map<std::string, std::function<InitializerPtr()>> table = {
      {"glorot_uniform", [] { return std::make_shared<GlorotUniform>(); }},
      {"glorot_normal", [] { return std::make_shared<GlorotNormal>(); }},
      {"he_normal", [] { return std::make_shared<HeNormal>(); }},
      {"he_uniform", [] { return std::make_shared<HeUniform>(); }},
      {"lecun_normal", [] { return std::make_shared<LecunNormal>(); }},
      {"lecun_uniform", [] { return std::make_shared<LecunUniform>(); }},
      {"variance_scaling", [] { return std::make_shared<VarianceScaling>(); }},
      {"zeros", [] { return std::make_shared<Zeros>(); }},
      {"ones", [] { return std::make_shared<Ones>(); }},
      {"constant", [] { return std::make_shared<Constant>(); }},
      {"random_normal", [] { return std::make_shared<RandomNormal>(); }},
      {"random_uniform", [] { return std::make_shared<RandomUniform>(); }},
      {"truncated_normal", [] { return std::make_shared<TruncatedNormal>(); }},
      {"orthogonal", [] { return std::make_shared<Orthogonal>(); }},
  };
  // Keras accepts the class name too (GlorotUniform) and the aliases "uniform"/"normal".
  std::string key;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 && name[i - 1] != '_') key += '_';
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (key == "uniform") key = "random_uniform";
  if (key == "normal") key = "random_normal";
  auto it = table.find(key);
  if (it == table.end()) {
    std::string valid;
    for (const auto& [k, _] : table) valid += (valid.empty() ? "" : ", ") + k;
    throw ValueError("unknown initializer '" + name + "'; valid names: " + valid);
  }
  return it->second();
}

}  // namespace strata
