#include "strata/layers/batch_normalization.hpp"

#include <cmath>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

BatchNormalization::BatchNormalization(BatchNormalizationOptions o)
    : Layer("BatchNormalization", o.name), o_(std::move(o)) {
  if (!(o_.momentum >= 0.f && o_.momentum <= 1.f))
    throw ValueError(label() + ": momentum must be in [0, 1], got " +
                     std::to_string(o_.momentum));
  if (!(o_.epsilon > 0.f && std::isfinite(o_.epsilon)))
    throw ValueError(label() + ": epsilon must be positive, got " + std::to_string(o_.epsilon));
  // Resolve the initializer names now so a typo fails at construction.
  for (const auto* init : {&o_.beta_initializer, &o_.gamma_initializer,
                           &o_.moving_mean_initializer, &o_.moving_variance_initializer})
    try {
      init->resolve();
    } catch (const ValueError& e) {
      throw ValueError(label() + ": " + e.what());
    }
}

int BatchNormalization::resolved_axis(const Shape& in) const {
  const int a = o_.axis < 0 ? o_.axis + in.rank() : o_.axis;
  if (a < 1 || a >= in.rank())
    throw ValueError(label() + ": axis " + std::to_string(o_.axis) +
                     " is out of range or the batch axis for input of shape " + in.str());
  return a;
}

Shape BatchNormalization::compute_output_shape(const Shape& in) const {
  if (in.rank() < 2)
    throw ValueError(label() + ": expected input of rank >= 2 (batch, ..., features), got " +
                     in.str());
  resolved_axis(in);
  return in;
}

void BatchNormalization::check_input(const Shape& shape) const {
  const Shape& built = input_shape();
  const int a = resolved_axis(built);
  if (shape.rank() != built.rank() || shape[a] != built[a])
    throw ValueError(label() + ": expected input of rank " + std::to_string(built.rank()) +
                     " with dimension " + std::to_string(built[a]) + " on axis " +
                     std::to_string(o_.axis) + " (built for " + built.str() + "), got " +
                     shape.str());
}

void BatchNormalization::build_weights(const Shape& in) {
  const Shape c{in[resolved_axis(in)]};
  if (o_.scale) gamma_ = add_weight("gamma", c, o_.gamma_initializer);
  if (o_.center) beta_ = add_weight("beta", c, o_.beta_initializer);
  moving_mean_ = add_weight("moving_mean", c, o_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", c, o_.moving_variance_initializer, false);
}

std::vector<Tensor> BatchNormalization::call_masked(const std::vector<Tensor>& inputs,
                                                    const std::vector<Tensor>& ms,
                                                    bool training) {
  const Tensor& x = inputs.at(0);
  const bool masked = training && trainable() && !ms.empty() && ms[0].defined() && x.rank() == 3;
  if (!masked || resolved_axis(x.shape()) != 2) return Layer::call_masked(inputs, ms, training);
  if (!built()) build(x.shape());
  check_input(x.shape());
  masks::check(label(), ms[0], x);
  // Keras 3 (BatchNormalization._moments): weighted moments over the kept steps, with
  // backend epsilon 1e-7 guarding an all-masked batch.
  const std::vector<int> axes{0, 1};
  const Tensor w = ops::reshape(ms[0], Shape{x.dim(0), x.dim(1), 1});
  const Tensor wx = ops::mul(x, w);
  const Tensor count = ops::add(ops::sum(w, axes, true), 1e-7f);
  const Tensor mean = ops::div(ops::sum(wx, axes, true), count);
  const Tensor var =
      ops::div(ops::sum(ops::mul(w, ops::square(ops::sub(wx, mean))), axes, true), count);
  Tensor y = ops::div(ops::sub(x, mean),
                      ops::sqrt(ops::add(var, o_.epsilon)));
  if (gamma_.defined()) y = ops::mul(y, gamma_);
  if (beta_.defined()) y = ops::add(y, beta_);
  {
    NoGrad guard;
    const float m = o_.momentum;
    const Shape c{x.dim(2)};
    moving_mean_.copy_(
        ops::add(ops::mul(moving_mean_, m), ops::mul(ops::reshape(mean, c), 1.f - m)));
    moving_variance_.copy_(
        ops::add(ops::mul(moving_variance_, m), ops::mul(ops::reshape(var, c), 1.f - m)));
  }
  return {y};
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  const int a = resolved_axis(x.shape());
  const int last = x.rank() - 1;
  if (training && trainable()) {
    // The op normalises over every axis but the last: move `axis` there and back.
    std::vector<int> perm, inverse(static_cast<size_t>(x.rank()));
    for (int i = 0; i < x.rank(); ++i)
      if (i != a) perm.push_back(i);
    perm.push_back(a);
    for (int i = 0; i < x.rank(); ++i) inverse[static_cast<size_t>(perm[i])] = i;
    Tensor mean, var;
    Tensor y = ops::batch_norm_train(a == last ? x : ops::transpose(x, perm), gamma_, beta_,
                                     o_.epsilon, mean, var);
    {
      NoGrad guard;
      const float m = o_.momentum;
      moving_mean_.copy_(ops::add(ops::mul(moving_mean_, m), ops::mul(mean, 1.f - m)));
      moving_variance_.copy_(ops::add(ops::mul(moving_variance_, m), ops::mul(var, 1.f - m)));
    }
    return a == last ? y : ops::transpose(y, inverse);
  }
  // Inference: one fused scale and shift per feature, built with ops so gradients reach x,
  // gamma and beta. rsqrt(v) = v^-0.5.
  Tensor scale = ops::eltwise(ops::add(moving_variance_, o_.epsilon), {EltwiseAlg::pow, 1.f, -0.5f});
  if (gamma_.defined()) scale = ops::mul(gamma_, scale);
  Tensor shift = ops::neg(ops::mul(moving_mean_, scale));
  if (beta_.defined()) shift = ops::add(beta_, shift);
  if (a != last) {
    // Broadcast along `axis`: shape (C, 1, ..., 1) against the trailing dims.
    Shape b{x.dim(a)};
    for (int i = a + 1; i < x.rank(); ++i) b.push_back(1);
    scale = ops::reshape(scale, b);
    shift = ops::reshape(shift, b);
  }
  return ops::add(ops::mul(x, scale), shift);
}

nlohmann::json BatchNormalization::get_config() const {
  auto c = Layer::get_config();
  auto init = [](const InitializerSpec& s) {
    auto p = s.resolve();
    return nlohmann::json{{"class_name", p->class_name()}, {"config", p->get_config()}};
  };
  c["axis"] = o_.axis;
  c["momentum"] = config_number(o_.momentum);
  c["epsilon"] = config_number(o_.epsilon);
  c["center"] = o_.center;
  c["scale"] = o_.scale;
  c["beta_initializer"] = init(o_.beta_initializer);
  c["gamma_initializer"] = init(o_.gamma_initializer);
  c["moving_mean_initializer"] = init(o_.moving_mean_initializer);
  c["moving_variance_initializer"] = init(o_.moving_variance_initializer);
  c["beta_regularizer"] = nullptr;
  c["gamma_regularizer"] = nullptr;
  c["beta_constraint"] = nullptr;
  c["gamma_constraint"] = nullptr;
  c["synchronized"] = false;
  return c;
}

std::shared_ptr<BatchNormalization> BatchNormalization::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "BatchNormalization");
  r.require_null({"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"});
  // Keras 2 options that change the arithmetic: loading them as plain batch norm would give
  // different outputs, so refuse rather than drop them.
  if (r.get_or<bool>("renorm", false))
    r.fail("'renorm' is true, but batch renormalization is not supported");
  if (r.optional<int64_t>("virtual_batch_size"))
    r.fail("'virtual_batch_size' is set, but ghost batch normalization is not supported");
  // 'synchronized' (cross-replica statistics) and 'fused' only change how the statistics are
  // computed across devices / kernels, not the result on one device, so they are ignored.
  BatchNormalizationOptions o;
  if (r.has("axis") && !r.raw().at("axis").is_null()) {
    const nlohmann::json& a = r.raw().at("axis");
    if (a.is_number_integer())
      o.axis = a.get<int>();
    else if (a.is_array() && a.size() == 1 && a[0].is_number_integer())
      o.axis = a[0].get<int>();
    else
      r.fail("'axis' must be an integer or a list of one integer (one feature axis), got " +
             a.dump());
  }
  o.momentum = r.get_or<float>("momentum", 0.99f);
  o.epsilon = r.get_or<float>("epsilon", 1e-3f);
  o.center = r.get_or<bool>("center", true);
  o.scale = r.get_or<bool>("scale", true);
  o.beta_initializer = r.initializer("beta_initializer", "zeros");
  o.gamma_initializer = r.initializer("gamma_initializer", "ones");
  o.moving_mean_initializer = r.initializer("moving_mean_initializer", "zeros");
  o.moving_variance_initializer = r.initializer("moving_variance_initializer", "ones");
  o.name = r.name();
  return std::make_shared<BatchNormalization>(std::move(o));
}

}  // namespace strata
