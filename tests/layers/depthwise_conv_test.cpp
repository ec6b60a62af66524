#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/depthwise_conv.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(DepthwiseConv2D, EachChannelHasItsOwnFilters) {
  DepthwiseConv2D d({.kernel_size = 1, .depth_multiplier = 2, .use_bias = false});
  d.build(Shape{-1, 1, 1, 2});
  EXPECT_EQ(d.weights()[0].shape(), (Shape{1, 1, 2, 2}));
  // kernel[0,0,c,m]: channel 0 -> (1, 2), channel 1 -> (3, 4); output channel = c * dm + m.
  d.weights()[0].copy_(Tensor::from_vector({1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4}));
  auto y = d(Tensor::from_vector({1, 1, 1, 2}, std::vector<float>{10, 100})).to_vector();
  EXPECT_EQ(y, (std::vector<float>{10, 20, 300, 400}));
  EXPECT_EQ(d.compute_output_shape(Shape{-1, 8, 8, 3}), (Shape{-1, 8, 8, 6}));
}

TEST(DepthwiseConv2D, Gradients) {
  DepthwiseConv2D d({.kernel_size = 3, .strides = 2, .padding = "same", .depth_multiplier = 2,
                     .activation = "tanh"});  // smooth: a relu kink inside the step would fail
  Tensor x = test::random_tensor({2, 5, 5, 3}, 8, -1.f, 1.f, {0.f}).set_requires_grad(true);
  d.build(x.shape());
  auto w = d.weights();
  EXPECT_TRUE(test::gradcheck([&d](auto& in) { return d(in[0]); }, {x, w[0], w[1]}));
}

TEST(SeparableConv2D, IsDepthwiseThenPointwise) {
  set_random_seed(9);
  SeparableConv2D s({.filters = 4, .kernel_size = 3, .depth_multiplier = 2});
  Tensor x = test::random_tensor({2, 6, 6, 3}, 10).set_requires_grad(true);
  s.build(x.shape());
  auto w = s.weights();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].shape(), (Shape{3, 3, 3, 2}));
  EXPECT_EQ(w[1].shape(), (Shape{1, 1, 6, 4}));
  EXPECT_EQ(s(x).shape(), (Shape{2, 4, 4, 4}));
  DepthwiseConv2D d({.kernel_size = 3, .depth_multiplier = 2, .use_bias = false});
  Conv2D p({.filters = 4, .kernel_size = 1});
  d.build(x.shape());
  p.build(Shape{-1, 4, 4, 6});
  d.weights()[0].copy_(w[0]);
  p.weights()[0].copy_(w[1]);
  p.weights()[1].copy_(w[2]);
  EXPECT_LT(test::max_abs_diff(s(x).to_vector(), p(d(x)).to_vector()), 1e-5);
  EXPECT_TRUE(test::gradcheck([&s](auto& in) { return s(in[0]); }, {x, w[0], w[1], w[2]}));
}

TEST(SeparableConv2D, BadArguments) {
  test::expect_value_error([] { SeparableConv2D({.filters = 0, .kernel_size = 3}); }, {"filters"});
  test::expect_value_error([] { DepthwiseConv2D({.kernel_size = 3, .depth_multiplier = 0}); },
                           {"depth_multiplier"});
  test::expect_value_error([] { DepthwiseConv2D({.kernel_size = 5}).build(Shape{-1, 3, 3, 1}); },
                           {"DepthwiseConv2D", "valid"});
}
