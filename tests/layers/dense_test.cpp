#include <gtest/gtest.h>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/dense.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(Dense, BuildsKerasShapedWeights) {
  Dense d({.units = 4, .activation = "relu"});
  d.build(Shape{-1, 3});
  ASSERT_EQ(d.weights().size(), 2u);
  EXPECT_EQ(d.weight_entries()[0].name, "kernel");
  EXPECT_EQ(d.kernel().shape(), (Shape{3, 4}));
  EXPECT_EQ(d.bias().shape(), (Shape{4}));
  EXPECT_EQ(d.bias().to_vector(), (std::vector<float>(4, 0.f)));
  EXPECT_EQ(d.count_params(), 16);
  EXPECT_EQ(d.output_shape(), (Shape{-1, 4}));
  Dense nb({.units = 2, .use_bias = false});
  nb.build(Shape{-1, 5});
  EXPECT_EQ(nb.count_params(), 10);
}

TEST(Dense, ComputesXKernelPlusBias) {
  Dense d({.units = 2, .kernel_initializer = "ones", .bias_initializer = initializers::Constant({.value = 0.5f})});
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, -1, -2, -3});
  EXPECT_EQ(d(x).to_vector(), (std::vector<float>{6.5f, 6.5f, -5.5f, -5.5f}));
  Dense r({.units = 2, .activation = "relu", .kernel_initializer = "ones"});
  EXPECT_EQ(r(x).to_vector(), (std::vector<float>{6, 6, 0, 0}));
}

TEST(Dense, GradientsForEveryActivationPath) {
  // A fixed kernel keeps the pre-activations away from relu's kink, which would otherwise make
  // the finite differences fail now and then.
  set_random_seed(21);
  for (const char* act : {"", "relu", "tanh", "elu", "sigmoid", "softmax", "gelu"}) {
    Dense d({.units = 3, .activation = act});
    Tensor x = test::random_tensor({4, 5}, 3, -1.f, 1.f, {0.f}).set_requires_grad(true);
    d.build(x.shape());
    auto w = d.weights();
    EXPECT_TRUE(test::gradcheck([&d](auto& in) { return d(in[0]); }, {x, w[0], w[1]})) << act;
  }
}

TEST(Dense, GlorotUniformKernelWithinLimit) {
  Dense d(256);
  d.build(Shape{-1, 512});
  const float limit = std::sqrt(6.f / (512 + 256));
  float lo = 1, hi = -1;
  for (float v : d.kernel().to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -limit);
  EXPECT_LE(hi, limit);
  EXPECT_LT(lo, -0.9f * limit);
  EXPECT_GT(hi, 0.9f * limit);
}

TEST(Dense, BadArgumentsAndShapesNameTheLayer) {
  EXPECT_THROW(Dense(0), ValueError);
  EXPECT_THROW(Dense({.units = 3, .activation = "nope"}), ValueError);
  EXPECT_THROW(Dense({.units = 3, .kernel_initializer = "nope"}).build(Shape{-1, 2}), ValueError);
  Dense d({.units = 3, .name = "head"});
  try {
    d.build(Shape{-1});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Dense 'head'"), std::string::npos) << e.what();
  }
  d.build(Shape{-1, 4});
  try {
    d(Tensor::zeros({2, 5}));
    FAIL();
  } catch (const ValueError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("Dense 'head'"), std::string::npos) << m;
    EXPECT_NE(m.find("(2, 5)"), std::string::npos) << m;
  }
}

TEST(Dense, ConfigMatchesKeras) {
  Dense d({.units = 7, .activation = "relu", .name = "fc"});
  auto c = d.get_config();
  EXPECT_EQ(c["name"], "fc");
  EXPECT_EQ(c["units"], 7);
  EXPECT_EQ(c["activation"], "relu");
  EXPECT_EQ(c["use_bias"], true);
  EXPECT_EQ(c["kernel_initializer"]["class_name"], "GlorotUniform");
  EXPECT_EQ(c["bias_initializer"]["class_name"], "Zeros");
}

TEST(Dense, FrozenLayerHasNoTrainableWeights) {
  Dense d(3);
  d.build(Shape{-1, 2});
  d.set_trainable(false);
  EXPECT_TRUE(d.trainable_weights().empty());
  EXPECT_EQ(d.non_trainable_weights().size(), 2u);
  EXPECT_FALSE(d.kernel().requires_grad());
}

// A config asking for an absurd weight is refused by name before any allocation.
TEST(Dense, HugeWeightsAreRefusedNotWrapped) {
  Dense d({.units = int64_t{1} << 40, .name = "huge"});
  test::expect_value_error([&] { d.build(Shape{-1, int64_t{1} << 30}); },
                           {"Dense 'huge'", "kernel", "too large"});
}
