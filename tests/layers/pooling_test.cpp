// MaxPooling1D/2D, AveragePooling1D/2D: shapes, Keras values ('valid' and 'same' with its
// end-heavy padding, averages over real pixels only), channels_first, gradients, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/pooling.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

Tensor iota(const Shape& s, float start = 0.f) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), start);
  return Tensor::from_vector(s, v);
}

// Values at least 0.1 apart in shuffled order, so a finite-difference step never changes which
// element of a window is the maximum.
Tensor distinct(const Shape& s, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * static_cast<float>(i) - 3.f;
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return Tensor::from_vector(s, v);
}

}  // namespace

TEST(Pooling, DefaultsFollowKeras) {
  MaxPooling2D p;
  EXPECT_EQ(p.compute_output_shape(Shape{-1, 28, 28, 3}), (Shape{-1, 14, 14, 3}));
  auto c = p.get_config();
  EXPECT_EQ(c["pool_size"], nlohmann::json({2, 2}));
  EXPECT_EQ(c["strides"], nlohmann::json({2, 2}));
  EXPECT_EQ(c["padding"], "valid");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(MaxPooling1D().get_config()["pool_size"], nlohmann::json({2}));
  EXPECT_EQ(AveragePooling1D({.pool_size = 3, .strides = 1}).get_config()["strides"],
            nlohmann::json({1}));
  EXPECT_EQ(AveragePooling2D({.pool_size = {3, 2}, .strides = {1, 2}}).get_config()["strides"],
            nlohmann::json({1, 2}));
  EXPECT_EQ(MaxPooling2D().class_name(), "MaxPooling2D");
  EXPECT_EQ(AveragePooling2D().name().rfind("average_pooling2d", 0), 0u);
  EXPECT_EQ(MaxPooling2D().count_params(), 0);
}

TEST(Pooling, OutputShapes) {
  EXPECT_EQ(MaxPooling1D().compute_output_shape(Shape{-1, 5, 4}), (Shape{-1, 2, 4}));
  EXPECT_EQ(MaxPooling1D({.padding = "same"}).compute_output_shape(Shape{-1, 5, 4}),
            (Shape{-1, 3, 4}));
  EXPECT_EQ(AveragePooling2D({.pool_size = 3, .strides = 1}).compute_output_shape(
                Shape{-1, 7, 6, 2}),
            (Shape{-1, 5, 4, 2}));
  EXPECT_EQ(MaxPooling2D({.pool_size = 3, .strides = 2, .padding = "same"})
                .compute_output_shape(Shape{-1, 7, 6, 2}),
            (Shape{-1, 4, 3, 2}));
  EXPECT_EQ(MaxPooling2D({.data_format = "channels_first"}).compute_output_shape(
                Shape{-1, 3, 8, 6}),
            (Shape{-1, 3, 4, 3}));
}

TEST(Pooling, ValidWindows1D) {
  Tensor x = Tensor::from_vector({1, 5, 1}, std::vector<float>{1, 3, 2, 5, 4});
  EXPECT_EQ(MaxPooling1D()(x).to_vector(), (std::vector<float>{3, 5}));
  EXPECT_EQ(AveragePooling1D()(x).to_vector(), (std::vector<float>{2, 3.5f}));
  EXPECT_EQ(MaxPooling1D({.pool_size = 3, .strides = 1})(x).to_vector(),
            (std::vector<float>{3, 5, 5}));
}

TEST(Pooling, SamePaddingPutsTheExtraPixelAtTheEnd) {
  // 5 steps, pool 2, stride 2: windows {0,1}, {2,3}, {4} — the last covers only the last step.
  Tensor x = Tensor::from_vector({1, 5, 1}, std::vector<float>{1, 3, 2, 5, 4});
  EXPECT_EQ(MaxPooling1D({.padding = "same"})(x).to_vector(), (std::vector<float>{3, 5, 4}));
  // Average over real steps only: the last window is 4 / 1, not 4 / 2.
  EXPECT_EQ(AveragePooling1D({.padding = "same"})(x).to_vector(),
            (std::vector<float>{2, 3.5f, 4}));
  // 3x3 image, 2x2 pool, stride 2, 'same': windows rows {0,1},{2} x cols {0,1},{2}.
  Tensor img = iota({1, 3, 3, 1}, 1.f);  // [[1,2,3],[4,5,6],[7,8,9]]
  EXPECT_EQ(AveragePooling2D({.padding = "same"})(img).to_vector(),
            (std::vector<float>{3, 4.5f, 7.5f, 9}));
  EXPECT_EQ(MaxPooling2D({.padding = "same"})(img).to_vector(), (std::vector<float>{5, 6, 8, 9}));
}

TEST(Pooling, TwoDimensionalWindowsPerChannel) {
  // Channel 0 holds 0..15 row-major, channel 1 its negation.
  std::vector<float> v;
  for (int i = 0; i < 16; ++i) v.push_back(float(i)), v.push_back(-float(i));
  Tensor x = Tensor::from_vector({1, 4, 4, 2}, v);
  EXPECT_EQ(MaxPooling2D()(x).to_vector(),
            (std::vector<float>{5, 0, 7, -2, 13, -8, 15, -10}));
  EXPECT_EQ(AveragePooling2D()(x).to_vector(),
            (std::vector<float>{2.5f, -2.5f, 4.5f, -4.5f, 10.5f, -10.5f, 12.5f, -12.5f}));
  // Rectangular pool (1, 4) with strides (2, 1): rows 0 and 2, whole width.
  EXPECT_EQ(MaxPooling2D({.pool_size = {1, 4}, .strides = {2, 1}})(x).to_vector(),
            (std::vector<float>{3, 0, 11, -8}));
}

TEST(Pooling, ChannelsFirstMatchesChannelsLastOnTransposedData) {
  Tensor cf = test::random_tensor({2, 3, 5, 6}, 11);
  Tensor cl = ops::transpose(cf, {0, 2, 3, 1});
  for (const char* padding : {"valid", "same"}) {
    for (bool max : {true, false}) {
      Pooling2DOptions o{.pool_size = {2, 3}, .strides = {1, 2}, .padding = padding};
      Pooling2DOptions of = o;
      of.data_format = "channels_first";
      Tensor a = max ? MaxPooling2D(o)(cl) : AveragePooling2D(o)(cl);
      Tensor b = max ? MaxPooling2D(of)(cf) : AveragePooling2D(of)(cf);
      EXPECT_EQ(b.shape(), (Shape{2, 3, a.dim(1), a.dim(2)}));
      EXPECT_LT(test::max_abs_diff(ops::transpose(b, {0, 2, 3, 1}).to_vector(), a.to_vector()),
                1e-6)
          << padding << " max=" << max;
    }
  }
  Tensor cf1 = test::random_tensor({2, 4, 7}, 12);
  Tensor cl1 = ops::transpose(cf1, {0, 2, 1});
  Tensor a = AveragePooling1D({.pool_size = 3, .strides = 2, .padding = "same"})(cl1);
  Tensor b = AveragePooling1D(
      {.pool_size = 3, .strides = 2, .padding = "same", .data_format = "channels_first"})(cf1);
  EXPECT_LT(test::max_abs_diff(ops::transpose(b, {0, 2, 1}).to_vector(), a.to_vector()), 1e-6);
}

TEST(Pooling, Gradients) {
  Tensor x2 = distinct({1, 5, 4, 2}, 1).set_requires_grad(true);
  for (const char* padding : {"valid", "same"}) {
    MaxPooling2D mp({.pool_size = {3, 2}, .strides = {2, 1}, .padding = padding});
    EXPECT_TRUE(test::gradcheck([&](auto& in) { return mp(in[0]); }, {x2})) << padding;
    AveragePooling2D ap({.pool_size = {3, 2}, .strides = {2, 1}, .padding = padding});
    EXPECT_TRUE(test::gradcheck([&](auto& in) { return ap(in[0]); }, {x2})) << padding;
  }
  Tensor x1 = distinct({1, 7, 2}, 2).set_requires_grad(true);
  MaxPooling1D mp1({.pool_size = 3, .strides = 2, .padding = "same"});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return mp1(in[0]); }, {x1}));
  AveragePooling1D ap1({.pool_size = 2, .strides = 1});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return ap1(in[0]); }, {x1}));
  Tensor xf = distinct({1, 2, 4, 4}, 3).set_requires_grad(true);
  MaxPooling2D cf({.data_format = "channels_first"});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return cf(in[0]); }, {xf}));
}

TEST(Pooling, BadArgumentsAndShapes) {
  test::expect_value_error([] { MaxPooling2D({.padding = "causal", .name = "p"}); },
                           {"MaxPooling2D 'p'", "padding", "'valid'", "'causal'"});
  test::expect_value_error([] { MaxPooling1D({.pool_size = 0}); }, {"pool_size"});
  test::expect_value_error([] { AveragePooling2D({.strides = {1, 0}}); }, {"strides"});
  test::expect_value_error([] { MaxPooling2D({.data_format = "NHWC"}); },
                           {"data_format", "NHWC"});
  test::expect_value_error([] { MaxPooling2D({.name = "mp"}).build(Shape{-1, 8, 3}); },
                           {"MaxPooling2D 'mp'", "rank 4", "(None, 8, 3)"});
  test::expect_value_error([] { MaxPooling1D({.name = "m1"}).build(Shape{-1, 8, 8, 3}); },
                           {"MaxPooling1D 'm1'", "rank 3"});
  // A window larger than the input with 'valid' padding.
  test::expect_value_error(
      [] { AveragePooling2D({.pool_size = 5, .name = "big"}).build(Shape{-1, 4, 9, 1}); },
      {"AveragePooling2D 'big'", "larger than the input", "(None, 4, 9, 1)"});
  // 'same' always fits.
  EXPECT_EQ(AveragePooling2D({.pool_size = 5, .padding = "same"})
                .compute_output_shape(Shape{-1, 4, 9, 1}),
            (Shape{-1, 1, 2, 1}));
  MaxPooling2D built;
  built.build(Shape{-1, 4, 4, 1});
  test::expect_value_error([&] { built(Tensor::zeros({1, 4, 4, 2})); }, {"(1, 4, 4, 2)"});
}
