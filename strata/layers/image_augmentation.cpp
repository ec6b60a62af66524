#include "strata/layers/image_augmentation.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <tuple>
#include <utility>

#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string number_text(float v) {
  std::ostringstream s;
  s << config_number(v);
  return s.str();
}

std::string factor_text(const FactorRange& f) {
  if (f.count != 2) return number_text(f.first);
  std::ostringstream s;
  s << '(' << config_number(f.first) << ", " << config_number(f.second) << ')';
  return s.str();
}

// Keras' RandomTranslation / RandomZoom rule: every number in [-1, 1]; a single f stands for
// [-|f|, |f|], a pair is sorted. Returns {lower, upper}.
std::pair<float, float> unit_factor(const Layer& layer, const char* arg, const FactorRange& f) {
  if (!f.given()) throw ValueError(layer.label() + ": " + arg + " is required");
  auto in_range = [](float v) { return v >= -1.f && v <= 1.f; };
  if (!in_range(f.first) || !in_range(f.second))
    throw ValueError(layer.label() + ": " + arg +
                     " should be a number (or a pair of numbers) in the range [-1.0, 1.0], got " +
                     factor_text(f));
  if (f.count == 1) return {-std::fabs(f.first), std::fabs(f.first)};
  return {std::min(f.first, f.second), std::max(f.first, f.second)};
}

constexpr const char* kFillModes = "\"reflect\", \"wrap\", \"constant\", \"nearest\"";

// ---- Config reading shared by the four from_config ----

// Keras seeds are null (draw one) or a non-negative int.
std::optional<uint64_t> read_seed(const ConfigReader& r) {
  if (!r.has("seed") || r.raw().at("seed").is_null()) return std::nullopt;
  const nlohmann::json& v = r.raw().at("seed");
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  r.fail("'seed' must be null or a non-negative integer, got " + v.dump());
}

// A factor as Keras writes it: a number, a [lower, upper] list, or null / absent (not given).
FactorRange read_factor(const ConfigReader& r, const char* key) {
  if (!r.has(key) || r.raw().at(key).is_null()) return {};
  const nlohmann::json& v = r.raw().at(key);
  if (v.is_number()) return FactorRange(v.get<float>());
  if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number())
    return FactorRange(v[0].get<float>(), v[1].get<float>());
  r.fail(std::string("'") + key + "' must be a number or a [lower, upper] pair, got " + v.dump());
}

// Keras 3 writes data_format; these layers warp (N, H, W, C) images only, so a channels_first
// config must fail rather than warp the wrong axes.
void require_channels_last(const ConfigReader& r) {
  const std::string f = r.get_or<std::string>("data_format", "channels_last");
  if (f != "channels_last")
    r.fail("'data_format' is \"" + f + "\", but only \"channels_last\" images are supported");
}

}  // namespace

nlohmann::json FactorRange::to_json() const {
  if (count == 1) return config_number(first);
  if (count == 2) return nlohmann::json::array({config_number(first), config_number(second)});
  return nullptr;
}

// ---- ImageAugmentationLayer ---------------------------------------------------------------

ImageAugmentationLayer::ImageAugmentationLayer(std::string class_name, std::string name,
                                               std::optional<uint64_t> seed)
    : Layer(std::move(class_name), std::move(name)),
      seed_option_(seed),
      seed_(seed ? *seed : next_seed()) {}

ImageAugmentationLayer::Sampler::Sampler(uint64_t seed, uint64_t call) {
  uint64_t c = call;
  state_ = seed ^ splitmix64(c);
}

double ImageAugmentationLayer::Sampler::uniform(double lower, double upper) {
  const double u = static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;  // [0, 1)
  return lower == upper ? lower : lower + (upper - lower) * u;
}

Shape ImageAugmentationLayer::compute_output_shape(const Shape& in) const {
  if (in.rank() != 4)
    throw ValueError(label() + ": expected images of shape (batch, height, width, channels), "
                               "got " + in.str());
  return in;
}

void ImageAugmentationLayer::set_sampling(const std::string& fill_mode,
                                          const std::string& interpolation, float fill_value) {
  // Codes of Backend::image_transform.
  if (fill_mode == "reflect") fill_code_ = 0;
  else if (fill_mode == "constant") fill_code_ = 1;
  else if (fill_mode == "nearest") fill_code_ = 2;
  else if (fill_mode == "wrap") fill_code_ = 3;
  else
    throw ValueError(label() + ": unknown fill_mode \"" + fill_mode + "\"; expected one of " +
                     kFillModes);
  if (interpolation != "bilinear" && interpolation != "nearest")
    throw ValueError(label() + ": unknown interpolation \"" + interpolation +
                     "\"; expected one of \"nearest\", \"bilinear\"");
  fill_mode_ = fill_mode;
  interpolation_ = interpolation;
  bilinear_ = interpolation == "bilinear";
  fill_value_ = fill_value;
}

void ImageAugmentationLayer::add_sampling_config(nlohmann::json& c) const {
  c["fill_mode"] = fill_mode_;
  c["interpolation"] = interpolation_;
  c["fill_value"] = config_number(fill_value_);
}

nlohmann::json ImageAugmentationLayer::get_config() const {
  auto c = Layer::get_config();
  c["seed"] = seed_option_ ? nlohmann::json(*seed_option_) : nlohmann::json(nullptr);
  c["data_format"] = "channels_last";
  return c;
}

Tensor ImageAugmentationLayer::call(const Tensor& x, bool training) {
  if (!training) return x;
  if (x.dtype() != DType::float32)
    throw ValueError(label() + ": expected float32 images, got " + dtype_name(x.dtype()));
  // A fresh tensor with no grad node: augmentation passes no gradient to its input.
  Tensor y = Tensor::empty(x.shape(), DType::float32, x.backend());
  const int64_t n = x.dim(0);
  Sampler rng(seed_, calls_++);
  if (x.numel() == 0) return y;
  std::vector<float> m(static_cast<size_t>(n) * 6);
  make_matrices(n, x.dim(1), x.dim(2), rng, m.data());
  x.backend().image_transform(x.view(), y.view(), m.data(), bilinear_, fill_code_, fill_value_);
  return y;
}

// ---- RandomFlip ---------------------------------------------------------------------------

RandomFlip::RandomFlip(RandomFlipOptions o)
    : ImageAugmentationLayer("RandomFlip", o.name, o.seed), o_(std::move(o)) {
  horizontal_ = o_.mode == "horizontal" || o_.mode == "horizontal_and_vertical";
  vertical_ = o_.mode == "vertical" || o_.mode == "horizontal_and_vertical";
  if (!horizontal_ && !vertical_)
    throw ValueError(label() + ": unknown mode \"" + o_.mode + "\"; expected one of "
                               "\"horizontal\", \"vertical\", \"horizontal_and_vertical\"");
  // Flips land on integer pixels: nearest sampling copies them exactly.
  set_sampling("constant", "nearest", 0.f);
}

void RandomFlip::make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                               float* m) const {
  for (int64_t i = 0; i < batch; ++i, m += 6) {
    const bool flip = rng.uniform(0.0, 1.0) <= 0.5;
    const bool v = flip && vertical_, h = flip && horizontal_;
    m[0] = v ? -1.f : 1.f, m[1] = 0.f, m[2] = v ? static_cast<float>(height - 1) : 0.f;
    m[3] = 0.f, m[4] = h ? -1.f : 1.f, m[5] = h ? static_cast<float>(width - 1) : 0.f;
  }
}

nlohmann::json RandomFlip::get_config() const {
  auto c = ImageAugmentationLayer::get_config();
  c["mode"] = o_.mode;
  return c;
}

// ---- RandomTranslation --------------------------------------------------------------------

RandomTranslation::RandomTranslation(RandomTranslationOptions o)
    : ImageAugmentationLayer("RandomTranslation", o.name, o.seed), o_(std::move(o)) {
  std::tie(h_lower_, h_upper_) = unit_factor(*this, "height_factor", o_.height_factor);
  std::tie(w_lower_, w_upper_) = unit_factor(*this, "width_factor", o_.width_factor);
  set_sampling(o_.fill_mode, o_.interpolation, o_.fill_value);
}

void RandomTranslation::make_matrices(int64_t batch, int64_t height, int64_t width,
                                      Sampler& rng, float* m) const {
  // Keras draws all vertical shifts, then all horizontal ones; input = output - shift.
  std::vector<double> dy(static_cast<size_t>(batch));
  for (auto& d : dy) d = rng.uniform(h_lower_, h_upper_) * static_cast<double>(height);
  for (int64_t i = 0; i < batch; ++i, m += 6) {
    const double dx = rng.uniform(w_lower_, w_upper_) * static_cast<double>(width);
    m[0] = 1.f, m[1] = 0.f, m[2] = static_cast<float>(-dy[static_cast<size_t>(i)]);
    m[3] = 0.f, m[4] = 1.f, m[5] = static_cast<float>(-dx);
  }
}

nlohmann::json RandomTranslation::get_config() const {
  auto c = ImageAugmentationLayer::get_config();
  c["height_factor"] = o_.height_factor.to_json();
  c["width_factor"] = o_.width_factor.to_json();
  add_sampling_config(c);
  return c;
}

// ---- RandomRotation -----------------------------------------------------------------------

RandomRotation::RandomRotation(RandomRotationOptions o)
    : ImageAugmentationLayer("RandomRotation", o.name, o.seed), o_(std::move(o)) {
  const FactorRange& f = o_.factor;
  if (!f.given()) throw ValueError(label() + ": factor is required");
  // Keras' base-layer rule: a single number must lie in [-1, 1]; of a pair it only rejects a
  // first value above 1 or a second below -1 (the unchecked side is a harmless extra turn).
  const bool ok = std::isfinite(f.first) && std::isfinite(f.second) &&
                  (f.count == 1 ? f.first >= -1.f && f.first <= 1.f
                                : f.first <= 1.f && f.second >= -1.f);
  if (!ok)
    throw ValueError(label() + ": factor should be a number (or a pair of numbers) in the "
                               "range [-1, 1], got " + factor_text(f));
  if (f.count == 1) {
    lower_ = -std::fabs(f.first), upper_ = std::fabs(f.first);
  } else {
    lower_ = std::min(f.first, f.second), upper_ = std::max(f.first, f.second);
  }
  set_sampling(o_.fill_mode, o_.interpolation, o_.fill_value);
}

void RandomRotation::make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                                   float* m) const {
  const double two_pi = 2.0 * std::numbers::pi, h1 = double(height - 1), w1 = double(width - 1);
  for (int64_t i = 0; i < batch; ++i, m += 6) {
    const double angle = rng.uniform(lower_ * two_pi, upper_ * two_pi);
    const double cs = std::cos(angle), sn = std::sin(angle);
    // Keras' matrix in (x = column, y = row): x' = cos x - sin y + x_off,
    // y' = sin x + cos y + y_off, offsets keeping the centre ((W-1)/2, (H-1)/2) in place.
    const double x_off = (w1 - (cs * w1 - sn * h1)) / 2.0;
    const double y_off = (h1 - (sn * w1 + cs * h1)) / 2.0;
    m[0] = float(cs), m[1] = float(sn), m[2] = float(y_off);
    m[3] = float(-sn), m[4] = float(cs), m[5] = float(x_off);
  }
}

nlohmann::json RandomRotation::get_config() const {
  auto c = ImageAugmentationLayer::get_config();
  // Keras keeps the normalised (lower, upper) pair.
  c["factor"] = nlohmann::json::array({config_number(lower_), config_number(upper_)});
  add_sampling_config(c);
  return c;
}

// ---- RandomZoom ---------------------------------------------------------------------------

RandomZoom::RandomZoom(RandomZoomOptions o)
    : ImageAugmentationLayer("RandomZoom", o.name, o.seed), o_(std::move(o)) {
  std::tie(h_lower_, h_upper_) = unit_factor(*this, "height_factor", o_.height_factor);
  if (o_.width_factor.given())
    std::tie(w_lower_, w_upper_) = unit_factor(*this, "width_factor", o_.width_factor);
  set_sampling(o_.fill_mode, o_.interpolation, o_.fill_value);
}

void RandomZoom::make_matrices(int64_t batch, int64_t height, int64_t width, Sampler& rng,
                               float* m) const {
  // Input coordinate = zoom · output coordinate, about the centre: a zoom above 1 reads a
  // larger area into the same pixels (zoom out). Keras draws all height zooms first.
  std::vector<double> zy(static_cast<size_t>(batch));
  for (auto& z : zy) z = rng.uniform(1.0 + h_lower_, 1.0 + h_upper_);
  const double h1 = double(height - 1), w1 = double(width - 1);
  for (int64_t i = 0; i < batch; ++i, m += 6) {
    const double y = zy[static_cast<size_t>(i)];
    const double x = o_.width_factor.given() ? rng.uniform(1.0 + w_lower_, 1.0 + w_upper_) : y;
    m[0] = float(y), m[1] = 0.f, m[2] = float(h1 / 2.0 * (1.0 - y));
    m[3] = 0.f, m[4] = float(x), m[5] = float(w1 / 2.0 * (1.0 - x));
  }
}

nlohmann::json RandomZoom::get_config() const {
  auto c = ImageAugmentationLayer::get_config();
  c["height_factor"] = o_.height_factor.to_json();
  c["width_factor"] = o_.width_factor.to_json();
  add_sampling_config(c);
  return c;
}

// ---- from_config ----------------------------------------------------------------------------

std::shared_ptr<RandomFlip> RandomFlip::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "RandomFlip");
  require_channels_last(r);
  return std::make_shared<RandomFlip>(
      RandomFlipOptions{.mode = r.get_or<std::string>("mode", "horizontal_and_vertical"),
                        .seed = read_seed(r),
                        .name = r.name()});
}

std::shared_ptr<RandomTranslation> RandomTranslation::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "RandomTranslation");
  require_channels_last(r);
  return std::make_shared<RandomTranslation>(RandomTranslationOptions{
      .height_factor = read_factor(r, "height_factor"),
      .width_factor = read_factor(r, "width_factor"),
      .fill_mode = r.get_or<std::string>("fill_mode", "reflect"),
      .interpolation = r.get_or<std::string>("interpolation", "bilinear"),
      .seed = read_seed(r),
      .fill_value = r.get_or<float>("fill_value", 0.f),
      .name = r.name()});
}

std::shared_ptr<RandomRotation> RandomRotation::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "RandomRotation");
  require_channels_last(r);
  return std::make_shared<RandomRotation>(RandomRotationOptions{
      .factor = read_factor(r, "factor"),
      .fill_mode = r.get_or<std::string>("fill_mode", "reflect"),
      .interpolation = r.get_or<std::string>("interpolation", "bilinear"),
      .seed = read_seed(r),
      .fill_value = r.get_or<float>("fill_value", 0.f),
      .name = r.name()});
}

std::shared_ptr<RandomZoom> RandomZoom::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "RandomZoom");
  require_channels_last(r);
  return std::make_shared<RandomZoom>(RandomZoomOptions{
      .height_factor = read_factor(r, "height_factor"),
      .width_factor = read_factor(r, "width_factor"),
      .fill_mode = r.get_or<std::string>("fill_mode", "reflect"),
      .interpolation = r.get_or<std::string>("interpolation", "bilinear"),
      .seed = read_seed(r),
      .fill_value = r.get_or<float>("fill_value", 0.f),
      .name = r.name()});
}

}  // namespace strata
