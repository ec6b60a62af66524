// Weight initializers with Keras' names, defaults and formulas. Fans follow Keras: for a kernel of
// shape (..., in, out) the receptive field is the product of the leading dims, fan_in = in·rf and
// fan_out = out·rf; a 1-D shape has fan_in = fan_out = its size.
//
//   auto init = get_initializer("he_normal");
//   Tensor w = init->make(Shape{784, 512});
//   Dense({.units = 10, .kernel_initializer = initializers::GlorotNormal({.seed = 1})});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/autodiff/tensor.hpp"

namespace strata {

class Initializer {
 public:
  virtual ~Initializer() = default;
  // Host values for a weight of `shape`. Each call draws new values unless a seed was given.
  virtual std::vector<float> values(const Shape& shape) const = 0;
  Tensor make(const Shape& shape, Backend& backend = default_backend()) const;
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const = 0;
};
using InitializerPtr = std::shared_ptr<Initializer>;

// Keras names ("glorot_uniform", "GlorotUniform", "zeros", "uniform", ...). Throws ValueError
// listing the valid names.
InitializerPtr get_initializer(const std::string& name);

// What layer options take: a name or an initializer object.
class InitializerSpec {
 public:
  InitializerSpec() = default;
  InitializerSpec(const char* name) : name_(name) {}
  InitializerSpec(std::string name) : name_(std::move(name)) {}
  InitializerSpec(InitializerPtr p) : ptr_(std::move(p)) {}
  template <class T>
    requires std::derived_from<T, Initializer>
  InitializerSpec(T init) : ptr_(std::make_shared<T>(std::move(init))) {}
  InitializerPtr resolve() const { return ptr_ ? ptr_ : get_initializer(name_); }

 private:
  std::string name_;
  InitializerPtr ptr_;
};

std::pair<double, double> compute_fans(const Shape& shape);

// An initializer from its Keras class name ("GlorotUniform", "Constant", ...) and config
// ({"seed": 3}, {"value": 0.5}, ...); throws ValueError naming the class when it is unknown.
InitializerPtr initializer_from_config(const std::string& class_name, const nlohmann::json& config);

// {"class_name": ..., "config": ...} as layer configs embed an initializer.
nlohmann::json initializer_config(const InitializerSpec& spec);

namespace initializers {

struct Seeded {
  std::optional<uint64_t> seed;
};

// VarianceScaling(scale, mode, distribution): mode fan_in|fan_out|fan_avg, distribution
// truncated_normal|untruncated_normal|uniform. stddev = sqrt(scale / n) (÷ .87962566 truncated).
struct VarianceScalingOptions {
  double scale = 1.0;
  std::string mode = "fan_in";
  std::string distribution = "truncated_normal";
  std::optional<uint64_t> seed;
};
class VarianceScaling : public Initializer {
 public:
  VarianceScaling(VarianceScalingOptions o = {});
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return class_name_; }
  nlohmann::json get_config() const override;

 protected:
  VarianceScaling(VarianceScalingOptions o, std::string class_name);
  VarianceScalingOptions o_;
  std::string class_name_;
};

// The named special cases of VarianceScaling; their Keras config holds only the seed.
class GlorotUniform : public VarianceScaling {
 public:
  GlorotUniform(Seeded s = {}) : VarianceScaling({1.0, "fan_avg", "uniform", s.seed}, "GlorotUniform") {}
};
class GlorotNormal : public VarianceScaling {
 public:
  GlorotNormal(Seeded s = {}) : VarianceScaling({1.0, "fan_avg", "truncated_normal", s.seed}, "GlorotNormal") {}
};
class HeNormal : public VarianceScaling {
 public:
  HeNormal(Seeded s = {}) : VarianceScaling({2.0, "fan_in", "truncated_normal", s.seed}, "HeNormal") {}
};
class HeUniform : public VarianceScaling {
 public:
  HeUniform(Seeded s = {}) : VarianceScaling({2.0, "fan_in", "uniform", s.seed}, "HeUniform") {}
};
class LecunNormal : public VarianceScaling {
 public:
  LecunNormal(Seeded s = {}) : VarianceScaling({1.0, "fan_in", "truncated_normal", s.seed}, "LecunNormal") {}
};
class LecunUniform : public VarianceScaling {
 public:
  LecunUniform(Seeded s = {}) : VarianceScaling({1.0, "fan_in", "uniform", s.seed}, "LecunUniform") {}
};

struct ConstantOptions { float value = 0.f; };
class Constant : public Initializer {
 public:
  Constant(ConstantOptions o = {}) : value_(o.value) {}
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return "Constant"; }
  nlohmann::json get_config() const override { return {{"value", value_}}; }
  float value() const { return value_; }

 private:
  float value_;
};

class Zeros : public Constant {
 public:
  Zeros() : Constant({0.f}) {}
  std::string class_name() const override { return "Zeros"; }
  nlohmann::json get_config() const override { return nlohmann::json::object(); }
};

class Ones : public Constant {
 public:
  Ones() : Constant({1.f}) {}
  std::string class_name() const override { return "Ones"; }
  nlohmann::json get_config() const override { return nlohmann::json::object(); }
};

struct RandomNormalOptions { double mean = 0.0; double stddev = 0.05; std::optional<uint64_t> seed; };
class RandomNormal : public Initializer {
 public:
  RandomNormal(RandomNormalOptions o = {}) : o_(o) {}
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return "RandomNormal"; }
  nlohmann::json get_config() const override;

 private:
  RandomNormalOptions o_;
};

// Normal values re-drawn until within two standard deviations of the mean, as Keras does.
class TruncatedNormal : public Initializer {
 public:
  TruncatedNormal(RandomNormalOptions o = {}) : o_(o) {}
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return "TruncatedNormal"; }
  nlohmann::json get_config() const override;

 private:
  RandomNormalOptions o_;
};

struct RandomUniformOptions { double minval = -0.05; double maxval = 0.05; std::optional<uint64_t> seed; };
class RandomUniform : public Initializer {
 public:
  RandomUniform(RandomUniformOptions o = {}) : o_(o) {}
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return "RandomUniform"; }
  nlohmann::json get_config() const override;

 private:
  RandomUniformOptions o_;
};

}  // namespace initializers
}  // namespace strata
