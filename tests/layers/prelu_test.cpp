#include <gtest/gtest.h>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/prelu.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::expect_value_error;

TEST(PReLU, KerasDefaultsAndValues) {
  PReLU p;
  EXPECT_EQ(p.name().rfind("p_re_lu", 0), 0u);
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{-2, 0.5f, -1, 3, -4, 0});
  // alpha starts at zero (Keras' "zeros"): a plain relu.
  EXPECT_EQ(p(x).to_vector(), (std::vector<float>{0, 0.5f, 0, 3, 0, 0}));
  EXPECT_EQ(p.alpha().shape(), (Shape{3}));
  EXPECT_EQ(p.count_params(), 3);
  p.alpha().copy_(Tensor::from_vector({3}, std::vector<float>{0.1f, 0.2f, 0.5f}));
  auto y = p(x).to_vector();
  const std::vector<float> want{-0.2f, 0.5f, -0.5f, 3, -0.8f, 0};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(y[i], want[i]) << i;
}

TEST(PReLU, SharedAxesSetTheSlopeShapeToOne) {
  PReLU p({.alpha_initializer = initializers::Constant({0.25f}), .shared_axes = {1, 2}});
  p.build(Shape{-1, 4, 5, 3});
  EXPECT_EQ(p.alpha().shape(), (Shape{1, 1, 3}));
  EXPECT_EQ(p.count_params(), 3);
  Tensor x = Tensor::full(Shape{2, 4, 5, 3}, -2.f);
  for (float v : p(x).to_vector()) EXPECT_FLOAT_EQ(v, -0.5f);
  // Shared axes may vary, as with Keras' input spec; the others may not.
  EXPECT_EQ(p(Tensor::full(Shape{1, 7, 2, 3}, -4.f)).shape(), (Shape{1, 7, 2, 3}));
  expect_value_error([&] { p(Tensor::full(Shape{1, 4, 5, 2}, 1.f)); }, {"p_re_lu", "(None, 4, 5, 3)"});
  PReLU one({.shared_axes = {2}});
  one.build(Shape{-1, 6, 4});
  EXPECT_EQ(one.alpha().shape(), (Shape{6, 1}));
}

TEST(PReLU, BadOptionsAreNamed) {
  expect_value_error([] { PReLU({.shared_axes = {0}}); }, {"shared_axes", ">= 1"});
  expect_value_error([] { PReLU({.shared_axes = {1, 1}}); }, {"twice"});
  expect_value_error([] { PReLU({.alpha_initializer = "zeroes"}); }, {"zeroes"});
  expect_value_error([] { PReLU({.shared_axes = {3}, .name = "pr"}).build(Shape{-1, 4, 5}); },
                     {"pr", "shared axis 3"});
}

TEST(PReLU, GradientsForInputAndAlpha) {
  Tensor x = test::random_tensor({3, 2, 4}, 7, -1.5f, 1.5f, {0.f}).set_requires_grad(true);
  Tensor alpha = test::random_tensor({2, 4}, 8, 0.1f, 0.6f).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck(
      [](auto& in) { return ops::sub(ops::relu(in[0]), ops::mul(in[1], ops::relu(ops::neg(in[0])))); },
      {x, alpha}));
  // Through the layer: the slope is a trainable weight (its tensor is perturbed in place by the
  // check) and gets its gradient, summed over the shared axis.
  PReLU p({.alpha_initializer = initializers::Constant({0.3f}), .shared_axes = {1}});
  Tensor x2 = test::random_tensor({3, 2, 4}, 9, -1.5f, 1.5f, {0.f}).set_requires_grad(true);
  p.build(x2.shape());
  ASSERT_EQ(p.trainable_weights().size(), 1u);
  EXPECT_EQ(p.alpha().shape(), (Shape{1, 4}));
  EXPECT_TRUE(p.alpha().requires_grad());
  EXPECT_TRUE(test::gradcheck([&p](auto& in) { return p(in[0]); }, {x2, p.alpha()}));
}

TEST(PReLU, ConfigRoundTrip) {
  PReLU p({.alpha_initializer = initializers::Constant({0.25f}), .shared_axes = {2, 1}, .name = "pr"});
  auto c = p.get_config();
  EXPECT_EQ(c["name"], "pr");
  EXPECT_EQ(c["alpha_initializer"]["class_name"], "Constant");
  EXPECT_EQ(c["alpha_initializer"]["config"]["value"], 0.25);
  EXPECT_TRUE(c["alpha_regularizer"].is_null());
  EXPECT_TRUE(c["alpha_constraint"].is_null());
  EXPECT_EQ(c["shared_axes"], (nlohmann::json{1, 2}));
  EXPECT_TRUE(PReLU().get_config()["shared_axes"].is_null());
  auto back = std::dynamic_pointer_cast<PReLU>(layer_from_config({{"class_name", "PReLU"}, {"config", c}}));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->get_config(), c);
  // Keras 3 spellings: a single int axis, a module-wrapped initializer; absent keys take defaults.
  auto k3 = PReLU::from_config({{"name", "k"}, {"shared_axes", 1},
                                {"alpha_initializer", {{"module", "keras.initializers"},
                                                       {"class_name", "Constant"},
                                                       {"config", {{"value", 0.5}}},
                                                       {"registered_name", nullptr}}}});
  EXPECT_EQ(k3->options().shared_axes, (std::vector<int>{1}));
  k3->build(Shape{-1, 3, 2});
  for (float v : k3->alpha().to_vector()) EXPECT_FLOAT_EQ(v, 0.5f);
  auto plain = PReLU::from_config({{"name", "z"}});
  plain->build(Shape{-1, 2});
  EXPECT_EQ(plain->alpha().to_vector(), (std::vector<float>{0, 0}));
  expect_value_error([] { PReLU::from_config({{"alpha_regularizer", {{"class_name", "L2"}}}}); },
                     {"PReLU", "alpha_regularizer"});
  expect_value_error([] { PReLU::from_config({{"shared_axes", "1"}}); }, {"PReLU", "shared_axes"});
}
