// Image augmentation layers, as Keras 3's RandomFlip, RandomTranslation, RandomRotation and
// RandomZoom: in training each image of an (N, H, W, C) float32 batch gets its own random flip
// or affine warp (Backend::image_transform, matrices built on the host); at inference they are
// the identity. Each layer draws from its own generator, seeded by `seed` or next_seed() at
// construction, with a per-call counter: successive calls differ, seeded runs repeat exactly.
// They sit on the model's input, so they pass no gradient to their input (the output is a
// plain tensor even when the input requires grad).
//
//   Sequential model({
//       Input({32, 32, 3}),
//       RandomFlip({.mode = "horizontal"}),
//       RandomRotation({.factor = 0.1f}),
//       RandomZoom({.height_factor = {-0.2f, 0.2f}}),
//       RandomTranslation({.height_factor = 0.1f, .width_factor = 0.1f, .seed = 7}),
//       Flatten(),
//       Dense({.units = 10, .activation = "softmax"}),
//   });
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

// A Keras factor argument: one number f or a (lower, upper) pair; default-constructed means
// absent. What range a single number stands for is the layer's rule (usually [-|f|, |f|]).
//   .factor = 0.2f            .factor = {-0.1f, 0.3f}
struct FactorRange {
  FactorRange() = default;
  FactorRange(float f) : first(f), second(f), count(1) {}
  FactorRange(float lower, float upper) : first(lower), second(upper), count(2) {}
  float first = 0.f, second = 0.f;
  int count = 0;  // 0 absent, 1 single number, 2 pair
  bool given() const { return count != 0; }
  // The value as the user wrote it: a number, a two-element list, or null.
  nlohmann::json to_json() const;
};

// Shared machinery: rank check, the seeded per-call generator, the warp call.
class ImageAugmentationLayer : public Layer {
 public:
  // (batch, height, width, channels); any other rank is a ValueError naming the layer.
  Shape compute_output_shape(const Shape& in) const override;
  // Layer's keys plus seed and data_format ("channels_last").
  nlohmann::json get_config() const override;

 protected:
  ImageAugmentationLayer(std::string class_name, std::string name,
                         std::optional<uint64_t> seed);

  // Reproducible uniform draws for one call: a function of (seed, call index) alone.
  class Sampler {
   public:
    Sampler(uint64_t seed, uint64_t call);
    // Uniform in [lower, upper) (exactly lower when they are equal).
    double uniform(double lower, double upper);

   private:
    uint64_t state_;
  };

  // Validates and stores the Keras fill_mode / interpolation strings.
  void set_sampling(const std::string& fill_mode, const std::string& interpolation,
                    float fill_value);
  // Fills m[6 * i .. 6 * i + 6) with sample i's row-major 2x3 output -> input matrix in
  // (row, column) pixel coordinates (see Backend::image_transform).
  virtual void make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                             float* m) const = 0;
  // fill_mode, interpolation and fill_value, as Keras writes them.
  void add_sampling_config(nlohmann::json& c) const;

 private:
  Tensor call(const Tensor& x, bool training) final;

  std::optional<uint64_t> seed_option_;
  uint64_t seed_;
  uint64_t calls_ = 0;
  std::string fill_mode_ = "constant", interpolation_ = "nearest";
  int fill_code_ = 1;
  bool bilinear_ = false;
  float fill_value_ = 0.f;
};

// mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical". As in
// Keras 3, one coin per image (flip when u <= 0.5) drives both axes, so
// "horizontal_and_vertical" either turns an image by 180° or leaves it alone.
struct RandomFlipOptions {
  std::string mode = "horizontal_and_vertical";
  std::optional<uint64_t> seed;
  std::string name;
};

class RandomFlip : public ImageAugmentationLayer {
  STRATA_LAYER(RandomFlip)
 public:
  explicit RandomFlip(RandomFlipOptions o = {});
  static std::shared_ptr<RandomFlip> from_config(const nlohmann::json& config);
  nlohmann::json get_config() const override;

 protected:
  void make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                     float* m) const override;

 private:
  RandomFlipOptions o_;
  bool horizontal_ = false, vertical_ = false;
};

// Shifts by a random fraction of the height (positive: down) and width (positive: right).
// Each factor is f (range [-|f|, |f|]) or a pair (lower, upper), every number in [-1, 1]; both
// are required. fill_mode: "reflect", "wrap", "constant" (fill_value) or "nearest";
// interpolation: "bilinear" or "nearest".
struct RandomTranslationOptions {
  FactorRange height_factor;
  FactorRange width_factor;
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<uint64_t> seed;
  float fill_value = 0.f;
  std::string name;
};

class RandomTranslation : public ImageAugmentationLayer {
  STRATA_LAYER(RandomTranslation)
 public:
  explicit RandomTranslation(RandomTranslationOptions o);
  static std::shared_ptr<RandomTranslation> from_config(const nlohmann::json& config);
  nlohmann::json get_config() const override;

 protected:
  void make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                     float* m) const override;

 private:
  RandomTranslationOptions o_;
  float h_lower_, h_upper_, w_lower_, w_upper_;
};

// Rotates about the image centre by a random angle of factor · 2π (positive: counter-
// clockwise). factor: f in [-1, 1] (range [-|f|, |f|]) or a pair (lower, upper) with, as Keras
// checks it, lower <= 1 and upper >= -1; required. Fill and interpolation as RandomTranslation.
struct RandomRotationOptions {
  FactorRange factor;
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<uint64_t> seed;
  float fill_value = 0.f;
  std::string name;
};

class RandomRotation : public ImageAugmentationLayer {
  STRATA_LAYER(RandomRotation)
 public:
  explicit RandomRotation(RandomRotationOptions o);
  static std::shared_ptr<RandomRotation> from_config(const nlohmann::json& config);
  nlohmann::json get_config() const override;

 protected:
  void make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                     float* m) const override;

 private:
  RandomRotationOptions o_;
  float lower_, upper_;
};

// Zooms about the image centre: each axis is scaled by a random 1 + z with z from its factor
// (positive: zoom out, the image shrinks; negative: zoom in). Factors as RandomTranslation's;
// height_factor is required, width_factor absent means the same zoom as the height (aspect
// ratio kept). Fill and interpolation as RandomTranslation.
struct RandomZoomOptions {
  FactorRange height_factor;
  FactorRange width_factor;
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<uint64_t> seed;
  float fill_value = 0.f;
  std::string name;
};

class RandomZoom : public ImageAugmentationLayer {
  STRATA_LAYER(RandomZoom)
 public:
  explicit RandomZoom(RandomZoomOptions o);
  static std::shared_ptr<RandomZoom> from_config(const nlohmann::json& config);
  nlohmann::json get_config() const override;

 protected:
  void make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                     float* m) const override;

 private:
  RandomZoomOptions o_;
  float h_lower_, h_upper_, w_lower_ = 0.f, w_upper_ = 0.f;
};

}  // namespace strata
