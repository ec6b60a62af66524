#include "strata/layers/concatenate.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Concatenate::Concatenate(ConcatenateOptions o)
    : Merge("Concatenate", o.name, 2), o_(std::move(o)) {}

Shape Concatenate::merged_shape(const std::vector<Shape>& inputs) const {
  const int r = inputs[0].rank();
  for (const Shape& s : inputs)
    if (s.rank() != r)
      throw ValueError(label() + ": inputs must have the same rank, got " + shapes_str(inputs));
  const int a = o_.axis < 0 ? o_.axis + r : o_.axis;
  if (a < 0 || a >= r)
    throw ValueError(label() + ": axis " + std::to_string(o_.axis) +
                     " is out of range for inputs of shapes " + shapes_str(inputs));
  if (a == 0)
    throw ValueError(label() + ": cannot concatenate along the batch axis (axis " +
                     std::to_string(o_.axis) + ") for inputs of shapes " + shapes_str(inputs));
  Shape out = inputs[0];
  out[a] = 0;
  for (const Shape& s : inputs) {
    for (int d = 1; d < r; ++d)
      if (d != a && s[d] != inputs[0][d])
        throw ValueError(label() + ": inputs must have matching shapes except on the "
                         "concatenation axis " + std::to_string(o_.axis) + ", got " +
                         shapes_str(inputs));
    out[a] += s[a];
  }
  return out;
}

Tensor Concatenate::merge(const std::vector<Tensor>& inputs, bool) {
  return ops::concat(inputs, o_.axis);
}

nlohmann::json Concatenate::get_config() const {
  auto c = Layer::get_config();
  c["axis"] = o_.axis;
  return c;
}

std::shared_ptr<Concatenate> Concatenate::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Concatenate");
  // Keras 1 called the layer Merge(mode='concat', concat_axis=...); Keras 2 and 3 write 'axis'.
  auto layer = std::make_shared<Concatenate>(
      ConcatenateOptions{.axis = r.get_or<int>("axis", -1, {"concat_axis"}), .name = r.name()});
  layer->set_trainable(r.trainable());
  return layer;
}

std::vector<Tensor> Concatenate::compute_mask(const std::vector<Tensor>& inputs,
                                              const std::vector<Tensor>& ms) const {
  if (!masks::all_of(ms).defined()) return {};
  const int r = inputs.empty() ? 0 : inputs[0].rank();
  if ((o_.axis < 0 ? o_.axis + r : o_.axis) != 1) return Merge::compute_mask(inputs, ms);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < inputs.size(); ++i)
    parts.push_back(i < ms.size() && ms[i].defined()
                        ? ms[i]
                        : Tensor::ones(Shape{inputs[i].dim(0), inputs[i].dim(1)}, DType::float32,
                                       inputs[i].backend()));
  return {ops::concat(parts, 1)};
}

}  // namespace strata
