#include <cmath>

#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/layers/activation.hpp"
#include "strata/layers/activation_layers.hpp"
#include "strata/layers/activations.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {
Tensor sample() { return Tensor::from_vector({1, 5}, std::vector<float>{-2, -0.5f, 0.5f, 2, 8}); }
}  // namespace

TEST(ActivationLayers, ReLUVariants) {
  EXPECT_EQ(ReLU()(sample()).to_vector(), (std::vector<float>{0, 0, 0.5f, 2, 8}));
  EXPECT_EQ(ReLU({.max_value = 6.f})(sample()).to_vector(), (std::vector<float>{0, 0, 0.5f, 2, 6}));
  auto leaky = ReLU({.negative_slope = 0.1f})(sample()).to_vector();
  EXPECT_FLOAT_EQ(leaky[0], -0.2f);
  // Keras: x where x > threshold, else negative_slope * (x - threshold).
  auto thr = ReLU({.negative_slope = 0.5f, .threshold = 1.f})(sample()).to_vector();
  EXPECT_FLOAT_EQ(thr[0], -1.5f);
  EXPECT_FLOAT_EQ(thr[2], -0.25f);
  EXPECT_FLOAT_EQ(thr[3], 2.f);
  EXPECT_THROW(ReLU({.max_value = -1.f}), ValueError);
  EXPECT_THROW(ReLU({.negative_slope = -1.f}), ValueError);
}

TEST(ActivationLayers, LeakyReLUDefaultSlopeIsKeras) {
  EXPECT_FLOAT_EQ(LeakyReLU()(sample()).to_vector()[0], -0.6f);
  EXPECT_FLOAT_EQ(LeakyReLU({.negative_slope = 0.01f})(sample()).to_vector()[0], -0.02f);
}

TEST(ActivationLayers, SoftmaxAndELU) {
  auto s = Softmax()(sample()).to_vector();
  double total = 0;
  for (float v : s) total += v;
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_NEAR(ELU({.alpha = 2.f})(sample()).to_vector()[0], 2.0 * (std::exp(-2.0) - 1), 1e-6);
  EXPECT_THROW(Softmax({.axis = 3}).build(Shape{-1, 5}), ValueError);
}

TEST(ActivationLayers, Gradients) {
  std::vector<std::shared_ptr<Layer>> layers = {
      std::make_shared<ReLU>(ReLUOptions{.max_value = 0.7f, .negative_slope = 0.2f}),
      std::make_shared<LeakyReLU>(), std::make_shared<Softmax>(), std::make_shared<ELU>(),
      std::make_shared<Activation>("selu"), std::make_shared<Activation>("softsign"),
      std::make_shared<Activation>("silu"), std::make_shared<Activation>("hard_sigmoid"),
      std::make_shared<Activation>("mish"), std::make_shared<Activation>("log_softmax")};
  for (auto& l : layers) {
    Tensor x = test::random_tensor({3, 4}, 5, -1.5f, 1.5f, {0.f, 0.7f}).set_requires_grad(true);
    EXPECT_TRUE(test::gradcheck([&l](auto& in) { return (*l)(in[0]); }, {x})) << l->name();
  }
}

TEST(ActivationLayers, EveryNamedActivationRuns) {
  for (const auto& name : activations::names()) {
    Activation a(name);
    Tensor y = a(sample());
    EXPECT_EQ(y.shape(), (Shape{1, 5})) << name;
  }
  EXPECT_THROW(Activation("sigmoidd"), ValueError);
  EXPECT_THROW(Activation(""), ValueError);
}

TEST(ActivationLayers, KerasNamesAndConfig) {
  ReLU r;
  EXPECT_EQ(r.name().rfind("re_lu", 0), 0u);
  LeakyReLU l;
  EXPECT_EQ(l.name().rfind("leaky_re_lu", 0), 0u);
  EXPECT_EQ(l.get_config()["alpha"], 0.3);  // tf.keras 2 name; not 0.30000001192092896
  EXPECT_EQ(Activation("tanh").get_config()["activation"], "tanh");
}
