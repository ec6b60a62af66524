#include "strata/layers/layer_normalization.hpp"

#include <algorithm>
#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

LayerNormalization::LayerNormalization(LayerNormalizationOptions o)
    : Layer("LayerNormalization", o.name), o_(std::move(o)) {
  if (o_.axis.empty()) throw ValueError(label() + ": axis must name at least one axis");
  if (!(o_.epsilon > 0.f && std::isfinite(o_.epsilon)))
    throw ValueError(label() + ": epsilon must be positive, got " + std::to_string(o_.epsilon));
  for (const auto* init : {&o_.beta_initializer, &o_.gamma_initializer}) try {
      init->resolve();
    } catch (const ValueError& e) {
      throw ValueError(label() + ": " + e.what());
    }
}

std::vector<int> LayerNormalization::axes(const Shape& in) const {
  return feature_axes(o_.axis, in);
}

Shape LayerNormalization::compute_output_shape(const Shape& in) const {
  axes(in);
  return in;
}

void LayerNormalization::check_input(const Shape& shape) const {
  const Shape& built = input_shape();
  bool ok = shape.rank() == built.rank();
  for (int a : axes(built)) ok = ok && shape[a] == built[a];
  if (!ok)
    throw ValueError(label() + ": expected input of rank " + std::to_string(built.rank()) +
                     " matching " + built.str() + " on the normalised axes, got " + shape.str());
}

void LayerNormalization::build_weights(const Shape& in) {
  Shape s;
  for (int a : axes(in)) s.push_back(in[a]);
  if (o_.scale) gamma_ = add_weight("gamma", s, o_.gamma_initializer);
  if (o_.center) beta_ = add_weight("beta", s, o_.beta_initializer);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  // The op normalises over the last axis: move the normalised axes to the end (keeping their
  // order), merge them into one, normalise, and undo both moves.
  const std::vector<int> norm = axes(x.shape());
  std::vector<int> perm;
  for (int i = 0; i < x.rank(); ++i)
    if (std::find(norm.begin(), norm.end(), i) == norm.end()) perm.push_back(i);
  perm.insert(perm.end(), norm.begin(), norm.end());
  bool identity = true;
  for (int i = 0; i < x.rank(); ++i) identity = identity && perm[static_cast<size_t>(i)] == i;

  Tensor t = identity ? x : ops::transpose(x, perm);
  const Shape moved = t.shape();
  int64_t features = 1;
  for (int a : norm) features *= x.dim(a);
  Shape merged;
  for (int i = 0; i < x.rank() - static_cast<int>(norm.size()); ++i) merged.push_back(moved[i]);
  merged.push_back(features);
  const Shape flat{features};
  Tensor g = gamma_.defined() ? ops::reshape(gamma_, flat) : Tensor();
  Tensor b = beta_.defined() ? ops::reshape(beta_, flat) : Tensor();
  Tensor y = ops::reshape(ops::layer_norm(ops::reshape(t, merged), g, b, o_.epsilon), moved);
  if (identity) return y;
  std::vector<int> inverse(static_cast<size_t>(x.rank()));
  for (int i = 0; i < x.rank(); ++i) inverse[static_cast<size_t>(perm[i])] = i;
  return ops::transpose(y, inverse);
}

nlohmann::json LayerNormalization::get_config() const {
  auto c = Layer::get_config();
  auto init = [](const InitializerSpec& s) {
    auto p = s.resolve();
    return nlohmann::json{{"class_name", p->class_name()}, {"config", p->get_config()}};
  };
  // Keras turns an int axis into a one-element list when the layer is built.
  c["axis"] = o_.axis;
  c["epsilon"] = config_number(o_.epsilon);
  c["center"] = o_.center;
  c["scale"] = o_.scale;
  c["rms_scaling"] = false;
  c["beta_initializer"] = init(o_.beta_initializer);
  c["gamma_initializer"] = init(o_.gamma_initializer);
  c["beta_regularizer"] = nullptr;
  c["gamma_regularizer"] = nullptr;
  c["beta_constraint"] = nullptr;
  c["gamma_constraint"] = nullptr;
  return c;
}

std::shared_ptr<LayerNormalization> LayerNormalization::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "LayerNormalization");
  r.require_null({"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
  // RMS scaling drops the mean and beta: a different formula this layer does not offer.
  if (r.get_or<bool>("rms_scaling", false))
    r.fail("'rms_scaling' is true, but RMS scaling is not supported");
  LayerNormalizationOptions o;
  if (r.has("axis") && !r.raw().at("axis").is_null()) {
    const nlohmann::json& a = r.raw().at("axis");
    auto bad = [&] { r.fail("'axis' must be an integer or a list of integers, got " + a.dump()); };
    if (a.is_number_integer()) {
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
  o.epsilon = r.get_or<float>("epsilon", 1e-3f);
  o.center = r.get_or<bool>("center", true);
  o.scale = r.get_or<bool>("scale", true);
  o.beta_initializer = r.initializer("beta_initializer", "zeros");
  o.gamma_initializer = r.initializer("gamma_initializer", "ones");
  o.name = r.name();
  return std::make_shared<LayerNormalization>(std::move(o));
}

}  // namespace strata
