#include "strata/layers/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

// Keras' backend.epsilon(): the floor of the standard deviation.
constexpr float kMinStd = 1e-7f;

nlohmann::json numbers(const std::vector<float>& v) {
  auto j = nlohmann::json::array();
  for (float x : v) j.push_back(config_number(x));
  return j;
}

// Appends the numbers of `v` (a number or nested lists of them, as numpy's tolist() writes a
// statistics array) to `out`; false when anything else appears.
bool flatten_numbers(const nlohmann::json& v, std::vector<float>& out) {
  if (v.is_number()) {
    out.push_back(v.get<float>());
    return true;
  }
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!flatten_numbers(e, out)) return false;
  return true;
}

std::optional<std::vector<float>> read_statistic(const ConfigReader& r, const char* key) {
  if (!r.has(key) || r.raw().at(key).is_null()) return std::nullopt;
  std::vector<float> out;
  if (!flatten_numbers(r.raw().at(key), out))
    r.fail(std::string("'") + key + "' must be null, a number or a list of numbers, got " +
           r.raw().at(key).dump());
  return out;
}

}  // namespace

Normalization::Normalization(NormalizationOptions o)
    : Layer("Normalization", o.name), o_(std::move(o)) {
  if (o_.mean.has_value() != o_.variance.has_value())
    throw ValueError(label() + ": when setting values directly, both mean and variance must "
                               "be set");
  if (o_.mean) {
    if (o_.mean->size() != o_.variance->size() || o_.mean->empty())
      throw ValueError(label() + ": mean and variance must have the same non-zero length, got " +
                       std::to_string(o_.mean->size()) + " and " +
                       std::to_string(o_.variance->size()));
    for (float v : *o_.variance)
      if (!(v >= 0.f))
        throw ValueError(label() + ": variance must not be negative, got " + std::to_string(v));
  }
}

std::vector<int> Normalization::keep_axes(const Shape& in) const {
  return feature_axes(o_.axis, in);
}

Shape Normalization::broadcast_shape(const Shape& in) const {
  const auto keep = keep_axes(in);
  Shape b;
  for (int i = 0; i < in.rank(); ++i)
    b.push_back(std::find(keep.begin(), keep.end(), i) != keep.end() ? in[i] : 1);
  return b;
}

Shape Normalization::compute_output_shape(const Shape& in) const {
  if (in.rank() < 1) throw ValueError(label() + ": expected input with a batch dimension");
  keep_axes(in);
  return in;
}

void Normalization::check_input(const Shape& shape) const {
  const Shape& built = input_shape();
  bool ok = shape.rank() == built.rank();
  for (int a : keep_axes(built)) ok = ok && shape[a] == built[a];
  if (!ok)
    throw ValueError(label() + ": expected input of rank " + std::to_string(built.rank()) +
                     " matching " + built.str() + " on the kept axes, got " + shape.str());
}

void Normalization::build_weights(const Shape& in) {
  Shape stats;
  for (int a : keep_axes(in)) stats.push_back(in[a]);
  if (!o_.mean) {
    mean_ = add_weight("mean", stats, "zeros", false);
    variance_ = add_weight("variance", stats, "ones", false);
    return;
  }
  // Given statistics are constants, not weights, as in Keras.
  const size_t n = static_cast<size_t>(stats.numel());
  if (o_.mean->size() != 1 && o_.mean->size() != n)
    throw ValueError(label() + ": mean and variance have " + std::to_string(o_.mean->size()) +
                     " values, but input " + in.str() + " has " + std::to_string(n) +
                     " positions on the kept axes (or pass a single value)");
  auto expand = [&](const std::vector<float>& v) {
    return Tensor::from_vector(stats, v.size() == n ? v : std::vector<float>(n, v[0]));
  };
  mean_ = expand(*o_.mean);
  variance_ = expand(*o_.variance);
  ready_ = true;
}

void Normalization::adapt(const Tensor& data) {
  if (o_.mean)
    throw ValueError(label() + ": adapt() cannot be used when mean and variance were given");
  if (!data.defined()) throw ValueError(label() + ": adapt() got an undefined tensor");
  build(data.shape());  // builds, or checks data against the built shape
  std::vector<int> reduce;
  const auto keep = keep_axes(data.shape());
  for (int i = 0; i < data.rank(); ++i)
    if (std::find(keep.begin(), keep.end(), i) == keep.end()) reduce.push_back(i);
  NoGrad guard;
  Tensor m = ops::mean(data, reduce, true);
  Tensor v = ops::mean(ops::square(ops::sub(data, m)), reduce, true);
  mean_.copy_(m);
  variance_.copy_(v);
  ready_ = true;
}

Tensor Normalization::call(const Tensor& x, bool) {
  if (!ready_)
    throw ValueError(label() + ": call adapt(data) or pass mean and variance before using the "
                               "layer");
  const Shape b = broadcast_shape(x.shape());
  Tensor mean = ops::reshape(mean_, b), var = ops::reshape(variance_, b);
  // The statistics take no gradient; the output is differentiable in x.
  Tensor std = ops::clip(ops::sqrt(var), kMinStd, std::numeric_limits<float>::max());
  if (o_.invert) return ops::add(ops::mul(x, std), mean);
  return ops::div(ops::sub(x, mean), std);
}

nlohmann::json Normalization::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = o_.axis;
  c["invert"] = o_.invert;
  c["mean"] = o_.mean ? numbers(*o_.mean) : nlohmann::json(nullptr);
  c["variance"] = o_.variance ? numbers(*o_.variance) : nlohmann::json(nullptr);
  return c;
}

std::shared_ptr<Normalization> Normalization::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Normalization");
  NormalizationOptions o;
  if (r.has("axis")) {
    const nlohmann::json& a = r.raw().at("axis");
    auto bad = [&] {
      r.fail("'axis' must be null, an integer or a list of integers, got " + a.dump());
    };
    // Unlike most options, null is meaningful here: axis=None keeps no axis.
    if (a.is_null()) {
      o.axis.clear();
    } else if (a.is_number_integer()) {
      o.axis = {a.get<int>()};
    } else if (a.is_array()) {
      o.axis.clear();
      for (const auto& v : a) {
        if (!v.is_number_integer()) bad();
        o.axis.push_back(v.get<int>());
      }
    } else {
      bad();
    }
  }
  o.mean = read_statistic(r, "mean");
  o.variance = read_statistic(r, "variance");
  o.invert = r.get_or<bool>("invert", false);
  o.name = r.name();
  return std::make_shared<Normalization>(std::move(o));
}

}  // namespace strata
