// UpSampling2D: nearest (pixel repeat) and bilinear (half-pixel centres, edges clamped as
// Keras' image.resize) values, channels_first, gradients, errors.
#include <gtest/gtest.h>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/up_sampling2d.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(UpSampling2D, ShapesAndConfig) {
  UpSampling2D u;
  EXPECT_EQ(u.compute_output_shape(Shape{-1, 3, 4, 2}), (Shape{-1, 6, 8, 2}));
  EXPECT_EQ(UpSampling2D({.size = {1, 3}, .data_format = "channels_first"})
                .compute_output_shape(Shape{-1, 2, 3, 4}),
            (Shape{-1, 2, 3, 12}));
  auto c = u.get_config();
  EXPECT_EQ(c["size"], nlohmann::json({2, 2}));
  EXPECT_EQ(c["interpolation"], "nearest");
  EXPECT_EQ(c["data_format"], "channels_last");
}

TEST(UpSampling2D, NearestRepeatsPixels) {
  Tensor x = Tensor::from_vector({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4});
  Tensor y = UpSampling2D({.size = {2, 3}})(x);
  EXPECT_EQ(y.shape(), (Shape{1, 4, 6, 1}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,  //
                                               3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
}

TEST(UpSampling2D, BilinearUsesHalfPixelCentres) {
  // Output i samples input (i + 0.5) / 2 - 0.5, clamped: weights of the second pixel along each
  // axis are 0, 0.25, 0.75, 1. [[1, 2], [3, 4]] -> 1 + w_col + 2 w_row.
  Tensor x = Tensor::from_vector({1, 2, 2, 1}, std::vector<float>{1, 2, 3, 4});
  Tensor y = UpSampling2D({.interpolation = "bilinear"})(x);
  const float w[] = {0.f, 0.25f, 0.75f, 1.f};
  std::vector<float> expect;
  for (float r : w)
    for (float c : w) expect.push_back(1.f + c + 2.f * r);
  EXPECT_LT(test::max_abs_diff(y.to_vector(), expect), 1e-6);
}

TEST(UpSampling2D, ChannelsFirstMatchesChannelsLast) {
  Tensor cf = test::random_tensor({2, 3, 2, 3}, 4);
  Tensor cl = ops::transpose(cf, {0, 2, 3, 1});
  for (const char* interp : {"nearest", "bilinear"}) {
    Tensor a = UpSampling2D({.size = {3, 2}, .interpolation = interp})(cl);
    Tensor b = UpSampling2D(
        {.size = {3, 2}, .data_format = "channels_first", .interpolation = interp})(cf);
    EXPECT_EQ(b.shape(), (Shape{2, 3, 6, 6}));
    EXPECT_LT(test::max_abs_diff(ops::transpose(b, {0, 2, 3, 1}).to_vector(), a.to_vector()),
              1e-6)
        << interp;
  }
}

TEST(UpSampling2D, Gradients) {
  Tensor x = test::random_tensor({2, 3, 2, 2}, 1).set_requires_grad(true);
  UpSampling2D nearest({.size = {2, 3}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return nearest(in[0]); }, {x}));
  UpSampling2D bilinear({.interpolation = "bilinear"});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return bilinear(in[0]); }, {x}));
}

TEST(UpSampling2D, Errors) {
  test::expect_value_error([] { UpSampling2D({.interpolation = "bicubic", .name = "up"}); },
                           {"UpSampling2D 'up'", "interpolation", "bicubic"});
  test::expect_value_error([] { UpSampling2D({.size = {2, 0}}); }, {"size"});
  test::expect_value_error([] { UpSampling2D({.data_format = "x"}); }, {"data_format"});
  test::expect_value_error([] { UpSampling2D({.name = "u"}).build(Shape{-1, 4, 3}); },
                           {"UpSampling2D 'u'", "rank 4", "(None, 4, 3)"});
}
