#include "strata/layers/layer.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>

#include "strata/core/error.hpp"

namespace strata {

std::string unique_object_name(const std::string& base) {
  static std::mutex mutex;
  static std::map<std::string, int> counters;
  std::lock_guard lock(mutex);
  int n = counters[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

std::string to_snake_case(const std::string& class_name) {
  static const std::regex words("(.)([A-Z][a-z]+)");
  static const std::regex humps("([a-z])([A-Z])");
  std::string s = std::regex_replace(class_name, words, "$1_$2");
  s = std::regex_replace(s, humps, "$1_$2");
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Layer::Layer(std::string class_name, std::string name)
    : class_name_(std::move(class_name)),
      name_(name.empty() ? unique_object_name(to_snake_case(class_name_)) : std::move(name)) {}

void Layer::set_trainable(bool t) {
  trainable_ = t;
  for (auto& w : weights_) w.value.set_requires_grad(t && w.trainable);
}

void Layer::build(const Shape& input_shape) {
  if (built_) {
    check_input(input_shape);
    return;
  }
  if (input_shape.rank() == 0)
    throw ValueError(label() + ": input needs a batch dimension, got a scalar shape ()");
  for (int i = 1; i < input_shape.rank(); ++i)
    if (input_shape[i] <= 0 && input_shape[i] != -1)
      throw ValueError(label() + ": input dimensions must be positive (or -1 for a size that "
                       "varies), got " + input_shape.str());
  Shape s = input_shape;
  s[0] = -1;
  compute_output_shape(s);  // validates the shape before any weight exists
  build_weights(s);
  input_shape_ = s;
  built_ = true;
}

void Layer::check_input(const Shape& shape) const {
  bool ok = shape.rank() == input_shape_.rank();
  for (int i = 1; ok && i < shape.rank(); ++i)
    ok = input_shape_[i] < 0 || shape[i] == input_shape_[i];
  if (!ok)
    throw ValueError(label() + ": expected input of shape " + input_shape_.str() + ", got " +
                     shape.str());
}

Tensor Layer::operator()(const Tensor& x, bool training) {
  if (!x.defined()) throw ValueError(label() + ": called on an undefined tensor");
  if (!built()) build(x.shape());
  else check_input(x.shape());
  return call(x, training);
}

std::vector<Shape> Layer::build_for(const std::vector<Shape>& inputs) {
  if (inputs.size() != 1)
    throw ValueError(label() + " takes one input, got " + std::to_string(inputs.size()));
  build(inputs[0]);
  Shape s = inputs[0];
  s[0] = -1;
  return {compute_output_shape(s)};
}

std::vector<Tensor> Layer::call_on(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1)
    throw ValueError(label() + " takes one input, got " + std::to_string(inputs.size()));
  return {(*this)(inputs[0], training)};
}

std::vector<Tensor> Layer::compute_mask(const std::vector<Tensor>& /*inputs*/,
                                        const std::vector<Tensor>& masks) const {
  if (!supports_masking() || masks.empty() || !masks[0].defined()) return {};
  return {masks[0]};
}

std::vector<Tensor> Layer::call_masked(const std::vector<Tensor>& inputs,
                                       const std::vector<Tensor>& /*masks*/, bool training) {
  return call_on(inputs, training);
}

void Layer::mark_built(const Shape& input_shape) {
  input_shape_ = input_shape;
  built_ = true;
}

Tensor Layer::add_weight(const std::string& name, const Shape& shape,
                         const InitializerSpec& init, bool trainable) {
  // A weight sized by an input dimension that varies (None) cannot be created.
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0)
      throw ValueError(label() + ": weight '" + name + "' would have shape " + shape.str() +
                       ": the input dimension it depends on varies (None) but must be known");
    // A hostile or mistyped config (units = 2^40) must not wrap the size around.
    if (__builtin_mul_overflow(elements, d, &elements) || elements > (int64_t{1} << 40))
      throw ValueError(label() + ": weight '" + name + "' of shape " + shape.str() +
                       " is too large to allocate");
  }
  Tensor t = init.resolve()->make(shape);
  t.set_requires_grad(trainable && trainable_);
  weights_.push_back({name, t, trainable});
  return t;
}

std::vector<Tensor> Layer::trainable_weights() const {
  std::vector<Tensor> out;
  if (!trainable_) return out;
  for (const auto& w : weights_)
    if (w.trainable) out.push_back(w.value);
  return out;
}

std::vector<Tensor> Layer::non_trainable_weights() const {
  std::vector<Tensor> out;
  for (const auto& w : weights_)
    if (!w.trainable || !trainable_) out.push_back(w.value);
  return out;
}

std::vector<Tensor> Layer::weights() const {
  auto out = trainable_weights();
  for (auto& w : non_trainable_weights()) out.push_back(w);
  return out;
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const auto& w : weights_) n += w.value.numel();
  return n;
}

std::vector<int> Layer::feature_axes(const std::vector<int>& axes, const Shape& in) const {
  std::vector<int> out;
  for (int a : axes) {
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

void add_null_regularizers(nlohmann::json& c) {
  for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                          "kernel_constraint", "bias_constraint"})
    c[key] = nullptr;
}

nlohmann::json Layer::get_config() const {
  return {{"name", name_}, {"trainable", trainable_}, {"dtype", "float32"}};
}

}  // namespace strata
