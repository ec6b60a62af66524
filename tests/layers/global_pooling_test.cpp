// GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D: shapes (keepdims, channels_first), values,
// gradients (max routes to the argmax), errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/global_pooling.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

// Values at least 0.1 apart, so a finite-difference step never moves a maximum.
Tensor distinct(const Shape& s, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * static_cast<float>(i) - 2.f;
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return Tensor::from_vector(s, v);
}

}  // namespace

TEST(GlobalPooling, Shapes) {
  EXPECT_EQ(GlobalAveragePooling2D().compute_output_shape(Shape{-1, 7, 7, 512}),
            (Shape{-1, 512}));
  EXPECT_EQ(GlobalMaxPooling1D().compute_output_shape(Shape{-1, 10, 8}), (Shape{-1, 8}));
  EXPECT_EQ(GlobalMaxPooling2D({.keepdims = true}).compute_output_shape(Shape{-1, 5, 4, 3}),
            (Shape{-1, 1, 1, 3}));
  EXPECT_EQ(GlobalAveragePooling2D({.data_format = "channels_first", .keepdims = true})
                .compute_output_shape(Shape{-1, 3, 5, 4}),
            (Shape{-1, 3, 1, 1}));
  EXPECT_EQ(GlobalAveragePooling1D({.data_format = "channels_first"})
                .compute_output_shape(Shape{-1, 6, 9}),
            (Shape{-1, 6}));
  auto c = GlobalMaxPooling2D().get_config();
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["keepdims"], false);
}

TEST(GlobalPooling, Values) {
  // (1, 3, 2): steps [1, 10], [2, 30], [6, 20].
  Tensor x = Tensor::from_vector({1, 3, 2}, std::vector<float>{1, 10, 2, 30, 6, 20});
  EXPECT_EQ(GlobalAveragePooling1D()(x).to_vector(), (std::vector<float>{3, 20}));
  EXPECT_EQ(GlobalMaxPooling1D()(x).to_vector(), (std::vector<float>{6, 30}));
  // Read as channels_first (1, C=3, W=2).
  EXPECT_EQ(GlobalAveragePooling1D({.data_format = "channels_first"})(x).to_vector(),
            (std::vector<float>{5.5f, 16, 13}));
  EXPECT_EQ(GlobalMaxPooling1D({.data_format = "channels_first"})(x).to_vector(),
            (std::vector<float>{10, 30, 20}));
  // (2, 2, 2, 1): per-sample mean and max.
  Tensor img = Tensor::from_vector({2, 2, 2, 1}, std::vector<float>{1, 2, 3, 6, -1, -2, -3, -4});
  Tensor avg = GlobalAveragePooling2D({.keepdims = true})(img);
  EXPECT_EQ(avg.shape(), (Shape{2, 1, 1, 1}));
  EXPECT_EQ(avg.to_vector(), (std::vector<float>{3, -2.5f}));
  Tensor mx = GlobalMaxPooling2D()(img);
  EXPECT_EQ(mx.shape(), (Shape{2, 1}));
  EXPECT_EQ(mx.to_vector(), (std::vector<float>{6, -1}));
}

TEST(GlobalPooling, ChannelsFirstMatchesChannelsLast) {
  Tensor cf = test::random_tensor({2, 3, 4, 5}, 5);
  Tensor cl = ops::transpose(cf, {0, 2, 3, 1});
  EXPECT_LT(test::max_abs_diff(GlobalMaxPooling2D({.data_format = "channels_first"})(cf)
                                   .to_vector(),
                               GlobalMaxPooling2D()(cl).to_vector()),
            1e-6);
  EXPECT_LT(test::max_abs_diff(GlobalAveragePooling2D({.data_format = "channels_first"})(cf)
                                   .to_vector(),
                               GlobalAveragePooling2D()(cl).to_vector()),
            1e-6);
  Tensor keep = GlobalMaxPooling2D({.data_format = "channels_first", .keepdims = true})(cf);
  EXPECT_EQ(keep.shape(), (Shape{2, 3, 1, 1}));
}

TEST(GlobalPooling, Gradients) {
  Tensor x2 = distinct({2, 3, 4, 3}, 1).set_requires_grad(true);
  GlobalMaxPooling2D gmp;
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return gmp(in[0]); }, {x2}));
  GlobalAveragePooling2D gap({.keepdims = true});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return gap(in[0]); }, {x2}));
  Tensor x1 = distinct({2, 5, 3}, 2).set_requires_grad(true);
  GlobalMaxPooling1D gmp1({.data_format = "channels_first"});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return gmp1(in[0]); }, {x1}));
  GlobalAveragePooling1D gap1;
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return gap1(in[0]); }, {x1}));
  // The max's gradient goes to the maximum alone.
  Tensor y = Tensor::from_vector({1, 3, 1}, std::vector<float>{1, 5, 2}).set_requires_grad(true);
  ops::sum(GlobalMaxPooling1D()(y)).backward();
  EXPECT_EQ(y.grad().to_vector(), (std::vector<float>{0, 1, 0}));
}

TEST(GlobalPooling, Errors) {
  test::expect_value_error([] { GlobalAveragePooling2D({.name = "g"}).build(Shape{-1, 4, 3}); },
                           {"GlobalAveragePooling2D 'g'", "rank 4", "(None, 4, 3)"});
  test::expect_value_error([] { GlobalMaxPooling1D().build(Shape{-1, 4, 3, 2}); }, {"rank 3"});
  test::expect_value_error([] { GlobalMaxPooling2D({.data_format = "channels_middle"}); },
                           {"data_format", "channels_middle"});
}
