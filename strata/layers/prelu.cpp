#include "strata/layers/prelu.hpp"

#include <algorithm>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

PReLU::PReLU(PReLUOptions o) : Layer("PReLU", o.name), o_(std::move(o)) {
  std::sort(o_.shared_axes.begin(), o_.shared_axes.end());
  for (size_t i = 0; i < o_.shared_axes.size(); ++i) {
    // Keras indexes the slope's shape with axis - 1, so only axes after the batch mean anything.
    if (o_.shared_axes[i] < 1)
      throw ValueError(label() + ": shared_axes must be >= 1 (1 = the first axis after the "
                       "batch), got " + std::to_string(o_.shared_axes[i]));
    if (i > 0 && o_.shared_axes[i] == o_.shared_axes[i - 1])
      throw ValueError(label() + ": shared axis " + std::to_string(o_.shared_axes[i]) +
                       " is given twice");
  }
  try {
    o_.alpha_initializer.resolve();
  } catch (const ValueError& e) {
    throw ValueError(label() + ": " + e.what());
  }
}

bool PReLU::shared(int axis) const {
  return std::binary_search(o_.shared_axes.begin(), o_.shared_axes.end(), axis);
}

Shape PReLU::compute_output_shape(const Shape& in) const {
  if (!o_.shared_axes.empty() && o_.shared_axes.back() >= in.rank())
    throw ValueError(label() + ": shared axis " + std::to_string(o_.shared_axes.back()) +
                     " is out of range for input " + in.str());
  return in;
}

void PReLU::build_weights(const Shape& in) {
  Shape s;
  for (int i = 1; i < in.rank(); ++i) s.push_back(shared(i) ? 1 : in[i]);
  alpha_ = add_weight("alpha", s, o_.alpha_initializer);
}

void PReLU::check_input(const Shape& shape) const {
  const Shape& built = input_shape();
  bool ok = shape.rank() == built.rank();
  for (int i = 1; ok && i < shape.rank(); ++i) ok = shared(i) || shape[i] == built[i];
  if (!ok)
    throw ValueError(label() + ": expected input of shape " + built.str() +
                     " (shared axes may vary), got " + shape.str());
}

Tensor PReLU::call(const Tensor& x, bool) {
  // alpha (without the batch axis) broadcasts against x; both terms carry gradients.
  return ops::sub(ops::relu(x), ops::mul(alpha_, ops::relu(ops::neg(x))));
}

nlohmann::json PReLU::get_config() const {
  auto c = Layer::get_config();
  c["alpha_initializer"] = initializer_config(o_.alpha_initializer);
  c["alpha_regularizer"] = nullptr;
  c["alpha_constraint"] = nullptr;
  c["shared_axes"] = o_.shared_axes.empty() ? nlohmann::json(nullptr) : nlohmann::json(o_.shared_axes);
  return c;
}

std::shared_ptr<PReLU> PReLU::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "PReLU");
  r.require_null({"alpha_regularizer", "alpha_constraint"});
  PReLUOptions o;
  o.alpha_initializer = r.initializer("alpha_initializer", "zeros");
  if (r.has("shared_axes") && !r.raw().at("shared_axes").is_null()) {
    const nlohmann::json& a = r.raw().at("shared_axes");
    auto bad = [&] { r.fail("'shared_axes' must be null, an integer or a list of integers, got " + a.dump()); };
    if (a.is_number_integer()) {
      o.shared_axes = {a.get<int>()};
    } else if (a.is_array()) {
      for (const auto& v : a) {
        if (!v.is_number_integer()) bad();
        o.shared_axes.push_back(v.get<int>());
      }
    } else {
      bad();
    }
  }
  o.name = r.name();
  return std::make_shared<PReLU>(std::move(o));
}

}  // namespace strata
