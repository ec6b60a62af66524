// Cropping2D: shapes, values in both data formats, gradient, errors.
#include <gtest/gtest.h>

#include <numeric>

#include "strata/layers/cropping2d.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

Tensor iota(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), 0.f);
  return Tensor::from_vector(s, v);
}

}  // namespace

TEST(Cropping2D, DefaultIsIdentityAndConfig) {
  Cropping2D c;
  EXPECT_EQ(c.get_config()["cropping"], nlohmann::json({{0, 0}, {0, 0}}));
  Tensor x = iota({1, 2, 3, 1});
  EXPECT_EQ(c(x).to_vector(), x.to_vector());
  EXPECT_EQ(Cropping2D({.cropping = {1, 2}}).compute_output_shape(Shape{-1, 5, 6, 3}),
            (Shape{-1, 3, 2, 3}));
}

TEST(Cropping2D, CropsEachBorder) {
  // 4x4 image 0..15; keep rows 1..3, column 1 only.
  Tensor y = Cropping2D({.cropping = {{1, 0}, {1, 2}}})(iota({1, 4, 4, 1}));
  EXPECT_EQ(y.shape(), (Shape{1, 3, 1, 1}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 9, 13}));
  // channels_first (1, C=2, 3, 3): crop one pixel all round -> the centre of each channel.
  Tensor z = Cropping2D({.cropping = 1, .data_format = "channels_first"})(iota({1, 2, 3, 3}));
  EXPECT_EQ(z.shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(z.to_vector(), (std::vector<float>{4, 13}));
}

TEST(Cropping2D, Gradient) {
  Tensor x = test::random_tensor({2, 5, 4, 2}, 1).set_requires_grad(true);
  Cropping2D c({.cropping = {{1, 2}, {0, 1}}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return c(in[0]); }, {x}));
}

TEST(Cropping2D, Errors) {
  test::expect_value_error([] { Cropping2D({.cropping = -1, .name = "c"}); },
                           {"Cropping2D 'c'", "negative"});
  test::expect_value_error(
      [] { Cropping2D({.cropping = {{2, 2}, {0, 0}}, .name = "cc"}).build(Shape{-1, 4, 5, 1}); },
      {"Cropping2D 'cc'", "[[2,2],[0,0]]", "(None, 4, 5, 1)"});
  test::expect_value_error([] { Cropping2D().build(Shape{-1, 4, 5}); }, {"rank 4"});
  test::expect_value_error([] { Cropping2D({.data_format = "x"}); }, {"data_format"});
}
