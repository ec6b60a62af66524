// The activation layers with arguments: ReLU, LeakyReLU, Softmax, ELU (Keras 3 names/defaults).
//
//   ReLU({.max_value = 6.f})        // relu6
//   LeakyReLU({.negative_slope = 0.1f})
//   Softmax({.axis = -1})
//   ELU({.alpha = 1.f})
#pragma once

#include <memory>
#include <optional>

#include "strata/layers/layer.hpp"

namespace strata {

struct ReLUOptions {
  std::optional<float> max_value;
  float negative_slope = 0.f;
  float threshold = 0.f;
  std::string name;
};

// x >= threshold: min(x, max_value); below: negative_slope * (x - threshold).
class ReLU : public Layer {
  STRATA_LAYER(ReLU)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<ReLU> from_config(const nlohmann::json& config);
  explicit ReLU(ReLUOptions o = {});
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ReLUOptions o_;
};

struct LeakyReLUOptions {
  float negative_slope = 0.3f;
  std::string name;
};

class LeakyReLU : public Layer {
  STRATA_LAYER(LeakyReLU)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<LeakyReLU> from_config(const nlohmann::json& config);
  explicit LeakyReLU(LeakyReLUOptions o = {});
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  LeakyReLUOptions o_;
};

struct SoftmaxOptions {
  int axis = -1;
  std::string name;
};

class Softmax : public Layer {
  STRATA_LAYER(Softmax)
 public:
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<Softmax> from_config(const nlohmann::json& config);
  explicit Softmax(SoftmaxOptions o = {}) : Layer("Softmax", o.name), o_(std::move(o)) {}
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  SoftmaxOptions o_;
};

struct ELUOptions {
  float alpha = 1.f;
  std::string name;
};

class ELU : public Layer {
  STRATA_LAYER(ELU)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config (any Keras version's spelling).
  static std::shared_ptr<ELU> from_config(const nlohmann::json& config);
  explicit ELU(ELUOptions o = {}) : Layer("ELU", o.name), o_(std::move(o)) {}
  Shape compute_output_shape(const Shape& in) const override { return in; }
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ELUOptions o_;
};

}  // namespace strata
