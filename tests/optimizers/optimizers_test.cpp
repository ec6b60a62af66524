// Optimizers against Keras 3's update rules computed here in double, for three steps with
// changing gradients; slot state, variable order, iteration counting, configs and errors.
#include "strata/optimizers/optimizers.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {
using strata::test::expect_value_error;

namespace {

using Vec = std::vector<float>;
using DVec = std::vector<double>;

Tensor param(const Vec& v) {
  Tensor t = Tensor::from_vector(Shape{static_cast<int64_t>(v.size())}, v);
  t.set_requires_grad(true);
  return t;
}

void set_grad(const Tensor& p, const Vec& g) {
  p.impl()->grad = Tensor::from_vector(p.shape(), g).impl();
}

void expect_values(const Tensor& t, const DVec& ref, const char* what) {
  auto v = t.to_vector();
  ASSERT_EQ(v.size(), ref.size()) << what;
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_NEAR(v[i], ref[i], 2e-5 * std::max(1.0, std::abs(ref[i]))) << what << " [" << i << "]";
}


const Vec kStart{1.f, -2.f, 3.f, 0.5f};
const std::vector<Vec> kGrads{
    {0.5f, -1.f, 2.f, 0.1f}, {-0.3f, 0.7f, 1.f, -2.f}, {1.f, 1.f, -1.f, 0.f}};

// ---- references: Keras 3's update_step, in double ----------------------------------------------

struct SgdRef {
  double lr, momentum;
  bool nesterov;
  DVec p, v;
  void step(const Vec& g) {
    for (size_t i = 0; i < p.size(); ++i) {
      if (momentum == 0) {
        p[i] -= lr * g[i];
        continue;
      }
      v[i] = momentum * v[i] - lr * g[i];
      p[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
    }
  }
};

struct AdamRef {
  double lr, b1, b2, eps;
  bool amsgrad;
  DVec p, m, v, vhat;
  void step(const Vec& g, int t) {
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (double(g[i]) * g[i] - v[i]) * (1 - b2);
      double vv = v[i];
      if (amsgrad) vv = vhat[i] = std::max(vhat[i], v[i]);
      p[i] -= alpha * m[i] / (std::sqrt(vv) + eps);
    }
  }
};

struct RmsRef {
  double lr, rho, momentum, eps;
  bool centered;
  DVec p, ms, mg, mom;
  void step(const Vec& g) {
    for (size_t i = 0; i < p.size(); ++i) {
      ms[i] = rho * ms[i] + (1 - rho) * double(g[i]) * g[i];
      double denom = ms[i] + eps;
      if (centered) {
        mg[i] = rho * mg[i] + (1 - rho) * g[i];
        denom = ms[i] - mg[i] * mg[i] + eps;
      }
      const double inc = lr * g[i] / std::sqrt(denom);
      if (momentum > 0) {
        mom[i] = momentum * mom[i] + inc;
        p[i] -= mom[i];
      } else {
        p[i] -= inc;
      }
    }
  }
};

DVec start() { return DVec(kStart.begin(), kStart.end()); }
DVec zeros() { return DVec(kStart.size(), 0.0); }

// Three steps of `opt` on kStart with kGrads, each compared with the reference after the step.
template <class Ref, class StepRef>
void run_three_steps(Optimizer& opt, Ref ref, StepRef step_ref, const char* what) {
  Tensor p = param(kStart);
  for (int t = 1; t <= 3; ++t) {
    set_grad(p, kGrads[t - 1]);
    opt.apply_gradients({p});
    step_ref(ref, kGrads[t - 1], t);
    expect_values(p, ref.p, what);
    EXPECT_EQ(opt.iterations(), t);
  }
}

// ---- SGD ---------------------------------------------------------------------------------------

TEST(SGD, ThreeStepsMatchKerasRule) {
  auto step = [](SgdRef& r, const Vec& g, int) { r.step(g); };
  SGD plain({.learning_rate = 0.1});
  run_three_steps(plain, SgdRef{0.1, 0.0, false, start(), zeros()}, step, "plain");
  SGD momentum({.learning_rate = 0.1, .momentum = 0.9});
  run_three_steps(momentum, SgdRef{0.1, 0.9, false, start(), zeros()}, step, "momentum");
  SGD nesterov({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  run_three_steps(nesterov, SgdRef{0.1, 0.9, true, start(), zeros()}, step, "nesterov");
}

TEST(SGD, SlotsOnlyWithMomentum) {
  Tensor a = param({1, 2}), b = param({3, 4, 5});
  SGD plain;
  set_grad(a, {1, 1});
  set_grad(b, {1, 1, 1});
  plain.apply_gradients({a, b});
  EXPECT_TRUE(plain.variables().empty());
  EXPECT_TRUE(plain.slot_names().empty());
  SGD momentum({.momentum = 0.5});
  momentum.apply_gradients({a, b});
  auto vars = momentum.variables();
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].shape(), a.shape());
  EXPECT_EQ(vars[1].shape(), b.shape());
  expect_values(vars[0], {-0.01, -0.01}, "velocity");  // momentum * 0 - lr * g
  EXPECT_EQ(momentum.slot_names(), std::vector<std::string>{"momentum"});
}

TEST(SGD, LearningRateCanChangeBetweenSteps) {
  SGD sgd({.learning_rate = 0.1});
  Tensor p = param({1.f});
  set_grad(p, {1.f});
  sgd.apply_gradients({p});
  sgd.set_learning_rate(0.5f);
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.5f);
  sgd.apply_gradients({p});
  expect_values(p, {1.0 - 0.1 - 0.5}, "p");
  expect_value_error([&] { sgd.set_learning_rate(-1.f); }, {"SGD", "learning_rate", "-1"});
}

// ---- Adam --------------------------------------------------------------------------------------

TEST(Adam, ThreeStepsMatchKerasRule) {
  auto step = [](AdamRef& r, const Vec& g, int t) { r.step(g, t); };
  Adam adam({.learning_rate = 0.01});
  run_three_steps(adam, AdamRef{0.01, 0.9, 0.999, 1e-7, false, start(), zeros(), zeros(), zeros()},
                  step, "adam");
  Adam custom({.learning_rate = 0.05, .beta_1 = 0.5, .beta_2 = 0.8, .epsilon = 1e-3});
  run_three_steps(custom, AdamRef{0.05, 0.5, 0.8, 1e-3, false, start(), zeros(), zeros(), zeros()},
                  step, "custom");
}

TEST(Adam, AmsgradUsesTheMaximumSecondMoment) {
  // A large first gradient, then small ones: v falls while vhat keeps its peak.
  const std::vector<Vec> grads{{3.f, -2.f}, {0.01f, 0.02f}, {0.05f, -0.01f}};
  AdamOptions o{.learning_rate = 0.1, .beta_1 = 0.9, .beta_2 = 0.5, .amsgrad = true};
  Adam ams(o);
  o.amsgrad = false;
  Adam plain(o);
  AdamRef ref{0.1, 0.9, 0.5, 1e-7, true, {1.0, 1.0}, {0, 0}, {0, 0}, {0, 0}};
  Tensor p = param({1.f, 1.f}), q = param({1.f, 1.f});
  for (int t = 1; t <= 3; ++t) {
    set_grad(p, grads[t - 1]);
    set_grad(q, grads[t - 1]);
    ams.apply_gradients({p});
    plain.apply_gradients({q});
    ref.step(grads[t - 1], t);
    expect_values(p, ref.p, "amsgrad");
  }
  // Without amsgrad the result differs clearly, so the check above is not vacuous.
  EXPECT_GT(std::abs(p.to_vector()[0] - q.to_vector()[0]), 1e-3);
  auto vars = ams.variables();
  ASSERT_EQ(vars.size(), 3u);
  expect_values(vars[2], ref.vhat, "vhat");
  expect_values(vars[1], ref.v, "v");
}

TEST(Adam, VariablesInKerasOrder) {
  Tensor a = param({1, 2}), b = param({3, 4, 5});
  set_grad(a, {1, -1});
  set_grad(b, {2, 0, -2});
  Adam adam;
  adam.apply_gradients({a, b});
  auto vars = adam.variables();
  ASSERT_EQ(vars.size(), 4u);  // m(a), v(a), m(b), v(b)
  expect_values(vars[0], {0.1, -0.1}, "m(a)");
  expect_values(vars[1], {0.001, 0.001}, "v(a)");
  expect_values(vars[2], {0.2, 0.0, -0.2}, "m(b)");
  expect_values(vars[3], {0.004, 0.0, 0.004}, "v(b)");
  EXPECT_EQ(adam.slot_names(), (std::vector<std::string>{"momentum", "velocity"}));

  Adam ams({.amsgrad = true});
  ams.apply_gradients({a, b});
  auto av = ams.variables();
  ASSERT_EQ(av.size(), 6u);  // m(a), v(a), m(b), v(b), vhat(a), vhat(b)
  EXPECT_EQ(av[4].shape(), a.shape());
  EXPECT_EQ(av[5].shape(), b.shape());
  expect_values(av[5], {0.004, 0.0, 0.004}, "vhat(b)");
}

TEST(Adam, TensorFirstSeenLaterUsesTheGlobalStep) {
  // Keras' bias correction uses the optimizer's iteration count, not a per-tensor one.
  Adam adam({.learning_rate = 0.01});
  Tensor a = param({1.f}), b = param({1.f});
  AdamRef ra{0.01, 0.9, 0.999, 1e-7, false, {1.0}, {0}, {0}, {0}};
  AdamRef rb = ra;
  for (int t = 1; t <= 3; ++t) {
    set_grad(a, {0.5f});
    std::vector<Tensor> params{a, b};
    if (t == 3) set_grad(b, {0.5f});
    adam.apply_gradients(params);
    ra.step({0.5f}, t);
    if (t == 3) rb.step({0.5f}, t);
  }
  expect_values(a, ra.p, "a");
  expect_values(b, rb.p, "b");
  EXPECT_EQ(adam.iterations(), 3);
}

// ---- RMSprop -----------------------------------------------------------------------------------

TEST(RMSprop, ThreeStepsMatchKerasRule) {
  auto step = [](RmsRef& r, const Vec& g, int) { r.step(g); };
  RMSprop plain({.learning_rate = 0.01});
  run_three_steps(plain, RmsRef{0.01, 0.9, 0.0, 1e-7, false, start(), zeros(), zeros(), zeros()},
                  step, "plain");
  RMSprop momentum({.learning_rate = 0.01, .momentum = 0.8});
  run_three_steps(momentum, RmsRef{0.01, 0.9, 0.8, 1e-7, false, start(), zeros(), zeros(), zeros()},
                  step, "momentum");
  RMSprop centered({.learning_rate = 0.01, .rho = 0.7, .centered = true});
  run_three_steps(centered, RmsRef{0.01, 0.7, 0.0, 1e-7, true, start(), zeros(), zeros(), zeros()},
                  step, "centered");
  RMSprop both({.learning_rate = 0.01, .momentum = 0.5, .epsilon = 1e-4, .centered = true});
  run_three_steps(both, RmsRef{0.01, 0.9, 0.5, 1e-4, true, start(), zeros(), zeros(), zeros()},
                  step, "momentum + centered");
}

TEST(RMSprop, VariablesInKerasOrder) {
  Tensor a = param({1, 2}), b = param({3, 4, 5});
  set_grad(a, {1, -1});
  set_grad(b, {2, 0, -2});
  RMSprop rms({.learning_rate = 0.1, .momentum = 0.5, .centered = true});
  rms.apply_gradients({a, b});
  EXPECT_EQ(rms.slot_names(),
            (std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
  auto vars = rms.variables();
  ASSERT_EQ(vars.size(), 6u);  // velocity(a, b), momentum(a, b), average_gradient(a, b)
  expect_values(vars[0], {0.1, 0.1}, "velocity(a)");
  expect_values(vars[1], {0.4, 0.0, 0.4}, "velocity(b)");
  EXPECT_EQ(vars[2].shape(), a.shape());
  EXPECT_EQ(vars[3].shape(), b.shape());
  expect_values(vars[4], {0.1, -0.1}, "average_gradient(a)");
  expect_values(vars[5], {0.2, 0.0, -0.2}, "average_gradient(b)");
  EXPECT_EQ(RMSprop().variables().size(), 0u);
}

// ---- behaviour shared by all -------------------------------------------------------------------

TEST(Optimizer, SkipsTensorsWithoutGradientAndCountsSteps) {
  Adam adam;
  Tensor a = param({1, 2}), b = param({3, 4});
  set_grad(a, {1, 1});
  adam.apply_gradients({a, b, Tensor()});
  EXPECT_EQ(b.to_vector(), (Vec{3, 4}));
  EXPECT_NE(a.to_vector(), (Vec{1, 2}));
  EXPECT_EQ(adam.variables().size(), 2u);  // no state for b
  EXPECT_EQ(adam.iterations(), 1);
  // No gradient anywhere: nothing happens, as in Keras.
  adam.apply_gradients({b});
  EXPECT_EQ(adam.iterations(), 1);
  adam.apply_gradients({a});
  EXPECT_EQ(adam.iterations(), 2);
  // The update is in place and not recorded.
  EXPECT_TRUE(a.is_leaf());
  EXPECT_TRUE(a.grad().defined());  // gradients are left for the caller to clear
}

TEST(Optimizer, StateOfDestroyedTensorsIsDropped) {
  Adam adam;
  Tensor keep = param({1, 2});
  set_grad(keep, {1, 1});
  {
    Tensor temp = param({1, 2, 3});
    set_grad(temp, {1, 1, 1});
    adam.apply_gradients({keep, temp});
    EXPECT_EQ(adam.variables().size(), 4u);
  }
  EXPECT_EQ(adam.variables().size(), 2u);
  adam.apply_gradients({keep});
  EXPECT_EQ(adam.variables().size(), 2u);
}

TEST(Optimizer, BuildCreatesZeroStateWithoutAStep) {
  RMSprop rms({.momentum = 0.9});
  Tensor a = param({1, 2});
  rms.build({a});
  auto vars = rms.variables();
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].to_vector(), (Vec{0, 0}));
  EXPECT_EQ(rms.iterations(), 0);
  // Restored state is what the next step continues from.
  vars[0].copy_(Tensor::from_vector(Shape{2}, Vec{4, 4}));
  rms.set_iterations(10);
  set_grad(a, {1, 1});
  rms.apply_gradients({a});
  EXPECT_EQ(rms.iterations(), 11);
  expect_values(rms.variables()[0], {0.9 * 4 + 0.1, 0.9 * 4 + 0.1}, "velocity");
  expect_value_error([&] { rms.set_iterations(-1); }, {"RMSprop", "iterations"});
}

TEST(Optimizer, GradientShapeMismatchThrowsBeforeUpdating) {
  SGD sgd;
  Tensor a = param({1, 2}), b = param({1, 2, 3});
  set_grad(a, {1, 1});
  b.impl()->grad = Tensor::from_vector(Shape{2}, Vec{1, 1}).impl();  // wrong shape
  expect_value_error([&] { sgd.apply_gradients({a, b}); }, {"SGD", "(2,)", "(3,)"});
  EXPECT_EQ(a.to_vector(), (Vec{1, 2}));
  EXPECT_EQ(sgd.iterations(), 0);
}

TEST(Optimizer, InvalidHyperParametersNameOptimizerAndValue) {
  expect_value_error([] { SGD({.learning_rate = -0.1}); }, {"SGD", "learning_rate", "-0.1"});
  expect_value_error([] { SGD({.momentum = 1.5}); }, {"SGD", "momentum", "1.5"});
  expect_value_error([] { SGD({.momentum = -0.5}); }, {"SGD", "momentum", "-0.5"});
  expect_value_error([] { Adam({.learning_rate = NAN}); }, {"Adam", "learning_rate", "nan"});
  expect_value_error([] { Adam({.beta_1 = 1.0}); }, {"Adam", "beta_1", "1"});
  expect_value_error([] { Adam({.beta_2 = -0.5}); }, {"Adam", "beta_2", "-0.5"});
  expect_value_error([] { Adam({.epsilon = -1e-7}); }, {"Adam", "epsilon"});
  expect_value_error([] { RMSprop({.rho = 1.0}); }, {"RMSprop", "rho", "1"});
  expect_value_error([] { RMSprop({.momentum = 2.0}); }, {"RMSprop", "momentum", "2"});
  expect_value_error([] { RMSprop({.learning_rate = INFINITY}); }, {"RMSprop", "learning_rate"});
}

// ---- configs -----------------------------------------------------------------------------------

void expect_base_keys(const nlohmann::json& c) {
  for (const char* k :
       {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "ema_overwrite_frequency",
        "loss_scale_factor", "gradient_accumulation_steps"})
    EXPECT_TRUE(c.at(k).is_null()) << k;
  EXPECT_EQ(c.at("use_ema"), false);
  EXPECT_EQ(c.at("ema_momentum").get<double>(), 0.99);
}

TEST(OptimizerConfig, SGDDefaults) {
  auto c = SGD().get_config();
  expect_base_keys(c);
  EXPECT_EQ(c["name"], "SGD");
  EXPECT_EQ(c["learning_rate"].get<double>(), static_cast<double>(0.01f));
  EXPECT_EQ(c["momentum"].get<double>(), 0.0);
  EXPECT_EQ(c["nesterov"], false);
  EXPECT_EQ(c.size(), 13u);
}

TEST(OptimizerConfig, AdamRoundTrip) {
  Adam adam({.learning_rate = 0.002,
             .beta_1 = 0.8,
             .beta_2 = 0.99,
             .epsilon = 1e-6,
             .amsgrad = true,
             .name = "my_adam"});
  auto c = adam.get_config();
  expect_base_keys(c);
  EXPECT_EQ(c["name"], "my_adam");
  EXPECT_NEAR(c["learning_rate"].get<double>(), 0.002, 1e-9);
  EXPECT_EQ(c["beta_1"].get<double>(), 0.8);
  EXPECT_EQ(c["beta_2"].get<double>(), 0.99);
  EXPECT_EQ(c["epsilon"].get<double>(), 1e-6);
  EXPECT_EQ(c["amsgrad"], true);
  Adam again({.learning_rate = c["learning_rate"].get<double>(),
              .beta_1 = c["beta_1"].get<double>(),
              .beta_2 = c["beta_2"].get<double>(),
              .epsilon = c["epsilon"].get<double>(),
              .amsgrad = c["amsgrad"].get<bool>(),
              .name = c["name"].get<std::string>()});
  EXPECT_EQ(again.get_config(), c);
  auto d = Adam().get_config();
  EXPECT_EQ(d["name"], "adam");
  EXPECT_EQ(d["beta_1"].get<double>(), 0.9);
  EXPECT_EQ(d["beta_2"].get<double>(), 0.999);
  EXPECT_EQ(d["epsilon"].get<double>(), 1e-7);
  EXPECT_EQ(d["amsgrad"], false);
}

TEST(OptimizerConfig, RMSpropRoundTrip) {
  RMSprop rms(
      {.learning_rate = 0.01, .rho = 0.8, .momentum = 0.5, .epsilon = 1e-5, .centered = true});
  auto c = rms.get_config();
  expect_base_keys(c);
  EXPECT_EQ(c["name"], "rmsprop");
  EXPECT_EQ(c["rho"].get<double>(), 0.8);
  EXPECT_EQ(c["momentum"].get<double>(), 0.5);
  EXPECT_EQ(c["epsilon"].get<double>(), 1e-5);
  EXPECT_EQ(c["centered"], true);
  RMSprop again({.learning_rate = c["learning_rate"].get<double>(),
                 .rho = c["rho"].get<double>(),
                 .momentum = c["momentum"].get<double>(),
                 .epsilon = c["epsilon"].get<double>(),
                 .centered = c["centered"].get<bool>()});
  EXPECT_EQ(again.get_config(), c);
}

// ---- registry and OptimizerSpec ----------------------------------------------------------------

TEST(GetOptimizer, NamesAnyCase) {
  EXPECT_EQ(get_optimizer("sgd")->class_name(), "SGD");
  EXPECT_EQ(get_optimizer("SGD")->class_name(), "SGD");
  EXPECT_EQ(get_optimizer("Adam")->class_name(), "Adam");
  EXPECT_EQ(get_optimizer("ADAM")->class_name(), "Adam");
  EXPECT_EQ(get_optimizer("rmsprop")->class_name(), "RMSprop");
  EXPECT_EQ(get_optimizer("RMSprop")->class_name(), "RMSprop");
  EXPECT_FLOAT_EQ(get_optimizer("sgd")->learning_rate(), 0.01f);
  EXPECT_FLOAT_EQ(get_optimizer("adam")->learning_rate(), 0.001f);
  expect_value_error([] { get_optimizer("adagrad"); }, {"adagrad", "sgd", "adam", "rmsprop"});
}

struct CompileLike {
  OptimizerSpec optimizer = "rmsprop";
};

TEST(OptimizerSpec, StringsObjectsAndPointers) {
  EXPECT_EQ(OptimizerSpec().resolve()->class_name(), "RMSprop");  // Keras' compile() default
  EXPECT_EQ(CompileLike{}.optimizer.resolve()->class_name(), "RMSprop");
  CompileLike a{.optimizer = "adam"};
  EXPECT_EQ(a.optimizer.resolve()->class_name(), "Adam");
  CompileLike b{.optimizer = SGD({.learning_rate = 0.5, .momentum = 0.9})};
  OptimizerPtr ob = b.optimizer.resolve();
  EXPECT_FLOAT_EQ(ob->learning_rate(), 0.5f);
  EXPECT_EQ(b.optimizer.resolve(), ob);
  auto shared = std::make_shared<Adam>();
  CompileLike c{.optimizer = shared};
  EXPECT_EQ(c.optimizer.resolve(), shared);
  expect_value_error([] { OptimizerSpec("nope").resolve(); }, {"nope", "sgd"});
  expect_value_error([] { OptimizerSpec(OptimizerPtr()).resolve(); }, {"optimizer"});
}

TEST(OptimizerSpec, CopiedOptimizerOwnsItsState) {
  Adam adam;
  Tensor p = param({1, 2});
  set_grad(p, {1, 1});
  adam.apply_gradients({p});
  OptimizerSpec spec = adam;  // an lvalue: copied
  OptimizerPtr copy = spec.resolve();
  EXPECT_EQ(copy->iterations(), 1);
  const Vec m_before = adam.variables()[0].to_vector();
  copy->apply_gradients({p});
  EXPECT_EQ(adam.variables()[0].to_vector(), m_before);
  EXPECT_NE(copy->variables()[0].to_vector(), m_before);
  EXPECT_EQ(adam.iterations(), 1);
}

}  // namespace
}  // namespace strata
