#include "strata/layers/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"

namespace strata {

namespace {

// Keras' backend.epsilon(): the floor of the standard deviation.
constexpr float kMinStd = 1e-7f;

nlohmann::json numbers(const std::vector<float>& v) {
  auto j = nlohmann::json::array();
  for (float x : v) j.push_back(config_number(x));
  return j;
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
  std::vector<int> out;
  for (int a : o_.axis) {
    const int n = a < 0 ? a + in.rank() : a;
    if (n < 1 || n >= in.rank())
      throw ValueError(label() + ": axis " + std::to_string(a) +
                       " is out of range or the batch axis for input of shape " + in.str());
    if (std::find(out.begin(), out.end(), n) != out.end())
      throw ValueError(label() + ": axis " + std::to_string(a) + " is given twice");
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
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

}  // namespace strata
