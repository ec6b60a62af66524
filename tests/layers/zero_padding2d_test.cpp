// ZeroPadding2D and its Margins2D argument: the three Keras forms, values in both data formats,
// gradients, errors.
#include <gtest/gtest.h>

#include "strata/layers/zero_padding2d.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(ZeroPadding2D, MarginsTakeEveryKerasForm) {
  Margins2D one = 2;
  EXPECT_EQ(one.json(), nlohmann::json({{2, 2}, {2, 2}}));
  Margins2D pair = {1, 3};
  EXPECT_EQ(pair.json(), nlohmann::json({{1, 1}, {3, 3}}));
  Margins2D full = {{1, 0}, {2, 4}};
  EXPECT_EQ(full.top, 1);
  EXPECT_EQ(full.bottom, 0);
  EXPECT_EQ(full.left, 2);
  EXPECT_EQ(full.right, 4);
  EXPECT_EQ(ZeroPadding2D().get_config()["padding"], nlohmann::json({{1, 1}, {1, 1}}));
  EXPECT_EQ(ZeroPadding2D().get_config()["data_format"], "channels_last");
}

TEST(ZeroPadding2D, PadsWithZeros) {
  Tensor x = Tensor::from_vector({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4});
  ZeroPadding2D p({.padding = {{1, 0}, {0, 2}}});
  EXPECT_EQ(p.compute_output_shape(Shape{-1, 2, 2, 1}), (Shape{-1, 3, 4, 1}));
  Tensor y = p(x);
  EXPECT_EQ(y.shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
  // Default: one pixel on every side; two channels stay interleaved.
  Tensor x2 = Tensor::from_vector({1, 1, 1, 2}, std::vector<float>{5, 6});
  std::vector<float> expect(18, 0.f);
  expect[8] = 5, expect[9] = 6;  // centre pixel of 3x3
  EXPECT_EQ(ZeroPadding2D()(x2).to_vector(), expect);
}

TEST(ZeroPadding2D, ChannelsFirst) {
  // (1, C=2, 1, 2): pad rows (1, 1), cols (0, 1).
  Tensor x = Tensor::from_vector({1, 2, 1, 2}, std::vector<float>{1, 2, 3, 4});
  ZeroPadding2D p({.padding = {{1, 1}, {0, 1}}, .data_format = "channels_first"});
  Tensor y = p(x);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 3, 3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 0, 1, 2, 0, 0, 0, 0,  //
                                               0, 0, 0, 3, 4, 0, 0, 0, 0}));
}

TEST(ZeroPadding2D, Gradient) {
  Tensor x = test::random_tensor({2, 3, 2, 2}, 1).set_requires_grad(true);
  ZeroPadding2D p({.padding = {{2, 1}, {0, 3}}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return p(in[0]); }, {x}));
}

TEST(ZeroPadding2D, Errors) {
  test::expect_value_error([] { ZeroPadding2D({.padding = {{1, -1}, {0, 0}}, .name = "zp"}); },
                           {"ZeroPadding2D 'zp'", "negative", "[[1,-1],[0,0]]"});
  test::expect_value_error([] { ZeroPadding2D({.data_format = "nchw"}); }, {"data_format"});
  test::expect_value_error([] { ZeroPadding2D({.name = "z"}).build(Shape{-1, 4, 3}); },
                           {"ZeroPadding2D 'z'", "rank 4", "(None, 4, 3)"});
}
