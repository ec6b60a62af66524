#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/layers/thresholded_relu.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::expect_value_error;

TEST(ThresholdedReLU, KerasValues) {
  ThresholdedReLU t;
  EXPECT_EQ(t.name().rfind("thresholded_re_lu", 0), 0u);
  Tensor x = Tensor::from_vector({1, 6}, std::vector<float>{-2, 0, 0.5f, 1, 1.5f, 3});
  // Default theta 1; x == theta gives 0 (Keras: x * (x > theta)).
  EXPECT_EQ(t(x).to_vector(), (std::vector<float>{0, 0, 0, 0, 1.5f, 3}));
  EXPECT_EQ(ThresholdedReLU({.theta = 0.f})(x).to_vector(), (std::vector<float>{0, 0, 0.5f, 1, 1.5f, 3}));
  EXPECT_EQ(ThresholdedReLU({.theta = 2.f})(x).to_vector(), (std::vector<float>{0, 0, 0, 0, 0, 3}));
  EXPECT_EQ(t.count_params(), 0);
  expect_value_error([] { ThresholdedReLU({.theta = -1.f, .name = "neg"}); }, {"neg", "theta"});
}

TEST(ThresholdedReLU, Gradient) {
  ThresholdedReLU t({.theta = 0.4f});
  Tensor x = test::random_tensor({3, 5}, 3, -1.5f, 1.5f, {0.4f}).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&t](auto& in) { return t(in[0]); }, {x}));
}

TEST(ThresholdedReLU, ConfigRoundTrip) {
  ThresholdedReLU t({.theta = 0.3f, .name = "th"});
  auto c = t.get_config();
  EXPECT_EQ(c["theta"], 0.3);
  EXPECT_EQ(c["name"], "th");
  auto back = layer_from_config({{"class_name", "ThresholdedReLU"}, {"config", c}});
  EXPECT_EQ(back->get_config(), c);
  EXPECT_EQ(ThresholdedReLU::from_config({{"name", "d"}})->get_config()["theta"], 1.0);
}
